/*
 * load_isolated.c - loading a policy file first in a child process, for the
 * tools that scan or check modules (tpool_policy_list, tpool_config_resolve,
 * tpool-conformance).
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
enum { STAGE_LOAD = 'L', STAGE_PROBE = 'P', REPORT = 'R' };

struct report {
    int rc;
    int in_probe; /* the error is the probe's own */
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

/* In the child: never returns. The handle is not unloaded: the parent wants
 * the verdict, and a .so that corrupted the loader could hang dlclose. */
static void child(int fd, const char *path, tpool__policy_probe probe, const void *arg)
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
    tpool__policy_handle h;
    char stage = STAGE_LOAD;
    write_all(fd, &stage, 1);
    r.rc = tpool__policy_load_path(path, &h, &r.err);
    if (r.rc == 0 && probe) {
        stage = STAGE_PROBE;
        write_all(fd, &stage, 1);
        r.rc = probe(&h, arg, &r.err);
        r.in_probe = r.rc != 0;
    }
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

int tpool__policy_check_in_child(const char *path, tpool__policy_probe probe,
                                 const void *arg, const char *probe_what, int *probe_error,
                                 tpool_error *err)
{
    *probe_error = 0;
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
        child(fds[1], path, probe, arg);
    }
    close(fds[1]);

    char buf[2 + 1 + sizeof(struct report)];
    size_t got;
    int finished = read_stream(fds[0], buf, sizeof buf, &got);
    close(fds[0]);
    if (!finished)
        kill(pid, SIGKILL);
    int wst = 0;
    pid_t w;
    while ((w = waitpid(pid, &wst, 0)) < 0 && errno == EINTR)
        ;

    char stage = 0;
    size_t i = 0;
    while (i < got && buf[i] != REPORT)
        stage = buf[i++];
    if (i < got && got - i - 1 == sizeof(struct report)) {
        struct report r;
        memcpy(&r, buf + i + 1, sizeof r);
        if (r.rc && err && err->code == 0)
            *err = r.err;
        *probe_error = r.in_probe;
        return r.rc;
    }

    const char *doing = stage == STAGE_PROBE ? probe_what : "loading it";
    if (!finished)
        return tpool__policy_fail(err, TPOOL_ELOAD, path,
                                  "policy '%s': %s did not finish within %d s, so the "
                                  "process doing it was killed: a constructor or the "
                                  "entry point of the .so hangs (or corrupted the "
                                  "loader's state)", path, doing, LOAD_TIMEOUT_S);
    if (w == pid && WIFSIGNALED(wst))
        return tpool__policy_fail(err, TPOOL_ELOAD, path,
                                  "policy '%s': %s crashed the process doing it "
                                  "(signal %d, %s)%s", path, doing, WTERMSIG(wst),
                                  strsignal(WTERMSIG(wst)),
                                  stage == STAGE_PROBE ? ""
                                  : "; the entry point must be 'const tpool_policy *"
                                    TPOOL_POLICY_ENTRY_NAME "(void)' returning the "
                                    "address of a static descriptor (TPOOL_POLICY_DEFINE "
                                    "writes it), and the .so's constructors must not "
                                    "crash");
    if (w == pid && WIFEXITED(wst))
        return tpool__policy_fail(err, TPOOL_ELOAD, path,
                                  "policy '%s': the process %s exited with status %d "
                                  "before it could report (the .so called exit(), or a "
                                  "sanitizer stopped it: see its output above)", path,
                                  stage == STAGE_PROBE ? "checking it" : "loading it",
                                  WEXITSTATUS(wst));
    /* Someone else reaped the child (a SIGCHLD handler): no verdict. */
    return TPOOL__NO_CHILD;
}
