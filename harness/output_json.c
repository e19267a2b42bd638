/*
 * output_json.c - the complete results: metadata, the resolved experiment,
 * the policies and baselines, and every cell with its raw times, summaries,
 * latencies and per-worker pool statistics. harness/schema.json describes
 * the document; a figure that does not apply is null.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench.h"
#include "output.h"
#include "params.h"
#include "stats.h"

static json_t *real(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static void set_real(json_t *o, const char *key, double v)
{
    json_object_set_new(o, key, real(v));
}

static void set_str(json_t *o, const char *key, const char *s)
{
    json_object_set_new(o, key, json_string(s));
}

/* null for an empty string */
static void set_str_or_null(json_t *o, const char *key, const char *s)
{
    json_object_set_new(o, key, s[0] ? json_string(s) : json_null());
}

/* The quantiles of a latency distribution. */
static void set_quantiles(json_t *o, double p50, double p90, double p99, double max)
{
    set_real(o, "p50", p50);
    set_real(o, "p90", p90);
    set_real(o, "p99", p99);
    set_real(o, "max", max);
}

/* The recorder's prices: ns per callback, per task, per clock read. */
static void set_rec_costs(json_t *o, const bench_rec_costs *k)
{
    set_real(o, "cost_ns_per_callback", k->per_call);
    set_real(o, "cost_ns_per_task", k->per_task);
    set_real(o, "cost_ns_per_clock_read", k->per_clock);
}

static json_t *meta_json(const bench_report *r)
{
    const bench_meta *m = &r->meta;
    json_t *o = json_object();
    set_str(o, "cpu_model", m->cpu_model);
    json_object_set_new(o, "nproc", json_integer(m->nproc));
    json_object_set_new(o, "default_threads", json_integer(m->default_threads));
    set_str(o, "kernel", m->kernel);
    set_str(o, "compiler", m->compiler);
    set_str(o, "git_revision", m->git_rev);
    set_str(o, "tpool_version", m->tpool_version);
    set_str(o, "date", m->date);
    set_str(o, "build_cflags", m->build_cflags);
    set_str_or_null(o, "openmp", m->openmp);
    set_str_or_null(o, "system_pthreadpool", m->pthreadpool);
    set_real(o, "spin_iters_per_ns", m->spin_iters_per_ns);
    set_str(o, "command", m->command);
    set_str(o, "experiment_source", m->experiment_source);
    set_real(o, "wall_s", m->wall_s);
    json_t *libs = json_array();
    for (unsigned i = 0; i < m->nlibs; i++) {
        const bench_lib *l = &m->libs[i];
        json_t *x = json_object();
        set_str(x, "name", l->name);
        set_str_or_null(x, "version", l->version);
        set_str_or_null(x, "path", l->path);
        set_str_or_null(x, "package", l->package);
        json_array_append_new(libs, x);
    }
    json_object_set_new(o, "libraries", libs);
    json_t *env = json_object();
    for (unsigned i = 0; i < m->nenv; i++) {
        char name[256];
        snprintf(name, sizeof name, "%s", m->env[i]);
        char *eq = strchr(name, '=');
        if (!eq)
            continue;
        *eq = '\0';
        set_str(env, name, eq + 1);
    }
    json_object_set_new(o, "environment", env);
    json_object_set_new(o, "incomplete", json_boolean(r->incomplete));
    json_object_set_new(o, "incomplete_reason",
                        r->incomplete ? json_string(r->incomplete_why) : json_null());
    json_object_set_new(o, "runs", json_integer(r->nruns ? r->nruns : 1));
    json_t *sp = json_array();
    for (unsigned k = 0; k < (r->nruns ? r->nruns : 1); k++)
        json_array_append_new(sp, real(r->run_spin[k] ? r->run_spin[k] : NAN));
    json_object_set_new(o, "run_spin_iters_per_ns", sp);
    json_t *rc = json_array();
    for (unsigned k = 0; k < (r->nruns ? r->nruns : 1); k++) {
        json_t *x = json_object();
        set_rec_costs(x, &r->run_rec[k]);
        json_array_append_new(rc, x);
    }
    json_object_set_new(o, "run_recorder_costs", rc);
    return o;
}

static json_t *summary_json(const bench_summary *s)
{
    json_t *o = json_object();
    set_real(o, "median", s->median);
    set_real(o, "ci_low", s->ci_lo);
    set_real(o, "ci_high", s->ci_hi);
    set_real(o, "ci_level", s->ci_level);
    set_real(o, "min", s->min);
    set_real(o, "max", s->max);
    set_real(o, "mean", s->mean);
    set_real(o, "stddev", s->stddev);
    return o;
}

static json_t *latency_json(const bench_latency *l)
{
    if (!l->valid)
        return json_null();
    json_t *o = json_object();
    set_quantiles(o, l->p50, l->p90, l->p99, l->max);
    if (l->has_prio) {
        json_t *h = json_object();
        set_quantiles(h, l->hi_p50, l->hi_p90, l->hi_p99, l->hi_max);
        json_object_set_new(o, "high", h);
        set_real(o, "low_max_wait", l->lo_max);
    } else {
        json_object_set_new(o, "high", json_null());
        json_object_set_new(o, "low_max_wait", json_null());
    }
    return o;
}

/* Flow time (submission to end) and slowdown (flow time over the task's
 * own run time) of the stamped tasks, and their deadlines. */
static json_t *flow_json(const bench_latency *l)
{
    if (!l->valid)
        return json_null();
    json_t *o = json_object();
    set_real(o, "mean", l->flow_mean);
    set_real(o, "p50", l->flow_p50);
    set_real(o, "p99", l->flow_p99);
    set_real(o, "max", l->flow_max);
    return o;
}

static json_t *slowdown_json(const bench_latency *l)
{
    if (!l->valid)
        return json_null();
    json_t *o = json_object();
    set_real(o, "mean", l->slow_mean);
    set_real(o, "p99", l->slow_p99);
    return o;
}

static json_t *deadlines_json(const bench_latency *l)
{
    if (!l->valid || isnan(l->dl_tasks))
        return json_null();
    json_t *o = json_object();
    set_real(o, "tasks_per_run", l->dl_tasks);
    set_real(o, "missed_share", l->dl_missed);
    return o;
}

/* The workload's own metrics: name -> {value (median over the rounds), unit}. */
static json_t *metrics_json(const tpool_bench_workload *w, const bench_latency *l)
{
    json_t *o = json_object();
    for (unsigned k = 0; k < w->nmetrics && k < TPOOL_BENCH_MAX_METRICS; k++) {
        json_t *x = json_object();
        set_real(x, "value", l->custom[k]);
        set_str(x, "unit", w->metrics[k].unit);
        json_object_set_new(o, w->metrics[k].name, x);
    }
    return o;
}

static json_t *workers_json(const bench_cell *c)
{
    if (!c->ws || c->nrounds == 0)
        return json_null();
    json_t *a = json_array();
    double n = c->nrounds;
    for (unsigned w = 0; w <= c->nworkers; w++) {
        const bench_wstats *s = &c->ws[w];
        json_t *o = json_object();
        json_object_set_new(o, "worker", w < c->nworkers ? json_integer(w)
                                                         : json_string("outside"));
        set_real(o, "tasks_run", (double)s->tasks_run / n);
        set_real(o, "items_run", (double)s->items_run / n);
        set_real(o, "busy_ns", (double)s->busy_ns / n);
        set_real(o, "idle_ns", (double)s->idle_ns / n);
        set_real(o, "parks", (double)s->parks / n);
        set_real(o, "wakes", (double)s->wakes / n);
        json_t *p = json_object();
        for (unsigned k = 0; k < c->npolicy && k < TPOOL_STAT_POLICY_MAX; k++)
            json_object_set_new(p, c->policy_names[k], real((double)s->policy[k] / n));
        json_object_set_new(o, "policy", p);
        json_array_append_new(a, o);
    }
    return a;
}

/* ---- what the recorder saw (workload.c), and how a baseline ran ---- */

/* The recorder's own cost per run: its calls and the latency stamps, each
 * at the calibrated price (the runs' mean), and that as a share of the
 * cell's CPU time. */
static json_t *instrumentation_json(const bench_rec_figures *f, const bench_rec_costs *k)
{
    json_t *o = json_object();
    set_real(o, "callbacks_per_run", f->calls);
    set_real(o, "tasks_per_run", f->tasks);
    set_real(o, "clock_reads_per_run", f->clock_reads);
    set_rec_costs(o, k);
    set_real(o, "cost_ns_per_run", f->cost_ns);
    set_real(o, "share", f->cost_share);
    return o;
}

/* Who ran the work: the most participants that ran something in a round,
 * and each one's share of the work, busiest first, averaged over the
 * rounds of every run (for every executor: the recorder counts every
 * participant). */
static json_t *participants_json(const bench_cell *c)
{
    if (!c->part_share || c->nrounds == 0)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer(c->nparts));
    json_t *a = json_array();
    for (unsigned k = 0; k < c->nparts && k < BENCH_MAX_SLOTS; k++)
        json_array_append_new(a, real(c->part_share[k] / c->nrounds));
    json_object_set_new(o, "work_share", a);
    return o;
}

/* A baseline's setup and the tpool cell it is compared with; null for
 * tpool and the serial loop. */
static json_t *baseline_json(const bench_report *r, const bench_cell *c)
{
    const bench_executor *x = &r->exes[c->exe];
    char setup[192];
    bench_baseline_setup(x, &r->exp->workloads[c->wl], setup, sizeof setup);
    if (!setup[0])
        return json_null();
    json_t *o = json_object();
    set_str(o, "setup", setup);
    set_str(o, "compare_with", x->peer);
    return o;
}

/* ---- end of what the recorder saw, and how a baseline ran ---- */

/* A company cell: what ran beside it, the reference of each round (the
 * cell alone plus its companion alone, ns) and the ratio of the pair's
 * makespan to it; null for other cells. */
static json_t *company_json(const bench_report *r, const bench_cell *c)
{
    const bench_executor *x = &r->exes[c->exe];
    if (!x->company)
        return json_null();
    json_t *o = json_object();
    set_str(o, "mode", bench_company_names[x->company]);
    json_t *a = json_array();
    for (unsigned k = 0; c->alone_ns && k < c->nrounds; k++)
        json_array_append_new(a, json_integer((json_int_t)c->alone_ns[k]));
    json_object_set_new(o, "alone_ns_per_round", a);
    json_object_set_new(o, "alone_ns", summary_json(&c->alone));
    json_object_set_new(o, "makespan_over_alone", summary_json(&c->co_ratio));
    set_str(o, "ci_method", c->nruns > 1 ? "bootstrap_runs_rounds" : "order_statistics");
    return o;
}

/* Each run of a cell: its rounds (a slice of times_ns_per_run, in order),
 * why it stopped and its own median and CI. */
static json_t *runs_json(const bench_cell *c)
{
    json_t *a = json_array();
    unsigned nruns = c->nruns ? c->nruns : 1;
    size_t at = 0;
    for (unsigned k = 0; k < nruns; k++) {
        const bench_summary *t = &c->run_t[k];
        unsigned n = c->nruns ? c->run_rounds[k] : c->nrounds;
        /* the rounds of this run beyond Tukey's outer fences, by index */
        json_t *out = json_array();
        double *v = malloc((n ? n : 1) * sizeof *v);
        unsigned char *flag = malloc(n ? n : 1);
        for (unsigned i = 0; v && flag && i < n; i++)
            v[i] = (double)c->times_ns[at + i];
        if (v && flag && bench_outliers(v, n, flag))
            for (unsigned i = 0; i < n; i++)
                if (flag[i])
                    json_array_append_new(out, json_integer(i));
        free(v);
        free(flag);
        at += n;
        json_t *o = json_object();
        json_object_set_new(o, "run", json_integer(k + 1));
        json_object_set_new(o, "rounds", json_integer(c->nruns ? c->run_rounds[k] : c->nrounds));
        set_str(o, "stop", bench_stop_name(c->run_stop[k]));
        set_real(o, "median_ns_per_run", t->median);
        set_real(o, "ci_low_ns_per_run", t->ci_lo);
        set_real(o, "ci_high_ns_per_run", t->ci_hi);
        set_real(o, "ci_level", t->ci_level);
        json_object_set_new(o, "outliers", out);
        json_array_append_new(a, o);
    }
    return a;
}

/* Every field that holds a quantity says its unit (docs/harness.md,
 * "Units"): _per_run is one whole run of the workload, _per_call one
 * parallel-for call, _per_item one item, task_ a figure over tasks. */
static json_t *cell_json(const bench_report *r, const bench_cell *c)
{
    json_t *o = json_object();
    const bench_wl_inst *wi = &r->exp->workloads[c->wl];
    set_str(o, "workload", wi->label);
    set_str(o, "executor", r->exes[c->exe].label);
    json_object_set_new(o, "threads", json_integer(c->threads));
    json_object_set_new(o, "items_per_run", json_integer((json_int_t)c->items));
    set_real(o, "calls_per_run", c->calls);
    json_object_set_new(o, "rounds", json_integer(c->nrounds));
    json_object_set_new(o, "runs", runs_json(c));
    json_t *t = json_array();
    for (unsigned k = 0; k < c->nrounds; k++)
        json_array_append_new(t, json_integer((json_int_t)c->times_ns[k]));
    json_object_set_new(o, "times_ns_per_run", t);
    json_object_set_new(o, "time_ns_per_run", summary_json(&c->t));
    set_str(o, "ci_method", isnan(c->runs_ci_lo) ? "order_statistics" : "bootstrap_runs_rounds");
    set_real(o, "within_run_ci_halfwidth", c->within_rel);
    set_real(o, "between_runs_spread", c->between_rel);
    json_object_set_new(o, "time_ns_per_call",
                        isnan(c->calls) ? json_null() : summary_json(&c->t_call));
    set_real(o, "time_ns_per_item", c->ns_per_item);
    set_real(o, "throughput_items_per_s", c->throughput);
    set_real(o, "speedup_vs_serial", c->speedup_serial);
    set_real(o, "speedup_vs_1thread", c->speedup_1t);
    set_real(o, "efficiency", c->efficiency);
    set_real(o, "imbalance", c->imbalance_med);
    json_object_set_new(o, "imbalance_source",
                        c->imbalance_src ? json_string(c->imbalance_src) : json_null());
    json_object_set_new(o, "task_latency_ns", latency_json(&c->lat_med));
    json_object_set_new(o, "task_flow_ns", flow_json(&c->lat_med));
    json_object_set_new(o, "task_slowdown", slowdown_json(&c->lat_med));
    json_object_set_new(o, "task_deadlines", deadlines_json(&c->lat_med));
    json_object_set_new(o, "metrics", metrics_json(wi->wl, &c->lat_med));
    if (isnan(c->idle_cpu_ns)) {
        json_object_set_new(o, "idle_cpu", json_null());
    } else {
        json_t *i = json_object();
        set_real(i, "cpu_ns", c->idle_cpu_ns);
        set_real(i, "window_ns", c->idle_probe_ns);
        json_object_set_new(o, "idle_cpu", i);
    }
    json_object_set_new(o, "workers_per_run", workers_json(c));
    json_t *ck = json_object();
    json_object_set_new(ck, "ok", json_boolean(c->check_ok));
    set_str(ck, "message", c->check_ok ? "" : c->check_msg);
    json_object_set_new(o, "check", ck);
    json_object_set_new(o, "unrecorded_callbacks", json_integer((json_int_t)c->overflow));
    /* what the recorder saw, and how a baseline ran */
    bench_rec_figures rf;
    bench_cell_rec_figures(c, &r->rec_costs, &rf);
    json_object_set_new(o, "instrumentation", instrumentation_json(&rf, &r->rec_costs));
    json_object_set_new(o, "participants", participants_json(c));
    set_real(o, "producer_share", rf.producer_share);
    json_object_set_new(o, "baseline", baseline_json(r, c));
    json_object_set_new(o, "company", company_json(r, c));
    json_t *w = json_array();
    char flags[128];
    bench_cell_flags(c, flags, sizeof flags);
    for (char *save = NULL, *f = strtok_r(flags, " ", &save); f; f = strtok_r(NULL, " ", &save))
        json_array_append_new(w, json_string(f));
    json_object_set_new(o, "warnings", w);
    return o;
}

static json_t *machine_json(const bench_machine *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "cpus", json_integer(m->ncpu));
    set_str(o, "affinity", m->affinity);
    json_object_set_new(o, "affinity_cpus", json_integer(m->affinity_cpus));
    set_str_or_null(o, "governors", m->governors);
    set_real(o, "cpu_mhz", m->cpu_mhz);
    set_real(o, "cpu_max_mhz", m->cpu_max_mhz);
    json_t *l = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(l, real(m->load_before[i]));
    json_object_set_new(o, "load_before", l);
    set_real(o, "load_max_during", m->load_max);
    set_real(o, "others_before", m->others_before);
    set_real(o, "others_during", m->others_cap > 0 ? m->others_busy / m->others_cap : NAN);
    set_real(o, "others_max_round", m->others_max);
    json_object_set_new(o, "samples", json_integer(m->nsamples));
    return o;
}

static json_t *report_json(const bench_report *r)
{
    json_t *root = json_object();
    set_str(root, "schema", BENCH_SCHEMA);
    json_object_set_new(root, "meta", meta_json(r));
    /* the experiment as it ran: concrete threads, the policies run */
    char *ex = r->resolved ? NULL : bench_experiment_to_json(r->exp);
    json_t *exj = json_loads(r->resolved ? r->resolved : ex ? ex : "null", JSON_DECODE_ANY,
                             NULL);
    free(ex);
    json_object_set_new(root, "experiment", exj ? exj : json_null());

    /* the policies that ran, one per executor: where each came from and
     * with which parameters */
    json_t *pol = json_array();
    for (size_t i = 0; i < r->nexes; i++) {
        const bench_executor *x = &r->exes[i];
        if (x->kind != BENCH_EX_TPOOL)
            continue;
        const bench_policy_desc *d =
            x->desc >= 0 && (size_t)x->desc < r->npolicies ? &r->policies[x->desc] : NULL;
        json_t *o = json_object();
        set_str(o, "label", x->label);
        set_str(o, "policy", x->policy);
        set_str_or_null(o, "name", d ? d->name : "");
        set_str(o, "path", x->path);
        set_str_or_null(o, "description", d ? d->description : "");
        json_t *given = x->params_json ? json_loads(x->params_json, 0, NULL) : NULL;
        json_object_set_new(o, "params", given ? given : json_null());
        json_t *pa = d && d->params_json ? json_loads(d->params_json, 0, NULL) : NULL;
        json_object_set_new(o, "parameters", pa ? pa : json_array());
        json_array_append_new(pol, o);
    }
    json_object_set_new(root, "policies", pol);

    json_t *base = json_array();
    for (int i = 0; i < BENCH_NBASE; i++) {
        json_t *o = json_object();
        set_str(o, "name", r->base[i].name);
        json_object_set_new(o, "requested", json_boolean(r->base[i].requested));
        json_object_set_new(o, "available", json_boolean(r->base[i].available));
        set_str(o, "reason", r->base[i].reason);
        json_array_append_new(base, o);
    }
    json_object_set_new(root, "baselines", base);

    json_t *exes = json_array();
    for (size_t i = 0; i < r->nexes; i++) {
        const bench_executor *x = &r->exes[i];
        json_t *o = json_object();
        set_str(o, "label", x->label);
        set_str(o, "kind", bench_exec_kind_name(x));
        json_object_set_new(o, "policy", x->kind == BENCH_EX_TPOOL ? json_string(x->policy)
                                                                   : json_null());
        json_t *pa = x->params_json ? json_loads(x->params_json, 0, NULL) : NULL;
        json_object_set_new(o, "params", pa ? pa : json_null());
        /* OpenMP's schedule, or oneTBB's partitioner (or task_group) */
        static const char *const sched[] = { "static", "dynamic", "guided", "task" };
        static const char *const part[] = { "task", "auto", "simple", "static" };
        json_object_set_new(o, "schedule",
                            x->kind == BENCH_EX_OMP && x->omp_sched >= 0 && x->omp_sched < 4
                                ? json_string(sched[x->omp_sched])
                            : x->kind == BENCH_EX_TBB && x->tbb_mode >= 0 && x->tbb_mode < 4
                                ? json_string(part[x->tbb_mode])
                                : json_null());
        set_str(o, "company", bench_company_names[x->company]);
        json_array_append_new(exes, o);
    }
    json_object_set_new(root, "executors", exes);

    json_t *wls = json_array();
    for (size_t i = 0; i < r->exp->nworkloads; i++) {
        const bench_wl_inst *w = &r->exp->workloads[i];
        json_t *o = json_object();
        set_str(o, "label", w->label);
        set_str(o, "workload", w->wl->name);
        /* a workload .so: the file it came from (null: built in) */
        json_object_set_new(o, "file", w->mod ? json_string(w->mod->path) : json_null());
        set_str(o, "description", w->wl->description ? w->wl->description : "");
        set_str(o, "unit", bench_workload_unit(w->wl));
        json_t *uses = json_array();
        static const struct { unsigned bit; const char *name; } u[] = {
            { TPOOL_BENCH_USES_RANGE, "range" }, { TPOOL_BENCH_USES_RANGE_2D, "range_2d" },
            { TPOOL_BENCH_USES_TASKS, "tasks" }, { TPOOL_BENCH_USES_POOL, "pool" },
        };
        for (size_t k = 0; k < sizeof u / sizeof u[0]; k++)
            if (w->wl->uses & u[k].bit)
                json_array_append_new(uses, json_string(u[k].name));
        json_object_set_new(o, "uses", uses);
        json_t *p = json_object();
        for (unsigned k = 0; k < w->wl->nparams; k++)
            json_object_set_new(p, w->wl->params[k].name, bench_wl_param_json(w, k));
        json_object_set_new(o, "params", p);
        json_t *pa = tpool__params_table_json(w->wl->params, w->wl->params ? w->wl->nparams : 0);
        json_object_set_new(o, "parameters", pa ? pa : json_array());
        json_t *ms = json_array();
        for (unsigned k = 0; k < w->wl->nmetrics; k++) {
            json_t *x = json_object();
            set_str(x, "name", w->wl->metrics[k].name);
            set_str(x, "unit", w->wl->metrics[k].unit);
            set_str(x, "description",
                    w->wl->metrics[k].description ? w->wl->metrics[k].description : "");
            json_array_append_new(ms, x);
        }
        json_object_set_new(o, "metrics", ms);
        json_array_append_new(wls, o);
    }
    json_object_set_new(root, "workloads", wls);

    json_object_set_new(root, "machine", machine_json(&r->machine));
    json_t *warn = json_array();
    for (unsigned i = 0; i < r->nwarnings; i++) {
        json_t *w = json_object();
        set_str(w, "kind", r->warnings[i].kind);
        set_str(w, "message", r->warnings[i].text);
        json_array_append_new(warn, w);
    }
    json_object_set_new(root, "warnings", warn);

    json_t *cells = json_array();
    for (size_t i = 0; i < r->ncells; i++)
        json_array_append_new(cells, cell_json(r, &r->cells[i]));
    json_object_set_new(root, "cells", cells);
    return root;
}

int bench_write_json(FILE *f, const bench_report *r)
{
    json_t *root = report_json(r);
    if (!root)
        return -1;
    int rc = json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(root);
    fputc('\n', f);
    return rc || ferror(f) ? -1 : 0;
}

int bench_write_json_file(const char *path, const bench_report *r)
{
    return bench_out_write(path, bench_write_json, r);
}
