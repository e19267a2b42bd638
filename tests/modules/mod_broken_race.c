/* mod_broken_race.c - a FIFO whose pop reads the shared head before it takes
 * the lock, then unlinks whatever it read: two threads that read the same
 * head both return it. From one thread it is a correct FIFO (push-pop
 * passes); tpool-conformance's push-pop-threads must report a race, not ask
 * whether pop unlinks at all. The head is read and written atomically so the
 * fault is a logic race, not a data race a sanitizer would stop on first. */
#include <sched.h>

#include "mod_common.h"

static int race_push(void *state, tpool_task *t, unsigned from)
{
    (void)from;
    mod_state *s = state;
    t->next = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->tail)
        s->tail->next = t;
    else
        __atomic_store_n(&s->head, t, __ATOMIC_RELEASE);
    s->tail = t;
    pthread_mutex_unlock(&s->lock);
    return TPOOL_WAKE_ANY;
}

static tpool_task *race_pop(void *state, unsigned slot)
{
    (void)slot;
    mod_state *s = state;
    /* The bug: the head is read outside the lock... */
    tpool_task *t = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
    if (!t)
        return NULL;
    sched_yield(); /* (a wider window, so that the checker meets it soon) */
    pthread_mutex_lock(&s->lock);
    /* ... and unlinked under it without looking whether it is still the
     * head: a task another pop took meanwhile is returned again. */
    __atomic_store_n(&s->head, t->next, __ATOMIC_RELEASE);
    if (!t->next)
        s->tail = NULL;
    pthread_mutex_unlock(&s->lock);
    return t;
}

static const tpool_policy race_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_broken_race",
    .description = "test module: pop reads the shared head without its lock",
    .create = mod_create,
    .destroy = mod_destroy,
    .push = race_push,
    .pop = race_pop,
};

TPOOL_POLICY_DEFINE(race_policy)
