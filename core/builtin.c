/*
 * builtin.c - the table of policies linked into libtpool ("builtin:NAME").
 *
 * With configure's --enable-builtin-policies (the default) each shipped
 * policy is compiled a second time with -DTPOOL_POLICY_BUILTIN=NAME, which
 * turns its TPOOL_POLICY_DEFINE into the hidden tpool__builtin_NAME(). The
 * loader looks names up here, checks the descriptor exactly as it checks a
 * .so's, and the pool then calls the same ops without dlopen: the harness
 * runs "builtin:X" beside "X" to show what the plug-in boundary costs.
 */
#include <string.h>

#include "loader.h"
#include "tpool-build.h"

#ifdef TPOOL_BUILTIN_POLICIES
/* One entry per policy of configure's TPOOL_POLICIES. */
#define DECLARE(name) const tpool_policy *tpool__builtin_##name(void);
TPOOL_BUILTIN_LIST(DECLARE)
#undef DECLARE

static const tpool__builtin_policy table[] = {
#define ENTRY(name) { #name, tpool__builtin_##name },
    TPOOL_BUILTIN_LIST(ENTRY)
#undef ENTRY
};

size_t tpool__builtin_count(void)
{
    return sizeof table / sizeof table[0];
}

const tpool__builtin_policy *tpool__builtin_at(size_t i)
{
    return i < tpool__builtin_count() ? &table[i] : NULL;
}

const tpool__builtin_policy *tpool__builtin_find(const char *name)
{
    for (size_t i = 0; i < tpool__builtin_count(); i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

#else /* configure --disable-builtin-policies: an empty table */

size_t tpool__builtin_count(void)
{
    return 0;
}

const tpool__builtin_policy *tpool__builtin_at(size_t i)
{
    (void)i;
    return NULL;
}

const tpool__builtin_policy *tpool__builtin_find(const char *name)
{
    (void)name;
    return NULL;
}
#endif
