/* check_pool.c - the core pool with the FIFO policy: exactly-once execution,
 * concurrent and nested submission, groups, destroy modes, statistics. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "pool.h"
#include "testutil.h"

/* ---- every task runs exactly once ------------------------------------------ */

typedef struct {
    _Atomic unsigned *hits;
} hit_ctx;

static const unsigned thread_counts[] = { 1, 2, 3, 8 };

START_TEST(test_exactly_once)
{
    enum { N = 100000 };
    unsigned threads = thread_counts[_i];
    tu_hits_alloc(N);
    tpool *p = tu_pool("fifo", threads, NULL);
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(N, "fifo, %u threads", threads);

    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.workers, threads > 1 ? threads - 1 : 1);
    uint64_t sum = 0;
    for (unsigned w = 0; w <= st.workers; w++)
        sum += st.per_worker[w].tasks_run;
    ck_assert_uint_eq(sum, N);
    ck_assert_uint_eq(st.completed, N);
    ck_assert_uint_eq(st.submitted, N);
    ck_assert_uint_eq(st.cancelled, 0);
    tpool_stats_free(&st);

    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_free();
}
END_TEST

/* ---- concurrent submitters ----------------------------------------------- */

typedef struct {
    tpool *pool;
    size_t first, count;
} submitter_arg;

static void *submitter(void *arg)
{
    submitter_arg *a = arg;
    for (size_t i = a->first; i < a->first + a->count; i++)
        ck_assert_int_eq(tpool_submit(a->pool, tu_hit, (void *)i, NULL), 0);
    return NULL;
}

START_TEST(test_concurrent_submitters)
{
    enum { SUBMITTERS = 6, EACH = 20000, N = SUBMITTERS * EACH };
    tu_hits_alloc(N);
    tpool *p = tu_pool("fifo", 3, NULL);
    pthread_t th[SUBMITTERS];
    submitter_arg args[SUBMITTERS];
    for (int i = 0; i < SUBMITTERS; i++) {
        args[i] = (submitter_arg){ p, (size_t)i * EACH, EACH };
        pthread_create(&th[i], NULL, submitter, &args[i]);
    }
    for (int i = 0; i < SUBMITTERS; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(tpool_destroy(p), 0); /* drains */
    tu_hits_assert_once(N, "fifo, concurrent submitters");
    tu_hits_free();
}
END_TEST

/* Task structures are recycled per thread (core/task_cache.c): threads that
 * submit and then exit hand their cached tasks on, and a pool created after
 * another one reuses that one's tasks. Every task still runs once; under
 * valgrind (tests/valgrind_check.sh) a cache lost at thread exit would show
 * as a definite leak. */
START_TEST(test_short_lived_submitters)
{
    /* Few tasks per round too: workers that cache only a handful of tasks
     * before their pool goes must hand them on as well. */
    enum { ROUNDS = 6, SUBMITTERS = 8, MAX_EACH = 5000 };
    for (int r = 0; r < ROUNDS; r++) {
        size_t each = r % 2 ? 3 : MAX_EACH, n = SUBMITTERS * each;
        tu_hits_alloc(n);
        tpool *p = tu_pool("fifo", 1 + (unsigned)r / 2, NULL);
        pthread_t th[SUBMITTERS];
        submitter_arg args[SUBMITTERS];
        for (int i = 0; i < SUBMITTERS; i++) {
            args[i] = (submitter_arg){ p, i * each, each };
            ck_assert_int_eq(pthread_create(&th[i], NULL, submitter, &args[i]), 0);
        }
        for (int i = 0; i < SUBMITTERS; i++)
            pthread_join(th[i], NULL);
        ck_assert_int_eq(tpool_wait_all(p), 0);
        tu_hits_assert_once(n, "fifo, short-lived submitters, round %d", r);
        ck_assert_int_eq(tpool_destroy(p), 0);
        tu_hits_free();
    }
}
END_TEST

/* A task cache that recycles across threads: one producer allocates every
 * task and the worker frees them, so only tasks handed back from the
 * worker's cache to the producer's keep the producer off the C library.
 * Each round's tasks are all in flight at once (the worker is held by a
 * blocker until the last is submitted: a producer that runs ahead), then the
 * next round is a plain flow. After the first round, which must allocate,
 * the cache may take from the allocator only what the threads' private
 * lists hold back (under 2 x 64 tasks each), however many rounds follow.
 * A round stays within the depot's bound (16384 tasks, task_cache.c). */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
} hold_gate;

static void hold_until_open(void *arg)
{
    hold_gate *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void noop_task(void *arg) { (void)arg; }

START_TEST(test_task_cache_recycles_across_threads)
{
    enum { N = 12000, ROUNDS = 6, THREADS = 2, SLACK = (THREADS + 1) * 2 * 64 };
    uint64_t before, after_warmup, end;
    if (!tpool__task_cache_allocated(&before))
        return; /* compiled out (AddressSanitizer): every task is malloc'd */
    tpool *p = tu_pool("fifo", THREADS, NULL);
    for (int r = 0; r <= ROUNDS; r++) {
        hold_gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };
        bool backlog = r % 2 == 0;
        if (backlog)
            ck_assert_int_eq(tpool_submit(p, hold_until_open, &g, NULL), 0);
        for (int i = 0; i < N; i++)
            ck_assert_int_eq(tpool_submit(p, noop_task, NULL, NULL), 0);
        if (backlog) {
            pthread_mutex_lock(&g.lock);
            g.open = true;
            pthread_cond_signal(&g.cond);
            pthread_mutex_unlock(&g.lock);
        }
        ck_assert_int_eq(tpool_wait_all(p), 0);
        if (r == 0)
            ck_assert(tpool__task_cache_allocated(&after_warmup));
    }
    ck_assert(tpool__task_cache_allocated(&end));
    ck_assert_msg(end - after_warmup <= SLACK,
                  "the task cache took %llu tasks from the allocator after the first round "
                  "(%d rounds of %d tasks; at most %d expected); the first round took %llu",
                  (unsigned long long)(end - after_warmup), ROUNDS, N, SLACK,
                  (unsigned long long)(after_warmup - before));
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Two threads that allocate at once share the free tasks: a thread with an
 * empty cache takes one chain from the depot and leaves the rest, so a
 * second thread finds tasks there too instead of calling the allocator.
 * (Taking the whole depot let the first thread hoard them all.) */
typedef struct {
    pthread_barrier_t *took;
    tpool__task *t;
} taker_arg;

static void *taker(void *arg)
{
    taker_arg *a = arg;
    a->t = tpool__task_alloc();
    pthread_barrier_wait(a->took); /* hold our chain while the other takes */
    pthread_barrier_wait(a->took);
    tpool__task_free(a->t);
    return NULL;
}

START_TEST(test_task_cache_shares_the_depot)
{
    enum { FREED = 10 * 64 };
    uint64_t before, after;
    if (!tpool__task_cache_allocated(&before))
        return; /* compiled out (AddressSanitizer) */
    static tpool__task *t[FREED];
    for (int i = 0; i < FREED; i++)
        ck_assert_ptr_nonnull(t[i] = tpool__task_alloc());
    for (int i = 0; i < FREED; i++)
        tpool__task_free(t[i]); /* all but the last 64-127 go to the depot */
    ck_assert(tpool__task_cache_allocated(&before));
    pthread_barrier_t took;
    ck_assert_int_eq(pthread_barrier_init(&took, NULL, 3), 0);
    taker_arg a[2] = { { &took, NULL }, { &took, NULL } };
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, taker, &a[i]), 0);
    pthread_barrier_wait(&took); /* both have taken a task */
    ck_assert(tpool__task_cache_allocated(&after));
    pthread_barrier_wait(&took);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&took);
    ck_assert_ptr_nonnull(a[0].t);
    ck_assert_ptr_nonnull(a[1].t);
    ck_assert_msg(after == before,
                  "two threads with empty caches took %llu tasks from the allocator "
                  "with at least %d tasks in the depot",
                  (unsigned long long)(after - before), FREED - 127);
}
END_TEST

/* ---- nested submission: recursive fork-join with groups ------------------- */

START_TEST(test_nested_fork_join)
{
    /* More threads than cores: waiting tasks must keep their threads busy. */
    tpool *p = tu_pool("fifo", 8, NULL);
    ck_assert_int_eq(tu_fib_run(p, 18), 2584);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- destroy: drain and cancel -------------------------------------------- */

static _Atomic int g_ran, g_cancelled_cb, g_ok_cb;

static void count_run(void *arg) { atomic_fetch_add(&g_ran, 1); }

static void count_done(void *arg, int status)
{
    if (status == TPOOL_ECANCELED)
        atomic_fetch_add(&g_cancelled_cb, 1);
    else if (status == 0)
        atomic_fetch_add(&g_ok_cb, 1);
}

/* Keeps its worker busy until destroy has switched to cancel mode, then
 * checks that the pool refuses it. It submits at most LATE_MAX tasks while
 * it waits: submitting without bound grew the queue for as long as the
 * destroying thread was starved, up to 245 s under valgrind here (CI's
 * memcheck run of this suite was killed, exit 137). Once that budget is
 * spent it waits for a cancelled task's callback, which destroy's cancel
 * mode alone produces. */
enum { LATE_MAX = 1000 };
static _Atomic int g_late_submitted, g_blocker_started;
static void blocker(void *arg)
{
    tpool *p = arg;
    atomic_store(&g_blocker_started, 1);
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.on_complete = count_done;
    int rc = 0;
    while (atomic_load(&g_late_submitted) < LATE_MAX
           && (rc = tpool_submit(p, count_run, NULL, &attr)) == 0)
        atomic_fetch_add(&g_late_submitted, 1);
    while (rc == 0 && !atomic_load(&g_cancelled_cb))
        sched_yield();
    if (rc == 0)
        rc = tpool_submit(p, count_run, NULL, &attr);
    ck_assert_int_eq(rc, TPOOL_ESHUTDOWN);
}

START_TEST(test_destroy_cancel)
{
    atomic_store(&g_ran, 0);
    atomic_store(&g_cancelled_cb, 0);
    atomic_store(&g_ok_cb, 0);
    atomic_store(&g_late_submitted, 0);
    atomic_store(&g_blocker_started, 0);
    tpool *p = tu_pool("fifo", 1, NULL); /* one worker */
    ck_assert_int_eq(tpool_submit(p, blocker, p, NULL), 0);
    while (!atomic_load(&g_blocker_started)) /* else destroy may cancel it */
        sched_yield();
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.on_complete = count_done;
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(tpool_submit(p, count_run, NULL, &attr), 0);
    size_t cancelled = 0;
    ck_assert_int_eq(tpool_destroy_ex(p, TPOOL_CANCEL, &cancelled), 0);
    int total = 100 + atomic_load(&g_late_submitted);
    /* Nothing is lost: every task either ran or was reported cancelled. */
    ck_assert_int_eq(atomic_load(&g_ran) + atomic_load(&g_cancelled_cb), total);
    ck_assert_int_eq(atomic_load(&g_ok_cb), atomic_load(&g_ran));
    ck_assert_uint_eq(cancelled, (size_t)atomic_load(&g_cancelled_cb));
    /* The first 100 sat behind the blocker on the only worker. */
    ck_assert_int_ge(atomic_load(&g_cancelled_cb), 100);
}
END_TEST

START_TEST(test_destroy_drain)
{
    enum { N = 5000 };
    atomic_store(&g_ran, 0);
    atomic_store(&g_ok_cb, 0);
    tpool *p = tu_pool("fifo", 2, NULL);
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.on_complete = count_done;
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(tpool_submit(p, count_run, NULL, &attr), 0);
    size_t cancelled = 99;
    ck_assert_int_eq(tpool_destroy_ex(p, TPOOL_DRAIN, &cancelled), 0);
    ck_assert_uint_eq(cancelled, 0);
    ck_assert_int_eq(atomic_load(&g_ran), N);
    ck_assert_int_eq(atomic_load(&g_ok_cb), N);
}
END_TEST

/* A group whose tasks were cancelled says so. */
START_TEST(test_group_reports_cancel)
{
    atomic_store(&g_late_submitted, 0);
    atomic_store(&g_cancelled_cb, 0);
    tpool *p = tu_pool("fifo", 1, NULL);
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(p, &g), 0);
    ck_assert_int_eq(tpool_submit(p, blocker, p, NULL), 0);
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = g;
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(tpool_submit(p, count_run, NULL, &attr), 0);
    ck_assert_int_eq(tpool_destroy_ex(p, TPOOL_CANCEL, NULL), 0);
    /* All its tasks are finished, so the group may outlive its pool. */
    ck_assert_int_eq(tpool_group_wait(g), TPOOL_ECANCELED);
    tpool_group_destroy(g);
}
END_TEST

static _Atomic int g_destroy_rc;
static void destroy_self(void *arg) { atomic_store(&g_destroy_rc, tpool_destroy(arg)); }

START_TEST(test_destroy_from_task_refused)
{
    tpool *p = tu_pool("fifo", 2, NULL);
    atomic_store(&g_destroy_rc, 1);
    ck_assert_int_eq(tpool_submit(p, destroy_self, p, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_int_eq(atomic_load(&g_destroy_rc), TPOOL_EDEADLK);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- arguments and policy failures ---------------------------------------- */

START_TEST(test_bad_arguments)
{
    tpool *p = tu_pool("fifo", 2, NULL);
    ck_assert_int_eq(tpool_submit(NULL, count_run, NULL, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_submit(p, NULL, NULL, NULL), TPOOL_EINVAL);
    tpool *q = tu_pool("fifo", 2, NULL);
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(q, &g), 0);
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = g; /* a group of another pool */
    ck_assert_int_eq(tpool_submit(p, count_run, NULL, &attr), TPOOL_EINVAL);
    tpool_group_destroy(g);
    ck_assert_int_eq(tpool_group_wait(NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_destroy(NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_destroy(q), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

START_TEST(test_policy_create_failure)
{
    const char *mods = getenv("TPOOL_TEST_MODULES");
    ck_assert_ptr_nonnull(mods);
    char json[1024];
    snprintf(json, sizeof json, "{\"policy\": \"%s/mod_badcreate.so\", \"threads\": 2}", mods);
    tpool_error err;
    tpool_error_clear(&err);
    tpool *p = NULL;
    ck_assert_int_eq(tpool_create_from_text(json, &p, &err), TPOOL_EPOLICY);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(err.text, "chunk too large for 3 workers"), "message: %s", err.text);
    /* The process is still usable. */
    p = tu_pool("fifo", 2, NULL);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

START_TEST(test_default_threads)
{
    tpool_error err;
    tpool_error_clear(&err);
    tpool *p = NULL;
    ck_assert_int_eq(tpool_create_from_text("{\"threads\": 0}", &p, &err), 0);
    ck_assert_uint_eq(tpool_threads(p), tpool_default_threads());
    ck_assert_str_eq(tpool_policy_name(p), "fifo");
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* An idle pool's workers end up parked: each parks at least once after the
 * spin budget, which they only do when they found no work. */
START_TEST(test_idle_workers_park)
{
    tpool *p = tu_pool("fifo", 3, NULL);
    ck_assert_int_eq(tpool_submit(p, count_run, NULL, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    for (;;) {
        tpool_stats st;
        ck_assert_int_eq(tpool_stats_get(p, &st), 0);
        unsigned parked = 0;
        for (unsigned w = 0; w < st.workers; w++)
            parked += st.per_worker[w].parks > 0;
        tpool_stats_free(&st);
        if (parked == 2)
            break;
        sched_yield(); /* bounded by the test timeout if parking were broken */
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("tasks");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_exactly_once, 0,
                        sizeof thread_counts / sizeof thread_counts[0]);
    tcase_add_test(tc, test_concurrent_submitters);
    tcase_add_test(tc, test_short_lived_submitters);
    tcase_add_test(tc, test_task_cache_recycles_across_threads);
    tcase_add_test(tc, test_task_cache_shares_the_depot);
    tcase_add_test(tc, test_nested_fork_join);
    tcase_add_test(tc, test_destroy_cancel);
    tcase_add_test(tc, test_destroy_drain);
    tcase_add_test(tc, test_group_reports_cancel);
    tcase_add_test(tc, test_destroy_from_task_refused);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_policy_create_failure);
    tcase_add_test(tc, test_default_threads);
    tcase_add_test(tc, test_idle_workers_park);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(pool_suite());
}
