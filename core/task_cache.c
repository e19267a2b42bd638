/*
 * task_cache.c - recycles task structures, so that a submission costs no
 * malloc and a finished task no free.
 *
 * Why: a task is usually allocated by one thread (its producer) and freed by
 * another (the worker that ran it). glibc's per-thread cache then never
 * refills on the producer's side, so every malloc went to the arena: a large
 * share of a submission's cost, and a lock and lines that the freeing
 * thread writes too (docs/PERFORMANCE.md, target 4).
 *
 * How: each thread keeps a private list of free tasks (`head`, no atomics).
 * A thread whose private list reaches 2 x BATCH hands BATCH of them, as one
 * chain, to a process-wide depot: a lock-free stack of chains, pushed by CAS
 * and emptied by one exchange (nothing is ever popped singly, so there is no
 * ABA). A thread with nothing private takes one chain: it empties the depot,
 * keeps the first chain and pushes the others back (depot_return); it
 * mallocs only when the depot is empty. Taking the whole depot instead let
 * one thread hoard every free task while the others, also submitting,
 * found the depot empty and malloc'd theirs. The depot keeps at most
 * DEPOT_MAX tasks (chains beyond are freed), so that a larger burst is not
 * kept for ever. A thread's private tasks go to the depot when it exits (a
 * pthread key's destructor).
 *
 * The bound is a trade measured on tpool-bench's tiny-tasks workloads
 * (docs/measurements/tiny-tasks-vs-tbb.md): a depot as large as a burst
 * of a million tasks recycles that burst (a few percent faster there), but
 * made bursts of a hundred thousand half as fast again, as if tasks handed
 * back through the depot's chains were slower to touch than the ones
 * glibc hands out afresh; 16384 tasks (about 2 MiB) keeps the smaller
 * bursts as fast as with no depot.
 *
 * A free task's fields are the cache's: pub.next links a list, and the first
 * task of a chain keeps the next chain and the chain's length in `cached`
 * (pool.h).
 *
 * Every task handed out passes the allocation fault point once, whether it
 * comes from the cache or from the allocator (whose tpool__malloc asks it),
 * so that a fault test's count does not depend on what the cache holds.
 *
 * Under AddressSanitizer tasks are plain malloc/free, so that a task used
 * after it finished (a policy that returns one twice) is still reported.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "fault.h"
#include "pool.h"

#if defined(__SANITIZE_ADDRESS__)
#define TASK_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TASK_CACHE 0
#endif
#endif
#ifndef TASK_CACHE
#define TASK_CACHE 1
#endif

#if TASK_CACHE

enum { BATCH = 64, DEPOT_MAX = 16384 }; /* DEPOT_MAX: see the top of the file */

typedef struct task_cache {
    tpool__task *head; /* free tasks, via pub.next */
    size_t n;          /* tasks on `head` */
    bool keyed;        /* the exit destructor is registered */
} task_cache;

static _Thread_local task_cache tls_cache TPOOL__TLS_MODEL; /* pool.h */
static _Atomic(tpool__task *) depot;   /* chains, via cached */
static _Atomic size_t depot_tasks;     /* tasks in the depot (approximate) */
static _Atomic uint64_t from_allocator; /* tasks ever taken from tpool__malloc */
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

static tpool__task *next_of(tpool__task *t)
{
    return (tpool__task *)t->pub.next;
}

static void free_list(tpool__task *t)
{
    while (t) {
        tpool__task *next = next_of(t);
        tpool__free(t);
        t = next;
    }
}

/* Hands the chain starting at `first` (n tasks) to the depot, or frees it
 * when the depot is full. */
static void depot_put(tpool__task *first, size_t n)
{
    if (atomic_fetch_add_explicit(&depot_tasks, n, memory_order_relaxed) + n > DEPOT_MAX) {
        atomic_fetch_sub_explicit(&depot_tasks, n, memory_order_relaxed);
        free_list(first);
        return;
    }
    first->cached.chain_len = n;
    tpool__task *old = atomic_load_explicit(&depot, memory_order_relaxed);
    do
        first->cached.next_chain = old;
    while (!atomic_compare_exchange_weak_explicit(&depot, &old, first, memory_order_release,
                                                  memory_order_relaxed));
}

/* Puts the chains from `first` on back on the depot (their tasks are still
 * counted in depot_tasks). It must find the depot empty to push them
 * without walking to their end; chains that other threads pushed meanwhile
 * are taken off (one exchange) and linked in front of them, and it tries
 * again. */
static void depot_return(tpool__task *first)
{
    tpool__task *empty = NULL;
    while (!atomic_compare_exchange_weak_explicit(&depot, &empty, first, memory_order_release,
                                                  memory_order_relaxed)) {
        tpool__task *more = atomic_exchange_explicit(&depot, NULL, memory_order_acquire);
        if (more) {
            tpool__task *last = more;
            while (last->cached.next_chain)
                last = last->cached.next_chain;
            last->cached.next_chain = first;
            first = more;
        }
        empty = NULL;
    }
}

/* At thread exit: everything private goes to the depot. */
static void thread_exit(void *unused)
{
    (void)unused;
    task_cache *c = &tls_cache;
    if (c->head)
        depot_put(c->head, c->n);
    c->head = NULL;
    c->n = 0;
    c->keyed = false; /* a later destructor that submits registers again */
}

static void make_key(void)
{
    key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
}

/* Once per thread. Should the key be missing (pthread_key_create failed),
 * an exiting thread's private tasks (fewer than 2 x BATCH) are leaked
 * rather than failing the submission. */
static void register_exit(task_cache *c)
{
    pthread_once(&key_once, make_key);
    if (key_ok)
        (void)pthread_setspecific(exit_key, c);
    c->keyed = true;
}

/* One task off the private list, which is not empty. */
static tpool__task *pop_private(task_cache *c)
{
    if (tpool__fault(TPOOL__FAULT_ALLOC))
        return NULL;
    tpool__task *t = c->head;
    c->head = next_of(t);
    c->n--;
    return t;
}

/* With nothing private: a chain from the depot, or a new task from the
 * allocator. */
static tpool__task *take(task_cache *c)
{
    tpool__task *first = atomic_exchange_explicit(&depot, NULL, memory_order_acquire);
    if (!first) {
        tpool__task *t = tpool__malloc(sizeof(tpool__task));
        if (t)
            atomic_fetch_add_explicit(&from_allocator, 1, memory_order_relaxed);
        return t;
    }
    if (first->cached.next_chain)
        depot_return(first->cached.next_chain);
    atomic_fetch_sub_explicit(&depot_tasks, first->cached.chain_len, memory_order_relaxed);
    c->head = first; /* its tasks are linked through pub.next */
    c->n = first->cached.chain_len;
    return pop_private(c);
}

tpool__task *tpool__task_alloc(void)
{
    task_cache *c = &tls_cache;
    TPOOL__TLS_ONCE(c);
    if (__builtin_expect(c->head != NULL, 1))
        return pop_private(c);
    if (!c->keyed)
        register_exit(c);
    return take(c);
}

void tpool__task_free(tpool__task *t)
{
    task_cache *c = &tls_cache;
    TPOOL__TLS_ONCE(c);
    if (__builtin_expect(!c->keyed, 0))
        register_exit(c); /* even one cached task must go on at exit */
    t->pub.next = c->head ? &c->head->pub : NULL;
    c->head = t;
    if (__builtin_expect(++c->n < 2 * BATCH, 1))
        return;
    /* Keep the newest BATCH (warm in this cache); the rest is one chain. */
    tpool__task *last = t;
    for (unsigned i = 1; i < BATCH; i++)
        last = next_of(last);
    tpool__task *chain = next_of(last);
    last->pub.next = NULL;
    depot_put(chain, c->n - BATCH);
    c->n = BATCH;
}

bool tpool__task_cache_allocated(uint64_t *n)
{
    *n = atomic_load_explicit(&from_allocator, memory_order_relaxed);
    return true;
}

#else /* !TASK_CACHE */

tpool__task *tpool__task_alloc(void)
{
    return tpool__malloc(sizeof(tpool__task));
}

void tpool__task_free(tpool__task *t)
{
    tpool__free(t);
}

bool tpool__task_cache_allocated(uint64_t *n)
{
    *n = 0;
    return false;
}

#endif
