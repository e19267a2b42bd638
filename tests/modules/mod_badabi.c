/* mod_badabi.c - built for a future major ABI version (99.0). */
#include "mod_common.h"

static const tpool_policy badabi_policy = {
    .abi_version = (99u << 16) | 0u,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_badabi",
    MOD_OPS,
};

TPOOL_POLICY_DEFINE(badabi_policy)
