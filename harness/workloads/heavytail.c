/* heavytail.c - Pareto-distributed item costs drawn with the seed: a few
 * items dominate, so whoever draws them decides the makespan. */
#include <math.h>

#include "costed.h"

static const bench_param_spec params[] = {
    { "n", "items", 1, 1, 1e8, 10000 },
    { "xm_ns", "Pareto scale: the smallest cost, ns", 0, 0, 1e9, 500 },
    { "alpha", "Pareto shape (mean xm*alpha/(alpha-1))", 0, 1.01, 100, 1.5 },
    { "cap_ns", "costs are capped here, ns", 0, 0, 1e10, 2e6 },
};

static void fill(costed *c, const double *p, uint64_t seed)
{
    uint64_t rng = seed ^ 0x5DEECE66Du;
    for (size_t i = 0; i < c->n; i++) {
        /* inverse transform: xm / U^(1/alpha), U in (0, 1] */
        double ns = p[1] / pow(bench_rand_unit(&rng), 1.0 / p[2]);
        c->iters[i] = bench_ns_to_iters(ns < p[3] ? ns : p[3]);
    }
}

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    return costed_setup(p, seed, fill, state, err, errsize);
}

const bench_workload bench_wl_heavytail = {
    .name = "heavy-tailed",
    .description = "parallel-for, Pareto-distributed item costs (seeded)",
    COSTED_WORKLOAD(params, setup),
};
