/* uniform.c - n items of the same calibrated cost: the case every policy
 * should handle, so it shows pure distribution overhead. */
#include "costed.h"

static const bench_param_spec params[] = {
    { "n", "items", 1, 1, 1e8, 10000 },
    { "item_ns", "cost of each item, ns", 0, 0, 1e9, 2000 },
};

static void fill(costed *c, const double *p, uint64_t seed)
{
    uint64_t it = bench_ns_to_iters(p[1]);
    (void)seed;
    for (size_t i = 0; i < c->n; i++)
        c->iters[i] = it;
}

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    return costed_setup(p, seed, fill, state, err, errsize);
}

const bench_workload bench_wl_uniform = {
    .name = "uniform",
    .description = "parallel-for, every item spins the same calibrated time",
    COSTED_WORKLOAD(params, setup),
};
