/* check_bench_stats.c - the harness's statistics on data whose answers are
 * known: type-7 percentiles, the order-statistic CI of the median (checked
 * against published ranks), summaries and the derived ratios. */
#include <math.h>

#include "bench.h"
#include "stats.h"
#include "testutil.h"

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.12g, expected %.12g", #a, \
                                 (double)(a), (double)(b))

START_TEST(percentiles_type7)
{
    double x[10];
    for (int i = 0; i < 10; i++)
        x[i] = i + 1;
    NEAR(bench_percentile_sorted(x, 10, 0.5), 5.5);
    NEAR(bench_percentile_sorted(x, 10, 0.9), 9.1);
    NEAR(bench_percentile_sorted(x, 10, 0.99), 9.91);
    NEAR(bench_percentile_sorted(x, 10, 0), 1);
    NEAR(bench_percentile_sorted(x, 10, 1), 10);
    NEAR(bench_percentile_sorted(x, 10, -3), 1);
    NEAR(bench_percentile_sorted(x, 10, 7), 10);
    NEAR(bench_percentile_sorted(x, 1, 0.3), 1);
    ck_assert(isnan(bench_percentile_sorted(x, 0, 0.5)));
    uint64_t u[5] = { 50, 10, 40, 20, 30 };
    double p50, p90, p99, max;
    bench_latency_figures(u, 5, &p50, &p90, &p99, &max);
    NEAR(p50, 30);
    NEAR(p90, 46);
    NEAR(p99, 49.6);
    NEAR(max, 50);
    ck_assert_uint_eq(u[0], 10); /* sorted in place */
}
END_TEST

START_TEST(medians)
{
    double odd[] = { 3, 1, 2 }, even[] = { 4, 1, 3, 2 };
    NEAR(bench_median(odd, 3), 2);
    NEAR(bench_median(even, 4), 2.5);
    ck_assert(odd[0] == 3); /* not modified */
    double withnan[] = { NAN, 5, 1, NAN, 3 };
    NEAR(bench_median_nan(withnan, 5), 3);
    double allnan[] = { NAN, NAN };
    ck_assert(isnan(bench_median_nan(allnan, 2)));
    ck_assert(isnan(bench_median(odd, 0)));
}
END_TEST

/* Ranks of the distribution-free 95% interval for the median, as tabulated
 * (e.g. Conover, Practical Nonparametric Statistics, table A3). */
static const struct {
    size_t n, lo, hi; /* 1-based ranks */
    double coverage;
} ci_table[] = {
    { 6, 1, 6, 0.96875 },
    { 8, 1, 8, 0.9921875 },
    { 9, 2, 8, 0.9609375 },
    { 10, 2, 9, 0.978515625 },
    { 20, 6, 15, 0.958610535 },
    { 100, 40, 61, 0.964799 },
};

START_TEST(median_ci_ranks)
{
    size_t k = (size_t)_i;
    size_t n = ci_table[k].n;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (double)(i + 1) * 10;
    double lo, hi, cov;
    bench_median_ci(x, n, 0.95, &lo, &hi, &cov);
    ck_assert_msg(lo == (double)ci_table[k].lo * 10 && hi == (double)ci_table[k].hi * 10,
                  "n=%zu: [%g, %g], expected ranks %zu..%zu", n, lo, hi, ci_table[k].lo,
                  ci_table[k].hi);
    ck_assert_msg(fabs(cov - ci_table[k].coverage) < 1e-5, "n=%zu coverage %.7f", n, cov);
    ck_assert(cov >= 0.95);
    free(x);
}
END_TEST

START_TEST(median_ci_small)
{
    double x[] = { 1, 2, 3, 4, 5 };
    double lo, hi, cov;
    bench_median_ci(x, 5, 0.95, &lo, &hi, &cov);
    NEAR(lo, 1);
    NEAR(hi, 5);
    NEAR(cov, 0.9375); /* below 95%: reported as achieved */
    bench_median_ci(x, 1, 0.95, &lo, &hi, &cov);
    NEAR(lo, 1);
    NEAR(hi, 1);
    NEAR(cov, 0);
    bench_median_ci(x, 0, 0.95, &lo, &hi, &cov);
    ck_assert(isnan(lo) && isnan(hi) && isnan(cov));
}
END_TEST

START_TEST(summary)
{
    double v[] = { 9, 2, 5, 4, 12, 7, 8, 11, 9, 3 };
    bench_summary s;
    bench_summarise(v, 10, &s);
    ck_assert_uint_eq(s.n, 10);
    NEAR(s.median, 7.5);
    NEAR(s.min, 2);
    NEAR(s.max, 12);
    NEAR(s.mean, 7);
    NEAR(s.stddev, sqrt(104.0 / 9)); /* sum of squares 104, n - 1 = 9 */
    NEAR(s.ci_lo, 3);                 /* ranks 2 and 9 of 10 */
    NEAR(s.ci_hi, 11);
    ck_assert(v[0] == 9);
    bench_summarise(v, 0, &s);
    ck_assert(isnan(s.median));
}
END_TEST

/* bench_report_derive on a hand-made report: serial 100, policy at 1 and 2
 * threads 110 and 60: speedups and efficiency follow. */
START_TEST(derived_ratios)
{
    bench_experiment e;
    bench_perror pe;
    ck_assert_int_eq(bench_experiment_parse("{\"workloads\": [\"uniform\"]}", "<t>", &e, &pe), 0);
    bench_executor exes[2];
    memset(exes, 0, sizeof exes);
    exes[0].kind = BENCH_EX_SERIAL;
    strcpy(exes[0].label, "serial");
    exes[1].kind = BENCH_EX_TPOOL;
    strcpy(exes[1].label, "fifo");
    uint64_t t_s[] = { 100, 101, 99 }, t_1[] = { 110, 111, 109 }, t_2[] = { 60, 59, 61 };
    double imb[] = { 1.5, NAN, 1.1 };
    bench_cell cells[3];
    memset(cells, 0, sizeof cells);
    bench_latency lat[3];
    memset(lat, 0, sizeof lat);
    uint64_t *times[] = { t_s, t_1, t_2 };
    unsigned th[] = { 1, 1, 2 }, ex[] = { 0, 1, 1 };
    for (int i = 0; i < 3; i++) {
        cells[i].wl = 0;
        cells[i].exe = ex[i];
        cells[i].threads = th[i];
        cells[i].items = 1000;
        cells[i].nrounds = 3;
        cells[i].times_ns = times[i];
        cells[i].imbalance = imb;
        cells[i].lat = lat;
        cells[i].check_ok = 1;
    }
    bench_report r;
    memset(&r, 0, sizeof r);
    r.exp = &e;
    r.exes = exes;
    r.nexes = 2;
    r.cells = cells;
    r.ncells = 3;
    bench_report_derive(&r);
    NEAR(cells[0].t.median, 100);
    NEAR(cells[2].t.median, 60);
    NEAR(cells[2].speedup_serial, 100.0 / 60);
    NEAR(cells[2].speedup_1t, 110.0 / 60);
    NEAR(cells[2].efficiency, 100.0 / 60 / 2);
    NEAR(cells[1].speedup_1t, 1);
    ck_assert(fabs(cells[2].throughput / (1000 / 60e-9) - 1) < 1e-12);
    NEAR(cells[2].imbalance_med, 1.3);
    ck_assert_str_eq(cells[2].imbalance_src, "work");
    ck_assert(!cells[2].lat_med.valid);
    bench_experiment_free(&e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_stats");
    TCase *tc = tcase_create("stats");
    tcase_add_test(tc, percentiles_type7);
    tcase_add_test(tc, medians);
    tcase_add_loop_test(tc, median_ci_ranks, 0, (int)(sizeof ci_table / sizeof ci_table[0]));
    tcase_add_test(tc, median_ci_small);
    tcase_add_test(tc, summary);
    tcase_add_test(tc, derived_ratios);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
