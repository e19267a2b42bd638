/* mod_nullop.c - forgets the mandatory pop. */
#include "mod_common.h"

static const tpool_policy nullop_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_nullop",
    .create = mod_create,
    .destroy = mod_destroy,
    .push = mod_push,
    .pop = NULL,
};

TPOOL_POLICY_DEFINE(nullop_policy)
