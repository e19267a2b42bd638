/*
 * module.c - the public face of the loader for tools (tpool-module.h): a
 * policy opened outside any pool, with the same checks as pool creation.
 */
#include <stdlib.h>

#include "alloc.h"
#include "config.h"
#include "error.h"
#include "loader.h"
#include "tpool-module.h"

struct tpool_policy_module {
    tpool__policy_handle h;
};

int tpool_policy_open(const tpool_config *cfg, unsigned flags, tpool_policy_module **out,
                      tpool_error *err)
{
    if (!out || (flags & ~TPOOL_MODULE_ISOLATED))
        return tpool__error(err, TPOOL_EINVAL, "", 0, 0, "",
                            "tpool_policy_open: %s", out ? "unknown flags" : "out is NULL");
    *out = NULL;
    tpool_policy_module *m = tpool__calloc(1, sizeof *m);
    if (!m)
        return tpool__error(err, TPOOL_ENOMEM, "", 0, 0, "", "out of memory");
    int rc = (flags & TPOOL_MODULE_ISOLATED)
                 ? tpool__policy_load_isolated(cfg, &m->h, NULL, NULL, NULL, err)
                 : tpool__policy_load(cfg, &m->h, err);
    if (rc) {
        tpool__free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void tpool_policy_close(tpool_policy_module *m)
{
    if (!m)
        return;
    tpool__policy_unload(&m->h);
    tpool__free(m);
}

const tpool_policy *tpool_policy_module_ops(const tpool_policy_module *m)
{
    return m ? &m->h.ops : NULL;
}

const char *tpool_policy_module_file(const tpool_policy_module *m)
{
    return m ? m->h.path : NULL;
}

unsigned tpool_policy_module_nstats(const tpool_policy_module *m)
{
    return m ? m->h.nstats : 0;
}

int tpool_policy_module_params(const tpool_policy_module *m, const tpool_config *cfg,
                               tpool_param_value *out, tpool_error *err)
{
    if (!m || (!out && m->h.ops.nparams))
        return tpool__error(err, TPOOL_EINVAL, "", 0, 0, "",
                            "tpool_policy_module_params: %s is NULL", m ? "out" : "the module");
    return tpool__params_resolve(cfg, &m->h.ops, out, err);
}
