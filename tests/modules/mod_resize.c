/* mod_resize.c - a FIFO policy with a resize op, for check_resize: counts
 * its resizes (statistic "resizes") and refuses them when the parameter
 * "refuse" is true. */
#include "mod_common.h"

typedef struct {
    mod_state base; /* first: the mod_common ops take the state as mod_state */
    uint64_t resizes;
    int64_t refuse;
} resize_state;

static const tpool_param_desc resize_params[] = {
    { .name = "refuse", .type = TPOOL_PARAM_BOOL,
      .description = "resize fails (test parameter)", .imin = 0, .imax = 1, .idefault = 0 },
};

static int resize_create(const tpool_policy_env *env, void **out)
{
    resize_state *s = calloc(1, sizeof *s);
    if (s)
        s->base.pushes = calloc(env->workers + 1, sizeof *s->base.pushes);
    if (!s || !s->base.pushes) {
        free(s);
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    pthread_mutex_init(&s->base.lock, NULL);
    s->base.slots = env->workers + 1;
    s->refuse = env->params[0].i;
    *out = s;
    return 0;
}

/* Called with no task queued: the per-slot counters get the new size. */
static int resize_resize(void *state, const tpool_policy_env *env)
{
    resize_state *s = state;
    if (s->refuse || s->base.head)
        return -1;
    uint64_t *pushes = calloc(env->workers + 1, sizeof *pushes);
    if (!pushes)
        return -1;
    free(s->base.pushes);
    s->base.pushes = pushes;
    s->base.slots = env->workers + 1;
    s->resizes++;
    return 0;
}

static void resize_stats_read(void *state, unsigned slot, uint64_t *out)
{
    resize_state *s = state;
    pthread_mutex_lock(&s->base.lock);
    out[0] = s->resizes;
    pthread_mutex_unlock(&s->base.lock);
}

static const char *const resize_stat_names[] = { "resizes", NULL };

static const tpool_policy resize_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_resize",
    .params = resize_params,
    .nparams = 1,
    .create = resize_create, .destroy = mod_destroy, .push = mod_push, .pop = mod_pop,
    .resize = resize_resize,
    .stat_names = resize_stat_names,
    .stats_read = resize_stats_read,
};

TPOOL_POLICY_DEFINE(resize_policy)
