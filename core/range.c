/*
 * range.c - parallel-for over [0, n) through the policy.
 *
 * Callers are serialised by job_lock; the job lives in the pool and is
 * reused. Two ways to run it:
 *   - range path (the policy has range_next): the caller publishes the job by
 *     making job_seq odd (release), wakes participants 1..P-1 and works as
 *     participant 0. Each participant adds what it processed to `done` once;
 *     the caller waits for done == n, closes the job (job_seq even) and waits
 *     until no worker is inside it (`active`), so the policy's job state and
 *     the job fields can be reused. A worker enters by incrementing `active`
 *     and only then reading job_seq (both seq_cst), so either the caller
 *     sees it active or it sees the job closed.
 *   - tile path (no range_next): the range is cut into tiles that are pushed
 *     as tasks through the policy's own push/pop; the caller pops and runs
 *     work from the outside slot until done == n. Every tile is popped before
 *     it finishes, so no tile is left in a queue when the call returns.
 * `wake` is a generation counter the caller sleeps on; a stale increment can
 * only cause a spurious wake-up, never an early return.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "clock.h"
#include "fpu.h"
#include "pool.h"

/* Adds a participant's items to `done` and wakes the caller at the end.
 * `n` is read by the caller of this function while the job was surely still
 * running: once `done` reaches n the next job may overwrite the fields. */
static void job_add_done(tpool__job *job, size_t n, size_t items)
{
    if (items == 0)
        return;
    size_t after = atomic_fetch_add(&job->done, items) + items;
    if (after == n) {
        atomic_fetch_add(&job->wake, 1);
        if (atomic_load(&job->caller_sleeping))
            tpool__futex_wake(&job->wake, 1);
    }
}

/* Runs participant `part`'s share through range_next; returns the items. */
static size_t run_share(struct tpool *p, unsigned part)
{
    tpool__job *job = &p->job;
    int (*next)(void *, unsigned, size_t *, size_t *) = p->policy.ops.range_next;
    size_t begin, end, items = 0;
    while (next(p->pstate, part, &begin, &end)) {
        job->fn(job->ctx, begin, end, part);
        items += end - begin;
    }
    return items;
}

uint32_t tpool__job_join(struct tpool *p, unsigned w)
{
    tpool__job *job = &p->job;
    tpool__worker *wk = tpool__worker_at(p, w);
    uint32_t flags = 0;
    atomic_fetch_add(&job->active, 1);
    uint32_t s = atomic_load(&p->job_seq);
    wk->seen_job = s;
    unsigned part = tpool__participant_of(w);
    if ((s & 1u) && part < job->pub.participants) {
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

void tpool__run_tile(struct tpool *p, tpool__task *t, unsigned slot)
{
    tpool__job *job = &p->job;
    /* W is stable while a job runs: resizes take job_lock. */
    unsigned part = slot < ld_relaxed(&p->workers) ? tpool__participant_of(slot) : 0;
    size_t items = t->end - t->begin, n = job->pub.n;
    bool flush = job->flags & TPOOL_FLAG_DISABLE_DENORMALS;
    unsigned fpu = tpool__fpu_enter(flush);
    job->fn(job->ctx, t->begin, t->end, part);
    tpool__fpu_leave(flush, fpu);
    add_relaxed(&tpool__counters_of(p, slot)->items_run, items);
    job_add_done(job, n, items); /* the last touch of the tile and the job */
}

/* The caller waits for done == n: spins for the spin budget, then sleeps.
 * In the tile path it keeps running whatever the outside slot is handed. */
static void caller_wait(struct tpool *p, bool help)
{
    tpool__job *job = &p->job;
    unsigned slot = TPOOL__OUTSIDE;
    uint64_t deadline = 0;
    for (unsigned i = 1; atomic_load(&job->done) != job->pub.n; i++) {
        if (help) {
            tpool__task *t = tpool__pop(p, slot);
            if (t) {
                tpool__run_task(p, t, slot);
                continue;
            }
        }
        tpool__cpu_relax();
        if ((i & 63u) != 0)
            continue;
        uint64_t now = tpool__now_ns();
        if (deadline == 0)
            deadline = now + p->spin_ns;
        if (now < deadline)
            continue;
        uint32_t gen = atomic_load(&job->wake);
        atomic_store(&job->caller_sleeping, 1);
        if (atomic_load(&job->done) != job->pub.n)
            tpool__futex_wait(&job->wake, gen);
        atomic_store(&job->caller_sleeping, 0);
        deadline = 0;
    }
}

static void run_range_path(struct tpool *p)
{
    tpool__job *job = &p->job;
    const tpool_policy *ops = &p->policy.ops;
    if (ops->range_begin)
        ops->range_begin(p->pstate, &job->pub);

    uint32_t s = ld_relaxed(&p->job_seq) + 1; /* odd: open */
    st_release(&p->job_seq, s);
    fence_seq_cst();
    for (unsigned part = 1; part < job->pub.participants; part++)
        tpool__wake_worker(p, part - 1);

    size_t items = run_share(p, 0);
    add_relaxed(&p->outside.items_run, items);
    job_add_done(job, job->pub.n, items);
    caller_wait(p, false);

    atomic_store(&p->job_seq, s + 1); /* even: closed */
    while (atomic_load_explicit(&job->active, memory_order_acquire) != 0)
        tpool__cpu_relax();
    if (ops->range_end)
        ops->range_end(p->pstate);
}

static int run_tile_path(struct tpool *p)
{
    tpool__job *job = &p->job;
    const tpool_policy *ops = &p->policy.ops;
    size_t n = job->pub.n;
    size_t grain = ops->range_grain ? ops->range_grain(p->pstate, &job->pub) : 0;
    /* Fallback: about 4 tiles per participant. Divisions round up without
     * forming n + d - 1, which wraps for n near SIZE_MAX. */
    size_t quarter = 4 * (size_t)job->pub.participants;
    if (grain == 0)
        grain = n / quarter + (n % quarter != 0);
    size_t ntiles = n / grain + (n % grain != 0);
    if (ntiles > job->tiles_cap) {
        /* A tile count whose array does not fit the address space (a tiny
         * "tile" on a huge range) is no memory, not a wrapped size. */
        if (ntiles > PTRDIFF_MAX / sizeof(tpool__task))
            return TPOOL_ENOMEM;
        tpool__task *tiles = realloc(job->tiles, ntiles * sizeof *tiles);
        if (!tiles)
            return TPOOL_ENOMEM;
        job->tiles = tiles;
        job->tiles_cap = ntiles;
    }
    /*
     * Every tile is pushed in one pass through the policy gate with one
     * fence, instead of tpool__push's gate, fence and wake per tile (which
     * made a queue policy's dispatch grow with the tile count). Wakes: a
     * worker the policy names outside the participants is woken at once,
     * after a fence; every other hint (a participant, or TPOOL_WAKE_ANY:
     * the participants include at least one worker) is served by waking
     * the participants, once after their first tiles are queued, so they
     * start early, and once after the last push, so that a participant
     * that found the queue empty in between and parked is brought back.
     */
    unsigned P = job->pub.participants;
    size_t early = (size_t)P - 1 < ntiles ? (size_t)P - 1 : ntiles;
    uint64_t now = tpool__now_ns();
    tpool__thread_rec *rec = tpool__enter(p);
    unsigned from = tpool__slot(p, TPOOL__OUTSIDE);
    for (size_t i = 0; i < ntiles; i++) {
        tpool__task *t = &job->tiles[i];
        t->kind = TASK_TILE;
        t->begin = i * grain; /* i < ntiles: below n */
        t->end = n - t->begin > grain ? t->begin + grain : n;
        t->pub.next = NULL;
        t->pub.policy_data[0] = t->pub.policy_data[1] = 0;
        t->pub.priority = job->pub.priority;
        t->pub.preferred_worker = -1;
        t->pub.cost_hint = job->pub.cost ? job->pub.cost(job->pub.cost_ctx, t->begin, t->end)
                                         : (uint64_t)(t->end - t->begin);
        t->pub.seq = add_relaxed(&p->seq, 1);
        t->pub.submit_ns = now;
        int target = ops->push(p->pstate, &t->pub, from);
        if (target >= (int)P - 1) { /* a worker that is no participant */
            fence_seq_cst();
            tpool__wake_target(p, target);
        }
        if (i + 1 == early) {
            fence_seq_cst();
            for (unsigned part = 1; part < P; part++)
                tpool__wake_worker(p, part - 1);
        }
    }
    fence_seq_cst();
    for (unsigned part = 1; part < P; part++)
        tpool__wake_worker(p, part - 1);
    tpool__leave(rec);
    caller_wait(p, true);
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

    pthread_mutex_lock(&p->job_lock);
    tpool__tls *tl = tpool__tls_get();
    struct tpool *saved_pool = tl->pool;
    unsigned saved_slot = tl->slot;
    tl->pool = p;
    tl->slot = TPOOL__OUTSIDE;
    add_relaxed(&p->parallel_calls, 1);

    tpool__job *job = &p->job;
    job->fn = fn;
    job->ctx = ctx;
    job->flags = flags;
    job->via_tasks = p->policy.ops.range_next == NULL;
    job->pub.n = n;
    unsigned threads = ld_relaxed(&p->threads); /* stable: resizes take job_lock */
    job->pub.participants = threads < n ? threads : (unsigned)n;
    job->pub.priority = opts ? opts->priority : 0;
    job->pub.cost = opts && opts->cost ? opts->cost : NULL;
    job->pub.cost_ctx = cost_ctx ? cost_ctx : ctx;
    atomic_store_explicit(&job->done, 0, memory_order_relaxed);
    atomic_store_explicit(&job->caller_sleeping, 0, memory_order_relaxed);

    uint64_t t0 = tpool__now_ns();
    unsigned fpu = tpool__fpu_enter(flush);
    int rc = 0;
    if (job->via_tasks)
        rc = run_tile_path(p);
    else
        run_range_path(p);
    tpool__fpu_leave(flush, fpu);
    add_relaxed(&p->outside.busy_ns, tpool__now_ns() - t0);

    tl->pool = saved_pool;
    tl->slot = saved_slot;
    pthread_mutex_unlock(&p->job_lock);
    return rc;
}

/* The call runs on the caller alone: no pool, no parallelism, too little
 * work, or nested in a task or parallel-for of the same pool. */
static void run_inline(struct tpool *p, size_t n, tpool_range_fn fn, void *ctx,
                       const tpool_range_opts *opts)
{
    unsigned part = 0;
    /* Nested in a worker: report its participant index. Only a pool of
     * several threads has such callers, and the thread-locals (a call into
     * ld.so from a shared library) are read only then. */
    if (p && ld_relaxed(&p->threads) > 1 && tpool__tl.pool == p
        && tpool__tl.slot < ld_relaxed(&p->workers))
        part = tpool__participant_of(tpool__tl.slot);
    if (!opts || !(opts->flags & TPOOL_FLAG_DISABLE_DENORMALS)) {
        fn(ctx, 0, n, part);
        return;
    }
    unsigned fpu = tpool__fpu_enter(true);
    fn(ctx, 0, n, part);
    tpool__fpu_leave(true, fpu);
}

/* Everything but the fast case of parallel_range. */
__attribute__((noinline)) static int parallel_range_slow(struct tpool *p, size_t n, size_t work,
                                                         tpool_range_fn fn, void *ctx,
                                                         const tpool_range_opts *opts,
                                                         void *cost_ctx)
{
    if (p && tpool__forked(p))
        return TPOOL_ESHUTDOWN; /* inherited through fork(): no workers here */
    if (!p || ld_relaxed(&p->threads) == 1 || work < ld_relaxed(&p->min_work_size) || n == 1
        || tpool__tl.pool == p) {
        run_inline(p, n, fn, ctx, opts);
        return 0;
    }
    return run_job(p, n, fn, ctx, opts, cost_ctx);
}

/*
 * The fast case first: a pool of one thread (or none) without FTZ/DAZ runs
 * the body at once, participant 0, with no thread-local read and no stack
 * frame (docs/PERFORMANCE.md, target 9: instructions per dispatch at one
 * thread, counted by harness/callgrind-dispatch.sh).
 */
static inline int parallel_range(struct tpool *p, size_t n, size_t work, tpool_range_fn fn,
                                 void *ctx, const tpool_range_opts *opts, void *cost_ctx)
{
    if (!fn)
        return TPOOL_EINVAL;
    if (n == 0)
        return 0;
    if ((!p || ld_relaxed(&p->threads) == 1)
        && (!opts || !(opts->flags & TPOOL_FLAG_DISABLE_DENORMALS))) {
        fn(ctx, 0, n, 0);
        return 0;
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
