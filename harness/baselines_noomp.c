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

int bench_omp_run(unsigned threads, int (*fn)(void *arg), void *arg)
{
    (void)threads, (void)fn, (void)arg;
    return -1;
}

int bench_omp_submit(bench_task *t)
{
    (void)t;
    return -1;
}

int bench_omp_wait(void)
{
    return -1;
}
