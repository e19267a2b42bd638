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

/* The stopping rule's test on a run's times: 95% coverage needs 6 rounds;
 * then the half-width against the target. */
START_TEST(ci_within_target)
{
    uint64_t t[12];
    for (int i = 0; i < 12; i++)
        t[i] = 1000 + (uint64_t)(i % 3); /* tight: half-width 1 of 1001 */
    ck_assert(!bench_ci_within(t, 5, 0.02)); /* [min, max] at 94%: not 95% */
    ck_assert(bench_ci_within(t, 6, 0.02));
    ck_assert(!bench_ci_within(t, 6, 0.0005));
    ck_assert(!bench_ci_within(t, 6, 0));
    t[0] = 5000; /* one slow round: ranks 1..6 include it at n = 6 */
    ck_assert(!bench_ci_within(t, 6, 0.02));
    ck_assert(bench_ci_within(t, 12, 0.02)); /* ranks 3..10 leave it out */
}
END_TEST

START_TEST(tukey_outliers)
{
    double v[] = { 10, 11, 12, 10, 11, 12, 10, 11, 100, 11 };
    unsigned char out[10];
    ck_assert_uint_eq(bench_outliers(v, 10, out), 1);
    ck_assert_uint_eq(out[8], 1);
    ck_assert_uint_eq(out[0], 0);
    /* 1.5 IQR would flag 14 here; the outer fence (3 IQR) does not */
    double w[] = { 10, 11, 12, 10, 11, 12, 10, 11, 14, 11 };
    ck_assert_uint_eq(bench_outliers(w, 10, NULL), 0);
    ck_assert_uint_eq(bench_outliers(v, 3, NULL), 0);
}
END_TEST

/* The bootstrap is deterministic for a seed, its replicates are medians of
 * the data, and with one group it is the ordinary bootstrap. */
START_TEST(bootstrap_medians)
{
    double v[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    unsigned groups[] = { 6, 6 };
    double a[500], b[500];
    uint64_t s1 = 42, s2 = 42;
    ck_assert_int_eq(bench_boot_medians(v, groups, 2, 500, &s1, a), 0);
    ck_assert_int_eq(bench_boot_medians(v, groups, 2, 500, &s2, b), 0);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    for (int i = 0; i < 500; i++)
        ck_assert(a[i] >= 1 && a[i] <= 12);
    double lo, hi;
    bench_boot_interval(a, 500, 0.95, &lo, &hi);
    ck_assert(lo <= 6.5 && hi >= 6.5 && lo < hi);
    /* identical values: every replicate is that value */
    double same[] = { 7, 7, 7, 7 };
    unsigned one[] = { 4 };
    ck_assert_int_eq(bench_boot_medians(same, one, 1, 100, &s1, a), 0);
    bench_boot_interval(a, 100, 0.95, &lo, &hi);
    NEAR(lo, 7);
    NEAR(hi, 7);
}
END_TEST

/* Rounds whose machine state slowed both cells alike (a factor from 1 to
 * 10, the same in a round): the paired bootstrap's ratio is exactly 2 in
 * every replicate, where drawing each cell's rounds on its own spreads it;
 * with the pairs shuffled (rounds that shared nothing) the paired interval
 * widens too. */
START_TEST(bootstrap_paired_ratios)
{
    enum { N = 24, REPS = 400 };
    double a[N], b[N], shuffled[N], r[REPS], ra[REPS], rb[REPS];
    unsigned groups[] = { 12, 12 };
    for (int i = 0; i < N; i++) {
        double f = 1 + (i * 7) % 10;
        a[i] = 200 * f;
        b[i] = 100 * f;
        shuffled[i] = 100 * (1 + ((i + 5) * 3) % 10);
    }
    uint64_t s1 = 9, s2 = 9;
    double lo, hi;
    ck_assert_int_eq(bench_boot_paired_ratios(a, b, groups, 2, REPS, &s1, r), 0);
    bench_boot_interval(r, REPS, 0.95, &lo, &hi);
    NEAR(lo, 2);
    NEAR(hi, 2);
    /* each cell on its own: the ratio of independent medians spreads */
    ck_assert_int_eq(bench_boot_medians(a, groups, 2, REPS, &s2, ra), 0);
    ck_assert_int_eq(bench_boot_medians(b, groups, 2, REPS, &s2, rb), 0);
    for (int i = 0; i < REPS; i++)
        ra[i] /= rb[i];
    bench_boot_interval(ra, REPS, 0.95, &lo, &hi);
    ck_assert_msg(lo < 1.8 && hi > 2.2, "independent interval [%g, %g]", lo, hi);
    ck_assert_int_eq(bench_boot_paired_ratios(a, shuffled, groups, 2, REPS, &s1, r), 0);
    bench_boot_interval(r, REPS, 0.95, &lo, &hi);
    ck_assert_msg(lo < 1.8 && hi > 2.2, "unpaired rounds: [%g, %g]", lo, hi);
    /* deterministic for a seed; no samples is an error */
    uint64_t s3 = 5, s4 = 5;
    ck_assert_int_eq(bench_boot_paired_ratios(a, shuffled, groups, 2, REPS, &s3, ra), 0);
    ck_assert_int_eq(bench_boot_paired_ratios(a, shuffled, groups, 2, REPS, &s4, rb), 0);
    ck_assert(memcmp(ra, rb, sizeof ra) == 0);
    unsigned none[] = { 0 };
    ck_assert_int_eq(bench_boot_paired_ratios(a, b, none, 1, REPS, &s3, r), -1);
}
END_TEST

/* Two runs of one cell whose medians differ by 20% while each is tight:
 * the cell's CI comes from the runs and covers both, the within- and
 * between-run spreads say which dominates, and the runs disagree. */
START_TEST(runs_derived)
{
    bench_experiment e;
    bench_perror pe;
    ck_assert_int_eq(bench_experiment_parse("{\"workloads\": [\"uniform\"]}", "<t>", &e, &pe), 0);
    bench_executor x;
    memset(&x, 0, sizeof x);
    x.kind = BENCH_EX_TPOOL;
    strcpy(x.label, "fifo");
    uint64_t t[20];
    double imb[20];
    bench_latency lat[20];
    memset(lat, 0, sizeof lat);
    for (int i = 0; i < 10; i++) {
        t[i] = 1000 + (uint64_t)(i % 5);      /* run 1: about 1002 */
        t[10 + i] = 1200 + (uint64_t)(i % 5); /* run 2: about 1202 */
        imb[i] = imb[10 + i] = NAN;
    }
    bench_cell c;
    memset(&c, 0, sizeof c);
    c.threads = 2;
    c.items = 100;
    c.nrounds = 20;
    c.times_ns = t;
    c.imbalance = imb;
    c.lat = lat;
    c.check_ok = 1;
    c.nruns = 2;
    c.run_rounds[0] = c.run_rounds[1] = 10;
    c.run_stop[0] = BENCH_STOP_CI;
    c.run_stop[1] = BENCH_STOP_BUDGET;
    bench_report r;
    memset(&r, 0, sizeof r);
    r.exp = &e;
    r.exes = &x;
    r.nexes = 1;
    r.cells = &c;
    r.ncells = 1;
    bench_report_derive(&r);
    NEAR(c.run_t[0].median, 1002);
    NEAR(c.run_t[1].median, 1202);
    NEAR(c.runs_lo, 1002);
    NEAR(c.runs_hi, 1202);
    ck_assert(c.flags & BENCH_FLAG_RUNS_DISAGREE);
    /* the pooled order-statistic interval would be [1004, 1200]; the
     * bootstrap over runs reaches both runs' medians */
    ck_assert_msg(c.t.ci_lo <= 1002.5 && c.t.ci_hi >= 1201.5, "[%g, %g]", c.t.ci_lo, c.t.ci_hi);
    ck_assert(c.t.ci_level == 0.95);
    ck_assert(c.flags & BENCH_FLAG_WIDE_CI);
    NEAR(c.between_rel, 100.0 / c.t.median);
    ck_assert(c.within_rel < 0.005);
    /* agreeing runs: no flag, and within-run spread dominates */
    for (int i = 0; i < 10; i++)
        t[10 + i] = 1000 + (uint64_t)((i + 2) % 5);
    bench_report_derive(&r);
    ck_assert(!(c.flags & BENCH_FLAG_RUNS_DISAGREE));
    ck_assert(!(c.flags & BENCH_FLAG_WIDE_CI));
    ck_assert(c.between_rel <= c.within_rel);
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
    tcase_add_test(tc, ci_within_target);
    tcase_add_test(tc, tukey_outliers);
    tcase_add_test(tc, bootstrap_medians);
    tcase_add_test(tc, bootstrap_paired_ratios);
    tcase_add_test(tc, runs_derived);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
