/*
 * costed.h - the engine of the parallel-for workloads whose items have a
 * known cost (uniform, triangular, heavy-tailed, io-bound): item i blocks
 * sleep_ns (io-bound only), then spins iters[i] iterations seeded with
 * seed + i and stores the value. setup computes the expected values once, so
 * each run's check is a comparison: an item that never ran still holds the
 * sentinel prepare wrote (the complement of its expected value), and the
 * recorder's item count then catches one that ran twice.
 */
#ifndef TPOOL_BENCH_COSTED_H
#define TPOOL_BENCH_COSTED_H

#include "bench.h"

typedef struct costed {
    size_t n;
    uint64_t seed;
    uint64_t sleep_ns;
    uint64_t *iters;   /* per item */
    uint64_t *out;     /* per item, written by the run */
    uint64_t *expect;  /* per item */
    uint64_t *cost;    /* n + 1 prefix sums of the items' nominal costs, in spin
                          iterations (sleeping counted at the calibrated rate) */
} costed;

/* Allocates n items (iters zeroed); the caller fills iters[] and then calls
 * costed_finish. */
costed *costed_new(size_t n, uint64_t seed, uint64_t sleep_ns);
void costed_finish(costed *c);

/* Fills c->iters[] (and c->sleep_ns where items block) from the workload's
 * params p[] and seed. */
typedef void (*costed_fill_fn)(costed *c, const double *p, uint64_t seed);
/* A costed workload's setup: p[0] items filled by `fill`, then the expected
 * values; "out of memory" in err on failure. */
int costed_setup(const double *p, uint64_t seed, costed_fill_fn fill, void **state, char *err,
                 size_t errsize);

void costed_prepare(void *state, const bench_exec *ex);
int costed_run(void *state, const bench_exec *ex);
int costed_check(void *state, const bench_exec *ex, char *msg, size_t n);
void costed_plant(void *state);
uint64_t costed_items(void *state, const bench_exec *ex);
void costed_teardown(void *state);

/* The fields every costed workload's table shares: a parallel-for over p[0]
 * items on every executor, the costed_* callbacks and the workload's own
 * setup. */
#define COSTED_WORKLOAD(ps, setup_fn)                                                    \
    .unit = "items", BENCH_WORKLOAD_PARAMS(ps), .size_param = 0,                         \
    .runs = BENCH_RUNS_PARALLEL_FOR, .setup = (setup_fn),                                 \
    .prepare = costed_prepare, .run = costed_run, .check = costed_check,                 \
    .plant = costed_plant, .items = costed_items, .teardown = costed_teardown

#endif
