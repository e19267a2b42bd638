/*
 * fifo.c - one central queue; tasks start in submission order.
 *
 * The queue is Dmitry Vyukov's intrusive multi-producer queue: a producer
 * swaps itself in as the tail with one atomic exchange and then links the
 * previous tail to itself, so submitters never wait for each other or for
 * workers. Consumers take one small mutex, held for a few instructions and
 * never while a task runs: popping in a strict order is inherently serial,
 * and the lock is what keeps it in order. An empty queue is recognised
 * without the lock, so spinning workers cost nothing (see fifo_pop).
 *
 * Parallel-for goes through the same queue: the policy has no range_next,
 * so the core cuts the range into tiles of `tile` items and pushes them here.
 */
#include <stdlib.h>

#include "tpool-queue.h"

typedef struct fifo {
    tpool_taskq q; /* producers never wait; consumers take its lock */
    int64_t tile; /* parameter: items per parallel-for tile, 0 = auto */
} fifo;

static const tpool_param_desc fifo_params[] = {
    {
        .name = "tile",
        .type = TPOOL_PARAM_INT,
        .description = "items per parallel-for tile; 0 = about 4 tiles per thread",
        .imin = 0, .imax = INT64_MAX, .idefault = 0,
    },
};

static int fifo_create(const tpool_policy_env *env, void **out)
{
    fifo *q = aligned_alloc(TPOOL_CACHELINE, sizeof *q);
    if (!q)
        return -1;
    if (tpool_taskq_init(&q->q) != 0) {
        free(q);
        return -1;
    }
    q->tile = env->params[0].i;
    *out = q;
    return 0;
}

static void fifo_destroy(void *state)
{
    fifo *q = state;
    tpool_taskq_destroy(&q->q);
    free(q);
}

static int fifo_push(void *state, tpool_task *t, unsigned from)
{
    fifo *q = state;
    /* Until the push returns, consumers may see the queue end before t;
     * the core's wake after push brings a worker back. */
    tpool_taskq_push(&q->q, t);
    return TPOOL_WAKE_ANY;
}

static tpool_task *fifo_pop(void *state, unsigned slot)
{
    fifo *q = state;
    return tpool_taskq_pop(&q->q); /* no lock, no write when empty */
}

static size_t fifo_range_grain(void *state, const tpool_range_job *job)
{
    fifo *q = state;
    return (size_t)q->tile; /* 0: the core's default */
}

static const tpool_policy fifo_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "fifo",
    .description = "one central queue; tasks start in submission order",
    .params = fifo_params,
    .nparams = sizeof fifo_params / sizeof fifo_params[0],
    .create = fifo_create,
    .destroy = fifo_destroy,
    .push = fifo_push,
    .pop = fifo_pop,
    .range_grain = fifo_range_grain,
    .flags = TPOOL_POLICY_NO_SUBMIT_TIME | TPOOL_POLICY_NO_SEQ | TPOOL_POLICY_PROGRESS, /* any worker pops any tile */
};

TPOOL_POLICY_DEFINE(fifo_policy)
