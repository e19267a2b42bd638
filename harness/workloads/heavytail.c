/* heavytail.c - Pareto-distributed item costs drawn with the seed: a few
 * items dominate, so whoever draws them decides the makespan. */
#include <math.h>

#include "costed.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "items", 1, 100000000, 10000),
    TPOOL_BENCH_PARAM_DOUBLE("xm_ns", "Pareto scale: the smallest cost, ns", 0, 1e9, 500),
    TPOOL_BENCH_PARAM_DOUBLE("alpha", "Pareto shape (mean xm*alpha/(alpha-1))", 1.01, 100, 1.5),
    TPOOL_BENCH_PARAM_DOUBLE("cap_ns", "costs are capped here, ns", 0, 1e10, 2e6),
};

static void fill(costed *c, const tpool_bench_env *env)
{
    const tpool_param_value *p = env->params;
    uint64_t rng = env->seed ^ 0x5DEECE66Du;
    for (size_t i = 0; i < c->n; i++) {
        /* inverse transform: xm / U^(1/alpha), U in (0, 1] */
        double ns = p[1].d / pow(tpool_bench_rand_unit(&rng), 1.0 / p[2].d);
        c->iters[i] = env->ns_to_iters(ns < p[3].d ? ns : p[3].d);
    }
}

static int setup(const tpool_bench_env *env, void **state)
{
    return costed_setup(env, fill, state);
}

const tpool_bench_workload bench_wl_heavytail = {
    COSTED_WORKLOAD(params, setup),
    .name = "heavy-tailed",
    .description = "parallel-for, Pareto-distributed item costs (seeded)",
};
