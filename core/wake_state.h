/*
 * wake_state.h - the push and wake path's state (wake.c, and worker.c for
 * the worker's side of the parking handshake), a member of struct tpool
 * (pool.h). A header of its own because wake.c's functions are declared in
 * pool.h, which includes this.
 */
#ifndef TPOOL_CORE_WAKE_STATE_H
#define TPOOL_CORE_WAKE_STATE_H

#include "atomics.h"

struct tpool__wake {
    /* Written by submitters (task.c, range.c's tiles) and pushers (wake.c);
     * one producer keeps this line to itself. */
    TPOOL__ALIGNED tpool__a64 seq; /* submission numbers */
    tpool__a32 cursor;             /* rotates the start of wake-any scans */
    /* Written by workers (worker.c) as they start and stop spinning; read
     * by pushers (wake.c). */
    TPOOL__ALIGNED tpool__a32 nspinning;
};
_Static_assert(_Alignof(struct tpool__wake) == TPOOL__CACHELINE
                   && sizeof(struct tpool__wake) == 2 * TPOOL__CACHELINE,
               "the submitters' line and the spinners' line are lines of their own");

#endif
