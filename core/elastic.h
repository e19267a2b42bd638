/*
 * elastic.h - the state of an elastic pool's monitor (elastic.c), a member
 * of struct tpool (pool.h). elastic.c owns every field; pushers only set
 * `kick` (tpool__elastic_kick, pool.h) and resize.c sets it to have the
 * monitor look again after tpool_set_threads.
 */
#ifndef TPOOL_CORE_ELASTIC_H
#define TPOOL_CORE_ELASTIC_H

#include <pthread.h>
#include <stdbool.h>

#include "atomics.h"

/* T moves within [min, max]; max is 0 for a fixed pool. */
struct tpool__elastic {
    unsigned min, max;
    uint64_t idle_ns;
    /* Written by pushers: kept off the line of min and max, which every
     * push that finds no idle worker reads. */
    TPOOL__ALIGNED tpool__a32 kick; /* 1 = a push found no idle worker;
                                       the monitor waits on it */
    tpool__a32 stop;                /* the monitor leaves */
    pthread_t thread;
    bool running;
    uint64_t *seen; /* per worker: parks + wakes at the last look, or
                       UINT64_MAX when it was not parked (monitor-only) */
};
_Static_assert(_Alignof(struct tpool__elastic) == TPOOL__CACHELINE,
               "the monitor's kick word must not share a line with the fields before it");

#endif
