/*
 * exec.c - what a workload sees of an executor (tpool-bench.h's
 * tpool_bench_exec): a parallel-for, a 2-d tiled parallel-for and tasks in
 * groups, on each kind of executor.
 *
 * Each kind is a backend: how it runs a range, and, where it can, how it
 * makes a group, submits a task to it and waits for it, and what it needs
 * around a run (OpenMP tasks run inside a parallel region, oneTBB's inside
 * the executor's arena). The services
 * record, on their way through, what the calling participant handed out
 * (bench_rec_dispatch) and what each callback ran (bench_rec_items, by the
 * task's record for tasks), so that every workload gets the same
 * exactly-once check and imbalance figure whatever it runs on.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* tpool's own pthreadpool.h (include/, first on the include path): its
 * pthreadpool_t is a tpool *, and libtpool.so exports the drop-in, so the
 * 2-d service runs the drop-in's pthreadpool_parallelize_2d_tile_2d on
 * tpool pools as any program linking libtpool may (the same call Debian's
 * library gets on its own pools). */
#include "pthreadpool.h"
#ifndef TPOOL_PTHREADPOOL_H
#error "this needs tpool's include/pthreadpool.h, not the system's"
#endif

/* ---- a backend per kind ---------------------------------------------------------- */

typedef struct backend {
    const char *name; /* tpool_bench_exec.kind */
    /* Tasks (NULL: the kind offers none). A group is the backend's own
     * pointer; submit queues bench_task_run(t) in it. */
    int (*group_create)(const bench_exec *ex, void **g);
    int (*submit)(const bench_exec *ex, void *g, bench_task *t);
    int (*group_wait)(const bench_exec *ex, void *g);
    /* Around a run (NULL: call it directly). */
    int (*run)(const bench_exec *ex, int (*fn)(void *), void *arg);
} backend;

/* A group of a backend without groups of its own: any non-NULL pointer. */
static char no_group;

/* serial: a task runs when it is submitted */

static int serial_group_create(const bench_exec *ex, void **g)
{
    (void)ex;
    *g = &no_group;
    return 0;
}

static int serial_submit(const bench_exec *ex, void *g, bench_task *t)
{
    (void)ex, (void)g;
    bench_task_run(t);
    return 0;
}

static int serial_group_wait(const bench_exec *ex, void *g)
{
    (void)ex, (void)g;
    return 0;
}

/* tpool: a group is a tpool_group */

static int tpool_group_create_(const bench_exec *ex, void **g)
{
    return tpool_group_create(ex->pool, (tpool_group **)g);
}

static void task_fn(void *arg)
{
    bench_task_run(arg);
}

static int tpool_submit_(const bench_exec *ex, void *g, bench_task *t)
{
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = g;
    a.priority = t->priority;
    a.cost_hint = t->cost_hint;
    return tpool_submit(ex->pool, task_fn, t, &a);
}

static int tpool_group_wait_(const bench_exec *ex, void *g)
{
    (void)ex;
    int rc = tpool_group_wait(g);
    tpool_group_destroy(g);
    return rc;
}

/* OpenMP: `omp task` and `omp taskwait` inside the run's parallel region */

static int omp_group_create(const bench_exec *ex, void **g)
{
    (void)ex;
    *g = &no_group;
    return 0;
}

static int omp_submit(const bench_exec *ex, void *g, bench_task *t)
{
    (void)ex, (void)g;
    return bench_omp_submit(t);
}

static int omp_group_wait(const bench_exec *ex, void *g)
{
    (void)ex, (void)g;
    return bench_omp_wait();
}

static int omp_run(const bench_exec *ex, int (*fn)(void *), void *arg)
{
    return bench_omp_run(ex->threads, fn, arg);
}

/* oneTBB: a group is a tbb::task_group, run inside the executor's arena */

static int tbb_group_create(const bench_exec *ex, void **g)
{
    (void)ex;
    *g = bench_tbb_group_create();
    return *g ? 0 : TPOOL_ENOMEM;
}

static int tbb_submit(const bench_exec *ex, void *g, bench_task *t)
{
    (void)ex;
    return bench_tbb_submit(g, task_fn, t) ? TPOOL_ENOMEM : 0;
}

static int tbb_group_wait(const bench_exec *ex, void *g)
{
    (void)ex;
    return bench_tbb_group_wait(g) ? TPOOL_EINVAL : 0;
}

static int tbb_run(const bench_exec *ex, int (*fn)(void *), void *arg)
{
    return bench_tbb_run(ex->tbb, fn, arg);
}

static const backend backends[] = {
    [BENCH_EX_SERIAL] = { "serial", serial_group_create, serial_submit, serial_group_wait,
                          NULL },
    [BENCH_EX_TPOOL] = { "tpool", tpool_group_create_, tpool_submit_, tpool_group_wait_,
                         NULL },
    [BENCH_EX_OMP] = { "openmp", omp_group_create, omp_submit, omp_group_wait, omp_run },
    [BENCH_EX_PTP] = { "pthreadpool", NULL, NULL, NULL, NULL },
    [BENCH_EX_TBB] = { "tbb", tbb_group_create, tbb_submit, tbb_group_wait, tbb_run },
};

static const backend *backend_of(const bench_exec *ex)
{
    return &backends[ex->kind];
}

/* Every kind with a range has the 2-d one (linearised where it has none). */
#define RANGE (TPOOL_BENCH_USES_RANGE | TPOOL_BENCH_USES_RANGE_2D)

unsigned bench_exec_offers(enum bench_exec_kind kind, int mode)
{
    switch (kind) {
    case BENCH_EX_SERIAL: return RANGE | TPOOL_BENCH_USES_TASKS;
    case BENCH_EX_TPOOL: return RANGE | TPOOL_BENCH_USES_TASKS | TPOOL_BENCH_USES_POOL;
    case BENCH_EX_OMP:
        /* the loop schedules run parallel-fors, `omp task` runs tasks: a
         * parallel-for inside the task region would nest parallel regions */
        return mode == BENCH_OMP_TASK ? TPOOL_BENCH_USES_TASKS : RANGE;
    case BENCH_EX_TBB: return mode == BENCH_TBB_TASK ? TPOOL_BENCH_USES_TASKS : RANGE;
    case BENCH_EX_PTP: return RANGE;
    }
    return 0;
}

/* ---- running a range body anywhere ------------------------------------------------ */

typedef struct wrap {
    bench_body_fn body;
    void *ctx;
    const uint64_t *cost; /* prefix sums, or NULL */
    uint64_t base;        /* run-wide index of item 0 */
    int trace;
} wrap;

static inline void wrapped(const wrap *w, size_t begin, size_t end, unsigned slot)
{
    uint64_t t0 = w->trace ? bench_now_ns() : 0;
    w->body(w->ctx, begin, end, slot);
    uint64_t work = w->cost ? w->cost[end] - w->cost[begin] : (uint64_t)(end - begin);
    bench_rec_items(slot, w->base + begin, end - begin, work);
    if (w->trace)
        bench_rec_span(slot, t0, bench_now_ns(), w->base + begin);
}

/* Every executor's participant numbers (tpool's, OpenMP's and oneTBB's
 * thread indices) are replaced by the recorder's
 * slot, which is per thread for the whole run: a parallel-for inside a task
 * runs inline with participant numbers of its own, which would collide
 * with those of the threads around it. */
static void tpool_body(void *c, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    wrapped(c, begin, end, bench_rec_slot());
}

static void omp_body(void *c, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    wrapped(c, begin, end, bench_rec_slot());
}

/* pthreadpool gives no thread index: a thread-local slot stands in. */
static void ptp_body(void *c, size_t start, size_t tile)
{
    wrapped(c, start, start + tile, bench_rec_slot());
}

int bench_range(const bench_exec *ex, size_t n, bench_body_fn body, void *ctx,
                const bench_range_opts *opts)
{
    wrap w = { body, ctx, opts ? opts->cost : NULL, bench_rec_take_indices(n), ex->trace };
    bench_rec_dispatch(bench_rec_slot(), w.base, n);
    switch (ex->kind) {
    case BENCH_EX_SERIAL:
        if (n)
            wrapped(&w, 0, n, bench_rec_slot());
        return 0;
    case BENCH_EX_TPOOL:
        return tpool_parallel_range(ex->pool, n, tpool_body, &w, NULL);
    case BENCH_EX_OMP:
        return bench_omp_range(ex->omp_sched, ex->omp_chunk, ex->threads, n, omp_body, &w);
    case BENCH_EX_TBB:
        return bench_tbb_range(ex->tbb, ex->tbb_mode, ex->tbb_grain, n, omp_body, &w);
    case BENCH_EX_PTP:
        if (!ex->ptp || !ex->ptp_pool)
            return -1;
        ex->ptp->parallelize_1d_tile_1d(ex->ptp_pool, ptp_body, &w, n,
                                        opts && opts->ptp_tile ? opts->ptp_tile : 1, 0);
        return 0;
    }
    return -1;
}

/* ---- what the recorder costs --------------------------------------------------------- */

/* An empty body, out of line: the work of a callback without the work. */
__attribute__((noinline)) static void probe_body(void *ctx, size_t begin, size_t end,
                                                 unsigned slot)
{
    __asm__ volatile("" : : "r"(ctx), "r"(begin), "r"(end), "r"(slot) : "memory");
}

/* One callback as an executor makes it: through the recorder's wrapper
 * (the extra call, the slot lookup a pthreadpool tile pays, the record),
 * or straight to the body, the cost the wrapper adds to. */
static void probe_wrapped(uint64_t g)
{
    static const wrap w = { probe_body, NULL, NULL, 0, 0 };
    ptp_body((void *)&w, (size_t)g, 1);
}
static void probe_bare(uint64_t g)
{
    probe_body(NULL, (size_t)g, (size_t)g + 1, 0);
}
static void probe_task(uint64_t g)
{
    bench_rec_task(0, g, 0, 0); /* its items, if any, are a call of their own */
    probe_bare(g);
}
static void probe_clock(uint64_t g)
{
    volatile uint64_t t = bench_now_ns();
    (void)t;
    probe_bare(g);
}

/* Best of several tries of k calls of fn, through a pointer the compiler
 * cannot see through: ns per call. */
static double time_calls(void (*fn)(uint64_t))
{
    void (*volatile call)(uint64_t) = fn;
    const uint64_t k = 1u << 14;
    double best = INFINITY;
    for (int t = 0; t < 9; t++) {
        uint64_t t0 = bench_now_ns();
        for (uint64_t i = 0; i < k; i++)
            call(i);
        double per = (double)(bench_now_ns() - t0) / (double)k;
        if (per < best)
            best = per;
    }
    return best;
}

static bench_rec_costs rec_costs;
static pthread_once_t rec_costs_once = PTHREAD_ONCE_INIT;

static void calibrate_recorder(void)
{
    /* On the real recorder, between runs: the slots are zeroed again
     * before the next run (bench_rec_reset). */
    bench_rec_reset(0, 0, 0);
    double bare = time_calls(probe_bare);
    double items = time_calls(probe_wrapped) - bare;
    double task = time_calls(probe_task) - bare;
    double clock = time_calls(probe_clock) - bare;
    rec_costs.per_call = items > 0 ? items : 0;
    rec_costs.per_task = task > 0 ? task : 0;
    rec_costs.per_clock = clock > 0 ? clock : 0;
    bench_rec_reset(0, 0, 0);
}

const bench_rec_costs *bench_rec_calibrate(void)
{
    pthread_once(&rec_costs_once, calibrate_recorder);
    return &rec_costs;
}

/* ---- the services ------------------------------------------------------------------ */

static const bench_exec *impl(const tpool_bench_exec *pub)
{
    return pub->impl;
}

/* The members of a workload's options struct that its struct_size covers. */
static bench_range_opts range_opts(const tpool_bench_range_opts *o)
{
    bench_range_opts r = { NULL, 0 };
    if (!o)
        return r;
    if (o->struct_size >= offsetof(tpool_bench_range_opts, cost) + sizeof o->cost)
        r.cost = o->cost;
    if (o->struct_size >= offsetof(tpool_bench_range_opts, tile) + sizeof o->tile)
        r.ptp_tile = o->tile;
    return r;
}

static int svc_parallel_for(const tpool_bench_exec *pub, size_t n, tpool_bench_range_fn fn,
                            void *ctx, const tpool_bench_range_opts *opts)
{
    if (!fn)
        return TPOOL_EINVAL;
    bench_range_opts o = range_opts(opts);
    return bench_range(impl(pub), n, fn, ctx, &o);
}

/* 2-d: the tiles of an ni x nj range, numbered row by row. */
typedef struct tiles2d {
    tpool_bench_tile2d_fn fn;
    void *ctx;
    size_t ni, nj, ti, tj, ntj;
    const uint64_t *cost;
    uint64_t base; /* run-wide index of tile 0 */
    int trace;
} tiles2d;

/* One tile as pthreadpool_parallelize_2d_tile_2d hands it out, recorded by its
 * number. */
static void tile_2d(void *c, size_t i, size_t j, size_t ti, size_t tj)
{
    const tiles2d *t = c;
    uint64_t t0 = t->trace ? bench_now_ns() : 0;
    t->fn(t->ctx, i, j, ti, tj);
    unsigned slot = bench_rec_slot();
    uint64_t k = (uint64_t)(i / t->ti) * t->ntj + j / t->tj;
    bench_rec_items(slot, t->base + k, 1, t->cost ? t->cost[k + 1] - t->cost[k] : 1);
    if (t->trace)
        bench_rec_span(slot, t0, bench_now_ns(), t->base + k);
}

/* Tiles by number, for the executors without a 2-d call (through
 * bench_range, which records them). */
static void tiles_linear(void *c, size_t begin, size_t end, unsigned slot)
{
    const tiles2d *t = c;
    (void)slot;
    for (size_t k = begin; k < end; k++) {
        size_t i = (k / t->ntj) * t->ti, j = (k % t->ntj) * t->tj;
        t->fn(t->ctx, i, j, t->ni - i < t->ti ? t->ni - i : t->ti,
              t->nj - j < t->tj ? t->nj - j : t->tj);
    }
}

static int svc_parallel_for_2d(const tpool_bench_exec *pub, size_t ni, size_t nj, size_t ti,
                               size_t tj, tpool_bench_tile2d_fn fn, void *ctx,
                               const tpool_bench_range_opts *opts)
{
    const bench_exec *ex = impl(pub);
    if (!fn || ((ni && nj) && (!ti || !tj)))
        return TPOOL_EINVAL;
    if (!ni || !nj)
        return 0;
    bench_range_opts o = range_opts(opts);
    tiles2d t = { fn, ctx, ni, nj, ti, tj, (nj + tj - 1) / tj, o.cost, 0, ex->trace };
    size_t ntiles = ((ni + ti - 1) / ti) * t.ntj;
    switch (ex->kind) {
    case BENCH_EX_TPOOL:
    case BENCH_EX_PTP:
        t.base = bench_rec_take_indices(ntiles);
        bench_rec_dispatch(bench_rec_slot(), t.base, ntiles);
        if (ex->kind == BENCH_EX_PTP) {
            if (!ex->ptp || !ex->ptp_pool)
                return -1;
            ex->ptp->parallelize_2d_tile_2d(ex->ptp_pool, tile_2d, &t, ni, nj, ti, tj, 0);
            return 0;
        }
        pthreadpool_parallelize_2d_tile_2d((pthreadpool_t)(void *)ex->pool, tile_2d, &t, ni, nj,
                                           ti, tj, 0);
        return 0;
    default:
        return bench_range(ex, ntiles, tiles_linear, &t, &o);
    }
}

static int svc_group_create(const tpool_bench_exec *pub, tpool_bench_group **out)
{
    const bench_exec *ex = impl(pub);
    const backend *b = backend_of(ex);
    if (!out)
        return TPOOL_EINVAL;
    *out = NULL;
    if (!b->group_create)
        return TPOOL_EINVAL;
    void *g = NULL;
    int rc = b->group_create(ex, &g);
    *out = rc ? NULL : g;
    return rc;
}

static int svc_submit(const tpool_bench_exec *pub, tpool_bench_group *g, tpool_bench_task_fn fn,
                      void *arg, const tpool_bench_task_attr *attr)
{
    const bench_exec *ex = impl(pub);
    const backend *b = backend_of(ex);
    if (!b->submit || !g || !fn)
        return TPOOL_EINVAL;
    bench_task *t = bench_task_new(fn, arg, attr);
    if (!t)
        return TPOOL_ENOMEM;
    return b->submit(ex, g, t);
}

static int svc_group_wait(const tpool_bench_exec *pub, tpool_bench_group *g)
{
    const bench_exec *ex = impl(pub);
    const backend *b = backend_of(ex);
    if (!b->group_wait || !g)
        return TPOOL_EINVAL;
    return b->group_wait(ex, g);
}

void bench_exec_init(bench_exec *ex, const char *label)
{
    tpool_bench_exec *p = &ex->pub;
    memset(p, 0, sizeof *p);
    p->abi_version = TPOOL_BENCH_ABI_VERSION;
    p->struct_size = sizeof *p;
    p->kind = backend_of(ex)->name;
    p->label = label ? label : p->kind;
    p->threads = ex->threads;
    p->offers = bench_exec_offers(ex->kind, bench_exec_mode(ex->kind, ex->omp_sched,
                                                             ex->tbb_mode));
    p->pool = ex->kind == BENCH_EX_TPOOL ? ex->pool : NULL;
    p->parallel_for = svc_parallel_for;
    p->parallel_for_2d = svc_parallel_for_2d;
    p->group_create = svc_group_create;
    p->submit = svc_submit;
    p->group_wait = svc_group_wait;
    p->impl = ex;
}

/* ---- a run --------------------------------------------------------------------------- */

typedef struct run_arg {
    const tpool_bench_workload *w;
    void *state;
    const tpool_bench_exec *ex;
} run_arg;

static int call_run(void *arg)
{
    const run_arg *a = arg;
    return a->w->run(a->state, a->ex);
}

int bench_exec_run(const bench_exec *ex, const tpool_bench_workload *w, void *state)
{
    run_arg a = { w, state, &ex->pub };
    const backend *b = backend_of(ex);
    /* A kind's wrapper is for its tasks: a parallel-for of OpenMP opens its
     * own region. */
    if (b->run && (w->uses & TPOOL_BENCH_USES_TASKS))
        return b->run(ex, call_run, &a);
    return call_run(&a);
}
