/*
 * alloc.h - the library's allocator: NOT API.
 *
 * Every block the core allocates comes from these functions and goes back
 * through tpool__free, for two reasons. Each allocation asks the allocation
 * fault point (fault.h) first, so the fault tests can fail any allocation of
 * the library and no file can forget to; and the allocator is chosen in one
 * place (alloc.c). tests/alloc_check.sh fails `make check` when another core
 * file calls the C library's allocator (or a function that returns a block
 * to free()) itself.
 *
 * Each returns NULL on failure, the fault point's included; tpool__realloc
 * then leaves the old block as it was. The blocks are the C library's: the
 * public API lets a caller release some with free() (tpool_config_resolve's
 * JSON), so another allocator must keep free() able to release them.
 */
#ifndef TPOOL_CORE_ALLOC_H
#define TPOOL_CORE_ALLOC_H

#include <jansson.h>
#include <stddef.h>

void *tpool__malloc(size_t size);
void *tpool__calloc(size_t n, size_t size);
void *tpool__realloc(void *ptr, size_t size);
/* `alignment` a power of two, at least sizeof(void *); the size is rounded
 * up to a multiple of it (0 counts as 1), NULL where that overflows. */
void *tpool__aligned_alloc(size_t alignment, size_t size);
char *tpool__strdup(const char *s);
char *tpool__strndup(const char *s, size_t n);
/* json_dumps into a block of this allocator; NULL unless all of it was written. */
char *tpool__json_dumps(const json_t *json, size_t flags);
/* The current directory, as getcwd(NULL, 0) but from this allocator. */
char *tpool__getcwd(void);
void tpool__free(void *ptr);

#endif
