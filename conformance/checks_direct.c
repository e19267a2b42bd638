/*
 * checks_direct.c - conformance checks that call the policy's vtable
 * directly, with no pool: create/destroy, push/pop from one thread and from
 * a thread per slot, the range ops and resize. Without a pool in between, a
 * task returned twice or never is pinned on push or pop and cannot corrupt
 * anything (the tasks here are ours and never freed while the check runs).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

/* ---- a policy state under test ------------------------------------------------ */

typedef struct {
    const tpool_policy *ops;
    void *state;
    unsigned threads, workers;
} dstate;

/* Creates a state for `threads`; fails the check on refusal. */
static int dcreate(tpc_ctx *ctx, unsigned threads, dstate *d)
{
    char errbuf[512] = "";
    tpool_policy_env env = { tpc_workers(threads), threads, ctx->s->params, errbuf,
                             sizeof errbuf, TPOOL_POLICY_ABI_VERSION };
    d->ops = ctx->s->ops;
    d->threads = threads;
    d->workers = env.workers;
    d->state = NULL;
    int rc = d->ops->create(&env, &d->state);
    if (rc) {
        tpc_fail(ctx, "create returned %d for T=%u threads (W=%u workers) with params %s: %s",
                 rc, threads, env.workers, tpc_params_text(ctx->s),
                 errbuf[0] ? errbuf : "(no message: a failing create should write why "
                                      "into env->errbuf)");
        return -1;
    }
    return 0;
}

/* The state's progress: range_progress when the policy has it, else the
 * descriptor's TPOOL_POLICY_PROGRESS. */
static int dprogress(const dstate *d)
{
    return d->ops->range_progress ? d->ops->range_progress(d->state) != 0
                                  : (d->ops->flags & TPOOL_POLICY_PROGRESS) != 0;
}

int tpc_progress(tpc_ctx *ctx, unsigned threads)
{
    dstate d;
    if (dcreate(ctx, threads, &d))
        return -1;
    int progress = dprogress(&d);
    d.ops->destroy(d.state);
    return progress;
}

/* ---- tasks we own, and what happened to each ---------------------------------- */

typedef struct {
    tpool_task *t;            /* what the policy gets */
    tpool_task *orig;         /* the attributes as pushed */
    _Atomic unsigned *popped; /* times returned by pop */
    _Atomic unsigned char *pushed;
    unsigned *from;           /* slot it was pushed from */
    size_t n;
    pthread_mutex_t lock;     /* serialises tpc_fail from several threads */
    _Atomic int failed;
    int threaded;             /* several threads push and pop at once */
    _Atomic int duplicate;    /* the failure is a task popped twice */
} taskset;

static int tasks_init(taskset *ts, size_t n, unsigned workers, unsigned *seed)
{
    memset(ts, 0, sizeof *ts);
    ts->n = n;
    ts->t = calloc(n ? n : 1, sizeof *ts->t);
    ts->orig = calloc(n ? n : 1, sizeof *ts->orig);
    ts->popped = calloc(n ? n : 1, sizeof *ts->popped);
    ts->pushed = calloc(n ? n : 1, sizeof *ts->pushed);
    ts->from = calloc(n ? n : 1, sizeof *ts->from);
    pthread_mutex_init(&ts->lock, NULL);
    if (!ts->t || !ts->orig || !ts->popped || !ts->pushed || !ts->from)
        return -1;
    for (size_t i = 0; i < n; i++) {
        tpool_task *t = &ts->t[i];
        /* Varied attributes: every policy must accept any of them, including a
         * preferred worker beyond W (the ABI allows it). */
        t->priority = (int)(rand_r(seed) % 5) - 2;
        t->preferred_worker = (int)(rand_r(seed) % (workers + 3)) - 1;
        t->cost_hint = rand_r(seed) % 100;
        t->seq = i + 1;
        t->submit_ns = 1000 * (uint64_t)(i + 1);
        ts->orig[i] = *t;
    }
    return 0;
}

static void tasks_free(taskset *ts)
{
    free(ts->t);
    free(ts->orig);
    free((void *)ts->popped);
    free((void *)ts->pushed);
    free(ts->from);
    pthread_mutex_destroy(&ts->lock);
}

/* Thread-safe tpc_fail for the task sets' checks. */
static int ts_fail(tpc_ctx *ctx, taskset *ts, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ts_fail(tpc_ctx *ctx, taskset *ts, const char *fmt, ...)
{
    char buf[TPC_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&ts->lock);
    tpc_fail(ctx, "%s", buf);
    pthread_mutex_unlock(&ts->lock);
    atomic_store(&ts->failed, 1);
    return -1;
}

/* Pushes task i from `slot` and checks the wake target; *answer (may be
 * NULL) receives it. */
static int ts_push(tpc_ctx *ctx, taskset *ts, dstate *d, size_t i, unsigned slot,
                   const char *what, int *answer)
{
    ts->from[i] = slot;
    atomic_store_explicit(&ts->pushed[i], 1, memory_order_relaxed);
    int w = d->ops->push(d->state, &ts->t[i], slot);
    if (answer)
        *answer = w;
    int prefer_ok = w <= TPOOL_WAKE_PREFER(0) && TPOOL_WAKE_PREFER(0) - w < (int)d->workers;
    if (w != TPOOL_WAKE_ANY && w != TPOOL_WAKE_NONE && !prefer_ok
        && (w < 0 || (unsigned)w >= d->workers))
        return ts_fail(ctx, ts, "push of task %zu from slot %u returned %d as the worker to "
                       "wake (%s, W=%u): it must be a worker index 0..%u, TPOOL_WAKE_ANY (-1), "
                       "TPOOL_WAKE_NONE (-2) or TPOOL_WAKE_PREFER(0..%u) (-3..%d)", i, slot, w,
                       what, d->workers, d->workers - 1, d->workers - 1,
                       TPOOL_WAKE_PREFER(d->workers - 1));
    return 0;
}

/* Checks a task pop returned on `slot`: one of ours, pushed, returned for
 * the first time, attributes untouched. */
static int ts_popped(tpc_ctx *ctx, taskset *ts, tpool_task *p, unsigned slot, const char *what)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)ts->t;
    if ((uintptr_t)p < (uintptr_t)ts->t || off / sizeof *p >= ts->n || off % sizeof *p)
        return ts_fail(ctx, ts, "pop on slot %u returned %p, which is none of the tasks that "
                       "were pushed (%s): a stale or corrupted pointer; pop must return a "
                       "task exactly as push received it", slot, (void *)p, what);
    size_t i = off / sizeof *p;
    if (!atomic_load_explicit(&ts->pushed[i], memory_order_relaxed))
        return ts_fail(ctx, ts, "pop on slot %u returned task %zu, which was never pushed "
                       "(%s)", slot, i, what);
    unsigned before = atomic_fetch_add(&ts->popped[i], 1);
    if (before >= 1) {
        atomic_store(&ts->duplicate, 1);
        /* With several threads the cause may be a race rather than a pop that
         * never unlinks: the caller finds out which (race_or_unlink). */
        if (ts->threaded)
            return ts_fail(ctx, ts, "task %zu was returned by pop twice (the second time on "
                           "slot %u, %s)", i, slot, what);
        return ts_fail(ctx, ts, "task %zu was returned by pop twice (the second time on slot "
                       "%u, %s): a pop must remove the task it returns; check that your pop "
                       "unlinks it (updates the head) before returning it", i, slot, what);
    }
    const tpool_task *o = &ts->orig[i];
    const char *field = p->priority != o->priority ? "priority"
        : p->preferred_worker != o->preferred_worker ? "preferred_worker"
        : p->cost_hint != o->cost_hint ? "cost_hint"
        : p->seq != o->seq ? "seq"
        : p->submit_ns != o->submit_ns ? "submit_ns" : NULL;
    if (field)
        return ts_fail(ctx, ts, "task %zu came back from pop on slot %u with its %s changed "
                       "(%s): the attributes are read-only for a policy; keep bookkeeping in "
                       "next and policy_data", i, slot, field, what);
    return 0;
}

/* Pops every slot in turn until a whole round finds nothing. */
static int ts_drain(tpc_ctx *ctx, taskset *ts, dstate *d, const char *what)
{
    for (int any = 1; any;) {
        any = 0;
        for (unsigned s = 0; s <= d->workers; s++) {
            tpool_task *p;
            while ((p = d->ops->pop(d->state, s))) {
                if (ts_popped(ctx, ts, p, s, what))
                    return -1;
                any = 1;
            }
        }
    }
    return 0;
}

/* After a drain: every pushed task must have come back. */
static int ts_lost(tpc_ctx *ctx, taskset *ts, dstate *d, const char *what)
{
    size_t lost = 0, first = 0;
    for (size_t i = ts->n; i-- > 0;)
        if (atomic_load(&ts->pushed[i]) && atomic_load(&ts->popped[i]) == 0) {
            lost++;
            first = i;
        }
    if (lost)
        return ts_fail(ctx, ts, "lost %zu of %zu tasks (%s): pushed but never returned by pop "
                       "on any slot 0..%u (first: task %zu, pushed from slot %u); check that "
                       "push links every task into a queue that some slot's pop looks at",
                       lost, ts->n, what, d->workers, first, ts->from[first]);
    return 0;
}

/* Every slot's pop must find nothing. */
static int expect_empty(tpc_ctx *ctx, dstate *d, const char *what)
{
    for (unsigned s = 0; s <= d->workers; s++)
        if (d->ops->pop(d->state, s)) {
            tpc_fail(ctx, "pop on slot %u returned a task while the policy was empty (%s): "
                     "pop must return NULL when nothing is queued", s, what);
            return -1;
        }
    return 0;
}

/*
 * One thread pushes n tasks from random slots 0..W, interleaved with pops on
 * random slots, then drains every slot: each task must come back exactly
 * once. Leaves the state empty on success.
 */
static int exercise(tpc_ctx *ctx, dstate *d, size_t n, const char *what)
{
    if (expect_empty(ctx, d, what))
        return -1;
    taskset ts;
    int rc = tasks_init(&ts, n, d->workers, &ctx->seed);
    if (rc)
        tpc_fail(ctx, "out of memory for %zu tasks", n);
    for (size_t i = 0; rc == 0 && i < n;) {
        unsigned slot = rand_r(&ctx->seed) % (d->workers + 1);
        if (rand_r(&ctx->seed) % 3) {
            rc = ts_push(ctx, &ts, d, i++, slot, what, NULL);
        } else {
            tpool_task *p = d->ops->pop(d->state, slot);
            if (p)
                rc = ts_popped(ctx, &ts, p, slot, what);
        }
    }
    if (rc == 0)
        rc = ts_drain(ctx, &ts, d, what);
    if (rc == 0)
        rc = ts_lost(ctx, &ts, d, what);
    tasks_free(&ts);
    return rc;
}

/* ---- create ---------------------------------------------------------------------- */

#define GUARD 0xa5a5a5a5a5a5a5a5ull

enum tpc_status tpc_check_create(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        unsigned T = s->opt->threads[k];
        dstate a, b;
        if (dcreate(ctx, T, &a))
            return TPC_FAIL;
        /* Two pools of one policy coexist: their states must be separate. */
        if (dcreate(ctx, T, &b)) {
            a.ops->destroy(a.state);
            return TPC_FAIL;
        }
        tpool_task t = { .preferred_worker = -1, .seq = 1 };
        a.ops->push(a.state, &t, a.workers);
        for (unsigned slot = 0; slot <= b.workers && !ctx->failed; slot++)
            if (b.ops->pop(b.state, slot))
                tpc_fail(ctx, "with T=%u, a task pushed to one state came out of "
                         "another state's pop (slot %u): each create must make a separate "
                         "state, since each pool has its own (no global queue)", T, slot);
        char what[64];
        snprintf(what, sizeof what, "T=%u", T);
        int found = 0;
        for (int round = 0; round < 2 && !found; round++)
            for (unsigned slot = 0; slot <= a.workers && !found; slot++)
                found = a.ops->pop(a.state, slot) == &t;
        if (!found)
            tpc_fail(ctx, "with T=%u, a single task pushed from the outside slot %u "
                     "never came back from pop on any slot 0..%u", T, a.workers, a.workers);

        if (!ctx->failed && a.ops->stats_read) {
            unsigned nstats = s->nstats;
            for (unsigned slot = 0; slot <= a.workers && !ctx->failed; slot++) {
                uint64_t out[TPOOL_STAT_POLICY_MAX + 8];
                for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
                    out[i] = GUARD;
                a.ops->stats_read(a.state, slot, out);
                for (size_t i = nstats; i < sizeof out / sizeof out[0]; i++)
                    if (out[i] != GUARD) {
                        tpc_fail(ctx, "stats_read for slot %u (%s) wrote out[%zu], past the %u "
                                 "counter(s) named in stat_names: it must write exactly one "
                                 "value per name", slot, what, i, nstats);
                        break;
                    }
            }
            if (a.ops->stats_reset)
                a.ops->stats_reset(a.state);
        }
        a.ops->destroy(a.state);
        b.ops->destroy(b.state);
        if (ctx->failed)
            return TPC_FAIL;
        tpc_note(ctx, "T=%u (W=%u): created and destroyed two states", T, a.workers);
    }
    return TPC_PASS;
}

/* ---- push-pop, one thread ------------------------------------------------------------ */

enum tpc_status tpc_check_push_pop(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        dstate d;
        if (dcreate(ctx, s->opt->threads[k], &d))
            return TPC_FAIL;
        char what[64];
        snprintf(what, sizeof what, "T=%u, one thread calling", d.threads);
        int rc = exercise(ctx, &d, s->opt->tasks, what);
        if (rc == 0)
            rc = exercise(ctx, &d, 1 + s->opt->tasks / 100, what); /* reuse after empty */
        d.ops->destroy(d.state);
        if (rc)
            return TPC_FAIL;
        tpc_note(ctx, "%s: %zu tasks, each popped once", what, s->opt->tasks);
    }
    return TPC_PASS;
}

/* ---- push-pop, a thread per slot ------------------------------------------------------- */

enum { OUTSIDE_THREADS = 2 };

typedef struct {
    tpc_ctx *ctx;
    taskset *ts;
    dstate *d;
    unsigned nthreads;
    _Atomic unsigned pushers_done;
    const char *what;
} shared_run;

typedef struct {
    shared_run *r;
    unsigned slot;
    size_t first, count;
} slot_thread;

static void *slot_main(void *arg)
{
    slot_thread *st = arg;
    shared_run *r = st->r;
    for (size_t i = st->first; i < st->first + st->count; i++) {
        if (atomic_load(&r->ts->failed)
            || ts_push(r->ctx, r->ts, r->d, i, st->slot, r->what, NULL))
            break;
        if (i % 2) {
            tpool_task *p = r->d->ops->pop(r->d->state, st->slot);
            if (p && ts_popped(r->ctx, r->ts, p, st->slot, r->what))
                break;
        }
    }
    atomic_fetch_add(&r->pushers_done, 1);
    while (!atomic_load(&r->ts->failed)) {
        tpool_task *p = r->d->ops->pop(r->d->state, st->slot);
        if (p) {
            if (ts_popped(r->ctx, r->ts, p, st->slot, r->what))
                break;
        } else if (atomic_load(&r->pushers_done) == r->nthreads) {
            break; /* every push has returned and this slot sees nothing */
        }
    }
    return NULL;
}

/*
 * After a task popped twice with several threads at once: the same number
 * of pushes and pops from one thread, on a fresh state, tells a race (that
 * passes) from a pop that never unlinks (that fails too). Appends the
 * verdict to ctx's message.
 */
static void race_or_unlink(tpc_ctx *ctx, unsigned threads, size_t n)
{
    tpc_ctx solo = *ctx;
    solo.failed = 0;
    solo.msg[0] = '\0';
    dstate d;
    if (dcreate(&solo, threads, &d) != 0)
        return;
    int alone_ok = exercise(&solo, &d, n, "one thread") == 0;
    d.ops->destroy(d.state);
    size_t len = strlen(ctx->msg);
    snprintf(ctx->msg + len, sizeof ctx->msg - len, "%s",
             alone_ok ? ": a race. The same pushes and pops from one thread pass, so two "
                        "threads popped this task at once: pop must read the shared head "
                        "and unlink it in one atomic step (both under the lock that push "
                        "takes, or a compare-and-swap that fails when another pop got there "
                        "first), never read it before taking the lock"
                      : ": pop returns tasks twice from one thread too (see push-pop): a "
                        "pop must remove the task it returns; check that your pop unlinks "
                        "it (updates the head) before returning it");
}

enum tpc_status tpc_check_push_pop_threads(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        dstate d;
        if (dcreate(ctx, s->opt->threads[k], &d))
            return TPC_FAIL;
        char what[96];
        snprintf(what, sizeof what, "T=%u, a thread per worker slot and %d on slot %u",
                 d.threads, OUTSIDE_THREADS, d.workers);
        taskset ts;
        size_t n = s->opt->tasks;
        if (tasks_init(&ts, n, d.workers, &ctx->seed)) {
            tasks_free(&ts);
            d.ops->destroy(d.state);
            return tpc_fail(ctx, "out of memory for %zu tasks", n);
        }
        ts.threaded = 1;
        unsigned nt = d.workers + OUTSIDE_THREADS;
        shared_run r = { ctx, &ts, &d, nt, 0, what };
        slot_thread *st = calloc(nt, sizeof *st);
        pthread_t *th = calloc(nt, sizeof *th);
        unsigned started = 0;
        for (unsigned t = 0; st && th && t < nt; t++) {
            st[t] = (slot_thread){ &r, t < d.workers ? t : d.workers, n * t / nt,
                                   n * (t + 1) / nt - n * t / nt };
            if (pthread_create(&th[t], NULL, slot_main, &st[t]) != 0) {
                /* Let the others finish: count the missing pushers as done. */
                atomic_fetch_add(&r.pushers_done, nt - t);
                tpc_fail(ctx, "cannot start thread %u of %u for the check", t, nt);
                break;
            }
            started++;
        }
        for (unsigned t = 0; t < started; t++)
            pthread_join(th[t], NULL);
        if (!ctx->failed && !ts_drain(ctx, &ts, &d, what))
            ts_lost(ctx, &ts, &d, what);
        int duplicate = atomic_load(&ts.duplicate);
        free(st);
        free(th);
        tasks_free(&ts);
        d.ops->destroy(d.state);
        if (duplicate)
            race_or_unlink(ctx, s->opt->threads[k], n);
        if (ctx->failed)
            return TPC_FAIL;
        tpc_note(ctx, "%s: %zu tasks, each popped once", what, n);
    }
    return TPC_PASS;
}

/* ---- wake ------------------------------------------------------------------------------ */

static const char *wake_name(int w, char *buf, size_t size)
{
    if (w == TPOOL_WAKE_ANY)
        return "TPOOL_WAKE_ANY";
    if (w == TPOOL_WAKE_NONE)
        return "TPOOL_WAKE_NONE";
    if (w <= TPOOL_WAKE_PREFER(0))
        snprintf(buf, size, "TPOOL_WAKE_PREFER(%d)", TPOOL_WAKE_PREFER(0) - w);
    else
        snprintf(buf, size, "worker %d", w);
    return buf;
}

/*
 * The wake contract, played out from one thread the way the core acts on it:
 * a worker whose pop returned NULL sleeps until a push names it, or answers
 * TPOOL_WAKE_ANY and it is the idle worker picked (at random here), or
 * TPOOL_WAKE_PREFER of an awake worker and it is the one picked; an awake
 * worker pops until its pop returns NULL. Tasks come from the outside slot
 * or from awake workers. When every worker sleeps, no sleeping worker's pop
 * may find a task: that task would wait for a thread that is never woken.
 */
enum tpc_status tpc_check_wake(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        dstate d;
        if (dcreate(ctx, s->opt->threads[k], &d))
            return TPC_FAIL;
        char what[64];
        snprintf(what, sizeof what, "T=%u, workers sleeping until woken", d.threads);
        size_t n = 1 + s->opt->tasks / 4;
        taskset ts;
        unsigned char *awake = calloc(d.workers, 1);
        int *answer = calloc(n, sizeof *answer);
        int rc = tasks_init(&ts, n, d.workers, &ctx->seed) || !awake || !answer
                     ? tpc_fail(ctx, "out of memory for %zu tasks", n), -1
                     : expect_empty(ctx, &d, what); /* every worker popped NULL: asleep */
        size_t i = 0;
        unsigned nawake = 0;
        while (rc == 0 && (i < n || nawake)) {
            if (i < n && (nawake == 0 || rand_r(&ctx->seed) % 2)) {
                unsigned from = d.workers; /* outside, or an awake worker (it runs a task) */
                if (nawake && rand_r(&ctx->seed) % 2)
                    for (unsigned w = rand_r(&ctx->seed) % d.workers;; w = (w + 1) % d.workers)
                        if (awake[w]) {
                            from = w;
                            break;
                        }
                if ((rc = ts_push(ctx, &ts, &d, i, from, what, &answer[i])))
                    break;
                int a = answer[i++]; /* valid: ts_push checked it */
                if (a <= TPOOL_WAKE_PREFER(0)) /* the worker if asleep, else anyone */
                    a = awake[TPOOL_WAKE_PREFER(0) - a] ? TPOOL_WAKE_ANY
                                                        : TPOOL_WAKE_PREFER(0) - a;
                if (a >= 0 && !awake[a]) {
                    awake[a] = 1;
                    nawake++;
                } else if (a == TPOOL_WAKE_ANY && nawake < d.workers) {
                    unsigned w0 = rand_r(&ctx->seed) % d.workers;
                    while (awake[w0])
                        w0 = (w0 + 1) % d.workers;
                    awake[w0] = 1;
                    nawake++;
                }
            } else {
                unsigned w = rand_r(&ctx->seed) % d.workers;
                while (!awake[w])
                    w = (w + 1) % d.workers;
                tpool_task *p = d.ops->pop(d.state, w);
                if (p) {
                    rc = ts_popped(ctx, &ts, p, w, what);
                } else {
                    awake[w] = 0;
                    nawake--;
                }
            }
        }
        for (unsigned w = 0; rc == 0 && w < d.workers; w++) {
            tpool_task *p = d.ops->pop(d.state, w);
            if (!p)
                continue;
            rc = ts_popped(ctx, &ts, p, w, what);
            if (rc == 0) {
                size_t t = (size_t)(p - ts.t);
                char buf[32];
                rc = ts_fail(ctx, &ts, "task %zu, pushed from slot %u, waits where worker %u's "
                             "pop finds it, but that worker is asleep (%s): its last pop returned "
                             "NULL, and the push answered %s. When push makes work available to "
                             "a worker whose pop returned NULL it must return that worker (or "
                             "TPOOL_WAKE_ANY or TPOOL_WAKE_PREFER, if any idle worker can pop "
                             "it); otherwise the task "
                             "waits until some thread happens to pop", t, ts.from[t], w, what,
                             wake_name(answer[t], buf, sizeof buf));
            }
        }
        /* The rest is for the outside slot (a waiter pops it); then count. */
        if (rc == 0 && !ts_drain(ctx, &ts, &d, what))
            ts_lost(ctx, &ts, &d, what);
        free(awake);
        free(answer);
        tasks_free(&ts);
        d.ops->destroy(d.state);
        if (ctx->failed)
            return TPC_FAIL;
        tpc_note(ctx, "%s: %zu tasks, no worker left asleep with work", what, n);
    }
    return TPC_PASS;
}

/* ---- the range ops --------------------------------------------------------------------- */

typedef struct {
    tpc_ctx *ctx;
    dstate *d;
    size_t n;
    unsigned parts;
    _Atomic unsigned char *hits;
    _Atomic size_t handed;   /* items handed out so far, all participants */
    pthread_mutex_t lock;
    _Atomic int failed;
    const char *mode;
    int progress;            /* the state declares progress */
    int threaded;            /* a thread per participant */
} range_run;

static void range_fail(range_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void range_fail(range_run *r, const char *fmt, ...)
{
    char buf[TPC_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&r->lock);
    tpc_fail(r->ctx, "%s", buf);
    pthread_mutex_unlock(&r->lock);
    atomic_store(&r->failed, 1);
}

/* One range_next call for participant p; returns 0 when p is done. */
static int range_step(range_run *r, unsigned p)
{
    size_t b = 0, e = 0;
    if (atomic_load(&r->failed))
        return 0;
    if (!r->d->ops->range_next(r->d->state, p, &b, &e)) {
        /* Exact only when one thread calls: then nothing is in flight. */
        size_t handed = atomic_load(&r->handed);
        if (r->progress && !r->threaded && handed < r->n)
            range_fail(r, "range_next returned 0 to participant %u while %zu of n=%zu items "
                       "were never handed out, P=%u participants (%s), and the policy "
                       "declares progress: it may return 0 only once every item was handed "
                       "out (an idle participant must be able to get any item), or it must "
                       "not declare TPOOL_POLICY_PROGRESS", p, r->n - handed, r->n, r->parts,
                       r->mode);
        return 0;
    }
    if (b >= e || e > r->n) {
        range_fail(r, "range_next for participant %u returned [%zu, %zu) for a job of n=%zu "
                   "items, P=%u participants (%s): %s", p, b, e, r->n, r->parts, r->mode,
                   b >= e ? "an empty or reversed range; return 0 when nothing is left"
                          : "it goes past the last item n-1");
        return 0;
    }
    /* A policy that never returns 0 would loop forever. */
    if (atomic_fetch_add(&r->handed, e - b) + (e - b) > 2 * r->n + 64) {
        range_fail(r, "range_next kept handing out items: over %zu for a job of n=%zu, %u "
                   "participants (%s); it must return 0 once every item was handed out",
                   2 * r->n + 64, r->n, r->parts, r->mode);
        return 0;
    }
    for (size_t i = b; i < e; i++)
        if (atomic_load_explicit(&r->hits[i], memory_order_relaxed) < 255)
            atomic_fetch_add_explicit(&r->hits[i], 1, memory_order_relaxed);
    return 1;
}

static void *range_main(void *arg)
{
    range_run *r = ((void **)arg)[0];
    unsigned p = (unsigned)(uintptr_t)((void **)arg)[1];
    while (range_step(r, p))
        ;
    return NULL;
}

/* Runs one job of n items on P participants, from one thread (round-robin
 * over the participants) or from a thread per participant, with or without
 * a cost function in the job. */
static int range_job_run(tpc_ctx *ctx, dstate *d, size_t n, unsigned parts, int threaded,
                         int with_cost, int progress)
{
    char mode[128];
    snprintf(mode, sizeof mode, "T=%u, %s%s", d->threads,
             threaded ? "a thread per participant" : "one thread calling in turn",
             with_cost ? ", job with a cost function" : "");
    range_run r = { .ctx = ctx, .d = d, .n = n, .parts = parts, .mode = mode,
                    .progress = progress, .threaded = threaded };
    r.hits = calloc(n, 1);
    pthread_mutex_init(&r.lock, NULL);
    if (!r.hits)
        return tpc_fail(ctx, "out of memory for %zu items", n), -1;
    tpool_range_job job = { .n = n, .participants = parts,
                            .cost = with_cost ? tpc_item_cost : NULL };
    if (d->ops->range_begin)
        d->ops->range_begin(d->state, &job);
    if (!threaded) {
        unsigned char *done = calloc(parts, 1);
        for (unsigned left = parts; left && done;)
            for (unsigned p = 0; p < parts; p++)
                if (!done[p] && !range_step(&r, p)) {
                    done[p] = 1;
                    left--;
                }
        free(done);
    } else {
        pthread_t *th = calloc(parts, sizeof *th);
        void *(*args)[2] = calloc(parts, sizeof *args);
        unsigned started = 0;
        for (unsigned p = 0; th && args && p < parts; p++) {
            args[p][0] = &r;
            args[p][1] = (void *)(uintptr_t)p;
            if (pthread_create(&th[p], NULL, range_main, args[p]) != 0)
                break;
            started++;
        }
        for (unsigned p = started; p < parts; p++)
            while (range_step(&r, p)) /* participants without a thread: run here */
                ;
        for (unsigned p = 0; p < started; p++)
            pthread_join(th[p], NULL);
        free(th);
        free(args);
    }
    if (d->ops->range_end)
        d->ops->range_end(d->state);

    if (!atomic_load(&r.failed)) {
        size_t twice = 0, never = 0, first_twice = 0, first_never = 0;
        for (size_t i = n; i-- > 0;) {
            unsigned h = r.hits[i];
            if (h > 1) {
                twice++;
                first_twice = i;
            } else if (h == 0) {
                never++;
                first_never = i;
            }
        }
        if (twice)
            tpc_fail(ctx, "n=%zu, P=%u participants (%s): %zu items handed out more than once "
                     "(first: item %zu, %u times); every item must be handed out exactly once "
                     "over all participants: check that the shared position advances by exactly "
                     "the size of each range returned", n, parts, mode, twice, first_twice,
                     (unsigned)r.hits[first_twice]);
        else if (never)
            tpc_fail(ctx, "n=%zu, P=%u participants (%s): %zu of %zu items never handed out "
                     "(first: item %zu); range_next returned 0 to every participant while "
                     "they were left: check the end-of-range test and the step between "
                     "ranges", n, parts, mode, never, n, first_never);
    }
    free((void *)r.hits);
    pthread_mutex_destroy(&r.lock);
    return ctx->failed ? -1 : 0;
}

enum tpc_status tpc_check_range(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    if (!s->ops->range_next)
        return tpc_skip(ctx, "the policy has no range_next: the core cuts each parallel-for "
                        "into tiles pushed through push/pop (push-pop and pool-range check "
                        "that path)");
    static const size_t sizes[] = { 1, 2, 5, 13, 101, 4099, 100003 };
    for (unsigned k = 0; k < s->opt->nthreads; k++) {
        dstate d;
        if (dcreate(ctx, s->opt->threads[k], &d))
            return TPC_FAIL;
        /* A policy that declares progress may not give up on items early. */
        int progress = dprogress(&d);
        int rc = 0;
        for (size_t z = 0; rc == 0 && z < sizeof sizes / sizeof sizes[0]; z++) {
            size_t n = sizes[z];
            /* The core never asks for more participants than items. */
            unsigned all = d.workers + 1 < n ? d.workers + 1 : (unsigned)n;
            unsigned parts[] = { 1, all };
            for (unsigned q = 0; rc == 0 && q < 2; q++)
                for (int threaded = 0; rc == 0 && threaded < 2; threaded++)
                    for (int cost = 0; rc == 0 && cost < 2; cost++)
                        rc = range_job_run(ctx, &d, n, parts[q], threaded, cost, progress);
        }
        d.ops->destroy(d.state);
        if (rc)
            return TPC_FAIL;
        tpc_note(ctx, "T=%u: jobs of 1..100003 items on 1 and %u participants, with and "
                 "without a cost function%s", d.threads, d.workers + 1,
                 progress ? " (progress: no early 0)" : "");
    }
    return TPC_PASS;
}

/* ---- resize ---------------------------------------------------------------------------- */

enum tpc_status tpc_check_resize(tpc_ctx *ctx)
{
    const tpc_session *s = ctx->s;
    if (!s->ops->resize)
        return tpc_skip(ctx, "the policy has no resize op: the core makes a new state when the "
                        "thread count changes (pool-resize checks that path)");
    /* Up through the list, then straight back to the first count. */
    unsigned seq[TPC_MAX_THREADS + 1], nseq = 0;
    for (unsigned k = 0; k < s->opt->nthreads; k++)
        seq[nseq++] = s->opt->threads[k];
    seq[nseq++] = s->opt->threads[0];
    if (nseq == 2 && seq[0] == seq[1])
        seq[1] = seq[0] + 2;
    dstate d;
    if (dcreate(ctx, seq[0], &d))
        return TPC_FAIL;
    size_t n = 1 + s->opt->tasks / 4;
    char what[128];
    snprintf(what, sizeof what, "T=%u, before any resize", d.threads);
    int rc = exercise(ctx, &d, n, what);
    for (unsigned k = 1; rc == 0 && k < nseq; k++) {
        char errbuf[512] = "";
        tpool_policy_env env = { tpc_workers(seq[k]), seq[k], s->params, errbuf, sizeof errbuf,
                                 TPOOL_POLICY_ABI_VERSION };
        unsigned from = d.threads;
        int r = d.ops->resize(d.state, &env);
        if (r == 0) {
            d.threads = env.threads;
            d.workers = env.workers;
            snprintf(what, sizeof what, "after resize from %u to %u threads", from, seq[k]);
        } else {
            snprintf(what, sizeof what, "after a refused resize from %u to %u threads (still %u)",
                     from, seq[k], from);
        }
        tpc_note(ctx, "resize from %u to %u threads: %s", from, seq[k],
                 r == 0 ? "accepted" : errbuf[0] ? errbuf : "refused");
        rc = exercise(ctx, &d, n, what);
    }
    d.ops->destroy(d.state);
    return rc ? TPC_FAIL : TPC_PASS;
}
