/*
 * check_seats.c - at no instant do more than T threads run a pool's work
 * (include/tpool.h), under every policy and T in {1, 2, 3}: submitted
 * tasks, groups waited on by several outside threads, nested fork-join
 * groups, parallel-for calls from several threads (inline ones included),
 * and tasks and parallel-fors nested in each other. Every body counts
 * itself running (per thread, so a nested body is the same runner) and
 * not running while it waits in the pool, which gives its seat back.
 *
 * Also: the maximum is reached (a parallel-for of T items that meet);
 * at T = 1 submitted tasks run with nobody waiting; every participant's
 * busy time is recorded (an outside thread's tasks and a parallel-for's
 * own items count as busy); the job sequence does not wrap; the test of
 * a crowded spin (more threads awake than CPUs) reads the seats right.
 *
 * Waits for other threads give up after WAIT_S seconds without progress,
 * so a regression fails with a message instead of hanging.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <time.h>

#include <stdlib.h>
#include <string.h>

#include "pool.h" /* range.seq and seen_job: the wrapped state */
#include "seats.h" /* tpool__seats_crowded */
#include "testutil.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;

#define WAIT_S 60

/* ---- counting runners --------------------------------------------------------- */

static _Atomic unsigned g_running, g_max;
static _Thread_local unsigned tl_depth;

static void counted(void)
{
    unsigned now = atomic_fetch_add(&g_running, 1) + 1;
    unsigned m = atomic_load(&g_max);
    while (now > m && !atomic_compare_exchange_weak(&g_max, &m, now))
        ;
}

/* A body starts (a nested body on the same thread is the same runner). */
static void run_enter(void)
{
    if (tl_depth++ == 0)
        counted();
}

static void run_leave(void)
{
    if (--tl_depth == 0)
        atomic_fetch_sub(&g_running, 1);
}

/* Around a wait in the pool: the thread runs nothing of its own meanwhile
 * (what it runs for others counts by itself). */
static unsigned wait_begin(void)
{
    unsigned d = tl_depth;
    if (d) {
        tl_depth = 0;
        atomic_fetch_sub(&g_running, 1);
    }
    return d;
}

static void wait_end(unsigned d)
{
    if (d) {
        tl_depth = d;
        counted();
    }
}

/* A little work, so that bodies overlap; the yield lets other threads
 * start bodies while this one is inside its own (on a loaded machine
 * threads rarely overlap otherwise, and a broken pool would pass). */
static void work(unsigned spins)
{
    for (volatile unsigned i = 0; i < spins; i++)
        ;
    sched_yield();
}

static void reset_counts(void)
{
    atomic_store(&g_running, 0);
    atomic_store(&g_max, 0);
}

static void task_body(void *arg)
{
    (void)arg;
    run_enter();
    work(2000);
    run_leave();
}

static void range_body(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx;
    (void)thread;
    run_enter();
    work(200 * (unsigned)(end - begin));
    run_leave();
}

/* A task that waits on a group of its own tasks (fork-join), then runs a
 * parallel-for whose items submit a task each. */
typedef struct {
    tpool *pool;
    int depth;
} node;

static void node_task(void *arg);

static void spawn_and_wait(tpool *p, int depth)
{
    node kids[2] = { { p, depth - 1 }, { p, depth - 1 } };
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(p, &g), 0);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = g;
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(tpool_submit(p, node_task, &kids[k], &a), 0);
    unsigned d = wait_begin();
    ck_assert_int_eq(tpool_group_wait(g), 0);
    wait_end(d);
    tpool_group_destroy(g);
}

static void item_submits(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    run_enter();
    for (size_t i = begin; i < end; i++)
        ck_assert_int_eq(tpool_submit(ctx, task_body, NULL, NULL), 0);
    run_leave();
}

static void node_task(void *arg)
{
    node *n = arg;
    run_enter();
    work(500);
    if (n->depth > 0)
        spawn_and_wait(n->pool, n->depth);
    if (n->depth == 1) {
        unsigned d = wait_begin(); /* the call may wait for its items */
        ck_assert_int_eq(tpool_parallel_range(n->pool, 4, item_submits, n->pool, NULL), 0);
        wait_end(d);
    }
    run_leave();
}

/* An outside thread: a group of tasks, then parallel-fors of several sizes
 * (1 and 2 items run inline below min_work_size 3), then a fork-join tree. */
static void *outside_thread(void *arg)
{
    tpool *p = arg;
    for (int round = 0; round < 3; round++) {
        tpool_group *g;
        ck_assert_int_eq(tpool_group_create(p, &g), 0);
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.group = g;
        for (int i = 0; i < 100; i++)
            ck_assert_int_eq(tpool_submit(p, task_body, NULL, &a), 0);
        ck_assert_int_eq(tpool_group_wait(g), 0);
        tpool_group_destroy(g);
        static const size_t sizes[] = { 1, 2, 5, 64 };
        for (int k = 0; k < 4; k++)
            ck_assert_int_eq(tpool_parallel_range(p, sizes[k], range_body, NULL, NULL), 0);
        node root = { p, 4 };
        tpool_group *tree;
        ck_assert_int_eq(tpool_group_create(p, &tree), 0);
        a.group = tree;
        ck_assert_int_eq(tpool_submit(p, node_task, &root, &a), 0);
        ck_assert_int_eq(tpool_group_wait(tree), 0);
        tpool_group_destroy(tree);
    }
    return NULL;
}

/* _i: policy index * 3 + (T - 1). */
START_TEST(test_at_most_T_run)
{
    const char *pol = g_pol[_i / 3];
    unsigned T = (unsigned)(_i % 3) + 1;
    reset_counts();
    tpool *p = tu_pool(pol, T, NULL);
    tpool_set_min_work_size(p, 3);

    /* Submitted tasks, waited on by the main thread (which helps). */
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(tpool_submit(p, task_body, NULL, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);

    /* Three outside threads at once: groups, parallel-fors, trees. */
    enum { K = 3 };
    pthread_t th[K];
    for (int k = 0; k < K; k++)
        ck_assert_int_eq(pthread_create(&th[k], NULL, outside_thread, p), 0);
    /* Meanwhile tasks with no waiter, then the main thread's own calls. */
    for (int i = 0; i < 300; i++)
        ck_assert_int_eq(tpool_submit(p, task_body, NULL, NULL), 0);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(tpool_parallel_range(p, 16, range_body, NULL, NULL), 0);
    for (int k = 0; k < K; k++)
        pthread_join(th[k], NULL);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);

    unsigned m = atomic_load(&g_max);
    printf("seats: %s T=%u: at most %u ran at once\n", pol, T, m);
    ck_assert_msg(m >= 1 && m <= T, "policy '%s', T=%u: %u threads ran the pool's work at once",
                  pol, T, m);
    ck_assert_uint_eq(atomic_load(&g_running), 0);
}
END_TEST

/* ---- the maximum is reached ------------------------------------------------------ */

static _Atomic unsigned g_met;
static _Atomic int g_gave_up;

/* Each item stays until T items run at once (each on its own thread). */
static void meet_body(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    unsigned T = *(unsigned *)ctx;
    for (size_t i = begin; i < end; i++) {
        run_enter();
        atomic_fetch_add(&g_met, 1);
        time_t start = time(NULL);
        while (atomic_load(&g_met) < T) {
            sched_yield();
            if (time(NULL) - start > WAIT_S) {
                atomic_store(&g_gave_up, 1);
                break;
            }
        }
        run_leave();
    }
}

START_TEST(test_T_run_together)
{
    const char *pol = g_pol[_i / 3];
    unsigned T = (unsigned)(_i % 3) + 1;
    reset_counts();
    atomic_store(&g_met, 0);
    atomic_store(&g_gave_up, 0);
    tpool *p = tu_pool(pol, T, NULL);
    tpool_range_opts o = { .flags = TPOOL_FLAG_PROGRESS };
    ck_assert_int_eq(tpool_parallel_range(p, T, meet_body, &T, &o), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
    ck_assert_msg(!atomic_load(&g_gave_up), "policy '%s', T=%u: %u of %u items met in %d s",
                  pol, T, atomic_load(&g_met), T, WAIT_S);
    ck_assert_uint_eq(atomic_load(&g_max), T);
}
END_TEST

/* ---- T = 1: tasks run with nobody waiting ---------------------------------------- */

static _Atomic size_t g_done;

static void count_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_done, 1);
}

START_TEST(test_t1_tasks_run_unwaited)
{
    const char *pol = g_pol[_i];
    atomic_store(&g_done, 0);
    tpool *p = tu_pool(pol, 1, NULL);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(tpool_submit(p, count_task, NULL, NULL), 0);
    /* No wait, no call: only the worker can run them. */
    ck_assert_msg(tu_wait_count(&g_done, 100, WAIT_S) == 0,
                  "policy '%s', T=1: %zu of 100 tasks ran without a waiter", pol,
                  atomic_load(&g_done));
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- busy time for every participant --------------------------------------------- */

#define BUSY_NS 200000u /* each task and item keeps its thread this long */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void busy_for(void)
{
    uint64_t end = now_ns() + BUSY_NS;
    while (now_ns() < end)
        ;
}

static void busy_task(void *arg)
{
    (void)arg;
    busy_for();
}

static void busy_items(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        busy_for();
}

static tu_latch g_gate;
static _Atomic int g_blocking;

static void block_task(void *arg)
{
    (void)arg;
    atomic_store(&g_blocking, 1);
    tu_latch_wait(&g_gate);
}

/* Whether the policy hands tasks to the outside slot (static and plain
 * roundrobin deal every task to a worker). */
static bool outside_takes_tasks(const char *pol)
{
    return strcmp(pol, "static") != 0 && strcmp(pol, "roundrobin") != 0;
}

/* The outside slot's busy time covers the tasks and items the outside
 * threads ran: at least BUSY_NS each. With the worker held by a blocker,
 * the waiting thread runs the group's tasks itself wherever the policy
 * lets the outside slot take tasks. */
START_TEST(test_busy_time_of_outside_threads)
{
    const char *pol = g_pol[_i];
    tu_latch_init(&g_gate);
    atomic_store(&g_blocking, 0);
    tpool *p = tu_pool(pol, 2, NULL);
    ck_assert_int_eq(tpool_submit(p, block_task, NULL, NULL), 0);
    time_t start = time(NULL);
    while (!atomic_load(&g_blocking) && time(NULL) - start <= WAIT_S)
        sched_yield();
    ck_assert(atomic_load(&g_blocking));
    tpool_stats_reset(p);

    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(p, &g), 0);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = g;
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(tpool_submit(p, busy_task, NULL, &a), 0);
    if (!outside_takes_tasks(pol))
        tu_latch_open(&g_gate); /* only the worker can run them */
    ck_assert_int_eq(tpool_group_wait(g), 0);
    tpool_group_destroy(g);

    /* The tasks: what the waiting thread ran is its busy time. */
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    const tpool_worker_stats *out = &st.per_worker[st.workers];
    uint64_t tasks = out->tasks_run, busy = out->busy_ns;
    printf("seats: %s: outside ran %llu tasks, busy %llu ns\n", pol,
           (unsigned long long)tasks, (unsigned long long)busy);
    if (outside_takes_tasks(pol))
        ck_assert_uint_eq(tasks, 10);
    ck_assert_uint_ge(busy, tasks * BUSY_NS);
    tpool_stats_free(&st);

    /* A parallel-for: the caller's own items are its busy time. */
    tu_latch_open(&g_gate);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_int_eq(tpool_parallel_range(p, 16, busy_items, NULL, NULL), 0);
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    out = &st.per_worker[st.workers];
    printf("seats: %s: the caller ran %llu items, busy %llu ns\n", pol,
           (unsigned long long)out->items_run, (unsigned long long)(out->busy_ns - busy));
    ck_assert_uint_ge(out->busy_ns - busy, out->items_run * BUSY_NS);
    uint64_t all = 0;
    for (unsigned w = 0; w <= st.workers; w++)
        all += st.per_worker[w].busy_ns;
    ck_assert_uint_ge(all, (tasks + 16) * (uint64_t)BUSY_NS);
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_latch_destroy(&g_gate);
}
END_TEST

/* ---- the job sequence does not wrap ----------------------------------------------- */

static _Atomic unsigned g_pair;

/* Both items must run at once: the caller's item waits for the worker's. */
static void pair_body(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++) {
        atomic_fetch_add(&g_pair, 1);
        time_t start = time(NULL);
        while (atomic_load(&g_pair) < 2) {
            sched_yield();
            if (time(NULL) - start > WAIT_S) {
                atomic_store(&g_gave_up, 1); /* the other item never started */
                break;
            }
        }
    }
}

/*
 * A worker that takes part in no job keeps the job number it saw last. With
 * 32-bit numbers, 2^31 jobs later the open job's number equals it again
 * and the worker believed it had taken part: the job number is set to 2^32
 * (closed) and each worker's to 1, which is that state truncated to 32 bits
 * (the next job opens as 2^32 + 1, that is 1). A two-item call whose items
 * wait for each other then needs the worker.
 */
START_TEST(test_job_sequence_does_not_wrap)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool(pol, 2, NULL);
    for (int round = 0; round < 3; round++) {
        atomic_store(&p->range.seq, (uint64_t)1 << 32);
        for (unsigned w = 0; w < ld_acquire(&p->team.workers); w++)
            atomic_store(&p->team.w[w]->seen_job, 1);
        atomic_store(&g_pair, 0);
        atomic_store(&g_gave_up, 0);
        tpool_range_opts o = { .flags = TPOOL_FLAG_PROGRESS };
        ck_assert_int_eq(tpool_parallel_range(p, 2, pair_body, NULL, &o), 0);
        ck_assert_msg(!atomic_load(&g_gave_up) && atomic_load(&g_pair) == 2,
                      "policy '%s': the worker missed the job (the items ran one after "
                      "the other)", pol);
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- crowded spins ------------------------------------------------------------ */

/* tpool__seats_crowded: the pool's awake threads (seated, and the spinner
 * when it holds no seat) against its CPUs. Only the seat word and the CPU
 * count are read, so a zeroed pool stands in for a real one. */
START_TEST(test_crowded)
{
    static const struct {
        unsigned threads, used, cpus;
        bool seated, crowded;
    } cases[] = {
        { 8, 7, 2, true, true },   /* seven spinning workers on two CPUs */
        { 8, 2, 2, true, false },  /* a spinner and one runner fit */
        { 8, 2, 2, false, true },  /* ...but not a third, unseated spinner */
        { 8, 1, 2, false, false }, /* a caller waiting for one worker */
        { 2, 2, 2, true, false },  /* T = cores is never crowded */
        { 2, 1, 2, false, false },
        { 3, 3, 2, true, true },
        { 16, 16, 16, true, false },
    };
    struct tpool *p = aligned_alloc(TPOOL__CACHELINE, sizeof *p);
    ck_assert_ptr_nonnull(p);
    memset(p, 0, sizeof *p);
    tpool__frame f = { .pool = p };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        atomic_store(&p->seats.word, tpool__seat_word(cases[k].threads, cases[k].used));
        p->seats.cpus = cases[k].cpus;
        f.seated = cases[k].seated;
        ck_assert_msg(tpool__seats_crowded(&f) == cases[k].crowded,
                      "T=%u, %u seated, %u CPUs, spinner %s: crowded should be %d",
                      cases[k].threads, cases[k].used, cases[k].cpus,
                      cases[k].seated ? "seated" : "unseated", cases[k].crowded);
    }
    /* The solo form (a one-thread pool's seat, held inline) is never crowded,
     * whatever its bits say. */
    atomic_store(&p->seats.word, tpool__thread_id());
    p->seats.cpus = 1;
    f.seated = false;
    ck_assert(!tpool__seats_crowded(&f));
    free(p);

    /* A pool made with a thread count learns the CPUs it may use. */
    tpool *q = tu_pool(g_pol[0], 3, NULL);
    ck_assert_uint_eq(q->seats.cpus, tpool_default_threads());
    ck_assert_int_eq(tpool_destroy(q), 0);
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("seats", g_pol, MAXPOL);
    Suite *s = suite_create("seats");
    TCase *tc = tcase_create("seats");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_at_most_T_run, 0, 3 * g_npol);
    tcase_add_loop_test(tc, test_T_run_together, 0, 3 * g_npol);
    tcase_add_loop_test(tc, test_t1_tasks_run_unwaited, 0, g_npol);
    tcase_add_loop_test(tc, test_busy_time_of_outside_threads, 0, g_npol);
    tcase_add_loop_test(tc, test_job_sequence_does_not_wrap, 0, g_npol);
    tcase_add_test(tc, test_crowded);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
