/*
 * empty.c - dispatch overhead: `calls` back-to-back parallel-fors over
 * `range` items (0 = one per thread) whose body does nothing at all. The
 * harness records each callback as it does for every workload (the items'
 * count and index sums per participant), so the check that every item of
 * every call ran exactly once costs the body nothing. A run's time divided
 * by `calls` is the cost of one dispatch, waking the workers included for
 * the first call.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tpool-bench.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("range", "items per call; 0 = the thread count", 0, 1000000000, 0),
    TPOOL_BENCH_PARAM_INT("calls", "parallel-for calls per run", 1, 1000000000, 500),
};

typedef struct empty {
    size_t range, calls;
} empty;

static int setup(const tpool_bench_env *env, void **state)
{
    empty *e = malloc(sizeof *e);
    if (!e) {
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    *e = (empty){ .range = (size_t)env->params[0].i, .calls = (size_t)env->params[1].i };
    *state = e;
    return 0;
}

static size_t range_of(const empty *e, const tpool_bench_exec *ex)
{
    return e->range ? e->range : ex->threads;
}

static void body(void *ctx, size_t begin, size_t end, unsigned participant)
{
    (void)ctx, (void)begin, (void)end, (void)participant;
}

static int run(void *state, const tpool_bench_exec *ex)
{
    empty *e = state;
    size_t n = range_of(e, ex);
    for (size_t c = 0; c < e->calls; c++) {
        int rc = ex->parallel_for(ex, n, body, e, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static void teardown(void *state)
{
    free(state);
}

const tpool_bench_workload bench_wl_empty = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "empty",
    .description = "dispatch overhead: repeated parallel-fors with an empty body",
    .unit = "items (calls x range)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .flags = TPOOL_BENCH_WL_MICRO,
    .uses = TPOOL_BENCH_USES_RANGE,
    .size_param = "calls",
    .setup = setup,
    .run = run,
    .teardown = teardown,
};
