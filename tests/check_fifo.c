/* check_fifo.c - the FIFO policy: start order equals submission order. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

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

/*
 * The workers run every tile the caller does not, although only P - 1 of
 * them are queued when the call starts and each popper queues the next:
 * the caller's first tile (the last) waits until every other tile has run,
 * at 2, 3 and 4 threads, with tiles of 1 and 5 items. Each tile runs
 * exactly once.
 */
typedef struct {
    size_t n, tile;
    pthread_t caller;
    _Atomic size_t others, caller_tiles, gave_up;
    _Atomic unsigned char seen[200];
} fed_ctx;

static void fed_tile(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    fed_ctx *c = ctx;
    ck_assert_uint_le(end - begin, c->tile);
    for (size_t i = begin; i < end; i++)
        ck_assert_uint_eq(atomic_fetch_add(&c->seen[i], 1), 0);
    if (!pthread_equal(pthread_self(), c->caller)) {
        atomic_fetch_add(&c->others, end - begin);
        return;
    }
    if (atomic_fetch_add(&c->caller_tiles, 1) == 0
        && tu_wait_count(&c->others, c->n - (end - begin), 10) != 0)
        atomic_store(&c->gave_up, 1); /* 10 s without the others: fail */
}

START_TEST(test_tiles_fed)
{
    static const unsigned threads[] = { 2, 3, 4 };
    static const size_t tiles[] = { 1, 5 };
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 2; b++) {
            char params[32];
            snprintf(params, sizeof params, "{\"tile\": %zu}", tiles[b]);
            tpool *p = tu_pool("fifo", threads[a], params);
            static fed_ctx c;
            memset(&c, 0, sizeof c);
            c.n = 200;
            c.tile = tiles[b];
            c.caller = pthread_self();
            ck_assert_int_eq(tpool_parallel_range(p, c.n, fed_tile, &c, NULL), 0);
            ck_assert_msg(atomic_load(&c.gave_up) == 0,
                          "T=%u tile=%zu: the other tiles did not run while the caller waited",
                          threads[a], tiles[b]);
            for (size_t i = 0; i < c.n; i++)
                ck_assert_uint_eq(atomic_load(&c.seen[i]), 1);
            ck_assert_int_eq(tpool_destroy(p), 0);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fifo");
    TCase *tc = tcase_create("order");
    tcase_add_test(tc, test_single_worker_order);
    tcase_add_test(tc, test_many_workers_each_once);
    tcase_add_test(tc, test_tile_param);
    tcase_add_test(tc, test_tiles_fed);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
