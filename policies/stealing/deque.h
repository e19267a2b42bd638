/*
 * deque.h - a growable Chase-Lev work-stealing deque of pointers.
 *
 * One owner pushes and takes at the bottom; any number of thieves steal at
 * the top. The memory orders are those of Lê, Pop, Cohen and Zappa Nardelli,
 * "Correct and Efficient Work-Stealing for Weak Memory Models" (PPoPP 2013),
 * with two deliberate strengthenings so that ThreadSanitizer, which does not
 * model standalone fences, sees every happens-before edge the algorithm
 * relies on (both are free on x86 and cost at most one barrier elsewhere):
 *   - push publishes `bottom` with a release store instead of a release
 *     fence followed by a relaxed store;
 *   - a thief reads `array` with acquire instead of consume.
 * The seq_cst fences of take and steal stay: they order the owner's store
 * of `bottom` against its load of `top` (and the thief's load of `top`
 * against its load of `bottom`), which no load/store order can express.
 *
 * Arrays that a grow replaces are kept on a list until the deque is
 * destroyed, because a thief may still read from one; the list never holds
 * more cells than the current array (sizes double).
 */
#ifndef TPOOL_STEALING_DEQUE_H
#define TPOOL_STEALING_DEQUE_H

#include <stdatomic.h>
#include <stdint.h>

#include "tpool-policy.h"

typedef struct stealing_array {
    int64_t size;                  /* a power of two; immutable once published */
    struct stealing_array *retired;/* the array this one replaced, or NULL */
    _Atomic(void *) cell[];
} stealing_array;

typedef struct stealing_deque {
    /* Thieves: CAS (seq_cst); the owner CASes it only for the last item. */
    _Alignas(TPOOL_CACHELINE) _Atomic int64_t top;
    /* Owner: written by the owner only; read by thieves (acquire). */
    _Alignas(TPOOL_CACHELINE) _Atomic int64_t bottom;
    /* Owner: replaced by grow (release); thieves load it (acquire). */
    _Atomic(stealing_array *) array;
} stealing_deque;

/* What stealing_deque_steal found. */
enum { STEALING_EMPTY = 0, STEALING_ABORT = 1, STEALING_GOT = 2 };

/* Initialises an empty deque with 2^log_size cells. Returns 0 or -1 (ENOMEM). */
int stealing_deque_init(stealing_deque *d, unsigned log_size);
/* Frees the array and every retired one. No thread may use d any more. */
void stealing_deque_destroy(stealing_deque *d);

/* Owner only. Returns 0, or -1 when the deque is full and cannot grow
 * (x was not queued). */
int stealing_deque_push(stealing_deque *d, void *x);
/* Owner only. The most recently pushed item, or NULL when empty. */
void *stealing_deque_take(stealing_deque *d);
/* Any thread. STEALING_GOT with the oldest item in *x, STEALING_EMPTY, or
 * STEALING_ABORT when another thread won the race for the item. */
int stealing_deque_steal(stealing_deque *d, void **x);

/* A hint, exact for the owner: no item is queued. Two relaxed loads, no
 * fence, no write: for spinning threads. A thread other than the owner may
 * see "empty" for a deque whose push has not returned yet; a push that has
 * returned is seen by a worker's last pop before it sleeps, because the
 * core fences after the push and before that pop. */
static inline int stealing_deque_looks_empty(stealing_deque *d)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    return b <= t;
}

#endif
