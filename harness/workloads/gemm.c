/*
 * gemm.c - real compute: C = A B for m x k and k x n doubles, cut into
 * tile_m x tile_n tiles of C by the 2-d parallel-for. On tpool that is the
 * pthreadpool drop-in's pthreadpool_parallelize_2d_tile_2d (a tpool pool is a
 * pthreadpool_t), so every policy schedules the tiles its own way; Debian's
 * libpthreadpool runs the same call; OpenMP and the serial loop walk the
 * same tiles. The result is compared with a naive product computed once at
 * setup (C starts as NaN, so a tile never computed fails); the harness
 * catches a tile computed twice.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpool-bench.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("m", "rows of A and C", 1, 16384, 256),
    TPOOL_BENCH_PARAM_INT("n", "columns of B and C", 1, 16384, 256),
    TPOOL_BENCH_PARAM_INT("k", "columns of A, rows of B", 1, 16384, 256),
    TPOOL_BENCH_PARAM_INT("tile_m", "tile rows", 1, 16384, 32),
    TPOOL_BENCH_PARAM_INT("tile_n", "tile columns", 1, 16384, 32),
};

typedef struct gemm {
    size_t m, n, k, tm, tn;
    double *a;   /* m x k, row-major */
    double *bt;  /* B transposed: n x k, row-major, so dot products are contiguous */
    double *c;   /* m x n */
    double *ref; /* m x n */
    uint64_t *cost; /* tiles + 1 prefix sums of the tiles' multiply-adds */
} gemm;

/* One tile of C. */
static void tile(void *ctx, size_t i0, size_t j0, size_t ti, size_t tj)
{
    gemm *g = ctx;
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

static int setup(const tpool_bench_env *env, void **state)
{
    const tpool_param_value *p = env->params;
    gemm *g = calloc(1, sizeof *g);
    size_t ntiles = 0, ntj = 0;
    if (g) {
        g->m = (size_t)p[0].i;
        g->n = (size_t)p[1].i;
        g->k = (size_t)p[2].i;
        g->tm = (size_t)p[3].i;
        g->tn = (size_t)p[4].i;
        g->a = malloc(g->m * g->k * sizeof *g->a);
        g->bt = malloc(g->n * g->k * sizeof *g->bt);
        g->c = malloc(g->m * g->n * sizeof *g->c);
        g->ref = malloc(g->m * g->n * sizeof *g->ref);
        ntj = (g->n + g->tn - 1) / g->tn;
        ntiles = ((g->m + g->tm - 1) / g->tm) * ntj;
        g->cost = malloc((ntiles + 1) * sizeof *g->cost);
    }
    if (!g || !g->a || !g->bt || !g->c || !g->ref || !g->cost) {
        teardown(g);
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    uint64_t rng = env->seed ^ 0x6A09E667F3BCC909u;
    for (size_t i = 0; i < g->m * g->k; i++)
        g->a[i] = 2 * tpool_bench_rand_unit(&rng) - 1;
    for (size_t i = 0; i < g->n * g->k; i++)
        g->bt[i] = 2 * tpool_bench_rand_unit(&rng) - 1;
    /* The reference: the textbook triple loop over the untransposed view. */
    for (size_t i = 0; i < g->m; i++)
        for (size_t j = 0; j < g->n; j++) {
            double s = 0;
            for (size_t q = 0; q < g->k; q++)
                s += g->a[i * g->k + q] * g->bt[j * g->k + q];
            g->ref[i * g->n + j] = s;
        }
    g->cost[0] = 0;
    for (size_t t = 0; t < ntiles; t++) {
        size_t i = (t / ntj) * g->tm, j = (t % ntj) * g->tn;
        size_t ti = g->m - i < g->tm ? g->m - i : g->tm;
        size_t tj = g->n - j < g->tn ? g->n - j : g->tn;
        g->cost[t + 1] = g->cost[t] + (uint64_t)ti * tj * g->k;
    }
    *state = g;
    return 0;
}

static void prepare(void *state, const tpool_bench_exec *ex)
{
    gemm *g = state;
    (void)ex;
    for (size_t i = 0; i < g->m * g->n; i++)
        g->c[i] = NAN;
}

static int run(void *state, const tpool_bench_exec *ex)
{
    gemm *g = state;
    tpool_bench_range_opts o = { .struct_size = sizeof o, .cost = g->cost };
    return ex->parallel_for_2d(ex, g->m, g->n, g->tm, g->tn, tile, g, &o);
}

static int check(void *state, const tpool_bench_exec *ex, char *msg, size_t n)
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
    return 0;
}

static void plant(void *state)
{
    gemm *g = state;
    g->c[g->m * g->n - 1] += 1e-3;
}

static uint64_t items(void *state, const tpool_bench_exec *ex)
{
    gemm *g = state;
    (void)ex;
    return (uint64_t)g->m * g->n * g->k;
}

const tpool_bench_workload bench_wl_gemm = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "tiled-gemm",
    .description = "C = A B in doubles through a 2-d tiled parallel-for "
                   "(pthreadpool_parallelize_2d_tile_2d), checked",
    .unit = "multiply-adds",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .uses = TPOOL_BENCH_USES_RANGE | TPOOL_BENCH_USES_RANGE_2D,
    .size_param = "m",
    .setup = setup,
    .run = run,
    .teardown = teardown,
    .prepare = prepare,
    .check = check,
    .items = items,
    .plant = plant,
};
