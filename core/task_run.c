/*
 * task_run.c - running a task and counting it finished in its groups, for
 * every thread that runs one: a worker (worker.c), a waiter that helps
 * (task.c), a deep waiter running its stash (task.c's "Deep nesting").
 * Below both: running calls only downward (the task cache, the tile path
 * of range.c, the pushes and wakes of wake.c), so the worker loop reaches
 * tasks without calling up into task.c. The group counting protocol is
 * written at the top of task.c.
 */
#define _GNU_SOURCE
#include "pool.h"

tpool__task *tpool__stash_pop(void)
{
    tpool__task *t = tpool__tl.stash;
    tpool__tl.stash = (tpool__task *)t->pub.next;
    t->pub.next = NULL;
    if (!tpool__tl.stash)
        tpool__tl.stash_pool = NULL;
    return t;
}

/* Back above the bound: the stash goes to the policy, oldest first. */
static void stash_flush(void)
{
    struct tpool *p = tpool__tl.stash_pool;
    tpool__task *oldest_first = NULL;
    while (tpool__tl.stash) {
        tpool__task *t = tpool__stash_pop();
        t->pub.next = oldest_first ? &oldest_first->pub : NULL;
        oldest_first = t;
    }
    unsigned from = tpool__slot_for(&tpool__tl, p);
    while (oldest_first) {
        tpool__task *t = oldest_first;
        oldest_first = (tpool__task *)t->pub.next;
        t->pub.next = NULL;
        tpool__push(p, t, from);
    }
}

uint64_t tpool__root_pending(struct tpool *p)
{
    /* Every finished count first, then every submitted one (the argument
     * is at the top of task.c). */
    uint64_t f = atomic_load(&p->tasks.outside.finished);
    for (unsigned i = 0, n = ld_acquire(&p->team.nalloc); i < n; i++)
        f += atomic_load(&p->team.w[i]->root.finished);
    uint64_t s = atomic_load(&p->tasks.outside.submitted);
    for (unsigned i = 0, n = ld_acquire(&p->team.nalloc); i < n; i++)
        s += atomic_load(&p->team.w[i]->root.submitted);
    return s - f;
}

static void wake_waiters(struct tpool_group *g)
{
    pthread_mutex_lock(&g->lock);
    for (tpool__waiter *wt = g->waiters; wt; wt = wt->next) {
        if (wt->worker >= 0)
            tpool__wake_worker(g->pool, (unsigned)wt->worker);
        else
            tpool__unpark(&wt->word);
    }
    pthread_mutex_unlock(&g->lock);
}

/* One task of user group `g` finished. Counted with one seq_cst
 * read-modify-write of `finished`, whose old value says whether a waiter
 * is registered (TPOOL__FIN_WAIT; the protocol is at the top of task.c).
 * Only then does the finisher touch the group again (to see whether it was
 * the last, and wake the waiters), and it counts itself busy in the same
 * write (TPOOL__FIN_BUSY) until it is done with the group:
 * tpool_group_wait waits for that before it returns. */
void tpool__group_finish(struct tpool_group *g, bool cancelled)
{
    uint64_t add, old = atomic_load_explicit(&g->finished, memory_order_relaxed);
    if (cancelled)
        add_relaxed(&g->cancelled, 1);
    do
        add = TPOOL__FIN_ONE + ((old & TPOOL__FIN_WAIT) ? TPOOL__FIN_BUSY : 0);
    while (!atomic_compare_exchange_weak(&g->finished, &old, old + add));
    if (!(old & TPOOL__FIN_WAIT))
        return; /* no waiter: the group may be gone already */
    uint64_t f = old + add;
    if ((((f >> TPOOL__FIN_SHIFT) ^ atomic_load(&g->submitted))
         & (UINT64_MAX >> TPOOL__FIN_SHIFT)) == 0)
        wake_waiters(g);
    atomic_fetch_sub_explicit(&g->finished, TPOOL__FIN_BUSY, memory_order_release);
}

/* One task finished in slot index `slot`, counted in the root group: the
 * slot's own count, then a look at `nwaiters` (Dekker, top of task.c).
 * The root group needs no busy guard: it lives as long as the workers. */
void tpool__root_finish(struct tpool *p, unsigned slot, bool cancelled)
{
    struct tpool_group *g = &p->tasks.root;
    if (cancelled)
        add_relaxed(&g->cancelled, 1);
    atomic_fetch_add(&tpool__root_count_of(p, slot)->finished, 1);
    if (atomic_load(&g->nwaiters) != 0 && tpool__root_pending(p) == 0)
        wake_waiters(g);
}

void tpool__run_task(struct tpool *p, tpool__task *t, unsigned slot)
{
    if (t->kind == TASK_TILE) {
        tpool__run_tile(p, t, slot);
        return;
    }
    bool cancel = atomic_load_explicit(&p->mode.cancelling, memory_order_relaxed) != 0;
    tpool_complete_fn done = t->on_complete;
    tpool_task_fn fn = t->fn;
    void *arg = t->arg;
    struct tpool_group *g = t->group;
    tpool__task_free(t);

    if (!cancel) {
        tpool__tls *tl = tpool__tls_get();
        tpool__running running = { tl->running, p, g };
        tl->running = &running;
        tl->depth++;
        fn(arg);
        tl->running = running.up;
        if (--tl->depth < TPOOL__DEEP && tl->stash)
            stash_flush();
        add_relaxed(&tpool__counters_of(p, slot)->tasks_run, 1);
    } else {
        add_relaxed(&p->tasks.cancelled_total, 1);
    }
    if (done)
        done(arg, cancel ? TPOOL_ECANCELED : 0);
    if (g)
        tpool__group_finish(g, cancel);
    tpool__root_finish(p, slot, cancel);
}
