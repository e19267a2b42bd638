/* stats.c - medians, percentiles and the median's confidence interval
 * (definitions in stats.h). */
#include "stats.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void bench_sort_doubles(double *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_double);
}

void bench_sort_u64(uint64_t *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_u64);
}

double bench_percentile_sorted(const double *x, size_t n, double p)
{
    if (n == 0)
        return NAN;
    if (!(p > 0))
        return x[0];
    if (p >= 1)
        return x[n - 1];
    double h = (double)(n - 1) * p;
    size_t k = (size_t)floor(h);
    if (k + 1 >= n)
        return x[n - 1];
    return x[k] + (h - (double)k) * (x[k + 1] - x[k]);
}

double bench_percentile_sorted_u64(const uint64_t *x, size_t n, double p)
{
    if (n == 0)
        return NAN;
    if (!(p > 0))
        return (double)x[0];
    if (p >= 1)
        return (double)x[n - 1];
    double h = (double)(n - 1) * p;
    size_t k = (size_t)floor(h);
    if (k + 1 >= n)
        return (double)x[n - 1];
    return (double)x[k] + (h - (double)k) * ((double)x[k + 1] - (double)x[k]);
}

double bench_median(const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    double *c = malloc(n * sizeof *c);
    if (!c)
        return NAN;
    memcpy(c, v, n * sizeof *c);
    bench_sort_doubles(c, n);
    double m = bench_percentile_sorted(c, n, 0.5);
    free(c);
    return m;
}

double bench_median_nan(const double *v, size_t n)
{
    double *c = malloc((n ? n : 1) * sizeof *c);
    if (!c)
        return NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            c[k++] = v[i];
    bench_sort_doubles(c, k);
    double m = bench_percentile_sorted(c, k, 0.5);
    free(c);
    return m;
}

/* P(B <= k) for B ~ Binomial(n, 1/2), summed in log space so that large n
 * neither overflows nor underflows. */
static double binom_half_cdf(size_t n, size_t k)
{
    double sum = 0;
    for (size_t i = 0; i <= k && i <= n; i++)
        sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
                   lgamma((double)(n - i) + 1) - (double)n * log(2.0));
    return sum > 1 ? 1 : sum;
}

void bench_median_ci(const double *x, size_t n, double level, double *lo, double *hi,
                     double *achieved)
{
    if (n == 0) {
        *lo = *hi = *achieved = NAN;
        return;
    }
    /* l = 1 is [min, max]; widen l while the coverage stays >= level. */
    size_t l = 1;
    double cov = 1 - 2 * binom_half_cdf(n, 0);
    while (l + 1 <= (n + 1) / 2) {
        double c = 1 - 2 * binom_half_cdf(n, l); /* coverage of l + 1 */
        if (c < level)
            break;
        l++;
        cov = c;
    }
    if (n == 1)
        cov = 0; /* one sample says nothing about the spread */
    *lo = x[l - 1];
    *hi = x[n - l];
    *achieved = cov;
}

void bench_summarise(const double *v, size_t n, bench_summary *s)
{
    memset(s, 0, sizeof *s);
    s->n = (unsigned)n;
    if (n == 0) {
        s->median = s->ci_lo = s->ci_hi = s->ci_level = s->min = s->max = s->mean =
            s->stddev = NAN;
        return;
    }
    double *c = malloc(n * sizeof *c);
    if (!c) {
        s->median = NAN;
        return;
    }
    memcpy(c, v, n * sizeof *c);
    bench_sort_doubles(c, n);
    s->median = bench_percentile_sorted(c, n, 0.5);
    bench_median_ci(c, n, 0.95, &s->ci_lo, &s->ci_hi, &s->ci_level);
    s->min = c[0];
    s->max = c[n - 1];
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += c[i];
    s->mean = sum / (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (c[i] - s->mean) * (c[i] - s->mean);
    s->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
    free(c);
}

void bench_latency_figures(uint64_t *v, size_t n, double *p50, double *p90, double *p99,
                           double *max)
{
    bench_sort_u64(v, n);
    *p50 = bench_percentile_sorted_u64(v, n, 0.50);
    *p90 = bench_percentile_sorted_u64(v, n, 0.90);
    *p99 = bench_percentile_sorted_u64(v, n, 0.99);
    *max = n ? (double)v[n - 1] : NAN;
}

void bench_summary_scale(const bench_summary *s, double d, bench_summary *out)
{
    *out = *s;
    if (!(d > 0))
        return;
    out->median /= d;
    out->ci_lo /= d;
    out->ci_hi /= d;
    out->min /= d;
    out->max /= d;
    out->mean /= d;
    out->stddev /= d;
}

int bench_ci_within(const uint64_t *times, size_t n, double target)
{
    if (n < 6 || !(target > 0))
        return 0;
    double *c = malloc(n * sizeof *c);
    if (!c)
        return 0;
    for (size_t i = 0; i < n; i++)
        c[i] = (double)times[i];
    bench_sort_doubles(c, n);
    double med = bench_percentile_sorted(c, n, 0.5), lo, hi, level;
    bench_median_ci(c, n, 0.95, &lo, &hi, &level);
    free(c);
    return level >= 0.95 && (hi - lo) / 2 <= target * med;
}

size_t bench_outliers(const double *v, size_t n, unsigned char *out)
{
    if (out)
        memset(out, 0, n);
    if (n < 4)
        return 0;
    double *c = malloc(n * sizeof *c);
    if (!c)
        return 0;
    memcpy(c, v, n * sizeof *c);
    bench_sort_doubles(c, n);
    double q1 = bench_percentile_sorted(c, n, 0.25), q3 = bench_percentile_sorted(c, n, 0.75);
    free(c);
    double lo = q1 - 3 * (q3 - q1), hi = q3 + 3 * (q3 - q1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] < lo || v[i] > hi) {
            if (out)
                out[i] = 1;
            k++;
        }
    return k;
}

/* The k-th smallest of x[0..n-1] (0-based), reordering x: Hoare's
 * selection with the middle element as pivot. */
static double select_kth(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = x[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return x[k];
    }
    return x[k];
}

/* The type-7 median of x[0..n-1], reordering x. */
static double select_median(double *x, size_t n)
{
    size_t k = (n - 1) / 2;
    double a = select_kth(x, n, k);
    if (n % 2)
        return a;
    /* the next order statistic is the smallest of the upper part */
    double b = x[k + 1];
    for (size_t i = k + 2; i < n; i++)
        if (x[i] < b)
            b = x[i];
    return (a + b) / 2;
}

/* The runs' first indices in start[] (ngroups of them); returns the room a
 * replicate needs (ngroups times the largest run), 0 when there are no
 * samples. */
static size_t boot_layout(const unsigned *group_n, unsigned ngroups, size_t *start)
{
    size_t n = 0, maxg = 0;
    for (unsigned g = 0; g < ngroups; g++) {
        start[g] = n;
        n += group_n[g];
        if (group_n[g] > maxg)
            maxg = group_n[g];
    }
    return n ? (size_t)ngroups * maxg : 0;
}

/* One replicate's sample indices into idx: ngroups runs drawn with
 * replacement (each run itself when there is one), then as many rounds of
 * each with replacement as it has. Returns their number. */
static size_t boot_draw(const size_t *start, const unsigned *group_n, unsigned ngroups,
                        uint64_t *rng, size_t *idx)
{
    size_t m = 0;
    for (unsigned g = 0; g < ngroups; g++) {
        unsigned pick = ngroups > 1 ? (unsigned)(bench_rand(rng) % ngroups) : g;
        unsigned gn = group_n[pick];
        for (unsigned i = 0; i < gn; i++)
            idx[m++] = start[pick] + bench_rand(rng) % gn;
    }
    return m;
}

/* The bootstrap of bench_boot_medians (b NULL) and bench_boot_paired_ratios:
 * the same drawn indices for a and b. */
static int boot(const double *a, const double *b, const unsigned *group_n, unsigned ngroups,
                unsigned reps, uint64_t *rng, double *out)
{
    size_t *start = malloc((ngroups ? ngroups : 1) * sizeof *start);
    size_t room = start ? boot_layout(group_n, ngroups, start) : 0;
    size_t *idx = room ? malloc(room * sizeof *idx) : NULL;
    double *ba = idx ? malloc(2 * room * sizeof *ba) : NULL;
    if (!ba) {
        free(idx);
        free(start);
        return -1;
    }
    double *bb = ba + room;
    for (unsigned r = 0; r < reps; r++) {
        size_t m = boot_draw(start, group_n, ngroups, rng, idx);
        for (size_t i = 0; i < m; i++) {
            ba[i] = a[idx[i]];
            if (b)
                bb[i] = b[idx[i]];
        }
        double ma = m ? select_median(ba, m) : NAN;
        double mb = b && m ? select_median(bb, m) : 1;
        out[r] = m && mb > 0 ? ma / mb : NAN;
    }
    free(ba);
    free(idx);
    free(start);
    return 0;
}

int bench_boot_medians(const double *v, const unsigned *group_n, unsigned ngroups,
                       unsigned reps, uint64_t *rng, double *out)
{
    return boot(v, NULL, group_n, ngroups, reps, rng, out);
}

int bench_boot_paired_ratios(const double *a, const double *b, const unsigned *group_n,
                             unsigned ngroups, unsigned reps, uint64_t *rng, double *out)
{
    return boot(a, b, group_n, ngroups, reps, rng, out);
}

void bench_boot_interval(double *reps, size_t n, double level, double *lo, double *hi)
{
    bench_sort_doubles(reps, n);
    double a = (1 - level) / 2;
    *lo = bench_percentile_sorted(reps, n, a);
    *hi = bench_percentile_sorted(reps, n, 1 - a);
}

/* ---- derived figures of a report ------------------------------------------------- */

static const bench_cell *find_cell(const bench_report *r, unsigned wl, int kind, int exe,
                                   unsigned threads)
{
    for (size_t i = 0; i < r->ncells; i++) {
        const bench_cell *c = &r->cells[i];
        if (c->wl != wl || c->nrounds == 0)
            continue;
        if (kind >= 0 && r->exes[c->exe].kind == (enum bench_exec_kind)kind)
            return c;
        if (kind < 0 && (int)c->exe == exe && c->threads == threads)
            return c;
    }
    return NULL;
}

double bench_wl_calls(const bench_wl_inst *w)
{
    int k = bench_workload_param(w->wl, "calls");
    if (k >= 0) {
        double c = bench_wl_param_num(w, (unsigned)k);
        return c >= 1 ? c : 1;
    }
    /* A parallel-for workload runs one call; a task workload none. */
    return (w->wl->uses & TPOOL_BENCH_USES_RANGE) && !(w->wl->uses & TPOOL_BENCH_USES_TASKS)
               ? 1
               : NAN;
}

/* Replicates of the bootstrap over runs and rounds. */
#define BOOT_REPS 2000

/* Per-run summaries, the spread of the run medians, outliers and, with
 * several runs, the median's CI from the bootstrap over runs and rounds. */
static void derive_runs(bench_cell *c, const double *t)
{
    unsigned nruns = c->nruns ? c->nruns : 1;
    unsigned groups[BENCH_MAX_RUNS];
    if (!c->nruns)
        groups[0] = c->nrounds;
    else
        memcpy(groups, c->run_rounds, nruns * sizeof *groups);
    c->runs_lo = c->runs_hi = c->runs_ci_lo = c->runs_ci_hi = NAN;
    c->noutliers = 0;
    unsigned char *out = malloc(c->nrounds ? c->nrounds : 1);
    size_t at = 0;
    unsigned with_data = 0;
    for (unsigned k = 0; k < nruns; k++) {
        bench_summarise(t + at, groups[k], &c->run_t[k]);
        c->noutliers += (unsigned)bench_outliers(t + at, groups[k], out ? out + at : NULL);
        at += groups[k];
        if (!groups[k])
            continue;
        with_data++;
        double m = c->run_t[k].median;
        if (isnan(c->runs_lo) || m < c->runs_lo)
            c->runs_lo = m;
        if (isnan(c->runs_hi) || m > c->runs_hi)
            c->runs_hi = m;
    }
    free(out);
    if (c->noutliers)
        c->flags |= BENCH_FLAG_OUTLIERS;
    double rel[BENCH_MAX_RUNS];
    unsigned nrel = 0;
    for (unsigned k = 0; k < nruns; k++)
        if (groups[k] && c->run_t[k].median > 0)
            rel[nrel++] = (c->run_t[k].ci_hi - c->run_t[k].ci_lo) / 2 / c->run_t[k].median;
    c->within_rel = bench_median(rel, nrel);
    c->between_rel = NAN;
    if (with_data < 2) {
        c->runs_lo = c->runs_hi = NAN;
        return;
    }
    /* two runs disagree when their intervals are disjoint */
    for (unsigned a = 0; a < nruns; a++)
        for (unsigned b = 0; b < nruns; b++)
            if (groups[a] && groups[b] && c->run_t[a].ci_hi < c->run_t[b].ci_lo)
                c->flags |= BENCH_FLAG_RUNS_DISAGREE;
    double *reps = malloc(BOOT_REPS * sizeof *reps);
    /* the same cell always gets the same replicates */
    uint64_t rng = 0x5EEDB007u ^ ((uint64_t)c->wl << 40) ^ ((uint64_t)c->exe << 20) ^ c->threads;
    if (reps && bench_boot_medians(t, groups, nruns, BOOT_REPS, &rng, reps) == 0)
        bench_boot_interval(reps, BOOT_REPS, 0.95, &c->runs_ci_lo, &c->runs_ci_hi);
    free(reps);
}

/* Each latency figure's median over the rounds that have one, and each
 * custom metric's over the rounds that report it. */
static void latency_medians(bench_cell *c)
{
    bench_latency *m = &c->lat_med;
    memset(m, 0, sizeof *m);
    /* the figures of bench_latency, by offset, in one loop */
    static const size_t off[] = {
        offsetof(bench_latency, p50),       offsetof(bench_latency, p90),
        offsetof(bench_latency, p99),       offsetof(bench_latency, max),
        offsetof(bench_latency, hi_p50),    offsetof(bench_latency, hi_p90),
        offsetof(bench_latency, hi_p99),    offsetof(bench_latency, hi_max),
        offsetof(bench_latency, lo_max),    offsetof(bench_latency, flow_mean),
        offsetof(bench_latency, flow_p50),  offsetof(bench_latency, flow_p99),
        offsetof(bench_latency, flow_max),  offsetof(bench_latency, slow_mean),
        offsetof(bench_latency, slow_p99),  offsetof(bench_latency, dl_tasks),
        offsetof(bench_latency, dl_missed),
    };
    double *v = malloc((c->nrounds ? c->nrounds : 1) * sizeof *v);
    for (size_t f = 0; f < sizeof off / sizeof off[0]; f++) {
        unsigned q = 0;
        for (unsigned k = 0; v && k < c->nrounds; k++)
            if (c->lat[k].valid) {
                m->valid = 1;
                m->has_prio |= c->lat[k].has_prio;
                v[q++] = *(const double *)((const char *)&c->lat[k] + off[f]);
            }
        *(double *)((char *)m + off[f]) = bench_median_nan(v, v ? q : 0);
    }
    for (unsigned x = 0; x < TPOOL_BENCH_MAX_METRICS; x++) {
        for (unsigned k = 0; v && k < c->nrounds; k++)
            v[k] = c->lat[k].custom[x];
        m->custom[x] = bench_median_nan(v, v ? c->nrounds : 0);
    }
    free(v);
}

/* A company cell's reference (the run alone plus its companion alone) and
 * its per-round ratio makespan / reference; with several runs the ratio's
 * CI is the bootstrap over runs and rounds, as for the times. */
static void derive_company(bench_cell *c)
{
    double *a = malloc((c->nrounds ? c->nrounds : 1) * sizeof *a);
    double *q = malloc((c->nrounds ? c->nrounds : 1) * sizeof *q);
    unsigned n = 0;
    for (unsigned k = 0; a && q && c->alone_ns && k < c->nrounds; k++) {
        a[k] = (double)c->alone_ns[k];
        q[k] = c->alone_ns[k] ? (double)c->times_ns[k] / (double)c->alone_ns[k] : NAN;
        n++;
    }
    bench_summarise(a, n, &c->alone);
    bench_summarise(q, n, &c->co_ratio);
    if (n && c->nruns > 1) {
        double *reps = malloc(BOOT_REPS * sizeof *reps);
        uint64_t rng = 0xC0C0A5u ^ ((uint64_t)c->wl << 40) ^ ((uint64_t)c->exe << 20) ^
                       c->threads;
        if (reps && bench_boot_medians(q, c->run_rounds, c->nruns, BOOT_REPS, &rng, reps) == 0) {
            bench_boot_interval(reps, BOOT_REPS, 0.95, &c->co_ratio.ci_lo, &c->co_ratio.ci_hi);
            c->co_ratio.ci_level = 0.95;
        }
        free(reps);
    }
    free(a);
    free(q);
}

void bench_report_derive(bench_report *r)
{
    r->nwarnings = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        bench_cell *c = &r->cells[i];
        c->flags = 0;
        double *t = malloc((c->nrounds ? c->nrounds : 1) * sizeof *t);
        for (unsigned k = 0; t && k < c->nrounds; k++)
            t[k] = (double)c->times_ns[k];
        bench_summarise(t, t ? c->nrounds : 0, &c->t);
        if (t)
            derive_runs(c, t);
        free(t);
        /* With several runs the CI that holds is the one over runs. */
        if (!isnan(c->runs_ci_lo)) {
            c->t.ci_lo = c->runs_ci_lo;
            c->t.ci_hi = c->runs_ci_hi;
            c->t.ci_level = 0.95;
        }
        if (!isnan(c->runs_lo) && c->t.median > 0)
            c->between_rel = (c->runs_hi - c->runs_lo) / 2 / c->t.median;
        if (c->t.median > 0 && c->t.ci_hi - c->t.ci_lo > BENCH_WIDE_CI * c->t.median)
            c->flags |= BENCH_FLAG_WIDE_CI;
        c->calls = r->exp ? bench_wl_calls(&r->exp->workloads[c->wl]) : NAN;
        bench_summary_scale(&c->t, c->calls, &c->t_call);
        c->ns_per_item = c->items ? c->t.median / (double)c->items : NAN;
        c->throughput = c->t.median > 0 ? (double)c->items / (c->t.median * 1e-9) : NAN;
        c->imbalance_med = bench_median_nan(c->imbalance, c->nrounds);
        c->imbalance_src = isnan(c->imbalance_med) ? NULL : "work";
        latency_medians(c);
        memset(&c->alone, 0, sizeof c->alone);
        memset(&c->co_ratio, 0, sizeof c->co_ratio);
        if (r->exes && r->exes[c->exe].company)
            derive_company(c);
    }
    for (size_t i = 0; i < r->ncells; i++) {
        bench_cell *c = &r->cells[i];
        const bench_cell *s = find_cell(r, c->wl, BENCH_EX_SERIAL, 0, 0);
        const bench_cell *one = find_cell(r, c->wl, -1, (int)c->exe, 1);
        c->speedup_serial = s && c->t.median > 0 ? s->t.median / c->t.median : NAN;
        c->speedup_1t = one && c->t.median > 0 ? one->t.median / c->t.median : NAN;
        double sp = !isnan(c->speedup_serial) ? c->speedup_serial : c->speedup_1t;
        c->efficiency = c->threads ? sp / c->threads : NAN;
    }
    bench_machine_warnings(r);
}
