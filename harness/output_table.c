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

/* A time in the unit that suits it, three or four significant digits. */
static const char *ftime(char *buf, size_t n, double ns)
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
        if (x->kind != BENCH_EX_OMP && x->kind != BENCH_EX_PTP)
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

void bench_write_table(FILE *f, const bench_report *r)
{
    const bench_experiment *e = r->exp;
    for (size_t wi = 0; wi < e->nworkloads; wi++) {
        const bench_wl_inst *w = &e->workloads[wi];
        int any = 0;
        for (size_t i = 0; i < r->ncells; i++)
            if (r->cells[i].wl == wi)
                any = 1;
        if (!any)
            continue;
        fprintf(f, "\n== %s (%s", w->label, w->wl->name);
        for (unsigned p = 0; p < w->wl->nparams; p++)
            fprintf(f, "%s%s=%.10g", p ? ", " : ": ", w->wl->params[p].name, w->p[p]);
        fprintf(f, ") ==\n");
        fprintf(f, "%-16s %4s %9s %21s %9s %8s %7s %6s %6s  %s\n", "executor", "T", "median",
                "95% CI of median", "min", "speedup", "vs 1T", "eff", "imbal", "notes");
        for (size_t i = 0; i < r->ncells; i++) {
            const bench_cell *c = &r->cells[i];
            if (c->wl != wi)
                continue;
            char a[32], b[32], d[32], m[32], s1[16], s2[16], ef[16], im[16], ci[48];
            snprintf(ci, sizeof ci, "[%s, %s]", ftime(b, sizeof b, c->t.ci_lo),
                     ftime(d, sizeof d, c->t.ci_hi));
            fprintf(f, "%-16s %4u %9s %21s %9s %8s %7s %6s %6s ", r->exes[c->exe].label,
                    c->threads, ftime(a, sizeof a, c->t.median), ci,
                    ftime(m, sizeof m, c->t.min), fnum(s1, sizeof s1, c->speedup_serial),
                    fnum(s2, sizeof s2, c->speedup_1t),
                    fnum(ef, sizeof ef, c->efficiency),
                    fnum(im, sizeof im, c->imbalance_med));
            char x[32], y[32];
            if (c->lat_med.valid && c->lat_med.has_prio)
                fprintf(f, " hi-prio p99 %s, low max wait %s;",
                        ftime(x, sizeof x, c->lat_med.hi_p99),
                        ftime(y, sizeof y, c->lat_med.lo_max));
            else if (c->lat_med.valid)
                fprintf(f, " latency p50 %s p99 %s;", ftime(x, sizeof x, c->lat_med.p50),
                        ftime(y, sizeof y, c->lat_med.p99));
            bench_totals t;
            bench_cell_totals(c, &t);
            if (!isnan(t.steals))
                fprintf(f, " steals %.0f;", t.steals);
            if (!isnan(c->idle_cpu_ns) && c->idle_probe_ns > 0)
                fprintf(f, " idle CPU %s/%.0fms;", ftime(x, sizeof x, c->idle_cpu_ns),
                        c->idle_probe_ns / 1e6);
            /* what the recorder saw: who ran the tasks, and its own cost when it
             * is not negligible */
            bench_rec_figures rf;
            bench_cell_rec_figures(c, &rf);
            if (!isnan(rf.producer_share) && r->exes[c->exe].kind != BENCH_EX_SERIAL)
                fprintf(f, " producer ran %.0f%%;", 100 * rf.producer_share);
            if (rf.cost_share >= 0.01)
                fprintf(f, " recorder %.1f%%;", 100 * rf.cost_share);
            if (!c->check_ok)
                fprintf(f, " CHECK FAILED: %s", c->check_msg);
            fputc('\n', f);
        }
    }
    fprintf(f, "\nmedian of %u runs per cell after %u warm-up round(s); 95%% CI: "
               "order statistics; speedup: serial median / median; eff: speedup / T\n",
            e->repetitions, e->warmup);
    for (int i = 0; i < BENCH_NBASE; i++)
        if (r->base[i].requested && !r->base[i].available)
            fprintf(f, "baseline %s not run: %s\n", r->base[i].name, r->base[i].reason);
    baselines_legend(f, r);
}
