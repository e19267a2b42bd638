/* mod_entry_struct.c - an entry point with the wrong signature: it returns
 * the descriptor by value, not a pointer to it. The caller passes no hidden
 * return buffer, so the entry writes through whatever the register holds and
 * crashes inside the module, before the loader sees any result. Nothing in
 * the file says so (ELF has no types): the tools that load modules must
 * survive it (tpool-info, tpool-conformance load in a child process). */
#include "mod_common.h"

static const tpool_policy struct_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_entry_struct",
    MOD_OPS,
};

TPOOL_POLICY_EXPORT tpool_policy TPOOL_POLICY_ENTRY(void);
tpool_policy TPOOL_POLICY_ENTRY(void)
{
    return struct_policy;
}
