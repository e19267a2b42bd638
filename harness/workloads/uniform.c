/* uniform.c - n items of the same calibrated cost: the case every policy
 * should handle, so it shows pure distribution overhead. */
#include "costed.h"

static const bench_param_spec params[] = {
    { "n", "items", 1, 1, 1e8, 10000 },
    { "item_ns", "cost of each item, ns", 0, 0, 1e9, 2000 },
};

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    costed *c = costed_new((size_t)p[0], seed, 0);
    if (!c) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    uint64_t it = bench_ns_to_iters(p[1]);
    for (size_t i = 0; i < c->n; i++)
        c->iters[i] = it;
    costed_finish(c);
    *state = c;
    return 0;
}

const bench_workload bench_wl_uniform = {
    .name = "uniform",
    .description = "parallel-for, every item spins the same calibrated time",
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
