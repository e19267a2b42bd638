/*
 * shortcalls.c - a stream of short parallel-for calls with short serial
 * gaps between them, as a framework drives a thread pool with one small
 * operator after another: `calls` calls, each over `items` items that
 * together spin `call_us` (a call takes about call_us / T at T threads,
 * plus its dispatch), each followed by `gap_us` of spinning on the calling
 * thread alone. A gap is long enough for idle workers to stop spinning and
 * short enough that they are needed again at once, so what a call costs
 * beyond its work is waking them (or keeping them awake) and the caller's
 * share. The time per call (the run's / calls) includes its gap.
 *
 * Item i of call c stores its value in out[c][i] (the same chain in every
 * call, so the expected values are computed once per item); prepare writes
 * each one's complement first, so an item never run is caught by its
 * value, and the harness's item check, over every call's items, catches
 * one run twice. Each gap's value is checked too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpool-bench.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("calls", "parallel-for calls per run", 1, 1000000, 200),
    TPOOL_BENCH_PARAM_DOUBLE("call_us", "work of one call, all its items on one thread, us", 0,
                             1e6, 200),
    TPOOL_BENCH_PARAM_DOUBLE("gap_us", "serial work of the caller after each call, us", 0, 1e6,
                             50),
    TPOOL_BENCH_PARAM_INT("items", "items per call (each spins call_us / items)", 1, 1000000,
                          128),
};

typedef struct shortcalls {
    size_t calls, items;
    uint64_t item_iters, gap_iters, seed;
    uint64_t *out;        /* calls x items, written by the run */
    uint64_t *expect;     /* items: item i's value, in every call */
    uint64_t *gap_out;    /* calls: each gap's value, written by the run */
    uint64_t *gap_expect; /* calls */
    size_t call;          /* the call in progress: read by its bodies only
                             (parallel_for returns after they all ran) */
    uint64_t (*spin)(uint64_t iters, uint64_t seed);
} shortcalls;

/* The seeds of the gaps, apart from the items'. */
#define GAP_SEED 0x5C0A11u

static void teardown(void *state)
{
    shortcalls *s = state;
    if (!s)
        return;
    free(s->out);
    free(s->expect);
    free(s->gap_out);
    free(s->gap_expect);
    free(s);
}

static int setup(const tpool_bench_env *env, void **state)
{
    const tpool_param_value *p = env->params;
    shortcalls *s = calloc(1, sizeof *s);
    size_t calls = (size_t)p[0].i, items = (size_t)p[3].i;
    uint64_t seed = env->seed;
    if (s) {
        s->calls = calls;
        s->items = items;
        s->seed = seed;
        s->spin = env->spin;
        s->item_iters = env->ns_to_iters(p[1].d * 1000 / (double)items);
        s->gap_iters = env->ns_to_iters(p[2].d * 1000);
        s->out = malloc(calls * items * sizeof *s->out);
        s->expect = malloc(items * sizeof *s->expect);
        s->gap_out = malloc(calls * sizeof *s->gap_out);
        s->gap_expect = malloc(calls * sizeof *s->gap_expect);
    }
    if (!s || !s->out || !s->expect || !s->gap_out || !s->gap_expect) {
        teardown(s);
        snprintf(env->errbuf, env->errbuf_size, "out of memory for %zu calls of %zu items",
                 calls, items);
        return -1;
    }
    for (size_t i = 0; i < items; i++)
        s->expect[i] = s->spin(s->item_iters, seed + i);
    for (size_t c = 0; c < calls; c++)
        s->gap_expect[c] = s->spin(s->gap_iters, (seed ^ GAP_SEED) + c);
    *state = s;
    return 0;
}

static void body(void *ctx, size_t begin, size_t end, unsigned participant)
{
    shortcalls *s = ctx;
    (void)participant;
    uint64_t *row = s->out + s->call * s->items;
    for (size_t i = begin; i < end; i++)
        row[i] = s->spin(s->item_iters, s->seed + i);
}

static void prepare(void *state, const tpool_bench_exec *ex)
{
    shortcalls *s = state;
    (void)ex;
    for (size_t c = 0; c < s->calls; c++) {
        for (size_t i = 0; i < s->items; i++)
            s->out[c * s->items + i] = ~s->expect[i];
        s->gap_out[c] = ~s->gap_expect[c];
    }
}

static int run(void *state, const tpool_bench_exec *ex)
{
    shortcalls *s = state;
    for (size_t c = 0; c < s->calls; c++) {
        s->call = c;
        int rc = ex->parallel_for(ex, s->items, body, s, NULL);
        if (rc)
            return rc;
        s->gap_out[c] = s->spin(s->gap_iters, (s->seed ^ GAP_SEED) + c);
    }
    return 0;
}

static int check(void *state, const tpool_bench_exec *ex, char *msg, size_t n)
{
    shortcalls *s = state;
    (void)ex;
    for (size_t c = 0; c < s->calls; c++) {
        for (size_t i = 0; i < s->items; i++) {
            uint64_t v = s->out[c * s->items + i];
            if (v == ~s->expect[i]) {
                snprintf(msg, n, "call %zu: item %zu never ran", c, i);
                return -1;
            }
            if (v != s->expect[i]) {
                snprintf(msg, n, "call %zu: item %zu: result %" PRIx64 ", expected %" PRIx64,
                         c, i, v, s->expect[i]);
                return -1;
            }
        }
        if (s->gap_out[c] != s->gap_expect[c]) {
            snprintf(msg, n, "gap after call %zu: result %" PRIx64 ", expected %" PRIx64, c,
                     s->gap_out[c], s->gap_expect[c]);
            return -1;
        }
    }
    return 0;
}

static void plant(void *state)
{
    shortcalls *s = state;
    s->out[s->calls * s->items - 1] ^= 1;
}

static uint64_t items(void *state, const tpool_bench_exec *ex)
{
    shortcalls *s = state;
    (void)ex;
    return (uint64_t)s->calls * s->items;
}

const tpool_bench_workload bench_wl_shortcalls = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "short-calls",
    .description = "a stream of short parallel-fors (call_us of work) with serial gaps",
    .unit = "items (calls x items)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .uses = TPOOL_BENCH_USES_RANGE,
    .size_param = "calls",
    .setup = setup,
    .run = run,
    .teardown = teardown,
    .prepare = prepare,
    .check = check,
    .items = items,
    .plant = plant,
};
