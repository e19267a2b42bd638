/*
 * tinytasks.c - n independent submitted tasks that do nothing, so the time
 * is the cost of submitting, queueing and starting them. One task in
 * `stamp_every`, drawn with the seed, is stamped (TPOOL_BENCH_TASK_STAMP):
 * the harness notes when it was submitted, started and ended, which gives
 * the run's submit-to-start latencies. Three clock reads cost more than
 * such a task, so stamping every task would measure mostly the clock; a
 * random draw (not every k-th task) cannot fall in step with a policy that
 * deals tasks to workers in turn.
 *
 * producers = 1: the calling thread submits every task, then waits.
 * producers = P > 1 (0 = one per thread): P producer tasks each submit
 * their share into the caller's group from inside the pool (worker threads
 * submitting at once).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpool-bench.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "tasks per run", 1, 100000000, 1000000),
    TPOOL_BENCH_PARAM_INT("producers", "submitting threads: 1 = the caller; 0 = one per thread",
                          0, 1024, 1),
    TPOOL_BENCH_PARAM_INT("stamp_every",
                          "latency stamps on one task in this many, drawn with the seed "
                          "(1 = all)", 1, 1000000, 16),
};

typedef struct tiny tiny;

typedef struct producer {
    tiny *t;
    size_t lo, hi;
} producer;

struct tiny {
    size_t n;
    unsigned producers;        /* 0 = threads */
    unsigned char *stamp;      /* per task, drawn at setup */
    _Atomic int failed;        /* a submit failed inside a producer task */
    const tpool_bench_exec *ex;   /* during a run */
    tpool_bench_group *group;     /* during a run */
    producer *prod;
    unsigned nprod;
};

static void teardown(void *state)
{
    tiny *t = state;
    if (!t)
        return;
    free(t->stamp);
    free(t->prod);
    free(t);
}

static int setup(const tpool_bench_env *env, void **state)
{
    tiny *t = calloc(1, sizeof *t);
    if (t) {
        t->n = (size_t)env->params[0].i;
        t->producers = (unsigned)env->params[1].i;
        t->stamp = calloc(t->n, 1);
        t->nprod = t->producers ? t->producers : env->max_threads;
        t->prod = calloc(t->nprod ? t->nprod : 1, sizeof *t->prod);
    }
    if (!t || !t->stamp || !t->prod) {
        teardown(t);
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    uint64_t every = (uint64_t)env->params[2].i, rng = env->seed ^ 0x7A11E57A3D5u;
    size_t nstamped = 0;
    for (size_t i = 0; i < t->n; i++) {
        t->stamp[i] = tpool_bench_rand(&rng) % every == 0;
        nstamped += t->stamp[i];
    }
    if (nstamped == 0) /* too few tasks for the draw: stamp one */
        t->stamp[0] = 1;
    *state = t;
    return 0;
}

static void task(void *arg)
{
    (void)arg;
}

static int submit_range(tiny *t, size_t lo, size_t hi)
{
    tpool_bench_task_attr plain = { .struct_size = sizeof plain };
    tpool_bench_task_attr stamped = { .struct_size = sizeof stamped,
                                      .flags = TPOOL_BENCH_TASK_STAMP };
    for (size_t i = lo; i < hi; i++) {
        int rc = t->ex->submit(t->ex, t->group, task, NULL, t->stamp[i] ? &stamped : &plain);
        if (rc)
            return rc;
    }
    return 0;
}

static void producer_task(void *arg)
{
    producer *p = arg;
    if (submit_range(p->t, p->lo, p->hi) != 0)
        atomic_store_explicit(&p->t->failed, 1, memory_order_relaxed);
}

static int run(void *state, const tpool_bench_exec *ex)
{
    tiny *t = state;
    unsigned np = t->producers ? t->producers : ex->threads;
    if (np > t->nprod)
        np = t->nprod;
    t->ex = ex;
    atomic_store_explicit(&t->failed, 0, memory_order_relaxed);
    int rc = ex->group_create(ex, &t->group);
    if (rc)
        return rc;
    if (np <= 1) {
        rc = submit_range(t, 0, t->n);
    } else {
        for (unsigned k = 0; rc == 0 && k < np; k++) {
            t->prod[k] = (producer){ t, t->n * k / np, t->n * (k + 1) / np };
            rc = ex->submit(ex, t->group, producer_task, &t->prod[k], NULL);
        }
    }
    int wrc = ex->group_wait(ex, t->group);
    t->group = NULL;
    if (!rc && atomic_load_explicit(&t->failed, memory_order_relaxed))
        rc = TPOOL_ENOMEM;
    return rc ? rc : wrc;
}

static uint64_t items(void *state, const tpool_bench_exec *ex)
{
    (void)ex;
    return ((tiny *)state)->n;
}

const tpool_bench_workload bench_wl_tinytasks = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "tiny-tasks",
    .description = "independent empty submitted tasks, from one producer or many",
    .unit = "tasks",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .flags = TPOOL_BENCH_WL_MICRO,
    .uses = TPOOL_BENCH_USES_TASKS,
    .size_param = "n",
    .setup = setup,
    .run = run,
    .teardown = teardown,
    .items = items,
};
