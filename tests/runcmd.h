/* runcmd.h - running a shell command and capturing its output, for the
 * tests that drive other programs (nm, the C++ compiler, a program built
 * against Debian's pthreadpool). No Check here: they exit 0 (pass), 1
 * (fail) or 77 (skipped, with the reason printed). */
#ifndef TPOOL_RUNCMD_H
#define TPOOL_RUNCMD_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SKIP 77

/* Runs the printf-formatted command with sh, stdout and stderr into out
 * (NUL-terminated, truncated to cap). Returns its exit status, or -1. */
__attribute__((format(printf, 3, 4)))
static int run_cmd(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    printf("$ %s\n", cmd);
    fflush(stdout);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t n = 0, got;
    char sink[4096];
    while ((got = fread(n + 1 < cap ? out + n : sink, 1,
                        n + 1 < cap ? cap - 1 - n : sizeof sink, f)) > 0)
        if (n + 1 < cap)
            n += got;
    out[n] = '\0';
    int st = pclose(f);
    fputs(out, stdout);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    return 1;
}

#endif
