/*
 * seats_state.h - the seats' state, a member of struct tpool (pool.h). The
 * protocol that reads and writes it is seats.h's (and seats.c's); it is a
 * header of its own because seats.h works on struct tpool and so comes
 * above pool.h.
 */
#ifndef TPOOL_CORE_SEATS_STATE_H
#define TPOOL_CORE_SEATS_STATE_H

#include "atomics.h"

/* Written by every thread that starts or stops running the pool's work: on
 * a line of its own, off the read-mostly fields before it. */
struct tpool__seats {
    TPOOL__ALIGNED tpool__a64 word; /* the seat word (seats.h) */
    tpool__a32 gen;                 /* the generation word its waiters sleep
                                       on (park.h) */
    unsigned cpus; /* the CPUs the process may use (tpool_default_threads),
                      for tpool__seats_crowded; written once by the creator */
};
_Static_assert(_Alignof(struct tpool__seats) == TPOOL__CACHELINE
                   && sizeof(struct tpool__seats) == TPOOL__CACHELINE,
               "the seat words take one cache line of their own");

#endif
