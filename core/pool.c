/*
 * pool.c - the pool's threads: creation, the worker loop, spinning then
 * parking, waking, and destruction (drain or cancel). Changing the thread
 * count at run time is in resize.c.
 *
 * Parking protocol (no lost wake-ups), owned here so that no policy has to
 * reason about it: a worker publishes WS_PARKED, issues a seq_cst fence and
 * then looks for work once more; a pusher makes work visible (the policy's
 * push), issues a seq_cst fence and then reads the worker's state. Either
 * the worker sees the work or the pusher sees WS_PARKED, moves it to
 * WS_RUNNING by CAS and futex-wakes it. Every other way a worker stops
 * looking after a push may have skipped it (the last spinner leaving,
 * leave_spin) also fences before its last look. Between the two fences the
 * policy needs only atomic accesses (or a lock) to its own state: any
 * atomic store in push that makes the task reachable is ordered before any
 * atomic load of it in the last pop by the fences alone.
 */
#define _GNU_SOURCE
#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "record.h"
#include "seats.h"
#include "worker_guard.h"
#include "fault_alloc.h" /* last: allocations go through the fault point */

#ifdef TPOOL__TSAN
tpool__a32 tpool__tsan_fence_word;
#endif

_Thread_local tpool__tls tpool__tl;

/* ---- fork ------------------------------------------------------------------
 *
 * The process-wide locks (the loader's and the thread registry's) are taken
 * before fork() copies the process, so that the child never inherits one
 * held by a thread it does not have; the parent releases them, the child
 * re-initialises them, resets the registry and bumps tpool__fork_gen, which
 * marks every pool and group that existed at the fork as inherited
 * (tpool__forked). Pools need no list for it: each compares its own
 * fork_gen, on a read-mostly line, with that global, which only a forked
 * child writes (submit does so; the other checks are on slow paths). The
 * pools'
 * own locks (job_lock, group locks, the policy's) are not taken in prepare:
 * an inherited pool is never used in the child, only freed.
 */
unsigned tpool__fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
    tpool__loader_fork_prepare();
    tpool__registry_fork_prepare();
}

static void fork_parent(void)
{
    tpool__registry_fork_parent();
    tpool__loader_fork_parent();
}

static void fork_child(void)
{
    tpool__registry_fork_child();
    tpool__loader_fork_child();
    tpool__fork_gen++;
}

static void fork_register(void)
{
    /* Fails only without memory; the child then keeps the locks as the
     * fork found them, as before this handler existed. */
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void tpool__fork_init(void)
{
    pthread_once(&fork_once, fork_register);
}

enum { GRAB_NONE = 0, GRAB_TASK = 1, GRAB_JOB = 2 };

/* ---- waking -------------------------------------------------------------- */

bool tpool__wake_worker(struct tpool *p, unsigned w)
{
    tpool__worker *wk = tpool__worker_at(p, w);
    uint32_t expected = WS_PARKED;
    /* seq_cst load: it must see a WS_PARKED that precedes, in the seq_cst
     * order, the waker's publication of the work (see the top comment). */
    if (atomic_load(&wk->state) == WS_PARKED
        && atomic_compare_exchange_strong(&wk->state, &expected, WS_RUNNING)) {
        add_relaxed(&wk->c.wakes, 1);
        tpool__futex_wake(&wk->state, 1);
        return true;
    }
    return false;
}

/* Wakes one parked worker unless one is spinning already (it will find the
 * work). The scan starts at a rotating index so wakes spread over workers. */
static void wake_any(struct tpool *p)
{
    if (atomic_load(&p->nspinning) > 0)
        return;
    /* A plain load and store, not a read-modify-write: pushers that race
     * here only start their scans at the same worker. */
    unsigned start = ld_relaxed(&p->wake_cursor);
    st_relaxed(&p->wake_cursor, start + 1);
    unsigned nw = ld_acquire(&p->workers);
    for (unsigned k = 0, w = start % nw; k < nw; k++, w = w + 1 == nw ? 0 : w + 1) {
        tpool__worker *wk = tpool__worker_at(p, w);
        uint32_t expected = WS_PARKED;
        if (atomic_load(&wk->state) == WS_PARKED
            && atomic_compare_exchange_strong(&wk->state, &expected, WS_RUNNING)) {
            add_relaxed(&wk->c.wakes, 1);
            tpool__futex_wake(&wk->state, 1);
            return;
        }
    }
    tpool__elastic_kick(p); /* every worker is busy: the work backs up */
}

void tpool__wake_target(struct tpool *p, int target)
{
    if (target >= 0 && (unsigned)target < ld_acquire(&p->workers)) {
        /* An elastic pool hears of a push to a busy worker (the monitor
         * then looks for a backlog). */
        bool busy = p->el_max
                    && atomic_load(&tpool__worker_at(p, (unsigned)target)->state) != WS_PARKED;
        tpool__wake_worker(p, (unsigned)target);
        if (busy && atomic_load(&p->nspinning) == 0)
            tpool__elastic_kick(p);
    } else if (target <= TPOOL_WAKE_PREFER(0)) {
        /* Not asleep means awake (it finds the task, or is busy and someone
         * else should take it) or about to make its last look, which the
         * fence before this call makes see the task: any idle worker will
         * do. */
        unsigned w = (unsigned)(TPOOL_WAKE_PREFER(0) - target);
        if (w >= ld_acquire(&p->workers) || !tpool__wake_worker(p, w))
            wake_any(p);
    } else if (target != TPOOL_WAKE_NONE) {
        wake_any(p); /* TPOOL_WAKE_ANY, or an out-of-range answer */
    }
}

void tpool__push(struct tpool *p, tpool__task *t, unsigned from)
{
    /* The wake stays inside the gate: it reads W, which a resize changes. */
    tpool__thread_rec *rec = tpool__enter(p);
    int target = p->policy.ops.push(p->pstate, &t->pub, tpool__slot(p, from));
    fence_seq_cst();
    tpool__wake_target(p, target);
    tpool__leave(rec);
}

tpool__task *tpool__pop(struct tpool *p, unsigned idx)
{
    tpool__thread_rec *rec = tpool__enter(p);
    tpool__task *t = (tpool__task *)p->policy.ops.pop(p->pstate, tpool__slot(p, idx));
    tpool__leave(rec);
    return t;
}

/* ---- finding work ---------------------------------------------------------- */

/* A worker looks at an open range job it has not seen yet. Whether the job
 * has a participant index for it is decided in tpool__job_join: the job's
 * fields may only be read under the job's `active` count, since the next
 * caller rewrites them as soon as this job is closed. */
static bool job_waiting(struct tpool *p, tpool__worker *wk)
{
    uint64_t s = ld_acquire(&p->job_seq);
    return (s & 1u) && s != ld_relaxed(&wk->seen_job);
}

/* Pops for worker wk unless a shrink has retired it. The look that decides
 * is inside the gate: a shrink marks the workers it retires while the gate
 * is closed (resize.c), so a pop that enters after the shrink sees the mark.
 * Looking only before entering left a window: a worker spinning for work
 * during a shrink looked, waited at the closed gate, then popped from the
 * outside slot, taking a task submitted after the shrink. */
static tpool__task *pop_unless_retired(struct tpool *p, tpool__worker *wk)
{
    tpool__thread_rec *rec = tpool__enter(p);
    tpool__task *t = NULL;
    if (ld_relaxed(&wk->life) != LIFE_RETIRE)
        t = (tpool__task *)p->policy.ops.pop(p->pstate, tpool__slot(p, wk->index));
    tpool__leave(rec);
    return t;
}

/* Looks for work as worker wk, which holds a seat. */
static int grab(struct tpool *p, tpool__worker *wk, tpool__task **t)
{
    /* A retired worker takes no new work: it is on its way out, and a grow
     * that reuses its slot waits for it. (A shortcut; see above.) */
    if (ld_acquire(&wk->life) == LIFE_RETIRE)
        return GRAB_NONE;
    if (job_waiting(p, wk))
        return GRAB_JOB;
    *t = pop_unless_retired(p, wk);
    return *t ? GRAB_TASK : GRAB_NONE;
}

/* Returns the flags of the range job it took part in (0 for a task). */
static uint32_t do_grabbed(struct tpool *p, tpool__worker *wk, int kind, tpool__task *t)
{
    if (kind == GRAB_JOB)
        return tpool__job_join(p, wk->index);
    tpool__run_task(p, t, wk->index);
    return 0;
}

bool tpool__find_work(struct tpool *p, unsigned slot)
{
    tpool__task *t;
    tpool__worker *wk = tpool__worker_at(p, slot);
    int kind = grab(p, wk, &t);
    if (kind == GRAB_NONE)
        return false;
    do_grabbed(p, wk, kind, t);
    return true;
}

/*
 * The last spinner leaves without work because ready() holds (its group is
 * done, or it must exit). A push that saw it spinning skipped its wake
 * (wake_any), so the task may sit queued while every other worker sleeps.
 * The fence after its fetch_sub of nspinning pairs with the pusher's fence
 * before its read of nspinning: either the pusher saw no spinner and woke
 * someone, or this look sees the task. (The seq_cst fetch_sub alone does
 * not order the policy's later relaxed loads; the fence does, so pop needs
 * none of its own.) A worker that may still take work takes it; one on its
 * way out (retired, or the pool is stopping) passes the wake on instead.
 */
static int leave_spin(struct tpool *p, tpool__worker *wk, tpool__task **t)
{
    if (ld_acquire(&wk->life) == LIFE_RETIRE || atomic_load(&p->exit_now)) {
        wake_any(p);
        return GRAB_NONE;
    }
    fence_seq_cst();
    return grab(p, wk, t);
}

/*
 * Waits for work as worker `wk`, which holds a seat: spins for the spin
 * budget (or until a thread waits for a seat), then parks, giving its seat
 * back. Returns GRAB_NONE as soon as ready(arg) holds, else what it grabbed,
 * holding a seat. After a wake-up it takes a seat again, waiting for one if
 * need be; with `abandon` it gives up (GRAB_NONE, no seat) once
 * abandon(arg) holds.
 */
static int idle_wait(struct tpool *p, tpool__worker *wk, bool (*ready)(void *),
                     void *arg, tpool__task **t, bool skip_spin, bool (*abandon)(void *))
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
                /* Every 64 turns, not every turn: a read of the seat word
                 * on each turn would pull its line away from the next
                 * parallel-for caller's compare-and-swap on every call. A
                 * thread waiting for our seat waits that much longer. */
                if ((i & 63u) == 0 && (tpool__seat_wanted(p) || tpool__now_ns() >= deadline))
                    break;
            }
            /* The last spinner to find work wakes a replacement, so that a
             * burst of pushes that each saw a spinner is not left to one. */
            bool last = atomic_fetch_sub(&p->nspinning, 1) == 1;
            if (last && kind == GRAB_TASK)
                wake_any(p);
            if (kind == GRAB_NONE && last && ready(arg))
                kind = leave_spin(p, wk, t);
            if (kind != GRAB_NONE || ready(arg))
                break;
        }
        skip_spin = false;

        atomic_store(&wk->state, WS_PARKED);
        fence_seq_cst(); /* pairs with the pusher's fence (top of file) */
        kind = grab(p, wk, t);
        if (kind != GRAB_NONE || ready(arg)) {
            /* A pusher may have moved us to RUNNING meanwhile, meaning a
             * wake for its own task: this thread is busy now, so pass the
             * wake on to another worker. */
            uint32_t parked = WS_PARKED;
            if (!atomic_compare_exchange_strong(&wk->state, &parked, WS_RUNNING))
                wake_any(p);
            break;
        }
        add_relaxed(&wk->c.parks, 1);
        /* Never asleep seated: the last look above was made with the seat,
         * and work pushed after it wakes us (we are PARKED). */
        tpool__seats_release_all(tpool__tls_get());
        while (atomic_load(&wk->state) == WS_PARKED)
            tpool__futex_wait(&wk->state, WS_PARKED);
        if (!tpool__seat_try(p) && !tpool__seat_wait(p, abandon, wk, NULL))
            return GRAB_NONE;
        wk->frame->seated = true;
        t0 = tpool__now_ns(); /* a fresh spin budget after each wake */
    }
    return kind;
}

/* The worker leaves its loop: the pool is going away, or a shrink retired
 * its slot. */
static bool exit_requested(void *arg)
{
    tpool__worker *wk = arg;
    /* seq_cst: paired with the store of WS_PARKED before the last look (the
     * stopper stores the flag, then reads `state`). */
    return atomic_load(&wk->pool->exit_now) != 0 || atomic_load(&wk->life) == LIFE_RETIRE;
}

static void *worker_main(void *arg)
{
    tpool__worker *wk = arg;
    struct tpool *p = wk->pool;
    tpool__tls *tl = tpool__tls_get();
    tpool__frame frame;
    tpool__frame_push(tl, &frame, p, wk->index, false);
    wk->frame = &frame;

    /* A grow starts its threads before it publishes them (resize.c). */
    uint32_t life;
    while ((life = atomic_load(&wk->life)) == LIFE_PENDING)
        tpool__futex_wait(&wk->life, LIFE_PENDING);
    if (life == LIFE_RETIRE) {
        tl->top = NULL;
        return NULL;
    }
    tpool__worker_guard_arm(wk->index); /* a task that ends this thread aborts */

    /* Work may have been pushed before this thread existed (the pushers
     * found nobody to wake): look once, seated. */
    tpool__frame_clock(&frame, false);
    frame.seated = tpool__seat_wait(p, exit_requested, wk, NULL);
    bool skip_spin = false;
    while (frame.seated) {
        tpool__task *t;
        int kind = grab(p, wk, &t);
        if (kind == GRAB_NONE) {
            if (exit_requested(wk))
                break;
            tpool__frame_mark(&frame, false);
            kind = idle_wait(p, wk, exit_requested, wk, &t, skip_spin, exit_requested);
            if (kind == GRAB_NONE)
                break;
        }
        tpool__frame_mark(&frame, true);
        skip_spin = (do_grabbed(p, wk, kind, t) & TPOOL_FLAG_YIELD_WORKERS) != 0;
    }
    tpool__frame_close(&frame);
    if (frame.seated)
        tpool__seat_release(p);
    tl->top = NULL;
    tpool__worker_guard_disarm();
    return NULL;
}

/* Used by tpool_group_wait on a worker: waits (spinning, then parked) until
 * ready(arg), running whatever work appears meanwhile; returns seated. The
 * waiting counts as idle, not as the waiting task's busy time. */
void tpool__park_worker(struct tpool *p, unsigned w, bool (*ready)(void *), void *arg)
{
    tpool__worker *wk = tpool__worker_at(p, w);
    tpool__frame_mark(wk->frame, false);
    while (!ready(arg)) {
        tpool__task *t;
        int kind = idle_wait(p, wk, ready, arg, &t, false, NULL);
        if (kind == GRAB_NONE)
            break;
        tpool__frame_mark(wk->frame, true);
        do_grabbed(p, wk, kind, t);
        tpool__frame_mark(wk->frame, false);
    }
    tpool__frame_mark(wk->frame, true);
}

/* ---- creation ------------------------------------------------------------ */

static void free_pool(struct tpool *p)
{
    if (p->pstate) {
        tpool__tiles_drain(p);
        p->policy.ops.destroy(p->pstate);
    }
    tpool__policy_unload(&p->policy);
    tpool__retired_free(p);
    tpool_config_free(p->cfg);
    pthread_mutex_destroy(&p->job_lock);
    pthread_mutex_destroy(&p->root.lock);
    tpool__job_free(p);
    if (p->w)
        for (unsigned i = 0, n = ld_relaxed(&p->nalloc); i < n; i++)
            free(p->w[i]);
    free(p->w);
    free(p->params);
    free(p);
}

int tpool__alloc_worker(struct tpool *p, unsigned i)
{
    if (i < ld_relaxed(&p->nalloc))
        return 0;
    tpool__worker *wk = aligned_alloc(TPOOL__CACHELINE, sizeof *wk);
    if (!wk)
        return TPOOL_ENOMEM;
    memset(wk, 0, sizeof *wk);
    wk->index = i;
    wk->pool = p;
    p->w[i] = wk;
    st_release(&p->nalloc, i + 1); /* callers allocate in index order */
    return 0;
}

int tpool__start_worker(struct tpool *p, tpool__worker *wk, uint32_t life)
{
    atomic_store_explicit(&wk->state, WS_RUNNING, memory_order_relaxed);
    atomic_store_explicit(&wk->life, life, memory_order_relaxed);
    /* The configuration's stack_kb, for every worker, grown ones too. */
    pthread_attr_t attr_mem, *attr = tpool__worker_attr(p->cfg, &attr_mem);
    int e = tpool__fault(TPOOL__FAULT_THREAD) ? EAGAIN
                                              : pthread_create(&wk->thread, attr, worker_main, wk);
    if (attr)
        pthread_attr_destroy(attr);
    wk->has_thread = e == 0;
    return e;
}

/* Stops and joins every worker thread, retired ones included. */
static void stop_workers(struct tpool *p)
{
    unsigned n = ld_relaxed(&p->nalloc);
    st_release(&p->exit_now, 1);
    fence_seq_cst();
    tpool__seats_wake_all(p); /* workers waiting for a seat look at exit_now */
    for (unsigned i = 0; i < n; i++) {
        tpool__worker *wk = p->w[i];
        /* A thread still PENDING (an abandoned grow) is told to go. */
        uint32_t pending = LIFE_PENDING;
        if (atomic_compare_exchange_strong(&wk->life, &pending, LIFE_RETIRE))
            tpool__futex_wake_all(&wk->life);
        tpool__wake_worker(p, i);
    }
    for (unsigned i = 0; i < n; i++) {
        if (p->w[i]->has_thread)
            pthread_join(p->w[i]->thread, NULL);
        p->w[i]->has_thread = false;
    }
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
    struct tpool *p = calloc(1, sizeof *p);
    if (!p) {
        tpool_config_free(defaults);
        return tpool__error(err, rc, NULL, 0, 0, NULL, "cannot allocate the pool");
    }
    tpool__fork_init();
    p->fork_gen = tpool__fork_gen;
    pthread_mutex_init(&p->job_lock, NULL);
    tpool__group_init(&p->root, p);

    rc = tpool__policy_load(cfg, &p->policy, err);
    if (rc)
        goto fail;

    /* Kept for the life of the pool: a resize may create the state anew. */
    p->params = calloc(p->policy.ops.nparams + 1, sizeof *p->params);
    if (!p->params) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL, "cannot allocate parameters");
        goto fail;
    }
    rc = tpool__params_resolve(cfg, &p->policy.ops, p->params, err);
    if (rc)
        goto fail;

    unsigned threads = cfg->threads ? cfg->threads : tpool_default_threads();
    unsigned workers = threads > 1 ? threads - 1 : 1;
    atomic_init(&p->threads, threads);
    atomic_init(&p->seats, tpool__seat_word(threads, 0));
    atomic_init(&p->peak_threads, threads);
    p->el_min = cfg->threads;
    p->el_max = cfg->threads_max;
    p->el_idle_ns = (uint64_t)cfg->idle_ms * 1000000u;
    atomic_init(&p->workers, workers);
    p->spin_ns = (uint64_t)cfg->spin_us * 1000u;
    st_relaxed(&p->min_work_size, cfg->min_work_size ? cfg->min_work_size : 1);
    atomic_init(&p->policy_name, p->policy.ops.name);
    atomic_init(&p->stamp_submit, !(p->policy.ops.flags & TPOOL_POLICY_NO_SUBMIT_TIME));
    if (tpool_config_copy(cfg, &p->cfg) != 0) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL,
                          "cannot allocate a copy of the configuration");
        goto fail;
    }
    /* w[] has a slot for every worker a pool may have: the configuration
     * and the default count keep T within the limit (checked again here,
     * since a count beyond it would write past w[]). */
    if (threads > TPOOL_MAX_THREADS) {
        rc = tpool__error(err, TPOOL_EINVAL, cfg->source, 0, 0, "threads",
                          "%u threads is above the limit of %d", threads, TPOOL_MAX_THREADS);
        goto fail;
    }
    p->w = calloc(TPOOL_MAX_THREADS, sizeof *p->w);
    if (!p->w) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL, "cannot allocate %u workers",
                          workers);
        goto fail;
    }
    for (unsigned i = 0; i < workers; i++) {
        if (tpool__alloc_worker(p, i) != 0) {
            rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL,
                              "cannot allocate %u workers", workers);
            goto fail;
        }
    }

    char errbuf[512] = "";
    tpool_policy_env env = tpool__policy_env(workers, threads, p->params, errbuf, sizeof errbuf);
    if (tpool__fault(TPOOL__FAULT_ALLOC)) /* as if the policy ran out of memory */
        snprintf(errbuf, sizeof errbuf, "out of memory (injected fault)");
    else if (p->policy.ops.create(&env, &p->pstate) != 0)
        p->pstate = NULL;
    if (!p->pstate) {
        p->pstate = NULL;
        rc = tpool__error(err, TPOOL_EPOLICY, cfg->source, 0, 0, "params",
                          "policy '%s' refused to start: %s", p->policy.ops.name,
                          errbuf[0] ? errbuf : "create failed without a message");
        goto fail;
    }

    for (unsigned i = 0; i < workers; i++) {
        int e = tpool__start_worker(p, p->w[i], LIFE_ACTIVE);
        if (e != 0) {
            stop_workers(p);
            rc = tpool__error(err, TPOOL_ETHREAD, NULL, 0, 0, "threads",
                              "cannot create worker thread %u of %u: %s", i + 1,
                              workers, strerror(e));
            goto fail;
        }
    }
    if (tpool__elastic_start(p) != 0) {
        stop_workers(p);
        rc = tpool__error(err, TPOOL_ETHREAD, NULL, 0, 0, "threads",
                          "cannot create the elastic pool's monitor thread");
        goto fail;
    }
    if ((p->rec = tpool__rec_pool_begin(p, cfg)) != 0)
        atomic_fetch_or(&p->seats, TPOOL__SEAT_RECORDED); /* calls take the slow path */
    tpool_config_free(defaults);
    *out = p;
    return 0;

fail:
    free_pool(p);
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

/*
 * Destroys a pool inherited through fork(): its workers do not exist in this
 * process, and its policy state and locks are as other threads left them at
 * the fork (a queue half-linked, a mutex held). So nothing of the policy's is
 * touched (no pop, no destroy: its state and the tasks queued in it are
 * leaked, never run, their on_complete never called) and no lock is taken or
 * destroyed; what belongs to the core alone is freed.
 */
static void free_forked_pool(struct tpool *p)
{
    tpool__policy_unload(&p->policy); /* the loader's lock is fresh here */
    tpool__job_free(p);
    for (unsigned i = 0, n = ld_relaxed(&p->nalloc); i < n; i++)
        free(p->w[i]);
    free(p->w);
    free(p->params);
    free(p->el_seen); /* the elastic monitor thread does not exist here */
    tpool__retired_free(p);
    tpool_config_free(p->cfg);
    free(p);
}

int tpool_destroy_ex(tpool *p, enum tpool_destroy_mode mode, size_t *cancelled)
{
    if (cancelled)
        *cancelled = 0;
    if (!p)
        return TPOOL_EINVAL;
    if (tpool__works_for(p))
        return TPOOL_EDEADLK;
    if (tpool__forked(p)) {
        free_forked_pool(p);
        return 0;
    }

    uint64_t t0 = p->rec ? tpool__now_ns() : 0; /* the destroy, in the record */
    tpool__elastic_stop(p); /* the pool keeps its size while it drains */
    uint64_t before = ld_relaxed(&p->cancelled_total);
    if (mode == TPOOL_CANCEL) {
        /* Workers now cancel what they pop instead of running it; wake them
         * all so that every queue is emptied. */
        atomic_store(&p->cancelling, 1);
        for (unsigned i = 0, n = ld_acquire(&p->workers); i < n; i++)
            tpool__wake_worker(p, i);
    }
    /* Drain (or, cancelling, empty) everything; this thread helps. */
    tpool__group_wait(&p->root);
    stop_workers(p);
    if (cancelled)
        *cancelled = (size_t)(ld_relaxed(&p->cancelled_total) - before);
    if (p->rec)
        tpool__rec_pool_end(p, t0);
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
    return p ? ld_relaxed(&((struct tpool *)p)->threads) : 1;
}

const char *tpool_policy_name(const tpool *p)
{
    return p ? atomic_load_explicit(&((struct tpool *)p)->policy_name, memory_order_acquire)
             : NULL;
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
