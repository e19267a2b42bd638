/*
 * lifo-demo.c - runs a pool with the policy a configuration file names (by
 * default lifo.json, which loads ./lifo.so) and checks that it does its
 * job: tasks submitted from outside and from inside tasks each run exactly
 * once, a parallel-for visits every item exactly once, and both still hold
 * after the pool grows and shrinks (the policy's resize op). Prints the
 * policy's own counters. Exit status 0 when every check passed, 1 if not.
 *
 * Usage: lifo-demo [CONFIG.json]
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <tpool.h>

enum { PARENTS = 200, CHILDREN = 50, NTASKS = PARENTS * (CHILDREN + 1), NITEMS = 100000 };

static _Atomic unsigned task_runs[NTASKS];
static _Atomic unsigned item_runs[NITEMS];
static tpool *pool;

static void child(void *arg)
{
    atomic_fetch_add_explicit(&task_runs[(size_t)arg], 1, memory_order_relaxed);
}

/* Submits its children from inside the pool: they go on this worker's stack. */
static void parent(void *arg)
{
    size_t i = (size_t)arg;
    atomic_fetch_add_explicit(&task_runs[i], 1, memory_order_relaxed);
    for (size_t c = 1; c <= CHILDREN; c++)
        if (tpool_submit(pool, child, (void *)(i + c), NULL) != 0)
            abort(); /* the check below would report it anyway */
}

static void visit(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx, (void)thread;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&item_runs[i], 1, memory_order_relaxed);
}

/* Every counter of a[0..n) must be `want`; prints the first that is not. */
static int all_equal(_Atomic unsigned *a, size_t n, unsigned want, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        unsigned got = atomic_load(&a[i]);
        if (got != want) {
            fprintf(stderr, "lifo-demo: FAIL: %s %zu ran %u times, expected %u\n", what, i,
                    got, want);
            return 0;
        }
    }
    return 1;
}

/* One round of work at the pool's current size; `round` is 1, 2, ... */
static int run_round(unsigned round)
{
    for (size_t i = 0; i < NTASKS; i += CHILDREN + 1)
        if (tpool_submit(pool, parent, (void *)i, NULL) != 0)
            return 0;
    if (tpool_wait_all(pool) != 0 || tpool_parallel_range(pool, NITEMS, visit, NULL, NULL) != 0)
        return 0;
    return all_equal(task_runs, NTASKS, round, "task") &&
           all_equal(item_runs, NITEMS, round, "item");
}

static void print_stats(void)
{
    tpool_stats st;
    if (tpool_stats_get(pool, &st) != 0)
        return;
    printf("  submitted %llu, completed %llu;", (unsigned long long)st.submitted,
           (unsigned long long)st.completed);
    for (unsigned k = 0; k < st.npolicy; k++) {
        unsigned long long sum = 0;
        for (unsigned w = 0; w <= st.workers; w++)
            sum += st.per_worker[w].policy[k];
        printf(" %s %llu", st.policy_names[k], sum);
    }
    printf("\n");
    tpool_stats_free(&st);
}

int main(int argc, char **argv)
{
    const char *config = argc > 1 ? argv[1] : "lifo.json";
    tpool_error err;
    tpool_error_clear(&err);
    if (tpool_create_from_file(config, &pool, &err) != 0) {
        fprintf(stderr, "lifo-demo: %s\n", err.text);
        return 1;
    }
    unsigned threads = tpool_threads(pool);
    printf("policy %s, %u threads\n", tpool_policy_name(pool), threads);

    /* Then grow by one and shrink back: the policy's resize op runs twice. */
    const unsigned sizes[] = { threads, threads + 1, threads };
    int ok = 1;
    for (unsigned r = 0; ok && r < sizeof sizes / sizeof sizes[0]; r++) {
        if (tpool_set_threads(pool, sizes[r]) != 0) {
            fprintf(stderr, "lifo-demo: FAIL: tpool_set_threads(%u)\n", sizes[r]);
            ok = 0;
            break;
        }
        ok = run_round(r + 1);
        printf("round %u at %u threads: %s\n", r + 1, tpool_threads(pool), ok ? "ok" : "FAILED");
        print_stats();
    }
    if (tpool_destroy(pool) != 0)
        ok = 0;
    return ok ? 0 : 1;
}
