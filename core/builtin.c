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
const tpool_policy *tpool__builtin_fifo(void);
const tpool_policy *tpool__builtin_roundrobin(void);
const tpool_policy *tpool__builtin_priority(void);
const tpool_policy *tpool__builtin_stealing(void);
const tpool_policy *tpool__builtin_static(void);
const tpool_policy *tpool__builtin_dynamic(void);

static const tpool__builtin_policy table[] = {
    { "fifo", tpool__builtin_fifo },
    { "roundrobin", tpool__builtin_roundrobin },
    { "priority", tpool__builtin_priority },
    { "stealing", tpool__builtin_stealing },
    { "static", tpool__builtin_static },
    { "dynamic", tpool__builtin_dynamic },
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
