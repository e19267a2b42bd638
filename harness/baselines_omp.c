/*
 * baselines_omp.c - the OpenMP baselines (gcc's libgomp), compiled with
 * $(OPENMP_CFLAGS). Parallel-for workloads use `parallel for` with the
 * schedule chosen at run time; task workloads use `omp task`.
 */
#include <omp.h>
#include <stdio.h>

#include "bench.h"

int bench_omp_available(void)
{
    return 1;
}

const char *bench_omp_version(void)
{
#define STR2(x) #x
#define STR(x) STR2(x)
    return STR(_OPENMP);
}

int bench_omp_range(int sched, int chunk, unsigned threads, size_t n,
                    void (*fn)(void *ctx, size_t begin, size_t end, unsigned slot), void *ctx)
{
    omp_sched_t kind = sched == BENCH_OMP_DYNAMIC  ? omp_sched_dynamic
                       : sched == BENCH_OMP_GUIDED ? omp_sched_guided
                                                   : omp_sched_static;
    if (sched == BENCH_OMP_TASK)
        return -1;
    /* The body gets each thread's whole share of a static schedule, or each
     * chunk of a dynamic one, as a compiled `omp for` would run it inline:
     * calling it once per item would charge OpenMP an indirect call per item
     * that tpool (which hands out ranges) does not pay. Static without a
     * chunk is libgomp's split: the first n % T threads get one item more.
     * Guided hands out chunks of varying size that `omp for` does not
     * expose, so it stays per item (see docs/harness.md). */
    if (sched == BENCH_OMP_STATIC && chunk <= 0) {
#pragma omp parallel num_threads(threads)
        {
            size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
            size_t q = n / nt, r = n % nt;
            size_t begin = t * q + (t < r ? t : r);
            size_t end = begin + q + (t < r);
            if (begin < end)
                fn(ctx, begin, end, (unsigned)t);
        }
        return 0;
    }
    if (sched != BENCH_OMP_GUIDED) {
        size_t c = chunk > 0 ? (size_t)chunk : 1;
        long long nchunks = (long long)((n + c - 1) / c);
        omp_set_schedule(kind, 1);
#pragma omp parallel for num_threads(threads) schedule(runtime)
        for (long long k = 0; k < nchunks; k++) {
            size_t begin = (size_t)k * c, end = begin + c < n ? begin + c : n;
            fn(ctx, begin, end, (unsigned)omp_get_thread_num());
        }
        return 0;
    }
    omp_set_schedule(kind, chunk);
    long long nn = (long long)n;
#pragma omp parallel for num_threads(threads) schedule(runtime)
    for (long long i = 0; i < nn; i++)
        fn(ctx, (size_t)i, (size_t)i + 1, (unsigned)omp_get_thread_num());
    return 0;
}

int bench_omp_tasks(unsigned threads, unsigned producers, size_t n,
                    void (*before)(void *ctx, size_t i), void (*task)(void *ctx, size_t i),
                    void *ctx)
{
    if (producers <= 1) {
#pragma omp parallel num_threads(threads)
#pragma omp single
        for (size_t i = 0; i < n; i++) {
            before(ctx, i);
#pragma omp task firstprivate(i)
            task(ctx, i);
        }
        return 0;
    }
    long long np = producers;
#pragma omp parallel num_threads(threads)
#pragma omp for schedule(static, 1)
    for (long long p = 0; p < np; p++) {
        size_t lo = n * (size_t)p / (size_t)np, hi = n * (size_t)(p + 1) / (size_t)np;
        for (size_t i = lo; i < hi; i++) {
            before(ctx, i);
#pragma omp task firstprivate(i)
            task(ctx, i);
        }
    }
    return 0;
}

static uint64_t tree(unsigned depth, unsigned fanout, uint64_t index,
                     uint64_t (*leaf)(void *, uint64_t), void *ctx)
{
    if (depth == 0)
        return leaf(ctx, index);
    uint64_t v[16] = { 0 };
    for (unsigned k = 1; k < fanout && k < 16; k++) {
#pragma omp task shared(v) firstprivate(k)
        v[k] = tree(depth - 1, fanout, index * fanout + k, leaf, ctx);
    }
    v[0] = tree(depth - 1, fanout, index * fanout, leaf, ctx);
#pragma omp taskwait
    uint64_t sum = 0;
    for (unsigned k = 0; k < fanout && k < 16; k++)
        sum += v[k];
    return sum;
}

int bench_omp_tree(unsigned threads, unsigned depth, unsigned fanout,
                   uint64_t (*leaf)(void *ctx, uint64_t index), void *ctx, uint64_t *result)
{
    if (fanout > 16)
        return -1;
    uint64_t r = 0;
#pragma omp parallel num_threads(threads)
#pragma omp single
    r = tree(depth, fanout, 0, leaf, ctx);
    *result = r;
    return 0;
}
