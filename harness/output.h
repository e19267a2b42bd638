/* output.h - helpers shared by the writers (table, CSV, JSON, plots). */
#ifndef TPOOL_BENCH_OUTPUT_H
#define TPOOL_BENCH_OUTPUT_H

#include "bench.h"

/* "policy", "serial", "openmp" or "pthreadpool". */
const char *bench_exec_kind_name(const bench_executor *x);

/* Pool statistics of a cell, per round (the sums divided by the rounds),
 * over all workers and the outside threads; NaN when the cell has none.
 * steals: the policy counter named "steals", NaN when the policy has none. */
typedef struct bench_totals {
    double busy_ns, idle_ns, parks, wakes, steals;
} bench_totals;
void bench_cell_totals(const bench_cell *c, bench_totals *t);

/* Why the cell's runs stopped: one name when every run stopped alike,
 * else each run's, '/'-separated. `brief`: the table's short names (ci,
 * max, budget, failed, intr). */
void bench_cell_stops(const bench_cell *c, int brief, char *buf, size_t size);

/* The flags of a cell as words ("wide_ci outliers runs_disagree"), or "". */
void bench_cell_flags(const bench_cell *c, char *buf, size_t size);

/* A time in ns written in the unit that suits it (ns, us, ms, s) with
 * three or four significant digits; "-" for NaN. Returns buf. */
const char *bench_format_ns(char *buf, size_t n, double ns);

/* The CSV's columns, in order. */
size_t bench_csv_ncolumns(void);
const char *bench_csv_column(size_t i);
/* The CSV column of a workload's own metric: metric_NAME_UNIT, the unit's
 * characters other than letters and digits as '_'. */
void bench_csv_metric_column(const char *name, const char *unit, char *buf, size_t size);

#endif
