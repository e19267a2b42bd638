/*
 * util.c - the Caffe2-style utilities: a blocking counter, cache-line
 * aligned allocation, and per-thread scratch memory.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>

#include "alloc.h"
#include "pool.h"

/* ---- blocking counter --------------------------------------------------------- */

struct tpool_counter {
    /* Decremented by every event (acq_rel: the last one sees the others'
     * writes and publishes them through `done`). */
    TPOOL__ALIGNED tpool__a64 count;
    tpool__a32 done;     /* 1 once count reached 0 (seq_cst) */
    tpool__event zero;   /* waiters wait on it for done (park.h) */
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
    tpool__event_init(&c->zero);
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
    st_release(&c->done, n == 0);
}

int tpool_counter_decrement(tpool_counter *c)
{
    if (atomic_fetch_sub_explicit(&c->count, 1, memory_order_acq_rel) != 1)
        return 0;
    atomic_store(&c->done, 1);
    tpool__event_wake(&c->zero, INT_MAX);
    return 1;
}

static bool counter_done(void *arg)
{
    tpool_counter *c = arg;
    return atomic_load(&c->done) != 0;
}

/* A counter belongs to no pool: its waiters spin the default spin_us. */
void tpool_counter_wait(tpool_counter *c)
{
    tpool__spin spin;
    tpool__spin_init(&spin, (uint64_t)TPOOL_DEFAULT_SPIN_US * 1000u, 0);
    tpool__event_wait(&c->zero, counter_done, c, &spin);
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
