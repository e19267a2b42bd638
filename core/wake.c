/*
 * wake.c - handing work to the workers: a push through the policy and the
 * wake it asks for, a pop through the policy, and waking a parked worker.
 * Below the worker loop (worker.c) and the callers that push (task.c,
 * range.c): pushing and waking never run work, so they call nothing above
 * them. The parking protocol (no lost wake-ups) is written at the top of
 * worker.c; this file is the pusher's side of it.
 */
#define _GNU_SOURCE
#include "pool.h"

bool tpool__wake_worker(struct tpool *p, unsigned w)
{
    tpool__worker *wk = tpool__worker_at(p, w);
    if (!tpool__unpark(&wk->state))
        return false;
    add_relaxed(&wk->c.wakes, 1);
    return true;
}

/* Wakes one parked worker unless one is spinning already (it will find the
 * work). The scan starts at a rotating index so wakes spread over workers. */
void tpool__wake_any(struct tpool *p)
{
    if (atomic_load(&p->wakeup.nspinning) > 0)
        return;
    /* A plain load and store, not a read-modify-write: pushers that race
     * here only start their scans at the same worker. */
    unsigned start = ld_relaxed(&p->wakeup.cursor);
    st_relaxed(&p->wakeup.cursor, start + 1);
    unsigned nw = ld_acquire(&p->team.workers);
    for (unsigned k = 0, w = start % nw; k < nw; k++, w = w + 1 == nw ? 0 : w + 1) {
        tpool__worker *wk = tpool__worker_at(p, w);
        if (tpool__unpark(&wk->state)) {
            add_relaxed(&wk->c.wakes, 1);
            return;
        }
    }
    tpool__elastic_kick(p); /* every worker is busy: the work backs up */
}

void tpool__wake_target(struct tpool *p, int target)
{
    if (target >= 0 && (unsigned)target < ld_acquire(&p->team.workers)) {
        /* An elastic pool hears of a push to a busy worker (the monitor
         * then looks for a backlog). */
        bool busy = p->el.max
                    && atomic_load(&tpool__worker_at(p, (unsigned)target)->state) != WS_PARKED;
        tpool__wake_worker(p, (unsigned)target);
        if (busy && atomic_load(&p->wakeup.nspinning) == 0)
            tpool__elastic_kick(p);
    } else if (target <= TPOOL_WAKE_PREFER(0)) {
        /* Not asleep means awake (it finds the task, or is busy and someone
         * else should take it) or about to make its last look, which the
         * fence before this call makes see the task: any idle worker will
         * do. */
        unsigned w = (unsigned)(TPOOL_WAKE_PREFER(0) - target);
        if (w >= ld_acquire(&p->team.workers) || !tpool__wake_worker(p, w))
            tpool__wake_any(p);
    } else if (target != TPOOL_WAKE_NONE) {
        tpool__wake_any(p); /* TPOOL_WAKE_ANY, or an out-of-range answer */
    }
}

void tpool__push(struct tpool *p, tpool__task *t, unsigned from)
{
    /* The wake stays inside the gate: it reads W, which a resize changes. */
    tpool__thread_rec *rec = tpool__enter(p);
    int target = p->team.policy.ops.push(p->team.pstate, &t->pub, tpool__slot(p, from));
    fence_seq_cst();
    tpool__wake_target(p, target);
    tpool__leave(rec);
}

tpool__task *tpool__pop(struct tpool *p, unsigned idx)
{
    tpool__thread_rec *rec = tpool__enter(p);
    tpool__task *t = (tpool__task *)p->team.policy.ops.pop(p->team.pstate, tpool__slot(p, idx));
    tpool__leave(rec);
    return t;
}
