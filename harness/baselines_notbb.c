/* baselines_notbb.c - stands in for baselines_tbb.cc when configure found
 * no oneTBB (or no C++ compiler): the tbb-* baselines are reported as not
 * built. */
#include "baselines_tbb.h"

int bench_tbb_available(void)
{
    return 0;
}

const char *bench_tbb_version(void)
{
    return "";
}

void *bench_tbb_create(unsigned threads)
{
    (void)threads;
    return NULL;
}

void bench_tbb_destroy(void *arena)
{
    (void)arena;
}

int bench_tbb_range(void *arena, int mode, size_t grain, size_t n,
                    void (*fn)(void *ctx, size_t begin, size_t end, unsigned slot), void *ctx)
{
    (void)arena, (void)mode, (void)grain, (void)n, (void)fn, (void)ctx;
    return -1;
}

int bench_tbb_run(void *arena, int (*fn)(void *arg), void *arg)
{
    (void)arena, (void)fn, (void)arg;
    return -1;
}

void *bench_tbb_group_create(void)
{
    return NULL;
}

int bench_tbb_submit(void *group, void (*fn)(void *arg), void *arg)
{
    (void)group, (void)fn, (void)arg;
    return -1;
}

int bench_tbb_group_wait(void *group)
{
    (void)group;
    return -1;
}
