/*
 * gate.c - the policy gate and the registry of thread records behind it
 * (the protocol is at "the policy gate" in pool.h): a thread enters before
 * every call into the policy state, and a resizer or policy switch closes
 * the gate and waits until no record names the pool. The registry lists
 * every thread's record so that the closer can find them; it also owns
 * each thread's tpool_scratch buffer, freed when the thread exits. Here
 * too: the core's thread-local object, whose record the registry links,
 * and the fork handlers, which hold the registry's lock (and the
 * loader's) across fork().
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "pool.h"

_Thread_local tpool__tls tpool__tl TPOOL__TLS_MODEL;

/* ---- the registry of thread records -------------------------------------- */

/* Every thread that ever entered the gate (or asked for scratch memory) and
 * has not exited. The lock is taken on a thread's first use, at its exit and
 * by a resizer scanning the records: never on a hot path. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static tpool__thread_rec *registry;
static pthread_key_t rec_key;
static pthread_once_t rec_once = PTHREAD_ONCE_INIT;
static bool rec_key_made;

/* Thread exit: unlink the record before the thread's storage goes away. */
static void rec_exit(void *arg)
{
    tpool__thread_rec *r = arg;
    pthread_mutex_lock(&registry_lock);
    if (r->prev)
        r->prev->next = r->next;
    else
        registry = r->next;
    if (r->next)
        r->next->prev = r->prev;
    pthread_mutex_unlock(&registry_lock);
    tpool__free(r->scratch);
    r->scratch = NULL;
    r->scratch_size = 0;
    r->prev = r->next = NULL;
    r->registered = false;
}

static void rec_key_create(void)
{
    tpool__fork_init(); /* the registry must be reset in a forked child */
    rec_key_made = pthread_key_create(&rec_key, rec_exit) == 0;
}

/* If the library is unloaded, threads that outlive it must not call rec_exit. */
__attribute__((destructor)) static void rec_key_delete(void)
{
    if (rec_key_made)
        pthread_key_delete(rec_key);
}

void tpool__rec_register(tpool__thread_rec *r)
{
    pthread_once(&rec_once, rec_key_create);
    if (!rec_key_made || pthread_setspecific(rec_key, r) != 0) {
        /* Without the key a record would dangle in the registry once its
         * thread exits; there is no safe way on. Only possible when the
         * process has used up its PTHREAD_KEYS_MAX keys or its memory. */
        fputs("tpool: cannot register a thread (pthread_key_create or "
              "pthread_setspecific failed)\n", stderr);
        abort();
    }
    atomic_init(&r->inside, NULL);
    pthread_mutex_lock(&registry_lock);
    r->prev = NULL;
    r->next = registry;
    if (registry)
        registry->prev = r;
    registry = r;
    pthread_mutex_unlock(&registry_lock);
    r->registered = true;
}

/* Around fork(): no thread may be inside the registry while the process is
 * copied. */
static void registry_fork_prepare(void)
{
    pthread_mutex_lock(&registry_lock);
}

static void registry_fork_parent(void)
{
    pthread_mutex_unlock(&registry_lock);
}

/* In the child only the forking thread exists. The other records lie in the
 * TLS of threads that are gone, whose stacks glibc hands to the child's new
 * threads (it re-initialises their TLS): they must leave the registry, or a
 * new thread would link a record that is still in the list. Their scratch
 * buffers are lost. */
static void registry_fork_child(void)
{
    pthread_mutex_init(&registry_lock, NULL);
    tpool__thread_rec *self = &tpool__tl.rec;
    registry = NULL;
    if (self->registered) {
        self->prev = self->next = NULL;
        atomic_store_explicit(&self->inside, NULL, memory_order_relaxed);
        registry = self;
    }
}

/* ---- fork ------------------------------------------------------------------
 *
 * The process-wide locks (the loader's and the thread registry's) are taken
 * before fork() copies the process, so that the child never inherits one
 * held by a thread it does not have; the parent releases them, the child
 * re-initialises them, resets the registry and bumps tpool__fork_gen, which
 * marks every pool and group that existed at the fork as inherited
 * (tpool__forked). Pools need no list for it: each compares its own
 * fork_gen, on a read-mostly line, with that global, which only a forked
 * child writes (submit does so; the other checks are on slow paths). The
 * pools' own locks (range.lock, group locks, the policy's) are not taken in
 * prepare: an inherited pool is never used in the child, only freed.
 */
unsigned tpool__fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
    tpool__loader_fork_prepare();
    registry_fork_prepare();
}

static void fork_parent(void)
{
    registry_fork_parent();
    tpool__loader_fork_parent();
}

static void fork_child(void)
{
    registry_fork_child();
    tpool__loader_fork_child();
    tpool__fork_gen++;
}

static void fork_register(void)
{
    /* Fails only without memory; the child then keeps the locks as the
     * fork found them, as before this handler existed. */
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void tpool__fork_init(void)
{
    pthread_once(&fork_once, fork_register);
}

/* ---- the gate ------------------------------------------------------------- */

static bool gate_open(void *arg)
{
    struct tpool *p = arg;
    return atomic_load(&p->gate.switching) == 0;
}

/* Waits outside the gate until the switch is over: spinning by the pool's
 * rule, then parked on the gate's event (park.h). */
void tpool__enter_slow(struct tpool *p, tpool__thread_rec *r)
{
    do {
        atomic_store_explicit(&r->inside, NULL, memory_order_release);
        tpool__spin spin;
        tpool__spin_init(&spin, p->mode.spin_ns, 0);
        tpool__event_wait(&p->gate.event, gate_open, p, &spin);
        atomic_store(&r->inside, p);
    } while (atomic_load(&p->gate.switching));
}

/* Closes the gate and returns once no thread is inside a policy op of p. */
void tpool__gate_close(struct tpool *p)
{
    atomic_store(&p->gate.switching, 1);
    pthread_mutex_lock(&registry_lock);
    for (tpool__thread_rec *r = registry; r; r = r->next)
        for (unsigned turn = 0; atomic_load(&r->inside) == p;)
            tpool__backoff(&turn); /* a policy op is short */
    pthread_mutex_unlock(&registry_lock);
}

void tpool__gate_open(struct tpool *p)
{
    atomic_store(&p->gate.switching, 0);
    tpool__event_wake(&p->gate.event, INT_MAX);
}

