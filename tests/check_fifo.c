/* check_fifo.c - the FIFO policy: start order equals submission order. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "testutil.h"

enum { N = 20000 };

static size_t g_order[N];
static _Atomic size_t g_next;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_finished;

static void record(void *arg)
{
    size_t k = atomic_fetch_add(&g_next, 1);
    g_order[k] = (size_t)arg;
    if (k + 1 == N) {
        pthread_mutex_lock(&g_lock);
        g_finished = 1;
        pthread_cond_signal(&g_cond);
        pthread_mutex_unlock(&g_lock);
    }
}

/* One worker, and this thread never helps (it waits on a condition variable
 * rather than in the pool), so start order is exactly pop order. */
START_TEST(test_single_worker_order)
{
    atomic_store(&g_next, 0);
    g_finished = 0;
    tpool *p = tu_pool("fifo", 1, NULL);
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(tpool_submit(p, record, (void *)i, NULL), 0);
    pthread_mutex_lock(&g_lock);
    while (!g_finished)
        pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(g_order[i] == i, "position %zu started task %zu", i, g_order[i]);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* With several workers and a helping caller every task still starts once
 * (start order may differ from pop order by preemption, so only pop order
 * is asserted above). */
START_TEST(test_many_workers_each_once)
{
    atomic_store(&g_next, 0);
    g_finished = 0;
    tpool *p = tu_pool("fifo", 4, NULL);
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(tpool_submit(p, record, (void *)i, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    static unsigned char seen[N];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < N; i++) {
        ck_assert_uint_lt(g_order[i], N);
        ck_assert_int_eq(seen[g_order[i]]++, 0);
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Parallel-for tiles go through the queue in order, `tile` items each. */
typedef struct {
    size_t begins[64];
    _Atomic size_t count;
} tiles_seen;

static void note_tile(void *ctx, size_t begin, size_t end, unsigned thread)
{
    tiles_seen *t = ctx;
    size_t k = atomic_fetch_add(&t->count, 1);
    if (k < 64)
        t->begins[k] = begin;
    ck_assert_uint_le(end - begin, 7);
}

START_TEST(test_tile_param)
{
    tpool *p = tu_pool("fifo", 2, "{\"tile\": 7}");
    tiles_seen t = { .count = 0 };
    ck_assert_int_eq(tpool_parallel_range(p, 100, note_tile, &t, NULL), 0);
    ck_assert_uint_eq(atomic_load(&t.count), 15); /* ceil(100 / 7) */
    size_t sum = 0;
    for (size_t i = 0; i < 15; i++) {
        ck_assert_uint_eq(t.begins[i] % 7, 0);
        sum += t.begins[i];
    }
    ck_assert_uint_eq(sum, 7 * (14 * 15 / 2));
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fifo");
    TCase *tc = tcase_create("order");
    tcase_add_test(tc, test_single_worker_order);
    tcase_add_test(tc, test_many_workers_each_once);
    tcase_add_test(tc, test_tile_param);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
