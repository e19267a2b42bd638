/* check_bench_advise.c - the thread count `tpool-bench advise` picks: the
 * smallest count that no other count beats significantly. On a noisy
 * plateau it is the plateau's first count, whatever the noise; a count
 * clearly faster wins; a gain below --min-gain does not count; counts that
 * could not run are ignored; too few rounds show nothing. */
#include <math.h>

#include "bench.h"
#include "testutil.h"

enum { REPS = 7, NCOUNTS = 7 };
static const unsigned counts[NCOUNTS] = { 1, 2, 4, 8, 16, 26, 32 };

/* Fills t[i][*] with REPS times around base(i), each off by up to +-noise
 * (a fraction), drawn with rng. */
static void fill(double t[NCOUNTS][REPS], const double base[NCOUNTS], double noise,
                 uint64_t *rng, bench_advise_row rows[NCOUNTS])
{
    for (int i = 0; i < NCOUNTS; i++) {
        for (int r = 0; r < REPS; r++)
            t[i][r] = base[i] * (1 + noise * (2 * bench_rand_unit(rng) - 1));
        rows[i] = (bench_advise_row){ .threads = counts[i], .times = t[i], .n = REPS };
    }
}

/* The plateau from 8 threads on, 3% noise: the pick is 8 for every seed,
 * where the fastest median moves among 8, 16, 26 and 32. */
START_TEST(plateau_picks_its_first_count)
{
    unsigned seed = tu_seed("plateau_picks_its_first_count");
    uint64_t rng = seed;
    static const double base[NCOUNTS] = { 8, 4, 2, 1, 1, 1, 1 };
    unsigned fastest_seen = 0; /* bit i: count i had the fastest median once */
    for (int run = 0; run < 200; run++) {
        double t[NCOUNTS][REPS];
        bench_advise_row rows[NCOUNTS];
        fill(t, base, 0.03, &rng, rows);
        size_t p = bench_advise_pick(rows, NCOUNTS, 0.05);
        ck_assert_msg(p < NCOUNTS && rows[p].threads == 8, "run %d: picked %u", run,
                      p < NCOUNTS ? rows[p].threads : 0);
        size_t f = 0;
        for (size_t i = 1; i < NCOUNTS; i++)
            if (rows[i].median < rows[f].median)
                f = i;
        fastest_seen |= 1u << f;
        /* the slow counts are beaten, each by a faster one */
        for (int i = 0; i < 3; i++)
            ck_assert(rows[i].beaten_by >= 0 && rows[rows[i].beaten_by].median < rows[i].median);
        for (int i = 3; i < NCOUNTS; i++)
            ck_assert_int_eq(rows[i].beaten_by, -1);
    }
    /* the old rule (the fastest median) would have moved */
    ck_assert_msg(__builtin_popcount(fastest_seen) >= 3, "fastest medians: %#x", fastest_seen);
}
END_TEST

/* A count clearly faster than the plateau wins; one only 2% faster wins
 * only when the least gain is below 2%. */
START_TEST(clear_gains_win_small_ones_do_not)
{
    uint64_t rng = 7;
    double t[NCOUNTS][REPS];
    bench_advise_row rows[NCOUNTS];
    static const double faster[NCOUNTS] = { 8, 4, 2, 1, 0.5, 0.5, 0.5 };
    fill(t, faster, 0.01, &rng, rows);
    size_t p = bench_advise_pick(rows, NCOUNTS, 0.05);
    ck_assert_uint_eq(rows[p].threads, 16);
    ck_assert_int_ge(rows[3].beaten_by, 4);

    static const double slight[NCOUNTS] = { 8, 4, 2, 1, 0.98, 0.98, 0.98 };
    fill(t, slight, 0.001, &rng, rows);
    p = bench_advise_pick(rows, NCOUNTS, 0.05);
    ck_assert_uint_eq(rows[p].threads, 8);
    p = bench_advise_pick(rows, NCOUNTS, 0.01);
    ck_assert_uint_eq(rows[p].threads, 16);
}
END_TEST

/* Counts that could not run are neither picked nor beat anyone; with none
 * at all there is no pick. */
START_TEST(missing_counts)
{
    uint64_t rng = 11;
    double t[NCOUNTS][REPS];
    bench_advise_row rows[NCOUNTS];
    static const double base[NCOUNTS] = { 8, 4, 2, 1, 0.1, 1, 1 };
    fill(t, base, 0.01, &rng, rows);
    rows[4].n = 0; /* 16: would have been far faster */
    size_t p = bench_advise_pick(rows, NCOUNTS, 0.05);
    ck_assert_uint_eq(rows[p].threads, 8);
    for (int i = 0; i < NCOUNTS; i++)
        rows[i].n = 0;
    ck_assert_uint_eq(bench_advise_pick(rows, NCOUNTS, 0.05), NCOUNTS);
}
END_TEST

/* Below 6 times no interval reaches 95%: nothing beats anything. */
START_TEST(too_few_rounds)
{
    uint64_t rng = 3;
    double t[NCOUNTS][REPS];
    bench_advise_row rows[NCOUNTS];
    static const double base[NCOUNTS] = { 8, 4, 2, 1, 1, 1, 1 };
    fill(t, base, 0.01, &rng, rows);
    for (int i = 0; i < NCOUNTS; i++)
        rows[i].n = 5;
    size_t p = bench_advise_pick(rows, NCOUNTS, 0.05);
    ck_assert_uint_eq(rows[p].threads, 1);
    ck_assert(rows[p].ci_level < 0.95);
    for (int i = 0; i < NCOUNTS; i++)
        ck_assert_int_eq(rows[i].beaten_by, -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_advise");
    TCase *tc = tcase_create("advise");
    tcase_add_test(tc, plateau_picks_its_first_count);
    tcase_add_test(tc, clear_gains_win_small_ones_do_not);
    tcase_add_test(tc, missing_counts);
    tcase_add_test(tc, too_few_rounds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
