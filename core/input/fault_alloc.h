/*
 * fault_alloc.h - sends a core file's allocation calls through the fault
 * point (fault.h), so that tests/check_faults.c can fail each one in turn.
 * Include it after every system header of the file. free() is untouched.
 */
#ifndef TPOOL_CORE_FAULT_ALLOC_H
#define TPOOL_CORE_FAULT_ALLOC_H

#include <stdlib.h>
#include <string.h>

#include "fault.h"

static inline void *tpool__fault_malloc(size_t n)
{
    return tpool__fault(TPOOL__FAULT_ALLOC) ? NULL : malloc(n);
}

static inline void *tpool__fault_calloc(size_t n, size_t size)
{
    return tpool__fault(TPOOL__FAULT_ALLOC) ? NULL : calloc(n, size);
}

static inline void *tpool__fault_realloc(void *p, size_t n)
{
    return tpool__fault(TPOOL__FAULT_ALLOC) ? NULL : realloc(p, n);
}

static inline void *tpool__fault_aligned_alloc(size_t align, size_t n)
{
    return tpool__fault(TPOOL__FAULT_ALLOC) ? NULL : aligned_alloc(align, n);
}

static inline char *tpool__fault_strdup(const char *s)
{
    return tpool__fault(TPOOL__FAULT_ALLOC) ? NULL : strdup(s);
}

static inline char *tpool__fault_strndup(const char *s, size_t n)
{
    return tpool__fault(TPOOL__FAULT_ALLOC) ? NULL : strndup(s, n);
}

#undef strdup
#undef strndup
#define malloc(n) tpool__fault_malloc(n)
#define calloc(n, size) tpool__fault_calloc(n, size)
#define realloc(p, n) tpool__fault_realloc(p, n)
#define aligned_alloc(align, n) tpool__fault_aligned_alloc(align, n)
#define strdup(s) tpool__fault_strdup(s)
#define strndup(s, n) tpool__fault_strndup(s, n)

#endif
