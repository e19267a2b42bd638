/*
 * bench.h - the pieces of tpool-bench shared between its files: executors
 * (a tpool policy or a baseline), workloads, the per-run recorder, the
 * experiment description and the results the writers print.
 *
 * Data flow: experiment.c parses an experiment into a bench_experiment;
 * runner.c turns it into cells (workload x executor x threads), measures
 * them in interleaved rounds and fills bench_cell results, summarised by
 * stats.c; output_*.c, plot.c and trace.c write a bench_report.
 *
 * Everything here runs on one control thread except the workload bodies and
 * the recorder (bench_rec_*), which run on the executor's threads.
 */
#ifndef TPOOL_BENCH_H
#define TPOOL_BENCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tpool-bench.h"
#include "tpool.h"

#include "baselines_tbb.h"

#define BENCH_SCHEMA "tpool-bench/2"
#define BENCH_NAME_MAX 64
/* A policy: a name, "builtin:NAME", or a path to a .so (contains '/'). */
#define BENCH_POLICY_MAX 512

/* ---- time ----------------------------------------------------------------- */

uint64_t bench_now_ns(void); /* CLOCK_MONOTONIC */
/* Sleeps ns nanoseconds (restarting after signals). Used for cool-downs and
 * as the io-bound workload's blocking, never for synchronisation. */
void bench_sleep_ns(uint64_t ns);

/* ---- pipes (pipe_io.c) -------------------------------------------------------- */

/* Writes or reads exactly n bytes on fd, going on after EINTR (calling
 * on_intr first, when given); 0, or -1 on an error or at end of file. */
int bench_write_full(int fd, const void *p, size_t n, void (*on_intr)(void));
int bench_read_full(int fd, void *p, size_t n, void (*on_intr)(void));

/* ---- the calibrated spin loop ------------------------------------------------ */

/* A dependent chain of `iters` LCG steps from `seed`: the unit of synthetic
 * work. Its value is the item's result, so a check can tell whether an item
 * ran (and ran with the right input). */
uint64_t bench_spin(uint64_t iters, uint64_t seed);
/* Measures bench_spin once per process (best of several tries) and returns
 * the iterations per nanosecond. Later calls return the cached value. */
double bench_calibrate(void);
/* Iterations of bench_spin that take about `ns` nanoseconds. */
uint64_t bench_ns_to_iters(double ns);

/* Seeded, reproducible randomness for costs and shuffles (tpool-bench.h). */
#define bench_rand tpool_bench_rand
#define bench_rand_unit tpool_bench_rand_unit

/* ---- the recorder: what each participant ran ------------------------------------ */

/*
 * Inside the timed region the recorder reads no clock. Every item a
 * workload hands to the executor (through the services of exec.c: an item
 * of a parallel-for, a tile, a task) gets a run-wide index, and the slot of
 * the participant that handed it out adds the index to what it dispatched;
 * every callback that runs items (a range chunk, a tile, a task) adds, to
 * the slot of the participant that ran it, what it covered: one call, its
 * items, their known cost ("work", in the workload's own unit: nominal ns,
 * multiply-adds or items) and two sums of the items' indices (see
 * bench_rec_check_dispatched), and, for a task, whether the participant
 * that ran it is the one that submitted it. That costs the same few integer
 * operations per callback on every executor, with no shared write; the
 * cost per callback is calibrated once (bench_rec_costs) and each cell
 * reports its estimated total. Imbalance is computed from the work, so it
 * is what the schedule gave each participant, whichever executor ran it.
 * Clock reads happen in the traced run (untimed), for the slices, and for
 * the tasks a workload asks to stamp (TPOOL_BENCH_TASK_STAMP).
 */

/* A slot is what a body sees as its participant (tpool-bench.h). */
#define BENCH_MAX_SLOTS TPOOL_BENCH_MAX_PARTICIPANTS
#define BENCH_NO_SLOT TPOOL_BENCH_NO_PARTICIPANT

typedef struct bench_event {
    uint64_t t0, t1; /* monotonic ns */
    uint64_t tag;    /* first item of a tile, or the task number */
} bench_event;

/* One participant's record during one run. Written only by the thread that
 * holds the slot (a slot belongs to one thread per run, see bench_rec_slot);
 * read by the control thread after the run has completed, which the
 * executor's own completion orders after the writes. */
typedef struct bench_slot {
    _Alignas(64) uint64_t calls; /* callbacks recorded: chunks, tiles, tasks */
    uint64_t items;              /* items they covered (leaves, tiles, tasks) */
    uint64_t work;               /* the items' known cost */
    uint64_t isum, isq;          /* sums of the items' indices and their squares, mod 2^64 */
    uint64_t tasks;              /* tasks run (bench_rec_task) */
    uint64_t own;                /* of those, tasks this participant had submitted */
    bench_event *ev;             /* trace buffer (trace runs only) */
    uint32_t nev, evcap;
    uint64_t dropped;            /* events that did not fit */
    /* What this participant handed to the executor: the count and the two
     * index sums of the items of its parallel-fors and of its tasks. */
    uint64_t d_items, d_isum, d_isq;
    uint64_t idx_next, idx_end;  /* its block of task indices (bench_rec_task_index) */
    uint64_t stamps;             /* stamped tasks it submitted */
    struct bench_task_arena *arena; /* its task records (tasks.c); kept across runs */
} bench_slot;

typedef struct bench_rec {
    bench_slot slots[BENCH_MAX_SLOTS];
    /* Bumped by the control thread between runs; threads compare it with
     * their thread-local copy to claim a fresh slot (relaxed: the executor's
     * dispatch orders it before the bodies run). */
    _Atomic uint32_t epoch;
    _Atomic uint32_t next_slot; /* slots claimed this run */
    _Atomic uint64_t overflow;  /* callbacks of threads beyond the last slot */
    /* What those threads ran and dispatched, so that the item check stays
     * exact. */
    _Atomic uint64_t ovf_items, ovf_isum, ovf_isq;
    _Atomic uint64_t ovf_d_items, ovf_d_isum, ovf_d_isq, ovf_stamps;
    /* The next run-wide item index: a parallel-for takes its n at once, a
     * participant submitting tasks a block at a time. */
    _Atomic uint64_t next_index;
    int trace;                  /* record events this run (set between runs) */
} bench_rec;

extern bench_rec bench_g_rec;

/*
 * Prepares the recorder for one run: zeroes the slots, starts a new epoch,
 * and when `trace` is set gives the first `trace_slots` slots a buffer of
 * `cap` events each. Call only while no work is in flight.
 */
int bench_rec_reset(int trace, unsigned trace_slots, uint32_t cap);
/* Frees the trace buffers. */
void bench_rec_free(void);
/* This thread's slot for the current run: the first call of a thread in a
 * run claims the next free slot. BENCH_NO_SLOT past the last one. */
unsigned bench_rec_slot(void);

/* Sum of k for k in [0, n), and of k^2, mod 2^64 (for n < 2^63: far more
 * items than a run has). */
static inline uint64_t bench_sum1(uint64_t n)
{
    return n % 2 ? n * ((n - 1) / 2) : (n / 2) * (n - 1);
}
static inline uint64_t bench_sum2(uint64_t n)
{
    /* (n-1) n (2n-1) / 6, dividing the factors exactly before the
     * multiplications wrap: one of n-1, n is even, and one of n-1, n, 2n-1
     * is a multiple of 3. */
    uint64_t a = n ? n - 1 : 0, b = n, c = n ? 2 * n - 1 : 0;
    if (a % 2 == 0)
        a /= 2;
    else
        b /= 2;
    if (a % 3 == 0)
        a /= 3;
    else if (b % 3 == 0)
        b /= 3;
    else
        c /= 3;
    return a * b * c;
}

void bench_rec_overflow(uint64_t first, uint64_t n);
void bench_rec_overflow_dispatch(uint64_t first, uint64_t n);

/* The count, sum and sum of squares of the indices first..first+n-1, added
 * to *n_, *sum and *sq (mod 2^64). */
static inline void bench_isums_add(uint64_t *n_, uint64_t *sum, uint64_t *sq, uint64_t first,
                                   uint64_t n)
{
    /* sum over g in [f, f+n) of g = n f + S1(n); of g^2 = n f^2 + 2 f S1(n) + S2(n) */
    uint64_t s1 = bench_sum1(n);
    *n_ += n;
    *sum += n * first + s1;
    *sq += n * first * first + 2 * first * s1 + bench_sum2(n);
}

/* Records, for `slot`, that it handed the items first..first+n-1 to the
 * executor. */
static inline void bench_rec_dispatch(unsigned slot, uint64_t first, uint64_t n)
{
    if (slot >= BENCH_MAX_SLOTS) {
        bench_rec_overflow_dispatch(first, n);
        return;
    }
    bench_slot *s = &bench_g_rec.slots[slot];
    bench_isums_add(&s->d_items, &s->d_isum, &s->d_isq, first, n);
}

/* n fresh run-wide indices for a parallel-for: the first of them. */
static inline uint64_t bench_rec_take_indices(uint64_t n)
{
    return atomic_fetch_add_explicit(&bench_g_rec.next_index, n, memory_order_relaxed);
}

/* A fresh index for one task submitted by `slot`, from the slot's block
 * (one shared atomic operation per block, not per task). */
#define BENCH_INDEX_BLOCK 4096u
static inline uint64_t bench_rec_task_index(unsigned slot)
{
    if (slot >= BENCH_MAX_SLOTS)
        return bench_rec_take_indices(1);
    bench_slot *s = &bench_g_rec.slots[slot];
    if (s->idx_next == s->idx_end) {
        s->idx_next = bench_rec_take_indices(BENCH_INDEX_BLOCK);
        s->idx_end = s->idx_next + BENCH_INDEX_BLOCK;
    }
    return s->idx_next++;
}

/* Records, for `slot`, one callback that ran the n items first..first+n-1
 * (run-wide indices) of known cost `work`. */
static inline void bench_rec_items(unsigned slot, uint64_t first, uint64_t n, uint64_t work)
{
    if (slot >= BENCH_MAX_SLOTS) {
        bench_rec_overflow(first, n);
        return;
    }
    bench_slot *s = &bench_g_rec.slots[slot];
    s->calls++;
    s->work += work;
    bench_isums_add(&s->items, &s->isum, &s->isq, first, n);
}

/* Records a task at its start: run by this thread, submitted by the thread
 * whose slot is `producer`, covering items first..first+n-1 of cost `work`
 * (n = 0: a task without items of its own, e.g. an inner node of a tree).
 * Returns this thread's slot. */
static inline unsigned bench_rec_task(unsigned producer, uint64_t first, uint64_t n,
                                      uint64_t work)
{
    unsigned slot = bench_rec_slot();
    if (slot < BENCH_MAX_SLOTS) {
        bench_slot *s = &bench_g_rec.slots[slot];
        s->tasks++;
        s->own += slot == producer;
    }
    if (n)
        bench_rec_items(slot, first, n, work);
    return slot;
}

/* Adds a trace slice [t0, t1) to `slot` (traced runs only). */
static inline void bench_rec_span(unsigned slot, uint64_t t0, uint64_t t1, uint64_t tag)
{
    if (slot >= BENCH_MAX_SLOTS || !bench_g_rec.trace)
        return;
    bench_slot *s = &bench_g_rec.slots[slot];
    if (s->nev < s->evcap)
        s->ev[s->nev++] = (bench_event){ t0, t1, tag };
    else
        s->dropped++;
}

/* Imbalance of the last run over `participants`: max work / mean work,
 * where the mean divides by `participants` (a participant that got nothing
 * counts as 0). NaN when nothing was recorded. */
double bench_rec_imbalance(unsigned participants);
/*
 * The item check: every item 0..n-1 of the last run was recorded exactly
 * once. Compares the count and the two index sums with those of [0, n): an
 * item run twice or never changes the count, and one run twice with
 * another never changes the sum of indices. Any wrong pattern of at most
 * four items (indices below 2^31) is caught for certain: the runs of the
 * extra and of the missing items would need equal counts, sums and sums of
 * squares, which takes at least five items (item 2 three times and 9 twice
 * for 0, 5 and 8 never). A larger pattern escapes only if its indices
 * balance in all three. Returns 0, or -1 with what differs in msg.
 */
int bench_rec_check_items(uint64_t n, char *msg, size_t msgsize);
/* The same check against what was dispatched through the services of
 * exec.c in the last run, whatever the indices: every item and task handed
 * to the executor ran exactly once. 0, or -1 with what differs in msg. */
int bench_rec_check_dispatched(char *msg, size_t msgsize);
/* Items and tasks dispatched in the last run, and the tasks of them that
 * were stamped. */
uint64_t bench_rec_dispatched(void);
uint64_t bench_rec_stamps(void);

/* What the recorder costs, calibrated once per process (ns, best of several
 * tries of a tight loop, less the same loop calling an empty body
 * directly): a callback through bench_range's wrapper (its extra call, a
 * slot lookup, bench_rec_items), one bench_rec_task without items (its
 * items are a bench_rec_items of their own), and one bench_now_ns. */
typedef struct bench_rec_costs {
    double per_call, per_task, per_clock;
} bench_rec_costs;
/* The first call measures, on the recorder itself, and leaves it reset:
 * make it between runs. */
const bench_rec_costs *bench_rec_calibrate(void);

/* ---- executors (exec.c) ------------------------------------------------------------ */

enum bench_exec_kind {
    BENCH_EX_SERIAL = 0, /* a plain loop on the calling thread */
    BENCH_EX_TPOOL = 1,  /* a tpool pool running a policy */
    BENCH_EX_OMP = 2,    /* OpenMP (libgomp) */
    BENCH_EX_PTP = 3,    /* Debian's libpthreadpool, loaded with dlopen */
    BENCH_EX_TBB = 4,    /* oneTBB */
};

enum bench_omp_sched {
    BENCH_OMP_STATIC = 0,
    BENCH_OMP_DYNAMIC = 1,
    BENCH_OMP_GUIDED = 2,
    BENCH_OMP_TASK = 3, /* `omp task` for task workloads */
};

struct bench_ptp_api;

/*
 * Everything a workload needs to run once on one executor. `pub` is what
 * the workload sees (tpool-bench.h): bench_exec_init fills its services,
 * which call the backend of `kind` (exec.c) and record what they hand out
 * and what runs. A baseline of a new kind is a backend there: a range, and
 * optionally tasks in groups and a wrapper around a run.
 */
typedef struct bench_exec {
    tpool_bench_exec pub;    /* first: the services find the rest through pub.impl */
    enum bench_exec_kind kind;
    unsigned threads;        /* parallelism, the caller included */
    tpool *pool;             /* BENCH_EX_TPOOL */
    int omp_sched;           /* BENCH_EX_OMP: enum bench_omp_sched */
    int omp_chunk;           /* BENCH_EX_OMP: 0 = the schedule's default */
    const struct bench_ptp_api *ptp; /* BENCH_EX_PTP */
    void *ptp_pool;          /* BENCH_EX_PTP: a pthreadpool_t of that library */
    int tbb_mode;            /* BENCH_EX_TBB: enum bench_tbb_mode */
    size_t tbb_grain;        /* BENCH_EX_TBB: the blocked_range's grain; 0 means 1 */
    void *tbb;               /* BENCH_EX_TBB: an arena of `threads` (bench_tbb_create) */
    int trace;               /* the traced run: bodies also read the clock for slices */
} bench_exec;

/* Fills ex->pub from the fields above (kind, threads, pool...) and `label`
 * (the executor's name, kept by pointer). Call again after changing them. */
void bench_exec_init(bench_exec *ex, const char *label);
/* What an executor of this kind offers (TPOOL_BENCH_USES_*); `mode` is its
 * construct: the OpenMP schedule (enum bench_omp_sched) or the oneTBB mode
 * (enum bench_tbb_mode), else 0. */
unsigned bench_exec_offers(enum bench_exec_kind kind, int mode);
/* The mode of an executor of `kind` with these settings. */
static inline int bench_exec_mode(enum bench_exec_kind kind, int omp_sched, int tbb_mode)
{
    return kind == BENCH_EX_OMP ? omp_sched : kind == BENCH_EX_TBB ? tbb_mode : 0;
}
/* One timed run of workload w on ex: w->run inside what the executor needs
 * around it (OpenMP tasks: a parallel region's single construct). */
int bench_exec_run(const bench_exec *ex, const tpool_bench_workload *w, void *state);

/*
 * A range body: items [begin, end) run by participant `slot` (a recorder
 * slot). bench_range runs one over [0, n) on any executor and records each
 * callback (bench_rec_items) after the body returns; the items get
 * run-wide indices (bench_rec_take_indices), dispatched by the caller's
 * slot, so that bench_rec_check_dispatched covers every call of a run.
 */
typedef void (*bench_body_fn)(void *ctx, size_t begin, size_t end, unsigned slot);
typedef struct bench_range_opts {
    /* n + 1 prefix sums of the items' known costs (the work of [b, e) is
     * cost[e] - cost[b]); NULL: every item costs 1. */
    const uint64_t *cost;
    /* Items per tile for the pthreadpool baseline (parallelize_1d_tile_1d);
     * 0 means 1, the API's per-item callback. tpool, OpenMP and oneTBB cut
     * the range themselves. */
    size_t ptp_tile;
} bench_range_opts;
int bench_range(const bench_exec *ex, size_t n, bench_body_fn body, void *ctx,
                const bench_range_opts *opts);

/* ---- company (company.c) ------------------------------------------------------------ */

/*
 * A company cell runs its workload with a companion load beside it: the same
 * executor and workload on a second instance (its own pool, arena, team or
 * pthreadpool, and its own workload data) driven by another thread of this
 * process (thread), the same in a second process (process), or the same
 * workload on an OpenMP team of the same size driven by another thread
 * (omp). Each measured round runs the cell alone, the companion alone, then
 * both at once; the round's time is the pair's makespan.
 */
enum bench_company {
    BENCH_CO_NONE = 0,
    BENCH_CO_THREAD = 1,
    BENCH_CO_PROCESS = 2,
    BENCH_CO_OMP = 3,
};
#define BENCH_NCOMPANY 4
#define BENCH_CO_BIT(mode) (1u << ((mode) - 1))
#define BENCH_CO_ALL 0x7u
/* "none", "thread", "process", "omp" */
extern const char *const bench_company_names[BENCH_NCOMPANY];
/* The mode of a name, or -1. */
int bench_company_from_name(const char *name);

typedef struct bench_companion bench_companion;
struct bench_report;
/* The companion of `mode` for the cells of r (thread and omp: a thread of
 * this process; process: `tpool-bench __company` started with r's resolved
 * experiment). NULL with why in err. */
bench_companion *bench_companion_open(const struct bench_report *r, int mode, char *err,
                                      size_t errsize);
/* Readies the companion of cell `ci` for one run: creates its executor and
 * workload data on first use, lets its previous run's spinning end
 * (`cooldown_ns`) and calls the workload's prepare; nothing is timed. 0,
 * or -1 with why in err (the companion is then unusable for that cell). */
int bench_companion_prepare(bench_companion *c, size_t ci, uint64_t cooldown_ns, char *err,
                            size_t errsize);
/* Starts the prepared run and returns at once. */
int bench_companion_start(bench_companion *c);
/* Waits for it: its own time in *ns; 0 when it ran and its result checks
 * passed, else -1 with why in err. The in-process companions record in
 * this process's recorder (the caller's item check covers them); the
 * process companion checks its own. */
int bench_companion_wait(bench_companion *c, uint64_t *ns, char *err, size_t errsize);
void bench_companion_close(bench_companion *c);
/* Child side of the process companion: `tpool-bench __company IN OUT
 * EXPERIMENT`. */
int bench_company_child(int argc, char **argv);

/* Waits `ns`, then until this process burns less than a tenth of a CPU over
 * a millisecond (at most 100 ms more): spinning workers of the last run
 * have gone to sleep. */
void bench_quiesce(uint64_t ns);
/* Sets up workload instance wi for `max_threads` threads with the seed:
 * its state in *state. 0, or -1 with why in err. */
struct bench_wl_inst;
int bench_wl_setup(const struct bench_wl_inst *wi, uint64_t seed, unsigned max_threads, void **state,
                   char *err, size_t errsize);

/* ---- tasks (tasks.c) ---------------------------------------------------------------- */

/*
 * A task as the harness runs it: the workload's fn(arg), and what the
 * recorder needs. Records live in per-slot arenas that are reused from run
 * to run (bench_tasks_reset), so that a submission allocates nothing.
 */
typedef struct bench_task {
    tpool_bench_task_fn fn;
    void *arg;
    uint64_t index;          /* run-wide item index */
    uint64_t work;
    uint64_t cost_hint;
    unsigned producer;       /* recorder slot of the submitter */
    int priority;
    struct bench_stamp *stamp; /* stamped tasks: their times; else NULL */
} bench_task;

/* The times of a stamped task (monotonic ns); written by the submitter
 * (submit_ns, deadline_ns) and by the thread that runs it (start, end). */
typedef struct bench_stamp {
    uint64_t submit_ns, start_ns, end_ns;
    uint64_t deadline_ns; /* relative to submit_ns; 0 = none */
    int priority;
} bench_stamp;

/* A record for a task submitted by the calling thread, filled from fn, arg
 * and attr (may be NULL); NULL when out of memory. */
bench_task *bench_task_new(tpool_bench_task_fn fn, void *arg,
                           const tpool_bench_task_attr *attr);
/* Runs a task: stamps its start and end when stamped, fn(arg), records it
 * (bench_rec_task) and its trace slice. */
void bench_task_run(bench_task *t);
/* Forgets every record (between runs, nothing in flight); keeps the memory. */
void bench_tasks_reset(void);
void bench_tasks_free(void);

/* Latency figures of one run of a task workload (ns; NaN when not kept). */
typedef struct bench_latency {
    int valid;
    double p50, p90, p99, max; /* submit-to-start, all tasks */
    int has_prio;              /* a high-priority class (priority > 0) beside the rest */
    double hi_p50, hi_p90, hi_p99, hi_max;
    double lo_max;             /* longest wait of a low-priority task */
    /* Flow time (submit to end) and slowdown (flow time / own run time). */
    double flow_mean, flow_p50, flow_p99, flow_max;
    double slow_mean, slow_p99;
    /* Tasks with a deadline, and the share of them that missed it (NaN
     * when none had one). */
    double dl_tasks, dl_missed;
    /* The workload's own metrics (tpool_bench_workload.metrics). */
    double custom[TPOOL_BENCH_MAX_METRICS];
} bench_latency;

/* The figures of the stamped tasks of the last run into *out (valid 0 when
 * none was stamped); the custom metrics are left as they are. 0, or -1 out
 * of memory. */
int bench_tasks_figures(bench_latency *out);

/* ---- baselines (baselines.c, baselines_omp.c, baselines_tbb.cc) ------------------- */

/* The functions of a dlopen'ed libpthreadpool this harness uses: entry
 * points that call no other exported pthreadpool_* function, so that none
 * can bind to libtpool's drop-in (baselines.c). */
typedef void (*bench_ptp_tile1d_fn)(void *, size_t, size_t);
typedef void (*bench_ptp_tiled2d_fn)(void *, size_t, size_t, size_t, size_t);
typedef struct bench_ptp_api {
    void *handle;
    void *(*create)(size_t threads);
    void (*destroy)(void *pool);
    size_t (*threads_count)(void *pool);
    void (*parallelize_1d_tile_1d)(void *pool, bench_ptp_tile1d_fn fn, void *ctx,
                                   size_t range, size_t tile, uint32_t flags);
    void (*parallelize_2d_tile_2d)(void *pool, bench_ptp_tiled2d_fn fn, void *ctx,
                                   size_t range_i, size_t range_j, size_t tile_i,
                                   size_t tile_j, uint32_t flags);
} bench_ptp_api;

/* Loads the system libpthreadpool named at configure time. Returns 0, or -1
 * with the reason in `why` (not installed, dlopen or dlsym text). */
int bench_ptp_load(bench_ptp_api *api, char *why, size_t whysize);
void bench_ptp_unload(bench_ptp_api *api);
/* Path of the system library, "" when configure found none. */
const char *bench_ptp_path(void);

/* OpenMP: 1 when the harness was built with it. The functions below do
 * nothing and return -1 without it. */
int bench_omp_available(void);
const char *bench_omp_version(void); /* e.g. "201511", or "" */
/* An OpenMP parallel loop over [0, n) with schedule(sched, chunk) (chunk 0:
 * the schedule's default), calling fn once per thread share (static) or
 * chunk (dynamic, guided), as the compiled loop runs its body; `slot` is
 * omp_get_thread_num(). */
int bench_omp_range(int sched, int chunk, unsigned threads, size_t n,
                    void (*fn)(void *ctx, size_t begin, size_t end, unsigned slot),
                    void *ctx);
/* Runs fn(arg) in `threads` threads' parallel region, on the thread of its
 * `single` construct, so that the tasks it submits (bench_omp_submit) run
 * on the team; returns fn's value once they all ran. */
int bench_omp_run(unsigned threads, int (*fn)(void *arg), void *arg);
/* `omp task` running bench_task_run(t), which then waits for the tasks it
 * submitted itself (taskwait): OpenMP has no group a task could join from
 * outside, so a group's wait covers its tasks' tasks this way. */
int bench_omp_submit(bench_task *t);
/* `omp taskwait`: the tasks the calling task submitted (and theirs) ran. */
int bench_omp_wait(void);

/* oneTBB: baselines_tbb.h, shared with the C++ that implements it. */

/* ---- workloads (workload.c) ------------------------------------------------------- */

/* The registry: the workloads built into tpool-bench, in listing order. It
 * is generated from the build's list of workload files
 * (harness/tpool-bench.mk, BENCH_WORKLOADS): a workload is one file
 * harness/workloads/NAME.c defining `const tpool_bench_workload
 * bench_wl_NAME`, and one line in that list. These are the workloads an
 * experiment without "workloads" runs. */
extern const tpool_bench_workload *const bench_workloads[];
extern const size_t bench_nworkloads;
/* "replay" (harness/workloads/replay.c) replays the record that
 * TPOOL_BENCH_RECORD names: built in but kept out of the registry, so that
 * it runs only when named. */
extern const tpool_bench_workload bench_wl_replay;
/* A built-in workload by name (the registry's, or "replay"), or NULL. */
const tpool_bench_workload *bench_workload_find(const char *name);
/* The unit of w: its own, or "items". */
const char *bench_workload_unit(const tpool_bench_workload *w);
/* The index of parameter `name` of w, or -1. */
int bench_workload_param(const tpool_bench_workload *w, const char *name);

/* The harness's services at setup (spin loop, clock): *env filled but for
 * params, seed, max_threads and the error buffer. */
void bench_env_init(tpool_bench_env *env);

/*
 * A workload loaded from a .so (wlmodule.c). The loader checks what a
 * policy's loader checks: the entry symbol is a function returning a
 * descriptor in the .so, the major ABI version is this one's and the minor
 * not newer, the descriptor covers the mandatory members, which are set,
 * the name is plain and no built-in workload's, the parameter table and
 * the metrics are well-formed. With `probe` (and params), the .so is first
 * loaded in a child process that also runs setup and teardown with those
 * params, so that one that crashes or hangs there is refused with its
 * signal instead of ending tpool-bench.
 */
typedef struct bench_wl_module {
    void *dl;
    char path[4096];                 /* absolute */
    const tpool_bench_workload *wl;  /* a copy: members past struct_size are zero */
    tpool_bench_workload desc;
} bench_wl_module;
/* Loads `path` (a file; a name without '/' is taken as ./NAME). 0, or a
 * negative TPOOL_E* with the file and the problem in err (key "workload"). */
int bench_wl_module_load(const char *path, bench_wl_module **out, tpool_error *err);
/* Checks `path` in a child process: loads it and runs setup (with params,
 * which may be NULL for the defaults, and `seed`) and teardown. 0, or the
 * load's error, or TPOOL_ELOAD for a crash, a hang or an early exit (what
 * it was doing and the signal in err); 1 when no child could be made. */
int bench_wl_module_probe(const char *path, const tpool_param_value *params, uint64_t seed,
                          tpool_error *err);
void bench_wl_module_unload(bench_wl_module *m);
/* From now on bench_wl_module_load refuses every file, saying `why` (a
 * fuzzer of the experiment parser must not dlopen the paths it makes up). */
void bench_wl_module_disable(const char *why);
/* Checks a descriptor as the loader does (bench_wl_module_load's list);
 * `anchor` is an address in its .so, or NULL for a built-in workload. */
int bench_wl_check_desc(const char *file, const tpool_bench_workload *d, const void *anchor,
                        tpool_error *err);

/* ---- experiments (experiment.c) ------------------------------------------------- */

/* One executor requested by an experiment: a policy (possibly with params
 * and a label of its own) or a baseline. */
typedef struct bench_policy_sel {
    char label[BENCH_NAME_MAX];
    char policy[BENCH_POLICY_MAX];
    char *params_json; /* JSON object text, or NULL */
} bench_policy_sel;

typedef struct bench_wl_inst {
    char label[BENCH_NAME_MAX];
    const tpool_bench_workload *wl;
    tpool_param_value p[TPOOL_BENCH_MAX_PARAMS]; /* one per entry of wl->params */
    /* A workload from a .so: the module (owned by the experiment); NULL for
     * a built-in one. */
    const bench_wl_module *mod;
} bench_wl_inst;

/* Parameter k of w as JSON (an integer, a number, a boolean, a choice or a
 * string), and as a number (an enum: its index; a string: NaN); `buf` gets
 * "NAME=VALUE". */
struct json_t;
struct json_t *bench_wl_param_json(const bench_wl_inst *w, unsigned k);
double bench_wl_param_num(const bench_wl_inst *w, unsigned k);
void bench_wl_param_text(const bench_wl_inst *w, unsigned k, char *buf, size_t size);
/* Fills w->p with the defaults of w->wl. */
void bench_wl_defaults(bench_wl_inst *w);

#define BENCH_BASE_SERIAL 0x01u
#define BENCH_BASE_OMP_STATIC 0x02u
#define BENCH_BASE_OMP_DYNAMIC 0x04u
#define BENCH_BASE_OMP_GUIDED 0x08u
#define BENCH_BASE_OMP_TASK 0x10u
#define BENCH_BASE_PTP 0x20u
#define BENCH_BASE_TBB_TASK 0x40u
#define BENCH_BASE_TBB_AUTO 0x80u
#define BENCH_BASE_TBB_SIMPLE 0x100u
#define BENCH_BASE_TBB_STATIC 0x200u
#define BENCH_BASE_ALL 0x3FFu
#define BENCH_NBASE 10

/* Names of the baselines, bit i of BENCH_BASE_* <-> bench_base_names[i]. */
extern const char *const bench_base_names[BENCH_NBASE];
int bench_base_from_name(const char *name); /* bit, or 0 when unknown */
/* Every baseline's name, comma-separated (for messages). Control thread. */
const char *bench_base_list(void);

typedef struct bench_experiment {
    char name[BENCH_NAME_MAX];
    char *source;             /* file name, or "<default>" */
    char *text;               /* the JSON text, for positions; NULL after --policies */
    uint64_t seed;
    int all_policies;         /* "policies": "all" (the default) */
    bench_policy_sel *policies;
    size_t npolicies;
    unsigned baselines;       /* BENCH_BASE_* mask */
    unsigned *threads;        /* NULL: 1, 2, 4, ... up to the default */
    size_t nthreads;
    /* Rounds and the stopping rule (docs/harness.md, "Rounds"): every cell
     * gets min_rounds measured rounds, then more until the half-width of
     * its 95% CI is within ci_target of its median (0: never), max_rounds
     * are reached, or budget_s of measuring has passed. */
    unsigned min_rounds;
    unsigned max_rounds;
    double ci_target;         /* a fraction of the median, e.g. 0.02 */
    double budget_s;          /* all runs together; the minimum always runs */
    unsigned runs;            /* separate processes, interleaved round by round */
    unsigned warmup;
    unsigned cooldown_us;     /* pause before each run */
    unsigned spin_us;         /* the pools' spin budget */
    int policy_switch;        /* one pool per thread count, policy switched per cell */
    unsigned company;         /* BENCH_CO_* mask: the company variants of each executor */
    unsigned idle_probe_ms;   /* 0 disables the idle-CPU probe */
    bench_wl_inst *workloads;
    size_t nworkloads;
    bench_wl_module **modules; /* the workload modules loaded, one per file */
    size_t nmodules;
    char **strings;            /* the values of string parameters (p[k].s), owned */
    size_t nstrings;
} bench_experiment;

typedef struct bench_perror {
    int line, column;   /* 0 when unknown */
    char key[128];      /* key path, e.g. "workloads[2].params.n" */
    char text[768];     /* FILE:LINE:COL: KEY: message */
} bench_perror;

/* The built-in default experiment (harness/experiments/default.json). */
extern const char bench_default_experiment[];

int bench_experiment_parse(const char *text, const char *source, bench_experiment *out,
                           bench_perror *err);
int bench_experiment_load(const char *path, bench_experiment *out, bench_perror *err);
void bench_experiment_free(bench_experiment *e);
/* Loads each requested policy with its params as a pool will, before anything
 * runs: an unknown or broken policy or a bad parameter is an error at its
 * place in the file (the loader's message, dlerror text included). */
int bench_experiment_check_policies(const bench_experiment *e, bench_perror *err);
/* Tries every workload .so of the experiment with its params in a child
 * process (bench_wl_module_probe) before anything runs: one that crashes,
 * hangs or fails its setup is an error at its place in the file. */
int bench_experiment_probe_modules(const bench_experiment *e, bench_perror *err);
/* Adds a workload with its default params, labelled by its name: a
 * built-in one by name, or the .so at a path containing '/' (tpool-bench
 * --workloads ./x.so). */
int bench_experiment_add_workload(bench_experiment *e, const char *name, bench_perror *err);

/* Checks a requested policy (a name, "builtin:NAME" or a path containing
 * '/') and writes its default label: the name, or for a path the file name
 * without a "lib" prefix and a ".so" suffix. Returns 0, or -1 with why in
 * msg. */
int bench_policy_label(const char *policy, char label[BENCH_NAME_MAX], char *msg,
                       size_t msgsize);
/* The experiment as JSON, resolved (defaults filled in), for the results;
 * an experiment file itself: parsing it gives the same experiment. */
char *bench_experiment_to_json(const bench_experiment *e);
struct bench_executor;
/* The experiment as it ran, an experiment file that repeats exactly these
 * cells: the thread counts given, the policies of the executors (a policy
 * loaded by path by its absolute path) with their labels and params, and
 * the baselines of `baselines` (those that ran). malloc'd; NULL when out of
 * memory. */
char *bench_experiment_resolved_json(const bench_experiment *e, const unsigned *threads,
                                     size_t nthreads, const struct bench_executor *exes,
                                     size_t nexes, unsigned baselines);
/* Default thread list: 1, 2, 4, ... below max, then max. */
size_t bench_default_threads(unsigned max, unsigned *out, size_t cap);

/* ---- results ---------------------------------------------------------------------- */

/* Statistics of one worker over the measured rounds (sums; the writers
 * divide by the rounds). Index W stands for the outside threads. */
typedef struct bench_wstats {
    uint64_t tasks_run, items_run, busy_ns, idle_ns, parks, wakes;
    uint64_t policy[TPOOL_STAT_POLICY_MAX];
} bench_wstats;

typedef struct bench_summary {
    unsigned n;
    double median, ci_lo, ci_hi, ci_level, min, max, mean, stddev;
} bench_summary;

/* One executor of a run, as reported. */
typedef struct bench_executor {
    char label[BENCH_NAME_MAX];
    enum bench_exec_kind kind;
    int omp_sched;
    char policy[BENCH_POLICY_MAX]; /* BENCH_EX_TPOOL: as requested (name or path) */
    char path[BENCH_POLICY_MAX];   /* BENCH_EX_TPOOL: the .so, or builtin:NAME */
    char *params_json;           /* BENCH_EX_TPOOL: given params, or NULL */
    int desc;                    /* BENCH_EX_TPOOL: index in bench_report.policies, or -1 */
    int tbb_mode;                /* BENCH_EX_TBB: enum bench_tbb_mode */
    /* Baselines (bench_baselines_pair): the OpenMP chunk, the oneTBB
     * grain, and the tpool cell the baseline is compared with, in words. */
    int omp_chunk;
    size_t tbb_grain;
    char peer[192];
    /* What runs beside each of its runs (enum bench_company): a company
     * variant of the executor of the same name without one (company.h). */
    int company;
} bench_executor;

/* The most separate processes one experiment runs in (--runs). */
#define BENCH_MAX_RUNS 32

/* Why a cell stopped taking measured rounds, in one run. */
enum bench_stop {
    BENCH_STOP_NONE = 0,        /* still measuring */
    BENCH_STOP_CI = 1,          /* its CI half-width reached ci_target */
    BENCH_STOP_MAX = 2,         /* max_rounds */
    BENCH_STOP_BUDGET = 3,      /* budget_s was spent */
    BENCH_STOP_FAILED = 4,      /* a run or its result check failed */
    BENCH_STOP_INTERRUPTED = 5, /* SIGINT or SIGTERM */
};
/* "ci_target", "max_rounds", "budget", "failed", "interrupted"; "" for NONE. */
const char *bench_stop_name(int stop);

/* What a reader should know about a cell (bench_cell.flags). */
#define BENCH_FLAG_WIDE_CI 0x1u       /* 95% CI wider than BENCH_WIDE_CI of the median */
#define BENCH_FLAG_OUTLIERS 0x2u      /* rounds beyond Tukey's outer fences */
#define BENCH_FLAG_RUNS_DISAGREE 0x4u /* two runs' 95% CIs do not overlap */
#define BENCH_WIDE_CI 0.10

typedef struct bench_cell {
    unsigned wl, exe, threads;
    uint64_t items;          /* work items per run */
    /* raw, one per measured round; with several runs, run after run */
    unsigned nrounds, cap;   /* rounds kept; entries allocated */
    uint64_t *times_ns;      /* time of one run of the workload */
    double *imbalance;       /* NaN where unknown */
    bench_latency *lat;
    /* Company cells (bench_executor.company): per round, the measured run
     * alone plus the companion alone, one after the other, ns; the round's
     * time is the pair's makespan. NULL for other cells. */
    uint64_t *alone_ns;
    unsigned nruns;                         /* runs merged; 1 in one process */
    unsigned run_rounds[BENCH_MAX_RUNS];    /* measured rounds of each run */
    unsigned char run_stop[BENCH_MAX_RUNS]; /* enum bench_stop of each run */
    /* pool statistics (BENCH_EX_TPOOL): sums over the rounds */
    unsigned nworkers;       /* W; ws has W + 1 entries */
    bench_wstats *ws;
    unsigned npolicy;
    char policy_names[TPOOL_STAT_POLICY_MAX][32];
    double idle_cpu_ns;      /* CPU burned in the probe window; NaN if none */
    double idle_probe_ns;    /* the window's length */
    int check_ok;
    char check_msg[256];
    uint64_t overflow;       /* recorder overflow (callbacks not recorded) */
    /* What the recorder saw (bench_cell_record_round): sums over the
     * measured rounds, of every run with several (runs.c adds them up). */
    uint64_t rec_calls, rec_tasks, rec_own, rec_clock_reads;
    double *part_share;      /* [BENCH_MAX_SLOTS]: share of the run's work of the
                                k-th busiest participant, summed over rounds */
    unsigned nparts;         /* most participants that ran something in a round
                                (of any run) */
    /* derived by bench_report_derive */
    bench_summary t;         /* ns per run, every run's rounds pooled */
    double calls;            /* calls per run (bench_wl_calls); NaN for tasks */
    bench_summary t_call;    /* t / calls: ns per call */
    double ns_per_item;      /* median / items */
    double throughput;       /* items per second at the median time */
    bench_summary run_t[BENCH_MAX_RUNS]; /* each run's own, ns per run */
    double runs_lo, runs_hi;       /* lowest and highest run median; NaN with one run */
    double runs_ci_lo, runs_ci_hi; /* 95% CI of the median, runs and rounds resampled */
    double within_rel;       /* median over runs of each run's CI half-width / its median */
    double between_rel;      /* (runs_hi - runs_lo) / 2 / median; NaN with one run */
    unsigned noutliers;
    unsigned flags;          /* BENCH_FLAG_* */
    double speedup_serial, speedup_1t, efficiency;
    double imbalance_med;
    const char *imbalance_src; /* "work" (the recorder, in the bodies) or NULL */
    bench_latency lat_med;   /* each figure the median over rounds */
    /* Company cells: the alone times and the per-round ratio makespan /
     * alone (with several runs its CI is the bootstrap over runs). */
    bench_summary alone, co_ratio;
} bench_cell;

/* A library the results depend on, and where it came from. */
typedef struct bench_lib {
    char name[32];       /* "tpool", "jansson", "libgomp", "pthreadpool", "libtbb" */
    char version[64];    /* its own version string, or "" */
    char path[512];      /* the file loaded, or "" */
    char package[160];   /* "PACKAGE VERSION" of the Debian package owning it, or "" */
} bench_lib;

#define BENCH_MAX_LIBS 5
#define BENCH_MAX_ENV 32

typedef struct bench_meta {
    char cpu_model[256];
    unsigned nproc;            /* online CPUs */
    unsigned default_threads;  /* tpool_default_threads() */
    char kernel[512];
    char compiler[256];
    char git_rev[64];
    char tpool_version[32];
    char date[32];             /* UTC, ISO 8601 */
    char build_cflags[512];
    char openmp[32];           /* _OPENMP, or "" */
    char pthreadpool[512];     /* system library path, or "" */
    double spin_iters_per_ns;  /* of the first run */
    char command[1024];
    char experiment_source[256]; /* the experiment file, or "<default>" */
    double wall_s;             /* the whole run */
    bench_lib libs[BENCH_MAX_LIBS];
    unsigned nlibs;
    char env[BENCH_MAX_ENV][1024]; /* NAME=VALUE of OMP_*, GOMP_*, TPOOL_* */
    unsigned nenv;
} bench_meta;

/* The machine while measuring (machine.c): load, frequency governors, and
 * how much of the CPUs this process may use other processes took. */
typedef struct bench_machine {
    unsigned ncpu;               /* online CPUs */
    char affinity[256];          /* the CPUs this process may use, e.g. "0-3,8" */
    unsigned affinity_cpus;
    char governors[128];         /* their scaling governors, distinct; "" unreadable */
    double cpu_mhz, cpu_max_mhz; /* current (first allowed CPU) and maximum; NaN unknown */
    double load_before[3];       /* 1, 5 and 15 minute load averages at the start */
    double load_max;             /* highest 1-minute load during the measuring, less
                                    this experiment's own share; NaN before a sample */
    double others_before;        /* share of the allowed CPUs' time others used in a
                                    quiet window before measuring; NaN unknown */
    double others_busy, others_cap; /* clock ticks others used / ticks available,
                                       summed over the measured stretches */
    double others_max;           /* the highest share of one stretch */
    unsigned nsamples;
    /* sampler state between bench_machine_mark and bench_machine_sample */
    uint64_t m_busy, m_total, m_own, m_wall;
    double own_load;             /* this experiment's share of the load, decayed
                                    as the kernel's 1-minute average is */
    uint64_t own_at_ns, own_ticks_at;
} bench_machine;

/* Thresholds of the warnings (docs/harness.md, "Warnings"). */
#define BENCH_WARN_LOAD_PER_CPU 0.5
#define BENCH_WARN_OTHERS 0.05

typedef struct bench_warning {
    char kind[24];   /* "load", "governor", "not_alone", "wide_ci", ... */
    char text[320];
} bench_warning;
#define BENCH_MAX_WARNINGS 16

typedef struct bench_baseline_status {
    char name[BENCH_NAME_MAX];
    int available, requested;
    char reason[256];
} bench_baseline_status;

typedef struct bench_policy_desc {
    char name[BENCH_NAME_MAX];
    char path[512];
    char description[256];
    char *params_json; /* the policy's parameter table (tpool_policy_list) */
} bench_policy_desc;

typedef struct bench_report {
    bench_meta meta;
    const bench_experiment *exp;
    char *resolved;              /* the experiment as run: concrete threads and
                                    policies (an experiment file) */
    unsigned *threads;           /* the thread counts run */
    size_t nthreads;
    bench_executor *exes;
    size_t nexes;
    bench_cell *cells;
    size_t ncells;
    bench_policy_desc *policies; /* every policy found, and those loaded by path */
    size_t npolicies;
    bench_baseline_status base[BENCH_NBASE];
    bench_machine machine;
    unsigned nruns;              /* runs that reported */
    double run_spin[BENCH_MAX_RUNS]; /* each run's calibration (iterations per ns) */
    /* The recorder's prices: each run's own calibration (bench_rec_calibrate
     * in that process), and their mean over the runs, which the cells'
     * figures use (bench_cell_rec_figures). */
    bench_rec_costs run_rec[BENCH_MAX_RUNS];
    bench_rec_costs rec_costs;
    int incomplete;              /* interrupted, or a run was lost */
    char incomplete_why[160];
    bench_warning warnings[BENCH_MAX_WARNINGS];
    unsigned nwarnings;
} bench_report;

void bench_meta_collect(bench_meta *m, int argc, char **argv);
/* After measured round k of a cell: its imbalance (from the recorder's work
 * over max(T, participants that ran something)), and the recorder's sums.
 * Returns 0, or -1 out of memory. */
int bench_cell_record_round(bench_cell *c, unsigned k);
/* The recorder's figures of a cell, per run of the workload (averages over
 * the measured rounds): callbacks and tasks recorded, clock reads of the
 * latency stamps, their estimated CPU time at the prices k (the report's
 * rec_costs), and that as a share of the cell's CPU time (median x T); NaN
 * when not measured. And the share of tasks run by the thread that
 * submitted them (NaN without tasks). */
typedef struct bench_rec_figures {
    double calls, tasks, clock_reads, cost_ns, cost_share, producer_share;
} bench_rec_figures;
void bench_cell_rec_figures(const bench_cell *c, const bench_rec_costs *k,
                            bench_rec_figures *f);
/* Summaries, throughput, the derived ratios and the flags of every cell,
 * and the report's warnings. */
void bench_report_derive(bench_report *r);
/* Parallel-for calls per run of a workload instance: its "calls" parameter,
 * else 1 for a parallel-for workload, NaN for a task workload. */
double bench_wl_calls(const bench_wl_inst *w);
/* 1 for the micro-benchmarks (empty, bulk, tiny-tasks), plotted apart. */
int bench_wl_is_micro(const tpool_bench_workload *w);

/* ---- the machine (machine.c) ------------------------------------------------------- */

/* Reads what is static (CPUs, affinity, governors, frequency, load). */
void bench_machine_init(bench_machine *m);
/* Measures, over `window_ms` while the processes `pids` sleep, the share of
 * the allowed CPUs others use. */
void bench_machine_before(bench_machine *m, const int *pids, size_t npids, unsigned window_ms);
/* Brackets a measured stretch (a round); `pids` are this experiment's
 * processes, whose CPU time is not counted as others'. */
void bench_machine_mark(bench_machine *m, const int *pids, size_t npids);
void bench_machine_sample(bench_machine *m, const int *pids, size_t npids);
/* Adds the machine's warnings to r (bench_report_derive calls it). */
void bench_machine_warnings(bench_report *r);
/* Appends a warning to r (dropped past BENCH_MAX_WARNINGS). */
void bench_warn(bench_report *r, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* writers: 0 or -1 with a message on stderr */
void bench_write_table(FILE *f, const bench_report *r);
int bench_write_csv(FILE *f, const bench_report *r);
int bench_write_json(FILE *f, const bench_report *r);
/* Write to a temporary file beside path and rename it over path when
 * complete: an interrupted or failed write leaves the old file as it was. */
int bench_write_csv_file(const char *path, const bench_report *r);
int bench_write_json_file(const char *path, const bench_report *r);
/* Writes data, gnuplot scripts and (when gnuplot is found) SVGs into dir,
 * each file complete or not at all, and removes the plots of an earlier
 * run that this one did not make. Returns 1 when SVGs were made, 0 when
 * gnuplot is missing, -1 on error. */
int bench_write_plots(const char *dir, const bench_report *r);

/* ---- result files (outfile.c) ---------------------------------------------------- */

/* Opens a temporary file beside `path` (its name in tmp); NULL with a
 * message on stderr. */
FILE *bench_out_open(const char *path, char *tmp, size_t tmpsize);
/* Flushes, syncs and closes f, then renames tmp to path; on any failure
 * removes tmp and says why on stderr. 0 or -1. */
int bench_out_commit(FILE *f, const char *tmp, const char *path);
/* Closes f and removes tmp. */
void bench_out_discard(FILE *f, const char *tmp);
/* Creates an empty temporary file beside path for a writer that opens it
 * by name (the trace); rename it over path when complete. 0 or -1. */
int bench_out_tmpname(const char *path, char *tmp, size_t tmpsize);
/* Writes r to path with `writer` (bench_write_csv, bench_write_json) through
 * a temporary file: bench_out_open, then bench_out_commit. 0 or -1. */
int bench_out_write(const char *path, int (*writer)(FILE *, const bench_report *),
                    const bench_report *r);
/* Checks that a file can be created at path (its directory exists and is
 * writable; path is no directory). 0, or -1 with why. */
int bench_out_check_file(const char *path, char *why, size_t whysize);
/* Creates dir and its parents as needed, and checks that files can be
 * created in it. 0, or -1 with why. */
int bench_out_check_dir(const char *dir, char *why, size_t whysize);

/* ---- trace (trace.c) ---------------------------------------------------------------- */

typedef struct bench_trace bench_trace;
bench_trace *bench_trace_open(const char *path);
/* Appends the recorder's events of one run as a process named `name`, and
 * per-worker counter tracks from `ws_delta` (may be NULL). */
void bench_trace_add_run(bench_trace *t, const char *name, uint64_t t_start,
                         uint64_t t_end, const bench_wstats *ws_delta, unsigned nws,
                         const char (*names)[32], unsigned npolicy);
int bench_trace_close(bench_trace *t, const bench_meta *m);

/* ---- progress (progress.c) ------------------------------------------------------------ */

typedef struct bench_progress {
    int enabled;
    uint64_t start_ns, last_ns;
    uint64_t total, done;
} bench_progress;
/* Draws on stderr only when f is a terminal (f NULL: never). total: the
 * steps expected, 0 when unknown (the caller then gives the time left). */
void bench_progress_init(bench_progress *p, FILE *f, uint64_t total);
/* One more step starts; left_s is the caller's estimate of the time left,
 * or negative to extrapolate from the steps done so far. */
void bench_progress_step(bench_progress *p, const char *what, double left_s);
void bench_progress_end(bench_progress *p);

/* ---- runner (runner.c), advisor (advise.c), CLI (cli.c) ------------------------------- */

typedef struct bench_options {
    const char *experiment;   /* file, or NULL for the default */
    const char *replay;       /* --replay: a results file whose experiment runs */
    const char *policies;     /* comma list, overrides the experiment */
    const char *baselines;
    const char *company;      /* --company: all, none or a comma list of modes */
    const char *threads;
    const char *workloads;
    int repetitions, warmup;  /* -1 = the experiment's */
    int min_rounds, max_rounds; /* -1 = the experiment's */
    double ci_target, budget_s; /* negative = the experiment's */
    int runs;                 /* 0 = the experiment's */
    int have_seed;
    uint64_t seed;
    double scale;             /* multiplies each workload's size */
    const char *out_dir;
    const char *csv, *json, *plot_dir, *trace;
    int no_files;             /* --no-files: stdout only */
    int quiet;                /* no table */
    int progress;             /* -1 auto (isatty), 0 off, 1 on */
    unsigned trace_cap;       /* events per participant per cell */
} bench_options;

/*
 * Measures exp into r: plans the cells, then runs them in rounds (in this
 * process, or with exp->runs > 1 in that many child processes taking turns
 * round by round) until the stopping rule or a stop request ends them, and
 * derives the statistics. Returns 0, 1 when stopped by a signal (r holds
 * what was measured, r->incomplete set), or -1 when nothing could run.
 */
int bench_run(const bench_experiment *exp, const bench_options *o, bench_report *r,
              int argc, char **argv);
void bench_report_free(bench_report *r);
/* Asks a running measurement to stop after the cell in progress, for
 * signal signo (async-signal-safe); 0 withdraws the request. The program's
 * SIGINT and SIGTERM handlers call it (cli.c; a run of --runs too). */
void bench_request_stop(int signo);
/* The signal that asked to stop, or 0. */
int bench_stop_requested(void);
/* tpool-bench compare A.json B.json (compare.c). */
typedef struct bench_compare_opts {
    double threshold;   /* a change smaller than this fraction is no change */
    double level;       /* of the confidence interval, e.g. 0.95 */
    unsigned resamples; /* bootstrap replicates */
    uint64_t seed;
} bench_compare_opts;
/* Compares results files a and b cell by cell, printing to out. Returns 0,
 * 1 when a cell of b is slower beyond the threshold or failed its check, 2
 * when a file cannot be read (why on stderr). */
int bench_compare(FILE *out, const char *a, const char *b, const bench_compare_opts *o);
int bench_compare_main(int argc, char **argv);
int bench_compare_option(int c, const char *arg, const char *who, bench_compare_opts *o);
/* tpool-bench ratio FILE.json A B (ratio.c). */
int bench_ratio_main(int argc, char **argv);
int bench_advise(int argc, char **argv);
/* One thread count of `tpool-bench advise` and its measured times; the
 * other fields are filled by bench_advise_pick. */
typedef struct bench_advise_row {
    unsigned threads;
    const double *times;
    size_t n;                         /* 0: the count could not run */
    double median, ci_lo, ci_hi, ci_level;
    int beaten_by;                    /* a row significantly faster, or -1 */
} bench_advise_row;
/* The smallest count no other count beats significantly: 95% confidence
 * intervals of the medians apart (both at 95% at least: 6 times or more)
 * and at least min_gain (a fraction) faster. Returns its index, or n when
 * no count ran. */
size_t bench_advise_pick(bench_advise_row *rows, size_t n, double min_gain);
/* Parses a fraction given as "0.02" or "2%" (a bare number must be below
 * 1), at most max. 0, or -1 when it is none. */
int bench_parse_fraction(const char *s, double max, double *out);
int bench_main(int argc, char **argv);
/* tpool-bench with its options, running an experiment given as text
 * instead of a file (the record commands, replay_cli.c): `cmd` names the
 * command in messages; after the results are written, `after` (may be
 * NULL) sees them and may return a non-zero exit status. */
typedef struct bench_main_mode {
    const char *cmd;
    const char *text, *source;
    int (*after)(const bench_report *r, const bench_experiment *e, void *ud);
    void *ud;
} bench_main_mode;
int bench_main_run(int argc, char **argv, const bench_main_mode *mode);
/* tpool-bench replay RECORD and tpool-bench advise RECORD (replay_cli.c). */
int bench_replay_main(int argc, char **argv);
int bench_advise_record(int argc, char **argv);

/* Policies on the search path (tpool_policy_list), warnings on stderr. */
int bench_policies_find(bench_policy_desc **out, size_t *n);
void bench_policies_free(bench_policy_desc *p, size_t n);
/* Sets TPOOL_POLICY_PATH to the build tree's policies when it is unset and
 * this program runs from the build tree. */
void bench_policy_path_default(void);
/* Baseline availability, for reports and --list-policies. */
void bench_baselines_probe(bench_baseline_status st[BENCH_NBASE], unsigned requested);
/*
 * Gives each baseline the parameters of the tpool cell it is compared with
 * and says which (exes[i].omp_chunk, .tbb_grain, .peer): omp-static takes
 * the chunk of the first `static` executor of the run, omp-dynamic the
 * chunk of the first `dynamic` one in fixed mode, omp-guided the min_chunk
 * of the first `dynamic` one in guided mode; tbb-static's grain is that
 * `static` chunk, tbb-simple's that fixed `dynamic` chunk and tbb-auto's
 * the chunk of the first `stealing` executor (a chunk of 0 gives grain 1);
 * without such an executor, the policy's defaults from its parameter table
 * (pol), and the peer says the cell is not in this run.
 */
void bench_baselines_pair(bench_executor *exes, size_t nexes, const bench_policy_desc *pol,
                          size_t npol);
/* How a baseline ran the cells of workload w ("" for tpool and serial): the
 * OpenMP schedule or task construct, the pthreadpool call and its tile. */
void bench_baseline_setup(const bench_executor *x, const bench_wl_inst *w, char *buf,
                          size_t n);

/* Creates a tpool pool for an executor; message in err on failure. */
int bench_pool_create(const bench_executor *x, unsigned threads, unsigned spin_us,
                      tpool **out, char *err, size_t errsize);

#endif
