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
    c->cost = calloc(n + 1, sizeof *c->cost);
    if (!c->iters || !c->out || !c->expect || !c->cost) {
        costed_teardown(c);
        return NULL;
    }
    return c;
}

void costed_finish(costed *c)
{
    uint64_t sleep_iters = bench_ns_to_iters((double)c->sleep_ns);
    for (size_t i = 0; i < c->n; i++) {
        c->expect[i] = bench_spin(c->iters[i], c->seed + i);
        c->cost[i + 1] = c->cost[i] + c->iters[i] + sleep_iters;
    }
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
    }
}

void costed_prepare(void *state, const bench_exec *ex)
{
    costed *c = state;
    (void)ex;
    for (size_t i = 0; i < c->n; i++)
        c->out[i] = ~c->expect[i];
}

int costed_run(void *state, const bench_exec *ex)
{
    costed *c = state;
    bench_range_opts o = { .cost = c->cost };
    return bench_range(ex, c->n, body, c, &o);
}

int costed_check(void *state, const bench_exec *ex, char *msg, size_t n)
{
    costed *c = state;
    (void)ex;
    for (size_t i = 0; i < c->n; i++) {
        if (c->out[i] == ~c->expect[i]) {
            snprintf(msg, n, "item %zu never ran", i);
            return -1;
        }
        if (c->out[i] != c->expect[i]) {
            snprintf(msg, n, "item %zu: result %" PRIx64 ", expected %" PRIx64, i, c->out[i],
                     c->expect[i]);
            return -1;
        }
    }
    return bench_rec_check_items(c->n, msg, n);
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
    free(c->cost);
    free(c);
}
