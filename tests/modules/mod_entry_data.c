/* mod_entry_data.c - the descriptor itself exported under the entry name,
 * instead of a function returning a pointer to it (a mistake a first policy
 * makes): the symbol is a data object, and calling it would jump into data.
 * The loader must refuse it by its symbol type, before any call. */
#include "mod_common.h"

TPOOL_POLICY_EXPORT const tpool_policy TPOOL_POLICY_ENTRY;
const tpool_policy TPOOL_POLICY_ENTRY = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_entry_data",
    .description = "test module: the entry symbol is the descriptor, not a function",
    MOD_OPS,
};
