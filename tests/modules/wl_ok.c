/*
 * wl_ok.c - a workload module as a user writes one (tpool-bench.h), for the
 * loader's and the runner's tests: `n` tasks, each running a parallel-for
 * of `items` items from inside the task when `nested` is set, and one more
 * parallel-for from run; parameters of every type; one custom metric (the
 * items the tasks counted); and, with refuse or the tag "bad", a setup
 * that fails with a message.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpool-bench.h"

static const char *const shapes[] = { "flat", "nested", NULL };

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "tasks", 1, 100000, 20),
    TPOOL_BENCH_PARAM_INT("items", "items of each parallel-for", 0, 100000, 30),
    TPOOL_BENCH_PARAM_DOUBLE("task_ns", "spin of each item, ns", 0, 1e6, 100),
    TPOOL_BENCH_PARAM_ENUM("shape", "flat: parallel-fors from run only; nested: from the "
                                    "tasks too", shapes, 1),
    TPOOL_BENCH_PARAM_BOOL("refuse", "setup fails", 0),
    TPOOL_BENCH_PARAM_STRING("tag", "setup fails unless it is 1 to 16 bytes, not \"bad\"", 1,
                             16, "none"),
};

static const tpool_bench_metric metrics[] = {
    { "counted", "items", "items the bodies counted in the last run" },
};

typedef struct wl {
    size_t n, items;
    int nested;
    uint64_t iters;
    uint64_t (*spin)(uint64_t, uint64_t);
    _Atomic uint64_t counted;
    _Atomic int failed;
    const tpool_bench_exec *ex;
} wl;

static int setup(const tpool_bench_env *env, void **state)
{
    if (env->params[4].i) {
        snprintf(env->errbuf, env->errbuf_size, "refused as asked (refuse: true)");
        return -1;
    }
    if (strcmp(env->params[5].s, "bad") == 0) {
        snprintf(env->errbuf, env->errbuf_size, "refused as asked (tag: \"bad\")");
        return -1;
    }
    wl *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->n = (size_t)env->params[0].i;
    w->items = (size_t)env->params[1].i;
    w->iters = env->ns_to_iters(env->params[2].d);
    w->nested = env->params[3].i == 1;
    w->spin = env->spin;
    *state = w;
    return 0;
}

static void body(void *ctx, size_t begin, size_t end, unsigned participant)
{
    wl *w = ctx;
    (void)participant;
    volatile uint64_t sink = 0;
    for (size_t i = begin; i < end; i++)
        sink += w->spin(w->iters, i);
    atomic_fetch_add_explicit(&w->counted, end - begin, memory_order_relaxed);
}

static void task(void *arg)
{
    wl *w = arg;
    if (w->nested && w->ex->parallel_for(w->ex, w->items, body, w, NULL) != 0)
        atomic_store(&w->failed, 1);
}

static void prepare(void *state, const tpool_bench_exec *ex)
{
    wl *w = state;
    (void)ex;
    atomic_store(&w->counted, 0);
    atomic_store(&w->failed, 0);
}

static int run(void *state, const tpool_bench_exec *ex)
{
    wl *w = state;
    w->ex = ex;
    tpool_bench_group *g;
    int rc = ex->group_create(ex, &g);
    if (rc)
        return rc;
    tpool_bench_task_attr a = { .struct_size = sizeof a, .flags = TPOOL_BENCH_TASK_STAMP };
    for (size_t i = 0; rc == 0 && i < w->n; i++)
        rc = ex->submit(ex, g, task, w, &a);
    int wrc = ex->group_wait(ex, g);
    if (rc == 0)
        rc = wrc;
    if (rc == 0)
        rc = ex->parallel_for(ex, w->items, body, w, NULL);
    return rc ? rc : atomic_load(&w->failed) ? TPOOL_ENOMEM : 0;
}

static int check(void *state, const tpool_bench_exec *ex, char *msg, size_t size)
{
    wl *w = state;
    (void)ex;
    uint64_t want = w->items * ((w->nested ? w->n : 0) + 1);
    uint64_t got = atomic_load(&w->counted);
    if (got != want) {
        snprintf(msg, size, "counted %llu items, expected %llu", (unsigned long long)got,
                 (unsigned long long)want);
        return -1;
    }
    return 0;
}

static void metrics_read(void *state, const tpool_bench_exec *ex, double *out)
{
    (void)ex;
    out[0] = (double)atomic_load(&((wl *)state)->counted);
}

static void teardown(void *state)
{
    free(state);
}

static const tpool_bench_workload desc = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "wl-ok",
    .description = "tasks that run parallel-fors (a test module)",
    .unit = "tasks",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    /* parallel-fors from inside tasks: only where both run together */
    .uses = TPOOL_BENCH_USES_RANGE | TPOOL_BENCH_USES_TASKS,
    .setup = setup,
    .run = run,
    .teardown = teardown,
    .prepare = prepare,
    .check = check,
    .metrics = metrics,
    .nmetrics = 1,
    .metrics_read = metrics_read,
    .size_param = "n",
};

TPOOL_BENCH_WORKLOAD_DEFINE(desc)
