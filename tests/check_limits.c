/*
 * check_limits.c - what tpool does where a task breaks its contract
 * (docs/api.md, "Limits"): a task that ends its worker thread, with
 * pthread_exit() or by cancelling it, makes the process abort with a
 * message, where every wait and the destroy used to hang without a word.
 *
 * Each case runs in a child process whose stderr comes back through a
 * pipe; the child must abort, with the message, within the time limit.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tpool.h"

enum { CHILD_LIMIT_S = 60 };

static void exit_task(void *arg)
{
    (void)arg;
    pthread_exit(NULL);
}

static void cancel_task(void *arg)
{
    (void)arg;
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    pthread_cancel(pthread_self());
    pthread_testcancel();
}

/* In the child: a pool whose worker runs `fn`; this thread never helps (it
 * does not wait on the pool), so the task runs on a worker. */
static void child(void (*fn)(void *))
{
    tpool *p = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    if (tpool_create_from_text("{\"policy\": \"fifo\", \"threads\": 2}", &p, &err) != 0) {
        fprintf(stderr, "child: %s\n", err.text);
        _exit(3);
    }
    if (tpool_submit(p, fn, NULL, NULL) != 0)
        _exit(4);
    int fds[2];
    char c;
    if (pipe(fds) == 0)
        (void)read(fds[0], &c, 1); /* blocks until the process ends */
    _exit(5);
}

/* Runs child(fn); returns its wait status and its stderr in out. */
static int run_child(void (*fn)(void *), char *out, size_t size)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        child(fn);
    }
    close(fds[1]);
    size_t got = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left_ms = CHILD_LIMIT_S * 1000L - (now.tv_sec - t0.tv_sec) * 1000L
                       - (now.tv_nsec - t0.tv_nsec) / 1000000L;
        if (left_ms <= 0)
            break;
        struct pollfd pfd = { fds[0], POLLIN, 0 };
        int r = poll(&pfd, 1, (int)left_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t n = read(fds[0], out + got, size - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    close(fds[0]);
    kill(pid, SIGKILL); /* a no-op when it is gone; ends it when it hangs */
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

/* The child must have ended by itself, failing: SIGABRT from abort(), or,
 * under a sanitizer that catches the abort in a cancelled thread, a failing
 * exit status. SIGKILL is ours, after CHILD_LIMIT_S: it hung. */
static void assert_aborted(int st, const char *err, const char *what)
{
    ck_assert_msg((WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT)
                      || (WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) < 3),
                  "%s: the process did not abort (status %#x; SIGKILL after %d s means "
                  "it hung); stderr: %s", what, st, CHILD_LIMIT_S, err);
    ck_assert_msg(strstr(err, "tpool: worker ") && strstr(err, "ended its thread inside a task")
                      && strstr(err, "A task must return"),
                  "%s: stderr: %s", what, err);
}

START_TEST(test_task_calls_pthread_exit)
{
    char err[4096];
    assert_aborted(run_child(exit_task, err, sizeof err), err, "pthread_exit in a task");
}
END_TEST

START_TEST(test_task_cancels_its_thread)
{
    char err[4096];
    assert_aborted(run_child(cancel_task, err, sizeof err), err, "a task cancels its thread");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("task_ends_thread");
    tcase_set_timeout(tc, CHILD_LIMIT_S + 30);
    tcase_add_test(tc, test_task_calls_pthread_exit);
    tcase_add_test(tc, test_task_cancels_its_thread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
