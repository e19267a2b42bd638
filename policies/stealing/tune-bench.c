/*
 * tune-bench.c - the measurements behind the defaults of the stealing,
 * static and dynamic policies (see docs/policies-stealing-static-dynamic.md).
 * Not installed; build it with `make -C policies/stealing tune-bench`.
 *
 *   tune-bench WORKLOAD POLICY THREADS [PARAMS-JSON [REPS]]
 *
 * prints one line: workload, policy, threads, params, median and best
 * wall time of REPS runs (after two warm-up runs) in milliseconds.
 *
 * Workloads (the cost unit is a dependent multiply-add, about 1 ns):
 *   range-cheap    parallel-for, 4M items of 4 units
 *   range-uniform  parallel-for, 20000 items of 2000 units
 *   range-triangle parallel-for, 4000 items, item i costs 10 i units
 *   range-random   parallel-for, 20000 items, 1 in 50 costs 50000 units,
 *                  the others 200 (fixed seed)
 *   tasks-flat     200000 tasks of 200 units submitted from this thread
 *   tasks-multi    4 outside threads submit 50000 tasks of 200 units each
 *   tasks-fib      fork-join fib(24), every call a task of its own group
 *                  (TUNE_FIB_N=n in the environment for another n)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tpool.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double spin(unsigned units, double x)
{
    for (unsigned i = 0; i < units; i++)
        x = x * 1.0000001 + 1e-9;
    return x;
}

static _Thread_local double sink;
static double g_sink_total;
static pthread_mutex_t g_sink_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    size_t n;
    unsigned *cost; /* per item, or NULL */
    unsigned fixed;
} range_work;

static void range_fn(void *ctx, size_t begin, size_t end, unsigned thread)
{
    range_work *w = ctx;
    double x = sink;
    for (size_t i = begin; i < end; i++)
        x = spin(w->cost ? w->cost[i] : w->fixed, x);
    sink = x;
}

static void task_fn(void *arg)
{
    sink = spin((unsigned)(size_t)arg, sink);
}

typedef struct {
    tpool *p;
    int n;
    long r;
} fib_arg;

static void fib_fn(void *arg)
{
    fib_arg *a = arg;
    if (a->n < 2) {
        a->r = a->n;
        return;
    }
    fib_arg l = { a->p, a->n - 1, 0 }, r = { a->p, a->n - 2, 0 };
    tpool_group *g;
    tpool_group_create(a->p, &g);
    tpool_task_attr at = TPOOL_TASK_ATTR_INIT;
    at.group = g;
    tpool_submit(a->p, fib_fn, &l, &at);
    tpool_submit(a->p, fib_fn, &r, &at);
    tpool_group_wait(g);
    tpool_group_destroy(g);
    a->r = l.r + r.r;
}

typedef struct {
    tpool *p;
    int count;
} submitter_arg;

static void *submitter(void *arg)
{
    submitter_arg *s = arg;
    for (int i = 0; i < s->count; i++)
        tpool_submit(s->p, task_fn, (void *)(size_t)200, NULL);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double run_once(const char *wl, tpool *p, range_work *rw)
{
    double t0 = now_ms();
    if (!strncmp(wl, "range-", 6)) {
        tpool_parallel_range(p, rw->n, range_fn, rw, NULL);
    } else if (!strcmp(wl, "tasks-flat")) {
        for (int i = 0; i < 200000; i++)
            tpool_submit(p, task_fn, (void *)(size_t)200, NULL);
        tpool_wait_all(p);
    } else if (!strcmp(wl, "tasks-multi")) {
        pthread_t th[4];
        submitter_arg a = { p, 50000 };
        for (int i = 0; i < 4; i++)
            pthread_create(&th[i], NULL, submitter, &a);
        for (int i = 0; i < 4; i++)
            pthread_join(th[i], NULL);
        tpool_wait_all(p);
    } else if (!strcmp(wl, "tasks-fib")) {
        const char *env = getenv("TUNE_FIB_N");
        fib_arg a = { p, env ? atoi(env) : 24, 0 };
        tpool_group *g;
        tpool_group_create(p, &g);
        tpool_task_attr at = TPOOL_TASK_ATTR_INIT;
        at.group = g;
        tpool_submit(p, fib_fn, &a, &at);
        tpool_group_wait(g);
        tpool_group_destroy(g);
        long x = 0, y = 1;
        for (int i = 0; i < a.n; i++) {
            long z = x + y;
            x = y;
            y = z;
        }
        if (a.r != x)
            fprintf(stderr, "fib(%d) = %ld, not %ld\n", a.n, a.r, x);
    }
    return now_ms() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s WORKLOAD POLICY THREADS [PARAMS-JSON [REPS]]\n", argv[0]);
        return 2;
    }
    const char *wl = argv[1], *policy = argv[2];
    unsigned threads = (unsigned)atoi(argv[3]);
    const char *params = argc > 4 ? argv[4] : "{}";
    int reps = argc > 5 ? atoi(argv[5]) : 15;

    range_work rw = { 0 };
    if (!strcmp(wl, "range-cheap")) {
        rw.n = 4000000;
        rw.fixed = 4;
    } else if (!strcmp(wl, "range-uniform")) {
        rw.n = 20000;
        rw.fixed = 2000;
    } else if (!strcmp(wl, "range-triangle")) {
        rw.n = 4000;
        rw.cost = malloc(rw.n * sizeof *rw.cost);
        for (size_t i = 0; i < rw.n; i++)
            rw.cost[i] = (unsigned)(10 * i);
    } else if (!strcmp(wl, "range-random")) {
        rw.n = 20000;
        rw.cost = malloc(rw.n * sizeof *rw.cost);
        unsigned seed = 12345;
        for (size_t i = 0; i < rw.n; i++)
            rw.cost[i] = rand_r(&seed) % 50 == 0 ? 50000 : 200;
    } else if (strcmp(wl, "tasks-flat") && strcmp(wl, "tasks-multi")
               && strcmp(wl, "tasks-fib")) {
        fprintf(stderr, "unknown workload %s\n", wl);
        return 2;
    }

    char json[1024];
    snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": %u, \"params\": %s}",
             policy, threads, params);
    tpool_error err;
    tpool_error_clear(&err);
    tpool *p = NULL;
    if (tpool_create_from_text(json, &p, &err) != 0) {
        fprintf(stderr, "%s\n", err.text);
        return 1;
    }
    double *t = malloc((size_t)reps * sizeof *t);
    for (int i = 0; i < 2; i++)
        run_once(wl, p, &rw);
    for (int i = 0; i < reps; i++)
        t[i] = run_once(wl, p, &rw);
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    printf("%-15s %-9s T=%-2u %-40s median %9.3f ms  best %9.3f ms\n", wl, policy, threads,
           params, t[reps / 2], t[0]);
    tpool_destroy(p);
    pthread_mutex_lock(&g_sink_lock);
    g_sink_total += sink;
    pthread_mutex_unlock(&g_sink_lock);
    free(t);
    free(rw.cost);
    return g_sink_total == 12345.678 ? 3 : 0;
}
