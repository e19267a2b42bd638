/*
 * runner.c - the table of conformance checks, loading the policy for them,
 * and running one check in this process or in a forked child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conformance.h"

const tpc_check tpc_checks[] = {
    { "create", TPC_DIRECT, "create and destroy a state for every thread count; "
      "stats_read stays within its counters", tpc_check_create },
    { "push-pop", TPC_DIRECT, "one thread pushes and pops on every slot: each task "
      "comes back exactly once, unchanged; pop on an empty policy returns NULL",
      tpc_check_push_pop },
    { "push-pop-threads", TPC_DIRECT, "a thread per slot pushes and pops at once: "
      "each task comes back exactly once", tpc_check_push_pop_threads },
    { "wake", TPC_DIRECT, "a worker whose pop returned NULL is woken by the push that "
      "gives it work (push's answer names it, is TPOOL_WAKE_PREFER of it, or is "
      "TPOOL_WAKE_ANY)", tpc_check_wake },
    { "range", TPC_DIRECT, "range_begin/range_next/range_end hand out every item "
      "exactly once, alone and with a thread per participant, with and without a cost "
      "function in the job (and, for a policy that gives progress, return 0 only once "
      "every item was handed out)", tpc_check_range },
    { "resize", TPC_DIRECT, "after resize, push and pop work on the new slots "
      "(or the refused state keeps the old ones)", tpc_check_resize },
    { "pool-tasks", TPC_POOL, "a pool runs every submitted task exactly once, "
      "with varied attributes", tpc_check_pool_tasks },
    { "pool-wake", TPC_POOL, "a task submitted while every worker sleeps starts "
      "without anyone waiting on the pool", tpc_check_pool_wake },
    { "pool-nested", TPC_POOL, "submits from outside threads and from inside "
      "tasks at once all run once", tpc_check_pool_nested },
    { "pool-fork-join", TPC_POOL, "recursive fork-join (tasks waiting on groups) "
      "completes", tpc_check_pool_fork_join },
    { "pool-range", TPC_POOL, "parallel-for, with and without a cost function, "
      "visits every index exactly once, thread indices in range", tpc_check_pool_range },
    { "pool-progress", TPC_POOL, "(policies that give progress) a "
      "parallel-for with TPOOL_FLAG_PROGRESS completes although one item waits "
      "for all the others", tpc_check_pool_progress },
    { "pool-mixed", TPC_POOL, "tasks and parallel-for calls from several threads "
      "on one pool", tpc_check_pool_mixed },
    { "pool-cancel", TPC_POOL, "destroy in cancel mode: every task ran or was "
      "reported cancelled", tpc_check_pool_cancel },
    { "pool-resize", TPC_POOL, "tpool_set_threads with queued tasks loses none",
      tpc_check_pool_resize },
};
const size_t tpc_nchecks = sizeof tpc_checks / sizeof tpc_checks[0];

void tpc_options_init(tpc_options *o)
{
    static const unsigned def[] = { 1, 2, 3, 5 };
    memset(o, 0, sizeof *o);
    for (unsigned i = 0; i < sizeof def / sizeof def[0]; i++)
        o->threads[o->nthreads++] = def[i];
    o->seed = (unsigned)time(NULL);
    o->tasks = 20000;
}

int tpc_find(const char *name)
{
    for (size_t i = 0; i < tpc_nchecks; i++)
        if (strcmp(tpc_checks[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Records "out of memory" in err, first error winning as in the library. */
static int no_memory(tpool_error *err, int code)
{
    if (err && err->code == 0) {
        err->code = code;
        snprintf(err->text, sizeof err->text, "%s", tpool_strerror(code));
    }
    return code;
}

int tpc_session_open(tpc_session *s, const tpc_options *opt, tpool_error *err)
{
    memset(s, 0, sizeof *s);
    s->opt = opt;
    int rc = tpool_config_new(&s->cfg);
    if (rc == 0)
        rc = tpool_config_set_policy(s->cfg, opt->policy);
    if (rc)
        return no_memory(err, rc);
    rc = tpool_policy_open(s->cfg, opt->no_fork ? 0 : TPOOL_MODULE_ISOLATED, &s->module, err);
    if (rc == 0) {
        s->ops = tpool_policy_module_ops(s->module);
        s->file = tpool_policy_module_file(s->module);
        s->nstats = tpool_policy_module_nstats(s->module);
        /* From here on every pool loads exactly the file the direct checks use. */
        rc = tpool_config_set_policy(s->cfg, s->file);
    }
    if (rc == 0 && opt->params_json)
        rc = tpool_config_set_params(s->cfg, opt->params_json, err);
    if (rc == 0 && s->ops->nparams) {
        s->params = calloc(s->ops->nparams, sizeof *s->params);
        rc = s->params ? tpool_policy_module_params(s->module, s->cfg, s->params, err)
                       : no_memory(err, TPOOL_ENOMEM);
    }
    if (rc)
        tpc_session_close(s);
    return rc;
}

void tpc_session_close(tpc_session *s)
{
    tpool_policy_close(s->module);
    tpool_config_free(s->cfg);
    free(s->params);
    memset(s, 0, sizeof *s);
}

static void vformat(tpc_ctx *ctx, const char *fmt, va_list ap)
{
    if (!ctx->msg[0])
        vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
}

enum tpc_status tpc_fail(tpc_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!ctx->failed) {
        ctx->msg[0] = 0;
        vformat(ctx, fmt, ap);
    }
    va_end(ap);
    ctx->failed = 1;
    return TPC_FAIL;
}

enum tpc_status tpc_skip(tpc_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(ctx, fmt, ap);
    va_end(ap);
    return TPC_SKIP;
}

void tpc_note(const tpc_ctx *ctx, const char *fmt, ...)
{
    if (!ctx->s->opt->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    printf("      ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

uint64_t tpc_item_cost(void *ctx, size_t begin, size_t end)
{
    (void)ctx;
    return end - begin;
}

unsigned tpc_max_threads(const tpc_session *s)
{
    unsigned m = 2;
    for (unsigned i = 0; i < s->opt->nthreads; i++)
        if (s->opt->threads[i] > m)
            m = s->opt->threads[i];
    return m;
}

tpool *tpc_pool(tpc_ctx *ctx, unsigned threads)
{
    return tpc_pool_spin(ctx, threads, -1);
}

tpool *tpc_pool_spin(tpc_ctx *ctx, unsigned threads, long spin_us)
{
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    tpool *p = NULL;
    int rc = tpool_config_copy(ctx->s->cfg, &cfg);
    if (rc == 0)
        rc = tpool_config_set_threads(cfg, threads);
    if (rc == 0 && spin_us >= 0)
        rc = tpool_config_set_spin_us(cfg, (unsigned)spin_us);
    if (rc == 0)
        rc = tpool_create(cfg, &p, &err);
    tpool_config_free(cfg);
    if (rc) {
        tpc_fail(ctx, "could not create a pool of %u threads with params %s: %s", threads,
                 tpc_params_text(ctx->s), err.text[0] ? err.text : tpool_strerror(rc));
        return NULL;
    }
    return p;
}

static void ctx_init(tpc_ctx *ctx, const tpc_session *s, size_t i)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->s = s;
    ctx->seed = s->opt->seed + 7919u * (unsigned)i;
}

enum tpc_status tpc_run_inline(const tpc_session *s, size_t i, tpc_ctx *ctx)
{
    ctx_init(ctx, s, i);
    enum tpc_status st = tpc_checks[i].run(ctx);
    /* A check that noted a failure but returned on another path still fails. */
    return ctx->failed ? TPC_FAIL : st;
}

/* The child's report: one status byte, then the message. */
static void child_run(const tpc_session *s, size_t i, int fd)
{
    tpc_ctx ctx;
    char st = (char)tpc_run_inline(s, i, &ctx);
    fflush(stdout);
    size_t len = strnlen(ctx.msg, sizeof ctx.msg);
    if (write(fd, &st, 1) != 1 || write(fd, ctx.msg, len) != (ssize_t)len)
        _exit(3);
    _exit(0);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

enum tpc_status tpc_run_isolated(const tpc_session *s, size_t i, unsigned timeout_s,
                                 tpc_ctx *ctx)
{
    ctx_init(ctx, s, i);
    const char *name = tpc_checks[i].name;
    int fds[2];
    if (pipe(fds) != 0)
        return tpc_fail(ctx, "cannot run check %s: pipe: %s", name, strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return tpc_fail(ctx, "cannot run check %s: fork: %s", name, strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child_run(s, i, fds[1]);
    }
    close(fds[1]);

    char buf[TPC_MSG_SIZE + 1];
    size_t got = 0;
    int timed_out = 0;
    double deadline = now_s() + timeout_s;
    for (;;) {
        int wait_ms = -1;
        if (timeout_s) {
            double left = deadline - now_s();
            if (left <= 0) {
                timed_out = 1;
                break;
            }
            wait_ms = (int)(left * 1000) + 1;
        }
        struct pollfd pfd = { fds[0], POLLIN, 0 };
        int r = poll(&pfd, 1, wait_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            continue; /* the deadline test above ends it */
        ssize_t n = r < 0 ? -1 : read(fds[0], buf + got, sizeof buf - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == sizeof buf - 1)
            break;
    }
    close(fds[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int wst = 0;
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    buf[got] = 0;

    if (timed_out)
        return tpc_fail(ctx, "did not finish within %u s (--timeout): the pool was most "
                        "likely waiting for a task the policy never returned by pop (lost), "
                        "for a parallel-for item range_next never handed out, or a worker "
                        "slept through queued work (check push's wake target: a worker whose "
                        "pop returned NULL must be named, or TPOOL_WAKE_PREFER of it or "
                        "TPOOL_WAKE_ANY returned, when "
                        "work it can pop is pushed)", timeout_s);
    if (got >= 1 && WIFEXITED(wst) && WEXITSTATUS(wst) == 0) {
        snprintf(ctx->msg, sizeof ctx->msg, "%s", buf + 1);
        ctx->failed = buf[0] == TPC_FAIL;
        return (enum tpc_status)buf[0];
    }
    if (WIFSIGNALED(wst))
        return tpc_fail(ctx, "the policy crashed the process during check %s (signal %d, %s); "
                        "run it again with -v to see the last case that passed",
                        name, WTERMSIG(wst), strsignal(WTERMSIG(wst)));
    return tpc_fail(ctx, "the process running check %s exited with status %d before "
                    "reporting (a sanitizer or the policy ended it; see its output above)",
                    name, WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
}
