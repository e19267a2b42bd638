/*
 * check_resize.c - tpool_set_threads under every policy in the build tree:
 * growing and shrinking while tasks are queued and while workers are busy,
 * with submitters and group waiters racing the switch; no task is lost or
 * run twice; parallel-for afterwards uses the new parallelism; calls from
 * inside the pool are refused.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "pool.h" /* tpool__tl.top->slot, TPOOL__OUTSIDE: where a task ran */
#include "testutil.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;
static unsigned g_seed;

/* Tasks that hold a worker until the test opens the gate. */
static _Atomic int g_gate;
static _Atomic int g_blocked;

static void blocker(void *arg)
{
    atomic_fetch_add(&g_blocked, 1);
    while (!atomic_load(&g_gate))
        sched_yield();
}

static void assert_stats(tpool *p, const char *pol, uint64_t n)
{
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_msg(st.completed == n && st.submitted == n,
                  "policy '%s': stats say %llu submitted, %llu completed, expected %llu", pol,
                  (unsigned long long)st.submitted, (unsigned long long)st.completed,
                  (unsigned long long)n);
    ck_assert_uint_eq(st.workers, tpool_threads(p) > 1 ? tpool_threads(p) - 1 : 1);
    tpool_stats_free(&st);
}

/* Grow and shrink with every worker busy and tasks queued behind them. */
START_TEST(test_resize_with_queued_tasks)
{
    const char *pol = g_pol[_i];
    static const unsigned steps[] = { 4, 8, 2, 1, 5, 3, 3, 6 };
    enum { PER_STEP = 3000 };
    size_t n = 0, total = PER_STEP * (sizeof steps / sizeof steps[0]);
    tu_hits_alloc(total);
    tpool *p = tu_pool(pol, 3, NULL);
    uint64_t blockers = 0;
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        atomic_store(&g_gate, 0);
        atomic_store(&g_blocked, 0);
        unsigned w = tpool_threads(p) > 1 ? tpool_threads(p) - 1 : 1;
        /* One blocker per worker, each preferring its own worker; whatever
         * the policy does with them, some workers are busy. */
        for (unsigned i = 0; i < w; i++) {
            tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
            a.preferred_worker = (int)i;
            ck_assert_int_eq(tpool_submit(p, blocker, NULL, &a), 0);
        }
        blockers += w;
        for (size_t i = 0; i < PER_STEP; i++, n++)
            ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)n, NULL), 0);
        ck_assert_int_eq(tpool_set_threads(p, steps[k]), 0);
        ck_assert_uint_eq(tpool_threads(p), steps[k]);
        atomic_store(&g_gate, 1);
        ck_assert_int_eq(tpool_wait_all(p), 0);
        tu_hits_assert_once(n, "policy '%s', resize to %u", pol, steps[k]);
        assert_stats(p, pol, n + blockers);
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_free();
}
END_TEST

/* Spins until *counter >= want; false after 30 s without getting there. */
static bool spin_until(_Atomic int *counter, int want)
{
    time_t start = time(NULL);
    while (atomic_load(counter) < want) {
        if (time(NULL) - start > 30)
            return false;
        sched_yield();
    }
    return true;
}

static _Atomic int g_done;
static void hit_count(void *arg)
{
    tu_hit(arg);
    atomic_fetch_add(&g_done, 1);
}

/* The only worker is stuck, so every task submitted after is surely still
 * queued when the pool grows: the new workers must find them. */
START_TEST(test_grow_moves_queued_tasks)
{
    const char *pol = g_pol[_i];
    enum { N = 1000 };
    tu_hits_alloc(N);
    atomic_store(&g_gate, 0);
    atomic_store(&g_blocked, 0);
    atomic_store(&g_done, 0);
    tpool *p = tu_pool(pol, 2, NULL);
    ck_assert_int_eq(tpool_submit(p, blocker, NULL, NULL), 0);
    ck_assert_msg(spin_until(&g_blocked, 1), "policy '%s': the only worker never started", pol);
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(tpool_submit(p, hit_count, (void *)i, NULL), 0);
    ck_assert_int_eq(tpool_set_threads(p, 4), 0);
    bool moved = spin_until(&g_done, 1);
    atomic_store(&g_gate, 1);
    ck_assert_msg(moved, "policy '%s': no queued task ran on the new workers", pol);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(N, "policy '%s', grow with the only worker stuck", pol);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_free();
}
END_TEST

/* Submitters (outside threads and tasks) and a group waiter keep going while
 * the main thread resizes over and over. */
typedef struct {
    tpool *p;
    size_t first, count;
} spawn_arg;

static void *outside_submitter(void *arg)
{
    spawn_arg *a = arg;
    for (size_t i = a->first; i < a->first + a->count; i++)
        ck_assert_int_eq(tpool_submit(a->p, tu_hit, (void *)i, NULL), 0);
    return NULL;
}

static void spawner(void *arg)
{
    spawn_arg *a = arg;
    for (size_t i = a->first; i < a->first + a->count; i++)
        ck_assert_int_eq(tpool_submit(a->p, tu_hit, (void *)i, NULL), 0);
}

typedef struct {
    tpool *p;
    size_t first, count;
    _Atomic int done;
} group_arg;

static void *group_waiter(void *arg)
{
    group_arg *g = arg;
    for (size_t r = 0; r < g->count / 100; r++) {
        tpool_group *grp;
        ck_assert_int_eq(tpool_group_create(g->p, &grp), 0);
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.group = grp;
        for (size_t i = 0; i < 100; i++)
            ck_assert_int_eq(tpool_submit(g->p, tu_hit, (void *)(g->first + r * 100 + i), &a), 0);
        ck_assert_int_eq(tpool_group_wait(grp), 0);
        tpool_group_destroy(grp);
    }
    atomic_store(&g->done, 1);
    return NULL;
}

START_TEST(test_resize_racing_submitters)
{
    const char *pol = g_pol[_i];
    enum { OUT = 3, IN = 3, EACH = 4000, GROUP = 3000, N = (OUT + IN) * EACH + GROUP };
    tu_hits_alloc(N);
    tpool *p = tu_pool(pol, 3, NULL);
    spawn_arg args[OUT + IN];
    pthread_t th[OUT], gt;
    group_arg ga = { p, (OUT + IN) * EACH, GROUP, 0 };
    pthread_create(&gt, NULL, group_waiter, &ga);
    for (int i = 0; i < OUT; i++) {
        args[i] = (spawn_arg){ p, (size_t)i * EACH, EACH };
        pthread_create(&th[i], NULL, outside_submitter, &args[i]);
    }
    for (int i = 0; i < IN; i++) {
        args[OUT + i] = (spawn_arg){ p, (size_t)(OUT + i) * EACH, EACH };
        ck_assert_int_eq(tpool_submit(p, spawner, &args[OUT + i], NULL), 0);
    }
    unsigned seed = g_seed;
    for (int r = 0; r < 40 || !atomic_load(&ga.done); r++) {
        unsigned t = 1 + rand_r(&seed) % 6;
        ck_assert_int_eq(tpool_set_threads(p, t), 0);
        ck_assert_uint_eq(tpool_threads(p), t);
    }
    for (int i = 0; i < OUT; i++)
        pthread_join(th[i], NULL);
    pthread_join(gt, NULL);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(N, "policy '%s', racing submitters", pol);
    assert_stats(p, pol, N + IN);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_free();
}
END_TEST

/* After a resize a parallel-for runs on exactly the new participants. */
typedef struct {
    _Atomic unsigned char *hits;
    unsigned threads;
    _Atomic int bad;
} range_ctx;

static void visit(void *arg, size_t begin, size_t end, unsigned thread)
{
    range_ctx *c = arg;
    if (thread >= c->threads)
        atomic_store(&c->bad, 1);
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&c->hits[i], 1);
}

START_TEST(test_parallel_for_after_resize)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool(pol, 2, NULL);
    static const unsigned steps[] = { 6, 1, 3, 8, 2 };
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        ck_assert_int_eq(tpool_set_threads(p, steps[k]), 0);
        range_ctx c = { .threads = steps[k] };
        c.hits = calloc(10007, 1);
        ck_assert_int_eq(tpool_parallel_range(p, 10007, visit, &c, NULL), 0);
        for (size_t i = 0; i < 10007; i++)
            ck_assert_msg(c.hits[i] == 1, "policy '%s', %u threads: item %zu visited %u times",
                          pol, steps[k], i, (unsigned)c.hits[i]);
        ck_assert_int_eq(atomic_load(&c.bad), 0);
        free((void *)c.hits);
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* From inside the pool: refused, nothing changes. */
typedef struct {
    tpool *p;
    _Atomic int rc_task, rc_range;
} inside_ctx;

static void resize_from_task(void *arg)
{
    inside_ctx *c = arg;
    atomic_store(&c->rc_task, tpool_set_threads(c->p, 5));
}

static void resize_from_range(void *arg, size_t begin, size_t end, unsigned thread)
{
    inside_ctx *c = arg;
    int rc = tpool_set_threads(c->p, 5);
    if (rc != TPOOL_EDEADLK)
        atomic_store(&c->rc_range, rc == 0 ? 1 : rc);
}

START_TEST(test_resize_from_inside)
{
    tpool *p = tu_pool(g_pol[_i], 3, NULL);
    inside_ctx c = { .p = p, .rc_task = 1 };
    ck_assert_int_eq(tpool_submit(p, resize_from_task, &c, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_int_eq(atomic_load(&c.rc_task), TPOOL_EDEADLK);
    ck_assert_int_eq(tpool_parallel_range(p, 100, resize_from_range, &c, NULL), 0);
    ck_assert_int_eq(atomic_load(&c.rc_range), 0);
    ck_assert_uint_eq(tpool_threads(p), 3);

    ck_assert_int_eq(tpool_set_threads(NULL, 2), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_set_threads(p, 4097), TPOOL_EINVAL);
    ck_assert_uint_eq(tpool_threads(p), 3);
    ck_assert_int_eq(tpool_set_threads(p, 3), 0); /* no change */
    ck_assert_int_eq(tpool_set_threads(p, 0), 0);
    ck_assert_uint_eq(tpool_threads(p), tpool_default_threads());
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Destroy right after a shrink whose retired workers are still busy, in
 * both modes: every task ran or was reported cancelled. */
static _Atomic int g_ran, g_cancelled;
static void count_run(void *arg) { atomic_fetch_add(&g_ran, 1); }
static void count_done(void *arg, int status)
{
    if (status == TPOOL_ECANCELED)
        atomic_fetch_add(&g_cancelled, 1);
}

START_TEST(test_destroy_after_shrink)
{
    const char *pol = g_pol[_i];
    for (int mode = 0; mode < 2; mode++) {
        atomic_store(&g_ran, 0);
        atomic_store(&g_cancelled, 0);
        atomic_store(&g_gate, 0);
        atomic_store(&g_blocked, 0);
        tpool *p = tu_pool(pol, 6, NULL);
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.on_complete = count_done;
        /* Blockers that have not started by the destroy are cancelled too. */
        for (int i = 0; i < 5; i++)
            ck_assert_int_eq(tpool_submit(p, blocker, NULL, &a), 0);
        for (int i = 0; i < 5000; i++)
            ck_assert_int_eq(tpool_submit(p, count_run, NULL, &a), 0);
        ck_assert_int_eq(tpool_set_threads(p, 2), 0);
        atomic_store(&g_gate, 1);
        size_t cancelled = 0;
        ck_assert_int_eq(tpool_destroy_ex(p, mode ? TPOOL_CANCEL : TPOOL_DRAIN, &cancelled), 0);
        ck_assert_int_eq(atomic_load(&g_ran) + atomic_load(&g_blocked) + atomic_load(&g_cancelled),
                         5005);
        ck_assert_uint_eq(cancelled, (size_t)atomic_load(&g_cancelled));
        if (!mode)
            ck_assert_int_eq(atomic_load(&g_cancelled), 0);
    }
}
END_TEST

/* ---- a retired worker takes no new work ------------------------------------- */

/* Records the slot index of the thread that runs it: a worker's index, or
 * TPOOL__OUTSIDE for a thread that helps from outside. */
static _Atomic unsigned g_slot_seen[64];
static void record_slot(void *arg)
{
    atomic_store(&g_slot_seen[(uintptr_t)arg], tpool__tl.top->slot);
}

/*
 * A shrink must leave the workers it removes without new work: a task they
 * took after it would make the next grow, which joins their threads, wait
 * for that task (a test that grew while such a task waited for the test
 * hung). The window was a worker that looked at its own state just before
 * the shrink and popped just after: a worker spinning for work during the
 * shrink waits at the closed gate between the two, and then popped from the
 * outside slot, where the tasks submitted meanwhile are. Workers spin for
 * 100 ms here so that they are in that window at every shrink.
 */
START_TEST(test_retired_worker_takes_no_new_work)
{
    const char *pol = g_pol[_i];
    enum { ROUNDS = 50, TASKS = 64 };
    char json[256];
    snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": 4, \"spin_us\": 100000}",
             pol);
    tpool *p = NULL;
    tpool_error err;
    ck_assert_msg(tpool_create_from_text(json, &p, &err) == 0, "%s: %s", json, err.text);
    for (int r = 0; r < ROUNDS; r++) {
        ck_assert_int_eq(tpool_set_threads(p, 4), 0); /* three workers, spinning */
        ck_assert_int_eq(tpool_set_threads(p, 2), 0); /* one: slots 1 and 2 retired */
        for (uintptr_t i = 0; i < TASKS; i++) {
            atomic_store(&g_slot_seen[i], UINT32_MAX);
            ck_assert_int_eq(tpool_submit(p, record_slot, (void *)i, NULL), 0);
        }
        ck_assert_int_eq(tpool_wait_all(p), 0);
        for (unsigned i = 0; i < TASKS; i++) {
            unsigned s = atomic_load(&g_slot_seen[i]);
            ck_assert_msg(s == 0 || s == TPOOL__OUTSIDE,
                          "policy '%s', round %d: task %u ran on slot %u, retired by the "
                          "shrink before it was submitted", pol, r, i, s);
        }
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- the two ways to resize a policy, with the test modules ------------------------ */

static tpool *module_pool(const char *module, unsigned threads, const char *params)
{
    const char *dir = getenv("TPOOL_TEST_MODULES");
    ck_assert_msg(dir && *dir, "TPOOL_TEST_MODULES is not set (run through make check)");
    char path[512];
    snprintf(path, sizeof path, "%s/%s.so", dir, module);
    return tu_pool(path, threads, params);
}

static uint64_t resizes(tpool *p)
{
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.npolicy, 1);
    uint64_t n = st.per_worker[0].policy[0];
    tpool_stats_free(&st);
    return n;
}

/* Blocks the only worker of a 2-thread pool, queues n tasks, resizes, and
 * returns the resize's result; all tasks run in any case. */
static int resize_with_queue(tpool *p, unsigned threads, size_t n)
{
    tu_hits_alloc(n);
    atomic_store(&g_gate, 0);
    atomic_store(&g_blocked, 0);
    ck_assert_int_eq(tpool_submit(p, blocker, NULL, NULL), 0);
    ck_assert(spin_until(&g_blocked, 1));
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, NULL), 0);
    int rc = tpool_set_threads(p, threads);
    atomic_store(&g_gate, 1);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(n, "policy 'module', resize with queued tasks");
    tu_hits_free();
    return rc;
}

START_TEST(test_policy_resize_op)
{
    tpool *p = module_pool("mod_resize", 2, NULL);
    ck_assert_int_eq(resize_with_queue(p, 5, 500), 0);
    ck_assert_uint_eq(tpool_threads(p), 5);
    ck_assert_uint_eq(resizes(p), 1);
    ck_assert_int_eq(tpool_set_threads(p, 2), 0);
    ck_assert_uint_eq(resizes(p), 2);
    ck_assert_int_eq(tpool_destroy(p), 0);

    /* Refused: the pool keeps its size and its tasks. */
    p = module_pool("mod_resize", 2, "{\"refuse\": true}");
    ck_assert_int_eq(resize_with_queue(p, 4, 500), TPOOL_EPOLICY);
    ck_assert_uint_eq(tpool_threads(p), 2);
    ck_assert_uint_eq(resizes(p), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

START_TEST(test_policy_recreate)
{
    tpool *p = module_pool("mod_recreate", 2, "{\"max_workers\": 3}");
    ck_assert_int_eq(resize_with_queue(p, 4, 500), 0);
    ck_assert_uint_eq(tpool_threads(p), 4);
    /* Six threads need five workers: create refuses, nothing changes. */
    ck_assert_int_eq(tpool_set_threads(p, 6), TPOOL_EPOLICY);
    ck_assert_uint_eq(tpool_threads(p), 4);
    ck_assert_int_eq(tpool_set_threads(p, 2), 0);
    ck_assert_int_eq(resize_with_queue(p, 7, 500), TPOOL_EPOLICY);
    ck_assert_uint_eq(tpool_threads(p), 2);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

int main(void)
{
    g_npol = tu_policies(g_pol, MAXPOL);
    g_seed = tu_seed("resize");
    tu_policies_print("resize", g_pol, g_npol);

    Suite *s = suite_create("resize");
    TCase *tc = tcase_create("resize");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_resize_with_queued_tasks, 0, g_npol);
    tcase_add_loop_test(tc, test_grow_moves_queued_tasks, 0, g_npol);
    tcase_add_loop_test(tc, test_resize_racing_submitters, 0, g_npol);
    tcase_add_loop_test(tc, test_parallel_for_after_resize, 0, g_npol);
    tcase_add_loop_test(tc, test_resize_from_inside, 0, g_npol);
    tcase_add_loop_test(tc, test_destroy_after_shrink, 0, g_npol);
    tcase_add_loop_test(tc, test_retired_worker_takes_no_new_work, 0, g_npol);
    tcase_add_test(tc, test_policy_resize_op);
    tcase_add_test(tc, test_policy_recreate);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
