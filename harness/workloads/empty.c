/*
 * empty.c - dispatch overhead: `calls` back-to-back parallel-fors over
 * `range` items (0 = one per thread) whose body does nothing at all. The
 * recorder, which bench_range runs after each callback as it does for every
 * workload, counts the items and sums their indices per participant, so
 * the check (every item of every call run exactly once) costs the body
 * nothing. A run's time divided by `calls` is the cost of one dispatch,
 * waking the workers included for the first call.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "bench.h"

static const bench_param_spec params[] = {
    { "range", "items per call; 0 = the thread count", 1, 0, 1e9, 0 },
    { "calls", "parallel-for calls per run", 1, 1, 1e9, 500 },
};

typedef struct empty {
    size_t range, calls;
} empty;

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    (void)seed;
    empty *e = malloc(sizeof *e);
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
    (void)ctx, (void)begin, (void)end, (void)slot;
}

static void prepare(void *state, const bench_exec *ex)
{
    (void)state, (void)ex;
}

static int run(void *state, const bench_exec *ex)
{
    empty *e = state;
    size_t n = range_of(e, ex);
    for (size_t c = 0; c < e->calls; c++) {
        int rc = bench_range(ex, n, body, e, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static int check(void *state, const bench_exec *ex, char *msg, size_t n)
{
    empty *e = state;
    return bench_rec_check_items((uint64_t)e->calls * range_of(e, ex), msg, n);
}

/* The result is the recorder's: as if the first item a participant ran
 * had been item 1 instead of item 0 (one twice, one never). */
static void plant(void *state)
{
    (void)state;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++)
        if (bench_g_rec.slots[i].items) {
            bench_g_rec.slots[i].isum += 1;
            bench_g_rec.slots[i].isq += 1;
            return;
        }
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
    BENCH_WORKLOAD_CALLBACKS,
};
