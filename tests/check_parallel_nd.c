/*
 * check_parallel_nd.c - tpool_parallel_nd, the native N-d tiled parallel-for,
 * under every policy in the build tree: every element once over prime-sized
 * ranges and tiles in 1 to 6 dimensions, tile starts and clipped sizes,
 * thread indices, 1 to 8 threads, a slow first tile under the balancing
 * policies, progress (TPOOL_FLAG_PROGRESS: a tile that waits for all the
 * others, default parameters), empty ranges, invalid arguments, the inline paths, nesting,
 * concurrent callers and flags.
 */
#define _GNU_SOURCE
#include <pthread.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "ndcheck.h"
#include "parallel.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;

static void nd_tile(void *ctx, const size_t *start, const size_t *size, unsigned thread)
{
    ndc_tile(ctx, start, size, (int)thread);
}

/* Runs one N-d call and checks it. */
static void check_nd(tpool *p, unsigned ndim, const size_t *range, const size_t *tile,
                     const char *what)
{
    ndcheck c;
    ndc_init(&c, ndim, range, tile, tpool_threads(p));
    ck_assert_int_eq(tpool_parallel_nd(p, ndim, range, tile, nd_tile, &c, NULL), 0);
    ndc_assert(&c, what);
    ndc_free(&c);
}

/* Prime ranges and tiles; a tile larger than its range; tiles of 1. */
static const struct shape {
    unsigned ndim;
    size_t range[TPOOL_ND_MAX], tile[TPOOL_ND_MAX];
} shapes[] = {
    { 1, { 1009 }, { 7 } },
    { 1, { 97 }, { 1 } },
    { 1, { 11 }, { 13 } },
    { 2, { 31, 17 }, { 5, 3 } },
    { 2, { 13, 2 }, { 1, 7 } },
    { 3, { 7, 11, 13 }, { 2, 3, 5 } },
    { 4, { 5, 7, 3, 11 }, { 2, 1, 3, 4 } },
    { 5, { 3, 5, 7, 2, 11 }, { 2, 2, 3, 1, 5 } },
    { 6, { 3, 2, 5, 3, 7, 5 }, { 1, 2, 2, 3, 3, 2 } },
    { 6, { 2, 3, 2, 3, 2, 3 }, { 1, 1, 1, 1, 1, 1 } },
};

START_TEST(test_exactly_once)
{
    const char *pol = g_pol[_i];
    for (unsigned threads = 1; threads <= 8; threads++) {
        tpool *p = tu_pool(pol, threads, NULL);
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            char what[128];
            snprintf(what, sizeof what, "policy '%s', %u threads, shape %zu (%u-d)", pol,
                     threads, k, shapes[k].ndim);
            check_nd(p, shapes[k].ndim, shapes[k].range, shapes[k].tile, what);
        }
        /* tile NULL: tiles of 1 */
        check_nd(p, 2, (size_t[]){ 19, 23 }, NULL, "tile NULL");
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

/* A slow first tile under the balancing policies: every other tile runs on
 * other threads meanwhile. */
START_TEST(test_slow_first_tile)
{
    const char *pol = g_pol[_i];
    const char *params = ndc_balancing_params(pol);
    if (!params)
        return;
    tpool *p = tu_pool(pol, 4, params);
    static const struct shape slow[] = {
        { 1, { 24 }, { 2 } },
        { 2, { 13, 9 }, { 4, 3 } },
        { 3, { 2, 3, 5 }, { 1, 2, 2 } },
    };
    for (size_t k = 0; k < sizeof slow / sizeof slow[0]; k++) {
        for (int rep = 0; rep < 3; rep++) {
            ndcheck c;
            ndc_init(&c, slow[k].ndim, slow[k].range, slow[k].tile, 4);
            c.slow = true;
            ck_assert_int_eq(tpool_parallel_nd(p, c.ndim, c.range, c.tile, nd_tile, &c, NULL),
                             0);
            char what[96];
            snprintf(what, sizeof what, "policy '%s', slow shape %zu", pol, k);
            ndc_assert(&c, what);
            ndc_assert_balanced(&c, what);
            ndc_free(&c);
        }
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* TPOOL_FLAG_PROGRESS under every policy that declares it, with its default
 * parameters (and roundrobin with stealing): a tile (first, middle, last)
 * that waits for all the others lets the call complete, in 1 to 6
 * dimensions at 2 and 3 threads; the others run meanwhile. */
START_TEST(test_progress)
{
    const char *pol = g_pol[_i];
    const char *configs[2];
    int nconf = ndc_progress_configs(pol, configs);
    tpool_range_opts o = { .flags = TPOOL_FLAG_PROGRESS };
    for (int k = 0; k < nconf; k++) {
        for (unsigned threads = 2; threads <= 3; threads++) {
            tpool *p = tu_pool(pol, threads, configs[k]);
            for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
                if (shapes[sh].range[0] == 1009)
                    continue; /* 145 tiles in 1-d: the 97 below suffice */
                for (int where = 0; where < 3; where++) {
                    ndcheck c;
                    ndc_init(&c, shapes[sh].ndim, shapes[sh].range, shapes[sh].tile, threads);
                    ndc_slow_at(&c, where);
                    ck_assert_int_eq(
                        tpool_parallel_nd(p, c.ndim, c.range, c.tile, nd_tile, &c, &o), 0);
                    char what[256];
                    snprintf(what, sizeof what,
                             "policy '%s' %s, %u threads, shape %zu, tile %zu of %zu waits",
                             pol, configs[k] ? configs[k] : "(defaults)", threads, sh,
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

static void never(void *ctx, const size_t *start, const size_t *size, unsigned thread)
{
    atomic_fetch_add((_Atomic int *)ctx, 1);
}

START_TEST(test_empty_ranges)
{
    tpool *p = tu_pool(g_pol[_i], 3, NULL);
    _Atomic int calls = 0;
    for (unsigned ndim = 1; ndim <= TPOOL_ND_MAX; ndim++) {
        for (unsigned zero = 0; zero < ndim; zero++) {
            size_t range[TPOOL_ND_MAX], tile[TPOOL_ND_MAX];
            for (unsigned d = 0; d < ndim; d++) {
                range[d] = d == zero ? 0 : 5;
                tile[d] = d == zero ? 0 : 2; /* any tile on an empty range */
            }
            ck_assert_int_eq(tpool_parallel_nd(p, ndim, range, tile, never, &calls, NULL), 0);
            ck_assert_int_eq(tpool_parallel_nd(NULL, ndim, range, NULL, never, &calls, NULL),
                             0);
        }
    }
    ck_assert_int_eq(atomic_load(&calls), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

typedef struct {
    _Atomic size_t tiles, covered;
} huge_ctx;

static void huge_tile(void *arg, const size_t *start, const size_t *size, unsigned thread)
{
    huge_ctx *h = arg;
    atomic_fetch_add(&h->tiles, 1);
    if (start[1] == 0 && size[1] == 1)
        atomic_fetch_add(&h->covered, size[0]);
}

START_TEST(test_invalid)
{
    tpool *p = tu_pool("fifo", 2, NULL);
    _Atomic int calls = 0;
    size_t r2[] = { 4, 4 }, t2[] = { 2, 0 };
    ck_assert_int_eq(tpool_parallel_nd(p, 0, r2, NULL, never, &calls, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_parallel_nd(p, 7, r2, NULL, never, &calls, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_parallel_nd(p, 2, NULL, NULL, never, &calls, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_parallel_nd(p, 2, r2, NULL, NULL, &calls, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_parallel_nd(p, 2, r2, t2, never, &calls, NULL), TPOOL_EINVAL);
    /* 2^64 tiles or more: refused before anything runs. */
    size_t big[] = { SIZE_MAX, SIZE_MAX, 2 };
    ck_assert_int_eq(tpool_parallel_nd(p, 3, big, NULL, never, &calls, NULL), TPOOL_ERANGE);
    ck_assert_int_eq(tpool_parallel_nd(NULL, 3, big, NULL, never, &calls, NULL), TPOOL_ERANGE);
    size_t huge[] = { SIZE_MAX / 2, 3 }, htile[] = { SIZE_MAX / 4, 1 };
    ck_assert_int_eq(tpool_parallel_nd(p, 2, huge, (size_t[]){ 1, 1 }, never, &calls, NULL),
                     TPOOL_ERANGE);
    ck_assert_int_eq(atomic_load(&calls), 0);
    /* Huge ranges in huge tiles are fine: 3 x 3 tiles, the last ones clipped. */
    huge_ctx h = { .tiles = 0, .covered = 0 };
    ck_assert_int_eq(tpool_parallel_nd(p, 2, huge, htile, huge_tile, &h, NULL), 0);
    ck_assert_uint_eq(atomic_load(&h.tiles), 9);
    ck_assert_uint_eq(atomic_load(&h.covered), SIZE_MAX / 2);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- inline paths ------------------------------------------------------------ */

typedef struct {
    pthread_t caller;
    _Atomic int off_caller;
    _Atomic size_t tiles;
} inline_ctx;

static void on_caller(void *arg, const size_t *start, const size_t *size, unsigned thread)
{
    inline_ctx *c = arg;
    if (!pthread_equal(pthread_self(), c->caller) || thread != 0)
        atomic_store(&c->off_caller, 1);
    atomic_fetch_add(&c->tiles, 1);
}

static void assert_inline(tpool *p, unsigned ndim, const size_t *range, const size_t *tile,
                          size_t tiles, const char *what)
{
    inline_ctx c = { .caller = pthread_self() };
    ck_assert_int_eq(tpool_parallel_nd(p, ndim, range, tile, on_caller, &c, NULL), 0);
    ck_assert_msg(atomic_load(&c.off_caller) == 0, "%s: a tile ran off the caller", what);
    ck_assert_uint_eq(atomic_load(&c.tiles), tiles);
}

START_TEST(test_inline_paths)
{
    size_t r[] = { 30, 30 }, t[] = { 4, 4 };
    assert_inline(NULL, 2, r, t, 64, "NULL pool");
    tpool *one = tu_pool(g_pol[_i], 1, NULL);
    assert_inline(one, 2, r, t, 64, "one thread");
    ck_assert_int_eq(tpool_destroy(one), 0);

    tpool *p = tu_pool(g_pol[_i], 4, NULL);
    assert_inline(p, 2, r, (size_t[]){ 30, 64 }, 1, "one tile");
    /* min_work_size counts items (900 here), not tiles (64). */
    tpool_set_min_work_size(p, 901);
    assert_inline(p, 2, r, t, 64, "below min_work_size");
    tpool_set_min_work_size(p, 900);
    check_nd(p, 2, r, t, "at min_work_size");
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- nesting and concurrent callers ---------------------------------------------- */

typedef struct {
    tpool *pool;
    unsigned threads;
    _Atomic int bad;
} nest_ctx;

static void inner_checked(nest_ctx *n)
{
    ndcheck c;
    size_t r[] = { 5, 6, 7 }, t[] = { 2, 4, 3 };
    ndc_init(&c, 3, r, t, n->threads);
    if (tpool_parallel_nd(n->pool, 3, r, t, nd_tile, &c, NULL) != 0 || atomic_load(&c.bad))
        atomic_store(&n->bad, 1);
    for (size_t e = 0; e < c.elems; e++)
        if (c.hits[e] != 1)
            atomic_store(&n->bad, 1);
    ndc_free(&c);
}

static void outer(void *arg, const size_t *start, const size_t *size, unsigned thread)
{
    inner_checked(arg);
}

static void task_with_nd(void *arg)
{
    inner_checked(arg);
}

START_TEST(test_nested)
{
    tpool *p = tu_pool(g_pol[_i], 4, NULL);
    nest_ctx n = { .pool = p, .threads = 4 };
    ck_assert_int_eq(tpool_parallel_nd(p, 2, (size_t[]){ 6, 5 }, NULL, outer, &n, NULL), 0);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(tpool_submit(p, task_with_nd, &n, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_msg(atomic_load(&n.bad) == 0, "policy '%s': a nested N-d call went wrong",
                  g_pol[_i]);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

static void *nd_caller(void *arg)
{
    tpool *p = arg;
    for (int r = 0; r < 20; r++)
        check_nd(p, 3, (size_t[]){ 11, 7, 13 }, (size_t[]){ 3, 2, 5 }, "concurrent caller");
    return NULL;
}

START_TEST(test_concurrent_callers)
{
    tpool *p = tu_pool(g_pol[_i], 3, NULL);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, nd_caller, p);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- flags ----------------------------------------------------------------------- */

#if defined(__x86_64__)
static void check_ftz(void *arg, const size_t *start, const size_t *size, unsigned thread)
{
    if ((_mm_getcsr() & 0x8040u) != 0x8040u)
        atomic_store((_Atomic int *)arg, 1);
}
#endif

START_TEST(test_flags)
{
    tpool *p = tu_pool(g_pol[_i], 3, NULL);
#if defined(__x86_64__)
    _Atomic int bad = 0;
    unsigned before = _mm_getcsr();
    tpool_range_opts o = { .flags = TPOOL_FLAG_DISABLE_DENORMALS };
    size_t r[] = { 40, 50 }, t[] = { 3, 7 };
    ck_assert_int_eq(tpool_parallel_nd(p, 2, r, t, check_ftz, &bad, &o), 0);
    ck_assert_int_eq(tpool_parallel_nd(NULL, 2, r, t, check_ftz, &bad, &o), 0);
    ck_assert_int_eq(atomic_load(&bad), 0);
    ck_assert_uint_eq(_mm_getcsr(), before);
#endif
    ndcheck c;
    size_t r2[] = { 101, 3 }, t2[] = { 10, 2 };
    ndc_init(&c, 2, r2, t2, 3);
    tpool_range_opts y = { .flags = TPOOL_FLAG_YIELD_WORKERS };
    ck_assert_int_eq(tpool_parallel_nd(p, 2, r2, t2, nd_tile, &c, &y), 0);
    ndc_assert(&c, "yield workers");
    ndc_free(&c);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* The engine's division by a tile count (a multiplication and shifts)
 * equals the divide instruction, for edge and random divisors and
 * dividends; the seed is printed. */
START_TEST(test_divisor)
{
    unsigned seed = tu_seed("divisor");
    const size_t top = SIZE_MAX;
    size_t ds[64] = { 1, 2, 3, 5, 7, 10, 64, 1000, 12345, 65535, 65536, 65537,
                      (size_t)UINT32_MAX, (size_t)UINT32_MAX + 1, top / 2, top / 2 + 1,
                      top / 2 + 2, top - 1, top, top / 3, top / 3 + 1 };
    size_t nd = 21;
    while (nd < 64) {
        uint64_t r = ((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 11)
                     ^ (uint64_t)rand_r(&seed);
        ds[nd++] = (size_t)(r >> (rand_r(&seed) % 64)) | 1;
    }
    for (size_t i = 0; i < nd; i++) {
        size_t d = ds[i];
        tpool__divisor v = tpool__divisor_of(d);
        size_t ns[64] = { 0, 1, 2, d - 1, d, d + 1, 2 * d - 1, 2 * d, 3 * d + 1, top, top - 1,
                          top - d, top / 2, (size_t)UINT32_MAX };
        size_t nn = 14;
        while (nn < 64) {
            uint64_t r = ((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 11)
                         ^ (uint64_t)rand_r(&seed);
            ns[nn++] = (size_t)(r >> (rand_r(&seed) % 64));
        }
        for (size_t k = 0; k < nn; k++)
            ck_assert_msg(tpool__divide(ns[k], d, v) == ns[k] / d, "%zu / %zu: %zu, expected %zu",
                          ns[k], d, tpool__divide(ns[k], d, v), ns[k] / d);
    }
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("parallel_nd", g_pol, MAXPOL);

    Suite *s = suite_create("parallel_nd");
    TCase *tc = tcase_create("nd");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_exactly_once, 0, g_npol);
    tcase_add_loop_test(tc, test_slow_first_tile, 0, g_npol);
    tcase_add_loop_test(tc, test_progress, 0, g_npol);
    tcase_add_loop_test(tc, test_empty_ranges, 0, g_npol);
    tcase_add_test(tc, test_invalid);
    tcase_add_test(tc, test_divisor);
    tcase_add_loop_test(tc, test_inline_paths, 0, g_npol);
    tcase_add_loop_test(tc, test_nested, 0, g_npol);
    tcase_add_loop_test(tc, test_concurrent_callers, 0, g_npol);
    tcase_add_loop_test(tc, test_flags, 0, g_npol);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
