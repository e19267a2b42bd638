/* costed.c - parallel-for over items of known cost (see costed.h). */
#include "costed.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

costed *costed_new(size_t n, uint64_t seed, uint64_t sleep_ns)
{
    costed *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n = n;
    c->seed = seed;
    c->sleep_ns = sleep_ns;
    c->iters = calloc(n ? n : 1, sizeof *c->iters);
    c->out = calloc(n ? n : 1, sizeof *c->out);
    c->expect = calloc(n ? n : 1, sizeof *c->expect);
    c->visits = calloc(n ? n : 1, sizeof *c->visits);
    if (!c->iters || !c->out || !c->expect || !c->visits) {
        costed_teardown(c);
        return NULL;
    }
    return c;
}

void costed_finish(costed *c)
{
    for (size_t i = 0; i < c->n; i++)
        c->expect[i] = bench_spin(c->iters[i], c->seed + i);
}

int costed_setup(const double *p, uint64_t seed, costed_fill_fn fill, void **state, char *err,
                 size_t errsize)
{
    costed *c = costed_new((size_t)p[0], seed, 0);
    if (!c) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    fill(c, p, seed);
    costed_finish(c);
    *state = c;
    return 0;
}

static void body(void *ctx, size_t begin, size_t end, unsigned slot)
{
    costed *c = ctx;
    (void)slot;
    for (size_t i = begin; i < end; i++) {
        if (c->sleep_ns)
            bench_sleep_ns(c->sleep_ns);
        c->out[i] = bench_spin(c->iters[i], c->seed + i);
        atomic_fetch_add_explicit(&c->visits[i], 1, memory_order_relaxed);
    }
}

void costed_prepare(void *state, const bench_exec *ex)
{
    costed *c = state;
    (void)ex;
    memset(c->out, 0, c->n * sizeof *c->out);
    for (size_t i = 0; i < c->n; i++)
        atomic_store_explicit(&c->visits[i], 0, memory_order_relaxed);
}

int costed_run(void *state, const bench_exec *ex)
{
    costed *c = state;
    return bench_range(ex, c->n, body, c);
}

int costed_check(void *state, const bench_exec *ex, char *msg, size_t n)
{
    costed *c = state;
    (void)ex;
    for (size_t i = 0; i < c->n; i++) {
        uint32_t v = atomic_load_explicit(&c->visits[i], memory_order_relaxed);
        if (v != 1) {
            snprintf(msg, n, "item %zu was run %" PRIu32 " times", i, v);
            return -1;
        }
        if (c->out[i] != c->expect[i]) {
            snprintf(msg, n, "item %zu: result %" PRIx64 ", expected %" PRIx64, i, c->out[i],
                     c->expect[i]);
            return -1;
        }
    }
    return 0;
}

void costed_plant(void *state)
{
    costed *c = state;
    if (c->n)
        c->out[c->n / 2] ^= 1;
}

uint64_t costed_items(void *state, const bench_exec *ex)
{
    (void)ex;
    return ((costed *)state)->n;
}

void costed_teardown(void *state)
{
    costed *c = state;
    if (!c)
        return;
    free(c->iters);
    free(c->out);
    free(c->expect);
    free((void *)c->visits);
    free(c);
}
