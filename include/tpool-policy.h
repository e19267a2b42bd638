/*
 * tpool-policy.h - the ABI between the tpool core and a scheduling policy.
 *
 * This is the only header a policy needs. A policy is a shared object that
 * exports one function, TPOOL_POLICY_ENTRY, returning a pointer to a constant
 * struct tpool_policy that is static data of the .so (TPOOL_POLICY_DEFINE
 * writes both; the loader refuses a descriptor or a parameter table that does
 * not lie in the .so). The core owns threads, parking, waking, timing,
 * statistics and errors; the policy only decides which task or which range of
 * items a worker gets next.
 *
 * Versioning: one version, MAJOR.MINOR, covers every struct of this header,
 * so one number says the layout of all of them. Members are only ever
 * appended, to any struct, and each append raises the minor (the comment
 * beside a member names the minor that added it, "ABI 1.3").
 *   - The descriptor, which the policy hands the core, starts with
 *     `abi_version` and `struct_size`: the core reads a member only when
 *     `struct_size` covers it and it is non-NULL, and otherwise uses the
 *     fallback documented beside it (a policy built for an older minor keeps
 *     loading).
 *   - The structs the core hands the policy (tpool_task, tpool_range_job,
 *     tpool_policy_env, the parameter values) are the core's, and
 *     env->abi_version says which version the core speaks. The loader
 *     refuses a policy built for a newer minor than the core's, or for
 *     another major, naming both versions, so every member the policy was
 *     compiled with exists; a newer core's structs only have more members
 *     at their ends, which an older policy never reads. A policy never
 *     allocates these structs for the core, nor copies them by value.
 *
 * Slots: a pool of parallelism T has W = max(T - 1, 1) workers, numbered
 * 0..W-1, plus one "outside" slot, numbered W, that stands for every thread
 * that is not a worker (a parallel-for caller, a group waiter, a submitter).
 *   - Task path: push and pop are called with the caller's slot. Calls for a
 *     worker slot come only from that worker thread, one at a time. Calls for
 *     slot W may come from several outside threads at once: treat slot W as
 *     shared (a thief, never the owner of a per-slot structure).
 *   - Range path: participants are 0..P-1 (P <= W + 1); participant 0 is the
 *     calling thread and participant p >= 1 is worker p - 1 (or, under a
 *     policy with TPOOL_POLICY_STAND_IN, the calling thread standing in for
 *     a worker that has not started). Each participant index is used by
 *     one thread at a time.
 */
#ifndef TPOOL_POLICY_H
#define TPOOL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TPOOL_POLICY_ABI_MAJOR 1
#define TPOOL_POLICY_ABI_MINOR 3
#define TPOOL_POLICY_ABI_VERSION ((TPOOL_POLICY_ABI_MAJOR << 16) | TPOOL_POLICY_ABI_MINOR)

/* The symbol every policy .so exports; see TPOOL_POLICY_DEFINE below. */
#define TPOOL_POLICY_ENTRY tpool_policy_entry
#define TPOOL_POLICY_ENTRY_NAME "tpool_policy_entry"

/* ---- tasks as a policy sees them ---------------------------------------- */

/*
 * A task. The core allocates it and fills the attributes before push; the
 * policy owns `next` and `policy_data` from push until the task is returned
 * by pop, and must not touch the task after returning it. Attributes are
 * read-only for the policy.
 */
typedef struct tpool_task {
    struct tpool_task *next;  /* free for the policy's intrusive lists */
    uintptr_t policy_data[2]; /* free for the policy (heap index, sequence...) */
    int priority;             /* larger = more urgent */
    int preferred_worker;     /* -1 = none, else a worker index (may be >= W) */
    uint64_t cost_hint;       /* 0 = unknown */
    uint64_t seq;             /* submission number, unique per pool, increasing;
                                 0 under TPOOL_POLICY_NO_SEQ */
    uint64_t submit_ns;       /* monotonic time of submission */
} tpool_task;

/* Values push returns to say whom the core should wake (besides a worker
 * index 0..W-1, for a task only that worker can take). */
#define TPOOL_WAKE_ANY (-1)  /* any idle worker may take the task */
#define TPOOL_WAKE_NONE (-2) /* nobody needs waking (e.g. the pusher pops it) */
/* ABI 1.3: worker w (0..W-1) if it sleeps, else any idle worker: for a task
 * queued for w that others may take too when w is busy. The core reads the
 * workers' states itself, so the policy keeps no "idle" flag of its own. */
#define TPOOL_WAKE_PREFER(w) (-3 - (int)(w))

/* ---- slots and range participants ---------------------------------------- */

/* The task-path slot of range participant `participant` in a pool of
 * `workers` workers (top of file): participant 0, the calling thread, is the
 * outside slot `workers`; participant p >= 1 is worker p - 1. The core maps
 * with these two functions too, so a policy that keeps per-slot state for
 * its range path (counters, victims) indexes it the way the core does. */
static inline unsigned tpool_participant_slot(unsigned participant, unsigned workers)
{
    return participant == 0 ? workers : participant - 1;
}

/* The range participant of task-path slot `slot`: worker w is participant
 * w + 1; the outside slot (and any slot >= workers) is participant 0. */
static inline unsigned tpool_slot_participant(unsigned slot, unsigned workers)
{
    return slot < workers ? slot + 1 : 0;
}

/* ---- parameters --------------------------------------------------------- */

enum tpool_param_type {
    TPOOL_PARAM_INT = 1,    /* JSON integer within [min, max] */
    TPOOL_PARAM_BOOL = 2,   /* JSON true/false */
    TPOOL_PARAM_DOUBLE = 3, /* JSON number within [dmin, dmax] */
    TPOOL_PARAM_ENUM = 4,   /* JSON string, one of `choices` */
    /* JSON string of imin..imax bytes (imax 0: no limit); the default is
     * choices[edefault], or "" when choices is NULL. For tpool-bench's
     * workloads (tpool-bench.h: a file to read, a label); the policy loader
     * refuses it, a policy's parameters are the four types above. */
    TPOOL_PARAM_STRING = 5,
};

/*
 * One parameter a policy accepts. The core validates the config's `params`
 * object against the policy's table: unknown keys, wrong types, values out of
 * range and unknown choices are errors that name the key and its position.
 */
typedef struct tpool_param_desc {
    const char *name;
    enum tpool_param_type type;
    const char *description;
    int64_t imin, imax, idefault;   /* TPOOL_PARAM_INT and _BOOL (0/1) */
    double dmin, dmax, ddefault;    /* TPOOL_PARAM_DOUBLE */
    const char *const *choices;     /* TPOOL_PARAM_ENUM: NULL-terminated */
    int edefault;                   /* TPOOL_PARAM_ENUM: index of the default */
} tpool_param_desc;

/* The most entries a parameter table may have: the loader refuses a larger
 * nparams (a stale or mistyped count) before it reads the table. */
#define TPOOL_POLICY_MAX_PARAMS 256

/* A validated parameter value, defaults filled in; one per desc entry. */
typedef union tpool_param_value {
    int64_t i;     /* INT, BOOL (0/1), ENUM (index into choices) */
    double d;      /* DOUBLE */
    const char *s; /* STRING: valid as long as the values are */
} tpool_param_value;

/* ---- what the core tells a policy at creation ---------------------------- */

typedef struct tpool_policy_env {
    unsigned workers;  /* W: worker slots 0..W-1; slot W is the outside slot */
    unsigned threads;  /* T: parallelism, the caller included */
    /* One per entry of the policy's table; valid during create only. */
    const tpool_param_value *params;
    /* The policy writes its error here (NUL-terminated) when create fails. */
    char *errbuf;
    size_t errbuf_size;
    /* ABI 1.3: the version the core speaks, as TPOOL_POLICY_ABI_VERSION
     * ((MAJOR << 16) | MINOR). Its minor is never below the policy's (the
     * loader refuses a policy built for a newer one); a member added in
     * minor m, to any struct the core hands over, exists when it is >= m. */
    uint32_t abi_version;
} tpool_policy_env;

/* ---- the range path (parallel-for) --------------------------------------- */

typedef struct tpool_range_job {
    size_t n;             /* items 0..n-1 */
    unsigned participants;/* P, the caller included */
    int priority;         /* per-call priority */
    /* Optional cost estimate of [begin, end); NULL when the caller gave none. */
    uint64_t (*cost)(void *cost_ctx, size_t begin, size_t end);
    void *cost_ctx;
} tpool_range_job;

/* ---- the descriptor ------------------------------------------------------- */

typedef struct tpool_policy {
    uint32_t abi_version; /* TPOOL_POLICY_ABI_VERSION */
    uint32_t struct_size; /* sizeof(struct tpool_policy) */

    const char *name;        /* mandatory, e.g. "fifo" */
    const char *description; /* one line; NULL allowed */

    /* Static data of the .so, nparams entries (at most
     * TPOOL_POLICY_MAX_PARAMS); may be NULL when nparams == 0. */
    const tpool_param_desc *params;
    unsigned nparams;

    /* Mandatory. Creates the per-pool state in *out. Returns 0, or non-zero
     * with a message in env->errbuf. */
    int (*create)(const tpool_policy_env *env, void **out);
    /* Mandatory. Called when no task is queued any more. */
    void (*destroy)(void *state);

    /* Mandatory. Queues `t`, pushed from slot `from` (0..W). Returns the
     * worker to wake (0..W-1), TPOOL_WAKE_ANY or TPOOL_WAKE_NONE. Never
     * fails: the task is already allocated. */
    int (*push)(void *state, tpool_task *t, unsigned from);
    /* Mandatory. The next task for slot `slot` (0..W), or NULL. A NULL for a
     * worker slot means that worker may go to sleep: a later push that makes
     * work available to it must return it (or TPOOL_WAKE_ANY) as the wake
     * target. */
    tpool_task *(*pop)(void *state, unsigned slot);

    /*
     * Optional range path. When range_next is NULL the core serves
     * parallel-for itself by cutting the range into tiles of
     * range_grain(state, job) items (fallback: about 4 tiles per participant)
     * and pushing each tile as a task through push/pop, so the policy
     * schedules tiles exactly as it schedules tasks.
     *
     * Otherwise: range_begin(state, job) prepares a job (at most one job is
     * active per pool); each participant p then calls range_next(state, p,
     * &begin, &end) until it returns 0; every item must be handed out exactly
     * once over all participants. range_end(state) follows when all
     * participants are done, possibly after the parallel-for returned, but
     * before the next range_begin, resize or destroy. range_begin and
     * range_end may be NULL.
     */
    void (*range_begin)(void *state, const tpool_range_job *job);
    int (*range_next)(void *state, unsigned participant, size_t *begin, size_t *end);
    void (*range_end)(void *state);
    size_t (*range_grain)(void *state, const tpool_range_job *job);

    /* Optional. The pool's thread count changes to env->threads and its
     * worker count to env->workers (tpool_set_threads). During the call no
     * task is queued (the core has popped every task from every slot and
     * pushes them again afterwards, from the new outside slot, in seq
     * order), no range job is active and no other op of this state runs.
     * Returns 0, or non-zero to refuse: the state must then still serve the
     * old worker count, and the pool keeps it. Fallback when NULL: the core
     * creates a new state with env (create may refuse; then nothing
     * changes), moves the queued tasks into it the same way and destroys the
     * old one, so the policy's statistics restart at zero. */
    int (*resize)(void *state, const tpool_policy_env *env);

    /* Optional statistics: up to 8 counter names, and a read of counter
     * values per slot (0..W) into out[nnames]. stats_reset may be NULL. */
    const char *const *stat_names; /* NULL-terminated, at most 8 */
    void (*stats_read)(void *state, unsigned slot, uint64_t *out);
    void (*stats_reset)(void *state);

    /* Optional (ABI 1.1): TPOOL_POLICY_* flags below; 0 when not covered. */
    uint32_t flags;

    /* Optional (ABI 1.2). Whether this state's range path gives progress
     * (TPOOL_POLICY_PROGRESS below), for a policy where a parameter decides
     * (roundrobin's `steal`). The core asks at each parallel-for that needs
     * progress; never concurrently with resize or destroy. Fallback when
     * NULL: the TPOOL_POLICY_PROGRESS flag. */
    int (*range_progress)(void *state);
} tpool_policy;

/* The policy never reads tpool_task.submit_ns: the core leaves it 0 for
 * submitted tasks and saves a clock read per submission (a noticeable share
 * of a tiny task's whole cost). Parallel-for tiles still get one time per
 * call. */
#define TPOOL_POLICY_NO_SUBMIT_TIME 0x1u

/*
 * The policy gives parallel-for progress (with its default parameters; see
 * range_progress for a policy where a parameter decides): in a call made
 * with TPOOL_FLAG_PROGRESS (every pthreadpool drop-in call), no item that
 * has not started stays out of reach of an idle participant, so an item
 * that waits for the others lets the call complete. What the policy
 * promises for it:
 *   - range path: range_next returns 0 to a participant only when every
 *     item of the job has been handed out, to any participant, or is being
 *     handed out by a range_next call running at the same time (a thief
 *     between taking items from a victim and storing them where others
 *     find them). Chunks may have any size: in such a call the core hands a
 *     chunk's items out one at a time, and other participants take the
 *     items of a chunk whose owner is busy;
 *   - tile path (no range_next): pop lets any idle worker take any queued
 *     task, whatever slot pushed it (the core then takes a tile's items one
 *     at a time and queues the tile again while items are left).
 * Shown as "progress: yes" by tpool-info --policies. Declared, not checked
 * by the loader; the conformance checks "range" and "pool-progress" test it.
 */
#define TPOOL_POLICY_PROGRESS 0x2u

/*
 * Range participants are not tied to workers: when the calling thread has
 * finished participant 0's share, it runs the share of every participant
 * whose worker has not started on it yet, in that participant's name (the
 * same index to range_next and to the body), instead of waiting for the
 * worker to wake up. Each index is still used by one thread at a time, and
 * which items an index gets is still the policy's alone; only which thread
 * stands for an index changes. Declare it only when the range path keeps
 * nothing that worker p - 1's task path touches as well (range calls for
 * participant p may then come from the calling thread while worker p - 1
 * pushes and pops). static and roundrobin declare it: their shares are
 * fixed, and a parked or descheduled worker no longer delays every call.
 */
#define TPOOL_POLICY_STAND_IN 0x4u

/* The policy never reads tpool_task.seq: the core leaves it 0 for
 * submitted tasks and saves an atomic addition on a line that every
 * submitting thread writes (contended when several threads submit at
 * once). Parallel-for tiles are still numbered. A core that predates the
 * flag ignores it and numbers every task. */
#define TPOOL_POLICY_NO_SEQ 0x8u

/* Signature of the entry point. */
typedef const tpool_policy *(*tpool_policy_entry_fn)(void);

#if defined(__GNUC__)
#define TPOOL_POLICY_EXPORT __attribute__((visibility("default")))
#else
#define TPOOL_POLICY_EXPORT
#endif

/*
 * Defines the entry point of a policy .so returning `desc`.
 *
 * Built-in policies: libtpool can also link the shipped policies in
 * (configure --enable-builtin-policies, "builtin:NAME" in a configuration).
 * The same source is then compiled once more with -DTPOOL_POLICY_BUILTIN=NAME,
 * and the entry point becomes the hidden tpool__builtin_NAME() that the
 * core's table of built-in policies (core/builtin.c) calls, so that six
 * policies can live in one library without their entry points clashing.
 * Third-party policies never define TPOOL_POLICY_BUILTIN.
 */
#ifdef TPOOL_POLICY_BUILTIN
#define TPOOL_POLICY_CAT2_(a, b) a##b
#define TPOOL_POLICY_CAT_(a, b) TPOOL_POLICY_CAT2_(a, b)
#define TPOOL_POLICY_BUILTIN_ENTRY TPOOL_POLICY_CAT_(tpool__builtin_, TPOOL_POLICY_BUILTIN)
#define TPOOL_POLICY_DEFINE(desc)                                            \
    const tpool_policy *TPOOL_POLICY_BUILTIN_ENTRY(void);                     \
    const tpool_policy *TPOOL_POLICY_BUILTIN_ENTRY(void) { return &(desc); }
#else
#define TPOOL_POLICY_DEFINE(desc)                                            \
    TPOOL_POLICY_EXPORT const tpool_policy *TPOOL_POLICY_ENTRY(void);         \
    const tpool_policy *TPOOL_POLICY_ENTRY(void) { return &(desc); }
#endif

/* ---- small helpers policies may use (header-only) -------------------------- */

/* Cache line size assumed for padding hot per-slot structures. */
#define TPOOL_CACHELINE 64

/* _Alignas in C, alignas in C++ (this header also compiles as C++). */
#ifdef __cplusplus
#define TPOOL_ALIGNAS(n) alignas(n)
#else
#define TPOOL_ALIGNAS(n) _Alignas(n)
#endif

#ifdef __cplusplus
}
#endif
#endif /* TPOOL_POLICY_H */
