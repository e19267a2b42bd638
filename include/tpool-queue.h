/*
 * tpool-queue.h - task queues a policy may use (header-only, optional).
 *
 * Not part of the policy ABI: the core never sees these structures, so a
 * policy may copy, change or ignore them. They are here because most
 * queue-based policies need the same two things:
 *   - tpool_mpsc: Dmitry Vyukov's intrusive multi-producer, single-consumer
 *     queue of tasks (an owner-only per-worker queue, or the inbox of a
 *     structure the policy locks for other reasons);
 *   - tpool_taskq: that queue with a consumer lock, i.e. a central FIFO
 *     that any slot pushes to without waiting and any slot pops from.
 */
#ifndef TPOOL_QUEUE_H
#define TPOOL_QUEUE_H

#include <pthread.h>

#include "tpool-policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * tpool_mpsc: Dmitry Vyukov's intrusive multi-producer, single-consumer
 * queue of tasks, linked through tpool_task.next.
 *
 * A producer swaps its task in as the tail with one atomic exchange and then
 * links the previous tail to it, so producers never wait for each other or
 * for the consumer (push is wait-free). A stub node stays in the queue
 * whenever it is empty; the consumer re-queues it behind the last task so
 * that it can take that task without racing the producers for it.
 *
 * Consumers: pop allows one consumer at a time. The caller serialises the
 * consumers, either because only one thread ever pops (an owner-only queue)
 * or with a lock held around pop. push may run concurrently with anything;
 * tpool_mpsc_empty too.
 *
 * Layout: `tail` is written by every producer and `head` by the consumer;
 * they are on separate cache lines so that pushes do not steal the
 * consumer's line and vice versa. The stub shares the consumer's line.
 * The structure is cache-line aligned: allocate it (or what contains it)
 * with aligned_alloc(TPOOL_CACHELINE, ...).
 *
 * Window: between a producer's exchange and its link, the queue is cut
 * after the previous tail: pop and tpool_mpsc_empty see the queue end there
 * (pop returns NULL, empty may answer 1) although the new task is queued.
 * That producer's push has not returned yet, so the wake-up the core does
 * after push brings a consumer back to find it.
 */
typedef struct tpool_mpsc {
    /* Producers: exchanged by every push (acq_rel). */
    TPOOL_ALIGNAS(TPOOL_CACHELINE) tpool_task *tail;
    /* Consumer: written by pop only, with relaxed atomic stores, because
     * tpool_mpsc_empty reads it from any thread. */
    TPOOL_ALIGNAS(TPOOL_CACHELINE) tpool_task *head;
    tpool_task stub; /* in the queue whenever it is empty */
} tpool_mpsc;

/* Makes *q an empty queue (only the stub queued). Not thread-safe: call it
 * before any other thread can see q. Other members of what contains q are
 * left alone. */
static inline void tpool_mpsc_init(tpool_mpsc *q)
{
    q->stub.next = NULL;
    q->head = &q->stub;
    q->tail = &q->stub;
}

/*
 * Appends t (owned by the caller, not queued anywhere) to q. Any thread, any
 * number at once, concurrently with pop and empty; wait-free. From now until
 * pop returns it, t->next belongs to the queue.
 *
 * Ordering: t->next is cleared (relaxed), then the exchange on tail
 * (acq_rel: acquire orders our link after the previous producer's clearing
 * of prev->next; release publishes t->next = NULL to the next producer and
 * to the consumer's tail load), then prev->next = t (release: the consumer
 * that reads t through it, with acquire, sees everything written to *t
 * before the push).
 *
 * Returns 1 when the previous tail was the stub, i.e. the queue was empty
 * just before this push (or had just been emptied by the consumer, which
 * re-queued the stub behind its last task), else 0.
 */
static inline int tpool_mpsc_push(tpool_mpsc *q, tpool_task *t)
{
    __atomic_store_n(&t->next, NULL, __ATOMIC_RELAXED);
    tpool_task *prev = __atomic_exchange_n(&q->tail, t, __ATOMIC_ACQ_REL);
    /* Until this store the queue is cut after `prev` (see "Window"). */
    __atomic_store_n(&prev->next, t, __ATOMIC_RELEASE);
    return prev == &q->stub;
}

/* The consumer's store of head: relaxed atomic, for tpool_mpsc_empty. */
static inline void tpool_mpsc_set_head_(tpool_mpsc *q, tpool_task *t)
{
    __atomic_store_n(&q->head, t, __ATOMIC_RELAXED);
}

/*
 * Vyukov's pop: takes the oldest task of q, or returns NULL when q is empty
 * or its oldest remaining task is behind a producer still between its two
 * steps (see "Window"). One consumer at a time: the caller serialises pops
 * (owner-only use, or a lock held around the call); push and empty may run
 * meanwhile.
 *
 * Ordering: the loads of `next` and of tail are acquire, pairing with the
 * producers' release link and exchange, so the returned task's contents are
 * visible. head is read plainly (only consumers write it, and they are
 * serialised) and written relaxed (its only concurrent reader is
 * tpool_mpsc_empty). When the last task is taken the stub is re-queued with
 * tpool_mpsc_push.
 *
 * A task returned has a successor or was followed by the re-queued stub, so
 * no producer writes its `next` again: from the return on, t->next is the
 * caller's (e.g. for a private list).
 */
static inline tpool_task *tpool_mpsc_pop(tpool_mpsc *q)
{
    tpool_task *head = q->head; /* consumers are serialised: no other writer */
    tpool_task *next = __atomic_load_n(&head->next, __ATOMIC_ACQUIRE);
    if (head == &q->stub) {
        if (!next)
            return NULL;
        tpool_mpsc_set_head_(q, head = next);
        next = __atomic_load_n(&next->next, __ATOMIC_ACQUIRE);
    }
    if (next) {
        tpool_mpsc_set_head_(q, next);
        return head;
    }
    if (head != __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE))
        return NULL; /* a producer is between its two steps */
    tpool_mpsc_push(q, &q->stub);
    next = __atomic_load_n(&head->next, __ATOMIC_ACQUIRE);
    if (next) {
        tpool_mpsc_set_head_(q, next);
        return head;
    }
    return NULL;
}

/*
 * Whether q holds no task: only the stub is queued. Any thread, no lock, no
 * write (so spinning consumers cost nothing); three loads: head (relaxed),
 * stub.next (acquire), tail (acquire).
 *
 * tail == stub alone is not a valid test: a consumer that re-queues the
 * stub behind a task that has just got a successor leaves tail == stub with
 * work still queued. Hence head == stub and stub.next == NULL as well.
 *
 * A 0 ("not empty") is a hint: pop may still return NULL. A 1 ("empty") can
 * be wrong only while a producer is inside push (see "Window": its caller
 * then wakes a consumer after push returns) or while another consumer is
 * inside pop (that consumer pops again before it can sleep, so no work is
 * stranded). A caller that may sleep on a 1 must therefore be woken after
 * every push, and every consumer must pop again before it sleeps.
 */
static inline int tpool_mpsc_empty(const tpool_mpsc *q)
{
    return __atomic_load_n(&q->head, __ATOMIC_RELAXED) == &q->stub
           && __atomic_load_n(&q->stub.next, __ATOMIC_ACQUIRE) == NULL
           && __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) == &q->stub;
}

/*
 * tpool_taskq: a FIFO of tasks for any number of producers and consumers.
 * Producers push with tpool_mpsc_push (wait-free, never blocked by a
 * consumer); consumers take `lock` for a few instructions and never while a
 * task runs: popping in a strict order is inherently serial, and the lock is
 * what keeps it in order. An empty queue is recognised without the lock, so
 * spinning workers cost nothing. Cache-line aligned like tpool_mpsc: allocate
 * what contains it with aligned_alloc(TPOOL_CACHELINE, ...).
 */
typedef struct tpool_taskq {
    tpool_mpsc q;
    pthread_mutex_t lock; /* serialises consumers only */
} tpool_taskq;

/* Makes *q empty. Not thread-safe: before any other thread can see q.
 * Returns 0, or the error of pthread_mutex_init. */
static inline int tpool_taskq_init(tpool_taskq *q)
{
    tpool_mpsc_init(&q->q);
    return pthread_mutex_init(&q->lock, NULL);
}

/* Releases the lock; the queue must not be used afterwards. */
static inline void tpool_taskq_destroy(tpool_taskq *q)
{
    pthread_mutex_destroy(&q->lock);
}

/* Appends t; any thread, wait-free. Until it returns, consumers may see the
 * queue end before t: the core's wake after push brings one back. Returns 1
 * when the queue was empty just before, as tpool_mpsc_push. */
static inline int tpool_taskq_push(tpool_taskq *q, tpool_task *t)
{
    return tpool_mpsc_push(&q->q, t);
}

/*
 * Takes up to `max` (>= 1) of the oldest tasks, in order, as a list linked
 * through `next` and ended by NULL; returns its first task, or NULL when the
 * queue is empty. Any thread.
 *
 * The lock-free emptiness test first (see tpool_mpsc_empty) can only err
 * towards "empty" while a producer is inside push (the core wakes a worker
 * after it) or while another consumer is inside this pop (and that consumer
 * pops again before it can sleep), so no task is stranded.
 */
static inline tpool_task *tpool_taskq_pop_batch(tpool_taskq *q, unsigned max)
{
    if (tpool_mpsc_empty(&q->q))
        return NULL; /* no lock, no write */
    pthread_mutex_lock(&q->lock);
    tpool_task *first = tpool_mpsc_pop(&q->q), *last = first;
    for (unsigned i = 1; last && i < max; i++) {
        tpool_task *t = tpool_mpsc_pop(&q->q);
        if (!t)
            break;
        last->next = t; /* a popped task's `next` is ours again */
        last = t;
    }
    pthread_mutex_unlock(&q->lock);
    if (last)
        last->next = NULL;
    return first;
}

/* Takes the oldest task, or NULL when the queue is empty. Any thread. */
static inline tpool_task *tpool_taskq_pop(tpool_taskq *q)
{
    return tpool_taskq_pop_batch(q, 1);
}

/* 1 when no task is queued: a hint, as tpool_mpsc_empty. Any thread. */
static inline int tpool_taskq_empty(const tpool_taskq *q)
{
    return tpool_mpsc_empty(&q->q);
}

#ifdef __cplusplus
}
#endif
#endif /* TPOOL_QUEUE_H */
