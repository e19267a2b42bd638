/*
 * mod_prefix.c - a descriptor whose struct_size covers only part of it, as
 * if built against an older header: every optional member is set in memory,
 * but the loader must copy only what struct_size covers and zero the rest.
 *
 * struct_size is the mandatory prefix (up to pop) unless the environment
 * variable MOD_PREFIX_SIZE gives another value, so one module serves a table
 * of sizes; the entry point reads it at every load (tests only: this write
 * to a shared descriptor is not thread-safe).
 */
#include <stddef.h>

#include "mod_common.h"

static void prefix_range_begin(void *state, const tpool_range_job *job)
{
    (void)state;
    (void)job;
}

static int prefix_range_next(void *state, unsigned p, size_t *begin, size_t *end)
{
    (void)state;
    (void)p;
    (void)begin;
    (void)end;
    return 0;
}

static void prefix_range_end(void *state) { (void)state; }

static size_t prefix_range_grain(void *state, const tpool_range_job *job)
{
    (void)state;
    (void)job;
    return 1;
}

static int prefix_resize(void *state, const tpool_policy_env *env)
{
    (void)state;
    (void)env;
    return 0;
}

static const char *const prefix_stat_names[] = { "pushes", NULL };

static tpool_policy prefix_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = offsetof(tpool_policy, range_begin),
    .name = "mod_prefix",
    MOD_OPS,
    .range_begin = prefix_range_begin,
    .range_next = prefix_range_next,
    .range_end = prefix_range_end,
    .range_grain = prefix_range_grain,
    .resize = prefix_resize,
    .stat_names = prefix_stat_names,
    .stats_read = mod_stats_read,
    .stats_reset = mod_stats_reset,
};

TPOOL_POLICY_EXPORT const tpool_policy *TPOOL_POLICY_ENTRY(void);
const tpool_policy *TPOOL_POLICY_ENTRY(void)
{
    const char *s = getenv("MOD_PREFIX_SIZE");
    prefix_policy.struct_size =
        s ? (uint32_t)strtoul(s, NULL, 10) : (uint32_t)offsetof(tpool_policy, range_begin);
    return &prefix_policy;
}
