/*
 * runner.c - one process's measurement of an experiment (session.h).
 *
 * bench_plan turns the experiment into cells (workload x executor x thread
 * count) without running anything. A session then owns what the cells run
 * on: the workloads' data (expected results computed once) and one pool per
 * (policy, threads) for the whole run (with `policy_switch`, one pool per
 * thread count, switched to each cell's policy with tpool_set_policy before
 * the cell). Each round runs every unfinished cell once, in an order
 * shuffled with the seed and the run's index, and after each measured run
 * applies the stopping rule to that cell (docs/harness.md, "Rounds").
 * Before each run the previous executor's workers are given time to stop
 * spinning, so they do not steal the CPUs of the next cell. At the end a
 * last run of every cell is traced (when asked) and followed by the
 * idle-CPU probe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "session.h"
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

/* A workload runs on an executor that offers all it uses. */
static int supports(const tpool_bench_workload *w, const bench_executor *x)
{
    return (w->uses & ~bench_exec_offers(x->kind, bench_exec_mode(x->kind, x->omp_sched,
                                                                  x->tbb_mode))) == 0;
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

/* The description of a policy loaded by path, which the search path may
 * not list: the policies of its directory, and the one at that path. */
static int describe_path(bench_report *r, const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    json_t *o = json_pack("{s:[s]}", "policy_path", dir[0] ? dir : "/");
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    tpool_config *cfg = NULL;
    tpool_error e;
    tpool_error_clear(&e);
    int found = -1;
    if (text && tpool_config_load_text(text, "<tpool-bench>", &cfg, &e) == 0) {
        tpool_policy_info *list = NULL;
        size_t n = 0;
        if (tpool_policy_list(cfg, &list, &n, NULL, NULL) == 0) {
            for (size_t i = 0; i < n && found < 0; i++) {
                char real[PATH_MAX];
                if (!realpath(list[i].path, real) || strcmp(real, path) != 0)
                    continue;
                bench_policy_desc *d =
                    realloc(r->policies, (r->npolicies + 1) * sizeof *r->policies);
                if (!d)
                    break;
                r->policies = d;
                d = &r->policies[r->npolicies];
                memset(d, 0, sizeof *d);
                snprintf(d->name, sizeof d->name, "%s", list[i].name);
                snprintf(d->path, sizeof d->path, "%.*s", (int)sizeof d->path - 1, real);
                snprintf(d->description, sizeof d->description, "%s", list[i].description);
                d->params_json = list[i].params_json ? strdup(list[i].params_json) : NULL;
                found = (int)r->npolicies++;
            }
            tpool_policy_list_free(list, n);
        }
        tpool_config_free(cfg);
    }
    free(text);
    return found;
}

/* The company variants of the executors made so far (all but serial, the
 * reference), one per mode of the experiment, labelled NAME+MODE. */
static int company_variants(bench_report *r, const bench_experiment *e, int warn)
{
    size_t base = r->nexes;
    for (int mode = 1; mode < BENCH_NCOMPANY; mode++) {
        if (!(e->company & BENCH_CO_BIT(mode)))
            continue;
        /* the OpenMP team is the omp-static baseline's library: where that
         * cannot run (no OpenMP, ThreadSanitizer), neither can it */
        if (mode == BENCH_CO_OMP && !r->base[1].available) {
            if (warn)
                fprintf(stderr, "tpool-bench: company omp: its cells are left out: %s\n",
                        r->base[1].reason);
            continue;
        }
        const char *name = bench_company_names[mode];
        for (size_t i = 0; i < base; i++) {
            bench_executor x = r->exes[i];
            if (x.kind == BENCH_EX_SERIAL)
                continue;
            size_t l = strlen(x.label), m = strlen(name);
            if (l + 1 + m >= sizeof x.label) {
                fprintf(stderr, "tpool-bench: executor label '%s' is too long for its company "
                                "variant '+%s' (at most %zu characters)\n",
                        x.label, name, sizeof x.label - 2 - m);
                return -2;
            }
            x.label[l] = '+';
            memcpy(x.label + l + 1, name, m + 1);
            x.company = mode;
            x.params_json = x.params_json ? strdup(x.params_json) : NULL;
            if (add_exe(r, &x)) {
                free(x.params_json);
                return -1;
            }
        }
    }
    return 0;
}

static int make_executors(bench_report *r, const bench_experiment *e, int warn)
{
    bench_executor x;
    if ((e->baselines & BENCH_BASE_SERIAL) && r->base[0].available) {
        memset(&x, 0, sizeof x);
        snprintf(x.label, sizeof x.label, "serial");
        x.kind = BENCH_EX_SERIAL;
        x.desc = -1;
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
            x.desc = (int)i;
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
            if (by_path) {
                /* recorded absolute, so that the results replay from anywhere */
                char real[PATH_MAX];
                snprintf(x.path, sizeof x.path, "%.*s", (int)sizeof x.path - 1,
                         realpath(s->policy, real) ? real : s->policy);
                x.desc = -1;
                for (size_t k = 0; k < r->npolicies && x.desc < 0; k++)
                    if (strcmp(r->policies[k].path, x.path) == 0)
                        x.desc = (int)k;
                if (x.desc < 0)
                    x.desc = describe_path(r, x.path);
            } else {
                snprintf(x.path, sizeof x.path, "%s", d->path);
                x.desc = (int)(d - r->policies);
            }
            x.params_json = s->params_json ? strdup(s->params_json) : NULL;
            if (add_exe(r, &x)) {
                free(x.params_json);
                return -1;
            }
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
        x.desc = -1;
        snprintf(x.label, sizeof x.label, "%s", bench_base_names[omps[i].idx]);
        if (add_exe(r, &x))
            return -1;
    }
    if ((e->baselines & BENCH_BASE_PTP) && r->base[5].available) {
        memset(&x, 0, sizeof x);
        x.kind = BENCH_EX_PTP;
        x.desc = -1;
        snprintf(x.label, sizeof x.label, "pthreadpool");
        if (add_exe(r, &x))
            return -1;
    }
    static const struct { unsigned bit, idx; int mode; } tbbs[] = {
        { BENCH_BASE_TBB_TASK, 6, BENCH_TBB_TASK },
        { BENCH_BASE_TBB_AUTO, 7, BENCH_TBB_AUTO },
        { BENCH_BASE_TBB_SIMPLE, 8, BENCH_TBB_SIMPLE },
        { BENCH_BASE_TBB_STATIC, 9, BENCH_TBB_STATIC },
    };
    for (size_t i = 0; i < 4; i++) {
        if (!(e->baselines & tbbs[i].bit) || !r->base[tbbs[i].idx].available)
            continue;
        memset(&x, 0, sizeof x);
        x.kind = BENCH_EX_TBB;
        x.tbb_mode = tbbs[i].mode;
        x.desc = -1;
        snprintf(x.label, sizeof x.label, "%s", bench_base_names[tbbs[i].idx]);
        if (add_exe(r, &x))
            return -1;
    }
    return company_variants(r, e, warn);
}

/* ---- the plan ------------------------------------------------------------------------ */

int bench_plan(const bench_experiment *exp, bench_report *r, int collect_meta, int argc,
               char **argv)
{
    memset(r, 0, sizeof *r);
    r->exp = exp;
    r->meta.wall_s = NAN;
    if (collect_meta)
        bench_meta_collect(&r->meta, argc, argv);
    snprintf(r->meta.experiment_source, sizeof r->meta.experiment_source, "%s",
             exp->source ? exp->source : "");

    int rc = bench_policies_find(&r->policies, &r->npolicies);
    if (rc) {
        fprintf(stderr, "tpool-bench: listing policies: %s\n", tpool_strerror(rc));
        return -1;
    }
    bench_baselines_probe(r->base, exp->baselines);
    /* the child processes (collect_meta 0) plan the same cells quietly */
    rc = make_executors(r, exp, collect_meta);
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

    /* thread counts, concrete */
    unsigned deflist[64];
    const unsigned *th = exp->threads;
    size_t nth = exp->nthreads;
    if (!th) {
        nth = bench_default_threads(tpool_default_threads(), deflist, 64);
        th = deflist;
    }
    r->threads = malloc(nth * sizeof *r->threads);
    if (!r->threads)
        return -1;
    memcpy(r->threads, th, nth * sizeof *th);
    r->nthreads = nth;

    size_t cap = exp->nworkloads * r->nexes * nth;
    r->cells = calloc(cap ? cap : 1, sizeof *r->cells);
    if (!r->cells)
        return -1;
    for (size_t wi = 0; wi < exp->nworkloads; wi++)
        for (size_t xi = 0; xi < r->nexes; xi++) {
            const bench_executor *x = &r->exes[xi];
            if (!supports(exp->workloads[wi].wl, x))
                continue;
            for (size_t ti = 0; ti < nth; ti++) {
                if (x->kind == BENCH_EX_SERIAL && ti > 0)
                    break;
                bench_cell *cell = &r->cells[r->ncells++];
                cell->wl = (unsigned)wi;
                cell->exe = (unsigned)xi;
                cell->threads = x->kind == BENCH_EX_SERIAL ? 1 : th[ti];
                cell->check_ok = 1;
                cell->nruns = 1;
                cell->idle_cpu_ns = cell->idle_probe_ns = NAN;
            }
        }
    r->nruns = 1;
    unsigned ran = 0; /* the baselines that run: requested and available */
    for (size_t i = 0; i < r->nexes; i++) {
        const bench_executor *x = &r->exes[i];
        if (x->kind == BENCH_EX_SERIAL)
            ran |= BENCH_BASE_SERIAL;
        else if (x->kind == BENCH_EX_PTP)
            ran |= BENCH_BASE_PTP;
        else if (x->kind == BENCH_EX_OMP)
            ran |= x->omp_sched == BENCH_OMP_STATIC    ? BENCH_BASE_OMP_STATIC
                   : x->omp_sched == BENCH_OMP_DYNAMIC ? BENCH_BASE_OMP_DYNAMIC
                   : x->omp_sched == BENCH_OMP_GUIDED  ? BENCH_BASE_OMP_GUIDED
                                                       : BENCH_BASE_OMP_TASK;
        else if (x->kind == BENCH_EX_TBB)
            ran |= x->tbb_mode == BENCH_TBB_TASK   ? BENCH_BASE_TBB_TASK
                   : x->tbb_mode == BENCH_TBB_AUTO ? BENCH_BASE_TBB_AUTO
                   : x->tbb_mode == BENCH_TBB_SIMPLE ? BENCH_BASE_TBB_SIMPLE
                                                     : BENCH_BASE_TBB_STATIC;
    }
    r->resolved = bench_experiment_resolved_json(exp, r->threads, r->nthreads, r->exes,
                                                 r->nexes, ran);
    if (!r->resolved)
        return -1;
    bench_machine_init(&r->machine);
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

/* Whatever spun after the last run (tpool workers within spin_us, libgomp,
 * libpthreadpool, libtbb) goes to sleep and leaves the CPUs to the next. */
void bench_quiesce(uint64_t ns)
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

int bench_wl_setup(const bench_wl_inst *wi, uint64_t seed, unsigned max_threads, void **state,
                   char *err, size_t errsize)
{
    tpool_bench_env env;
    bench_env_init(&env);
    env.params = wi->p;
    env.seed = seed;
    env.max_threads = max_threads;
    env.errbuf = err;
    env.errbuf_size = errsize;
    err[0] = '\0';
    *state = NULL;
    if (wi->wl->setup(&env, state) != 0) {
        if (!err[0])
            snprintf(err, errsize, "no message");
        *state = NULL;
        return -1;
    }
    return 0;
}

/* ---- cells ----------------------------------------------------------------------------- */

typedef struct cellrt {
    bench_exec ex;
    void *state;
    int dead;         /* a run failed, or its pool could not be made: no more runs */
    size_t *on_pool;  /* policy_switch: the executor the shared pool runs now */
} cellrt;

typedef struct pools {
    tpool **pool;      /* [exe * nthreads + t]; policy_switch: [t] */
    size_t *on_pool;   /* policy_switch: [t] the executor pool[t] runs */
    void **ptp;        /* [t] */
    void **tbb;        /* [t]: oneTBB arenas */
    bench_ptp_api api;
    int have_api;
    const unsigned *threads;
    size_t nthreads;
} pools;

struct bench_session {
    bench_report *r;
    const bench_experiment *exp;
    unsigned run;
    void **states;
    cellrt *rt;
    pools P;
    bench_trace *trace;     /* written to trace_tmp, renamed to trace_path when complete */
    char trace_path[4096], trace_tmp[4200];
    int final_done;
    unsigned trace_cap;
    size_t *order;
    uint64_t rng;
    unsigned rounds;   /* measured rounds done */
    bench_cell_hook hook;
    void *ud;
    /* the companions of the company cells, opened on first use */
    bench_companion *company[BENCH_NCOMPANY];
    char company_err[BENCH_NCOMPANY][256]; /* why one could not be opened */
};

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

void bench_wstats_add(bench_wstats *acc, const bench_wstats *d, unsigned n)
{
    for (unsigned w = 0; w < n; w++) {
        acc[w].tasks_run += d[w].tasks_run;
        acc[w].items_run += d[w].items_run;
        acc[w].busy_ns += d[w].busy_ns;
        acc[w].idle_ns += d[w].idle_ns;
        acc[w].parks += d[w].parks;
        acc[w].wakes += d[w].wakes;
        for (unsigned k = 0; k < TPOOL_STAT_POLICY_MAX; k++)
            acc[w].policy[k] += d[w].policy[k];
    }
}

int bench_cell_reserve(bench_cell *c, unsigned more)
{
    if (c->nrounds + more <= c->cap)
        return 0;
    unsigned cap = c->cap ? c->cap : 16;
    while (cap < c->nrounds + more)
        cap *= 2;
    /* each array grown on its own: what succeeded is kept, bigger is fine */
    uint64_t *t = realloc(c->times_ns, cap * sizeof *t);
    if (t)
        c->times_ns = t;
    double *im = realloc(c->imbalance, cap * sizeof *im);
    if (im)
        c->imbalance = im;
    bench_latency *l = realloc(c->lat, cap * sizeof *l);
    if (l)
        c->lat = l;
    uint64_t *al = realloc(c->alone_ns, cap * sizeof *al);
    if (al)
        c->alone_ns = al;
    if (!t || !im || !l || !al)
        return -1;
    c->cap = cap;
    return 0;
}

/* Ends a cell that cannot run: `what` went wrong (`why` may add detail). */
static void fail_cell(bench_cell *cell, cellrt *rt, const char *what, const char *why)
{
    rt->dead = 1;
    cell->check_ok = 0;
    snprintf(cell->check_msg, sizeof cell->check_msg, "%s%s%.200s", what, why ? ": " : "",
             why ? why : "");
    if (!cell->run_stop[0])
        cell->run_stop[0] = BENCH_STOP_FAILED;
}

/*
 * The stopping rule, after a measured round of cell c: a failed cell stops;
 * otherwise it stops at max_rounds, or from min_rounds on as soon as the
 * half-width of its 95% CI is within ci_target of its median.
 */
static void apply_rule(const bench_experiment *e, bench_cell *c, const cellrt *rt)
{
    if (c->run_stop[0])
        return;
    unsigned n = c->run_rounds[0];
    if (rt->dead || !c->check_ok)
        c->run_stop[0] = BENCH_STOP_FAILED;
    else if (n >= e->max_rounds)
        c->run_stop[0] = BENCH_STOP_MAX;
    else if (n >= e->min_rounds && e->ci_target > 0 &&
             bench_ci_within(c->times_ns + (c->nrounds - n), n, e->ci_target))
        c->run_stop[0] = BENCH_STOP_CI;
}

/* The companion of `mode`, opened on first use; NULL when it cannot be
 * (why in S->company_err[mode]). */
static bench_companion *companion_of(bench_session *S, int mode)
{
    if (!S->company[mode] && !S->company_err[mode][0]) {
        char err[256];
        S->company[mode] = bench_companion_open(S->r, mode, err, sizeof err);
        if (!S->company[mode])
            snprintf(S->company_err[mode], sizeof S->company_err[mode], "company %s: %.200s",
                     bench_company_names[mode], err);
    }
    return S->company[mode];
}

/*
 * The reference of a company round: the cell alone, then its companion
 * alone, one after the other, each with its result checks; their times'
 * sum in *alone. 0, or -1 with the cell failed.
 */
static int company_alone(bench_session *S, size_t ci, bench_companion *comp,
                         const bench_exec *ex, uint64_t *alone)
{
    bench_cell *cell = &S->r->cells[ci];
    cellrt *rt = &S->rt[ci];
    const tpool_bench_workload *w = S->exp->workloads[cell->wl].wl;
    const uint64_t cool = (uint64_t)S->exp->cooldown_us * 1000;
    char msg[256] = "";
    bench_quiesce(cool);
    if (w->prepare)
        w->prepare(rt->state, &ex->pub);
    bench_rec_reset(0, 0, 0);
    uint64_t t0 = bench_now_ns();
    int rc = bench_exec_run(ex, w, rt->state);
    uint64_t t1 = bench_now_ns();
    if (rc != 0) {
        fail_cell(cell, rt, "run failed",
                  rc < 0 && rc >= TPOOL_ERANGE ? tpool_strerror(rc) : "not supported");
        return -1;
    }
    cell->items = w->items ? w->items(rt->state, &ex->pub) : bench_rec_dispatched();
    if (bench_rec_check_dispatched(msg, sizeof msg) != 0 ||
        (w->check && w->check(rt->state, &ex->pub, msg, sizeof msg) != 0)) {
        fail_cell(cell, rt, "alone", msg[0] ? msg : "the workload's check failed");
        return -1;
    }
    uint64_t cns = 0;
    if (bench_companion_prepare(comp, ci, cool, msg, sizeof msg) != 0) {
        fail_cell(cell, rt, msg, NULL);
        return -1;
    }
    bench_quiesce(cool);
    bench_rec_reset(0, 0, 0);
    if (bench_companion_start(comp) != 0 ||
        bench_companion_wait(comp, &cns, msg, sizeof msg) != 0) {
        fail_cell(cell, rt, "companion alone", msg[0] ? msg : "it stopped answering");
        return -1;
    }
    if (bench_rec_check_dispatched(msg, sizeof msg) != 0) {
        fail_cell(cell, rt, "companion alone", msg);
        return -1;
    }
    *alone = (t1 - t0) + cns;
    return 0;
}

/* One run of one cell: `measured` keeps its figures; `final` is the last
 * (traced, probed) run. */
static void run_cell(bench_session *S, size_t ci, int measured, int final)
{
    bench_report *R = S->r;
    bench_cell *cell = &R->cells[ci];
    cellrt *rt = &S->rt[ci];
    if (rt->dead)
        return;
    const bench_wl_inst *wi = &S->exp->workloads[cell->wl];
    const tpool_bench_workload *w = wi->wl;
    int tracing = final && S->trace != NULL;
    bench_exec ex = rt->ex;
    ex.trace = tracing;
    bench_exec_init(&ex, R->exes[cell->exe].label);
    if (rt->on_pool && *rt->on_pool != cell->exe) {
        /* A shared pool: switch it to this cell's policy (not timed). */
        const bench_executor *x = &R->exes[cell->exe];
        tpool_error e;
        tpool_error_clear(&e);
        if (tpool_set_policy(ex.pool, x->path[0] ? x->path : x->policy, x->params_json,
                             &e) != 0) {
            fail_cell(cell, rt, "policy switch failed", e.text);
            return;
        }
        *rt->on_pool = cell->exe;
    }
    if (measured && bench_cell_reserve(cell, 1) != 0) {
        fail_cell(cell, rt, "out of memory for the rounds' figures", NULL);
        return;
    }

    const int co = R->exes[cell->exe].company;
    bench_companion *comp = NULL;
    uint64_t alone = 0;
    char cerr[256];
    if (co) {
        if (!(comp = companion_of(S, co))) {
            fail_cell(cell, rt, S->company_err[co], NULL);
            return;
        }
        if (measured && company_alone(S, ci, comp, &ex, &alone) != 0)
            return;
        if (bench_companion_prepare(comp, ci, (uint64_t)S->exp->cooldown_us * 1000, cerr,
                                    sizeof cerr) != 0) {
            fail_cell(cell, rt, cerr, NULL);
            return;
        }
    }
    bench_quiesce((uint64_t)S->exp->cooldown_us * 1000);
    if (w->prepare)
        w->prepare(rt->state, &ex.pub);
    if (bench_rec_reset(tracing, cell->threads + 2, S->trace_cap) != 0)
        tracing = 0;

    tpool_stats s0, s1;
    int have_stats = ex.kind == BENCH_EX_TPOOL && tpool_stats_get(ex.pool, &s0) == 0;
    uint64_t t0 = bench_now_ns();
    int co_rc = comp ? bench_companion_start(comp) : 0;
    int rc = bench_exec_run(&ex, w, rt->state);
    uint64_t co_ns = 0;
    if (comp && co_rc == 0)
        co_rc = bench_companion_wait(comp, &co_ns, cerr, sizeof cerr);
    else if (co_rc != 0)
        snprintf(cerr, sizeof cerr, "the company process stopped answering");
    uint64_t t1 = bench_now_ns();
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
        fail_cell(cell, rt, "run failed",
                  rc < 0 && rc >= TPOOL_ERANGE ? tpool_strerror(rc) : "not supported");
        return;
    }
    /* A company cell's items are its own run's, counted when it ran alone
     * (the recorder holds the in-process companion's too). */
    if (!co)
        cell->items = w->items ? w->items(rt->state, &ex.pub) : bench_rec_dispatched();
    /* the harness's check (everything handed out ran once, the companion's
     * too when it shares this process's recorder), then the workload's own,
     * then the companion's own */
    char msg[256] = "";
    int bad = bench_rec_check_dispatched(msg, sizeof msg) != 0 ||
              (w->check && w->check(rt->state, &ex.pub, msg, sizeof msg) != 0);
    if (!bad && co_rc != 0) {
        snprintf(msg, sizeof msg, "%s", cerr);
        bad = 1;
    }
    if (bad && cell->check_ok) {
        cell->check_ok = 0;
        snprintf(cell->check_msg, sizeof cell->check_msg, "%s",
                 msg[0] ? msg : "the workload's check failed without a message");
    }
    uint64_t ovf = atomic_load_explicit(&bench_g_rec.overflow, memory_order_relaxed);
    if (ovf > cell->overflow)
        cell->overflow = ovf;

    if (measured) {
        unsigned k = cell->nrounds++;
        cell->run_rounds[0]++;
        cell->times_ns[k] = t1 - t0;
        cell->alone_ns[k] = alone;
        bench_latency *l = &cell->lat[k];
        memset(l, 0, sizeof *l);
        for (unsigned m = 0; m < TPOOL_BENCH_MAX_METRICS; m++)
            l->custom[m] = NAN;
        if (w->nmetrics)
            w->metrics_read(rt->state, &ex.pub, l->custom);
        if ((bench_cell_record_round(cell, k) != 0 || bench_tasks_figures(l) != 0) &&
            cell->check_ok) {
            cell->check_ok = 0;
            snprintf(cell->check_msg, sizeof cell->check_msg, "out of memory");
        }
        if (nws && cell->ws)
            bench_wstats_add(cell->ws, delta, nws <= cell->nworkers ? nws : cell->nworkers + 1);
        apply_rule(S->exp, cell, rt);
    }
    if (tracing) {
        char name[256];
        snprintf(name, sizeof name, "%s | %s | T=%u", wi->label, R->exes[cell->exe].label,
                 cell->threads);
        bench_trace_add_run(S->trace, name, t0, t1, nws ? delta : NULL, nws,
                            (const char (*)[32])cell->policy_names, cell->npolicy);
    }
    if (final && S->exp->idle_probe_ms) {
        /* No cool-down here: this is the window right after a dispatch. */
        uint64_t win = (uint64_t)S->exp->idle_probe_ms * 1000000u;
        uint64_t c0 = cpu_ns(), w0 = bench_now_ns();
        bench_sleep_ns(win);
        uint64_t c1 = cpu_ns(), w1 = bench_now_ns();
        cell->idle_cpu_ns = (double)(c1 - c0);
        cell->idle_probe_ns = (double)(w1 - w0);
    }
}

/* ---- the session ------------------------------------------------------------------------ */

bench_session *bench_session_open(bench_report *r, unsigned run, const char *trace,
                                  unsigned trace_cap, bench_cell_hook hook, void *ud)
{
    const bench_experiment *exp = r->exp;
    bench_session *S = calloc(1, sizeof *S);
    if (!S) {
        fprintf(stderr, "tpool-bench: out of memory\n");
        return NULL;
    }
    S->r = r;
    S->exp = exp;
    S->run = run;
    S->trace_cap = trace_cap;
    S->hook = hook;
    S->ud = ud;
    /* a different order in every run, the same for a given seed and run */
    S->rng = exp->seed ^ 0xA0761D6478BD642Fu ^ ((uint64_t)run * 0x9E3779B97F4A7C15u);
    double spin = bench_calibrate();
    if (!r->meta.spin_iters_per_ns)
        r->meta.spin_iters_per_ns = spin;
    r->run_spin[0] = spin;
    /* the recorder's prices in this process, measured before any cell runs */
    r->run_rec[0] = r->rec_costs = *bench_rec_calibrate();

    int failed = 0;
    S->states = calloc(exp->nworkloads ? exp->nworkloads : 1, sizeof *S->states);
    S->rt = calloc(r->ncells ? r->ncells : 1, sizeof *S->rt);
    S->order = malloc((r->ncells ? r->ncells : 1) * sizeof *S->order);
    pools *P = &S->P;
    P->threads = r->threads;
    P->nthreads = r->nthreads;
    P->pool = calloc(r->nexes * P->nthreads, sizeof *P->pool);
    P->on_pool = calloc(P->nthreads, sizeof *P->on_pool);
    P->ptp = calloc(P->nthreads, sizeof *P->ptp);
    P->tbb = calloc(P->nthreads, sizeof *P->tbb);
    if (!S->states || !S->rt || !S->order || !P->pool || !P->on_pool || !P->ptp || !P->tbb) {
        fprintf(stderr, "tpool-bench: out of memory\n");
        failed = 1;
    }

    /* workload setup (computes every expected result once) */
    unsigned max_threads = 1;
    for (size_t i = 0; i < r->nthreads; i++)
        if (r->threads[i] > max_threads)
            max_threads = r->threads[i];
    for (size_t i = 0; i < exp->nworkloads && !failed; i++) {
        char err[512];
        const bench_wl_inst *wi = &exp->workloads[i];
        if (bench_wl_setup(wi, exp->seed, max_threads, &S->states[i], err, sizeof err) != 0) {
            fprintf(stderr, "tpool-bench: workload %s: setup failed: %s\n", wi->label, err);
            failed = 1;
        }
    }
    for (size_t ci = 0; !failed && ci < r->ncells; ci++) {
        const bench_cell *cell = &r->cells[ci];
        const bench_executor *x = &r->exes[cell->exe];
        S->rt[ci].state = S->states[cell->wl];
        S->rt[ci].ex.kind = x->kind;
        S->rt[ci].ex.threads = cell->threads;
        S->rt[ci].ex.omp_sched = x->omp_sched;
        S->rt[ci].ex.omp_chunk = x->omp_chunk;
        S->rt[ci].ex.tbb_mode = x->tbb_mode;
        S->rt[ci].ex.tbb_grain = x->tbb_grain;
    }

    /* executors' pools */
    char why[512] = "";
    for (size_t xi = 0; !failed && xi < r->nexes; xi++)
        if (r->exes[xi].kind == BENCH_EX_PTP && !P->have_api &&
            bench_ptp_load(&P->api, why, sizeof why) == 0)
            P->have_api = 1;
    for (size_t ci = 0; !failed && ci < r->ncells; ci++) {
        bench_cell *cell = &r->cells[ci];
        cellrt *rt = &S->rt[ci];
        const bench_executor *x = &r->exes[cell->exe];
        size_t ti = thread_index(P, cell->threads);
        if (x->kind == BENCH_EX_TPOOL) {
            tpool **pp = &P->pool[(exp->policy_switch ? 0 : cell->exe) * P->nthreads + ti];
            if (exp->policy_switch) {
                rt->on_pool = &P->on_pool[ti];
                if (!*pp)
                    P->on_pool[ti] = cell->exe; /* created with this cell's policy */
            }
            if (!*pp && !rt->dead) {
                char err[768];
                if (bench_pool_create(x, cell->threads, exp->spin_us, pp, err, sizeof err)) {
                    fprintf(stderr, "tpool-bench: policy %s at %u threads: %s\n", x->label,
                            cell->threads, err);
                    /* every cell of this pool fails the same way */
                    for (size_t cj = ci; cj < r->ncells; cj++)
                        if (r->cells[cj].exe == cell->exe &&
                            r->cells[cj].threads == cell->threads)
                            fail_cell(&r->cells[cj], &S->rt[cj], "pool creation failed", err);
                    continue;
                }
            }
            rt->ex.pool = *pp;
        } else if (x->kind == BENCH_EX_PTP) {
            if (!P->have_api) {
                fail_cell(cell, rt, why, NULL);
                continue;
            }
            if (!P->ptp[ti])
                P->ptp[ti] = P->api.create(cell->threads);
            rt->ex.ptp = &P->api;
            rt->ex.ptp_pool = P->ptp[ti];
            if (!P->ptp[ti])
                fail_cell(cell, rt, "pthreadpool_create failed", NULL);
        } else if (x->kind == BENCH_EX_TBB) {
            if (!P->tbb[ti])
                P->tbb[ti] = bench_tbb_create(cell->threads);
            rt->ex.tbb = P->tbb[ti];
            if (!P->tbb[ti])
                fail_cell(cell, rt, "making a oneTBB task_arena failed", NULL);
        }
    }
    if (!failed && trace) {
        snprintf(S->trace_path, sizeof S->trace_path, "%s", trace);
        if (bench_out_tmpname(trace, S->trace_tmp, sizeof S->trace_tmp) != 0)
            failed = 1;
        else if (!(S->trace = bench_trace_open(S->trace_tmp))) {
            unlink(S->trace_tmp);
            failed = 1;
        }
    }
    if (failed) {
        bench_session_close(S);
        return NULL;
    }
    return S;
}

/* Fisher-Yates over splitmix64: the cells of `order[0..n)` shuffled. */
static void shuffle(bench_session *S, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(bench_rand(&S->rng) % i);
        size_t tmp = S->order[i - 1];
        S->order[i - 1] = S->order[j];
        S->order[j] = tmp;
    }
}

/* One round: the n cells of order[] once each, in a shuffled order. 0, or
 * -1 when a stop was requested (after the cell in progress). */
static int run_round(bench_session *S, size_t n, int measured)
{
    shuffle(S, n);
    for (size_t k = 0; k < n; k++) {
        if (bench_stop_requested())
            return -1;
        if (S->hook)
            S->hook(S->ud, S->r, S->order[k], !measured);
        run_cell(S, S->order[k], measured, 0);
    }
    return 0;
}

int bench_session_warmup(bench_session *S)
{
    for (unsigned round = 0; round < S->exp->warmup; round++) {
        size_t n = 0;
        for (size_t i = 0; i < S->r->ncells; i++)
            if (!S->rt[i].dead)
                S->order[n++] = i;
        if (run_round(S, n, 0) != 0)
            return -1;
    }
    return 0;
}

int bench_session_round(bench_session *S)
{
    size_t n = 0;
    for (size_t i = 0; i < S->r->ncells; i++) {
        bench_cell *c = &S->r->cells[i];
        if (!c->run_stop[0] && (S->rt[i].dead || !c->check_ok))
            c->run_stop[0] = BENCH_STOP_FAILED;
        if (!c->run_stop[0])
            S->order[n++] = i;
    }
    if (run_round(S, n, 1) != 0)
        return -1;
    S->rounds++;
    int left = 0;
    for (size_t i = 0; i < S->r->ncells; i++)
        left += S->r->cells[i].run_stop[0] == BENCH_STOP_NONE;
    return left;
}

void bench_session_stop(bench_session *S, int why)
{
    for (size_t i = 0; i < S->r->ncells; i++)
        if (!S->r->cells[i].run_stop[0])
            S->r->cells[i].run_stop[0] = (unsigned char)why;
}

unsigned bench_session_rounds(const bench_session *S)
{
    return S->rounds;
}

int bench_session_final(bench_session *S)
{
    if (!S->exp->idle_probe_ms && !S->trace)
        return 0;
    for (size_t ci = 0; ci < S->r->ncells; ci++) {
        if (bench_stop_requested())
            return -1;
        if (S->hook)
            S->hook(S->ud, S->r, ci, 0);
        run_cell(S, ci, 0, 1);
    }
    S->final_done = 1;
    return 0;
}

int bench_session_close(bench_session *S)
{
    if (!S)
        return 0;
    int rc = 0;
    if (S->trace) {
        /* a trace without its traced runs would only mislead */
        if (bench_trace_close(S->trace, &S->r->meta) != 0) {
            rc = -1;
            unlink(S->trace_tmp);
        } else if (!S->final_done) {
            fprintf(stderr, "tpool-bench: no trace written: stopped before the traced runs\n");
            unlink(S->trace_tmp);
        } else if (rename(S->trace_tmp, S->trace_path) != 0) {
            fprintf(stderr, "tpool-bench: cannot write %s: %s\n", S->trace_path,
                    strerror(errno));
            unlink(S->trace_tmp);
            rc = -1;
        }
    }
    for (int m = 0; m < BENCH_NCOMPANY; m++)
        bench_companion_close(S->company[m]);
    pools *P = &S->P;
    for (size_t i = 0; P->pool && i < S->r->nexes * P->nthreads; i++)
        if (P->pool[i])
            tpool_destroy(P->pool[i]);
    for (size_t i = 0; P->ptp && i < P->nthreads; i++)
        if (P->ptp[i])
            P->api.destroy(P->ptp[i]);
    if (P->have_api)
        bench_ptp_unload(&P->api);
    for (size_t i = 0; P->tbb && i < P->nthreads; i++)
        bench_tbb_destroy(P->tbb[i]);
    free(P->pool);
    free(P->on_pool);
    free(P->ptp);
    free(P->tbb);
    for (size_t i = 0; S->states && i < S->exp->nworkloads; i++)
        if (S->states[i])
            S->exp->workloads[i].wl->teardown(S->states[i]);
    free(S->states);
    free(S->rt);
    free(S->order);
    bench_rec_free();
    free(S);
    return rc;
}

void bench_report_free(bench_report *r)
{
    for (size_t i = 0; i < r->ncells; i++) {
        free(r->cells[i].times_ns);
        free(r->cells[i].imbalance);
        free(r->cells[i].lat);
        free(r->cells[i].alone_ns);
        free(r->cells[i].ws);
        free(r->cells[i].part_share);
    }
    free(r->cells);
    for (size_t i = 0; i < r->nexes; i++)
        free(r->exes[i].params_json);
    free(r->exes);
    free(r->threads);
    free(r->resolved);
    bench_policies_free(r->policies, r->npolicies);
    memset(r, 0, sizeof *r);
}
