/* mod_badcreate.c - loads fine, but refuses every pool, as a policy does
 * when its parameters do not fit the thread count. The pool must pass the
 * policy's own message on. */
#include "mod_common.h"

static int badcreate_create(const tpool_policy_env *env, void **out)
{
    (void)out;
    snprintf(env->errbuf, env->errbuf_size, "chunk too large for 3 workers");
    return -1;
}

static const tpool_policy badcreate_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_badcreate",
    .description = "test module: create always fails",
    .create = badcreate_create,
    .destroy = mod_destroy,
    .push = mod_push,
    .pop = mod_pop,
};

TPOOL_POLICY_DEFINE(badcreate_policy)
