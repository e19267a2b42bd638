/*
 * params.c - checks a "params" object against a parameter table (a policy's,
 * or a tpool-bench workload's: the same table type, tpool_param_desc) and
 * fills in the defaults.
 *
 * For a policy this runs at pool creation, long after the text was parsed,
 * because only the policy knows which parameters exist. The configuration
 * keeps its text and source so the messages can still say file, line and
 * column; tpool-bench passes the experiment file's text and the path of the
 * workload's params in it.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "elf_check.h"
#include "error.h"
#include "json_locate.h"
#include "params.h"

#define KEY_SIZE sizeof(((tpool_error *)0)->key)

struct ctx {
    const tpool__params_src *src;
    const tpool_param_desc *params;
    unsigned nparams;
    tpool_error *err;
};

static const char *source(const struct ctx *c)
{
    return c->src->source;
}

/* The key path of member `name` of params in the text (malloc'd), or NULL. */
static char *member_path(const struct ctx *c, const char *name)
{
    if (!c->src->text)
        return NULL;
    return tpool__json_path_key(c->src->path, name);
}

/* The key messages give member `name`: "params.NAME". */
static void member_key(const struct ctx *c, const char *name, char key[KEY_SIZE])
{
    snprintf(key, KEY_SIZE, "%s.%s", c->src->key ? c->src->key : "params", name);
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
        tpool__json_locate_key(c->src->text, path, line, column);
    else
        tpool__json_locate(c->src->text, path, line, column);
    tpool__free(path);
}

/* True when member `name` is written as -0, which jansson reads as 0. */
static int negative_zero(const struct ctx *c, const char *name)
{
    char *path = member_path(c, name);
    int nz = path && tpool__json_negative_zero(c->src->text, path);
    tpool__free(path);
    return nz;
}

static const char *owner(const struct ctx *c)
{
    return c->src->owner ? c->src->owner : "policy";
}

static const char *owner_name(const struct ctx *c)
{
    return c->src->name ? c->src->name : "(unnamed)";
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
    member_key(c, name, key);
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
    char key[KEY_SIZE], accepted[400];
    member_key(c, name, key);
    int line, column;
    where(c, name, 1, &line, &column);

    size_t n = 0, named = 0;
    accepted[0] = '\0';
    const char *names[64];
    size_t nnames = 0;
    for (unsigned i = 0; i < c->nparams; i++) {
        const char *pn = c->params[i].name;
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
                            "unknown parameter: %s '%s' accepts no parameters",
                            owner(c), owner_name(c));
    const char *near = tpool__json_suggest(name, names, nnames);
    if (near)
        return tpool__error(c->err, TPOOL_EINVAL, source(c), line, column, key,
                            "unknown parameter for %s '%s' (accepted: %s; "
                            "did you mean '%s'?)",
                            owner(c), owner_name(c), accepted, near);
    return tpool__error(c->err, TPOOL_EINVAL, source(c), line, column, key,
                        "unknown parameter for %s '%s' (accepted: %s)",
                        owner(c), owner_name(c), accepted);
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
    member_key(c, d->name, key);
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
        return bad_value(c, d->name, v, "one of no choices (%s '%s' lists none)", owner(c),
                         owner_name(c));
    return bad_value(c, d->name, v, "one of %s", list);
}

static int check_string(const struct ctx *c, const tpool_param_desc *d, const json_t *v,
                        tpool_param_value *out)
{
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        if ((int64_t)n >= d->imin && (d->imax == 0 || (int64_t)n <= d->imax) &&
            strlen(json_string_value(v)) == n) {
            out->s = json_string_value(v);
            return 0;
        }
    }
    if (json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v))
        return bad_value(c, d->name, v, "a string without NUL characters");
    if (d->imax > 0)
        return bad_value(c, d->name, v, "a string of %" PRId64 " to %" PRId64 " bytes",
                         d->imin, d->imax);
    if (d->imin > 0)
        return bad_value(c, d->name, v, "a string of at least %" PRId64 " bytes", d->imin);
    return bad_value(c, d->name, v, "a string");
}

/* The default of d. */
void tpool__param_default(const tpool_param_desc *d, tpool_param_value *out)
{
    switch (d->type) {
    case TPOOL_PARAM_DOUBLE: out->d = d->ddefault; break;
    case TPOOL_PARAM_ENUM: out->i = d->edefault; break;
    case TPOOL_PARAM_STRING: out->s = d->choices ? d->choices[d->edefault] : ""; break;
    default: out->i = d->idefault; break;
    }
}

static void fill_defaults(const tpool_param_desc *params, unsigned n, tpool_param_value *out)
{
    for (unsigned i = 0; i < n; i++)
        tpool__param_default(&params[i], &out[i]);
}

int tpool__params_check(const tpool__params_src *src, const tpool_param_desc *params,
                        unsigned nparams, tpool_param_value *out, tpool_error *err)
{
    /* A table pointer of NULL means no parameters, whatever nparams says. */
    if (!params)
        nparams = 0;
    if (nparams && !out)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool__params_check: no room for %u values", nparams);
    fill_defaults(params, nparams, out);
    if (!src->params)
        return 0;

    struct ctx c = { src, params, nparams, err };
    if (!json_is_object(src->params)) {
        char got[64];
        int line = 0, column = 0;
        if (src->text && src->path)
            tpool__json_locate(src->text, src->path, &line, &column);
        return tpool__error(err, TPOOL_EINVAL, src->source, line, column, src->key,
                            "expected an object, got %s",
                            tpool__json_render(src->params, got, sizeof got));
    }
    /* Members in text order: the first bad one in the file is reported. */
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)src->params, name, v) {
        unsigned i;
        for (i = 0; i < nparams; i++) {
            if (params[i].name && strcmp(params[i].name, name) == 0)
                break;
        }
        if (i == nparams)
            return unknown(&c, name);
        const tpool_param_desc *d = &params[i];
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
        case TPOOL_PARAM_STRING:
            rc = check_string(&c, d, v, &out[i]);
            break;
        default: {
            /* The owner's table is broken, not the configuration. */
            char key[KEY_SIZE];
            member_key(&c, name, key);
            rc = tpool__error(err, TPOOL_EPOLICY, src->source, 0, 0, key,
                              "%s '%s' declares this parameter with an "
                              "unknown type (%d)",
                              owner(&c), owner_name(&c), (int)d->type);
            break;
        }
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the table as JSON ---------------------------------------------------------- */

/* json_real refuses infinities and NaN (JSON has none); an unbounded range
 * is written as null. */
static json_t *real_or_null(double d)
{
    return isfinite(d) ? json_real(d) : json_null();
}

/* The parameter table as a JSON array; NULL when out of memory. */
json_t *tpool__params_table_json(const tpool_param_desc *params, unsigned n)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (unsigned i = 0; i < n; i++) {
        const tpool_param_desc *p = &params[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o) != 0)
            goto fail;
        int bad = json_object_set_new(o, "name", json_string(p->name));
        bad |= json_object_set_new(o, "description",
                                   p->description ? json_string(p->description)
                                                  : json_null());
        switch (p->type) {
        case TPOOL_PARAM_INT:
            bad |= json_object_set_new(o, "type", json_string("int"));
            bad |= json_object_set_new(o, "default", json_integer(p->idefault));
            bad |= json_object_set_new(o, "min", json_integer(p->imin));
            bad |= json_object_set_new(o, "max", json_integer(p->imax));
            break;
        case TPOOL_PARAM_BOOL:
            bad |= json_object_set_new(o, "type", json_string("bool"));
            bad |= json_object_set_new(o, "default", json_boolean(p->idefault));
            break;
        case TPOOL_PARAM_DOUBLE:
            bad |= json_object_set_new(o, "type", json_string("double"));
            bad |= json_object_set_new(o, "default", real_or_null(p->ddefault));
            bad |= json_object_set_new(o, "min", real_or_null(p->dmin));
            bad |= json_object_set_new(o, "max", real_or_null(p->dmax));
            break;
        case TPOOL_PARAM_ENUM: {
            bad |= json_object_set_new(o, "type", json_string("enum"));
            bad |= json_object_set_new(o, "default",
                                       json_string(p->choices[p->edefault]));
            json_t *ch = json_array();
            for (int k = 0; ch && p->choices[k]; k++)
                bad |= json_array_append_new(ch, json_string(p->choices[k]));
            bad |= json_object_set_new(o, "choices", ch);
            break;
        }
        case TPOOL_PARAM_STRING:
            bad |= json_object_set_new(o, "type", json_string("string"));
            bad |= json_object_set_new(o, "default",
                                       json_string(p->choices ? p->choices[p->edefault] : ""));
            bad |= json_object_set_new(o, "min_length", json_integer(p->imin));
            bad |= json_object_set_new(o, "max_length",
                                       p->imax ? json_integer(p->imax) : json_null());
            break;
        }
        if (bad)
            goto fail;
    }
    return arr;
fail:
    json_decref(arr);
    return NULL;
}

/* ---- the table itself -------------------------------------------------------- */

static const char *type_name(enum tpool_param_type t)
{
    switch (t) {
    case TPOOL_PARAM_INT: return "int";
    case TPOOL_PARAM_BOOL: return "bool";
    case TPOOL_PARAM_DOUBLE: return "double";
    case TPOOL_PARAM_ENUM: return "enum";
    case TPOOL_PARAM_STRING: return "string";
    }
    return NULL;
}

/* An error about the table of module `file`, key `owner`. */
#define table_fail(...) tpool__error_about(err, TPOOL_EPOLICY, file, owner, __VA_ARGS__)

int tpool__params_check_table(const char *owner, const char *file,
                              const tpool_param_desc *params, unsigned n, unsigned max,
                              const char *max_name, int strings, const void *anchor,
                              tpool_error *err)
{
    if (n == 0)
        return 0;
    if (!params)
        return table_fail("%s '%s': nparams is %u but params is NULL; fix the "
                          "%s's parameter table", owner, file, n, owner);
    if (n > max)
        return table_fail("%s '%s': nparams is %u, more than the %u parameters a "
                          "%s may declare (%s); set it to the "
                          "number of entries in the parameter table", owner, file, n, max,
                          owner, max_name);
    if (anchor && !tpool__elf_in_object(anchor, params, n * sizeof *params))
        return table_fail("%s '%s': nparams is %u, but no table of %u parameters lies "
                          "at params in the %s's .so (a count larger than the table, "
                          "or a table outside the .so); declare the table as static data "
                          "and set nparams to its number of entries", owner, file, n, n,
                          owner);
    for (unsigned i = 0; i < n; i++) {
        const tpool_param_desc *p = &params[i];
        if (!p->name || !p->name[0])
            return table_fail("%s '%s': parameter %u has no name; fix the "
                              "%s's parameter table", owner, file, i, owner);
        for (unsigned j = 0; j < i; j++)
            if (strcmp(params[j].name, p->name) == 0)
                return table_fail("%s '%s': parameter '%s' is declared twice "
                                  "(entries %u and %u); fix the %s's parameter "
                                  "table", owner, file, p->name, j, i, owner);
        if (!type_name(p->type) || (p->type == TPOOL_PARAM_STRING && !strings))
            return table_fail("%s '%s': parameter '%s' has unknown type %d; use "
                              "a TPOOL_PARAM_* type%s", owner, file, p->name, (int)p->type,
                              p->type == TPOOL_PARAM_STRING
                                  ? " (TPOOL_PARAM_STRING is for tpool-bench's workloads)"
                                  : "");
        switch (p->type) {
        case TPOOL_PARAM_INT:
            if (p->imin > p->imax)
                return table_fail("%s '%s': parameter '%s': min %lld is greater "
                                  "than max %lld; fix the %s's parameter table",
                                  owner, file, p->name, (long long)p->imin,
                                  (long long)p->imax, owner);
            if (!(p->imin <= p->idefault && p->idefault <= p->imax))
                return table_fail("%s '%s': parameter '%s': default %lld is not "
                                  "within [%lld, %lld]; fix the %s's parameter "
                                  "table", owner, file, p->name, (long long)p->idefault,
                                  (long long)p->imin, (long long)p->imax, owner);
            break;
        case TPOOL_PARAM_BOOL:
            if (p->idefault != 0 && p->idefault != 1)
                return table_fail("%s '%s': parameter '%s': bool default %lld is "
                                  "not 0 or 1; fix the %s's parameter table",
                                  owner, file, p->name, (long long)p->idefault, owner);
            break;
        case TPOOL_PARAM_DOUBLE:
            if (p->dmin > p->dmax)
                return table_fail("%s '%s': parameter '%s': min %g is greater "
                                  "than max %g; fix the %s's parameter table",
                                  owner, file, p->name, p->dmin, p->dmax, owner);
            /* Written so that a NaN anywhere fails too. */
            if (!(p->dmin <= p->ddefault && p->ddefault <= p->dmax))
                return table_fail("%s '%s': parameter '%s': default %g is not "
                                  "within [%g, %g]; fix the %s's parameter table",
                                  owner, file, p->name, p->ddefault, p->dmin, p->dmax,
                                  owner);
            break;
        case TPOOL_PARAM_ENUM: {
            if (!p->choices || !p->choices[0])
                return table_fail("%s '%s': enum parameter '%s' has no choices; "
                                  "give a NULL-terminated list of at least one",
                                  owner, file, p->name);
            int k = 0;
            while (p->choices[k])
                k++;
            if (p->edefault < 0 || p->edefault >= k)
                return table_fail("%s '%s': enum parameter '%s': default index "
                                  "%d is not within its %d choices; fix the "
                                  "%s's parameter table", owner, file, p->name,
                                  p->edefault, k, owner);
            break;
        }
        case TPOOL_PARAM_STRING: {
            int k = 0;
            while (p->choices && p->choices[k])
                k++;
            size_t len = p->choices && p->edefault >= 0 && p->edefault < k
                             ? strlen(p->choices[p->edefault])
                             : 0;
            if (p->imin < 0 || p->imax < 0 || (p->imax && p->imin > p->imax) ||
                (p->choices && (p->edefault < 0 || p->edefault >= k)) ||
                (int64_t)len < p->imin || (p->imax && (int64_t)len > p->imax))
                return table_fail("%s '%s': string parameter '%s': lengths [%lld, %lld] "
                                  "or its default (choices[edefault], \"\" without choices) "
                                  "do not fit; fix the %s's parameter table", owner, file,
                                  p->name, (long long)p->imin, (long long)p->imax, owner);
            break;
        }
        }
    }
    return 0;
}
