/*
 * pool_state.h - how a pool runs: its settings and its shutdown flags, a
 * member of struct tpool (pool.h), owned by the pool's lifecycle (pool.c:
 * creation, tpool_set_min_work_size, destruction). A header of its own
 * because pool.c's functions are declared in pool.h, which includes this.
 */
#ifndef TPOOL_CORE_POOL_STATE_H
#define TPOOL_CORE_POOL_STATE_H

#include <stdint.h>

#include "atomics.h"

/* Read-mostly: read on every task by submitters (cancelling, stamp_submit,
 * stamp_seq) and workers (exit_now), on every wait (spin_ns) and
 * parallel-for (min_work_size). */
struct tpool__pool_mode {
    uint64_t spin_ns;           /* written at creation */
    tpool__asize min_work_size; /* tpool_set_min_work_size (relaxed) */
    /* The policy reads submit_ns (no TPOOL_POLICY_NO_SUBMIT_TIME); written
     * at creation and by tpool_set_policy (resize.c). */
    tpool__a32 stamp_submit;
    /* The policy reads seq (no TPOOL_POLICY_NO_SEQ); written as stamp_submit. */
    tpool__a32 stamp_seq;
    tpool__a32 cancelling; /* destroy in cancel mode: drop queued tasks */
    tpool__a32 exit_now;   /* workers leave their loop (worker.c's
                              tpool__stop_workers, at destruction) */
};

#endif
