/*
 * replay_cli.c - the record commands of tpool-bench:
 *
 *   tpool-bench replay RECORD [OPTIONS]  the recorded program replayed under
 *       every policy and thread count (and the baselines its shape allows),
 *       through tpool-bench's own rounds, statistics and outputs; then how
 *       close the replay under the recorded configuration came to the
 *       recorded time.
 *   tpool-bench advise RECORD [OPTIONS]  the same measurement, then which
 *       policy, parameters and thread count would have been fastest, with
 *       the confidence interval of the gain over the recorded
 *       configuration, and a configuration file that selects it.
 *
 * Both build an experiment of one workload, "replay", which reads the
 * record that TPOOL_BENCH_RECORD names (set here, so that the processes of
 * --runs read it too), and hand it to tpool-bench's main with the other
 * options as they are.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "output.h"
#include "replay.h"
#include "stats.h"
#include "tpool.h"

/* ---- the experiment --------------------------------------------------------------- */

typedef struct rec_cmd {
    const char *cmd;        /* "tpool-bench replay" or "tpool-bench advise" */
    const char *path;       /* the record, as given */
    bench_record *rec;
    int incomplete;
    /* advise */
    const char *config_out;
    double min_gain;
    const char *policies_from; /* an experiment file whose "policies" are tried */
} rec_cmd;

/* Thread counts: the default list (1, 2, 4, ... the CPUs), and the
 * recorded count. */
static json_t *thread_list(const bench_record *r)
{
    unsigned t[64];
    size_t n = bench_default_threads(tpool_default_threads(), t, 60);
    unsigned rt = r->max_threads;
    int have = 0;
    for (size_t i = 0; i < n; i++)
        have |= t[i] == rt;
    if (rt && !have && rt <= BENCH_MAX_SLOTS - 2)
        t[n++] = rt;
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_integer(t[i]));
    return a;
}

/* The experiment (malloc'd JSON text), or NULL with a message. */
static char *experiment_text(const rec_cmd *c, int advise)
{
    const bench_record *r = c->rec;
    json_t *base = json_array();
    if (!advise) {
        json_array_append_new(base, json_string("serial"));
        if (r->ntasks == 0)
            json_array_append_new(base, json_string("pthreadpool"));
    }
    char desc[640];
    bench_record_describe(r, desc, sizeof desc);
    json_t *e = json_pack("{s:s, s:s, s:o, s:o, s:[{s:s, s:s, s:{s:i}}]}", "name",
                          advise ? "advise-record" : "replay", "description", desc, "threads",
                          thread_list(r), "baselines", base, "workloads", "workload", "replay",
                          "label", "replay", "params", "incomplete", c->incomplete);
    if (e && c->policies_from) {
        json_error_t je;
        json_t *x = json_load_file(c->policies_from, JSON_REJECT_DUPLICATES, &je);
        json_t *pol = x ? json_object_get(x, "policies") : NULL;
        if (!x) {
            fprintf(stderr, "%s: --policies-from %s:%d:%d: %s\n", c->cmd, c->policies_from,
                    je.line, je.column, je.text);
        } else if (!pol) {
            fprintf(stderr, "%s: --policies-from %s: the experiment has no \"policies\"\n",
                    c->cmd, c->policies_from);
        } else {
            json_object_set(e, "policies", pol);
        }
        json_decref(x);
        if (!pol) {
            json_decref(e);
            return NULL;
        }
    }
    char *text = e ? json_dumps(e, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(e);
    if (!text)
        fprintf(stderr, "%s: out of memory\n", c->cmd);
    return text;
}

/* ---- the cells -------------------------------------------------------------------- */

/* Whether executor x runs the recorded pool's policy. */
static int is_recorded_policy(const bench_executor *x, const bench_rpool *p)
{
    if (x->kind != BENCH_EX_TPOOL)
        return 0;
    if (strcmp(x->label, p->policy) == 0 || strcmp(x->policy, p->policy) == 0
        || strcmp(x->policy, p->config_policy) == 0)
        return 1;
    /* a policy the record loaded by path: the same file */
    return strcmp(x->path, p->config_policy) == 0;
}

/* The cell of the recorded configuration, or NULL. */
static const bench_cell *recorded_cell(const bench_report *r, const bench_rpool *p)
{
    for (size_t i = 0; p && i < r->ncells; i++) {
        const bench_cell *c = &r->cells[i];
        if (c->threads == p->threads && is_recorded_policy(&r->exes[c->exe], p)
            && !r->exes[c->exe].params_json && c->check_ok && c->nrounds)
            return c;
    }
    return NULL;
}

/* Bootstrap 95% interval of median(b) / median(a), runs and rounds
 * resampled as tpool-bench compare does. */
static int ratio_ci(const bench_cell *a, const bench_cell *b, double *lo, double *hi)
{
    enum { REPS = 2000 };
    double *ta = malloc(a->nrounds * sizeof *ta), *tb = malloc(b->nrounds * sizeof *tb);
    double *ra = malloc(REPS * sizeof *ra), *rb = malloc(REPS * sizeof *rb);
    int rc = -1;
    if (ta && tb && ra && rb) {
        for (unsigned i = 0; i < a->nrounds; i++)
            ta[i] = (double)a->times_ns[i];
        for (unsigned i = 0; i < b->nrounds; i++)
            tb[i] = (double)b->times_ns[i];
        uint64_t seed = 0x5EED0F4D71CEull;
        if (bench_boot_medians(ta, a->run_rounds, a->nruns, REPS, &seed, ra) == 0
            && bench_boot_medians(tb, b->run_rounds, b->nruns, REPS, &seed, rb) == 0) {
            for (unsigned k = 0; k < REPS; k++)
                ra[k] = ra[k] > 0 ? rb[k] / ra[k] : NAN;
            bench_boot_interval(ra, REPS, 0.95, lo, hi);
            rc = 0;
        }
    }
    free(ta);
    free(tb);
    free(ra);
    free(rb);
    return rc;
}

/* After `tpool-bench replay`: the replay of the recorded configuration
 * against the recorded time. */
static int after_replay(const bench_report *r, const bench_experiment *e, void *ud)
{
    (void)e;
    const rec_cmd *c = ud;
    const bench_rpool *p = bench_record_main_pool(c->rec);
    double span = (double)bench_record_span(c->rec);
    char a[32], b[32], lo[32], hi[32];
    printf("\nrecorded: %s\n", c->path);
    if (!p) {
        printf("fidelity: the record has no pool\n");
        return 0;
    }
    const bench_cell *rc = recorded_cell(r, p);
    printf("recorded configuration: policy %s at %u threads%s; its span %s\n", p->policy,
           p->threads, p->params_json ? " (with params)" : "",
           bench_format_ns(a, sizeof a, span));
    if (!rc) {
        printf("fidelity: that configuration was not replayed (add it with -p %s -t %u)\n",
               p->policy, p->threads);
        return 0;
    }
    printf("fidelity: replayed under it, median %s (95%% CI %s to %s) = %.3f x the recorded "
           "time%s\n",
           bench_format_ns(b, sizeof b, rc->t.median), bench_format_ns(lo, sizeof lo, rc->t.ci_lo),
           bench_format_ns(hi, sizeof hi, rc->t.ci_hi), rc->t.median / span,
           fabs(rc->t.median / span - 1) <= 0.10 ? " (within 10%)" : " (NOT within 10%)");
    return 0;
}

/* ---- advice ------------------------------------------------------------------------- */

static int cmp_cell_median(const void *x, const void *y)
{
    const bench_cell *a = *(const bench_cell *const *)x, *b = *(const bench_cell *const *)y;
    return (a->t.median > b->t.median) - (a->t.median < b->t.median);
}

/* Writes the configuration that selects executor x at T threads; then
 * loads it back as a program would. */
static int write_config(const rec_cmd *c, const bench_executor *x, unsigned threads)
{
    json_t *o = json_pack("{s:s, s:I}", "policy", x->policy, "threads", (json_int_t)threads);
    if (o && x->params_json)
        json_object_set_new(o, "params", json_loads(x->params_json, 0, NULL));
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    FILE *f = text ? fopen(c->config_out, "w") : NULL;
    int ok = f && fprintf(f, "%s\n", text) > 0;
    if (f && fclose(f) != 0)
        ok = 0;
    free(text);
    if (!ok) {
        perror(c->config_out);
        return 1;
    }
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    char *resolved = NULL;
    int rc = tpool_config_load_file(c->config_out, &cfg, &err);
    if (rc == 0)
        rc = tpool_config_resolve(cfg, &resolved, &err);
    tpool_config_free(cfg);
    free(resolved);
    if (rc) {
        fprintf(stderr, "%s: the configuration written does not load: %s\n", c->cmd, err.text);
        return 1;
    }
    printf("wrote %s (it loads: TPOOL_CONFIG=%s runs a program with it; a program that "
           "asks pthreadpool_create for a thread count keeps that count)\n",
           c->config_out, c->config_out);
    return 0;
}

static int after_advise(const bench_report *r, const bench_experiment *e, void *ud)
{
    (void)e;
    const rec_cmd *c = ud;
    const bench_rpool *p = bench_record_main_pool(c->rec);
    const bench_cell **v = calloc(r->ncells ? r->ncells : 1, sizeof *v);
    if (!v)
        return 1;
    size_t n = 0;
    for (size_t i = 0; i < r->ncells; i++)
        if (r->exes[r->cells[i].exe].kind == BENCH_EX_TPOOL && r->cells[i].check_ok
            && r->cells[i].nrounds)
            v[n++] = &r->cells[i];
    if (!n) {
        printf("\nadvice: no configuration ran\n");
        free(v);
        return 1;
    }
    bench_sort(v, n, sizeof *v, cmp_cell_median);
    const bench_cell *rec = recorded_cell(r, p);
    printf("\nadvice for %s (recorded: %s at %u threads)\n", c->path, p ? p->policy : "-",
           p ? p->threads : 0);
    printf("%-24s %4s %12s %10s %24s\n", "policy", "T", "median/run", "vs rec", "95% CI of ratio");
    for (size_t i = 0; i < n && i < 10; i++) {
        const bench_cell *x = v[i];
        char m[32], ci[48] = "", ratio[16] = "-";
        double lo, hi;
        if (rec && x != rec && ratio_ci(rec, x, &lo, &hi) == 0)
            snprintf(ci, sizeof ci, "[%.3f, %.3f]", lo, hi);
        if (rec)
            snprintf(ratio, sizeof ratio, "%.3f", x->t.median / rec->t.median);
        printf("%-24s %4u %12s %10s %24s%s\n", r->exes[x->exe].label, x->threads,
               bench_format_ns(m, sizeof m, x->t.median), ratio, ci,
               x == rec ? "  <- recorded" : "");
    }
    const bench_cell *best = v[0], *pick = best;
    int status = 0;
    if (!rec) {
        printf("advice: the recorded configuration was not measured (it needs -p %s -t %u), "
               "so no gain can be stated; the fastest was %s at %u threads\n",
               p ? p->policy : "?", p ? p->threads : 0, r->exes[best->exe].label,
               best->threads);
    } else if (best == rec) {
        printf("advice: keep the recorded configuration: it was the fastest\n");
        pick = rec;
    } else {
        double lo = NAN, hi = NAN;
        ratio_ci(rec, best, &lo, &hi);
        double gain = 1 - best->t.median / rec->t.median;
        int significant = hi < 1 && gain >= c->min_gain;
        printf("advice: %s at %u thread%s would have been %.1f%% faster than the recorded %s "
               "at %u (time ratio %.3f, 95%% CI [%.3f, %.3f])%s\n",
               r->exes[best->exe].label, best->threads, best->threads == 1 ? "" : "s",
               100 * gain, r->exes[rec->exe].label, rec->threads,
               best->t.median / rec->t.median, lo, hi,
               significant ? ""
                           : hi >= 1 ? "; not significant (the interval reaches 1): keep the "
                                       "recorded configuration"
                                     : "; below --min-gain: keep the recorded configuration");
        pick = significant ? best : rec;
    }
    status = write_config(c, &r->exes[pick->exe], pick->threads);
    free(v);
    return status;
}

/* ---- the commands ------------------------------------------------------------------- */

static void replay_usage(FILE *f)
{
    fprintf(f,
"Usage: tpool-bench replay RECORD [OPTIONS]\n"
"\n"
"Replays a program recorded with TPOOL_RECORD=RECORD (docs/record-format.md):\n"
"its parallel-fors, tasks, waits and serial gaps, with bodies that spin the\n"
"recorded time on a calibrated loop, under every policy and thread count\n"
"(the default list and the recorded count), the serial loop, and Debian's\n"
"pthreadpool when the record has no tasks. The rounds, statistics, table\n"
"and files are tpool-bench's (every option of tpool-bench --help applies:\n"
"-p, -t, -b, -r, --runs, --json...). Then it compares the replay under the\n"
"recorded policy and thread count with the recorded time.\n"
"\n"
"      --incomplete        replay a record without its end (the program\n"
"                          crashed or left with _exit) up to its last flush\n"
"  -h, --help\n");
}

/* Takes the command's own options out of argv (what is left goes to
 * tpool-bench's main); returns -1 on a bad one. */
static int own_options(rec_cmd *c, int *argc, char **argv, int advise)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < *argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--incomplete") == 0) {
            c->incomplete = 1;
        } else if (advise && strcmp(a, "--write-config") == 0 && val) {
            c->config_out = val;
            i++;
        } else if (advise && strcmp(a, "--policies-from") == 0 && val) {
            c->policies_from = val;
            i++;
        } else if (advise && strcmp(a, "--min-gain") == 0 && val) {
            char *end;
            double g = strtod(val, &end);
            if (*end || end == val || !(g >= 0) || g >= 100) {
                fprintf(stderr, "%s: --min-gain: expected a per cent in [0, 100)\n", c->cmd);
                return -1;
            }
            c->min_gain = g / 100;
            i++;
        } else if ((strcmp(a, "--write-config") == 0 || strcmp(a, "--policies-from") == 0
                    || strcmp(a, "--min-gain") == 0) && advise) {
            fprintf(stderr, "%s: %s needs a value\n", c->cmd, a);
            return -1;
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

/* Refuses baselines the record cannot run on: its tasks run serially and
 * on tpool only (pthreadpool has none, and the OpenMP and oneTBB tasks
 * cannot take the record's groups, waits and pools). */
static int check_baselines(const rec_cmd *c, int argc, char **argv)
{
    if (c->rec->ntasks == 0)
        return 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if ((strcmp(argv[i], "-b") == 0 || strcmp(argv[i], "--baselines") == 0) && i + 1 < argc)
            v = argv[i + 1];
        else if (strncmp(argv[i], "--baselines=", 12) == 0)
            v = argv[i] + 12;
        if (!v)
            continue;
        char *copy = strdup(v);
        if (!copy)
            return -1;
        for (char *save = NULL, *b = strtok_r(copy, ",", &save); b;
             b = strtok_r(NULL, ",", &save)) {
            if (strcmp(b, "serial") == 0 || strcmp(b, "none") == 0)
                continue;
            fprintf(stderr, "%s: %s has tasks, which only the serial baseline and tpool's "
                            "policies replay (pthreadpool has parallel-fors only; OpenMP's "
                            "and oneTBB's tasks cannot take the record's groups): leave %s "
                            "out of --baselines\n",
                    c->cmd, c->path, b);
            free(copy);
            return -1;
        }
        free(copy);
    }
    return 0;
}

static int run_cmd(int argc, char **argv, int advise)
{
    rec_cmd c = { .cmd = advise ? "tpool-bench advise" : "tpool-bench replay",
                  .config_out = "tpool-advice.json", .min_gain = 0.02 };
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        replay_usage(argc < 2 ? stderr : stdout); /* advise's is advise.c's */
        return argc < 2 ? 2 : 0;
    }
    c.path = argv[1];
    if (c.path[0] == '-') {
        fprintf(stderr, "%s: the record file comes first (%s RECORD [OPTIONS])\n", c.cmd,
                c.cmd);
        return 2;
    }
    /* argv[1] (the record) leaves; the options stay, after a program name */
    char **av = calloc((size_t)argc + 2, sizeof *av);
    if (!av)
        return 1;
    av[0] = argv[0];
    int ac = 1;
    for (int i = 2; i < argc; i++)
        av[ac++] = argv[i];
    int status = 2;
    char *text = NULL;
    if (own_options(&c, &ac, av, advise) != 0)
        goto out;
    bench_perror pe;
    if (bench_record_load(c.path, c.incomplete ? BENCH_RECORD_INCOMPLETE : 0, &c.rec, &pe)
        != 0) {
        fprintf(stderr, "%s: %s\n", c.cmd, pe.text);
        goto out;
    }
    if (check_baselines(&c, ac, av) != 0)
        goto out;
    char abs[PATH_MAX];
    if (!realpath(c.path, abs)) {
        perror(c.path);
        goto out;
    }
    const char *rec_env = getenv("TPOOL_RECORD");
    if (rec_env) {
        fprintf(stderr, "%s: TPOOL_RECORD=%s is ignored here: the replay would record "
                        "itself\n", c.cmd, rec_env);
        unsetenv("TPOOL_RECORD");
    }
    setenv("TPOOL_BENCH_RECORD", abs, 1);
    char desc[640];
    bench_record_describe(c.rec, desc, sizeof desc);
    fprintf(stderr, "%s: %s\n", c.cmd, desc);
    if (c.rec->capped || c.rec->dropped)
        fprintf(stderr, "%s: warning: the recorder dropped %llu events%s: the replay lacks "
                        "them\n", c.cmd, (unsigned long long)c.rec->dropped,
                c.rec->capped ? " (its size cap)" : "");
    text = experiment_text(&c, advise);
    if (!text)
        goto out;
    char source[PATH_MAX + 32];
    snprintf(source, sizeof source, "<%s %s>", c.cmd, c.path);
    /* advise keeps its result files only when asked for them */
    int files = 0;
    for (int i = 1; i < ac; i++)
        files |= !strcmp(av[i], "-o") || !strcmp(av[i], "--out") || !strcmp(av[i], "--csv")
                 || !strcmp(av[i], "--json") || !strcmp(av[i], "--plot")
                 || !strncmp(av[i], "--out=", 6) || !strncmp(av[i], "--json=", 7);
    if (advise && !files)
        av[ac++] = "--no-files";
    av[ac] = NULL;
    bench_main_mode mode = { c.cmd, text, source, advise ? after_advise : after_replay, &c };
    status = bench_main_run(ac, av, &mode);
out:
    free(text);
    free(av);
    bench_record_free(c.rec);
    return status;
}

int bench_replay_main(int argc, char **argv)
{
    return run_cmd(argc, argv, 0);
}

int bench_advise_record(int argc, char **argv)
{
    return run_cmd(argc, argv, 1);
}
