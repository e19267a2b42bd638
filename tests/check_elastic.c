/*
 * check_elastic.c - elastic pools ("threads": {"min", "max", "idle_ms"}):
 * under a backlog from several submitters the pool grows to max and no task
 * is lost; once the work stops it shrinks back to min; statistics report the
 * changes; a burst that follows a lone task, or a kick that found no
 * backlog, makes it grow under every policy; the configuration is
 * validated with positioned errors, and TPOOL_THREADS replaces the range by
 * a fixed count.
 *
 * Growing and shrinking are observed by polling tpool_stats until the
 * expected state, with a generous deadline that only a hang reaches: no
 * fixed sleep decides an outcome.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "pool.h" /* tpool__test_elastic_holds */
#include "testutil.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;

enum { DEADLINE_S = 120 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static tpool *elastic_pool(const char *policy, unsigned min, unsigned max, unsigned idle_ms)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"policy\": \"%s\", \"threads\": {\"min\": %u, \"max\": %u, \"idle_ms\": %u}}",
             policy, min, max, idle_ms);
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_config_load_text(json, "<test>", &cfg, &err) == 0, "%s: %s", json,
                  err.text);
    ck_assert_uint_eq(tpool_config_threads(cfg), min);
    tpool *p = NULL;
    ck_assert_msg(tpool_create(cfg, &p, &err) == 0, "%s: %s", json, err.text);
    tpool_config_free(cfg);
    ck_assert_uint_eq(tpool_threads(p), min);
    return p;
}

/* Polls the pool's T until it equals `want`; fails at the deadline. */
static void wait_threads(tpool *p, unsigned want, const char *what)
{
    double deadline = now_s() + DEADLINE_S;
    unsigned t;
    while ((t = tpool_threads(p)) != want) {
        ck_assert_msg(now_s() < deadline, "%s: T is %u after %d s, expected %u", what, t,
                      DEADLINE_S, want);
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL); /* a polling interval, not a synchronisation */
    }
}

typedef struct {
    tpool *p;
    tu_gated_arg *args;
    size_t first, count;
} submit_arg;

static void *submitter(void *arg)
{
    submit_arg *s = arg;
    for (size_t k = 0; k < s->count; k++) {
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.priority = (int)(k % 3);
        ck_assert_int_eq(tpool_submit(s->p, tu_gated_hit, &s->args[s->first + k], &a), 0);
    }
    return NULL;
}

/* A backlog of latched tasks from three submitters: T reaches max (and not
 * beyond), every task runs once when the latch opens, then T goes back to
 * min; stats count the changes. */
START_TEST(test_grow_to_max_then_shrink_to_min)
{
    const char *pol = g_pol[_i];
    enum { SUBS = 3, EACH = 2000, N = SUBS * EACH, MIN = 2, MAX = 5 };
    tu_gated_arg *args = calloc(N, sizeof *args);
    tu_latch latch;
    tu_latch_init(&latch);
    tu_hits_alloc(N);
    for (size_t i = 0; i < N; i++)
        args[i] = (tu_gated_arg){ &latch, i };
    tpool *p = elastic_pool(pol, MIN, MAX, 2);

    submit_arg sa[SUBS];
    pthread_t th[SUBS];
    for (int i = 0; i < SUBS; i++) {
        sa[i] = (submit_arg){ p, args, (size_t)i * EACH, EACH };
        pthread_create(&th[i], NULL, submitter, &sa[i]);
    }
    wait_threads(p, MAX, "growing under a backlog");
    for (int i = 0; i < SUBS; i++)
        pthread_join(th[i], NULL);
    tu_latch_open(&latch);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(N, "elastic '%s' pool", pol);

    wait_threads(p, MIN, "shrinking when idle");
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    printf("elastic %s: %llu grows, %llu shrinks, peak %u\n", pol,
           (unsigned long long)st.grows, (unsigned long long)st.shrinks, st.peak_threads);
    ck_assert_uint_eq(st.peak_threads, MAX);
    ck_assert_uint_eq(st.threads, MIN);
    ck_assert_uint_eq(st.workers, MIN - 1);
    ck_assert_uint_ge(st.grows, MAX - MIN); /* one thread at a time */
    ck_assert_uint_ge(st.shrinks, 1);
    ck_assert_uint_eq(st.completed, N);
    tpool_stats_free(&st);

    /* It grows again with the next backlog. */
    tu_latch_destroy(&latch);
    tu_latch_init(&latch);
    tu_hits_free();
    tu_hits_alloc(N);
    for (int i = 0; i < SUBS; i++)
        pthread_create(&th[i], NULL, submitter, &sa[i]);
    wait_threads(p, MAX, "growing again");
    for (int i = 0; i < SUBS; i++)
        pthread_join(th[i], NULL);
    tu_latch_open(&latch);
    ck_assert_int_eq(tpool_destroy(p), 0); /* drains with the monitor stopped */
    tu_hits_assert_once(N, "elastic '%s' pool, second round", pol);
    tu_hits_free();
    tu_latch_destroy(&latch);
    free(args);
}
END_TEST

/* ---- bursts ------------------------------------------------------------------------ */

enum { BURST = 40, BURST_MIN = 1, BURST_MAX = 4 };

typedef struct {
    tu_latch *latch;
    atomic_bool started;
} lone_arg;

/* The lone first task: says it runs, then holds its worker until the latch. */
static void lone_task(void *arg)
{
    lone_arg *a = arg;
    atomic_store(&a->started, true);
    tu_latch_wait(a->latch);
}

/* Polls until `flag` is set; fails at the deadline. */
static void wait_flag(atomic_bool *flag, const char *what)
{
    double deadline = now_s() + DEADLINE_S;
    while (!atomic_load(flag)) {
        ck_assert_msg(now_s() < deadline, "%s: not after %d s", what, DEADLINE_S);
        sched_yield();
    }
}

/* Pushes BURST latched tasks at once, waits until T reaches max (the tasks
 * stay queued until then: the backlog lasts), then lets everything run:
 * each burst task runs once. */
static void burst_then_grow(tpool *p, tu_latch *latch, const char *pol, const char *what)
{
    tu_gated_arg args[BURST];
    tu_hits_alloc(BURST);
    for (size_t i = 0; i < BURST; i++) {
        args[i] = (tu_gated_arg){ latch, i };
        ck_assert_int_eq(tpool_submit(p, tu_gated_hit, &args[i], NULL), 0);
    }
    char where[128];
    snprintf(where, sizeof where, "%s, '%s'", what, pol);
    wait_threads(p, BURST_MAX, where);
    tu_latch_open(latch);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(BURST, "%s", where);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.peak_threads, BURST_MAX);
    ck_assert_uint_ge(st.grows, BURST_MAX - BURST_MIN);
    tpool_stats_free(&st);
    tu_hits_free();
}

/* A lone first task, then a burst right behind it: the pool grows, however
 * the monitor's looks fall between the pushes (a kick taken while only the
 * lone task was there once hid the whole burst). */
START_TEST(test_burst_after_lone_task)
{
    const char *pol = g_pol[_i];
    tu_latch latch;
    tu_latch_init(&latch);
    tpool *p = elastic_pool(pol, BURST_MIN, BURST_MAX, 60000);
    lone_arg lone = { &latch, false };
    ck_assert_int_eq(tpool_submit(p, lone_task, &lone, NULL), 0);
    burst_then_grow(p, &latch, pol, "burst after a lone task");
    ck_assert(atomic_load(&lone.started));
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_latch_destroy(&latch);
}
END_TEST

/* The same with the window made likely: the lone task runs (a backlog of
 * none), a kick (tpool_set_threads) makes the monitor look and find no
 * backlog, and the burst comes while it holds its flag, when pushes do not
 * wake it. It must look again when the hold ends. */
START_TEST(test_burst_during_hold)
{
    const char *pol = g_pol[_i];
    tu_latch latch;
    tu_latch_init(&latch);
    tpool *p = elastic_pool(pol, BURST_MIN, BURST_MAX, 60000);
    lone_arg lone = { &latch, false };
    ck_assert_int_eq(tpool_submit(p, lone_task, &lone, NULL), 0);
    wait_flag(&lone.started, "the lone task starts");
    /* Kicks until a hold begins: a kick that comes during a hold (the lone
     * task's push may have started one) ends it without starting another. */
    unsigned long holds = tpool__test_elastic_holds();
    double deadline = now_s() + DEADLINE_S;
    do {
        ck_assert_msg(now_s() < deadline, "'%s': no hold began within %d s", pol, DEADLINE_S);
        ck_assert_int_eq(tpool_set_threads(p, BURST_MIN), 0);
        sched_yield();
    } while (tpool__test_elastic_holds() == holds);
    ck_assert_uint_eq(tpool_threads(p), BURST_MIN);
    burst_then_grow(p, &latch, pol, "burst while the monitor holds its flag");
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_latch_destroy(&latch);
}
END_TEST

/* An idle pool at min stays there; parallel-for uses the current T. */
static void visit(void *ctx, size_t begin, size_t end, unsigned thread)
{
    _Atomic unsigned char *hits = ctx;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&hits[i], 1);
}

START_TEST(test_parallel_for_and_manual_resize)
{
    tpool *p = elastic_pool("fifo", 1, 4, 1);
    _Atomic unsigned char *hits = calloc(5000, 1);
    ck_assert_int_eq(tpool_parallel_range(p, 5000, visit, (void *)hits, NULL), 0);
    for (size_t i = 0; i < 5000; i++)
        ck_assert_uint_eq(hits[i], 1);
    /* A manual resize above min: the monitor brings it back once idle. */
    ck_assert_int_eq(tpool_set_threads(p, 3), 0);
    wait_threads(p, 1, "back to min after tpool_set_threads");
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.peak_threads, 3);
    ck_assert_uint_ge(st.grows, 1);
    ck_assert_uint_ge(st.shrinks, 1);
    tpool_stats_free(&st);
    free((void *)hits);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- configuration ------------------------------------------------------------ */

typedef struct {
    const char *json;
    const char *key;
    int line, column;
    const char *text;
} bad_case;

static const bad_case bad_cases[] = {
    { "{\"threads\": {\"min\": 4, \"max\": 2}}", "threads.max", 1, 31,
      "max (2) is below min (4)" },
    { "{\"threads\": {\"min\": 1, \"max\": 4, \"idle_ms\": -1}}", "threads.idle_ms", 1, 45,
      "expected an integer in [0, 86400000], got -1" },
    { "{\"threads\": {\"min\": 1, \"max\": 4,\n \"idel_ms\": 3}}", "threads.idel_ms", 2, 2,
      "unknown key (known: min, max, idle_ms; did you mean 'idle_ms'?)" },
    { "{\"threads\": {\"min\": \"2\", \"max\": 4}}", "threads.min", 1, 21,
      "expected an integer in [1, 4096], got \"2\"" },
    { "{\"threads\": {\"min\": 0, \"max\": 4}}", "threads.min", 1, 21,
      "expected an integer in [1, 4096], got 0" },
    { "{\"threads\": {\"min\": 1, \"max\": 5000}}", "threads.max", 1, 31,
      "expected an integer in [1, 4096], got 5000" },
    { "{\"threads\": {\"min\": 2}}", "threads", 1, 13, "needs \"max\"" },
    { "{\"threads\": {\"max\": 2, \"idle_ms\": 1.5}}", "threads.idle_ms", 1, 35,
      "expected an integer in [0, 86400000], got 1.5" },
};

START_TEST(test_config_errors)
{
    const bad_case *c = &bad_cases[_i];
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text(c->json, NULL, &cfg, &err), TPOOL_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_msg(strcmp(err.key, c->key) == 0, "%s: key '%s' (%s)", c->json, err.key,
                  err.text);
    ck_assert_msg(err.line == c->line && err.column == c->column, "%s: at %d:%d (%s)",
                  c->json, err.line, err.column, err.text);
    ck_assert_msg(strstr(err.text, c->text), "%s: '%s' lacks '%s'", c->json, err.text,
                  c->text);
}
END_TEST

START_TEST(test_config_accepts_and_resolves)
{
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    /* min defaults to 1, idle_ms to 1000. */
    ck_assert_int_eq(tpool_config_load_text("{\"threads\": {\"max\": 3}}", NULL, &cfg, &err), 0);
    ck_assert_uint_eq(tpool_config_threads(cfg), 1);
    char *json = NULL;
    ck_assert_msg(tpool_config_resolve(cfg, &json, &err) == 0, "%s", err.text);
    ck_assert_msg(strstr(json, "\"elastic\"") && strstr(json, "\"idle_ms\": 1000")
                      && strstr(json, "\"max\": 3"),
                  "%s", json);
    free(json);
    /* A fixed count replaces the range. */
    ck_assert_int_eq(tpool_config_set_threads(cfg, 2), 0);
    ck_assert_int_eq(tpool_config_resolve(cfg, &json, &err), 0);
    ck_assert_ptr_null(strstr(json, "\"elastic\""));
    free(json);
    ck_assert_int_eq(tpool_config_set_elastic(cfg, 2, 4, 10), 0);
    ck_assert_uint_eq(tpool_config_threads(cfg), 2);
    ck_assert_int_eq(tpool_config_set_elastic(cfg, 0, 4, 10), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_set_elastic(cfg, 5, 4, 10), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_set_elastic(cfg, 1, 4097, 10), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_set_elastic(NULL, 1, 2, 10), TPOOL_EINVAL);
    ck_assert_uint_eq(tpool_config_threads(cfg), 2);
    tpool_config_free(cfg);
}
END_TEST

/* TPOOL_THREADS fixes the count: the elastic range of the file gives way. */
START_TEST(test_env_threads_overrides_range)
{
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text("{\"threads\": {\"min\": 1, \"max\": 6}}", NULL,
                                            &cfg, &err),
                     0);
    setenv("TPOOL_THREADS", "3", 1);
    ck_assert_int_eq(tpool_config_apply_env(cfg, &err), 0);
    unsetenv("TPOOL_THREADS");
    char *json = NULL;
    ck_assert_int_eq(tpool_config_resolve(cfg, &json, &err), 0);
    ck_assert_ptr_null(strstr(json, "\"elastic\""));
    free(json);
    tpool *p = NULL;
    ck_assert_int_eq(tpool_create(cfg, &p, &err), 0);
    ck_assert_uint_eq(tpool_threads(p), 3);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.threads, 3);
    ck_assert_uint_eq(st.peak_threads, 3);
    ck_assert_uint_eq(st.grows + st.shrinks, 0);
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tpool_config_free(cfg);
}
END_TEST

int main(void)
{
    g_npol = tu_policies(g_pol, MAXPOL);
    tu_policies_print("elastic", g_pol, g_npol);

    Suite *s = suite_create("elastic");
    TCase *tc = tcase_create("elastic");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_grow_to_max_then_shrink_to_min, 0, g_npol);
    tcase_add_loop_test(tc, test_burst_after_lone_task, 0, g_npol);
    tcase_add_loop_test(tc, test_burst_during_hold, 0, g_npol);
    tcase_add_test(tc, test_parallel_for_and_manual_resize);
    tcase_add_loop_test(tc, test_config_errors, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_config_accepts_and_resolves);
    tcase_add_test(tc, test_env_threads_overrides_range);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
