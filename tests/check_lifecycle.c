/*
 * check_lifecycle.c - a pool's life under load, under every policy
 * (include/tpool.h: tpool_destroy_ex, tpool_set_threads).
 *
 * Complements check_pool (destroy modes on an idle-ish fifo pool, destroy
 * from a task, a policy whose create fails) and check_resize (resizes with
 * queued tasks and racing outside submitters): here destroy runs while
 * tasks on the workers keep submitting, and every task is accounted for
 * individually; destroy is refused from any thread working for the pool;
 * and resizes run while fork-join tasks are nested in group waits.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "testutil.h"

static const char *g_pol[32];
static int g_npol;

/* ---- destroy while tasks keep submitting -------------------------------------------- */

enum { MAX_TASKS = 60000, SPAWNERS = 3, OUTSIDE = 2, PER_OUTSIDE = 500 };
enum { ST_NONE = 0, ST_OK = 1, ST_CANCELLED = 2, ST_REFUSED = 3, ST_TWICE = 4 };

typedef struct {
    tpool *pool;
    _Atomic unsigned next_id;         /* ids handed out */
    _Atomic unsigned char ran[MAX_TASKS];
    _Atomic unsigned char status[MAX_TASKS]; /* ST_*, set once */
    _Atomic unsigned spawners_started;
    unsigned quota;                   /* submissions per spawner */
} book;

static book *g_book;

static void set_status(unsigned id, unsigned char st)
{
    unsigned char none = ST_NONE;
    if (!atomic_compare_exchange_strong(&g_book->status[id], &none, st))
        atomic_store(&g_book->status[id], ST_TWICE);
}

static void counted_task(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    atomic_fetch_add(&g_book->ran[id], 1);
}

static void counted_done(void *arg, int status)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    set_status(id, status == 0 ? ST_OK : status == TPOOL_ECANCELED ? ST_CANCELLED : ST_TWICE);
}

/* Submits one counted task; returns the submit's code (recorded). */
static int submit_counted(void)
{
    unsigned id = atomic_fetch_add(&g_book->next_id, 1);
    if (id >= MAX_TASKS)
        return TPOOL_ENOMEM; /* the book is full: stop */
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.on_complete = counted_done;
    int rc = tpool_submit(g_book->pool, counted_task, (void *)(uintptr_t)id, &a);
    if (rc != 0)
        set_status(id, ST_REFUSED);
    return rc;
}

/* A task that keeps submitting from its worker until the pool refuses
 * (cancel mode), its quota is used up (drain mode, where nothing is
 * refused), or the book is full. */
static void spawner(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_book->spawners_started, 1);
    int rc = 0;
    for (unsigned i = 0; i < g_book->quota && (rc = submit_counted()) == 0; i++)
        ;
    ck_assert_msg(rc == 0 || rc == TPOOL_ESHUTDOWN || rc == TPOOL_ENOMEM, "submit: %d", rc);
}

static void *outside_submitter(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_OUTSIDE; i++)
        ck_assert_int_eq(submit_counted(), 0);
    return NULL;
}

static void destroy_under_load(const char *pol, enum tpool_destroy_mode mode)
{
    g_book = calloc(1, sizeof *g_book);
    ck_assert_ptr_nonnull(g_book);
    /* SPAWNERS workers keep submitting; one more runs what they submit. */
    g_book->pool = tu_pool(pol, SPAWNERS + 2, NULL);
    /* Drain: the spawners are still submitting when destroy starts, and
     * end on their own. */
    g_book->quota = mode == TPOOL_DRAIN ? 15000 : MAX_TASKS;
    /* Outside threads submit first (not during destroy: the API forbids
     * calls from outside threads concurrent with it), while the pool runs
     * their tasks; then the spawners start. */
    pthread_t th[OUTSIDE];
    for (int i = 0; i < OUTSIDE; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, outside_submitter, NULL), 0);
    for (int i = 0; i < OUTSIDE; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < SPAWNERS; i++)
        ck_assert_int_eq(tpool_submit(g_book->pool, spawner, NULL, NULL), 0);
    while (atomic_load(&g_book->spawners_started) < SPAWNERS)
        sched_yield();

    size_t cancelled = 12345;
    ck_assert_int_eq(tpool_destroy_ex(g_book->pool, mode, &cancelled), 0);

    unsigned n = atomic_load(&g_book->next_id);
    if (n > MAX_TASKS)
        n = MAX_TASKS;
    size_t ran = 0, cancel_cb = 0, refused = 0;
    for (unsigned id = 0; id < n; id++) {
        unsigned st = atomic_load(&g_book->status[id]), r = atomic_load(&g_book->ran[id]);
        ck_assert_msg(st != ST_NONE && st != ST_TWICE,
                      "policy '%s': task %u: no single outcome (status %u, ran %u times)", pol,
                      id, st, r);
        if (st == ST_OK)
            ck_assert_msg(r == 1, "policy '%s': task %u completed, ran %u times", pol, id, r);
        else
            ck_assert_msg(r == 0, "policy '%s': task %u %s but ran", pol, id,
                          st == ST_CANCELLED ? "cancelled" : "refused");
        ran += st == ST_OK;
        cancel_cb += st == ST_CANCELLED;
        refused += st == ST_REFUSED;
    }
    ck_assert_uint_eq(cancelled, cancel_cb);
    if (mode == TPOOL_DRAIN)
        ck_assert_msg(cancel_cb == 0 && refused == 0,
                      "policy '%s', drain: %zu cancelled, %zu refused", pol, cancel_cb, refused);
    printf("check_lifecycle: %s, %s: %u tasks: %zu ran, %zu cancelled, %zu refused\n", pol,
           mode == TPOOL_DRAIN ? "drain" : "cancel", n, ran, cancel_cb, refused);
    free(g_book);
}

START_TEST(test_destroy_drain_while_submitting)
{
    destroy_under_load(g_pol[_i], TPOOL_DRAIN);
}
END_TEST

START_TEST(test_destroy_cancel_while_submitting)
{
    destroy_under_load(g_pol[_i], TPOOL_CANCEL);
}
END_TEST

/* ---- destroy from a thread working for the pool ------------------------------------ */

static _Atomic int g_rc_drain, g_rc_cancel;

static void destroy_self(void *arg)
{
    atomic_store(&g_rc_drain, tpool_destroy(arg));
    atomic_store(&g_rc_cancel, tpool_destroy_ex(arg, TPOOL_CANCEL, NULL));
}

/* From a worker, and from a task that an outside thread runs while it waits
 * on a group (the task runs on the waiter's own stack): refused both ways,
 * and the pool goes on. */
START_TEST(test_destroy_from_inside_refused)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool(pol, 2, NULL);
    for (int round = 0; round < 20; round++) {
        atomic_store(&g_rc_drain, 1);
        atomic_store(&g_rc_cancel, 1);
        tpool_group *g;
        ck_assert_int_eq(tpool_group_create(p, &g), 0);
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.group = g;
        ck_assert_int_eq(tpool_submit(p, destroy_self, p, &a), 0);
        ck_assert_int_eq(tpool_group_wait(g), 0);
        tpool_group_destroy(g);
        ck_assert_int_eq(atomic_load(&g_rc_drain), TPOOL_EDEADLK);
        ck_assert_int_eq(atomic_load(&g_rc_cancel), TPOOL_EDEADLK);
    }
    tu_hits_alloc(100);
    for (size_t i = 0; i < 100; i++)
        ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, NULL), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_assert_once(100, "policy '%s' after refused destroys", pol);
    tu_hits_free();
}
END_TEST

/* ---- resizing while fork-join tasks wait ---------------------------------------------- */

typedef struct {
    tpool *pool;
    _Atomic int done;
    long result;
} fib_job;

static void *fib_thread(void *arg)
{
    fib_job *j = arg;
    j->result = tu_fib_run(j->pool, 20);
    atomic_store(&j->done, 1);
    return NULL;
}

/* Workers nested in group waits are retired and added back while the
 * fork-join runs; it still completes with the right result. */
START_TEST(test_set_threads_during_fork_join)
{
    const char *pol = g_pol[_i];
    fib_job j = { tu_pool(pol, 4, NULL), 0, 0 };
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, fib_thread, &j), 0);
    static const unsigned sizes[] = { 2, 6, 1, 3, 8, 4 };
    unsigned k = 0;
    do {
        unsigned t = sizes[k++ % 6];
        ck_assert_int_eq(tpool_set_threads(j.pool, t), 0);
        ck_assert_uint_eq(tpool_threads(j.pool), t);
    } while (!atomic_load(&j.done) || k < 6);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_msg(j.result == 6765, "policy '%s': fib(20) = %ld with resizes", pol, j.result);
    ck_assert_int_eq(tpool_destroy(j.pool), 0);
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("check_lifecycle", g_pol, 32);
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_destroy_drain_while_submitting, 0, g_npol);
    tcase_add_loop_test(tc, test_destroy_cancel_while_submitting, 0, g_npol);
    tcase_add_loop_test(tc, test_destroy_from_inside_refused, 0, g_npol);
    tcase_add_loop_test(tc, test_set_threads_during_fork_join, 0, g_npol);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
