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

static json_t *real(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *meta_json(const bench_meta *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "cpu_model", json_string(m->cpu_model));
    json_object_set_new(o, "nproc", json_integer(m->nproc));
    json_object_set_new(o, "default_threads", json_integer(m->default_threads));
    json_object_set_new(o, "kernel", json_string(m->kernel));
    json_object_set_new(o, "compiler", json_string(m->compiler));
    json_object_set_new(o, "git_revision", json_string(m->git_rev));
    json_object_set_new(o, "tpool_version", json_string(m->tpool_version));
    json_object_set_new(o, "date", json_string(m->date));
    json_object_set_new(o, "build_cflags", json_string(m->build_cflags));
    json_object_set_new(o, "openmp", m->openmp[0] ? json_string(m->openmp) : json_null());
    json_object_set_new(o, "system_pthreadpool",
                        m->pthreadpool[0] ? json_string(m->pthreadpool) : json_null());
    json_object_set_new(o, "spin_iters_per_ns", real(m->spin_iters_per_ns));
    json_object_set_new(o, "command", json_string(m->command));
    json_object_set_new(o, "experiment_source", json_string(m->experiment_source));
    json_object_set_new(o, "wall_s", real(m->wall_s));
    return o;
}

static json_t *summary_json(const bench_summary *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "median", real(s->median));
    json_object_set_new(o, "ci_low", real(s->ci_lo));
    json_object_set_new(o, "ci_high", real(s->ci_hi));
    json_object_set_new(o, "ci_level", real(s->ci_level));
    json_object_set_new(o, "min", real(s->min));
    json_object_set_new(o, "max", real(s->max));
    json_object_set_new(o, "mean", real(s->mean));
    json_object_set_new(o, "stddev", real(s->stddev));
    return o;
}

static json_t *latency_json(const bench_latency *l)
{
    if (!l->valid)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "p50", real(l->p50));
    json_object_set_new(o, "p90", real(l->p90));
    json_object_set_new(o, "p99", real(l->p99));
    json_object_set_new(o, "max", real(l->max));
    if (l->has_prio) {
        json_t *h = json_object();
        json_object_set_new(h, "p50", real(l->hi_p50));
        json_object_set_new(h, "p90", real(l->hi_p90));
        json_object_set_new(h, "p99", real(l->hi_p99));
        json_object_set_new(h, "max", real(l->hi_max));
        json_object_set_new(o, "high", h);
        json_object_set_new(o, "low_max_wait", real(l->lo_max));
    } else {
        json_object_set_new(o, "high", json_null());
        json_object_set_new(o, "low_max_wait", json_null());
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
        json_object_set_new(o, "tasks_run", real((double)s->tasks_run / n));
        json_object_set_new(o, "items_run", real((double)s->items_run / n));
        json_object_set_new(o, "busy_ns", real((double)s->busy_ns / n));
        json_object_set_new(o, "idle_ns", real((double)s->idle_ns / n));
        json_object_set_new(o, "parks", real((double)s->parks / n));
        json_object_set_new(o, "wakes", real((double)s->wakes / n));
        json_t *p = json_object();
        for (unsigned k = 0; k < c->npolicy && k < TPOOL_STAT_POLICY_MAX; k++)
            json_object_set_new(p, c->policy_names[k], real((double)s->policy[k] / n));
        json_object_set_new(o, "policy", p);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *cell_json(const bench_report *r, const bench_cell *c)
{
    json_t *o = json_object();
    const bench_wl_inst *wi = &r->exp->workloads[c->wl];
    json_object_set_new(o, "workload", json_string(wi->label));
    json_object_set_new(o, "executor", json_string(r->exes[c->exe].label));
    json_object_set_new(o, "threads", json_integer(c->threads));
    json_object_set_new(o, "items", json_integer((json_int_t)c->items));
    json_object_set_new(o, "repetitions", json_integer(c->nrounds));
    json_t *t = json_array();
    for (unsigned k = 0; k < c->nrounds; k++)
        json_array_append_new(t, json_integer((json_int_t)c->times_ns[k]));
    json_object_set_new(o, "times_ns", t);
    json_object_set_new(o, "time_ns", summary_json(&c->t));
    json_object_set_new(o, "throughput_per_s", real(c->throughput));
    json_object_set_new(o, "speedup_vs_serial", real(c->speedup_serial));
    json_object_set_new(o, "speedup_vs_1thread", real(c->speedup_1t));
    json_object_set_new(o, "efficiency", real(c->efficiency));
    json_object_set_new(o, "imbalance", real(c->imbalance_med));
    json_object_set_new(o, "imbalance_source",
                        c->imbalance_src ? json_string(c->imbalance_src) : json_null());
    json_object_set_new(o, "latency_ns", latency_json(&c->lat_med));
    if (isnan(c->idle_cpu_ns)) {
        json_object_set_new(o, "idle_cpu", json_null());
    } else {
        json_t *i = json_object();
        json_object_set_new(i, "cpu_ns", real(c->idle_cpu_ns));
        json_object_set_new(i, "window_ns", real(c->idle_probe_ns));
        json_object_set_new(o, "idle_cpu", i);
    }
    json_object_set_new(o, "workers", workers_json(c));
    json_t *ck = json_object();
    json_object_set_new(ck, "ok", json_boolean(c->check_ok));
    json_object_set_new(ck, "message", json_string(c->check_ok ? "" : c->check_msg));
    json_object_set_new(o, "check", ck);
    json_object_set_new(o, "unrecorded_callbacks", json_integer((json_int_t)c->overflow));
    return o;
}

static json_t *report_json(const bench_report *r)
{
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_string(BENCH_SCHEMA));
    json_object_set_new(root, "meta", meta_json(&r->meta));
    char *ex = bench_experiment_to_json(r->exp);
    json_t *exj = ex ? json_loads(ex, 0, NULL) : NULL;
    free(ex);
    json_object_set_new(root, "experiment", exj ? exj : json_null());

    json_t *pol = json_array();
    for (size_t i = 0; i < r->npolicies; i++) {
        const bench_policy_desc *p = &r->policies[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(p->name));
        json_object_set_new(o, "path", json_string(p->path));
        json_object_set_new(o, "description", json_string(p->description));
        json_t *pa = p->params_json ? json_loads(p->params_json, 0, NULL) : NULL;
        json_object_set_new(o, "params", pa ? pa : json_array());
        json_array_append_new(pol, o);
    }
    json_object_set_new(root, "policies", pol);

    json_t *base = json_array();
    for (int i = 0; i < BENCH_NBASE; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(r->base[i].name));
        json_object_set_new(o, "requested", json_boolean(r->base[i].requested));
        json_object_set_new(o, "available", json_boolean(r->base[i].available));
        json_object_set_new(o, "reason", json_string(r->base[i].reason));
        json_array_append_new(base, o);
    }
    json_object_set_new(root, "baselines", base);

    json_t *exes = json_array();
    for (size_t i = 0; i < r->nexes; i++) {
        const bench_executor *x = &r->exes[i];
        json_t *o = json_object();
        json_object_set_new(o, "label", json_string(x->label));
        json_object_set_new(o, "kind", json_string(bench_exec_kind_name(x)));
        json_object_set_new(o, "policy", x->kind == BENCH_EX_TPOOL ? json_string(x->policy)
                                                                   : json_null());
        json_t *pa = x->params_json ? json_loads(x->params_json, 0, NULL) : NULL;
        json_object_set_new(o, "params", pa ? pa : json_null());
        static const char *const sched[] = { "static", "dynamic", "guided", "task" };
        json_object_set_new(o, "schedule",
                            x->kind == BENCH_EX_OMP && x->omp_sched >= 0 && x->omp_sched < 4
                                ? json_string(sched[x->omp_sched])
                                : json_null());
        json_array_append_new(exes, o);
    }
    json_object_set_new(root, "executors", exes);

    json_t *wls = json_array();
    for (size_t i = 0; i < r->exp->nworkloads; i++) {
        const bench_wl_inst *w = &r->exp->workloads[i];
        json_t *o = json_object();
        json_object_set_new(o, "label", json_string(w->label));
        json_object_set_new(o, "workload", json_string(w->wl->name));
        json_object_set_new(o, "description", json_string(w->wl->description));
        json_object_set_new(o, "unit", json_string(w->wl->unit));
        json_t *p = json_object();
        for (unsigned k = 0; k < w->wl->nparams; k++)
            json_object_set_new(p, w->wl->params[k].name,
                                w->wl->params[k].is_int ? json_integer((json_int_t)w->p[k])
                                                        : json_real(w->p[k]));
        json_object_set_new(o, "params", p);
        json_array_append_new(wls, o);
    }
    json_object_set_new(root, "workloads", wls);

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
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    int rc = bench_write_json(f, r);
    if (fclose(f) != 0)
        rc = -1;
    if (rc)
        fprintf(stderr, "tpool-bench: writing %s failed\n", path);
    return rc;
}
