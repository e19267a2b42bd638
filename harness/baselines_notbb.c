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

int bench_tbb_tasks(void *arena, unsigned producers, size_t n,
                    void (*before)(void *ctx, size_t i, unsigned producer),
                    void (*task)(void *ctx, size_t i), void *ctx)
{
    (void)arena, (void)producers, (void)n, (void)before, (void)task, (void)ctx;
    return -1;
}

int bench_tbb_tree(void *arena, unsigned depth, unsigned fanout,
                   uint64_t (*leaf)(void *ctx, uint64_t index), void *ctx, uint64_t *result)
{
    (void)arena, (void)depth, (void)fanout, (void)leaf, (void)ctx, (void)result;
    return -1;
}
