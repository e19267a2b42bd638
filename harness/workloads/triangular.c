/* triangular.c - item i costs max_ns * (i + 1) / n: a static equal split
 * leaves the last participant with almost twice the mean work. */
#include "costed.h"

static const bench_param_spec params[] = {
    { "n", "items", 1, 1, 1e8, 10000 },
    { "max_ns", "cost of the last item, ns (item i costs max_ns*(i+1)/n)", 0, 0, 1e9, 4000 },
};

static void fill(costed *c, const double *p, uint64_t seed)
{
    (void)seed;
    for (size_t i = 0; i < c->n; i++)
        c->iters[i] = bench_ns_to_iters(p[1] * (double)(i + 1) / (double)c->n);
}

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    return costed_setup(p, seed, fill, state, err, errsize);
}

const bench_workload bench_wl_triangular = {
    .name = "triangular",
    .description = "parallel-for, the cost of an item grows linearly with its index",
    COSTED_WORKLOAD(params, setup),
};
