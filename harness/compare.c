/*
 * compare.c - tpool-bench compare A.json B.json: pairs the cells of two
 * results files (same workload label, executor label and thread count) and
 * says per cell whether B is faster or slower than A, with the ratio of the
 * medians B/A and its 95% confidence interval.
 *
 * The interval comes from a hierarchical bootstrap over the raw times each
 * file keeps: a replicate resamples A's runs and, within them, their rounds
 * (bench_boot_medians), does the same for B independently, and takes the
 * ratio of the two medians; the interval is the 2.5th and 97.5th
 * percentiles of the replicates. Resampling runs puts the variance between
 * processes in the interval when a file has several runs.
 *
 * Verdicts, for a threshold t (default 2%): "slower" when the whole
 * interval lies above 1 + t (B is slower by more than t, with 95%
 * confidence), "faster" when it lies below 1 - t, and otherwise "no
 * significant difference". A cell whose check failed in B is "check
 * failed"; one with fewer than 6 rounds on either side gets no verdict.
 * The exit status is 1 when a cell is slower or failed, so that CI can use
 * it; 2 on bad usage or an unreadable file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench.h"
#include "output.h"
#include "results_file.h"
#include "stats.h"

/* Fewer rounds than this on either side: no verdict. */
#define COMPARE_MIN_ROUNDS 6

static double median_of(const bench_results_cell *c)
{
    return bench_median(c->t, c->n);
}

/* "REV, DATE" of a file, for the heading. */
static void describe(const bench_results *f, char *buf, size_t n)
{
    json_t *m = json_object_get(f->root, "meta");
    const char *rev = json_string_value(json_object_get(m, "git_revision"));
    const char *date = json_string_value(json_object_get(m, "date"));
    const char *cpu = json_string_value(json_object_get(m, "cpu_model"));
    json_int_t runs = json_integer_value(json_object_get(m, "runs"));
    snprintf(buf, n, "%s: revision %s, %s, %s, %lld run%s", f->path, rev ? rev : "?",
             date ? date : "?", cpu ? cpu : "?", (long long)(runs ? runs : 1),
             runs > 1 ? "s" : "");
}

int bench_compare(FILE *out, const char *a_path, const char *b_path,
                  const bench_compare_opts *o)
{
    bench_results A, B;
    int rc = bench_results_load(&A, a_path, "tpool-bench compare");
    if (rc == 0)
        rc = bench_results_load(&B, b_path, "tpool-bench compare");
    else
        memset(&B, 0, sizeof B);
    if (rc != 0) {
        bench_results_free(&A);
        bench_results_free(&B);
        return 2;
    }
    char da[512], db[512];
    describe(&A, da, sizeof da);
    describe(&B, db, sizeof db);
    fprintf(out, "A = %s\nB = %s\n", da, db);
    const char *ca =
        json_string_value(json_object_get(json_object_get(A.root, "meta"), "cpu_model"));
    const char *cb =
        json_string_value(json_object_get(json_object_get(B.root, "meta"), "cpu_model"));
    if (ca && cb && strcmp(ca, cb) != 0)
        fprintf(out, "warning: A and B were measured on different CPUs\n");
    fprintf(out, "B/A: ratio of the median times per run; 95%% CI by a bootstrap over runs and "
                 "rounds (%u replicates); threshold %.3g%%\n\n",
            o->resamples, o->threshold * 100);
    fprintf(out, "%-16s %-16s %4s %11s %11s %7s %19s  %s\n", "workload", "executor", "T",
            "A median", "B median", "B/A", "95% CI of B/A", "verdict");

    double *ra = malloc(o->resamples * sizeof *ra), *rb = malloc(o->resamples * sizeof *rb);
    if (!ra || !rb) {
        free(ra);
        free(rb);
        bench_results_free(&A);
        bench_results_free(&B);
        return 2;
    }
    unsigned faster = 0, slower = 0, same = 0, failed = 0, only_a = 0, only_b = 0, differ = 0;
    for (size_t i = 0; i < B.ncells; i++) {
        const bench_results_cell *b = &B.cells[i];
        const bench_results_cell *a = bench_results_find(&A, b->workload, b->executor, b->threads);
        char x[32], y[32], ci[48] = "", rt[16] = "-";
        const char *verdict;
        double ma = a ? median_of(a) : NAN, mb = median_of(b);
        if (!a) {
            verdict = "only in B";
            only_b++;
        } else if (!b->ok) {
            verdict = a->ok ? "check failed (in B only)" : "check failed";
            failed++;
        } else if (!a->ok || a->n == 0 || b->n == 0) {
            verdict = a->ok ? "no data" : "check failed in A: not compared";
            differ++;
        } else if (a->params && b->params && !json_equal(a->params, b->params)) {
            verdict = "different workload: not compared";
            differ++;
        } else if (a->setup && b->setup && strcmp(a->setup, b->setup) != 0) {
            /* e.g. omp-dynamic paired with another chunk: another baseline */
            verdict = "different baseline setup: not compared";
            differ++;
        } else if (a->n < COMPARE_MIN_ROUNDS || b->n < COMPARE_MIN_ROUNDS) {
            /* a bootstrap of a handful of times has far less spread than
             * their distribution: its interval would claim too much */
            verdict = "too few rounds: not compared";
            differ++;
        } else {
            /* the same replicates for the same cell, whatever else the files hold */
            uint64_t seed = o->seed ^ ((uint64_t)b->threads * 0x9E3779B97F4A7C15u);
            for (const char *p = b->workload; *p; p++)
                seed = seed * 31 + (unsigned char)*p;
            for (const char *p = b->executor; *p; p++)
                seed = seed * 31 + (unsigned char)*p;
            if (bench_boot_medians(a->t, a->groups, a->ngroups, o->resamples, &seed, ra) != 0 ||
                bench_boot_medians(b->t, b->groups, b->ngroups, o->resamples, &seed, rb) != 0) {
                verdict = "out of memory";
                differ++;
            } else {
                for (unsigned k = 0; k < o->resamples; k++)
                    ra[k] = ra[k] > 0 ? rb[k] / ra[k] : NAN;
                double lo, hi;
                bench_boot_interval(ra, o->resamples, o->level, &lo, &hi);
                snprintf(rt, sizeof rt, "%.3f", mb / ma);
                snprintf(ci, sizeof ci, "[%.3f, %.3f]", lo, hi);
                if (lo > 1 + o->threshold) {
                    verdict = "slower";
                    slower++;
                } else if (hi < 1 - o->threshold) {
                    verdict = "faster";
                    faster++;
                } else {
                    verdict = "no significant difference";
                    same++;
                }
            }
        }
        fprintf(out, "%-16s %-16s %4u %11s %11s %7s %19s  %s\n", b->workload, b->executor,
                b->threads, bench_format_ns(x, sizeof x, ma), bench_format_ns(y, sizeof y, mb),
                rt, ci, verdict);
    }
    for (size_t i = 0; i < A.ncells; i++)
        if (!bench_results_find(&B, A.cells[i].workload, A.cells[i].executor, A.cells[i].threads)) {
            const bench_results_cell *a = &A.cells[i];
            char x[32];
            fprintf(out, "%-16s %-16s %4u %11s %11s %7s %19s  %s\n", a->workload, a->executor,
                    a->threads, bench_format_ns(x, sizeof x, median_of(a)), "-", "-", "",
                    "only in A");
            only_a++;
        }
    fprintf(out, "\n%u faster, %u slower, %u no significant difference (threshold %.3g%%)",
            faster, slower, same, o->threshold * 100);
    if (failed)
        fprintf(out, ", %u failed their check in B", failed);
    if (differ)
        fprintf(out, ", %u not compared", differ);
    if (only_a || only_b)
        fprintf(out, "; %u cells only in A, %u only in B", only_a, only_b);
    fprintf(out, "\n");
    if (slower || failed)
        fprintf(out, "REGRESSION: %u cell(s) slower beyond the threshold, %u failed\n", slower,
                failed);
    free(ra);
    free(rb);
    bench_results_free(&A);
    bench_results_free(&B);
    return slower || failed ? 1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: tpool-bench compare [OPTIONS] A.json B.json\n"
"\n"
"Pairs the cells of two tpool-bench results files (same workload label,\n"
"executor and thread count) and prints per cell the ratio of the median\n"
"times B/A, its 95%% confidence interval (a bootstrap over the runs and the\n"
"rounds each file keeps) and a verdict: faster, slower, or no significant\n"
"difference at the threshold. Cells with fewer than 6 rounds in either file\n"
"get no verdict.\n"
"\n"
"  -t, --threshold F   a change smaller than F is no change: 0.02 or 2%% (default)\n"
"      --level L       confidence level of the interval (default 0.95)\n"
"      --resamples N   bootstrap replicates (default 4000)\n"
"  -s, --seed N        seed of the bootstrap (default 1)\n"
"  -h, --help\n"
"\n"
"Exit status: 0; 1 when a cell of B is slower beyond the threshold or failed\n"
"its result check; 2 on bad usage or an unreadable file.\n");
}

/* One option of compare (and of ratio, which shares the bootstrap's):
 * -t, --level, --resamples or -s into o. 0, or -1 with why on stderr. */
int bench_compare_option(int c, const char *arg, const char *who, bench_compare_opts *o)
{
    char *end;
    switch (c) {
    case 't':
        if (bench_parse_fraction(arg, 0.5, &o->threshold) != 0) {
            fprintf(stderr, "%s: --threshold: expected a fraction like 0.02 or a percentage "
                            "like 2%%, at most 50%%\n", who);
            return -1;
        }
        return 0;
    case 'l':
        o->level = strtod(arg, &end);
        if (*end || end == arg || !(o->level >= 0.5) || !(o->level < 1)) {
            fprintf(stderr, "%s: --level: expected a number in [0.5, 1)\n", who);
            return -1;
        }
        return 0;
    case 'n': {
        errno = 0;
        unsigned long v = strtoul(arg, &end, 10);
        if (errno || *end || end == arg || v < 100 || v > 1000000) {
            fprintf(stderr, "%s: --resamples: expected 100 to 1000000\n", who);
            return -1;
        }
        o->resamples = (unsigned)v;
        return 0;
    }
    case 's':
        errno = 0;
        o->seed = strtoull(arg, &end, 10);
        if (errno || *end || end == arg || arg[0] == '-') {
            fprintf(stderr, "%s: --seed: expected an integer >= 0\n", who);
            return -1;
        }
        return 0;
    }
    return -1;
}

int bench_compare_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "threshold", required_argument, NULL, 't' },
        { "level", required_argument, NULL, 'l' },
        { "resamples", required_argument, NULL, 'n' },
        { "seed", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bench_compare_opts o = { 0.02, 0.95, 4000, 1 };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:s:h", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == '?' || bench_compare_option(c, optarg, "tpool-bench compare", &o) != 0) {
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "tpool-bench compare: expected two results files, A.json and B.json\n");
        usage(stderr);
        return 2;
    }
    return bench_compare(stdout, argv[optind], argv[optind + 1], &o);
}
