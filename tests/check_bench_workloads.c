/* check_bench_workloads.c - every built-in workload computes the right
 * result on every executor it can run on (the serial loop, each policy in
 * the build tree at 1 and 2 threads, OpenMP, oneTBB and Debian's
 * libpthreadpool when available) and the checks (the harness's exactly-once check and the
 * workload's own) fail on a planted wrong result and on a wrong schedule
 * (an item or a task run twice or never); no run reads the clock in its
 * timed part but for the stamps of its tasks, as many on every executor;
 * the task figures are consistent; the recorder, latencies and the runner
 * work end to end on a tiny experiment.
 *
 * Linked with -Wl,--wrap=bench_now_ns (every clock read of the harness is
 * counted here) and -Wl,--wrap=tpool_submit (a submission can be made to
 * run twice or never).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdbool.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "params.h"
#include "pthreadpool.h"
#include "testutil.h"

/* Small parameters per workload (a params object, as in an experiment),
 * so that each run takes well under a ms, and edges are hit (partial
 * tiles, stamps). A workload not here runs with its parameters in the
 * smoke experiment (its entry there, or its defaults through "all"). */
static const struct small {
    const char *name;
    const char *params;
} small[] = {
    { "empty", "{\"range\": 0, \"calls\": 5}" },
    { "uniform", "{\"n\": 200, \"item_ns\": 200}" },
    { "triangular", "{\"n\": 200, \"max_ns\": 400}" },
    { "heavy-tailed", "{\"n\": 200, \"xm_ns\": 100, \"alpha\": 1.5, \"cap_ns\": 1e5}" },
    { "tiny-tasks", "{\"n\": 1000, \"producers\": 1, \"stamp_every\": 4}" },
    { "priority-mix", "{\"n\": 300, \"high_every\": 10, \"task_ns\": 200}" },
    { "tiled-gemm", "{\"m\": 20, \"n\": 18, \"k\": 16, \"tile_m\": 7, \"tile_n\": 5}" },
    { "nested", "{\"depth\": 4, \"fanout\": 3, \"leaf_ns\": 100}" },
    { "io-bound", "{\"n\": 8, \"wait_us\": 50, \"compute_us\": 10}" },
    /* pthreadpool tiles of 7: a partial last tile */
    { "bulk", "{\"n\": 1000, \"calls\": 2, \"ptp_tile\": 7}" },
    { "short-calls", "{\"calls\": 4, \"call_us\": 40, \"gap_us\": 5, \"items\": 9}" },
    { "costed-tasks", "{\"n\": 200, \"xm_ns\": 100, \"cap_ns\": 10000, \"hint\": \"noisy\"}" },
    { "deadline-tasks", "{\"n\": 200, \"task_ns\": 200, \"gap_ns\": 100}" },
};
#define NSMALL (sizeof small / sizeof small[0])

/* The parameters of workload wl's first instance in the smoke experiment
 * (loaded once, kept: string parameters point into it). */
static void smoke_params(const tpool_bench_workload *wl, bench_wl_inst *inst)
{
    static bench_experiment smoke;
    static bool loaded;
    if (!loaded) {
        bench_perror pe;
        ck_assert_msg(bench_experiment_load(TOP_SRCDIR "/harness/experiments/smoke.json", &smoke,
                                            &pe) == 0,
                      "%s", pe.text);
        loaded = true;
    }
    for (size_t k = 0; k < smoke.nworkloads; k++)
        if (smoke.workloads[k].wl == wl) {
            memcpy(inst->p, smoke.workloads[k].p, sizeof inst->p);
            return;
        }
    ck_abort_msg("%s: neither in small[] nor in smoke.json", wl->name);
}

/* Sets up the registry's workload i as an experiment would: its small[]
 * params checked against the workload's table (or its smoke parameters),
 * then setup. */
static void *setup_small(size_t i, const tpool_bench_workload **w)
{
    bench_wl_inst inst = { .wl = bench_workloads[i] };
    *w = inst.wl;
    const struct small *sm = NULL;
    for (size_t k = 0; k < NSMALL; k++)
        if (strcmp(small[k].name, inst.wl->name) == 0)
            sm = &small[k];
    if (sm) {
        json_error_t je;
        json_t *pa = json_loads(sm->params, 0, &je);
        ck_assert_msg(pa != NULL, "%s: %s", sm->name, je.text);
        tpool__params_src src = { .params = pa, .text = sm->params, .source = sm->name,
                                  .key = "params", .owner = "workload", .name = inst.wl->name };
        tpool_error te;
        tpool_error_clear(&te);
        ck_assert_msg(
            tpool__params_check(&src, inst.wl->params, inst.wl->nparams, inst.p, &te) == 0, "%s",
            te.text);
        json_decref(pa);
    } else {
        smoke_params(inst.wl, &inst);
    }
    char err[256] = "";
    tpool_bench_env env;
    bench_env_init(&env);
    env.params = inst.p;
    env.seed = 42;
    env.max_threads = 2;
    env.errbuf = err;
    env.errbuf_size = sizeof err;
    void *state = NULL;
    ck_assert_msg(inst.wl->setup(&env, &state) == 0, "%s: %s", inst.wl->name, err);
    return state;
}

/* An executor of a kind, its services filled in. */
static bench_exec make_exec(enum bench_exec_kind kind, unsigned threads, tpool *pool)
{
    bench_exec ex = { .kind = kind, .threads = threads, .pool = pool };
    return ex;
}

/* ---- the wrapped functions ---- */

uint64_t __real_bench_now_ns(void);
uint64_t __wrap_bench_now_ns(void);
int __real_tpool_submit(tpool *p, tpool_task_fn fn, void *arg, const tpool_task_attr *attr);
int __wrap_tpool_submit(tpool *p, tpool_task_fn fn, void *arg, const tpool_task_attr *attr);

static _Atomic int clock_counting;
static _Atomic uint64_t clock_reads;

uint64_t __wrap_bench_now_ns(void)
{
    if (atomic_load_explicit(&clock_counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&clock_reads, 1, memory_order_relaxed);
    return __real_bench_now_ns();
}

/* What happens to the SUBMIT_NTH-th submission of a run. */
enum { SUBMIT_RIGHT, SUBMIT_TWICE, SUBMIT_NEVER };
#define SUBMIT_NTH 2
static _Atomic int submit_mode;
static _Atomic uint64_t submits;

int __wrap_tpool_submit(tpool *p, tpool_task_fn fn, void *arg, const tpool_task_attr *attr)
{
    int mode = atomic_load(&submit_mode);
    if (mode != SUBMIT_RIGHT && atomic_fetch_add(&submits, 1) + 1 == SUBMIT_NTH) {
        if (mode == SUBMIT_NEVER)
            return 0;
        /* Once now, on the submitting thread, so that the two runs never
         * overlap, and once more from the pool. */
        fn(arg);
    }
    return __real_tpool_submit(p, fn, arg, attr);
}

/* The harness's check, then the workload's. */
static int check_all(const tpool_bench_workload *w, void *state, const bench_exec *ex,
                     char *msg, size_t n)
{
    if (bench_rec_check_dispatched(msg, n) != 0)
        return -1;
    return w->check ? w->check(state, &ex->pub, msg, n) : 0;
}

/* Runs once on ex (its services made for it) and returns the checks'
 * verdict (message in msg). The timed part reads the clock only for the
 * stamps of its tasks: at submission, start and end. */
static int run_once(const tpool_bench_workload *w, void *state, bench_exec *ex, char *msg,
                    size_t n)
{
    bench_exec_init(ex, "test");
    if (w->prepare)
        w->prepare(state, &ex->pub);
    bench_rec_reset(0, 0, 0);
    atomic_store(&clock_reads, 0);
    atomic_store(&clock_counting, 1);
    int rc = bench_exec_run(ex, w, state);
    atomic_store(&clock_counting, 0);
    ck_assert_msg(rc == 0, "%s: run returned %d", w->name, rc);
    uint64_t reads = atomic_load(&clock_reads);
    uint64_t want = 3 * bench_rec_stamps();
    ck_assert_msg(reads == want, "%s: %llu clock reads in the timed run, expected %llu",
                  w->name, (unsigned long long)reads, (unsigned long long)want);
    return check_all(w, state, ex, msg, n);
}

START_TEST(registry)
{
    /* small[] names built-in workloads only */
    for (size_t k = 0; k < NSMALL; k++)
        ck_assert_msg(bench_workload_find(small[k].name) != NULL, "small[]: no workload %s",
                      small[k].name);
    for (size_t i = 0; i < bench_nworkloads; i++) {
        const tpool_bench_workload *w = bench_workloads[i];
        ck_assert_ptr_eq(bench_workload_find(w->name), w);
        ck_assert(w->nparams <= TPOOL_BENCH_MAX_PARAMS);
        /* every workload runs serially and on tpool */
        ck_assert(!(w->uses & ~bench_exec_offers(BENCH_EX_SERIAL, 0)) ||
                  (w->uses & TPOOL_BENCH_USES_POOL));
        ck_assert(!(w->uses & ~bench_exec_offers(BENCH_EX_TPOOL, 0)));
        /* the defaults pass the table's own check */
        bench_wl_inst inst = { .wl = w };
        tpool__params_src src = { .owner = "workload", .name = w->name };
        tpool_error te;
        tpool_error_clear(&te);
        ck_assert_msg(tpool__params_check(&src, w->params, w->nparams, inst.p, &te) == 0, "%s",
                      te.text);
        /* oneTBB runs what OpenMP runs, task workloads and parallel-fors */
        for (int k = 0; k < 2; k++)
            ck_assert_msg(!(w->uses & ~bench_exec_offers(BENCH_EX_OMP, k ? BENCH_OMP_TASK : 0)) ==
                              !(w->uses & ~bench_exec_offers(BENCH_EX_TBB,
                                                             k ? BENCH_TBB_TASK : BENCH_TBB_AUTO)),
                          "%s: runs on OpenMP and oneTBB differ", w->name);
    }
    ck_assert_ptr_null(bench_workload_find("nope"));
    ck_assert(bench_calibrate() > 0);
    ck_assert_uint_eq(bench_ns_to_iters(0), 0);
    ck_assert_uint_ge(bench_ns_to_iters(0.001), 1);
    ck_assert_uint_gt(bench_ns_to_iters(10000), bench_ns_to_iters(100));
}
END_TEST

/* Serial: right, and wrong once a result is planted (by the workload, or,
 * for one without a plant of its own, in the recorder: as if the first
 * item a participant ran had been item 1 instead of item 0). */
START_TEST(serial_and_planted)
{
    const tpool_bench_workload *w;
    void *state = setup_small((size_t)_i, &w);
    bench_exec ex = make_exec(BENCH_EX_SERIAL, 1, NULL);
    char msg[256] = "";
    ck_assert_msg(run_once(w, state, &ex, msg, sizeof msg) == 0, "%s: %s", w->name, msg);
    ck_assert_uint_gt(w->items ? w->items(state, &ex.pub) : bench_rec_dispatched(), 0);
    if (w->plant) {
        w->plant(state);
    } else {
        for (unsigned s = 0; s < BENCH_MAX_SLOTS; s++)
            if (bench_g_rec.slots[s].items) {
                bench_g_rec.slots[s].isum += 1;
                bench_g_rec.slots[s].isq += 1;
                break;
            }
    }
    msg[0] = '\0';
    ck_assert_msg(check_all(w, state, &ex, msg, sizeof msg) != 0,
                  "%s: planted error not caught", w->name);
    ck_assert_msg(msg[0] != '\0', "%s: no message", w->name);
    /* a fresh run is right again */
    ck_assert_msg(run_once(w, state, &ex, msg, sizeof msg) == 0, "%s: %s", w->name, msg);
    w->teardown(state);
}
END_TEST

/* Every policy of the build tree at 1 and 2 threads. */
START_TEST(every_policy)
{
    const tpool_bench_workload *w;
    void *state = setup_small((size_t)_i, &w);
    const char *names[16];
    int np = tu_policies(names, 16);
    for (int p = 0; p < np; p++)
        for (unsigned t = 1; t <= 2; t++) {
            tpool *pool = tu_pool(names[p], t, NULL);
            bench_exec ex = make_exec(BENCH_EX_TPOOL, t, pool);
            char msg[256] = "";
            for (int rep = 0; rep < 2; rep++)
                ck_assert_msg(run_once(w, state, &ex, msg, sizeof msg) == 0,
                              "%s on %s at %u threads: %s", w->name, names[p], t, msg);
            bench_latency l;
            memset(&l, 0, sizeof l);
            ck_assert_int_eq(bench_tasks_figures(&l), 0);
            ck_assert_msg(l.valid == (bench_rec_stamps() > 0), "%s: valid %d, %llu stamps",
                          w->name, l.valid, (unsigned long long)bench_rec_stamps());
            if (l.valid) {
                ck_assert_msg(l.p50 <= l.p99 && l.p99 <= l.max, "%s: %g %g %g", w->name, l.p50,
                              l.p99, l.max);
                /* a task's flow time covers its wait and its run */
                ck_assert_msg(l.flow_max >= l.max && l.flow_p50 <= l.flow_p99 &&
                                  l.flow_p99 <= l.flow_max && l.slow_mean >= 1,
                              "%s: flow %g %g %g, slowdown %g", w->name, l.flow_p50,
                              l.flow_p99, l.flow_max, l.slow_mean);
                if (l.has_prio)
                    ck_assert(!isnan(l.hi_p99) && !isnan(l.lo_max) && l.hi_p50 <= l.hi_max);
                if (!isnan(l.dl_tasks))
                    ck_assert(l.dl_missed >= 0 && l.dl_missed <= 1);
            }
            tpool_destroy(pool);
        }
    w->teardown(state);
}
END_TEST

/* OpenMP and libpthreadpool, where the workload can run on them and they
 * are available in this build. */
START_TEST(baselines)
{
    const tpool_bench_workload *w;
    void *state = setup_small((size_t)_i, &w);
    bench_baseline_status st[BENCH_NBASE];
    bench_baselines_probe(st, BENCH_BASE_ALL);
    char msg[256] = "";
    static const int sched[] = { BENCH_OMP_STATIC, BENCH_OMP_DYNAMIC, BENCH_OMP_GUIDED,
                                 BENCH_OMP_TASK };
    for (int k = 0; k < 4; k++) {
        if (!st[1 + k].available || (w->uses & ~bench_exec_offers(BENCH_EX_OMP, sched[k])))
            continue;
        bench_exec ex = make_exec(BENCH_EX_OMP, 2, NULL);
        ex.omp_sched = sched[k];
        ck_assert_msg(run_once(w, state, &ex, msg, sizeof msg) == 0, "%s on %s: %s", w->name,
                      bench_base_names[1 + k], msg);
    }
    /* oneTBB: every construct the workload supports, at 1 and 2 threads and
     * at 3, more than this machine may have CPUs (the global_control that
     * lets an arena have more threads than CPUs) */
    static const int tbb_mode[] = { BENCH_TBB_TASK, BENCH_TBB_AUTO, BENCH_TBB_SIMPLE,
                                    BENCH_TBB_STATIC };
    for (unsigned t = 1; t <= 3; t++) {
        void *arena = NULL;
        for (int k = 0; k < 4; k++) {
            if (!st[6 + k].available)
                continue;
            if (w->uses & ~bench_exec_offers(BENCH_EX_TBB, tbb_mode[k]))
                continue;
            if (!arena)
                arena = bench_tbb_create(t);
            ck_assert_ptr_nonnull(arena);
            bench_exec ex = { .kind = BENCH_EX_TBB, .threads = t, .tbb_mode = tbb_mode[k],
                              .tbb_grain = tbb_mode[k] == BENCH_TBB_SIMPLE ? 3 : 0,
                              .tbb = arena };
            for (int rep = 0; rep < 2; rep++)
                ck_assert_msg(run_once(w, state, &ex, msg, sizeof msg) == 0,
                              "%s on %s at %u threads: %s", w->name, bench_base_names[6 + k], t,
                              msg);
        }
        bench_tbb_destroy(arena);
    }
    if (st[5].available && !(w->uses & ~bench_exec_offers(BENCH_EX_PTP, 0))) {
        bench_ptp_api api;
        char why[256];
        ck_assert_msg(bench_ptp_load(&api, why, sizeof why) == 0, "%s", why);
        void *pool = api.create(2);
        ck_assert_ptr_nonnull(pool);
        bench_exec ex = make_exec(BENCH_EX_PTP, 2, NULL);
        ex.ptp = &api;
        ex.ptp_pool = pool;
        ck_assert_msg(run_once(w, state, &ex, msg, sizeof msg) == 0, "%s on pthreadpool: %s",
                      w->name, msg);
        api.destroy(pool);
        bench_ptp_unload(&api);
    }
    w->teardown(state);
}
END_TEST

/* Debian's library is the one loaded, not tpool's drop-in linked into this
 * program. */
START_TEST(system_pthreadpool_not_shadowed)
{
    bench_baseline_status st[BENCH_NBASE];
    bench_baselines_probe(st, BENCH_BASE_PTP);
    if (!st[5].available) {
        printf("system_pthreadpool_not_shadowed: skipped: %s\n", st[5].reason);
        return;
    }
    bench_ptp_api api;
    char why[256];
    ck_assert_int_eq(bench_ptp_load(&api, why, sizeof why), 0);
    void *mine = (void *)pthreadpool_create, *theirs;
    memcpy(&theirs, &api.create, sizeof theirs);
    ck_assert_ptr_ne(mine, theirs);
    void *p = api.create(3);
    ck_assert_uint_eq(api.threads_count(p), 3);
    api.destroy(p);
    bench_ptp_unload(&api);
}
END_TEST

/* A policy whose range path runs an item twice and another never
 * (tests/modules/mod_bench_wrong.c), with a task submitted twice or never:
 * every workload's check fails, whether it runs parallel-fors or tasks. */
START_TEST(wrong_schedules)
{
    const tpool_bench_workload *w;
    void *state = setup_small((size_t)_i, &w);
    static const struct { const char *module; int submit; } wrong[] = {
        { "mod_bench_twice", SUBMIT_TWICE },
        { "mod_bench_skip", SUBMIT_NEVER },
    };
    const char *dir = getenv("TPOOL_TEST_MODULES");
    ck_assert_msg(dir && *dir, "TPOOL_TEST_MODULES is not set");
    for (size_t k = 0; k < sizeof wrong / sizeof wrong[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, "%.400s/%s.so", dir, wrong[k].module);
        tpool *pool = tu_pool(path, 2, NULL);
        bench_exec ex = make_exec(BENCH_EX_TPOOL, 2, pool);
        bench_exec_init(&ex, wrong[k].module);
        if (w->prepare)
            w->prepare(state, &ex.pub);
        bench_rec_reset(0, 0, 0);
        atomic_store(&submits, 0);
        atomic_store(&submit_mode, wrong[k].submit);
        int rc = bench_exec_run(&ex, w, state);
        atomic_store(&submit_mode, SUBMIT_RIGHT);
        ck_assert_msg(rc == 0, "%s on %s: run returned %d", w->name, wrong[k].module, rc);
        char msg[256] = "";
        ck_assert_msg(check_all(w, state, &ex, msg, sizeof msg) != 0,
                      "%s on %s (a task %s): the wrong schedule passed the check", w->name,
                      wrong[k].module, wrong[k].submit == SUBMIT_TWICE ? "twice" : "never");
        printf("wrong_schedules: %s on %s: %s\n", w->name, wrong[k].module, msg);
        tpool_destroy(pool);
    }
    w->teardown(state);
}
END_TEST

static void count_body(void *ctx, size_t b, size_t e, unsigned slot)
{
    (void)slot;
    atomic_fetch_add((_Atomic size_t *)ctx, e - b);
}

/* Each baseline takes the parameters of the tpool cell it is compared with,
 * from the run's executors or else from the policy's parameter table, and
 * says which. */
START_TEST(baseline_pairing)
{
    static const char dyn_table[] =
        "[{\"name\": \"mode\", \"type\": \"enum\", \"default\": \"guided\"},"
        " {\"name\": \"chunk\", \"type\": \"int\", \"default\": 64},"
        " {\"name\": \"min_chunk\", \"type\": \"int\", \"default\": 1}]";
    static const char static_table[] = "[{\"name\": \"chunk\", \"type\": \"int\", \"default\": 0}]";
    bench_policy_desc pol[2];
    memset(pol, 0, sizeof pol);
    strcpy(pol[0].name, "dynamic");
    pol[0].params_json = (char *)dyn_table;
    strcpy(pol[1].name, "static");
    pol[1].params_json = (char *)static_table;

    bench_executor x[9];
    memset(x, 0, sizeof x);
    for (int i = 0; i < 4; i++)
        x[i].kind = BENCH_EX_TPOOL;
    strcpy(x[0].label, "dynamic");
    strcpy(x[0].policy, "dynamic"); /* guided, by default */
    strcpy(x[1].label, "dyn-c16");
    strcpy(x[1].policy, "dynamic");
    x[1].params_json = "{\"mode\": \"fixed\", \"chunk\": 16}";
    strcpy(x[2].label, "dyn-g4");
    strcpy(x[2].policy, "builtin:dynamic");
    x[2].params_json = "{\"min_chunk\": 4}";
    strcpy(x[3].label, "static-c8");
    strcpy(x[3].policy, "static");
    x[3].params_json = "{\"chunk\": 8}";
    static const int sched[] = { BENCH_OMP_STATIC, BENCH_OMP_DYNAMIC, BENCH_OMP_GUIDED,
                                 BENCH_OMP_TASK };
    for (int i = 0; i < 4; i++) {
        x[4 + i].kind = BENCH_EX_OMP;
        x[4 + i].omp_sched = sched[i];
        strcpy(x[4 + i].label, bench_base_names[1 + i]);
    }
    x[8].kind = BENCH_EX_PTP;
    strcpy(x[8].label, "pthreadpool");

    bench_baselines_pair(x, 9, pol, 2);
    ck_assert_int_eq(x[4].omp_chunk, 8);
    ck_assert_msg(strstr(x[4].peer, "static {chunk: 8} (executor static-c8)"), "%s", x[4].peer);
    ck_assert_int_eq(x[5].omp_chunk, 16);
    ck_assert_msg(strstr(x[5].peer, "mode: fixed, chunk: 16} (executor dyn-c16)"), "%s",
                  x[5].peer);
    ck_assert_int_eq(x[6].omp_chunk, 1); /* the first guided one: "dynamic" */
    ck_assert_msg(strstr(x[6].peer, "min_chunk: 1} (executor dynamic)"), "%s", x[6].peer);
    ck_assert_msg(strstr(x[7].peer, "task path"), "%s", x[7].peer);
    ck_assert_msg(strstr(x[8].peer, "tpool_parallel_range"), "%s", x[8].peer);

    /* no peer in the run: the policy's defaults, and the peer says so */
    bench_baselines_pair(x + 4, 5, pol, 2);
    ck_assert_int_eq(x[4].omp_chunk, 0);
    ck_assert_int_eq(x[5].omp_chunk, 64);
    ck_assert_int_eq(x[6].omp_chunk, 1);
    ck_assert_msg(strstr(x[5].peer, "{mode: fixed, chunk: 64} (its defaults; not in this run)"),
                  "%s", x[5].peer);
    /* no such policy at all */
    bench_baselines_pair(x + 4, 5, NULL, 0);
    ck_assert_msg(strstr(x[5].peer, "none: policy dynamic not found"), "%s", x[5].peer);
    ck_assert_int_eq(x[6].omp_chunk, 1); /* guided: at least 1 */

    /* how each ran a workload */
    bench_baselines_pair(x, 9, pol, 2);
    char buf[192];
    bench_wl_inst bulk = { "bulk", bench_workload_find("bulk"), { { 0 } }, NULL };
    bench_wl_defaults(&bulk);
    bench_baseline_setup(&x[8], &bulk, buf, sizeof buf);
    ck_assert_str_eq(buf, "pthreadpool_parallelize_1d_tile_1d, tile 1024");
    bench_wl_inst uni = { "uniform", bench_workload_find("uniform"), { { 0 } }, NULL };
    bench_baseline_setup(&x[8], &uni, buf, sizeof buf);
    ck_assert_str_eq(buf, "pthreadpool_parallelize_1d_tile_1d, tile 1");
    bench_wl_inst gemm = { "tiled-gemm", bench_workload_find("tiled-gemm"), { { 0 } }, NULL };
    bench_baseline_setup(&x[8], &gemm, buf, sizeof buf);
    ck_assert_msg(strstr(buf, "parallelize_2d_tile_2d"), "%s", buf);
    bench_baseline_setup(&x[5], &uni, buf, sizeof buf);
    ck_assert_str_eq(buf, "schedule(dynamic, 16)");
    bench_baseline_setup(&x[4], &uni, buf, sizeof buf);
    ck_assert_str_eq(buf, "schedule(static, 8)");
    bench_baseline_setup(&x[6], &uni, buf, sizeof buf);
    ck_assert_str_eq(buf, "schedule(guided, 1)");
    bench_baseline_setup(&x[0], &uni, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
}
END_TEST

/* OpenMP hands the body the chunks of its schedule: T blocks for static,
 * ceil(n / c) chunks for dynamic with chunk c, and for guided no more
 * chunks than items, every one of them once. */
START_TEST(omp_chunks)
{
    bench_baseline_status st[BENCH_NBASE];
    bench_baselines_probe(st, BENCH_BASE_ALL);
    if (!st[1].available) {
        printf("omp_chunks: skipped: %s\n", st[1].reason);
        return;
    }
    static const struct { int sched, chunk; uint64_t calls; } want[] = {
        { BENCH_OMP_STATIC, 0, 2 }, { BENCH_OMP_STATIC, 100, 10 },
        { BENCH_OMP_DYNAMIC, 64, 16 }, { BENCH_OMP_DYNAMIC, 1, 1000 },
        { BENCH_OMP_GUIDED, 1, 0 },
    };
    _Atomic size_t n = 0;
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        bench_exec ex = { .kind = BENCH_EX_OMP, .threads = 2, .omp_sched = want[k].sched,
                          .omp_chunk = want[k].chunk };
        bench_rec_reset(0, 0, 0);
        ck_assert_int_eq(bench_range(&ex, 1000, count_body, (void *)&n, NULL), 0);
        char msg[256];
        ck_assert_msg(bench_rec_check_items(1000, msg, sizeof msg) == 0, "%s", msg);
        uint64_t calls = 0;
        for (unsigned s = 0; s < BENCH_MAX_SLOTS; s++)
            calls += bench_g_rec.slots[s].calls;
        if (want[k].calls)
            ck_assert_msg(calls == want[k].calls, "schedule %d chunk %d: %llu callbacks",
                          want[k].sched, want[k].chunk, (unsigned long long)calls);
        else /* guided: decreasing chunks, far fewer than items */
            ck_assert_msg(calls >= 2 && calls < 100, "guided: %llu callbacks",
                          (unsigned long long)calls);
    }
}
END_TEST

/* The oneTBB baselines take their grain from the tpool cell they are
 * compared with, and say which; without oneTBB (or under ThreadSanitizer)
 * they are reported missing with the reason. */
START_TEST(tbb_pairing)
{
    static const char dyn_table[] =
        "[{\"name\": \"mode\", \"type\": \"enum\", \"default\": \"guided\"},"
        " {\"name\": \"chunk\", \"type\": \"int\", \"default\": 64}]";
    static const char static_table[] = "[{\"name\": \"chunk\", \"type\": \"int\", \"default\": 0}]";
    static const char steal_table[] = "[{\"name\": \"chunk\", \"type\": \"int\", \"default\": 0}]";
    bench_policy_desc pol[3];
    memset(pol, 0, sizeof pol);
    strcpy(pol[0].name, "dynamic");
    pol[0].params_json = (char *)dyn_table;
    strcpy(pol[1].name, "static");
    pol[1].params_json = (char *)static_table;
    strcpy(pol[2].name, "stealing");
    pol[2].params_json = (char *)steal_table;

    bench_executor x[7];
    memset(x, 0, sizeof x);
    for (int i = 0; i < 3; i++)
        x[i].kind = BENCH_EX_TPOOL;
    strcpy(x[0].label, "dyn-c16");
    strcpy(x[0].policy, "dynamic");
    x[0].params_json = "{\"mode\": \"fixed\", \"chunk\": 16}";
    strcpy(x[1].label, "static-c8");
    strcpy(x[1].policy, "builtin:static");
    x[1].params_json = "{\"chunk\": 8}";
    strcpy(x[2].label, "stealing");
    strcpy(x[2].policy, "stealing");
    static const int mode[] = { BENCH_TBB_TASK, BENCH_TBB_AUTO, BENCH_TBB_SIMPLE,
                                BENCH_TBB_STATIC };
    for (int i = 0; i < 4; i++) {
        x[3 + i].kind = BENCH_EX_TBB;
        x[3 + i].tbb_mode = mode[i];
        strcpy(x[3 + i].label, bench_base_names[6 + i]);
    }
    bench_baselines_pair(x, 7, pol, 3);
    ck_assert_msg(strstr(x[3].peer, "task path"), "%s", x[3].peer);
    ck_assert_uint_eq(x[4].tbb_grain, 1); /* stealing's adaptive chunk 0 */
    ck_assert_msg(strstr(x[4].peer, "stealing {chunk: 0} (executor stealing)"), "%s", x[4].peer);
    ck_assert_uint_eq(x[5].tbb_grain, 16);
    ck_assert_msg(strstr(x[5].peer, "mode: fixed, chunk: 16} (executor dyn-c16)"), "%s",
                  x[5].peer);
    ck_assert_uint_eq(x[6].tbb_grain, 8);
    ck_assert_msg(strstr(x[6].peer, "static {chunk: 8} (executor static-c8)"), "%s", x[6].peer);

    /* no peer in the run: the policies' defaults */
    bench_baselines_pair(x + 3, 4, pol, 3);
    ck_assert_uint_eq(x[5].tbb_grain, 64);
    ck_assert_uint_eq(x[6].tbb_grain, 1);
    ck_assert_msg(strstr(x[5].peer, "(its defaults; not in this run)"), "%s", x[5].peer);
    bench_baselines_pair(x + 3, 4, NULL, 0);
    ck_assert_msg(strstr(x[4].peer, "none: policy stealing not found"), "%s", x[4].peer);
    ck_assert_uint_eq(x[4].tbb_grain, 1);

    bench_baselines_pair(x, 7, pol, 3);
    char buf[192];
    bench_wl_inst uni = { "uniform", bench_workload_find("uniform"), { { 0 } }, NULL };
    bench_wl_inst tiny = { "tiny-tasks", bench_workload_find("tiny-tasks"), { { 0 } }, NULL };
    bench_baseline_setup(&x[3], &tiny, buf, sizeof buf);
    ck_assert_str_eq(buf, "tbb::task_group");
    bench_baseline_setup(&x[4], &uni, buf, sizeof buf);
    ck_assert_str_eq(buf, "parallel_for, auto_partitioner, grain 1");
    bench_baseline_setup(&x[5], &uni, buf, sizeof buf);
    ck_assert_str_eq(buf, "parallel_for, simple_partitioner, grain 16");
    bench_baseline_setup(&x[6], &uni, buf, sizeof buf);
    ck_assert_str_eq(buf, "parallel_for, static_partitioner, grain 8");

    bench_baseline_status st[BENCH_NBASE];
    bench_baselines_probe(st, BENCH_BASE_ALL);
    for (int i = 6; i < 10; i++) {
        ck_assert_str_eq(st[i].name, bench_base_names[i]);
        ck_assert_int_eq(bench_base_from_name(st[i].name), 1 << i);
#if defined(__SANITIZE_THREAD__)
        ck_assert(!st[i].available);
        ck_assert_msg(strstr(st[i].reason, "ThreadSanitizer"), "%s", st[i].reason);
#else
        ck_assert_int_eq(st[i].available, bench_tbb_available());
        if (!st[i].available)
            ck_assert_msg(strstr(st[i].reason, "not built with TBB"), "%s", st[i].reason);
#endif
    }
    if (!bench_tbb_available()) {
        ck_assert_ptr_null(bench_tbb_create(2));
        ck_assert_str_eq(bench_tbb_version(), "");
    } else {
        ck_assert(bench_tbb_version()[0] != '\0');
    }
}
END_TEST

static _Atomic size_t max_callback; /* the largest sub-range count_sizes saw */

static void count_sizes(void *ctx, size_t b, size_t e, unsigned slot)
{
    (void)ctx, (void)slot;
    size_t m = atomic_load(&max_callback);
    while (e - b > m && !atomic_compare_exchange_weak(&max_callback, &m, e - b))
        ;
}

/* oneTBB hands the body the sub-ranges of its partitioner, every item
 * once: simple_partitioner none larger than the grain, static_partitioner
 * about one per thread, auto_partitioner far fewer than items; a
 * zero-length range calls nothing. */
START_TEST(tbb_chunks)
{
    bench_baseline_status st[BENCH_NBASE];
    bench_baselines_probe(st, BENCH_BASE_ALL);
    if (!st[7].available) {
        printf("tbb_chunks: skipped: %s\n", st[7].reason);
        return;
    }
    void *arena = bench_tbb_create(2);
    ck_assert_ptr_nonnull(arena);
    static const struct { int mode; size_t grain; uint64_t min, max; } want[] = {
        { BENCH_TBB_SIMPLE, 64, 16, 32 }, /* at most 64 each, more than 1000 / 64 */
        { BENCH_TBB_SIMPLE, 1, 1000, 1000 },
        { BENCH_TBB_STATIC, 1, 2, 8 },
        { BENCH_TBB_AUTO, 1, 2, 500 },
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        bench_exec ex = { .kind = BENCH_EX_TBB, .threads = 2, .tbb_mode = want[k].mode,
                          .tbb_grain = want[k].grain, .tbb = arena };
        bench_rec_reset(0, 0, 0);
        atomic_store(&max_callback, 0);
        ck_assert_int_eq(bench_range(&ex, 1000, count_sizes, NULL, NULL), 0);
        char msg[256];
        ck_assert_msg(bench_rec_check_items(1000, msg, sizeof msg) == 0, "%s", msg);
        uint64_t calls = 0;
        for (unsigned s = 0; s < BENCH_MAX_SLOTS; s++)
            calls += bench_g_rec.slots[s].calls;
        printf("tbb_chunks: mode %d grain %zu: %llu callbacks, the largest %zu items\n",
               want[k].mode, want[k].grain, (unsigned long long)calls,
               atomic_load(&max_callback));
        ck_assert_msg(calls >= want[k].min && calls <= want[k].max,
                      "mode %d grain %zu: %llu callbacks", want[k].mode, want[k].grain,
                      (unsigned long long)calls);
        if (want[k].mode == BENCH_TBB_SIMPLE)
            ck_assert_uint_le(atomic_load(&max_callback), want[k].grain);
    }
    bench_exec ex = { .kind = BENCH_EX_TBB, .threads = 2, .tbb_mode = BENCH_TBB_AUTO,
                      .tbb = arena };
    bench_rec_reset(0, 0, 0);
    ck_assert_int_eq(bench_range(&ex, 0, count_sizes, NULL, NULL), 0);
    ck_assert_uint_eq(bench_g_rec.slots[0].calls, 0);
    /* a construct that is not a parallel-for, and no arena, are errors */
    ex.tbb_mode = BENCH_TBB_TASK;
    ck_assert_int_ne(bench_range(&ex, 10, count_sizes, NULL, NULL), 0);
    ex.tbb_mode = BENCH_TBB_AUTO;
    ex.tbb = NULL;
    ck_assert_int_ne(bench_range(&ex, 10, count_sizes, NULL, NULL), 0);
    bench_tbb_destroy(arena);
}
END_TEST

START_TEST(recorder_and_range)
{
    tpool *pool = tu_pool("fifo", 2, NULL);
    bench_exec ex = { .kind = BENCH_EX_TPOOL, .threads = 2, .pool = pool, .trace = 1 };
    _Atomic size_t n = 0;
    ck_assert_int_eq(bench_rec_reset(1, 4, 1000), 0);
    ck_assert_int_eq(bench_range(&ex, 1000, count_body, (void *)&n, NULL), 0);
    ck_assert_uint_eq(atomic_load(&n), 1000);
    char msg[256];
    ck_assert_msg(bench_rec_check_items(1000, msg, sizeof msg) == 0, "%s", msg);
    uint64_t units = 0, evs = 0;
    for (unsigned s = 0; s < BENCH_MAX_SLOTS; s++) {
        units += bench_g_rec.slots[s].calls;
        evs += bench_g_rec.slots[s].nev;
        for (uint32_t k = 0; k < bench_g_rec.slots[s].nev; k++)
            ck_assert(bench_g_rec.slots[s].ev[k].t1 >= bench_g_rec.slots[s].ev[k].t0);
    }
    ck_assert_uint_gt(units, 0);
    ck_assert_uint_eq(evs, units);
    ck_assert(bench_rec_imbalance(2) >= 1);
    /* serial and zero-length ranges */
    bench_exec se = { .kind = BENCH_EX_SERIAL, .threads = 1 };
    ck_assert_int_eq(bench_range(&se, 0, count_body, (void *)&n, NULL), 0);
    ck_assert_int_eq(bench_range(&ex, 0, count_body, (void *)&n, NULL), 0);
    ck_assert_uint_eq(atomic_load(&n), 1000);
    bench_rec_free();
    tpool_destroy(pool);

    /* empty with range 0 runs one item per thread per call */
    const tpool_bench_workload *w;
    void *state = setup_small(0, &w);
    ck_assert_str_eq(w->name, "empty");
    bench_exec e3 = make_exec(BENCH_EX_SERIAL, 3, NULL);
    char msg2[256];
    ck_assert_msg(run_once(w, state, &e3, msg2, sizeof msg2) == 0, "%s", msg2);
    ck_assert_uint_eq(bench_rec_dispatched(), 15); /* 5 calls x 3 */
    w->teardown(state);
}
END_TEST

static const char tiny_exp[] =
    "{\"name\": \"unit\", \"policies\": [\"fifo\"], \"baselines\": [\"serial\"],\n"
    " \"threads\": [1, 2], \"repetitions\": 2, \"warmup\": 1, \"cooldown_us\": 0,\n"
    " \"idle_probe_ms\": 1,\n"
    " \"workloads\": [{\"workload\": \"uniform\", \"params\": {\"n\": 100, \"item_ns\": 100}},\n"
    "   {\"workload\": \"tiny-tasks\", \"params\": {\"n\": 200}}]}";

START_TEST(runner_end_to_end)
{
    bench_experiment e;
    bench_perror pe;
    ck_assert_msg(bench_experiment_parse(tiny_exp, "<unit>", &e, &pe) == 0, "%s", pe.text);
    bench_options o;
    memset(&o, 0, sizeof o);
    o.progress = 0;
    o.trace_cap = 100;
    char trace[] = "/tmp/check_bench_runXXXXXX";
    int fd = mkstemp(trace);
    ck_assert_int_ge(fd, 0);
    close(fd);
    o.trace = trace;
    char *argv[] = { "check_bench_workloads", NULL };
    bench_report r;
    ck_assert_int_eq(bench_run(&e, &o, &r, 1, argv), 0);
    ck_assert_uint_eq(r.nexes, 2);
    ck_assert_uint_eq(r.ncells, 6); /* 2 workloads x (serial + fifo at 1 and 2) */
    for (size_t i = 0; i < r.ncells; i++) {
        const bench_cell *c = &r.cells[i];
        ck_assert_msg(c->check_ok, "%s", c->check_msg);
        ck_assert_uint_eq(c->nrounds, 2);
        ck_assert(c->times_ns[0] > 0 && c->t.median > 0);
        ck_assert(!isnan(c->idle_cpu_ns));
        ck_assert(c->items == (c->wl == 0 ? 100u : 200u));
        ck_assert(!isnan(c->speedup_serial));
        if (r.exes[c->exe].kind == BENCH_EX_TPOOL)
            ck_assert_ptr_nonnull(c->ws);
        if (c->wl == 1)
            ck_assert(c->lat_med.valid);
        /* what the recorder saw: every task, who ran it, the recorder's cost */
        bench_rec_figures f;
        bench_cell_rec_figures(c, &r.rec_costs, &f);
        ck_assert(f.calls >= 1 && f.cost_ns > 0 && f.cost_share > 0);
        ck_assert_str_eq(c->imbalance_src, "work");
        ck_assert(c->imbalance_med >= 1 && c->imbalance_med <= c->nparts);
        if (c->wl == 1)
            ck_assert(f.tasks == 200 && f.producer_share >= 0 && f.producer_share <= 1);
        else
            ck_assert(f.tasks == 0 && isnan(f.producer_share));
    }
    ck_assert_str_eq(r.meta.experiment_source, "<unit>");
    bench_report_free(&r);
    json_error_t je;
    json_t *t = json_load_file(trace, 0, &je);
    ck_assert_msg(t != NULL, "%s", je.text);
    ck_assert_uint_gt(json_array_size(json_object_get(t, "traceEvents")), 6);
    json_decref(t);
    unlink(trace);
    bench_experiment_free(&e);
}
END_TEST

/* The runner with the oneTBB baselines: their cells run and pass their
 * checks, the task cells have a producer share, short-calls a time per
 * call. */
START_TEST(tbb_end_to_end)
{
    bench_baseline_status st[BENCH_NBASE];
    bench_baselines_probe(st, BENCH_BASE_ALL);
    if (!st[6].available) {
        printf("tbb_end_to_end: skipped: %s\n", st[6].reason);
        return;
    }
    static const char exp[] =
        "{\"name\": \"unit-tbb\", \"policies\": [\"fifo\"],\n"
        " \"baselines\": [\"tbb-task\", \"tbb-auto\", \"tbb-simple\", \"tbb-static\"],\n"
        " \"threads\": [1, 2], \"repetitions\": 2, \"warmup\": 1, \"cooldown_us\": 0,\n"
        " \"idle_probe_ms\": 0,\n"
        " \"workloads\": [{\"workload\": \"tiny-tasks\", \"params\": {\"n\": 200}},\n"
        "   {\"workload\": \"short-calls\", \"params\": {\"calls\": 3, \"call_us\": 20,\n"
        "    \"gap_us\": 5, \"items\": 8}}]}";
    bench_experiment e;
    bench_perror pe;
    ck_assert_msg(bench_experiment_parse(exp, "<unit>", &e, &pe) == 0, "%s", pe.text);
    bench_options o;
    memset(&o, 0, sizeof o);
    o.progress = 0;
    char *argv[] = { "check_bench_workloads", NULL };
    bench_report r;
    ck_assert_int_eq(bench_run(&e, &o, &r, 1, argv), 0);
    ck_assert_uint_eq(r.nexes, 5);
    /* tiny-tasks: fifo and tbb-task; short-calls: fifo and the three
     * partitioners; each at 1 and 2 threads */
    ck_assert_uint_eq(r.ncells, 12);
    for (size_t i = 0; i < r.ncells; i++) {
        const bench_cell *c = &r.cells[i];
        const bench_executor *x = &r.exes[c->exe];
        ck_assert_msg(c->check_ok, "%s: %s", x->label, c->check_msg);
        ck_assert_uint_eq(c->nrounds, 2);
        bench_rec_figures f;
        bench_cell_rec_figures(c, &r.rec_costs, &f);
        if (c->wl == 0) {
            ck_assert(f.tasks == 200 && f.producer_share >= 0 && f.producer_share <= 1);
        } else {
            ck_assert(isnan(f.producer_share));
            ck_assert(c->calls == 3 && c->t_call.median > 0);
        }
        if (x->kind == BENCH_EX_TBB)
            ck_assert(strncmp(x->label, "tbb-", 4) == 0);
    }
    bench_report_free(&r);
    bench_experiment_free(&e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_workloads");
    TCase *tc = tcase_create("workloads");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, registry);
    tcase_add_loop_test(tc, serial_and_planted, 0, (int)bench_nworkloads);
    tcase_add_loop_test(tc, every_policy, 0, (int)bench_nworkloads);
    tcase_add_loop_test(tc, baselines, 0, (int)bench_nworkloads);
    tcase_add_loop_test(tc, wrong_schedules, 0, (int)bench_nworkloads);
    tcase_add_test(tc, system_pthreadpool_not_shadowed);
    tcase_add_test(tc, recorder_and_range);
    tcase_add_test(tc, baseline_pairing);
    tcase_add_test(tc, omp_chunks);
    tcase_add_test(tc, tbb_pairing);
    tcase_add_test(tc, tbb_chunks);
    tcase_add_test(tc, tbb_end_to_end);
    tcase_add_test(tc, runner_end_to_end);
    suite_add_tcase(s, tc);
    return s;
}

TU_ASAN_NO_DYNAMIC_TLS

int main(void)
{
    return tu_run(suite());
}
