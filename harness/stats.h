/*
 * stats.h - the statistics tpool-bench reports: medians, percentiles and a
 * distribution-free confidence interval for the median.
 *
 * Percentiles interpolate linearly between order statistics (Hyndman and
 * Fan's type 7, numpy's default): for sorted x[0..n-1] and p in [0, 1],
 * h = (n - 1) p and the value is x[floor h] + (h - floor h)(x[floor h + 1] -
 * x[floor h]). The median is the 0.5 percentile.
 *
 * The confidence interval for the median is the order-statistic interval
 * [x(l), x(n+1-l)] (1-based) with the largest l whose coverage
 * 1 - 2 P(B <= l - 1), B ~ Binomial(n, 1/2), is at least the level asked
 * for. It needs no assumption about the distribution of the times. With
 * fewer than 6 samples no l reaches 95%: the interval is then [min, max] and
 * the coverage actually achieved is reported with it.
 *
 * Across separate runs (processes) the median's interval comes from a
 * hierarchical bootstrap that resamples runs, then rounds within each run,
 * so that the run-to-run variance is part of it (bench_boot_medians).
 */
#ifndef TPOOL_BENCH_STATS_H
#define TPOOL_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"

/* Sorts v in place (ascending; NaN are not expected). */
void bench_sort_doubles(double *v, size_t n);
void bench_sort_u64(uint64_t *v, size_t n);
/* Type-7 percentile of sorted data; NaN when n == 0. p is clamped to [0,1]. */
double bench_percentile_sorted(const double *sorted, size_t n, double p);
double bench_percentile_sorted_u64(const uint64_t *sorted, size_t n, double p);
/* Median of v (not modified); NaN when n == 0. */
double bench_median(const double *v, size_t n);
/* Median of the non-NaN values of v; NaN when there are none. */
double bench_median_nan(const double *v, size_t n);
/*
 * Order-statistic confidence interval for the median of sorted data at
 * `level` (e.g. 0.95): writes the bounds and the coverage achieved. With
 * n == 0 all three are NaN.
 */
void bench_median_ci(const double *sorted, size_t n, double level, double *lo,
                     double *hi, double *achieved);
/* p50, p90, p99 and max of v (sorted in place); NaN when n == 0. */
void bench_latency_figures(uint64_t *v, size_t n, double *p50, double *p90, double *p99,
                           double *max);
/* Everything bench_summary holds, for n samples (copied, not modified). */
void bench_summarise(const double *v, size_t n, bench_summary *s);
/* s with every time divided by d (a summary per call from one per run). */
void bench_summary_scale(const bench_summary *s, double d, bench_summary *out);

/*
 * The stopping rule: 1 when the 95% order-statistic CI of the median of the
 * n times reaches 95% coverage (n >= 6) and its half-width, (hi - lo) / 2,
 * is at most target times the median.
 */
int bench_ci_within(const uint64_t *times, size_t n, double target);

/*
 * Tukey's outer fences: x is an outlier when it lies below Q1 - 3 IQR or
 * above Q3 + 3 IQR (type-7 quartiles). Sets out[i] to 1 for each outlier of
 * v[0..n-1] (out may be NULL) and returns their count; 0 for n < 4.
 */
size_t bench_outliers(const double *v, size_t n, unsigned char *out);

/*
 * Hierarchical bootstrap of the median: the n samples of v are grouped in
 * `ngroups` consecutive runs of group_n[g] samples. Each of the `reps`
 * replicates draws ngroups runs with replacement (when ngroups > 1), then
 * within each drawn run as many samples with replacement as it has, and
 * writes the median of all drawn samples to out[rep]. Deterministic for a
 * given *rng state (splitmix64, advanced). Returns 0, or -1 when out of
 * memory or there are no samples.
 */
int bench_boot_medians(const double *v, const unsigned *group_n, unsigned ngroups,
                       unsigned reps, uint64_t *rng, double *out);
/*
 * The same bootstrap for the ratio of two cells' medians measured in the
 * same rounds: a[i] and b[i] come from one round (the two cells ran in it
 * one after the other), grouped in runs as above. A replicate draws runs,
 * then round indices within each, the same for a and b, and writes
 * median(a drawn) / median(b drawn) to out[rep]. Pairing keeps what the
 * two cells of a round shared (the machine's state then) out of the
 * interval, which resampling them independently would put in.
 */
int bench_boot_paired_ratios(const double *a, const double *b, const unsigned *group_n,
                             unsigned ngroups, unsigned reps, uint64_t *rng, double *out);
/* The 95% (or `level`) percentile interval of the replicates (sorted in
 * place). */
void bench_boot_interval(double *reps, size_t n, double level, double *lo, double *hi);

#endif
