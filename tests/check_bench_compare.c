/* check_bench_compare.c - tpool-bench compare on synthetic results files
 * whose answer is known: a known shift is detected in the right direction,
 * identical or barely different samples are not, a difference between the
 * runs of one file is not mistaken for one between the files, and failed
 * checks, missing cells and unreadable files are reported. The times carry
 * seeded noise (the seed is printed). */
#define _GNU_SOURCE
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "testutil.h"

static uint64_t seed;

/* A results file with one cell per entry of spec: its executor label, the
 * median of each run, whether its check passed, and a baseline's setup
 * (NULL: not a baseline); nrounds per run, the times uniform within +-3% of
 * the run's median. */
typedef struct spec {
    const char *executor;
    double run_median[2];
    unsigned nruns;
    int ok;
    const char *setup;
} spec;

static char *write_file(const spec *sp, size_t n, unsigned nrounds, uint64_t *rng)
{
    json_t *root = json_pack("{s:s, s:{s:s, s:s, s:s, s:i}, s:[{s:s, s:s, s:{s:i}}]}", "schema",
                             BENCH_SCHEMA, "meta", "git_revision", "test", "date", "today",
                             "cpu_model", "Test CPU", "runs", (int)sp[0].nruns, "workloads",
                             "label", "w", "workload", "uniform", "params", "n", 100);
    json_t *cells = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array(), *runs = json_array();
        for (unsigned r = 0; r < sp[i].nruns; r++) {
            for (unsigned k = 0; k < nrounds; k++) {
                double u = bench_rand_unit(rng) * 2 - 1;
                json_array_append_new(t, json_integer((json_int_t)(sp[i].run_median[r] *
                                                                   (1 + 0.03 * u))));
            }
            json_array_append_new(runs, json_pack("{s:i, s:i}", "run", r + 1, "rounds",
                                                  (int)nrounds));
        }
        json_t *base = sp[i].setup ? json_pack("{s:s, s:s}", "setup", sp[i].setup,
                                               "compare_with", "dynamic")
                                   : json_null();
        json_array_append_new(cells,
                              json_pack("{s:s, s:s, s:i, s:o, s:o, s:{s:b, s:s}, s:o}",
                                        "workload", "w", "executor", sp[i].executor, "threads",
                                        2, "times_ns_per_run", t, "runs", runs, "check", "ok",
                                        sp[i].ok, "message", "", "baseline", base));
    }
    json_object_set_new(root, "cells", cells);
    static int serial;
    char *path;
    ck_assert_int_ge(asprintf(&path, "/tmp/check_bench_compare_%d_%d.json", (int)getpid(),
                              serial++),
                     0);
    ck_assert_int_eq(json_dump_file(root, path, 0), 0);
    json_decref(root);
    return path;
}

/* Removes a file write_file made, and frees its name. */
static void discard(char *path)
{
    unlink(path);
    free(path);
}

/* Runs compare on a and b; returns its status and its output in *text. */
static int compare(const char *a, const char *b, double threshold, char **text)
{
    bench_compare_opts o = { threshold, 0.95, 2000, 1 };
    size_t len;
    FILE *f = open_memstream(text, &len);
    int rc = bench_compare(f, a, b, &o);
    fclose(f);
    printf("%s\n", *text);
    return rc;
}

/* The verdict on the line of `executor`. */
static const char *verdict(const char *text, const char *executor)
{
    static char line[512];
    char key[64];
    snprintf(key, sizeof key, "\nw                %-16s", executor);
    const char *p = strstr(text, key);
    ck_assert_msg(p, "no line for %s in\n%s", executor, text);
    p++;
    size_t l = strcspn(p, "\n");
    snprintf(line, sizeof line, "%.*s", (int)l, p);
    return line;
}

START_TEST(known_shifts)
{
    uint64_t rng = seed;
    spec a[] = { { "same", { 1000 }, 1, 1, NULL },  { "up10", { 1000 }, 1, 1, NULL },
                 { "down10", { 1000 }, 1, 1, NULL }, { "up1", { 1000 }, 1, 1, NULL } };
    spec b[] = { { "same", { 1000 }, 1, 1, NULL },  { "up10", { 1100 }, 1, 1, NULL },
                 { "down10", { 900 }, 1, 1, NULL },  { "up1", { 1010 }, 1, 1, NULL } };
    char *pa = write_file(a, 4, 30, &rng), *pb = write_file(b, 4, 30, &rng);
    char *text;
    int rc = compare(pa, pb, 0.02, &text);
    ck_assert_int_eq(rc, 1); /* up10 regressed */
    ck_assert_msg(strstr(verdict(text, "same"), "no significant difference"), "%s", text);
    ck_assert_msg(strstr(verdict(text, "up10"), "slower"), "%s", text);
    ck_assert_msg(strstr(verdict(text, "down10"), "faster"), "%s", text);
    ck_assert_msg(strstr(verdict(text, "up1"), "no significant difference"), "%s", text);
    ck_assert(strstr(text, "1 faster, 1 slower, 2 no significant difference"));
    ck_assert(strstr(text, "REGRESSION"));
    free(text);
    /* the same file against itself: nothing changed */
    rc = compare(pa, pa, 0.02, &text);
    ck_assert_int_eq(rc, 0);
    ck_assert(strstr(text, "0 faster, 0 slower, 4 no significant difference"));
    free(text);
    /* a threshold above the shift: no verdict of change */
    rc = compare(pa, pb, 0.15, &text);
    ck_assert_int_eq(rc, 0);
    ck_assert(strstr(verdict(text, "up10"), "no significant difference"));
    free(text);
    discard(pa);
    discard(pb);
}
END_TEST

/* A's runs sit at 1000 and 1100, B's at 1050 and 1150: pooled, B looks 5%
 * slower with a narrow interval, but each of B's runs lies within A's, and
 * a bootstrap over runs does not call it a regression. (B at 1100 and 1200
 * put the interval's lower end at about 1.00, where the rounds' jitter
 * decided the verdict for some seeds.) */
START_TEST(runs_are_the_unit)
{
    uint64_t rng = seed;
    spec a[] = { { "x", { 1000, 1100 }, 2, 1, NULL } };
    spec b[] = { { "x", { 1050, 1150 }, 2, 1, NULL } };
    char *pa = write_file(a, 1, 15, &rng), *pb = write_file(b, 1, 15, &rng);
    char *text;
    int rc = compare(pa, pb, 0.02, &text);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(verdict(text, "x"), "no significant difference"), "%s", text);
    free(text);
    discard(pa);
    discard(pb);
}
END_TEST

/* A failed check in B is a regression; cells in one file only are listed;
 * too few rounds get no verdict; an unreadable file is status 2. */
START_TEST(failures_and_gaps)
{
    uint64_t rng = seed;
    spec a[] = { { "ok", { 1000 }, 1, 1, NULL }, { "gone", { 1000 }, 1, 1, NULL } };
    spec b[] = { { "ok", { 1000 }, 1, 0, NULL }, { "new", { 1000 }, 1, 1, NULL } };
    char *pa = write_file(a, 2, 10, &rng), *pb = write_file(b, 2, 10, &rng);
    char *text;
    int rc = compare(pa, pb, 0.02, &text);
    ck_assert_int_eq(rc, 1);
    ck_assert(strstr(verdict(text, "ok"), "check failed (in B only)"));
    ck_assert(strstr(verdict(text, "new"), "only in B"));
    ck_assert(strstr(verdict(text, "gone"), "only in A"));
    free(text);
    spec c[] = { { "few", { 1000 }, 1, 1, NULL } };
    char *pc = write_file(c, 1, 3, &rng);
    rc = compare(pc, pc, 0.02, &text);
    ck_assert_int_eq(rc, 0);
    ck_assert(strstr(verdict(text, "few"), "too few rounds"));
    free(text);
    rc = compare(pa, "/nonexistent/b.json", 0.02, &text);
    ck_assert_int_eq(rc, 2);
    free(text);
    char bad[] = "/tmp/check_bench_compare_badXXXXXX";
    int fd = mkstemp(bad);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "{\"schema\": \"other/1\"}", 21), 21);
    close(fd);
    rc = compare(pa, bad, 0.02, &text);
    ck_assert_int_eq(rc, 2);
    free(text);
    /* the command line: a threshold must say whether it is a fraction */
    char *argv[] = { "compare", "--threshold", "2", pa, pb, NULL };
    ck_assert_int_eq(bench_compare_main(5, argv), 2);
    char *argv2[] = { "compare", pa, NULL };
    ck_assert_int_eq(bench_compare_main(2, argv2), 2);
    unlink(bad);
    discard(pa);
    discard(pb);
    discard(pc);
}
END_TEST

/* A baseline cell whose setup differs between the files (omp-dynamic
 * paired with another chunk) measured another thing: no verdict, however
 * far apart the times; the same setup is compared as any cell. */
START_TEST(baseline_setup_differs)
{
    uint64_t rng = seed;
    spec a[] = { { "omp-dynamic", { 1000 }, 1, 1, "schedule(dynamic, 64)" },
                 { "omp-guided", { 1000 }, 1, 1, "schedule(guided, 1)" } };
    spec b[] = { { "omp-dynamic", { 1500 }, 1, 1, "schedule(dynamic, 8)" },
                 { "omp-guided", { 1500 }, 1, 1, "schedule(guided, 1)" } };
    char *pa = write_file(a, 2, 10, &rng), *pb = write_file(b, 2, 10, &rng);
    char *text;
    int rc = compare(pa, pb, 0.02, &text);
    ck_assert_int_eq(rc, 1); /* omp-guided regressed */
    ck_assert_msg(strstr(verdict(text, "omp-dynamic"), "different baseline setup: not compared"),
                  "%s", text);
    ck_assert_msg(strstr(verdict(text, "omp-guided"), "slower"), "%s", text);
    free(text);
    discard(pa);
    discard(pb);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_compare");
    TCase *tc = tcase_create("compare");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, known_shifts);
    tcase_add_test(tc, runs_are_the_unit);
    tcase_add_test(tc, failures_and_gaps);
    tcase_add_test(tc, baseline_setup_differs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    seed = tu_seed("check_bench_compare");
    return tu_run(suite());
}
