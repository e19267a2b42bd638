/*
 * check_range_own.c - a parallel-for runs only its own function, under every
 * policy: its caller never runs a task it did not call (a task queued
 * before the call, or submitted by one of its items), so a task that blocks
 * until the call has returned cannot hold the call up; and FTZ/DAZ
 * (TPOOL_FLAG_DISABLE_DENORMALS, PTHREADPOOL_FLAG_DISABLE_DENORMALS) apply
 * to the call's items only: tasks see their thread's own MXCSR, whoever
 * ran items of the call before them. Native and pthreadpool calls.
 *
 * Waits are on events (flags set by other threads); each gives up after
 * WAIT_S seconds without the event, so that a regression fails with a
 * message instead of hanging the suite.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <time.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "pthreadpool.h"
#include "testutil.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;

#define WAIT_S 20
#define ITEMS 1000

/* FTZ and DAZ in MXCSR; 0 where the test cannot see them. */
static unsigned fpu_flush_bits(void)
{
#if defined(__x86_64__)
    return _mm_getcsr() & 0x8040u;
#else
    return 0;
#endif
}

/* Spins (yielding) until *flag is non-zero; false after WAIT_S seconds. */
static bool wait_flag(_Atomic int *flag)
{
    time_t start = time(NULL);
    while (!atomic_load(flag)) {
        sched_yield();
        if (time(NULL) - start > WAIT_S)
            return false;
    }
    return true;
}

typedef struct {
    pthread_t caller;
    tpool *pool;
    _Atomic int call_returned; /* set by the caller after the call */
    /* The blocker B occupies a worker until an item runs on the caller. */
    _Atomic int b_started, b_release, b_gave_up;
    /* U: queued before the call; it waits for the call to return. */
    _Atomic int u_ran, u_on_caller, u_fpu, u_gave_up;
    /* V: submitted by an item during the call. */
    _Atomic int v_submitted, v_ran, v_on_caller_during_call, v_fpu;
    _Atomic unsigned char hits[ITEMS];
    _Atomic int item_fpu_missing; /* an item ran without FTZ/DAZ */
} own_ctx;

static void blocker(void *arg)
{
    own_ctx *c = arg;
    atomic_store(&c->b_started, 1);
    if (!wait_flag(&c->b_release))
        atomic_store(&c->b_gave_up, 1);
}

static void unrelated(void *arg)
{
    own_ctx *c = arg;
    atomic_store(&c->u_fpu, (int)fpu_flush_bits());
    /* The caller may run it after the call, while it waits for the pool. */
    if (pthread_equal(pthread_self(), c->caller) && !atomic_load(&c->call_returned))
        atomic_store(&c->u_on_caller, 1);
    atomic_store(&c->u_ran, 1);
    if (!wait_flag(&c->call_returned))
        atomic_store(&c->u_gave_up, 1);
}

static void submitted_by_item(void *arg)
{
    own_ctx *c = arg;
    atomic_store(&c->v_fpu, (int)fpu_flush_bits());
    if (pthread_equal(pthread_self(), c->caller) && !atomic_load(&c->call_returned))
        atomic_store(&c->v_on_caller_during_call, 1);
    atomic_store(&c->v_ran, 1);
}

/* One item, from either API. */
static void item(own_ctx *c, size_t i)
{
#if defined(__x86_64__)
    if (fpu_flush_bits() != 0x8040u)
        atomic_store(&c->item_fpu_missing, 1);
#endif
    atomic_fetch_add(&c->hits[i], 1);
    if (pthread_equal(pthread_self(), c->caller))
        atomic_store(&c->b_release, 1); /* the caller works: let the worker go */
    if (i == ITEMS / 2 && !atomic_exchange(&c->v_submitted, 1))
        ck_assert_int_eq(tpool_submit(c->pool, submitted_by_item, c, NULL), 0);
}

static void range_body(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    for (size_t i = begin; i < end; i++)
        item(arg, i);
}

static void item_1d(void *arg, size_t i) { item(arg, i); }

/*
 * A pool of `threads` (its workers all busy with blockers B), a task U
 * queued behind them, then the call with FTZ/DAZ from this thread. The
 * caller must run items only, so it releases the blockers; U runs on a
 * worker afterwards and waits until the call has returned.
 */
static void check_own(const char *pol, unsigned threads, bool drop_in)
{
    own_ctx *c = calloc(1, sizeof *c);
    ck_assert_ptr_nonnull(c);
    c->caller = pthread_self();
    tpool *p = tu_pool(pol, threads, NULL);
    c->pool = p;
    char what[160];
    snprintf(what, sizeof what, "policy '%s', %u threads, %s", pol, threads,
             drop_in ? "pthreadpool_parallelize_1d" : "tpool_parallel_range");

    /* One blocker per worker, each on its own worker: preferred_worker
     * places them under the policies that honour it; under the others,
     * a blocker that finds its worker busy just waits in the queue. */
    unsigned workers = threads - 1;
    for (unsigned w = 0; w < workers; w++) {
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.preferred_worker = (int)w;
        ck_assert_int_eq(tpool_submit(p, blocker, c, &a), 0);
    }
    ck_assert_msg(wait_flag(&c->b_started), "%s: no blocker started", what);
    ck_assert_int_eq(tpool_submit(p, unrelated, c, NULL), 0);

    unsigned before = fpu_flush_bits();
    if (drop_in) {
        pthreadpool_parallelize_1d((pthreadpool_t)p, item_1d, c, ITEMS,
                                   PTHREADPOOL_FLAG_DISABLE_DENORMALS);
    } else {
        tpool_range_opts o = { .flags = TPOOL_FLAG_DISABLE_DENORMALS };
        ck_assert_int_eq(tpool_parallel_range(p, ITEMS, range_body, c, &o), 0);
    }
    atomic_store(&c->call_returned, 1);
    ck_assert_uint_eq(fpu_flush_bits(), before);
    atomic_store(&c->b_release, 1); /* in case no item ran here */
    ck_assert_int_eq(tpool_wait_all(p), 0);

    for (size_t i = 0; i < ITEMS; i++)
        ck_assert_msg(c->hits[i] == 1, "%s: item %zu ran %u times", what, i,
                      (unsigned)c->hits[i]);
    ck_assert_msg(!atomic_load(&c->item_fpu_missing), "%s: an item ran without FTZ/DAZ", what);
    ck_assert_msg(!atomic_load(&c->b_gave_up),
                  "%s: a blocker waited %d s for the caller to run an item", what, WAIT_S);
    ck_assert_msg(atomic_load(&c->u_ran), "%s: the queued task did not run", what);
    ck_assert_msg(!atomic_load(&c->u_on_caller),
                  "%s: a task queued before the call ran inside the call, on its caller", what);
    ck_assert_msg(!atomic_load(&c->u_gave_up),
                  "%s: the call did not return while a task queued before it was waiting "
                  "for that", what);
    ck_assert_msg(atomic_load(&c->u_fpu) == 0,
                  "%s: a task queued before the call ran with MXCSR flush bits 0x%x", what,
                  (unsigned)atomic_load(&c->u_fpu));
    ck_assert_msg(atomic_load(&c->v_ran), "%s: the task an item submitted did not run", what);
    ck_assert_msg(!atomic_load(&c->v_on_caller_during_call),
                  "%s: a task an item submitted ran on the caller during the call", what);
    ck_assert_msg(atomic_load(&c->v_fpu) == 0,
                  "%s: a task an item submitted ran with MXCSR flush bits 0x%x", what,
                  (unsigned)atomic_load(&c->v_fpu));
    ck_assert_int_eq(tpool_destroy(p), 0);
    free(c);
}

START_TEST(test_call_runs_only_its_items)
{
    const char *pol = g_pol[_i];
    for (unsigned threads = 2; threads <= 3; threads++) {
        check_own(pol, threads, false);
        check_own(pol, threads, true);
    }
}
END_TEST

/*
 * Workers restore their MXCSR before anything else: after calls with
 * FTZ/DAZ in which the workers ran items, every task sees clean flags,
 * whichever thread runs it. Many rounds, so that workers that took part
 * run tasks right after their items.
 */
typedef struct {
    _Atomic int dirty;
    _Atomic size_t tasks;
} clean_ctx;

static void clean_task(void *arg)
{
    clean_ctx *c = arg;
    if (fpu_flush_bits())
        atomic_store(&c->dirty, 1);
    atomic_fetch_add(&c->tasks, 1);
}

static void submit_from_item(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    void **a = arg;
    for (size_t i = begin; i < end; i++)
        if (i % 64 == 0)
            ck_assert_int_eq(tpool_submit(a[0], clean_task, a[1], NULL), 0);
}

START_TEST(test_workers_restore_fpu)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool(pol, 3, NULL);
    clean_ctx c = { 0 };
    void *arg[2] = { p, &c };
    tpool_range_opts o = { .flags = TPOOL_FLAG_DISABLE_DENORMALS };
    size_t want = 0;
    for (int round = 0; round < 200; round++) {
        ck_assert_int_eq(tpool_parallel_range(p, 4096, submit_from_item, arg, &o), 0);
        want += 4096 / 64;
        ck_assert_int_eq(tpool_submit(p, clean_task, &c, NULL), 0);
        want++;
    }
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_uint_eq(atomic_load(&c.tasks), want);
    ck_assert_msg(!atomic_load(&c.dirty), "policy '%s': a task ran with FTZ/DAZ set", pol);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("range_own", g_pol, MAXPOL);
    Suite *s = suite_create("range_own");
    TCase *tc = tcase_create("own");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_call_runs_only_its_items, 0, g_npol);
    tcase_add_loop_test(tc, test_workers_restore_fpu, 0, g_npol);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
