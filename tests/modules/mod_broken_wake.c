/* mod_broken_wake.c - a FIFO whose push always answers TPOOL_WAKE_NONE, so
 * a sleeping worker is never woken for the work it could pop (tasks run only
 * when some thread happens to pop): tpool-conformance's wake check must say
 * so. */
#include "mod_common.h"

static int nowake_push(void *state, tpool_task *t, unsigned from)
{
    mod_push(state, t, from);
    return TPOOL_WAKE_NONE; /* the bug: every worker can pop it, none is woken */
}

static const tpool_policy nowake_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_broken_wake",
    .description = "test module: push never asks for a wake-up",
    .create = mod_create,
    .destroy = mod_destroy,
    .push = nowake_push,
    .pop = mod_pop,
};

TPOOL_POLICY_DEFINE(nowake_policy)
