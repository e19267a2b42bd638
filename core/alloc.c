/*
 * alloc.c - the library's allocator (alloc.h): the C library's, behind the
 * allocation fault point. The only core file that calls it directly.
 */
#define _GNU_SOURCE
#include "alloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

/* A failure set by the fault point looks like the C library's: errno too. */
static bool must_fail(void)
{
    if (!tpool__fault(TPOOL__FAULT_ALLOC))
        return false;
    errno = ENOMEM;
    return true;
}

void *tpool__malloc(size_t size)
{
    return must_fail() ? NULL : malloc(size);
}

void *tpool__calloc(size_t n, size_t size)
{
    return must_fail() ? NULL : calloc(n, size);
}

void *tpool__realloc(void *ptr, size_t size)
{
    return must_fail() ? NULL : realloc(ptr, size);
}

void *tpool__aligned_alloc(size_t alignment, size_t size)
{
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
        return NULL;
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - (alignment - 1))
        return NULL;
    size = (size + alignment - 1) & ~(alignment - 1);
    void *ptr = NULL;
    if (must_fail() || posix_memalign(&ptr, alignment, size) != 0)
        return NULL;
    return ptr;
}

char *tpool__strdup(const char *s)
{
    return must_fail() ? NULL : strdup(s);
}

char *tpool__strndup(const char *s, size_t n)
{
    return must_fail() ? NULL : strndup(s, n);
}

char *tpool__json_dumps(const json_t *json, size_t flags)
{
    char *s = json_dumps(json, flags);
    if (!s)
        return NULL;
    char *ours = tpool__strdup(s);
    json_free_t jfree;
    json_get_alloc_funcs(NULL, &jfree);
    jfree(s);
    return ours;
}

char *tpool__getcwd(void)
{
    for (size_t size = 256;; size *= 2) {
        char *buf = tpool__malloc(size);
        if (!buf || getcwd(buf, size))
            return buf;
        int e = errno;
        tpool__free(buf);
        if (e != ERANGE || size > SIZE_MAX / 2)
            return NULL;
    }
}

void tpool__free(void *ptr)
{
    free(ptr);
}
