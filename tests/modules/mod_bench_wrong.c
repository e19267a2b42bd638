/*
 * mod_bench_wrong.c - tasks through mod_common's FIFO, and a range path that
 * runs the wrong items, so that every parallel-for workload of tpool-bench
 * must fail its check on it. Built twice:
 *   - mod_bench_twice: in every parallel-for, item 0 runs twice (the
 *     participant that ran it gets it again right after, so the two runs
 *     never overlap) and item 1 never runs;
 *   - mod_bench_skip (-DWRONG_SKIP): in the first parallel-for of the pool
 *     only, the last item never runs and the one before it runs twice.
 * The core waits until n items are done, so an extra run must come with a
 * missing one, or the call would never return; a call of one item runs
 * inline in the core and never reaches the policy.
 */
#include "mod_common.h"

#ifdef WRONG_SKIP
#define WRONG_NAME "mod_bench_skip"
#define WRONG_WHAT "test module: the first parallel-for skips its last item, runs the one before twice"
#else
#define WRONG_NAME "mod_bench_twice"
#define WRONG_WHAT "test module: every parallel-for runs item 0 twice and item 1 never"
#endif

enum { CHUNK = 3 };

typedef struct wrong {
    mod_state *tasks;      /* the task path */
    pthread_mutex_t lock;  /* guards the range job below */
    size_t n, cursor;      /* the job; the next item to hand out */
    size_t dup, skip;      /* the item run twice, the item never run */
    int wrong;             /* this job goes wrong */
    uint64_t jobs;         /* jobs begun */
    unsigned nparts;
    unsigned char *again;  /* per participant: owes a second run of `dup` */
} wrong;

static int wrong_create(const tpool_policy_env *env, void **out)
{
    wrong *w = calloc(1, sizeof *w);
    if (w)
        w->again = calloc(env->workers + 1, 1);
    if (!w || !w->again || mod_create(env, (void **)&w->tasks) != 0) {
        if (w)
            free(w->again);
        free(w);
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    w->nparts = env->workers + 1;
    pthread_mutex_init(&w->lock, NULL);
    *out = w;
    return 0;
}

static void wrong_destroy(void *state)
{
    wrong *w = state;
    mod_destroy(w->tasks);
    pthread_mutex_destroy(&w->lock);
    free(w->again);
    free(w);
}

static int wrong_push(void *state, tpool_task *t, unsigned from)
{
    return mod_push(((wrong *)state)->tasks, t, from);
}

static tpool_task *wrong_pop(void *state, unsigned slot)
{
    return mod_pop(((wrong *)state)->tasks, slot);
}

static void wrong_begin(void *state, const tpool_range_job *job)
{
    wrong *w = state;
    pthread_mutex_lock(&w->lock);
    w->n = job->n;
    w->cursor = 0;
    w->jobs++;
#ifdef WRONG_SKIP
    w->wrong = w->jobs == 1 && job->n >= 2;
    w->dup = job->n - 2;
    w->skip = job->n - 1;
#else
    w->wrong = job->n >= 2;
    w->dup = 0;
    w->skip = 1;
#endif
    for (unsigned p = 0; p < w->nparts; p++)
        w->again[p] = 0;
    pthread_mutex_unlock(&w->lock);
}

/* Chunks of CHUNK items in order; in a wrong job the chunks stop short of
 * `skip` and resume after it, and whoever got `dup` gets it once more. */
static int wrong_next(void *state, unsigned participant, size_t *begin, size_t *end)
{
    wrong *w = state;
    int got = 0;
    pthread_mutex_lock(&w->lock);
    if (participant < w->nparts && w->again[participant]) {
        w->again[participant] = 0;
        *begin = w->dup;
        *end = w->dup + 1;
        got = 1;
    } else {
        if (w->wrong && w->cursor == w->skip)
            w->cursor++;
        if (w->cursor < w->n) {
            size_t b = w->cursor, e = w->n - b > CHUNK ? b + CHUNK : w->n;
            if (w->wrong && w->skip > b && w->skip < e)
                e = w->skip;
            if (w->wrong && w->dup >= b && w->dup < e && participant < w->nparts)
                w->again[participant] = 1;
            w->cursor = e;
            *begin = b;
            *end = e;
            got = 1;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return got;
}

static const tpool_policy wrong_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = WRONG_NAME,
    .description = WRONG_WHAT,
    .create = wrong_create,
    .destroy = wrong_destroy,
    .push = wrong_push,
    .pop = wrong_pop,
    .range_begin = wrong_begin,
    .range_next = wrong_next,
};

TPOOL_POLICY_DEFINE(wrong_policy)
