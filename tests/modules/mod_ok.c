/* mod_ok.c - a correct policy: FIFO, two parameters, one statistic. */
#include "mod_common.h"

static const char *const ok_modes[] = { "a", "b", NULL };

static const tpool_param_desc ok_params[] = {
    { .name = "depth", .type = TPOOL_PARAM_INT,
      .description = "how deep (test parameter)",
      .imin = 1, .imax = 100, .idefault = 4 },
    { .name = "mode", .type = TPOOL_PARAM_ENUM,
      .description = "which mode (test parameter)",
      .choices = ok_modes, .edefault = 0 },
};

static const char *const ok_stat_names[] = { "pushes", NULL };

static int ok_create(const tpool_policy_env *env, void **out)
{
    int rc = mod_create(env, out);
    if (rc == 0) {
        mod_state *s = *out;
        s->depth = env->params[0].i;
        s->mode = env->params[1].i;
    }
    return rc;
}

static const tpool_policy ok_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_ok",
    .description = "test module: one mutex-protected FIFO list",
    .params = ok_params,
    .nparams = sizeof ok_params / sizeof ok_params[0],
    .create = ok_create,
    .destroy = mod_destroy,
    .push = mod_push,
    .pop = mod_pop,
    .stat_names = ok_stat_names,
    .stats_read = mod_stats_read,
    .stats_reset = mod_stats_reset,
};

TPOOL_POLICY_DEFINE(ok_policy)
