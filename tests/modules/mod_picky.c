/* mod_picky.c - parameters each valid on its own that create refuses in
 * combination (lo above hi), or for more threads than max_threads: checking
 * a configuration against the table alone would pass what every pool then
 * refuses. */
#include "mod_common.h"

static const tpool_param_desc picky_params[] = {
    { .name = "lo", .type = TPOOL_PARAM_INT, .imin = 0, .imax = 100, .idefault = 1 },
    { .name = "hi", .type = TPOOL_PARAM_INT, .imin = 0, .imax = 100, .idefault = 10 },
    { .name = "max_threads", .type = TPOOL_PARAM_INT, .imin = 1, .imax = 4096,
      .idefault = 4096 },
};

static int picky_create(const tpool_policy_env *env, void **out)
{
    int64_t lo = env->params[0].i, hi = env->params[1].i, max = env->params[2].i;
    if (lo > hi) {
        snprintf(env->errbuf, env->errbuf_size, "lo (%lld) must not exceed hi (%lld)",
                 (long long)lo, (long long)hi);
        return -1;
    }
    if (env->threads > max) {
        snprintf(env->errbuf, env->errbuf_size, "%u threads, more than max_threads (%lld)",
                 env->threads, (long long)max);
        return -1;
    }
    return mod_create(env, out);
}

static const tpool_policy picky_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_picky",
    .description = "test module: create refuses some combinations of valid params",
    .params = picky_params,
    .nparams = sizeof picky_params / sizeof picky_params[0],
    .create = picky_create,
    .destroy = mod_destroy,
    .push = mod_push,
    .pop = mod_pop,
};

TPOOL_POLICY_DEFINE(picky_policy)
