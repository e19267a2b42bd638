/*
 * pool.h - the pool's internal structures, shared by pool.c (threads,
 * parking, lifecycle), task.c (tasks and groups), range.c (parallel-for)
 * and stats.c.
 */
#ifndef TPOOL_CORE_POOL_H
#define TPOOL_CORE_POOL_H

#include <pthread.h>
#include <stdbool.h>

#include "atomics.h"
#include "config.h"
#include "loader.h"
#include "tpool-policy.h"
#include "tpool.h"

/* Worker states. The worker writes SPINNING/RUNNING/PARKED for itself; a
 * waker may only move PARKED -> RUNNING (by CAS) and then futex-wakes. */
enum { WS_RUNNING = 0, WS_SPINNING = 1, WS_PARKED = 2 };

enum { TASK_USER = 0, TASK_TILE = 1 };

/* A task as the core sees it; `pub` is what the policy sees. */
typedef struct tpool__task {
    tpool_task pub; /* first: the policy gets &pub */
    uint8_t kind;
    tpool_task_fn fn;
    void *arg;
    tpool_complete_fn on_complete;
    struct tpool_group *group;
    size_t begin, end; /* TASK_TILE: the items of this tile */
} tpool__task;

/* Counters of one slot. Workers' own entries are written only by that
 * worker (relaxed stores); the outside entry by several threads (relaxed
 * adds). Readers take relaxed loads: snapshots are approximate while busy. */
typedef struct tpool__counters {
    tpool__a64 tasks_run, items_run, busy_ns, idle_ns, parks, wakes;
} tpool__counters;

typedef struct tpool__worker {
    TPOOL__ALIGNED tpool__a32 state; /* see WS_*; futex word for parking */
    unsigned index;
    struct tpool *pool;
    pthread_t thread;
    uint32_t seen_job;               /* the last range job it took part in */
    tpool__counters c;
} tpool__worker;
_Static_assert(_Alignof(tpool__worker) == TPOOL__CACHELINE,
               "workers must not share cache lines");

/* One waiter blocked in tpool_group_wait (lives on the waiter's stack). */
typedef struct tpool__waiter {
    struct tpool__waiter *next;
    int worker;      /* worker index, or -1 for an outside thread */
    tpool__a32 flag; /* outside waiters sleep on this; 1 = woken */
} tpool__waiter;

struct tpool_group {
    struct tpool *pool;
    TPOOL__ALIGNED tpool__a64 pending; /* submitted, not yet finished */
    tpool__a64 inflight;  /* completers still touching this group */
    tpool__a64 cancelled; /* tasks of this group that were cancelled */
    tpool__a32 nwaiters;  /* registered waiters; read without the lock */
    pthread_mutex_t lock; /* protects `waiters` */
    tpool__waiter *waiters;
};

/* The state of the one active parallel-for (callers are serialised). */
typedef struct tpool__job {
    /* Written by the caller before publishing (release on job_seq). */
    tpool_range_fn fn;
    void *ctx;
    uint32_t flags;
    bool via_tasks;        /* policy has no range_next: tiles go as tasks */
    tpool_range_job pub;   /* what the policy sees */
    /* Shared while the job runs. */
    TPOOL__ALIGNED tpool__asize done; /* items finished; the caller waits for n */
    tpool__a32 active;     /* workers inside the job (see pool.c) */
    tpool__a32 caller_sleeping; /* caller parked on `wake` */
    tpool__a32 wake;       /* futex word: set to 1 when done reaches n */
    /* Tile tasks for via_tasks jobs; grown as needed, reused across jobs. */
    tpool__task *tiles;
    size_t tiles_cap;
} tpool__job;

struct tpool {
    tpool__policy_handle policy;
    void *pstate;
    unsigned threads;  /* T */
    unsigned workers;  /* W = max(T - 1, 1) */
    uint64_t spin_ns;
    tpool__asize min_work_size;
    tpool__worker *w;  /* W entries */
    tpool__counters outside; /* slot W: every non-worker thread */

    TPOOL__ALIGNED tpool__a32 nspinning; /* workers spinning for work */
    tpool__a32 wake_cursor;  /* rotates the start of wake-any scans */
    tpool__a64 seq;          /* submission numbers */
    tpool__a32 cancelling;   /* destroy in cancel mode: drop queued tasks */
    tpool__a32 exit_now;     /* workers leave their loop */

    struct tpool_group root; /* every task is counted here too */
    tpool__a64 submitted, completed, cancelled_total, parallel_calls;

    /* Range jobs. job_seq is odd while a job is open, even otherwise. */
    pthread_mutex_t job_lock; /* serialises parallel-for callers */
    TPOOL__ALIGNED tpool__a32 job_seq;
    tpool__job job;

    char *policy_name;
};

/* Thread-local: the pool this thread is working for, if any, and its slot. */
extern _Thread_local struct tpool *tpool__tls_pool;
extern _Thread_local unsigned tpool__tls_slot;

/* pool.c */
void tpool__wake_worker(struct tpool *p, unsigned w);
void tpool__wake_target(struct tpool *p, int target);
bool tpool__find_work(struct tpool *p, unsigned slot);
void tpool__push(struct tpool *p, tpool__task *t, unsigned from);
/* Parks worker `w` unless `ready(arg)` becomes true or work appears. */
void tpool__park_worker(struct tpool *p, unsigned w, bool (*ready)(void *), void *arg);

/* task.c */
void tpool__run_task(struct tpool *p, tpool__task *t, unsigned slot);
void tpool__group_init(struct tpool_group *g, struct tpool *p);
int tpool__group_wait(struct tpool_group *g);

/* range.c */
void tpool__job_join(struct tpool *p, unsigned w);
void tpool__run_tile(struct tpool *p, tpool__task *t, unsigned slot);

/* Participant index of a thread in a range job: the caller is 0, worker w is w + 1. */
static inline unsigned tpool__participant_of(unsigned slot) { return slot + 1; }

#endif
