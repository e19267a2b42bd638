/*
 * check_stack.c - the "stack_kb" setting: every worker thread of the pool,
 * those a grow starts later included, gets a stack of that size; without
 * it, the system's default (RLIMIT_STACK, as pthread_create gives).
 */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tpool.h"

enum { MAX_WORKERS = 8 };

/* One task per worker, held at a latch until all of them run at once, so
 * that each of the W workers runs exactly one and records its stack. */
typedef struct {
    tu_latch arrived;
    unsigned workers;
    pthread_mutex_t lock;
    pthread_t who[MAX_WORKERS];
    size_t stack[MAX_WORKERS];
    unsigned n;
} probe;

static void record_stack(void *arg)
{
    probe *pr = arg;
    pthread_attr_t a;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstacksize(&a, &size);
        pthread_attr_destroy(&a);
    }
    pthread_mutex_lock(&pr->lock);
    if (pr->n < MAX_WORKERS) {
        pr->who[pr->n] = pthread_self();
        pr->stack[pr->n] = size;
    }
    pr->n++;
    pthread_mutex_unlock(&pr->lock);
    tu_latch_add(&pr->arrived, 1);
    tu_latch_wait_for(&pr->arrived, pr->workers);
}

/* The stack size of every worker of p (W of them, all distinct threads). */
static void worker_stacks(tpool *p, unsigned workers, size_t *out)
{
    probe pr = { .workers = workers };
    tu_latch_init(&pr.arrived);
    pthread_mutex_init(&pr.lock, NULL);
    for (unsigned i = 0; i < workers; i++)
        ck_assert_int_eq(tpool_submit(p, record_stack, &pr, NULL), 0);
    /* Not tpool_wait_all first: this thread must not run one itself. */
    tu_latch_wait_for(&pr.arrived, workers);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_uint_eq(pr.n, workers);
    for (unsigned i = 0; i < workers; i++) {
        for (unsigned j = 0; j < i; j++)
            ck_assert_msg(!pthread_equal(pr.who[i], pr.who[j]), "two tasks on one worker");
        out[i] = pr.stack[i];
    }
    tu_latch_destroy(&pr.arrived);
    pthread_mutex_destroy(&pr.lock);
}

static tpool *pool(unsigned threads, unsigned stack_kb)
{
    char json[256];
    snprintf(json, sizeof json, "{\"policy\": \"fifo\", \"threads\": %u, \"stack_kb\": %u}",
             threads, stack_kb);
    tpool *p = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_create_from_text(json, &p, &err) == 0, "%s: %s", json, err.text);
    return p;
}

/* What pthread_getattr_np reports for a stack of `kb` KiB: the size given,
 * rounded up to whole pages. ThreadSanitizer raises small stacks to a
 * minimum of its own (about 900 KiB), still far below the default. */
static void assert_stack(size_t got, unsigned kb, const char *what)
{
    size_t want = (size_t)kb * 1024;
    size_t most = TU_UNDER_TSAN ? 2048 * 1024 : want + 64 * 1024;
    ck_assert_msg(got >= want && got < most, "%s: stack of %zu bytes, want %zu", what, got,
                  want);
}

START_TEST(test_stack_kb_every_worker)
{
    size_t st[MAX_WORKERS];
    tpool *p = pool(3, 256);
    worker_stacks(p, 2, st);
    for (unsigned i = 0; i < 2; i++)
        assert_stack(st[i], 256, "a worker started with the pool");
    /* Workers a grow starts get it too. */
    ck_assert_int_eq(tpool_set_threads(p, 5), 0);
    worker_stacks(p, 4, st);
    for (unsigned i = 0; i < 4; i++)
        assert_stack(st[i], 256, "a worker after a grow from 3 to 5 threads");
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

START_TEST(test_stack_kb_default)
{
    pthread_attr_t a;
    size_t def = 0;
    ck_assert_int_eq(pthread_getattr_default_np(&a), 0);
    ck_assert_int_eq(pthread_attr_getstacksize(&a, &def), 0);
    pthread_attr_destroy(&a);
    size_t st[MAX_WORKERS];
    tpool *p = pool(3, 0);
    worker_stacks(p, 2, st);
    /* 0 leaves the size to the system: as a plain pthread_create gives
     * (glibc: RLIMIT_STACK), reported as it chose it. */
    for (unsigned i = 0; i < 2; i++) {
        if (def)
            ck_assert_uint_eq(st[i], def);
        ck_assert_uint_ne(st[i], 256 * 1024);
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stack");
    TCase *tc = tcase_create("stack_kb");
    tcase_add_test(tc, test_stack_kb_every_worker);
    tcase_add_test(tc, test_stack_kb_default);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
