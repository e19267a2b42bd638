/*
 * taskstream.h - the engine of the task workloads whose tasks carry what a
 * scheduler can use (costed-tasks, deadline-tasks): the calling thread
 * submits n tasks in order, each with its priority, cost hint and
 * deadline, waiting gap[i] (spinning: it is busy, as a program producing
 * work is) before task i; task i spins iters[i] iterations seeded with
 * seed + i. Every task is stamped, so the harness reports submit-to-start
 * latency, flow time, slowdown and deadline misses beside the makespan.
 * setup computes the expected values once; a task that never ran still
 * holds the complement of its expected value.
 */
#ifndef TPOOL_BENCH_TASKSTREAM_H
#define TPOOL_BENCH_TASKSTREAM_H

#include "tpool-bench.h"

typedef struct stream_task {
    struct taskstream *s;
    uint64_t out;
} stream_task;

typedef struct taskstream {
    size_t n;
    uint64_t seed;
    uint64_t *iters;       /* per task: its cost in spin iterations */
    uint64_t *cost_ns;     /* per task: its nominal cost */
    uint64_t *hint;        /* per task: the cost hint the scheduler sees (0: none) */
    int *priority;         /* per task */
    uint64_t *deadline_ns; /* per task, after its submission (0: none) */
    uint64_t *gap;         /* per task: spin iterations before its submission */
    uint64_t *expect;
    double hint_error;     /* mean |hint - cost| / cost (taskstream_finish) */
    stream_task *t;
    uint64_t (*spin)(uint64_t iters, uint64_t seed);
    uint64_t (*ns_to_iters)(double ns);
} taskstream;

/* n tasks, every array zeroed (no gap, priority 0, no hint, no deadline);
 * NULL with "out of memory" in env->errbuf. */
taskstream *taskstream_new(const tpool_bench_env *env, size_t n);
/* After the caller filled cost_ns (and whatever else): the iterations, the
 * expected values and the hints' error. */
void taskstream_finish(taskstream *s);
/* Exponential gaps of mean mean_ns (0: none), drawn from *rng. */
void taskstream_gaps(taskstream *s, double mean_ns, uint64_t *rng);

void taskstream_prepare(void *state, const tpool_bench_exec *ex);
int taskstream_run(void *state, const tpool_bench_exec *ex);
int taskstream_check(void *state, const tpool_bench_exec *ex, char *msg, size_t n);
void taskstream_plant(void *state);
void taskstream_teardown(void *state);

/* The members every task-stream workload's descriptor shares. */
#define TASKSTREAM_WORKLOAD(ps, setup_fn)                                                \
    TPOOL_BENCH_WORKLOAD_HEADER, .unit = "tasks", .params = (ps),                         \
    .nparams = sizeof(ps) / sizeof((ps)[0]), .uses = TPOOL_BENCH_USES_TASKS,              \
    .size_param = "n", .setup = (setup_fn), .run = taskstream_run,                        \
    .teardown = taskstream_teardown, .prepare = taskstream_prepare,                       \
    .check = taskstream_check, .plant = taskstream_plant

#endif
