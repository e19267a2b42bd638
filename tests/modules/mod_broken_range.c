/* mod_broken_range.c - correct tasks (mod_common's FIFO) but a range path
 * that hands out chunks of 7 items from a shared position that it advances
 * by 6 (parameter mode "overlap": an item of each chunk is handed out twice)
 * or by 8 (mode "skip": an item after each chunk is never handed out), or
 * (mode "cost") steps right but drops the last item of a job whose caller
 * gave a cost function: a checker that never passes one sees nothing, and
 * tpool_parallel_range with a cost then waits forever for that item.
 * tpool-conformance's range and pool-range checks must say which. */
#include "mod_common.h"

enum { CHUNK = 7, MODE_OVERLAP = 0, MODE_SKIP = 1, MODE_COST = 2 };

static const char *const range_modes[] = { "overlap", "skip", "cost", NULL };

static const tpool_param_desc range_params[] = {
    { .name = "mode", .type = TPOOL_PARAM_ENUM,
      .description = "overlap: chunks overlap by one item; skip: one item between chunks; "
                     "cost: the last item is dropped when the job has a cost function",
      .choices = range_modes, .edefault = MODE_OVERLAP },
};

static int range_create(const tpool_policy_env *env, void **out)
{
    int rc = mod_create(env, out);
    if (rc == 0)
        ((mod_state *)*out)->mode = env->params[0].i;
    return rc;
}

/* `ops` is the shared position, `depth` the job's n; both under the lock. */
static void range_begin(void *state, const tpool_range_job *job)
{
    mod_state *s = state;
    pthread_mutex_lock(&s->lock);
    s->ops = 0;
    /* The cost bug: a job with a cost function loses its last item. */
    s->depth = (int64_t)job->n - (s->mode == MODE_COST && job->cost && job->n ? 1 : 0);
    pthread_mutex_unlock(&s->lock);
}

static int range_next(void *state, unsigned participant, size_t *begin, size_t *end)
{
    (void)participant;
    mod_state *s = state;
    pthread_mutex_lock(&s->lock);
    size_t n = (size_t)s->depth, b = (size_t)s->ops;
    int got = b < n;
    if (got) {
        *begin = b;
        *end = n - b > CHUNK ? b + CHUNK : n;
        /* The bug: the step differs from the chunk handed out. */
        s->ops = b + (s->mode == MODE_SKIP ? CHUNK + 1
                      : s->mode == MODE_COST ? CHUNK : CHUNK - 1);
    }
    pthread_mutex_unlock(&s->lock);
    return got;
}

static const tpool_policy range_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_broken_range",
    .description = "test module: range_next steps by 6 or 8 over chunks of 7, or drops "
                   "an item of jobs with a cost function",
    .params = range_params,
    .nparams = sizeof range_params / sizeof range_params[0],
    .create = range_create,
    .destroy = mod_destroy,
    .push = mod_push,
    .pop = mod_pop,
    .range_begin = range_begin,
    .range_next = range_next,
};

TPOOL_POLICY_DEFINE(range_policy)
