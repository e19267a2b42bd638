/*
 * record_hooks.h - where the runtime calls the recorder (record.c), as a
 * table of functions the recorder fills: the recorder is a layer above the
 * runtime (it runs the recorded calls through pool.c, task.c and range.c),
 * so the runtime reaches it only through this table, never by name.
 *
 * A recorded pool points at the table (struct tpool's record.hooks, set with
 * its record id by tpool__rec_pool_begin when the pool is created); an
 * unrecorded pool's record id is 0 and the runtime tests that, one predictable
 * branch per submission, wait and parallel-for at T > 1, before it would
 * call through the table. record.h says what each hook records.
 */
#ifndef TPOOL_CORE_RECORD_HOOKS_H
#define TPOOL_CORE_RECORD_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpool.h"

struct tpool;
struct tpool_group;
struct tpool__task;

typedef struct tpool__rec_hooks {
    /* Pool destruction, after the workers are joined (destroy began at t0). */
    void (*pool_end)(struct tpool *p, uint64_t t0);
    /* A parallel-for: runs it through tpool__parallel_range_run (range.c). */
    int (*range)(struct tpool *p, size_t n, size_t work, tpool_range_fn fn, void *ctx,
                 const tpool_range_opts *opts, void *cost_ctx);
    /* A task about to be queued: wraps its function and completion. */
    void (*submit)(struct tpool *p, struct tpool__task *t);
    /* A group created on the pool: its record id. */
    uint64_t (*group_id)(void);
    /* Waits: on group g (destroying: tpool_group_destroy's), on the pool;
     * both run the wait through tpool__group_wait (task.c). */
    int (*group_wait)(struct tpool_group *g, bool destroying);
    int (*wait_all)(struct tpool *p);
} tpool__rec_hooks;

/* The recorder's state in a pool, a member of struct tpool (pool.h):
 * written only by record.c (tpool__rec_pool_begin), once, before the pool
 * is returned to its creator; read by the runtime. */
struct tpool__rec_state {
    uint32_t id;                   /* its id in the record, 0: not recorded */
    const tpool__rec_hooks *hooks; /* NULL when not recorded */
};

#endif
