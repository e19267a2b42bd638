/*
 * experiment.c - reads an experiment file (docs/harness.md, "Experiment
 * files") into a bench_experiment. Syntax errors come from jansson with
 * their line and column; for a value that parses but is wrong, the JSON
 * locator of core/input/ finds the key or value again in the text, so
 * every message reads "FILE:LINE:COL: KEY: what is wrong". Unknown keys are
 * errors, with a suggestion when the name is close to a known one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench.h"
#include "json_locate.h"
#include "params.h"
#include "textfile.h"

/* An experiment is a few kilobytes: a huge file is a mistake. */
#define EXPERIMENT_MAX_SIZE (64u << 20)

/* The built-in default experiment: the text of
 * harness/experiments/default.json, made a string literal at build time
 * (harness/tpool-bench.mk). Sized to take a few minutes on a 2-core
 * machine with every policy and baseline in three separate runs: tiny-tasks
 * runs 1e5 tasks per run there instead of 1e6, short-calls 100 calls
 * instead of 200, and the measuring stops after budget_s once every cell
 * has its minimum rounds. */
const char bench_default_experiment[] =
#include "default-experiment.h"
    ;

typedef struct pctx {
    const char *text;
    const char *source;
    bench_perror *err;
} pctx;

/* Records an error about the value (or, with at_key, the key) at `path`. */
__attribute__((format(printf, 4, 5))) static int fail(pctx *c, const char *path, int at_key,
                                                      const char *fmt, ...)
{
    bench_perror *e = c->err;
    char msg[sizeof e->text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = 0, col = 0;
    if (path && c->text) {
        int rc = at_key ? tpool__json_locate_key(c->text, path, &line, &col)
                        : tpool__json_locate(c->text, path, &line, &col);
        if (rc != 0)
            line = col = 0;
    }
    if (e) {
        e->line = line;
        e->column = col;
        snprintf(e->key, sizeof e->key, "%s", path ? path : "");
        char where[200];
        if (line)
            snprintf(where, sizeof where, "%.160s:%d:%d", c->source, line, col);
        else
            snprintf(where, sizeof where, "%.160s", c->source);
        int n = path && path[0] ? snprintf(e->text, sizeof e->text, "%s: %.127s: ", where, path)
                                : snprintf(e->text, sizeof e->text, "%s: ", where);
        /* The message (a loader's may be long) gets the rest, cut if need be. */
        size_t at = n < 0 ? 0 : (size_t)n, ml = strlen(msg);
        if (at < sizeof e->text) {
            if (ml > sizeof e->text - 1 - at)
                ml = sizeof e->text - 1 - at;
            memcpy(e->text + at, msg, ml);
            e->text[at + ml] = '\0';
        }
    }
    return -1;
}

/* "parent.key" with the locator's escaping; "" parent is the root. */
static void key_path(char *buf, size_t size, const char *parent, const char *key)
{
    char *p = tpool__json_path_key(parent, key);
    snprintf(buf, size, "%s", p ? p : key);
    free(p);
}

static void index_path(char *buf, size_t size, const char *parent, size_t i)
{
    snprintf(buf, size, "%s[%zu]", parent, i);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* Every key of object `o` at `path` must be in known[]. */
static int known_keys(pctx *c, const json_t *o, const char *path, const char *const *known,
                      size_t nknown)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        size_t i;
        for (i = 0; i < nknown; i++)
            if (strcmp(k, known[i]) == 0)
                break;
        if (i < nknown)
            continue;
        char p[256], list[512] = "";
        key_path(p, sizeof p, path, k);
        for (i = 0; i < nknown; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", known[i]);
        }
        const char *s = tpool__json_suggest(k, known, nknown);
        if (s)
            return fail(c, p, 1, "unknown key; did you mean \"%s\"? (known: %s)", s, list);
        return fail(c, p, 1, "unknown key (known: %s)", list);
    }
    return 0;
}

/* An integer in [min, max] at parent.key, if present. */
static int get_int(pctx *c, const json_t *o, const char *parent, const char *key,
                   long long min, long long max, long long *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    char p[256], shown[64];
    key_path(p, sizeof p, parent, key);
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return fail(c, p, 0, "expected an integer in [%lld, %lld], got %s", min, max,
                    tpool__json_render(v, shown, sizeof shown));
    *out = json_integer_value(v);
    return 0;
}

/* get_int into an unsigned that keeps its value when the key is absent. */
static int get_uint(pctx *c, const json_t *o, const char *parent, const char *key,
                    unsigned min, unsigned max, unsigned *out)
{
    long long ll = *out;
    if (get_int(c, o, parent, key, min, max, &ll))
        return -1;
    *out = (unsigned)ll;
    return 0;
}

/* Labels name files and columns: keep them plain. */
static int valid_label(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < BENCH_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int get_label(pctx *c, const json_t *o, const char *parent, const char *key,
                     char *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    char p[256], shown[64];
    key_path(p, sizeof p, parent, key);
    if (!json_is_string(v) || !valid_label(json_string_value(v)))
        return fail(c, p, 0,
                    "expected a name of 1 to %d letters, digits, '_', '.' or '-', got %s",
                    BENCH_NAME_MAX - 1, tpool__json_render(v, shown, sizeof shown));
    snprintf(out, BENCH_NAME_MAX, "%s", json_string_value(v));
    return 0;
}

/* A number in [min, max] at parent.key, if present. */
static int get_number(pctx *c, const json_t *o, const char *parent, const char *key,
                      double min, double max, double *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    char p[256], shown[64];
    key_path(p, sizeof p, parent, key);
    if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max)
        return fail(c, p, 0, "expected a number in [%g, %g], got %s", min, max,
                    tpool__json_render(v, shown, sizeof shown));
    *out = json_number_value(v);
    return 0;
}

/* ---- rounds ------------------------------------------------------------------------ */

/*
 * "repetitions": N is a fixed number of rounds (min_rounds = max_rounds =
 * N). Otherwise min_rounds and max_rounds bound the rounds of the stopping
 * rule; one given alone moves the other's default out of its way.
 */
static int parse_rounds(pctx *c, const json_t *root, bench_experiment *e)
{
    json_t *rep = json_object_get(root, "repetitions");
    json_t *mn = json_object_get(root, "min_rounds"), *mx = json_object_get(root, "max_rounds");
    if (rep && (mn || mx))
        return fail(c, "repetitions", 1,
                    "give either repetitions (a fixed number of rounds) or "
                    "min_rounds/max_rounds, not both");
    if (rep) {
        unsigned n = 0;
        if (get_uint(c, root, "", "repetitions", 1, 100000, &n))
            return -1;
        e->min_rounds = e->max_rounds = n;
    }
    if (get_uint(c, root, "", "min_rounds", 1, 100000, &e->min_rounds) ||
        get_uint(c, root, "", "max_rounds", 1, 100000, &e->max_rounds))
        return -1;
    if (mn && mx && e->max_rounds < e->min_rounds)
        return fail(c, "max_rounds", 0, "max_rounds (%u) is below min_rounds (%u)",
                    e->max_rounds, e->min_rounds);
    if (e->max_rounds < e->min_rounds) {
        if (mn)
            e->max_rounds = e->min_rounds;
        else
            e->min_rounds = e->max_rounds;
    }
    long long runs = e->runs;
    if (get_number(c, root, "", "ci_target", 0, 0.5, &e->ci_target) ||
        get_number(c, root, "", "budget_s", 0, 1e6, &e->budget_s) ||
        get_int(c, root, "", "runs", 1, BENCH_MAX_RUNS, &runs))
        return -1;
    e->runs = (unsigned)runs;
    return 0;
}

/* ---- policies ------------------------------------------------------------------ */

static int parse_policies(pctx *c, const json_t *v, bench_experiment *e)
{
    char shown[64];
    if (json_is_string(v)) {
        if (strcmp(json_string_value(v), "all") == 0) {
            e->all_policies = 1;
            return 0;
        }
        return fail(c, "policies", 0,
                    "expected \"all\" or an array of policies, got %s",
                    tpool__json_render(v, shown, sizeof shown));
    }
    if (!json_is_array(v))
        return fail(c, "policies", 0, "expected \"all\" or an array of policies, got %s",
                    type_name(v));
    e->all_policies = 0;
    size_t n = json_array_size(v);
    e->policies = calloc(n ? n : 1, sizeof *e->policies);
    if (!e->policies)
        return fail(c, NULL, 0, "out of memory");
    static const char *const keys[] = { "policy", "label", "params" };
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(v, i);
        char p[256];
        index_path(p, sizeof p, "policies", i);
        bench_policy_sel *s = &e->policies[e->npolicies];
        const char *name;
        if (json_is_string(it)) {
            name = json_string_value(it);
        } else if (json_is_object(it)) {
            if (known_keys(c, it, p, keys, 3))
                return -1;
            json_t *pv = json_object_get(it, "policy");
            char pp[256];
            key_path(pp, sizeof pp, p, "policy");
            if (!pv)
                return fail(c, p, 0, "missing key \"policy\" (the policy's name)");
            if (!json_is_string(pv))
                return fail(c, pp, 0, "expected a policy name, got %s", type_name(pv));
            name = json_string_value(pv);
        } else {
            return fail(c, p, 0, "expected a policy name or an object, got %s",
                        type_name(it));
        }
        char why[160];
        if (bench_policy_label(name, s->label, why, sizeof why)) {
            char pp[256];
            if (json_is_object(it))
                key_path(pp, sizeof pp, p, "policy");
            else
                snprintf(pp, sizeof pp, "%s", p);
            return fail(c, pp, 0, "%s", why);
        }
        snprintf(s->policy, sizeof s->policy, "%s", name);
        if (json_is_object(it)) {
            if (get_label(c, it, p, "label", s->label))
                return -1;
            json_t *pa = json_object_get(it, "params");
            if (pa) {
                char pp[256];
                key_path(pp, sizeof pp, p, "params");
                if (!json_is_object(pa))
                    return fail(c, pp, 0, "expected an object of policy parameters, got %s",
                                type_name(pa));
                s->params_json = json_dumps(pa, JSON_COMPACT);
                if (!s->params_json)
                    return fail(c, NULL, 0, "out of memory");
            }
        }
        for (size_t j = 0; j < e->npolicies; j++)
            if (strcmp(e->policies[j].label, s->label) == 0) {
                free(s->params_json);
                s->params_json = NULL;
                return fail(c, p, 0,
                            "label \"%s\" is used twice; give one of them another \"label\"",
                            s->label);
            }
        if (bench_base_from_name(s->label)) {
            free(s->params_json);
            s->params_json = NULL;
            return fail(c, p, 0, "label \"%s\" is the name of a baseline", s->label);
        }
        e->npolicies++;
    }
    return 0;
}

/* ---- baselines ------------------------------------------------------------------- */

static int parse_baselines(pctx *c, const json_t *v, bench_experiment *e)
{
    char shown[64];
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "all") == 0) {
            e->baselines = BENCH_BASE_ALL;
            return 0;
        }
        if (strcmp(s, "none") == 0) {
            e->baselines = 0;
            return 0;
        }
        return fail(c, "baselines", 0, "expected \"all\", \"none\" or an array, got %s",
                    tpool__json_render(v, shown, sizeof shown));
    }
    if (!json_is_array(v))
        return fail(c, "baselines", 0, "expected \"all\", \"none\" or an array, got %s",
                    type_name(v));
    e->baselines = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *it = json_array_get(v, i);
        char p[64];
        index_path(p, sizeof p, "baselines", i);
        int bit = json_is_string(it) ? bench_base_from_name(json_string_value(it)) : 0;
        if (!bit) {
            const char *sug = json_is_string(it)
                                  ? tpool__json_suggest(json_string_value(it),
                                                        bench_base_names, BENCH_NBASE)
                                  : NULL;
            return fail(c, p, 0, "unknown baseline %s%s%s%s (known: %s)",
                        tpool__json_render(it, shown, sizeof shown),
                        sug ? "; did you mean \"" : "", sug ? sug : "", sug ? "\"?" : "",
                        bench_base_list());
        }
        e->baselines |= (unsigned)bit;
    }
    return 0;
}

/* ---- company -------------------------------------------------------------------- */

/* "company": "none", "all", or an array of "thread", "process", "omp". */
static int parse_company(pctx *c, const json_t *v, bench_experiment *e)
{
    char shown[64];
    static const char *const modes[] = { "thread", "process", "omp" };
    if (json_is_string(v) && strcmp(json_string_value(v), "all") == 0) {
        e->company = BENCH_CO_ALL;
        return 0;
    }
    if (json_is_string(v) && strcmp(json_string_value(v), "none") == 0) {
        e->company = 0;
        return 0;
    }
    if (!json_is_array(v))
        return fail(c, "company", 0,
                    "expected \"all\", \"none\" or an array of \"thread\", \"process\", "
                    "\"omp\", got %s",
                    tpool__json_render(v, shown, sizeof shown));
    e->company = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *it = json_array_get(v, i);
        char p[64];
        index_path(p, sizeof p, "company", i);
        int mode = json_is_string(it) ? bench_company_from_name(json_string_value(it)) : -1;
        if (mode <= 0) {
            const char *sug = json_is_string(it)
                                  ? tpool__json_suggest(json_string_value(it), modes, 3)
                                  : NULL;
            return fail(c, p, 0, "unknown company %s%s%s%s (known: thread, process, omp)",
                        tpool__json_render(it, shown, sizeof shown),
                        sug ? "; did you mean \"" : "", sug ? sug : "", sug ? "\"?" : "");
        }
        e->company |= BENCH_CO_BIT(mode);
    }
    return 0;
}

/* ---- threads --------------------------------------------------------------------- */

static int parse_threads(pctx *c, const json_t *v, bench_experiment *e)
{
    char shown[64];
    if (json_is_string(v) && strcmp(json_string_value(v), "default") == 0)
        return 0;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(c, "threads", 0,
                    "expected \"default\" or a non-empty array of thread counts, got %s",
                    tpool__json_render(v, shown, sizeof shown));
    size_t n = json_array_size(v);
    e->threads = calloc(n, sizeof *e->threads);
    if (!e->threads)
        return fail(c, NULL, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(v, i);
        char p[64];
        index_path(p, sizeof p, "threads", i);
        if (!json_is_integer(it) || json_integer_value(it) < 1 ||
            json_integer_value(it) > BENCH_MAX_SLOTS - 2)
            return fail(c, p, 0, "expected an integer in [1, %d], got %s",
                        BENCH_MAX_SLOTS - 2, tpool__json_render(it, shown, sizeof shown));
        unsigned t = (unsigned)json_integer_value(it);
        for (size_t j = 0; j < e->nthreads; j++)
            if (e->threads[j] == t)
                return fail(c, p, 0, "thread count %u is listed twice", t);
        e->threads[e->nthreads++] = t;
    }
    return 0;
}

/* ---- workloads ------------------------------------------------------------------- */

/* A tpool_error (whose text already says file, line, column and key) as
 * the experiment's error. */
static int fail_te(pctx *c, const tpool_error *te)
{
    if (c->err) {
        c->err->line = te->line;
        c->err->column = te->column;
        snprintf(c->err->key, sizeof c->err->key, "%s", te->key);
        snprintf(c->err->text, sizeof c->err->text, "%s", te->text);
    }
    return -1;
}

/* The message of a tpool_error without its "source:line:col: key: " prefix. */
static const char *error_body(const tpool_error *te);

/* Checks the "params" object pa (at `path`, may be NULL) against the
 * workload's table, as a pool checks a policy's params: the same types,
 * ranges and messages. */
static int parse_params(pctx *c, bench_experiment *e, const json_t *pa, const char *path,
                        bench_wl_inst *w)
{
    tpool__params_src src = {
        .params = pa, .text = c->text, .source = c->source, .path = path, .key = path,
        .owner = "workload", .name = w->wl->name,
    };
    tpool_error te;
    tpool_error_clear(&te);
    if (tpool__params_check(&src, w->wl->params, w->wl->nparams, w->p, &te) != 0)
        return fail_te(c, &te);
    /* A string given points into the JSON, which is freed after the parse:
     * the experiment keeps a copy. */
    for (unsigned k = 0; pa && k < w->wl->nparams; k++) {
        if (w->wl->params[k].type != TPOOL_PARAM_STRING ||
            !json_object_get(pa, w->wl->params[k].name))
            continue;
        char **ss = realloc(e->strings, (e->nstrings + 1) * sizeof *ss);
        char *copy = strdup(w->p[k].s);
        if (!ss || !copy) {
            free(copy);
            if (ss)
                e->strings = ss;
            return fail(c, NULL, 0, "out of memory");
        }
        e->strings = ss;
        e->strings[e->nstrings++] = copy;
        w->p[k].s = copy;
    }
    return 0;
}

/* The module at `path`, loaded once per experiment. */
static const bench_wl_module *load_module(pctx *c, bench_experiment *e, const char *path,
                                          const char *at)
{
    char real[PATH_MAX];
    if (realpath(path, real))
        for (size_t i = 0; i < e->nmodules; i++)
            if (strcmp(e->modules[i]->path, real) == 0)
                return e->modules[i];
    bench_wl_module **mods = realloc(e->modules, (e->nmodules + 1) * sizeof *mods);
    if (!mods) {
        fail(c, NULL, 0, "out of memory");
        return NULL;
    }
    e->modules = mods;
    tpool_error te;
    tpool_error_clear(&te);
    if (bench_wl_module_load(path, &e->modules[e->nmodules], &te) != 0) {
        fail(c, at, 0, "%s", error_body(&te));
        return NULL;
    }
    return e->modules[e->nmodules++];
}

/* The workload an entry of "workloads" names (a string, or an object's
 * "workload"), or NULL. */
static const char *entry_name(const json_t *it)
{
    return json_string_value(json_is_object(it) ? json_object_get(it, "workload") : it);
}

/* Counts instance w (labelled) into the experiment, refusing a label that
 * an earlier instance has; p is the entry that made it. */
static int add_inst(pctx *c, bench_experiment *e, const char *p)
{
    const bench_wl_inst *w = &e->workloads[e->nworkloads];
    for (size_t j = 0; j < e->nworkloads; j++)
        if (strcmp(e->workloads[j].label, w->label) == 0)
            return fail(c, p, 0,
                        "label \"%s\" is used twice; give one of them another \"label\"",
                        w->label);
    e->nworkloads++;
    return 0;
}

/* The entry "all" (or {"workload": "all"}) at p: every listed built-in
 * workload, with its defaults, except those the array names in an entry of
 * their own, which replace it there. */
static int expand_all(pctx *c, const json_t *v, const json_t *it, const char *p,
                      bench_experiment *e)
{
    if (json_is_object(it) && json_object_size(it) != 1)
        return fail(c, p, 0, "\"all\" takes no \"label\" or \"params\": each workload it adds "
                             "runs with its defaults; give a workload an entry of its own to "
                             "set them");
    for (size_t k = 0; k < bench_nworkloads; k++) {
        const tpool_bench_workload *wl = bench_workloads[k];
        bool named = false;
        size_t i;
        json_t *other;
        json_array_foreach(v, i, other) {
            const char *n = entry_name(other);
            named |= n && strcmp(n, wl->name) == 0;
        }
        if (named)
            continue;
        bench_wl_inst *w = &e->workloads[e->nworkloads];
        w->wl = wl;
        bench_wl_defaults(w);
        snprintf(w->label, sizeof w->label, "%s", wl->name);
        if (add_inst(c, e, p))
            return -1;
    }
    return 0;
}

static int parse_workloads(pctx *c, const json_t *v, bench_experiment *e)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(c, "workloads", 0, "expected a non-empty array of workloads, got %s",
                    json_is_array(v) ? "an empty array" : type_name(v));
    size_t n = json_array_size(v);
    /* room for every entry, and for "all" standing for every listed workload */
    e->workloads = calloc(n + bench_nworkloads, sizeof *e->workloads);
    if (!e->workloads)
        return fail(c, NULL, 0, "out of memory");
    const char *wnames[64];
    for (size_t i = 0; i < bench_nworkloads && i < 64; i++)
        wnames[i] = bench_workloads[i]->name;
    static const char *const keys[] = { "workload", "label", "params" };
    bool seen_all = false;
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(v, i);
        char p[256], np[256];
        index_path(p, sizeof p, "workloads", i);
        bench_wl_inst *w = &e->workloads[e->nworkloads];
        const char *name;
        if (json_is_string(it)) {
            name = json_string_value(it);
            snprintf(np, sizeof np, "%s", p);
        } else if (json_is_object(it)) {
            if (known_keys(c, it, p, keys, 3))
                return -1;
            json_t *nv = json_object_get(it, "workload");
            key_path(np, sizeof np, p, "workload");
            if (!nv)
                return fail(c, p, 0, "missing key \"workload\" (see --list-workloads)");
            if (!json_is_string(nv))
                return fail(c, np, 0, "expected a workload name or the path of a workload "
                                      ".so, got %s", type_name(nv));
            name = json_string_value(nv);
        } else {
            return fail(c, p, 0, "expected a workload name or an object, got %s",
                        type_name(it));
        }
        if (strcmp(name, "all") == 0) {
            if (seen_all)
                return fail(c, np, 0, "\"all\" is given twice");
            seen_all = true;
            if (expand_all(c, v, it, p, e))
                return -1;
            continue;
        }
        if (strchr(name, '/')) {
            /* A path: a workload .so (tpool-bench.h), loaded as given. */
            w->mod = load_module(c, e, name, np);
            if (!w->mod)
                return -1;
            w->wl = w->mod->wl;
        } else if (!(w->wl = bench_workload_find(name))) {
            const char *s = tpool__json_suggest(name, wnames, bench_nworkloads);
            return fail(c, np, 0, "unknown workload \"%s\"%s%s%s (see --list-workloads; a "
                        "workload .so is given by a path containing '/')", name,
                        s ? "; did you mean \"" : "", s ? s : "", s ? "\"?" : "");
        }
        bench_wl_defaults(w);
        snprintf(w->label, sizeof w->label, "%s", w->wl->name);
        if (json_is_object(it)) {
            if (get_label(c, it, p, "label", w->label))
                return -1;
            char pp[256];
            key_path(pp, sizeof pp, p, "params");
            if (parse_params(c, e, json_object_get(it, "params"), pp, w))
                return -1;
        }
        if (add_inst(c, e, p))
            return -1;
    }
    return 0;
}

int bench_experiment_probe_modules(const bench_experiment *e, bench_perror *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    pctx c = { e->text, e->text && e->source ? e->source : "--workloads", err };
    for (size_t i = 0; i < e->nworkloads; i++) {
        const bench_wl_inst *w = &e->workloads[i];
        if (!w->mod)
            continue;
        tpool_error te;
        tpool_error_clear(&te);
        if (bench_wl_module_probe(w->mod->path, w->p, e->seed, &te) > 0)
            continue; /* no child: it is tried in this process */
        if (te.code) {
            char p[256];
            if (e->text)
                index_path(p, sizeof p, "workloads", i);
            else
                snprintf(p, sizeof p, "%s", w->label);
            return fail(&c, p, 0, "%s", error_body(&te));
        }
    }
    return 0;
}

int bench_experiment_add_workload(bench_experiment *e, const char *name, bench_perror *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    pctx c = { NULL, "--workloads", err };
    const bench_wl_module *m = NULL;
    const tpool_bench_workload *wl;
    if (strchr(name, '/')) {
        if (!(m = load_module(&c, e, name, NULL)))
            return -1;
        wl = m->wl;
    } else if (!(wl = bench_workload_find(name))) {
        return fail(&c, NULL, 0, "unknown workload \"%s\" (see --list-workloads)", name);
    }
    for (size_t j = 0; j < e->nworkloads; j++)
        if (strcmp(e->workloads[j].label, wl->name) == 0)
            return fail(&c, NULL, 0,
                        "workload '%s': its name \"%s\" is the label of another workload "
                        "of the experiment; give it a label of its own in an experiment file",
                        name, wl->name);
    bench_wl_inst *ws = realloc(e->workloads, (e->nworkloads + 1) * sizeof *ws);
    if (!ws)
        return fail(&c, NULL, 0, "out of memory");
    e->workloads = ws;
    bench_wl_inst *w = &ws[e->nworkloads++];
    memset(w, 0, sizeof *w);
    w->mod = m;
    w->wl = wl;
    bench_wl_defaults(w);
    snprintf(w->label, sizeof w->label, "%s", w->wl->name);
    return 0;
}

/* ---- the whole file ---------------------------------------------------------------- */

static void defaults(bench_experiment *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "unnamed");
    e->seed = 1;
    e->all_policies = 1;
    e->baselines = BENCH_BASE_ALL;
    e->min_rounds = 10;
    e->max_rounds = 100;
    e->ci_target = 0.02;
    e->budget_s = 150;
    e->runs = 1;
    e->warmup = 1;
    e->cooldown_us = 2000;
    e->spin_us = 200;
    e->idle_probe_ms = 100;
}

static int all_workloads(bench_experiment *e)
{
    e->workloads = calloc(bench_nworkloads, sizeof *e->workloads);
    if (!e->workloads)
        return -1;
    for (size_t i = 0; i < bench_nworkloads; i++) {
        bench_wl_inst *w = &e->workloads[i];
        w->wl = bench_workloads[i];
        bench_wl_defaults(w);
        snprintf(w->label, sizeof w->label, "%s", w->wl->name);
    }
    e->nworkloads = bench_nworkloads;
    return 0;
}

int bench_experiment_parse(const char *text, const char *source, bench_experiment *e,
                           bench_perror *err)
{
    defaults(e);
    if (err)
        memset(err, 0, sizeof *err);
    pctx c = { text, source ? source : "<text>", err };
    e->source = strdup(c.source);
    e->text = strdup(text);
    if (!e->source || !e->text) {
        bench_experiment_free(e);
        return fail(&c, NULL, 0, "out of memory");
    }
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root && text[strspn(text, " \t\r\n")] == '\0') {
        /* jansson says "1:0: '[' or '{' expected near end of file". */
        if (err) {
            tpool__json_position(text, strlen(text), &err->line, &err->column);
            snprintf(err->text, sizeof err->text, "%s:%d:%d: %s; expected an experiment object",
                     c.source, err->line, err->column,
                     text[0] ? "no JSON text, only white space" : "empty file");
        }
        bench_experiment_free(e);
        return -1;
    }
    if (!root) {
        if (err) {
            err->line = je.line > 0 ? je.line : 0;
            err->column = je.column > 0 ? je.column : 0;
            snprintf(err->text, sizeof err->text, "%s:%d:%d: %s", c.source, je.line,
                     je.column, je.text);
        }
        bench_experiment_free(e);
        return -1;
    }
    int rc = -1;
    static const char *const keys[] = {
        "name", "description", "seed", "policies", "baselines", "threads",
        "repetitions", "min_rounds", "max_rounds", "ci_target", "budget_s", "runs", "warmup",
        "cooldown_us", "spin_us", "idle_probe_ms", "workloads", "policy_switch", "company",
    };
    if (!json_is_object(root)) {
        fail(&c, "", 0, "expected an experiment object, got %s", type_name(root));
        goto out;
    }
    if (known_keys(&c, root, "", keys, sizeof keys / sizeof keys[0]))
        goto out;
    json_t *v;
    char shown[64];
    if ((v = json_object_get(root, "name"))) {
        if (!json_is_string(v) || !valid_label(json_string_value(v))) {
            fail(&c, "name", 0, "expected a name of 1 to %d letters, digits, '_', '.' or '-', got %s",
                 BENCH_NAME_MAX - 1, tpool__json_render(v, shown, sizeof shown));
            goto out;
        }
        snprintf(e->name, sizeof e->name, "%s", json_string_value(v));
    }
    if ((v = json_object_get(root, "description")) && !json_is_string(v)) {
        fail(&c, "description", 0, "expected a string, got %s", type_name(v));
        goto out;
    }
    long long ll;
    ll = 1;
    if (get_int(&c, root, "", "seed", 0, LLONG_MAX, &ll))
        goto out;
    e->seed = (uint64_t)ll;
    if (parse_rounds(&c, root, e) ||
        get_uint(&c, root, "", "warmup", 0, 1000, &e->warmup) ||
        get_uint(&c, root, "", "cooldown_us", 0, 10000000, &e->cooldown_us) ||
        get_uint(&c, root, "", "spin_us", 0, 1000000, &e->spin_us) ||
        get_uint(&c, root, "", "idle_probe_ms", 0, 10000, &e->idle_probe_ms))
        goto out;
    if ((v = json_object_get(root, "policy_switch"))) {
        if (!json_is_boolean(v)) {
            fail(&c, "policy_switch", 0, "expected true or false, got %s",
                 tpool__json_render(v, shown, sizeof shown));
            goto out;
        }
        e->policy_switch = json_is_true(v);
    }
    if ((v = json_object_get(root, "company")) && parse_company(&c, v, e))
        goto out;
    if ((v = json_object_get(root, "policies")) && parse_policies(&c, v, e))
        goto out;
    if ((v = json_object_get(root, "baselines")) && parse_baselines(&c, v, e))
        goto out;
    if ((v = json_object_get(root, "threads")) && parse_threads(&c, v, e))
        goto out;
    if ((v = json_object_get(root, "workloads"))) {
        if (parse_workloads(&c, v, e))
            goto out;
    } else if (all_workloads(e)) {
        fail(&c, NULL, 0, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    if (rc)
        bench_experiment_free(e);
    return rc;
}

int bench_experiment_load(const char *path, bench_experiment *out, bench_perror *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    /* The configuration's reader: regular files only, so that a FIFO is
     * refused instead of blocking the harness forever. */
    char *buf = NULL;
    size_t len = 0;
    tpool__file_error fe;
    int frc = tpool__read_text_file(path, EXPERIMENT_MAX_SIZE, &buf, &len, &fe);
    if (frc && err && fe.too_large)
        snprintf(err->text, sizeof err->text, "%s: too large (%s), not an experiment file",
                 path, fe.why);
    else if (frc && err)
        snprintf(err->text, sizeof err->text, "%s: %s%s", path,
                 fe.opening ? "" : "cannot read the experiment file: ", fe.why);
    if (frc)
        return -1;
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        if (err) {
            tpool__json_position(buf, (size_t)(nul - buf), &err->line, &err->column);
            snprintf(err->text, sizeof err->text,
                     "%s:%d:%d: contains a NUL byte; not a JSON text", path, err->line,
                     err->column);
        }
        free(buf);
        return -1;
    }
    int rc = bench_experiment_parse(buf, path, out, err);
    free(buf);
    return rc;
}

/* ---- policies, loaded ---------------------------------------------------------------- */

static const char *error_body(const tpool_error *te)
{
    const char *m = te->text;
    size_t sl = strlen(te->source);
    if (sl && strncmp(m, te->source, sl) == 0 && m[sl] == ':') {
        m += sl + 1;
        while ((*m >= '0' && *m <= '9') || *m == ':')
            m++;
        if (*m == ' ')
            m++;
    }
    size_t kl = strlen(te->key);
    if (kl && strncmp(m, te->key, kl) == 0 && m[kl] == ':' && m[kl + 1] == ' ')
        m += kl + 2;
    return m;
}

/* Loads policy selection i the way a pool will (by name on the search path,
 * with its params) and reports what fails at its place in the file. */
static int check_policy(pctx *c, const bench_experiment *e, size_t i)
{
    const bench_policy_sel *s = &e->policies[i];
    char p[BENCH_POLICY_MAX], pp[BENCH_POLICY_MAX + 16];
    if (c->text)
        index_path(p, sizeof p, "policies", i);
    else
        snprintf(p, sizeof p, "%s", s->policy);
    json_t *o = json_object();
    json_t *params = s->params_json ? json_loads(s->params_json, 0, NULL) : NULL;
    if (!o || json_object_set_new(o, "policy", json_string(s->policy)) ||
        (params && json_object_set_new(o, "params", params))) {
        json_decref(o);
        return fail(c, NULL, 0, "out of memory");
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return fail(c, NULL, 0, "out of memory");
    tpool_error te;
    tpool_error_clear(&te);
    tpool_config *cfg = NULL;
    char *resolved = NULL;
    int rc = tpool_config_load_text(text, "<tpool-bench>", &cfg, &te);
    if (rc == 0)
        rc = tpool_config_resolve(cfg, &resolved, &te);
    tpool_config_free(cfg);
    free(resolved);
    free(text);
    if (rc == 0)
        return 0;
    if (strncmp(te.key, "params.", 7) == 0) {
        /* A parameter: its key when it is unknown, else its value. */
        const char *body = error_body(&te);
        key_path(pp, sizeof pp, p, "params");
        char kp[1024];
        key_path(kp, sizeof kp, pp, te.key + 7);
        return fail(c, kp, strncmp(body, "unknown parameter", 17) == 0, "%s", body);
    }
    return fail(c, p, 0, "%s", error_body(&te));
}

int bench_policy_label(const char *policy, char label[BENCH_NAME_MAX], char *msg,
                       size_t msgsize)
{
    static const char word[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    size_t l = strlen(policy);
    if (strchr(policy, '/')) {
        /* A path: loaded as tpool_config's "policy" loads one. */
        if (l >= BENCH_POLICY_MAX) {
            snprintf(msg, msgsize, "policy path is longer than %d bytes", BENCH_POLICY_MAX - 1);
            return -1;
        }
        const char *base = strrchr(policy, '/') + 1;
        size_t n = strlen(base);
        if (n > 3 && strncmp(base, "lib", 3) == 0)
            base += 3, n -= 3;
        if (n > 3 && strcmp(base + n - 3, ".so") == 0)
            n -= 3;
        if (n == 0 || n >= BENCH_NAME_MAX || strspn(base, word) < n) {
            snprintf(msg, msgsize,
                     "cannot make a label from the file name of \"%s\"; give the entry "
                     "{\"policy\": ..., \"label\": ...}", policy);
            return -1;
        }
        snprintf(label, BENCH_NAME_MAX, "%.*s", (int)n, base);
        return 0;
    }
    /* "builtin:NAME" is NAME linked into libtpool (docs/config.md). */
    size_t pre = strncmp(policy, "builtin:", 8) == 0 ? 8 : 0;
    if (l == pre || l >= BENCH_NAME_MAX || strspn(policy + pre, word) != l - pre) {
        snprintf(msg, msgsize,
                 "\"%s\" is no policy name (letters, digits, '_', '-') or path "
                 "(containing '/')", policy);
        return -1;
    }
    /* Labels keep to [A-Za-z0-9_.-] (they name files and columns): the
     * default label of "builtin:NAME" is "builtin-NAME". */
    snprintf(label, BENCH_NAME_MAX, "%s%s", pre ? "builtin-" : "", policy + pre);
    return 0;
}

int bench_experiment_check_policies(const bench_experiment *e, bench_perror *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    /* Without the text the names came from --policies. */
    pctx c = { e->text, e->text && e->source ? e->source : "--policies", err };
    for (size_t i = 0; !e->all_policies && i < e->npolicies; i++)
        if (check_policy(&c, e, i))
            return -1;
    return 0;
}

void bench_experiment_free(bench_experiment *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->npolicies; i++)
        free(e->policies[i].params_json);
    free(e->policies);
    free(e->threads);
    free(e->workloads);
    for (size_t i = 0; i < e->nstrings; i++)
        free(e->strings[i]);
    free(e->strings);
    e->strings = NULL;
    e->nstrings = 0;
    for (size_t i = 0; i < e->nmodules; i++)
        bench_wl_module_unload(e->modules[i]);
    free(e->modules);
    e->modules = NULL;
    e->nmodules = 0;
    free(e->source);
    free(e->text);
    e->text = NULL;
    e->policies = NULL;
    e->threads = NULL;
    e->workloads = NULL;
    e->source = NULL;
    e->npolicies = e->nthreads = e->nworkloads = 0;
}

size_t bench_default_threads(unsigned max, unsigned *out, size_t cap)
{
    size_t n = 0;
    if (max < 1)
        max = 1;
    for (unsigned t = 1; t < max && n < cap; t *= 2)
        out[n++] = t;
    if (n < cap)
        out[n++] = max;
    return n;
}

static json_t *param_obj(const bench_wl_inst *w)
{
    json_t *o = json_object();
    for (unsigned i = 0; o && i < w->wl->nparams; i++)
        json_object_set_new(o, w->wl->params[i].name, bench_wl_param_json(w, i));
    return o;
}

char *bench_experiment_to_json(const bench_experiment *e)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "name", json_string(e->name));
    json_object_set_new(o, "seed", json_integer((json_int_t)e->seed));
    if (e->all_policies) {
        json_object_set_new(o, "policies", json_string("all"));
    } else {
        json_t *a = json_array();
        for (size_t i = 0; i < e->npolicies; i++) {
            json_t *p = json_object();
            json_object_set_new(p, "policy", json_string(e->policies[i].policy));
            json_object_set_new(p, "label", json_string(e->policies[i].label));
            if (e->policies[i].params_json)
                json_object_set_new(p, "params", json_loads(e->policies[i].params_json, 0, NULL));
            json_array_append_new(a, p);
        }
        json_object_set_new(o, "policies", a);
    }
    json_t *b = json_array();
    for (int i = 0; i < BENCH_NBASE; i++)
        if (e->baselines & (1u << i))
            json_array_append_new(b, json_string(bench_base_names[i]));
    json_object_set_new(o, "baselines", b);
    if (e->threads) {
        json_t *t = json_array();
        for (size_t i = 0; i < e->nthreads; i++)
            json_array_append_new(t, json_integer(e->threads[i]));
        json_object_set_new(o, "threads", t);
    } else {
        json_object_set_new(o, "threads", json_string("default"));
    }
    json_object_set_new(o, "min_rounds", json_integer(e->min_rounds));
    json_object_set_new(o, "max_rounds", json_integer(e->max_rounds));
    json_object_set_new(o, "ci_target", json_real(e->ci_target));
    json_object_set_new(o, "budget_s", json_real(e->budget_s));
    json_object_set_new(o, "runs", json_integer(e->runs));
    json_object_set_new(o, "warmup", json_integer(e->warmup));
    json_object_set_new(o, "cooldown_us", json_integer(e->cooldown_us));
    json_object_set_new(o, "spin_us", json_integer(e->spin_us));
    json_object_set_new(o, "idle_probe_ms", json_integer(e->idle_probe_ms));
    if (e->policy_switch)
        json_object_set_new(o, "policy_switch", json_true());
    if (e->company) {
        json_t *a = json_array();
        for (int m = 1; m < BENCH_NCOMPANY; m++)
            if (e->company & BENCH_CO_BIT(m))
                json_array_append_new(a, json_string(bench_company_names[m]));
        json_object_set_new(o, "company", a);
    }
    json_t *w = json_array();
    for (size_t i = 0; i < e->nworkloads; i++) {
        json_t *x = json_object();
        /* a workload .so by its absolute path, so that the experiment loads it again */
        const bench_wl_inst *wi = &e->workloads[i];
        json_object_set_new(x, "workload", json_string(wi->mod ? wi->mod->path : wi->wl->name));
        json_object_set_new(x, "label", json_string(e->workloads[i].label));
        json_object_set_new(x, "params", param_obj(&e->workloads[i]));
        json_array_append_new(w, x);
    }
    json_object_set_new(o, "workloads", w);
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(o);
    return s;
}

char *bench_experiment_resolved_json(const bench_experiment *e, const unsigned *threads,
                                     size_t nthreads, const bench_executor *exes, size_t nexes,
                                     unsigned baselines)
{
    bench_experiment x = *e; /* shallow: nothing of it is freed here */
    bench_policy_sel *sel = calloc(nexes ? nexes : 1, sizeof *sel);
    if (!sel)
        return NULL;
    x.all_policies = 0;
    x.npolicies = 0;
    for (size_t i = 0; i < nexes; i++) {
        const bench_executor *ex = &exes[i];
        /* company variants come back from "company" */
        if (ex->kind != BENCH_EX_TPOOL || ex->company)
            continue;
        bench_policy_sel *p = &sel[x.npolicies++];
        snprintf(p->label, sizeof p->label, "%s", ex->label);
        snprintf(p->policy, sizeof p->policy, "%s",
                 strchr(ex->policy, '/') ? ex->path : ex->policy);
        p->params_json = ex->params_json;
    }
    x.policies = sel;
    x.threads = (unsigned *)threads;
    x.nthreads = nthreads;
    x.baselines = baselines;
    char *s = bench_experiment_to_json(&x);
    free(sel);
    return s;
}
