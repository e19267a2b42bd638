/*
 * output_csv.c - one row per cell, one column per figure (docs/harness.md
 * lists them). Times in ns; a figure that does not apply is an empty field.
 * Fields are quoted as RFC 4180 says when they contain a comma, a quote or
 * a line break.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "output.h"

static void field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

static void num(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputc(',', f);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(f, "%.0f,", v);
    else
        fprintf(f, "%.6g,", v);
}

/* Every column that holds a quantity says its unit (the workloads' own
 * metrics follow these, one column metric_NAME_UNIT each): _ns_per_run is the
 * time of one whole run of the workload (all its calls, items or tasks),
 * _per_call one parallel-for call, _per_item one item (what an item is,
 * is `unit`), task_ a figure over the tasks of a run. */
static const char *const columns[] = {
    "workload", "workload_type", "executor", "executor_kind", "policy", "threads",
    "items_per_run", "unit", "calls_per_run", "runs", "rounds", "stop",
    "median_ns_per_run", "ci_low_ns_per_run", "ci_high_ns_per_run", "ci_level", "ci_method",
    "within_run_ci_halfwidth", "between_runs_spread", "runs_median_min_ns_per_run",
    "runs_median_max_ns_per_run",
    "min_ns_per_run", "max_ns_per_run", "mean_ns_per_run", "stddev_ns_per_run",
    "median_ns_per_call", "ci_low_ns_per_call", "ci_high_ns_per_call", "min_ns_per_call",
    "median_ns_per_item", "throughput_items_per_s",
    "speedup_vs_serial", "speedup_vs_1thread", "efficiency", "imbalance", "imbalance_source",
    "task_lat_p50_ns", "task_lat_p90_ns", "task_lat_p99_ns", "task_lat_max_ns",
    "high_task_lat_p50_ns", "high_task_lat_p90_ns", "high_task_lat_p99_ns",
    "high_task_lat_max_ns", "low_task_wait_max_ns",
    "task_flow_mean_ns", "task_flow_p50_ns", "task_flow_p99_ns", "task_flow_max_ns",
    "task_slowdown_mean", "task_slowdown_p99", "task_deadlines_per_run",
    "task_deadline_missed_share",
    "idle_cpu_ns_per_window", "idle_window_ns",
    "busy_ns_per_run", "idle_ns_per_run", "parks_per_run", "wakes_per_run", "steals_per_run",
    /* what the recorder saw, and how a baseline ran */
    "recorder_cost_ns_per_run", "recorder_share", "participants", "producer_share",
    "baseline_setup", "compare_with",
    /* company cells: the pair's makespan is median_ns_per_run */
    "company", "company_alone_ns_per_run", "company_ratio", "company_ratio_ci_low",
    "company_ratio_ci_high",
    "outliers", "warnings", "check_ok", "check_message",
};

size_t bench_csv_ncolumns(void)
{
    return sizeof columns / sizeof columns[0];
}

const char *bench_csv_column(size_t i)
{
    return i < bench_csv_ncolumns() ? columns[i] : NULL;
}

/* The workloads' own metrics: one column per distinct name and unit, in
 * the order of the workloads. */
typedef struct mcol {
    const char *name, *unit;
} mcol;

static size_t metric_columns(const bench_report *r, mcol *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->exp->nworkloads; i++) {
        const tpool_bench_workload *w = r->exp->workloads[i].wl;
        for (unsigned k = 0; k < w->nmetrics; k++) {
            size_t j = 0;
            while (j < n && (strcmp(out[j].name, w->metrics[k].name) != 0 ||
                             strcmp(out[j].unit, w->metrics[k].unit) != 0))
                j++;
            if (j == n && n < cap)
                out[n++] = (mcol){ w->metrics[k].name, w->metrics[k].unit };
        }
    }
    return n;
}

void bench_csv_metric_column(const char *name, const char *unit, char *buf, size_t size)
{
    int k = snprintf(buf, size, "metric_%s_", name);
    for (size_t i = k > 0 ? (size_t)k : 0; *unit && i + 1 < size; unit++, i++) {
        char ch = *unit;
        int word = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        buf[i] = word ? ch : '_';
        buf[i + 1] = '\0';
    }
}

int bench_write_csv(FILE *f, const bench_report *r)
{
    size_t nc = bench_csv_ncolumns();
    mcol mc[64];
    size_t nm = metric_columns(r, mc, 64);
    for (size_t i = 0; i < nc; i++)
        field(f, columns[i], i + 1 == nc + nm);
    for (size_t i = 0; i < nm; i++) {
        char name[128];
        bench_csv_metric_column(mc[i].name, mc[i].unit, name, sizeof name);
        field(f, name, i + 1 == nm);
    }
    for (size_t i = 0; i < r->ncells; i++) {
        const bench_cell *c = &r->cells[i];
        const bench_wl_inst *wi = &r->exp->workloads[c->wl];
        const bench_executor *x = &r->exes[c->exe];
        field(f, wi->label, 0);
        field(f, wi->wl->name, 0);
        field(f, x->label, 0);
        field(f, bench_exec_kind_name(x), 0);
        field(f, x->kind == BENCH_EX_TPOOL ? x->policy : "", 0);
        fprintf(f, "%u,%" PRIu64 ",", c->threads, c->items);
        field(f, bench_workload_unit(wi->wl), 0);
        num(f, c->calls);
        fprintf(f, "%u,%u,", c->nruns ? c->nruns : 1, c->nrounds);
        char st[256];
        bench_cell_stops(c, 0, st, sizeof st);
        field(f, st, 0);
        num(f, c->t.median);
        num(f, c->t.ci_lo);
        num(f, c->t.ci_hi);
        num(f, c->t.ci_level);
        field(f, isnan(c->runs_ci_lo) ? "order_statistics" : "bootstrap_runs_rounds", 0);
        num(f, c->within_rel);
        num(f, c->between_rel);
        num(f, c->runs_lo);
        num(f, c->runs_hi);
        num(f, c->t.min);
        num(f, c->t.max);
        num(f, c->t.mean);
        num(f, c->t.stddev);
        int per_call = !isnan(c->calls);
        num(f, per_call ? c->t_call.median : NAN);
        num(f, per_call ? c->t_call.ci_lo : NAN);
        num(f, per_call ? c->t_call.ci_hi : NAN);
        num(f, per_call ? c->t_call.min : NAN);
        num(f, c->ns_per_item);
        num(f, c->throughput);
        num(f, c->speedup_serial);
        num(f, c->speedup_1t);
        num(f, c->efficiency);
        num(f, c->imbalance_med);
        field(f, c->imbalance_src ? c->imbalance_src : "", 0);
        const bench_latency *l = &c->lat_med;
        int lv = l->valid, hv = l->valid && l->has_prio;
        num(f, lv ? l->p50 : NAN);
        num(f, lv ? l->p90 : NAN);
        num(f, lv ? l->p99 : NAN);
        num(f, lv ? l->max : NAN);
        num(f, hv ? l->hi_p50 : NAN);
        num(f, hv ? l->hi_p90 : NAN);
        num(f, hv ? l->hi_p99 : NAN);
        num(f, hv ? l->hi_max : NAN);
        num(f, hv ? l->lo_max : NAN);
        num(f, lv ? l->flow_mean : NAN);
        num(f, lv ? l->flow_p50 : NAN);
        num(f, lv ? l->flow_p99 : NAN);
        num(f, lv ? l->flow_max : NAN);
        num(f, lv ? l->slow_mean : NAN);
        num(f, lv ? l->slow_p99 : NAN);
        num(f, lv ? l->dl_tasks : NAN);
        num(f, lv ? l->dl_missed : NAN);
        num(f, c->idle_cpu_ns);
        num(f, c->idle_probe_ns);
        bench_totals t;
        bench_cell_totals(c, &t);
        num(f, t.busy_ns);
        num(f, t.idle_ns);
        num(f, t.parks);
        num(f, t.wakes);
        num(f, t.steals);
        /* what the recorder saw, and how a baseline ran */
        bench_rec_figures rf;
        bench_cell_rec_figures(c, &r->rec_costs, &rf);
        num(f, rf.cost_ns);
        num(f, rf.cost_share);
        num(f, c->part_share ? (double)c->nparts : NAN);
        num(f, rf.producer_share);
        char setup[192];
        bench_baseline_setup(x, wi, setup, sizeof setup);
        field(f, setup, 0);
        field(f, setup[0] ? x->peer : "", 0);
        field(f, bench_company_names[x->company], 0);
        num(f, x->company ? c->alone.median : NAN);
        num(f, x->company ? c->co_ratio.median : NAN);
        num(f, x->company ? c->co_ratio.ci_lo : NAN);
        num(f, x->company ? c->co_ratio.ci_hi : NAN);
        fprintf(f, "%u,", c->noutliers);
        char flags[128];
        bench_cell_flags(c, flags, sizeof flags);
        field(f, flags, 0);
        fprintf(f, "%d,", c->check_ok ? 1 : 0);
        field(f, c->check_ok ? "" : c->check_msg, nm == 0);
        for (size_t m = 0; m < nm; m++) {
            double v = NAN;
            for (unsigned k = 0; k < wi->wl->nmetrics; k++)
                if (strcmp(wi->wl->metrics[k].name, mc[m].name) == 0 &&
                    strcmp(wi->wl->metrics[k].unit, mc[m].unit) == 0)
                    v = c->lat_med.custom[k];
            if (m + 1 < nm)
                num(f, v);
            else if (isnan(v) || isinf(v))
                fputc('\n', f);
            else
                fprintf(f, "%.6g\n", v);
        }
    }
    return ferror(f) ? -1 : 0;
}

int bench_write_csv_file(const char *path, const bench_report *r)
{
    return bench_out_write(path, bench_write_csv, r);
}
