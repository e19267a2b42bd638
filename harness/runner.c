/*
 * runner.c - measures an experiment: every cell (workload x executor x
 * thread count) runs once per round, cells shuffled with the seed each
 * round, after `warmup` unmeasured rounds. One pool per (policy, threads)
 * lives for the whole run (with `policy_switch`, one pool per thread count,
 * switched to each cell's policy with tpool_set_policy before the cell).
 * Before each run the previous executor's workers
 * are given time to stop spinning, so they do not steal the CPUs of the
 * next cell. After the rounds a last run of every cell is traced (when
 * asked) and followed by the idle-CPU probe.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "stats.h"

/* ---- policies ------------------------------------------------------------------- */

static void on_broken(void *ud, const tpool_error *e)
{
    (void)ud;
    fprintf(stderr, "tpool-bench: warning: skipping a broken policy: %s\n", e->text);
}

int bench_policies_find(bench_policy_desc **out, size_t *n)
{
    tpool_policy_info *list = NULL;
    size_t count = 0;
    *out = NULL;
    *n = 0;
    int rc = tpool_policy_list(NULL, &list, &count, on_broken, NULL);
    if (rc)
        return rc;
    bench_policy_desc *d = calloc(count ? count : 1, sizeof *d);
    if (!d) {
        tpool_policy_list_free(list, count);
        return TPOOL_ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        snprintf(d[i].name, sizeof d[i].name, "%s", list[i].name);
        snprintf(d[i].path, sizeof d[i].path, "%s", list[i].path);
        snprintf(d[i].description, sizeof d[i].description, "%s", list[i].description);
        d[i].params_json = list[i].params_json ? strdup(list[i].params_json) : NULL;
    }
    tpool_policy_list_free(list, count);
    *out = d;
    *n = count;
    return 0;
}

void bench_policies_free(bench_policy_desc *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++)
        free(p[i].params_json);
    free(p);
}

int bench_pool_create(const bench_executor *x, unsigned threads, unsigned spin_us,
                      tpool **out, char *err, size_t errsize)
{
    *out = NULL;
    json_t *o = json_object();
    if (!o) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    json_object_set_new(o, "policy", json_string(x->path[0] ? x->path : x->policy));
    json_object_set_new(o, "threads", json_integer(threads));
    json_object_set_new(o, "spin_us", json_integer(spin_us));
    if (x->params_json)
        json_object_set_new(o, "params", json_loads(x->params_json, 0, NULL));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    tpool_error e;
    tpool_error_clear(&e);
    tpool_config *cfg = NULL;
    int rc = tpool_config_load_text(text, "<tpool-bench>", &cfg, &e);
    if (rc == 0)
        rc = tpool_create(cfg, out, &e);
    tpool_config_free(cfg);
    free(text);
    if (rc) {
        snprintf(err, errsize, "%s", e.text[0] ? e.text : tpool_strerror(rc));
        *out = NULL;
        return -1;
    }
    return 0;
}

/* ---- executors -------------------------------------------------------------------- */

static int supports(const bench_workload *w, const bench_executor *x)
{
    switch (x->kind) {
    case BENCH_EX_SERIAL: return (w->runs & BENCH_RUNS_SERIAL) != 0;
    case BENCH_EX_TPOOL: return (w->runs & BENCH_RUNS_TPOOL) != 0;
    case BENCH_EX_PTP: return (w->runs & BENCH_RUNS_PTP) != 0;
    case BENCH_EX_OMP:
        return x->omp_sched == BENCH_OMP_TASK ? (w->runs & BENCH_RUNS_OMP_TASK) != 0
                                              : (w->runs & BENCH_RUNS_OMP_FOR) != 0;
    }
    return 0;
}

static const bench_policy_desc *find_policy(const bench_report *r, const char *name)
{
    for (size_t i = 0; i < r->npolicies; i++)
        if (strcmp(r->policies[i].name, name) == 0)
            return &r->policies[i];
    return NULL;
}

static int add_exe(bench_report *r, const bench_executor *x)
{
    bench_executor *n = realloc(r->exes, (r->nexes + 1) * sizeof *n);
    if (!n)
        return -1;
    r->exes = n;
    r->exes[r->nexes++] = *x;
    return 0;
}

static int make_executors(bench_report *r, const bench_experiment *e)
{
    bench_executor x;
    if ((e->baselines & BENCH_BASE_SERIAL) && r->base[0].available) {
        memset(&x, 0, sizeof x);
        snprintf(x.label, sizeof x.label, "serial");
        x.kind = BENCH_EX_SERIAL;
        if (add_exe(r, &x))
            return -1;
    }
    if (e->all_policies) {
        for (size_t i = 0; i < r->npolicies; i++) {
            /* "all" means the modules; builtin:NAME runs only when named. */
            if (strncmp(r->policies[i].name, "builtin:", 8) == 0)
                continue;
            memset(&x, 0, sizeof x);
            x.kind = BENCH_EX_TPOOL;
            snprintf(x.label, sizeof x.label, "%s", r->policies[i].name);
            snprintf(x.policy, sizeof x.policy, "%s", r->policies[i].name);
            snprintf(x.path, sizeof x.path, "%s", r->policies[i].path);
            if (add_exe(r, &x))
                return -1;
        }
    } else {
        for (size_t i = 0; i < e->npolicies; i++) {
            const bench_policy_sel *s = &e->policies[i];
            /* A path is loaded as given (checked before the run). */
            const int by_path = strchr(s->policy, '/') != NULL;
            const bench_policy_desc *d = by_path ? NULL : find_policy(r, s->policy);
            if (!d && !by_path) {
                char list[512] = "";
                for (size_t k = 0; k < r->npolicies; k++) {
                    size_t l = strlen(list);
                    snprintf(list + l, sizeof list - l, "%s%s", k ? ", " : "",
                             r->policies[k].name);
                }
                fprintf(stderr,
                        "tpool-bench: policy '%s' was not found on the policy search path "
                        "(found: %s); set TPOOL_POLICY_PATH or see tpool-info --policy-path\n",
                        s->policy, list[0] ? list : "none");
                return -2;
            }
            memset(&x, 0, sizeof x);
            x.kind = BENCH_EX_TPOOL;
            snprintf(x.label, sizeof x.label, "%s", s->label);
            snprintf(x.policy, sizeof x.policy, "%s", s->policy);
            snprintf(x.path, sizeof x.path, "%s", by_path ? s->policy : d->path);
            x.params_json = s->params_json ? strdup(s->params_json) : NULL;
            if (add_exe(r, &x))
                return -1;
        }
    }
    static const struct { unsigned bit, idx; int sched; } omps[] = {
        { BENCH_BASE_OMP_STATIC, 1, BENCH_OMP_STATIC },
        { BENCH_BASE_OMP_DYNAMIC, 2, BENCH_OMP_DYNAMIC },
        { BENCH_BASE_OMP_GUIDED, 3, BENCH_OMP_GUIDED },
        { BENCH_BASE_OMP_TASK, 4, BENCH_OMP_TASK },
    };
    for (size_t i = 0; i < 4; i++) {
        if (!(e->baselines & omps[i].bit) || !r->base[omps[i].idx].available)
            continue;
        memset(&x, 0, sizeof x);
        x.kind = BENCH_EX_OMP;
        x.omp_sched = omps[i].sched;
        snprintf(x.label, sizeof x.label, "%s", bench_base_names[omps[i].idx]);
        if (add_exe(r, &x))
            return -1;
    }
    if ((e->baselines & BENCH_BASE_PTP) && r->base[5].available) {
        memset(&x, 0, sizeof x);
        x.kind = BENCH_EX_PTP;
        snprintf(x.label, sizeof x.label, "pthreadpool");
        if (add_exe(r, &x))
            return -1;
    }
    return 0;
}

/* ---- quiescence --------------------------------------------------------------------- */

static uint64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/*
 * Waits `ns`, then until this process burns less than a tenth of a CPU over
 * a millisecond (at most 100 ms more): whatever spun after the last run
 * (tpool workers within spin_us, libgomp, libpthreadpool) has gone to sleep
 * and leaves the CPUs to the next run.
 */
static void quiesce(uint64_t ns)
{
    if (ns == 0)
        return;
    bench_sleep_ns(ns);
    for (int i = 0; i < 100; i++) {
        uint64_t c0 = cpu_ns();
        bench_sleep_ns(1000000);
        if (cpu_ns() - c0 < 100000)
            return;
    }
}

/* ---- cells ----------------------------------------------------------------------------- */

typedef struct cellrt {
    bench_exec ex;
    void *state;
    int dead;         /* the run failed: no more runs */
    size_t *on_pool;  /* policy_switch: the executor the shared pool runs now */
    uint64_t last_ns; /* its last run's time, for the progress estimate */
} cellrt;

typedef struct pools {
    tpool **pool;      /* [exe * nthreads + t]; policy_switch: [t] */
    size_t *on_pool;   /* policy_switch: [t] the executor pool[t] runs */
    void **ptp;        /* [t] */
    bench_ptp_api api;
    int have_api;
    unsigned *threads;
    size_t nthreads;
} pools;

static size_t thread_index(const pools *p, unsigned t)
{
    for (size_t i = 0; i < p->nthreads; i++)
        if (p->threads[i] == t)
            return i;
    return 0;
}

static void ws_sub(bench_wstats *acc, const tpool_stats *a, const tpool_stats *b,
                   unsigned nws)
{
    for (unsigned w = 0; w < nws; w++) {
        const tpool_worker_stats *x = &a->per_worker[w], *y = &b->per_worker[w];
        acc[w].tasks_run += y->tasks_run - x->tasks_run;
        acc[w].items_run += y->items_run - x->items_run;
        acc[w].busy_ns += y->busy_ns - x->busy_ns;
        acc[w].idle_ns += y->idle_ns - x->idle_ns;
        acc[w].parks += y->parks - x->parks;
        acc[w].wakes += y->wakes - x->wakes;
        for (unsigned k = 0; k < TPOOL_STAT_POLICY_MAX; k++)
            acc[w].policy[k] += y->policy[k] - x->policy[k];
    }
}

typedef struct runctx {
    const bench_experiment *exp;
    const bench_options *opt;
    bench_report *r;
    cellrt *rt;
    bench_trace *trace;
    uint64_t trace_t0;
} runctx;

/* One run of one cell; `round` < 0 is the final (traced, probed) run. */
static void run_cell(runctx *c, size_t ci, int round, int measured)
{
    bench_cell *cell = &c->r->cells[ci];
    cellrt *rt = &c->rt[ci];
    if (rt->dead)
        return;
    const bench_wl_inst *wi = &c->exp->workloads[cell->wl];
    const bench_workload *w = wi->wl;
    int tracing = round < 0 && c->trace != NULL;
    bench_exec ex = rt->ex;
    ex.trace = tracing;
    if (rt->on_pool && *rt->on_pool != cell->exe) {
        /* A shared pool: switch it to this cell's policy (not timed). */
        const bench_executor *x = &c->r->exes[cell->exe];
        tpool_error e;
        tpool_error_clear(&e);
        if (tpool_set_policy(ex.pool, x->path[0] ? x->path : x->policy, x->params_json,
                             &e) != 0) {
            rt->dead = 1;
            cell->check_ok = 0;
            snprintf(cell->check_msg, sizeof cell->check_msg, "policy switch failed: %.200s",
                     e.text);
            return;
        }
        *rt->on_pool = cell->exe;
    }

    quiesce((uint64_t)c->exp->cooldown_us * 1000);
    w->prepare(rt->state, &ex);
    if (bench_rec_reset(tracing, cell->threads + 2, c->opt->trace_cap) != 0)
        tracing = 0;

    tpool_stats s0, s1;
    int have_stats = ex.kind == BENCH_EX_TPOOL && tpool_stats_get(ex.pool, &s0) == 0;
    uint64_t t0 = bench_now_ns();
    int rc = w->run(rt->state, &ex);
    uint64_t t1 = bench_now_ns();
    rt->last_ns = t1 - t0;
    bench_wstats delta[BENCH_MAX_SLOTS + 1];
    unsigned nws = 0;
    if (have_stats) {
        if (tpool_stats_get(ex.pool, &s1) == 0) {
            nws = s0.workers + 1 <= BENCH_MAX_SLOTS ? s0.workers + 1 : BENCH_MAX_SLOTS;
            memset(delta, 0, nws * sizeof *delta);
            ws_sub(delta, &s0, &s1, nws);
            if (!cell->ws) {
                cell->nworkers = s0.workers;
                cell->ws = calloc(nws, sizeof *cell->ws);
                cell->npolicy = s0.npolicy;
                for (unsigned k = 0; k < s0.npolicy && k < TPOOL_STAT_POLICY_MAX; k++)
                    snprintf(cell->policy_names[k], sizeof cell->policy_names[k], "%s",
                             s0.policy_names[k] ? s0.policy_names[k] : "?");
            }
            tpool_stats_free(&s1);
        }
        tpool_stats_free(&s0);
    }
    if (rc != 0) {
        rt->dead = 1;
        cell->check_ok = 0;
        snprintf(cell->check_msg, sizeof cell->check_msg, "run failed: %s",
                 rc < 0 && rc >= TPOOL_ERANGE ? tpool_strerror(rc) : "not supported");
        return;
    }
    cell->items = w->items(rt->state, &ex);
    char msg[256];
    if (w->check(rt->state, &ex, msg, sizeof msg) != 0 && cell->check_ok) {
        cell->check_ok = 0;
        snprintf(cell->check_msg, sizeof cell->check_msg, "%s", msg);
    }
    uint64_t ovf = atomic_load_explicit(&bench_g_rec.overflow, memory_order_relaxed);
    if (ovf > cell->overflow)
        cell->overflow = ovf;

    if (measured && cell->nrounds < c->exp->repetitions) {
        unsigned k = cell->nrounds++;
        cell->times_ns[k] = t1 - t0;
        if (bench_cell_record_round(cell, k, w, rt->state, &ex) != 0 && cell->check_ok) {
            cell->check_ok = 0;
            snprintf(cell->check_msg, sizeof cell->check_msg, "out of memory");
        }
        if (w->latency)
            w->latency(rt->state, &cell->lat[k]);
        if (nws && cell->ws)
            for (unsigned i = 0; i < nws && i <= cell->nworkers; i++) {
                bench_wstats *a = &cell->ws[i];
                a->tasks_run += delta[i].tasks_run;
                a->items_run += delta[i].items_run;
                a->busy_ns += delta[i].busy_ns;
                a->idle_ns += delta[i].idle_ns;
                a->parks += delta[i].parks;
                a->wakes += delta[i].wakes;
                for (unsigned q = 0; q < TPOOL_STAT_POLICY_MAX; q++)
                    a->policy[q] += delta[i].policy[q];
            }
    }
    if (tracing) {
        char name[256];
        snprintf(name, sizeof name, "%s | %s | T=%u", wi->label, c->r->exes[cell->exe].label,
                 cell->threads);
        bench_trace_add_run(c->trace, name, t0, t1, nws ? delta : NULL, nws,
                            (const char (*)[32])cell->policy_names, cell->npolicy);
    }
    if (round < 0 && c->exp->idle_probe_ms) {
        /* No cool-down here: this is the window right after a dispatch. */
        uint64_t win = (uint64_t)c->exp->idle_probe_ms * 1000000u;
        uint64_t c0 = cpu_ns(), w0 = bench_now_ns();
        bench_sleep_ns(win);
        uint64_t c1 = cpu_ns(), w1 = bench_now_ns();
        cell->idle_cpu_ns = (double)(c1 - c0);
        cell->idle_probe_ns = (double)(w1 - w0);
    }
}

static const char *exe_short(const bench_executor *x)
{
    return x->label;
}

/* Seconds left: each remaining run of a cell as long as its last one, plus
 * the pause before it (about the cool-down and a 1 ms quiescence check);
 * negative until every cell has run once. */
static double time_left(const runctx *c, unsigned round, size_t k, int probing)
{
    const bench_experiment *e = c->exp;
    double per_cell = 0, pause = (double)e->cooldown_us * 1e-6 + (e->cooldown_us ? 1.2e-3 : 0);
    for (size_t i = 0; i < c->r->ncells; i++) {
        if (c->rt[i].dead)
            continue;
        if (!c->rt[i].last_ns)
            return -1;
        per_cell += (double)c->rt[i].last_ns * 1e-9 + pause;
    }
    size_t n = c->r->ncells ? c->r->ncells : 1;
    double probe = (e->idle_probe_ms || c->trace) ? per_cell + (double)n * e->idle_probe_ms * 1e-3
                                                  : 0;
    unsigned rounds = e->warmup + e->repetitions;
    if (probing)
        return probe * (double)(n - k) / (double)n;
    return per_cell * ((double)(rounds - round - 1) + (double)(n - k) / (double)n) + probe;
}

int bench_run(const bench_experiment *exp, const bench_options *o, bench_report *r, int argc,
              char **argv)
{
    memset(r, 0, sizeof *r);
    r->exp = exp;
    uint64_t wall0 = bench_now_ns();
    bench_meta_collect(&r->meta, argc, argv);
    r->meta.spin_iters_per_ns = bench_calibrate();
    bench_rec_calibrate();
    snprintf(r->meta.experiment_source, sizeof r->meta.experiment_source, "%s",
             exp->source ? exp->source : "");

    int rc = bench_policies_find(&r->policies, &r->npolicies);
    if (rc) {
        fprintf(stderr, "tpool-bench: listing policies: %s\n", tpool_strerror(rc));
        return -1;
    }
    bench_baselines_probe(r->base, exp->baselines);
    rc = make_executors(r, exp);
    if (rc) {
        if (rc == -1)
            fprintf(stderr, "tpool-bench: out of memory\n");
        return -1;
    }
    bench_baselines_pair(r->exes, r->nexes, r->policies, r->npolicies);
    if (r->nexes == 0) {
        fprintf(stderr, "tpool-bench: nothing to run: no policy found and no baseline "
                        "available (set TPOOL_POLICY_PATH; see --list-policies)\n");
        return -1;
    }

    /* thread counts */
    pools P;
    memset(&P, 0, sizeof P);
    unsigned deflist[64];
    if (exp->threads) {
        P.threads = exp->threads;
        P.nthreads = exp->nthreads;
    } else {
        P.nthreads = bench_default_threads(tpool_default_threads(), deflist, 64);
        P.threads = deflist;
    }

    /* workload setup (computes every expected result once) */
    void **states = calloc(exp->nworkloads, sizeof *states);
    if (!states)
        return -1;
    int failed = 0;
    for (size_t i = 0; i < exp->nworkloads && !failed; i++) {
        char err[256];
        const bench_wl_inst *wi = &exp->workloads[i];
        if (wi->wl->setup(wi->p, exp->seed, &states[i], err, sizeof err) != 0) {
            fprintf(stderr, "tpool-bench: workload %s: %s\n", wi->label, err);
            failed = 1;
        }
    }

    /* cells */
    size_t cap = exp->nworkloads * r->nexes * P.nthreads;
    r->cells = calloc(cap ? cap : 1, sizeof *r->cells);
    cellrt *rt = calloc(cap ? cap : 1, sizeof *rt);
    P.pool = calloc(r->nexes * P.nthreads, sizeof *P.pool);
    P.on_pool = calloc(P.nthreads, sizeof *P.on_pool);
    P.ptp = calloc(P.nthreads, sizeof *P.ptp);
    if (!r->cells || !rt || !P.pool || !P.on_pool || !P.ptp)
        failed = 1;
    for (size_t wi = 0; !failed && wi < exp->nworkloads; wi++)
        for (size_t xi = 0; xi < r->nexes; xi++) {
            const bench_executor *x = &r->exes[xi];
            if (!supports(exp->workloads[wi].wl, x))
                continue;
            for (size_t ti = 0; ti < P.nthreads; ti++) {
                unsigned t = P.threads[ti];
                if (x->kind == BENCH_EX_SERIAL && ti > 0)
                    break;
                bench_cell *cell = &r->cells[r->ncells];
                cellrt *c = &rt[r->ncells];
                cell->wl = (unsigned)wi;
                cell->exe = (unsigned)xi;
                cell->threads = x->kind == BENCH_EX_SERIAL ? 1 : t;
                cell->check_ok = 1;
                cell->idle_cpu_ns = cell->idle_probe_ns = NAN;
                cell->times_ns = calloc(exp->repetitions, sizeof *cell->times_ns);
                cell->imbalance = calloc(exp->repetitions, sizeof *cell->imbalance);
                cell->lat = calloc(exp->repetitions, sizeof *cell->lat);
                if (!cell->times_ns || !cell->imbalance || !cell->lat)
                    failed = 1;
                c->state = states[wi];
                c->ex.kind = x->kind;
                c->ex.threads = cell->threads;
                c->ex.omp_sched = x->omp_sched;
                c->ex.omp_chunk = x->omp_chunk;
                r->ncells++;
            }
        }

    /* executors' pools */
    char why[512];
    if (!failed)
        for (size_t xi = 0; xi < r->nexes; xi++) {
            const bench_executor *x = &r->exes[xi];
            if (x->kind == BENCH_EX_PTP && !P.have_api) {
                if (bench_ptp_load(&P.api, why, sizeof why) == 0)
                    P.have_api = 1;
            }
        }
    for (size_t ci = 0; !failed && ci < r->ncells; ci++) {
        bench_cell *cell = &r->cells[ci];
        const bench_executor *x = &r->exes[cell->exe];
        size_t ti = thread_index(&P, cell->threads);
        if (x->kind == BENCH_EX_TPOOL) {
            tpool **pp = &P.pool[(exp->policy_switch ? 0 : cell->exe) * P.nthreads + ti];
            if (exp->policy_switch) {
                rt[ci].on_pool = &P.on_pool[ti];
                if (!*pp)
                    P.on_pool[ti] = cell->exe; /* created with this cell's policy */
            }
            if (!*pp && !rt[ci].dead) {
                char err[768];
                if (bench_pool_create(x, cell->threads, exp->spin_us, pp, err, sizeof err)) {
                    fprintf(stderr, "tpool-bench: policy %s at %u threads: %s\n", x->label,
                            cell->threads, err);
                    /* every cell of this pool fails the same way */
                    for (size_t cj = ci; cj < r->ncells; cj++)
                        if (r->cells[cj].exe == cell->exe &&
                            r->cells[cj].threads == cell->threads) {
                            rt[cj].dead = 1;
                            r->cells[cj].check_ok = 0;
                            snprintf(r->cells[cj].check_msg, sizeof r->cells[cj].check_msg,
                                     "pool creation failed: %.200s", err);
                        }
                    continue;
                }
            }
            rt[ci].ex.pool = *pp;
        } else if (x->kind == BENCH_EX_PTP) {
            if (!P.have_api) {
                rt[ci].dead = 1;
                cell->check_ok = 0;
                snprintf(cell->check_msg, sizeof cell->check_msg, "%.250s", why);
                continue;
            }
            if (!P.ptp[ti])
                P.ptp[ti] = P.api.create(cell->threads);
            rt[ci].ex.ptp = &P.api;
            rt[ci].ex.ptp_pool = P.ptp[ti];
            if (!P.ptp[ti]) {
                rt[ci].dead = 1;
                cell->check_ok = 0;
                snprintf(cell->check_msg, sizeof cell->check_msg, "pthreadpool_create failed");
            }
        }
    }

    runctx c = { exp, o, r, rt, NULL, 0 };
    if (!failed && o->trace) {
        c.trace = bench_trace_open(o->trace);
        if (!c.trace)
            failed = 1;
    }

    if (!failed) {
        bench_progress pg;
        int idle = exp->idle_probe_ms > 0 || c.trace;
        uint64_t total = (uint64_t)r->ncells * (exp->warmup + exp->repetitions + (idle ? 1 : 0));
        bench_progress_init(&pg, o->progress == 0 ? NULL : stderr, total);
        if (o->progress == 1)
            pg.enabled = 1;
        size_t *order = malloc((r->ncells ? r->ncells : 1) * sizeof *order);
        uint64_t rng = exp->seed ^ 0xA0761D6478BD642Fu;
        unsigned rounds = exp->warmup + exp->repetitions;
        for (unsigned round = 0; order && round < rounds; round++) {
            for (size_t i = 0; i < r->ncells; i++)
                order[i] = i;
            for (size_t i = r->ncells; i > 1; i--) {
                size_t j = (size_t)(bench_rand(&rng) % i);
                size_t tmp = order[i - 1];
                order[i - 1] = order[j];
                order[j] = tmp;
            }
            for (size_t k = 0; k < r->ncells; k++) {
                size_t ci = order[k];
                bench_cell *cell = &r->cells[ci];
                char what[256];
                snprintf(what, sizeof what, "%s, %s, T=%u (round %u/%u%s)",
                         exp->workloads[cell->wl].label, exe_short(&r->exes[cell->exe]),
                         cell->threads, round + 1, rounds,
                         round < exp->warmup ? ", warm-up" : "");
                bench_progress_step(&pg, what, time_left(&c, round, k, 0));
                run_cell(&c, ci, (int)round, round >= exp->warmup);
            }
        }
        if (idle)
            for (size_t ci = 0; ci < r->ncells; ci++) {
                bench_cell *cell = &r->cells[ci];
                char what[256];
                snprintf(what, sizeof what, "%s, %s, T=%u (%s)",
                         exp->workloads[cell->wl].label, exe_short(&r->exes[cell->exe]),
                         cell->threads, c.trace ? "trace and idle probe" : "idle probe");
                bench_progress_step(&pg, what, time_left(&c, 0, ci, 1));
                run_cell(&c, ci, -1, 0);
            }
        bench_progress_end(&pg);
        free(order);
        if (!order)
            failed = 1;
    }
    if (c.trace && bench_trace_close(c.trace, &r->meta) != 0)
        failed = 1;

    /* tear down */
    for (size_t i = 0; P.pool && i < r->nexes * P.nthreads; i++)
        if (P.pool[i])
            tpool_destroy(P.pool[i]);
    for (size_t i = 0; P.ptp && i < P.nthreads; i++)
        if (P.ptp[i])
            P.api.destroy(P.ptp[i]);
    if (P.have_api)
        bench_ptp_unload(&P.api);
    free(P.pool);
    free(P.on_pool);
    free(P.ptp);
    for (size_t i = 0; i < exp->nworkloads; i++)
        if (states[i])
            exp->workloads[i].wl->teardown(states[i]);
    free(states);
    free(rt);
    bench_rec_free();
    r->meta.wall_s = (double)(bench_now_ns() - wall0) * 1e-9;
    if (failed)
        return -1;
    bench_report_derive(r);
    return 0;
}

void bench_report_free(bench_report *r)
{
    for (size_t i = 0; i < r->ncells; i++) {
        free(r->cells[i].times_ns);
        free(r->cells[i].imbalance);
        free(r->cells[i].lat);
        free(r->cells[i].ws);
        free(r->cells[i].part_share);
    }
    free(r->cells);
    for (size_t i = 0; i < r->nexes; i++)
        free(r->exes[i].params_json);
    free(r->exes);
    bench_policies_free(r->policies, r->npolicies);
    memset(r, 0, sizeof *r);
}
