/*
 * baselines_omp.c - the OpenMP baselines (gcc's libgomp), compiled with
 * $(OPENMP_CFLAGS). Parallel-for workloads use `parallel for` with the
 * schedule chosen at run time; task workloads use `omp task` (exec.c's
 * task services).
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

int bench_omp_run(unsigned threads, int (*fn)(void *arg), void *arg)
{
    int rc = 0;
#pragma omp parallel num_threads(threads)
#pragma omp single
    rc = fn(arg);
    /* the region's closing barrier waits for every task */
    return rc;
}

int bench_omp_submit(bench_task *t)
{
#pragma omp task firstprivate(t)
    {
        bench_task_run(t);
#pragma omp taskwait
    }
    return 0;
}

int bench_omp_wait(void)
{
#pragma omp taskwait
    return 0;
}
