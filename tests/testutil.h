/* testutil.h - small helpers shared by the Check suites. */
#ifndef TPOOL_TESTUTIL_H
#define TPOOL_TESTUTIL_H

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tpool.h"

/* 1 in a ThreadSanitizer build (GCC's macro, or Clang's feature test). */
#if defined(__SANITIZE_THREAD__)
#define TU_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TU_UNDER_TSAN 1
#endif
#endif
#ifndef TU_UNDER_TSAN
#define TU_UNDER_TSAN 0
#endif

/* 1 in an AddressSanitizer build. */
#if defined(__SANITIZE_ADDRESS__)
#define TU_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_UNDER_ASAN 1
#endif
#endif
#ifndef TU_UNDER_ASAN
#define TU_UNDER_ASAN 0
#endif
#define TU_UNDER_SANITIZER (TU_UNDER_TSAN || TU_UNDER_ASAN)

/* Creates a pool of `threads` running `policy` with `params` (a JSON object
 * text, or NULL); fails the test with the library's message otherwise. */
static inline tpool *tu_pool(const char *policy, unsigned threads, const char *params)
{
    char json[1024];
    snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": %u%s%s}", policy,
             threads, params ? ", \"params\": " : "", params ? params : "");
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    int rc = tpool_config_load_text(json, "<test>", &cfg, &err);
    ck_assert_msg(rc == 0, "config %s: %s", json, err.text);
    tpool *p = NULL;
    rc = tpool_create(cfg, &p, &err);
    tpool_config_free(cfg);
    ck_assert_msg(rc == 0, "pool %s: %s", json, err.text);
    ck_assert_uint_eq(tpool_threads(p), threads);
    return p;
}

/* The policies in the build tree, from TPOOL_TEST_POLICIES (set by make). */
static inline int tu_policies(const char *names[], int max)
{
    static char buf[1024];
    const char *env = getenv("TPOOL_TEST_POLICIES");
    snprintf(buf, sizeof buf, "%s", env && *env ? env : "fifo");
    int n = 0;
    for (char *s = strtok(buf, " \t"); s && n < max; s = strtok(NULL, " \t"))
        names[n++] = s;
    return n;
}

/* tu_policies, then prints them as "<suite>: policies: a b c". */
static inline int tu_policies_print(const char *suite, const char *names[], int max)
{
    int n = tu_policies(names, max);
    printf("%s: policies:", suite);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
    return n;
}

/*
 * TU_ASAN_NO_DYNAMIC_TLS: for a suite that runs the build tree's policies
 * many times with the calling thread taking part. Under AddressSanitizer,
 * LeakSanitizer's record of dynamic TLS (the blocks __tls_get_addr hands
 * out for a dlopen'ed module's thread-local data, such as stealing's stack
 * floor) holds a garbage entry for the main thread after such modules were
 * loaded and unloaded over and over, and its leak scan at exit dies of
 * SIGSEGV ("Tracer caught signal 11"), whichever test ran last. Not
 * intercepting __tls_get_addr keeps the scan alive; no tpool data holds a
 * heap pointer in dynamic TLS only. Elsewhere it defines nothing.
 */
#if TU_UNDER_ASAN
#define TU_ASAN_NO_DYNAMIC_TLS                                                   \
    const char *__asan_default_options(void);                                   \
    const char *__asan_default_options(void)                                    \
    {                                                                           \
        return "intercept_tls_get_addr=0";                                      \
    }
#else
#define TU_ASAN_NO_DYNAMIC_TLS
#endif

/* A seed from TPOOL_TEST_SEED or the clock; always printed. */
static inline unsigned tu_seed(const char *suite)
{
    const char *env = getenv("TPOOL_TEST_SEED");
    unsigned seed = env && *env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    printf("%s: seed %u (set TPOOL_TEST_SEED to repeat)\n", suite, seed);
    return seed;
}

/* ---- per-task hit counters: submit tu_hit with (void *)i; each must reach 1 ---- */

/* The counter array of this test (one per test file: tests run one at a time). */
static inline _Atomic unsigned **tu__hits(void)
{
    static _Atomic unsigned *hits;
    return &hits;
}

/* Allocates n zeroed counters. */
static inline void tu_hits_alloc(size_t n) { *tu__hits() = calloc(n, sizeof **tu__hits()); }

/* Frees the counters. */
static inline void tu_hits_free(void)
{
    free(*tu__hits());
    *tu__hits() = NULL;
}

/* Task: counts one run of task number (size_t)arg. */
static inline void tu_hit(void *arg)
{
    atomic_fetch_add_explicit(&(*tu__hits())[(size_t)arg], 1, memory_order_relaxed);
}

/* How many times task i ran. */
static inline unsigned tu_hits_at(size_t i) { return atomic_load(&(*tu__hits())[i]); }

/* Asserts tasks 0..n-1 each ran exactly once; the printf-style `fmt` names the case. */
static inline void tu_hits_assert_once(size_t n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void tu_hits_assert_once(size_t n, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t lost = 0, twice = 0, first_bad = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        unsigned h = tu_hits_at(i);
        lost += h == 0;
        twice += h > 1;
        if (h != 1 && first_bad == (size_t)-1)
            first_bad = i;
    }
    ck_assert_msg(lost == 0 && twice == 0,
                  "%s: %zu tasks never ran, %zu ran more than once (first: task %zu, ran %u times)",
                  what, lost, twice, first_bad, first_bad < n ? tu_hits_at(first_bad) : 0);
}

/* Spins (yielding) until *count reaches target; returns 0, or -1 after
 * `seconds` in which the count did not move, so that a test whose progress
 * depends on other threads fails instead of hanging. */
static inline int tu_wait_count(_Atomic size_t *count, size_t target, int seconds)
{
    size_t seen = atomic_load(count);
    time_t last = time(NULL);
    while (seen != target) {
        sched_yield();
        size_t now = atomic_load(count);
        if (now != seen) {
            seen = now;
            last = time(NULL);
        } else if (time(NULL) - last > seconds) {
            return -1;
        }
    }
    return 0;
}

/* ---- latch: a counter that threads wait on until it reaches a value ---------- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned long count;
} tu_latch;

/* Initialises a latch at count 0 (closed). */
static inline void tu_latch_init(tu_latch *l)
{
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    l->count = 0;
}

/* Releases the latch's mutex and condition variable. */
static inline void tu_latch_destroy(tu_latch *l)
{
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
}

/* Adds n to the count and wakes every waiter. */
static inline void tu_latch_add(tu_latch *l, unsigned long n)
{
    pthread_mutex_lock(&l->lock);
    l->count += n;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

/* Blocks until the count reaches target. */
static inline void tu_latch_wait_for(tu_latch *l, unsigned long target)
{
    pthread_mutex_lock(&l->lock);
    while (l->count < target)
        pthread_cond_wait(&l->cond, &l->lock);
    pthread_mutex_unlock(&l->lock);
}

/* The count now. */
static inline unsigned long tu_latch_get(tu_latch *l)
{
    pthread_mutex_lock(&l->lock);
    unsigned long c = l->count;
    pthread_mutex_unlock(&l->lock);
    return c;
}

/* Opens a one-shot latch: count 1. */
static inline void tu_latch_open(tu_latch *l) { tu_latch_add(l, 1); }

/* Blocks until a one-shot latch is open. */
static inline void tu_latch_wait(tu_latch *l) { tu_latch_wait_for(l, 1); }

/* ---- recursive fork-join ------------------------------------------------------ */

typedef struct tu_fib {
    tpool *pool;
    int n;
    long result;
    void (*hook)(int delta); /* optional: called with +1 on entry, -1 on exit */
} tu_fib;

/* Task: computes fib(a->n) into a->result by forking two children in a group and waiting. */
static inline void tu_fib_task(void *arg)
{
    tu_fib *a = arg;
    if (a->hook)
        a->hook(+1);
    if (a->n < 2) {
        a->result = a->n;
    } else {
        tu_fib l = { a->pool, a->n - 1, 0, a->hook }, r = { a->pool, a->n - 2, 0, a->hook };
        tpool_group *g;
        ck_assert_int_eq(tpool_group_create(a->pool, &g), 0);
        tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
        attr.group = g;
        ck_assert_int_eq(tpool_submit(a->pool, tu_fib_task, &l, &attr), 0);
        ck_assert_int_eq(tpool_submit(a->pool, tu_fib_task, &r, &attr), 0);
        ck_assert_int_eq(tpool_group_wait(g), 0);
        tpool_group_destroy(g);
        a->result = l.result + r.result;
    }
    if (a->hook)
        a->hook(-1);
}

/* Runs tu_fib_task(n) on p as a group submitted from outside and waited on,
 * each task calling hook (may be NULL); returns fib(n). */
static inline long tu_fib_run_hooked(tpool *p, int n, void (*hook)(int delta))
{
    tu_fib a = { p, n, 0, hook };
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(p, &g), 0);
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = g;
    ck_assert_int_eq(tpool_submit(p, tu_fib_task, &a, &attr), 0);
    ck_assert_int_eq(tpool_group_wait(g), 0);
    tpool_group_destroy(g);
    return a.result;
}

static inline long tu_fib_run(tpool *p, int n) { return tu_fib_run_hooked(p, n, NULL); }

/* ---- policy suites: resizing and parameters ------------------------------------ */

typedef struct {
    tu_latch *latch;
    size_t index;
} tu_gated_arg;

/* Task: waits at the latch, then counts a hit for its index. */
static inline void tu_gated_hit(void *arg)
{
    tu_gated_arg *g = arg;
    tu_latch_wait(g->latch);
    tu_hit((void *)g->index);
}

/* Queues 200 latched tasks on a 3-thread `policy` pool, resizes to 6 then 2, opens the
 * latch: each runs once; the pool then resizes to 4. */
static inline void tu_check_resize_keeps_tasks(const char *policy)
{
    enum { GATED = 200 };
    tu_gated_arg args[GATED];
    tu_latch latch;
    tu_latch_init(&latch);
    tu_hits_alloc(GATED);
    tpool *p = tu_pool(policy, 3, NULL);
    for (size_t i = 0; i < GATED; i++) {
        args[i] = (tu_gated_arg){ &latch, i };
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.preferred_worker = (int)(i % 7) - 1;
        ck_assert_int_eq(tpool_submit(p, tu_gated_hit, &args[i], &a), 0);
    }
    ck_assert_int_eq(tpool_set_threads(p, 6), 0);
    ck_assert_int_eq(tpool_set_threads(p, 2), 0);
    tu_latch_open(&latch);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(GATED, "policy '%s', resize", policy);
    ck_assert_int_eq(tpool_set_threads(p, 4), 0);
    ck_assert_uint_eq(tpool_threads(p), 4);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_hits_free();
    tu_latch_destroy(&latch);
}

/* Asserts a `policy` pool with `params_json` loads but fails to create with TPOOL_EINVAL,
 * err.key == key and err.text containing `words` (NULL: the key without "params."). */
static inline void tu_expect_param_error(const char *policy, const char *params_json,
                                         const char *key, const char *words)
{
    char json[256];
    snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": 2, \"params\": %s}",
             policy, params_json);
    if (!words)
        words = strncmp(key, "params.", 7) == 0 ? key + 7 : key;
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_config_load_text(json, "<test>", &cfg, &err) == 0, "%s: %s", json,
                  err.text);
    tpool *p = NULL;
    ck_assert_int_eq(tpool_create(cfg, &p, &err), TPOOL_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_msg(strcmp(err.key, key) == 0, "%s: key '%s', text: %s", json, err.key, err.text);
    ck_assert_msg(strstr(err.text, words) != NULL, "%s: message '%s' lacks '%s'", json, err.text,
                  words);
    tpool_config_free(cfg);
}

/* Asserts tpool_policy_list lists `policy` and each NULL-terminated name, quoted, in its
 * params_json; use tu_assert_params_listed(policy, "a", "b"). */
static inline void tu_assert_params_listed_(const char *policy, const char *const names[])
{
    tpool_policy_info *list = NULL;
    size_t n = 0;
    ck_assert_int_eq(tpool_policy_list(NULL, &list, &n, NULL, NULL), 0);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].name, policy) != 0)
            continue;
        found = 1;
        for (const char *const *k = names; *k; k++) {
            char quoted[128];
            snprintf(quoted, sizeof quoted, "\"%s\"", *k);
            ck_assert_msg(strstr(list[i].params_json, quoted), "%s not in %s", quoted,
                          list[i].params_json);
        }
    }
    ck_assert_msg(found, "%s not listed", policy);
    tpool_policy_list_free(list, n);
}
#define tu_assert_params_listed(policy, ...)                                                    \
    tu_assert_params_listed_((policy), (const char *const[]){ __VA_ARGS__, NULL })

static inline int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
