/*
 * pool.c - the pool's threads: creation, the worker loop, spinning then
 * parking, waking, and destruction (drain or cancel).
 *
 * Parking protocol (no lost wake-ups): a worker publishes WS_PARKED with a
 * seq_cst store and then looks for work once more; a pusher makes work
 * visible (the policy's push), issues a seq_cst fence and then reads the
 * worker's state. Either the worker sees the work or the pusher sees
 * WS_PARKED, moves it to WS_RUNNING by CAS and futex-wakes it.
 */
#define _GNU_SOURCE
#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"

_Thread_local struct tpool *tpool__tls_pool;
_Thread_local unsigned tpool__tls_slot;

enum { GRAB_NONE = 0, GRAB_TASK = 1, GRAB_JOB = 2 };

/* ---- waking -------------------------------------------------------------- */

void tpool__wake_worker(struct tpool *p, unsigned w)
{
    tpool__worker *wk = &p->w[w];
    uint32_t expected = WS_PARKED;
    /* seq_cst load: it must see a WS_PARKED that precedes, in the seq_cst
     * order, the waker's publication of the work (see the top comment). */
    if (atomic_load(&wk->state) == WS_PARKED
        && atomic_compare_exchange_strong(&wk->state, &expected, WS_RUNNING)) {
        add_relaxed(&wk->c.wakes, 1);
        tpool__futex_wake(&wk->state, 1);
    }
}

/* Wakes one parked worker unless one is spinning already (it will find the
 * work). The scan starts at a rotating index so wakes spread over workers. */
static void wake_any(struct tpool *p)
{
    if (atomic_load(&p->nspinning) > 0)
        return;
    unsigned start = add_relaxed(&p->wake_cursor, 1);
    for (unsigned k = 0; k < p->workers; k++) {
        unsigned w = (start + k) % p->workers;
        tpool__worker *wk = &p->w[w];
        uint32_t expected = WS_PARKED;
        if (atomic_load(&wk->state) == WS_PARKED
            && atomic_compare_exchange_strong(&wk->state, &expected, WS_RUNNING)) {
            add_relaxed(&wk->c.wakes, 1);
            tpool__futex_wake(&wk->state, 1);
            return;
        }
    }
}

void tpool__wake_target(struct tpool *p, int target)
{
    if (target >= 0 && (unsigned)target < p->workers)
        tpool__wake_worker(p, (unsigned)target);
    else if (target != TPOOL_WAKE_NONE)
        wake_any(p); /* TPOOL_WAKE_ANY, or an out-of-range answer */
}

void tpool__push(struct tpool *p, tpool__task *t, unsigned from)
{
    int target = p->policy.ops.push(p->pstate, &t->pub, from);
    fence_seq_cst();
    tpool__wake_target(p, target);
}

/* ---- finding work ---------------------------------------------------------- */

/* A worker takes part in an open range job it has not seen yet, if the job
 * has a participant index for it. */
static bool job_waiting(struct tpool *p, tpool__worker *wk)
{
    uint32_t s = ld_acquire(&p->job_seq);
    return (s & 1u) && s != wk->seen_job
           && tpool__participant_of(wk->index) < p->job.pub.participants;
}

static int grab(struct tpool *p, tpool__worker *wk, tpool__task **t)
{
    if (job_waiting(p, wk))
        return GRAB_JOB;
    *t = (tpool__task *)p->policy.ops.pop(p->pstate, wk->index);
    return *t ? GRAB_TASK : GRAB_NONE;
}

static void do_grabbed(struct tpool *p, tpool__worker *wk, int kind, tpool__task *t)
{
    if (kind == GRAB_JOB)
        tpool__job_join(p, wk->index);
    else
        tpool__run_task(p, t, wk->index);
}

bool tpool__find_work(struct tpool *p, unsigned slot)
{
    tpool__task *t;
    int kind = grab(p, &p->w[slot], &t);
    if (kind == GRAB_NONE)
        return false;
    do_grabbed(p, &p->w[slot], kind, t);
    return true;
}

/*
 * Waits for work as worker `wk`: spins for the spin budget, then parks.
 * Returns GRAB_NONE as soon as ready(arg) holds, else what it grabbed.
 * Accounts the time as idle.
 */
static int idle_wait(struct tpool *p, tpool__worker *wk, bool (*ready)(void *),
                     void *arg, tpool__task **t, bool skip_spin)
{
    uint64_t t0 = tpool__now_ns();
    int kind = GRAB_NONE;
    for (;;) {
        if (!skip_spin) {
            atomic_fetch_add(&p->nspinning, 1);
            uint64_t deadline = t0 + p->spin_ns;
            for (unsigned i = 1;; i++) {
                kind = grab(p, wk, t);
                if (kind != GRAB_NONE || ready(arg))
                    break;
                tpool__cpu_relax();
                if ((i & 63u) == 0 && tpool__now_ns() >= deadline)
                    break;
            }
            /* The last spinner to find work wakes a replacement, so that a
             * burst of pushes that each saw a spinner is not left to one. */
            if (atomic_fetch_sub(&p->nspinning, 1) == 1 && kind == GRAB_TASK)
                wake_any(p);
            if (kind != GRAB_NONE || ready(arg))
                break;
        }
        skip_spin = false;

        atomic_store(&wk->state, WS_PARKED);
        kind = grab(p, wk, t);
        if (kind != GRAB_NONE || ready(arg)) {
            atomic_store(&wk->state, WS_RUNNING);
            break;
        }
        add_relaxed(&wk->c.parks, 1);
        while (atomic_load(&wk->state) == WS_PARKED)
            tpool__futex_wait(&wk->state, WS_PARKED);
        t0 = tpool__now_ns(); /* a fresh spin budget after each wake */
    }
    return kind;
}

static bool exit_requested(void *arg)
{
    struct tpool *p = arg;
    return ld_acquire(&p->exit_now) != 0;
}

static void account(tpool__worker *wk, uint64_t *since, tpool__a64 *counter)
{
    uint64_t now = tpool__now_ns();
    add_relaxed(counter, now - *since);
    *since = now;
}

static void *worker_main(void *arg)
{
    tpool__worker *wk = arg;
    struct tpool *p = wk->pool;
    tpool__tls_pool = p;
    tpool__tls_slot = wk->index;

    uint64_t since = tpool__now_ns();
    bool skip_spin = false;
    for (;;) {
        tpool__task *t;
        int kind = grab(p, wk, &t);
        if (kind == GRAB_NONE) {
            if (exit_requested(p))
                break;
            account(wk, &since, &wk->c.busy_ns);
            kind = idle_wait(p, wk, exit_requested, p, &t, skip_spin);
            account(wk, &since, &wk->c.idle_ns);
            if (kind == GRAB_NONE)
                break;
        }
        skip_spin = false;
        do_grabbed(p, wk, kind, t);
        if (kind == GRAB_JOB && (p->job.flags & TPOOL_FLAG_YIELD_WORKERS))
            skip_spin = true;
    }
    account(wk, &since, &wk->c.busy_ns);
    return NULL;
}

/* Used by tpool_group_wait on a worker: waits (spinning, then parked) until
 * ready(arg), running whatever work appears meanwhile. */
void tpool__park_worker(struct tpool *p, unsigned w, bool (*ready)(void *), void *arg)
{
    tpool__worker *wk = &p->w[w];
    while (!ready(arg)) {
        tpool__task *t;
        int kind = idle_wait(p, wk, ready, arg, &t, false);
        if (kind == GRAB_NONE)
            return;
        do_grabbed(p, wk, kind, t);
    }
}

/* ---- creation ------------------------------------------------------------ */

static void free_pool(struct tpool *p)
{
    if (p->pstate)
        p->policy.ops.destroy(p->pstate);
    tpool__policy_unload(&p->policy);
    pthread_mutex_destroy(&p->job_lock);
    pthread_mutex_destroy(&p->root.lock);
    free(p->job.tiles);
    free(p->w);
    free(p->policy_name);
    free(p);
}

/* Stops and joins the first `n` workers. */
static void stop_workers(struct tpool *p, unsigned n)
{
    st_release(&p->exit_now, 1);
    fence_seq_cst();
    for (unsigned i = 0; i < n; i++)
        tpool__wake_worker(p, i);
    for (unsigned i = 0; i < n; i++)
        pthread_join(p->w[i].thread, NULL);
}

int tpool_create(const tpool_config *cfg, tpool **out, tpool_error *err)
{
    if (!out)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL, "tpool_create: out is NULL");
    *out = NULL;
    tpool_config *defaults = NULL;
    if (!cfg) {
        int rc = tpool_config_new(&defaults);
        if (rc)
            return tpool__error(err, rc, NULL, 0, 0, NULL, "cannot allocate a configuration");
        cfg = defaults;
    }

    int rc = TPOOL_ENOMEM;
    tpool_param_value *values = NULL;
    struct tpool *p = calloc(1, sizeof *p);
    if (!p) {
        tpool_config_free(defaults);
        return tpool__error(err, rc, NULL, 0, 0, NULL, "cannot allocate the pool");
    }
    pthread_mutex_init(&p->job_lock, NULL);
    tpool__group_init(&p->root, p);

    rc = tpool__policy_load(cfg, &p->policy, err);
    if (rc)
        goto fail;

    values = calloc(p->policy.ops.nparams + 1, sizeof *values);
    if (!values) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL, "cannot allocate parameters");
        goto fail;
    }
    rc = tpool__params_resolve(cfg, &p->policy.ops, values, err);
    if (rc)
        goto fail;

    p->threads = cfg->threads ? cfg->threads : tpool_default_threads();
    p->workers = p->threads > 1 ? p->threads - 1 : 1;
    p->spin_ns = (uint64_t)cfg->spin_us * 1000u;
    st_relaxed(&p->min_work_size, cfg->min_work_size ? cfg->min_work_size : 1);
    p->policy_name = strdup(p->policy.ops.name);
    p->w = aligned_alloc(TPOOL__CACHELINE, sizeof *p->w * p->workers);
    if (!p->policy_name || !p->w) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL, "cannot allocate %u workers",
                          p->workers);
        goto fail;
    }
    memset(p->w, 0, sizeof *p->w * p->workers);

    char errbuf[512] = "";
    tpool_policy_env env = {
        .workers = p->workers, .threads = p->threads, .params = values,
        .errbuf = errbuf, .errbuf_size = sizeof errbuf,
    };
    if (p->policy.ops.create(&env, &p->pstate) != 0 || !p->pstate) {
        p->pstate = NULL;
        rc = tpool__error(err, TPOOL_EPOLICY, cfg->source, 0, 0, "params",
                          "policy '%s' refused to start: %s", p->policy_name,
                          errbuf[0] ? errbuf : "create failed without a message");
        goto fail;
    }

    unsigned started = 0;
    for (; started < p->workers; started++) {
        tpool__worker *wk = &p->w[started];
        wk->index = started;
        wk->pool = p;
        int e = pthread_create(&wk->thread, NULL, worker_main, wk);
        if (e != 0) {
            stop_workers(p, started);
            rc = tpool__error(err, TPOOL_ETHREAD, NULL, 0, 0, "threads",
                              "cannot create worker thread %u of %u: %s", started + 1,
                              p->workers, strerror(e));
            goto fail;
        }
    }
    free(values);
    tpool_config_free(defaults);
    *out = p;
    return 0;

fail:
    free_pool(p);
    free(values);
    tpool_config_free(defaults);
    return rc;
}

static int create_from(tpool_config *cfg, int rc, tpool **out, tpool_error *err)
{
    if (rc == 0)
        rc = tpool_create(cfg, out, err);
    tpool_config_free(cfg);
    return rc;
}

int tpool_create_default(tpool **out, tpool_error *err)
{
    tpool_config *cfg = NULL;
    int rc = tpool_config_load_env(&cfg, err);
    return create_from(cfg, rc, out, err);
}

int tpool_create_from_file(const char *path, tpool **out, tpool_error *err)
{
    tpool_config *cfg = NULL;
    int rc = tpool_config_load_file(path, &cfg, err);
    if (rc == 0)
        rc = tpool_config_apply_env(cfg, err);
    return create_from(cfg, rc, out, err);
}

int tpool_create_from_text(const char *json, tpool **out, tpool_error *err)
{
    tpool_config *cfg = NULL;
    int rc = tpool_config_load_text(json, NULL, &cfg, err);
    if (rc == 0)
        rc = tpool_config_apply_env(cfg, err);
    return create_from(cfg, rc, out, err);
}

/* ---- destruction ------------------------------------------------------------ */

int tpool_destroy_ex(tpool *p, enum tpool_destroy_mode mode, size_t *cancelled)
{
    if (cancelled)
        *cancelled = 0;
    if (!p)
        return TPOOL_EINVAL;
    if (tpool__tls_pool == p)
        return TPOOL_EDEADLK;

    uint64_t before = ld_relaxed(&p->cancelled_total);
    if (mode == TPOOL_CANCEL) {
        /* Workers now cancel what they pop instead of running it; wake them
         * all so that every queue is emptied. */
        atomic_store(&p->cancelling, 1);
        for (unsigned i = 0; i < p->workers; i++)
            tpool__wake_worker(p, i);
    }
    /* Drain (or, cancelling, empty) everything; this thread helps. */
    tpool__group_wait(&p->root);
    stop_workers(p, p->workers);
    if (cancelled)
        *cancelled = (size_t)(ld_relaxed(&p->cancelled_total) - before);
    free_pool(p);
    return 0;
}

int tpool_destroy(tpool *p)
{
    return tpool_destroy_ex(p, TPOOL_DRAIN, NULL);
}

/* ---- accessors ------------------------------------------------------------ */

unsigned tpool_threads(const tpool *p)
{
    return p ? p->threads : 1;
}

const char *tpool_policy_name(const tpool *p)
{
    return p ? p->policy_name : NULL;
}

size_t tpool_get_min_work_size(const tpool *p)
{
    return p ? ld_relaxed(&((struct tpool *)p)->min_work_size) : 1;
}

void tpool_set_min_work_size(tpool *p, size_t items)
{
    if (p)
        st_relaxed(&p->min_work_size, items ? items : 1);
}
