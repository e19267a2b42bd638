/*
 * jobs.c - a tpool-bench workload outside the tpool tree: a batch of short
 * and long jobs (a share `long_share` of them long), each submitted as a
 * task with its cost as the hint a scheduler may read, and timed.
 *
 * With every job queued at once, the order a policy starts them in decides
 * how long the short ones wait: first-come-first-served makes them wait
 * behind every long job submitted before them, shortest-first lets them
 * all through at once. The harness reports the makespan and, because the
 * tasks are stamped, their flow times; the workload adds a figure of its
 * own, the mean flow time of the short jobs, to show how a metric is
 * reported.
 *
 * Build: make (see the Makefile: pkg-config --cflags tpool, no library).
 * Run:   tpool-bench --workloads ./jobs.so     (every policy, defaults)
 *        tpool-bench bench.json                (the experiment beside this file)
 */
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpool-bench.h"

/* The parameters: typed, range-checked by tpool-bench with the file, line
 * and column of a bad value, listed by tpool-bench --list-workloads. */
static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "jobs per run", 1, 10000000, 1000),
    TPOOL_BENCH_PARAM_DOUBLE("short_ns", "cost of a short job, ns", 0, 1e9, 2000),
    TPOOL_BENCH_PARAM_DOUBLE("long_ns", "cost of a long job, ns", 0, 1e10, 100000),
    TPOOL_BENCH_PARAM_DOUBLE("long_share", "share of the jobs that are long (drawn with the "
                                           "seed)", 0, 1, 0.1),
    TPOOL_BENCH_PARAM_BOOL("hints", "give each job its cost as a hint", 1),
};

static const tpool_bench_metric metrics[] = {
    { "short_flow_mean", "ns", "mean time from submission to end of the short jobs" },
};

typedef struct jobs jobs;

typedef struct job {
    jobs *j;
    uint64_t submit_ns, end_ns; /* written by the submitter and by the job */
    uint64_t out;               /* the job's result */
} job;

struct jobs {
    size_t n;
    int hints;
    uint64_t seed;
    uint64_t short_iters, long_iters, short_ns, long_ns;
    unsigned char *is_long;
    uint64_t *expect;
    job *job;
    /* the harness's services, kept from setup */
    uint64_t (*spin)(uint64_t iters, uint64_t seed);
    uint64_t (*now_ns)(void);
};

static void teardown(void *state)
{
    jobs *j = state;
    if (!j)
        return;
    free(j->is_long);
    free(j->expect);
    free(j->job);
    free(j);
}

static int setup(const tpool_bench_env *env, void **state)
{
    const tpool_param_value *p = env->params;
    jobs *j = calloc(1, sizeof *j);
    if (j) {
        j->n = (size_t)p[0].i;
        j->short_ns = (uint64_t)p[1].d;
        j->long_ns = (uint64_t)p[2].d;
        j->short_iters = env->ns_to_iters(p[1].d);
        j->long_iters = env->ns_to_iters(p[2].d);
        j->hints = (int)p[4].i;
        j->seed = env->seed;
        j->spin = env->spin;
        j->now_ns = env->now_ns;
        j->is_long = calloc(j->n, 1);
        j->expect = calloc(j->n, sizeof *j->expect);
        j->job = calloc(j->n, sizeof *j->job);
    }
    if (!j || !j->is_long || !j->expect || !j->job) {
        teardown(j);
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    /* The data come from the experiment's seed: every run, every policy
     * and every executor gets the same jobs. */
    uint64_t rng = env->seed;
    for (size_t i = 0; i < j->n; i++) {
        j->is_long[i] = tpool_bench_rand_unit(&rng) <= p[3].d;
        j->job[i].j = j;
        j->expect[i] = j->spin(j->is_long[i] ? j->long_iters : j->short_iters, j->seed + i);
    }
    *state = j;
    return 0;
}

/* The task: a job spins its cost and notes when it ended. */
static void run_job(void *arg)
{
    job *b = arg;
    jobs *j = b->j;
    size_t i = (size_t)(b - j->job);
    b->out = j->spin(j->is_long[i] ? j->long_iters : j->short_iters, j->seed + i);
    b->end_ns = j->now_ns();
}

/* Before each run (not timed): results that a job that never ran would
 * leave wrong. */
static void prepare(void *state, const tpool_bench_exec *ex)
{
    jobs *j = state;
    (void)ex;
    for (size_t i = 0; i < j->n; i++) {
        j->job[i].out = ~j->expect[i];
        j->job[i].end_ns = 0;
    }
}

/* One run, timed: every job submitted into one group, then the wait. The
 * same code runs on tpool under each policy, serially, and on OpenMP tasks:
 * ex says which, and its services do the rest. */
static int run(void *state, const tpool_bench_exec *ex)
{
    jobs *j = state;
    tpool_bench_group *g;
    int rc = ex->group_create(ex, &g);
    if (rc)
        return rc;
    tpool_bench_task_attr a = { .struct_size = sizeof a, .flags = TPOOL_BENCH_TASK_STAMP };
    for (size_t i = 0; rc == 0 && i < j->n; i++) {
        a.cost_hint = j->hints ? (j->is_long[i] ? j->long_ns : j->short_ns) : 0;
        a.work = j->is_long[i] ? j->long_ns : j->short_ns; /* for the imbalance figure */
        j->job[i].submit_ns = j->now_ns();
        rc = ex->submit(ex, g, run_job, &j->job[i], &a);
    }
    int wrc = ex->group_wait(ex, g);
    return rc ? rc : wrc;
}

/* After each run: every job computed its own value. (tpool-bench checks by
 * itself that every task ran exactly once.) */
static int check(void *state, const tpool_bench_exec *ex, char *msg, size_t size)
{
    jobs *j = state;
    (void)ex;
    for (size_t i = 0; i < j->n; i++)
        if (j->job[i].out != j->expect[i]) {
            snprintf(msg, size, "job %zu: %s", i,
                     j->job[i].out == ~j->expect[i] ? "never ran" : "wrong result");
            return -1;
        }
    return 0;
}

static void metrics_read(void *state, const tpool_bench_exec *ex, double *out)
{
    jobs *j = state;
    (void)ex;
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < j->n; i++)
        if (!j->is_long[i]) {
            sum += (double)(j->job[i].end_ns - j->job[i].submit_ns);
            k++;
        }
    out[0] = k ? sum / (double)k : NAN; /* no short job: no figure */
}

static uint64_t items(void *state, const tpool_bench_exec *ex)
{
    (void)ex;
    return ((jobs *)state)->n;
}

static const tpool_bench_workload jobs_workload = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "jobs",
    .description = "short and long jobs with cost hints, all queued at once",
    .unit = "jobs",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .uses = TPOOL_BENCH_USES_TASKS,
    .setup = setup,
    .run = run,
    .teardown = teardown,
    .prepare = prepare,
    .check = check,
    .items = items,
    .metrics = metrics,
    .nmetrics = sizeof metrics / sizeof metrics[0],
    .metrics_read = metrics_read,
    .size_param = "n",
};

TPOOL_BENCH_WORKLOAD_DEFINE(jobs_workload)
