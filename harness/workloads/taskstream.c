/* taskstream.c - a stream of tasks with costs, hints, priorities and
 * deadlines (see taskstream.h). */
#include "taskstream.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

taskstream *taskstream_new(const tpool_bench_env *env, size_t n)
{
    taskstream *s = calloc(1, sizeof *s);
    size_t m = n ? n : 1;
    if (s) {
        s->n = n;
        s->seed = env->seed;
        s->spin = env->spin;
        s->ns_to_iters = env->ns_to_iters;
        s->iters = calloc(m, sizeof *s->iters);
        s->cost_ns = calloc(m, sizeof *s->cost_ns);
        s->hint = calloc(m, sizeof *s->hint);
        s->priority = calloc(m, sizeof *s->priority);
        s->deadline_ns = calloc(m, sizeof *s->deadline_ns);
        s->gap = calloc(m, sizeof *s->gap);
        s->expect = calloc(m, sizeof *s->expect);
        s->t = calloc(m, sizeof *s->t);
    }
    if (!s || !s->iters || !s->cost_ns || !s->hint || !s->priority || !s->deadline_ns ||
        !s->gap || !s->expect || !s->t) {
        taskstream_teardown(s);
        snprintf(env->errbuf, env->errbuf_size, "out of memory for %zu tasks", n);
        return NULL;
    }
    return s;
}

void taskstream_finish(taskstream *s)
{
    double err = 0;
    for (size_t i = 0; i < s->n; i++) {
        s->t[i].s = s;
        s->iters[i] = s->ns_to_iters((double)s->cost_ns[i]);
        s->expect[i] = s->spin(s->iters[i], s->seed + i);
        double c = (double)(s->cost_ns[i] ? s->cost_ns[i] : 1);
        err += fabs((double)s->hint[i] - c) / c;
    }
    s->hint_error = s->n ? err / (double)s->n : 0;
}

void taskstream_gaps(taskstream *s, double mean_ns, uint64_t *rng)
{
    for (size_t i = 0; i < s->n; i++)
        s->gap[i] = mean_ns > 0 ? s->ns_to_iters(-mean_ns * log(tpool_bench_rand_unit(rng)))
                                : 0;
}

static void task(void *arg)
{
    stream_task *t = arg;
    taskstream *s = t->s;
    size_t i = (size_t)(t - s->t);
    t->out = s->spin(s->iters[i], s->seed + i);
}

void taskstream_prepare(void *state, const tpool_bench_exec *ex)
{
    taskstream *s = state;
    (void)ex;
    for (size_t i = 0; i < s->n; i++)
        s->t[i].out = ~s->expect[i];
}

int taskstream_run(void *state, const tpool_bench_exec *ex)
{
    taskstream *s = state;
    tpool_bench_group *g;
    int rc = ex->group_create(ex, &g);
    if (rc)
        return rc;
    tpool_bench_task_attr a = { .struct_size = sizeof a, .flags = TPOOL_BENCH_TASK_STAMP };
    volatile uint64_t sink = 0;
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        if (s->gap[i])
            sink += s->spin(s->gap[i], i);
        a.priority = s->priority[i];
        a.cost_hint = s->hint[i];
        a.work = s->cost_ns[i] ? s->cost_ns[i] : 1;
        a.deadline_ns = s->deadline_ns[i];
        rc = ex->submit(ex, g, task, &s->t[i], &a);
    }
    (void)sink;
    int wrc = ex->group_wait(ex, g);
    return rc ? rc : wrc;
}

int taskstream_check(void *state, const tpool_bench_exec *ex, char *msg, size_t n)
{
    taskstream *s = state;
    (void)ex;
    for (size_t i = 0; i < s->n; i++) {
        if (s->t[i].out == ~s->expect[i]) {
            snprintf(msg, n, "task %zu never ran", i);
            return -1;
        }
        if (s->t[i].out != s->expect[i]) {
            snprintf(msg, n, "task %zu: result %" PRIx64 ", expected %" PRIx64, i,
                     s->t[i].out, s->expect[i]);
            return -1;
        }
    }
    return 0;
}

void taskstream_plant(void *state)
{
    taskstream *s = state;
    if (s->n)
        s->t[s->n - 1].out ^= 1;
}

void taskstream_teardown(void *state)
{
    taskstream *s = state;
    if (!s)
        return;
    free(s->iters);
    free(s->cost_ns);
    free(s->hint);
    free(s->priority);
    free(s->deadline_ns);
    free(s->gap);
    free(s->expect);
    free(s->t);
    free(s);
}
