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
#include <pthread.h>
#include <stdlib.h>

#include "tpool-policy.h"

typedef struct fifo {
    /* Producers: exchanged by every push (acq_rel). */
    _Alignas(TPOOL_CACHELINE) tpool_task *tail;
    /* Consumers: written under `lock` (relaxed atomic stores, because the
     * lock-free emptiness test in fifo_pop reads it). */
    _Alignas(TPOOL_CACHELINE) tpool_task *head;
    pthread_mutex_t lock;
    tpool_task stub; /* always in the queue when it is empty */
    int64_t tile;    /* parameter: items per parallel-for tile, 0 = auto */
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
    q->stub.next = NULL;
    q->head = &q->stub;
    q->tail = &q->stub;
    q->tile = env->params[0].i;
    pthread_mutex_init(&q->lock, NULL);
    *out = q;
    return 0;
}

static void fifo_destroy(void *state)
{
    fifo *q = state;
    pthread_mutex_destroy(&q->lock);
    free(q);
}

static void enqueue(fifo *q, tpool_task *t)
{
    __atomic_store_n(&t->next, NULL, __ATOMIC_RELAXED);
    tpool_task *prev = __atomic_exchange_n(&q->tail, t, __ATOMIC_ACQ_REL);
    /* Between the exchange and this store the queue is momentarily cut;
     * consumers see it as empty past `prev` and the core's wake after push
     * brings a worker back. */
    __atomic_store_n(&prev->next, t, __ATOMIC_RELEASE);
}

static int fifo_push(void *state, tpool_task *t, unsigned from)
{
    enqueue(state, t);
    return TPOOL_WAKE_ANY;
}

static void set_head(fifo *q, tpool_task *t)
{
    __atomic_store_n(&q->head, t, __ATOMIC_RELAXED);
}

/* Vyukov's pop; the caller holds q->lock. */
static tpool_task *dequeue(fifo *q)
{
    tpool_task *head = q->head; /* we hold the lock: no other writer */
    tpool_task *next = __atomic_load_n(&head->next, __ATOMIC_ACQUIRE);
    if (head == &q->stub) {
        if (!next)
            return NULL;
        set_head(q, head = next);
        next = __atomic_load_n(&next->next, __ATOMIC_ACQUIRE);
    }
    if (next) {
        set_head(q, next);
        return head;
    }
    if (head != __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE))
        return NULL; /* a producer is between its two steps */
    enqueue(q, &q->stub);
    next = __atomic_load_n(&head->next, __ATOMIC_ACQUIRE);
    if (next) {
        set_head(q, next);
        return head;
    }
    return NULL;
}

static tpool_task *fifo_pop(void *state, unsigned slot)
{
    fifo *q = state;
    /* Empty: only the stub is queued. Tail alone is not enough: a consumer
     * that re-queues the stub behind a node that just got a successor leaves
     * tail == stub with work still queued. This test can only err towards
     * "empty" while another consumer is inside dequeue, and that consumer
     * pops again before it can sleep, so no work is stranded. */
    if (__atomic_load_n(&q->head, __ATOMIC_RELAXED) == &q->stub
        && __atomic_load_n(&q->stub.next, __ATOMIC_ACQUIRE) == NULL
        && __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) == &q->stub)
        return NULL; /* no lock, no write */
    pthread_mutex_lock(&q->lock);
    tpool_task *t = dequeue(q);
    pthread_mutex_unlock(&q->lock);
    return t;
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
};

TPOOL_POLICY_DEFINE(fifo_policy)
