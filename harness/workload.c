/*
 * workload.c - what every workload shares: the clock, the calibrated spin
 * loop, the per-run recorder, running a range body on any executor, and the
 * registry of workloads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

/* ---- time --------------------------------------------------------------------- */

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

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

int bench_rec_reset(int trace, unsigned trace_slots, uint32_t cap)
{
    bench_rec *r = &bench_g_rec;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        bench_slot *s = &r->slots[i];
        s->busy_ns = 0;
        s->units = 0;
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
    atomic_store_explicit(&r->next_slot, 0, memory_order_relaxed);
    atomic_store_explicit(&r->overflow, 0, memory_order_relaxed);
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
        uint64_t b = bench_g_rec.slots[i].busy_ns;
        sum += b;
        if (b > max)
            max = b;
    }
    if (sum == 0 || participants == 0)
        return NAN;
    double r = (double)max / ((double)sum / (double)participants);
    return r < 1 ? 1 : r; /* max >= mean; only rounding can say otherwise */
}

/* ---- running a range body anywhere ------------------------------------------------ */

typedef struct wrap {
    bench_body_fn body;
    void *ctx;
    int record;
} wrap;

static inline void wrapped(const wrap *w, size_t begin, size_t end, unsigned slot)
{
    if (!w->record) {
        w->body(w->ctx, begin, end, slot);
        return;
    }
    uint64_t t0 = bench_now_ns();
    w->body(w->ctx, begin, end, slot);
    bench_rec_span(slot, t0, bench_now_ns(), begin);
}

/* tpool gives the participant index: 0 is the caller, p >= 1 worker p - 1. */
static void tpool_body(void *c, size_t begin, size_t end, unsigned thread)
{
    wrapped(c, begin, end, thread);
}

static void omp_body(void *c, size_t begin, size_t end, unsigned slot)
{
    wrapped(c, begin, end, slot);
}

/* pthreadpool gives no thread index: a thread-local slot stands in. */
static void ptp_body(void *c, size_t start, size_t tile)
{
    wrapped(c, start, start + tile, bench_rec_slot());
}

int bench_range(const bench_exec *ex, size_t n, bench_body_fn body, void *ctx)
{
    return bench_range_tiled(ex, n, 1, body, ctx);
}

int bench_range_tiled(const bench_exec *ex, size_t n, size_t ptp_tile, bench_body_fn body,
                      void *ctx)
{
    wrap w = { body, ctx, ex->record };
    switch (ex->kind) {
    case BENCH_EX_SERIAL:
        if (n)
            wrapped(&w, 0, n, 0);
        return 0;
    case BENCH_EX_TPOOL:
        return tpool_parallel_range(ex->pool, n, tpool_body, &w, NULL);
    case BENCH_EX_OMP:
        return bench_omp_range(ex->omp_sched, ex->omp_chunk, ex->threads, n, omp_body, &w);
    case BENCH_EX_PTP:
        if (!ex->ptp || !ex->ptp_pool)
            return -1;
        ex->ptp->parallelize_1d_tile_1d(ex->ptp_pool, ptp_body, &w, n, ptp_tile ? ptp_tile : 1, 0);
        return 0;
    }
    return -1;
}

/* ---- registry -------------------------------------------------------------------- */

const bench_workload *const bench_workloads[] = {
    &bench_wl_empty,     &bench_wl_uniform,      &bench_wl_triangular,
    &bench_wl_heavytail, &bench_wl_tinytasks,    &bench_wl_prioritymix,
    &bench_wl_gemm,      &bench_wl_nested,       &bench_wl_iobound,
    &bench_wl_bulk,
};
const size_t bench_nworkloads = sizeof bench_workloads / sizeof bench_workloads[0];

const bench_workload *bench_workload_find(const char *name)
{
    for (size_t i = 0; i < bench_nworkloads; i++)
        if (strcmp(bench_workloads[i]->name, name) == 0)
            return bench_workloads[i];
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
