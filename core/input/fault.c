/*
 * fault.c - the fault points' armed state (fault.h). Test-only behaviour:
 * nothing here runs unless tests/check_faults.c arms it.
 */
#include "fault.h"

#include <jansson.h>
#include <stdlib.h>

atomic_int tpool__fault_on;

/* Owned by the armed thread: only it counts and fails. */
static _Thread_local bool armed_here;
static int armed_kind;
static long fail_at; /* 0: count only */
static long seen[TPOOL__FAULT_KINDS];
static json_malloc_t saved_json_malloc;
static json_free_t saved_json_free;

/* jansson's allocator while armed: the fault point, then the allocator
 * jansson had. */
static void *json_malloc_faulty(size_t size)
{
    return tpool__fault(TPOOL__FAULT_ALLOC) ? NULL : saved_json_malloc(size);
}

bool tpool__fault_slow(int kind)
{
    if (!armed_here || kind < 0 || kind >= TPOOL__FAULT_KINDS)
        return false;
    long n = ++seen[kind];
    return kind == armed_kind && n == fail_at;
}

void tpool__test_fault_arm(int kind, long nth)
{
    for (int k = 0; k < TPOOL__FAULT_KINDS; k++)
        seen[k] = 0;
    armed_kind = kind;
    fail_at = nth;
    if (!armed_here) {
        /* jansson's allocations pass the allocation fault point too (its
         * own allocator behind it); free stays jansson's. Saved once: arming
         * again must not save the faulty allocator as jansson's own. */
        json_get_alloc_funcs(&saved_json_malloc, &saved_json_free);
        json_set_alloc_funcs(json_malloc_faulty, saved_json_free);
    }
    armed_here = true;
    atomic_store(&tpool__fault_on, 1);
}

long tpool__test_fault_count(int kind)
{
    return kind >= 0 && kind < TPOOL__FAULT_KINDS ? seen[kind] : 0;
}

void tpool__test_fault_disarm(void)
{
    atomic_store(&tpool__fault_on, 0);
    if (armed_here)
        json_set_alloc_funcs(saved_json_malloc, saved_json_free);
    armed_here = false;
}
