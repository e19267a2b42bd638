/* mod_nullname.c - has every op but no name. */
#include "mod_common.h"

static const tpool_policy nullname_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = NULL,
    MOD_OPS,
};

TPOOL_POLICY_DEFINE(nullname_policy)
