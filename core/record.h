/*
 * record.h - recording a program's parallel work (record.c), for
 * `tpool-bench replay` and `tpool-bench advise` to re-create it under other
 * policies and thread counts. docs/record-format.md describes the file.
 *
 * A pool is recorded when its configuration has "record" or TPOOL_RECORD is
 * set when it is created (the variable wins). One record file per process:
 * the first recorded pool opens it, every later recorded pool writes into
 * it too. What is recorded, and where the core calls in:
 *   - pool creation and destruction (pool.c);
 *   - each parallel-for, with its shape, flags, thread count, start and end,
 *     and, for a sample of the calls, the time of every chunk the policy
 *     handed out (range.c's slow path: the chunk body is wrapped);
 *   - each task: submission (time, group, priority, cost hint, the task or
 *     parallel-for it was submitted from) and run (start, end), in one event
 *     written when it completes (task.c: the task's function and on_complete
 *     are wrapped at submission);
 *   - waits on groups and on the whole pool (task.c).
 *
 * Cost when a pool is not recorded: one predictable branch per parallel-for
 * at T > 1, per submission and per wait; none per parallel-for at T == 1
 * (the fast path reads `solo`, which is 0 for recorded pools: pool.h).
 *
 * Events go to per-thread buffers (blocks published with a release store,
 * no lock per event) and are written to the file, as JSON lines, when a
 * recorded pool is destroyed and at exit (atexit). What is lost on _exit or
 * a crash: the events since the last destroy of a recorded pool; the file
 * then has no "end" line and a replay refuses it unless told otherwise.
 */
#ifndef TPOOL_CORE_RECORD_H
#define TPOOL_CORE_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "tpool.h"

struct tpool;
struct tpool_group;
struct tpool__task;

/* The version written in every record's first line; a reader refuses
 * another major. */
#define TPOOL_RECORD_FORMAT "tpool-record/1"

/*
 * At pool creation, once the pool is otherwise ready: decides whether the
 * pool is recorded (cfg's record_path or TPOOL_RECORD), opens the record on
 * the first such pool, and writes the pool's line. Returns the pool's
 * record id (>= 1), or 0 when it is not recorded (also after an error,
 * which is printed once on stderr, naming the variable or the key and the
 * path; the program goes on unrecorded).
 */
uint32_t tpool__rec_pool_begin(struct tpool *p, const tpool_config *cfg);
/* Pool destruction, after the workers are joined: writes the pool's end
 * line (destroy started at t0) and everything buffered so far. */
void tpool__rec_pool_end(struct tpool *p, uint64_t t0);

/* A parallel-for on a recorded pool: records it around
 * tpool__parallel_range_run (range.c), which it calls with the same
 * arguments, or with a body that times each chunk. */
int tpool__rec_range(struct tpool *p, size_t n, size_t work, tpool_range_fn fn, void *ctx,
                     const tpool_range_opts *opts, void *cost_ctx);

/* A task submitted to a recorded pool, its fields set and about to be
 * queued: wraps its function and completion so that its run is timed and
 * the task recorded when it completes. */
void tpool__rec_submit(struct tpool *p, struct tpool__task *t);

/* A group created on a recorded pool: its record id. */
uint64_t tpool__rec_group_id(void);
/* Waits recorded around tpool__group_wait: on group g (destroying: the
 * wait of tpool_group_destroy), or on every task of the pool. */
int tpool__rec_group_wait(struct tpool_group *g, bool destroying);
int tpool__rec_wait_all(struct tpool *p);

#endif
