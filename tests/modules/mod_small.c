/* mod_small.c - claims a 16-byte descriptor: too small for the mandatory
 * members, as if built against a header that never existed. */
#include "mod_common.h"

static const tpool_policy small_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = 16,
    .name = "mod_small",
    MOD_OPS,
};

TPOOL_POLICY_DEFINE(small_policy)
