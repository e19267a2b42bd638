/*
 * parallel.h - the N-d tiled parallel-for engine (parallel_nd.c), shared by
 * the native tpool_parallel_nd and the pthreadpool functions.
 */
#ifndef TPOOL_CORE_PARALLEL_H
#define TPOOL_CORE_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "tpool.h"

typedef struct tpool__nd tpool__nd;

/* Calls the user's function for one tile, in the user's signature. */
typedef void (*tpool__nd_invoke)(const tpool__nd *nd, const size_t *start,
                                 const size_t *size, unsigned thread);

/* One N-d call; lives on the caller's stack for the duration of the call. */
struct tpool__nd {
    unsigned ndim;                 /* 1..TPOOL_ND_MAX */
    size_t range[TPOOL_ND_MAX];
    size_t tile[TPOOL_ND_MAX];     /* >= 1 */
    size_t ntiles[TPOOL_ND_MAX];   /* filled by tpool__nd_run */
    tpool__nd_invoke invoke;
    void (*fn)(void);              /* the user's function, cast back by invoke */
    void *ctx;
    uint32_t uarch;                /* for pthreadpool's _with_uarch functions */
};

/*
 * Runs nd (ndim, range, tile, invoke, fn, ctx filled in) on pool p: returns 0
 * (also for an empty range), TPOOL_EINVAL for a zero tile on a non-empty
 * range, TPOOL_ERANGE when the tile count overflows, TPOOL_ENOMEM.
 */
int tpool__nd_run(tpool *p, tpool__nd *nd, const tpool_range_opts *opts);

#endif
