/*
 * check_nesting.c - a thread knows every pool it works for, and a wait that
 * could only end after the waiting task returns is refused; every policy.
 *
 * Two pools, B and A. A task of B runs a parallel-for of A whose items
 * call into B again. On the thread of the B task (the caller of the A
 * call), B must see one of its own threads, as from a plain B task: a
 * parallel-for of B runs inline there, tpool_destroy(B) and
 * tpool_set_threads(B, n) and tpool_set_policy(B, ...) return
 * TPOOL_EDEADLK. A's workers are outside threads to B: their B calls run
 * as any outside caller's.
 *
 * tpool_wait_all(p) from a task of p, and tpool_group_wait(g) from a task
 * of g, return TPOOL_EDEADLK (they could only end after the caller
 * returns); from a parallel-for's item, or waiting on another pool, they
 * wait as usual.
 *
 * Waits for other threads give up after WAIT_S seconds (the suite's Check
 * timeout catches a hang in the pool itself).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <time.h>

#include "testutil.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;

/* ---- a B task, an A call, B again -------------------------------------------- */

enum { OUTER = 6, A_ITEMS = 12, B_ITEMS = 8 };

enum action { CALL_B, DESTROY_B, RESIZE_B, SWITCH_B };

typedef struct {
    tpool *a, *b;
    enum action what;
    const char *policy;
    _Atomic size_t inner_items;  /* items of the inner B calls that ran */
    _Atomic size_t on_task_thread; /* A items run on a B task's thread */
    _Atomic size_t not_inline;   /* inner B items there that ran elsewhere */
    _Atomic size_t wrong_rc;     /* refusals that were not TPOOL_EDEADLK */
} world;

typedef struct {
    world *w;
    pthread_t task_thread; /* the thread running the B task */
    bool must_inline;      /* an inner call from that thread */
} outer;

static void inner_body(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    outer *o = ctx;
    atomic_fetch_add(&o->w->inner_items, end - begin);
    if (o->must_inline && !pthread_equal(pthread_self(), o->task_thread))
        atomic_fetch_add(&o->w->not_inline, end - begin);
}

/* An item of A: on the B task's thread, B is its own pool. */
static void a_item(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    outer *o = ctx;
    world *w = o->w;
    for (size_t i = begin; i < end; i++) {
        if (!pthread_equal(pthread_self(), o->task_thread)) {
            /* An A worker: an outside thread to B. */
            if (w->what == CALL_B) {
                outer other = { w, pthread_self(), false };
                ck_assert_int_eq(tpool_parallel_range(w->b, B_ITEMS, inner_body, &other, NULL), 0);
            }
            continue;
        }
        atomic_fetch_add(&w->on_task_thread, 1);
        int rc = 0;
        switch (w->what) {
        case CALL_B: {
            outer mine = { w, o->task_thread, true };
            ck_assert_int_eq(tpool_parallel_range(w->b, B_ITEMS, inner_body, &mine, NULL), 0);
            break;
        }
        case DESTROY_B:
            rc = tpool_destroy(w->b);
            break;
        case RESIZE_B:
            rc = tpool_set_threads(w->b, 2);
            if (rc == TPOOL_EDEADLK)
                rc = tpool_set_threads(w->b, 3);
            break;
        case SWITCH_B: {
            tpool_error err;
            tpool_error_clear(&err);
            rc = tpool_set_policy(w->b, w->policy, NULL, &err);
            break;
        }
        }
        if (w->what != CALL_B && rc != TPOOL_EDEADLK)
            atomic_fetch_add(&w->wrong_rc, 1);
    }
}

static void b_task(void *arg)
{
    outer o = { arg, pthread_self(), false };
    ck_assert_int_eq(tpool_parallel_range(o.w->a, A_ITEMS, a_item, &o, NULL), 0);
}

/* Runs OUTER B tasks, each an A call; B at tb threads, A at 3. */
static void run_world(world *w, const char *pol, unsigned tb, enum action what)
{
    memset(w, 0, sizeof *w);
    w->what = what;
    w->policy = pol;
    w->a = tu_pool(pol, 3, NULL);
    w->b = tu_pool(pol, tb, NULL);
    for (int i = 0; i < OUTER; i++)
        ck_assert_int_eq(tpool_submit(w->b, b_task, w, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(w->b), 0);
}

/* _i: policy index * 2 + (B has 1 or 2 threads). */
START_TEST(test_inner_call_into_b)
{
    const char *pol = g_pol[_i / 2];
    unsigned tb = (unsigned)(_i % 2) + 1;
    world w;
    run_world(&w, pol, tb, CALL_B);
    size_t on = atomic_load(&w.on_task_thread);
    printf("nesting: %s, B at %u: %zu A items on B task threads\n", pol, tb, on);
    ck_assert_uint_eq(atomic_load(&w.inner_items), (size_t)OUTER * A_ITEMS * B_ITEMS);
    ck_assert_uint_eq(atomic_load(&w.not_inline), 0);
    ck_assert_int_eq(tpool_destroy(w.b), 0);
    ck_assert_int_eq(tpool_destroy(w.a), 0);
}
END_TEST

/* _i: policy index * 3 + action - 1. */
START_TEST(test_refused_from_inner)
{
    const char *pol = g_pol[_i / 3];
    enum action what = (enum action)(_i % 3 + 1);
    world w;
    /* An A item must land on a B task's thread at least once; it does as a
     * rule (the caller runs items of its call), but is retried. */
    for (int attempt = 0; attempt < 20; attempt++) {
        run_world(&w, pol, 2, what);
        if (atomic_load(&w.on_task_thread) > 0)
            break;
        ck_assert_int_eq(tpool_destroy(w.b), 0);
        ck_assert_int_eq(tpool_destroy(w.a), 0);
    }
    ck_assert_uint_gt(atomic_load(&w.on_task_thread), 0);
    ck_assert_msg(atomic_load(&w.wrong_rc) == 0,
                  "policy '%s', action %d: %zu calls from a B task's thread were not refused",
                  pol, (int)what, atomic_load(&w.wrong_rc));
    /* B is unchanged and works. */
    ck_assert_uint_eq(tpool_threads(w.b), 2);
    ck_assert_str_eq(tpool_policy_name(w.b), pol);
    tu_hits_alloc(100);
    for (size_t i = 0; i < 100; i++)
        ck_assert_int_eq(tpool_submit(w.b, tu_hit, (void *)i, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(w.b), 0);
    tu_hits_assert_once(100, "policy '%s', B after the refusals", pol);
    tu_hits_free();
    ck_assert_int_eq(tpool_set_threads(w.b, 3), 0);
    ck_assert_int_eq(tpool_destroy(w.b), 0);
    ck_assert_int_eq(tpool_destroy(w.a), 0);
}
END_TEST

/* ---- waits that would wait for their own caller ---------------------------------- */

typedef struct {
    tpool *p, *other;
    tpool_group *g;
    _Atomic int wait_all_rc, own_group_rc, other_pool_rc, item_rc;
    _Atomic int ran;
} waits;

static void waiting_task(void *arg)
{
    waits *w = arg;
    atomic_store(&w->wait_all_rc, tpool_wait_all(w->p));
    atomic_store(&w->own_group_rc, tpool_group_wait(w->g));
    atomic_store(&w->other_pool_rc, tpool_wait_all(w->other));
    atomic_fetch_add(&w->ran, 1);
}

static void waiting_item(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)begin;
    (void)end;
    (void)thread;
    waits *w = ctx;
    int rc = tpool_wait_all(w->p);
    if (rc != 0)
        atomic_store(&w->item_rc, rc);
}

/* _i: policy index * 3 + T - 1. */
START_TEST(test_waits_on_itself_refused)
{
    const char *pol = g_pol[_i / 3];
    unsigned T = (unsigned)(_i % 3) + 1;
    waits w;
    memset(&w, 0, sizeof w);
    w.p = tu_pool(pol, T, NULL);
    w.other = tu_pool(pol, 2, NULL);
    ck_assert_int_eq(tpool_group_create(w.p, &w.g), 0);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = w.g;
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(tpool_submit(w.p, waiting_task, &w, &a), 0);
    ck_assert_int_eq(tpool_group_wait(w.g), 0);
    ck_assert_int_eq(atomic_load(&w.ran), 4);
    ck_assert_int_eq(atomic_load(&w.wait_all_rc), TPOOL_EDEADLK);
    ck_assert_int_eq(atomic_load(&w.own_group_rc), TPOOL_EDEADLK);
    ck_assert_int_eq(atomic_load(&w.other_pool_rc), 0);
    /* Items are not tasks: they wait for the pool's tasks as usual. */
    ck_assert_int_eq(tpool_parallel_range(w.p, 8, waiting_item, &w, NULL), 0);
    ck_assert_int_eq(atomic_load(&w.item_rc), 0);
    ck_assert_int_eq(tpool_wait_all(w.p), 0);
    tpool_group_destroy(w.g);
    ck_assert_int_eq(tpool_destroy(w.other), 0);
    ck_assert_int_eq(tpool_destroy(w.p), 0);
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("nesting", g_pol, MAXPOL);
    Suite *s = suite_create("nesting");
    TCase *tc = tcase_create("nesting");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_inner_call_into_b, 0, 2 * g_npol);
    tcase_add_loop_test(tc, test_refused_from_inner, 0, 3 * g_npol);
    tcase_add_loop_test(tc, test_waits_on_itself_refused, 0, 3 * g_npol);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
