/*
 * load_isolated.c - loading a module first in a child process: a policy
 * file, for the tools that scan or check modules (tpool_policy_list,
 * tpool_config_resolve, tpool-conformance), and any other work on a module
 * that could crash (tpool-bench's workload modules, through
 * tpool__run_in_child).
 *
 * Some faults of a policy .so cannot be seen before its code runs: an entry
 * point with the wrong signature writes through a garbage pointer, a
 * constructor crashes or never returns. Loading it in this process would
 * take the tool down with no word about the file. A child loads it (and runs
 * the caller's probe, such as a create and destroy) and reports; the caller
 * loads it for real only when the child saw it load. A child that dies is
 * reported with the file and the signal, one that hangs is killed after
 * LOAD_TIMEOUT_S.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "loader.h"

/* Loading a policy takes milliseconds; a loaded machine or a sanitizer build
 * makes it seconds at worst. */
#define LOAD_TIMEOUT_S 30

/* What the child writes: a stage byte as it starts each stage, then REPORT
 * followed by the result. */
enum { REPORT = 'R' };

struct report {
    int rc;
    tpool_error err;
};

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(3);
        p += n;
        len -= (size_t)n;
    }
}

struct tpool__child {
    int fd;
};

void tpool__child_stage(tpool__child *c, char stage)
{
    write_all(c->fd, &stage, 1);
}

/* In the child: never returns. Nothing is unloaded or freed: the parent
 * wants the verdict, and a .so that corrupted the loader could hang
 * dlclose. */
static void child(int fd, tpool__child_fn work, void *arg)
{
    /* Another thread of the parent may have held the loader's lock at the
     * fork (the core's fork handlers reset it only once a pool was made):
     * this process has one thread, so start from a fresh lock. */
    tpool__loader_fork_child();

    /* A fault must end the child with its signal, whatever handler the
     * program installed, so that the parent can name it. */
    static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal(fatal[i], SIG_DFL);

    struct report r;
    memset(&r, 0, sizeof r);
    tpool_error_clear(&r.err);
    tpool__child c = { fd };
    r.rc = work(arg, &c, &r.err);
    char tag = REPORT;
    write_all(fd, &tag, 1);
    write_all(fd, &r, sizeof r);
    _exit(0);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the child's stream until EOF or the deadline; returns 1 on time. */
static int read_stream(int fd, char *buf, size_t size, size_t *got)
{
    double deadline = now_s() + LOAD_TIMEOUT_S;
    *got = 0;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0)
            return 0;
        struct pollfd pfd = { fd, POLLIN, 0 };
        int r = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            continue; /* the deadline test above ends it */
        ssize_t n = r < 0 ? -1 : read(fd, buf + *got, size - *got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (*got += (size_t)n) == size)
            return 1;
    }
}

int tpool__run_in_child(tpool__child_fn work, void *arg, tpool__child_verdict *v,
                        tpool_error *err)
{
    memset(v, 0, sizeof *v);
    v->timeout_s = LOAD_TIMEOUT_S;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return TPOOL__NO_CHILD;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return TPOOL__NO_CHILD;
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], work, arg);
    }
    close(fds[1]);

    /* a few stage bytes, then the report */
    char buf[16 + 1 + sizeof(struct report)];
    size_t got;
    int finished = read_stream(fds[0], buf, sizeof buf, &got);
    close(fds[0]);
    if (!finished)
        kill(pid, SIGKILL);
    int wst = 0;
    pid_t w;
    while ((w = waitpid(pid, &wst, 0)) < 0 && errno == EINTR)
        ;

    size_t i = 0;
    while (i < got && buf[i] != REPORT)
        v->stage = buf[i++];
    if (i < got && got - i - 1 == sizeof(struct report)) {
        struct report r;
        memcpy(&r, buf + i + 1, sizeof r);
        if (r.rc && err && err->code == 0)
            *err = r.err;
        v->reported = 1;
        return r.rc;
    }
    v->hung = !finished;
    if (w == pid && WIFSIGNALED(wst))
        v->signal = WTERMSIG(wst);
    else if (w == pid && WIFEXITED(wst))
        v->exited = 1, v->status = WEXITSTATUS(wst);
    else if (finished)
        return TPOOL__NO_CHILD; /* someone else reaped the child: no verdict */
    return TPOOL_ELOAD;
}

/* ---- a policy ------------------------------------------------------------------ */

enum { STAGE_LOAD = 'L', STAGE_PROBE = 'P' };

struct policy_work {
    const char *path;
    tpool__policy_probe probe;
    const void *arg;
    int in_probe;
};

static int policy_work(void *arg, tpool__child *c, tpool_error *err)
{
    struct policy_work *pw = arg;
    tpool__policy_handle h;
    tpool__child_stage(c, STAGE_LOAD);
    int rc = tpool__policy_load_path(pw->path, &h, err);
    if (rc == 0 && pw->probe) {
        tpool__child_stage(c, STAGE_PROBE);
        rc = pw->probe(&h, pw->arg, err);
        /* the parent learns it from the stage: the last one started */
    }
    return rc;
}

int tpool__policy_check_in_child(const char *path, tpool__policy_probe probe,
                                 const void *arg, const char *probe_what, int *probe_error,
                                 tpool_error *err)
{
    *probe_error = 0;
    struct policy_work pw = { path, probe, arg, 0 };
    tpool__child_verdict v;
    int rc = tpool__run_in_child(policy_work, &pw, &v, err);
    if (v.reported || rc == TPOOL__NO_CHILD) {
        *probe_error = rc != 0 && v.stage == STAGE_PROBE;
        return rc;
    }

    const char *doing = v.stage == STAGE_PROBE ? probe_what : "loading it";
    if (v.hung)
        return tpool__policy_fail(err, TPOOL_ELOAD, path,
                                  "policy '%s': %s did not finish within %d s, so the "
                                  "process doing it was killed: a constructor or the "
                                  "entry point of the .so hangs (or corrupted the "
                                  "loader's state)", path, doing, v.timeout_s);
    if (v.signal)
        return tpool__policy_fail(err, TPOOL_ELOAD, path,
                                  "policy '%s': %s crashed the process doing it "
                                  "(signal %d, %s)%s", path, doing, v.signal,
                                  strsignal(v.signal),
                                  v.stage == STAGE_PROBE ? ""
                                  : "; the entry point must be 'const tpool_policy *"
                                    TPOOL_POLICY_ENTRY_NAME "(void)' returning the "
                                    "address of a static descriptor (TPOOL_POLICY_DEFINE "
                                    "writes it), and the .so's constructors must not "
                                    "crash");
    return tpool__policy_fail(err, TPOOL_ELOAD, path,
                              "policy '%s': the process %s exited with status %d "
                              "before it could report (the .so called exit(), or a "
                              "sanitizer stopped it: see its output above)", path,
                              v.stage == STAGE_PROBE ? "checking it" : "loading it",
                              v.status);
}
