/*
 * create.c - the public constructors of a pool: from a configuration, the
 * environment, a file or a text. Each makes the pool (pool.c) and then
 * attaches the recorder (record.c), which decides whether the pool is
 * recorded. The recorder sits above the runtime (it runs the recorded calls
 * through it), so the runtime's own creation does not call it: this file,
 * above both, does.
 */
#define _GNU_SOURCE
#include "pool.h"

#include "error.h"
#include "record.h"

int tpool_create(const tpool_config *cfg, tpool **out, tpool_error *err)
{
    if (!out)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL, "tpool_create: out is NULL");
    *out = NULL;
    tpool_config *defaults = NULL;
    if (!cfg) {
        int rc = tpool_config_new(&defaults);
        if (rc)
            return tpool__error(err, rc, NULL, 0, 0, NULL, "cannot allocate a configuration");
        cfg = defaults;
    }
    int rc = tpool__pool_create(cfg, out, err);
    if (rc == 0)
        tpool__rec_pool_begin(*out, cfg);
    tpool_config_free(defaults);
    return rc;
}

static int create_from(tpool_config *cfg, int rc, tpool **out, tpool_error *err)
{
    if (rc == 0)
        rc = tpool_create(cfg, out, err);
    tpool_config_free(cfg);
    return rc;
}

int tpool_create_default(tpool **out, tpool_error *err)
{
    tpool_config *cfg = NULL;
    int rc = tpool_config_load_env(&cfg, err);
    return create_from(cfg, rc, out, err);
}

int tpool_create_from_file(const char *path, tpool **out, tpool_error *err)
{
    tpool_config *cfg = NULL;
    int rc = tpool_config_load_file(path, &cfg, err);
    if (rc == 0)
        rc = tpool_config_apply_env(cfg, err);
    return create_from(cfg, rc, out, err);
}

int tpool_create_from_text(const char *json, tpool **out, tpool_error *err)
{
    tpool_config *cfg = NULL;
    int rc = tpool_config_load_text(json, NULL, &cfg, err);
    if (rc == 0)
        rc = tpool_config_apply_env(cfg, err);
    return create_from(cfg, rc, out, err);
}
