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

/*
 * Division by an invariant divisor d >= 1 through a multiplication, exact
 * for every dividend (Granlund and Montgomery, "Division by invariant
 * integers using multiplication", 1994, figure 4.1): with l = ceil(log2 d),
 * m = floor(2^64 (2^l - d) / d) + 1 (which fits 64 bits since 2^l - d < d),
 * s1 = min(l, 1), s2 = max(l - 1, 0), and t the high half of m n,
 * n / d = (t + ((n - t) >> s1)) >> s2. The N-d engine divides by its tile
 * counts this way, once per tile in a call with progress. Where size_t is
 * not 64 bits or there is no 128-bit product, the divide instruction is
 * used instead.
 */
typedef struct tpool__divisor {
    uint64_t m;
    uint8_t s1, s2;
} tpool__divisor;

#if defined(__SIZEOF_INT128__) && SIZE_MAX == UINT64_MAX
static inline tpool__divisor tpool__divisor_of(size_t d)
{
    unsigned l = d > 1 ? 64u - (unsigned)__builtin_clzll((unsigned long long)d - 1) : 0;
    uint64_t above = l == 64 ? (uint64_t)0 - d : ((uint64_t)1 << l) - d; /* 2^l - d */
    tpool__divisor v = {
        .m = (uint64_t)(((unsigned __int128)above << 64) / d) + 1,
        .s1 = (uint8_t)(l < 1 ? l : 1),
        .s2 = (uint8_t)(l > 0 ? l - 1 : 0),
    };
    return v;
}

static inline size_t tpool__divide(size_t n, size_t d, tpool__divisor v)
{
    (void)d;
    uint64_t t = (uint64_t)(((unsigned __int128)v.m * n) >> 64);
    return (size_t)((t + ((n - t) >> v.s1)) >> v.s2);
}
#else
static inline tpool__divisor tpool__divisor_of(size_t d)
{
    (void)d;
    return (tpool__divisor){ 0, 0, 0 };
}

static inline size_t tpool__divide(size_t n, size_t d, tpool__divisor v)
{
    (void)v;
    return n / d;
}
#endif

/* Calls the user's function for one tile, in the user's signature. */
typedef void (*tpool__nd_invoke)(const tpool__nd *nd, const size_t *start,
                                 const size_t *size, unsigned thread);

/* One N-d call; lives on the caller's stack for the duration of the call. */
struct tpool__nd {
    unsigned ndim;                 /* 1..TPOOL_ND_MAX */
    size_t range[TPOOL_ND_MAX];
    size_t tile[TPOOL_ND_MAX];     /* >= 1 */
    size_t ntiles[TPOOL_ND_MAX];   /* filled by tpool__nd_run */
    tpool__divisor div[TPOOL_ND_MAX]; /* by ntiles[d], d >= 1; filled by tpool__nd_run */
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

/*
 * The shape of a call the recorder sees at the linear engine (record.c):
 * the N-d call when fn is the N-d engine's body (ctx is then its
 * tpool__nd), else NULL.
 */
const tpool__nd *tpool__nd_of(tpool_range_fn fn, const void *ctx);

#endif
