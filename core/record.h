/*
 * record.h - recording a program's parallel work (record.c), for
 * `tpool-bench replay` and `tpool-bench advise` to re-create it under other
 * policies and thread counts. docs/record-format.md describes the file.
 *
 * A pool is recorded when its configuration has "record" or TPOOL_RECORD is
 * set when it is created (the variable wins). One record file per process:
 * the first recorded pool opens it, every later recorded pool writes into
 * it too. The recorder is a layer above the runtime: tpool_create attaches
 * it to a pool, and the runtime calls it back only through the hooks it
 * filled in (record_hooks.h). What is recorded, and where the core calls in:
 *   - pool creation (create.c) and destruction (pool.c);
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
#include "parallel.h"
#include "record_hooks.h"
#include "tpool.h"

struct tpool;
struct tpool_group;
struct tpool__task;

/* The version written in every record's first line; a reader refuses
 * another major. */
#define TPOOL_RECORD_FORMAT "tpool-record/1"

/*
 * At pool creation, once the pool is otherwise ready (tpool_create,
 * create.c): decides whether the pool is recorded (cfg's record_path or
 * TPOOL_RECORD), opens the record on the first such pool, and writes the
 * pool's line. A recorded pool gets its record id (>= 1) in p->record.id, the
 * recorder's hooks (record_hooks.h) in p->record.hooks and the recorded seat
 * bit; any other is left as it is (also after an error, which is printed
 * once on stderr, naming the variable or the key and the path; the program
 * goes on unrecorded). The runtime then calls the recorder only through
 * the hooks:
 *   - pool_end: pool destruction, after the workers are joined (writes the
 *     pool's end line and everything buffered so far);
 *   - range: a parallel-for, recorded around tpool__parallel_range_run
 *     (range.c), called with the same arguments or with a body that times
 *     each chunk;
 *   - submit: a task, its fields set and about to be queued (its function
 *     and completion are wrapped so that its run is timed and the task
 *     recorded when it completes);
 *   - group_id: a group created on the pool gets its record id;
 *   - group_wait, wait_all: waits recorded around tpool__group_wait.
 */
void tpool__rec_pool_begin(struct tpool *p, const tpool_config *cfg);

/*
 * How the recorder names a call of the pthreadpool drop-in (pthreadpool.c),
 * which sits above it: the drop-in registers these when the library is
 * loaded. Unregistered (the drop-in not linked), a call is named as a
 * tpool_parallel_nd or tpool_parallel_range call.
 */
typedef struct tpool__rec_dropin {
    /* The pthreadpool function of an N-d call's invoker (its widest name:
     * parallelize_2d_tile_2d stands for compute_2d_tiled too), or NULL. */
    const char *(*invoke_api)(tpool__nd_invoke invoke);
    /* When fn is the body of a 1-d pthreadpool call (which skips the N-d
     * engine): its function, range and tile; else NULL. */
    const char *(*line_of)(tpool_range_fn fn, const void *ctx, size_t *range, size_t *tile);
} tpool__rec_dropin;
void tpool__rec_name_dropin(const tpool__rec_dropin *names);

#endif
