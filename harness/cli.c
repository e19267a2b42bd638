/*
 * cli.c - the tpool-bench command line: options, the listings, applying
 * command-line overrides to the experiment, and where the results go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#ifdef HAVE_CONFIG_H
#include "tpool-build.h"
#endif

#include "bench.h"
#include "session.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static void usage(FILE *f)
{
    fprintf(f,
"Usage: tpool-bench [OPTIONS] [EXPERIMENT.json]\n"
"       tpool-bench [OPTIONS] --replay RESULTS.json\n"
"       tpool-bench compare [OPTIONS] A.json B.json  (tpool-bench compare --help)\n"
"       tpool-bench ratio [OPTIONS] RESULTS.json A B  (tpool-bench ratio --help)\n"
"       tpool-bench advise [OPTIONS]     (tpool-bench advise --help)\n"
"       tpool-bench replay RECORD [OPTIONS]  (tpool-bench replay --help)\n"
"       tpool-bench advise RECORD [OPTIONS]\n"
"\n"
"Runs workloads under every scheduling policy found and the baselines, and\n"
"reports times, speedups, imbalance and latencies. Without EXPERIMENT.json it\n"
"runs the default experiment (a few minutes on a 2-core machine).\n"
"\n"
"      --replay FILE       run the experiment recorded in a results file: the\n"
"                          same cells (thread counts, policies and their\n"
"                          parameters, baselines, workloads, seed, rounds)\n"
"\n"
"Selection (each overrides the experiment):\n"
"  -p, --policies LIST     policies to run: all, none or a comma list of names\n"
"  -b, --baselines LIST    all, none or a comma list of: serial, omp-static,\n"
"                          omp-dynamic, omp-guided, omp-task, pthreadpool,\n"
"                          tbb-task, tbb-auto, tbb-simple, tbb-static\n"
"  -t, --threads LIST      thread counts: default, or e.g. 1,2,4 or 1-8\n"
"      --company LIST      also run each executor with company: all, none or a\n"
"                          comma list of thread (a twin in this process),\n"
"                          process (a twin in a second process), omp (an\n"
"                          OpenMP team running the same workload)\n"
"  -w, --workloads LIST    workload labels or names to keep, and workloads to\n"
"                          add: built-in ones the experiment lacks and .so\n"
"                          files (a path: ./mywork.so), comma-separated; all:\n"
"                          the experiment's and every built-in one it lacks\n"
"  -r, --repetitions N     exactly N measured rounds per cell (no stopping rule)\n"
"      --min-rounds N      measured rounds every cell gets (default 10)\n"
"      --max-rounds N      measured rounds no cell exceeds (default 100)\n"
"      --ci-target F       stop a cell once the half-width of its 95%% CI is\n"
"                          within F of its median: 0.02 or 2%% (0: never)\n"
"      --budget S          stop measuring after S seconds, once every cell\n"
"                          has its minimum rounds (default 150)\n"
"      --warmup N          unmeasured rounds first\n"
"      --runs N            run the experiment in N separate processes, taking\n"
"                          turns round by round, and report the spread\n"
"                          between them (default: the experiment's)\n"
"  -s, --seed N            seed of the workloads' data and of the shuffles\n"
"      --scale F           multiply each workload's size by F, 0 < F <= 1e6 (e.g. 0.1)\n"
"\n"
"Output (the table goes to stdout):\n"
"  -o, --out DIR           results directory (default: results); receives\n"
"                          tpool-bench.csv, tpool-bench.json and plots/\n"
"      --csv FILE          write the CSV to FILE instead\n"
"      --json FILE         write the JSON to FILE instead\n"
"      --plot DIR          write the plots (SVG through gnuplot) into DIR\n"
"      --trace FILE        write a Chrome trace (Perfetto) of one extra run\n"
"                          of every cell\n"
"      --trace-cap N       slices kept per participant per cell (default 2000)\n"
"      --no-files          write no files unless --csv/--json/--plot/--trace\n"
"  -q, --quiet             no table\n"
"      --progress WHEN     auto (a bar when stderr is a terminal), always, never\n"
"\n"
"Information:\n"
"      --list-policies     the policies found (and the baselines available)\n"
"      --list-workloads    the workloads and their parameters (with\n"
"                          --workloads FILE.so: that one's too)\n"
"      --print-default     print the default experiment as JSON\n"
"  -h, --help, --version\n"
"\n"
"Policies are looked up on TPOOL_POLICY_PATH, then the install directory; run\n"
"from the build tree, the build tree's policies are used when it is unset.\n"
"Exit status: 0; 1 when a result check or a run failed; 2 on bad usage; 130\n"
"(SIGINT) or 143 (SIGTERM) when stopped early: the results so far are written,\n"
"marked incomplete.\n");
}

#ifndef BENCH_BUILDDIR
#define BENCH_BUILDDIR ""
#endif
#ifndef BENCH_POLICIES
#define BENCH_POLICIES ""
#endif

void bench_policy_path_default(void)
{
    if (getenv("TPOOL_POLICY_PATH") || !BENCH_BUILDDIR[0])
        return;
    char exe[PATH_MAX], top[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || !realpath(BENCH_BUILDDIR, top))
        return;
    exe[n] = '\0';
    size_t tl = strlen(top);
    if (strncmp(exe, top, tl) != 0 || exe[tl] != '/')
        return;
    char path[8192] = "", list[512];
    snprintf(list, sizeof list, "%s", BENCH_POLICIES);
    for (char *save = NULL, *p = strtok_r(list, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
        char d[PATH_MAX + 64];
        struct stat st;
        snprintf(d, sizeof d, "%s/policies/%s/.libs", top, p);
        if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        size_t l = strlen(path);
        snprintf(path + l, sizeof path - l, "%s%s", l ? ":" : "", d);
    }
    if (path[0])
        setenv("TPOOL_POLICY_PATH", path, 0);
}

int bench_parse_fraction(const char *s, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s)
        return -1;
    if (*end == '%' && end[1] == '\0')
        v /= 100;
    else if (*end != '\0' || v >= 1)
        return -1; /* a bare 2 is ambiguous: 2% or 200%? */
    if (!(v >= 0) || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ---- listings ---------------------------------------------------------------------- */

static void list_policies(void)
{
    bench_policy_desc *p;
    size_t n;
    if (bench_policies_find(&p, &n) != 0) {
        fprintf(stderr, "tpool-bench: cannot list policies\n");
        return;
    }
    printf("Policies (%zu found):\n", n);
    for (size_t i = 0; i < n; i++) {
        printf("  %-12s %s\n  %-12s %s\n", p[i].name, p[i].description, "", p[i].path);
        json_t *a = p[i].params_json ? json_loads(p[i].params_json, 0, NULL) : NULL;
        size_t k;
        json_t *it;
        json_array_foreach(a, k, it) {
            char *d = json_dumps(json_object_get(it, "default"), JSON_ENCODE_ANY);
            printf("  %-12s   param %s (%s, default %s): %s\n", "",
                   json_string_value(json_object_get(it, "name")),
                   json_string_value(json_object_get(it, "type")), d ? d : "?",
                   json_string_value(json_object_get(it, "description"))
                       ? json_string_value(json_object_get(it, "description"))
                       : "");
            free(d);
        }
        json_decref(a);
    }
    if (n == 0)
        printf("  none: set TPOOL_POLICY_PATH to the directories of the policy .so files\n");
    bench_policies_free(p, n);
    bench_baseline_status st[BENCH_NBASE];
    bench_baselines_probe(st, BENCH_BASE_ALL);
    printf("Baselines:\n");
    for (int i = 0; i < BENCH_NBASE; i++)
        printf("  %-12s %s%s\n", st[i].name, st[i].available ? "available" : "missing: ",
               st[i].available ? "" : st[i].reason);
}

/* The executors that can run w, in words. */
static void runs_on(const tpool_bench_workload *w, char *buf, size_t size)
{
    static const struct { enum bench_exec_kind kind; int sched; const char *name; } x[] = {
        { BENCH_EX_TPOOL, 0, "tpool" },
        { BENCH_EX_SERIAL, 0, "serial" },
        { BENCH_EX_OMP, BENCH_OMP_STATIC, "omp-static/dynamic/guided" },
        { BENCH_EX_OMP, BENCH_OMP_TASK, "omp-task" },
        { BENCH_EX_PTP, 0, "pthreadpool" },
        { BENCH_EX_TBB, BENCH_TBB_AUTO, "tbb-auto/simple/static" },
        { BENCH_EX_TBB, BENCH_TBB_TASK, "tbb-task" },
    };
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof x / sizeof x[0] && n < size; i++)
        if (!(w->uses & ~bench_exec_offers(x[i].kind, x[i].sched))) {
            int k = snprintf(buf + n, size - n, "%s%s", n ? ", " : "", x[i].name);
            n += k > 0 ? (size_t)k : 0;
        }
}

static void list_one(const tpool_bench_workload *w, const char *file)
{
    char on[160];
    runs_on(w, on, sizeof on);
    printf("  %-13s %s\n", w->name, w->description ? w->description : "");
    if (file)
        printf("  %-13s file: %s\n", "", file);
    printf("  %-13s unit: %s; runs on: %s\n", "", bench_workload_unit(w), on);
    for (unsigned k = 0; w->params && k < w->nparams; k++) {
        const tpool_param_desc *d = &w->params[k];
        char what[256];
        switch (d->type) {
        case TPOOL_PARAM_INT:
            snprintf(what, sizeof what, "integer in [%lld, %lld], default %lld",
                     (long long)d->imin, (long long)d->imax, (long long)d->idefault);
            break;
        case TPOOL_PARAM_BOOL:
            snprintf(what, sizeof what, "true or false, default %s",
                     d->idefault ? "true" : "false");
            break;
        case TPOOL_PARAM_DOUBLE:
            snprintf(what, sizeof what, "number in [%g, %g], default %g", d->dmin, d->dmax,
                     d->ddefault);
            break;
        case TPOOL_PARAM_ENUM: {
            size_t n = (size_t)snprintf(what, sizeof what, "one of");
            for (int c = 0; d->choices[c] && n < sizeof what; c++)
                n += (size_t)snprintf(what + n, sizeof what - n, "%s \"%s\"", c ? "," : "",
                                      d->choices[c]);
            if (n < sizeof what)
                snprintf(what + n, sizeof what - n, ", default \"%s\"",
                         d->choices[d->edefault]);
            break;
        }
        case TPOOL_PARAM_STRING:
            snprintf(what, sizeof what, "a string, default \"%s\"",
                     d->choices ? d->choices[d->edefault] : "");
            break;
        default:
            snprintf(what, sizeof what, "?");
        }
        printf("  %-13s   %-14s %s (%s)\n", "", d->name, d->description ? d->description : "",
               what);
    }
    for (unsigned k = 0; k < w->nmetrics; k++)
        printf("  %-13s   metric %s [%s]: %s\n", "", w->metrics[k].name, w->metrics[k].unit,
               w->metrics[k].description ? w->metrics[k].description : "");
}

/* The built-in workloads, and the workload .so files of `list` (the
 * --workloads entries containing '/'). 0, or 2 when one cannot be loaded. */
static int list_workloads(const char *list)
{
    printf("Workloads (use the name in an experiment's \"workloads\", or a workload .so by "
           "its path):\n");
    for (size_t i = 0; i < bench_nworkloads; i++)
        list_one(bench_workloads[i], NULL);
    printf("Run only when named (tpool-bench replay RECORD names it):\n");
    list_one(&bench_wl_replay, NULL);
    char *copy = list ? strdup(list) : NULL;
    int rc = 0;
    for (char *save = NULL, *p = copy ? strtok_r(copy, ",", &save) : NULL; p;
         p = strtok_r(NULL, ",", &save)) {
        if (!strchr(p, '/'))
            continue;
        bench_wl_module *m;
        tpool_error te;
        tpool_error_clear(&te);
        if (bench_wl_module_load(p, &m, &te) != 0) {
            fprintf(stderr, "tpool-bench: %s\n", te.text);
            rc = 2;
            continue;
        }
        list_one(m->wl, m->path);
        bench_wl_module_unload(m);
    }
    free(copy);
    return rc;
}

/* ---- overrides ----------------------------------------------------------------------- */

static int override_policies(bench_experiment *e, const char *list)
{
    for (size_t i = 0; i < e->npolicies; i++)
        free(e->policies[i].params_json);
    free(e->policies);
    e->policies = NULL;
    e->npolicies = 0;
    /* The file's positions no longer describe e->policies. */
    free(e->text);
    e->text = NULL;
    e->all_policies = strcmp(list, "all") == 0;
    if (e->all_policies || strcmp(list, "none") == 0)
        return 0;
    char *copy = strdup(list);
    size_t cap = strlen(list) / 2 + 1;
    e->policies = calloc(cap, sizeof *e->policies);
    if (!copy || !e->policies) {
        free(copy);
        return -1;
    }
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        char why[160];
        char *label = e->policies[e->npolicies].label;
        if (bench_policy_label(p, label, why, sizeof why)) {
            fprintf(stderr, "tpool-bench: --policies: %s\n", why);
            free(copy);
            return -1;
        }
        for (size_t j = 0; j < e->npolicies; j++)
            if (strcmp(e->policies[j].label, label) == 0) {
                fprintf(stderr, "tpool-bench: --policies: '%s' given twice\n", label);
                free(copy);
                return -1;
            }
        snprintf(e->policies[e->npolicies].policy, BENCH_POLICY_MAX, "%s", p);
        e->npolicies++;
    }
    free(copy);
    return 0;
}

/* The bit of a company mode by name, as bench_base_from_name gives a
 * baseline's: 0 for an unknown name. */
static int company_bit(const char *name)
{
    int mode = bench_company_from_name(name);
    return mode > 0 ? (int)BENCH_CO_BIT(mode) : 0;
}

/* A selection option's list, "all", "none" or names separated by commas,
 * as a set of bits (`bit_of` gives a name's, 0 when unknown: an error
 * naming `option`, the `what` it is and the names it knows). 0, or -1
 * after a message. */
static int parse_bits(const char *list, const char *option, const char *what, unsigned all,
                      int (*bit_of)(const char *), const char *known, unsigned *out)
{
    if (strcmp(list, "all") == 0) {
        *out = all;
        return 0;
    }
    *out = 0;
    if (strcmp(list, "none") == 0)
        return 0;
    char *copy = strdup(list);
    if (!copy)
        return -1;
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        int bit = bit_of(p);
        if (!bit) {
            fprintf(stderr, "tpool-bench: %s: unknown %s '%s' (known: %s)\n", option, what, p,
                    known);
            free(copy);
            return -1;
        }
        *out |= (unsigned)bit;
    }
    free(copy);
    return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int override_threads(bench_experiment *e, const char *list)
{
    free(e->threads);
    e->threads = NULL;
    e->nthreads = 0;
    if (strcmp(list, "default") == 0)
        return 0;
    unsigned max = BENCH_MAX_SLOTS - 2;
    e->threads = calloc(max, sizeof *e->threads);
    char *copy = strdup(list);
    if (!copy || !e->threads) {
        free(copy);
        return -1;
    }
    int rc = 0;
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p && !rc;
         p = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(p, '-');
        unsigned long lo, hi;
        if (dash) {
            *dash = '\0';
            rc = parse_uint(p, max, &lo) || parse_uint(dash + 1, max, &hi) || lo > hi;
        } else {
            rc = parse_uint(p, max, &lo);
            hi = lo;
        }
        if (!rc && lo == 0)
            rc = -1;
        for (unsigned long t = lo; !rc && t <= hi; t++) {
            int dup = 0;
            for (size_t j = 0; j < e->nthreads; j++)
                dup |= e->threads[j] == t;
            if (!dup && e->nthreads < max)
                e->threads[e->nthreads++] = (unsigned)t;
        }
    }
    free(copy);
    if (rc || e->nthreads == 0) {
        fprintf(stderr, "tpool-bench: --threads: expected 'default' or counts in [1, %u] "
                        "like 1,2,4 or 1-8, got '%s'\n", max, list);
        return -1;
    }
    return 0;
}

/* --workloads: the labels or names of the experiment's workloads to keep,
 * and built-in workloads it lacks and workload .so files (a path,
 * containing '/') to add, with their defaults. With only those, only they
 * run. "all" keeps every workload of the experiment and adds every built-in
 * one it lacks, as "all" in an experiment file does. */
/* Adds, with their defaults, the built-in workloads none of e's runs. */
static int add_missing_builtins(bench_experiment *e)
{
    for (size_t k = 0; k < bench_nworkloads; k++) {
        int known = 0;
        for (size_t i = 0; i < e->nworkloads && !known; i++)
            known = e->workloads[i].wl == bench_workloads[k];
        bench_perror pe;
        if (!known && bench_experiment_add_workload(e, bench_workloads[k]->name, &pe) != 0) {
            fprintf(stderr, "tpool-bench: %s\n", pe.text);
            return -1;
        }
    }
    return 0;
}

static int filter_workloads(bench_experiment *e, const char *list)
{
    size_t keep = 0;
    char *copy = strdup(list);
    if (!copy)
        return -1;
    int *want = calloc(e->nworkloads ? e->nworkloads : 1, sizeof *want);
    if (!want) {
        free(copy);
        return -1;
    }
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (strchr(p, '/'))
            continue;
        if (strcmp(p, "all") == 0) {
            for (size_t i = 0; i < e->nworkloads; i++)
                want[i] = 1;
            continue;
        }
        int hit = 0;
        for (size_t i = 0; i < e->nworkloads; i++)
            if (strcmp(e->workloads[i].label, p) == 0 || strcmp(e->workloads[i].wl->name, p) == 0)
                want[i] = hit = 1;
        if (!hit && bench_workload_find(p))
            continue; /* a built-in workload the experiment lacks: added below */
        if (!hit) {
            fprintf(stderr, "tpool-bench: --workloads: '%s' is in the experiment neither as a "
                            "label nor as a workload, and is no built-in workload (a workload "
                            ".so is given by a path containing '/'); the experiment has:", p);
            for (size_t i = 0; i < e->nworkloads; i++)
                fprintf(stderr, " %s", e->workloads[i].label);
            fputc('\n', stderr);
            free(copy);
            free(want);
            return -1;
        }
    }
    for (size_t i = 0; i < e->nworkloads; i++)
        if (want[i])
            e->workloads[keep++] = e->workloads[i];
    e->nworkloads = keep;
    free(want);
    strcpy(copy, list);
    int rc = 0;
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p && !rc;
         p = strtok_r(NULL, ",", &save)) {
        bench_perror pe;
        if (strcmp(p, "all") == 0) {
            rc = add_missing_builtins(e);
            continue;
        }
        int known = 0;
        for (size_t i = 0; i < e->nworkloads; i++)
            known |= strcmp(e->workloads[i].label, p) == 0 ||
                     strcmp(e->workloads[i].wl->name, p) == 0;
        if ((strchr(p, '/') || !known) && bench_experiment_add_workload(e, p, &pe) != 0) {
            fprintf(stderr, "tpool-bench: %s\n", pe.text);
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

static void scale_workloads(bench_experiment *e, double f)
{
    for (size_t i = 0; i < e->nworkloads; i++) {
        bench_wl_inst *w = &e->workloads[i];
        int k = w->wl->size_param ? bench_workload_param(w->wl, w->wl->size_param) : -1;
        if (k < 0)
            continue;
        const tpool_param_desc *d = &w->wl->params[k];
        if (d->type == TPOOL_PARAM_INT) {
            double v = floor((double)w->p[k].i * f + 0.5);
            if (v < (double)d->imin)
                v = (double)d->imin;
            if (v > (double)d->imax)
                v = (double)d->imax;
            int64_t n = (int64_t)v;
            if (n == 0 && w->p[k].i > 0 && d->imax >= 1)
                n = 1; /* scaled down, not switched off */
            w->p[k].i = n;
        } else if (d->type == TPOOL_PARAM_DOUBLE) {
            double v = w->p[k].d * f;
            w->p[k].d = v < d->dmin ? d->dmin : v > d->dmax ? d->dmax : v;
        }
    }
}

/* The first SIGINT or SIGTERM asks the measurement to stop after the
 * cell in progress. Another one more than half a second later ends the
 * program at once; one sooner is the same request delivered twice (timeout(1)
 * signals the process and its group, a terminal the whole group). */
static void on_stop_signal(int signo)
{
    static const char msg[] = "\ntpool-bench: stopping after the cell in progress; the "
                              "results so far are written, marked incomplete (interrupt "
                              "again to quit at once)\n";
    static struct timespec first;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!bench_stop_requested()) {
        first = now;
        bench_request_stop(signo);
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
    } else if ((now.tv_sec - first.tv_sec) * 1000000000L + (now.tv_nsec - first.tv_nsec) >
               500000000L) {
        signal(signo, SIG_DFL);
        raise(signo);
    }
}

/* ---- replay ------------------------------------------------------------------------------ */

/*
 * The experiment of a results file (its "experiment" member, the resolved
 * experiment: concrete thread counts and policies), parsed as an experiment
 * file. A policy given by name that the search path now resolves to another
 * file than the one recorded is warned about: the cells are the same, the
 * code may not be.
 */
static int replay_load(const char *path, bench_experiment *e, bench_perror *pe)
{
    memset(pe, 0, sizeof *pe);
    memset(e, 0, sizeof *e);
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(pe->text, sizeof pe->text, "--replay %s:%d:%d: %s", path, je.line, je.column,
                 je.text);
        return -1;
    }
    const char *schema = json_string_value(json_object_get(root, "schema"));
    json_t *exj = json_object_get(root, "experiment");
    char *text = json_is_object(exj) ? json_dumps(exj, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (!schema || strncmp(schema, "tpool-bench/", 12) != 0 || !text) {
        snprintf(pe->text, sizeof pe->text,
                 "--replay %s: not a tpool-bench results file (no \"schema\": \"tpool-bench/N\" "
                 "and \"experiment\" object)", path);
        free(text);
        json_decref(root);
        return -1;
    }
    char source[512];
    snprintf(source, sizeof source, "%s (its experiment)", path);
    int rc = bench_experiment_parse(text, source, e, pe);
    free(text);
    if (rc == 0) {
        /* the files the results came from, against those found now */
        bench_policy_desc *found = NULL;
        size_t nfound = 0;
        json_t *pol = json_object_get(root, "policies"), *it;
        size_t i;
        if (bench_policies_find(&found, &nfound) == 0)
            json_array_foreach(pol, i, it) {
                const char *name = json_string_value(json_object_get(it, "policy"));
                const char *was = json_string_value(json_object_get(it, "path"));
                if (!name || !was || strchr(name, '/'))
                    continue;
                for (size_t k = 0; k < nfound; k++)
                    if (strcmp(found[k].name, name) == 0 && strcmp(found[k].path, was) != 0)
                        fprintf(stderr, "tpool-bench: warning: --replay: policy %s is now %s; "
                                        "the results used %s\n", name, found[k].path, was);
            }
        bench_policies_free(found, nfound);
    }
    json_decref(root);
    return rc;
}

/* ---- main ----------------------------------------------------------------------------- */

enum {
    OPT_WARMUP = 256, OPT_COMPANY, OPT_RUNS, OPT_REPLAY, OPT_MIN_ROUNDS, OPT_MAX_ROUNDS, OPT_CI_TARGET,
    OPT_BUDGET, OPT_SCALE, OPT_CSV, OPT_JSON, OPT_PLOT, OPT_TRACE, OPT_TRACE_CAP,
    OPT_NO_FILES, OPT_PROGRESS, OPT_LIST_POLICIES, OPT_LIST_WORKLOADS, OPT_PRINT_DEFAULT,
    OPT_VERSION,
};

int bench_main(int argc, char **argv)
{
    bench_policy_path_default();
    if (argc > 1 && strcmp(argv[1], "advise") == 0)
        return bench_advise(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return bench_compare_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "ratio") == 0)
        return bench_ratio_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "replay") == 0)
        return bench_replay_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "__run") == 0)
        return bench_run_child(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "__company") == 0)
        return bench_company_child(argc - 1, argv + 1);
    return bench_main_run(argc, argv, NULL);
}

int bench_main_run(int argc, char **argv, const bench_main_mode *mode)
{

    static const struct option longopts[] = {
        { "policies", required_argument, NULL, 'p' },
        { "baselines", required_argument, NULL, 'b' },
        { "threads", required_argument, NULL, 't' },
        { "workloads", required_argument, NULL, 'w' },
        { "repetitions", required_argument, NULL, 'r' },
        { "warmup", required_argument, NULL, OPT_WARMUP },
        { "runs", required_argument, NULL, OPT_RUNS },
        { "replay", required_argument, NULL, OPT_REPLAY },
        { "company", required_argument, NULL, OPT_COMPANY },
        { "min-rounds", required_argument, NULL, OPT_MIN_ROUNDS },
        { "max-rounds", required_argument, NULL, OPT_MAX_ROUNDS },
        { "ci-target", required_argument, NULL, OPT_CI_TARGET },
        { "budget", required_argument, NULL, OPT_BUDGET },
        { "seed", required_argument, NULL, 's' },
        { "scale", required_argument, NULL, OPT_SCALE },
        { "out", required_argument, NULL, 'o' },
        { "csv", required_argument, NULL, OPT_CSV },
        { "json", required_argument, NULL, OPT_JSON },
        { "plot", required_argument, NULL, OPT_PLOT },
        { "trace", required_argument, NULL, OPT_TRACE },
        { "trace-cap", required_argument, NULL, OPT_TRACE_CAP },
        { "no-files", no_argument, NULL, OPT_NO_FILES },
        { "quiet", no_argument, NULL, 'q' },
        { "progress", required_argument, NULL, OPT_PROGRESS },
        { "list-policies", no_argument, NULL, OPT_LIST_POLICIES },
        { "list-workloads", no_argument, NULL, OPT_LIST_WORKLOADS },
        { "print-default", no_argument, NULL, OPT_PRINT_DEFAULT },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    bench_options o;
    memset(&o, 0, sizeof o);
    o.repetitions = o.warmup = o.min_rounds = o.max_rounds = -1;
    o.ci_target = o.budget_s = -1;
    o.scale = 1;
    o.progress = -1;
    o.trace_cap = 2000;
    unsigned long ul;
    int c, list_wl = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:b:t:w:r:s:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': o.policies = optarg; break;
        case 'b': o.baselines = optarg; break;
        case 't': o.threads = optarg; break;
        case 'w': o.workloads = optarg; break;
        case 'r':
            if (parse_uint(optarg, 100000, &ul) || ul == 0) {
                fprintf(stderr, "tpool-bench: --repetitions: expected 1 to 100000\n");
                return 2;
            }
            o.repetitions = (int)ul;
            break;
        case OPT_REPLAY: o.replay = optarg; break;
        case OPT_COMPANY: o.company = optarg; break;
        case OPT_RUNS:
            if (parse_uint(optarg, BENCH_MAX_RUNS, &ul) || ul == 0) {
                fprintf(stderr, "tpool-bench: --runs: expected 1 to %d\n", BENCH_MAX_RUNS);
                return 2;
            }
            o.runs = (int)ul;
            break;
        case OPT_MIN_ROUNDS:
        case OPT_MAX_ROUNDS:
            if (parse_uint(optarg, 100000, &ul) || ul == 0) {
                fprintf(stderr, "tpool-bench: --%s: expected 1 to 100000\n",
                        c == OPT_MIN_ROUNDS ? "min-rounds" : "max-rounds");
                return 2;
            }
            *(c == OPT_MIN_ROUNDS ? &o.min_rounds : &o.max_rounds) = (int)ul;
            break;
        case OPT_CI_TARGET:
            if (bench_parse_fraction(optarg, 0.5, &o.ci_target) != 0) {
                fprintf(stderr, "tpool-bench: --ci-target: expected a fraction like 0.02 or a "
                                "percentage like 2%%, at most 50%%\n");
                return 2;
            }
            break;
        case OPT_BUDGET: {
            char *end;
            o.budget_s = strtod(optarg, &end);
            if (*end || end == optarg || !(o.budget_s >= 0) || o.budget_s > 1e6) {
                fprintf(stderr, "tpool-bench: --budget: expected seconds, 0 to 1e6\n");
                return 2;
            }
            break;
        }
        case OPT_WARMUP:
            if (parse_uint(optarg, 1000, &ul)) {
                fprintf(stderr, "tpool-bench: --warmup: expected 0 to 1000\n");
                return 2;
            }
            o.warmup = (int)ul;
            break;
        case 's': {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || *end || end == optarg || optarg[0] == '-' || s > LLONG_MAX) {
                fprintf(stderr, "tpool-bench: --seed: expected an integer in [0, 2^63)\n");
                return 2;
            }
            o.have_seed = 1;
            o.seed = s;
            break;
        }
        case OPT_SCALE: {
            char *end;
            o.scale = strtod(optarg, &end);
            if (*end || !(o.scale > 0) || o.scale > 1e6) {
                fprintf(stderr, "tpool-bench: --scale: expected a number > 0 and <= 1e6, "
                                "got '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case 'o': o.out_dir = optarg; break;
        case OPT_CSV: o.csv = optarg; break;
        case OPT_JSON: o.json = optarg; break;
        case OPT_PLOT: o.plot_dir = optarg; break;
        case OPT_TRACE: o.trace = optarg; break;
        case OPT_TRACE_CAP:
            if (parse_uint(optarg, 10000000, &ul)) {
                fprintf(stderr, "tpool-bench: --trace-cap: expected 0 to 10000000\n");
                return 2;
            }
            o.trace_cap = (unsigned)ul;
            break;
        case OPT_NO_FILES: o.no_files = 1; break;
        case 'q': o.quiet = 1; break;
        case OPT_PROGRESS:
            if (strcmp(optarg, "auto") == 0)
                o.progress = -1;
            else if (strcmp(optarg, "always") == 0)
                o.progress = 1;
            else if (strcmp(optarg, "never") == 0)
                o.progress = 0;
            else {
                fprintf(stderr, "tpool-bench: --progress: expected auto, always or never\n");
                return 2;
            }
            break;
        case OPT_LIST_POLICIES: list_policies(); return 0;
        case OPT_LIST_WORKLOADS: list_wl = 1; break;
        case OPT_PRINT_DEFAULT: fputs(bench_default_experiment, stdout); return 0;
        case 'h': usage(stdout); return 0;
        case OPT_VERSION: printf("tpool-bench %s\n", PACKAGE_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (list_wl)
        return list_workloads(o.workloads);
    if (mode && (optind < argc || o.replay)) {
        fprintf(stderr, "%s: no experiment file or --replay here (got '%s')\n", mode->cmd,
                optind < argc ? argv[optind] : "--replay");
        return 2;
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "tpool-bench: one experiment file at most (got '%s' and '%s')\n",
                argv[optind], argv[optind + 1]);
        return 2;
    }
    o.experiment = optind < argc ? argv[optind] : NULL;
    if (o.experiment && o.replay) {
        fprintf(stderr, "tpool-bench: give an experiment file or --replay, not both\n");
        return 2;
    }

    bench_experiment e;
    bench_perror pe;
    int rc = mode ? bench_experiment_parse(mode->text, mode->source, &e, &pe)
             : o.replay ? replay_load(o.replay, &e, &pe)
             : o.experiment
                 ? bench_experiment_load(o.experiment, &e, &pe)
                 : bench_experiment_parse(bench_default_experiment, "<default>", &e, &pe);
    if (rc) {
        fprintf(stderr, "tpool-bench: %s\n", pe.text);
        return 2;
    }
    if ((o.policies && override_policies(&e, o.policies)) ||
        (o.baselines && parse_bits(o.baselines, "--baselines", "baseline", BENCH_BASE_ALL,
                                   bench_base_from_name, bench_base_list(), &e.baselines)) ||
        (o.company && parse_bits(o.company, "--company", "company", BENCH_CO_ALL, company_bit,
                                 "all, none, thread, process, omp", &e.company)) ||
        (o.threads && override_threads(&e, o.threads)) ||
        (o.workloads && filter_workloads(&e, o.workloads))) {
        bench_experiment_free(&e);
        return 2;
    }
    if (bench_experiment_check_policies(&e, &pe)) {
        fprintf(stderr, "tpool-bench: %s\n", pe.text);
        bench_experiment_free(&e);
        return 2;
    }
    if (o.repetitions > 0) {
        if (o.min_rounds > 0 || o.max_rounds > 0) {
            fprintf(stderr, "tpool-bench: give either --repetitions or --min-rounds/"
                            "--max-rounds, not both\n");
            bench_experiment_free(&e);
            return 2;
        }
        e.min_rounds = e.max_rounds = (unsigned)o.repetitions;
    }
    if (o.min_rounds > 0)
        e.min_rounds = (unsigned)o.min_rounds;
    if (o.max_rounds > 0)
        e.max_rounds = (unsigned)o.max_rounds;
    if (e.max_rounds < e.min_rounds) {
        if (o.min_rounds > 0 && o.max_rounds > 0) {
            fprintf(stderr, "tpool-bench: --max-rounds %d is below --min-rounds %d\n",
                    o.max_rounds, o.min_rounds);
            bench_experiment_free(&e);
            return 2;
        }
        /* one given alone moves the other out of its way */
        if (o.min_rounds > 0)
            e.max_rounds = e.min_rounds;
        else
            e.min_rounds = e.max_rounds;
    }
    if (o.runs > 0)
        e.runs = (unsigned)o.runs;
    if (o.ci_target >= 0)
        e.ci_target = o.ci_target;
    if (o.budget_s >= 0)
        e.budget_s = o.budget_s;
    if (o.warmup >= 0)
        e.warmup = (unsigned)o.warmup;
    if (o.have_seed)
        e.seed = o.seed;
    if (o.scale != 1)
        scale_workloads(&e, o.scale);
    /* the workload .so files, with the params they will run with */
    if (bench_experiment_probe_modules(&e, &pe)) {
        fprintf(stderr, "tpool-bench: %s\n", pe.text);
        bench_experiment_free(&e);
        return 2;
    }

    /* where the results go: checked now, not after minutes of measuring */
    const char *out = o.out_dir ? o.out_dir : "results";
    char csv[4096], js[4096], plots[4096], why[4400];
    int want_dir = !o.no_files && (!o.csv || !o.json || !o.plot_dir);
    if (want_dir && bench_out_check_dir(out, why, sizeof why) != 0) {
        fprintf(stderr, "tpool-bench: the results directory: %s\n", why);
        bench_experiment_free(&e);
        return 2;
    }
    snprintf(csv, sizeof csv, "%s", o.csv ? o.csv : "");
    snprintf(js, sizeof js, "%s", o.json ? o.json : "");
    snprintf(plots, sizeof plots, "%s", o.plot_dir ? o.plot_dir : "");
    if (!o.no_files) {
        if (!o.csv)
            snprintf(csv, sizeof csv, "%s/tpool-bench.csv", out);
        if (!o.json)
            snprintf(js, sizeof js, "%s/tpool-bench.json", out);
        if (!o.plot_dir)
            snprintf(plots, sizeof plots, "%s/plots", out);
    }
    const struct { const char *path, *what; int dir; } dest[] = {
        { csv, "--csv", 0 }, { js, "--json", 0 }, { plots, "--plot", 1 },
        { o.trace ? o.trace : "", "--trace", 0 },
    };
    for (size_t i = 0; i < sizeof dest / sizeof dest[0]; i++) {
        if (!dest[i].path[0])
            continue;
        if ((dest[i].dir ? bench_out_check_dir(dest[i].path, why, sizeof why)
                         : bench_out_check_file(dest[i].path, why, sizeof why)) != 0) {
            fprintf(stderr, "tpool-bench: %s %s: %s\n", dest[i].what, dest[i].path, why);
            bench_experiment_free(&e);
            return 2;
        }
    }

    /* SIGINT or SIGTERM: stop after the cell in progress and write what was
     * measured (on_stop_signal) */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    bench_report r;
    rc = bench_run(&e, &o, &r, argc, argv);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc < 0) {
        bench_report_free(&r);
        bench_experiment_free(&e);
        return 1;
    }
    if (!o.quiet)
        bench_write_table(stdout, &r);
    fflush(stdout);
    int status = 0;
    if (csv[0]) {
        if (bench_write_csv_file(csv, &r) == 0)
            fprintf(stderr, "tpool-bench: wrote %s\n", csv);
        else
            status = 1;
    }
    if (js[0]) {
        if (bench_write_json_file(js, &r) == 0)
            fprintf(stderr, "tpool-bench: wrote %s\n", js);
        else
            status = 1;
    }
    if (plots[0]) {
        int p = bench_write_plots(plots, &r);
        if (p == 1)
            fprintf(stderr, "tpool-bench: wrote SVG plots into %s/\n", plots);
        else if (p == 0)
            fprintf(stderr, "tpool-bench: gnuplot not found, so no SVG plots: wrote the data "
                            "and %s/plots.gp; install gnuplot (apt-get install gnuplot-nox) "
                            "and run 'gnuplot plots.gp' in %s\n", plots, plots);
        else
            status = 1;
    }
    if (o.trace && access(o.trace, F_OK) == 0 && !r.incomplete)
        fprintf(stderr, "tpool-bench: wrote %s (open it in https://ui.perfetto.dev)\n", o.trace);
    size_t bad = 0;
    for (size_t i = 0; i < r.ncells; i++)
        if (!r.cells[i].check_ok) {
            if (bad++ < 10)
                fprintf(stderr, "tpool-bench: FAILED: %s on %s at %u threads: %s\n",
                        e.workloads[r.cells[i].wl].label, r.exes[r.cells[i].exe].label,
                        r.cells[i].threads, r.cells[i].check_msg);
        }
    if (bad) {
        fprintf(stderr, "tpool-bench: %zu cell(s) failed their result check or did not run\n",
                bad);
        status = 1;
    }
    if (o.quiet) /* the table, which lists them, was not printed */
        for (unsigned i = 0; i < r.nwarnings; i++)
            if (strcmp(r.warnings[i].kind, "incomplete") != 0)
                fprintf(stderr, "tpool-bench: warning: %s\n", r.warnings[i].text);
    fprintf(stderr, "tpool-bench: %zu cells in %.1f s\n", r.ncells, r.meta.wall_s);
    if (r.incomplete) {
        fprintf(stderr, "tpool-bench: INCOMPLETE: %s; the results written say so\n",
                r.incomplete_why);
        if (status == 0)
            status = 1;
    }
    if (mode && mode->after && !r.incomplete) {
        int st = mode->after(&r, &e, mode->ud);
        if (st && !status)
            status = st;
    }
    if (rc == 1) /* stopped by a signal: the shell's convention */
        status = 128 + bench_stop_requested();
    bench_report_free(&r);
    bench_experiment_free(&e);
    return status;
}
