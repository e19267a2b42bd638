/*
 * task_state.h - the state of tasks and groups (task.c submits and waits,
 * task_run.c counts tasks finished): struct tpool_group, and the pool's
 * root group and totals, a member of struct tpool (pool.h). The protocol
 * is written at the top of task.c; a header of its own because task.c's
 * functions are declared in pool.h, which includes this.
 */
#ifndef TPOOL_CORE_TASK_STATE_H
#define TPOOL_CORE_TASK_STATE_H

#include <pthread.h>
#include <stdint.h>

#include "atomics.h"

struct tpool;

/* One waiter blocked in tpool_group_wait (lives on the waiter's stack). */
typedef struct tpool__waiter {
    struct tpool__waiter *next;
    int worker;      /* worker index, or -1 for an outside thread */
    tpool__a32 word; /* an outside waiter's parking word (park.h), PARKED
                        before it is registered */
} tpool__waiter;

/*
 * A user group counts its tasks in two words on separate lines (the root
 * group: per slot, below), so that one producer and the workers finishing
 * its tasks do not pull one line back and forth on every task:
 * `submitted` (written by submitters) and `finished` (written by
 * finishers). finished holds the count of finished tasks above
 * TPOOL__FIN_SHIFT; below it TPOOL__FIN_WAIT, set while a waiter is
 * registered, and the count of finishers still touching the group
 * (tpool_group_wait waits for them before it returns, so the group may be
 * freed). A finisher learns of waiters from the value its own
 * read-modify-write replaced, so while no one waits it makes that one
 * write and touches the group no more (task.c). The group is idle when
 * the two counts are equal (tpool__group_pending): a task is counted
 * submitted before it can finish.
 */
#define TPOOL__FIN_SHIFT 24
#define TPOOL__FIN_ONE ((uint64_t)1 << TPOOL__FIN_SHIFT)
#define TPOOL__FIN_WAIT ((uint64_t)1 << (TPOOL__FIN_SHIFT - 1))
#define TPOOL__FIN_BUSY ((uint64_t)1)

struct tpool_group {
    /* Read-mostly. */
    struct tpool *pool;
    tpool__a32 nwaiters;  /* registered waiters (under the lock) */
    pthread_mutex_t lock; /* protects `waiters` */
    tpool__waiter *waiters;
    unsigned fork_gen;    /* tpool__fork_gen at creation (see pool.h) */
    uint64_t rec_id;      /* its id in the record (record.h), 0: not recorded;
                             written at creation */
    TPOOL__ALIGNED tpool__a64 submitted; /* tasks counted in, ever */
    TPOOL__ALIGNED tpool__a64 finished;  /* see above */
    tpool__a64 cancelled; /* tasks of this group that were cancelled */
};

/* Tasks submitted to `g` and not finished yet (a snapshot). finished is read
 * first: a count of submitted read after it is at least the submissions of
 * every task it counts finished, so 0 means the group was idle at the time
 * of the first load. */
static inline uint64_t tpool__group_pending(struct tpool_group *g)
{
    uint64_t f = atomic_load(&g->finished) >> TPOOL__FIN_SHIFT;
    uint64_t s = atomic_load(&g->submitted);
    return (s - f) & (UINT64_MAX >> TPOOL__FIN_SHIFT);
}

/*
 * The root group counts every task, so its counts are not kept in the
 * group's two words (every producer and every finisher would write them on
 * every task) but per participant: each worker slot has its own pair, on
 * the line of that worker's other per-task counters (tpool__worker.root,
 * pool.h), and the outside threads share one (tpool__tasks.outside). A
 * thread counts a task submitted in the pair of the slot it submits from,
 * and finished in the pair of the slot it runs (or cancels) it in, each
 * with a seq_cst read-modify-write: uncontended while each worker keeps to
 * its slot (a worker a shrink retired, still running a task, and the
 * worker a later grow put in its slot may share it for a while). The sum
 * over the slots is tpool__root_pending (task.c, whose top has the
 * argument); the pairs are never reset, and worker structs (and so their
 * pairs) live as long as the pool, so a resize loses no count. The root
 * group's own `submitted` and `finished` stay 0.
 */
typedef struct tpool__root_count {
    tpool__a64 submitted, finished;
} tpool__root_count;

/* Written by task.c and task_run.c, and the totals also by stats.c (a
 * reset); parallel_calls by range.c. */
struct tpool__tasks {
    struct tpool_group root; /* every task is counted here too (see above) */
    TPOOL__ALIGNED tpool__root_count outside; /* the outside threads' pair */
    TPOOL__ALIGNED tpool__a64 cancelled_total, parallel_calls;
};
_Static_assert(_Alignof(struct tpool__tasks) == TPOOL__CACHELINE,
               "the root group's counts and the totals keep lines of their own");

#endif
