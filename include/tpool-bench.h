/*
 * tpool-bench.h - the ABI between tpool-bench and a workload.
 *
 * A workload is what tpool-bench measures: it sets up its data once, then
 * runs many times on many executors (a tpool pool under each scheduling
 * policy, and the baselines: a serial loop, OpenMP, Debian's pthreadpool),
 * and after every run says whether the result is right. The workloads that
 * ship with tpool-bench and the ones a user writes go through this same
 * interface; a user's is a shared object that exports one function,
 * TPOOL_BENCH_ENTRY, returning a pointer to a constant tpool_bench_workload
 * that is static data of the .so (TPOOL_BENCH_WORKLOAD_DEFINE writes both).
 * tpool-bench loads it by path: `tpool-bench --workloads ./mywork.so`, or
 * {"workload": "./mywork.so", "params": {...}} in an experiment file.
 *
 * What a workload sees of an executor is tpool_bench_exec: a parallel-for,
 * a 2-d tiled parallel-for, and tasks in groups (create, submit, wait). The
 * harness counts what each participant ran through these calls and checks
 * after every run that every item and every task handed to them ran exactly
 * once; it stamps the tasks that ask for it and reports their latency, flow
 * time, slowdown and deadline misses. The workload checks its own result.
 *
 * A workload needs no library: it calls the harness only through the
 * function pointers it is given (one that uses ex->pool directly, see
 * TPOOL_BENCH_USES_POOL, links libtpool itself).
 *
 * Versioning, as for policies (tpool-policy.h): every struct shared here
 * starts with `abi_version` and `struct_size`, and members are only ever
 * appended. tpool-bench refuses a workload built for another major version,
 * or for a newer minor version than it speaks (the message names both), and
 * reads a member of the descriptor only when `struct_size` covers it. A
 * workload reads a member of tpool_bench_exec or tpool_bench_env only when
 * the struct's `struct_size` covers it (TPOOL_BENCH_HAS).
 *
 * Threads: setup, prepare, run, check, items, metrics and teardown are
 * called one at a time, from one thread. The bodies given to parallel_for
 * and the task functions run on the executor's threads, concurrently.
 */
#ifndef TPOOL_BENCH_ABI_H
#define TPOOL_BENCH_ABI_H

#include <stddef.h>
#include <stdint.h>

/* The parameter table (tpool_param_desc, tpool_param_value) is the one
 * policies use: the same types, validation and error messages. tpool.h
 * gives the error codes (TPOOL_E*) and the pool's API. */
#include "tpool-policy.h"
#include "tpool.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TPOOL_BENCH_ABI_MAJOR 1
#define TPOOL_BENCH_ABI_MINOR 0
#define TPOOL_BENCH_ABI_VERSION ((TPOOL_BENCH_ABI_MAJOR << 16) | TPOOL_BENCH_ABI_MINOR)

/* The symbol every workload .so exports; see TPOOL_BENCH_WORKLOAD_DEFINE. */
#define TPOOL_BENCH_ENTRY tpool_bench_workload_entry
#define TPOOL_BENCH_ENTRY_NAME "tpool_bench_workload_entry"

/* The most parameters and custom metrics a workload may declare. */
#define TPOOL_BENCH_MAX_PARAMS 32
#define TPOOL_BENCH_MAX_METRICS 8

/* True when struct *p (a tpool_bench_exec or tpool_bench_env) has `member`. */
#define TPOOL_BENCH_HAS(p, type, member) \
    ((p)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

typedef struct tpool_bench_exec tpool_bench_exec;
typedef struct tpool_bench_group tpool_bench_group;

/* ---- what a workload needs of an executor ---------------------------------- */

/* What a workload uses, and what an executor offers (masks of these). A
 * workload runs on every executor that offers all it uses. */
#define TPOOL_BENCH_USES_RANGE 0x1u /* parallel_for and parallel_for_2d */
#define TPOOL_BENCH_USES_TASKS 0x2u /* group_create, submit, group_wait */
/* ex->pool: the workload calls tpool's own API (tpool.h) on the pool, so it
 * runs only under tpool policies. */
#define TPOOL_BENCH_USES_POOL 0x4u
/* Informational: the workload calls parallel_for_2d (every executor that
 * offers ranges offers it; the results say how pthreadpool ran it). */
#define TPOOL_BENCH_USES_RANGE_2D 0x8u

/* A parallel-for body: items [begin, end), run by `participant`: a number
 * below TPOOL_BENCH_MAX_PARTICIPANTS that is the same for every body a
 * thread runs in one run and differs between threads (for per-thread
 * scratch space), or TPOOL_BENCH_NO_PARTICIPANT for a thread beyond the
 * first TPOOL_BENCH_MAX_PARTICIPANTS of a run. */
#define TPOOL_BENCH_MAX_PARTICIPANTS 256
#define TPOOL_BENCH_NO_PARTICIPANT 0xFFFFFFFFu
typedef void (*tpool_bench_range_fn)(void *ctx, size_t begin, size_t end,
                                     unsigned participant);
/* A 2-d tile: rows [i, i + ti), columns [j, j + tj) (pthreadpool's
 * pthreadpool_function_2d_tiled_t). */
typedef void (*tpool_bench_tile2d_fn)(void *ctx, size_t i, size_t j, size_t ti, size_t tj);
typedef void (*tpool_bench_task_fn)(void *arg);

typedef struct tpool_bench_range_opts {
    uint32_t struct_size; /* sizeof(tpool_bench_range_opts) */
    /* n + 1 prefix sums of the items' known costs, in any unit (the work
     * of [b, e) is cost[e] - cost[b]): the harness's imbalance figure is
     * computed from them. NULL: every item costs 1. For parallel_for_2d the
     * items are the tiles, numbered row by row. */
    const uint64_t *cost;
    /* Items per callback for executors that take a tile size
     * (pthreadpool's parallelize_1d_tile_1d); 0 means 1. tpool and OpenMP
     * cut the range themselves. */
    size_t tile;
} tpool_bench_range_opts;

/* Task flags */
#define TPOOL_BENCH_TASK_STAMP 0x1u /* time this task: submit, start, end */

typedef struct tpool_bench_task_attr {
    uint32_t struct_size; /* sizeof(tpool_bench_task_attr) */
    uint32_t flags;       /* TPOOL_BENCH_TASK_* */
    int priority;         /* larger = more urgent (tpool_task_attr.priority) */
    /* What the scheduler is told the task costs (tpool_task_attr.cost_hint):
     * an estimate, exact or not; 0 = unknown. */
    uint64_t cost_hint;
    /* Known work of the task for the imbalance figure, in the unit of the
     * workload's range costs; 0 counts as 1. */
    uint64_t work;
    /* With TPOOL_BENCH_TASK_STAMP: the task misses its deadline when it
     * ends later than this many ns after its submission; 0 = none. */
    uint64_t deadline_ns;
} tpool_bench_task_attr;

/*
 * An executor as a workload sees it, valid from prepare to check of one run
 * (a workload may keep the pointer in its state during the run, for its
 * task functions). Every call returns 0 or a negative error code (TPOOL_E*),
 * which run should return as it is.
 */
struct tpool_bench_exec {
    uint32_t abi_version; /* TPOOL_BENCH_ABI_VERSION of the harness */
    uint32_t struct_size; /* sizeof(tpool_bench_exec) of the harness */

    const char *kind;     /* "serial", "tpool", "openmp", "tbb", "pthreadpool", ... */
    const char *label;    /* the executor's name in the results: "fifo", "omp-task" */
    unsigned threads;     /* parallelism, the calling thread included */
    unsigned offers;      /* TPOOL_BENCH_USES_* this executor offers */
    tpool *pool;          /* under a tpool policy: its pool; else NULL */

    /* fn over [0, n) in chunks the executor chooses; returns when all ran.
     * opts may be NULL. Callable from run and from task functions. */
    int (*parallel_for)(const tpool_bench_exec *ex, size_t n, tpool_bench_range_fn fn,
                        void *ctx, const tpool_bench_range_opts *opts);
    /* fn once per tile of an ni x nj range cut into ti x tj tiles (clipped
     * at the edges), as pthreadpool_compute_2d_tiled; opts->cost is per tile. */
    int (*parallel_for_2d)(const tpool_bench_exec *ex, size_t ni, size_t nj, size_t ti,
                           size_t tj, tpool_bench_tile2d_fn fn, void *ctx,
                           const tpool_bench_range_opts *opts);

    /*
     * Tasks. group_create makes a group; submit queues fn(arg) in it (attr
     * may be NULL: priority 0, no hint, not stamped); group_wait returns
     * once every task submitted to the group has run, then frees the group.
     * Submit to a group only from the thread or task that created it and
     * from tasks of that group (a producer task submitting into its
     * creator's group is fine): under OpenMP a task cannot join a group
     * from outside, so there each task waits for the tasks it submitted
     * before it ends. A task may create, fill and wait for a group of its
     * own (fork-join). Serially, submit runs the task at once.
     */
    int (*group_create)(const tpool_bench_exec *ex, tpool_bench_group **out);
    int (*submit)(const tpool_bench_exec *ex, tpool_bench_group *g, tpool_bench_task_fn fn,
                  void *arg, const tpool_bench_task_attr *attr);
    int (*group_wait)(const tpool_bench_exec *ex, tpool_bench_group *g);

    void *impl; /* the harness's own */
};

/* ---- parameters ------------------------------------------------------------------ */

/* Entries of a parameter table (tpool_param_desc of tpool-policy.h). */
#define TPOOL_BENCH_PARAM_INT(nm, desc, lo, hi, def)                                     \
    { .name = (nm), .type = TPOOL_PARAM_INT, .description = (desc), .imin = (lo),        \
      .imax = (hi), .idefault = (def) }
#define TPOOL_BENCH_PARAM_DOUBLE(nm, desc, lo, hi, def)                                  \
    { .name = (nm), .type = TPOOL_PARAM_DOUBLE, .description = (desc), .dmin = (lo),     \
      .dmax = (hi), .ddefault = (def) }
#define TPOOL_BENCH_PARAM_BOOL(nm, desc, def)                                            \
    { .name = (nm), .type = TPOOL_PARAM_BOOL, .description = (desc), .imax = 1,          \
      .idefault = (def) }
/* ch: a NULL-terminated array of names; def: the index of the default. */
#define TPOOL_BENCH_PARAM_ENUM(nm, desc, ch, def)                                        \
    { .name = (nm), .type = TPOOL_PARAM_ENUM, .description = (desc), .choices = (ch),    \
      .edefault = (def) }
/* A string of lo..hi bytes (hi 0: no limit), such as the path of a file
 * setup reads (a trace to replay, a matrix); def: the default. The value
 * (env->params[k].s) is valid during setup only: copy what run needs. (The
 * default is a compound literal: use it in a table at file scope.) */
#define TPOOL_BENCH_PARAM_STRING(nm, desc, lo, hi, def)                                  \
    { .name = (nm), .type = TPOOL_PARAM_STRING, .description = (desc), .imin = (lo),     \
      .imax = (hi), .choices = (const char *const[]){ (def), NULL } }

/* ---- what a workload gets at setup ------------------------------------------- */

typedef struct tpool_bench_env {
    uint32_t abi_version; /* TPOOL_BENCH_ABI_VERSION of the harness */
    uint32_t struct_size; /* sizeof(tpool_bench_env) of the harness */
    /* One value per entry of the workload's parameter table, validated,
     * defaults filled in; valid during setup only. */
    const tpool_param_value *params;
    uint64_t seed;        /* the experiment's seed: draw the data from it */
    unsigned max_threads; /* the largest parallelism of any run */
    char *errbuf;         /* setup writes why it failed here (NUL-terminated) */
    size_t errbuf_size;
    /*
     * The harness's calibrated spin loop, so that every workload's "ns"
     * means the same: spin(iters, seed) runs a dependent chain of `iters`
     * steps and returns its value (a function of both: a check can tell
     * that it ran with the right input); ns_to_iters(ns) is the iterations
     * that take about ns on this machine. now_ns is CLOCK_MONOTONIC. These
     * stay valid while the workload is loaded.
     */
    uint64_t (*spin)(uint64_t iters, uint64_t seed);
    uint64_t (*ns_to_iters)(double ns);
    uint64_t (*now_ns)(void);
    /* Blocks the calling thread for about ns (nanosleep, restarted after
     * signals): a stand-in for I/O, freeing the CPU. */
    void (*sleep_ns)(uint64_t ns);
} tpool_bench_env;

/* ---- the metrics a workload reports ---------------------------------------------- */

/* A figure the workload computes after each run (metrics below); the
 * harness reports its median over the rounds beside the times. */
typedef struct tpool_bench_metric {
    const char *name;        /* [A-Za-z0-9_], e.g. "queue_max" */
    const char *unit;        /* what it counts, e.g. "tasks", "ns", "ratio" */
    const char *description; /* one line */
} tpool_bench_metric;

/* ---- seeded randomness ------------------------------------------------------------- */

/* splitmix64: reproducible data from the experiment's seed (env->seed). */
static inline uint64_t tpool_bench_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static inline double tpool_bench_rand_unit(uint64_t *state)
{
    return ((double)(tpool_bench_rand(state) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

/* ---- the descriptor ------------------------------------------------------------------ */

typedef struct tpool_bench_workload {
    uint32_t abi_version; /* TPOOL_BENCH_ABI_VERSION */
    uint32_t struct_size; /* sizeof(tpool_bench_workload) */

    const char *name;        /* mandatory, [A-Za-z0-9_.-], e.g. "costed-tasks" */
    const char *description; /* one line; NULL allowed */
    const char *unit;        /* what items() counts, e.g. "tasks"; NULL: "items" */

    /* Static data of the .so, nparams entries (at most TPOOL_BENCH_MAX_PARAMS). */
    const tpool_param_desc *params;
    unsigned nparams;

    unsigned uses;  /* mandatory: TPOOL_BENCH_USES_* */
    unsigned flags; /* TPOOL_BENCH_WL_* below, or 0 */

    /* Mandatory. Allocates the workload's data for env->params into *state
     * and computes what check compares with. Returns 0, or non-zero with
     * why in env->errbuf. */
    int (*setup)(const tpool_bench_env *env, void **state);
    /* Mandatory. One run, timed: the makespan. Returns 0 or the first
     * negative code an executor call returned. */
    int (*run)(void *state, const tpool_bench_exec *ex);
    /* Mandatory. Frees the state. */
    void (*teardown)(void *state);

    /* Optional (NULL: nothing). Untimed, before each run: resets outputs. */
    void (*prepare)(void *state, const tpool_bench_exec *ex);
    /* Optional (NULL: only the harness's check that everything handed to
     * the executor ran exactly once). After each run: 0 when the result is
     * right, else non-zero and why in msg. */
    int (*check)(void *state, const tpool_bench_exec *ex, char *msg, size_t msgsize);
    /* Optional (NULL: the items and tasks handed to the executor). Work
     * items of one run, in `unit`, for the per-item time and throughput. */
    uint64_t (*items)(void *state, const tpool_bench_exec *ex);

    /* Optional custom metrics: nmetrics entries (at most
     * TPOOL_BENCH_MAX_METRICS), and after each run their values into
     * out[nmetrics] (NaN: none this run). */
    const tpool_bench_metric *metrics;
    unsigned nmetrics;
    void (*metrics_read)(void *state, const tpool_bench_exec *ex, double *out);

    /* Optional: the parameter (an int or double) that --scale multiplies;
     * NULL: none. */
    const char *size_param;
    /* Optional: corrupts the last run's result the way a wrong schedule
     * would, so that check must fail (tpool-bench's self-tests). */
    void (*plant)(void *state);
} tpool_bench_workload;

/* The workload measures the executor's own costs (dispatch, hand-out), not
 * work: its plots are drawn apart from the others'. */
#define TPOOL_BENCH_WL_MICRO 0x1u

/* Signature of the entry point. */
typedef const tpool_bench_workload *(*tpool_bench_entry_fn)(void);

#if defined(__GNUC__)
#define TPOOL_BENCH_EXPORT __attribute__((visibility("default")))
#else
#define TPOOL_BENCH_EXPORT
#endif

/* Defines the entry point of a workload .so returning &descriptor, which
 * must be a static const tpool_bench_workload of the same file. */
#define TPOOL_BENCH_WORKLOAD_DEFINE(descriptor)                                      \
    TPOOL_BENCH_EXPORT const tpool_bench_workload *TPOOL_BENCH_ENTRY(void);          \
    TPOOL_BENCH_EXPORT const tpool_bench_workload *TPOOL_BENCH_ENTRY(void)           \
    {                                                                                \
        return &(descriptor);                                                        \
    }

/* Initialiser of the two version members. */
#define TPOOL_BENCH_WORKLOAD_HEADER \
    .abi_version = TPOOL_BENCH_ABI_VERSION, .struct_size = sizeof(tpool_bench_workload)

#ifdef __cplusplus
}
#endif

#endif
