/*
 * util.c - the Caffe2-style utilities: a blocking counter, cache-line
 * aligned allocation, and per-thread scratch memory.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "alloc.h"
#include "clock.h"
#include "pool.h"

/* ---- blocking counter --------------------------------------------------------- */

/* How long a waiter spins before it sleeps: long enough to catch events that
 * are a few microseconds away, short next to a futex round trip on an idle
 * CPU (about 100 us). */
#define COUNTER_SPIN_NS 50000u

struct tpool_counter {
    /* Decremented by every event (acq_rel: the last one sees the others'
     * writes and publishes them through `done`). */
    TPOOL__ALIGNED tpool__a64 count;
    tpool__a32 done;    /* futex word: 1 once count reached 0 (seq_cst) */
    tpool__a32 waiting; /* 1 once a waiter may sleep on `done` (seq_cst) */
};
_Static_assert(_Alignof(struct tpool_counter) == TPOOL__CACHELINE,
               "the counter is hot: it gets a cache line of its own");

int tpool_counter_create(size_t n, tpool_counter **out)
{
    if (!out)
        return TPOOL_EINVAL;
    struct tpool_counter *c = tpool__aligned_alloc(TPOOL__CACHELINE, sizeof *c);
    if (!c)
        return TPOOL_ENOMEM;
    atomic_init(&c->count, 0);
    atomic_init(&c->done, 0);
    atomic_init(&c->waiting, 0);
    tpool_counter_reset(c, n);
    *out = c;
    return 0;
}

void tpool_counter_destroy(tpool_counter *c)
{
    tpool__free(c);
}

void tpool_counter_reset(tpool_counter *c, size_t n)
{
    st_relaxed(&c->count, n);
    st_relaxed(&c->waiting, 0);
    st_release(&c->done, n == 0);
}

int tpool_counter_decrement(tpool_counter *c)
{
    if (atomic_fetch_sub_explicit(&c->count, 1, memory_order_acq_rel) != 1)
        return 0;
    /* Dekker with tpool_counter_wait: it stores `waiting` and then reads
     * `done`; here `done` is stored and then `waiting` read. */
    atomic_store(&c->done, 1);
    if (atomic_load(&c->waiting))
        tpool__futex_wake_all(&c->done);
    return 1;
}

void tpool_counter_wait(tpool_counter *c)
{
    uint64_t deadline = 0;
    for (unsigned i = 1; ld_acquire(&c->done) == 0; i++) {
        tpool__cpu_relax();
        if ((i & 63u) != 0)
            continue;
        uint64_t now = tpool__now_ns();
        if (deadline == 0)
            deadline = now + COUNTER_SPIN_NS;
        else if (now >= deadline)
            break;
    }
    if (ld_acquire(&c->done))
        return;
    atomic_store(&c->waiting, 1);
    while (atomic_load(&c->done) == 0)
        tpool__futex_wait(&c->done, 0);
}

/* ---- aligned allocation ------------------------------------------------------- */

void *tpool_aligned_alloc(size_t alignment, size_t size)
{
    if (alignment == 0)
        alignment = TPOOL_CACHELINE;
    if ((alignment & (alignment - 1)) != 0)
        return NULL;
    if (alignment < sizeof(void *))
        alignment = sizeof(void *); /* the allocator's minimum */
    return tpool__aligned_alloc(alignment, size);
}

void tpool_aligned_free(void *ptr)
{
    tpool__free(ptr);
}

/* ---- per-thread scratch ---------------------------------------------------------- */

/* The buffer hangs off the thread's gate record (pool.h), whose registry
 * frees it when the thread exits. */
void *tpool_scratch(tpool *pool, size_t size)
{
    (void)pool;
    tpool__thread_rec *r = &tpool__tl.rec;
    if (!r->registered)
        tpool__rec_register(r);
    if (r->scratch && size <= r->scratch_size)
        return r->scratch;
    if (size > SIZE_MAX - (TPOOL_CACHELINE - 1))
        return NULL;
    size_t cap = size ? (size + TPOOL_CACHELINE - 1) & ~(size_t)(TPOOL_CACHELINE - 1)
                      : TPOOL_CACHELINE;
    void *b = tpool_aligned_alloc(TPOOL_CACHELINE, cap);
    if (!b)
        return NULL;
    tpool__free(r->scratch);
    r->scratch = b;
    r->scratch_size = cap;
    return b;
}
