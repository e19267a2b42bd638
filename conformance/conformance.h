/*
 * conformance.h - the policy conformance checks, shared by the
 * tpool-conformance program and the check_conformance suite.
 *
 * A session loads one policy .so; each check then drives it either directly
 * through its vtable (push/pop on a state with no pool, so that a fault is
 * pinned on one op) or through a real pool created from the same file. A
 * failing check leaves a message a policy author can act on. See
 * docs/conformance.md for what each check verifies.
 */
#ifndef TPOOL_CONFORMANCE_H
#define TPOOL_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>

#include "tpool-module.h"
#include "tpool.h"

#define TPC_MAX_THREADS 16 /* entries in a thread-count list */
#define TPC_MSG_SIZE 1024

enum tpc_status { TPC_PASS = 0, TPC_FAIL = 1, TPC_SKIP = 2 };

/* What to run; tpc_options_init fills the defaults. */
typedef struct tpc_options {
    const char *policy;      /* a path (contains '/') or a name on the search path */
    const char *params_json; /* a JSON object for the policy, or NULL */
    unsigned threads[TPC_MAX_THREADS]; /* pool parallelism T to try, each >= 1 */
    unsigned nthreads;
    unsigned seed;
    size_t tasks;            /* tasks per task-path case */
    int verbose;             /* print each case as it passes */
    int no_fork;             /* load the policy and run the checks in this
                                process (a crash then ends the program) */
} tpc_options;

/* A loaded policy plus its resolved parameters. */
typedef struct tpc_session {
    const tpc_options *opt;
    tpool_policy_module *module;
    const tpool_policy *ops;   /* the module's descriptor (tpool_policy_module_ops) */
    const char *file;          /* the file loaded, or "builtin:NAME" */
    unsigned nstats;           /* entries of ops->stat_names */
    tpool_config *cfg;         /* policy = the loaded file, params = opt->params_json */
    tpool_param_value *params; /* one per entry of ops->params */
} tpc_session;

/* The state of one check while it runs. */
typedef struct tpc_ctx {
    const tpc_session *s;
    unsigned seed; /* derived from the session seed and the check */
    int failed;
    char msg[TPC_MSG_SIZE]; /* the first failure, or the reason for a skip */
} tpc_ctx;

enum tpc_kind { TPC_DIRECT, TPC_POOL };

typedef struct tpc_check {
    const char *name;    /* stable: tests and docs refer to it */
    enum tpc_kind kind;
    const char *summary; /* one line: what it verifies */
    /* Returns TPC_PASS, TPC_FAIL or TPC_SKIP with ctx->msg filled. */
    enum tpc_status (*run)(tpc_ctx *ctx);
} tpc_check;

/* The checks, in the order they run: direct ones first. */
extern const tpc_check tpc_checks[];
extern const size_t tpc_nchecks;

void tpc_options_init(tpc_options *o);

/* Loads the policy (first in a child process, unless opt->no_fork, so that
 * a .so that crashes its loader is reported with the signal) and resolves
 * its parameters; on error fills err (the loader's message: file, problem,
 * dlerror text) and returns its code. */
int tpc_session_open(tpc_session *s, const tpc_options *opt, tpool_error *err);
void tpc_session_close(tpc_session *s);

/* Runs check `i` in this process; ctx->msg says why on failure or skip. */
enum tpc_status tpc_run_inline(const tpc_session *s, size_t i, tpc_ctx *ctx);

/*
 * Runs check `i` in a forked child, so that a policy that crashes the pool
 * (a task run twice is a use after free) or hangs it (a lost task is waited
 * for forever) is reported rather than taking the caller down. timeout_s 0
 * waits forever. The child's verbose output goes to stdout as it runs.
 */
enum tpc_status tpc_run_isolated(const tpc_session *s, size_t i, unsigned timeout_s,
                                 tpc_ctx *ctx);

/* Index of the check named `name`, or -1. */
int tpc_find(const char *name);

/* ---- for the check files -------------------------------------------------- */

/* Records a failure (the first one wins) and returns TPC_FAIL. */
enum tpc_status tpc_fail(tpc_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Records why the check does not apply and returns TPC_SKIP. */
enum tpc_status tpc_skip(tpc_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* In verbose mode, prints "      <text>" for one case that passed. */
void tpc_note(const tpc_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* W for a parallelism T: max(T - 1, 1). */
static inline unsigned tpc_workers(unsigned threads) { return threads > 1 ? threads - 1 : 1; }

/* The params text for messages: the user's JSON or "{}". */
static inline const char *tpc_params_text(const tpc_session *s)
{
    return s->opt->params_json ? s->opt->params_json : "{}";
}

/* A cost estimate of items [begin, end) (their number), as a caller may pass
 * one (tpool_range_opts.cost, tpool_range_job.cost): a policy must hand out
 * every item whether or not the call has one. */
uint64_t tpc_item_cost(void *ctx, size_t begin, size_t end);

/* The largest thread count of the list (at least 2, so pools have workers). */
unsigned tpc_max_threads(const tpc_session *s);

/* Creates a pool of `threads` on the session's policy; fails the check
 * (returning NULL) with the library's message otherwise. */
tpool *tpc_pool(tpc_ctx *ctx, unsigned threads);
/* The same with the workers' spin budget set to spin_us (-1: the default). */
tpool *tpc_pool_spin(tpc_ctx *ctx, unsigned threads, long spin_us);

/* Whether a state of the session's policy for `threads` gives parallel-for
 * progress (range_progress, or the TPOOL_POLICY_PROGRESS flag): 1 or 0, or
 * -1 with the check failed when create refused. */
int tpc_progress(tpc_ctx *ctx, unsigned threads);

/* The check functions, one per file of checks. */
enum tpc_status tpc_check_create(tpc_ctx *ctx);
enum tpc_status tpc_check_push_pop(tpc_ctx *ctx);
enum tpc_status tpc_check_push_pop_threads(tpc_ctx *ctx);
enum tpc_status tpc_check_wake(tpc_ctx *ctx);
enum tpc_status tpc_check_range(tpc_ctx *ctx);
enum tpc_status tpc_check_resize(tpc_ctx *ctx);
enum tpc_status tpc_check_pool_tasks(tpc_ctx *ctx);
enum tpc_status tpc_check_pool_wake(tpc_ctx *ctx);
enum tpc_status tpc_check_pool_nested(tpc_ctx *ctx);
enum tpc_status tpc_check_pool_fork_join(tpc_ctx *ctx);
enum tpc_status tpc_check_pool_range(tpc_ctx *ctx);
enum tpc_status tpc_check_pool_progress(tpc_ctx *ctx);
enum tpc_status tpc_check_pool_mixed(tpc_ctx *ctx);
enum tpc_status tpc_check_pool_cancel(tpc_ctx *ctx);
enum tpc_status tpc_check_pool_resize(tpc_ctx *ctx);

#endif
