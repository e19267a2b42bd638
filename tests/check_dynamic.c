/*
 * check_dynamic.c - the dynamic policy: chunk sequences of fixed and guided
 * mode (driven directly through the loader, so the sequence is
 * deterministic, and through a pool), guided mode's cheap rest taken at
 * once, batched task taking, parameter errors.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "config.h"
#include "loader.h"
#include "testutil.h"

typedef struct {
    tpool__policy_handle h;
    void *st;
    unsigned workers;
} direct;

static void direct_open(direct *d, unsigned workers, const char *params)
{
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_new(&cfg), 0);
    ck_assert_int_eq(tpool_config_set_policy(cfg, "dynamic"), 0);
    if (params)
        ck_assert_int_eq(tpool_config_set_params(cfg, params, &err), 0);
    ck_assert_msg(tpool__policy_load(cfg, &d->h, &err) == 0, "%s", err.text);
    tpool_param_value v[8];
    ck_assert_uint_le(d->h.ops.nparams, 8);
    ck_assert_msg(tpool__params_resolve(cfg, &d->h.ops, v, &err) == 0, "%s", err.text);
    char ebuf[256] = "";
    tpool_policy_env env = { workers, workers + 1, v, ebuf, sizeof ebuf,
                             TPOOL_POLICY_ABI_VERSION };
    ck_assert_msg(d->h.ops.create(&env, &d->st) == 0, "create: %s", ebuf);
    d->workers = workers;
    tpool_config_free(cfg);
}

static void direct_close(direct *d)
{
    d->h.ops.destroy(d->st);
    tpool__policy_unload(&d->h);
}

/* ---- chunk sequences, driven directly ------------------------------------------------ */

static const struct {
    size_t n, chunk;
    unsigned P;
} fixed_cases[] = {
    { 100, 7, 3 }, { 100, 10, 2 }, { 5, 100, 4 }, { 1, 1, 2 }, { 1000, 1, 5 },
};

START_TEST(test_fixed_sequence)
{
    size_t n = fixed_cases[_i].n, chunk = fixed_cases[_i].chunk;
    unsigned P = fixed_cases[_i].P;
    char params[96];
    snprintf(params, sizeof params, "{\"mode\": \"fixed\", \"chunk\": %zu}", chunk);
    direct d;
    direct_open(&d, P - 1, params);
    tpool_range_job job = { .n = n, .participants = P };
    d.h.ops.range_begin(d.st, &job);
    size_t at = 0, b, e;
    unsigned p = 0;
    /* Participants take turns; the sequence is the cursor's. */
    while (d.h.ops.range_next(d.st, p, &b, &e)) {
        ck_assert_uint_eq(b, at);
        size_t want = n - at < chunk ? n - at : chunk;
        ck_assert_msg(e - b == want, "n=%zu chunk=%zu: [%zu, %zu) has %zu items, want %zu",
                      n, chunk, b, e, e - b, want);
        at = e;
        p = (p + 1) % P;
    }
    ck_assert_uint_eq(at, n);
    for (unsigned q = 0; q < P; q++)
        ck_assert(!d.h.ops.range_next(d.st, q, &b, &e));
    d.h.ops.range_end(d.st);
    direct_close(&d);
}
END_TEST

static const struct {
    size_t n, min_chunk;
    unsigned P;
} guided_cases[] = {
    { 1000, 1, 4 }, { 1000, 16, 4 }, { 100003, 7, 3 }, { 10, 3, 2 }, { 50, 100, 2 },
};

START_TEST(test_guided_sequence)
{
    size_t n = guided_cases[_i].n, min_chunk = guided_cases[_i].min_chunk;
    unsigned P = guided_cases[_i].P;
    char params[96];
    /* grain_ns 0: the formula alone, whatever the clock says. */
    snprintf(params, sizeof params,
             "{\"mode\": \"guided\", \"min_chunk\": %zu, \"grain_ns\": 0}", min_chunk);
    direct d;
    direct_open(&d, P - 1, params);
    tpool_range_job job = { .n = n, .participants = P };
    d.h.ops.range_begin(d.st, &job);
    size_t at = 0, prev = SIZE_MAX, b, e;
    unsigned p = 0;
    while (d.h.ops.range_next(d.st, p, &b, &e)) {
        size_t len = e - b, left = n - at;
        ck_assert_uint_eq(b, at);
        /* The documented formula: max(min_chunk, remaining / (2 P)),
         * clipped to what is left. */
        size_t want = left / (2 * P) > min_chunk ? left / (2 * P) : min_chunk;
        want = want < left ? want : left;
        ck_assert_msg(len == want, "n=%zu at=%zu: %zu items, want %zu", n, at, len, want);
        ck_assert_uint_le(len, prev);                  /* non-increasing */
        ck_assert(len >= min_chunk || e == n);         /* only the last is smaller */
        prev = len;
        at = e;
        p = (p + 1) % P;
    }
    ck_assert_uint_eq(at, n);
    d.h.ops.range_end(d.st);
    direct_close(&d);
}
END_TEST

/*
 * Guided mode with grain_ns: the first chunk follows the formula (nothing
 * measured yet); the same participant's next call, made at once, finds the
 * items cheap and takes all that is left. grain_ns is 1 s, so that only a
 * stall of a third of a second between the two calls could make the rest
 * (3 times the items measured, within a rate's reach) look dear.
 */
START_TEST(test_guided_cheap_rest)
{
    direct d;
    direct_open(&d, 1, "{\"mode\": \"guided\", \"grain_ns\": 1000000000}");
    size_t n = 1000, b, e;
    tpool_range_job job = { .n = n, .participants = 2 };
    d.h.ops.range_begin(d.st, &job);
    ck_assert(d.h.ops.range_next(d.st, 0, &b, &e));
    ck_assert_uint_eq(b, 0);
    ck_assert_uint_eq(e, n / 4); /* remaining / (2 P) */
    ck_assert(d.h.ops.range_next(d.st, 0, &b, &e));
    ck_assert_uint_eq(b, n / 4);
    ck_assert_uint_eq(e, n);
    ck_assert(!d.h.ops.range_next(d.st, 1, &b, &e));
    d.h.ops.range_end(d.st);
    /* The next job starts without a rate: the formula again. */
    d.h.ops.range_begin(d.st, &job);
    ck_assert(d.h.ops.range_next(d.st, 1, &b, &e));
    ck_assert_uint_eq(e - b, n / 4);
    d.h.ops.range_end(d.st);
    direct_close(&d);
}
END_TEST

/* ---- the same properties under a real pool ----------------------------------------------- */

enum { MAX_PIECES = 1 << 16 };

typedef struct {
    size_t begin, end;
} piece;

typedef struct {
    piece *pieces;
    _Atomic size_t count;
} pieces_ctx;

static void record_piece(void *arg, size_t begin, size_t end, unsigned thread)
{
    pieces_ctx *c = arg;
    size_t k = atomic_fetch_add(&c->count, 1);
    ck_assert_uint_lt(k, MAX_PIECES);
    c->pieces[k] = (piece){ begin, end };
}

static int cmp_piece(const void *a, const void *b)
{
    const piece *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

START_TEST(test_pool_sequences)
{
    size_t n = 20011;
    for (int guided = 0; guided <= 1; guided++) {
        tpool *p = tu_pool("dynamic", 4,
                           guided ? "{\"mode\": \"guided\", \"min_chunk\": 5}"
                                  : "{\"mode\": \"fixed\", \"chunk\": 13}");
        for (int rep = 0; rep < 5; rep++) {
            pieces_ctx c = { .pieces = malloc(MAX_PIECES * sizeof(piece)) };
            atomic_init(&c.count, 0);
            ck_assert_int_eq(tpool_parallel_range(p, n, record_piece, &c, NULL), 0);
            size_t count = atomic_load(&c.count), at = 0, prev = SIZE_MAX;
            qsort(c.pieces, count, sizeof(piece), cmp_piece);
            for (size_t k = 0; k < count; k++) {
                size_t len = c.pieces[k].end - c.pieces[k].begin;
                ck_assert_uint_eq(c.pieces[k].begin, at);
                if (guided) {
                    /* In cursor order chunks never grow, whoever took them,
                     * but for a last one that took a cheap rest at once. */
                    ck_assert(len <= prev || c.pieces[k].end == n);
                    ck_assert(len >= 5 || c.pieces[k].end == n);
                } else {
                    ck_assert(len == 13 || c.pieces[k].end == n);
                }
                prev = len;
                at = c.pieces[k].end;
            }
            ck_assert_uint_eq(at, n);
            free(c.pieces);
        }
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

/* ---- tasks -------------------------------------------------------------------------------- */

/* A worker takes `batch` tasks at once and keeps the rest privately: the
 * outside slot (one at a time) gets the next task of the shared queue, and
 * the worker's later pops return its batch, in order, before the queue. */
START_TEST(test_direct_batch)
{
    direct d;
    direct_open(&d, 2, "{\"batch\": 4}");
    tpool_task t[12];
    memset(t, 0, sizeof t);
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(d.h.ops.push(d.st, &t[i], i % 3), TPOOL_WAKE_ANY);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 0), &t[0]); /* takes t0..t3 */
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 2), &t[4]); /* outside: one */
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 1), &t[5]); /* takes t5..t8 */
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 0), &t[1]);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 0), &t[2]);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 2), &t[9]);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 0), &t[3]);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 0), &t[10]); /* takes t10, t11 */
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 1), &t[6]);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 1), &t[7]);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 1), &t[8]);
    ck_assert_ptr_null(d.h.ops.pop(d.st, 1));
    ck_assert_ptr_null(d.h.ops.pop(d.st, 2));
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 0), &t[11]);
    ck_assert_ptr_null(d.h.ops.pop(d.st, 0));
    direct_close(&d);
}
END_TEST

/*
 * Tasks held in a worker's batch run: one worker, a gate task holds it
 * while seven more are queued; when the gate opens the worker takes them in
 * batches and runs them all, in order. This thread waits on a condition
 * variable, not in the pool, so the worker is the only consumer.
 */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open;
    int order[7];
    int next;
} gate_ctx;

static gate_ctx g_gate;

static void gate(void *arg)
{
    pthread_mutex_lock(&g_gate.lock);
    while (!g_gate.open)
        pthread_cond_wait(&g_gate.cond, &g_gate.lock);
    pthread_mutex_unlock(&g_gate.lock);
}

static void in_order(void *arg)
{
    pthread_mutex_lock(&g_gate.lock);
    g_gate.order[g_gate.next++] = (int)(intptr_t)arg;
    pthread_cond_broadcast(&g_gate.cond);
    pthread_mutex_unlock(&g_gate.lock);
}

START_TEST(test_batched_tasks_run)
{
    for (unsigned batch = 1; batch <= 16; batch *= 4) {
        char params[64];
        snprintf(params, sizeof params, "{\"batch\": %u}", batch);
        tpool *p = tu_pool("dynamic", 2, params); /* one worker */
        pthread_mutex_init(&g_gate.lock, NULL);
        pthread_cond_init(&g_gate.cond, NULL);
        g_gate.open = 0;
        g_gate.next = 0;
        ck_assert_int_eq(tpool_submit(p, gate, NULL, NULL), 0);
        for (int i = 0; i < 7; i++)
            ck_assert_int_eq(tpool_submit(p, in_order, (void *)(intptr_t)i, NULL), 0);
        pthread_mutex_lock(&g_gate.lock);
        g_gate.open = 1;
        pthread_cond_broadcast(&g_gate.cond);
        while (g_gate.next < 7)
            pthread_cond_wait(&g_gate.cond, &g_gate.lock);
        pthread_mutex_unlock(&g_gate.lock);
        for (int i = 0; i < 7; i++)
            ck_assert_int_eq(g_gate.order[i], i);
        ck_assert_int_eq(tpool_destroy(p), 0);
        pthread_mutex_destroy(&g_gate.lock);
        pthread_cond_destroy(&g_gate.cond);
    }
}
END_TEST

static void hit(void *arg)
{
    atomic_fetch_add_explicit((_Atomic unsigned *)arg, 1, memory_order_relaxed);
}

START_TEST(test_batches_exactly_once)
{
    for (unsigned batch = 1; batch <= 64; batch *= 8) {
        char params[64];
        snprintf(params, sizeof params, "{\"batch\": %u}", batch);
        tpool *p = tu_pool("dynamic", 4, params);
        enum { N = 20000 };
        _Atomic unsigned *hits = calloc(N, sizeof *hits);
        for (size_t i = 0; i < N; i++)
            ck_assert_int_eq(tpool_submit(p, hit, &hits[i], NULL), 0);
        ck_assert_int_eq(tpool_wait_all(p), 0);
        for (size_t i = 0; i < N; i++)
            ck_assert_uint_eq(atomic_load(&hits[i]), 1);
        free(hits);
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

/* ---- resizing ------------------------------------------------------------------------- */

/* Tasks queued while the pool grows and shrinks (through the core's
 * re-creation of the state: the policy has no resize op) all run once:
 * every task waits at a gate that opens only after both resizes. */
START_TEST(test_resize_keeps_tasks)
{
    tu_check_resize_keeps_tasks("dynamic");
}
END_TEST

/* ---- parameters ------------------------------------------------------------------------- */

static const struct {
    const char *params, *key;
} bad_params[] = {
    { "{\"mode\": \"adaptive\"}", "params.mode" },
    { "{\"mode\": 2}", "params.mode" },
    { "{\"chunk\": 0}", "params.chunk" },
    { "{\"min_chunk\": 0}", "params.min_chunk" },
    { "{\"batch\": 0}", "params.batch" },
    { "{\"batch\": true}", "params.batch" },
    { "{\"grain_ns\": -1}", "params.grain_ns" },
    { "{\"guided\": true}", "params.guided" },
};

START_TEST(test_param_errors_name_the_key)
{
    tu_expect_param_error("dynamic", bad_params[_i].params, bad_params[_i].key, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dynamic");
    TCase *tc = tcase_create("dynamic");
    tcase_add_loop_test(tc, test_fixed_sequence, 0, sizeof fixed_cases / sizeof fixed_cases[0]);
    tcase_add_loop_test(tc, test_guided_sequence, 0,
                        sizeof guided_cases / sizeof guided_cases[0]);
    tcase_add_test(tc, test_guided_cheap_rest);
    tcase_add_test(tc, test_pool_sequences);
    tcase_add_test(tc, test_direct_batch);
    tcase_add_test(tc, test_batched_tasks_run);
    tcase_add_test(tc, test_batches_exactly_once);
    tcase_add_test(tc, test_resize_keeps_tasks);
    tcase_add_loop_test(tc, test_param_errors_name_the_key, 0,
                        sizeof bad_params / sizeof bad_params[0]);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
