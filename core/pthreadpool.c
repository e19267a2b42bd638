/*
 * pthreadpool.c - the pthreadpool API (include/pthreadpool.h) on tpool.
 *
 * Every parallelize and compute function fills a tpool__nd with its ranges
 * and tiles (1 on the dimensions it does not tile) and an invoke function
 * that calls the user's function in its own signature, and runs it through
 * the N-d engine, that is through the pool's policy; the 1-d ones go to the
 * linear engine directly, with bodies that call the user's function. Every
 * call asks for progress (TPOOL_FLAG_PROGRESS), pthreadpool's semantics. A
 * pthreadpool_t is the tpool itself.
 */
#define _GNU_SOURCE
#include "pthreadpool.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "loader.h"
#include "parallel.h"
#include "record.h"
#include "seats.h"
#include "tpool.h"

/*
 * The policy of pthreadpool_create when neither TPOOL_CONFIG nor TPOOL_POLICY
 * names one: the policy tpool-bench measured fastest for parallel-for, so
 * that a program moved onto tpool's libpthreadpool gets the best default
 * without configuration. "stealing" was fastest or within noise of the
 * fastest tpool policy on the parallel-for workloads (empty-1000, triangular,
 * heavy-tailed, tiled-gemm) both at 2 threads on a 2-core VM and at 16 threads
 * on a 16-core one; dynamic was ahead only on dispatch of a range = threads
 * and on uniform costs (figures in docs/measurements/). Re-measure when a
 * policy changes.
 */
#ifndef TPOOL_PTHREADPOOL_DEFAULT_POLICY
#define TPOOL_PTHREADPOOL_DEFAULT_POLICY "stealing"
#endif

static tpool *as_tpool(pthreadpool_t pool)
{
    return (tpool *)pool;
}

/* ---- pools ---------------------------------------------------------------- */

/*
 * The environment variables the drop-in reads. A program written for
 * pthreadpool cannot be told about a bad one (pthreadpool_create has no
 * error to return but NULL, and a NULL pool means "run on the caller": a
 * framework silently serialises every operator). So a bad setting is
 * reported on stderr, once per process and variable, and ignored: the pool
 * is made as if the variable were unset. The native API stays strict
 * (tpool_config_load_env returns the error).
 */
enum env_var { ENV_CONFIG, ENV_THREADS, ENV_POLICY, NENV, ENV_NONE = NENV };

static const char *const env_names[NENV] = { "TPOOL_CONFIG", "TPOOL_THREADS", "TPOOL_POLICY" };

/* 1 once the variable's warning was printed (the thread that sets it prints). */
static tpool__a32 env_warned[NENV];

/* The configuration the environment asks for; env[v] NULL leaves variable v
 * out. Sets *blame to the variable a failure comes from. */
static int env_config(const char *const env[NENV], size_t threads_count, tpool_config **out,
                      enum env_var *blame, tpool_error *err)
{
    tpool_config *cfg = NULL;
    *blame = ENV_CONFIG;
    int rc = env[ENV_CONFIG] ? tpool_config_load_file(env[ENV_CONFIG], &cfg, err)
                             : tpool_config_new(&cfg);
    if (rc == 0 && !env[ENV_CONFIG] && !env[ENV_POLICY])
        rc = tpool_config_set_policy(cfg, TPOOL_PTHREADPOOL_DEFAULT_POLICY);
    if (rc && !env[ENV_CONFIG]) {
        *blame = ENV_NONE;
        tpool__error(err, rc, NULL, 0, 0, NULL, "%s", tpool_strerror(rc));
    }
    if (rc == 0 && env[ENV_THREADS]) {
        *blame = ENV_THREADS;
        rc = tpool__config_env_threads(cfg, env[ENV_THREADS], err);
    }
    if (rc == 0 && env[ENV_POLICY]) {
        *blame = ENV_POLICY;
        rc = tpool__config_env_policy(cfg, env[ENV_POLICY], err);
    }
    if (rc == 0 && threads_count != 0) {
        *blame = ENV_NONE;
        rc = tpool_config_set_threads(cfg, (unsigned)threads_count);
        if (rc)
            tpool__error(err, rc, NULL, 0, 0, NULL, "threads_count %zu is out of range",
                         threads_count);
    }
    if (rc) {
        tpool_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

/* Which variable a failing tpool_create is blamed on: the policy's, when
 * the policy cannot be loaded or started (or its params are wrong for it),
 * else the configuration file's. Threads and memory are nobody's setting. */
static enum env_var create_blame(int rc, const char *const env[NENV])
{
    switch (rc) {
    case TPOOL_ENOENT: case TPOOL_ELOAD: case TPOOL_EABI: case TPOOL_EPOLICY:
    case TPOOL_EINVAL: case TPOOL_EPARSE: case TPOOL_EIO:
        return env[ENV_POLICY] ? ENV_POLICY : env[ENV_CONFIG] ? ENV_CONFIG : ENV_NONE;
    default:
        return ENV_NONE;
    }
}

/* The warning for variable v, once per process. */
static void warn_ignored(enum env_var v, const char *value, const tpool_error *err,
                         const char *const env[NENV], size_t threads_count)
{
    uint32_t not_yet = 0;
    if (!atomic_compare_exchange_strong(&env_warned[v], &not_yet, 1))
        return;
    char q[64], instead[96];
    if (v == ENV_THREADS && threads_count)
        snprintf(instead, sizeof instead, "%zu threads, as pthreadpool_create was asked",
                 threads_count);
    else if (v == ENV_THREADS)
        snprintf(instead, sizeof instead, "the default thread count (%u, the CPUs available)",
                 tpool_default_threads());
    else
        snprintf(instead, sizeof instead, "%s",
                 v == ENV_CONFIG ? "the defaults"
                 : env[ENV_CONFIG] ? "the policy of TPOOL_CONFIG's file"
                                   : "the default policy '" TPOOL_PTHREADPOOL_DEFAULT_POLICY "'");
    /* The loader's "not found" names the policies available already. */
    char avail[512] = "";
    if (v == ENV_POLICY && !strstr(err->text, "available: ")) {
        memcpy(avail, "; policies available: ", sizeof "; policies available: ");
        tpool__policy_names(NULL, value, avail + strlen(avail), sizeof avail - strlen(avail));
    }
    fprintf(stderr,
            "pthreadpool_create: ignoring %s=%s: %s%s; instead using %s (this warning "
            "is printed once)\n",
            env_names[v], tpool__env_quote(value, q, sizeof q),
            err->text[0] ? err->text : tpool_strerror(err->code), avail, instead);
}

pthreadpool_t pthreadpool_create(size_t threads_count)
{
    if (threads_count > TPOOL_MAX_THREADS) {
        fprintf(stderr, "pthreadpool_create: threads_count %zu is out of range [0, %d]\n",
                threads_count, TPOOL_MAX_THREADS);
        return NULL;
    }
    const char *env[NENV];
    for (int v = 0; v < NENV; v++)
        env[v] = getenv(env_names[v]);
    /* Each round leaves out the variable the last one failed on: at most
     * one round per variable, then the defaults, which fail only for want
     * of threads, memory or the default policy. */
    for (;;) {
        tpool_error err;
        tpool_error_clear(&err);
        tpool_config *cfg = NULL;
        tpool *pool = NULL;
        enum env_var blame;
        int rc = env_config(env, threads_count, &cfg, &blame, &err);
        if (rc == 0) {
            rc = tpool_create(cfg, &pool, &err);
            blame = rc ? create_blame(rc, env) : ENV_NONE;
            tpool_config_free(cfg);
        }
        if (rc == 0)
            return (pthreadpool_t)pool;
        if (blame == ENV_NONE) {
            fprintf(stderr, "pthreadpool_create: %s\n",
                    err.text[0] ? err.text : tpool_strerror(rc));
            return NULL;
        }
        warn_ignored(blame, env[blame], &err, env, threads_count);
        env[blame] = NULL;
    }
}

size_t pthreadpool_get_threads_count(pthreadpool_t pool)
{
    return tpool_threads(as_tpool(pool));
}

void pthreadpool_destroy(pthreadpool_t pool)
{
    if (pool && tpool_destroy(as_tpool(pool)) == TPOOL_EDEADLK)
        fputs("pthreadpool_destroy: called from a function running on the same pool; "
              "the pool is left alone\n", stderr);
}

/* ---- running a grid ------------------------------------------------------------ */

/*
 * A call on `pool` runs as a plain loop on the caller when it has no
 * FTZ/DAZ to set and there is no pool, or a pool of one thread, not
 * recorded, whose seat the caller takes in the solo form
 * (tpool__solo_enter, seats.h). The commonest functions then loop
 * directly, as libpthreadpool does, instead of setting up a grid
 * (docs/PERFORMANCE.md, target 9: instructions per dispatch at one
 * thread); each keeps a loop for either case, which costs fewer
 * instructions than remembering which case it was.
 */
static inline bool serial_flags(uint32_t flags)
{
    return !(flags & PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

static inline void loop_items(pthreadpool_task_1d_t fn, void *ctx, size_t range)
{
    for (size_t i = 0; i < range; i++)
        fn(ctx, i);
}

static inline void loop_tiles(pthreadpool_task_1d_tile_1d_t fn, void *ctx, size_t range,
                              size_t tile)
{
    for (size_t i = 0, z; i < range; i += z) {
        z = range - i < tile ? range - i : tile; /* i + z <= range: no wrap */
        fn(ctx, i, z);
    }
}

/* The options of a call with pthreadpool `flags`. pthreadpool's semantics:
 * items one at a time, any idle thread takes any item not started (an item
 * may wait for the others). */
static tpool_range_opts opts_of(uint32_t flags)
{
    tpool_range_opts opts = { .flags = TPOOL_FLAG_PROGRESS };
    if (flags & PTHREADPOOL_FLAG_DISABLE_DENORMALS)
        opts.flags |= TPOOL_FLAG_DISABLE_DENORMALS;
    if (flags & PTHREADPOOL_FLAG_YIELD_WORKERS)
        opts.flags |= TPOOL_FLAG_YIELD_WORKERS;
    return opts;
}

/* Errors cannot be returned: out of memory (a queue policy's tile tasks) or
 * a pool inherited through fork() (no workers in this process) is retried
 * on the caller alone, which needs neither; anything else is reported. */
static void report(int rc, unsigned ndim)
{
    if (rc)
        fprintf(stderr, "pthreadpool: a %u-d grid was not processed: %s\n", ndim,
                tpool_strerror(rc));
}

static bool retry_alone(int rc)
{
    return rc == TPOOL_ENOMEM || rc == TPOOL_ESHUTDOWN;
}

/*
 * Runs one grid; `range` and `tile` have `ndim` entries, a zero tile meaning
 * the whole dimension.
 */
static void run(pthreadpool_t pool, tpool__nd_invoke invoke, void (*fn)(void), void *ctx,
                uint32_t uarch, unsigned ndim, const size_t *range, const size_t *tile,
                uint32_t flags)
{
    tpool__nd nd = { .ndim = ndim, .invoke = invoke, .fn = fn, .ctx = ctx, .uarch = uarch };
    for (unsigned d = 0; d < ndim; d++) {
        nd.range[d] = range[d];
        nd.tile[d] = tile[d] ? tile[d] : range[d];
    }
    tpool_range_opts opts = opts_of(flags);
    int rc = tpool__nd_run(as_tpool(pool), &nd, &opts);
    if (retry_alone(rc))
        rc = tpool__nd_run(NULL, &nd, &opts);
    report(rc, ndim);
}

/*
 * 1-d calls skip the N-d engine: the range's numbers are the tiles, and the
 * body calls the user's function straight from them. With progress each
 * range handed out is one tile, so this saves a call per item of the
 * commonest functions.
 */
typedef struct line {
    void (*fn)(void);
    void *ctx;
    uint32_t uarch;
    size_t range, tile; /* tile >= 1 */
} line;

/* Each body runs a single item (with progress, every range is one) as a
 * tail call, several in a loop out of line, in order. */
__attribute__((noinline)) static void loop_1d(const line *l, size_t begin, size_t end)
{
    for (size_t i = begin; i < end; i++)
        ((pthreadpool_task_1d_t)l->fn)(l->ctx, i);
}

static void line_1d(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    const line *l = arg;
    if (end - begin == 1)
        ((pthreadpool_task_1d_t)l->fn)(l->ctx, begin);
    else
        loop_1d(l, begin, end);
}

__attribute__((noinline)) static void loop_1d_uarch(const line *l, size_t begin, size_t end)
{
    for (size_t i = begin; i < end; i++)
        ((pthreadpool_task_1d_with_id_t)l->fn)(l->ctx, l->uarch, i);
}

static void line_1d_uarch(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    const line *l = arg;
    if (end - begin == 1)
        ((pthreadpool_task_1d_with_id_t)l->fn)(l->ctx, l->uarch, begin);
    else
        loop_1d_uarch(l, begin, end);
}

/* Tile i, which exists: its start is below the range. */
static inline void tile_1d(const line *l, size_t i)
{
    size_t start = i * l->tile;
    ((pthreadpool_task_1d_tile_1d_t)l->fn)(l->ctx, start,
                                           l->range - start < l->tile ? l->range - start
                                                                      : l->tile);
}

__attribute__((noinline)) static void loop_1d_tile(const line *l, size_t begin, size_t end)
{
    for (size_t i = begin; i < end; i++)
        tile_1d(l, i);
}

static void line_1d_tile(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    const line *l = arg;
    if (end - begin == 1)
        tile_1d(l, begin);
    else
        loop_1d_tile(l, begin, end);
}

/* Runs a 1-d call of `range` items in tiles of `tile` (0: the whole range). */
static void run_line(pthreadpool_t pool, tpool_range_fn body, void (*fn)(void), void *ctx,
                     uint32_t uarch, size_t range, size_t tile, uint32_t flags)
{
    if (range == 0)
        return; /* pthreadpool accepts any tile here */
    line l = { .fn = fn, .ctx = ctx, .uarch = uarch, .range = range,
               .tile = tile ? tile : range };
    size_t tiles = range / l.tile + (range % l.tile != 0);
    tpool_range_opts opts = opts_of(flags);
    int rc = tpool__parallel_range(as_tpool(pool), tiles, range, body, &l, &opts, ctx);
    if (retry_alone(rc))
        rc = tpool__parallel_range(NULL, tiles, range, body, &l, &opts, ctx);
    report(rc, 1);
}

#define FN(f) ((void (*)(void))(f))
#define CTX nd->ctx
#define UARCH nd->uarch
#define INVOKER(name) \
    static void name(const tpool__nd *nd, const size_t *s, const size_t *z, unsigned thread)

/* The untiled dimensions pass their index; tiled ones pass start and size,
 * the starts first, as in pthreadpool's loops. */
INVOKER(call_2d) { ((pthreadpool_task_2d_t)nd->fn)(CTX, s[0], s[1]); }
INVOKER(call_2d_tile_1d) { ((pthreadpool_task_2d_tile_1d_t)nd->fn)(CTX, s[0], s[1], z[1]); }
INVOKER(call_2d_tile_2d)
{
    ((pthreadpool_task_2d_tile_2d_t)nd->fn)(CTX, s[0], s[1], z[0], z[1]);
}
INVOKER(call_2d_tile_2d_uarch)
{
    ((pthreadpool_task_2d_tile_2d_with_id_t)nd->fn)(CTX, UARCH, s[0], s[1], z[0], z[1]);
}
INVOKER(call_3d) { ((pthreadpool_task_3d_t)nd->fn)(CTX, s[0], s[1], s[2]); }
INVOKER(call_3d_tile_1d)
{
    ((pthreadpool_task_3d_tile_1d_t)nd->fn)(CTX, s[0], s[1], s[2], z[2]);
}
INVOKER(call_3d_tile_2d)
{
    ((pthreadpool_task_3d_tile_2d_t)nd->fn)(CTX, s[0], s[1], s[2], z[1], z[2]);
}
INVOKER(call_3d_tile_2d_uarch)
{
    ((pthreadpool_task_3d_tile_2d_with_id_t)nd->fn)(CTX, UARCH, s[0], s[1], s[2], z[1], z[2]);
}
INVOKER(call_3d_tiled)
{
    ((pthreadpool_function_3d_tiled_t)nd->fn)(CTX, s[0], s[1], s[2], z[0], z[1], z[2]);
}
INVOKER(call_4d) { ((pthreadpool_task_4d_t)nd->fn)(CTX, s[0], s[1], s[2], s[3]); }
INVOKER(call_4d_tile_1d)
{
    ((pthreadpool_task_4d_tile_1d_t)nd->fn)(CTX, s[0], s[1], s[2], s[3], z[3]);
}
INVOKER(call_4d_tile_2d)
{
    ((pthreadpool_task_4d_tile_2d_t)nd->fn)(CTX, s[0], s[1], s[2], s[3], z[2], z[3]);
}
INVOKER(call_4d_tile_2d_uarch)
{
    ((pthreadpool_task_4d_tile_2d_with_id_t)nd->fn)(CTX, UARCH, s[0], s[1], s[2], s[3], z[2],
                                                    z[3]);
}
INVOKER(call_4d_tiled)
{
    ((pthreadpool_function_4d_tiled_t)nd->fn)(CTX, s[0], s[1], s[2], s[3], z[0], z[1], z[2],
                                              z[3]);
}
INVOKER(call_5d) { ((pthreadpool_task_5d_t)nd->fn)(CTX, s[0], s[1], s[2], s[3], s[4]); }
INVOKER(call_5d_tile_1d)
{
    ((pthreadpool_task_5d_tile_1d_t)nd->fn)(CTX, s[0], s[1], s[2], s[3], s[4], z[4]);
}
INVOKER(call_5d_tile_2d)
{
    ((pthreadpool_task_5d_tile_2d_t)nd->fn)(CTX, s[0], s[1], s[2], s[3], s[4], z[3], z[4]);
}
INVOKER(call_6d)
{
    ((pthreadpool_task_6d_t)nd->fn)(CTX, s[0], s[1], s[2], s[3], s[4], s[5]);
}
INVOKER(call_6d_tile_1d)
{
    ((pthreadpool_task_6d_tile_1d_t)nd->fn)(CTX, s[0], s[1], s[2], s[3], s[4], s[5], z[5]);
}
INVOKER(call_6d_tile_2d)
{
    ((pthreadpool_task_6d_tile_2d_t)nd->fn)(CTX, s[0], s[1], s[2], s[3], s[4], s[5], z[4],
                                            z[5]);
}

/* Grids as arrays: R(...) the ranges, T(...) the tiles. */
#define R(...) ((const size_t[]){ __VA_ARGS__ })
#define T(...) ((const size_t[]){ __VA_ARGS__ })

/* ---- the parallelize functions ------------------------------------------------------ */

void pthreadpool_parallelize_1d(pthreadpool_t pool, pthreadpool_task_1d_t fn, void *ctx,
                                size_t range, uint32_t flags)
{
    if (serial_flags(flags)) {
        if (!pool) {
            loop_items(fn, ctx, range);
            return;
        }
        if (tpool__solo_enter(as_tpool(pool))) {
            loop_items(fn, ctx, range);
            tpool__solo_leave(as_tpool(pool));
            return;
        }
    }
    run_line(pool, line_1d, FN(fn), ctx, 0, range, 1, flags);
}

void pthreadpool_parallelize_1d_with_uarch(pthreadpool_t pool,
                                           pthreadpool_task_1d_with_id_t fn, void *ctx,
                                           uint32_t default_uarch_index,
                                           uint32_t max_uarch_index, size_t range,
                                           uint32_t flags)
{
    run_line(pool, line_1d_uarch, FN(fn), ctx, default_uarch_index, range, 1, flags);
}

void pthreadpool_parallelize_1d_tile_1d(pthreadpool_t pool, pthreadpool_task_1d_tile_1d_t fn,
                                        void *ctx, size_t range, size_t tile, uint32_t flags)
{
    if (tile != 0 && serial_flags(flags)) { /* run reports a zero tile */
        if (!pool) {
            loop_tiles(fn, ctx, range, tile);
            return;
        }
        if (tpool__solo_enter(as_tpool(pool))) {
            loop_tiles(fn, ctx, range, tile);
            tpool__solo_leave(as_tpool(pool));
            return;
        }
    }
    run_line(pool, line_1d_tile, FN(fn), ctx, 0, range, tile, flags);
}

void pthreadpool_parallelize_2d(pthreadpool_t pool, pthreadpool_task_2d_t fn, void *ctx,
                                size_t range_i, size_t range_j, uint32_t flags)
{
    run(pool, call_2d, FN(fn), ctx, 0, 2, R(range_i, range_j), T(1, 1), flags);
}

void pthreadpool_parallelize_2d_tile_1d(pthreadpool_t pool, pthreadpool_task_2d_tile_1d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t tile_j, uint32_t flags)
{
    run(pool, call_2d_tile_1d, FN(fn), ctx, 0, 2, R(range_i, range_j), T(1, tile_j), flags);
}

void pthreadpool_parallelize_2d_tile_2d(pthreadpool_t pool, pthreadpool_task_2d_tile_2d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t tile_i, size_t tile_j, uint32_t flags)
{
    run(pool, call_2d_tile_2d, FN(fn), ctx, 0, 2, R(range_i, range_j), T(tile_i, tile_j),
        flags);
}

void pthreadpool_parallelize_2d_tile_2d_with_uarch(
    pthreadpool_t pool, pthreadpool_task_2d_tile_2d_with_id_t fn, void *ctx,
    uint32_t default_uarch_index, uint32_t max_uarch_index, size_t range_i, size_t range_j,
    size_t tile_i, size_t tile_j, uint32_t flags)
{
    run(pool, call_2d_tile_2d_uarch, FN(fn), ctx, default_uarch_index, 2, R(range_i, range_j),
        T(tile_i, tile_j), flags);
}

void pthreadpool_parallelize_3d(pthreadpool_t pool, pthreadpool_task_3d_t fn, void *ctx,
                                size_t range_i, size_t range_j, size_t range_k, uint32_t flags)
{
    run(pool, call_3d, FN(fn), ctx, 0, 3, R(range_i, range_j, range_k), T(1, 1, 1), flags);
}

void pthreadpool_parallelize_3d_tile_1d(pthreadpool_t pool, pthreadpool_task_3d_tile_1d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t range_k, size_t tile_k, uint32_t flags)
{
    run(pool, call_3d_tile_1d, FN(fn), ctx, 0, 3, R(range_i, range_j, range_k),
        T(1, 1, tile_k), flags);
}

void pthreadpool_parallelize_3d_tile_2d(pthreadpool_t pool, pthreadpool_task_3d_tile_2d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t range_k, size_t tile_j, size_t tile_k,
                                        uint32_t flags)
{
    run(pool, call_3d_tile_2d, FN(fn), ctx, 0, 3, R(range_i, range_j, range_k),
        T(1, tile_j, tile_k), flags);
}

void pthreadpool_parallelize_3d_tile_2d_with_uarch(
    pthreadpool_t pool, pthreadpool_task_3d_tile_2d_with_id_t fn, void *ctx,
    uint32_t default_uarch_index, uint32_t max_uarch_index, size_t range_i, size_t range_j,
    size_t range_k, size_t tile_j, size_t tile_k, uint32_t flags)
{
    run(pool, call_3d_tile_2d_uarch, FN(fn), ctx, default_uarch_index, 3,
        R(range_i, range_j, range_k), T(1, tile_j, tile_k), flags);
}

void pthreadpool_parallelize_4d(pthreadpool_t pool, pthreadpool_task_4d_t fn, void *ctx,
                                size_t range_i, size_t range_j, size_t range_k,
                                size_t range_l, uint32_t flags)
{
    run(pool, call_4d, FN(fn), ctx, 0, 4, R(range_i, range_j, range_k, range_l),
        T(1, 1, 1, 1), flags);
}

void pthreadpool_parallelize_4d_tile_1d(pthreadpool_t pool, pthreadpool_task_4d_tile_1d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t range_k, size_t range_l, size_t tile_l,
                                        uint32_t flags)
{
    run(pool, call_4d_tile_1d, FN(fn), ctx, 0, 4, R(range_i, range_j, range_k, range_l),
        T(1, 1, 1, tile_l), flags);
}

void pthreadpool_parallelize_4d_tile_2d(pthreadpool_t pool, pthreadpool_task_4d_tile_2d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t range_k, size_t range_l, size_t tile_k,
                                        size_t tile_l, uint32_t flags)
{
    run(pool, call_4d_tile_2d, FN(fn), ctx, 0, 4, R(range_i, range_j, range_k, range_l),
        T(1, 1, tile_k, tile_l), flags);
}

void pthreadpool_parallelize_4d_tile_2d_with_uarch(
    pthreadpool_t pool, pthreadpool_task_4d_tile_2d_with_id_t fn, void *ctx,
    uint32_t default_uarch_index, uint32_t max_uarch_index, size_t range_i, size_t range_j,
    size_t range_k, size_t range_l, size_t tile_k, size_t tile_l, uint32_t flags)
{
    run(pool, call_4d_tile_2d_uarch, FN(fn), ctx, default_uarch_index, 4,
        R(range_i, range_j, range_k, range_l), T(1, 1, tile_k, tile_l), flags);
}

void pthreadpool_parallelize_5d(pthreadpool_t pool, pthreadpool_task_5d_t fn, void *ctx,
                                size_t range_i, size_t range_j, size_t range_k,
                                size_t range_l, size_t range_m, uint32_t flags)
{
    run(pool, call_5d, FN(fn), ctx, 0, 5, R(range_i, range_j, range_k, range_l, range_m),
        T(1, 1, 1, 1, 1), flags);
}

void pthreadpool_parallelize_5d_tile_1d(pthreadpool_t pool, pthreadpool_task_5d_tile_1d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t range_k, size_t range_l, size_t range_m,
                                        size_t tile_m, uint32_t flags)
{
    run(pool, call_5d_tile_1d, FN(fn), ctx, 0, 5,
        R(range_i, range_j, range_k, range_l, range_m), T(1, 1, 1, 1, tile_m), flags);
}

void pthreadpool_parallelize_5d_tile_2d(pthreadpool_t pool, pthreadpool_task_5d_tile_2d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t range_k, size_t range_l, size_t range_m,
                                        size_t tile_l, size_t tile_m, uint32_t flags)
{
    run(pool, call_5d_tile_2d, FN(fn), ctx, 0, 5,
        R(range_i, range_j, range_k, range_l, range_m), T(1, 1, 1, tile_l, tile_m), flags);
}

void pthreadpool_parallelize_6d(pthreadpool_t pool, pthreadpool_task_6d_t fn, void *ctx,
                                size_t range_i, size_t range_j, size_t range_k,
                                size_t range_l, size_t range_m, size_t range_n, uint32_t flags)
{
    run(pool, call_6d, FN(fn), ctx, 0, 6,
        R(range_i, range_j, range_k, range_l, range_m, range_n), T(1, 1, 1, 1, 1, 1), flags);
}

void pthreadpool_parallelize_6d_tile_1d(pthreadpool_t pool, pthreadpool_task_6d_tile_1d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t range_k, size_t range_l, size_t range_m,
                                        size_t range_n, size_t tile_n, uint32_t flags)
{
    run(pool, call_6d_tile_1d, FN(fn), ctx, 0, 6,
        R(range_i, range_j, range_k, range_l, range_m, range_n), T(1, 1, 1, 1, 1, tile_n),
        flags);
}

void pthreadpool_parallelize_6d_tile_2d(pthreadpool_t pool, pthreadpool_task_6d_tile_2d_t fn,
                                        void *ctx, size_t range_i, size_t range_j,
                                        size_t range_k, size_t range_l, size_t range_m,
                                        size_t range_n, size_t tile_m, size_t tile_n,
                                        uint32_t flags)
{
    run(pool, call_6d_tile_2d, FN(fn), ctx, 0, 6,
        R(range_i, range_j, range_k, range_l, range_m, range_n),
        T(1, 1, 1, 1, tile_m, tile_n), flags);
}

/* ---- the legacy compute functions ------------------------------------------------------ */

void pthreadpool_compute_1d(pthreadpool_t pool, pthreadpool_function_1d_t fn, void *arg,
                            size_t range)
{
    run_line(pool, line_1d, FN(fn), arg, 0, range, 1, 0);
}

void pthreadpool_compute_1d_tiled(pthreadpool_t pool, pthreadpool_function_1d_tiled_t fn,
                                  void *arg, size_t range, size_t tile)
{
    run_line(pool, line_1d_tile, FN(fn), arg, 0, range, tile, 0);
}

void pthreadpool_compute_2d(pthreadpool_t pool, pthreadpool_function_2d_t fn, void *arg,
                            size_t range_i, size_t range_j)
{
    run(pool, call_2d, FN(fn), arg, 0, 2, R(range_i, range_j), T(1, 1), 0);
}

void pthreadpool_compute_2d_tiled(pthreadpool_t pool, pthreadpool_function_2d_tiled_t fn,
                                  void *arg, size_t range_i, size_t range_j, size_t tile_i,
                                  size_t tile_j)
{
    run(pool, call_2d_tile_2d, FN(fn), arg, 0, 2, R(range_i, range_j), T(tile_i, tile_j), 0);
}

void pthreadpool_compute_3d_tiled(pthreadpool_t pool, pthreadpool_function_3d_tiled_t fn,
                                  void *arg, size_t range_i, size_t range_j, size_t range_k,
                                  size_t tile_i, size_t tile_j, size_t tile_k)
{
    run(pool, call_3d_tiled, FN(fn), arg, 0, 3, R(range_i, range_j, range_k),
        T(tile_i, tile_j, tile_k), 0);
}

void pthreadpool_compute_4d_tiled(pthreadpool_t pool, pthreadpool_function_4d_tiled_t fn,
                                  void *arg, size_t range_i, size_t range_j, size_t range_k,
                                  size_t range_l, size_t tile_i, size_t tile_j, size_t tile_k,
                                  size_t tile_l)
{
    run(pool, call_4d_tiled, FN(fn), arg, 0, 4, R(range_i, range_j, range_k, range_l),
        T(tile_i, tile_j, tile_k, tile_l), 0);
}

/* ---- the recorder's view (record.h) ------------------------------------------- */

static const char *invoke_api(tpool__nd_invoke invoke)
{
    static const struct {
        tpool__nd_invoke invoke;
        const char *api;
    } names[] = {
        { call_2d, "pthreadpool_parallelize_2d" },
        { call_2d_tile_1d, "pthreadpool_parallelize_2d_tile_1d" },
        { call_2d_tile_2d, "pthreadpool_parallelize_2d_tile_2d" },
        { call_2d_tile_2d_uarch, "pthreadpool_parallelize_2d_tile_2d_with_uarch" },
        { call_3d, "pthreadpool_parallelize_3d" },
        { call_3d_tile_1d, "pthreadpool_parallelize_3d_tile_1d" },
        { call_3d_tile_2d, "pthreadpool_parallelize_3d_tile_2d" },
        { call_3d_tile_2d_uarch, "pthreadpool_parallelize_3d_tile_2d_with_uarch" },
        { call_3d_tiled, "pthreadpool_compute_3d_tiled" },
        { call_4d, "pthreadpool_parallelize_4d" },
        { call_4d_tile_1d, "pthreadpool_parallelize_4d_tile_1d" },
        { call_4d_tile_2d, "pthreadpool_parallelize_4d_tile_2d" },
        { call_4d_tile_2d_uarch, "pthreadpool_parallelize_4d_tile_2d_with_uarch" },
        { call_4d_tiled, "pthreadpool_compute_4d_tiled" },
        { call_5d, "pthreadpool_parallelize_5d" },
        { call_5d_tile_1d, "pthreadpool_parallelize_5d_tile_1d" },
        { call_5d_tile_2d, "pthreadpool_parallelize_5d_tile_2d" },
        { call_6d, "pthreadpool_parallelize_6d" },
        { call_6d_tile_1d, "pthreadpool_parallelize_6d_tile_1d" },
        { call_6d_tile_2d, "pthreadpool_parallelize_6d_tile_2d" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].invoke == invoke)
            return names[i].api;
    return NULL;
}

static const char *line_of(tpool_range_fn fn, const void *ctx, size_t *range, size_t *tile)
{
    const char *api = fn == line_1d         ? "pthreadpool_parallelize_1d"
                      : fn == line_1d_uarch ? "pthreadpool_parallelize_1d_with_uarch"
                      : fn == line_1d_tile  ? "pthreadpool_parallelize_1d_tile_1d"
                                            : NULL;
    if (api) {
        const line *l = ctx;
        *range = l->range;
        *tile = l->tile;
    }
    return api;
}

/* The recorder is below the drop-in and cannot name its calls: registered
 * when the library is loaded, before any pool exists, so that every
 * recorded pool sees the names, whichever API created it. */
__attribute__((constructor)) static void name_calls_for_recorder(void)
{
    static const tpool__rec_dropin names = { invoke_api, line_of };
    tpool__rec_name_dropin(&names);
}
