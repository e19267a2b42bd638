/*
 * baselines_tbb.h - the C interface of the oneTBB baselines, shared by the
 * harness's C (through bench.h) and the C++ that implements it
 * (baselines_tbb.cc; baselines_notbb.c stands in without oneTBB). bench.h
 * is C only (it uses <stdatomic.h>), hence a header of its own.
 */
#ifndef TPOOL_BENCH_BASELINES_TBB_H
#define TPOOL_BENCH_BASELINES_TBB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The oneTBB construct of a BENCH_EX_TBB executor. */
enum bench_tbb_mode {
    BENCH_TBB_TASK = 0,   /* tbb::task_group, for task workloads */
    BENCH_TBB_AUTO = 1,   /* parallel_for, auto_partitioner */
    BENCH_TBB_SIMPLE = 2, /* parallel_for, simple_partitioner: sub-ranges of at most the grain */
    BENCH_TBB_STATIC = 3, /* parallel_for, static_partitioner */
};

/*
 * 1 when the harness was built with oneTBB (configure found
 * tbb/task_group.h and -ltbb). Without it bench_tbb_create returns NULL
 * and the other functions return -1. No C++ exception leaves these
 * functions: one is turned into -1 or NULL.
 */
int bench_tbb_available(void);
/* The library's version, e.g. "2021.8.0", or "" without oneTBB. */
const char *bench_tbb_version(void);
/* A task_arena of `threads` (one slot of them kept for the caller), for
 * every bench_tbb_* call at that thread count. While arenas exist, a
 * tbb::global_control allows the largest of their thread counts, so that
 * each gets its workers even beyond the CPUs. NULL on failure. Create and
 * destroy from one thread (the control thread). */
void *bench_tbb_create(unsigned threads);
void bench_tbb_destroy(void *arena);
/* parallel_for over blocked_range [0, n) of grain `grain` (0: 1) with the
 * partitioner of `mode` (AUTO, SIMPLE or STATIC), in `arena`: fn gets each
 * sub-range the partitioner made, with `slot` the thread's index in the
 * arena (0 .. threads - 1). */
int bench_tbb_range(void *arena, int mode, size_t grain, size_t n,
                    void (*fn)(void *ctx, size_t begin, size_t end, unsigned slot),
                    void *ctx);
/* Runs fn(arg) in `arena` (task_arena::execute), so that the task groups
 * it makes run their tasks on the arena's threads; returns fn's value. */
int bench_tbb_run(void *arena, int (*fn)(void *arg), void *arg);
/* A tbb::task_group (NULL on failure); submit runs fn(arg) in it (from the
 * thread that made it or from any of its tasks: run may be called from
 * several threads at once); wait waits for every task run in it, then
 * destroys it. 0, or -1 (an exception, turned into a code). */
void *bench_tbb_group_create(void);
int bench_tbb_submit(void *group, void (*fn)(void *arg), void *arg);
int bench_tbb_group_wait(void *group);

/* What the C++ calls back in the recorder (workload.c): this thread's
 * slot. */
unsigned bench_rec_slot(void);

#ifdef __cplusplus
}
#endif

#endif
