/*
 * bulk.c - throughput of many trivial items: `calls` parallel-fors of `n`
 * items each, where an item is one store (out[i] = i * 3 + call), so what
 * is measured is how fast an executor hands out items, not their cost
 * (docs/PERFORMANCE.md, target 6). The pthreadpool baseline gets tiles of
 * `ptp_tile` items (parallelize_1d_tile_1d): 1024 by default, how a library
 * hands pthreadpool bulk work (XNNPACK tiles its loops) and what target 6
 * measures, so that the comparison is one of hand-out cost, not of a
 * callback per item that tpool's ranges do not make; 1 gives the API's
 * per-item callback.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpool-bench.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "items per call", 1, 100000000, 1000000),
    TPOOL_BENCH_PARAM_INT("calls", "parallel-for calls per run", 1, 1000000, 10),
    TPOOL_BENCH_PARAM_INT("ptp_tile", "items per tile for the pthreadpool baseline", 1,
                          100000000, 1024),
};

typedef struct bulk {
    size_t n, calls, ptp_tile;
    uint64_t *out;
    uint64_t call;     /* the call in progress; the body stores i * 3 + call */
    uint64_t planted;
} bulk;

static int setup(const tpool_bench_env *env, void **state)
{
    bulk *b = calloc(1, sizeof *b);
    size_t n = (size_t)env->params[0].i;
    uint64_t *out = b ? aligned_alloc(64, (n * sizeof *out + 63) / 64 * 64) : NULL;
    if (!out) {
        free(b);
        snprintf(env->errbuf, env->errbuf_size, "out of memory for %zu items", n);
        return -1;
    }
    *b = (bulk){ .n = n, .calls = (size_t)env->params[1].i,
                 .ptp_tile = (size_t)env->params[2].i, .out = out };
    *state = b;
    return 0;
}

static void body(void *ctx, size_t begin, size_t end, unsigned participant)
{
    bulk *b = ctx;
    (void)participant;
    uint64_t c = b->call;
    for (size_t i = begin; i < end; i++)
        b->out[i] = (uint64_t)i * 3 + c;
}

static void prepare(void *state, const tpool_bench_exec *ex)
{
    bulk *b = state;
    (void)ex;
    for (size_t i = 0; i < b->n; i++)
        b->out[i] = UINT64_MAX;
    b->planted = 0;
}

static int run(void *state, const tpool_bench_exec *ex)
{
    bulk *b = state;
    tpool_bench_range_opts o = { .struct_size = sizeof o, .tile = b->ptp_tile };
    for (size_t c = 0; c < b->calls; c++) {
        b->call = c; /* read by the bodies of this call only: parallel_for waits */
        int rc = ex->parallel_for(ex, b->n, body, b, &o);
        if (rc)
            return rc;
    }
    return 0;
}

/* Every item holds the last call's value (the harness checks that every
 * item of every call ran exactly once). */
static int check(void *state, const tpool_bench_exec *ex, char *msg, size_t n)
{
    bulk *b = state;
    (void)ex;
    uint64_t last = b->calls - 1;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t want = (uint64_t)i * 3 + last + (i == 0 ? b->planted : 0);
        if (b->out[i] != want) {
            snprintf(msg, n, "item %zu holds %" PRIu64 ", expected %" PRIu64
                     " (not visited in the last call)", i, b->out[i], want);
            return -1;
        }
    }
    return 0;
}

static void plant(void *state)
{
    ((bulk *)state)->planted = 1;
}

static void teardown(void *state)
{
    bulk *b = state;
    free(b->out);
    free(b);
}

const tpool_bench_workload bench_wl_bulk = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "bulk",
    .description = "parallel-for throughput: many trivial items (one store each)",
    .unit = "items (calls x n)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .flags = TPOOL_BENCH_WL_MICRO,
    .uses = TPOOL_BENCH_USES_RANGE,
    .size_param = "n",
    .setup = setup,
    .run = run,
    .teardown = teardown,
    .prepare = prepare,
    .check = check,
    .plant = plant,
};
