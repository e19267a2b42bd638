/*
 * checks_pool.c - conformance checks that drive the policy through a real
 * pool (the public tpool API), loaded from the same file as the direct
 * checks: task counts, nesting, fork-join, parallel-for, cancellation and
 * resizing. A policy that returns a task twice makes the pool run a freed
 * task, and one that loses a task makes a wait last forever, so
 * tpool-conformance runs these in a child process with a time limit (see
 * tpc_run_isolated) and only after the direct checks passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conformance.h"

/* ---- per-task hit counters: a task with arg i counts one run of task i ----- */

/* One check runs at a time in a process, so one counter array will do. */
static _Atomic unsigned *g_hits;
static _Atomic int g_api_error; /* a tpool call inside a task or thread failed */

static void hit(void *arg)
{
    atomic_fetch_add_explicit(&g_hits[(size_t)arg], 1, memory_order_relaxed);
}

static int hits_alloc(tpc_ctx *ctx, size_t n)
{
    g_hits = calloc(n ? n : 1, sizeof *g_hits);
    atomic_store(&g_api_error, 0);
    if (!g_hits)
        tpc_fail(ctx, "out of memory for %zu counters", n);
    return g_hits ? 0 : -1;
}

static void hits_free(void)
{
    free((void *)g_hits);
    g_hits = NULL;
}

/* Tasks 0..n-1 must each have run once. */
static int hits_verdict(tpc_ctx *ctx, size_t n, const char *what)
{
    size_t never = 0, twice = 0, first_never = 0, first_twice = 0;
    for (size_t i = n; i-- > 0;) {
        unsigned h = atomic_load(&g_hits[i]);
        if (h == 0) {
            never++;
            first_never = i;
        } else if (h > 1) {
            twice++;
            first_twice = i;
        }
    }
    if (twice)
        tpc_fail(ctx, "%s: %zu of %zu tasks ran more than once (first: task %zu, %u times): the "
                 "policy returned them twice from pop", what, twice, n, first_twice,
                 atomic_load(&g_hits[first_twice]));
    else if (never)
        tpc_fail(ctx, "%s: lost %zu of %zu tasks: the pool's wait returned but they never ran "
                 "(first: task %zu)", what, never, n, first_never);
    return ctx->failed ? -1 : 0;
}

static int api(tpc_ctx *ctx, int rc, const char *call, const char *what)
{
    if (rc)
        tpc_fail(ctx, "%s: %s returned %d (%s)", what, call, rc, tpool_strerror(rc));
    return rc;
}

/* ---- pool-tasks ------------------------------------------------------------------- */

enum tpc_status tpc_check_pool_tasks(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    size_t n = s->opt->tasks;
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        unsigned T = s->opt->threads[k];
        char what[64];
        snprintf(what, sizeof what, "T=%u", T);
        tpool *p = tpc_pool(ctx, T);
        if (!p || hits_alloc(ctx, n)) {
            tpool_destroy(p);
            return TPC_FAIL;
        }
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
            a.priority = (int)(rand_r(&ctx->seed) % 5) - 2;
            a.preferred_worker = (int)(rand_r(&ctx->seed) % (T + 2)) - 1;
            a.cost_hint = rand_r(&ctx->seed) % 100;
            rc = api(ctx, tpool_submit(p, hit, (void *)i, &a), "tpool_submit", what);
        }
        if (rc == 0)
            rc = api(ctx, tpool_wait_all(p), "tpool_wait_all", what);
        if (rc == 0)
            rc = hits_verdict(ctx, n, what);
        tpool_stats st;
        if (rc == 0 && tpool_stats_get(p, &st) == 0) {
            if (st.submitted != n || st.completed != n)
                tpc_fail(ctx, "%s: the pool counted %llu submitted and %llu completed tasks, "
                         "not %zu", what, (unsigned long long)st.submitted,
                         (unsigned long long)st.completed, n);
            tpool_stats_free(&st);
        }
        if (rc == 0)
            api(ctx, tpool_destroy(p), "tpool_destroy", what);
        hits_free();
        if (ctx->failed)
            return TPC_FAIL;
        tpc_note(ctx, "%s: %zu tasks ran once each", what, n);
    }
    return TPC_PASS;
}

/* ---- pool-wake ---------------------------------------------------------------------- */

/* A pool check that waits with tpool_wait_all helps: it pops and runs the
 * queued work itself, so a policy whose push never wakes a sleeping worker
 * passes every such check. Here nothing waits on the pool: a task
 * submitted from outside while every worker sleeps must start because push
 * named a worker to wake. */
enum { PARK_WAIT_S = 30, WAKE_WAIT_S = 10 };

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */
    int ran;
} run_flag;

static void flag_task(void *arg)
{
    run_flag *f = arg;
    pthread_mutex_lock(&f->lock);
    f->ran = 1;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* True once every worker has parked at least once. Nothing was submitted,
 * so a worker that has parked is asleep until a push wakes it. */
static int all_parked(tpool *p)
{
    tpool_stats st;
    if (tpool_stats_get(p, &st) != 0)
        return 0;
    int all = 1;
    for (unsigned w = 0; w < st.workers; w++)
        all &= st.per_worker[w].parks > 0;
    tpool_stats_free(&st);
    return all;
}

/* Waits up to WAKE_WAIT_S for the flag; returns whether the task ran. */
static int flag_wait(run_flag *f)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += WAKE_WAIT_S;
    pthread_mutex_lock(&f->lock);
    int e = 0;
    while (!f->ran && e != ETIMEDOUT)
        e = pthread_cond_timedwait(&f->cond, &f->lock, &until);
    int ran = f->ran;
    pthread_mutex_unlock(&f->lock);
    return ran;
}

enum tpc_status tpc_check_pool_wake(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        unsigned T = s->opt->threads[k], W = tpc_workers(T);
        char what[64];
        snprintf(what, sizeof what, "T=%u (W=%u)", T, W);
        /* No spinning: a worker that finds nothing parks at once. */
        tpool *p = tpc_pool_spin(ctx, T, 0);
        if (!p)
            return TPC_FAIL;
        double deadline = mono_s() + PARK_WAIT_S;
        while (!all_parked(p) && mono_s() < deadline)
            sched_yield();
        if (!all_parked(p)) {
            tpool_destroy(p);
            return tpc_fail(ctx, "%s: with nothing queued, the workers did not all go to "
                            "sleep within %d s: every worker's pop must return NULL when "
                            "there is no task for it", what, PARK_WAIT_S);
        }
        run_flag f = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&f.cond, &ca);
        pthread_condattr_destroy(&ca);
        int ran = 0;
        if (api(ctx, tpool_submit(p, flag_task, &f, NULL), "tpool_submit", what) == 0) {
            ran = flag_wait(&f);
            /* Helps, so the task has run before its flag goes away. */
            api(ctx, tpool_wait_all(p), "tpool_wait_all", what);
        }
        api(ctx, tpool_destroy(p), "tpool_destroy", what);
        pthread_cond_destroy(&f.cond);
        pthread_mutex_destroy(&f.lock);
        if (!ctx->failed && !ran)
            tpc_fail(ctx, "%s: a task submitted from outside while every worker slept did "
                     "not start within %d s, and no thread was waiting on the pool to run it: "
                     "push did not wake a worker that can pop it. push must return that "
                     "worker, or TPOOL_WAKE_ANY when any idle worker can take it; "
                     "TPOOL_WAKE_NONE only when no sleeping worker could (the direct check "
                     "'wake' pins the push)", what, WAKE_WAIT_S);
        if (ctx->failed)
            return TPC_FAIL;
        tpc_note(ctx, "%s: a task submitted to sleeping workers ran unaided", what);
    }
    return TPC_PASS;
}

/* ---- pool-nested -------------------------------------------------------------------- */

typedef struct {
    tpool *p;
    size_t first, count;
} spawn_arg;

static void spawner(void *arg)
{
    spawn_arg *a = arg;
    for (size_t i = a->first; i < a->first + a->count; i++)
        if (tpool_submit(a->p, hit, (void *)i, NULL) != 0)
            atomic_store(&g_api_error, 1);
}

static void *outside_submitter(void *arg)
{
    spawner(arg);
    return NULL;
}

enum tpc_status tpc_check_pool_nested(tpc_ctx *ctx)
{
    enum { OUT = 4, IN = 4 };
    unsigned T = tpc_max_threads(ctx->s);
    size_t each = ctx->s->opt->tasks / 4 + 1, n = (OUT + IN) * each;
    char what[96];
    snprintf(what, sizeof what, "T=%u, %d outside threads and %d tasks submitting", T,
             OUT, IN);
    tpool *p = tpc_pool(ctx, T);
    if (!p || hits_alloc(ctx, n)) {
        tpool_destroy(p);
        return TPC_FAIL;
    }
    spawn_arg args[OUT + IN];
    pthread_t th[OUT];
    unsigned started = 0;
    for (int i = 0; i < IN; i++) {
        args[OUT + i] = (spawn_arg){ p, (size_t)(OUT + i) * each, each };
        if (api(ctx, tpool_submit(p, spawner, &args[OUT + i], NULL), "tpool_submit", what))
            break;
    }
    for (int i = 0; i < OUT && !ctx->failed; i++) {
        args[i] = (spawn_arg){ p, (size_t)i * each, each };
        if (pthread_create(&th[i], NULL, outside_submitter, &args[i]) != 0)
            break;
        started++;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    api(ctx, tpool_destroy(p), "tpool_destroy", what);
    if (!ctx->failed && started < OUT)
        tpc_fail(ctx, "%s: could not start the submitting threads", what);
    if (!ctx->failed && atomic_load(&g_api_error))
        tpc_fail(ctx, "%s: a tpool_submit failed", what);
    if (!ctx->failed)
        hits_verdict(ctx, n, what);
    hits_free();
    if (ctx->failed)
        return TPC_FAIL;
    tpc_note(ctx, "%s: %zu tasks ran once each", what, n);
    return TPC_PASS;
}

/* ---- pool-fork-join -------------------------------------------------------------------- */

typedef struct fib {
    tpool *pool;
    int n;
    long result;
} fib;

/* fib(n) by forking two children in a group and waiting on it. */
static void fib_task(void *arg)
{
    fib *a = arg;
    if (a->n < 2) {
        a->result = a->n;
        return;
    }
    fib l = { a->pool, a->n - 1, 0 }, r = { a->pool, a->n - 2, 0 };
    tpool_group *g;
    if (tpool_group_create(a->pool, &g) != 0) {
        atomic_store(&g_api_error, 1);
        return;
    }
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = g;
    if (tpool_submit(a->pool, fib_task, &l, &attr) != 0
        || tpool_submit(a->pool, fib_task, &r, &attr) != 0 || tpool_group_wait(g) != 0)
        atomic_store(&g_api_error, 1);
    tpool_group_destroy(g);
    a->result = l.result + r.result;
}

enum tpc_status tpc_check_pool_fork_join(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    atomic_store(&g_api_error, 0);
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        unsigned T = s->opt->threads[k];
        char what[64];
        snprintf(what, sizeof what, "T=%u, fib(16)", T);
        tpool *p = tpc_pool(ctx, T);
        if (!p)
            return TPC_FAIL;
        fib a = { p, 16, 0 };
        tpool_group *g = NULL;
        if (api(ctx, tpool_group_create(p, &g), "tpool_group_create", what) == 0) {
            tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
            attr.group = g;
            if (api(ctx, tpool_submit(p, fib_task, &a, &attr), "tpool_submit", what) == 0)
                api(ctx, tpool_group_wait(g), "tpool_group_wait", what);
            tpool_group_destroy(g);
        }
        api(ctx, tpool_destroy(p), "tpool_destroy", what);
        if (!ctx->failed && atomic_load(&g_api_error))
            tpc_fail(ctx, "%s: a submit or group wait inside a task failed", what);
        if (!ctx->failed && a.result != 987)
            tpc_fail(ctx, "%s: got %ld, not 987: some task of the recursion did not run "
                     "(or ran twice)", what, a.result);
        if (ctx->failed)
            return TPC_FAIL;
        tpc_note(ctx, "%s = 987", what);
    }
    return TPC_PASS;
}

/* ---- pool-range ----------------------------------------------------------------------- */

typedef struct {
    _Atomic unsigned char *hits;
    unsigned threads;
    _Atomic int bad;          /* a thread index out of range or an empty range */
    _Atomic unsigned bad_thread;
} range_ctx;

static void visit(void *arg, size_t begin, size_t end, unsigned thread)
{
    range_ctx *c = arg;
    if (thread >= c->threads || begin >= end) {
        atomic_store(&c->bad_thread, thread);
        atomic_store(&c->bad, 1);
    }
    for (size_t i = begin; i < end; i++)
        if (atomic_load_explicit(&c->hits[i], memory_order_relaxed) < 255)
            atomic_fetch_add_explicit(&c->hits[i], 1, memory_order_relaxed);
}

/* One parallel-for of n items on p (with opts, may be NULL); fails the
 * check unless each ran once. */
static int range_once(tpc_ctx *ctx, tpool *p, unsigned T, size_t n,
                      const tpool_range_opts *opts, const char *what)
{
    range_ctx c = { .threads = T };
    c.hits = calloc(n + 1, 1);
    if (!c.hits)
        return tpc_fail(ctx, "out of memory for %zu items", n), -1;
    int rc = api(ctx, tpool_parallel_range(p, n, visit, &c, opts), "tpool_parallel_range", what);
    size_t twice = 0, never = 0, first = 0;
    for (size_t i = n; rc == 0 && i-- > 0;) {
        twice += c.hits[i] > 1;
        never += c.hits[i] == 0;
        if (c.hits[i] != 1)
            first = i;
    }
    if (rc == 0 && (twice || never))
        tpc_fail(ctx, "%s, n=%zu: %zu items visited more than once and %zu never (first: item "
                 "%zu, visited %u times)", what, n, twice, never, first, (unsigned)c.hits[first]);
    else if (rc == 0 && atomic_load(&c.bad))
        tpc_fail(ctx, "%s, n=%zu: the body got an empty range or thread index %u (must be below "
                 "%u)", what, n, atomic_load(&c.bad_thread), T);
    free((void *)c.hits);
    return ctx->failed ? -1 : 0;
}

enum tpc_status tpc_check_pool_range(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    static const size_t sizes[] = { 0, 1, 2, 5, 13, 101, 4099, 100003 };
    /* The third call of each size passes a cost function: policies see it
     * in their job and may use it (priority orders tiles by it). */
    static const tpool_range_opts with_cost = { .cost = tpc_item_cost };
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        unsigned T = s->opt->threads[k];
        char what[64], what_cost[96];
        snprintf(what, sizeof what, "T=%u", T);
        snprintf(what_cost, sizeof what_cost, "T=%u, with a cost function", T);
        tpool *p = tpc_pool(ctx, T);
        if (!p)
            return TPC_FAIL;
        for (size_t z = 0; !ctx->failed && z < sizeof sizes / sizeof sizes[0]; z++)
            for (int rep = 0; !ctx->failed && rep < 3; rep++)
                range_once(ctx, p, T, sizes[z], rep == 2 ? &with_cost : NULL,
                           rep == 2 ? what_cost : what);
        api(ctx, tpool_destroy(p), "tpool_destroy", what);
        if (ctx->failed)
            return TPC_FAIL;
        tpc_note(ctx, "%s: parallel-for of 0..100003 items, with and without a cost "
                 "function, each index once", what);
    }
    return TPC_PASS;
}

/* ---- pool-progress ------------------------------------------------------------------- */

typedef struct {
    size_t n, waiter;
    _Atomic unsigned char *hits;
    _Atomic size_t others;  /* items other than the waiter that have run */
    _Atomic int gave_up;    /* the waiter saw no progress for 10 s */
    _Atomic int not_one;    /* a call of the body got other than one item */
} progress_ctx;

/* The waiter spins until every other item has run; it gives up after 10 s
 * without progress, so that a policy without progress fails the check
 * instead of hanging it. */
static void progress_item(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    progress_ctx *c = arg;
    if (end != begin + 1)
        atomic_store(&c->not_one, 1);
    for (size_t i = begin; i < end; i++) {
        atomic_fetch_add(&c->hits[i], 1);
        if (i != c->waiter) {
            atomic_fetch_add(&c->others, 1);
            continue;
        }
        size_t seen = atomic_load(&c->others);
        time_t last = time(NULL);
        while (seen != c->n - 1) {
            sched_yield();
            size_t now = atomic_load(&c->others);
            if (now != seen) {
                seen = now;
                last = time(NULL);
            } else if (time(NULL) - last > 10) {
                atomic_store(&c->gave_up, 1);
                break;
            }
        }
    }
}

enum tpc_status tpc_check_pool_progress(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    int progress = tpc_progress(ctx, tpc_max_threads(s));
    if (progress < 0)
        return TPC_FAIL;
    if (!progress)
        return tpc_skip(ctx, "the policy does not give progress with params %s (no "
                        "TPOOL_POLICY_PROGRESS, or range_progress said 0): an item of a "
                        "parallel-for that waits for another may wait forever under it",
                        tpc_params_text(s));
    static const size_t sizes[] = { 2, 7, 100, 1000 };
    tpool_range_opts o = { .flags = TPOOL_FLAG_PROGRESS };
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        unsigned T = s->opt->threads[k];
        if (T < 2)
            continue; /* one thread runs the items in order: nothing to show */
        tpool *p = tpc_pool(ctx, T);
        if (!p)
            return TPC_FAIL;
        char what[64];
        snprintf(what, sizeof what, "T=%u", T);
        for (size_t z = 0; !ctx->failed && z < sizeof sizes / sizeof sizes[0]; z++) {
            size_t n = sizes[z], where[] = { 0, n / 2, n - 1 };
            for (int w = 0; !ctx->failed && w < 3; w++) {
                progress_ctx c = { .n = n, .waiter = where[w] };
                c.hits = calloc(n, 1);
                if (!c.hits) {
                    tpc_fail(ctx, "out of memory for %zu items", n);
                    break;
                }
                if (api(ctx, tpool_parallel_range(p, n, progress_item, &c, &o),
                        "tpool_parallel_range", what) == 0) {
                    size_t bad = 0;
                    for (size_t i = 0; i < n; i++)
                        bad += c.hits[i] != 1;
                    if (atomic_load(&c.gave_up))
                        tpc_fail(ctx, "%s, n=%zu: item %zu waited for the others and none "
                                 "ran for 10 s (%zu of %zu had run): with "
                                 "TPOOL_FLAG_PROGRESS an idle participant must be able to "
                                 "get any item not started (range path: range_next returns "
                                 "0 only once every item was handed out; tile path: any "
                                 "worker pops any task), or the policy must not declare "
                                 "TPOOL_POLICY_PROGRESS", what, n, where[w],
                                 atomic_load(&c.others), n - 1);
                    else if (atomic_load(&c.not_one))
                        tpc_fail(ctx, "%s, n=%zu: the body got more than one item per call "
                                 "in a call with TPOOL_FLAG_PROGRESS", what, n);
                    else if (bad)
                        tpc_fail(ctx, "%s, n=%zu: %zu items not run exactly once", what, n,
                                 bad);
                }
                free((void *)c.hits);
            }
        }
        api(ctx, tpool_destroy(p), "tpool_destroy", what);
        if (ctx->failed)
            return TPC_FAIL;
        tpc_note(ctx, "%s: an item (first, middle, last) waited for all the others; "
                 "2..1000 items", what);
    }
    return TPC_PASS;
}

/* ---- pool-mixed ----------------------------------------------------------------------- */

typedef struct {
    tpc_ctx *ctx;
    tpool *p;
    unsigned threads;
    pthread_mutex_t *lock; /* around tpc_fail */
} mix_arg;

static void *mixed_caller(void *arg)
{
    mix_arg *m = arg;
    for (int r = 0; r < 30; r++) {
        tpc_ctx local = { .s = m->ctx->s };
        char what[64];
        snprintf(what, sizeof what, "T=%u, parallel-for from 3 threads", m->threads);
        if (range_once(&local, m->p, m->threads, 2003, NULL, what)) {
            pthread_mutex_lock(m->lock);
            tpc_fail(m->ctx, "%s", local.msg);
            pthread_mutex_unlock(m->lock);
            break;
        }
    }
    return NULL;
}

enum tpc_status tpc_check_pool_mixed(tpc_ctx *ctx)
{
    enum { CALLERS = 3 };
    unsigned T = tpc_max_threads(ctx->s);
    size_t n = ctx->s->opt->tasks / 2 + 1;
    char what[96];
    snprintf(what, sizeof what, "T=%u, tasks and parallel-for from %d threads", T, CALLERS);
    tpool *p = tpc_pool(ctx, T);
    if (!p || hits_alloc(ctx, n)) {
        tpool_destroy(p);
        return TPC_FAIL;
    }
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    mix_arg m = { ctx, p, T, &lock };
    pthread_t th[CALLERS];
    unsigned started = 0;
    for (int i = 0; i < CALLERS; i++) {
        if (pthread_create(&th[i], NULL, mixed_caller, &m) != 0)
            break;
        started++;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = tpool_submit(p, hit, (void *)i, NULL);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (rc)
        api(ctx, rc, "tpool_submit", what);
    if (api(ctx, tpool_wait_all(p), "tpool_wait_all", what) == 0 && !ctx->failed)
        hits_verdict(ctx, n, what);
    api(ctx, tpool_destroy(p), "tpool_destroy", what);
    hits_free();
    pthread_mutex_destroy(&lock);
    if (!ctx->failed && started < CALLERS)
        tpc_fail(ctx, "%s: could not start the calling threads", what);
    if (ctx->failed)
        return TPC_FAIL;
    tpc_note(ctx, "%s: %zu tasks once, 90 parallel-fors exact", what, n);
    return TPC_PASS;
}

/* ---- pool-cancel ------------------------------------------------------------------------ */

static _Atomic size_t g_ran, g_cancelled;
static void count_run(void *arg) { atomic_fetch_add(&g_ran, 1); }
static void count_done(void *arg, int status)
{
    if (status == TPOOL_ECANCELED)
        atomic_fetch_add(&g_cancelled, 1);
}

enum tpc_status tpc_check_pool_cancel(tpc_ctx *ctx)
{
    unsigned T = tpc_max_threads(ctx->s);
    size_t n = ctx->s->opt->tasks;
    char what[64];
    snprintf(what, sizeof what, "T=%u, destroy in cancel mode", T);
    atomic_store(&g_ran, 0);
    atomic_store(&g_cancelled, 0);
    tpool *p = tpc_pool(ctx, T);
    if (!p)
        return TPC_FAIL;
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.on_complete = count_done;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = api(ctx, tpool_submit(p, count_run, NULL, &a), "tpool_submit", what);
    size_t cancelled = 0;
    api(ctx, tpool_destroy_ex(p, TPOOL_CANCEL, &cancelled), "tpool_destroy_ex", what);
    size_t ran = atomic_load(&g_ran), rep = atomic_load(&g_cancelled);
    if (!ctx->failed && ran + rep != n)
        tpc_fail(ctx, "%s: %zu ran + %zu reported cancelled = %zu, not the %zu submitted: %s",
                 what, ran, rep, ran + rep, n,
                 ran + rep < n ? "the policy lost tasks (destroy pops every slot until all "
                                 "return NULL)"
                               : "the policy returned some tasks twice");
    if (!ctx->failed && cancelled != rep)
        tpc_fail(ctx, "%s: destroy reported %zu cancelled, callbacks saw %zu", what, cancelled,
                 rep);
    if (ctx->failed)
        return TPC_FAIL;
    tpc_note(ctx, "%s: %zu ran + %zu cancelled = %zu", what, ran, rep, n);
    return TPC_PASS;
}

/* ---- pool-resize ------------------------------------------------------------------------ */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open;
} gate;

typedef struct {
    gate *g;
    size_t index;
} gated_arg;

/* Waits at the gate, then counts a hit: keeps tasks queued during resizes. */
static void gated_hit(void *arg)
{
    gated_arg *a = arg;
    pthread_mutex_lock(&a->g->lock);
    while (!a->g->open)
        pthread_cond_wait(&a->g->cond, &a->g->lock);
    pthread_mutex_unlock(&a->g->lock);
    hit((void *)a->index);
}

enum tpc_status tpc_check_pool_resize(tpc_ctx *ctx)
{
    enum { GATED = 200 };
    static const unsigned steps[] = { 6, 2 };
    const char *what = "200 tasks queued on 3 threads, resized to 6 then 2";
    gated_arg args[GATED];
    gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
    tpool *p = tpc_pool(ctx, 3);
    if (!p || hits_alloc(ctx, GATED)) {
        tpool_destroy(p);
        return TPC_FAIL;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < GATED; i++) {
        args[i] = (gated_arg){ &g, i };
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.preferred_worker = (int)(i % 7) - 1;
        rc = api(ctx, tpool_submit(p, gated_hit, &args[i], &a), "tpool_submit", what);
    }
    for (size_t k = 0; rc == 0 && k < sizeof steps / sizeof steps[0]; k++)
        rc = api(ctx, tpool_set_threads(p, steps[k]), "tpool_set_threads", what);
    pthread_mutex_lock(&g.lock);
    g.open = 1;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
    if (api(ctx, tpool_wait_all(p), "tpool_wait_all", what) == 0 && rc == 0)
        rc = hits_verdict(ctx, GATED, what);
    if (rc == 0 && api(ctx, tpool_set_threads(p, 4), "tpool_set_threads", what) == 0
        && tpool_threads(p) != 4)
        tpc_fail(ctx, "%s: after tpool_set_threads(4) the pool has %u threads", what,
                 tpool_threads(p));
    api(ctx, tpool_destroy(p), "tpool_destroy", what);
    hits_free();
    pthread_cond_destroy(&g.cond);
    pthread_mutex_destroy(&g.lock);
    if (ctx->failed)
        return TPC_FAIL;
    tpc_note(ctx, "%s: each ran once; then resized to 4", what);
    return TPC_PASS;
}
