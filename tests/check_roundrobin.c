/*
 * check_roundrobin.c - the round-robin policy: tasks dealt evenly in turn,
 * `quantum`, preferred workers, the outside slot running no task, stealing
 * (and what happens without it); parallel-for tiles dealt to every thread,
 * the caller included, and stolen from a blocked thread; parameter errors.
 *
 * No test waits by sleeping and none asserts a time: the threads meet on
 * condition variables. Run with --bench for the measurements quoted in
 * docs/policies-roundrobin-priority.md (no assertion there).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "testutil.h"

/* Latches (tu_latch): wait until a counter reaches a value. */

static int stat_index(const tpool_stats *st, const char *name)
{
    for (unsigned i = 0; i < st->npolicy; i++)
        if (strcmp(st->policy_names[i], name) == 0)
            return (int)i;
    ck_abort_msg("policy statistic '%s' missing", name);
    return -1;
}

static void noop(void *arg) { (void)arg; }

/* ---- dealing --------------------------------------------------------------- */

/* kW equal tasks from outside: each of the W workers runs exactly k, and
 * the waiting thread (outside slot) runs none, so tpool_wait_all may be
 * used. Table: threads T (W = max(T - 1, 1)). */
static const unsigned deal_threads[] = { 1, 2, 3, 5 };

START_TEST(test_even_deal)
{
    enum { K = 200 };
    unsigned threads = deal_threads[_i];
    tpool *p = tu_pool("roundrobin", threads, NULL);
    unsigned W = threads > 1 ? threads - 1 : 1;
    for (unsigned i = 0; i < K * W; i++)
        ck_assert_int_eq(tpool_submit(p, noop, NULL, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);

    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.workers, W);
    int dealt = stat_index(&st, "dealt"), steals = stat_index(&st, "steals");
    for (unsigned w = 0; w < W; w++) {
        ck_assert_msg(st.per_worker[w].tasks_run == K, "%u threads: worker %u ran %llu, not %d",
                      threads, w, (unsigned long long)st.per_worker[w].tasks_run, K);
        ck_assert_uint_eq(st.per_worker[w].policy[dealt], K);
        ck_assert_uint_eq(st.per_worker[w].policy[steals], 0);
    }
    ck_assert_uint_eq(st.per_worker[W].tasks_run, 0);
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* quantum = q: tasks i and j land on the same worker exactly when
 * (i / q) % W == (j / q) % W. Which thread ran each task is recorded; one
 * worker is one thread. */
static pthread_t *g_ran_on;

static void record_thread(void *arg)
{
    g_ran_on[(size_t)arg] = pthread_self();
}

START_TEST(test_quantum)
{
    enum { Q = 3, THREADS = 4, W = THREADS - 1, K = 20, N = Q * W * K };
    g_ran_on = calloc(N, sizeof *g_ran_on);
    tpool *p = tu_pool("roundrobin", THREADS, "{\"quantum\": 3}");
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(tpool_submit(p, record_thread, (void *)i, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < Q * W; j++) {
            int same_worker = (i / Q) % W == (j / Q) % W;
            int same_thread = pthread_equal(g_ran_on[i], g_ran_on[j]) != 0;
            ck_assert_msg(same_worker == same_thread,
                          "tasks %zu and %zu: dealt to %s worker(s) but ran on %s thread(s)",
                          i, j, same_worker ? "one" : "two", same_thread ? "one" : "two");
        }
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    for (unsigned w = 0; w < W; w++)
        ck_assert_uint_eq(st.per_worker[w].tasks_run, Q * K);
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
    free(g_ran_on);
}
END_TEST

/* preferred_worker in [0, W) overrides the dealing and takes no turn; out
 * of range it is ignored. */
START_TEST(test_preferred_worker)
{
    enum { THREADS = 4, W = THREADS - 1, N = 50 };
    tpool *p = tu_pool("roundrobin", THREADS, NULL);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.preferred_worker = 1;
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(tpool_submit(p, noop, NULL, &a), 0);
    a.preferred_worker = W + 7; /* ignored: dealt like the rest */
    for (int i = 0; i < W; i++)
        ck_assert_int_eq(tpool_submit(p, noop, NULL, i == 0 ? &a : NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.per_worker[0].tasks_run, 1);
    ck_assert_uint_eq(st.per_worker[1].tasks_run, N + 1);
    ck_assert_uint_eq(st.per_worker[2].tasks_run, 1);
    ck_assert_uint_eq(st.per_worker[W].tasks_run, 0);
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- parallel-for ------------------------------------------------------------ */

typedef struct {
    _Atomic unsigned char hits[100];
} range_hits;

static void visit_any(void *ctx, size_t begin, size_t end, unsigned thread)
{
    range_hits *h = ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&h->hits[i], 1);
}

/* Tiles of `tile` items dealt to the T = 3 participants in turn, the
 * caller (the outside slot) included: 20 tiles of 5 give participant 0
 * (the caller) tiles 0, 3, ..., 18 (7 tiles, 35 items), participant 1
 * (worker 0) tiles 1, 4, ..., 19 (7) and participant 2 (worker 1) tiles 2,
 * 5, ..., 17 (6). No tile is a task, and nobody steals. A worker that
 * has not started when the caller is done with its own tiles has its
 * share run by the caller (TPOOL_POLICY_STAND_IN): a worker's slot counts
 * its whole share or nothing, the caller's slot the rest. */
START_TEST(test_tiles_dealt)
{
    tpool *p = tu_pool("roundrobin", 3, "{\"tile\": 5}");
    range_hits h;
    for (size_t i = 0; i < 100; i++)
        atomic_init(&h.hits[i], 0);
    ck_assert_int_eq(tpool_parallel_range(p, 100, visit_any, &h, NULL), 0);
    for (size_t i = 0; i < 100; i++)
        ck_assert_uint_eq(atomic_load(&h.hits[i]), 1);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    int dealt = stat_index(&st, "dealt"), steals = stat_index(&st, "steals");
    ck_assert_uint_eq(st.workers, 2);
    uint64_t w0 = st.per_worker[0].items_run, w1 = st.per_worker[1].items_run;
    ck_assert_msg(w0 == 35 || w0 == 0, "worker 0 ran %llu items", (unsigned long long)w0);
    ck_assert_msg(w1 == 30 || w1 == 0, "worker 1 ran %llu items", (unsigned long long)w1);
    ck_assert_uint_eq(st.per_worker[2].items_run, 100 - w0 - w1); /* the caller */
    ck_assert_uint_eq(st.per_worker[2].policy[dealt], 7);
    ck_assert_uint_eq(st.per_worker[0].policy[dealt], 7);
    ck_assert_uint_eq(st.per_worker[1].policy[dealt], 6);
    for (unsigned s = 0; s <= 2; s++) {
        ck_assert_uint_eq(st.per_worker[s].tasks_run, 0);
        ck_assert_uint_eq(st.per_worker[s].policy[steals], 0);
    }
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/*
 * What each callback saw, tile by tile: the thread index, the OS thread,
 * and the order in which each thread index met its tiles. One tile per
 * callback is asserted where it is known (`tile` set, steal = false).
 */
typedef struct {
    size_t n, tile;         /* tile: 0 = do not check tile shapes */
    unsigned threads;       /* T: thread indices must be below it */
    pthread_t caller;       /* the thread that called tpool_parallel_range */
    _Atomic unsigned *hits; /* per item */
    unsigned *tile_thread;  /* per tile (tile set): the thread index */
    pthread_t *tile_os;     /* per tile (tile set): the OS thread */
    size_t last[16];        /* per thread index: last tile + 1 (0: none yet) */
    _Atomic unsigned bad;   /* a malformed call was seen */
} range_log;

static void log_visit(void *ctx, size_t begin, size_t end, unsigned thread)
{
    range_log *g = ctx;
    if (begin >= end || end > g->n || thread >= g->threads
        || (thread == 0 && !pthread_equal(pthread_self(), g->caller))) {
        atomic_store(&g->bad, 1); /* also: index 0 is the caller (which may
                                     stand in for other indices) */
        return;
    }
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&g->hits[i], 1, memory_order_relaxed);
    if (g->tile == 0)
        return;
    size_t t = begin / g->tile;
    if (begin % g->tile != 0 || end != (begin + g->tile < g->n ? begin + g->tile : g->n)
        || t < g->last[thread]) {
        atomic_store(&g->bad, 2); /* not one whole tile, or out of order */
        return;
    }
    /* Each thread index is used by one thread at a time: last[thread] and
     * the tile's slots are written by that thread only. */
    g->last[thread] = t + 1;
    g->tile_thread[t] = thread;
    g->tile_os[t] = pthread_self();
}

static void log_init(range_log *g, size_t n, size_t tile, unsigned threads)
{
    memset(g, 0, sizeof *g);
    g->n = n;
    g->tile = tile;
    g->threads = threads;
    g->caller = pthread_self();
    g->hits = calloc(n, sizeof *g->hits);
    size_t ntiles = tile ? n / tile + 1 : 1;
    g->tile_thread = calloc(ntiles, sizeof *g->tile_thread);
    g->tile_os = calloc(ntiles, sizeof *g->tile_os);
    atomic_init(&g->bad, 0);
}

static void log_fini(range_log *g)
{
    free(g->hits);
    free(g->tile_thread);
    free(g->tile_os);
}

/*
 * steal = false: each thread index processes exactly its dealt tiles, tile
 * i going to (i / quantum) % T, in increasing order; index 0 is the calling
 * thread (it processes tiles: a parallel-for never leaves it idle); every
 * index p >= 1 is one OS thread for all its tiles: its worker, or the
 * caller standing in for a worker that had not started (policy flag
 * TPOOL_POLICY_STAND_IN), and two indices share a thread only that way.
 * n = k * T * tile (k a multiple of the quantum: equal shares of k * tile
 * items, counted by the core per slot: the worker's, or the caller's for a
 * share it stood in for), and the same plus a clipped last tile. Repeated,
 * since the dealing must not depend on timing.
 */
static const struct {
    unsigned threads, quantum;
} dealt_cases[] = { { 2, 1 }, { 3, 1 }, { 5, 1 }, { 2, 2 }, { 3, 2 }, { 5, 2 } };

START_TEST(test_range_dealt_by_thread)
{
    enum { TILE = 3, K = 4, REPS = 25 };
    unsigned T = dealt_cases[_i].threads, q = dealt_cases[_i].quantum;
    char params[64];
    snprintf(params, sizeof params, "{\"tile\": %d, \"quantum\": %u}", TILE, q);
    tpool *p = tu_pool("roundrobin", T, params);
    uint64_t slot_items[16] = { 0 }; /* what the core should count per slot */
    for (int clipped = 0; clipped <= 1; clipped++) {
        size_t n = (size_t)K * T * TILE + (clipped ? 2 : 0);
        size_t ntiles = n / TILE + (n % TILE != 0);
        for (int rep = 0; rep < REPS; rep++) {
            range_log g;
            log_init(&g, n, TILE, T);
            ck_assert_int_eq(tpool_parallel_range(p, n, log_visit, &g, NULL), 0);
            ck_assert_msg(atomic_load(&g.bad) == 0, "T=%u q=%u n=%zu: bad call (%u)", T, q, n,
                          atomic_load(&g.bad));
            for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(atomic_load(&g.hits[i]), 1);
            size_t items[16] = { 0 };
            for (size_t t = 0; t < ntiles; t++) {
                unsigned want = (unsigned)((t / q) % T);
                ck_assert_msg(g.tile_thread[t] == want,
                              "T=%u q=%u n=%zu: tile %zu ran on thread index %u, dealt to %u",
                              T, q, n, t, g.tile_thread[t], want);
                /* One OS thread per index, the same for all its tiles. */
                ck_assert(pthread_equal(g.tile_os[t], g.tile_os[want * q]));
                items[want] += (t + 1) * TILE <= n ? TILE : n - t * TILE;
            }
            for (unsigned a = 0; a < T; a++)
                for (unsigned b = a + 1; b < T; b++)
                    ck_assert(!pthread_equal(g.tile_os[a * q], g.tile_os[b * q])
                              || pthread_equal(g.tile_os[a * q], pthread_self()));
            ck_assert(pthread_equal(g.tile_os[0], pthread_self()));
            if (!clipped)
                for (unsigned a = 0; a < T; a++)
                    ck_assert_uint_eq(items[a], (size_t)K * TILE);
            else
                ck_assert_uint_eq(items[((ntiles - 1) / q) % T], (size_t)K * TILE + 2);
            /* Index a counts at worker a - 1, or at slot W = T - 1 when the
             * caller ran it (index 0, or a stand-in). */
            for (unsigned a = 0; a < T; a++)
                slot_items[pthread_equal(g.tile_os[a * q], pthread_self()) ? T - 1 : a - 1] +=
                    items[a];
            log_fini(&g);
        }
    }
    /* The core counts items per slot: the caller's at slot W = T - 1,
     * participant p's at worker p - 1 (or at W when the caller stood in). */
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    int steals = stat_index(&st, "steals");
    ck_assert_uint_eq(st.workers, T - 1);
    for (unsigned s = 0; s < T; s++) {
        uint64_t want = slot_items[s];
        ck_assert_msg(st.per_worker[s].items_run == want, "T=%u q=%u: slot %u ran %llu items, not %llu",
                      T, q, s, (unsigned long long)st.per_worker[s].items_run,
                      (unsigned long long)want);
        ck_assert_uint_eq(st.per_worker[s].policy[steals], 0);
        ck_assert_uint_eq(st.per_worker[s].tasks_run, 0);
    }
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/*
 * Every index once, thread indices below T, index 0 on the caller, for prime
 * n (so no tile size divides it) and several T, under every parameter
 * combination; the default tile (0) included. With steal = false the thread
 * index of each tile is also checked against the dealing, with the default
 * tile being ceil(n / 4P), P = min(T, n).
 */
static const char *const prime_params[] = {
    "{\"steal\": false}",
    "{\"steal\": false, \"tile\": 1}",
    "{\"steal\": false, \"tile\": 7, \"quantum\": 3}",
    "{\"steal\": false, \"quantum\": 2}",
    "{\"steal\": true}",
    "{\"steal\": true, \"tile\": 1}",
    "{\"steal\": true, \"tile\": 7, \"quantum\": 3}",
    "{\"steal\": true, \"tile\": 1000000}",
};

START_TEST(test_range_prime_exactly_once)
{
    static const size_t primes[] = { 2, 3, 5, 97, 1009, 10007 };
    static const unsigned tlist[] = { 2, 3, 4, 5, 7 };
    const char *params = prime_params[_i];
    int steal = strstr(params, "true") != NULL;
    const char *tp = strstr(params, "\"tile\": "), *qp = strstr(params, "\"quantum\": ");
    size_t tile_param = tp ? strtoul(tp + 8, NULL, 10) : 0;
    unsigned q = qp ? (unsigned)strtoul(qp + 11, NULL, 10) : 1;
    for (size_t ti = 0; ti < sizeof tlist / sizeof tlist[0]; ti++) {
        unsigned T = tlist[ti];
        tpool *p = tu_pool("roundrobin", T, params);
        for (size_t k = 0; k < sizeof primes / sizeof primes[0]; k++) {
            size_t n = primes[k];
            unsigned P = T < n ? T : (unsigned)n;
            size_t tile = tile_param ? tile_param : (n + 4 * P - 1) / (4 * P);
            range_log g;
            log_init(&g, n, steal ? 0 : tile, T);
            ck_assert_int_eq(tpool_parallel_range(p, n, log_visit, &g, NULL), 0);
            ck_assert_msg(atomic_load(&g.bad) == 0, "%s, T=%u, n=%zu: bad call (%u)", params,
                          T, n, atomic_load(&g.bad));
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(atomic_load(&g.hits[i]) == 1,
                              "%s, T=%u, n=%zu: item %zu visited %u times", params, T, n, i,
                              atomic_load(&g.hits[i]));
            if (!steal)
                for (size_t t = 0; t * tile < n; t++)
                    ck_assert_msg(g.tile_thread[t] == (t / q) % P,
                                  "%s, T=%u, n=%zu: tile %zu on thread index %u", params, T, n,
                                  t, g.tile_thread[t]);
            log_fini(&g);
        }
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

/*
 * steal = true. Tile 1, the first tile dealt to participant 1 (worker 0),
 * blocks until every other item has been processed. The others' own
 * tiles are done by them, but participant 1's K - 1 later tiles (1 + T,
 * 1 + 2T, ...) can only be finished by stealing: without it the call never
 * returns (and Check's timeout fails the test). So that worker 0 is surely
 * the one blocked in tile 1 (rather than a fast thread that has finished
 * its own tiles and steals tile 1), the first tile of every other
 * participant (tiles 0, 2, ..., T - 1) waits until tile 1 has started:
 * until then nobody can have finished its own tiles, so nobody steals.
 * (Later, any tile may be stolen, e.g. all of a worker that joins late.)
 * With T = 2 the only thief is the caller: it steals exactly K - 1 tiles.
 */
typedef struct {
    size_t n, tile;
    unsigned threads;
    tu_latch started;             /* tile 1 has started */
    tu_latch processed;           /* items processed outside tile 1 */
    unsigned tile_thread[256]; /* per tile: thread index */
    _Atomic unsigned char hits[2048];
} block_scene;

static void block_visit(void *ctx, size_t begin, size_t end, unsigned thread)
{
    block_scene *b = ctx;
    size_t t = begin / b->tile;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&b->hits[i], 1);
    b->tile_thread[t] = thread; /* written once per tile */
    if (t == 1) {
        tu_latch_add(&b->started, 1);
        tu_latch_wait_for(&b->processed, b->n - b->tile);
        return;
    }
    if (t < b->threads)
        tu_latch_wait_for(&b->started, 1);
    tu_latch_add(&b->processed, end - begin);
}

START_TEST(test_range_steal_unblocks)
{
    enum { TILE = 4, K = 8, REPS = 10 };
    unsigned T = (unsigned)_i; /* 2, 3, 4 */
    for (int rep = 0; rep < REPS; rep++) {
        tpool *p = tu_pool("roundrobin", T, "{\"steal\": true, \"tile\": 4}");
        block_scene *b = calloc(1, sizeof *b);
        b->n = (size_t)T * K * TILE;
        b->tile = TILE;
        b->threads = T;
        tu_latch_init(&b->started);
        tu_latch_init(&b->processed);
        ck_assert_int_eq(tpool_parallel_range(p, b->n, block_visit, b, NULL), 0);
        for (size_t i = 0; i < b->n; i++)
            ck_assert_uint_eq(atomic_load(&b->hits[i]), 1);
        ck_assert_uint_eq(tu_latch_get(&b->processed), b->n - TILE);
        ck_assert_uint_eq(b->tile_thread[1], 1); /* worker 0 was the one blocked */
        for (size_t t = 1 + T; t < (size_t)T * K; t += T) /* participant 1's later tiles */
            ck_assert_msg(b->tile_thread[t] != 1, "T=%u: tile %zu ran on the blocked index 1",
                          T, t);

        tpool_stats st;
        ck_assert_int_eq(tpool_stats_get(p, &st), 0);
        int steals = stat_index(&st, "steals");
        unsigned W = T - 1; /* participant p's counter is at slot p - 1, the caller's at W */
        uint64_t total = 0;
        for (unsigned s = 0; s <= W; s++)
            total += st.per_worker[s].policy[steals];
        ck_assert_uint_gt(total, 0);
        ck_assert_uint_ge(total, K - 1);
        ck_assert_uint_eq(st.per_worker[0].policy[steals], 0); /* worker 0: blocked */
        if (T == 2)
            ck_assert_uint_eq(st.per_worker[W].policy[steals], K - 1); /* the caller */
        tpool_stats_free(&st);
        ck_assert_int_eq(tpool_destroy(p), 0);
        tu_latch_destroy(&b->started);
        tu_latch_destroy(&b->processed);
        free(b);
    }
}
END_TEST

/* steal = false: the same parallel-for with T = 2 leaves the caller its own
 * tiles even while worker 0 is blocked in tile 1; the caller runs exactly
 * its dealt tiles (none of worker 0's once the worker has started), so the
 * call returns only when tile 1 is let go. Here the release is done by the
 * caller's last tile. Should worker 0 not have started by then, the caller
 * stands in for it (index 1, worker 0's tiles), which the thread indices
 * and the counts allow. */
typedef struct {
    size_t n, tile;
    tu_latch caller_done;          /* tiles the caller has run */
    unsigned tile_thread[64];
} nosteal_scene;

static void nosteal_visit(void *ctx, size_t begin, size_t end, unsigned thread)
{
    nosteal_scene *b = ctx;
    (void)end;
    size_t t = begin / b->tile;
    b->tile_thread[t] = thread;
    if (t == 1)
        tu_latch_wait_for(&b->caller_done, b->n / b->tile / 2); /* all the caller's tiles */
    else if (thread == 0)
        tu_latch_add(&b->caller_done, 1);
}

START_TEST(test_range_no_steal_caller_works)
{
    enum { TILE = 4, K = 8 };
    tpool *p = tu_pool("roundrobin", 2, "{\"tile\": 4}");
    nosteal_scene *b = calloc(1, sizeof *b);
    b->n = 2 * K * TILE;
    b->tile = TILE;
    tu_latch_init(&b->caller_done);
    ck_assert_int_eq(tpool_parallel_range(p, b->n, nosteal_visit, b, NULL), 0);
    for (size_t t = 0; t < 2 * K; t++)
        ck_assert_uint_eq(b->tile_thread[t], t % 2);
    ck_assert_uint_eq(tu_latch_get(&b->caller_done), K);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    uint64_t w0 = st.per_worker[0].items_run;
    ck_assert_msg(w0 == K * TILE || w0 == 0, "worker 0 ran %llu items", (unsigned long long)w0);
    ck_assert_uint_eq(st.per_worker[1].items_run, 2 * K * TILE - w0); /* the caller */
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_latch_destroy(&b->caller_done);
    free(b);
}
END_TEST

/* ---- a blocked worker, with and without stealing -------------------------- */

/*
 * Worker 0 runs a blocker that waits until the test releases it. Then 2M
 * tasks are dealt alternately: M queue up behind the blocker on worker 0,
 * M go to worker 1. Task i counts itself in done[i % 2].
 */
enum { M = 500 };

typedef struct {
    tu_latch started;  /* the blocker is running */
    tu_latch release;  /* the test lets the blocker go */
    tu_latch done[2];  /* tasks finished, by dealing parity */
} blocked_scene;

static blocked_scene g_scene;

static void blocker(void *arg)
{
    (void)arg;
    tu_latch_add(&g_scene.started, 1);
    tu_latch_wait_for(&g_scene.release, 1);
}

static void parity_task(void *arg)
{
    tu_latch_add(&g_scene.done[(size_t)arg % 2], 1);
}

static tpool *start_blocked_scene(const char *params)
{
    tu_latch_init(&g_scene.started);
    tu_latch_init(&g_scene.release);
    tu_latch_init(&g_scene.done[0]);
    tu_latch_init(&g_scene.done[1]);
    tpool *p = tu_pool("roundrobin", 3, params); /* W = 2 */
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.preferred_worker = 0; /* takes no turn: the dealing starts at worker 0 */
    ck_assert_int_eq(tpool_submit(p, blocker, NULL, &a), 0);
    tu_latch_wait_for(&g_scene.started, 1);
    for (size_t i = 0; i < 2 * M; i++)
        ck_assert_int_eq(tpool_submit(p, parity_task, (void *)i, NULL), 0);
    return p;
}

static void end_blocked_scene(tpool *p)
{
    if (tu_latch_get(&g_scene.release) == 0)
        tu_latch_add(&g_scene.release, 1);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_uint_eq(tu_latch_get(&g_scene.done[0]), M);
    ck_assert_uint_eq(tu_latch_get(&g_scene.done[1]), M);
    ck_assert_int_eq(tpool_destroy(p), 0);
    tu_latch_destroy(&g_scene.started);
    tu_latch_destroy(&g_scene.release);
    tu_latch_destroy(&g_scene.done[0]);
    tu_latch_destroy(&g_scene.done[1]);
}

/* steal = true: all 2M tasks finish while the blocker still blocks; the M
 * queued behind it can only have been stolen. Without stealing this test
 * never gets past its first wait (and Check's timeout fails it). The
 * blocker is queued at worker 0, but worker 1 may steal it before worker 0
 * looks; then worker 1 is the blocked one and its M tasks are stolen back. */
START_TEST(test_steal_unstrands)
{
    tpool *p = start_blocked_scene("{\"steal\": true}");
    tu_latch_wait_for(&g_scene.done[0], M);
    tu_latch_wait_for(&g_scene.done[1], M);
    ck_assert_uint_eq(tu_latch_get(&g_scene.release), 0); /* still blocked */

    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    int steals = stat_index(&st, "steals"), dealt = stat_index(&st, "dealt");
    /* Steals are counted when popped, before the task runs: exact here.
     * (tasks_run is counted after a task returns: exact only further down.) */
    unsigned b = st.per_worker[0].tasks_run == 0 ? 0 : 1, o = 1 - b; /* blocked, other */
    ck_assert_uint_eq(st.per_worker[b].tasks_run, 0); /* busy in the blocker */
    ck_assert_uint_eq(st.per_worker[o].policy[steals], M); /* all of b's queue */
    ck_assert_uint_le(st.per_worker[b].policy[steals], 1); /* at most the blocker */
    ck_assert_uint_eq(st.per_worker[2].policy[steals], 0); /* this thread never popped */
    ck_assert_uint_eq(st.per_worker[0].policy[dealt], M + 1);
    ck_assert_uint_eq(st.per_worker[1].policy[dealt], M);
    tpool_stats_free(&st);

    tu_latch_add(&g_scene.release, 1);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.per_worker[b].tasks_run, 1); /* the blocker alone */
    ck_assert_uint_eq(st.per_worker[o].tasks_run, 2 * M);
    tpool_stats_free(&st);
    end_blocked_scene(p);
}
END_TEST

/* steal = false (the default): worker 1's M tasks finish, and at that point
 * not one of the M queued behind the blocker has run; nothing can take them
 * until the blocker returns. This is what test_steal_unstrands shows
 * stealing repairs. */
START_TEST(test_no_steal_strands)
{
    tpool *p = start_blocked_scene(NULL);
    tu_latch_wait_for(&g_scene.done[1], M);
    ck_assert_uint_eq(tu_latch_get(&g_scene.done[0]), 0);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    int steals = stat_index(&st, "steals");
    for (unsigned s = 0; s <= st.workers; s++)
        ck_assert_uint_eq(st.per_worker[s].policy[steals], 0);
    tpool_stats_free(&st);
    end_blocked_scene(p);
}
END_TEST

/* ---- exactly once under every parameter combination ------------------------ */

static const char *const variant_params[] = {
    "{\"steal\": false, \"quantum\": 1}",
    "{\"steal\": false, \"quantum\": 7}",
    "{\"steal\": true, \"quantum\": 1}",
    "{\"steal\": true, \"quantum\": 5, \"tile\": 3}",
};

START_TEST(test_variants_exactly_once)
{
    enum { N = 20000 };
    const char *params = variant_params[_i];
    unsigned seed = tu_seed("roundrobin variants");
    for (unsigned threads = 1; threads <= 5; threads += 2) {
        tpool *p = tu_pool("roundrobin", threads, params);
        tu_hits_alloc(N);
        for (size_t i = 0; i < N; i++) {
            tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
            a.preferred_worker = (int)(rand_r(&seed) % (threads + 2)) - 1;
            ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, &a), 0);
        }
        tu_fib f = { p, 14, 0, NULL };
        ck_assert_int_eq(tpool_submit(p, tu_fib_task, &f, NULL), 0);
        ck_assert_int_eq(tpool_wait_all(p), 0);
        ck_assert_int_eq(f.result, 377);
        tu_hits_assert_once(N, "%s, %u threads", params, threads);
        range_hits h;
        for (size_t i = 0; i < 100; i++)
            atomic_init(&h.hits[i], 0);
        for (int rep = 0; rep < 20; rep++) {
            ck_assert_int_eq(tpool_parallel_range(p, 100, visit_any, &h, NULL), 0);
        }
        for (size_t i = 0; i < 100; i++)
            ck_assert_uint_eq(atomic_load(&h.hits[i]), 20);
        ck_assert_int_eq(tpool_destroy(p), 0);
        tu_hits_free();
    }
}
END_TEST

/* ---- parameters ------------------------------------------------------------ */

static const struct {
    const char *params, *key, *words;
} bad_params[] = {
    { "{\"quantum\": 0}", "params.quantum", "expected an integer in [1, 1073741824], got 0" },
    { "{\"quantum\": \"2\"}", "params.quantum", "got \"2\"" },
    { "{\"steal\": 1}", "params.steal", "expected true or false, got 1" },
    { "{\"tile\": -1}", "params.tile", "expected an integer >= 0, got -1" },
    { "{\"quantm\": 2}", "params.quantm", "did you mean 'quantum'?" },
};

START_TEST(test_bad_params)
{
    tu_expect_param_error("roundrobin", bad_params[_i].params, bad_params[_i].key,
                          bad_params[_i].words);
}
END_TEST

/* tpool-info --policies shows the parameter table: it is what
 * tpool_policy_list reports. */
START_TEST(test_params_listed)
{
    tu_assert_params_listed("roundrobin", "steal", "quantum", "tile");
}
END_TEST

/* ---- benchmark (--bench): figures for the docs, nothing asserted ------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint64_t g_sink;

/* Work proportional to the argument (no clock involved). */
static void spin_work(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg | 1;
    for (uint64_t i = 0; i < (uint64_t)(uintptr_t)arg; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    g_sink = x;
}

static double best_of(int reps, double (*run)(tpool *, unsigned), tpool *p, unsigned threads)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t = run(p, threads);
        if (t < best)
            best = t;
    }
    return best;
}

enum { BENCH_TINY = 200000, BENCH_HEAVY = 2000 };

/* Many empty tasks from one outside thread: ns per task. */
static double run_tiny(tpool *p, unsigned threads)
{
    (void)threads;
    double t0 = now_s();
    for (int i = 0; i < BENCH_TINY; i++)
        tpool_submit(p, noop, NULL, NULL);
    tpool_wait_all(p);
    return (now_s() - t0) * 1e9 / BENCH_TINY;
}

/* Skewed: every W-th task is 20x heavier, so plain dealing gives them all to
 * worker 0. Milliseconds for the batch. */
static double run_skewed(tpool *p, unsigned threads)
{
    unsigned W = threads > 1 ? threads - 1 : 1;
    double t0 = now_s();
    for (int i = 0; i < BENCH_HEAVY; i++)
        tpool_submit(p, spin_work, (void *)(uintptr_t)(i % W == 0 ? 200000 : 10000), NULL);
    tpool_wait_all(p);
    return (now_s() - t0) * 1e3;
}

static void range_work(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        spin_work((void *)(uintptr_t)2000);
}

/* Parallel-for of 20000 equal items (roundrobin: its range path, default
 * tile; fifo: the core's tile path): milliseconds. */
static double run_range(tpool *p, unsigned threads)
{
    (void)threads;
    double t0 = now_s();
    tpool_parallel_range(p, 20000, range_work, NULL, NULL);
    return (now_s() - t0) * 1e3;
}

static int bench(int argc, char **argv)
{
    static const struct {
        const char *policy, *params, *label;
    } cfgs[] = {
        { "fifo", NULL, "fifo" },
        { "roundrobin", NULL, "roundrobin" },
        { "roundrobin", "{\"steal\": true}", "roundrobin steal" },
    };
    unsigned tlist[8] = { 2, 3, 5 }, nt = 3;
    if (argc > 2) {
        nt = 0;
        for (int i = 2; i < argc && nt < 8; i++)
            tlist[nt++] = (unsigned)strtoul(argv[i], NULL, 10);
    }
    printf("%-18s %7s %14s %14s %14s\n", "policy", "threads", "tiny ns/task",
           "skewed ms", "range ms");
    for (unsigned k = 0; k < nt; k++)
        for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
            char json[256];
            snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": %u%s%s}",
                     cfgs[c].policy, tlist[k], cfgs[c].params ? ", \"params\": " : "",
                     cfgs[c].params ? cfgs[c].params : "");
            tpool *p = NULL;
            tpool_error err;
            tpool_error_clear(&err);
            if (tpool_create_from_text(json, &p, &err) != 0) {
                fprintf(stderr, "%s: %s\n", json, err.text);
                return 1;
            }
            double tiny = best_of(5, run_tiny, p, tlist[k]);
            double skew = best_of(3, run_skewed, p, tlist[k]);
            double range = best_of(5, run_range, p, tlist[k]);
            printf("%-18s %7u %14.1f %14.2f %14.2f\n", cfgs[c].label, tlist[k], tiny, skew,
                   range);
            tpool_destroy(p);
        }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--bench") == 0)
        return bench(argc, argv);

    Suite *s = suite_create("roundrobin");
    TCase *tc = tcase_create("roundrobin");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_even_deal, 0, sizeof deal_threads / sizeof deal_threads[0]);
    tcase_add_test(tc, test_quantum);
    tcase_add_test(tc, test_preferred_worker);
    tcase_add_test(tc, test_tiles_dealt);
    tcase_add_loop_test(tc, test_range_dealt_by_thread, 0,
                        sizeof dealt_cases / sizeof dealt_cases[0]);
    tcase_add_loop_test(tc, test_range_prime_exactly_once, 0,
                        sizeof prime_params / sizeof prime_params[0]);
    tcase_add_loop_test(tc, test_range_steal_unblocks, 2, 5);
    tcase_add_test(tc, test_range_no_steal_caller_works);
    tcase_add_test(tc, test_steal_unstrands);
    tcase_add_test(tc, test_no_steal_strands);
    tcase_add_loop_test(tc, test_variants_exactly_once, 0,
                        sizeof variant_params / sizeof variant_params[0]);
    tcase_add_loop_test(tc, test_bad_params, 0, sizeof bad_params / sizeof bad_params[0]);
    tcase_add_test(tc, test_params_listed);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
