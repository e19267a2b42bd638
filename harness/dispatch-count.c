/*
 * dispatch-count - makes N empty parallel-for dispatches, and nothing else
 * that grows with N, so that harness/callgrind-dispatch.sh can count the
 * instructions of one dispatch exactly: callgrind's total at 2N minus its
 * total at N, divided by N (start-up and teardown cancel out).
 *
 *   dispatch-count tpool POLICY THREADS RANGE N   tpool_parallel_range
 *   dispatch-count dropin POLICY THREADS RANGE N  libtpool's pthreadpool_parallelize_1d
 *   dispatch-count system - THREADS RANGE N       Debian's libpthreadpool (dlopen)
 *   dispatch-count tasks POLICY THREADS 0 N       N empty tpool_submit, then a wait
 *   dispatch-count chunks POLICY THREADS RANGE N  N empty tpool_parallel_range, then
 *                                                 the callbacks (chunks) per call and
 *                                                 the share of items and chunks the
 *                                                 calling thread ran
 *
 * RANGE 0 means THREADS items (the "empty-T" workload). The body is empty
 * but opaque (a store through the context), the same for every executor.
 * An optional sixth argument gives the policy's params (a JSON object) to
 * the native executors (tpool, tasks, chunks): e.g. '{"grain_ns": 50000}'
 * under valgrind, which slows what a policy's clock measures about 50-fold.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pthreadpool.h"
#include "tpool-build.h"
#include "tpool.h"

static volatile size_t sink;

static void range_body(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx;
    (void)thread;
    sink = end - begin;
}

/* chunks: what one thread ran, on its own line. */
typedef struct chunk_count {
    _Alignas(64) size_t chunks, items;
} chunk_count;

static _Thread_local chunk_count *my_count;
static chunk_count counts[2]; /* [0] the calling thread, [1] every other */

static void chunk_body(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx;
    (void)thread;
    /* Only this thread writes its counters while the call runs; the
     * workers' sum is read after the pool is destroyed. */
    chunk_count *c = my_count ? my_count : &counts[1];
    if (c == &counts[1]) {
        __atomic_fetch_add(&c->chunks, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&c->items, end - begin, __ATOMIC_RELAXED);
    } else {
        c->chunks++;
        c->items += end - begin;
    }
}

static void item_body(void *ctx, size_t i)
{
    (void)ctx;
    sink = i;
}

/* The system library's entry points, looked up by name in its own handle. */
typedef void *(*create_fn)(size_t);
typedef void (*destroy_fn)(void *);
typedef void (*p1d_fn)(void *, void (*)(void *, size_t), void *, size_t, uint32_t);

static int run_system(unsigned threads, size_t range, long n)
{
    const char *path = TPOOL_SYSTEM_PTHREADPOOL;
    if (!path[0]) {
        fprintf(stderr, "dispatch-count: no system libpthreadpool.so.0 was found at "
                        "configure time (apt-get install libpthreadpool-dev)\n");
        return 2;
    }
    /* DEEPBIND: its internal calls must not bind to libtpool's drop-in. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!h) {
        fprintf(stderr, "dispatch-count: dlopen %s: %s\n", path, dlerror());
        return 2;
    }
    create_fn create;
    destroy_fn destroy;
    p1d_fn p1d;
    void *s1 = dlsym(h, "pthreadpool_create"), *s2 = dlsym(h, "pthreadpool_destroy"),
         *s3 = dlsym(h, "pthreadpool_parallelize_1d");
    if (!s1 || !s2 || !s3) {
        fprintf(stderr, "dispatch-count: %s lacks the pthreadpool entry points\n", path);
        return 2;
    }
    memcpy(&create, &s1, sizeof create);
    memcpy(&destroy, &s2, sizeof destroy);
    memcpy(&p1d, &s3, sizeof p1d);
    void *pool = create(threads);
    if (!pool) {
        fprintf(stderr, "dispatch-count: system pthreadpool_create(%u) failed\n", threads);
        return 2;
    }
    for (long i = 0; i < n; i++)
        p1d(pool, item_body, NULL, range, 0);
    destroy(pool);
    return 0;
}

static void task_body(void *arg)
{
    sink = (size_t)arg;
}

static int run_tpool(const char *policy, const char *params, unsigned threads, size_t range,
                     long n, int dropin, int tasks, int chunks)
{
    if (dropin) {
        /* The drop-in's create takes its policy from TPOOL_POLICY. */
        setenv("TPOOL_POLICY", policy, 1);
        pthreadpool_t pp = pthreadpool_create(threads);
        if (!pp) {
            fprintf(stderr, "dispatch-count: pthreadpool_create(%u) failed\n", threads);
            return 2;
        }
        for (long i = 0; i < n; i++)
            pthreadpool_parallelize_1d(pp, item_body, NULL, range, 0);
        pthreadpool_destroy(pp);
        return 0;
    }
    char json[1024];
    snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": %u%s%s}", policy, threads,
             params ? ", \"params\": " : "", params ? params : "");
    tpool *p = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    if (tpool_create_from_text(json, &p, &err) != 0) {
        fprintf(stderr, "dispatch-count: %s: %s\n", policy, err.text);
        return 2;
    }
    if (tasks) {
        for (long i = 0; i < n; i++)
            tpool_submit(p, task_body, (void *)(size_t)i, NULL);
        tpool_wait_all(p);
    } else if (chunks) {
        my_count = &counts[0];
        for (long i = 0; i < n; i++)
            tpool_parallel_range(p, range, chunk_body, NULL, NULL);
    } else {
        for (long i = 0; i < n; i++)
            tpool_parallel_range(p, range, range_body, NULL, NULL);
    }
    tpool_destroy(p);
    if (chunks && n > 0) {
        size_t all = counts[0].chunks + counts[1].chunks;
        printf("%s threads %u range %zu calls %ld: %.2f chunks per call, caller ran %.1f%% "
               "of the items in %.2f chunks per call\n",
               policy, threads, range, n, (double)all / (double)n,
               100.0 * (double)counts[0].items / ((double)range * (double)n),
               (double)counts[0].chunks / (double)n);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: dispatch-count tpool|dropin|system|tasks|chunks POLICY THREADS "
                        "RANGE N [PARAMS]\n");
        return 2;
    }
    unsigned threads = (unsigned)strtoul(argv[3], NULL, 10);
    size_t range = strtoul(argv[4], NULL, 10);
    long n = strtol(argv[5], NULL, 10);
    if (threads == 0 || n < 0) {
        fprintf(stderr, "dispatch-count: THREADS must be >= 1 and N >= 0\n");
        return 2;
    }
    if (range == 0)
        range = threads;
    if (!strcmp(argv[1], "system"))
        return run_system(threads, range, n);
    if (!strcmp(argv[1], "tpool") || !strcmp(argv[1], "dropin") || !strcmp(argv[1], "tasks")
        || !strcmp(argv[1], "chunks"))
        return run_tpool(argv[2], argc == 7 ? argv[6] : NULL, threads, range, n,
                         !strcmp(argv[1], "dropin"),
                         !strcmp(argv[1], "tasks"), !strcmp(argv[1], "chunks"));
    fprintf(stderr, "dispatch-count: unknown executor '%s'\n", argv[1]);
    return 2;
}
