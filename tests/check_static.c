/*
 * check_static.c - the static policy: the same item on the same thread on
 * every run, blocks that differ by at most one item, OpenMP's block-cyclic
 * layout, stand-ins for busy workers (also under roundrobin), tasks pinned
 * by a fixed rule, and parameter errors.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "loader.h"
#include "testutil.h"

/* ---- parallel-for -------------------------------------------------------------- */

enum { MAX_CALLS = 4096 };

typedef struct {
    size_t n;
    unsigned threads;
    unsigned char *owner;  /* per item: the thread that processed it, +1 */
    _Atomic size_t ncalls;
    struct { size_t begin, end; unsigned thread; } calls[MAX_CALLS];
} layout_ctx;

static void record(void *arg, size_t begin, size_t end, unsigned thread)
{
    layout_ctx *c = arg;
    size_t k = atomic_fetch_add(&c->ncalls, 1);
    if (k >= MAX_CALLS)
        ck_abort_msg("more than %d calls", MAX_CALLS);
    c->calls[k].begin = begin;
    c->calls[k].end = end;
    c->calls[k].thread = thread;
    for (size_t i = begin; i < end; i++) {
        /* Each item is written by the one thread that owns it. */
        if (c->owner[i] != 0)
            ck_abort_msg("item %zu processed twice", i);
        c->owner[i] = (unsigned char)(thread + 1);
    }
}

static layout_ctx *run_layout(tpool *p, size_t n)
{
    layout_ctx *c = calloc(1, sizeof *c);
    c->n = n;
    c->threads = tpool_threads(p);
    c->owner = calloc(n, 1);
    atomic_init(&c->ncalls, 0);
    ck_assert_int_eq(tpool_parallel_range(p, n, record, c, NULL), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(c->owner[i] != 0, "item %zu never processed", i);
    return c;
}

static void free_layout(layout_ctx *c)
{
    free(c->owner);
    free(c);
}

/* The thread OpenMP would give item i: schedule(static) or (static, chunk). */
static unsigned omp_thread(size_t i, size_t n, unsigned P, size_t chunk)
{
    if (chunk)
        return (unsigned)((i / chunk) % P);
    size_t q = n / P, r = n % P;
    /* The first r threads have q + 1 items. */
    return i < r * (q + 1) ? (unsigned)(i / (q + 1)) : (unsigned)(r + (i - r * (q + 1)) / q);
}

static const struct {
    unsigned threads;
    size_t n;
    size_t chunk;
} layout_cases[] = {
    { 4, 10, 0 }, { 4, 1000, 0 }, { 3, 1001, 0 }, { 5, 7, 0 }, { 2, 2, 0 },
    { 4, 1000, 1 }, { 4, 1000, 7 }, { 3, 100, 33 }, { 5, 23, 4 }, { 4, 10, 100 },
};

START_TEST(test_layout_matches_openmp)
{
    unsigned T = layout_cases[_i].threads;
    size_t n = layout_cases[_i].n, chunk = layout_cases[_i].chunk;
    char params[64];
    snprintf(params, sizeof params, "{\"chunk\": %zu}", chunk);
    tpool *p = tu_pool("static", T, params);
    unsigned P = T < n ? T : (unsigned)n;
    layout_ctx *c = run_layout(p, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(c->owner[i] - 1u == omp_thread(i, n, P, chunk),
                      "T=%u n=%zu chunk=%zu: item %zu on thread %u, OpenMP says %u", T, n,
                      chunk, i, c->owner[i] - 1u, omp_thread(i, n, P, chunk));
    if (chunk == 0) {
        /* One call per participant; block sizes differ by at most one. */
        size_t calls = atomic_load(&c->ncalls), lo = SIZE_MAX, hi = 0;
        ck_assert_uint_eq(calls, P);
        for (size_t k = 0; k < calls; k++) {
            size_t len = c->calls[k].end - c->calls[k].begin;
            lo = len < lo ? len : lo;
            hi = len > hi ? len : hi;
        }
        ck_assert_uint_le(hi - lo, 1);
    } else {
        /* Every call is one whole chunk (the last one clipped). */
        for (size_t k = 0; k < atomic_load(&c->ncalls); k++) {
            ck_assert_uint_eq(c->calls[k].begin % chunk, 0);
            size_t len = c->calls[k].end - c->calls[k].begin;
            ck_assert(len == chunk || c->calls[k].end == n);
        }
    }
    free_layout(c);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Several runs, several pools: every item lands on the same thread. */
START_TEST(test_same_item_same_thread)
{
    static const char *params[] = { NULL, "{\"chunk\": 16}" };
    for (size_t k = 0; k < 2; k++) {
        size_t n = 5003;
        unsigned char *first = NULL;
        for (int pool_run = 0; pool_run < 2; pool_run++) {
            tpool *p = tu_pool("static", 4, params[k]);
            for (int rep = 0; rep < 4; rep++) {
                layout_ctx *c = run_layout(p, n);
                if (!first) {
                    first = c->owner;
                    c->owner = NULL;
                } else {
                    for (size_t i = 0; i < n; i++)
                        ck_assert_msg(c->owner[i] == first[i],
                                      "item %zu: thread %u, earlier run thread %u", i,
                                      c->owner[i] - 1u, first[i] - 1u);
                }
                free_layout(c);
            }
            ck_assert_int_eq(tpool_destroy(p), 0);
        }
        free(first);
    }
}
END_TEST

/*
 * Stand-ins (TPOOL_POLICY_STAND_IN), under the policies with fixed shares:
 * with every worker busy in a task that waits until the parallel-for has
 * returned, the call still completes, each item once and under the thread
 * index the layout gives it, all on the calling thread (which stands in for
 * the workers). Before, the call waited for the workers, which waited for
 * the call: the blockers give up after 20 s, and the test fails on that.
 */
typedef struct {
    _Atomic int started, call_returned, gave_up;
} stand_in_ctx;

static void busy_until_returned(void *arg)
{
    stand_in_ctx *c = arg;
    atomic_fetch_add(&c->started, 1);
    time_t t0 = time(NULL);
    while (!atomic_load(&c->call_returned)) {
        sched_yield();
        if (time(NULL) - t0 > 20) {
            atomic_store(&c->gave_up, 1);
            return;
        }
    }
}

typedef struct {
    pthread_t caller;
    _Atomic int off_caller;
    layout_ctx *layout;
} stand_in_body;

static void record_on_caller(void *arg, size_t begin, size_t end, unsigned thread)
{
    stand_in_body *b = arg;
    if (!pthread_equal(pthread_self(), b->caller))
        atomic_store(&b->off_caller, 1);
    record(b->layout, begin, end, thread);
}

START_TEST(test_stand_in_for_busy_workers)
{
    static const char *const fixed[] = { "static", "roundrobin" };
    const char *pol = fixed[_i / 2];
    unsigned T = _i % 2 ? 3 : 2;
    tpool *p = tu_pool(pol, T, "{}");
    stand_in_ctx c = { 0 };
    for (unsigned w = 0; w + 1 < T; w++) {
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.preferred_worker = (int)w; /* both policies honour it */
        ck_assert_int_eq(tpool_submit(p, busy_until_returned, &c, &a), 0);
    }
    time_t t0 = time(NULL);
    while (atomic_load(&c.started) != (int)T - 1 && time(NULL) - t0 < 20)
        sched_yield();
    ck_assert_int_eq(atomic_load(&c.started), (int)T - 1);

    size_t n = 1000;
    stand_in_body b = { .caller = pthread_self() };
    b.layout = calloc(1, sizeof *b.layout);
    b.layout->n = n;
    b.layout->threads = T;
    b.layout->owner = calloc(n, 1);
    ck_assert_int_eq(tpool_parallel_range(p, n, record_on_caller, &b, NULL), 0);
    atomic_store(&c.call_returned, 1);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_msg(!atomic_load(&c.gave_up),
                  "policy %s, T=%u: the call waited for workers busy until it returned", pol, T);
    ck_assert_msg(!atomic_load(&b.off_caller), "policy %s: an item ran off the caller", pol);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(b.layout->owner[i] != 0, "item %zu never processed", i);
    if (strcmp(pol, "static") == 0)
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(b.layout->owner[i] - 1u == omp_thread(i, n, T, 0),
                          "item %zu under thread index %u, the layout says %u", i,
                          b.layout->owner[i] - 1u, omp_thread(i, n, T, 0));
    free_layout(b.layout);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- tasks ---------------------------------------------------------------------------- */

enum { TASKS = 60 };

typedef struct {
    pthread_t ran_on[TASKS];
} task_ctx;

typedef struct {
    task_ctx *ctx;
    int index;
} task_arg;

static void note_thread(void *arg)
{
    task_arg *a = arg;
    a->ctx->ran_on[a->index] = pthread_self();
}

/*
 * Tasks without a preference go to worker seq mod W (the pool's first task
 * has seq 0); tasks with preferred_worker w go to w; w >= W or -1 falls
 * back to seq mod W. Which thread is worker w is not visible, so the test
 * checks the partition: two tasks share a thread exactly when the rule
 * gives them the same worker. Nothing runs on the waiting thread.
 */
START_TEST(test_tasks_follow_the_rule)
{
    unsigned T = 4, W = T - 1;
    tpool *p = tu_pool("static", T, NULL);
    task_ctx c;
    task_arg args[TASKS];
    unsigned expect[TASKS];
    for (int i = 0; i < TASKS; i++) {
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        /* Thirds: no preference, a valid preference, an out-of-range one. */
        if (i % 3 == 1)
            a.preferred_worker = (i / 3) % W;
        else if (i % 3 == 2)
            a.preferred_worker = (int)W + i;
        expect[i] = i % 3 == 1 ? (unsigned)a.preferred_worker : (unsigned)i % W;
        args[i] = (task_arg){ &c, i };
        ck_assert_int_eq(tpool_submit(p, note_thread, &args[i], &a), 0);
    }
    ck_assert_int_eq(tpool_wait_all(p), 0);
    pthread_t self = pthread_self();
    for (int i = 0; i < TASKS; i++) {
        ck_assert_msg(!pthread_equal(c.ran_on[i], self), "task %d ran on the waiter", i);
        for (int j = 0; j < i; j++)
            ck_assert_msg(pthread_equal(c.ran_on[i], c.ran_on[j]) == (expect[i] == expect[j]),
                          "tasks %d (worker %u) and %d (worker %u): same thread %d", i,
                          expect[i], j, expect[j], pthread_equal(c.ran_on[i], c.ran_on[j]));
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Driven directly: push names the worker; only that worker's pop returns
 * the task; the outside slot never gets one. */
START_TEST(test_direct_push_pop)
{
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_new(&cfg), 0);
    ck_assert_int_eq(tpool_config_set_policy(cfg, "static"), 0);
    tpool__policy_handle h;
    ck_assert_msg(tpool__policy_load(cfg, &h, &err) == 0, "%s", err.text);
    tpool_param_value v[4];
    ck_assert_int_eq(tpool__params_resolve(cfg, &h.ops, v, &err), 0);
    char ebuf[128] = "";
    tpool_policy_env env = { 3, 4, v, ebuf, sizeof ebuf, TPOOL_POLICY_ABI_VERSION };
    void *st = NULL;
    ck_assert_int_eq(h.ops.create(&env, &st), 0);

    tpool_task t[7];
    memset(t, 0, sizeof t);
    for (int i = 0; i < 7; i++) {
        t[i].seq = (uint64_t)i + 10;
        t[i].preferred_worker = i == 6 ? 2 : -1;
    }
    for (int i = 0; i < 7; i++) {
        int want = i == 6 ? 2 : (i + 10) % 3;
        ck_assert_int_eq(h.ops.push(st, &t[i], i % 4), want);
    }
    ck_assert_ptr_null(h.ops.pop(st, 3)); /* outside slot */
    /* seq 10, 13 -> worker 1; 11, 14 -> 2 (then the preferred one); 12, 15 -> 0 */
    ck_assert_ptr_eq(h.ops.pop(st, 1), &t[0]);
    ck_assert_ptr_eq(h.ops.pop(st, 1), &t[3]);
    ck_assert_ptr_null(h.ops.pop(st, 1));
    ck_assert_ptr_eq(h.ops.pop(st, 2), &t[1]);
    ck_assert_ptr_eq(h.ops.pop(st, 2), &t[4]);
    ck_assert_ptr_eq(h.ops.pop(st, 2), &t[6]);
    ck_assert_ptr_null(h.ops.pop(st, 2));
    ck_assert_ptr_eq(h.ops.pop(st, 0), &t[2]);
    ck_assert_ptr_eq(h.ops.pop(st, 0), &t[5]);
    ck_assert_ptr_null(h.ops.pop(st, 0));
    ck_assert_ptr_null(h.ops.pop(st, 3));

    h.ops.destroy(st);
    tpool__policy_unload(&h);
    tpool_config_free(cfg);
}
END_TEST

/* ---- resizing ------------------------------------------------------------------------- */

/* Tasks queued while the pool grows and shrinks (through the core's
 * re-creation of the state: the policy has no resize op) all run once:
 * every task waits at a gate that opens only after both resizes. */
START_TEST(test_resize_keeps_tasks)
{
    tu_check_resize_keeps_tasks("static");
}
END_TEST

/* ---- parameters ------------------------------------------------------------------------- */

static const struct {
    const char *params, *key;
} bad_params[] = {
    { "{\"chunk\": -1}", "params.chunk" },
    { "{\"chunk\": 1.5}", "params.chunk" },
    { "{\"chunk\": \"4\"}", "params.chunk" },
    { "{\"chunks\": 4}", "params.chunks" },
};

START_TEST(test_param_errors_name_the_key)
{
    tu_expect_param_error("static", bad_params[_i].params, bad_params[_i].key, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("static");
    TCase *tc = tcase_create("static");
    tcase_add_loop_test(tc, test_layout_matches_openmp, 0,
                        sizeof layout_cases / sizeof layout_cases[0]);
    tcase_add_test(tc, test_same_item_same_thread);
    tcase_add_loop_test(tc, test_stand_in_for_busy_workers, 0, 4);
    tcase_add_test(tc, test_tasks_follow_the_rule);
    tcase_add_test(tc, test_direct_push_pop);
    tcase_add_test(tc, test_resize_keeps_tasks);
    tcase_add_loop_test(tc, test_param_errors_name_the_key, 0,
                        sizeof bad_params / sizeof bad_params[0]);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
