/*
 * meta.c - what a paper needs to say about the machine and the build: CPU
 * model, CPU counts, kernel, compiler, git revision, build flags, the
 * baselines' versions, date and command line.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_CONFIG_H
#include "tpool-build.h"
#endif

#include "bench.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif
#ifndef BENCH_CFLAGS
#define BENCH_CFLAGS ""
#endif
#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        /* x86: "model name"; arm64 has no model name but "CPU part" etc. */
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0) {
            char *c = strchr(line, ':');
            if (!c)
                continue;
            c++;
            while (*c == ' ' || *c == '\t')
                c++;
            c[strcspn(c, "\n")] = '\0';
            snprintf(buf, size, "%s", c);
            break;
        }
    }
    fclose(f);
}

/* The revision of the source tree, asked of git at run time; "unknown"
 * when there is no git or no repository (a release tarball). */
static void git_rev(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "git -C '%s' rev-parse --short=12 HEAD 2>/dev/null && "
             "git -C '%s' status --porcelain --untracked-files=no 2>/dev/null | head -n 1",
             TOP_SRCDIR, TOP_SRCDIR);
    if (strchr(TOP_SRCDIR, '\''))
        return;
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    char rev[64] = "", dirty[256] = "";
    if (fgets(rev, sizeof rev, p)) {
        rev[strcspn(rev, "\n")] = '\0';
        if (fgets(dirty, sizeof dirty, p) && dirty[0])
            strncat(rev, "-dirty", sizeof rev - strlen(rev) - 1);
    }
    pclose(p);
    if (rev[0])
        snprintf(buf, size, "%s", rev);
}

void bench_meta_collect(bench_meta *m, int argc, char **argv)
{
    memset(m, 0, sizeof *m);
    cpu_model(m->cpu_model, sizeof m->cpu_model);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->nproc = n > 0 ? (unsigned)n : 1;
    m->default_threads = tpool_default_threads();
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(m->kernel, sizeof m->kernel, "%s %s %s %s", u.sysname, u.release, u.version,
                 u.machine);
#ifdef __VERSION__
    snprintf(m->compiler, sizeof m->compiler, "%s", __VERSION__);
#else
    snprintf(m->compiler, sizeof m->compiler, "unknown");
#endif
    git_rev(m->git_rev, sizeof m->git_rev);
    snprintf(m->tpool_version, sizeof m->tpool_version, "%s", PACKAGE_VERSION);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(m->date, sizeof m->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(m->build_cflags, sizeof m->build_cflags, "%s", BENCH_CFLAGS);
    snprintf(m->openmp, sizeof m->openmp, "%s", bench_omp_version());
    snprintf(m->pthreadpool, sizeof m->pthreadpool, "%s", bench_ptp_path());
    size_t l = 0;
    for (int i = 0; i < argc && l < sizeof m->command - 1; i++)
        l += (size_t)snprintf(m->command + l, sizeof m->command - l, "%s%s", i ? " " : "",
                              argv[i]);
}
