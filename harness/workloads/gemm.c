/*
 * gemm.c - real compute: C = A B for m x k and k x n doubles, cut into
 * tile_m x tile_n tiles of C. tpool runs it through the pthreadpool
 * drop-in's pthreadpool_compute_2d_tiled (a tpool pool is a pthreadpool_t),
 * so every policy schedules the tiles its own way; Debian's libpthreadpool
 * runs the same call; OpenMP and the serial loop walk the same tiles. The
 * result is compared with a naive product computed once at setup (C starts
 * as NaN, so a tile never computed fails), and every tile is recorded by
 * its number, so one computed twice fails the recorder's item check.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* tpool's own pthreadpool.h (include/, first on the include path), not the
 * system one: only tpool's accepts a tpool * as a pthreadpool_t. */
#include "pthreadpool.h"
#ifndef TPOOL_PTHREADPOOL_H
#error "this needs tpool's include/pthreadpool.h, not the system's"
#endif

static const bench_param_spec params[] = {
    { "m", "rows of A and C", 1, 1, 16384, 256 },
    { "n", "columns of B and C", 1, 1, 16384, 256 },
    { "k", "columns of A, rows of B", 1, 1, 16384, 256 },
    { "tile_m", "tile rows", 1, 1, 16384, 32 },
    { "tile_n", "tile columns", 1, 1, 16384, 32 },
};

typedef struct gemm {
    size_t m, n, k, tm, tn;
    double *a;   /* m x k, row-major */
    double *bt;  /* B transposed: n x k, row-major, so dot products are contiguous */
    double *c;   /* m x n */
    double *ref; /* m x n */
    size_t ntj, ntiles;  /* tile columns; tiles */
    uint64_t *cost;      /* ntiles + 1 prefix sums of the tiles' multiply-adds */
    int trace;
} gemm;

static void tile(gemm *g, size_t i0, size_t j0, size_t ti, size_t tj)
{
    for (size_t i = i0; i < i0 + ti; i++) {
        const double *ar = g->a + i * g->k;
        for (size_t j = j0; j < j0 + tj; j++) {
            const double *br = g->bt + j * g->k;
            double s = 0;
            for (size_t q = 0; q < g->k; q++)
                s += ar[q] * br[q];
            g->c[i * g->n + j] = s;
        }
    }
}

/* pthreadpool_function_2d_tiled_t: one tile, recorded by its number. */
static void tile_2d(void *ctx, size_t i, size_t j, size_t ti, size_t tj)
{
    gemm *g = ctx;
    uint64_t t0 = g->trace ? bench_now_ns() : 0;
    tile(g, i, j, ti, tj);
    unsigned slot = bench_rec_slot();
    uint64_t t = (uint64_t)(i / g->tm) * g->ntj + j / g->tn;
    bench_rec_items(slot, t, 1, (uint64_t)ti * tj * g->k);
    if (g->trace)
        bench_rec_span(slot, t0, bench_now_ns(), t);
}

/* Tiles by number, for the serial loop, OpenMP and oneTBB (through
 * bench_range, which records them). */
static void tiles_linear(void *ctx, size_t begin, size_t end, unsigned slot)
{
    gemm *g = ctx;
    (void)slot;
    for (size_t t = begin; t < end; t++) {
        size_t i = (t / g->ntj) * g->tm, j = (t % g->ntj) * g->tn;
        size_t ti = g->m - i < g->tm ? g->m - i : g->tm;
        size_t tj = g->n - j < g->tn ? g->n - j : g->tn;
        tile(g, i, j, ti, tj);
    }
}

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    gemm *g = calloc(1, sizeof *g);
    if (g) {
        g->m = (size_t)p[0];
        g->n = (size_t)p[1];
        g->k = (size_t)p[2];
        g->tm = (size_t)p[3];
        g->tn = (size_t)p[4];
        g->a = malloc(g->m * g->k * sizeof *g->a);
        g->bt = malloc(g->n * g->k * sizeof *g->bt);
        g->c = malloc(g->m * g->n * sizeof *g->c);
        g->ref = malloc(g->m * g->n * sizeof *g->ref);
        g->ntj = (g->n + g->tn - 1) / g->tn;
        g->ntiles = ((g->m + g->tm - 1) / g->tm) * g->ntj;
        g->cost = malloc((g->ntiles + 1) * sizeof *g->cost);
    }
    if (!g || !g->a || !g->bt || !g->c || !g->ref || !g->cost) {
        if (g) {
            free(g->a);
            free(g->bt);
            free(g->c);
            free(g->ref);
            free(g->cost);
        }
        free(g);
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    uint64_t rng = seed ^ 0x6A09E667F3BCC909u;
    for (size_t i = 0; i < g->m * g->k; i++)
        g->a[i] = 2 * bench_rand_unit(&rng) - 1;
    for (size_t i = 0; i < g->n * g->k; i++)
        g->bt[i] = 2 * bench_rand_unit(&rng) - 1;
    /* The reference: the textbook triple loop over the untransposed view. */
    for (size_t i = 0; i < g->m; i++)
        for (size_t j = 0; j < g->n; j++) {
            double s = 0;
            for (size_t q = 0; q < g->k; q++)
                s += g->a[i * g->k + q] * g->bt[j * g->k + q];
            g->ref[i * g->n + j] = s;
        }
    g->cost[0] = 0;
    for (size_t t = 0; t < g->ntiles; t++) {
        size_t i = (t / g->ntj) * g->tm, j = (t % g->ntj) * g->tn;
        size_t ti = g->m - i < g->tm ? g->m - i : g->tm;
        size_t tj = g->n - j < g->tn ? g->n - j : g->tn;
        g->cost[t + 1] = g->cost[t] + (uint64_t)ti * tj * g->k;
    }
    *state = g;
    return 0;
}

static void prepare(void *state, const bench_exec *ex)
{
    gemm *g = state;
    for (size_t i = 0; i < g->m * g->n; i++)
        g->c[i] = NAN;
    g->trace = ex->trace;
}

static int run(void *state, const bench_exec *ex)
{
    gemm *g = state;
    bench_range_opts o = { .cost = g->cost };
    switch (ex->kind) {
    case BENCH_EX_SERIAL:
    case BENCH_EX_OMP:
    case BENCH_EX_TBB:
        return bench_range(ex, g->ntiles, tiles_linear, g, &o);
    case BENCH_EX_PTP:
        ex->ptp->compute_2d_tiled(ex->ptp_pool, tile_2d, g, g->m, g->n, g->tm, g->tn);
        return 0;
    case BENCH_EX_TPOOL:
        /* The legacy call is deprecated in the header; it is the one the
         * workload is meant to exercise. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        pthreadpool_compute_2d_tiled((pthreadpool_t)(void *)ex->pool, tile_2d, g, g->m, g->n,
                                     g->tm, g->tn);
#pragma GCC diagnostic pop
        return 0;
    }
    return -1;
}

static int check(void *state, const bench_exec *ex, char *msg, size_t n)
{
    gemm *g = state;
    (void)ex;
    for (size_t i = 0; i < g->m * g->n; i++) {
        double d = fabs(g->c[i] - g->ref[i]);
        if (isnan(g->c[i])) {
            snprintf(msg, n, "C[%zu][%zu] was never computed (its tile never ran)", i / g->n,
                     i % g->n);
            return -1;
        }
        if (!(d <= 1e-12 * (double)g->k * (1 + fabs(g->ref[i])))) {
            snprintf(msg, n, "C[%zu][%zu] = %.17g, expected %.17g", i / g->n, i % g->n,
                     g->c[i], g->ref[i]);
            return -1;
        }
    }
    return bench_rec_check_items(g->ntiles, msg, n);
}

static void plant(void *state)
{
    gemm *g = state;
    g->c[g->m * g->n - 1] += 1e-3;
}

static uint64_t items(void *state, const bench_exec *ex)
{
    gemm *g = state;
    (void)ex;
    return (uint64_t)g->m * g->n * g->k;
}

static void teardown(void *state)
{
    gemm *g = state;
    if (!g)
        return;
    free(g->a);
    free(g->bt);
    free(g->c);
    free(g->ref);
    free(g->cost);
    free(g);
}

const bench_workload bench_wl_gemm = {
    .name = "tiled-gemm",
    .description = "C = A B in doubles through pthreadpool_compute_2d_tiled, checked",
    .unit = "multiply-adds",
    BENCH_WORKLOAD_PARAMS(params),
    .size_param = 0,
    .runs = BENCH_RUNS_PARALLEL_FOR,
    .ptp_2d = 1,
    BENCH_WORKLOAD_CALLBACKS,
};
