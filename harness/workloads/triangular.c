/* triangular.c - item i costs max_ns * (i + 1) / n: a static equal split
 * leaves the last participant with almost twice the mean work. */
#include "costed.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "items", 1, 100000000, 10000),
    TPOOL_BENCH_PARAM_DOUBLE("max_ns", "cost of the last item, ns (item i costs max_ns*(i+1)/n)",
                             0, 1e9, 4000),
};

static void fill(costed *c, const tpool_bench_env *env)
{
    for (size_t i = 0; i < c->n; i++)
        c->iters[i] = env->ns_to_iters(env->params[1].d * (double)(i + 1) / (double)c->n);
}

static int setup(const tpool_bench_env *env, void **state)
{
    return costed_setup(env, fill, state);
}

const tpool_bench_workload bench_wl_triangular = {
    COSTED_WORKLOAD(params, setup),
    .name = "triangular",
    .description = "parallel-for, the cost of an item grows linearly with its index",
};
