/* mod_broken_twice.c - a FIFO whose every 1000th pop returns the head
 * without unlinking it, so that task comes back twice: tpool-conformance's
 * push-pop check must say "returned by pop twice". */
#include "mod_common.h"

static tpool_task *twice_pop(void *state, unsigned slot)
{
    (void)slot;
    mod_state *s = state;
    pthread_mutex_lock(&s->lock);
    tpool_task *t = s->head;
    /* The bug: the 1000th, 2000th... pop forgets to advance the head. */
    if (t && ++s->ops % 1000 != 0) {
        s->head = t->next;
        if (!s->head)
            s->tail = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    return t;
}

static const tpool_policy twice_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_broken_twice",
    .description = "test module: every 1000th pop leaves its task queued (returned twice)",
    .create = mod_create,
    .destroy = mod_destroy,
    .push = mod_push,
    .pop = twice_pop,
};

TPOOL_POLICY_DEFINE(twice_policy)
