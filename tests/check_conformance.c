/*
 * check_conformance.c - the checks every policy must pass, run against each
 * policy in the build tree (TPOOL_TEST_POLICIES, set by tests/Makefile.am).
 * A policy is tested just by being added to the build.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "testutil.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;
static unsigned g_seed;

/* Per-task counters (tu_hit): every task must run exactly once, never twice. */

START_TEST(test_tasks_exactly_once)
{
    const char *pol = g_pol[_i];
    enum { N = 20000 };
    static const unsigned threads[] = { 1, 2, 3, 5 };
    unsigned seed = g_seed;
    for (size_t k = 0; k < sizeof threads / sizeof threads[0]; k++) {
        tu_hits_alloc(N);
        tpool *p = tu_pool(pol, threads[k], NULL);
        for (size_t i = 0; i < N; i++) {
            /* Varied attributes: every policy must accept any of them. */
            tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
            a.priority = (int)(rand_r(&seed) % 5) - 2;
            a.preferred_worker = (int)(rand_r(&seed) % (threads[k] + 2)) - 1;
            a.cost_hint = rand_r(&seed) % 100;
            ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, &a), 0);
        }
        ck_assert_int_eq(tpool_wait_all(p), 0);
        tu_hits_assert_once(N, "policy '%s', %u threads", pol, threads[k]);
        tpool_stats st;
        ck_assert_int_eq(tpool_stats_get(p, &st), 0);
        ck_assert_uint_eq(st.completed, N);
        ck_assert_uint_eq(st.submitted, N);
        tpool_stats_free(&st);
        ck_assert_int_eq(tpool_destroy(p), 0);
        tu_hits_free();
    }
}
END_TEST

/* Submitting from outside threads and from inside tasks at once. */
typedef struct {
    tpool *p;
    size_t first, count;
} spawn_arg;

static void spawner(void *arg)
{
    spawn_arg *a = arg;
    for (size_t i = a->first; i < a->first + a->count; i++)
        ck_assert_int_eq(tpool_submit(a->p, tu_hit, (void *)i, NULL), 0);
}

static void *outside_submitter(void *arg)
{
    spawn_arg *a = arg;
    for (size_t i = a->first; i < a->first + a->count; i++)
        ck_assert_int_eq(tpool_submit(a->p, tu_hit, (void *)i, NULL), 0);
    return NULL;
}

START_TEST(test_concurrent_and_nested_submit)
{
    const char *pol = g_pol[_i];
    enum { OUT = 4, IN = 4, EACH = 5000, N = (OUT + IN) * EACH };
    tu_hits_alloc(N);
    tpool *p = tu_pool(pol, 4, NULL);
    spawn_arg args[OUT + IN];
    pthread_t th[OUT];
    for (int i = 0; i < IN; i++) {
        args[OUT + i] = (spawn_arg){ p, (size_t)(OUT + i) * EACH, EACH };
        ck_assert_int_eq(tpool_submit(p, spawner, &args[OUT + i], NULL), 0);
    }
    for (int i = 0; i < OUT; i++) {
        args[i] = (spawn_arg){ p, (size_t)i * EACH, EACH };
        pthread_create(&th[i], NULL, outside_submitter, &args[i]);
    }
    for (int i = 0; i < OUT; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_assert_once(N, "policy '%s', %u threads", pol, 4u);
    tu_hits_free();
}
END_TEST

/* Recursive fork-join: waiting tasks keep their threads working. */
START_TEST(test_fork_join)
{
    const char *pol = g_pol[_i];
    for (unsigned threads = 1; threads <= 8; threads *= 2) {
        tpool *p = tu_pool(pol, threads, NULL);
        long result = tu_fib_run(p, 16);
        ck_assert_msg(result == 987, "policy '%s', %u threads: fib(16) = %ld", pol, threads,
                      result);
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

/* Parallel-for: every index once, thread indices in range. */
typedef struct {
    _Atomic unsigned char *hits;
    unsigned threads;
    _Atomic unsigned bad_thread;
} range_ctx;

static void visit(void *arg, size_t begin, size_t end, unsigned thread)
{
    range_ctx *c = arg;
    if (thread >= c->threads || begin >= end)
        atomic_store(&c->bad_thread, 1);
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&c->hits[i], 1, memory_order_relaxed);
}

START_TEST(test_range_exactly_once)
{
    const char *pol = g_pol[_i];
    static const size_t sizes[] = { 0, 1, 2, 5, 13, 101, 4099, 100003 };
    for (unsigned threads = 1; threads <= 6; threads++) {
        tpool *p = tu_pool(pol, threads, NULL);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            for (int rep = 0; rep < 3; rep++) {
                range_ctx c = { .threads = threads };
                c.hits = calloc(n + 1, 1);
                ck_assert_int_eq(tpool_parallel_range(p, n, visit, &c, NULL), 0);
                for (size_t i = 0; i < n; i++)
                    ck_assert_msg(c.hits[i] == 1,
                                  "policy '%s', %u threads, n=%zu: item %zu visited %u times",
                                  pol, threads, n, i, c.hits[i]);
                ck_assert_msg(atomic_load(&c.bad_thread) == 0,
                              "policy '%s': bad thread index or empty range", pol);
                free(c.hits);
            }
        }
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

/* Tasks and parallel-for calls from several threads on one pool at once. */
typedef struct {
    tpool *p;
    unsigned threads;
} mix_arg;

static void *mixed_caller(void *arg)
{
    mix_arg *m = arg;
    for (int r = 0; r < 30; r++) {
        range_ctx c = { .threads = m->threads };
        c.hits = calloc(2003, 1);
        ck_assert_int_eq(tpool_parallel_range(m->p, 2003, visit, &c, NULL), 0);
        for (size_t i = 0; i < 2003; i++)
            ck_assert_uint_eq(c.hits[i], 1);
        free(c.hits);
    }
    return NULL;
}

START_TEST(test_mixed_concurrent)
{
    const char *pol = g_pol[_i];
    enum { N = 10000 };
    tu_hits_alloc(N);
    tpool *p = tu_pool(pol, 3, NULL);
    mix_arg m = { p, 3 };
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, mixed_caller, &m);
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, NULL), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(N, "policy '%s', %u threads", pol, 3u);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_free();
}
END_TEST

/* Destroy in cancel mode loses nothing: each task ran or was reported. */
static _Atomic int g_ran, g_cancelled;
static void count_run(void *arg) { atomic_fetch_add(&g_ran, 1); }
static void count_done(void *arg, int status)
{
    if (status == TPOOL_ECANCELED)
        atomic_fetch_add(&g_cancelled, 1);
}

START_TEST(test_cancel_accounts_everything)
{
    const char *pol = g_pol[_i];
    enum { N = 20000 };
    atomic_store(&g_ran, 0);
    atomic_store(&g_cancelled, 0);
    tpool *p = tu_pool(pol, 3, NULL);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.on_complete = count_done;
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(tpool_submit(p, count_run, NULL, &a), 0);
    size_t cancelled = 0;
    ck_assert_int_eq(tpool_destroy_ex(p, TPOOL_CANCEL, &cancelled), 0);
    ck_assert_msg(atomic_load(&g_ran) + atomic_load(&g_cancelled) == N,
                  "policy '%s': %d ran + %d cancelled != %d submitted", pol,
                  atomic_load(&g_ran), atomic_load(&g_cancelled), N);
    ck_assert_uint_eq(cancelled, (size_t)atomic_load(&g_cancelled));
}
END_TEST

int main(void)
{
    g_npol = tu_policies(g_pol, MAXPOL);
    g_seed = tu_seed("conformance");
    tu_policies_print("conformance", g_pol, g_npol);

    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("policy");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_tasks_exactly_once, 0, g_npol);
    tcase_add_loop_test(tc, test_concurrent_and_nested_submit, 0, g_npol);
    tcase_add_loop_test(tc, test_fork_join, 0, g_npol);
    tcase_add_loop_test(tc, test_range_exactly_once, 0, g_npol);
    tcase_add_loop_test(tc, test_mixed_concurrent, 0, g_npol);
    tcase_add_loop_test(tc, test_cancel_accounts_everything, 0, g_npol);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
