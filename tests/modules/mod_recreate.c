/* mod_recreate.c - a FIFO policy without a resize op, for check_resize:
 * tpool_set_threads re-creates its state; create refuses more workers than
 * the parameter "max_workers" (0: any). */
#include "mod_common.h"

static const tpool_param_desc recreate_params[] = {
    { .name = "max_workers", .type = TPOOL_PARAM_INT,
      .description = "most workers create accepts, 0 = any (test parameter)",
      .imin = 0, .imax = 4096, .idefault = 0 },
};

static int recreate_create(const tpool_policy_env *env, void **out)
{
    int64_t max = env->params[0].i;
    if (max && env->workers > max) {
        snprintf(env->errbuf, env->errbuf_size, "%u workers is more than max_workers %lld",
                 env->workers, (long long)max);
        return -1;
    }
    return mod_create(env, out);
}

static const tpool_policy recreate_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_recreate",
    .params = recreate_params,
    .nparams = 1,
    .create = recreate_create, .destroy = mod_destroy, .push = mod_push, .pop = mod_pop,
};

TPOOL_POLICY_DEFINE(recreate_policy)
