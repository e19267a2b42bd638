/*
 * child.c - running a piece of work that may crash or hang (loading a
 * module, calling its entry point) in a forked child, so that the caller
 * learns what happened instead of dying with it: the work's result and
 * error when it returned, else the signal, the time limit or the early exit,
 * with the last stage the work announced. The policy loader
 * (load_isolated.c) and tpool-bench's workload modules word the verdict
 * each for their own kind of module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

/* Loading a module takes milliseconds; a loaded machine or a sanitizer build
 * makes it seconds at worst. */
#define CHILD_TIMEOUT_S 30

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
    /* A fault must end the child with its signal, whatever handler the
     * program installed, so that the parent can name it. */
    static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal(fatal[i], SIG_DFL);

    struct report r;
    memset(&r, 0, sizeof r);
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
    double deadline = now_s() + CHILD_TIMEOUT_S;
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
    v->timeout_s = CHILD_TIMEOUT_S;
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
