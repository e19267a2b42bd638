/*
 * elastic.c - the monitor of an elastic pool ("threads": {"min", "max",
 * "idle_ms"}): it grows T towards max while work backs up and shrinks it
 * towards min after idle_ms of idleness, through tpool__resize, the same
 * machinery as tpool_set_threads.
 *
 * Growing: a push that finds no parked and no spinning worker
 * (tpool__wake_any in wake.c) sets the word el.kick, once until the monitor
 * clears it, and wakes the monitor (tpool__elastic_kick). The monitor then adds one thread
 * at a time while there is a backlog: more unfinished tasks than workers
 * (so some are queued, not running) and no worker parked. A kick that finds
 * no backlog leaves the flag set for a millisecond, so that pushes to a busy
 * worker while others are parked cost the pushers no system call each; those
 * pushes signal nothing, so the monitor looks again when the millisecond is
 * over. No push goes unseen: one that finds the flag clear wakes the
 * monitor, one that finds it set is counted by the monitor's next look.
 *
 * Shrinking: while T > min the monitor also wakes every idle_ms (at least
 * 1 ms) and counts the workers that were parked at the previous look and are
 * still parked without having been woken since (their parks + wakes counters
 * unchanged): each has been idle for a whole period, and T drops by their
 * number, never below min. At T == min, with no kick, it sleeps without a
 * timeout, so an idle pool costs nothing.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>

#include "alloc.h"
#include "pool.h"

#define KICK_HOLD_NS 1000000u

/* Holds begun, in every pool: only tests read it (tpool__test_elastic_holds). */
static atomic_ulong holds_begun;

unsigned long tpool__test_elastic_holds(void)
{
    return atomic_load(&holds_begun);
}

/* parks + wakes of a worker that is parked now, else UINT64_MAX. */
static uint64_t parked_mark(tpool__worker *wk)
{
    if (atomic_load(&wk->state) != WS_PARKED)
        return UINT64_MAX;
    return ld_relaxed(&wk->c.parks) + ld_relaxed(&wk->c.wakes);
}

static void forget(struct tpool *p)
{
    for (unsigned i = 0; i < TPOOL_MAX_THREADS; i++)
        p->el.seen[i] = UINT64_MAX;
}

/* Work is queued that no worker has taken, and none is parked. */
static bool backlog(struct tpool *p)
{
    unsigned nw = ld_acquire(&p->team.workers);
    if (tpool__root_pending(p) <= nw)
        return false;
    for (unsigned i = 0; i < nw; i++)
        if (atomic_load(&p->team.w[i]->state) == WS_PARKED)
            return false;
    return true;
}

/* Grows while there is a backlog; returns whether it grew. */
static bool grow(struct tpool *p)
{
    unsigned t;
    bool grew = false;
    while (!atomic_load(&p->el.stop) && (t = ld_relaxed(&p->team.threads)) < p->el.max
           && backlog(p)) {
        if (tpool__resize(p, t + 1) != 0)
            break; /* no thread or memory now: the next kick tries again */
        grew = true;
    }
    forget(p);
    return grew;
}

/* Retires the workers found idle for a whole period. */
static void shrink(struct tpool *p)
{
    unsigned nw = ld_acquire(&p->team.workers), idle = 0;
    for (unsigned i = 0; i < nw; i++) {
        uint64_t mark = parked_mark(p->team.w[i]);
        idle += mark != UINT64_MAX && mark == p->el.seen[i];
        p->el.seen[i] = mark;
    }
    unsigned t = ld_relaxed(&p->team.threads);
    if (idle == 0 || t <= p->el.min)
        return;
    unsigned target = t - p->el.min > idle ? t - idle : p->el.min;
    if (tpool__resize(p, target) == 0)
        forget(p); /* slots moved: start the count again */
}

/*
 * After a kick without a backlog (pushes to a busy worker while others are
 * parked, as a policy that pins tasks makes): keeps the flag set for a
 * millisecond, so that such pushes do not wake the monitor one by one. A
 * burst pushed meanwhile signalled nothing and may never be followed by
 * another push: look again once the flag is clear.
 */
static void hold_kicks(struct tpool *p)
{
    atomic_store(&p->el.kick, 1);
    atomic_fetch_add_explicit(&holds_begun, 1, memory_order_release);
    tpool__word_wait_ns(&p->el.kick, 1, KICK_HOLD_NS);
    atomic_store(&p->el.kick, 0);
    /* Pairs with the pusher's fence between queuing its task and reading
     * el.kick: a push that read the flag as set is seen by this look, one
     * that reads it clear kicks again. */
    fence_seq_cst();
    (void)grow(p);
}

static void *monitor_main(void *arg)
{
    struct tpool *p = arg;
    uint64_t period = p->el.idle_ns > 1000000u ? p->el.idle_ns : 1000000u;
    while (!atomic_load(&p->el.stop)) {
        if (atomic_exchange(&p->el.kick, 0)) {
            if (!grow(p))
                hold_kicks(p);
            continue;
        }
        if (ld_relaxed(&p->team.threads) > p->el.min) {
            tpool__word_wait_ns(&p->el.kick, 0, period);
            if (atomic_load(&p->el.kick) == 0 && !atomic_load(&p->el.stop))
                shrink(p);
        } else {
            tpool__word_wait(&p->el.kick, 0);
        }
    }
    return NULL;
}

int tpool__elastic_start(struct tpool *p)
{
    if (!p->el.max)
        return 0;
    p->el.seen = tpool__malloc(TPOOL_MAX_THREADS * sizeof *p->el.seen);
    if (!p->el.seen)
        return TPOOL_ENOMEM;
    forget(p);
    if (pthread_create(&p->el.thread, NULL, monitor_main, p) != 0) {
        tpool__free(p->el.seen);
        p->el.seen = NULL;
        return TPOOL_ETHREAD;
    }
    p->el.running = true;
    return 0;
}

void tpool__elastic_stop(struct tpool *p)
{
    if (p->el.running) {
        atomic_store(&p->el.stop, 1);
        atomic_store(&p->el.kick, 1);
        tpool__word_wake(&p->el.kick, INT_MAX);
        pthread_join(p->el.thread, NULL);
        p->el.running = false;
    }
    tpool__free(p->el.seen);
    p->el.seen = NULL;
}
