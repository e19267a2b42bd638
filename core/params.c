/*
 * params.c - checks a configuration's "params" object against the parameter
 * table of the policy that was loaded, and fills in the defaults.
 *
 * This runs at pool creation, long after the text was parsed, because only
 * the policy knows which parameters exist. The configuration keeps its text
 * and source so the messages can still say file, line and column.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_locate.h"
#include "fault_alloc.h" /* last: allocations go through the fault point */

#define KEY_SIZE sizeof(((tpool_error *)0)->key)

struct ctx {
    const tpool_config *cfg;
    const tpool_policy *pol;
    tpool_error *err;
};

static const char *source(const struct ctx *c)
{
    return c->cfg->source;
}

/* The key path of member `name` of params in the text (malloc'd), or NULL. */
static char *member_path(const struct ctx *c, const char *name)
{
    if (!c->cfg->text)
        return NULL;
    /* After tpool_config_set_params the text is the params object alone. */
    int alone = c->cfg->source && strcmp(c->cfg->source, TPOOL__PARAMS_SOURCE) == 0;
    return tpool__json_path_key(alone ? NULL : "params", name);
}

/* Where member `name` of params (its key or its value) is in the text. */
static void where(const struct ctx *c, const char *name, int want_key, int *line,
                  int *column)
{
    *line = *column = 0;
    char *path = member_path(c, name);
    if (!path)
        return;
    if (want_key)
        tpool__json_locate_key(c->cfg->text, path, line, column);
    else
        tpool__json_locate(c->cfg->text, path, line, column);
    free(path);
}

/* True when member `name` is written as -0, which jansson reads as 0. */
static int negative_zero(const struct ctx *c, const char *name)
{
    char *path = member_path(c, name);
    int nz = path && tpool__json_negative_zero(c->cfg->text, path);
    free(path);
    return nz;
}

static const char *policy_name(const struct ctx *c)
{
    return c->pol->name ? c->pol->name : "(unnamed)";
}

/* Prints a double as briefly as it reads back exactly: 0.5, 1000000, 1e-09. */
static void fmt_double(char *buf, size_t size, double d)
{
    snprintf(buf, size, "%.15g", d);
    if (strtod(buf, NULL) != d)
        snprintf(buf, size, "%.17g", d);
}

static int bad_value(const struct ctx *c, const char *name, const json_t *v,
                     const char *fmt_what, ...) TPOOL__PRINTF(4, 5);

/* "expected <what>, got <value>" at the position of the value. */
static int bad_value(const struct ctx *c, const char *name, const json_t *v,
                     const char *fmt_what, ...)
{
    char what[512], got[64], key[KEY_SIZE];
    va_list ap;
    va_start(ap, fmt_what);
    vsnprintf(what, sizeof what, fmt_what, ap);
    va_end(ap);
    snprintf(key, sizeof key, "params.%s", name);
    int line, column;
    where(c, name, 0, &line, &column);
    return tpool__error(c->err, TPOOL_EINVAL, source(c), line, column, key,
                        "expected %s, got %s", what,
                        tpool__json_render(v, got, sizeof got));
}

/* Appends s to buf[*n..size), keeping it NUL-terminated; "..." when full. */
static void append(char *buf, size_t size, size_t *n, const char *s)
{
    if (*n >= size - 1)
        return;
    int w = snprintf(buf + *n, size - *n, "%s", s);
    if (w < 0 || (size_t)w >= size - *n) {
        *n = size - 1;
        if (size >= 4)
            memcpy(buf + size - 4, "...", 4);
        return;
    }
    *n += (size_t)w;
}

static int unknown(const struct ctx *c, const char *name)
{
    const tpool_policy *pol = c->pol;
    char key[KEY_SIZE], accepted[400];
    snprintf(key, sizeof key, "params.%s", name);
    int line, column;
    where(c, name, 1, &line, &column);

    size_t n = 0, named = 0;
    accepted[0] = '\0';
    const char *names[64];
    size_t nnames = 0;
    for (unsigned i = 0; i < pol->nparams; i++) {
        const char *pn = pol->params[i].name;
        if (!pn)
            continue;
        if (named++)
            append(accepted, sizeof accepted, &n, ", ");
        append(accepted, sizeof accepted, &n, pn);
        if (nnames < sizeof names / sizeof names[0])
            names[nnames++] = pn;
    }
    if (named == 0)
        return tpool__error(c->err, TPOOL_EINVAL, source(c), line, column, key,
                            "unknown parameter: policy '%s' accepts no parameters",
                            policy_name(c));
    const char *near = tpool__json_suggest(name, names, nnames);
    if (near)
        return tpool__error(c->err, TPOOL_EINVAL, source(c), line, column, key,
                            "unknown parameter for policy '%s' (accepted: %s; "
                            "did you mean '%s'?)",
                            policy_name(c), accepted, near);
    return tpool__error(c->err, TPOOL_EINVAL, source(c), line, column, key,
                        "unknown parameter for policy '%s' (accepted: %s)",
                        policy_name(c), accepted);
}

static int check_int(const struct ctx *c, const tpool_param_desc *d,
                     const json_t *v, tpool_param_value *out)
{
    /* -0 reads as 0, but its sign says a negative number was meant. */
    int nz = json_is_integer(v) && json_integer_value(v) == 0 && negative_zero(c, d->name);
    if (json_is_integer(v) && !nz) {
        /* json_int_t is long long: as wide as int64_t wherever jansson
         * builds, so nothing is lost comparing. */
        int64_t i = (int64_t)json_integer_value(v);
        if (i >= d->imin && i <= d->imax) {
            out->i = i;
            return 0;
        }
    }
    char what[96];
    if (d->imin == INT64_MIN && d->imax == INT64_MAX)
        snprintf(what, sizeof what, "an integer");
    else if (d->imax == INT64_MAX)
        snprintf(what, sizeof what, "an integer >= %" PRId64, d->imin);
    else if (d->imin == INT64_MIN)
        snprintf(what, sizeof what, "an integer <= %" PRId64, d->imax);
    else
        snprintf(what, sizeof what, "an integer in [%" PRId64 ", %" PRId64 "]", d->imin,
                 d->imax);
    if (!nz)
        return bad_value(c, d->name, v, "%s", what);
    char key[KEY_SIZE];
    snprintf(key, sizeof key, "params.%s", d->name);
    int line, column;
    where(c, d->name, 0, &line, &column);
    return tpool__error(c->err, TPOOL_EINVAL, source(c), line, column, key,
                        "expected %s, got -0: a negative zero reads as 0; write 0 if that "
                        "is meant", what);
}

static int check_double(const struct ctx *c, const tpool_param_desc *d,
                        const json_t *v, tpool_param_value *out)
{
    if (json_is_number(v)) {
        double x = json_number_value(v);
        if (x >= d->dmin && x <= d->dmax) {
            out->d = x;
            return 0;
        }
    }
    char lo[32], hi[32];
    fmt_double(lo, sizeof lo, d->dmin);
    fmt_double(hi, sizeof hi, d->dmax);
    int no_lo = isinf(d->dmin) && d->dmin < 0, no_hi = isinf(d->dmax) && d->dmax > 0;
    if (no_lo && no_hi)
        return bad_value(c, d->name, v, "a number");
    if (no_hi)
        return bad_value(c, d->name, v, "a number >= %s", lo);
    if (no_lo)
        return bad_value(c, d->name, v, "a number <= %s", hi);
    return bad_value(c, d->name, v, "a number in [%s, %s]", lo, hi);
}

static int check_enum(const struct ctx *c, const tpool_param_desc *d,
                      const json_t *v, tpool_param_value *out)
{
    if (json_is_string(v) && d->choices) {
        const char *s = json_string_value(v);
        for (int64_t i = 0; d->choices[i]; i++) {
            if (strcmp(s, d->choices[i]) == 0) {
                out->i = i;
                return 0;
            }
        }
    }
    char list[400];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; d->choices && d->choices[i]; i++) {
        if (i)
            append(list, sizeof list, &n, ", ");
        append(list, sizeof list, &n, "\"");
        append(list, sizeof list, &n, d->choices[i]);
        append(list, sizeof list, &n, "\"");
    }
    if (n == 0)
        return bad_value(c, d->name, v, "one of no choices (policy '%s' lists none)",
                         policy_name(c));
    return bad_value(c, d->name, v, "one of %s", list);
}

static void fill_defaults(const tpool_policy *pol, tpool_param_value *out)
{
    for (unsigned i = 0; i < pol->nparams; i++) {
        const tpool_param_desc *d = &pol->params[i];
        if (d->type == TPOOL_PARAM_DOUBLE)
            out[i].d = d->ddefault;
        else if (d->type == TPOOL_PARAM_ENUM)
            out[i].i = d->edefault;
        else
            out[i].i = d->idefault;
    }
}

int tpool__params_resolve(const tpool_config *cfg, const tpool_policy *pol,
                          tpool_param_value *out, tpool_error *err)
{
    if (!pol)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool__params_resolve: no policy");
    /* A table pointer of NULL means no parameters, whatever nparams says. */
    tpool_policy view = *pol;
    if (!view.params)
        view.nparams = 0;
    if (view.nparams && !out)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool__params_resolve: no room for %u values",
                            view.nparams);
    fill_defaults(&view, out);
    if (!cfg || !cfg->params)
        return 0;

    struct ctx c = { cfg, &view, err };
    if (!json_is_object(cfg->params)) {
        char got[64];
        int line = 0, column = 0;
        if (cfg->text)
            tpool__json_locate(cfg->text, "params", &line, &column);
        return tpool__error(err, TPOOL_EINVAL, cfg->source, line, column, "params",
                            "expected an object, got %s",
                            tpool__json_render(cfg->params, got, sizeof got));
    }
    /* Members in text order: the first bad one in the file is reported. */
    const char *name;
    json_t *v;
    json_object_foreach(cfg->params, name, v) {
        unsigned i;
        for (i = 0; i < view.nparams; i++) {
            if (view.params[i].name && strcmp(view.params[i].name, name) == 0)
                break;
        }
        if (i == view.nparams)
            return unknown(&c, name);
        const tpool_param_desc *d = &view.params[i];
        int rc;
        switch (d->type) {
        case TPOOL_PARAM_INT:
            rc = check_int(&c, d, v, &out[i]);
            break;
        case TPOOL_PARAM_BOOL:
            if (json_is_boolean(v)) {
                out[i].i = json_is_true(v);
                rc = 0;
            } else {
                rc = bad_value(&c, d->name, v, "true or false");
            }
            break;
        case TPOOL_PARAM_DOUBLE:
            rc = check_double(&c, d, v, &out[i]);
            break;
        case TPOOL_PARAM_ENUM:
            rc = check_enum(&c, d, v, &out[i]);
            break;
        default: {
            /* The policy's table is broken, not the configuration. */
            char key[KEY_SIZE];
            snprintf(key, sizeof key, "params.%s", name);
            rc = tpool__error(err, TPOOL_EPOLICY, cfg->source, 0, 0, key,
                              "policy '%s' declares this parameter with an "
                              "unknown type (%d)",
                              policy_name(&c), (int)d->type);
            break;
        }
        }
        if (rc)
            return rc;
    }
    return 0;
}
