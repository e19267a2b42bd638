/*
 * range.h - the state of a pool's parallel-for (range.c), a member of
 * struct tpool (pool.h): the lock that serialises callers (resizes and
 * policy switches take it too), the job sequence and the one active job.
 * The protocol is written at the top of range.c.
 */
#ifndef TPOOL_CORE_RANGE_H
#define TPOOL_CORE_RANGE_H

#include <pthread.h>
#include <stdbool.h>

#include "atomics.h"
#include "park.h"
#include "tpool-policy.h"
#include "tpool.h"

/* Spare tile blocks a pool keeps for reuse (range.c): always up to
 * TPOOL__TILE_KEEP, of any size, and more while they total at most
 * TPOOL__TILE_KEEP_BYTES; the others are freed. */
#define TPOOL__TILE_KEEP 4
#define TPOOL__TILE_KEEP_BYTES ((size_t)1 << 20)

/* The state of the one active parallel-for (callers are serialised). */
typedef struct tpool__job {
    /* Written by the caller before publishing (release on range.seq). */
    tpool_range_fn fn;
    void *ctx;
    uint32_t flags;
    bool via_tasks;        /* policy has no range_next: tiles go as tasks */
    /* Range path: progress through shares, and stand-ins ("Shares" and
     * "Stand-ins" in range.c). Here, not beside `done`, so that a caller
     * writing them does not take the line of `active` from a worker. */
    bool shares_on;
    bool stand_in; /* the policy has TPOOL_POLICY_STAND_IN */
    /* The last job was closed without waiting for `active` (range.c,
     * "Settling"): written by callers and tpool__job_settle, under
     * range.lock. */
    bool unsettled;
    /* Jobs run so far: a stand-in claim names its job by it (range.c). */
    uint64_t number;
    tpool_range_job pub;   /* what the policy sees */
    /* Shared while the job runs. */
    TPOOL__ALIGNED tpool__asize done; /* items finished; the caller waits for n */
    tpool__a32 active;     /* workers inside the job (see range.c) */
    tpool__event wake;     /* the caller waits on it for done == n (park.h) */
    /* The next participant to wake (range.c, "Waking"): set before the job
     * is published, then fetch_add by the caller and by every participant
     * that joins. A line of its own, off `done` and `active`, which the
     * workers write as they join. */
    TPOOL__ALIGNED tpool__a32 to_wake;
    /* Tile path (range.c): blocks of tile tasks, reused once no tile of
     * theirs is queued any more. The thread that drops a block's last
     * reference pushes it onto tile_free (a stack any thread pushes on);
     * a caller takes the whole stack into tile_spare, its own list (under
     * the range lock), and takes its block from there. */
    _Atomic(struct tpool__tile_block *) tile_free;
    struct tpool__tile_block *tile_spare;
    size_t spare_count, spare_bytes; /* of tile_spare */
    /* Range path with progress or stand-ins (range.c): one share per
     * participant, allocated by callers under the range lock. */
    struct tpool__share *shares;
    unsigned shares_cap;
} tpool__job;

struct tpool__range {
    pthread_mutex_t lock; /* serialises parallel-for callers and resizes */
    /* Odd while a job is open, even otherwise; 64 bits, so that it never
     * comes back to a value a worker saw (a worker that takes no part in
     * jobs does not refresh seen_job). Read by workers looking for a job:
     * off the line of the lock, which callers write. */
    TPOOL__ALIGNED tpool__a64 seq;
    tpool__job job; /* `done` on a line of its own: participants write it */
};
_Static_assert(_Alignof(struct tpool__range) == TPOOL__CACHELINE,
               "the job sequence and the job must not share the lock's line");

#endif
