/* mod_hugeparams.c - a parameter table of one entry that declares 10^8
 * (nparams typed wrong, or a stale count): reading the table as declared
 * runs far past its end. The loader must refuse the count, not read it. */
#include "mod_common.h"

static const tpool_param_desc huge_params[] = {
    { .name = "depth", .type = TPOOL_PARAM_INT, .imin = 1, .imax = 100, .idefault = 4 },
};

static const tpool_policy huge_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_hugeparams",
    .params = huge_params,
    .nparams = 100000000,
    MOD_OPS,
};

TPOOL_POLICY_DEFINE(huge_policy)
