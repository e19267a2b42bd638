/* mod_broken_lose.c - a FIFO whose every 1000th push drops its task, so it
 * is never returned by pop: tpool-conformance's push-pop check must say
 * "lost N of M tasks". */
#include "mod_common.h"

static int lose_push(void *state, tpool_task *t, unsigned from)
{
    mod_state *s = state;
    pthread_mutex_lock(&s->lock);
    /* The bug: the 1000th, 2000th... task is never linked in. */
    if (++s->ops % 1000 != 0) {
        t->next = NULL;
        if (s->tail)
            s->tail->next = t;
        else
            s->head = t;
        s->tail = t;
    }
    if (from < s->slots)
        s->pushes[from]++;
    pthread_mutex_unlock(&s->lock);
    return TPOOL_WAKE_ANY;
}

static const tpool_policy lose_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_broken_lose",
    .description = "test module: every 1000th push drops its task (lost)",
    .create = mod_create,
    .destroy = mod_destroy,
    .push = lose_push,
    .pop = mod_pop,
};

TPOOL_POLICY_DEFINE(lose_policy)
