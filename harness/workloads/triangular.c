/* triangular.c - item i costs max_ns * (i + 1) / n: a static equal split
 * leaves the last participant with almost twice the mean work. */
#include "costed.h"

static const bench_param_spec params[] = {
    { "n", "items", 1, 1, 1e8, 10000 },
    { "max_ns", "cost of the last item, ns (item i costs max_ns*(i+1)/n)", 0, 0, 1e9, 4000 },
};

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    costed *c = costed_new((size_t)p[0], seed, 0);
    if (!c) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < c->n; i++)
        c->iters[i] = bench_ns_to_iters(p[1] * (double)(i + 1) / (double)c->n);
    costed_finish(c);
    *state = c;
    return 0;
}

const bench_workload bench_wl_triangular = {
    .name = "triangular",
    .description = "parallel-for, the cost of an item grows linearly with its index",
    .unit = "items",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .size_param = 0,
    .runs = BENCH_RUNS_SERIAL | BENCH_RUNS_TPOOL | BENCH_RUNS_OMP_FOR | BENCH_RUNS_PTP,
    .records_busy = 1,
    .setup = setup,
    .prepare = costed_prepare,
    .run = costed_run,
    .check = costed_check,
    .plant = costed_plant,
    .items = costed_items,
    .teardown = costed_teardown,
};
