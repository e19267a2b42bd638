/*
 * mod_common.h - a tiny but real policy shared by the loader's test modules:
 * one mutex-protected intrusive FIFO list, with a per-slot push counter.
 *
 * Each mod_*.c builds one descriptor from these ops, broken in one way (or,
 * for mod_ok, not at all), so that a test failing on a module points at its
 * descriptor and not at its scheduling. Functions are static inline so that
 * a module using only some of them compiles without warnings.
 */
#ifndef MOD_COMMON_H
#define MOD_COMMON_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpool-policy.h"

typedef struct mod_state {
    pthread_mutex_t lock; /* guards everything below */
    tpool_task *head, *tail;
    unsigned slots;       /* W + 1: the workers and the outside slot */
    uint64_t *pushes;     /* per slot */
    int64_t depth;        /* mod_ok's parameters, kept to show they arrive */
    int64_t mode;
    uint64_t ops;         /* the mod_broken_* modules count their pushes or pops */
} mod_state;

static inline int mod_create(const tpool_policy_env *env, void **out)
{
    /* Every host says which ABI it speaks (env->abi_version, ABI 1.3), and
     * a loader never hands a module an older minor than its own. */
    unsigned major = env->abi_version >> 16, minor = env->abi_version & 0xFFFFu;
    if (major != TPOOL_POLICY_ABI_MAJOR || minor < TPOOL_POLICY_ABI_MINOR) {
        snprintf(env->errbuf, env->errbuf_size,
                 "the host speaks policy ABI %u.%u, not %d.%d or a newer minor", major, minor,
                 TPOOL_POLICY_ABI_MAJOR, TPOOL_POLICY_ABI_MINOR);
        return -1;
    }
    mod_state *s = calloc(1, sizeof *s);
    if (s)
        s->pushes = calloc(env->workers + 1, sizeof *s->pushes);
    if (!s || !s->pushes) {
        free(s);
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->slots = env->workers + 1;
    *out = s;
    return 0;
}

static inline void mod_destroy(void *state)
{
    mod_state *s = state;
    pthread_mutex_destroy(&s->lock);
    free(s->pushes);
    free(s);
}

static inline int mod_push(void *state, tpool_task *t, unsigned from)
{
    mod_state *s = state;
    t->next = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->tail)
        s->tail->next = t;
    else
        s->head = t;
    s->tail = t;
    if (from < s->slots)
        s->pushes[from]++;
    pthread_mutex_unlock(&s->lock);
    /* One shared queue: any worker can take it. */
    return TPOOL_WAKE_ANY;
}

static inline tpool_task *mod_pop(void *state, unsigned slot)
{
    (void)slot;
    mod_state *s = state;
    pthread_mutex_lock(&s->lock);
    tpool_task *t = s->head;
    if (t) {
        s->head = t->next;
        if (!s->head)
            s->tail = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    return t;
}

static inline void mod_stats_read(void *state, unsigned slot, uint64_t *out)
{
    mod_state *s = state;
    pthread_mutex_lock(&s->lock);
    out[0] = slot < s->slots ? s->pushes[slot] : 0;
    pthread_mutex_unlock(&s->lock);
}

static inline void mod_stats_reset(void *state)
{
    mod_state *s = state;
    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i < s->slots; i++)
        s->pushes[i] = 0;
    pthread_mutex_unlock(&s->lock);
}

/* The mandatory ops, for designated initializers. */
#define MOD_OPS .create = mod_create, .destroy = mod_destroy, .push = mod_push, \
                .pop = mod_pop

#endif
