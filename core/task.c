/*
 * task.c - submitting and cancelling tasks; groups and waiting. Running a
 * task and counting it finished is task_run.c's, below the worker loop
 * (worker.c), which this file's waits call to run other work meanwhile.
 *
 * Every task is counted in the pool's root group and, if it has one, in its
 * own group: submitted before it is queued, finished when it finished
 * (ran or was cancelled; pool.h). The finisher that makes the two equal
 * unparks the registered waiters (park.h: each sleeps on a parking word,
 * an outside waiter on its own, a worker on its state).
 *
 * A user group keeps its two counts in two words, `submitted` and
 * `finished` (task_state.h). The first waiter to register (under the
 * group lock) sets TPOOL__FIN_WAIT in `finished` with a seq_cst
 * read-modify-write before its last look at the counts, and the last to
 * leave clears it; a finisher's own read-modify-write of `finished`
 * returns the bit. The two writes to the one word are ordered: either the
 * waiter's look counts the finisher's task, or the finisher sees the bit
 * and checks whether it was the last. So a waiter is never left asleep,
 * and while no one waits a finisher makes one write and does not read
 * `submitted` (the submitter's line) at all.
 *
 * The root group counts every task, so its counts are kept per slot
 * (task_state.h): a thread adds to its own slot's pair, with a seq_cst
 * read-modify-write that no other thread contends for while workers keep
 * to their slots. tpool__root_pending (task_run.c) sums the `finished`
 * of every slot first, then the `submitted` of every slot. A task is
 * counted submitted before it can finish, and its submission happens
 * before the finish (through the policy's queue), which happens before
 * the load that reads the finish; so the submitted sum counts the
 * submission of every task the finished sum counts, the difference is
 * never negative, and 0 means that every task submitted before the first
 * load (and every one whose finish was read) had finished: the pool was
 * idle when the first load was made. Slots added by a grow while the sum is made are covered: a
 * worker's pair exists, and `team.nalloc` covers it (release), before the
 * worker's thread starts, and the second pass reads nalloc again.
 * Waiters on the root register in `nwaiters` with a seq_cst
 * read-modify-write before their last look at the sums; a finisher loads
 * `nwaiters` (seq_cst) after its own count's read-modify-write (Dekker):
 * either the waiter's sum counts the finish, or the finisher sees the
 * waiter, makes the sum itself, and wakes the waiters if it is 0. While
 * no one waits a root finish is one uncontended write and one load of a
 * read-mostly line.
 *
 * Deep nesting. A thread waiting on a group runs other tasks meanwhile, one
 * stack level deeper each time, and which tasks is the policy's choice: in
 * FIFO order a waiter takes the oldest task, whose own wait takes the next
 * oldest, so the nesting grows with the queue (fork-join fib(24) overflowed
 * an 8 MiB stack). So, for every policy: a thread nested TPOOL__DEEP tasks
 * deep keeps the group tasks it submits in a private stack (`stash`) instead
 * of giving them to the policy, and when it waits there it runs only those,
 * newest first, then sleeps until its group completes. In fork-join code a
 * deep task's children are all in its own stash, so the deep part of the
 * tree runs depth-first on that thread, at most one level per tree level,
 * and never waits for anyone; the stash is given to the policy as soon as
 * the thread is back above TPOOL__DEEP. Threads above the bound (workers
 * idle at depth 0 in particular) take work from the policy as before.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "clock.h"
#include "pool.h"
#include "record_hooks.h"
#include "seats.h"

void tpool__group_init(struct tpool_group *g, struct tpool *p)
{
    g->pool = p;
    atomic_init(&g->submitted, 0);
    atomic_init(&g->finished, 0);
    atomic_init(&g->cancelled, 0);
    atomic_init(&g->nwaiters, 0);
    pthread_mutex_init(&g->lock, NULL);
    g->waiters = NULL;
    g->fork_gen = tpool__fork_gen;
    g->rec_id = 0;
}

int tpool_submit(tpool *p, tpool_task_fn fn, void *arg, const tpool_task_attr *attr)
{
    static const tpool_task_attr defaults = TPOOL_TASK_ATTR_INIT;
    if (!p || !fn)
        return TPOOL_EINVAL;
    if (tpool__forked(p))
        return TPOOL_ESHUTDOWN; /* inherited through fork(): no workers here */
    if (!attr)
        attr = &defaults;
    if (attr->group && attr->group->pool != p)
        return TPOOL_EINVAL;

    tpool__task *t = tpool__task_alloc();
    if (!t)
        return TPOOL_ENOMEM;
    t->pub.next = NULL;
    t->pub.policy_data[0] = t->pub.policy_data[1] = 0;
    t->pub.priority = attr->priority;
    t->pub.preferred_worker = attr->preferred_worker;
    t->pub.cost_hint = attr->cost_hint;
    /* Both read outside the gate: a policy switch racing with this
     * submission may leave one task with a number or a time it does not
     * need, or with 0. */
    t->pub.seq = ld_relaxed(&p->mode.stamp_seq) ? add_relaxed(&p->wakeup.seq, 1) : 0;
    t->pub.submit_ns = ld_relaxed(&p->mode.stamp_submit) ? tpool__now_ns() : 0;
    t->kind = TASK_USER;
    t->fn = fn;
    t->arg = arg;
    t->on_complete = attr->on_complete;
    t->group = attr->group;

    /* Count before looking at `cancelling`: destroy sets it and then waits
     * for the root count, so a task counted here is either refused below
     * or seen (and cancelled) by the destroyer's drain. */
    tpool__tls *tl = tpool__tls_get();
    unsigned from = tpool__slot_for(tl, p);
    atomic_fetch_add(&tpool__root_count_of(p, from)->submitted, 1);
    if (t->group)
        atomic_fetch_add(&t->group->submitted, 1);
    if (atomic_load(&p->mode.cancelling)) {
        if (t->group)
            tpool__group_finish(t->group, false);
        tpool__root_finish(p, from, false);
        tpool__task_free(t);
        return TPOOL_ESHUTDOWN;
    }
    if (__builtin_expect(p->record.id != 0, 0))
        p->record.hooks->submit(p, t); /* wraps fn and on_complete (record.h) */
    /* Deep nesting (top of file): one predictable branch on the hot path. */
    if (tl->depth >= TPOOL__DEEP && t->group && tpool__frame_find(tl, p)
        && (!tl->stash || tl->stash_pool == p)) {
        t->pub.next = tl->stash ? &tl->stash->pub : NULL;
        tl->stash = t;
        tl->stash_pool = p;
        return 0;
    }
    tpool__push(p, t, from);
    return 0;
}

/* ---- groups -------------------------------------------------------------- */

int tpool_group_create(tpool *p, tpool_group **out)
{
    if (!p || !out)
        return TPOOL_EINVAL;
    if (tpool__forked(p))
        return TPOOL_ESHUTDOWN;
    struct tpool_group *g = tpool__aligned_alloc(TPOOL__CACHELINE, sizeof *g);
    if (!g)
        return TPOOL_ENOMEM;
    tpool__group_init(g, p);
    g->rec_id = p->record.id ? p->record.hooks->group_id() : 0;
    *out = g;
    return 0;
}

static bool is_root(const struct tpool_group *g)
{
    return g == &g->pool->tasks.root;
}

static bool group_idle(void *arg)
{
    struct tpool_group *g = arg;
    return (is_root(g) ? tpool__root_pending(g->pool) : tpool__group_pending(g)) == 0;
}

/* Registers before the waiter's last look at the counts (top of file):
 * seq_cst, the root's finishers load `nwaiters`; a user group's read
 * TPOOL__FIN_WAIT in `finished`. */
static void add_waiter(struct tpool_group *g, tpool__waiter *wt)
{
    pthread_mutex_lock(&g->lock);
    wt->next = g->waiters;
    g->waiters = wt;
    if (atomic_fetch_add(&g->nwaiters, 1) == 0 && !is_root(g))
        atomic_fetch_or(&g->finished, TPOOL__FIN_WAIT);
    pthread_mutex_unlock(&g->lock);
}

static void remove_waiter(struct tpool_group *g, tpool__waiter *wt)
{
    pthread_mutex_lock(&g->lock);
    for (tpool__waiter **pp = &g->waiters; *pp; pp = &(*pp)->next) {
        if (*pp == wt) {
            *pp = wt->next;
            break;
        }
    }
    if (atomic_fetch_sub_explicit(&g->nwaiters, 1, memory_order_relaxed) == 1 && !is_root(g))
        atomic_fetch_and(&g->finished, ~TPOOL__FIN_WAIT);
    pthread_mutex_unlock(&g->lock);
}

/*
 * Waiting on a group, by frame f of the waiting thread in p (seats.h):
 * a fresh outside frame (the thread does not work for p otherwise) helps
 * only while it holds a seat it could take without waiting, and returns
 * without one; a frame whose thread runs p's work below this wait (a
 * task, or a call's items) helps with its own seat, gives it back while it
 * sleeps and takes it again before it returns. Either way every seat the
 * thread holds is given back before it sleeps.
 */

/* An outside thread sleeps until g is idle: its parking word is PARKED
 * before it registers, and the registration stands for the fence (park.h). */
static void sleep_until_idle(struct tpool_group *g)
{
    tpool__waiter wt = { .worker = -1 };
    atomic_init(&wt.word, TPOOL__PARKED);
    add_waiter(g, &wt);
    if (!group_idle(g))
        tpool__park(&wt.word);
    remove_waiter(g, &wt);
}

/* Whether frame f may take tasks now: with a seat (taken here if one is
 * free), or without one once the pool is being destroyed in cancel mode,
 * when what it takes is cancelled, not run (at T = 1 the one seat may be
 * held by a task that waits for the cancellation). */
static bool may_take(struct tpool *p, tpool__frame *f)
{
    if (!f->seated)
        f->seated = tpool__seat_try(p);
    return f->seated || ld_relaxed(&p->mode.cancelling);
}

/* An outside thread (or a worker whose slot a shrink retired) waits: it
 * runs what the policy hands its slot while seated, spins for the spin
 * budget, then sleeps until the group's last task wakes it. */
static void wait_outside(struct tpool *p, struct tpool_group *g, tpool__tls *tl,
                         tpool__frame *f)
{
    unsigned slot = f->slot;
    tpool__frame_mark(f, false);
    while (!group_idle(g)) {
        tpool__task *t = NULL;
        if (may_take(p, f) && (t = tpool__pop(p, slot)) != NULL) {
            tpool__frame_mark(f, true);
            tpool__run_task(p, t, slot);
            continue;
        }
        tpool__frame_mark(f, false);
        /* Waits for the group to be idle, or (every 16th look) for a task
         * it may take; the seat it holds goes to a thread that waits for
         * one, as a spinning worker's does (pool.c, idle_wait). */
        tpool__spin spin;
        tpool__spin_init(&spin, p->mode.spin_ns, tpool__now_ns());
        tpool__spin_yield(&spin, &p->seats.word, TPOOL__SEAT_WANT_MASK, &f->seated);
        tpool__spin_crowd(&spin, tpool__seats_crowded, f);
        for (unsigned i = 1; !group_idle(g); i++) {
            if ((i & 15u) == 0 && may_take(p, f) && (t = tpool__pop(p, slot)) != NULL)
                break;
            if (!tpool__spin_again(&spin))
                break;
        }
        if (!t && !group_idle(g)) {
            tpool__seats_release_all(tl);
            add_relaxed(&tpool__counters_of(p, slot)->parks, 1);
            sleep_until_idle(g);
        }
        if (t) {
            tpool__frame_mark(f, true);
            tpool__run_task(p, t, slot);
        }
    }
}

/* A worker whose task waits: it runs what it finds, then parks on its
 * state (pool.c), which the group's last finisher unparks. */
static void wait_worker(struct tpool *p, struct tpool_group *g, tpool__frame *f)
{
    tpool__waiter wt = { .worker = (int)f->slot };
    while (!group_idle(g)) {
        if (tpool__find_work(p, f->slot))
            continue;
        add_waiter(g, &wt);
        tpool__park_worker(p, f->slot, group_idle, g);
        remove_waiter(g, &wt);
    }
}

/* A waiter at TPOOL__DEEP or deeper (top of file): runs its own stashed
 * tasks, then sleeps until the group's last task wakes it. It does not
 * spin: what is left of its group was queued before it went deep, and
 * runs on other threads for as long as those tasks take. */
static void wait_deep(struct tpool *p, struct tpool_group *g, tpool__tls *tl, tpool__frame *f)
{
    tpool__frame_mark(f, false);
    while (!group_idle(g)) {
        if (tl->stash && tl->stash_pool == p) {
            tpool__frame_seat(tl, f);
            tpool__frame_mark(f, true);
            tpool__run_task(p, tpool__stash_pop(), f->slot);
            tpool__frame_mark(f, false);
            continue;
        }
        tpool__seats_release_all(tl);
        sleep_until_idle(g);
    }
}

/* Whether waiting on g (NULL: on every task of p) could only end after a
 * task running on this thread's stack returns. */
static bool waits_for_itself(const tpool__tls *tl, const struct tpool *p,
                             const struct tpool_group *g)
{
    for (const tpool__running *r = tl->running; r; r = r->up)
        if (g ? r->group == g : r->pool == p)
            return true;
    return false;
}

int tpool__group_wait(struct tpool_group *g)
{
    struct tpool *p = g->pool;
    tpool__tls *tl = tpool__tls_get();
    if (!group_idle(g)) {
        tpool__frame *f = tpool__frame_find(tl, p), own;
        bool nested = f != NULL;
        if (!f) {
            /* An outside thread; or the body of a call that holds p's solo
             * seat (seats.h), which waits as a thread running p's work. */
            nested = tpool__solo_mine(p);
            f = &own;
            tpool__frame_push(tl, f, p, TPOOL__OUTSIDE, nested);
            f->solo = nested;
            tpool__frame_clock(f, nested);
        } else if (!f->seated) {
            tpool__frame_seat(tl, f);
        }
        if (tl->depth >= TPOOL__DEEP)
            wait_deep(p, g, tl, f);
        else if (nested && f->slot < ld_acquire(&p->team.workers))
            wait_worker(p, g, f);
        else
            wait_outside(p, g, tl, f);
        if (nested)
            tpool__frame_mark(f, true); /* back to running the waiting task */
        if (f == &own) {
            if (nested)
                tpool__frame_seat(tl, f); /* the solo seat, back to the call */
            tpool__frame_close(f);
            if (!nested && f->seated)
                tpool__seat_release(p);
            tpool__frame_pop(tl, f);
        }
        /* The work that resumes is the top frame's: it needs its seat. */
        if (tl->top && !tl->top->seated)
            tpool__frame_seat(tl, tl->top);
    }
    /* The last finisher may still be waking waiters: let it leave first. */
    for (unsigned turn = 0;
         (atomic_load_explicit(&g->finished, memory_order_acquire) & (TPOOL__FIN_WAIT - 1)) != 0;)
        tpool__backoff(&turn);
    return ld_relaxed(&g->cancelled) ? TPOOL_ECANCELED : 0;
}

int tpool_group_wait(tpool_group *g)
{
    if (!g)
        return TPOOL_EINVAL;
    /* A group inherited through fork(): its tasks will never run here, and
     * its pool may be freed already (so only the group is looked at). */
    if (tpool__group_forked(g))
        return TPOOL_ESHUTDOWN;
    if (waits_for_itself(tpool__tls_get(), g->pool, g))
        return TPOOL_EDEADLK;
    if (__builtin_expect(g->rec_id != 0, 0))
        return g->pool->record.hooks->group_wait(g, false);
    return tpool__group_wait(g);
}

void tpool_group_destroy(tpool_group *g)
{
    if (!g)
        return;
    if (tpool__group_forked(g)) {
        /* Inherited through fork(): nothing to wait for, and its lock may
         * have been held by a thread that is gone, so it is not destroyed. */
        tpool__free(g);
        return;
    }
    if (waits_for_itself(tpool__tls_get(), g->pool, g)) {
        /* Waiting would never end, and freeing would pull the group from
         * under the task that runs this: say so, and leave it. */
        fputs("tpool_group_destroy: called from a task of the group (or from a task "
              "waiting on one of its tasks); the group is left alone\n", stderr);
        return;
    }
    if (__builtin_expect(g->rec_id != 0, 0))
        g->pool->record.hooks->group_wait(g, true);
    else
        tpool__group_wait(g);
    pthread_mutex_destroy(&g->lock);
    tpool__free(g);
}

int tpool_wait_all(tpool *p)
{
    if (!p)
        return TPOOL_EINVAL;
    if (tpool__forked(p))
        return TPOOL_ESHUTDOWN;
    /* The root group counts every task, the calling ones too. */
    if (waits_for_itself(tpool__tls_get(), p, NULL))
        return TPOOL_EDEADLK;
    if (__builtin_expect(p->record.id != 0, 0))
        return p->record.hooks->wait_all(p);
    return tpool__group_wait(&p->tasks.root);
}
