/* stats.c - medians, percentiles and the median's confidence interval
 * (definitions in stats.h). */
#include "stats.h"

#include <math.h>
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

void bench_report_derive(bench_report *r)
{
    for (size_t i = 0; i < r->ncells; i++) {
        bench_cell *c = &r->cells[i];
        double *t = malloc((c->nrounds ? c->nrounds : 1) * sizeof *t);
        for (unsigned k = 0; t && k < c->nrounds; k++)
            t[k] = (double)c->times_ns[k];
        bench_summarise(t, t ? c->nrounds : 0, &c->t);
        free(t);
        c->throughput = c->t.median > 0 ? (double)c->items / (c->t.median * 1e-9) : NAN;
        c->imbalance_med = bench_median_nan(c->imbalance, c->nrounds);
        c->imbalance_src = isnan(c->imbalance_med) ? NULL : "work";
        /* latency: each figure's median over the rounds */
        memset(&c->lat_med, 0, sizeof c->lat_med);
        double v[6][1024];
        unsigned n = c->nrounds < 1024 ? c->nrounds : 1024, m = 0;
        for (unsigned k = 0; k < n; k++) {
            const bench_latency *l = &c->lat[k];
            if (!l->valid)
                continue;
            c->lat_med.valid = 1;
            c->lat_med.has_prio = l->has_prio;
            v[0][m] = l->p50;
            v[1][m] = l->p90;
            v[2][m] = l->p99;
            v[3][m] = l->max;
            v[4][m] = l->hi_p99;
            v[5][m] = l->lo_max;
            m++;
        }
        if (c->lat_med.valid) {
            c->lat_med.p50 = bench_median_nan(v[0], m);
            c->lat_med.p90 = bench_median_nan(v[1], m);
            c->lat_med.p99 = bench_median_nan(v[2], m);
            c->lat_med.max = bench_median_nan(v[3], m);
            c->lat_med.hi_p99 = bench_median_nan(v[4], m);
            c->lat_med.lo_max = bench_median_nan(v[5], m);
            double h[3][1024];
            unsigned q = 0;
            for (unsigned k = 0; k < n; k++)
                if (c->lat[k].valid) {
                    h[0][q] = c->lat[k].hi_p50;
                    h[1][q] = c->lat[k].hi_p90;
                    h[2][q] = c->lat[k].hi_max;
                    q++;
                }
            c->lat_med.hi_p50 = bench_median_nan(h[0], q);
            c->lat_med.hi_p90 = bench_median_nan(h[1], q);
            c->lat_med.hi_max = bench_median_nan(h[2], q);
        } else {
            c->lat_med.p50 = c->lat_med.p90 = c->lat_med.p99 = c->lat_med.max = NAN;
            c->lat_med.hi_p50 = c->lat_med.hi_p90 = c->lat_med.hi_p99 = NAN;
            c->lat_med.hi_max = c->lat_med.lo_max = NAN;
        }
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
}
