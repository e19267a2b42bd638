/*
 * costed.h - the engine of the parallel-for workloads whose items have a
 * known cost (uniform, triangular, heavy-tailed, io-bound): item i blocks
 * sleep_ns (io-bound only), then spins iters[i] iterations seeded with
 * seed + i and stores the value. setup computes the expected values once, so
 * each run's check is a comparison: an item that never ran still holds the
 * sentinel prepare wrote (the complement of its expected value); the
 * harness's own check catches one that ran twice.
 */
#ifndef TPOOL_BENCH_COSTED_H
#define TPOOL_BENCH_COSTED_H

#include "tpool-bench.h"

typedef struct costed {
    size_t n;
    uint64_t seed;
    uint64_t sleep_ns;
    uint64_t *iters;   /* per item */
    uint64_t *out;     /* per item, written by the run */
    uint64_t *expect;  /* per item */
    uint64_t *cost;    /* n + 1 prefix sums of the items' nominal costs, in spin
                          iterations (sleeping counted at the calibrated rate) */
    uint64_t (*spin)(uint64_t iters, uint64_t seed);
    void (*sleep)(uint64_t ns);
} costed;

/* Fills c->iters[] (and c->sleep_ns where items block) from env's params
 * and seed. */
typedef void (*costed_fill_fn)(costed *c, const tpool_bench_env *env);
/* A costed workload's setup: params[0] items filled by `fill`, then the
 * expected values. */
int costed_setup(const tpool_bench_env *env, costed_fill_fn fill, void **state);

void costed_prepare(void *state, const tpool_bench_exec *ex);
int costed_run(void *state, const tpool_bench_exec *ex);
int costed_check(void *state, const tpool_bench_exec *ex, char *msg, size_t n);
void costed_plant(void *state);
void costed_teardown(void *state);

/* The members every costed workload's descriptor shares: a parallel-for
 * over params[0] items on every executor, the costed_* callbacks and the
 * workload's own setup and parameter table. */
#define COSTED_WORKLOAD(ps, setup_fn)                                                    \
    TPOOL_BENCH_WORKLOAD_HEADER, .unit = "items", .params = (ps),                         \
    .nparams = sizeof(ps) / sizeof((ps)[0]), .uses = TPOOL_BENCH_USES_RANGE,              \
    .size_param = "n", .setup = (setup_fn), .run = costed_run,                            \
    .teardown = costed_teardown, .prepare = costed_prepare, .check = costed_check,        \
    .plant = costed_plant

#endif
