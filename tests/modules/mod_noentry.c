/* mod_noentry.c - a well-formed descriptor, exported under the wrong name:
 * a shared object, but not a tpool policy. */
#include "mod_common.h"

static const tpool_policy noentry_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_noentry",
    MOD_OPS,
};

TPOOL_POLICY_EXPORT const tpool_policy *not_the_entry(void);
const tpool_policy *not_the_entry(void) { return &noentry_policy; }
