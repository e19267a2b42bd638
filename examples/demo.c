/*
 * demo.c - loads the policy named in a JSON config (examples/tpool.json by
 * default), runs a mixed workload through it and prints per-worker
 * statistics. Usage: tpool-demo [CONFIG.json]
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tpool.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A task of about `arg` microseconds of arithmetic. */
static _Atomic uint64_t g_sink;
static void work(void *arg)
{
    uint64_t x = (uintptr_t)arg, n = (uintptr_t)arg * 300;
    for (uint64_t i = 0; i < n; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    atomic_fetch_add_explicit(&g_sink, x & 1, memory_order_relaxed);
}

/* Parallel-for body: sums i^2 per item into a per-thread slot. */
typedef struct { _Atomic uint64_t total; } sum_ctx;
static void square_sum(void *ctx, size_t begin, size_t end, unsigned thread)
{
    uint64_t s = 0;
    for (size_t i = begin; i < end; i++)
        s += (uint64_t)i * i;
    atomic_fetch_add_explicit(&((sum_ctx *)ctx)->total, s, memory_order_relaxed);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/tpool.json";
    tpool_error err;
    tpool_error_clear(&err);
    tpool *pool = NULL;
    if (tpool_create_from_file(path, &pool, &err) != 0) {
        fprintf(stderr, "tpool-demo: %s\n", err.text);
        return 1;
    }
    printf("config %s: policy '%s', %u threads\n", path, tpool_policy_name(pool),
           tpool_threads(pool));

    enum { TASKS = 20000 };
    double t0 = now_s();
    for (uintptr_t i = 0; i < TASKS; i++)
        if (tpool_submit(pool, work, (void *)(1 + i % 20), NULL) != 0) {
            fprintf(stderr, "tpool-demo: submit failed\n");
            return 1;
        }
    tpool_wait_all(pool);
    double t1 = now_s();

    enum { N = 10000000 };
    sum_ctx c = { 0 };
    tpool_parallel_range(pool, N, square_sum, &c, NULL);
    double t2 = now_s();
    uint64_t expect = 0;
    for (uint64_t i = 0; i < N; i++)
        expect += i * i;
    printf("%d tasks in %.1f ms; parallel-for of %d items in %.1f ms (sum %s)\n", TASKS,
           (t1 - t0) * 1e3, N, (t2 - t1) * 1e3, atomic_load(&c.total) == expect ? "ok" : "WRONG");

    tpool_stats st;
    if (tpool_stats_get(pool, &st) == 0) {
        printf("%-8s %10s %10s %10s %10s %7s %7s\n", "worker", "tasks", "items", "busy_ms",
               "idle_ms", "parks", "wakes");
        for (unsigned w = 0; w <= st.workers; w++) {
            const tpool_worker_stats *s = &st.per_worker[w];
            char name[16];
            snprintf(name, sizeof name, w < st.workers ? "%u" : "outside", w);
            printf("%-8s %10" PRIu64 " %10" PRIu64 " %10.1f %10.1f %7" PRIu64 " %7" PRIu64 "\n",
                   name, s->tasks_run, s->items_run, s->busy_ns / 1e6, s->idle_ns / 1e6,
                   s->parks, s->wakes);
        }
        printf("submitted %" PRIu64 ", completed %" PRIu64 ", cancelled %" PRIu64 "\n",
               st.submitted, st.completed, st.cancelled);
        tpool_stats_free(&st);
    }
    int ok = atomic_load(&c.total) == expect;
    tpool_destroy(pool);
    return ok ? 0 : 1;
}
