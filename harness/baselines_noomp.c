/* baselines_noomp.c - stands in for baselines_omp.c when the compiler has
 * no OpenMP: the OpenMP baselines are reported as unavailable. */
#include "bench.h"

int bench_omp_available(void)
{
    return 0;
}

const char *bench_omp_version(void)
{
    return "";
}

int bench_omp_range(int sched, int chunk, unsigned threads, size_t n,
                    void (*fn)(void *ctx, size_t begin, size_t end, unsigned slot), void *ctx)
{
    (void)sched, (void)chunk, (void)threads, (void)n, (void)fn, (void)ctx;
    return -1;
}

int bench_omp_tasks(unsigned threads, unsigned producers, size_t n,
                    void (*before)(void *ctx, size_t i, unsigned producer),
                    void (*task)(void *ctx, size_t i),
                    void *ctx)
{
    (void)threads, (void)producers, (void)n, (void)before, (void)task, (void)ctx;
    return -1;
}

int bench_omp_tree(unsigned threads, unsigned depth, unsigned fanout,
                   uint64_t (*leaf)(void *ctx, uint64_t index), void *ctx, uint64_t *result)
{
    (void)threads, (void)depth, (void)fanout, (void)leaf, (void)ctx, (void)result;
    return -1;
}
