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

bool tpool__fault_slow(int kind)
{
    if (!armed_here || kind < 0 || kind >= TPOOL__FAULT_KINDS)
        return false;
    long n = ++seen[kind];
    return kind == armed_kind && n == fail_at;
}

static void *json_malloc_fault(size_t n)
{
    return tpool__fault(TPOOL__FAULT_ALLOC) ? NULL : malloc(n);
}

void tpool__test_fault_arm(int kind, long nth)
{
    for (int k = 0; k < TPOOL__FAULT_KINDS; k++)
        seen[k] = 0;
    armed_kind = kind;
    fail_at = nth;
    armed_here = true;
    json_get_alloc_funcs(&saved_json_malloc, &saved_json_free);
    /* free stays free: blocks from before and after arming mix safely. */
    json_set_alloc_funcs(json_malloc_fault, free);
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
