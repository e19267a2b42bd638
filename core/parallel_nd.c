/*
 * parallel_nd.c - N-d tiled parallel-for on top of the linear engine.
 *
 * The tile grid ntiles[0] x ... x ntiles[ndim-1] is numbered with the last
 * dimension fastest, and tpool__parallel_range hands the tile numbers out
 * through the loaded policy, so no N-d call bypasses the policy. Each
 * [begin, end) the policy returns is decoded once (ndim - 1 divisions per
 * chunk, by multiplication: a call with TPOOL_FLAG_PROGRESS, as every
 * pthreadpool call, decodes every tile) into per-dimension tile starts;
 * from there the walk carries from one dimension to the next like an
 * odometer, with no division per tile.
 */
#define _GNU_SOURCE
#include "parallel.h"

#include "pool.h"

static inline size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Tile `t` as per-dimension starts and clipped sizes. */
static inline void nd_decode(const tpool__nd *nd, size_t t, size_t *start, size_t *size)
{
    unsigned d = nd->ndim - 1;
    for (; d > 0; d--) {
        size_t q = tpool__divide(t, nd->ntiles[d], nd->div[d]);
        start[d] = (t - q * nd->ntiles[d]) * nd->tile[d];
        size[d] = min_size(nd->tile[d], nd->range[d] - start[d]);
        t = q;
    }
    start[0] = t * nd->tile[0];
    size[0] = min_size(nd->tile[0], nd->range[0] - start[0]);
}

/* Tiles [begin, end), more than one: decoded once, then carried. */
__attribute__((noinline)) static void nd_walk(const tpool__nd *nd, size_t begin, size_t end,
                                              unsigned thread)
{
    const unsigned last = nd->ndim - 1;
    size_t start[TPOOL_ND_MAX], size[TPOOL_ND_MAX];
    nd_decode(nd, begin, start, size);
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

/* The tpool_range_fn of N-d calls: runs tiles [begin, end). A single tile
 * (every range of a call with TPOOL_FLAG_PROGRESS) takes the short way,
 * without the walk's frame. */
static void nd_chunk(void *arg, size_t begin, size_t end, unsigned thread)
{
    const tpool__nd *nd = arg;
    if (end - begin != 1) {
        nd_walk(nd, begin, end, thread);
        return;
    }
    size_t start[TPOOL_ND_MAX], size[TPOOL_ND_MAX];
    nd_decode(nd, begin, start, size);
    nd->invoke(nd, start, size, thread);
}

/* nd_chunk for 2-d calls, the commonest grids: the single tile decoded in
 * straight-line code. */
static void nd_chunk_2d(void *arg, size_t begin, size_t end, unsigned thread)
{
    const tpool__nd *nd = arg;
    if (end - begin != 1) {
        nd_walk(nd, begin, end, thread);
        return;
    }
    size_t q = tpool__divide(begin, nd->ntiles[1], nd->div[1]);
    size_t start[2] = { q * nd->tile[0], (begin - q * nd->ntiles[1]) * nd->tile[1] };
    size_t size[2] = { min_size(nd->tile[0], nd->range[0] - start[0]),
                       min_size(nd->tile[1], nd->range[1] - start[1]) };
    nd->invoke(nd, start, size, thread);
}

/* The tpool_range_fn of 1-d calls: nothing to decode or carry. A call with
 * TPOOL_FLAG_PROGRESS (every pthreadpool call) gets here once per tile,
 * so the per-tile work is kept to the two calls. */
static void nd_line(void *arg, size_t begin, size_t end, unsigned thread)
{
    const tpool__nd *nd = arg;
    const size_t tile = nd->tile[0], range = nd->range[0];
    for (size_t i = begin; i < end; i++) {
        size_t start = i * tile, size = min_size(tile, range - start);
        nd->invoke(nd, &start, &size, thread);
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
        nd->div[d] = tpool__divisor_of(nd->ntiles[d]);
        if (__builtin_mul_overflow(tiles, nd->ntiles[d], &tiles))
            return TPOOL_ERANGE;
        /* Items only decide whether to run inline: saturate. */
        if (__builtin_mul_overflow(items, nd->range[d], &items))
            items = SIZE_MAX;
    }
    tpool_range_fn fn = nd->ndim == 1 ? nd_line : nd->ndim == 2 ? nd_chunk_2d : nd_chunk;
    return tpool__parallel_range(p, tiles, items, fn, nd, opts, nd->ctx);
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

/* ---- the recorder's view ------------------------------------------------------- */

const tpool__nd *tpool__nd_of(tpool_range_fn fn, const void *ctx)
{
    return fn == nd_line || fn == nd_chunk || fn == nd_chunk_2d ? ctx : NULL;
}
