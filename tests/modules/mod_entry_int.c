/* mod_entry_int.c - an entry point with the wrong signature: it returns a
 * number (a version, say) where the loader expects a pointer. The loader must
 * refuse the value as unreadable instead of reading a descriptor from it. */
#include "mod_common.h"

TPOOL_POLICY_EXPORT uintptr_t TPOOL_POLICY_ENTRY(void);
uintptr_t TPOOL_POLICY_ENTRY(void)
{
    return 42;
}
