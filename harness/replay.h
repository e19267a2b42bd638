/*
 * replay.h - reading a record (TPOOL_RECORD's file, docs/record-format.md)
 * and re-creating its work on an executor with synthetic bodies that burn
 * the recorded time on the harness's calibrated spin loop.
 *
 * The record's work is replayed as timelines. Each thread that used a
 * pool from outside (a thread that called a parallel-for, submitted or
 * waited, not inside a task) has one, and so has each task: its events
 * (parallel-fors, submissions, waits, pool destructions) in order of their
 * start, with the recorded time between them (a serial gap) spun on the
 * thread that plays the timeline, and a task's time after its last event
 * spun before it returns. Parallel-fors run with the recorded range (its
 * tiles, numbered as the N-d engine numbers them), flags and priority;
 * with "cpu" in the record, a gap spins the thread's CPU time over it and
 * sleeps the rest when the thread blocked (dropped when it was preempted);
 * each chunk an executor hands out burns the recorded time of its items.
 * Tasks are submitted with the recorded group, priority, cost hint and
 * preferred worker. Every recorded pool maps onto the one executor given.
 *
 * Per-item times come from the timed calls' chunks (a chunk's time spread
 * evenly over its items; with "cpu" in the record, the chunk's CPU time is
 * burnt and the rest slept when the chunk blocked, dropped when it was
 * only preempted). A call that was not timed (sampling) takes the
 * times of the nearest timed call of the same shape (function, range,
 * tiles, flags), else its wall time x min(T, tiles) / tiles per tile.
 * Events recorded inside a parallel-for's body are not replayed apart:
 * their time is part of the chunk's (nested calls, waits), except tasks
 * submitted there, which are submitted right after that call returns.
 */
#ifndef TPOOL_BENCH_REPLAY_H
#define TPOOL_BENCH_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"

/* qsort that accepts an empty array, whose pointer may be NULL (qsort's
 * own argument must never be, whatever the count). */
static inline void bench_sort(void *base, size_t n, size_t size,
                              int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* The record format major version this reader takes. */
#define BENCH_RECORD_FORMAT "tpool-record/1"

/* What an event ran inside of. */
enum { BENCH_IN_NONE = 0, BENCH_IN_TASK = 1, BENCH_IN_CALL = 2 };

/* With "cpu" in the record: a thread's CPU time (ns) and voluntary context
 * switches at an event's start and end, which tell the serial time around
 * events that ran from time preempted or blocked. */
typedef struct bench_rcpu {
    int has;
    uint64_t c0, c1, v0, v1;
} bench_rcpu;

typedef struct bench_rpool {
    uint32_t id;
    char policy[BENCH_NAME_MAX];     /* the policy's name */
    char config_policy[BENCH_POLICY_MAX]; /* as configured: a name or a path */
    char *params_json;               /* the configuration's "params", or NULL */
    unsigned threads;
    uint64_t t;                      /* created */
    int ended;                       /* has a pool_end line */
    uint64_t end_t0, end_t1;
    uint32_t end_th;
} bench_rpool;

typedef struct bench_rcall {
    uint64_t id;
    uint32_t pool, th;
    char api[64];
    unsigned ndim;
    uint64_t range[6], tile[6];
    uint64_t n, work;                /* tiles (the items replayed), elements */
    uint32_t flags, threads;
    int priority, cost_fn, timed;
    int in_kind;
    uint64_t in_id;
    uint64_t t0, t1;
    bench_rcpu cpu;                  /* the caller's, at t0 and t1 */
    /* The per-tile times: nseg chunks sorted by first tile, each tile of
     * [seg_lo[k], seg_lo[k] + seg_n[k]) costing seg_ns[k] ns. `model` is
     * the call whose chunks stand in when this one has none; per_item is
     * the time of a tile no chunk covers. */
    uint64_t *seg_lo, *seg_n;
    double *seg_ns;
    double *seg_sleep;               /* per tile: the time it was blocked (records
                                        with "cpu"), else NULL */
    size_t nseg, segcap;
    const struct bench_rcall *model;
    double per_item;
    double busy_ns;                  /* the tiles' time, summed */
} bench_rcall;

typedef struct bench_rtask {
    uint64_t id;
    uint32_t pool, th, run_th;
    uint64_t t, t0, t1;              /* submitted, started, ended */
    uint64_t group;
    int priority, worker, cancelled;
    uint64_t cost;
    int in_kind;
    uint64_t in_id;
    bench_rcpu sub;                  /* the submitter's at t (c0, v0) */
    bench_rcpu cpu;                  /* the runner's at t0 and t1 */
} bench_rtask;

typedef struct bench_rwait {
    uint64_t group;                  /* 0: every task of the pool */
    uint32_t pool, th;
    int destroy;                     /* tpool_group_destroy's wait; pool_end: 2 */
    int in_kind;
    uint64_t in_id;
    uint64_t t0, t1;
    bench_rcpu cpu;
} bench_rwait;

/* One event of a timeline. */
enum { BENCH_REV_CALL = 1, BENCH_REV_SUBMIT = 2, BENCH_REV_WAIT = 3 };
typedef struct bench_rev {
    int kind;
    size_t idx;                      /* into calls, tasks or waits */
    uint64_t t0, t1;
    bench_rcpu cpu;                  /* of the playing thread, at t0 and t1 */
} bench_rev;

typedef struct bench_rline {
    uint64_t start, end;
    bench_rcpu cpu;                  /* a task's: at its start and end */
    bench_rev *ev;
    size_t nev, cap;
} bench_rline;

typedef struct bench_record {
    char *path;
    char program[512];
    char date[32];
    uint64_t full_calls, every;      /* the sampling */
    bench_rpool *pools;
    size_t npools;
    bench_rcall *calls;
    size_t ncalls;
    bench_rtask *tasks;              /* those that ran (cancelled ones are counted) */
    size_t ntasks, ncancelled;
    bench_rwait *waits;              /* group waits, then the pools' ends */
    size_t nwaits;
    int complete;                    /* an "end" line, or every pool ended */
    int capped;                      /* the recorder stopped at its size cap */
    uint64_t dropped;                /* events the recorder dropped */
    /* Timelines: outside threads (outside[k] plays on thread k of the
     * replay, the first on the calling thread), and per task. */
    bench_rline *outside;
    size_t noutside;
    bench_rline *task_line;          /* [ntasks] */
    uint64_t span_t0, span_t1;       /* the replayed span: the outside timelines' */
    uint64_t max_group;
    uint64_t items;                  /* tiles of every call, plus one per task */
    unsigned max_threads;            /* the largest T of a recorded pool */
} bench_record;

/* Reading flags */
#define BENCH_RECORD_INCOMPLETE 0x1u /* accept a record without its end */

/*
 * Reads and checks a record. Errors go into err with the file, line and
 * column (a line that is not JSON, a missing or ill-typed key, a reference
 * to an event that does not exist, an unknown format version, a record
 * that ends early). Returns 0, or -1 (nothing allocated).
 */
int bench_record_load(const char *path, unsigned flags, bench_record **out, bench_perror *err);
void bench_record_free(bench_record *r);
/* The recorded wall time of the replayed span, ns. */
static inline uint64_t bench_record_span(const bench_record *r)
{
    return r->span_t1 - r->span_t0;
}
/* The first recorded pool (its policy and threads stand for the record's
 * configuration), or NULL when there is none. */
const bench_rpool *bench_record_main_pool(const bench_record *r);
/* A one-line summary, for listings. */
void bench_record_describe(const bench_record *r, char *buf, size_t size);
/* The time tiles [b, e) of call c ran, ns: their CPU time where the record
 * has it ("cpu"), so that time the recorded thread was preempted is not
 * replayed as work; *blocked (may be NULL) gets the time they were blocked
 * (voluntary context switches), which a replay sleeps. */
double bench_rcall_cost(const bench_rcall *c, uint64_t b, uint64_t e, double *blocked);

/* ---- replaying ---------------------------------------------------------------- */

typedef struct bench_replay bench_replay;

/* The state of replays of r (r must outlive it); `scale` multiplies every
 * recorded time. NULL when out of memory. */
bench_replay *bench_replay_new(const bench_record *r, double scale);
void bench_replay_free(bench_replay *s);
/*
 * One replay of the whole record on ex (serial, a tpool pool, or for a
 * record without tasks any executor with parallel-fors: pthreadpool, the
 * OpenMP and oneTBB loops), with the harness's recorder counting every
 * tile and task as the workload services count theirs. Call it between
 * bench_rec_reset and the checks. Returns 0, or a negative code (the first
 * an executor call failed with, TPOOL_EINVAL for an executor that cannot
 * run it).
 */
int bench_replay_run(bench_replay *s, const bench_exec *ex);
/* After a run: every tile and task of the record was handed out, and
 * everything handed out ran exactly once (the recorder's check, which the
 * harness also makes after every run); 0 or -1 with why. */
int bench_replay_check(bench_replay *s, char *msg, size_t msgsize);

#endif
