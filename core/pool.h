/*
 * pool.h - the pool's internal structures, shared by pool.c (lifecycle),
 * worker.c (the worker threads, parking), wake.c (pushes and wakes),
 * task.c and task_run.c (tasks and groups), range.c (parallel-for), gate.c
 * (the policy gate, the thread registry), resize.c (changing the thread
 * count or the policy) and stats.c. Each group of struct tpool's fields
 * is a sub-struct declared in its owner's header: resize.h (the team, the
 * changes), gate_state.h (gate.c), record_hooks.h (record.c),
 * pool_state.h (pool.c), seats_state.h (seats.h), wake_state.h (wake.c,
 * worker.c), task_state.h (task.c, task_run.c), range.h, elastic.h.
 * tests/ownership_check.sh fails on a write by any other file.
 */
#ifndef TPOOL_CORE_POOL_H
#define TPOOL_CORE_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "elastic.h"
#include "gate_state.h"
#include "loader.h"
#include "park.h"
#include "pool_state.h"
#include "range.h"
#include "record_hooks.h"
#include "resize.h"
#include "seats_state.h"
#include "task_state.h"
#include "wake_state.h"
#include "tpool-policy.h"
#include "tpool.h"

/* Worker states: the worker's parking word (park.h). The worker writes
 * RUNNING/PARKED for itself; a waker may only move PARKED -> RUNNING
 * (tpool__unpark). */
enum { WS_RUNNING = TPOOL__UNPARKED, WS_PARKED = TPOOL__PARKED };

/* A worker's life (tpool__worker.life), written by the thread that creates or
 * resizes the pool: PENDING (created by a grow that is not published yet: the
 * thread waits), ACTIVE, RETIRE (a shrink removed its slot, or the grow was
 * abandoned: the thread leaves its loop once it is back from its current
 * task). */
enum { LIFE_ACTIVE = 0, LIFE_PENDING = 1, LIFE_RETIRE = 2 };

/* The slot index of every thread that is not an active worker of the pool:
 * outside callers, group waiters, and workers whose slot a shrink removed
 * while they were running a task. It is mapped to the current outside slot W
 * when a policy op is called (tpool__slot). */
#define TPOOL__OUTSIDE UINT32_MAX

enum { TASK_USER = 0, TASK_TILE = 1 };

/* A task as the core sees it; `pub` is what the policy sees. A task that
 * is not in use belongs to the task cache (task_cache.c), which links its
 * lists through pub.next and keeps its own bookkeeping in `cached`, in
 * place of the fields of a task in use. */
typedef struct tpool__task {
    tpool_task pub; /* first: the policy gets &pub */
    union {
        struct { /* in use */
            uint8_t kind;
            tpool_task_fn fn;
            void *arg;
            tpool_complete_fn on_complete;
            struct tpool_group *group;
            size_t begin, end; /* TASK_TILE: the items of this tile */
        };
        struct { /* free, the first task of a chain (task_cache.c) */
            struct tpool__task *next_chain;
            size_t chain_len; /* tasks in the chain */
        } cached;
    };
} tpool__task;

/* Counters of one slot. Workers' own entries are written only by that
 * worker (relaxed stores); the outside entry by several threads (relaxed
 * adds). Readers take relaxed loads: snapshots are approximate while busy. */
typedef struct tpool__counters {
    tpool__a64 tasks_run, items_run, busy_ns, idle_ns, parks, wakes;
} tpool__counters;

/* One worker. Allocated once per slot index and kept until the pool is
 * destroyed, so a pointer to it stays valid across resizes (a shrink only
 * retires the thread; a later grow of the same slot reuses the struct). */
typedef struct tpool__worker {
    TPOOL__ALIGNED tpool__a32 state; /* see WS_*; its parking word */
    tpool__a32 life;                 /* see LIFE_*; waited for while PENDING */
    unsigned index;
    struct tpool *pool;
    pthread_t thread;
    bool has_thread;                 /* a thread to join; owned by the resizer */
    /* The last range job (range.seq) it took part in: written by the worker,
     * read by it (relaxed; atomic only so that a test may set it). 64 bits,
     * as range.seq: neither ever wraps. */
    tpool__a64 seen_job;
    struct tpool__frame *frame;      /* the thread's frame (owner-only) */
    /* Written by the worker on every task: kept off the line of `state`,
     * which pushers read on every push. `root`: the root group's counts of
     * this slot (task_state.h), written by task.c and task_run.c. */
    TPOOL__ALIGNED tpool__counters c;
    tpool__root_count root;
} tpool__worker;
_Static_assert(_Alignof(tpool__worker) == TPOOL__CACHELINE,
               "workers must not share cache lines");
_Static_assert(offsetof(tpool__worker, root) + sizeof(tpool__root_count)
                   <= offsetof(tpool__worker, c) + TPOOL__CACHELINE,
               "a worker's per-task counters share one cache line");

struct tpool {
    /* Read-mostly, from the start to `seats`: the team (resize.h) takes the
     * first lines and ends on the line of the gate (gate_state.h), the
     * recorder's state (record_hooks.h) and the pool's mode (pool_state.h),
     * whose last flags spill onto the next line. */
    struct tpool__team team;
    struct tpool__gate gate;
    struct tpool__rec_state record;
    struct tpool__pool_mode mode;
    /* Seats (seats.h): the T seats a thread must hold to run this pool's
     * work, and the generation word their waiters sleep on (seats_state.h). */
    struct tpool__seats seats;

    /* Everything above `seats` is read-mostly (`gate.switching` is read by
     * every policy op); the counters below are written by outside threads. */
    TPOOL__ALIGNED tpool__counters outside; /* slot W: every non-worker thread */

    /* The submitters' line and the spinners' line (wake_state.h). */
    struct tpool__wake wakeup;

    /* The root group and the totals (task_state.h). */
    struct tpool__tasks tasks;

    /* Range jobs: range.c's state (range.h). */
    struct tpool__range range;

    /* Run-time changes: resize.c's state (resize.h), under range.lock. */
    struct tpool__changes changes;

    /* Elastic pools: the monitor's state (elastic.h). */
    struct tpool__elastic el;
};
/* A submission reads stamp_submit and cancelling, a worker's loop exit_now:
 * one line for the three. */
_Static_assert(offsetof(struct tpool, mode.stamp_submit) / TPOOL__CACHELINE
                   == offsetof(struct tpool, mode.exit_now) / TPOOL__CACHELINE,
               "the pool's per-task flags share one cache line");

/* ---- fork (gate.c) ------------------------------------------------------------
 *
 * Incremented in the child of every fork() once the handlers are installed
 * (pthread_atfork, registered by the first pool creation or thread record),
 * while the child has a single thread; never written otherwise. Objects
 * whose fork_gen differs from it belong to an ancestor process: their
 * workers do not exist here and their locks and queues may be in the state
 * another thread left them in at the fork. */
extern unsigned tpool__fork_gen;
void tpool__fork_init(void);

static inline bool tpool__forked(const struct tpool *p)
{
    return p->gate.fork_gen != tpool__fork_gen;
}

static inline bool tpool__group_forked(const struct tpool_group *g)
{
    return g->fork_gen != tpool__fork_gen;
}


/* ---- the policy gate (gate.c) --------------------------------------------------
 *
 * Every call into the policy state (push, pop, stats) happens between
 * tpool__enter and tpool__leave, so that tpool_set_threads can have the state
 * to itself without a lock or a shared read-modify-write on the hot paths.
 * Each thread owns one record, found through a thread-local and linked into
 * a process-wide registry on first use; entering writes the pool into the
 * thread's own record (seq_cst) and then reads the pool's `gate.switching`
 * flag (seq_cst, gate_state.h); the resizer sets it (seq_cst) and then
 * waits until no record names the pool. By the order of seq_cst operations
 * either the entering thread sees the flag (and waits in tpool__enter_slow
 * until the switch is over) or the resizer sees the thread inside (and
 * waits for it to leave). Policy ops never call back into the core, so records never nest.
 */
typedef struct tpool__thread_rec {
    _Atomic(struct tpool *) inside; /* written by the owner; read by resizers */
    struct tpool__thread_rec *prev, *next; /* registry links (registry lock) */
    bool registered;                /* owner-only */
    void *scratch;                  /* tpool_scratch buffer (owner-only) */
    size_t scratch_size;
} tpool__thread_rec;

/*
 * A frame: this thread works for `pool` (runs its tasks or items, or waits
 * on it and may run them). A thread keeps a stack of frames, newest on top,
 * each living in the stack frame of the function that pushed it: a worker
 * pushes one for its life; an outside thread pushes one while it waits on a
 * group, calls a parallel-for, or runs a call inline. Tasks and nested waits
 * of a pool that has a frame push none. A thread therefore knows every pool
 * it works for, whatever other pools it called in between (a task of B that
 * runs a parallel-for of A whose item calls B again is B's worker to B).
 */
typedef struct tpool__frame {
    struct tpool__frame *up; /* the frame below (older), or NULL */
    struct tpool *pool;
    unsigned slot;           /* the thread's slot index there: a worker index
                                or TPOOL__OUTSIDE */
    bool seated;             /* holds one of the pool's seats (seats.h) */
    bool solo;               /* stands for the seat a one-thread call took on
                                the fast path (seats.h, "Solo") */
    bool busy;               /* the accounting state since `since`: running
                                the pool's work, or waiting */
    uint64_t since;          /* when the current busy or idle stretch began */
} tpool__frame;

/* A task running on this thread (task.c): a chain through the stack frames
 * of tpool__run_task, newest first, so that a wait that could only end after
 * one of them returns is refused. */
typedef struct tpool__running {
    struct tpool__running *up;
    struct tpool *pool;
    struct tpool_group *group; /* the task's own group, or NULL */
} tpool__running;

/*
 * The core's thread-locals, in one object: from libtpool.so each distinct
 * thread-local costs a call to __tls_get_addr wherever it is reached, and
 * one object lets a function reach them all through one address.
 *
 * TPOOL__TLS_MODEL: the initial-exec model, so that a thread-local is one
 * load off the thread pointer instead of that call. A library dlopen()ed
 * after the program started (libpthreadpool.so.0 loaded by a framework)
 * then takes its initial-exec thread-locals from the static TLS space
 * glibc keeps spare for such libraries, which the core's few hundred bytes
 * fit in (tests/check_dlopen.c loads both libraries that way).
 */
#define TPOOL__TLS_MODEL __attribute__((tls_model("initial-exec")))

typedef struct tpool__tls {
    tpool__frame *top;        /* the newest frame, or NULL */
    tpool__running *running;  /* the newest task running here, or NULL */
    unsigned depth;           /* tasks running on this stack (task_run.c) */
    struct tpool__task *stash;/* deep-nesting stash, newest first (task.c, task_run.c) */
    struct tpool *stash_pool; /* the pool of the stashed tasks */
    tpool__thread_rec rec;    /* the gate's record (gate.c) */
} tpool__tls;

extern _Thread_local tpool__tls tpool__tl TPOOL__TLS_MODEL;

/* The address of this thread's tpool__tl, computed once per call site:
 * where the model needs a call to __tls_get_addr for it (a build without
 * TPOOL__TLS_MODEL's attribute), GCC would rather repeat that call at each
 * use than keep the address in a register across a call; the empty asm
 * makes the value opaque to it, so it is kept. */
#define TPOOL__TLS_ONCE(ptr) __asm__("" : "+r"(ptr))

static inline tpool__tls *tpool__tls_get(void)
{
    tpool__tls *t = &tpool__tl;
    TPOOL__TLS_ONCE(t);
    return t;
}

/* This thread's newest frame for p, or NULL when it does not work for p
 * (a solo call of seats.h aside). */
static inline tpool__frame *tpool__frame_find(const tpool__tls *tl, const struct tpool *p)
{
    tpool__frame *f = tl->top;
    while (f && f->pool != p)
        f = f->up;
    return f;
}

/* This thread's slot index in p: its frame's, else TPOOL__OUTSIDE. */
static inline unsigned tpool__slot_for(const tpool__tls *tl, const struct tpool *p)
{
    const tpool__frame *f = tpool__frame_find(tl, p);
    return f ? f->slot : TPOOL__OUTSIDE;
}

void tpool__rec_register(tpool__thread_rec *r);
void tpool__enter_slow(struct tpool *p, tpool__thread_rec *r);
/* The closer's side (a resize or policy switch, holding range.lock): closes
 * the gate and returns once no thread is inside a policy op of p; opens it
 * again and wakes the threads waiting at it. */
void tpool__gate_close(struct tpool *p);
void tpool__gate_open(struct tpool *p);

/* Enters the gate; returns the record to pass to tpool__leave (so that the
 * pair costs one thread-local lookup). */
static inline tpool__thread_rec *tpool__enter(struct tpool *p)
{
    tpool__thread_rec *r = &tpool__tls_get()->rec;
    if (!r->registered)
        tpool__rec_register(r);
    atomic_store(&r->inside, p);
    if (atomic_load(&p->gate.switching))
        tpool__enter_slow(p, r);
    return r;
}

/* Release: the resizer that sees the record clear also sees every write the
 * policy op made. */
static inline void tpool__leave(tpool__thread_rec *r)
{
    atomic_store_explicit(&r->inside, NULL, memory_order_release);
}

/* Inside the gate: the policy slot of a thread whose slot index is `idx` (a
 * worker index or TPOOL__OUTSIDE): its own slot while it is an active
 * worker, else the outside slot W. */
static inline unsigned tpool__slot(struct tpool *p, unsigned idx)
{
    unsigned w = ld_relaxed(&p->team.workers);
    return idx < w ? idx : w;
}

/* Worker i; i must be below a W read with acquire (or read by the resizer). */
static inline tpool__worker *tpool__worker_at(struct tpool *p, unsigned i)
{
    return p->team.w[i];
}

/* The counters of the thread with slot index `idx`. */
static inline tpool__counters *tpool__counters_of(struct tpool *p, unsigned idx)
{
    return idx < ld_acquire(&p->team.workers) ? &p->team.w[idx]->c : &p->outside;
}

/* The root group's counts of the thread with slot index `idx` (a worker
 * index, of an active or a retired worker, or TPOOL__OUTSIDE): its
 * worker's pair, else the outside threads' (task_state.h). */
static inline tpool__root_count *tpool__root_count_of(struct tpool *p, unsigned idx)
{
    return idx == TPOOL__OUTSIDE ? &p->tasks.outside : &p->team.w[idx]->root;
}

/* wake.c */
/* Wakes worker w if it is parked; returns whether it did. */
bool tpool__wake_worker(struct tpool *p, unsigned w);
/* Wakes one parked worker unless one is spinning already (it will find the
 * work); the scan starts at a rotating index so wakes spread over workers. */
void tpool__wake_any(struct tpool *p);
/* Wakes whom a policy's push named (TPOOL_WAKE_*, or a worker index). */
void tpool__wake_target(struct tpool *p, int target);
/* Pushes through the policy from slot index `from` (a worker index or
 * TPOOL__OUTSIDE) and wakes whom it names; enters the gate itself. */
void tpool__push(struct tpool *p, tpool__task *t, unsigned from);
/* Pops for slot index `idx` through the gate. */
tpool__task *tpool__pop(struct tpool *p, unsigned idx);

/* worker.c */
bool tpool__find_work(struct tpool *p, unsigned slot);
/* Starts worker thread `wk` in life state `life`; returns 0 or an errno. */
int tpool__start_worker(struct tpool *p, tpool__worker *wk, uint32_t life);
/* Allocates worker struct i if it does not exist yet (resizer/creator). */
int tpool__alloc_worker(struct tpool *p, unsigned i);
/* Parks worker `w` unless `ready(arg)` becomes true or work appears. */
void tpool__park_worker(struct tpool *p, unsigned w, bool (*ready)(void *), void *arg);
/* Stops and joins every worker thread, retired ones included (pool
 * destruction, or a creation that failed). */
void tpool__stop_workers(struct tpool *p);

/* pool.c */
/* Makes a pool from cfg (not NULL) into *out (not NULL), unrecorded: the
 * public tpool_create (create.c) attaches the recorder on top. */
int tpool__pool_create(const tpool_config *cfg, tpool **out, tpool_error *err);

/* resize.c */
/* Changes T to `threads` (1..TPOOL_MAX_THREADS), taking range.lock (tpool_set_threads
 * without its argument checks; the elastic monitor calls it too). */
int tpool__resize(struct tpool *p, unsigned threads);
void tpool__retired_free(struct tpool *p);

/* elastic.c */
int tpool__elastic_start(struct tpool *p);
void tpool__elastic_stop(struct tpool *p);
/* Test API (libtpool_core only): how many times a monitor, of any pool,
 * began holding its flag after a kick without a backlog. */
unsigned long tpool__test_elastic_holds(void);
/* A push found no parked or spinning worker: ask the monitor to grow. Cheap
 * when it has nothing to do: one load on a fixed pool, two on a pool at its
 * maximum, and one exchange per monitor round otherwise. */
static inline void tpool__elastic_kick(struct tpool *p)
{
    if (p->el.max && ld_relaxed(&p->team.threads) < p->el.max
        && ld_relaxed(&p->el.kick) == 0 && atomic_exchange(&p->el.kick, 1) == 0)
        tpool__word_wake(&p->el.kick, 1);
}

/* task_cache.c: task structures, recycled per thread (fault point included) */
tpool__task *tpool__task_alloc(void);
void tpool__task_free(tpool__task *t);
/* For tests: *n = the tasks the cache has taken from the allocator since the
 * process started (all threads); false, *n = 0, where the cache is compiled
 * out (AddressSanitizer builds: every task is then malloc'd). */
bool tpool__task_cache_allocated(uint64_t *n);

/* task_run.c */
/* Deep enough that ordinary nesting never reaches it, shallow enough that
 * TPOOL__DEEP levels of the core's wait frames and a task's own fit in a
 * small thread stack, sanitizers included (task.c, "Deep nesting"). */
#define TPOOL__DEEP 64
/* Runs task t (or cancels it, when the pool is cancelling) as slot `slot`,
 * frees it, and counts it finished in its group and the root group. */
void tpool__run_task(struct tpool *p, tpool__task *t, unsigned slot);
/* One task of user group g finished (cancelled: without running); wakes
 * g's waiters when it was the last. */
void tpool__group_finish(struct tpool_group *g, bool cancelled);
/* The same for the root group, counted in slot index `slot`'s pair. */
void tpool__root_finish(struct tpool *p, unsigned slot, bool cancelled);
/* Tasks submitted to p and not finished yet, summed over the slots (a
 * snapshot; 0: every task submitted before the call began had finished). */
uint64_t tpool__root_pending(struct tpool *p);
/* Takes the newest task of this thread's stash (not empty). */
tpool__task *tpool__stash_pop(void);

/* task.c */
void tpool__group_init(struct tpool_group *g, struct tpool *p);
int tpool__group_wait(struct tpool_group *g);

/* range.c */
/* Worker w takes part in the open range job, if it has a participant index
 * in it; returns the job's flags (0 when it did not take part). */
uint32_t tpool__job_join(struct tpool *p, unsigned w);
/* range.lock held: waits until no worker is inside the last range job and
 * ends it in the policy (range_end), if the call that ran it left that to
 * the next user of the job (range.c, "Settling"). Whoever takes range.lock
 * to use the job's fields or the policy's state calls it first. */
void tpool__job_settle(struct tpool *p);
/* Runs a popped tile task (a parallel-for's tile, or one left queued by a
 * call that has returned, which only drops its reference); `slot` is the
 * popper's slot index (a worker index or TPOOL__OUTSIDE). */
void tpool__run_tile(struct tpool *p, tpool__task *t, unsigned slot);
/* Pool destruction, workers stopped: pops and drops the tile tasks that
 * calls left queued, so that the policy holds no task when it is destroyed. */
void tpool__tiles_drain(struct tpool *p);
/* Frees the tile blocks and shares of the pool's job (after
 * tpool__tiles_drain, or in a pool inherited through fork(), whose queues
 * are never touched). */
void tpool__job_free(struct tpool *p);
/*
 * tpool_parallel_range with the inline test made on `work` items rather than
 * n (the N-d engine counts elements, not tiles), and with the context that
 * opts->cost receives given explicitly (NULL: ctx).
 */
int tpool__parallel_range(struct tpool *p, size_t n, size_t work, tpool_range_fn fn,
                          void *ctx, const tpool_range_opts *opts, void *cost_ctx);
/* The same past the fast path and the recorder's hook (p not inherited
 * through fork); the recorder calls it. */
int tpool__parallel_range_run(struct tpool *p, size_t n, size_t work, tpool_range_fn fn,
                              void *ctx, const tpool_range_opts *opts, void *cost_ctx);

#endif
