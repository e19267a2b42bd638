/*
 * range.c - parallel-for over [0, n) through the policy.
 *
 * Callers are serialised by range.lock; the job lives in the pool and is
 * reused. Two ways to run it:
 *   - range path (the policy has range_next): the caller publishes the job by
 *     making range.seq odd (release), wakes participants 1..P-1 (helped by
 *     them: "Waking" below) and works as participant 0. Each participant
 *     adds what it processed to `done` once;
 *     the caller waits for done == n, closes the job (range.seq even) and
 *     returns; before the job's fields or the policy's job state are used
 *     again, whoever uses them waits until no worker is inside the job
 *     (`active`): see "Settling". A worker enters by incrementing `active`
 *     and only then reading range.seq (both seq_cst), so either the settler
 *     sees it active or it sees the job closed.
 *   - tile path (no range_next): the range is cut into tiles that are pushed
 *     as tasks through the policy's own push/pop, so the policy orders them
 *     as it orders tasks (see "Tiles" below).
 * The caller waits for done == n on the event `wake` (park.h); the
 * participant whose items complete the job wakes it.
 *
 * Progress on the range path (a call with TPOOL_FLAG_PROGRESS, under a
 * policy that gives progress: see "Shares" below): the policy hands out
 * chunks as it likes, and the core hands a chunk's items out one at a
 * time, so that no item waits behind one that does not return.
 *
 * Waking (range path). Where the participants outnumber the CPUs, they
 * are woken by whoever is running: the caller and every participant that
 * joins take the next index to wake from `to_wake` (fetch_add) until none
 * is left, before they run their own share. A thread that wakes a worker
 * onto its own CPU is then often preempted by it at once, for up to a
 * tick; were the caller alone to wake, the participants after that one
 * would wait for it meanwhile, with a CPU left idle. Every index is taken
 * once, by a thread inside the job (the caller, or a worker counted in
 * `active`), so every participant is still woken once, while its job is
 * open. With a CPU for each participant the caller wakes them all itself
 * (`to_wake` starts past the last), and keeps the read-modify-writes off
 * the dispatch's path.
 *
 * Stand-ins (policies with TPOOL_POLICY_STAND_IN, i.e. fixed shares): every
 * participant index is claimed once per job, by the worker when it joins
 * or by the caller once its own share is done, whichever comes first; the
 * caller runs the shares it claims in their participants' names. A call
 * then waits for a worker only while that worker runs its share, never for
 * a worker to wake up and start.
 *
 * Settling. A worker that saw the job open may still be inside it when the
 * call returns: it came to find its index claimed by a stand-in, or found
 * nothing left in range_next. It runs no item of the call (every item was
 * counted in `done` before the caller returned, and the job is closed), but
 * it reads the job's fields and may be inside the policy's range_next. So
 * the call leaves the wait for `active` == 0, and range_end, to the next
 * thread that takes range.lock to use the job or the policy's state: the
 * next parallel-for, a resize, a policy switch, the pool's destruction
 * (tpool__job_settle). By then the worker has usually left, and the caller
 * has not waited a cross-core round trip for it on every call. A caller
 * that ran every item itself (the others came too late: an empty body)
 * adds nothing to `done` and does not wait at all: no other participant
 * has items to add.
 *
 * The caller runs nothing but the call's own items: it never pops a task
 * (a task it popped could be anybody's, and would run inside the call, with
 * the call's FTZ/DAZ flags). Workers set the call's flags around its items
 * only, so the next thing they run sees their own MXCSR again.
 *
 * Tiles. A tile is a task that stands for items [begin, end); its items are
 * claimed through a cursor `next` with atomic operations, so a tile's items
 * can be run by whoever claims them:
 *   - a thread that pops the tile claims its items: all that are left at
 *     once, or, in a call with TPOOL_FLAG_PROGRESS, one at a time;
 *   - the caller does not pop: it claims items directly, from the last tile
 *     down to the first while the workers pop from the front (so the two
 *     meet once, instead of contending tile after tile), or, when the call
 *     has a cost function, largest estimated cost first (ties in index
 *     order), the order priority gives such tiles (LPT).
 * A tile popped after every item of it was claimed (by the caller, or by an
 * earlier popper) is a "spent" tile and only drops its reference. Since the
 * caller does not pop, spent tiles may still be queued when the call
 * returns: the call waits for its items, never for its tiles (a worker
 * blocked in an unrelated task cannot hold the call up). Tiles therefore
 * live in a reference-counted block (one reference per queued or running
 * copy, one for the caller); the thread that drops the last reference puts
 * the block on the pool's free stack, and later calls reuse it (the pool
 * keeps what TPOOL__TILE_KEEP allows and frees the rest).
 *
 * Feeding. Only P - 1 tiles (one per worker participant) are pushed when
 * the call starts; whoever pops a tile of the call first pushes the next
 * tile not yet pushed unless the caller has claimed all of its items. So
 * about P - 1 tiles of the call are queued at any time, in index order,
 * while the caller, from the last tile down, claims tiles that never go
 * through the queue: a call whose items the caller runs alone pushes
 * P - 1 tiles, not all of them. The tiles never pushed are [feed, limit),
 * both in one word of the block (`bounds`): a popper takes tile `feed`
 * to push by raising feed, the caller takes tiles from the top by
 * lowering limit, each with a CAS that keeps feed <= limit, so a tile of
 * that range is either pushed or the caller's, never both, and the
 * caller's are its own without a claim on their `next`. Once the range is
 * empty the caller claims pushed tiles, from the top down, through `next`.
 * A call with a cost function pushes every tile at once: the policy orders
 * them all (LPT), and the caller claims by cost, not downwards. In a call
 * with TPOOL_FLAG_PROGRESS the caller leaves `limit` alone and claims
 * every tile through `next`, an item at a time, and a popper pushes tile
 * `feed` only while it has unclaimed items.
 *
 * Merging. The caller runs a claim of several contiguous tiles as one call
 * of the body. With the default tile size (the policy's range_grain gave
 * 0), it times its own claims, and once the rest of the never-pushed tiles
 * would take at most TILE_GRAIN_NS at the rate it measured (and are at
 * most GRAIN_REACH times the items it measured on), it takes them in one
 * claim: cheap items then cost one CAS and one body call, not one per
 * tile, and the imbalance this can cause is bounded by that time.
 * Expensive items never qualify and are claimed a tile at a time. A policy
 * that sets the tile size gets body calls of at most that size.
 *
 * Progress (TPOOL_FLAG_PROGRESS): a thread that pops a tile claims one item
 * and, if items are left, pushes the tile again before it runs that item,
 * so the rest stays reachable by any idle worker through the policy's
 * queue, whatever the claimed item does. Invariant: a tile with unclaimed
 * items is queued, or popped by a thread that is between its claim and
 * that push (which never blocks), or not yet pushed while a queued or
 * popped tile of the call will push the next one before its items run
 * (each pop feeds one, so the call's queued tiles never run out while
 * unpushed tiles have unclaimed items). With a policy whose pop lets any idle
 * worker take any queued task (TPOOL_POLICY_PROGRESS), an item that waits
 * for other items therefore never strands them.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "fpu.h"
#include "pool.h"
#include "record_hooks.h"
#include "seats.h"

/* Adds a participant's items to `done` and wakes the caller at the end.
 * `n` is read by the caller of this function while the job was surely still
 * running: once `done` reaches n the next job may overwrite the fields. */
static void job_add_done(tpool__job *job, size_t n, size_t items)
{
    if (items == 0)
        return;
    size_t after = atomic_fetch_add(&job->done, items) + items;
    if (after == n)
        tpool__event_wake(&job->wake, 1);
}

static size_t run_share_progress(struct tpool *p, unsigned part);
static inline bool claim_part(tpool__job *job, unsigned part, uint64_t s);

/* Wakes the participants nobody has taken yet ("Waking" above). The load
 * first keeps the threads that join after the last index from writing the
 * line. */
static void wake_participants(struct tpool *p, tpool__job *job)
{
    unsigned parts = job->pub.participants;
    while (ld_relaxed(&job->to_wake) < parts) {
        unsigned part = atomic_fetch_add_explicit(&job->to_wake, 1, memory_order_relaxed);
        if (part >= parts)
            break;
        tpool__wake_worker(p, part - 1);
    }
}

/* Runs participant `part`'s share through range_next; returns the items. */
static size_t run_share(struct tpool *p, unsigned part)
{
    tpool__job *job = &p->range.job;
    if (job->shares_on)
        return run_share_progress(p, part);
    int (*next)(void *, unsigned, size_t *, size_t *) = p->team.policy.ops.range_next;
    size_t begin, end, items = 0;
    while (next(p->team.pstate, part, &begin, &end)) {
        job->fn(job->ctx, begin, end, part);
        items += end - begin;
    }
    return items;
}

uint32_t tpool__job_join(struct tpool *p, unsigned w)
{
    tpool__job *job = &p->range.job;
    tpool__worker *wk = tpool__worker_at(p, w);
    uint32_t flags = 0;
    atomic_fetch_add(&job->active, 1);
    uint64_t s = atomic_load(&p->range.seq);
    st_relaxed(&wk->seen_job, s);
    /* A worker a shrink retired (w >= W) has no participant index. */
    unsigned W = ld_relaxed(&p->team.workers);
    unsigned part = w < W ? tpool_slot_participant(w, W) : UINT_MAX;
    if ((s & 1u) && part < job->pub.participants && claim_part(job, part, job->number)) {
        wake_participants(p, job);
        flags = job->flags;
        bool flush = job->flags & TPOOL_FLAG_DISABLE_DENORMALS;
        unsigned fpu = tpool__fpu_enter(flush);
        size_t items = run_share(p, part);
        tpool__fpu_leave(flush, fpu);
        add_relaxed(&wk->c.items_run, items);
        job_add_done(job, job->pub.n, items); /* `active` guards the job */
    }
    atomic_fetch_sub_explicit(&job->active, 1, memory_order_release);
    return flags;
}

/* ---- shares: progress on the range path ------------------------------------
 *
 * Each participant p has a share on its own cache line: the chunk it took
 * from the policy last, as [next, end), whose items anyone may claim one at
 * a time with a CAS on `next`. The owner claims from its share, runs the
 * item, and so on; with the share empty it asks the policy for the next
 * chunk (refill). A participant that the policy has nothing more for helps:
 * it claims single items from the other shares. An item is therefore
 * started as soon as it is claimed, and every item handed out but not
 * claimed sits in a share where every idle participant looks.
 *
 * `state`: the number of helpers inside the share (they read next and end
 * as a pair, so the owner may not change them meanwhile), SHARE_LOCKED
 * while the owner refills (inside range_next: helpers keep away), or
 * SHARE_DONE once the policy had nothing more for the owner (the share is
 * empty; helpers skip it). Transitions: count <-> count +- 1 (helpers),
 * 0 or DONE -> LOCKED (owner, CAS), LOCKED -> 0 or DONE (owner, release).
 *
 * Leaving. A participant leaves when range_next gave it nothing, and then a
 * look at every share found no item and no owner LOCKED. That is enough
 * because the policy gives progress: range_next returns 0 only when every
 * item has been handed out, or is being handed out by a range_next running
 * at the same time. The owner of such a call locked its share and issued a
 * seq_cst fence before range_next changed the policy's state; the helper
 * issues one after its own range_next saw that state (or any later one:
 * the policy's words may have been rewritten by others since, which is why
 * release and acquire fences would not do), so it sees the share LOCKED,
 * or the owner done with it (the chunk in its share, published before the
 * release store of `state`). Seeing a LOCKED share, a helper asks the
 * policy again. One fence per chunk and per helper's look.
 */
#define SHARE_DONE (1u << 30)
#define SHARE_LOCKED (1u << 31)

struct tpool__share {
    TPOOL__ALIGNED tpool__asize next; /* CAS by the owner and by helpers */
    tpool__asize end;                 /* the owner's, while it holds LOCKED */
    tpool__a32 state;
    tpool__a64 claimed; /* stand-ins: the job (job.number) whose index a thread took */
};

/* Whether the loaded policy's range path gives progress (range.lock held). */
static bool policy_progress(struct tpool *p)
{
    const tpool_policy *ops = &p->team.policy.ops;
    if (ops->range_progress)
        return ops->range_progress(p->team.pstate) != 0;
    return (ops->flags & TPOOL_POLICY_PROGRESS) != 0;
}

/* Shares for `parts` participants (range.lock held, the job settled,
 * before it is published), their chunks emptied for a new job when
 * `progress`. A stand-in claim names its job, so claims are never reset:
 * a job with stand-ins only writes no share line before it opens. false: no
 * memory. */
static bool shares_ready(tpool__job *job, unsigned parts, bool progress)
{
    if (parts > job->shares_cap) {
        struct tpool__share *sh = tpool__aligned_alloc(TPOOL__CACHELINE, parts * sizeof *sh);
        if (!sh)
            return false;
        for (unsigned k = 0; k < parts; k++)
            atomic_init(&sh[k].claimed, 0); /* no job's: they are numbered from 1 */
        tpool__free(job->shares);
        job->shares = sh;
        job->shares_cap = parts;
        progress = true;
    }
    for (unsigned k = 0; progress && k < parts; k++) {
        atomic_init(&job->shares[k].next, 0);
        atomic_init(&job->shares[k].end, 0);
        atomic_init(&job->shares[k].state, 0);
    }
    return true;
}

/* Stand-ins: takes participant index `part` of the job numbered `number`
 * for this thread, or false when another thread has it. */
static inline bool claim_part(tpool__job *job, unsigned part, uint64_t number)
{
    tpool__a64 *c = &job->shares[part].claimed;
    return !job->stand_in
           || (ld_relaxed(c) != number
               && atomic_exchange_explicit(c, number, memory_order_relaxed) != number);
}

/* Claims one item of `sh`. */
static inline bool share_claim(struct tpool__share *sh, size_t *item)
{
    size_t b = ld_relaxed(&sh->next), e = ld_relaxed(&sh->end);
    while (b < e)
        if (atomic_compare_exchange_weak_explicit(&sh->next, &b, b + 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *item = b;
            return true;
        }
    return false;
}

/* The owner puts its next chunk from the policy into its share; false when
 * the policy has nothing more for it (the share is then DONE). */
static bool share_refill(struct tpool *p, struct tpool__share *sh, unsigned part)
{
    uint32_t st = ld_relaxed(&sh->state);
    for (unsigned spins = 0;;) {
        /* No helper inside: the count is 0 (or the share was DONE). */
        uint32_t idle = st & SHARE_DONE;
        if (st == idle && atomic_compare_exchange_weak_explicit(&sh->state, &st, SHARE_LOCKED,
                                                                memory_order_acquire,
                                                                memory_order_relaxed))
            break;
        /* A helper is between its two atomics; should it be preempted,
         * let it run. */
        tpool__backoff(&spins);
        st = ld_relaxed(&sh->state);
    }
    fence_seq_cst(); /* LOCKED before the policy's writes: see "Leaving" */
    size_t b, e;
    if (p->team.policy.ops.range_next(p->team.pstate, part, &b, &e)) {
        st_relaxed(&sh->end, e);
        st_relaxed(&sh->next, b);
        st_release(&sh->state, 0);
        return true;
    }
    st_release(&sh->state, SHARE_DONE);
    return false;
}

/* A participant with no chunk of its own claims one item of another share:
 * 1 (it did; *item is set), 0 (no share has one and no owner is refilling:
 * it may leave), -1 (an owner is refilling: ask the policy again). */
static int share_help(tpool__job *job, unsigned part, size_t *item)
{
    unsigned P = job->pub.participants;
    fence_seq_cst(); /* after our range_next's look: see "Leaving" */
    int transit = 0;
    for (unsigned k = 1; k < P; k++) {
        unsigned v = part + k < P ? part + k : part + k - P;
        struct tpool__share *sh = &job->shares[v];
        uint32_t st = ld_acquire(&sh->state);
        /* An empty share is passed by without entering it, so that idle
         * helpers do not keep its owner from refilling. (A share the owner
         * refills after this look holds nothing that range_next had not
         * already handed out when ours returned 0: see "Leaving".) */
        if (!(st & (SHARE_LOCKED | SHARE_DONE))
            && ld_relaxed(&sh->next) >= ld_relaxed(&sh->end))
            continue;
        while (!(st & (SHARE_LOCKED | SHARE_DONE))) {
            if (!atomic_compare_exchange_weak_explicit(&sh->state, &st, st + 1,
                                                       memory_order_acquire,
                                                       memory_order_acquire))
                continue;
            bool got = share_claim(sh, item);
            atomic_fetch_sub_explicit(&sh->state, 1, memory_order_release);
            if (got)
                return 1;
            st = SHARE_DONE; /* empty: go on */
        }
        transit |= (st & SHARE_LOCKED) != 0;
    }
    return transit ? -1 : 0;
}

/* run_share for a call with progress under a policy that gives it. */
static size_t run_share_progress(struct tpool *p, unsigned part)
{
    tpool__job *job = &p->range.job;
    struct tpool__share *me = &job->shares[part];
    tpool_range_fn fn = job->fn;
    void *ctx = job->ctx;
    size_t items = 0, i;
    for (;;) {
        while (share_claim(me, &i)) {
            fn(ctx, i, i + 1, part);
            items++;
        }
        if (share_refill(p, me, part))
            continue;
        /* Helping. An owner seen inside range_next may leave items in the
         * policy rather than in its share (a thief's rest), so the policy
         * is asked again, but only once no owner is inside any more: were
         * it asked at once, our own LOCKED window would send the others
         * back to the policy in turn, and two helpers could keep each
         * other asking for ever (it happened with threads run one at a
         * time). Our share stays DONE while we wait: nobody waits for us. */
        bool transit = false;
        for (unsigned spins = 0;;) {
            int h = share_help(job, part, &i);
            if (h == 1) {
                fn(ctx, i, i + 1, part);
                items++;
                continue;
            }
            if (h == 0) {
                if (!transit)
                    return items;
                break; /* the owners are out: ask the policy again */
            }
            transit = true;
            tpool__backoff(&spins); /* the owner may be waiting for our CPU */
        }
    }
}

/* ---- tiles ------------------------------------------------------------------ */

/* One tile task. The block's array is cache-line aligned, and so is each
 * tile (the policy writes task.pub.next and policy_data while the tile is
 * queued; claimers write `next`). */
typedef struct tile {
    TPOOL__ALIGNED tpool__task task; /* first: the policy gets &task.pub;
                                        task.begin/end: the tile's items */
    /* The first item nobody has claimed: begin..end, only grows. Claimed
     * with relaxed atomics (the claim publishes nothing: the items' results
     * are ordered by `done`). */
    tpool__asize next;
    struct tpool__tile_block *block;
} tile;

/* The caller's order of tiles in a call with a cost function. */
typedef struct tile_rank {
    uint64_t cost;
    size_t index;
} tile_rank;

struct tpool__tile_block {
    /* One per queued or running copy of a tile, plus one for the caller
     * while the call runs. acq_rel decrements: whoever sees it reach 0
     * (the freer, or the next caller reusing the block with an acquire
     * load) sees every access the other holders made. */
    TPOOL__ALIGNED tpool__a64 refs;
    /* The tiles never pushed, [feed, limit) (see "Feeding"): BOUNDS(feed,
     * limit), changed with CAS by poppers (feed up) and by the caller
     * (limit down); on the line of `refs`, which the same threads write. */
    tpool__a64 bounds;
    size_t ntiles;  /* the call's tiles */
    size_t cap;     /* tiles allocated */
    size_t bytes;   /* the allocation's size */
    struct tpool__tile_block *next_free; /* on job.tile_free or tile_spare */
    /* The call's, for the tiles pushed by poppers (whose job may be the
     * next call's by then): written by the caller before its first push. */
    bool progress;  /* the call has TPOOL_FLAG_PROGRESS */
    bool ranked;    /* the call has a cost function */
    int priority;
    uint64_t seq;   /* the first tile's number */
    uint64_t submit_ns;
    tile_rank *rank; /* cap entries after the tiles; the caller's only */
    tile tiles[];
};
_Static_assert(sizeof(struct tpool__tile_block) % TPOOL__CACHELINE == 0,
               "tiles start on a cache line");

/* `bounds` of a tile block: tile counts fit 32 bits (run_tile_path). */
#define BOUNDS(feed, limit) ((uint64_t)(limit) << 32 | (uint64_t)(feed))
#define BOUNDS_FEED(w) ((size_t)(uint32_t)(w))
#define BOUNDS_LIMIT(w) ((size_t)((w) >> 32))

/* Claims items of `tl`: all that are left, or (progress) one. */
static bool claim(tile *tl, bool progress, size_t *first, size_t *last)
{
    size_t end = tl->task.end;
    size_t b = ld_relaxed(&tl->next);
    if (progress) {
        while (b < end)
            if (atomic_compare_exchange_weak_explicit(&tl->next, &b, b + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *first = b;
                *last = b + 1;
                return true;
            }
        return false;
    }
    if (b >= end)
        return false; /* spent: no write */
    b = atomic_exchange_explicit(&tl->next, end, memory_order_relaxed);
    if (b >= end)
        return false;
    *first = b;
    *last = end;
    return true;
}

/* Drops a reference; the last one puts the block on the pool's free
 * stack, with a release CAS (a caller takes the stack with an acquire
 * exchange, and only whole: no ABA). The pool outlives its blocks'
 * references (tpool__tiles_drain). */
static void block_release(struct tpool *p, struct tpool__tile_block *b)
{
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    tpool__job *job = &p->range.job;
    struct tpool__tile_block *head = atomic_load_explicit(&job->tile_free, memory_order_relaxed);
    do
        b->next_free = head;
    while (!atomic_compare_exchange_weak_explicit(&job->tile_free, &head, b,
                                                  memory_order_release, memory_order_relaxed));
}

/* Largest tiles in a block: its size, header, tiles and ranks, fits a
 * ptrdiff_t (a larger request is no memory, not a wrapped size). */
#define TILES_MAX \
    ((PTRDIFF_MAX - sizeof(struct tpool__tile_block) - TPOOL__CACHELINE) \
     / (sizeof(tile) + sizeof(tile_rank)))

static struct tpool__tile_block *block_alloc(size_t ntiles)
{
    size_t size = sizeof(struct tpool__tile_block) + ntiles * (sizeof(tile) + sizeof(tile_rank));
    size = (size + TPOOL__CACHELINE - 1) / TPOOL__CACHELINE * TPOOL__CACHELINE;
    struct tpool__tile_block *b = tpool__aligned_alloc(TPOOL__CACHELINE, size);
    if (b) {
        atomic_init(&b->refs, 0);
        b->cap = ntiles;
        b->bytes = size;
        b->rank = (tile_rank *)&b->tiles[ntiles];
    }
    return b;
}

/* Largest cost first, then index order. */
static int by_rank(const void *a, const void *b)
{
    const tile_rank *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Frees a list of blocks. */
static void blocks_free(struct tpool__tile_block *b)
{
    while (b) {
        struct tpool__tile_block *next = b->next_free;
        tpool__free(b);
        b = next;
    }
}

/* Moves the blocks freed since the last call into the spare list, as
 * far as TPOOL__TILE_KEEP allows, and frees the others (range.lock held).
 * Each block is looked at once. */
static void spare_refill(tpool__job *job)
{
    struct tpool__tile_block *b =
        atomic_exchange_explicit(&job->tile_free, NULL, memory_order_acquire);
    while (b) {
        struct tpool__tile_block *next = b->next_free;
        if (job->spare_count < TPOOL__TILE_KEEP
            || job->spare_bytes + b->bytes <= TPOOL__TILE_KEEP_BYTES) {
            b->next_free = job->tile_spare;
            job->tile_spare = b;
            job->spare_count++;
            job->spare_bytes += b->bytes;
        } else {
            tpool__free(b);
        }
        b = next;
    }
}

/* A block of at least `ntiles` tiles that no tile of an earlier call
 * references: a spare one, else a new one (range.lock held). NULL: no
 * memory. */
static struct tpool__tile_block *block_get(struct tpool *p, size_t ntiles)
{
    tpool__job *job = &p->range.job;
    spare_refill(job);
    for (struct tpool__tile_block **at = &job->tile_spare; *at; at = &(*at)->next_free)
        if ((*at)->cap >= ntiles) {
            struct tpool__tile_block *b = *at;
            *at = b->next_free;
            job->spare_count--;
            job->spare_bytes -= b->bytes;
            return b;
        }
    return block_alloc(ntiles);
}

/* Pushes a popped tile again, from the popper's slot, with a reference of
 * its own; the popper keeps its reference. */
static void requeue(struct tpool *p, tile *tl, unsigned slot)
{
    add_relaxed(&tl->block->refs, 1); /* the popper holds one: never from 0 */
    tl->task.pub.next = NULL;
    tl->task.pub.policy_data[0] = tl->task.pub.policy_data[1] = 0;
    tpool__push(p, &tl->task, slot);
}

/* Makes tile i a task, before it is pushed: what the policy reads, from
 * the block (tiles the caller claims directly are never made tasks). */
static void tile_prepare(struct tpool__tile_block *b, size_t i)
{
    tile *tl = &b->tiles[i];
    tpool__task *t = &tl->task;
    t->kind = TASK_TILE;
    tl->block = b;
    t->pub.next = NULL;
    t->pub.policy_data[0] = t->pub.policy_data[1] = 0;
    t->pub.priority = b->priority;
    t->pub.preferred_worker = -1;
    if (!b->ranked) /* a ranked call set every tile's cost already */
        t->pub.cost_hint = (uint64_t)(t->end - t->begin);
    t->pub.seq = b->seq + i;
    t->pub.submit_ns = b->submit_ns;
}

/* Pushes the call's next tile not yet pushed (see "Feeding"), from the
 * outside slot like the caller's, unless the caller has it: every later
 * tile is then the caller's too, and none is pushed any more. The popper
 * holds a reference, so the block is still its call's. */
static void feed(struct tpool *p, struct tpool__tile_block *b)
{
    uint64_t w = ld_relaxed(&b->bounds);
    size_t i;
    do {
        i = BOUNDS_FEED(w);
        if (i >= BOUNDS_LIMIT(w))
            return; /* nothing left to push: no write */
    } while (!atomic_compare_exchange_weak_explicit(&b->bounds, &w, w + 1, memory_order_relaxed,
                                                    memory_order_relaxed));
    tile *tl = &b->tiles[i];
    if (ld_relaxed(&tl->next) >= tl->task.end)
        return; /* progress: the caller claimed its items */
    tile_prepare(b, i);
    add_relaxed(&b->refs, 1); /* the popper holds one: never from 0 */
    tpool__push(p, &tl->task, TPOOL__OUTSIDE);
}

void tpool__run_tile(struct tpool *p, tpool__task *t, unsigned slot)
{
    tile *tl = (tile *)t;
    struct tpool__tile_block *b = tl->block;
    bool progress = b->progress;
    size_t first, last;
    feed(p, b);
    if (claim(tl, progress, &first, &last)) {
        /* Items are claimed and not done: the call is still running, and
         * the job's fields are its own until this thread adds to `done`. */
        tpool__job *job = &p->range.job;
        size_t n = job->pub.n;
        if (progress && ld_relaxed(&tl->next) < tl->task.end)
            requeue(p, tl, slot);
        /* W is stable while a job runs: resizes take range.lock. */
        unsigned part = tpool_slot_participant(slot, ld_relaxed(&p->team.workers));
        bool flush = job->flags & TPOOL_FLAG_DISABLE_DENORMALS;
        unsigned fpu = tpool__fpu_enter(flush);
        size_t items = 0;
        do {
            job->fn(job->ctx, first, last, part);
            items += last - first;
        } while (progress && claim(tl, true, &first, &last));
        tpool__fpu_leave(flush, fpu);
        add_relaxed(&tpool__counters_of(p, slot)->items_run, items);
        job_add_done(job, n, items); /* the last touch of the job */
    }
    block_release(p, b); /* the last touch of the tile */
}

void tpool__tiles_drain(struct tpool *p)
{
    /* Workers are gone: this thread is the only consumer of every slot.
     * Anything still queued is a spent tile (a task would have been run or
     * cancelled by the drain before), which run_tile only releases. */
    unsigned W = ld_relaxed(&p->team.workers);
    for (bool again = true; again;) {
        again = false;
        for (unsigned s = 0; s <= W; s++)
            for (tpool_task *t; (t = p->team.policy.ops.pop(p->team.pstate, s)) != NULL;) {
                tpool__run_tile(p, (tpool__task *)t, TPOOL__OUTSIDE);
                again = true;
            }
    }
}

void tpool__job_free(struct tpool *p)
{
    blocks_free(p->range.job.tile_spare);
    p->range.job.tile_spare = NULL;
    p->range.job.spare_count = p->range.job.spare_bytes = 0;
    blocks_free(atomic_exchange(&p->range.job.tile_free, NULL));
    tpool__free(p->range.job.shares);
    p->range.job.shares = NULL;
    p->range.job.shares_cap = 0;
}

static bool job_done(void *arg)
{
    tpool__job *job = arg;
    return atomic_load(&job->done) == job->pub.n;
}

/* The caller waits for done == n (spinning, then parked). It runs nothing
 * meanwhile, so it gives its seats back first (seats.h), and has none for
 * a seat waiter to want. */
static void caller_wait(struct tpool *p, tpool__tls *tl)
{
    tpool__job *job = &p->range.job;
    tpool__frame_mark(tl->top, false);
    tpool__seats_release_all(tl);
    tpool__spin spin;
    tpool__spin_init(&spin, p->mode.spin_ns, 0);
    tpool__spin_crowd(&spin, tpool__seats_crowded, tl->top);
    tpool__event_wait(&job->wake, job_done, job, &spin);
}

/* The caller's `items` are run: counts them, and waits for the others'
 * unless it ran all n ("Settling"): its frame then stays busy to the end,
 * with no clock read for a wait that did not happen. */
static void caller_finish(struct tpool *p, tpool__tls *tl, size_t items)
{
    tpool__job *job = &p->range.job;
    add_relaxed(&p->outside.items_run, items);
    if (items == job->pub.n)
        return;
    job_add_done(job, job->pub.n, items);
    caller_wait(p, tl);
}

void tpool__job_settle(struct tpool *p)
{
    tpool__job *job = &p->range.job;
    if (!job->unsettled)
        return;
    /* Orders the close (a release store) before the look at `active`, the
     * other half of the worker's increment then look at range.seq. */
    fence_seq_cst();
    for (unsigned turn = 0; atomic_load_explicit(&job->active, memory_order_acquire) != 0;)
        tpool__backoff(&turn); /* a worker leaving the job: a few instructions */
    job->unsettled = false;
    if (p->team.policy.ops.range_end)
        p->team.policy.ops.range_end(p->team.pstate);
}

static int run_range_path(struct tpool *p, tpool__tls *tl)
{
    tpool__job *job = &p->range.job;
    const tpool_policy *ops = &p->team.policy.ops;
    job->shares_on = (job->flags & TPOOL_FLAG_PROGRESS) && policy_progress(p);
    job->stand_in = (ops->flags & TPOOL_POLICY_STAND_IN) != 0;
    job->number++;
    if ((job->shares_on || job->stand_in)
        && !shares_ready(job, job->pub.participants, job->shares_on))
        return TPOOL_ENOMEM;
    if (ops->range_begin)
        ops->range_begin(p->team.pstate, &job->pub);

    unsigned parts = job->pub.participants;
    bool shared_wake = parts > p->seats.cpus;
    st_relaxed(&job->to_wake, shared_wake ? 1u : parts);
    uint64_t s = ld_relaxed(&p->range.seq) + 1; /* odd: open */
    st_release(&p->range.seq, s);
    fence_seq_cst();
    if (shared_wake)
        wake_participants(p, job);
    else
        for (unsigned part = 1; part < parts; part++)
            tpool__wake_worker(p, part - 1);

    size_t items = run_share(p, 0);
    for (unsigned part = 1; job->stand_in && part < job->pub.participants; part++)
        if (claim_part(job, part, job->number)) /* its worker has not started: stand in */
            items += run_share(p, part);
    caller_finish(p, tl, items);

    /* Even: closed. A release store, so that the caller does not wait here
     * for the line the workers poll; tpool__job_settle fences before it
     * looks at `active`. */
    st_release(&p->range.seq, s + 1);
    job->unsettled = true; /* `active` and range_end: see "Settling" */
    return 0;
}

/* Merging (see "Merging"): what the rest of the never-pushed tiles may
 * take, at the caller's measured rate, to be claimed at once, and how far
 * a rate is extrapolated. The first rate is timed from the start of the
 * call (a clock read the caller makes anyway), so it charges the call's
 * set-up to the first tile's items and overestimates them: hence twice
 * the 1 us that the balancing policies' grain_ns allows by default. */
#define TILE_GRAIN_NS 2000u
#define TILE_GRAIN_REACH 8u

/* The caller's rate so far: `items` run in the `ns` since it began to time
 * them. How many more items it may claim at once; 0: they are not cheap. */
static size_t tile_cheap_items(uint64_t ns, size_t items)
{
    /* In doubles: the products can exceed 64 bits, only the bound matters. */
    double reach = (double)TILE_GRAIN_REACH * (double)items;
    double fit = ns == 0 ? reach : (double)TILE_GRAIN_NS * (double)items / (double)ns;
    double cheap = fit < reach ? fit : reach;
    return cheap >= (double)SIZE_MAX ? SIZE_MAX : (size_t)cheap;
}

/* The caller's claims from the top of the never-pushed tiles (see
 * "Feeding"), each a CAS lowering `limit`, and each run as one call of the
 * body; with `merge`, as many tiles at once as "Merging" allows, timed
 * from t0, the call's start. Returns the items run; *pushed: the tiles
 * pushed (or being pushed) by then, the only ones whose items the caller
 * may still claim through `next`. */
static size_t caller_claim_unpushed(tpool__job *job, struct tpool__tile_block *b, bool merge,
                                    uint64_t t0, size_t *pushed)
{
    size_t items = 0, take = 1, timed = 0;
    uint64_t w = ld_relaxed(&b->bounds);
    for (;;) {
        size_t f = BOUNDS_FEED(w), l = BOUNDS_LIMIT(w);
        if (f >= l) {
            *pushed = l;
            return items;
        }
        size_t k = l - f < take ? l - f : take;
        if (!atomic_compare_exchange_weak_explicit(&b->bounds, &w, BOUNDS(f, l - k),
                                                   memory_order_relaxed, memory_order_relaxed))
            continue;
        size_t first = b->tiles[l - k].task.begin, last = b->tiles[l - 1].task.end;
        /* Time only while a later claim could take more than a tile. */
        bool look = merge && l - k - f >= 2;
        job->fn(job->ctx, first, last, 0);
        items += last - first;
        w = ld_relaxed(&b->bounds);
        if (!look)
            continue;
        timed += last - first;
        uint64_t t1 = tpool__now_ns();
        size_t cheap = tile_cheap_items(t1 > t0 ? t1 - t0 : 0, timed);
        size_t tile_items = b->tiles[0].task.end; /* every tile's but the last */
        take = cheap / tile_items;
        if (take <= 1) { /* not cheap: a tile at a time, and no more clock reads */
            take = 1;
            merge = false;
        }
    }
}

static int run_tile_path(struct tpool *p, tpool__tls *tls, uint64_t t_start)
{
    tpool__job *job = &p->range.job;
    const tpool_policy *ops = &p->team.policy.ops;
    size_t n = job->pub.n;
    size_t grain = ops->range_grain ? ops->range_grain(p->team.pstate, &job->pub) : 0;
    bool merge = grain == 0; /* the core's tile size: see "Merging" */
    /* Fallback: about 4 tiles per participant. Divisions round up without
     * forming n + d - 1, which wraps for n near SIZE_MAX. */
    size_t quarter = 4 * (size_t)job->pub.participants;
    if (grain == 0)
        grain = n / quarter + (n % quarter != 0);
    size_t ntiles = n / grain + (n % grain != 0);
    /* A tile count whose array does not fit the address space (a tiny
     * "tile" on a huge range), or `bounds`' 32 bits, is no memory, not a
     * wrapped size. */
    if (ntiles > TILES_MAX || ntiles > UINT32_MAX)
        return TPOOL_ENOMEM;
    struct tpool__tile_block *blk = block_get(p, ntiles);
    if (!blk)
        return TPOOL_ENOMEM;
    bool progress = job->flags & TPOOL_FLAG_PROGRESS;
    bool ranked = job->pub.cost != NULL;
    unsigned P = job->pub.participants;
    /* Tiles pushed now: every tile when the caller claims by cost (the
     * policy orders them all), else one per worker participant; the rest
     * are fed by their poppers (see "Feeding"). */
    size_t pushed = ranked || (size_t)P - 1 > ntiles ? ntiles : (size_t)P - 1;
    blk->progress = progress;
    blk->ranked = ranked;
    blk->ntiles = ntiles;
    blk->priority = job->pub.priority;
    blk->submit_ns = ld_relaxed(&p->mode.stamp_submit) ? tpool__now_ns() : 0;
    blk->seq = add_relaxed(&p->wakeup.seq, ntiles); /* one number per tile */
    atomic_store_explicit(&blk->bounds, BOUNDS(pushed, ntiles), memory_order_relaxed);
    atomic_store_explicit(&blk->refs, (uint64_t)pushed + 1, memory_order_relaxed);
    /* What claimers read; the rest of a tile is written when it is pushed. */
    for (size_t i = 0; i < ntiles; i++) {
        tile *tl = &blk->tiles[i];
        tpool__task *t = &tl->task;
        t->begin = i * grain; /* i < ntiles: below n */
        t->end = n - t->begin > grain ? t->begin + grain : n;
        atomic_store_explicit(&tl->next, t->begin, memory_order_relaxed);
        if (ranked) {
            t->pub.cost_hint = job->pub.cost(job->pub.cost_ctx, t->begin, t->end);
            blk->rank[i] = (tile_rank){ t->pub.cost_hint, i };
        }
    }
    /*
     * The first tiles are pushed in one pass through the policy gate with
     * one fence, instead of tpool__push's gate, fence and wake per tile.
     * Wakes: a worker the policy names outside the participants is woken
     * at once, after a fence; every other hint (a participant,
     * TPOOL_WAKE_ANY or TPOOL_WAKE_PREFER: the participants include at
     * least one worker, and a preferred worker's task is anyone's) is
     * served by waking the participants once the first P - 1 tiles are
     * queued, so they start early, and, when more are pushed, once after
     * the last push, so that a participant that found the queue empty in
     * between and parked is brought back.
     */
    size_t early = (size_t)P - 1 < pushed ? (size_t)P - 1 : pushed;
    tpool__thread_rec *rec = tpool__enter(p);
    unsigned from = tpool__slot(p, TPOOL__OUTSIDE);
    for (size_t i = 0; i < pushed; i++) {
        tile_prepare(blk, i);
        int target = ops->push(p->team.pstate, &blk->tiles[i].task.pub, from);
        if (target >= (int)P - 1) { /* a worker that is no participant */
            fence_seq_cst();
            tpool__wake_target(p, target);
        }
        if (i + 1 == early || i + 1 == pushed) {
            fence_seq_cst();
            for (unsigned part = 1; part < P; part++)
                tpool__wake_worker(p, part - 1);
        }
    }
    tpool__leave(rec);

    /* The caller's part, in the order of "Tiles" (the ranks are the
     * caller's: workers never read them): the tiles never pushed, then
     * the pushed ones' items, through their `next`. */
    size_t items = 0, first, last, claimable = ntiles;
    if (ranked)
        qsort(blk->rank, ntiles, sizeof *blk->rank, by_rank);
    else if (!progress)
        items = caller_claim_unpushed(job, blk, merge, t_start, &claimable);
    for (size_t i = 0; i < claimable; i++) {
        tile *tl = &blk->tiles[ranked ? blk->rank[i].index : claimable - 1 - i];
        while (claim(tl, progress, &first, &last)) {
            job->fn(job->ctx, first, last, 0);
            items += last - first;
        }
    }
    caller_finish(p, tls, items);
    block_release(p, blk); /* spent tiles may still be queued: see "Tiles" */
    return 0;
}

/* Runs a job on the pool: everything but the inline cases. Kept out of line
 * so that the inline path below needs no stack frame of its own. */
__attribute__((noinline)) static int run_job(struct tpool *p, size_t n, tpool_range_fn fn,
                                             void *ctx, const tpool_range_opts *opts,
                                             void *cost_ctx)
{
    uint32_t flags = opts ? opts->flags : 0;
    bool flush = flags & TPOOL_FLAG_DISABLE_DENORMALS;

    tpool__tls *tl = tpool__tls_get();
    if (pthread_mutex_trylock(&p->range.lock) != 0) {
        tpool__seats_release_all(tl); /* never asleep seated (seats.h) */
        pthread_mutex_lock(&p->range.lock);
    }
    tpool__job_settle(p); /* before a seat: it may wait for a worker */
    /* The caller works for p from here: its own items need a seat. */
    tpool__frame frame;
    tpool__frame_push(tl, &frame, p, TPOOL__OUTSIDE, false);
    tpool__frame_seat(tl, &frame);
    tpool__frame_clock(&frame, true);
    add_relaxed(&p->tasks.parallel_calls, 1);

    tpool__job *job = &p->range.job;
    job->fn = fn;
    job->ctx = ctx;
    job->flags = flags;
    job->via_tasks = p->team.policy.ops.range_next == NULL;
    job->pub.n = n;
    unsigned threads = ld_relaxed(&p->team.threads); /* stable: resizes take range.lock */
    job->pub.participants = threads < n ? threads : (unsigned)n;
    job->pub.priority = opts ? opts->priority : 0;
    job->pub.cost = opts && opts->cost ? opts->cost : NULL;
    job->pub.cost_ctx = cost_ctx ? cost_ctx : ctx;
    /* Only when needed: a caller that ran every item left it at 0, and the
     * line is the one workers write `active` on ("Settling"). */
    if (ld_relaxed(&job->done) != 0)
        atomic_store_explicit(&job->done, 0, memory_order_relaxed);

    unsigned fpu = tpool__fpu_enter(flush);
    int rc = 0;
    if (job->via_tasks)
        rc = run_tile_path(p, tl, frame.since);
    else
        rc = run_range_path(p, tl);
    tpool__fpu_leave(flush, fpu);

    /* caller_wait gave the seat back (an error return did not wait). */
    tpool__frame_close(&frame);
    if (frame.seated)
        tpool__seat_release(p);
    frame.seated = false;
    pthread_mutex_unlock(&p->range.lock);
    tpool__frame_pop(tl, &frame);
    return rc;
}

/* Runs fn over [0, n) on the calling thread, as participant `part`, with
 * the call's FTZ/DAZ setting. */
static void run_here(size_t n, tpool_range_fn fn, void *ctx, const tpool_range_opts *opts,
                     unsigned part)
{
    if (!opts || !(opts->flags & TPOOL_FLAG_DISABLE_DENORMALS)) {
        fn(ctx, 0, n, part);
        return;
    }
    unsigned fpu = tpool__fpu_enter(true);
    fn(ctx, 0, n, part);
    tpool__fpu_leave(true, fpu);
}

/*
 * The call runs on the caller alone: no pool, no parallelism, too little
 * work, or nested in a task or parallel-for of the same pool. A thread that
 * works for p already runs it with the seat it has; any other takes one
 * (seats.h) and works for p meanwhile (a frame), so that what the body
 * calls knows it.
 */
static void run_inline(struct tpool *p, size_t n, tpool_range_fn fn, void *ctx,
                       const tpool_range_opts *opts)
{
    if (!p) {
        run_here(n, fn, ctx, opts, 0);
        return;
    }
    tpool__tls *tl = tpool__tls_get();
    tpool__frame *f = tpool__frame_find(tl, p);
    if (f || tpool__solo_mine(p)) {
        /* Nested in a worker: report its participant index. */
        unsigned part = f && ld_relaxed(&p->team.threads) > 1
                            ? tpool_slot_participant(f->slot, ld_relaxed(&p->team.workers))
                            : 0;
        if (f && !f->seated)
            tpool__frame_seat(tl, f);
        run_here(n, fn, ctx, opts, part);
        if (tl->top && !tl->top->seated)
            tpool__frame_seat(tl, tl->top);
        return;
    }
    if (tpool__solo_enter(p)) { /* a one-thread pool (the FTZ/DAZ case) */
        run_here(n, fn, ctx, opts, 0);
        tpool__solo_leave(p);
        return;
    }
    tpool__frame frame;
    tpool__frame_push(tl, &frame, p, TPOOL__OUTSIDE, false);
    tpool__frame_seat(tl, &frame);
    tpool__frame_clock(&frame, true);
    run_here(n, fn, ctx, opts, 0);
    tpool__frame_close(&frame);
    if (frame.seated)
        tpool__seat_release(p);
    frame.seated = false;
    tpool__frame_pop(tl, &frame);
}

int tpool__parallel_range_run(struct tpool *p, size_t n, size_t work, tpool_range_fn fn,
                              void *ctx, const tpool_range_opts *opts, void *cost_ctx)
{
    if (!p || ld_relaxed(&p->team.threads) == 1 || work < ld_relaxed(&p->mode.min_work_size) || n == 1
        || tpool__works_for(p)) {
        run_inline(p, n, fn, ctx, opts);
        return 0;
    }
    return run_job(p, n, fn, ctx, opts, cost_ctx);
}

/* Everything but the fast case of parallel_range. */
__attribute__((noinline)) static int parallel_range_slow(struct tpool *p, size_t n, size_t work,
                                                         tpool_range_fn fn, void *ctx,
                                                         const tpool_range_opts *opts,
                                                         void *cost_ctx)
{
    if (p && tpool__forked(p))
        return TPOOL_ESHUTDOWN; /* inherited through fork(): no workers here */
    if (p && __builtin_expect(p->record.id != 0, 0))
        return p->record.hooks->range(p, n, work, fn, ctx, opts, cost_ctx);
    return tpool__parallel_range_run(p, n, work, fn, ctx, opts, cost_ctx);
}

/*
 * The fast case first: a pool of one thread (or none) without FTZ/DAZ, and
 * not recorded, runs the body at once, participant 0, holding the pool's
 * one seat in the solo form (seats.h), with no thread-local read and no
 * stack frame (docs/PERFORMANCE.md, target 9: instructions per dispatch at
 * one thread, counted by harness/callgrind-dispatch.sh).
 */
static inline int parallel_range(struct tpool *p, size_t n, size_t work, tpool_range_fn fn,
                                 void *ctx, const tpool_range_opts *opts, void *cost_ctx)
{
    if (!fn)
        return TPOOL_EINVAL;
    if (n == 0)
        return 0;
    if (!opts || !(opts->flags & TPOOL_FLAG_DISABLE_DENORMALS)) {
        if (!p) {
            fn(ctx, 0, n, 0);
            return 0;
        }
        if (tpool__solo_enter(p)) { /* T == 1, not recorded */
            fn(ctx, 0, n, 0);
            tpool__solo_leave(p);
            return 0;
        }
    }
    return parallel_range_slow(p, n, work, fn, ctx, opts, cost_ctx);
}

int tpool__parallel_range(struct tpool *p, size_t n, size_t work, tpool_range_fn fn,
                          void *ctx, const tpool_range_opts *opts, void *cost_ctx)
{
    return parallel_range(p, n, work, fn, ctx, opts, cost_ctx);
}

int tpool_parallel_range(tpool *p, size_t n, tpool_range_fn fn, void *ctx,
                         const tpool_range_opts *opts)
{
    return parallel_range(p, n, n, fn, ctx, opts, NULL);
}
