/*
 * tpool.h - native API of tpool, a thread pool whose scheduling policy is a
 * plug-in loaded at run time.
 *
 * Model
 * -----
 * A pool has a parallelism of `threads` (T). It owns W = max(T - 1, 1) worker
 * threads. A thread that waits on the pool (a parallel-for caller, a group
 * waiter, the destroyer draining work) takes part in the work as well, so a
 * parallel-for runs on exactly T participants, the caller included, as in
 * pthreadpool. With T = 1 one worker still exists so that submitted tasks run
 * asynchronously; parallel-for then runs on the caller alone.
 *
 * Every function returns 0 or a negative TPOOL_E* code unless it says
 * otherwise; tpool_strerror() names a code. Functions that parse or load also
 * fill an optional tpool_error with a message that says what and where.
 *
 * Thread-safety: unless a function says otherwise it may be called from any
 * thread, including from inside a task running on the same pool.
 */
#ifndef TPOOL_H
#define TPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TPOOL_API __attribute__((visibility("default")))
#else
#define TPOOL_API
#endif

/* ---- errors ------------------------------------------------------------ */

enum {
    TPOOL_OK = 0,
    TPOOL_EINVAL = -1,     /* an argument or a configuration value is invalid */
    TPOOL_ENOMEM = -2,     /* an allocation failed */
    TPOOL_ENOENT = -3,     /* a file or a policy was not found */
    TPOOL_ELOAD = -4,      /* dlopen/dlsym failed, or the .so is no tpool policy */
    TPOOL_EABI = -5,       /* the policy was built against an incompatible ABI */
    TPOOL_EPARSE = -6,     /* malformed JSON */
    TPOOL_ETHREAD = -7,    /* a thread could not be created */
    TPOOL_ESHUTDOWN = -8,  /* the pool is being destroyed, or was inherited
                              through fork() (see "Fork" below) */
    TPOOL_EPOLICY = -9,    /* the policy refused (its message says why) */
    TPOOL_EDEADLK = -10,   /* the call would deadlock (e.g. destroy from a task) */
    TPOOL_ECANCELED = -11, /* a task was cancelled and did not run */
    TPOOL_EIO = -12,       /* a file could not be read */
    TPOOL_ERANGE = -13,    /* an index computation would overflow */
};

/* Returns a static, human-readable string for a TPOOL_E* code. */
TPOOL_API const char *tpool_strerror(int code);

/*
 * Where and why something failed. `text` is the complete message, ready to
 * print, e.g. "tpool.json:4:15: params.chunk: expected an integer >= 1, got
 * \"x\"". The other members give its parts; line and column are 1-based and 0
 * when unknown, `source` and `key` empty when unknown. The first error wins:
 * the library fills a tpool_error only while its code is 0, so one struct can
 * collect the first failure of several calls (zero it with tpool_error_clear).
 */
typedef struct tpool_error {
    int code;
    int line;
    int column;
    char source[256]; /* file name, "<text>", "<env TPOOL_THREADS>"... */
    char key[128];    /* key path, e.g. "params.chunk" */
    char text[768];
} tpool_error;

TPOOL_API void tpool_error_clear(tpool_error *err);

/* ---- configuration ----------------------------------------------------- */

/*
 * A parsed configuration. Obtain one with tpool_config_load_file,
 * tpool_config_load_text or tpool_config_load_env; release it with
 * tpool_config_free. Keys are documented in docs/config.md.
 */
typedef struct tpool_config tpool_config;

/* Parses a JSON file. Errors carry the file name, line, column and key path. */
TPOOL_API int tpool_config_load_file(const char *path, tpool_config **out,
                                     tpool_error *err);
/* Parses JSON text; `source` names it in messages (NULL: "<text>"). */
TPOOL_API int tpool_config_load_text(const char *json, const char *source,
                                     tpool_config **out, tpool_error *err);
/*
 * The configuration a program gets by default: the file named by TPOOL_CONFIG
 * if set, else built-in defaults; then TPOOL_POLICY and TPOOL_THREADS
 * override it. TPOOL_POLICY_PATH is read by the loader whenever a policy is
 * looked up by name (see docs/config.md for the precedence).
 */
TPOOL_API int tpool_config_load_env(tpool_config **out, tpool_error *err);
/*
 * Applies the TPOOL_POLICY and TPOOL_THREADS environment overrides to an
 * already loaded configuration; a variable set to the empty string is an
 * error, and on error cfg is unchanged. tpool_config_load_env calls it.
 */
TPOOL_API int tpool_config_apply_env(tpool_config *cfg, tpool_error *err);
TPOOL_API void tpool_config_free(tpool_config *cfg);

/* Accessors and setters for programs that build a configuration in code. */
TPOOL_API int tpool_config_new(tpool_config **out);
/* A deep copy of src, independent of it from then on (src may be freed). */
TPOOL_API int tpool_config_copy(const tpool_config *src, tpool_config **out);
TPOOL_API int tpool_config_set_threads(tpool_config *cfg, unsigned threads);
/* An elastic pool: it starts with T = min and moves within [min, max], growing
 * when work backs up and shrinking after `idle_ms` of idleness (the JSON form
 * "threads": {"min": m, "max": n, "idle_ms": t}; see docs/config.md). 1 <= min
 * <= max <= 4096, idle_ms <= 86400000, else TPOOL_EINVAL.
 * tpool_config_set_threads makes the pool fixed again; tpool_config_threads
 * returns min. */
TPOOL_API int tpool_config_set_elastic(tpool_config *cfg, unsigned min, unsigned max,
                                       unsigned idle_ms);
TPOOL_API int tpool_config_set_policy(tpool_config *cfg, const char *policy);
/* `params_json` is a JSON object, validated against the policy at pool
 * creation; NULL removes the parameters. Later parameter errors refer to this
 * text, with source "<params>". */
TPOOL_API int tpool_config_set_params(tpool_config *cfg, const char *params_json,
                                      tpool_error *err);
/* How long an idle worker spins before it parks, in microseconds (the
 * "spin_us" key); at most 1000000, else TPOOL_EINVAL. */
TPOOL_API int tpool_config_set_spin_us(tpool_config *cfg, unsigned spin_us);
TPOOL_API unsigned tpool_config_threads(const tpool_config *cfg);
TPOOL_API const char *tpool_config_policy(const tpool_config *cfg);

/*
 * Writes the resolved settings (thread count with 0 resolved, the policy file
 * that will be loaded, every policy parameter with defaults filled in) as JSON
 * into a malloc'd string. Loads the policy to do so. Used by
 * `tpool-info --check-config`.
 */
TPOOL_API int tpool_config_resolve(const tpool_config *cfg, char **json_out,
                                   tpool_error *err);

/* ---- pools ------------------------------------------------------------- */

typedef struct tpool tpool;

/* Creates a pool from a configuration; the pool copies what it needs. A
 * worker thread that cannot be created fails the creation (TPOOL_ETHREAD,
 * naming the thread); any failure frees everything and leaves *out NULL. */
TPOOL_API int tpool_create(const tpool_config *cfg, tpool **out, tpool_error *err);
/* Shorthands: defaults plus environment (tpool_config_load_env), or a file. */
TPOOL_API int tpool_create_default(tpool **out, tpool_error *err);
TPOOL_API int tpool_create_from_file(const char *path, tpool **out, tpool_error *err);
TPOOL_API int tpool_create_from_text(const char *json, tpool **out, tpool_error *err);

enum tpool_destroy_mode {
    TPOOL_DRAIN = 0,  /* run every submitted task, then stop (the default) */
    TPOOL_CANCEL = 1, /* finish running tasks; report queued ones cancelled */
};

/*
 * Destroys a pool. In TPOOL_DRAIN mode every task submitted before or during
 * the drain runs; the calling thread helps. In TPOOL_CANCEL mode tasks that
 * have not started are not run: each one's on_complete callback receives
 * TPOOL_ECANCELED and its group counts it as cancelled; `*cancelled` (may be
 * NULL) receives how many. Calling it from a task of the same pool returns
 * TPOOL_EDEADLK and changes nothing. Not to be called concurrently with other
 * calls on the same pool from outside threads.
 */
TPOOL_API int tpool_destroy_ex(tpool *pool, enum tpool_destroy_mode mode,
                               size_t *cancelled);
TPOOL_API int tpool_destroy(tpool *pool); /* TPOOL_DRAIN */

/*
 * Fork. After fork() only the forking thread exists in the child, so the
 * pools (and groups) it inherited have no workers there, and their locks and
 * queues are as other threads left them at the fork. The library registers
 * pthread_atfork handlers (on the first pool creation) that keep its
 * process-wide locks consistent, so the child may create and use new pools
 * freely. On an inherited pool or group the child may only call:
 * tpool_destroy / tpool_destroy_ex, which return 0 and free the pool's own
 * memory without touching its policy state: its queued tasks are never run,
 * their on_complete is never called and their memory is leaked (another
 * thread may have been changing those queues at the fork, so they cannot be
 * walked safely); tpool_group_destroy, which frees the group; and the
 * accessors (tpool_threads, tpool_policy_name, min work size). Every other
 * call returns TPOOL_ESHUTDOWN at once instead of hanging: tpool_submit,
 * tpool_parallel_range and tpool_parallel_nd (nothing runs), tpool_wait_all,
 * tpool_group_wait, tpool_group_create, tpool_set_threads, tpool_stats_get
 * (tpool_stats_reset does nothing). The parent's pools are not affected.
 * Calling fork() from inside a task or a parallel-for body is not supported
 * unless the child only calls async-signal-safe functions and exits with
 * _exit() or exec()s without returning from that task.
 */

/* The parallelism T (participants in a parallel-for, the caller included);
 * 1 for a NULL pool. */
TPOOL_API unsigned tpool_threads(const tpool *pool);
/*
 * Changes the parallelism to `threads` (0: tpool_default_threads()), growing
 * or shrinking the workers, while the pool is in use. No task is lost: tasks
 * queued at the time, and tasks submitted while the change is under way, run
 * on the resized pool, in submission order as far as the policy keeps it.
 * The policy is resized through its resize op, or else its state is
 * re-created (its own statistics then restart at zero). Waits for a running
 * parallel-for to finish first. Tasks that are running keep running; a
 * worker whose slot is removed finishes its task and then exits (growing
 * again may wait for such a task). Returns 0; TPOOL_EINVAL (NULL pool, or
 * threads above 4096); TPOOL_EDEADLK when called from a task or a
 * parallel-for of the same pool (nothing changes); TPOOL_ETHREAD,
 * TPOOL_ENOMEM or TPOOL_EPOLICY (the policy refused) with the pool
 * unchanged. On an elastic pool the monitor keeps moving T within its
 * [min, max] afterwards. Not to be called concurrently with tpool_destroy.
 */
TPOOL_API int tpool_set_threads(tpool *pool, unsigned threads);
/* Name of the loaded policy, as its descriptor gives it. The string stays
 * valid until the pool is destroyed, also after tpool_set_policy. */
TPOOL_API const char *tpool_policy_name(const tpool *pool);
/*
 * Replaces the pool's policy while the pool is in use, keeping its threads.
 * `policy` is a name or a path containing '/', found as at pool creation
 * (the creation config's policy_path, then TPOOL_POLICY_PATH, then the
 * install directory); NULL keeps the current policy's file (to change only
 * its parameters). `params_json` is a JSON object of the new policy's
 * parameters, NULL for all defaults. Errors are those of pool creation (an
 * unknown name lists the policies available; a bad parameter names the key
 * and the policy, with source "<params>") and leave the pool running its
 * old policy. No task is lost: queued tasks, and tasks submitted meanwhile,
 * move to the new policy in submission order; running tasks keep running.
 * Waits for a running parallel-for to finish first. The old module stays
 * loaded until the pool is destroyed (once per .so file). The policy's own
 * statistics start at zero; tpool_stats.policy_switches counts switches.
 * Returns 0; TPOOL_EINVAL (NULL pool, empty name); TPOOL_EDEADLK from a
 * task or parallel-for of the same pool (nothing changes); the loader's,
 * the parameter check's or TPOOL_EPOLICY (the policy refused to start).
 * Not to be called concurrently with tpool_destroy.
 */
TPOOL_API int tpool_set_policy(tpool *pool, const char *policy, const char *params_json,
                               tpool_error *err);

/*
 * The default thread count: the CPUs in this process's affinity mask, capped
 * by the cgroup CPU quota when one is set (v2 cpu.max; v1 cpu.cfs_quota_us /
 * cpu.cfs_period_us, also in hybrid mode), rounded up; at least 1.
 */
TPOOL_API unsigned tpool_default_threads(void);

/* ---- tasks ------------------------------------------------------------- */

typedef void (*tpool_task_fn)(void *arg);
/* Called once per task after it ran (status 0) or was cancelled
 * (TPOOL_ECANCELED); runs on the thread that ran or cancelled the task. */
typedef void (*tpool_complete_fn)(void *arg, int status);

typedef struct tpool_group tpool_group;

typedef struct tpool_task_attr {
    int priority;          /* larger runs earlier under the priority policy */
    int preferred_worker;  /* worker index, or -1 for no preference */
    uint64_t cost_hint;    /* relative cost; 0 = unknown */
    tpool_group *group;    /* group to count the task in, or NULL */
    tpool_complete_fn on_complete; /* may be NULL */
} tpool_task_attr;

/* Attribute defaults: priority 0, no preferred worker, unknown cost. */
#define TPOOL_TASK_ATTR_INIT { 0, -1, 0, NULL, NULL }

/*
 * Submits fn(arg). `attr` may be NULL for the defaults. Safe from any thread
 * and from inside tasks; never blocks on running tasks. Not
 * async-signal-safe: it allocates and takes locks, so calling it from a
 * signal handler can deadlock (docs/api.md, "Limits"). fn must return: a
 * task that ends its thread (pthread_exit) aborts the process. Returns
 * TPOOL_ENOMEM (the task is not queued and on_complete is not called) or
 * TPOOL_ESHUTDOWN when the pool is being destroyed in cancel mode or was
 * inherited through fork() (see "Fork").
 */
TPOOL_API int tpool_submit(tpool *pool, tpool_task_fn fn, void *arg,
                           const tpool_task_attr *attr);

/* A group counts its tasks so that one can wait for all of them. */
TPOOL_API int tpool_group_create(tpool *pool, tpool_group **out);
/*
 * Waits until every task submitted to the group so far has completed or been
 * cancelled. The waiting thread runs tasks of the pool meanwhile (any tasks
 * the policy hands it), so waiting inside a task never deadlocks. Nesting is
 * bounded: a thread with 64 tasks nested on its stack keeps the grouped tasks
 * it submits to itself and, waiting, runs only those, then sleeps until the
 * group completes (docs/api.md, "Deep nesting"). Returns 0, or
 * TPOOL_ECANCELED if any task of the group was cancelled.
 */
TPOOL_API int tpool_group_wait(tpool_group *group);
/* Destroys a group; waits for it first. A group whose tasks have all
 * finished may be waited on and destroyed after its pool was destroyed. */
TPOOL_API void tpool_group_destroy(tpool_group *group);
/* Waits for every task submitted to the pool so far (helping meanwhile). */
TPOOL_API int tpool_wait_all(tpool *pool);

/* ---- parallel-for over a linear range ----------------------------------- */

/*
 * fn(ctx, begin, end, thread) processes items [begin, end); `thread` is the
 * participant index in [0, T): 0 is the calling thread. Each index is used
 * by one thread at a time during a call (so per-index scratch needs no
 * lock); under policies whose shares are fixed (static, roundrobin) the
 * calling thread may run another index's items, in its name, when that
 * index's worker has not started.
 */
typedef void (*tpool_range_fn)(void *ctx, size_t begin, size_t end, unsigned thread);

typedef struct tpool_range_opts {
    int priority;          /* per-call priority of the tiles (priority policy) */
    /* Optional cost estimate of items [begin, end); lets the priority policy
     * run the largest tiles first. NULL = unknown. */
    uint64_t (*cost)(void *ctx, size_t begin, size_t end);
    uint32_t flags;        /* TPOOL_FLAG_* */
} tpool_range_opts;

#define TPOOL_FLAG_DISABLE_DENORMALS 0x1u /* FTZ/DAZ on the call's items */
#define TPOOL_FLAG_YIELD_WORKERS 0x2u     /* workers park right after the call */
/*
 * Progress, as pthreadpool gives it (every call of the drop-in sets it):
 * items are handed out one at a time (fn gets end == begin + 1; for
 * tpool_parallel_nd, one tile) and any idle participant can take any item
 * that has not started, so an item may wait for other items of the same
 * call, e.g. item 0 spinning until every other item has run, and the call
 * still completes. Holds under the policies that declare it
 * (tpool-info --policies: "progress: yes"; stealing, dynamic, fifo,
 * priority, and roundrobin with "steal": true); static and roundrobin
 * without stealing assign items to participants and cannot give it. A call
 * that runs inline (T == 1, fewer items than min_work_size, nested) gets
 * all its items in one call of fn, in order on the caller, where an item
 * that waits for a later one never returns. Costs one atomic operation per
 * item.
 */
#define TPOOL_FLAG_PROGRESS 0x4u

/*
 * Runs fn over [0, n) on the pool, through the loaded policy's range
 * interface, and returns when every item has been processed exactly once.
 * The calling thread participates. n == 0 does nothing. Runs inline on the
 * caller (no synchronisation) when pool is NULL, T == 1, n is below the
 * pool's min_work_size, or the call comes from inside a task or another
 * parallel-for of the same pool (so nesting never deadlocks nor
 * oversubscribes). Calls from several outside threads at once are
 * serialised: each gets the whole pool in turn. `opts` may be NULL. fn must
 * return: leaving it by longjmp (or a C++ exception) leaves the pool's job
 * unfinished and its lock held (docs/api.md, "Limits").
 */
TPOOL_API int tpool_parallel_range(tpool *pool, size_t n, tpool_range_fn fn,
                                   void *ctx, const tpool_range_opts *opts);

/* ---- N-d tiled parallel-for ----------------------------------------------- */

#define TPOOL_ND_MAX 6 /* most dimensions of tpool_parallel_nd */

/*
 * fn(ctx, start, size, thread) processes one tile: for each dimension d <
 * ndim, indices [start[d], start[d] + size[d]). start[d] is a multiple of
 * tile[d]; size[d] is tile[d], clipped at the edge of the range (the last
 * tile of a dimension may be smaller). `thread` is the participant index in
 * [0, T): 0 is the calling thread. The arrays are valid during the call only.
 */
typedef void (*tpool_nd_fn)(void *ctx, const size_t *start, const size_t *size,
                            unsigned thread);

/*
 * Runs fn once for every tile of the ndim-dimensional range range[0] x ... x
 * range[ndim-1] cut into tiles of tile[0] x ... x tile[ndim-1] (tile NULL:
 * tiles of 1), and returns when all have run. The last dimension varies
 * fastest. The tiles are numbered in that order and the numbers are handed
 * out through the loaded policy exactly as tpool_parallel_range hands out
 * items, so every policy schedules them its own way; each [begin, end) the
 * policy returns is decoded once and then walked with carried counters.
 * The calling thread takes part.
 *
 * Runs inline on the caller, without any synchronisation, when pool is NULL,
 * T == 1, the range fits in one tile, the range has fewer items (the product
 * of range[], not tiles) than the pool's min_work_size, or the call comes
 * from inside a task or a parallel-for of the same pool: a nested call
 * never deadlocks. Calls from several outside threads on one pool at once
 * are serialised, each getting the whole pool in turn.
 *
 * opts (may be NULL) as for tpool_parallel_range: flags
 * TPOOL_FLAG_DISABLE_DENORMALS and TPOOL_FLAG_YIELD_WORKERS, priority, and
 * cost, which is called with ctx and a range of tile numbers.
 *
 * Returns 0, also when any range[d] is 0 (then fn is never called);
 * TPOOL_EINVAL for ndim outside 1..TPOOL_ND_MAX, a NULL fn or range, or a
 * zero tile on a non-empty range; TPOOL_ERANGE when the number of tiles does
 * not fit a size_t (nothing runs); TPOOL_ENOMEM from a queue-based policy.
 */
TPOOL_API int tpool_parallel_nd(tpool *pool, unsigned ndim, const size_t *range,
                                const size_t *tile, tpool_nd_fn fn, void *ctx,
                                const tpool_range_opts *opts);

/* ---- run-time settings -------------------------------------------------- */

/* Ranges with fewer items than this run inline on the caller. Get returns 1
 * for a NULL pool; set takes 0 as 1 and ignores a NULL pool. */
TPOOL_API size_t tpool_get_min_work_size(const tpool *pool);
TPOOL_API void tpool_set_min_work_size(tpool *pool, size_t items);

/* ---- utilities ------------------------------------------------------------ */

/* Cache line size assumed by the allocation helpers (as in tpool-policy.h). */
#define TPOOL_CACHELINE 64

/*
 * A blocking counter, for waiting until n things have happened (Caffe2's
 * BlockingCounter). Create it with a count; each of n events calls
 * tpool_counter_decrement; tpool_counter_wait returns once the count is 0.
 * A waiter spins briefly, then sleeps on a futex. Decrement and wait may be
 * called from any threads at once; reset and destroy only while no thread
 * decrements or waits. Decrementing more than `n` times is an error (the
 * count is not checked).
 */
typedef struct tpool_counter tpool_counter;

TPOOL_API int tpool_counter_create(size_t n, tpool_counter **out);
TPOOL_API void tpool_counter_destroy(tpool_counter *counter);
/* Sets the count to n (0: waits return at once). */
TPOOL_API void tpool_counter_reset(tpool_counter *counter, size_t n);
/* Counts one event down; returns 1 for the call that brought it to 0. */
TPOOL_API int tpool_counter_decrement(tpool_counter *counter);
/* Returns once the count is 0. */
TPOOL_API void tpool_counter_wait(tpool_counter *counter);

/*
 * Allocates `size` bytes aligned to `alignment` (0: TPOOL_CACHELINE), a power
 * of two; the size is rounded up to a multiple of the alignment, so that no
 * other allocation shares the last cache line. Returns NULL on a bad
 * alignment, an overflow or no memory. Free with tpool_aligned_free.
 */
TPOOL_API void *tpool_aligned_alloc(size_t alignment, size_t size);
TPOOL_API void tpool_aligned_free(void *ptr);

/*
 * Per-thread scratch memory: a buffer of at least `size` bytes, aligned to
 * TPOOL_CACHELINE, that belongs to the calling thread (each worker has its
 * own, the calling thread of a parallel-for its own), so a task or a
 * parallel-for body can use it without locking. The same buffer is returned
 * again, contents kept, until a call asks for more than it holds: then it is
 * replaced by a larger one and the old pointer is invalid. So a pointer is
 * valid until the next tpool_scratch call on the same thread, which may come
 * from another task this thread runs while it waits (tpool_group_wait,
 * tpool_wait_all): ask again after waiting. Freed when the thread exits.
 * `pool` may be NULL (the buffer is per thread, not per pool). Returns NULL
 * when out of memory (the old buffer stays valid).
 */
TPOOL_API void *tpool_scratch(tpool *pool, size_t size);

/* ---- statistics --------------------------------------------------------- */

#define TPOOL_STAT_POLICY_MAX 8

/* Counters of one worker (or, at index W, of all outside threads together). */
typedef struct tpool_worker_stats {
    uint64_t tasks_run;  /* submitted tasks run (parallel-for tiles are not
                            counted here but in items_run) */
    uint64_t items_run;  /* parallel-for items processed */
    uint64_t busy_ns;    /* time spent finding and running work, up to the
                            last time it went idle */
    uint64_t idle_ns;    /* time spent spinning or parked, up to its last wake */
    uint64_t parks;      /* times it went to sleep */
    uint64_t wakes;      /* times another thread woke it */
    uint64_t policy[TPOOL_STAT_POLICY_MAX]; /* named by tpool_stats.policy_names */
} tpool_worker_stats;

typedef struct tpool_stats {
    unsigned workers;              /* W; the array has W + 1 entries */
    unsigned npolicy;              /* policy counters in use */
    const char *policy_names[TPOOL_STAT_POLICY_MAX]; /* e.g. "steals" */
    uint64_t submitted, completed, cancelled;
    uint64_t parallel_calls;       /* parallel-for calls that used the pool */
    tpool_worker_stats *per_worker; /* W + 1 entries; the last is outside threads */
    /* Run-time changes since the pool was created (not reset). */
    unsigned threads;              /* T now */
    unsigned peak_threads;         /* the largest T the pool has had */
    uint64_t grows, shrinks;       /* changes of T, by tpool_set_threads or
                                      an elastic pool */
    uint64_t policy_switches;      /* tpool_set_policy calls that succeeded */
} tpool_stats;

/*
 * Fills *out with a snapshot; out->per_worker is malloc'd, free it with
 * tpool_stats_free. Counters are read without stopping the pool, so a
 * snapshot taken while busy is approximate. Task and item counts are exact
 * once the work has finished (after tpool_wait_all or a parallel-for); time
 * is accounted at each busy/idle transition.
 */
TPOOL_API int tpool_stats_get(tpool *pool, tpool_stats *out);
TPOOL_API void tpool_stats_free(tpool_stats *stats);
/* Zeroes the counters (the policy's too, when it can reset them). */
TPOOL_API void tpool_stats_reset(tpool *pool);

/* ---- policies ------------------------------------------------------------ */

/* Description of one policy parameter, as tpool_policy_list reports it. */
typedef struct tpool_policy_info {
    char name[64];
    char path[512];
    char description[256];
    char *params_json; /* malloc'd JSON array describing the parameters */
    /* 1 when the policy declares parallel-for progress with its default
     * parameters (TPOOL_POLICY_PROGRESS in tpool-policy.h; see
     * TPOOL_FLAG_PROGRESS), else 0. */
    int progress;
} tpool_policy_info;

/*
 * Lists the policies found on the search path of `cfg` (NULL: environment
 * and install directory only), each loaded and checked. Broken files are
 * reported through `on_error` (may be NULL) and skipped. The policies linked
 * into the library follow, named and with the path "builtin:NAME" (none when
 * configured with --disable-builtin-policies). Free with
 * tpool_policy_list_free.
 */
TPOOL_API int tpool_policy_list(const tpool_config *cfg, tpool_policy_info **out,
                                size_t *count,
                                void (*on_error)(void *ud, const tpool_error *e),
                                void *ud);
TPOOL_API void tpool_policy_list_free(tpool_policy_info *list, size_t count);

/*
 * The directories searched, in order, for policies given by name, for cfg
 * (NULL: environment and install directory only): a malloc'd array of
 * malloc'd strings. Free with tpool_policy_search_path_free.
 */
TPOOL_API int tpool_policy_search_path(const tpool_config *cfg, char ***dirs,
                                       size_t *count, tpool_error *err);
TPOOL_API void tpool_policy_search_path_free(char **dirs, size_t count);

#ifdef __cplusplus
}
#endif
#endif /* TPOOL_H */
