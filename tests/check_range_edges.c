/*
 * check_range_edges.c - parallel-for at the edges of size_t, under every
 * policy: ranges of nearly SIZE_MAX items are cut into [begin, end) pieces
 * that cover [0, n) exactly (no wrapped boundary, no begin >= end, no
 * spurious TPOOL_ENOMEM), a tile count whose array cannot exist is an error
 * rather than a heap overflow, and the pthreadpool drop-in survives a range
 * of SIZE_MAX items.
 *
 * The bodies never iterate over their items: each records its [begin, end)
 * and returns, so a call over 2^64 - 1 items takes as long as the number of
 * pieces the policy hands out. Policies whose default pieces are small
 * (stealing's adaptive chunk is at most 1024 items) get a parameter that
 * makes them large; the default parameters are exercised by the drop-in test,
 * which stops the process after the first pieces.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <unistd.h>

#include "pthreadpool.h"
#include "testutil.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;

/* ---- recording the pieces of one call ------------------------------------- */

#define MAX_PIECES 4096

typedef struct {
    size_t begin, end;
} piece;

typedef struct {
    pthread_mutex_t lock;
    size_t n;
    size_t count;          /* pieces seen, also beyond MAX_PIECES */
    piece pieces[MAX_PIECES];
    size_t bad_begin, bad_end; /* the first piece with begin >= end or end > n */
    int bad;
} record;

static void record_piece(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    record *r = arg;
    pthread_mutex_lock(&r->lock);
    if ((begin >= end || end > r->n) && !r->bad) {
        r->bad = 1;
        r->bad_begin = begin;
        r->bad_end = end;
    }
    if (r->count < MAX_PIECES)
        r->pieces[r->count] = (piece){ begin, end };
    r->count++;
    pthread_mutex_unlock(&r->lock);
}

static int by_begin(const void *a, const void *b)
{
    const piece *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

/* Asserts the recorded pieces cover [0, n) exactly once. */
static void assert_cover(record *r, const char *what)
{
    ck_assert_msg(!r->bad, "%s: piece [%zu, %zu) of a range of %zu items", what, r->bad_begin,
                  r->bad_end, r->n);
    ck_assert_msg(r->count <= MAX_PIECES, "%s: %zu pieces, more than the test records (%d)",
                  what, r->count, MAX_PIECES);
    qsort(r->pieces, r->count, sizeof *r->pieces, by_begin);
    size_t at = 0;
    for (size_t i = 0; i < r->count; i++) {
        ck_assert_msg(r->pieces[i].begin == at,
                      "%s: piece %zu of %zu starts at %zu, expected %zu (a gap or an overlap)",
                      what, i, r->count, r->pieces[i].begin, at);
        at = r->pieces[i].end;
    }
    ck_assert_msg(at == r->n, "%s: the pieces end at %zu, the range at %zu", what, at, r->n);
}

static record *record_new(size_t n)
{
    record *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    pthread_mutex_init(&r->lock, NULL);
    r->n = n;
    return r;
}

static void record_free(record *r)
{
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ---- ranges of nearly SIZE_MAX items ------------------------------------------ */

/* Parameters that keep the number of pieces small, per policy; NULL: the
 * defaults (a policy not listed here gets them too). */
typedef struct {
    const char *policy;
    const char *params;
} param_set;

static const param_set huge_params[] = {
    { "stealing", "{\"chunk\": 4611686018427387904}" },
    { "dynamic", NULL },     /* guided: pieces shrink geometrically */
    { "static", NULL },      /* one block per participant */
    { "static", "{\"chunk\": 4611686018427387904}" },
    { "roundrobin", NULL },  /* about 4 tiles per participant */
    { "roundrobin", "{\"steal\": true}" },
    { "fifo", NULL },        /* about 4 tiles per participant */
    { "fifo", "{\"tile\": 9223372036854775807}" },
    { "priority", NULL },
    { "priority", "{\"tile\": 9223372036854775807}" },
};

static const size_t huge_sizes[] = {
    SIZE_MAX,
    SIZE_MAX - 1,
    SIZE_MAX - 4 * 3 + 2,                  /* n + 4P - 1 wraps (P = 3) */
    SIZE_MAX - 4 * 2 + 2,                  /* n + 4P - 1 wraps (P = 2) */
    (size_t)0 - ((size_t)1 << 32) + 1,     /* n + 2^32 - 2 wraps */
    ((size_t)1 << 63) + 12345,
    ((size_t)1 << 32) + 7,                 /* just past 32-bit shares */
};

static int policy_built(const char *name)
{
    for (int i = 0; i < g_npol; i++)
        if (strcmp(g_pol[i], name) == 0)
            return 1;
    return 0;
}

/* One pool per parameter set in huge_params (of a policy in the build) and
 * thread count, every size of huge_sizes through tpool_parallel_range. */
START_TEST(test_near_size_max)
{
    const param_set *ps = &huge_params[_i];
    if (!policy_built(ps->policy))
        return;
    for (unsigned threads = 2; threads <= 3; threads++) {
        tpool *p = tu_pool(ps->policy, threads, ps->params);
        for (size_t k = 0; k < sizeof huge_sizes / sizeof huge_sizes[0]; k++) {
            size_t n = huge_sizes[k];
            char what[256];
            snprintf(what, sizeof what, "policy %s, params %s, %u threads, n = %zu", ps->policy,
                     ps->params ? ps->params : "{}", threads, n);
            record *r = record_new(n);
            ck_assert_msg(tpool_parallel_range(p, n, record_piece, r, NULL) == 0, "%s: %s", what,
                          "call failed");
            assert_cover(r, what);
            record_free(r);
        }
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

/* ---- a tile array that cannot exist ---------------------------------------- */

/* The tile path allocates one tile task per tile: with 1 item per tile and
 * n = 164703072086692426 the array's size wraps size_t (it became 96 bytes
 * and was written far past its end). The call must fail cleanly, run
 * nothing, and leave the pool usable. */
START_TEST(test_tile_array_overflow)
{
    static const char *const tiled[] = { "fifo", "priority" };
    const char *pol = tiled[_i];
    if (!policy_built(pol))
        return;
    tpool *p = tu_pool(pol, 2, "{\"tile\": 1}");
    const size_t n = 164703072086692426u;
    record *r = record_new(n);
    int rc = tpool_parallel_range(p, n, record_piece, r, NULL);
    ck_assert_msg(rc == TPOOL_ENOMEM, "policy %s, tile 1, n = %zu: %d (%s), expected %s", pol, n,
                  rc, tpool_strerror(rc), tpool_strerror(TPOOL_ENOMEM));
    ck_assert_uint_eq(r->count, 0);
    record_free(r);
    /* Still usable. */
    r = record_new(1000);
    ck_assert_int_eq(tpool_parallel_range(p, 1000, record_piece, r, NULL), 0);
    assert_cover(r, "after the refused call");
    record_free(r);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- the drop-in with a range of SIZE_MAX items ------------------------------ */

/* The drop-in hands out items one at a time, so SIZE_MAX items cannot all
 * run: the body checks the first 256 item numbers it gets and then ends the
 * process with status 0, which the exit test expects. A crash (SIGFPE from
 * a block size of 0), an item number beyond the range, or a hang (Check's
 * timeout) fails it. */
static _Atomic unsigned drop_in_calls;

static void drop_in_item(void *ctx, size_t i)
{
    (void)ctx;
    if (i == SIZE_MAX) {
        fprintf(stderr, "item %zu of a range of SIZE_MAX items\n", i);
        _exit(3);
    }
    if (atomic_fetch_add(&drop_in_calls, 1) + 1 == 256)
        _exit(0);
}

START_TEST(test_drop_in_size_max)
{
    const char *pol = g_pol[_i];
    ck_assert_int_eq(setenv("TPOOL_POLICY", pol, 1), 0);
    pthreadpool_t pool = pthreadpool_create(2);
    ck_assert_msg(pool != NULL, "pthreadpool_create under %s", pol);
    pthreadpool_parallelize_1d(pool, drop_in_item, NULL, SIZE_MAX, 0);
    /* Not reached: 256 items end the process. */
    ck_abort_msg("policy %s: parallelize_1d over SIZE_MAX items returned", pol);
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("range_edges", g_pol, MAXPOL);
    Suite *s = suite_create("range_edges");
    TCase *tc = tcase_create("edges");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_near_size_max, 0,
                        (int)(sizeof huge_params / sizeof huge_params[0]));
    tcase_add_loop_test(tc, test_tile_array_overflow, 0, 2);
    tcase_add_loop_exit_test(tc, test_drop_in_size_max, 0, 0, g_npol);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
