/*
 * check_deep.c - deep fork-join nesting under every policy (core/task.c,
 * "Deep nesting").
 *
 * A thread that waits on a group runs other tasks meanwhile, one stack level
 * deeper each; with FIFO order that nesting used to grow with the queue and
 * fib(24) overflowed the stack at 2-4 threads. The core bounds it: past 64
 * nested tasks a thread runs only its own children. Each task here records
 * how many tasks are nested on its thread's stack; the maximum must stay
 * within that bound plus the tree's depth.
 */
#include <stdatomic.h>

#include "testutil.h"

enum { FIB_N = 27, FIB_27 = 196418 };
/* The core's bound (TPOOL__DEEP, core/task.c) plus one level per tree level,
 * with room for the waits that started just below the bound. */
enum { MAX_NESTING = 64 + FIB_N + 2 };

static const char *g_pol[32];
static int g_npol;

static _Thread_local unsigned tls_nesting;
static _Atomic unsigned g_max_nesting;

static void note_nesting(unsigned depth)
{
    unsigned seen = atomic_load_explicit(&g_max_nesting, memory_order_relaxed);
    while (depth > seen
           && !atomic_compare_exchange_weak_explicit(&g_max_nesting, &seen, depth,
                                                     memory_order_relaxed,
                                                     memory_order_relaxed))
        ;
}

/* tu_fib_task's hook: counts the tasks nested on this thread's stack. */
static void nesting_hook(int delta)
{
    tls_nesting += (unsigned)delta;
    if (delta > 0)
        note_nesting(tls_nesting);
}

/* fib(27) at 2 and 4 threads: the right result, no stack overflow, and the
 * nesting bounded. */
START_TEST(test_deep_fib)
{
    const char *pol = g_pol[_i];
    for (unsigned threads = 2; threads <= 4; threads += 2) {
        atomic_store(&g_max_nesting, 0);
        tpool *p = tu_pool(pol, threads, NULL);
        long result = tu_fib_run_hooked(p, FIB_N, nesting_hook);
        ck_assert_msg(result == FIB_27, "policy '%s', %u threads: fib(%d) = %ld", pol,
                      threads, FIB_N, result);
        ck_assert_int_eq(tpool_destroy(p), 0);
        unsigned nesting = atomic_load(&g_max_nesting);
        printf("check_deep: %s, %u threads: at most %u tasks nested on a stack\n", pol,
               threads, nesting);
        ck_assert_msg(nesting <= MAX_NESTING,
                      "policy '%s', %u threads: %u tasks nested on one stack (bound %d)", pol,
                      threads, nesting, MAX_NESTING);
    }
}
END_TEST

/* Past the bound a task's ungrouped submissions still go to the policy, and
 * its grouped ones left unwaited are handed over when it returns: all run. */
typedef struct {
    tpool *pool;
    tpool_group *g;
    unsigned depth;
} chain_arg;

static void chain_task(void *arg)
{
    chain_arg *a = arg;
    tu_hit((void *)(size_t)(2 * a->depth));
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = a->g;
    /* A grouped task this task does not wait for, and an ungrouped one. */
    ck_assert_int_eq(tpool_submit(a->pool, tu_hit, (void *)(size_t)(2 * a->depth + 1), &attr), 0);
    if (a->depth + 1 < 100) {
        chain_arg next = { a->pool, NULL, a->depth + 1 };
        ck_assert_int_eq(tpool_group_create(a->pool, &next.g), 0);
        tpool_task_attr inner = TPOOL_TASK_ATTR_INIT;
        inner.group = next.g;
        ck_assert_int_eq(tpool_submit(a->pool, chain_task, &next, &inner), 0);
        ck_assert_int_eq(tpool_group_wait(next.g), 0);
        tpool_group_destroy(next.g);
    }
}

START_TEST(test_deep_unwaited_tasks_run)
{
    const char *pol = g_pol[_i];
    tu_hits_alloc(200);
    tpool *p = tu_pool(pol, 2, NULL);
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(p, &g), 0);
    chain_arg a = { p, g, 0 };
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = g;
    ck_assert_int_eq(tpool_submit(p, chain_task, &a, &attr), 0);
    ck_assert_int_eq(tpool_group_wait(g), 0);
    tpool_group_destroy(g);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_assert_once(200, "policy '%s'", pol);
    tu_hits_free();
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("check_deep", g_pol, 32);
    Suite *s = suite_create("deep");
    TCase *tc = tcase_create("deep");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_deep_fib, 0, g_npol);
    tcase_add_loop_test(tc, test_deep_unwaited_tasks_run, 0, g_npol);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
