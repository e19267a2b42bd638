/*
 * stealing.c - work stealing: a Chase-Lev deque per worker, an injection
 * queue for tasks from outside, and a parallel-for whose shares are split
 * by thieves with one compare-and-swap.
 *
 * Tasks. A worker pushes at the bottom of its own deque and pops there too
 * (last in, first out: a fork-join task that waits runs its own children
 * first, depth-first, while thieves take the oldest, largest pieces from the
 * top). Outside threads push into the injection queue (first in, first
 * out). pop(w) looks at w's deque, then the injection queue, then tries
 * `steal_attempts` victims; pop from the outside slot skips the first step.
 * Every push returns TPOOL_WAKE_ANY so that an idle worker comes to steal.
 * Nesting needs no guard here: the core bounds how deep a waiting thread
 * runs tasks on its stack, for every policy.
 *
 * Emptiness tests are relaxed loads with no fence: the core fences after
 * each push and before a worker's last pop before it sleeps, which orders
 * them against the pusher's stores (policy-abi.md, "Memory-ordering
 * contract").
 *
 * Parallel-for. Participant p owns a word `range` holding its remaining
 * items [begin, end) as two 32-bit halves. It takes chunks from the front
 * with a CAS on its own word; a thief that finds its own word empty sweeps
 * the others and CASes away the back `steal_fraction` of a victim's range,
 * runs the first chunk of it and stores the rest into its own word. Every
 * hand-out is a CAS on the one word that holds the items, so each item is
 * handed out once; no counter is shared by all participants. Jobs of more
 * than 2^32 - 1 items count in blocks of `scale` items instead (the
 * smallest scale that fits), so stealing happens in whole blocks; nothing
 * else changes. A value never returns to a word once it left it (the first
 * item of a range that leaves is handed out), so the CASes have no ABA.
 * With adaptive chunks, an owner or thief that measured the items as cheap
 * takes all of what it is about to split once that costs at most
 * `grain_ns` (grain.h): tiny items are not cut into dozens of chunks.
 *
 * Progress (TPOOL_POLICY_PROGRESS): range_next returns 0 only after it saw
 * every word empty, so every item has been handed out or is with a thief
 * between its CAS on the victim and its store into its own word (inside
 * range_next, where the core looks for it); the core takes care of the
 * items of a chunk whose owner is busy.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../grain.h"
#include "deque.h"
#include "tpool-queue.h"

enum { VICTIM_RANDOM = 0, VICTIM_NEIGHBOUR = 1 };
enum { P_VICTIM, P_STEAL_ATTEMPTS, P_CHUNK, P_STEAL_FRACTION, P_GRAIN_NS, P_COUNT };

/* Initial deque size: 2^8 tasks, doubling when full. */
#define STEALING_DEQUE_LOG 8

/* Per slot 0..W (W: the outside slot, which has no deque). */
typedef struct stealing_slot {
    stealing_deque dq; /* worker slots only; the owner is worker `slot` */
    /* Victim choice: a xorshift state. Worker slots: that worker only. The
     * outside slot: several threads, relaxed load and store (a lost update
     * only repeats a random number). */
    _Alignas(TPOOL_CACHELINE) _Atomic uint64_t rng;
    /* Statistics, relaxed adds by the slot's thread(s): tasks stolen and
     * range splits made (range participant 0 counts at the outside slot,
     * participant p >= 1 at worker p - 1). */
    _Atomic uint64_t steals, range_steals;
} stealing_slot;
_Static_assert(sizeof(stealing_slot) % TPOOL_CACHELINE == 0,
               "slots must not share cache lines");

/* Per range participant 0..W: its remaining blocks, (end << 32) | begin.
 * The owner CASes begin forward, thieves CAS end back, relaxed: the word
 * publishes no other data (the core orders the items' results). `grain`
 * times the participant's chunks (grain.h): range_begin and then the
 * participant's thread only. */
typedef struct stealing_part {
    _Alignas(TPOOL_CACHELINE) _Atomic uint64_t range;
    policy_grain grain;
} stealing_part;
_Static_assert(sizeof(stealing_part) == TPOOL_CACHELINE, "one line per participant");

typedef struct stealing {
    /* Injection queue: tpool_taskq (as in the FIFO policy; a
     * mutex-protected list is slower, see the docs). */
    tpool_taskq inject;

    /* Read-only after create, except in resize (which runs alone). */
    _Alignas(TPOOL_CACHELINE) unsigned workers;
    int victim;
    int64_t attempts_param; /* 0 = 2 x workers */
    unsigned attempts;
    uint64_t chunk;         /* items; 0 = adaptive */
    double fraction;
    uint64_t grain_ns;      /* adaptive chunks: see grain.h; 0 = off */
    stealing_slot *slot;    /* W + 1 */
    stealing_part *part;    /* W + 1 */

    /* The range job: written by range_begin, before the core publishes the
     * job (release), read-only while it runs. */
    size_t n;
    uint64_t scale;         /* items per block: 1 unless n > 2^32 - 1 */
    uint64_t chunk_blocks;  /* fixed chunk in blocks, 0 = adaptive */
    unsigned participants;
} stealing;

static const char *const stealing_victims[] = { "random", "neighbour", NULL };

static const tpool_param_desc stealing_params[P_COUNT] = {
    [P_VICTIM] = {
        .name = "victim",
        .type = TPOOL_PARAM_ENUM,
        .description = "order of victims: random start then every other one in turn "
                       "(random), or the next ones by index (neighbour)",
        .choices = stealing_victims, .edefault = VICTIM_RANDOM,
    },
    [P_STEAL_ATTEMPTS] = {
        .name = "steal_attempts",
        .type = TPOOL_PARAM_INT,
        .description = "victims tried per pop before it returns nothing and the "
                       "worker may park; 0 = 2 x workers",
        .imin = 0, .imax = 1 << 20, .idefault = 0,
    },
    [P_CHUNK] = {
        .name = "chunk",
        .type = TPOOL_PARAM_INT,
        .description = "parallel-for items a participant takes from its own share "
                       "at a time; 0 = adaptive (an eighth of what it has left, "
                       "at most 1024, or all of it when that takes at most grain_ns)",
        .imin = 0, .imax = INT64_MAX, .idefault = 0,
    },
    [P_STEAL_FRACTION] = {
        .name = "steal_fraction",
        .type = TPOOL_PARAM_DOUBLE,
        .description = "part of a victim's remaining parallel-for items a thief "
                       "takes (at least one item)",
        .dmin = 0.01, .dmax = 1.0, .ddefault = 0.5,
    },
    [P_GRAIN_NS] = {
        .name = "grain_ns",
        .type = TPOOL_PARAM_INT,
        .description = "adaptive chunks: a participant takes all it would otherwise "
                       "split (its own rest, or a victim's) once that takes at most "
                       "this many ns at the rate it measured on its own chunks; "
                       "0 = never",
        .imin = 0, .imax = 1000000000, .idefault = 1000,
    },
};

/* ---- injection queue ------------------------------------------------------ */

static void inject_push(stealing *s, tpool_task *t)
{
    /* Until the push returns consumers may see the queue end before t; the
     * core's wake after push brings one back. */
    tpool_taskq_push(&s->inject, t);
}

static tpool_task *inject_pop(stealing *s)
{
    return tpool_taskq_pop(&s->inject); /* no lock, no write when empty */
}

/* ---- victims ---------------------------------------------------------------- */

/* A random number in [0, bound) from slot `k`'s state (xorshift64*). */
static unsigned stealing_random(stealing *s, unsigned k, unsigned bound)
{
    uint64_t x = atomic_load_explicit(&s->slot[k].rng, memory_order_relaxed);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    atomic_store_explicit(&s->slot[k].rng, x, memory_order_relaxed);
    return (unsigned)(((x * 0x2545F4914F6CDD1Dull) >> 32) % bound);
}

/* Where a sweep over `nv` victims starts for slot `k`: a random one, or the
 * first (the next index) for "neighbour". */
static unsigned sweep_start(stealing *s, unsigned k, unsigned nv)
{
    return s->victim == VICTIM_RANDOM ? stealing_random(s, k, nv) : 0;
}

/* ---- lifecycle ------------------------------------------------------------- */

static void stealing_destroy(void *state)
{
    stealing *s = state;
    for (unsigned w = 0; w < s->workers; w++)
        stealing_deque_destroy(&s->slot[w].dq);
    free(s->slot);
    free(s->part);
    tpool_taskq_destroy(&s->inject);
    free(s);
}

/* Arrays for W workers: W + 1 slots (deques for 0..W-1) and W + 1 range
 * participants. Returns 0, or -1 with nothing allocated. */
static int alloc_slots(unsigned W, stealing_slot **slot, stealing_part **part)
{
    *slot = aligned_alloc(TPOOL_CACHELINE, (W + 1) * sizeof **slot);
    *part = aligned_alloc(TPOOL_CACHELINE, (W + 1) * sizeof **part);
    unsigned w = 0;
    if (*slot && *part) {
        memset(*slot, 0, (W + 1) * sizeof **slot);
        for (unsigned k = 0; k <= W; k++) {
            atomic_init(&(*slot)[k].rng, 0x9E3779B97F4A7C15ull * (k + 1));
            atomic_init(&(*part)[k].range, 0);
        }
        for (; w < W; w++)
            if (stealing_deque_init(&(*slot)[w].dq, STEALING_DEQUE_LOG) != 0)
                break;
        if (w == W)
            return 0;
    }
    while (w-- > 0)
        stealing_deque_destroy(&(*slot)[w].dq);
    free(*slot);
    free(*part);
    return -1;
}

static unsigned attempts_for(int64_t param, unsigned W)
{
    return param ? (unsigned)param : 2 * W;
}

static int stealing_create(const tpool_policy_env *env, void **out)
{
    stealing *s = aligned_alloc(TPOOL_CACHELINE, sizeof *s);
    if (!s || alloc_slots(env->workers, &s->slot, &s->part) != 0) {
        free(s);
        snprintf(env->errbuf, env->errbuf_size, "out of memory for %u workers",
                 env->workers);
        return -1;
    }
    stealing_slot *slot = s->slot;
    stealing_part *part = s->part;
    memset(s, 0, sizeof *s);
    s->slot = slot;
    s->part = part;
    if (tpool_taskq_init(&s->inject) != 0) {
        for (unsigned w = 0; w < env->workers; w++)
            stealing_deque_destroy(&slot[w].dq);
        free(slot);
        free(part);
        free(s);
        snprintf(env->errbuf, env->errbuf_size, "cannot initialise the injection queue's lock");
        return -1;
    }
    s->workers = env->workers;
    s->victim = (int)env->params[P_VICTIM].i;
    s->attempts_param = env->params[P_STEAL_ATTEMPTS].i;
    s->attempts = attempts_for(s->attempts_param, env->workers);
    s->chunk = (uint64_t)env->params[P_CHUNK].i;
    s->fraction = env->params[P_STEAL_FRACTION].d;
    s->grain_ns = s->chunk == 0 ? (uint64_t)env->params[P_GRAIN_NS].i : 0;
    *out = s;
    return 0;
}

/*
 * A new worker count. The core has drained every slot and nothing else
 * runs, so deques are moved by plain copies. Kept: the injection queue,
 * the surviving workers' deques and counters. The counters of removed
 * workers are added to the outside slot's.
 */
static int stealing_resize(void *state, const tpool_policy_env *env)
{
    stealing *s = state;
    unsigned Wo = s->workers, Wn = env->workers;
    stealing_slot *slot;
    stealing_part *part;
    if (alloc_slots(Wn, &slot, &part) != 0)
        return -1;
    for (unsigned w = 0; w < Wo; w++) {
        stealing_slot *o = &s->slot[w];
        if (w < Wn) {
            /* The fresh deque from alloc_slots makes way for the old one. */
            stealing_deque_destroy(&slot[w].dq);
            stealing_deque *d = &slot[w].dq;
            atomic_init(&d->top, atomic_load_explicit(&o->dq.top, memory_order_relaxed));
            atomic_init(&d->bottom, atomic_load_explicit(&o->dq.bottom, memory_order_relaxed));
            atomic_init(&d->array, atomic_load_explicit(&o->dq.array, memory_order_relaxed));
            atomic_init(&slot[w].rng, atomic_load_explicit(&o->rng, memory_order_relaxed));
            atomic_init(&slot[w].steals, atomic_load_explicit(&o->steals, memory_order_relaxed));
            atomic_init(&slot[w].range_steals,
                        atomic_load_explicit(&o->range_steals, memory_order_relaxed));
            continue;
        }
        /* A removed worker: drained by the core; should anything be left,
         * it goes to the injection queue rather than away. */
        for (void *t; (t = stealing_deque_take(&o->dq)) != NULL;)
            inject_push(s, t);
        stealing_deque_destroy(&o->dq);
        atomic_fetch_add(&slot[Wn].steals, atomic_load(&o->steals));
        atomic_fetch_add(&slot[Wn].range_steals, atomic_load(&o->range_steals));
    }
    atomic_fetch_add(&slot[Wn].steals, atomic_load(&s->slot[Wo].steals));
    atomic_fetch_add(&slot[Wn].range_steals, atomic_load(&s->slot[Wo].range_steals));
    free(s->slot);
    free(s->part);
    s->slot = slot;
    s->part = part;
    s->workers = Wn;
    s->attempts = attempts_for(s->attempts_param, Wn);
    return 0;
}

/* ---- tasks ----------------------------------------------------------------- */

static int stealing_push(void *state, tpool_task *t, unsigned from)
{
    stealing *s = state;
    /* A deque that cannot grow (no memory) sends the task to the injection
     * queue, which never fails. */
    if (from >= s->workers || stealing_deque_push(&s->slot[from].dq, t) != 0)
        inject_push(s, t);
    return TPOOL_WAKE_ANY;
}

/* Tries up to `attempts` victims for slot `k`; NULL when all failed. A
 * victim that looks empty counts as tried; one whose top was taken by
 * another thief (abort) is tried again while attempts remain. */
static tpool_task *steal_task(stealing *s, unsigned k)
{
    unsigned W = s->workers;
    unsigned nv = k < W ? W - 1 : W; /* a worker does not rob itself */
    if (nv == 0)
        return NULL;
    unsigned j = sweep_start(s, k, nv);
    for (unsigned a = 0; a < s->attempts; a++) {
        unsigned v = k < W ? (k + 1 + j) % W : j;
        stealing_deque *dq = &s->slot[v].dq;
        if (stealing_deque_looks_empty(dq)) {
            j = j + 1 == nv ? 0 : j + 1;
            continue;
        }
        void *x;
        int r = stealing_deque_steal(dq, &x);
        if (r == STEALING_GOT) {
            atomic_fetch_add_explicit(&s->slot[k].steals, 1, memory_order_relaxed);
            return x;
        }
        if (r == STEALING_EMPTY)
            j = j + 1 == nv ? 0 : j + 1;
    }
    return NULL;
}

static tpool_task *stealing_pop(void *state, unsigned k)
{
    stealing *s = state;
    int worker = k < s->workers;
    if (worker && !stealing_deque_looks_empty(&s->slot[k].dq)) {
        tpool_task *t = stealing_deque_take(&s->slot[k].dq);
        if (t)
            return t;
    }
    tpool_task *t = inject_pop(s);
    return t ? t : steal_task(s, k);
}

/* ---- parallel-for ------------------------------------------------------------ */

static inline uint64_t pack(uint64_t begin, uint64_t end) { return end << 32 | begin; }
static inline uint64_t lo(uint64_t r) { return r & 0xFFFFFFFFu; }
static inline uint64_t hi(uint64_t r) { return r >> 32; }

static void stealing_range_begin(void *state, const tpool_range_job *job)
{
    stealing *s = state;
    size_t n = job->n;
    unsigned P = job->participants;
    /* Both divisions round up without forming n + d - 1, which wraps for n
     * near SIZE_MAX (and made scale 0). */
    uint64_t scale = n / UINT32_MAX + (n % UINT32_MAX != 0);
    uint64_t blocks = n / scale + (n % scale != 0); /* <= 2^32 - 1 */
    s->n = n;
    s->scale = scale;
    s->participants = P;
    s->chunk_blocks = s->chunk ? (s->chunk + scale - 1) / scale : 0;
    /* Contiguous shares whose sizes differ by at most one block. */
    for (unsigned p = 0; p < P; p++) {
        atomic_store_explicit(&s->part[p].range, pack(blocks * p / P, blocks * (p + 1) / P),
                              memory_order_relaxed);
        policy_grain_reset(&s->part[p].grain);
    }
}

/* Blocks an owner takes from the `left` it holds (left >= 1). Adaptive: an
 * eighth of what is left, between 1 and 1024 items: few CASes while a share
 * is large, single items at the end where balance matters (and all of it
 * when the items are cheap: see `cheap`). */
static uint64_t own_chunk(const stealing *s, uint64_t left)
{
    uint64_t c = s->chunk_blocks;
    if (c == 0) {
        c = left / 8;
        uint64_t cap = (1024 + s->scale - 1) / s->scale;
        if (c > cap)
            c = cap;
        if (c == 0)
            c = 1;
    }
    return c < left ? c : left;
}

/* One range_next call's look at its rate (grain.h): at most one clock
 * read per call. A yes for `left` blocks holds for fewer (a CAS that
 * failed because a thief moved the end back), not for more. */
typedef struct cheap_look {
    int looked;
    uint64_t upto; /* up to this many blocks are cheap */
} cheap_look;

/* Whether participant p may take all `left` blocks it is about to split.
 * No clock read for a few blocks, where it would cost about what the
 * chunks it could save cost. */
static int cheap(stealing *s, unsigned p, uint64_t left, cheap_look *lk)
{
    if (!lk->looked && left > 4) {
        lk->looked = 1;
        lk->upto = policy_grain_cheap(&s->part[p].grain, s->grain_ns, left) ? left : 0;
    }
    return left <= lk->upto;
}

/* Blocks [b, e) as items. Block b < blocks starts below n, so b * scale
 * does not wrap; e * scale may (the last block is partial), hence the
 * comparison in items left. */
static int hand_out(const stealing *s, uint64_t b, uint64_t e, size_t *begin, size_t *end)
{
    size_t first = (size_t)(b * s->scale);
    uint64_t len = (e - b) * s->scale; /* at most the items of the share */
    *begin = first;
    *end = s->n - first > len ? first + (size_t)len : s->n;
    return 1;
}

static int stealing_range_next(void *state, unsigned p, size_t *begin, size_t *end)
{
    stealing *s = state;
    _Atomic uint64_t *mine = &s->part[p].range;

    /* Own share, from the front. Only thieves change it meanwhile, by
     * moving its end back. */
    policy_grain *g = &s->part[p].grain;
    cheap_look lk = { .looked = s->grain_ns == 0, .upto = 0 };
    uint64_t r = atomic_load_explicit(mine, memory_order_relaxed);
    while (lo(r) < hi(r)) {
        uint64_t b = lo(r), left = hi(r) - b, c = own_chunk(s, left);
        if (c < left && cheap(s, p, left, &lk))
            c = left;
        if (atomic_compare_exchange_weak_explicit(mine, &r, pack(b + c, hi(r)),
                                                  memory_order_relaxed, memory_order_relaxed)) {
            policy_grain_took(g, c);
            return hand_out(s, b, b + c, begin, end);
        }
    }

    /* Steal: one pass over every other participant. A victim whose CAS
     * fails is read again (someone made progress there); we move on only
     * from a victim seen empty, so returning 0 means every one was. */
    unsigned P = s->participants;
    if (P < 2)
        return 0;
    unsigned k = tpool_participant_slot(p, s->workers);
    unsigned j = sweep_start(s, k, P - 1);
    for (unsigned tried = 0; tried < P - 1; tried++, j = j + 1 == P - 1 ? 0 : j + 1) {
        unsigned v = (p + 1 + j) % P;
        _Atomic uint64_t *theirs = &s->part[v].range;
        uint64_t rv = atomic_load_explicit(theirs, memory_order_relaxed);
        while (lo(rv) < hi(rv)) {
            uint64_t bv = lo(rv), ev = hi(rv), len = ev - bv;
            uint64_t take = (uint64_t)((double)len * s->fraction + 0.5);
            if (take == 0)
                take = 1;
            if (take > len || (take < len && cheap(s, p, len, &lk)))
                take = len;
            uint64_t mid = ev - take;
            if (!atomic_compare_exchange_weak_explicit(theirs, &rv, pack(bv, mid),
                                                       memory_order_relaxed,
                                                       memory_order_relaxed))
                continue;
            atomic_fetch_add_explicit(&s->slot[k].range_steals, 1, memory_order_relaxed);
            /* [mid, ev) is ours: run its first chunk now, keep the rest
             * where thieves can find it. Our word is empty, so nobody else
             * writes it until this store. */
            uint64_t c = own_chunk(s, take);
            if (c < take && cheap(s, p, take, &lk))
                c = take;
            policy_grain_took(g, c);
            atomic_store_explicit(mine, pack(mid + c, ev), memory_order_relaxed);
            return hand_out(s, mid, mid + c, begin, end);
        }
    }
    return 0;
}

static void stealing_range_end(void *state)
{
    stealing *s = state;
    /* Every word is empty now; zero them so no stale range outlives the job. */
    for (unsigned p = 0; p < s->participants; p++)
        atomic_store_explicit(&s->part[p].range, 0, memory_order_relaxed);
    s->participants = 0;
}

/* ---- statistics ------------------------------------------------------------- */

static const char *const stealing_stat_names[] = { "steals", "range_steals", NULL };

static void stealing_stats_read(void *state, unsigned k, uint64_t *out)
{
    stealing *s = state;
    out[0] = atomic_load_explicit(&s->slot[k].steals, memory_order_relaxed);
    out[1] = atomic_load_explicit(&s->slot[k].range_steals, memory_order_relaxed);
}

static void stealing_stats_reset(void *state)
{
    stealing *s = state;
    for (unsigned k = 0; k <= s->workers; k++) {
        atomic_store_explicit(&s->slot[k].steals, 0, memory_order_relaxed);
        atomic_store_explicit(&s->slot[k].range_steals, 0, memory_order_relaxed);
    }
}

static const tpool_policy stealing_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "stealing",
    .description = "per-worker Chase-Lev deques with stealing; parallel-for shares "
                   "split by thieves",
    .params = stealing_params,
    .nparams = P_COUNT,
    .create = stealing_create,
    .destroy = stealing_destroy,
    .push = stealing_push,
    .pop = stealing_pop,
    .range_begin = stealing_range_begin,
    .range_next = stealing_range_next,
    .range_end = stealing_range_end,
    .resize = stealing_resize,
    .stat_names = stealing_stat_names,
    .stats_read = stealing_stats_read,
    .stats_reset = stealing_stats_reset,
    .flags = TPOOL_POLICY_NO_SUBMIT_TIME | TPOOL_POLICY_NO_SEQ | TPOOL_POLICY_PROGRESS,
};

TPOOL_POLICY_DEFINE(stealing_policy)
