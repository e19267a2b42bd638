/*
 * empty.c - dispatch overhead: `calls` back-to-back parallel-fors over
 * `range` items (0 = one per thread) whose body does nothing but count the
 * items it got, per participant, so the check costs the body nothing
 * measurable. A run's time divided by `calls` is the cost of one dispatch,
 * waking the workers included for the first call.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "bench.h"

static const bench_param_spec params[] = {
    { "range", "items per call; 0 = the thread count", 1, 0, 1e9, 0 },
    { "calls", "parallel-for calls per run", 1, 1, 1e9, 500 },
};

typedef struct counter {
    _Alignas(64) uint64_t items; /* written by the slot's one thread */
} counter;

typedef struct empty {
    size_t range, calls;
    counter count[BENCH_MAX_SLOTS];
    _Atomic uint64_t overflow; /* items of threads past the last slot */
    uint64_t planted;
} empty;

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    (void)seed;
    empty *e = aligned_alloc(64, sizeof(empty));
    if (!e) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    *e = (empty){ .range = (size_t)p[0], .calls = (size_t)p[1] };
    *state = e;
    return 0;
}

static size_t range_of(const empty *e, const bench_exec *ex)
{
    return e->range ? e->range : ex->threads;
}

static void body(void *ctx, size_t begin, size_t end, unsigned slot)
{
    empty *e = ctx;
    if (slot < BENCH_MAX_SLOTS)
        e->count[slot].items += end - begin;
    else
        atomic_fetch_add_explicit(&e->overflow, end - begin, memory_order_relaxed);
}

static void prepare(void *state, const bench_exec *ex)
{
    empty *e = state;
    (void)ex;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++)
        e->count[i].items = 0;
    atomic_store_explicit(&e->overflow, 0, memory_order_relaxed);
    e->planted = 0;
}

static int run(void *state, const bench_exec *ex)
{
    empty *e = state;
    size_t n = range_of(e, ex);
    for (size_t c = 0; c < e->calls; c++) {
        int rc = bench_range(ex, n, body, e);
        if (rc)
            return rc;
    }
    return 0;
}

static int check(void *state, const bench_exec *ex, char *msg, size_t n)
{
    empty *e = state;
    uint64_t sum = atomic_load_explicit(&e->overflow, memory_order_relaxed) + e->planted;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++)
        sum += e->count[i].items;
    uint64_t want = (uint64_t)e->calls * range_of(e, ex);
    if (sum != want) {
        snprintf(msg, n, "%" PRIu64 " items visited over all calls, expected %" PRIu64, sum,
                 want);
        return -1;
    }
    return 0;
}

static void plant(void *state)
{
    ((empty *)state)->planted = 1;
}

static uint64_t items(void *state, const bench_exec *ex)
{
    empty *e = state;
    return (uint64_t)e->calls * range_of(e, ex);
}

static void teardown(void *state)
{
    free(state);
}

const bench_workload bench_wl_empty = {
    .name = "empty",
    .description = "dispatch overhead: repeated parallel-fors with an empty body",
    .unit = "items (calls x range)",
    BENCH_WORKLOAD_PARAMS(params),
    .size_param = 1,
    .runs = BENCH_RUNS_PARALLEL_FOR,
    .records_busy = 0,
    BENCH_WORKLOAD_CALLBACKS,
};
