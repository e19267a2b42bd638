/*
 * results_file.c - reads a tpool-bench results file's cells (results_file.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_file.h"

void bench_results_free(bench_results *f)
{
    for (size_t i = 0; i < f->ncells; i++)
        free(f->cells[i].t);
    free(f->cells);
    json_decref(f->root);
}

/* The workload definition of label in the file's workloads list. */
static const json_t *workload_of(const json_t *root, const char *label)
{
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(root, "workloads"), i, w)
        if (json_is_string(json_object_get(w, "label")) &&
            strcmp(json_string_value(json_object_get(w, "label")), label) == 0)
            return w;
    return NULL;
}

/* Reads the cells of a results file (schema tpool-bench/1 or /2). */
int bench_results_load(bench_results *f, const char *path, const char *who)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    json_error_t je;
    f->root = json_load_file(path, 0, &je);
    if (!f->root) {
        if (je.line > 0)
            fprintf(stderr, "%s: %s:%d:%d: %s\n", who, path, je.line, je.column,
                    je.text);
        else
            fprintf(stderr, "%s: %s\n", who, je.text);
        return -1;
    }
    const char *schema = json_string_value(json_object_get(f->root, "schema"));
    int v1 = schema && strcmp(schema, "tpool-bench/1") == 0;
    if (!schema || (!v1 && strcmp(schema, BENCH_SCHEMA) != 0)) {
        fprintf(stderr, "%s: %s: not a tpool-bench results file (schema %s; "
                        "this program reads tpool-bench/1 and %s)\n",
                who, path, schema ? schema : "missing", BENCH_SCHEMA);
        return -1;
    }
    json_t *cells = json_object_get(f->root, "cells");
    f->cells = calloc(json_array_size(cells) + 1, sizeof *f->cells);
    if (!f->cells)
        return -1;
    size_t i;
    json_t *c;
    json_array_foreach(cells, i, c) {
        bench_results_cell *x = &f->cells[f->ncells];
        x->workload = json_string_value(json_object_get(c, "workload"));
        x->executor = json_string_value(json_object_get(c, "executor"));
        x->threads = (unsigned)json_integer_value(json_object_get(c, "threads"));
        x->ok = json_is_true(json_object_get(json_object_get(c, "check"), "ok"));
        json_t *t = json_object_get(c, v1 ? "times_ns" : "times_ns_per_run");
        if (!x->workload || !x->executor || !json_is_array(t)) {
            fprintf(stderr, "%s: %s: cells[%zu] lacks its workload, executor "
                            "or times\n", who, path, i);
            return -1;
        }
        x->n = (unsigned)json_array_size(t);
        x->t = malloc((x->n ? x->n : 1) * sizeof *x->t);
        if (!x->t)
            return -1;
        for (unsigned k = 0; k < x->n; k++)
            x->t[k] = json_number_value(json_array_get(t, k));
        /* the runs each round came from: runs[].rounds, in order */
        json_t *runs = json_object_get(c, "runs");
        unsigned sum = 0;
        size_t r;
        json_t *it;
        json_array_foreach(runs, r, it) {
            if (x->ngroups == BENCH_MAX_RUNS)
                break;
            unsigned g = (unsigned)json_integer_value(json_object_get(it, "rounds"));
            if (g) {
                x->groups[x->ngroups++] = g;
                sum += g;
            }
        }
        if (sum != x->n) { /* one run (or a file that does not say) */
            x->ngroups = 1;
            x->groups[0] = x->n;
        }
        x->params = workload_of(f->root, x->workload);
        x->setup = json_string_value(json_object_get(json_object_get(c, "baseline"), "setup"));
        f->ncells++;
    }
    return 0;
}

const bench_results_cell *bench_results_find(const bench_results *f, const char *workload,
                                             const char *executor, unsigned threads)
{
    for (size_t i = 0; i < f->ncells; i++)
        if (f->cells[i].threads == threads && strcmp(f->cells[i].workload, workload) == 0 &&
            strcmp(f->cells[i].executor, executor) == 0)
            return &f->cells[i];
    return NULL;
}
