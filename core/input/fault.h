/*
 * fault.h - fault injection for the reliability tests: NOT API.
 *
 * The core asks tpool__fault(kind) at each allocation (the library's
 * allocator, alloc.h, asks it for every block) and at each thread creation
 * that the fault tests cover, and fails that call when the answer is true.
 * Disarmed, which is always the case outside tests/check_faults.c, the
 * check is one predictable branch on a read-mostly global.
 *
 * Test API (internal, in libtpool_core only, not exported by libtpool):
 * tpool__test_fault_arm(kind, nth) makes the nth event of `kind` on the
 * calling thread fail (nth >= 1), or only counts them (nth == 0); jansson's
 * allocations count as TPOOL__FAULT_ALLOC while armed (json_set_alloc_funcs).
 * Events on other threads are not counted, so a count is deterministic.
 * tpool__test_fault_count(kind) returns the events seen since arming, and
 * tpool__test_fault_disarm() stops it all. One armed thread at a time.
 */
#ifndef TPOOL_CORE_FAULT_H
#define TPOOL_CORE_FAULT_H

#include <stdatomic.h>
#include <stdbool.h>

enum tpool__fault_kind {
    TPOOL__FAULT_ALLOC = 0,  /* every allocation (alloc.h), a policy's create */
    TPOOL__FAULT_THREAD = 1, /* pthread_create of a worker: fails with EAGAIN */
    TPOOL__FAULT_KINDS
};

extern atomic_int tpool__fault_on; /* nonzero while armed */
bool tpool__fault_slow(int kind);

/* Whether the operation at this fault point must fail. */
static inline bool tpool__fault(int kind)
{
    if (__builtin_expect(atomic_load_explicit(&tpool__fault_on, memory_order_relaxed) != 0, 0))
        return tpool__fault_slow(kind);
    return false;
}

void tpool__test_fault_arm(int kind, long nth);
long tpool__test_fault_count(int kind);
void tpool__test_fault_disarm(void);

#endif
