/*
 * parallel_nd.c - N-d tiled parallel-for on top of the linear engine.
 *
 * The tile grid ntiles[0] x ... x ntiles[ndim-1] is numbered with the last
 * dimension fastest, and tpool__parallel_range hands the tile numbers out
 * through the loaded policy, so no N-d call bypasses the policy. Each
 * [begin, end) the policy returns is decoded once (ndim - 1 divisions per
 * chunk) into per-dimension tile starts; from there the walk carries from
 * one dimension to the next like an odometer, with no division per tile.
 */
#define _GNU_SOURCE
#include "parallel.h"

#include "pool.h"

static inline size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* The tpool_range_fn of every N-d call: runs tiles [begin, end). */
static void nd_chunk(void *arg, size_t begin, size_t end, unsigned thread)
{
    const tpool__nd *nd = arg;
    const unsigned last = nd->ndim - 1;
    size_t start[TPOOL_ND_MAX], size[TPOOL_ND_MAX];

    size_t rest = begin;
    for (unsigned d = last; d > 0; d--) {
        start[d] = rest % nd->ntiles[d] * nd->tile[d];
        rest /= nd->ntiles[d];
    }
    start[0] = rest * nd->tile[0];
    for (unsigned d = 0; d <= last; d++)
        size[d] = min_size(nd->tile[d], nd->range[d] - start[d]);

    for (size_t i = begin;;) {
        nd->invoke(nd, start, size, thread);
        if (++i == end)
            return;
        /* Next tile: a dimension whose tile was its last wraps to 0 and
         * carries into the one before it. Tile i < end exists, so the carry
         * stops at dimension 0 at the latest. */
        unsigned d = last;
        while (nd->range[d] - start[d] <= nd->tile[d]) {
            start[d] = 0;
            size[d] = min_size(nd->tile[d], nd->range[d]);
            d--;
        }
        start[d] += nd->tile[d];
        size[d] = min_size(nd->tile[d], nd->range[d] - start[d]);
    }
}

int tpool__nd_run(tpool *p, tpool__nd *nd, const tpool_range_opts *opts)
{
    size_t tiles = 1, items = 1;
    bool empty = false;
    for (unsigned d = 0; d < nd->ndim; d++)
        empty |= nd->range[d] == 0;
    if (empty)
        return 0; /* before the tile check: pthreadpool accepts any tile here */
    for (unsigned d = 0; d < nd->ndim; d++) {
        if (nd->tile[d] == 0)
            return TPOOL_EINVAL;
        nd->ntiles[d] = nd->range[d] / nd->tile[d] + (nd->range[d] % nd->tile[d] != 0);
        if (__builtin_mul_overflow(tiles, nd->ntiles[d], &tiles))
            return TPOOL_ERANGE;
        /* Items only decide whether to run inline: saturate. */
        if (__builtin_mul_overflow(items, nd->range[d], &items))
            items = SIZE_MAX;
    }
    return tpool__parallel_range(p, tiles, items, nd_chunk, nd, opts, nd->ctx);
}

/* ---- the native API ---------------------------------------------------------- */

static void invoke_native(const tpool__nd *nd, const size_t *start, const size_t *size,
                          unsigned thread)
{
    ((tpool_nd_fn)nd->fn)(nd->ctx, start, size, thread);
}

int tpool_parallel_nd(tpool *p, unsigned ndim, const size_t *range, const size_t *tile,
                      tpool_nd_fn fn, void *ctx, const tpool_range_opts *opts)
{
    if (ndim < 1 || ndim > TPOOL_ND_MAX || !range || !fn)
        return TPOOL_EINVAL;
    tpool__nd nd = {
        .ndim = ndim, .invoke = invoke_native, .fn = (void (*)(void))fn, .ctx = ctx,
    };
    for (unsigned d = 0; d < ndim; d++) {
        nd.range[d] = range[d];
        nd.tile[d] = tile ? tile[d] : 1;
    }
    return tpool__nd_run(p, &nd, opts);
}
