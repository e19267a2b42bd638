/*
 * baselines_omp.c - the OpenMP baselines (gcc's libgomp), compiled with
 * $(OPENMP_CFLAGS). Parallel-for workloads use `parallel for` with the
 * schedule chosen at run time; task workloads use `omp task`.
 */
#include <omp.h>
#include <stdbool.h>
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

/*
 * libgomp's loop ABI: what gcc emits for `#pragma omp for schedule(dynamic,
 * c)` and `schedule(guided, c)` inside a parallel region (libgomp manual,
 * "The libgomp ABI"). Called directly, it hands this thread its next chunk
 * [*istart, *iend), so the body runs once per chunk, as the compiled loop
 * would run it inline, instead of once per item. libomp exports the same
 * entry points for gcc-compiled code.
 */
bool GOMP_loop_dynamic_start(long start, long end, long incr, long chunk, long *istart,
                             long *iend);
bool GOMP_loop_dynamic_next(long *istart, long *iend);
bool GOMP_loop_guided_start(long start, long end, long incr, long chunk, long *istart,
                            long *iend);
bool GOMP_loop_guided_next(long *istart, long *iend);
void GOMP_loop_end_nowait(void);

int bench_omp_range(int sched, int chunk, unsigned threads, size_t n,
                    void (*fn)(void *ctx, size_t begin, size_t end, unsigned slot), void *ctx)
{
    if (sched == BENCH_OMP_TASK)
        return -1;
    long nn = (long)n, c = chunk > 0 ? chunk : 1;
    /* The body gets each thread's whole share of a static schedule, or each
     * chunk of a dynamic or guided one: calling it once per item would
     * charge OpenMP an indirect call (and the recorder) per item that tpool,
     * which hands out ranges, does not pay. Static without a chunk is
     * libgomp's split: the first n % T threads get one item more; with a
     * chunk c, chunk j goes to thread j % T. */
#pragma omp parallel num_threads(threads)
    {
        unsigned me = (unsigned)omp_get_thread_num();
        long nt = omp_get_num_threads();
        if (sched == BENCH_OMP_STATIC && chunk <= 0) {
            long q = nn / nt, r = nn % nt;
            long begin = me * q + ((long)me < r ? (long)me : r);
            long end = begin + q + ((long)me < r);
            if (begin < end)
                fn(ctx, (size_t)begin, (size_t)end, me);
        } else if (sched == BENCH_OMP_STATIC) {
            for (long b = (long)me * c; b < nn; b += nt * c)
                fn(ctx, (size_t)b, (size_t)(b + c < nn ? b + c : nn), me);
        } else {
            long b, e;
            bool guided = sched == BENCH_OMP_GUIDED;
            bool more = guided ? GOMP_loop_guided_start(0, nn, 1, c, &b, &e)
                               : GOMP_loop_dynamic_start(0, nn, 1, c, &b, &e);
            while (more) {
                fn(ctx, (size_t)b, (size_t)e, me);
                more = guided ? GOMP_loop_guided_next(&b, &e) : GOMP_loop_dynamic_next(&b, &e);
            }
            GOMP_loop_end_nowait();
        }
    }
    return 0;
}

int bench_omp_tasks(unsigned threads, unsigned producers, size_t n,
                    void (*before)(void *ctx, size_t i, unsigned producer),
                    void (*task)(void *ctx, size_t i), void *ctx)
{
    if (producers <= 1) {
#pragma omp parallel num_threads(threads)
#pragma omp single
        {
            unsigned me = bench_rec_slot();
            for (size_t i = 0; i < n; i++) {
                before(ctx, i, me);
#pragma omp task firstprivate(i)
                task(ctx, i);
            }
        }
        return 0;
    }
    long long np = producers;
#pragma omp parallel num_threads(threads)
#pragma omp for schedule(static, 1)
    for (long long p = 0; p < np; p++) {
        size_t lo = n * (size_t)p / (size_t)np, hi = n * (size_t)(p + 1) / (size_t)np;
        unsigned me = bench_rec_slot();
        for (size_t i = lo; i < hi; i++) {
            before(ctx, i, me);
#pragma omp task firstprivate(i)
            task(ctx, i);
        }
    }
    return 0;
}

/* Each child task records itself (bench_rec_task) with the slot of the
 * thread that created it, as tpool's nested workload does. */
static uint64_t tree(unsigned depth, unsigned fanout, uint64_t index,
                     uint64_t (*leaf)(void *, uint64_t), void *ctx)
{
    if (depth == 0)
        return leaf(ctx, index);
    uint64_t v[16] = { 0 };
    unsigned me = bench_rec_slot();
    for (unsigned k = 1; k < fanout && k < 16; k++) {
#pragma omp task shared(v) firstprivate(k, me)
        {
            bench_rec_task(me, 0, 0, 0);
            v[k] = tree(depth - 1, fanout, index * fanout + k, leaf, ctx);
        }
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
