/* costed.c - parallel-for over items of known cost (see costed.h). */
#include "costed.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int costed_setup(const tpool_bench_env *env, costed_fill_fn fill, void **state)
{
    size_t n = (size_t)env->params[0].i;
    costed *c = calloc(1, sizeof *c);
    if (c) {
        c->n = n;
        c->seed = env->seed;
        c->spin = env->spin;
        c->sleep = env->sleep_ns;
        c->iters = calloc(n ? n : 1, sizeof *c->iters);
        c->out = calloc(n ? n : 1, sizeof *c->out);
        c->expect = calloc(n ? n : 1, sizeof *c->expect);
        c->cost = calloc(n + 1, sizeof *c->cost);
    }
    if (!c || !c->iters || !c->out || !c->expect || !c->cost) {
        costed_teardown(c);
        snprintf(env->errbuf, env->errbuf_size, "out of memory for %zu items", n);
        return -1;
    }
    fill(c, env);
    uint64_t sleep_iters = env->ns_to_iters((double)c->sleep_ns);
    for (size_t i = 0; i < c->n; i++) {
        c->expect[i] = c->spin(c->iters[i], c->seed + i);
        c->cost[i + 1] = c->cost[i] + c->iters[i] + sleep_iters;
    }
    *state = c;
    return 0;
}

static void body(void *ctx, size_t begin, size_t end, unsigned participant)
{
    costed *c = ctx;
    (void)participant;
    for (size_t i = begin; i < end; i++) {
        if (c->sleep_ns)
            c->sleep(c->sleep_ns);
        c->out[i] = c->spin(c->iters[i], c->seed + i);
    }
}

void costed_prepare(void *state, const tpool_bench_exec *ex)
{
    costed *c = state;
    (void)ex;
    for (size_t i = 0; i < c->n; i++)
        c->out[i] = ~c->expect[i];
}

int costed_run(void *state, const tpool_bench_exec *ex)
{
    costed *c = state;
    tpool_bench_range_opts o = { .struct_size = sizeof o, .cost = c->cost };
    return ex->parallel_for(ex, c->n, body, c, &o);
}

int costed_check(void *state, const tpool_bench_exec *ex, char *msg, size_t n)
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
    return 0;
}

void costed_plant(void *state)
{
    costed *c = state;
    if (c->n)
        c->out[c->n / 2] ^= 1;
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
