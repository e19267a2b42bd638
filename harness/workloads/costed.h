/*
 * costed.h - the engine of the parallel-for workloads whose items have a
 * known cost (uniform, triangular, heavy-tailed, io-bound): item i blocks
 * sleep_ns (io-bound only), then spins iters[i] iterations seeded with
 * seed + i and stores the value. setup computes the expected values once, so
 * each run's check is a comparison, and counts visits to catch an item run
 * twice or never.
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
    _Atomic uint32_t *visits;
} costed;

/* Allocates n items (iters zeroed); the caller fills iters[] and then calls
 * costed_finish. */
costed *costed_new(size_t n, uint64_t seed, uint64_t sleep_ns);
void costed_finish(costed *c);

void costed_prepare(void *state, const bench_exec *ex);
int costed_run(void *state, const bench_exec *ex);
int costed_check(void *state, const bench_exec *ex, char *msg, size_t n);
void costed_plant(void *state);
uint64_t costed_items(void *state, const bench_exec *ex);
void costed_teardown(void *state);

#endif
