/* mod_stamp.c - counts the pushed tasks that carry a submission time
 * (statistic "stamped"). Built twice: mod_nostamp sets
 * TPOOL_POLICY_NO_SUBMIT_TIME, so the core must leave submit_ns 0;
 * mod_stamp10 (-DMOD_ABI_1_0) is sized as an ABI 1.0 descriptor, which ends
 * before `flags`, so the flag it sets there must be ignored and every task
 * stamped. */
#include <stddef.h>

#include "mod_common.h"

static const char *const stamp_stat_names[] = { "stamped", NULL };

static int stamp_push(void *state, tpool_task *t, unsigned from)
{
    mod_state *s = state;
    if (t->submit_ns != 0) {
        pthread_mutex_lock(&s->lock);
        s->ops++;
        pthread_mutex_unlock(&s->lock);
    }
    return mod_push(state, t, from);
}

static void stamp_stats_read(void *state, unsigned slot, uint64_t *out)
{
    mod_state *s = state;
    pthread_mutex_lock(&s->lock);
    out[0] = slot == 0 ? s->ops : 0;
    pthread_mutex_unlock(&s->lock);
}

static const tpool_policy stamp_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
#ifdef MOD_ABI_1_0
    .struct_size = offsetof(tpool_policy, flags),
    .name = "mod_stamp10",
#else
    .struct_size = sizeof(tpool_policy),
    .name = "mod_nostamp",
#endif
    .create = mod_create,
    .destroy = mod_destroy,
    .push = stamp_push,
    .pop = mod_pop,
    .stat_names = stamp_stat_names,
    .stats_read = stamp_stats_read,
    .flags = TPOOL_POLICY_NO_SUBMIT_TIME,
};

TPOOL_POLICY_DEFINE(stamp_policy)
