/*
 * deque.c - the Chase-Lev deque of deque.h (Lê et al., PPoPP 2013, Fig. 1).
 *
 * Indices are signed 64-bit and only grow (top) or move by one around the
 * current value (bottom), so take on an empty deque computes b = -1 < t
 * without wrapping, and 2^63 pushes are out of reach.
 */
#include "deque.h"

#include <stdlib.h>

static stealing_array *array_new(int64_t size)
{
    /* Zeroed: a thief that lost a race may read a cell never written. */
    stealing_array *a = calloc(1, sizeof *a + (size_t)size * sizeof a->cell[0]);
    if (a)
        a->size = size;
    return a;
}

int stealing_deque_init(stealing_deque *d, unsigned log_size)
{
    stealing_array *a = array_new((int64_t)1 << log_size);
    if (!a)
        return -1;
    atomic_init(&d->top, 0);
    atomic_init(&d->bottom, 0);
    atomic_init(&d->array, a);
    return 0;
}

void stealing_deque_destroy(stealing_deque *d)
{
    stealing_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    while (a) {
        stealing_array *older = a->retired;
        free(a);
        a = older;
    }
    atomic_store_explicit(&d->array, NULL, memory_order_relaxed);
}

/* Owner: doubles the array, copying the live cells [t, b). The old array
 * stays readable (retired) for thieves that loaded it before the switch. */
static stealing_array *grow(stealing_deque *d, stealing_array *a, int64_t t, int64_t b)
{
    stealing_array *n = array_new(a->size * 2);
    if (!n)
        return NULL;
    for (int64_t i = t; i < b; i++) {
        void *x = atomic_load_explicit(&a->cell[i & (a->size - 1)], memory_order_relaxed);
        atomic_store_explicit(&n->cell[i & (n->size - 1)], x, memory_order_relaxed);
    }
    n->retired = a;
    /* Release: a thief that loads the new array (acquire) sees its size and
     * the copied cells. */
    atomic_store_explicit(&d->array, n, memory_order_release);
    return n;
}

int stealing_deque_push(stealing_deque *d, void *x)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    stealing_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    if (b - t > a->size - 1) {
        a = grow(d, a, t, b);
        if (!a)
            return -1;
    }
    atomic_store_explicit(&a->cell[b & (a->size - 1)], x, memory_order_relaxed);
    /* The paper: release fence, relaxed store. A release store gives the
     * same guarantee to thieves (they acquire `bottom`) and TSan sees it. */
    atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
    return 0;
}

void *stealing_deque_take(stealing_deque *d)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed) - 1;
    stealing_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    atomic_store_explicit(&d->bottom, b, memory_order_relaxed);
    /* Orders the store of bottom before the load of top, against the
     * thieves' load of top before their load of bottom. */
    atomic_thread_fence(memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    void *x = NULL;
    if (t <= b) {
        x = atomic_load_explicit(&a->cell[b & (a->size - 1)], memory_order_relaxed);
        if (t == b) {
            /* The last item: race the thieves for it on top. */
            if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1,
                                                         memory_order_seq_cst,
                                                         memory_order_relaxed))
                x = NULL;
            atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
        }
    } else {
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
    }
    return x;
}

int stealing_deque_steal(stealing_deque *d, void **x)
{
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_acquire);
    if (t >= b)
        return STEALING_EMPTY;
    /* The paper reads the array with consume; acquire is what compilers
     * implement consume as, and TSan understands it. */
    stealing_array *a = atomic_load_explicit(&d->array, memory_order_acquire);
    void *item = atomic_load_explicit(&a->cell[t & (a->size - 1)], memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return STEALING_ABORT;
    *x = item;
    return STEALING_GOT;
}
