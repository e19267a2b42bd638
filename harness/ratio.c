/*
 * ratio.c - tpool-bench ratio FILE.json A B: the ratio of two cells'
 * median times per run in one results file, with a 95% confidence
 * interval that uses what makes the file's ratios worth taking: the two
 * cells ran in the same rounds (each round runs every cell once, in a
 * shuffled order, runner.c). Round k of run r of A is paired with round k
 * of run r of B, and a bootstrap draws runs, then rounds, the same for
 * both (bench_boot_paired_ratios), so that what a round's two cells shared
 * (the machine's state at the time) does not widen the interval as it
 * does when each cell's interval is taken on its own.
 *
 * A cell is WORKLOAD/EXECUTOR/T (its workload label, executor label and
 * thread count, as in the CSV). The output is one line, for scripts:
 * "RATIO LOW HIGH PAIRS", LOW and HIGH "nan" with fewer than 6 pairs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "results_file.h"
#include "stats.h"

/* Fewer pairs than this: no interval (a bootstrap of a handful of values
 * has far less spread than their distribution). */
#define RATIO_MIN_PAIRS 6

static void usage(FILE *f)
{
    fprintf(f,
"Usage: tpool-bench ratio [OPTIONS] RESULTS.json A B\n"
"\n"
"The ratio of the median times per run of two cells of one results file,\n"
"A over B, and its confidence interval from a bootstrap that keeps each\n"
"round's two times together (the cells ran in the same rounds). A cell is\n"
"WORKLOAD/EXECUTOR/T: its workload label, executor and thread count, as in\n"
"the CSV, e.g. empty-T/static/2. Prints one line: RATIO LOW HIGH PAIRS\n"
"(LOW and HIGH nan with fewer than 6 paired rounds).\n"
"\n"
"      --level L       confidence level of the interval (default 0.95)\n"
"      --resamples N   bootstrap replicates (default 4000)\n"
"  -s, --seed N        seed of the bootstrap (default 1)\n"
"  -h, --help\n"
"\n"
"Exit status: 0; 1 when a cell is missing or failed its result check; 2 on\n"
"bad usage (a cell not written WORKLOAD/EXECUTOR/T) or an unreadable file.\n");
}

/* WORKLOAD/EXECUTOR/T into its parts (spec is modified). 0 or -1. The
 * workload label may not contain '/', an executor may (a policy loaded by
 * its path), so the first '/' and the last one split it. */
static int parse_cell(char *spec, const char **wl, const char **exe, unsigned *t)
{
    char *a = strchr(spec, '/'), *b = strrchr(spec, '/');
    if (!a || a == b)
        return -1;
    *a = *b = '\0';
    char *end;
    errno = 0;
    unsigned long v = strtoul(b + 1, &end, 10);
    if (errno || *end || end == b + 1 || v == 0 || v > 100000)
        return -1;
    *wl = spec;
    *exe = a + 1;
    *t = (unsigned)v;
    return **wl && **exe ? 0 : -1;
}

/* The cell named by spec, or NULL with why on stderr and in *rc the exit
 * status: 2 for a spec that names no cell, 1 for a cell missing or failed. */
static const bench_results_cell *cell_of(const bench_results *f, const char *spec, int *rc)
{
    const char *wl, *exe;
    unsigned t;
    char *copy = strdup(spec);
    *rc = 2;
    if (!copy || parse_cell(copy, &wl, &exe, &t) != 0) {
        fprintf(stderr, "tpool-bench ratio: '%s': expected WORKLOAD/EXECUTOR/T, e.g. "
                        "empty-T/static/2\n", spec);
        free(copy);
        return NULL;
    }
    *rc = 1;
    const bench_results_cell *c = bench_results_find(f, wl, exe, t);
    if (!c)
        fprintf(stderr, "tpool-bench ratio: %s has no cell %s/%s/%u\n", f->path, wl, exe, t);
    else if (!c->ok)
        fprintf(stderr, "tpool-bench ratio: %s: cell %s failed its result check\n", f->path,
                spec);
    free(copy);
    return c && c->ok ? c : NULL;
}

/* The rounds a and b both have, run by run: a's times in pa, b's in pb,
 * the pairs of each run in groups. Returns the number of runs kept. */
static unsigned pair_rounds(const bench_results_cell *a, const bench_results_cell *b,
                            double *pa, double *pb, unsigned *groups)
{
    unsigned ng = 0, oa = 0, ob = 0, m = 0;
    unsigned runs = a->ngroups < b->ngroups ? a->ngroups : b->ngroups;
    for (unsigned g = 0; g < runs; g++) {
        unsigned k = a->groups[g] < b->groups[g] ? a->groups[g] : b->groups[g];
        for (unsigned i = 0; i < k; i++) {
            pa[m] = a->t[oa + i];
            pb[m++] = b->t[ob + i];
        }
        if (k)
            groups[ng++] = k;
        oa += a->groups[g];
        ob += b->groups[g];
    }
    return ng;
}

int bench_ratio_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "level", required_argument, NULL, 'l' },
        { "resamples", required_argument, NULL, 'n' },
        { "seed", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bench_compare_opts o = { 0, 0.95, 4000, 1 };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == '?' || bench_compare_option(c, optarg, "tpool-bench ratio", &o) != 0) {
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 3) {
        fprintf(stderr, "tpool-bench ratio: expected a results file and two cells\n");
        usage(stderr);
        return 2;
    }
    bench_results f;
    if (bench_results_load(&f, argv[optind], "tpool-bench ratio") != 0) {
        bench_results_free(&f);
        return 2;
    }
    int rc;
    const bench_results_cell *a = cell_of(&f, argv[optind + 1], &rc);
    const bench_results_cell *b = a ? cell_of(&f, argv[optind + 2], &rc) : NULL;
    if (!a || !b) {
        bench_results_free(&f);
        return rc;
    }
    size_t room = (a->n < b->n ? a->n : b->n) + 1;
    double *pa = malloc(room * sizeof *pa), *pb = malloc(room * sizeof *pb);
    double *reps = malloc(o.resamples * sizeof *reps);
    unsigned groups[BENCH_MAX_RUNS];
    rc = 2;
    if (pa && pb && reps) {
        unsigned ng = pair_rounds(a, b, pa, pb, groups), pairs = 0;
        for (unsigned g = 0; g < ng; g++)
            pairs += groups[g];
        double ma = bench_median(a->t, a->n), mb = bench_median(b->t, b->n);
        double lo = NAN, hi = NAN;
        /* the same replicates for the same pair of cells */
        uint64_t seed = o.seed;
        for (const char *p = argv[optind + 1]; *p; p++)
            seed = seed * 31 + (unsigned char)*p;
        for (const char *p = argv[optind + 2]; *p; p++)
            seed = seed * 31 + (unsigned char)*p;
        if (pairs >= RATIO_MIN_PAIRS &&
            bench_boot_paired_ratios(pa, pb, groups, ng, o.resamples, &seed, reps) == 0)
            bench_boot_interval(reps, o.resamples, o.level, &lo, &hi);
        printf("%.6g %.6g %.6g %u\n", mb > 0 ? ma / mb : NAN, lo, hi, pairs);
        rc = 0;
    }
    free(pa);
    free(pb);
    free(reps);
    bench_results_free(&f);
    return rc;
}
