/*
 * check_policy_switch.c - tpool_set_policy: switching a live pool between
 * every ordered pair of the policies in the build tree while submitters push
 * and a parallel-for runs, with tasks queued and running; no task is lost or
 * run twice, the worker threads stay the same; bad names, bad parameters and
 * a policy that refuses to start leave the pool working on its old policy;
 * calls from inside the pool are refused.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "pool.h" /* the worker threads' ids, to see that they stay */
#include "testutil.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;
static unsigned g_seed;

/* The pthread ids of the pool's workers now; returns W. */
static unsigned worker_ids(tpool *p, pthread_t *ids)
{
    unsigned nw = atomic_load(&p->team.workers);
    for (unsigned i = 0; i < nw; i++) {
        ck_assert(p->team.w[i]->has_thread);
        ids[i] = p->team.w[i]->thread;
    }
    return nw;
}

static void assert_same_workers(tpool *p, const pthread_t *ids, unsigned nw, const char *what)
{
    pthread_t now[TPOOL_MAX_THREADS];
    ck_assert_uint_eq(worker_ids(p, now), nw);
    ck_assert_uint_eq(atomic_load(&p->team.nalloc), nw);
    for (unsigned i = 0; i < nw; i++)
        ck_assert_msg(pthread_equal(ids[i], now[i]), "%s: worker %u has a new thread", what, i);
}

static void switch_to(tpool *p, const char *pol)
{
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_set_policy(p, pol, NULL, &err) == 0, "switch to '%s': %s", pol,
                  err.text);
    ck_assert_str_eq(tpool_policy_name(p), pol);
}

/* ---- switching under load ------------------------------------------------------- */

enum { SUBMITTERS = 4, CAP = 60000, ROUNDS = 8 };

typedef struct {
    tpool *p;
    size_t first;
    _Atomic size_t submitted;
    _Atomic int *stop;
    tu_latch *started; /* counts submitters under way */
    unsigned seed;
} submitter_arg;

/* Submits tu_hit tasks numbered first.. with random attributes until told to stop. */
static void *submitter(void *arg)
{
    submitter_arg *s = arg;
    size_t k = 0;
    while (!atomic_load(s->stop) && k < CAP) {
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.priority = (int)(rand_r(&s->seed) % 5);
        a.preferred_worker = (int)(rand_r(&s->seed) % 5) - 1;
        ck_assert_int_eq(tpool_submit(s->p, tu_hit, (void *)(s->first + k), &a), 0);
        atomic_store(&s->submitted, ++k);
        if (k == 500)
            tu_latch_add(s->started, 1);
        if (k % 64 == 0)
            sched_yield(); /* let the switcher in on a 2-core machine */
    }
    return NULL;
}

typedef struct {
    tpool *p;
    _Atomic int *stop;
    _Atomic unsigned calls;
    _Atomic int bad; /* 1 + the first bad item, 0 if none */
} ranger_arg;

enum { ITEMS = 3001 };

static void range_visit(void *ctx, size_t begin, size_t end, unsigned thread)
{
    _Atomic unsigned char *hits = ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&hits[i], 1, memory_order_relaxed);
}

/* Runs parallel-fors until told to stop; each must visit every item once. */
static void *ranger(void *arg)
{
    ranger_arg *r = arg;
    _Atomic unsigned char *hits = calloc(ITEMS, 1);
    ck_assert_ptr_nonnull(hits);
    while (!atomic_load(r->stop) || atomic_load(&r->calls) < 4) {
        memset((void *)hits, 0, ITEMS);
        ck_assert_int_eq(tpool_parallel_range(r->p, ITEMS, range_visit, (void *)hits, NULL), 0);
        for (size_t i = 0; i < ITEMS; i++)
            if (hits[i] != 1 && atomic_load(&r->bad) == 0)
                atomic_store(&r->bad, (int)i + 1);
        atomic_fetch_add(&r->calls, 1);
    }
    free((void *)hits);
    return NULL;
}

START_TEST(test_switch_all_pairs_under_load)
{
    tu_hits_alloc((size_t)SUBMITTERS * CAP);
    tpool *p = tu_pool(g_pol[0], 4, NULL);
    pthread_t ids[TPOOL_MAX_THREADS];
    unsigned nw = worker_ids(p, ids);

    _Atomic int stop = 0;
    tu_latch started;
    tu_latch_init(&started);
    submitter_arg subs[SUBMITTERS];
    pthread_t sth[SUBMITTERS], rth;
    for (int i = 0; i < SUBMITTERS; i++) {
        subs[i] = (submitter_arg){ .p = p, .first = (size_t)i * CAP, .stop = &stop,
                                   .started = &started, .seed = g_seed + (unsigned)i };
        pthread_create(&sth[i], NULL, submitter, &subs[i]);
    }
    ranger_arg rg = { .p = p, .stop = &stop };
    pthread_create(&rth, NULL, ranger, &rg);
    tu_latch_wait_for(&started, SUBMITTERS); /* switch while they submit */

    /* Every ordered pair (a, b): switch to a, then to b; a few rounds. */
    unsigned switches = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int a = 0; a < g_npol; a++) {
            for (int b = 0; b < g_npol; b++) {
                if (a == b)
                    continue;
                switch_to(p, g_pol[a]);
                switch_to(p, g_pol[b]);
                switches += 2;
            }
        }
    }
    if (g_npol == 1) { /* still switch, to the same policy */
        switch_to(p, g_pol[0]);
        switches++;
    }
    atomic_store(&stop, 1);
    size_t total = 0;
    for (int i = 0; i < SUBMITTERS; i++) {
        pthread_join(sth[i], NULL);
        total += atomic_load(&subs[i].submitted);
    }
    pthread_join(rth, NULL);
    tu_latch_destroy(&started);
    ck_assert_int_eq(tpool_wait_all(p), 0);

    printf("policy_switch: %u switches, %zu tasks, %u parallel-fors\n", switches, total,
           atomic_load(&rg.calls));
    /* Each submitted task ran once, and nothing beyond what was submitted. */
    for (int i = 0; i < SUBMITTERS; i++) {
        size_t n = atomic_load(&subs[i].submitted), lost = 0, twice = 0, ghost = 0;
        for (size_t k = 0; k < CAP; k++) {
            unsigned h = tu_hits_at(subs[i].first + k);
            lost += k < n && h == 0;
            twice += k < n && h > 1;
            ghost += k >= n && h != 0;
        }
        ck_assert_msg(lost + twice + ghost == 0,
                      "submitter %d: of %zu tasks %zu never ran, %zu ran more than once; "
                      "%zu never submitted ran", i, n, lost, twice, ghost);
    }
    ck_assert_msg(atomic_load(&rg.bad) == 0, "a parallel-for visited item %d not once",
                  atomic_load(&rg.bad) - 1);

    assert_same_workers(p, ids, nw, "after the switches");
    ck_assert_uint_eq(tpool_threads(p), 4);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.policy_switches, switches);
    ck_assert_uint_eq(st.completed, total);
    ck_assert_uint_eq(st.grows + st.shrinks, 0);
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_free();
}
END_TEST

/* ---- queued and running tasks move -------------------------------------------------- */

/* Tasks queued behind latched (running) ones move through two switches, with
 * parameters, and all run once after the latch opens. */
START_TEST(test_switch_moves_queued_tasks)
{
    const char *from = g_pol[_i], *to = g_pol[(_i + 1) % g_npol];
    enum { GATED = 300 };
    tu_gated_arg args[GATED];
    tu_latch latch;
    tu_latch_init(&latch);
    tu_hits_alloc(GATED);
    tpool *p = tu_pool(from, 3, NULL);
    pthread_t ids[TPOOL_MAX_THREADS];
    unsigned nw = worker_ids(p, ids);
    for (size_t i = 0; i < GATED; i++) {
        args[i] = (tu_gated_arg){ &latch, i };
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.preferred_worker = (int)(i % 4) - 1;
        a.priority = (int)(i % 3);
        ck_assert_int_eq(tpool_submit(p, tu_gated_hit, &args[i], &a), 0);
    }
    switch_to(p, to);
    switch_to(p, from);
    switch_to(p, to);
    tu_latch_open(&latch);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(GATED, "switch '%s' -> '%s' -> '%s' -> '%s'", from, to, from, to);
    assert_same_workers(p, ids, nw, "after the switches");
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_free();
    tu_latch_destroy(&latch);
}
END_TEST

/* ---- failures leave the old policy ------------------------------------------------ */

/* The pool still runs tasks and parallel-fors on `pol`. */
static void assert_works(tpool *p, const char *pol)
{
    ck_assert_str_eq(tpool_policy_name(p), pol);
    tu_hits_alloc(500);
    for (size_t i = 0; i < 500; i++)
        ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(500, "after a failed switch from '%s'", pol);
    tu_hits_free();
    _Atomic unsigned char *hits = calloc(ITEMS, 1);
    ck_assert_int_eq(tpool_parallel_range(p, ITEMS, range_visit, (void *)hits, NULL), 0);
    for (size_t i = 0; i < ITEMS; i++)
        ck_assert_uint_eq(hits[i], 1);
    free((void *)hits);
}

/* Calls tpool_set_policy expecting `code` and a message containing each word. */
static void expect_fail(tpool *p, const char *pol, const char *params, int code,
                        const char *key, const char *w1, const char *w2)
{
    tpool_error err;
    tpool_error_clear(&err);
    int rc = tpool_set_policy(p, pol, params, &err);
    ck_assert_msg(rc == code, "set_policy(%s, %s): %d (%s), expected %d", pol ? pol : "NULL",
                  params ? params : "NULL", rc, err.text, code);
    ck_assert_int_eq(err.code, code);
    if (key)
        ck_assert_msg(strcmp(err.key, key) == 0, "key '%s' in: %s", err.key, err.text);
    ck_assert_msg(!w1 || strstr(err.text, w1), "'%s' lacks '%s'", err.text, w1);
    ck_assert_msg(!w2 || strstr(err.text, w2), "'%s' lacks '%s'", err.text, w2);
}

START_TEST(test_bad_switch_keeps_policy)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool(pol, 3, NULL);
    pthread_t ids[TPOOL_MAX_THREADS];
    unsigned nw = worker_ids(p, ids);

    /* Unknown name: the loader's message lists what is available. */
    expect_fail(p, "no_such_policy", NULL, TPOOL_ENOENT, NULL, "no_such_policy", g_pol[0]);
    assert_works(p, pol);
    /* A parameter the target does not have: named with the policy. */
    expect_fail(p, "stealing", "{\"chunk\": 4, \"bogus\": 1}", TPOOL_EINVAL, "params.bogus",
                "stealing", "<params>");
    assert_works(p, pol);
    /* A bad value, then malformed JSON, then not an object. */
    expect_fail(p, "dynamic", "{\"chunk\": \"x\"}", TPOOL_EINVAL, "params.chunk", "<params>:1:11",
                "got \"x\"");
    expect_fail(p, "fifo", "{\"tile\": ", TPOOL_EPARSE, "params", "<params>", NULL);
    expect_fail(p, "fifo", "[1]", TPOOL_EINVAL, "params", "expected an object", NULL);
    expect_fail(p, "", NULL, TPOOL_EINVAL, "policy", "got \"\"", NULL);
    /* NULL keeps the current policy's file: a bad parameter of its own. */
    expect_fail(p, NULL, "{\"nope\": 1}", TPOOL_EINVAL, "params.nope", pol, NULL);
    assert_works(p, pol);

    /* A policy whose create refuses: its own message comes through. */
    const char *dir = getenv("TPOOL_TEST_MODULES");
    ck_assert_msg(dir && *dir, "TPOOL_TEST_MODULES is not set (run through make check)");
    char path[512];
    snprintf(path, sizeof path, "%s/mod_badcreate.so", dir);
    expect_fail(p, path, NULL, TPOOL_EPOLICY, "params", "mod_badcreate",
                "chunk too large for 3 workers");
    assert_works(p, pol);

    expect_fail(NULL, "fifo", NULL, TPOOL_EINVAL, NULL, "NULL", NULL);
    ck_assert_int_eq(tpool_set_policy(p, "fifo", NULL, NULL), 0); /* err may be NULL */
    ck_assert_int_eq(tpool_set_policy(p, "nope", NULL, NULL), TPOOL_ENOENT);
    ck_assert_str_eq(tpool_policy_name(p), "fifo");

    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.policy_switches, 1);
    tpool_stats_free(&st);
    assert_same_workers(p, ids, nw, "after failed switches");
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Parameters change with the policy kept, and are in force. */
START_TEST(test_switch_params_only)
{
    tpool *p = tu_pool("stealing", 3, "{\"chunk\": 2}");
    const char *old_name = tpool_policy_name(p);
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_set_policy(p, NULL, "{\"chunk\": 8, \"victim\": \"random\"}", &err) == 0,
                  "%s", err.text);
    ck_assert_str_eq(tpool_policy_name(p), "stealing");
    ck_assert_str_eq(old_name, "stealing"); /* an old name stays valid */
    ck_assert_int_eq(tpool_set_policy(p, "priority", "{\"aging_us\": 50}", &err), 0);
    ck_assert_str_eq(old_name, "stealing");
    ck_assert_str_eq(tpool_policy_name(p), "priority");
    assert_works(p, "priority");
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- from inside ------------------------------------------------------------------ */

typedef struct {
    tpool *p;
    _Atomic int rc_task, rc_range;
} inside_ctx;

static void switch_from_task(void *arg)
{
    inside_ctx *c = arg;
    tpool_error err;
    tpool_error_clear(&err);
    atomic_store(&c->rc_task, tpool_set_policy(c->p, "fifo", NULL, &err));
}

static void switch_from_range(void *arg, size_t begin, size_t end, unsigned thread)
{
    inside_ctx *c = arg;
    (void)begin, (void)end, (void)thread;
    int rc = tpool_set_policy(c->p, "fifo", NULL, NULL);
    if (rc != TPOOL_EDEADLK)
        atomic_store(&c->rc_range, rc == 0 ? 1 : rc);
}

START_TEST(test_switch_from_inside)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool(pol, 3, NULL);
    inside_ctx c = { .p = p, .rc_task = 1 };
    ck_assert_int_eq(tpool_submit(p, switch_from_task, &c, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_int_eq(atomic_load(&c.rc_task), TPOOL_EDEADLK);
    ck_assert_int_eq(tpool_parallel_range(p, 100, switch_from_range, &c, NULL), 0);
    ck_assert_int_eq(atomic_load(&c.rc_range), 0);
    ck_assert_str_eq(tpool_policy_name(p), pol);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Switching back and forth does not pile up loaded modules: one kept per file. */
START_TEST(test_switch_keeps_one_module_per_file)
{
    tpool *p = tu_pool("fifo", 2, NULL);
    for (int r = 0; r < 50; r++) {
        switch_to(p, r % 2 ? "fifo" : "stealing");
        switch_to(p, "fifo");
    }
    unsigned kept = 0;
    for (tpool__retired *r = p->changes.retired; r; r = r->next)
        kept++;
    ck_assert_uint_le(kept, 2);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

int main(void)
{
    g_npol = tu_policies(g_pol, MAXPOL);
    g_seed = tu_seed("policy_switch");
    tu_policies_print("policy_switch", g_pol, g_npol);

    Suite *s = suite_create("policy_switch");
    TCase *tc = tcase_create("policy_switch");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_switch_all_pairs_under_load);
    tcase_add_loop_test(tc, test_switch_moves_queued_tasks, 0, g_npol);
    tcase_add_loop_test(tc, test_bad_switch_keeps_policy, 0, g_npol);
    tcase_add_test(tc, test_switch_params_only);
    tcase_add_loop_test(tc, test_switch_from_inside, 0, g_npol);
    tcase_add_test(tc, test_switch_keeps_one_module_per_file);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
