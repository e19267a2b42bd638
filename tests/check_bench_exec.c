/*
 * check_bench_exec.c - the executor services a workload runs through
 * (tpool-bench.h, harness/exec.c), on every executor that offers them:
 * a group's wait covers the tasks its producer tasks submitted into it;
 * a parallel-for inside a task; the 2-d parallel-for visits every element
 * once with tiles clipped at the edges; calls an executor cannot serve are
 * refused with TPOOL_EINVAL; stamped tasks give the right deadline and
 * priority figures; and an older workload's shorter task attributes are
 * read only as far as they go.
 */
#define _GNU_SOURCE
#include <math.h>

#include "bench.h"
#include "testutil.h"

/* ---- the executors a test runs on ---- */

typedef struct execs {
    bench_exec ex[24];
    tpool *pools[24];
    char labels[24][64];
    size_t n;
    bench_ptp_api api;
    void *ptp_pool;
    int have_ptp;
    void *tbb; /* a oneTBB arena of 3 threads */
} execs;

/* Every executor that offers all of `uses`: the serial loop, each policy
 * of the build tree at 1, 2 and 3 threads, OpenMP and libpthreadpool when
 * available. */
static void execs_open(execs *x, unsigned uses)
{
    memset(x, 0, sizeof *x);
    if (!(uses & ~bench_exec_offers(BENCH_EX_SERIAL, 0))) {
        x->ex[x->n] = (bench_exec){ .kind = BENCH_EX_SERIAL, .threads = 1 };
        snprintf(x->labels[x->n++], 64, "serial");
    }
    const char *names[16];
    int np = tu_policies(names, 16);
    for (int p = 0; p < np; p++)
        for (unsigned t = 1; t <= 3 && x->n < 20; t++) {
            x->pools[x->n] = tu_pool(names[p], t, NULL);
            x->ex[x->n] = (bench_exec){ .kind = BENCH_EX_TPOOL, .threads = t,
                                        .pool = x->pools[x->n] };
            snprintf(x->labels[x->n++], 64, "%s at %u threads", names[p], t);
        }
    bench_baseline_status st[BENCH_NBASE];
    bench_baselines_probe(st, BENCH_BASE_ALL);
    static const int sched[] = { BENCH_OMP_STATIC, BENCH_OMP_DYNAMIC, BENCH_OMP_TASK };
    for (int k = 0; k < 3; k++) {
        int idx = sched[k] == BENCH_OMP_TASK ? 4 : 1 + sched[k];
        if (!st[idx].available || (uses & ~bench_exec_offers(BENCH_EX_OMP, sched[k])))
            continue;
        x->ex[x->n] = (bench_exec){ .kind = BENCH_EX_OMP, .threads = 3, .omp_sched = sched[k] };
        snprintf(x->labels[x->n++], 64, "%s", bench_base_names[idx]);
    }
    static const int tbb_mode[] = { BENCH_TBB_TASK, BENCH_TBB_AUTO, BENCH_TBB_SIMPLE };
    for (int k = 0; k < 3; k++) {
        if (!st[6 + tbb_mode[k]].available || (uses & ~bench_exec_offers(BENCH_EX_TBB,
                                                                        tbb_mode[k])))
            continue;
        if (!x->tbb)
            x->tbb = bench_tbb_create(3);
        ck_assert_ptr_nonnull(x->tbb);
        x->ex[x->n] = (bench_exec){ .kind = BENCH_EX_TBB, .threads = 3, .tbb_mode = tbb_mode[k],
                                    .tbb_grain = 2, .tbb = x->tbb };
        snprintf(x->labels[x->n++], 64, "%s", bench_base_names[6 + tbb_mode[k]]);
    }
    char why[256];
    if (st[5].available && !(uses & ~bench_exec_offers(BENCH_EX_PTP, 0)) &&
        bench_ptp_load(&x->api, why, sizeof why) == 0) {
        x->have_ptp = 1;
        x->ptp_pool = x->api.create(3);
        ck_assert_ptr_nonnull(x->ptp_pool);
        x->ex[x->n] = (bench_exec){ .kind = BENCH_EX_PTP, .threads = 3, .ptp = &x->api,
                                    .ptp_pool = x->ptp_pool };
        snprintf(x->labels[x->n++], 64, "pthreadpool");
    }
    for (size_t i = 0; i < x->n; i++)
        bench_exec_init(&x->ex[i], x->labels[i]);
}

static void execs_close(execs *x)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->pools[i])
            tpool_destroy(x->pools[i]);
    if (x->have_ptp) {
        x->api.destroy(x->ptp_pool);
        bench_ptp_unload(&x->api);
    }
    bench_tbb_destroy(x->tbb);
}

/* One run of w on ex, and the harness's exactly-once check. */
static int run_checked(const tpool_bench_workload *w, void *state, const bench_exec *ex,
                       char *msg, size_t size)
{
    bench_rec_reset(0, 0, 0);
    int rc = bench_exec_run(ex, w, state);
    if (rc) {
        snprintf(msg, size, "run returned %d", rc);
        return rc;
    }
    return bench_rec_check_dispatched(msg, size);
}

/* ---- producers submitting into their creator's group ---- */

#define PRODUCERS 4
#define PER_PRODUCER 50

typedef struct prod_state {
    const tpool_bench_exec *ex;
    tpool_bench_group *g;
    _Atomic unsigned ran[PRODUCERS * PER_PRODUCER];
    _Atomic int failed;
    unsigned seen_after_wait; /* leaf tasks that had run when the wait returned */
    struct prod { struct prod_state *s; unsigned k; } prod[PRODUCERS];
    struct leaf { struct prod_state *s; unsigned i; } leaf[PRODUCERS * PER_PRODUCER];
} prod_state;

static void leaf_task(void *arg)
{
    struct leaf *l = arg;
    atomic_fetch_add(&l->s->ran[l->i], 1);
}

static void producer_task(void *arg)
{
    struct prod *p = arg;
    prod_state *s = p->s;
    for (unsigned i = 0; i < PER_PRODUCER; i++) {
        unsigned n = p->k * PER_PRODUCER + i;
        s->leaf[n] = (struct leaf){ s, n };
        if (s->ex->submit(s->ex, s->g, leaf_task, &s->leaf[n], NULL) != 0)
            atomic_store(&s->failed, 1);
    }
}

static int prod_run(void *state, const tpool_bench_exec *ex)
{
    prod_state *s = state;
    s->ex = ex;
    for (unsigned i = 0; i < PRODUCERS * PER_PRODUCER; i++)
        atomic_store(&s->ran[i], 0);
    int rc = ex->group_create(ex, &s->g);
    if (rc)
        return rc;
    for (unsigned k = 0; rc == 0 && k < PRODUCERS; k++) {
        s->prod[k] = (struct prod){ s, k };
        rc = ex->submit(ex, s->g, producer_task, &s->prod[k], NULL);
    }
    int wrc = ex->group_wait(ex, s->g);
    s->seen_after_wait = 0;
    for (unsigned i = 0; i < PRODUCERS * PER_PRODUCER; i++)
        s->seen_after_wait += atomic_load(&s->ran[i]) == 1;
    return rc ? rc : wrc ? wrc : atomic_load(&s->failed) ? TPOOL_ENOMEM : 0;
}

static int no_setup(const tpool_bench_env *env, void **state)
{
    (void)env, (void)state;
    return 0;
}

static void no_teardown(void *state)
{
    (void)state;
}

static const tpool_bench_workload producers_wl = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "producers",
    .uses = TPOOL_BENCH_USES_TASKS,
    .setup = no_setup,
    .run = prod_run,
    .teardown = no_teardown,
};

START_TEST(producers_into_the_callers_group)
{
    execs x;
    execs_open(&x, producers_wl.uses);
    static prod_state s;
    for (size_t e = 0; e < x.n; e++)
        for (int rep = 0; rep < 3; rep++) {
            char msg[256] = "";
            ck_assert_msg(run_checked(&producers_wl, &s, &x.ex[e], msg, sizeof msg) == 0,
                          "%s: %s", x.labels[e], msg);
            ck_assert_msg(s.seen_after_wait == PRODUCERS * PER_PRODUCER,
                          "%s: %u of %d tasks had run once when the group's wait returned",
                          x.labels[e], s.seen_after_wait, PRODUCERS * PER_PRODUCER);
            ck_assert_uint_eq(bench_rec_dispatched(), PRODUCERS + PRODUCERS * PER_PRODUCER);
        }
    execs_close(&x);
}
END_TEST

/* ---- parallel-fors inside tasks ---- */

#define TASKS 6
#define ITEMS 100

typedef struct nest_state {
    const tpool_bench_exec *ex;
    _Atomic unsigned hits[TASKS][ITEMS];
    _Atomic int failed;
    unsigned which[TASKS];
} nest_state;

static nest_state *g_nest;

static void nest_body(void *ctx, size_t b, size_t e, unsigned participant)
{
    unsigned *which = ctx;
    if (participant >= TPOOL_BENCH_MAX_PARTICIPANTS)
        atomic_store(&g_nest->failed, 1);
    for (size_t i = b; i < e; i++)
        atomic_fetch_add(&g_nest->hits[*which][i], 1);
}

static void nest_task(void *arg)
{
    unsigned *which = arg;
    if (g_nest->ex->parallel_for(g_nest->ex, ITEMS, nest_body, which, NULL) != 0)
        atomic_store(&g_nest->failed, 1);
}

static int nest_run(void *state, const tpool_bench_exec *ex)
{
    nest_state *s = state;
    s->ex = ex;
    tpool_bench_group *g;
    int rc = ex->group_create(ex, &g);
    if (rc)
        return rc;
    for (unsigned t = 0; rc == 0 && t < TASKS; t++) {
        s->which[t] = t;
        rc = ex->submit(ex, g, nest_task, &s->which[t], NULL);
    }
    int wrc = ex->group_wait(ex, g);
    return rc ? rc : wrc ? wrc : atomic_load(&s->failed) ? -1 : 0;
}

static const tpool_bench_workload nest_wl = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "nest",
    .uses = TPOOL_BENCH_USES_TASKS | TPOOL_BENCH_USES_RANGE,
    .setup = no_setup,
    .run = nest_run,
    .teardown = no_teardown,
};

START_TEST(range_inside_tasks)
{
    execs x;
    execs_open(&x, nest_wl.uses);
    static nest_state s;
    g_nest = &s;
    for (size_t e = 0; e < x.n; e++) {
        memset(&s, 0, sizeof s);
        char msg[256] = "";
        ck_assert_msg(run_checked(&nest_wl, &s, &x.ex[e], msg, sizeof msg) == 0, "%s: %s",
                      x.labels[e], msg);
        for (unsigned t = 0; t < TASKS; t++)
            for (unsigned i = 0; i < ITEMS; i++)
                ck_assert_msg(atomic_load(&s.hits[t][i]) == 1, "%s: task %u item %u ran %u times",
                              x.labels[e], t, i, atomic_load(&s.hits[t][i]));
        ck_assert_uint_eq(bench_rec_dispatched(), TASKS + TASKS * ITEMS);
    }
    execs_close(&x);
}
END_TEST

/* ---- the 2-d parallel-for ---- */

typedef struct grid {
    size_t ni, nj, ti, tj;
    _Atomic unsigned *hits;
    _Atomic int bad_tile;
} grid;

static void grid_tile(void *ctx, size_t i, size_t j, size_t ti, size_t tj)
{
    grid *g = ctx;
    /* tiles start on the grid and are clipped at the edge, never beyond */
    if (i % g->ti || j % g->tj || ti == 0 || tj == 0 || ti > g->ti || tj > g->tj ||
        i + ti > g->ni || j + tj > g->nj ||
        (ti < g->ti && i + ti != g->ni) || (tj < g->tj && j + tj != g->nj))
        atomic_store(&g->bad_tile, 1);
    for (size_t a = i; a < i + ti && a < g->ni; a++)
        for (size_t b = j; b < j + tj && b < g->nj; b++)
            atomic_fetch_add(&g->hits[a * g->nj + b], 1);
}

START_TEST(range_2d)
{
    execs x;
    execs_open(&x, TPOOL_BENCH_USES_RANGE | TPOOL_BENCH_USES_RANGE_2D);
    static const size_t shapes[][4] = { { 17, 23, 4, 5 }, { 8, 8, 8, 8 }, { 1, 50, 3, 7 },
                                        { 30, 1, 7, 1 } };
    for (size_t e = 0; e < x.n; e++)
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            grid g = { shapes[k][0], shapes[k][1], shapes[k][2], shapes[k][3], NULL, 0 };
            g.hits = calloc(g.ni * g.nj, sizeof *g.hits);
            size_t ntiles = ((g.ni + g.ti - 1) / g.ti) * ((g.nj + g.tj - 1) / g.tj);
            uint64_t *cost = calloc(ntiles + 1, sizeof *cost);
            for (size_t t = 0; t < ntiles; t++)
                cost[t + 1] = cost[t] + 10;
            tpool_bench_range_opts o = { .struct_size = sizeof o, .cost = cost };
            const tpool_bench_exec *p = &x.ex[e].pub;
            bench_rec_reset(0, 0, 0);
            ck_assert_int_eq(p->parallel_for_2d(p, g.ni, g.nj, g.ti, g.tj, grid_tile, &g, &o), 0);
            char msg[256];
            ck_assert_msg(bench_rec_check_dispatched(msg, sizeof msg) == 0, "%s: %s",
                          x.labels[e], msg);
            ck_assert_uint_eq(bench_rec_dispatched(), ntiles);
            uint64_t work = 0;
            for (unsigned s = 0; s < BENCH_MAX_SLOTS; s++)
                work += bench_g_rec.slots[s].work;
            ck_assert_uint_eq(work, 10 * ntiles); /* each tile's cost, once */
            ck_assert_msg(!atomic_load(&g.bad_tile), "%s: a tile off the grid or unclipped",
                          x.labels[e]);
            for (size_t c = 0; c < g.ni * g.nj; c++)
                ck_assert_msg(atomic_load(&g.hits[c]) == 1, "%s: element %zu ran %u times",
                              x.labels[e], c, atomic_load(&g.hits[c]));
            free(g.hits);
            free(cost);
        }
    /* an empty range calls nothing; a zero tile of a non-empty one is refused */
    for (size_t e = 0; e < x.n; e++) {
        const tpool_bench_exec *p = &x.ex[e].pub;
        grid g = { 0, 5, 1, 1, NULL, 0 };
        ck_assert_int_eq(p->parallel_for_2d(p, 0, 5, 1, 1, grid_tile, &g, NULL), 0);
        ck_assert_int_eq(p->parallel_for_2d(p, 5, 5, 0, 1, grid_tile, &g, NULL), TPOOL_EINVAL);
        ck_assert_int_eq(p->parallel_for(p, 5, NULL, NULL, NULL), TPOOL_EINVAL);
    }
    execs_close(&x);
}
END_TEST

/* What an executor cannot serve is refused, not run half. */
START_TEST(refused_calls)
{
    bench_exec ex = { .kind = BENCH_EX_PTP, .threads = 2 };
    bench_exec_init(&ex, "pthreadpool");
    const tpool_bench_exec *p = &ex.pub;
    ck_assert_uint_eq(p->offers & TPOOL_BENCH_USES_TASKS, 0);
    tpool_bench_group *g = (tpool_bench_group *)1;
    ck_assert_int_eq(p->group_create(p, &g), TPOOL_EINVAL);
    ck_assert_ptr_null(g);
    ck_assert_int_eq(p->submit(p, NULL, leaf_task, NULL, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(p->group_wait(p, NULL), TPOOL_EINVAL);
    bench_exec se = { .kind = BENCH_EX_SERIAL, .threads = 1 };
    bench_exec_init(&se, "serial");
    ck_assert_int_eq(se.pub.submit(&se.pub, NULL, leaf_task, NULL, NULL), TPOOL_EINVAL);
    ck_assert_str_eq(se.pub.kind, "serial");
    ck_assert_str_eq(se.pub.label, "serial");
    ck_assert_ptr_null(se.pub.pool);
    ck_assert_uint_eq(se.pub.abi_version, TPOOL_BENCH_ABI_VERSION);
}
END_TEST

/* ---- stamps: deadlines and priorities ---- */

static uint64_t g_sink;

static void spin_task(void *arg)
{
    (void)arg;
    g_sink += bench_spin(20000, g_sink);
}

START_TEST(stamped_figures)
{
    bench_exec ex = { .kind = BENCH_EX_SERIAL, .threads = 1 };
    bench_exec_init(&ex, "serial");
    const tpool_bench_exec *p = &ex.pub;
    bench_rec_reset(0, 0, 0);
    tpool_bench_group *g;
    ck_assert_int_eq(p->group_create(p, &g), 0);
    /* a deadline of 1 ns is missed by a task that spins; 1000 s is met */
    const struct { int prio; uint64_t deadline; } t[] = {
        { 5, 1 }, { 5, 1 }, { 0, 1000000000000u }, { 0, 0 },
    };
    for (size_t i = 0; i < 4; i++) {
        tpool_bench_task_attr a = { .struct_size = sizeof a, .flags = TPOOL_BENCH_TASK_STAMP,
                                    .priority = t[i].prio, .deadline_ns = t[i].deadline };
        ck_assert_int_eq(p->submit(p, g, spin_task, NULL, &a), 0);
    }
    /* one unstamped task: no figures of its own */
    ck_assert_int_eq(p->submit(p, g, spin_task, NULL, NULL), 0);
    ck_assert_int_eq(p->group_wait(p, g), 0);
    ck_assert_uint_eq(bench_rec_stamps(), 4);
    bench_latency l;
    memset(&l, 0, sizeof l);
    l.custom[0] = 7; /* left as it is */
    ck_assert_int_eq(bench_tasks_figures(&l), 0);
    ck_assert(l.valid && l.has_prio);
    ck_assert(l.custom[0] == 7);
    ck_assert(l.dl_tasks == 3);
    ck_assert_msg(fabs(l.dl_missed - 2.0 / 3) < 1e-12, "missed %g", l.dl_missed);
    ck_assert(l.slow_mean >= 1 && l.slow_p99 >= 1);
    ck_assert(l.flow_max >= l.max && l.flow_mean > 0);
    ck_assert(!isnan(l.hi_p99) && !isnan(l.lo_max));

    /* a workload built against a shorter attr (no deadline member): what
     * lies beyond its struct_size is never read */
    bench_rec_reset(0, 0, 0);
    ck_assert_int_eq(p->group_create(p, &g), 0);
    tpool_bench_task_attr old = { .struct_size = offsetof(tpool_bench_task_attr, deadline_ns),
                                  .flags = TPOOL_BENCH_TASK_STAMP, .deadline_ns = 1 };
    ck_assert_int_eq(p->submit(p, g, spin_task, NULL, &old), 0);
    ck_assert_int_eq(p->group_wait(p, g), 0);
    ck_assert_int_eq(bench_tasks_figures(&l), 0);
    ck_assert(l.valid && isnan(l.dl_tasks) && isnan(l.dl_missed) && !l.has_prio);

    /* nothing stamped: no figures */
    bench_rec_reset(0, 0, 0);
    ck_assert_int_eq(bench_tasks_figures(&l), 0);
    ck_assert(!l.valid && isnan(l.p50));
    bench_rec_free();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_exec");
    TCase *tc = tcase_create("exec");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, producers_into_the_callers_group);
    tcase_add_test(tc, range_inside_tasks);
    tcase_add_test(tc, range_2d);
    tcase_add_test(tc, refused_calls);
    tcase_add_test(tc, stamped_figures);
    suite_add_tcase(s, tc);
    return s;
}

TU_ASAN_NO_DYNAMIC_TLS

int main(void)
{
    return tu_run(suite());
}
