/*
 * alloc.c - the library's allocator (alloc.h): the C library's, behind the
 * allocation fault point. The only core file that calls it directly.
 */
#define _GNU_SOURCE
#include "alloc.h"

#include <errno.h>
#include <stdbool.h>
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

/* The text so far; `failed` once any piece could not be stored. */
struct dump_buf {
    char *s;
    size_t len, cap;
    bool failed;
};

static int dump_piece(const char *piece, size_t size, void *data)
{
    struct dump_buf *b = data;
    if (b->failed)
        return -1;
    if (size >= b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (size >= cap - b->len && cap <= SIZE_MAX / 2)
            cap *= 2;
        char *grown = size < cap - b->len ? tpool__realloc(b->s, cap) : NULL;
        if (!grown) {
            b->failed = true;
            return -1;
        }
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, piece, size);
    b->len += size;
    b->s[b->len] = '\0';
    return 0;
}

/* Through json_dump_callback rather than json_dumps: jansson (2.14) does
 * not check every write of its own buffer (an object's key), so under
 * memory pressure json_dumps can return truncated, invalid JSON. Here a
 * failed write fails the whole dump. */
char *tpool__json_dumps(const json_t *json, size_t flags)
{
    struct dump_buf b = { NULL, 0, 0, false };
    if (json_dump_callback(json, dump_piece, &b, flags) != 0 || b.failed || !b.s) {
        tpool__free(b.s);
        return NULL;
    }
    return b.s;
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
