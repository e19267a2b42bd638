/* strset.c - a set of strings: open addressing with linear probing, FNV-1a
 * hashes, kept at most half full (see strset.h). */
#include "strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "tpool.h"

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* The slot holding s[0..len), or the free slot where it would go. */
static size_t find(const tpool__strset *set, const char *s, size_t len)
{
    size_t mask = set->cap - 1, i = (size_t)hash(s, len) & mask;
    while (set->slots[i]
           && !(strncmp(set->slots[i], s, len) == 0 && set->slots[i][len] == '\0'))
        i = (i + 1) & mask;
    return i;
}

static int grow(tpool__strset *set)
{
    size_t ncap = set->cap ? set->cap * 2 : 16;
    const char **old = set->slots;
    size_t ocap = set->cap;
    set->slots = tpool__calloc(ncap, sizeof *set->slots);
    if (!set->slots) {
        set->slots = old;
        return TPOOL_ENOMEM;
    }
    set->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i])
            set->slots[find(set, old[i], strlen(old[i]))] = old[i];
    tpool__free(old);
    return 0;
}

int tpool__strset_has(const tpool__strset *set, const char *s, size_t len)
{
    return set->cap && set->slots[find(set, s, len)] != NULL;
}

int tpool__strset_add(tpool__strset *set, const char *s)
{
    size_t len = strlen(s);
    if (tpool__strset_has(set, s, len))
        return 0;
    if (2 * (set->n + 1) > set->cap && grow(set) != 0)
        return TPOOL_ENOMEM;
    set->slots[find(set, s, len)] = s;
    set->n++;
    return 1;
}

void tpool__strset_free(tpool__strset *set)
{
    tpool__free(set->slots);
    memset(set, 0, sizeof *set);
}
