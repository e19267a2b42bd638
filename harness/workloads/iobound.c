/* iobound.c - items that block wait_us (nanosleep stands in for I/O: the
 * thread sleeps and frees its CPU) and then compute compute_us. With W/C
 * large, more threads than CPUs pay off; `tpool-bench advise` uses it. */
#include "costed.h"

static const bench_param_spec params[] = {
    { "n", "items", 1, 1, 1e7, 100 },
    { "wait_us", "blocking time of each item, us", 0, 0, 1e6, 200 },
    { "compute_us", "computing time of each item, us", 0, 0, 1e6, 50 },
};

static void fill(costed *c, const double *p, uint64_t seed)
{
    uint64_t it = bench_ns_to_iters(p[2] * 1000);
    (void)seed;
    c->sleep_ns = (uint64_t)(p[1] * 1000);
    for (size_t i = 0; i < c->n; i++)
        c->iters[i] = it;
}

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    return costed_setup(p, seed, fill, state, err, errsize);
}

const bench_workload bench_wl_iobound = {
    .name = "io-bound",
    .description = "parallel-for, each item blocks W us (nanosleep) then computes C us",
    COSTED_WORKLOAD(params, setup),
};
