/*
 * results_file.h - the cells of a tpool-bench results file (its JSON), as
 * `tpool-bench compare` and `tpool-bench ratio` read them: each cell's
 * times per run in round order, grouped by the run (process) they came
 * from.
 */
#ifndef TPOOL_BENCH_RESULTS_FILE_H
#define TPOOL_BENCH_RESULTS_FILE_H

#include <jansson.h>

#include "bench.h"

typedef struct bench_results_cell {
    const char *workload, *executor;
    unsigned threads;
    double *t;         /* times per run, run after run, each in round order */
    unsigned n;
    unsigned groups[BENCH_MAX_RUNS]; /* rounds of each run, in order */
    unsigned ngroups;
    int ok;            /* its result check passed */
    const json_t *params; /* its workload's definition, for pairing */
    const char *setup; /* a baseline's setup (schedule, call, tile), or NULL */
} bench_results_cell;

typedef struct bench_results {
    const char *path;
    json_t *root;
    bench_results_cell *cells;
    size_t ncells;
} bench_results;

/* Reads the cells of the results file at path (schema tpool-bench/1 or the
 * current one). 0, or -1 with why on stderr, prefixed by `who` (the
 * command's name); *f is then still to be freed. */
int bench_results_load(bench_results *f, const char *path, const char *who);
void bench_results_free(bench_results *f);
/* The cell of f with this workload label, executor label and thread count,
 * or NULL. */
const bench_results_cell *bench_results_find(const bench_results *f, const char *workload,
                                             const char *executor, unsigned threads);

#endif
