/*
 * workload.c - what every workload shares: the calibrated spin loop, the
 * per-run recorder (and what it costs), running a range body on any
 * executor, and the registry of workloads.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* ---- spin loop ---------------------------------------------------------------- */

/* noinline and a dependent chain: the compiler can neither hoist it out of
 * a body nor shorten it, and its cost is linear in iters. */
__attribute__((noinline)) uint64_t bench_spin(uint64_t iters, uint64_t seed)
{
    uint64_t x = seed;
    for (uint64_t i = 0; i < iters; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    return x;
}

static _Atomic uint64_t calib_bits; /* the double, once calibrated; 0 before */

double bench_calibrate(void)
{
    uint64_t bits = atomic_load_explicit(&calib_bits, memory_order_acquire);
    if (bits) {
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    /* Best of several tries of about a millisecond each: the minimum is the
     * run least disturbed by interrupts and frequency ramp-up. */
    const uint64_t iters = 1u << 20;
    uint64_t best = UINT64_MAX;
    volatile uint64_t sink = 0;
    for (int k = 0; k < 15; k++) {
        uint64_t t0 = bench_now_ns();
        sink += bench_spin(iters, (uint64_t)k);
        uint64_t dt = bench_now_ns() - t0;
        if (dt < best)
            best = dt;
    }
    (void)sink;
    double per_ns = (double)iters / (double)(best ? best : 1);
    memcpy(&bits, &per_ns, sizeof bits);
    atomic_store_explicit(&calib_bits, bits, memory_order_release);
    return per_ns;
}

uint64_t bench_ns_to_iters(double ns)
{
    double it = ns * bench_calibrate();
    return it < 1 ? (ns > 0 ? 1 : 0) : (uint64_t)(it + 0.5);
}

/* ---- recorder ------------------------------------------------------------------ */

bench_rec bench_g_rec;

static _Thread_local uint32_t tl_epoch; /* 0 never matches: epochs start at 1 */
static _Thread_local unsigned tl_slot;

unsigned bench_rec_slot(void)
{
    uint32_t e = atomic_load_explicit(&bench_g_rec.epoch, memory_order_relaxed);
    if (tl_epoch != e) {
        tl_slot = atomic_fetch_add_explicit(&bench_g_rec.next_slot, 1, memory_order_relaxed);
        tl_epoch = e;
    }
    return tl_slot < BENCH_MAX_SLOTS ? tl_slot : BENCH_NO_SLOT;
}

void bench_rec_overflow(uint64_t first, uint64_t n)
{
    bench_rec *r = &bench_g_rec;
    uint64_t s1 = bench_sum1(n);
    atomic_fetch_add_explicit(&r->overflow, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->ovf_items, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->ovf_isum, n * first + s1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->ovf_isq, n * first * first + 2 * first * s1 + bench_sum2(n),
                              memory_order_relaxed);
}

/* For the C++ of baselines_tbb.cc, which cannot include bench.h. */
void bench_rec_spawned(unsigned producer)
{
    bench_rec_task(producer, 0, 0, 0);
}

int bench_rec_reset(int trace, unsigned trace_slots, uint32_t cap)
{
    bench_rec *r = &bench_g_rec;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        bench_slot *s = &r->slots[i];
        s->calls = s->items = s->work = s->isum = s->isq = s->tasks = s->own = 0;
        s->nev = 0;
        s->dropped = 0;
        int want = trace && i < trace_slots && cap > 0;
        if (want && s->evcap != cap) {
            bench_event *ev = realloc(s->ev, (size_t)cap * sizeof *ev);
            if (!ev)
                return -1;
            s->ev = ev;
            s->evcap = cap;
        } else if (!want) {
            free(s->ev);
            s->ev = NULL;
            s->evcap = 0;
        }
    }
    r->trace = trace;
    r->dispatched = 0;
    atomic_store_explicit(&r->next_slot, 0, memory_order_relaxed);
    atomic_store_explicit(&r->overflow, 0, memory_order_relaxed);
    atomic_store_explicit(&r->ovf_items, 0, memory_order_relaxed);
    atomic_store_explicit(&r->ovf_isum, 0, memory_order_relaxed);
    atomic_store_explicit(&r->ovf_isq, 0, memory_order_relaxed);
    uint32_t e = atomic_load_explicit(&r->epoch, memory_order_relaxed) + 1;
    atomic_store_explicit(&r->epoch, e ? e : 1, memory_order_relaxed);
    return 0;
}

void bench_rec_free(void)
{
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        free(bench_g_rec.slots[i].ev);
        bench_g_rec.slots[i].ev = NULL;
        bench_g_rec.slots[i].evcap = 0;
        bench_g_rec.slots[i].nev = 0;
    }
    bench_g_rec.trace = 0;
}

double bench_rec_imbalance(unsigned participants)
{
    uint64_t max = 0, sum = 0;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        uint64_t b = bench_g_rec.slots[i].work;
        sum += b;
        if (b > max)
            max = b;
    }
    if (sum == 0 || participants == 0)
        return NAN;
    double r = (double)max / ((double)sum / (double)participants);
    return r < 1 ? 1 : r; /* max >= mean; only rounding can say otherwise */
}

int bench_rec_check_items(uint64_t n, char *msg, size_t msgsize)
{
    const bench_rec *r = &bench_g_rec;
    uint64_t items = atomic_load_explicit(&r->ovf_items, memory_order_relaxed);
    uint64_t isum = atomic_load_explicit(&r->ovf_isum, memory_order_relaxed);
    uint64_t isq = atomic_load_explicit(&r->ovf_isq, memory_order_relaxed);
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        items += r->slots[i].items;
        isum += r->slots[i].isum;
        isq += r->slots[i].isq;
    }
    if (items != n) {
        snprintf(msg, msgsize, "%" PRIu64 " item runs recorded for %" PRIu64
                 " items (%s)", items, n,
                 items > n ? "some item ran more than once" : "some item never ran");
        return -1;
    }
    if (isum != bench_sum1(n) || isq != bench_sum2(n)) {
        snprintf(msg, msgsize, "%" PRIu64 " item runs for %" PRIu64 " items, but not one "
                 "each: some item ran twice and another never", items, n);
        return -1;
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

/* tpool gives the participant index: 0 is the caller, p >= 1 worker p - 1. */
static void tpool_body(void *c, size_t begin, size_t end, unsigned thread)
{
    wrapped(c, begin, end, thread);
}

/* OpenMP and oneTBB give the thread's index in the team or the arena. */
static void omp_body(void *c, size_t begin, size_t end, unsigned slot)
{
    wrapped(c, begin, end, slot);
}

/* pthreadpool gives no thread index: a thread-local slot stands in. */
static void ptp_body(void *c, size_t start, size_t tile)
{
    wrapped(c, start, start + tile, bench_rec_slot());
}

int bench_range(const bench_exec *ex, size_t n, bench_body_fn body, void *ctx,
                const bench_range_opts *opts)
{
    wrap w = { body, ctx, opts ? opts->cost : NULL, bench_g_rec.dispatched, ex->trace };
    bench_g_rec.dispatched += n;
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

/* ---- a cell's figures from the recorder ------------------------------------------ */

static int cmp_desc_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y);
}

int bench_cell_record_round(bench_cell *c, unsigned k, const bench_workload *w, void *state,
                            const bench_exec *ex)
{
    const bench_rec *r = &bench_g_rec;
    uint64_t work[BENCH_MAX_SLOTS], total = 0, calls = 0, tasks = 0, own = 0;
    unsigned active = 0;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        const bench_slot *s = &r->slots[i];
        calls += s->calls;
        tasks += s->tasks;
        own += s->own;
        if (s->calls || s->tasks) {
            work[active++] = s->work;
            total += s->work;
        }
    }
    /* Whoever ran something took part, the waiting caller included; the T
     * participants count even when some got nothing. */
    unsigned parts = active > c->threads ? active : c->threads;
    c->imbalance[k] = bench_rec_imbalance(parts);
    c->rec_calls += calls;
    c->rec_tasks += tasks;
    c->rec_own += own;
    c->rec_clock_reads += w->clock_reads ? w->clock_reads(state, ex) : 0;
    if (!total)
        return 0;
    if (!c->part_share) {
        c->part_share = calloc(BENCH_MAX_SLOTS, sizeof *c->part_share);
        if (!c->part_share)
            return -1;
    }
    qsort(work, active, sizeof *work, cmp_desc_u64);
    for (unsigned i = 0; i < active; i++)
        c->part_share[i] += (double)work[i] / (double)total;
    if (parts > c->nparts)
        c->nparts = parts;
    return 0;
}

void bench_cell_rec_figures(const bench_cell *c, const bench_rec_costs *k,
                            bench_rec_figures *f)
{
    double n = c->nrounds;
    if (c->nrounds == 0) {
        f->calls = f->tasks = f->clock_reads = f->cost_ns = f->cost_share = NAN;
        f->producer_share = NAN;
        return;
    }
    f->calls = (double)c->rec_calls / n;
    f->tasks = (double)c->rec_tasks / n;
    f->clock_reads = (double)c->rec_clock_reads / n;
    f->cost_ns = f->calls * k->per_call + f->tasks * k->per_task + f->clock_reads * k->per_clock;
    f->cost_share = c->t.median > 0 && c->threads
                        ? f->cost_ns / (c->t.median * (double)c->threads)
                        : NAN;
    f->producer_share = c->rec_tasks ? (double)c->rec_own / (double)c->rec_tasks : NAN;
}

/* ---- registry -------------------------------------------------------------------- */

const bench_workload *const bench_workloads[] = {
    &bench_wl_empty,     &bench_wl_uniform,      &bench_wl_triangular,
    &bench_wl_heavytail, &bench_wl_tinytasks,    &bench_wl_prioritymix,
    &bench_wl_gemm,      &bench_wl_nested,       &bench_wl_iobound,
    &bench_wl_bulk,      &bench_wl_shortcalls,
};
const size_t bench_nworkloads = sizeof bench_workloads / sizeof bench_workloads[0];

const bench_workload *bench_workload_find(const char *name)
{
    for (size_t i = 0; i < bench_nworkloads; i++)
        if (strcmp(bench_workloads[i]->name, name) == 0)
            return bench_workloads[i];
    /* Not in the registry, so in no default list: it needs a record. */
    if (strcmp(name, bench_wl_replay.name) == 0)
        return &bench_wl_replay;
    return NULL;
}

void bench_workload_defaults(const bench_workload *w, double *p)
{
    for (unsigned i = 0; i < w->nparams; i++)
        p[i] = w->params[i].def;
}

int bench_param_check(const bench_param_spec *s, double v, char *msg, size_t n)
{
    if (!isfinite(v) || v < s->min || v > s->max ||
        (s->is_int && v != floor(v))) {
        snprintf(msg, n, "expected %s in [%.15g, %.15g]", s->is_int ? "an integer" : "a number",
                 s->min, s->max);
        return -1;
    }
    return 0;
}
