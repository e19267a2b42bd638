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

#endif
