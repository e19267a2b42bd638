/*
 * check_utils.c - the Caffe2-style utilities: the blocking counter, aligned
 * allocation, per-thread scratch memory, the default thread count and the
 * min work size.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "testutil.h"

/* ---- counter ----------------------------------------------------------------- */

typedef struct {
    tpool_counter *counter;
    _Atomic int zeros;   /* decrements that returned 1 */
    _Atomic int before;  /* events counted before the waiter was released */
} count_ctx;

static void count_down(void *arg)
{
    count_ctx *c = arg;
    atomic_fetch_add(&c->before, 1);
    if (tpool_counter_decrement(c->counter))
        atomic_fetch_add(&c->zeros, 1);
}

START_TEST(test_counter_with_tasks)
{
    tpool *p = tu_pool("fifo", 4, NULL);
    count_ctx c = { 0 };
    ck_assert_int_eq(tpool_counter_create(1000, &c.counter), 0);
    for (int round = 0; round < 5; round++) {
        atomic_store(&c.zeros, 0);
        atomic_store(&c.before, 0);
        tpool_counter_reset(c.counter, 1000);
        for (int i = 0; i < 1000; i++)
            ck_assert_int_eq(tpool_submit(p, count_down, &c, NULL), 0);
        tpool_counter_wait(c.counter);
        /* All 1000 events happened before wait returned; exactly one saw zero. */
        ck_assert_int_eq(atomic_load(&c.before), 1000);
        ck_assert_int_eq(tpool_wait_all(p), 0);
        ck_assert_int_eq(atomic_load(&c.zeros), 1);
    }
    tpool_counter_destroy(c.counter);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

static void *waiter(void *arg)
{
    tpool_counter_wait(arg);
    return NULL;
}

static void *decrementer(void *arg)
{
    count_ctx *c = arg;
    for (int i = 0; i < 250; i++)
        count_down(c);
    return NULL;
}

START_TEST(test_counter_threads)
{
    /* Several waiters (some of which will sleep) and several decrementers. */
    count_ctx c = { 0 };
    ck_assert_int_eq(tpool_counter_create(1000, &c.counter), 0);
    pthread_t w[3], d[4];
    for (int i = 0; i < 3; i++)
        pthread_create(&w[i], NULL, waiter, c.counter);
    for (int i = 0; i < 4; i++)
        pthread_create(&d[i], NULL, decrementer, &c);
    for (int i = 0; i < 4; i++)
        pthread_join(d[i], NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(w[i], NULL);
    ck_assert_int_eq(atomic_load(&c.zeros), 1);

    /* Zero: waits return at once; one event: its decrement reports zero. */
    tpool_counter_reset(c.counter, 0);
    tpool_counter_wait(c.counter);
    tpool_counter_reset(c.counter, 1);
    ck_assert_int_eq(tpool_counter_decrement(c.counter), 1);
    tpool_counter_wait(c.counter);
    tpool_counter_reset(c.counter, 2);
    ck_assert_int_eq(tpool_counter_decrement(c.counter), 0);
    ck_assert_int_eq(tpool_counter_decrement(c.counter), 1);
    tpool_counter_destroy(c.counter);
    tpool_counter_destroy(NULL);
    ck_assert_int_eq(tpool_counter_create(1, NULL), TPOOL_EINVAL);
}
END_TEST

/* ---- aligned allocation ---------------------------------------------------------- */

START_TEST(test_aligned_alloc)
{
    static const size_t aligns[] = { 0, 1, 2, 8, 16, 64, 128, 4096 };
    static const size_t sizes[] = { 0, 1, 63, 64, 65, 1000, 1 << 20 };
    for (size_t a = 0; a < sizeof aligns / sizeof aligns[0]; a++) {
        size_t want = aligns[a] ? aligns[a] : TPOOL_CACHELINE;
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            unsigned char *ptr = tpool_aligned_alloc(aligns[a], sizes[s]);
            ck_assert_ptr_nonnull(ptr);
            ck_assert_msg((uintptr_t)ptr % want == 0, "alignment %zu, size %zu: %p", aligns[a],
                          sizes[s], (void *)ptr);
            memset(ptr, 0xa5, sizes[s]); /* the whole size is usable (ASan checks) */
            tpool_aligned_free(ptr);
        }
    }
    ck_assert_ptr_null(tpool_aligned_alloc(3, 10));      /* not a power of two */
    ck_assert_ptr_null(tpool_aligned_alloc(48, 10));
    ck_assert_ptr_null(tpool_aligned_alloc(64, SIZE_MAX)); /* overflow */
    tpool_aligned_free(NULL);
}
END_TEST

/* ---- scratch ----------------------------------------------------------------------- */

typedef struct {
    tpool *pool;
    size_t size;
    _Atomic int bad;
} scratch_ctx;

/* Each tile fills the thread's scratch with its own pattern and checks it
 * is still there at the end: another thread writing the same buffer would
 * show. */
static void use_scratch(void *arg, size_t begin, size_t end, unsigned thread)
{
    scratch_ctx *c = arg;
    unsigned char *b = tpool_scratch(c->pool, c->size);
    if (!b || (uintptr_t)b % TPOOL_CACHELINE != 0) {
        atomic_store(&c->bad, 1);
        return;
    }
    unsigned char pattern = (unsigned char)(begin * 31 + 7);
    memset(b, pattern, c->size);
    for (size_t k = 0; k < 50; k++)
        if (tpool_scratch(c->pool, c->size / 2 + 1) != b) /* smaller: same buffer */
            atomic_store(&c->bad, 2);
    for (size_t i = 0; i < c->size; i++)
        if (b[i] != pattern)
            atomic_store(&c->bad, 3);
}

START_TEST(test_scratch)
{
    tpool *p = tu_pool("fifo", 4, NULL);
    scratch_ctx c = { .pool = p, .size = 4096 };
    tpool_range_opts o = { .flags = 0 };
    ck_assert_int_eq(tpool_parallel_range(p, 2000, use_scratch, &c, &o), 0);
    ck_assert_int_eq(atomic_load(&c.bad), 0);

    /* Growing replaces the buffer; the contents up to the old size are not
     * promised, the new size is usable. */
    unsigned char *a = tpool_scratch(p, 100);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_eq(tpool_scratch(NULL, 64), a);
    unsigned char *b = tpool_scratch(p, 1 << 16);
    ck_assert_ptr_nonnull(b);
    memset(b, 1, 1 << 16);
    ck_assert_uint_eq((uintptr_t)b % TPOOL_CACHELINE, 0);
    ck_assert_ptr_eq(tpool_scratch(p, 0), b);
    ck_assert_ptr_null(tpool_scratch(p, SIZE_MAX)); /* the old buffer stays */
    ck_assert_ptr_eq(tpool_scratch(p, 10), b);

    /* Threads that come and go free theirs at exit (ASan/LSan would see a
     * leak otherwise). */
    c.size = 1 << 12;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(tpool_set_threads(p, 2 + (i % 2) * 3), 0);
        ck_assert_int_eq(tpool_parallel_range(p, 500, use_scratch, &c, NULL), 0);
    }
    ck_assert_int_eq(atomic_load(&c.bad), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- settings ------------------------------------------------------------------------ */

START_TEST(test_settings)
{
    ck_assert_uint_ge(tpool_default_threads(), 1);
    ck_assert_uint_eq(tpool_threads(NULL), 1);
    ck_assert_uint_eq(tpool_get_min_work_size(NULL), 1);
    tpool_set_min_work_size(NULL, 5); /* ignored */
    tpool *p = tu_pool("fifo", 2, NULL);
    tpool_set_min_work_size(p, 0);
    ck_assert_uint_eq(tpool_get_min_work_size(p), 1);
    tpool_set_min_work_size(p, 12345);
    ck_assert_uint_eq(tpool_get_min_work_size(p), 12345);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("utils");
    TCase *tc = tcase_create("utils");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_counter_with_tasks);
    tcase_add_test(tc, test_counter_threads);
    tcase_add_test(tc, test_aligned_alloc);
    tcase_add_test(tc, test_scratch);
    tcase_add_test(tc, test_settings);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
