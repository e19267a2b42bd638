/*
 * prioritymix.c - two streams through one queue: the calling thread submits
 * n tasks of task_ns each, every high_every-th one at priority
 * high_priority, the rest at 0, faster than the pool can run them, then
 * waits. A policy that honours priorities starts the high-priority tasks
 * soon after their submission; the price is that low-priority tasks wait
 * longer. Every task is stamped: the harness reports the high-priority
 * submit-to-start percentiles and the longest low-priority wait.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpool-bench.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "tasks per run", 1, 100000000, 20000),
    TPOOL_BENCH_PARAM_INT("high_every", "every k-th task is high-priority", 1, 1000000000, 10),
    TPOOL_BENCH_PARAM_DOUBLE("task_ns", "cost of each task, ns", 0, 1e9, 1000),
    TPOOL_BENCH_PARAM_INT("high_priority", "priority of the high stream (the low one has 0)", 1,
                          1000000000, 10),
};

typedef struct pmix pmix;

typedef struct ptask {
    pmix *m;
    uint64_t out;
} ptask;

struct pmix {
    size_t n, every;
    int prio;
    uint64_t iters, seed;
    uint64_t (*spin)(uint64_t, uint64_t);
    ptask *t;
    uint64_t *expect;
};

static int is_high(const pmix *m, size_t i)
{
    return i % m->every == m->every - 1;
}

static void teardown(void *state)
{
    pmix *m = state;
    if (!m)
        return;
    free(m->t);
    free(m->expect);
    free(m);
}

static int setup(const tpool_bench_env *env, void **state)
{
    const tpool_param_value *p = env->params;
    pmix *m = calloc(1, sizeof *m);
    if (m) {
        m->n = (size_t)p[0].i;
        m->every = (size_t)p[1].i;
        m->iters = env->ns_to_iters(p[2].d);
        m->prio = (int)p[3].i;
        m->seed = env->seed;
        m->spin = env->spin;
        m->t = calloc(m->n, sizeof *m->t);
        m->expect = malloc(m->n * sizeof *m->expect);
    }
    if (!m || !m->t || !m->expect) {
        teardown(m);
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < m->n; i++) {
        m->t[i].m = m;
        m->expect[i] = m->spin(m->iters, m->seed + i);
    }
    *state = m;
    return 0;
}

static void task_fn(void *arg)
{
    ptask *t = arg;
    pmix *m = t->m;
    t->out = m->spin(m->iters, m->seed + (size_t)(t - m->t));
}

static void prepare(void *state, const tpool_bench_exec *ex)
{
    pmix *m = state;
    (void)ex;
    for (size_t i = 0; i < m->n; i++)
        m->t[i].out = ~m->expect[i];
}

static int run(void *state, const tpool_bench_exec *ex)
{
    pmix *m = state;
    tpool_bench_group *g;
    int rc = ex->group_create(ex, &g);
    if (rc)
        return rc;
    tpool_bench_task_attr a = { .struct_size = sizeof a, .flags = TPOOL_BENCH_TASK_STAMP };
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        a.priority = is_high(m, i) ? m->prio : 0;
        rc = ex->submit(ex, g, task_fn, &m->t[i], &a);
    }
    int wrc = ex->group_wait(ex, g);
    return rc ? rc : wrc;
}

static int check(void *state, const tpool_bench_exec *ex, char *msg, size_t n)
{
    pmix *m = state;
    (void)ex;
    for (size_t i = 0; i < m->n; i++) {
        if (m->t[i].out == ~m->expect[i]) {
            snprintf(msg, n, "task %zu never ran", i);
            return -1;
        }
        if (m->t[i].out != m->expect[i]) {
            snprintf(msg, n, "task %zu: result %" PRIx64 ", expected %" PRIx64, i,
                     m->t[i].out, m->expect[i]);
            return -1;
        }
    }
    return 0;
}

static void plant(void *state)
{
    pmix *m = state;
    m->t[0].out ^= 1;
}

const tpool_bench_workload bench_wl_prioritymix = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "priority-mix",
    .description = "high- and low-priority task streams; high-priority latency, longest low wait",
    .unit = "tasks",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .uses = TPOOL_BENCH_USES_TASKS,
    .size_param = "n",
    .setup = setup,
    .run = run,
    .teardown = teardown,
    .prepare = prepare,
    .check = check,
    .plant = plant,
};
