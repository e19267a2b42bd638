/*
 * output_table.c - the table on stdout: one block per workload, one line
 * per executor and thread count, with the median time, its 95% interval,
 * the minimum, speedups, efficiency, imbalance and the figures particular
 * to the workload (task latency, idle CPU, steals). Also the helpers the
 * writers share (output.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "output.h"

const char *bench_exec_kind_name(const bench_executor *x)
{
    switch (x->kind) {
    case BENCH_EX_SERIAL: return "serial";
    case BENCH_EX_TPOOL: return "policy";
    case BENCH_EX_OMP: return "openmp";
    case BENCH_EX_PTP: return "pthreadpool";
    case BENCH_EX_TBB: return "tbb";
    }
    return "?";
}

void bench_cell_totals(const bench_cell *c, bench_totals *t)
{
    t->busy_ns = t->idle_ns = t->parks = t->wakes = t->steals = NAN;
    if (!c->ws || c->nrounds == 0)
        return;
    double b = 0, i = 0, p = 0, w = 0, s = 0;
    /* Every counter named "steals" or "..._steals": the stealing policy
     * counts task steals and parallel-for range steals apart
     * ("range_steals"), and a range workload has only the latter. */
    unsigned is_steal = 0; /* bit k: policy counter k is a steal count */
    for (unsigned k = 0; k < c->npolicy && k < 32; k++) {
        size_t l = strlen(c->policy_names[k]);
        if (strcmp(c->policy_names[k], "steals") == 0
            || (l > 7 && strcmp(c->policy_names[k] + l - 7, "_steals") == 0))
            is_steal |= 1u << k;
    }
    for (unsigned k = 0; k <= c->nworkers; k++) {
        b += (double)c->ws[k].busy_ns;
        i += (double)c->ws[k].idle_ns;
        p += (double)c->ws[k].parks;
        w += (double)c->ws[k].wakes;
        for (unsigned q = 0; q < c->npolicy && q < 32; q++)
            if (is_steal & (1u << q))
                s += (double)c->ws[k].policy[q];
    }
    int steals = is_steal ? 0 : -1;
    double n = c->nrounds;
    t->busy_ns = b / n;
    t->idle_ns = i / n;
    t->parks = p / n;
    t->wakes = w / n;
    t->steals = steals >= 0 ? s / n : NAN;
}

void bench_cell_stops(const bench_cell *c, int brief, char *buf, size_t size)
{
    static const char *const shortname[] = { "", "ci", "max", "budget", "failed", "intr" };
    unsigned nruns = c->nruns ? c->nruns : 1;
    int same = 1;
    for (unsigned k = 1; k < nruns; k++)
        same &= c->run_stop[k] == c->run_stop[0];
    size_t l = 0;
    buf[0] = '\0';
    if (brief && !same && nruns > 3) {
        /* many runs: how many stopped each way, e.g. "5ci/3max" */
        unsigned count[BENCH_STOP_INTERRUPTED + 1] = { 0 };
        for (unsigned k = 0; k < nruns; k++)
            count[c->run_stop[k] <= BENCH_STOP_INTERRUPTED ? c->run_stop[k] : 0]++;
        for (int st = 0; st <= BENCH_STOP_INTERRUPTED && l < size; st++)
            if (count[st])
                l += (size_t)snprintf(buf + l, size - l, "%s%u%s", l ? "/" : "", count[st],
                                      st ? shortname[st] : "-");
        return;
    }
    for (unsigned k = 0; k < (same ? 1 : nruns) && l < size; k++) {
        int st = c->run_stop[k] <= BENCH_STOP_INTERRUPTED ? c->run_stop[k] : 0;
        l += (size_t)snprintf(buf + l, size - l, "%s%s", k ? "/" : "",
                              brief ? shortname[st] : bench_stop_name(st));
    }
}

void bench_cell_flags(const bench_cell *c, char *buf, size_t size)
{
    static const struct { unsigned bit; const char *word; } f[] = {
        { BENCH_FLAG_WIDE_CI, "wide_ci" },
        { BENCH_FLAG_OUTLIERS, "outliers" },
        { BENCH_FLAG_RUNS_DISAGREE, "runs_disagree" },
    };
    size_t l = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof f / sizeof f[0] && l < size; i++)
        if (c->flags & f[i].bit)
            l += (size_t)snprintf(buf + l, size - l, "%s%s", l ? " " : "", f[i].word);
}

const char *bench_format_ns(char *buf, size_t n, double ns)
{
    if (isnan(ns))
        snprintf(buf, n, "-");
    else if (ns < 1e3)
        snprintf(buf, n, "%.0fns", ns);
    else if (ns < 1e6)
        snprintf(buf, n, "%.*fus", ns < 1e5 ? 2 : 1, ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, n, "%.*fms", ns < 1e8 ? 2 : 1, ns / 1e6);
    else
        snprintf(buf, n, "%.2fs", ns / 1e9);
    return buf;
}

/* A fraction as a percentage, "1.2%". */
static const char *fpct(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.*f%%", v < 0.1 ? 1 : 0, v * 100);
    return buf;
}

static const char *fnum(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.2f", v);
    return buf;
}

/* Each baseline that ran: how (per workload where that differs) and the
 * tpool cell it is compared with. */
static void baselines_legend(FILE *f, const bench_report *r)
{
    for (size_t xi = 0; xi < r->nexes; xi++) {
        const bench_executor *x = &r->exes[xi];
        if (x->kind != BENCH_EX_OMP && x->kind != BENCH_EX_PTP && x->kind != BENCH_EX_TBB)
            continue;
        char seen[8][192];
        unsigned nseen = 0;
        for (size_t i = 0; i < r->ncells; i++) {
            const bench_cell *c = &r->cells[i];
            if (c->exe != xi)
                continue;
            char setup[192];
            bench_baseline_setup(x, &r->exp->workloads[c->wl], setup, sizeof setup);
            unsigned k = 0;
            while (k < nseen && strcmp(seen[k], setup) != 0)
                k++;
            if (k == nseen && nseen < 8)
                snprintf(seen[nseen++], sizeof seen[0], "%s", setup);
        }
        if (!nseen)
            continue;
        fprintf(f, "%s: ", x->label);
        for (unsigned k = 0; k < nseen; k++) {
            fprintf(f, "%s%s", k ? "; " : "", seen[k]);
            if (nseen > 1) { /* which workloads */
                const char *sep = " (";
                for (size_t wi = 0; wi < r->exp->nworkloads; wi++) {
                    char setup[192];
                    bench_baseline_setup(x, &r->exp->workloads[wi], setup, sizeof setup);
                    int ran = 0;
                    for (size_t i = 0; i < r->ncells && !ran; i++)
                        ran = r->cells[i].exe == xi && r->cells[i].wl == wi;
                    if (ran && strcmp(setup, seen[k]) == 0) {
                        fprintf(f, "%s%s", sep, r->exp->workloads[wi].label);
                        sep = ", ";
                    }
                }
                fputc(')', f);
            }
        }
        fprintf(f, "; compared with %s\n", x->peer);
    }
}

/* 1 when the workload repeats parallel-for calls (a "calls" parameter). */
static int repeats_calls(const bench_wl_inst *w)
{
    return bench_workload_param(w->wl, "calls") >= 0;
}

/* 1 for a workload of tasks: figures per task. */
static int of_tasks(const bench_wl_inst *w)
{
    return (w->wl->uses & TPOOL_BENCH_USES_TASKS) != 0;
}

/* The block's heading: the workload, its parameters and what one run is. */
static void block_head(FILE *f, const bench_report *r, size_t wi)
{
    const bench_wl_inst *w = &r->exp->workloads[wi];
    fprintf(f, "\n== %s (%s", w->label, w->wl->name);
    for (unsigned p = 0; p < w->wl->nparams; p++) {
        char v[160];
        bench_wl_param_text(w, p, v, sizeof v);
        fprintf(f, "%s%s", p ? ", " : ": ", v);
    }
    fprintf(f, ") ==\n");
    if (w->mod)
        fprintf(f, "from %s\n", w->mod->path);
    /* items per run may depend on T (empty with range 0) */
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < r->ncells; i++)
        if (r->cells[i].wl == wi && r->cells[i].items) {
            lo = r->cells[i].items < lo ? r->cells[i].items : lo;
            hi = r->cells[i].items > hi ? r->cells[i].items : hi;
        }
    char items[64];
    if (hi == 0)
        snprintf(items, sizeof items, "?");
    else if (lo == hi)
        snprintf(items, sizeof items, "%" PRIu64, hi);
    else
        snprintf(items, sizeof items, "%" PRIu64 " to %" PRIu64, lo, hi);
    if (repeats_calls(w))
        fprintf(f, "one run = %.0f calls, %s %s; times per run, and per call in "
                   "median/call\n", bench_wl_calls(w), items, bench_workload_unit(w->wl));
    else
        fprintf(f, "one run = %s %s; times per run, and per %s in median/%s\n", items,
                bench_workload_unit(w->wl), of_tasks(w) ? "task" : "item",
                of_tasks(w) ? "task" : "item");
}

void bench_write_table(FILE *f, const bench_report *r)
{
    const bench_experiment *e = r->exp;
    int runs = r->nruns > 1;
    if (r->incomplete)
        fprintf(f, "INCOMPLETE: %s; cells that did not finish say \"intr\" under stop\n",
                r->incomplete_why);
    for (size_t wi = 0; wi < e->nworkloads; wi++) {
        const bench_wl_inst *w = &e->workloads[wi];
        int any = 0;
        for (size_t i = 0; i < r->ncells; i++)
            if (r->cells[i].wl == wi)
                any = 1;
        if (!any)
            continue;
        block_head(f, r, wi);
        int per_call = repeats_calls(w);
        /* as wide as the longest label (company variants: NAME+MODE) */
        int lw = 16;
        for (size_t i = 0; i < r->nexes; i++)
            if ((int)strlen(r->exes[i].label) > lw)
                lw = (int)strlen(r->exes[i].label);
        fprintf(f, "%-*s %4s %6s %-8s %10s %23s ", lw, "executor", "T", "rounds", "stop",
                "median/run", "95% CI of median/run");
        if (runs)
            fprintf(f, "%7s %7s ", "within", "between");
        fprintf(f, "%10s %11s %8s %7s %6s %6s  %s\n", "min/run",
                per_call ? "median/call" : of_tasks(w) ? "median/task" : "median/item",
                "speedup", "vs 1T", "eff", "imbal", "notes");
        for (size_t i = 0; i < r->ncells; i++) {
            const bench_cell *c = &r->cells[i];
            if (c->wl != wi)
                continue;
            char a[32], b[32], d[32], m[32], pc[32], s1[16], s2[16], ef[16], im[16], ci[48];
            char st[64];
            snprintf(ci, sizeof ci, "[%s, %s]", bench_format_ns(b, sizeof b, c->t.ci_lo),
                     bench_format_ns(d, sizeof d, c->t.ci_hi));
            bench_cell_stops(c, 1, st, sizeof st);
            fprintf(f, "%-*s %4u %6u %-8s %10s %23s ", lw, r->exes[c->exe].label, c->threads,
                    c->nrounds, st, bench_format_ns(a, sizeof a, c->t.median), ci);
            if (runs) {
                char wr[16], br[16];
                fprintf(f, "%7s %7s ", fpct(wr, sizeof wr, c->within_rel),
                        fpct(br, sizeof br, c->between_rel));
            }
            fprintf(f, "%10s %11s %8s %7s %6s %6s ", bench_format_ns(m, sizeof m, c->t.min),
                    bench_format_ns(pc, sizeof pc, per_call ? c->t_call.median : c->ns_per_item),
                    fnum(s1, sizeof s1, c->speedup_serial), fnum(s2, sizeof s2, c->speedup_1t),
                    fnum(ef, sizeof ef, c->efficiency), fnum(im, sizeof im, c->imbalance_med));
            char x[32], y[32];
            if (c->lat_med.valid && c->lat_med.has_prio)
                fprintf(f, " hi-prio task latency p99 %s, low max wait %s;",
                        bench_format_ns(x, sizeof x, c->lat_med.hi_p99),
                        bench_format_ns(y, sizeof y, c->lat_med.lo_max));
            else if (c->lat_med.valid)
                fprintf(f, " task latency p50 %s p99 %s;",
                        bench_format_ns(x, sizeof x, c->lat_med.p50),
                        bench_format_ns(y, sizeof y, c->lat_med.p99));
            if (c->lat_med.valid && (w->wl->flags & TPOOL_BENCH_WL_MICRO) == 0)
                fprintf(f, " flow time mean %s p99 %s, slowdown mean %.3g;",
                        bench_format_ns(x, sizeof x, c->lat_med.flow_mean),
                        bench_format_ns(y, sizeof y, c->lat_med.flow_p99),
                        c->lat_med.slow_mean);
            if (c->lat_med.valid && !isnan(c->lat_med.dl_missed))
                fprintf(f, " deadlines missed %.1f%%;", 100 * c->lat_med.dl_missed);
            for (unsigned q = 0; q < w->wl->nmetrics && q < TPOOL_BENCH_MAX_METRICS; q++) {
                const tpool_bench_metric *mt = &w->wl->metrics[q];
                if (strcmp(mt->unit, "ns") == 0) /* a time, as the others are shown */
                    fprintf(f, " %s %s;", mt->name,
                            bench_format_ns(x, sizeof x, c->lat_med.custom[q]));
                else
                    fprintf(f, " %s %.4g %s;", mt->name, c->lat_med.custom[q], mt->unit);
            }
            if (r->exes[c->exe].company && !isnan(c->co_ratio.median))
                fprintf(f, " pair %.3gx alone [%.3g, %.3g] (alone %s);", c->co_ratio.median,
                        c->co_ratio.ci_lo, c->co_ratio.ci_hi,
                        bench_format_ns(x, sizeof x, c->alone.median));
            bench_totals t;
            bench_cell_totals(c, &t);
            if (!isnan(t.steals))
                fprintf(f, " steals %.0f/run;", t.steals);
            if (!isnan(c->idle_cpu_ns) && c->idle_probe_ns > 0)
                fprintf(f, " idle CPU %s/%.0fms;", bench_format_ns(x, sizeof x, c->idle_cpu_ns),
                        c->idle_probe_ns / 1e6);
            /* what the recorder saw: who ran the tasks, and its own cost when it
             * is not negligible */
            bench_rec_figures rf;
            bench_cell_rec_figures(c, &r->rec_costs, &rf);
            if (!isnan(rf.producer_share) && r->exes[c->exe].kind != BENCH_EX_SERIAL)
                fprintf(f, " producer ran %.0f%%;", 100 * rf.producer_share);
            if (rf.cost_share >= 0.01)
                fprintf(f, " recorder %.1f%% of CPU time;", 100 * rf.cost_share);
            if (c->flags & BENCH_FLAG_WIDE_CI)
                fprintf(f, " WIDE CI (%.0f%% of the median);",
                        (c->t.ci_hi - c->t.ci_lo) / c->t.median * 100);
            if (c->flags & BENCH_FLAG_OUTLIERS)
                fprintf(f, " %u outlier round%s;", c->noutliers, c->noutliers > 1 ? "s" : "");
            if (c->flags & BENCH_FLAG_RUNS_DISAGREE)
                fprintf(f, " RUNS DISAGREE;");
            if (!c->check_ok)
                fprintf(f, " CHECK FAILED: %s", c->check_msg);
            fputc('\n', f);
        }
    }
    if (e->min_rounds == e->max_rounds)
        fprintf(f, "\nrounds: %u measured per cell after %u warm-up round(s)", e->min_rounds,
                e->warmup);
    else
        fprintf(f, "\nrounds: measured per cell after %u warm-up round(s), at least %u, at "
                   "most %u, until the 95%% CI's half-width is within %.3g%% of the median "
                   "(stop: ci) or %.0f s of measuring are spent (budget)",
                e->warmup, e->min_rounds, e->max_rounds, e->ci_target * 100, e->budget_s);
    if (runs)
        fprintf(f, "\nruns: %u separate processes taking turns round by round; median/run: "
                   "median of all their rounds; 95%% CI of the median: bootstrap over runs and "
                   "rounds;\nwithin: half-width of a run's own CI, median over the runs; "
                   "between: half the range of the runs' medians (both %% of the median)",
                r->nruns);
    else
        fprintf(f, "\nmedian/run: median time of one run of the workload over its rounds; "
                   "95%% CI of the median: order statistics");
    fprintf(f, ";\nmedian/call, median/item, median/task: median/run divided by the calls, "
               "items or tasks of a run; speedup: serial median / median; eff: speedup / T\n");
    if (e->company)
        fprintf(f, "company (EXECUTOR+MODE): median/run is the makespan of the pair (the run "
                   "and its companion at once: thread, a twin in this process; process, a twin "
                   "in another; omp, an OpenMP team of T on the same workload); pair Nx alone: "
                   "median over rounds of makespan / (run alone + companion alone, one after "
                   "the other, in the same round), 95%% CI\n");
    const bench_machine *m = &r->machine;
    if (m->ncpu) {
        char lb[16], ld[16], ob[16], od[16];
        double during = m->others_cap > 0 ? m->others_busy / m->others_cap : NAN;
        fprintf(f, "machine: %u CPUs, this run on %s (governor %s); load average %s before, "
                   "at most %s during (less this run's own); other processes took %s of "
                   "these CPUs before measuring, %s during\n",
                m->ncpu, m->affinity[0] ? m->affinity : "?",
                m->governors[0] ? m->governors : "unknown", fnum(lb, sizeof lb, m->load_before[0]),
                fnum(ld, sizeof ld, m->load_max), fpct(ob, sizeof ob, m->others_before),
                fpct(od, sizeof od, during));
    }
    for (unsigned i = 0; i < r->nwarnings; i++)
        if (strcmp(r->warnings[i].kind, "incomplete") != 0)
            fprintf(f, "WARNING: %s\n", r->warnings[i].text);
    if (r->incomplete)
        fprintf(f, "INCOMPLETE: %s\n", r->incomplete_why);
    for (int i = 0; i < BENCH_NBASE; i++)
        if (r->base[i].requested && !r->base[i].available)
            fprintf(f, "baseline %s not run: %s\n", r->base[i].name, r->base[i].reason);
    baselines_legend(f, r);
}
