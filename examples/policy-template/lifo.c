/*
 * lifo.c - a last-in, first-out scheduling policy, and the template for
 * writing your own: docs/writing-a-policy.md walks through it.
 *
 * Every slot (each worker, and the outside slot W shared by all other
 * threads) has a stack. A task goes on the stack of the slot that pushed it
 * (or of its preferred worker), and a worker runs the newest task of its
 * own stack first: usually the task it has just made, whose data is still in
 * its cache. When its stack is empty it takes the newest task of the outside
 * stack, then of the other workers' stacks, so no task waits while a worker
 * is idle.
 *
 * A stack is a Treiber stack: push links the task to the current top and
 * installs it with one compare-and-swap, so pushers never wait. Pops on one
 * stack take its mutex, held for one compare-and-swap: with one popper at a
 * time, the top cannot be popped and pushed again between a popper's read
 * of top->next and its compare-and-swap (the ABA problem of lock-free pops).
 * An empty stack is recognised without the mutex, so idle workers scanning
 * the stacks write nothing.
 *
 * Parallel-for goes through the stacks too: the policy has no range_next,
 * so the core cuts the range into tiles of `tile` items and pushes them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tpool-policy.h>

/* ---- parameters ---------------------------------------------------------- */

enum { LIFO_PARAM_TILE, LIFO_NPARAMS };

static const tpool_param_desc lifo_params[LIFO_NPARAMS] = {
    [LIFO_PARAM_TILE] = {
        .name = "tile",
        .type = TPOOL_PARAM_INT,
        .description = "items per parallel-for tile; 0 = about 4 tiles per thread",
        .imin = 0, .imax = INT64_MAX, .idefault = 0,
    },
};

/* ---- statistics: counted per popping slot ----------------------------------- */

enum { LIFO_STAT_LOCAL, LIFO_STAT_OUTSIDE, LIFO_STAT_STEALS, LIFO_NSTATS };

static const char *const lifo_stat_names[LIFO_NSTATS + 1] = {
    [LIFO_STAT_LOCAL] = "local",     /* popped from the slot's own stack */
    [LIFO_STAT_OUTSIDE] = "outside", /* a worker took from the outside stack */
    [LIFO_STAT_STEALS] = "steals",   /* taken from another worker's stack */
    [LIFO_NSTATS] = NULL,
};

/* ---- state ----------------------------------------------------------------- */

typedef struct lifo_stack {
    /* The newest task, or NULL; linked through tpool_task.next. Pushers
     * install a task with a release CAS; poppers, holding pop_lock, remove
     * it with an acquire CAS; the emptiness test loads it from any thread. */
    TPOOL_ALIGNAS(TPOOL_CACHELINE) tpool_task *top;
    pthread_mutex_t pop_lock; /* one popper at a time: no ABA (see top) */
    /* Counters of the slot that pops as this index, on their own line so
     * that counting does not slow pushers down. Relaxed atomic adds: slot
     * W's are counted by several threads, and stats_read runs meanwhile. */
    TPOOL_ALIGNAS(TPOOL_CACHELINE) uint64_t stat[LIFO_NSTATS];
} lifo_stack;

_Static_assert(sizeof(lifo_stack) % TPOOL_CACHELINE == 0,
               "stacks in an array must not share cache lines");

typedef struct lifo {
    unsigned workers;   /* W: stacks[0..W-1] are the workers', stacks[W] outside */
    size_t tile;        /* parameter `tile` */
    lifo_stack *stacks; /* W + 1, cache-line aligned; replaced by resize */
} lifo;

/* Frees n stacks (NULL is fine). No task may be on them. */
static void lifo_stacks_free(lifo_stack *s, unsigned n)
{
    if (!s)
        return;
    for (unsigned i = 0; i < n; i++)
        pthread_mutex_destroy(&s[i].pop_lock);
    free(s);
}

/* n empty stacks with zeroed counters, or NULL when out of memory. */
static lifo_stack *lifo_stacks_new(unsigned n)
{
    lifo_stack *s = aligned_alloc(TPOOL_CACHELINE, (size_t)n * sizeof *s);
    if (!s)
        return NULL;
    memset(s, 0, (size_t)n * sizeof *s);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_mutex_init(&s[i].pop_lock, NULL) != 0) {
            lifo_stacks_free(s, i);
            return NULL;
        }
    }
    return s;
}

/* ---- lifecycle ----------------------------------------------------------------- */

static int lifo_create(const tpool_policy_env *env, void **out)
{
    lifo *l = malloc(sizeof *l);
    lifo_stack *s = lifo_stacks_new(env->workers + 1);
    if (!l || !s) {
        free(l);
        lifo_stacks_free(s, env->workers + 1);
        snprintf(env->errbuf, env->errbuf_size, "out of memory for %u stacks",
                 env->workers + 1);
        return -1;
    }
    l->workers = env->workers;
    l->tile = (size_t)env->params[LIFO_PARAM_TILE].i;
    l->stacks = s;
    *out = l;
    return 0;
}

/* The core calls it when no task is queued any more. */
static void lifo_destroy(void *state)
{
    lifo *l = state;
    lifo_stacks_free(l->stacks, l->workers + 1);
    free(l);
}

/* ---- the task path ------------------------------------------------------------ */

static int lifo_push(void *state, tpool_task *t, unsigned from)
{
    lifo *l = state;
    unsigned to = from; /* the pusher's own stack: it runs its newest task next */
    int wake = TPOOL_WAKE_ANY; /* any idle worker can take it (see lifo_pop) */
    if (t->preferred_worker >= 0 && (unsigned)t->preferred_worker < l->workers) {
        to = (unsigned)t->preferred_worker;
        wake = t->preferred_worker; /* it is that worker's to run */
    }
    lifo_stack *s = &l->stacks[to];
    /* t is not visible to anyone yet, so t->next is a plain store. The
     * release CAS publishes it, and everything the core wrote to the task,
     * to the popper's acquire load of top. On failure `top` is reloaded. */
    tpool_task *top = __atomic_load_n(&s->top, __ATOMIC_RELAXED);
    do
        t->next = top;
    while (!__atomic_compare_exchange_n(&s->top, &top, t, 1, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
    return wake;
}

/* The newest task of s, or NULL when s is empty. Any thread. */
static tpool_task *lifo_stack_pop(lifo_stack *s)
{
    /* Empty: no lock, no write, so idle workers can scan every stack. The
     * core's fences around parking make this load see a task pushed before
     * the wake-up that brought us here. */
    if (!__atomic_load_n(&s->top, __ATOMIC_ACQUIRE))
        return NULL;
    pthread_mutex_lock(&s->pop_lock);
    /* Holding pop_lock, we are the only thread removing tasks from s: a
     * task we read as top stays on s (pushers only add above it), so its
     * `next` does not change and the CAS cannot succeed on a task that was
     * popped and pushed again meanwhile. A failed CAS means a push: retry
     * with the new top. */
    tpool_task *t = __atomic_load_n(&s->top, __ATOMIC_ACQUIRE);
    while (t && !__atomic_compare_exchange_n(&s->top, &t, t->next, 1, __ATOMIC_ACQUIRE,
                                             __ATOMIC_ACQUIRE))
        ;
    pthread_mutex_unlock(&s->pop_lock);
    return t;
}

static void lifo_count(lifo *l, unsigned slot, int stat)
{
    __atomic_fetch_add(&l->stacks[slot].stat[stat], 1, __ATOMIC_RELAXED);
}

static tpool_task *lifo_pop(void *state, unsigned slot)
{
    lifo *l = state;
    unsigned outside = l->workers, nstacks = l->workers + 1;
    tpool_task *t = lifo_stack_pop(&l->stacks[slot]);
    if (t) {
        lifo_count(l, slot, LIFO_STAT_LOCAL);
        return t;
    }
    if (slot != outside && (t = lifo_stack_pop(&l->stacks[outside])) != NULL) {
        lifo_count(l, slot, LIFO_STAT_OUTSIDE);
        return t;
    }
    /* Every other worker's stack, starting after our own so that thieves
     * spread over victims. Returning NULL lets a worker sleep: every stack
     * was seen empty after the core's fence (see lifo_push's wake). */
    for (unsigned k = 1; k < nstacks; k++) {
        unsigned v = (slot + k) % nstacks;
        if (v != outside && (t = lifo_stack_pop(&l->stacks[v])) != NULL) {
            lifo_count(l, slot, LIFO_STAT_STEALS);
            return t;
        }
    }
    return NULL;
}

/* ---- the range path: tiles as tasks ----------------------------------------------- */

static size_t lifo_range_grain(void *state, const tpool_range_job *job)
{
    lifo *l = state;
    (void)job; /* the tile size does not depend on the job here */
    return l->tile; /* 0: the core's default */
}

/* ---- resize ---------------------------------------------------------------------- */

/* No task is queued and no other op runs during the call: the stacks can
 * simply be replaced. The counters are kept: a slot that stays keeps its
 * own, and those of removed slots go to the outside slot, as the core's
 * counters of retired workers do. */
static int lifo_resize(void *state, const tpool_policy_env *env)
{
    lifo *l = state;
    lifo_stack *s = lifo_stacks_new(env->workers + 1);
    if (!s) {
        snprintf(env->errbuf, env->errbuf_size, "out of memory for %u stacks",
                 env->workers + 1);
        return -1; /* the pool keeps the old state, which still works */
    }
    for (unsigned i = 0; i <= l->workers; i++) {
        unsigned to = i < l->workers && i < env->workers ? i : env->workers;
        for (int k = 0; k < LIFO_NSTATS; k++)
            s[to].stat[k] += l->stacks[i].stat[k];
    }
    lifo_stacks_free(l->stacks, l->workers + 1);
    l->stacks = s;
    l->workers = env->workers;
    return 0;
}

/* ---- statistics ------------------------------------------------------------------- */

static void lifo_stats_read(void *state, unsigned slot, uint64_t *out)
{
    lifo *l = state;
    for (int k = 0; k < LIFO_NSTATS; k++)
        out[k] = __atomic_load_n(&l->stacks[slot].stat[k], __ATOMIC_RELAXED);
}

static void lifo_stats_reset(void *state)
{
    lifo *l = state;
    for (unsigned i = 0; i <= l->workers; i++)
        for (int k = 0; k < LIFO_NSTATS; k++)
            __atomic_store_n(&l->stacks[i].stat[k], 0, __ATOMIC_RELAXED);
}

/* ---- the descriptor and the entry point --------------------------------------------- */

static const tpool_policy lifo_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "lifo",
    .description = "per-slot stacks; each worker runs its newest task first, idle ones steal",
    .params = lifo_params,
    .nparams = LIFO_NPARAMS,
    .create = lifo_create,
    .destroy = lifo_destroy,
    .push = lifo_push,
    .pop = lifo_pop,
    .range_grain = lifo_range_grain,
    .resize = lifo_resize,
    .stat_names = lifo_stat_names,
    .stats_read = lifo_stats_read,
    .stats_reset = lifo_stats_reset,
    .flags = TPOOL_POLICY_NO_SUBMIT_TIME,
};

TPOOL_POLICY_DEFINE(lifo_policy)
