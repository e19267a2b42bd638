/*
 * resolve.c - tpool_config_resolve: the settings a pool created from a
 * configuration would really use, as JSON (`tpool-info --check-config`).
 *
 * It goes through the same steps as pool creation (load the policy, validate
 * the params against its table, create and destroy a policy state for the
 * thread count) so that a configuration that resolves here is one that
 * tpool_create accepts, short of thread creation. The policy is loaded and
 * its state created first in a child process (tpool__policy_load_isolated),
 * so that a module that crashes is reported rather than ending the checker.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "config.h"
#include "error.h"
#include "loader.h"

/* One resolved parameter as JSON: enums by name, bools as true/false. */
static json_t *param_value(const tpool_param_desc *p, tpool_param_value v)
{
    switch (p->type) {
    case TPOOL_PARAM_INT: return json_integer(v.i);
    case TPOOL_PARAM_BOOL: return json_boolean(v.i);
    case TPOOL_PARAM_DOUBLE: return isfinite(v.d) ? json_real(v.d) : json_null();
    case TPOOL_PARAM_ENUM: return json_string(p->choices[v.i]);
    case TPOOL_PARAM_STRING: return json_string(v.s ? v.s : "");
    }
    return json_null();
}

static json_t *build(const tpool_config *cfg, const tpool__policy_handle *h,
                     const tpool_param_value *values, char **dirs, size_t ndirs)
{
    unsigned threads = cfg->threads ? cfg->threads : tpool_default_threads();
    json_t *o = json_object();
    json_t *params = json_object();
    json_t *path = json_array();
    if (!o || !params || !path) {
        json_decref(o);
        json_decref(params);
        json_decref(path);
        return NULL;
    }
    int bad = 0;
    for (unsigned i = 0; i < h->ops.nparams; i++)
        bad |= json_object_set_new(params, h->ops.params[i].name,
                                   param_value(&h->ops.params[i], values[i]));
    for (size_t i = 0; i < ndirs; i++)
        bad |= json_array_append_new(path, json_string(dirs[i]));

    bad |= json_object_set_new(o, "threads", json_integer(threads));
    bad |= json_object_set_new(o, "threads_configured", json_integer(cfg->threads));
    bad |= json_object_set_new(o, "workers", json_integer(threads > 1 ? threads - 1 : 1));
    bad |= json_object_set_new(o, "policy", json_string(h->ops.name));
    bad |= json_object_set_new(o, "policy_file", json_string(h->path));
    bad |= json_object_set_new(o, "params", params);
    bad |= json_object_set_new(o, "policy_path", path);
    if (cfg->threads_max) {
        /* An elastic pool: "threads" above is where it starts. */
        json_t *el = json_pack("{s:I, s:I, s:I}", "min", (json_int_t)cfg->threads, "max",
                               (json_int_t)cfg->threads_max, "idle_ms",
                               (json_int_t)cfg->idle_ms);
        bad |= json_object_set_new(o, "elastic", el);
    }
    bad |= json_object_set_new(o, "spin_us", json_integer(cfg->spin_us));
    bad |= json_object_set_new(o, "stack_kb", json_integer(cfg->stack_kb));
    bad |= json_object_set_new(o, "min_work_size",
                               json_integer((json_int_t)cfg->min_work_size));
    if (cfg->record_path) /* TPOOL_RECORD, read at pool creation, may replace it */
        bad |= json_object_set_new(
            o, "record",
            json_pack("{s:s, s:I, s:I, s:I, s:b}", "path", cfg->record_path, "max_mb",
                      (json_int_t)cfg->record_max_mb, "full_calls",
                      (json_int_t)cfg->record_full_calls, "every",
                      (json_int_t)cfg->record_every, "cpu", cfg->record_cpu));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The thread counts a pool of cfg creates a policy state for: where it
 * starts and, for an elastic pool, the most it grows to. */
static unsigned state_threads(const tpool_config *cfg, unsigned out[2])
{
    out[0] = cfg->threads ? cfg->threads : tpool_default_threads();
    if (cfg->threads_max > out[0]) {
        out[1] = cfg->threads_max;
        return 2;
    }
    return 1;
}

/* The probe: params valid, and create accepts them at every thread count
 * the pool would use (a combination create refuses fails every pool). */
static int try_create(const tpool__policy_handle *h, const void *arg, tpool_error *err)
{
    const tpool_config *cfg = arg;
    tpool_param_value *values = tpool__calloc(h->ops.nparams + 1, sizeof *values);
    if (!values)
        return tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL, "out of memory");
    int rc = tpool__params_resolve(cfg, &h->ops, values, err);
    unsigned threads[2];
    unsigned n = state_threads(cfg, threads);
    for (unsigned i = 0; rc == 0 && i < n; i++) {
        void *state;
        rc = tpool__policy_create_state(&h->ops, threads[i], values, cfg->source, &state, err);
        if (rc == 0)
            h->ops.destroy(state);
    }
    tpool__free(values);
    return rc;
}

int tpool_config_resolve(const tpool_config *cfg, char **json_out, tpool_error *err)
{
    if (!cfg || !json_out)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool_config_resolve: NULL configuration or output");
    *json_out = NULL;

    tpool__policy_handle h;
    int rc = tpool__policy_load_isolated(cfg, &h, try_create, cfg,
                                         "creating and destroying a state of it with "
                                         "the configured params", err);
    if (rc)
        return rc;

    char **dirs = NULL;
    size_t ndirs = 0;
    tpool_param_value *values = tpool__calloc(h.ops.nparams ? h.ops.nparams : 1, sizeof *values);
    if (!values) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    rc = tpool__params_resolve(cfg, &h.ops, values, err);
    if (rc)
        goto out;
    rc = tpool__search_path(cfg, &dirs, &ndirs, err);
    if (rc)
        goto out;

    json_t *o = build(cfg, &h, values, dirs, ndirs);
    char *s = o ? tpool__json_dumps(o, JSON_INDENT(2)) : NULL;
    json_decref(o);
    if (!s) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL,
                          "out of memory writing the resolved configuration");
        goto out;
    }
    *json_out = s;
out:
    tpool__search_path_free(dirs, ndirs);
    tpool__free(values);
    tpool__policy_unload(&h);
    return rc;
}
