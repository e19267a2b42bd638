/*
 * check_pthreadpool.c - the pthreadpool API (include/pthreadpool.h): every
 * parallelize function and every legacy compute function, under every policy
 * in the build tree and with 1 to 8 threads, passed a pool made with
 * tpool_create; plus pthreadpool_create/_destroy/_get_threads_count, NULL
 * pools, empty ranges, zero tiles, the uarch index, a slow first tile under
 * the balancing policies, progress (a tile that waits for all the others,
 * default parameters), nesting, concurrent callers and flags.
 */
#define _GNU_SOURCE
#include <pthread.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "ndcheck.h"
#include "pthreadpool.h"

/* The legacy functions are deprecated; testing them is the point. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;

#define S(...) ((const size_t[]){ __VA_ARGS__ })
#define UARCH_DEFAULT 7u
#define UARCH_MAX 3u /* below the default on purpose: the default is passed anyway */

static void check_uarch(ndcheck *c, uint32_t uarch, const size_t *s, const size_t *z)
{
    if (uarch != c->uarch)
        ndc_fail(c, "uarch index is not default_uarch_index", s, z);
}

/* ---- one callback per function type, translating to ndc_tile ------------------------ */

static void cb_1d(void *c, size_t i) { ndc_tile(c, S(i), S(1), -1); }
static void cb_1d_uarch(void *c, uint32_t u, size_t i)
{
    check_uarch(c, u, S(i), S(1));
    ndc_tile(c, S(i), S(1), -1);
}
static void cb_1d_tile_1d(void *c, size_t i, size_t ti) { ndc_tile(c, S(i), S(ti), -1); }
static void cb_2d(void *c, size_t i, size_t j) { ndc_tile(c, S(i, j), S(1, 1), -1); }
static void cb_2d_tile_1d(void *c, size_t i, size_t j, size_t tj)
{
    ndc_tile(c, S(i, j), S(1, tj), -1);
}
static void cb_2d_tile_2d(void *c, size_t i, size_t j, size_t ti, size_t tj)
{
    ndc_tile(c, S(i, j), S(ti, tj), -1);
}
static void cb_2d_tile_2d_uarch(void *c, uint32_t u, size_t i, size_t j, size_t ti, size_t tj)
{
    check_uarch(c, u, S(i, j), S(ti, tj));
    ndc_tile(c, S(i, j), S(ti, tj), -1);
}
static void cb_3d(void *c, size_t i, size_t j, size_t k)
{
    ndc_tile(c, S(i, j, k), S(1, 1, 1), -1);
}
static void cb_3d_tile_1d(void *c, size_t i, size_t j, size_t k, size_t tk)
{
    ndc_tile(c, S(i, j, k), S(1, 1, tk), -1);
}
static void cb_3d_tile_2d(void *c, size_t i, size_t j, size_t k, size_t tj, size_t tk)
{
    ndc_tile(c, S(i, j, k), S(1, tj, tk), -1);
}
static void cb_3d_tile_2d_uarch(void *c, uint32_t u, size_t i, size_t j, size_t k, size_t tj,
                                size_t tk)
{
    check_uarch(c, u, S(i, j, k), S(1, tj, tk));
    ndc_tile(c, S(i, j, k), S(1, tj, tk), -1);
}
static void cb_3d_tiled(void *c, size_t i, size_t j, size_t k, size_t ti, size_t tj, size_t tk)
{
    ndc_tile(c, S(i, j, k), S(ti, tj, tk), -1);
}
static void cb_4d(void *c, size_t i, size_t j, size_t k, size_t l)
{
    ndc_tile(c, S(i, j, k, l), S(1, 1, 1, 1), -1);
}
static void cb_4d_tile_1d(void *c, size_t i, size_t j, size_t k, size_t l, size_t tl)
{
    ndc_tile(c, S(i, j, k, l), S(1, 1, 1, tl), -1);
}
static void cb_4d_tile_2d(void *c, size_t i, size_t j, size_t k, size_t l, size_t tk, size_t tl)
{
    ndc_tile(c, S(i, j, k, l), S(1, 1, tk, tl), -1);
}
static void cb_4d_tile_2d_uarch(void *c, uint32_t u, size_t i, size_t j, size_t k, size_t l,
                                size_t tk, size_t tl)
{
    check_uarch(c, u, S(i, j, k, l), S(1, 1, tk, tl));
    ndc_tile(c, S(i, j, k, l), S(1, 1, tk, tl), -1);
}
static void cb_4d_tiled(void *c, size_t i, size_t j, size_t k, size_t l, size_t ti, size_t tj,
                        size_t tk, size_t tl)
{
    ndc_tile(c, S(i, j, k, l), S(ti, tj, tk, tl), -1);
}
static void cb_5d(void *c, size_t i, size_t j, size_t k, size_t l, size_t m)
{
    ndc_tile(c, S(i, j, k, l, m), S(1, 1, 1, 1, 1), -1);
}
static void cb_5d_tile_1d(void *c, size_t i, size_t j, size_t k, size_t l, size_t m, size_t tm)
{
    ndc_tile(c, S(i, j, k, l, m), S(1, 1, 1, 1, tm), -1);
}
static void cb_5d_tile_2d(void *c, size_t i, size_t j, size_t k, size_t l, size_t m, size_t tl,
                          size_t tm)
{
    ndc_tile(c, S(i, j, k, l, m), S(1, 1, 1, tl, tm), -1);
}
static void cb_6d(void *c, size_t i, size_t j, size_t k, size_t l, size_t m, size_t n)
{
    ndc_tile(c, S(i, j, k, l, m, n), S(1, 1, 1, 1, 1, 1), -1);
}
static void cb_6d_tile_1d(void *c, size_t i, size_t j, size_t k, size_t l, size_t m, size_t n,
                          size_t tn)
{
    ndc_tile(c, S(i, j, k, l, m, n), S(1, 1, 1, 1, 1, tn), -1);
}
static void cb_6d_tile_2d(void *c, size_t i, size_t j, size_t k, size_t l, size_t m, size_t n,
                          size_t tm, size_t tn)
{
    ndc_tile(c, S(i, j, k, l, m, n), S(1, 1, 1, 1, tm, tn), -1);
}

/* ---- one caller per function ------------------------------------------------------ */

typedef void (*call_fn)(pthreadpool_t, ndcheck *, uint32_t flags);
#define R c->range
#define T c->call_tile
#define U UARCH_DEFAULT, UARCH_MAX

static void run_1d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_1d(p, cb_1d, c, R[0], f);
}
static void run_1d_uarch(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_1d_with_uarch(p, cb_1d_uarch, c, U, R[0], f);
}
static void run_1d_tile_1d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_1d_tile_1d(p, cb_1d_tile_1d, c, R[0], T[0], f);
}
static void run_2d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_2d(p, cb_2d, c, R[0], R[1], f);
}
static void run_2d_tile_1d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_2d_tile_1d(p, cb_2d_tile_1d, c, R[0], R[1], T[1], f);
}
static void run_2d_tile_2d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_2d_tile_2d(p, cb_2d_tile_2d, c, R[0], R[1], T[0], T[1], f);
}
static void run_2d_tile_2d_uarch(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_2d_tile_2d_with_uarch(p, cb_2d_tile_2d_uarch, c, U, R[0], R[1], T[0],
                                                  T[1], f);
}
static void run_3d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_3d(p, cb_3d, c, R[0], R[1], R[2], f);
}
static void run_3d_tile_1d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_3d_tile_1d(p, cb_3d_tile_1d, c, R[0], R[1], R[2], T[2], f);
}
static void run_3d_tile_2d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_3d_tile_2d(p, cb_3d_tile_2d, c, R[0], R[1], R[2], T[1], T[2], f);
}
static void run_3d_tile_2d_uarch(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_3d_tile_2d_with_uarch(p, cb_3d_tile_2d_uarch, c, U, R[0], R[1], R[2],
                                                  T[1], T[2], f);
}
static void run_4d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_4d(p, cb_4d, c, R[0], R[1], R[2], R[3], f);
}
static void run_4d_tile_1d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_4d_tile_1d(p, cb_4d_tile_1d, c, R[0], R[1], R[2], R[3], T[3], f);
}
static void run_4d_tile_2d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_4d_tile_2d(p, cb_4d_tile_2d, c, R[0], R[1], R[2], R[3], T[2], T[3],
                                       f);
}
static void run_4d_tile_2d_uarch(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_4d_tile_2d_with_uarch(p, cb_4d_tile_2d_uarch, c, U, R[0], R[1], R[2],
                                                  R[3], T[2], T[3], f);
}
static void run_5d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_5d(p, cb_5d, c, R[0], R[1], R[2], R[3], R[4], f);
}
static void run_5d_tile_1d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_5d_tile_1d(p, cb_5d_tile_1d, c, R[0], R[1], R[2], R[3], R[4], T[4],
                                       f);
}
static void run_5d_tile_2d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_5d_tile_2d(p, cb_5d_tile_2d, c, R[0], R[1], R[2], R[3], R[4], T[3],
                                       T[4], f);
}
static void run_6d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_6d(p, cb_6d, c, R[0], R[1], R[2], R[3], R[4], R[5], f);
}
static void run_6d_tile_1d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_6d_tile_1d(p, cb_6d_tile_1d, c, R[0], R[1], R[2], R[3], R[4], R[5],
                                       T[5], f);
}
static void run_6d_tile_2d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_parallelize_6d_tile_2d(p, cb_6d_tile_2d, c, R[0], R[1], R[2], R[3], R[4], R[5],
                                       T[4], T[5], f);
}
/* The legacy functions take no flags. */
static void run_compute_1d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_compute_1d(p, cb_1d, c, R[0]);
}
static void run_compute_1d_tiled(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_compute_1d_tiled(p, cb_1d_tile_1d, c, R[0], T[0]);
}
static void run_compute_2d(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_compute_2d(p, cb_2d, c, R[0], R[1]);
}
static void run_compute_2d_tiled(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_compute_2d_tiled(p, cb_2d_tile_2d, c, R[0], R[1], T[0], T[1]);
}
static void run_compute_3d_tiled(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_compute_3d_tiled(p, cb_3d_tiled, c, R[0], R[1], R[2], T[0], T[1], T[2]);
}
static void run_compute_4d_tiled(pthreadpool_t p, ndcheck *c, uint32_t f)
{
    pthreadpool_compute_4d_tiled(p, cb_4d_tiled, c, R[0], R[1], R[2], R[3], T[0], T[1], T[2],
                                 T[3]);
}

/* Every function, with its dimensions and which of them it tiles (bit d). */
static const struct variant {
    const char *name;
    call_fn call;
    unsigned ndim, tiled;
    bool uarch;
} variants[] = {
    { "parallelize_1d", run_1d, 1, 0, false },
    { "parallelize_1d_with_uarch", run_1d_uarch, 1, 0, true },
    { "parallelize_1d_tile_1d", run_1d_tile_1d, 1, 1, false },
    { "parallelize_2d", run_2d, 2, 0, false },
    { "parallelize_2d_tile_1d", run_2d_tile_1d, 2, 2, false },
    { "parallelize_2d_tile_2d", run_2d_tile_2d, 2, 3, false },
    { "parallelize_2d_tile_2d_with_uarch", run_2d_tile_2d_uarch, 2, 3, true },
    { "parallelize_3d", run_3d, 3, 0, false },
    { "parallelize_3d_tile_1d", run_3d_tile_1d, 3, 4, false },
    { "parallelize_3d_tile_2d", run_3d_tile_2d, 3, 6, false },
    { "parallelize_3d_tile_2d_with_uarch", run_3d_tile_2d_uarch, 3, 6, true },
    { "parallelize_4d", run_4d, 4, 0, false },
    { "parallelize_4d_tile_1d", run_4d_tile_1d, 4, 8, false },
    { "parallelize_4d_tile_2d", run_4d_tile_2d, 4, 12, false },
    { "parallelize_4d_tile_2d_with_uarch", run_4d_tile_2d_uarch, 4, 12, true },
    { "parallelize_5d", run_5d, 5, 0, false },
    { "parallelize_5d_tile_1d", run_5d_tile_1d, 5, 16, false },
    { "parallelize_5d_tile_2d", run_5d_tile_2d, 5, 24, false },
    { "parallelize_6d", run_6d, 6, 0, false },
    { "parallelize_6d_tile_1d", run_6d_tile_1d, 6, 32, false },
    { "parallelize_6d_tile_2d", run_6d_tile_2d, 6, 48, false },
    { "compute_1d", run_compute_1d, 1, 0, false },
    { "compute_1d_tiled", run_compute_1d_tiled, 1, 1, false },
    { "compute_2d", run_compute_2d, 2, 0, false },
    { "compute_2d_tiled", run_compute_2d_tiled, 2, 3, false },
    { "compute_3d_tiled", run_compute_3d_tiled, 3, 7, false },
    { "compute_4d_tiled", run_compute_4d_tiled, 4, 15, false },
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

/* Prime ranges per dimension; tiles of the tiled dimensions from `tiles`,
 * 1 elsewhere. */
static void variant_init(ndcheck *c, const struct variant *v, const size_t *range,
                         const size_t *tiles, unsigned threads)
{
    size_t tile[NDC_MAX];
    for (unsigned d = 0; d < v->ndim; d++)
        tile[d] = (v->tiled >> d) & 1u ? tiles[d] : 1;
    ndc_init(c, v->ndim, range, tile, threads);
    c->uarch = UARCH_DEFAULT;
}

static void run_variant(pthreadpool_t p, const struct variant *v, const size_t *range,
                        const size_t *tiles, uint32_t flags, const char *pol)
{
    ndcheck c;
    unsigned threads = (unsigned)pthreadpool_get_threads_count(p);
    variant_init(&c, v, range, tiles, threads);
    v->call(p, &c, flags);
    char what[160];
    snprintf(what, sizeof what, "pthreadpool_%s, policy '%s', %u threads", v->name,
             pol ? pol : "(none)", threads);
    ndc_assert(&c, what);
    if (c.tiles <= 4096)
        ck_assert_msg(ndc_distinct_threads(&c) <= threads, "%s: more threads than the pool has",
                      what);
    ndc_free(&c);
}

/* Ranges: one large-ish prime set, one with tiles larger than the range. */
static const size_t ranges_a[] = { 7, 5, 3, 11, 2, 13 };
static const size_t tiles_a[] = { 3, 2, 2, 4, 1, 5 };
static const size_t ranges_b[] = { 3, 2, 5, 2, 3, 7 };
static const size_t tiles_b[] = { 5, 3, 7, 2, 4, 11 };

static pthreadpool_t as_pp(tpool *p)
{
    return (pthreadpool_t)p;
}

START_TEST(test_every_function)
{
    const char *pol = g_pol[_i];
    for (unsigned threads = 1; threads <= 8; threads++) {
        tpool *p = tu_pool(pol, threads, NULL);
        ck_assert_uint_eq(pthreadpool_get_threads_count(as_pp(p)), threads);
        for (size_t v = 0; v < NVARIANTS; v++) {
            run_variant(as_pp(p), &variants[v], ranges_a, tiles_a, 0, pol);
            run_variant(as_pp(p), &variants[v], ranges_b, tiles_b, 0, pol);
        }
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

START_TEST(test_null_pool)
{
    ck_assert_uint_eq(pthreadpool_get_threads_count(NULL), 1);
    for (size_t v = 0; v < NVARIANTS; v++)
        run_variant(NULL, &variants[v], ranges_a, tiles_a, 0, NULL);
    pthreadpool_destroy(NULL); /* does nothing */
}
END_TEST

/* A slow first tile under the balancing policies (one tile handed out at a
 * time): every other tile runs on other threads meanwhile. */
START_TEST(test_slow_first_tile)
{
    const char *pol = g_pol[_i];
    const char *params = ndc_balancing_params(pol);
    if (!params)
        return;
    tpool *p = tu_pool(pol, 4, params);
    for (size_t v = 0; v < NVARIANTS; v++) {
        /* 12 tiles along the last dimension, 1 along the others. */
        const struct variant *var = &variants[v];
        size_t range[NDC_MAX], tiles[NDC_MAX];
        for (unsigned d = 0; d < var->ndim; d++) {
            bool last = d == var->ndim - 1;
            bool tiled = (var->tiled >> d) & 1u;
            range[d] = last ? (tiled ? 24 : 12) : 1;
            tiles[d] = last && tiled ? 2 : 1;
        }
        ndcheck c;
        variant_init(&c, var, range, tiles, 4);
        c.slow = true;
        var->call(as_pp(p), &c, 0);
        char what[128];
        snprintf(what, sizeof what, "pthreadpool_%s, policy '%s', slow first tile", var->name,
                 pol);
        ndc_assert(&c, what);
        ndc_assert_balanced(&c, what);
        ndc_free(&c);
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/*
 * Progress, as pthreadpool gives it: under every policy that declares it,
 * with its default parameters (and roundrobin with stealing), every
 * function completes although one of its tiles (the first, the last or
 * one in the middle) waits until every other tile has run; the others run
 * meanwhile, none on the waiting thread afterwards. 2 and 3 threads, tiles
 * in every dimension. The waiting tile gives up after 10 s without progress
 * (ndc_wait_for_others), so a regression fails here instead of hanging.
 */
START_TEST(test_progress)
{
    const char *pol = g_pol[_i];
    const char *configs[2];
    int nconf = ndc_progress_configs(pol, configs);
    static const size_t range[] = { 9, 4, 3, 2, 3, 2 }, tiles[] = { 2, 3, 2, 1, 2, 1 };
    for (int k = 0; k < nconf; k++) {
        for (unsigned threads = 2; threads <= 3; threads++) {
            tpool *p = tu_pool(pol, threads, configs[k]);
            for (size_t v = 0; v < NVARIANTS; v++) {
                const struct variant *var = &variants[v];
                for (int where = 0; where < 3; where++) {
                    ndcheck c;
                    variant_init(&c, var, range, tiles, threads);
                    ndc_slow_at(&c, where);
                    var->call(as_pp(p), &c, 0);
                    char what[256];
                    snprintf(what, sizeof what,
                             "pthreadpool_%s, policy '%s' %s, %u threads, tile %zu of %zu "
                             "waits for the others",
                             var->name, pol, configs[k] ? configs[k] : "(defaults)", threads,
                             c.slow_tile, c.tiles);
                    ndc_assert(&c, what);
                    ndc_assert_balanced(&c, what);
                    ndc_free(&c);
                }
            }
            ck_assert_int_eq(tpool_destroy(p), 0);
        }
    }
}
END_TEST

/* Zero ranges in every dimension of every function: nothing runs, nothing
 * aborts. Zero tiles cover the whole dimension. */
START_TEST(test_empty_and_zero_tiles)
{
    tpool *p = tu_pool(g_pol[_i], 3, NULL);
    for (size_t v = 0; v < NVARIANTS; v++) {
        const struct variant *var = &variants[v];
        for (unsigned zero = 0; zero < var->ndim; zero++) {
            size_t range[NDC_MAX];
            for (unsigned d = 0; d < var->ndim; d++)
                range[d] = d == zero ? 0 : ranges_a[d];
            ndcheck c;
            variant_init(&c, var, range, tiles_a, 3);
            var->call(as_pp(p), &c, 0);
            ck_assert_msg(atomic_load(&c.tiles_done) == 0, "pthreadpool_%s: ran on an empty range",
                          var->name);
            ndc_free(&c);
        }
        if (var->tiled) {
            /* Zero tiles: each covers its whole dimension. */
            ndcheck c;
            variant_init(&c, var, ranges_a, ranges_a, 3);
            for (unsigned d = 0; d < var->ndim; d++)
                if ((var->tiled >> d) & 1u)
                    c.call_tile[d] = 0;
            var->call(as_pp(p), &c, 0);
            char what[96];
            snprintf(what, sizeof what, "pthreadpool_%s with zero tiles", var->name);
            ndc_assert(&c, what);
            ndc_free(&c);
        }
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- pthreadpool_create ------------------------------------------------------------- */

START_TEST(test_create)
{
    /* TPOOL_POLICY_PATH comes from the test environment. */
    setenv("TPOOL_POLICY", g_pol[_i], 1);
    unsetenv("TPOOL_THREADS");
    pthreadpool_t p = pthreadpool_create(3);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(pthreadpool_get_threads_count(p), 3);
    ck_assert_str_eq(tpool_policy_name((tpool *)p), g_pol[_i]);
    for (size_t v = 0; v < NVARIANTS; v++)
        run_variant(p, &variants[v], ranges_a, tiles_a, 0, g_pol[_i]);
    pthreadpool_destroy(p);

    /* 0: TPOOL_THREADS, else the default count. */
    p = pthreadpool_create(0);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(pthreadpool_get_threads_count(p), tpool_default_threads());
    pthreadpool_destroy(p);
    setenv("TPOOL_THREADS", "5", 1);
    p = pthreadpool_create(0);
    ck_assert_uint_eq(pthreadpool_get_threads_count(p), 5);
    pthreadpool_destroy(p);
    p = pthreadpool_create(2); /* an explicit count wins */
    ck_assert_uint_eq(pthreadpool_get_threads_count(p), 2);
    pthreadpool_destroy(p);
    unsetenv("TPOOL_THREADS");

    /* Errors: NULL (and a line on stderr). A bad TPOOL_* setting is warned
     * about and ignored instead (check_pthreadpool_env.c). */
    ck_assert_ptr_null(pthreadpool_create(5000));
    unsetenv("TPOOL_POLICY");

    /* Nothing configured: the compiled-in default policy. */
    p = pthreadpool_create(2);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(tpool_policy_name((tpool *)p), "stealing");
    pthreadpool_destroy(p);
}
END_TEST

/* ---- nesting, concurrent callers, inline paths, flags ------------------------------------- */

typedef struct {
    pthreadpool_t pool;
    _Atomic int bad;
} nest_ctx;

static void inner_2d(void *arg, size_t i, size_t j, size_t ti, size_t tj)
{
    ndc_tile(arg, S(i, j), S(ti, tj), -1);
}

static void outer_1d(void *arg, size_t i)
{
    nest_ctx *n = arg;
    ndcheck c;
    ndc_init(&c, 2, S(9, 7), S(2, 3), 4);
    pthreadpool_parallelize_2d_tile_2d(n->pool, inner_2d, &c, 9, 7, 2, 3, 0);
    if (atomic_load(&c.bad) || atomic_load(&c.tiles_done) != c.tiles)
        atomic_store(&n->bad, 1);
    ndc_free(&c);
}

START_TEST(test_nested)
{
    tpool *p = tu_pool(g_pol[_i], 4, NULL);
    nest_ctx n = { .pool = as_pp(p) };
    pthreadpool_parallelize_1d(n.pool, outer_1d, &n, 20, 0);
    ck_assert_msg(atomic_load(&n.bad) == 0, "policy '%s': nested call went wrong", g_pol[_i]);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

static void *caller(void *arg)
{
    for (int r = 0; r < 10; r++)
        for (size_t v = 0; v < NVARIANTS; v += 3)
            run_variant(arg, &variants[v], ranges_a, tiles_a, 0, "concurrent");
    return NULL;
}

START_TEST(test_concurrent_callers)
{
    tpool *p = tu_pool(g_pol[_i], 3, NULL);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, caller, as_pp(p));
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

typedef struct {
    pthread_t caller;
    _Atomic int off_caller;
    _Atomic size_t calls;
} inline_ctx;

static void on_caller(void *arg, size_t i, size_t j)
{
    inline_ctx *c = arg;
    if (!pthread_equal(pthread_self(), c->caller))
        atomic_store(&c->off_caller, 1);
    atomic_fetch_add(&c->calls, 1);
}

START_TEST(test_min_work_size_inline)
{
    tpool *p = tu_pool(g_pol[_i], 4, NULL);
    tpool_set_min_work_size(p, 1000);
    inline_ctx c = { .caller = pthread_self() };
    pthreadpool_parallelize_2d(as_pp(p), on_caller, &c, 33, 30, 0); /* 990 items */
    ck_assert_int_eq(atomic_load(&c.off_caller), 0);
    ck_assert_uint_eq(atomic_load(&c.calls), 990);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

#if defined(__x86_64__)
static void check_ftz(void *arg, size_t i)
{
    if ((_mm_getcsr() & 0x8040u) != 0x8040u)
        atomic_store((_Atomic int *)arg, 1);
}

START_TEST(test_flags)
{
    tpool *p = tu_pool(g_pol[_i], 3, NULL);
    _Atomic int bad = 0;
    unsigned before = _mm_getcsr();
    pthreadpool_parallelize_1d(as_pp(p), check_ftz, &bad, 1000,
                               PTHREADPOOL_FLAG_DISABLE_DENORMALS);
    pthreadpool_parallelize_1d(NULL, check_ftz, &bad, 10, PTHREADPOOL_FLAG_DISABLE_DENORMALS);
    ck_assert_int_eq(atomic_load(&bad), 0);
    ck_assert_uint_eq(_mm_getcsr(), before);
    run_variant(as_pp(p), &variants[5], ranges_a, tiles_a,
                PTHREADPOOL_FLAG_YIELD_WORKERS | PTHREADPOOL_FLAG_DISABLE_DENORMALS, g_pol[_i]);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST
#endif

int main(void)
{
    g_npol = tu_policies_print("pthreadpool", g_pol, MAXPOL);

    Suite *s = suite_create("pthreadpool");
    TCase *tc = tcase_create("pthreadpool");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_every_function, 0, g_npol);
    tcase_add_test(tc, test_null_pool);
    tcase_add_loop_test(tc, test_slow_first_tile, 0, g_npol);
    tcase_add_loop_test(tc, test_progress, 0, g_npol);
    tcase_add_loop_test(tc, test_empty_and_zero_tiles, 0, g_npol);
    tcase_add_loop_test(tc, test_create, 0, g_npol);
    tcase_add_loop_test(tc, test_nested, 0, g_npol);
    tcase_add_loop_test(tc, test_concurrent_callers, 0, g_npol);
    tcase_add_loop_test(tc, test_min_work_size_inline, 0, g_npol);
#if defined(__x86_64__)
    tcase_add_loop_test(tc, test_flags, 0, g_npol);
#endif
    suite_add_tcase(s, tc);
    return tu_run(s);
}
