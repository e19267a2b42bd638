/* uniform.c - n items of the same calibrated cost: the case every policy
 * should handle, so it shows pure distribution overhead. */
#include "costed.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "items", 1, 100000000, 10000),
    TPOOL_BENCH_PARAM_DOUBLE("item_ns", "cost of each item, ns", 0, 1e9, 2000),
};

static void fill(costed *c, const tpool_bench_env *env)
{
    uint64_t it = env->ns_to_iters(env->params[1].d);
    for (size_t i = 0; i < c->n; i++)
        c->iters[i] = it;
}

static int setup(const tpool_bench_env *env, void **state)
{
    return costed_setup(env, fill, state);
}

const tpool_bench_workload bench_wl_uniform = {
    COSTED_WORKLOAD(params, setup),
    .name = "uniform",
    .description = "parallel-for, every item spins the same calibrated time",
};
