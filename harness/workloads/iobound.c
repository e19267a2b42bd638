/* iobound.c - items that block wait_us (nanosleep stands in for I/O: the
 * thread sleeps and frees its CPU) and then compute compute_us. With W/C
 * large, more threads than CPUs pay off; `tpool-bench advise` uses it. */
#include "costed.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "items", 1, 10000000, 100),
    TPOOL_BENCH_PARAM_DOUBLE("wait_us", "blocking time of each item, us", 0, 1e6, 200),
    TPOOL_BENCH_PARAM_DOUBLE("compute_us", "computing time of each item, us", 0, 1e6, 50),
};

static void fill(costed *c, const tpool_bench_env *env)
{
    uint64_t it = env->ns_to_iters(env->params[2].d * 1000);
    c->sleep_ns = (uint64_t)(env->params[1].d * 1000);
    for (size_t i = 0; i < c->n; i++)
        c->iters[i] = it;
}

static int setup(const tpool_bench_env *env, void **state)
{
    return costed_setup(env, fill, state);
}

const tpool_bench_workload bench_wl_iobound = {
    COSTED_WORKLOAD(params, setup),
    .name = "io-bound",
    .description = "parallel-for, each item blocks W us (nanosleep) then computes C us",
};
