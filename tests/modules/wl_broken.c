/*
 * wl_broken.c - workload modules each broken in one way, for the loader's
 * tests; which way is chosen at compile time (tests/test-modules.mk):
 *   WL_NOENTRY      no entry symbol
 *   WL_BADABI       built for major version 2
 *   WL_NEWER        built for a newer minor version than tpool-bench's
 *   WL_SMALL        a descriptor smaller than its mandatory members
 *   WL_BADPARAMS    a parameter whose default is outside its range
 *   WL_NULLRUN      no run
 *   WL_BUILTIN      the name of a built-in workload
 *   WL_BADMETRIC    a metric without a unit
 *   WL_CRASH        setup dereferences a null pointer
 */
#include <stdint.h>
#include <stdlib.h>

#include "tpool-bench.h"

static const tpool_param_desc params[] = {
#ifdef WL_BADPARAMS
    TPOOL_BENCH_PARAM_INT("n", "tasks", 1, 10, 50),
#else
    TPOOL_BENCH_PARAM_INT("n", "tasks", 1, 10, 5),
#endif
};

static const tpool_bench_metric metrics[] = {
#ifdef WL_BADMETRIC
    { "things", NULL, "no unit" },
#else
    { "things", "things", "a metric" },
#endif
};

static int setup(const tpool_bench_env *env, void **state)
{
    (void)env;
#ifdef WL_CRASH
    /* a volatile store through a volatile pointer: the compiler keeps it */
    volatile int *volatile null = NULL;
    *null = 1;
#endif
    *state = NULL;
    return 0;
}

#ifndef WL_NULLRUN
static int run(void *state, const tpool_bench_exec *ex)
{
    (void)state, (void)ex;
    return 0;
}
#endif

static void teardown(void *state)
{
    (void)state;
}

static void metrics_read(void *state, const tpool_bench_exec *ex, double *out)
{
    (void)state, (void)ex;
    out[0] = 1;
}

static const tpool_bench_workload desc = {
#if defined(WL_BADABI)
    .abi_version = (2u << 16) | 0u,
#elif defined(WL_NEWER)
    .abi_version = (TPOOL_BENCH_ABI_MAJOR << 16) | (TPOOL_BENCH_ABI_MINOR + 1),
#else
    .abi_version = TPOOL_BENCH_ABI_VERSION,
#endif
#ifdef WL_SMALL
    .struct_size = offsetof(tpool_bench_workload, run),
#else
    .struct_size = sizeof(tpool_bench_workload),
#endif
#ifdef WL_BUILTIN
    .name = "uniform",
#else
    .name = "wl-broken",
#endif
    .params = params,
    .nparams = 1,
    .uses = TPOOL_BENCH_USES_RANGE,
    .setup = setup,
#ifndef WL_NULLRUN
    .run = run,
#endif
    .teardown = teardown,
    .metrics = metrics,
    .nmetrics = 1,
    .metrics_read = metrics_read,
};

#ifndef WL_NOENTRY
TPOOL_BENCH_WORKLOAD_DEFINE(desc)
#else
/* keeps the descriptor referenced without exporting an entry point */
const void *wl_broken_desc(void);
const void *wl_broken_desc(void)
{
    return &desc;
}
#endif
