/*
 * check_priority.c - the priority policy: order (priority, then cost, then
 * submission), parallel-for tiles (call priority, largest first), aging and
 * its bound, parameter errors.
 *
 * Order is observed with one consumer only: one worker (threads = 1 or 2)
 * kept busy by a gate task while the test queues work, and a test thread
 * that waits on a condition variable, never in the pool (a waiting thread
 * would pop too). Nothing sleeps to synchronise and no time is asserted:
 * the aging test asserts a count derived from the aging rule. Run with
 * --bench for the measurements quoted in docs/policies-roundrobin-priority.md.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "testutil.h"

/* Latches (tu_latch): wait until a counter reaches a value. */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* the core's clock for submit_ns */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int stat_index(const tpool_stats *st, const char *name)
{
    for (unsigned i = 0; i < st->npolicy; i++)
        if (strcmp(st->policy_names[i], name) == 0)
            return (int)i;
    ck_abort_msg("policy statistic '%s' missing", name);
    return -1;
}

static uint64_t stat_of(tpool *p, unsigned slot, const char *name)
{
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    uint64_t v = st.per_worker[slot].policy[stat_index(&st, name)];
    tpool_stats_free(&st);
    return v;
}

/* ---- the gate: keeps the only worker busy while the test queues work ------- */

static tu_latch g_gate_started, g_gate_open;

static void gate_task(void *arg)
{
    (void)arg;
    tu_latch_add(&g_gate_started, 1);
    tu_latch_wait_for(&g_gate_open, 1);
}

static void gate_close(tpool *p)
{
    tu_latch_init(&g_gate_started);
    tu_latch_init(&g_gate_open);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.priority = 1 << 30; /* whatever else is queued, the gate goes first */
    ck_assert_int_eq(tpool_submit(p, gate_task, NULL, &a), 0);
    tu_latch_wait_for(&g_gate_started, 1);
}

static void gate_open(void)
{
    tu_latch_add(&g_gate_open, 1);
}

static void gate_fini(void)
{
    tu_latch_destroy(&g_gate_started);
    tu_latch_destroy(&g_gate_open);
}

/* ---- the run log ------------------------------------------------------------ */

enum { LOG_MAX = 4096 };
static size_t g_log[LOG_MAX];
static tu_latch g_logged; /* count = entries in g_log */

static void log_entry(size_t id)
{
    pthread_mutex_lock(&g_logged.lock);
    if (g_logged.count < LOG_MAX)
        g_log[g_logged.count] = id;
    g_logged.count++;
    pthread_cond_broadcast(&g_logged.cond);
    pthread_mutex_unlock(&g_logged.lock);
}

static void log_task(void *arg)
{
    log_entry((size_t)arg);
}

/* ---- order of tasks ------------------------------------------------------- */

typedef struct {
    int prio;
    uint64_t cost;
    size_t index; /* submission order */
} spec;

/* The documented order with aging off: priority desc, cost desc, seq asc. */
static int spec_cmp(const void *a, const void *b)
{
    const spec *x = a, *y = b;
    if (x->prio != y->prio)
        return x->prio > y->prio ? -1 : 1;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return x->index < y->index ? -1 : 1;
}

/* One worker, gated while N tasks of random priority (beyond the statistic
 * buckets' [-32, 31] too) and random cost are queued: they run in exactly
 * the documented order, ties in submission order. */
START_TEST(test_single_worker_order)
{
    enum { N = 3000 };
    unsigned seed = tu_seed("priority order");
    static spec specs[N];
    tu_latch_init(&g_logged);
    tpool *p = tu_pool("priority", 1, "{\"aging_us\": 0}");
    gate_close(p);
    for (size_t i = 0; i < N; i++) {
        specs[i].prio = (int)(rand_r(&seed) % 81) - 40;
        specs[i].cost = rand_r(&seed) % 4 == 0 ? rand_r(&seed) % 3 : 0;
        specs[i].index = i;
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.priority = specs[i].prio;
        a.cost_hint = specs[i].cost;
        ck_assert_int_eq(tpool_submit(p, log_task, (void *)i, &a), 0);
    }
    gate_open();
    tu_latch_wait_for(&g_logged, N);
    qsort(specs, N, sizeof specs[0], spec_cmp);
    for (size_t k = 0; k < N; k++)
        ck_assert_msg(g_log[k] == specs[k].index,
                      "position %zu ran task %zu, expected task %zu (priority %d, cost %llu)",
                      k, g_log[k], specs[k].index, specs[k].prio,
                      (unsigned long long)specs[k].cost);
    ck_assert_uint_eq(stat_of(p, 0, "aged"), 0); /* aging off: nobody overtook */
    ck_assert_int_eq(tpool_destroy(p), 0);
    gate_fini();
    tu_latch_destroy(&g_logged);
}
END_TEST

/* ---- order of parallel-for tiles ------------------------------------------- */

/*
 * Two threads. The worker is gated behind queued tasks of priority 10 (HI)
 * and 0 (LO); then a parallel-for of priority 5 starts. Its caller runs
 * only its own tiles, taking them in the documented order (largest cost
 * first when a cost function is given, else from the last tile down): its
 * first tile opens the gate and waits until every other tile has run. The
 * worker then runs what the policy hands it, in order: the HI tasks, the
 * call's other tiles (largest cost first, or in index order), and the LO
 * tasks only after every tile (the tile the caller took is skipped:
 * nothing of it is left). The caller never runs a task it did not call.
 */
enum { TASK_HI = 1000, TASK_LO = 2000, NTASKS = 3 };

static const uint64_t tile_cost[12] = { 3, 9, 1, 9, 4, 7, 0, 2, 8, 5, 6, 4 };

typedef struct {
    size_t n, tile, ntiles;
    _Atomic size_t tiles_run;
    pthread_t caller;
    _Atomic int caller_tiles, gave_up;
} tiles_ctx;

static uint64_t cost_of(void *ctx, size_t begin, size_t end)
{
    (void)ctx;
    ck_assert_uint_eq(end - begin, 1);
    return tile_cost[begin];
}

static void log_tile(void *ctx, size_t begin, size_t end, unsigned thread)
{
    tiles_ctx *c = ctx;
    ck_assert_uint_le(end - begin, c->tile);
    log_entry(begin);
    if (!pthread_equal(pthread_self(), c->caller)) {
        atomic_fetch_add(&c->tiles_run, 1);
        return;
    }
    ck_assert_uint_eq(thread, 0);
    atomic_fetch_add(&c->caller_tiles, 1);
    gate_open();
    /* Until the worker has run the other tiles (10 s without progress:
     * give up, and the test fails on gave_up). */
    if (tu_wait_count(&c->tiles_run, c->ntiles - 1, 10) != 0)
        atomic_store(&c->gave_up, 1);
}

static const struct {
    int with_cost;
    size_t n, tile;
    size_t caller;    /* the caller's tile */
    size_t order[12]; /* expected begins of the worker's tiles */
} tile_cases[] = {
    /* cost desc, then index: 9(1) 9(3) 8(8) 7(5) 6(10) 5(9) 4(4) 4(11) 3(0) 2(7) 1(2) 0(6);
     * the caller takes the first, the worker the rest in that order */
    { 1, 12, 1, 1, { 3, 8, 5, 10, 9, 4, 11, 0, 7, 2, 6 } },
    /* no cost: the core's cost is the item count (the clipped last tile is
     * the smallest); the caller takes the last tile, the worker the others
     * in index order */
    { 0, 23, 5, 20, { 0, 5, 10, 15 } },
};

START_TEST(test_tile_order)
{
    char params[64];
    snprintf(params, sizeof params, "{\"aging_us\": 0, \"tile\": %zu}", tile_cases[_i].tile);
    tiles_ctx c = { .n = tile_cases[_i].n, .tile = tile_cases[_i].tile };
    c.ntiles = (c.n + c.tile - 1) / c.tile;
    c.caller = pthread_self();
    atomic_init(&c.tiles_run, 0);
    tu_latch_init(&g_logged);
    tpool *p = tu_pool("priority", 2, params);
    gate_close(p);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    for (size_t i = 0; i < NTASKS; i++) {
        a.priority = 0;
        ck_assert_int_eq(tpool_submit(p, log_task, (void *)(TASK_LO + i), &a), 0);
        a.priority = 10;
        ck_assert_int_eq(tpool_submit(p, log_task, (void *)(TASK_HI + i), &a), 0);
    }
    tpool_range_opts opts = { .priority = 5, .cost = tile_cases[_i].with_cost ? cost_of : NULL };
    ck_assert_int_eq(tpool_parallel_range(p, c.n, log_tile, &c, &opts), 0);
    ck_assert_int_eq(atomic_load(&c.gave_up), 0);
    ck_assert_int_eq(atomic_load(&c.caller_tiles), 1);
    tu_latch_wait_for(&g_logged, 2 * NTASKS + c.ntiles);

    size_t k = 0;
    ck_assert_msg(g_log[k] == tile_cases[_i].caller, "the caller's tile: begin %zu, expected %zu",
                  g_log[k], tile_cases[_i].caller);
    k++;
    for (size_t i = 0; i < NTASKS; i++, k++)
        ck_assert_uint_eq(g_log[k], TASK_HI + i);
    for (size_t i = 0; i + 1 < c.ntiles; i++, k++)
        ck_assert_msg(g_log[k] == tile_cases[_i].order[i], "tile %zu: begin %zu, expected %zu",
                      i, g_log[k], tile_cases[_i].order[i]);
    for (size_t i = 0; i < NTASKS; i++, k++)
        ck_assert_uint_eq(g_log[k], TASK_LO + i);
    ck_assert_int_eq(tpool_destroy(p), 0);
    gate_fini();
    tu_latch_destroy(&g_logged);
}
END_TEST

/* ---- aging ------------------------------------------------------------------ */

/*
 * A stream of high-priority tasks H_0, H_1, ... (priority P_H) on one
 * worker: H_k spins for D (its service time: at least D by the monotonic
 * clock; never a wait for another thread), then notes the time t_pre[k+1]
 * and submits H_{k+1}, while the low task L has not run and the cap allows.
 * So the queue always holds an H, and the submit times of successive Hs
 * are at least D apart (t_pre[k+1] >= start of H_k + D >= t_pre[k] + D).
 * The test submits L (priority P_H - G) and notes t_after once that call
 * has returned (so L's submit_ns <= t_after).
 *
 * Rule: H overtakes L only if submitted before submit_ns(L) + G * A. An H
 * that ran before L with t_pre > t_after was submitted in an interval of
 * length below G * A, at least D apart from the next: at most G * A / D of
 * them (here 4). Without aging, L runs only after the whole stream.
 */
enum { P_H = 7, G = 2, A_US = 1000, D_US = 500, BOUND = G * A_US / D_US };

typedef struct {
    tpool *p;
    size_t cap;
    uint64_t t_pre[100001];
    _Atomic size_t started;   /* H tasks started */
    _Atomic int low_ran;
    size_t started_before_low; /* written by L */
    size_t stream_len;         /* written by the last H */
    tu_latch going, low_done, stream_done;
} stream_state;

static stream_state *g_st;

static void low_task(void *arg)
{
    (void)arg;
    g_st->started_before_low = atomic_load(&g_st->started);
    atomic_store(&g_st->low_ran, 1);
    tu_latch_add(&g_st->low_done, 1);
}

static void high_task(void *arg)
{
    size_t k = (size_t)arg;
    uint64_t t0 = now_ns();
    atomic_fetch_add(&g_st->started, 1);
    if (k == 2)
        tu_latch_add(&g_st->going, 1);
    while (now_ns() < t0 + (uint64_t)D_US * 1000u)
        ; /* service time */
    if (!atomic_load(&g_st->low_ran) && k + 1 < g_st->cap) {
        g_st->t_pre[k + 1] = now_ns();
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.priority = P_H;
        ck_assert_int_eq(tpool_submit(g_st->p, high_task, (void *)(k + 1), &a), 0);
    } else {
        g_st->stream_len = k + 1;
        tu_latch_add(&g_st->stream_done, 1);
    }
}

START_TEST(test_aging_stream)
{
    int aging = _i == 0;
    stream_state *st = calloc(1, sizeof *st);
    g_st = st;
    tu_latch_init(&st->going);
    tu_latch_init(&st->low_done);
    tu_latch_init(&st->stream_done);
    atomic_init(&st->started, 0);
    atomic_init(&st->low_ran, 0);
    st->cap = aging ? 100000 : 200; /* with aging, L ends the stream */
    char params[64];
    snprintf(params, sizeof params, "{\"aging_us\": %d}", aging ? A_US : 0);
    st->p = tu_pool("priority", 1, params);

    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.priority = P_H;
    st->t_pre[0] = now_ns();
    ck_assert_int_eq(tpool_submit(st->p, high_task, (void *)0, &a), 0);
    tu_latch_wait_for(&st->going, 1);
    a.priority = P_H - G;
    ck_assert_int_eq(tpool_submit(st->p, low_task, NULL, &a), 0);
    uint64_t t_after = now_ns();
    tu_latch_wait_for(&st->low_done, 1);
    tu_latch_wait_for(&st->stream_done, 1);

    size_t overtook = 0;
    for (size_t k = 0; k < st->started_before_low; k++)
        overtook += st->t_pre[k] > t_after;
    uint64_t aged = stat_of(st->p, 0, "aged");
    if (aging) {
        ck_assert_msg(overtook <= BOUND,
                      "%zu high tasks submitted after the low one ran before it; the rule "
                      "allows %d", overtook, BOUND);
        ck_assert_uint_lt(st->started_before_low, st->stream_len);
        ck_assert_uint_eq(aged, 1); /* L, ahead of the queued H */
    } else {
        ck_assert_msg(st->started_before_low == st->stream_len && st->stream_len == st->cap,
                      "without aging the low task ran after %zu of %zu high tasks",
                      st->started_before_low, st->stream_len);
        ck_assert_uint_eq(aged, 0);
    }
    printf("aging %s: %zu high tasks ran before the low one, %zu of them submitted after it "
           "(bound %d)\n", aging ? "on" : "off", st->started_before_low, overtook, BOUND);
    ck_assert_int_eq(tpool_destroy(st->p), 0);
    tu_latch_destroy(&st->going);
    tu_latch_destroy(&st->low_done);
    tu_latch_destroy(&st->stream_done);
    free(st);
}
END_TEST

/* ---- exactly once, several workers, every aging setting --------------------- */

typedef struct {
    _Atomic unsigned char hits[1000];
} range_hits;

static void visit(void *ctx, size_t begin, size_t end, unsigned thread)
{
    range_hits *h = ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&h->hits[i], 1);
}

static uint64_t range_cost(void *ctx, size_t begin, size_t end)
{
    (void)ctx;
    return (uint64_t)(end - begin) * (begin % 7 + 1);
}

static const char *const variant_params[] = {
    "{\"aging_us\": 0}",
    "{\"aging_us\": 1}",
    "{\"aging_us\": 3600000000, \"tile\": 3}",
};

START_TEST(test_variants_exactly_once)
{
    enum { N = 20000 };
    const char *params = variant_params[_i];
    unsigned seed = tu_seed("priority variants");
    for (unsigned threads = 1; threads <= 5; threads += 2) {
        tpool *p = tu_pool("priority", threads, params);
        tu_hits_alloc(N);
        for (size_t i = 0; i < N; i++) {
            tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
            a.priority = rand_r(&seed) % 3 ? (int)(rand_r(&seed) % 200) - 100
                                           : (rand_r(&seed) % 2 ? INT32_MAX : INT32_MIN);
            a.cost_hint = rand_r(&seed) % 5;
            ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, &a), 0);
        }
        range_hits h;
        for (size_t i = 0; i < 1000; i++)
            atomic_init(&h.hits[i], 0);
        for (int rep = 0; rep < 10; rep++) {
            tpool_range_opts o = { .priority = rep - 5, .cost = rep % 2 ? range_cost : NULL };
            ck_assert_int_eq(tpool_parallel_range(p, 1000, visit, &h, &o), 0);
        }
        ck_assert_int_eq(tpool_wait_all(p), 0);
        tu_hits_assert_once(N, "%s, %u threads", params, threads);
        for (size_t i = 0; i < 1000; i++)
            ck_assert_uint_eq(atomic_load(&h.hits[i]), 10);
        ck_assert_int_eq(tpool_destroy(p), 0);
        tu_hits_free();
    }
}
END_TEST

/* ---- parameters ------------------------------------------------------------ */

static const struct {
    const char *params, *key, *words;
} bad_params[] = {
    { "{\"aging_us\": -1}", "params.aging_us", "expected an integer in [0, 3600000000], got -1" },
    { "{\"aging_us\": 3600000001}", "params.aging_us", "got 3600000001" },
    { "{\"aging_us\": 1.5}", "params.aging_us", "got 1.5" },
    { "{\"tile\": -2}", "params.tile", "expected an integer >= 0, got -2" },
    { "{\"aging\": 5}", "params.aging", "did you mean 'aging_us'?" },
};

START_TEST(test_bad_params)
{
    tu_expect_param_error("priority", bad_params[_i].params, bad_params[_i].key,
                          bad_params[_i].words);
}
END_TEST

START_TEST(test_params_listed)
{
    tu_assert_params_listed("priority", "aging_us", "tile");
}
END_TEST

/* ---- benchmark (--bench): figures for the docs, nothing asserted ------------ */

static void noop(void *arg) { (void)arg; }

static double now_s(void)
{
    return (double)now_ns() * 1e-9;
}

enum { BENCH_N = 200000 };

typedef struct {
    tpool *p;
    int nprio; /* priorities drawn from [0, nprio); 1 = all equal */
    size_t count;
    unsigned seed;
} bench_sub;

static void *bench_submitter(void *arg)
{
    bench_sub *b = arg;
    for (size_t i = 0; i < b->count; i++) {
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.priority = b->nprio > 1 ? (int)(rand_r(&b->seed) % (unsigned)b->nprio) : 0;
        tpool_submit(b->p, noop, NULL, &a);
    }
    return NULL;
}

/* BENCH_N empty tasks from `subs` outside threads, then wait: ns per task. */
static double run_tasks(tpool *p, int nprio, unsigned subs)
{
    pthread_t th[8];
    bench_sub b[8];
    double t0 = now_s();
    for (unsigned i = 0; i < subs; i++) {
        b[i] = (bench_sub){ p, nprio, BENCH_N / subs, 12345u + i };
        pthread_create(&th[i], NULL, bench_submitter, &b[i]);
    }
    for (unsigned i = 0; i < subs; i++)
        pthread_join(th[i], NULL);
    tpool_wait_all(p);
    return (now_s() - t0) * 1e9 / BENCH_N;
}

/* BENCH_N tasks queued while every worker is held by a gate, then drained
 * by the workers alone: ns per task of popping from a deep queue. */
static double run_drain(tpool *p, int nprio, unsigned subs)
{
    (void)subs;
    unsigned W = tpool_threads(p) > 1 ? tpool_threads(p) - 1 : 1;
    /* The gate, without Check's asserts (no test is running here). */
    tu_latch_init(&g_gate_started);
    tu_latch_init(&g_gate_open);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.priority = 1 << 30;
    for (unsigned w = 0; w < W; w++) {
        a.preferred_worker = (int)w; /* one gate per worker under any policy */
        tpool_submit(p, gate_task, NULL, &a);
    }
    tu_latch_wait_for(&g_gate_started, W);
    bench_sub b = { p, nprio, BENCH_N, 777u };
    bench_submitter(&b);
    double t0 = now_s();
    gate_open();
    tpool_wait_all(p);
    double t = (now_s() - t0) * 1e9 / BENCH_N;
    gate_fini();
    return t;
}

static void range_noop(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx;
    (void)begin;
    (void)end;
    (void)thread;
}

/* 2000 parallel-for calls of 1000 items, tile 10: microseconds per call. */
static double run_range(tpool *p, int nprio, unsigned subs)
{
    (void)nprio;
    (void)subs;
    double t0 = now_s();
    for (int i = 0; i < 2000; i++)
        tpool_parallel_range(p, 1000, range_noop, NULL, NULL);
    return (now_s() - t0) * 1e6 / 2000;
}

static double best3(double (*run)(tpool *, int, unsigned), tpool *p, int nprio, unsigned subs)
{
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t = run(p, nprio, subs);
        best = t < best ? t : best;
    }
    return best;
}

static int bench(int argc, char **argv)
{
    static const struct {
        const char *policy, *params, *label;
    } cfgs[] = {
        { "fifo", "{\"tile\": 10}", "fifo" },
        { "priority", "{\"aging_us\": 0, \"tile\": 10}", "priority aging=0" },
        { "priority", "{\"tile\": 10}", "priority aging=10ms" },
    };
    unsigned tlist[8] = { 2, 3, 5 }, nt = 3;
    if (argc > 2) {
        nt = 0;
        for (int i = 2; i < argc && nt < 8; i++)
            tlist[nt++] = (unsigned)strtoul(argv[i], NULL, 10);
    }
    printf("ns/task for %d empty tasks (best of 5); range: us per parallel-for of 1000 items\n",
           BENCH_N);
    printf("%-20s %7s %10s %10s %10s %10s %10s %8s\n", "policy", "threads", "1 sub", "4 subs",
           "4 subs p16", "drain", "drain p16", "range");
    for (unsigned k = 0; k < nt; k++)
        for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
            char json[256];
            snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": %u, \"params\": %s}",
                     cfgs[c].policy, tlist[k], cfgs[c].params);
            tpool *p = NULL;
            tpool_error err;
            tpool_error_clear(&err);
            if (tpool_create_from_text(json, &p, &err) != 0) {
                fprintf(stderr, "%s: %s\n", json, err.text);
                return 1;
            }
            double t1 = best3(run_tasks, p, 1, 1);
            double t4 = best3(run_tasks, p, 1, 4);
            double t4p = best3(run_tasks, p, 16, 4);
            double d1 = best3(run_drain, p, 1, 1);
            double d16 = best3(run_drain, p, 16, 1);
            double r = best3(run_range, p, 1, 1);
            printf("%-20s %7u %10.1f %10.1f %10.1f %10.1f %10.1f %8.1f\n", cfgs[c].label,
                   tlist[k], t1, t4, t4p, d1, d16, r);
            tpool_destroy(p);
        }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--bench") == 0)
        return bench(argc, argv);

    Suite *s = suite_create("priority");
    TCase *tc = tcase_create("priority");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_single_worker_order);
    tcase_add_loop_test(tc, test_tile_order, 0, sizeof tile_cases / sizeof tile_cases[0]);
    tcase_add_loop_test(tc, test_aging_stream, 0, 2);
    tcase_add_loop_test(tc, test_variants_exactly_once, 0,
                        sizeof variant_params / sizeof variant_params[0]);
    tcase_add_loop_test(tc, test_bad_params, 0, sizeof bad_params / sizeof bad_params[0]);
    tcase_add_test(tc, test_params_listed);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
