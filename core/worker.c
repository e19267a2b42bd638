/*
 * worker.c - the pool's worker threads: their loop, finding work (and
 * running it: the tasks through task.c, the parallel-for jobs through
 * range.c), spinning then parking, and starting and stopping the threads.
 * The pushes and pops through the policy and the wakes are wake.c's, below
 * range.c and task.c; creating and destroying a pool is pool.c's; changing
 * the thread count is resize.c's.
 *
 * Parking (no lost wake-ups), owned here and by wake.c so that no policy
 * has to reason about it: a worker's state is its parking word (park.h). An idle worker
 * announces WS_PARKED (with a seq_cst fence) and then looks for work once
 * more; a pusher makes work visible (the policy's push), issues a seq_cst
 * fence and then unparks the worker the policy named (or one it finds
 * parked). Either the worker's look sees the work or the pusher sees
 * WS_PARKED and wakes it. Every other way a worker stops looking after a
 * push may have skipped it (the last spinner leaving, leave_spin) also
 * fences before its last look. Between the two fences the policy needs only
 * atomic accesses (or a lock) to its own state: any atomic store in push
 * that makes the task reachable is ordered before any atomic load of it in
 * the last pop by the fences alone.
 */
#define _GNU_SOURCE
#include "pool.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "fault.h"
#include "seats.h"
#include "worker_guard.h"

enum { GRAB_NONE = 0, GRAB_TASK = 1, GRAB_JOB = 2 };

/* ---- finding work ---------------------------------------------------------- */

/* A worker looks at an open range job it has not seen yet. Whether the job
 * has a participant index for it is decided in tpool__job_join: the job's
 * fields may only be read under the job's `active` count, since the next
 * caller rewrites them as soon as this job is closed. */
static bool job_waiting(struct tpool *p, tpool__worker *wk)
{
    uint64_t s = ld_acquire(&p->range.seq);
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
        t = (tpool__task *)p->team.policy.ops.pop(p->team.pstate, tpool__slot(p, wk->index));
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
 * (tpool__wake_any), so the task may sit queued while every other worker sleeps.
 * The fence after its fetch_sub of nspinning pairs with the pusher's fence
 * before its read of nspinning: either the pusher saw no spinner and woke
 * someone, or this look sees the task. (The seq_cst fetch_sub alone does
 * not order the policy's later relaxed loads; the fence does, so pop needs
 * none of its own.) A worker that may still take work takes it; one on its
 * way out (retired, or the pool is stopping) passes the wake on instead.
 */
static int leave_spin(struct tpool *p, tpool__worker *wk, tpool__task **t)
{
    if (ld_acquire(&wk->life) == LIFE_RETIRE || atomic_load(&p->mode.exit_now)) {
        tpool__wake_any(p);
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
    int kind = GRAB_NONE;
    for (;;) {
        if (!skip_spin) {
            atomic_fetch_add(&p->wakeup.nspinning, 1);
            /* A fresh budget after each wake; our seat goes to a thread
             * that waits for one (park.h: looked at every 64 turns). */
            tpool__spin spin;
            tpool__spin_init(&spin, p->mode.spin_ns, tpool__now_ns());
            tpool__spin_yield(&spin, &p->seats.word, TPOOL__SEAT_WANT_MASK, NULL);
            tpool__spin_crowd(&spin, tpool__seats_crowded, wk->frame);
            while ((kind = grab(p, wk, t)) == GRAB_NONE && !ready(arg)
                   && tpool__spin_again(&spin))
                ;
            /* The last spinner to find work wakes a replacement, so that a
             * burst of pushes that each saw a spinner is not left to one. */
            bool last = atomic_fetch_sub(&p->wakeup.nspinning, 1) == 1;
            if (last && kind == GRAB_TASK)
                tpool__wake_any(p);
            if (kind == GRAB_NONE && last && ready(arg))
                kind = leave_spin(p, wk, t);
            if (kind != GRAB_NONE || ready(arg))
                break;
        }
        skip_spin = false;

        tpool__park_prepare(&wk->state);
        kind = grab(p, wk, t);
        if (kind != GRAB_NONE || ready(arg)) {
            /* A pusher's wake meant for its own task, which this thread
             * will not take now: pass it on to another worker. */
            if (!tpool__park_cancel(&wk->state))
                tpool__wake_any(p);
            break;
        }
        add_relaxed(&wk->c.parks, 1);
        /* Never asleep seated: the last look above was made with the seat,
         * and work pushed after it wakes us (we are PARKED). */
        tpool__seats_release_all(tpool__tls_get());
        tpool__park(&wk->state);
        if (!tpool__seat_try(p) && !tpool__seat_wait(p, abandon, wk, NULL))
            return GRAB_NONE;
        wk->frame->seated = true;
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
    return atomic_load(&wk->pool->mode.exit_now) != 0 || atomic_load(&wk->life) == LIFE_RETIRE;
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
    tpool__word_wait(&wk->life, LIFE_PENDING);
    if (atomic_load(&wk->life) == LIFE_RETIRE) {
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

/* ---- threads ---------------------------------------------------------------- */

int tpool__alloc_worker(struct tpool *p, unsigned i)
{
    if (i < ld_relaxed(&p->team.nalloc))
        return 0;
    tpool__worker *wk = tpool__aligned_alloc(TPOOL__CACHELINE, sizeof *wk);
    if (!wk)
        return TPOOL_ENOMEM;
    memset(wk, 0, sizeof *wk);
    wk->index = i;
    wk->pool = p;
    p->team.w[i] = wk;
    st_release(&p->team.nalloc, i + 1); /* callers allocate in index order */
    return 0;
}

int tpool__start_worker(struct tpool *p, tpool__worker *wk, uint32_t life)
{
    atomic_store_explicit(&wk->state, WS_RUNNING, memory_order_relaxed);
    atomic_store_explicit(&wk->life, life, memory_order_relaxed);
    /* The configuration's stack_kb, for every worker, grown ones too. */
    pthread_attr_t attr_mem, *attr = tpool__worker_attr(p->changes.cfg, &attr_mem);
    int e = tpool__fault(TPOOL__FAULT_THREAD) ? EAGAIN
                                              : pthread_create(&wk->thread, attr, worker_main, wk);
    if (attr)
        pthread_attr_destroy(attr);
    wk->has_thread = e == 0;
    return e;
}

void tpool__stop_workers(struct tpool *p)
{
    unsigned n = ld_relaxed(&p->team.nalloc);
    st_release(&p->mode.exit_now, 1);
    fence_seq_cst();
    tpool__seats_wake_all(p); /* workers waiting for a seat look at exit_now */
    for (unsigned i = 0; i < n; i++) {
        tpool__worker *wk = p->team.w[i];
        /* A thread still PENDING (an abandoned grow) is told to go. */
        uint32_t pending = LIFE_PENDING;
        if (atomic_compare_exchange_strong(&wk->life, &pending, LIFE_RETIRE))
            tpool__word_wake(&wk->life, INT_MAX);
        tpool__wake_worker(p, i);
    }
    for (unsigned i = 0; i < n; i++) {
        if (p->team.w[i]->has_thread)
            pthread_join(p->team.w[i]->thread, NULL);
        p->team.w[i]->has_thread = false;
    }
}

