/* mod_newminor.c - built for the next minor ABI version: it could read
 * members of the core's structs that this core does not have. */
#include "mod_common.h"

static const tpool_policy newminor_policy = {
    .abi_version = (TPOOL_POLICY_ABI_MAJOR << 16) | (TPOOL_POLICY_ABI_MINOR + 1),
    .struct_size = sizeof(tpool_policy),
    .name = "mod_newminor",
    MOD_OPS,
};

TPOOL_POLICY_DEFINE(newminor_policy)
