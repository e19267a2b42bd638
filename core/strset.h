/* strset.h - a set of strings, for dropping repeats from lists that a
 * configuration can make arbitrarily long (the policy search path, the
 * policy files found on it) in linear time. */
#ifndef TPOOL_CORE_STRSET_H
#define TPOOL_CORE_STRSET_H

#include <stddef.h>

/* Zero-initialised means empty. The set keeps pointers to the strings it is
 * given, not copies: they must outlive it. */
typedef struct tpool__strset {
    const char **slots; /* open addressing; NULL = free */
    size_t cap;         /* a power of two, or 0 */
    size_t n;
} tpool__strset;

/* Adds `s` (NUL-terminated). Returns 1 when added, 0 when an equal string
 * is in the set already, TPOOL_ENOMEM when the set cannot grow. */
int tpool__strset_add(tpool__strset *set, const char *s);

/* True when a string equal to s[0..len) is in the set. */
int tpool__strset_has(const tpool__strset *set, const char *s, size_t len);

/* Frees the table (not the strings) and empties the set. */
void tpool__strset_free(tpool__strset *set);

#endif
