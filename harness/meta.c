/*
 * meta.c - what a paper needs to say about the machine and the build: CPU
 * model, CPU counts, kernel, compiler, git revision, build flags, the
 * libraries the results depend on (file, version, Debian package), the
 * OpenMP and tpool environment, date and command line.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_CONFIG_H
#include "tpool-build.h"
#endif

#include <jansson.h>

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

/* The first line a shell command prints, without its newline; "" when none. */
static void first_line(const char *cmd, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (!fgets(buf, (int)size, p))
        buf[0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    while (fgetc(p) != EOF)
        ;
    pclose(p);
}

/* "PACKAGE VERSION" of the Debian package that owns the file at path, or ""
 * (no dpkg, a file of the build tree). */
static void package_of(const char *path, char *out, size_t size)
{
    out[0] = '\0';
    char real[PATH_MAX], cmd[PATH_MAX + 128], line[512];
    if (!path[0] || !realpath(path, real) || strchr(real, '\''))
        return;
    snprintf(cmd, sizeof cmd, "dpkg-query -S '%s' 2>/dev/null", real);
    first_line(cmd, line, sizeof line);
    /* "libjansson4:amd64: /usr/lib/..." */
    char *colon = strstr(line, ": ");
    if (!colon)
        return;
    *colon = '\0';
    if (strchr(line, '\'') || strchr(line, ','))
        return;
    char ver[128];
    snprintf(cmd, sizeof cmd, "dpkg-query -W -f='${Version}' '%s' 2>/dev/null", line);
    first_line(cmd, ver, sizeof ver);
    if (snprintf(out, size, "%s%s%s", line, ver[0] ? " " : "", ver) >= (int)size)
        out[0] = '\0'; /* a cut name would be wrong */
}

/* The file a symbol was loaded from. */
static void file_of(const void *sym, char *out, size_t size)
{
    Dl_info info;
    out[0] = '\0';
    if (dladdr(sym, &info) && info.dli_fname) {
        char real[PATH_MAX];
        snprintf(out, size, "%s", realpath(info.dli_fname, real) ? real : info.dli_fname);
    }
}

/* The loaded object whose name contains `part` (dl_iterate_phdr). */
typedef struct find_obj {
    const char *part;
    char *out;
    size_t size;
} find_obj;

static int find_cb(struct dl_phdr_info *info, size_t size, void *ud)
{
    (void)size;
    find_obj *f = ud;
    if (info->dlpi_name && strstr(info->dlpi_name, f->part)) {
        char real[PATH_MAX];
        snprintf(f->out, f->size, "%s", realpath(info->dlpi_name, real) ? real : info->dlpi_name);
        return 1;
    }
    return 0;
}

static bench_lib *add_lib(bench_meta *m, const char *name, const char *version,
                          const char *path)
{
    if (m->nlibs >= BENCH_MAX_LIBS)
        return NULL;
    bench_lib *l = &m->libs[m->nlibs++];
    snprintf(l->name, sizeof l->name, "%s", name);
    snprintf(l->version, sizeof l->version, "%s", version);
    snprintf(l->path, sizeof l->path, "%s", path);
    package_of(l->path, l->package, sizeof l->package);
    return l;
}

static void libraries(bench_meta *m)
{
    char path[PATH_MAX];
    file_of((const void *)tpool_create, path, sizeof path);
    add_lib(m, "tpool", PACKAGE_VERSION, path);
    file_of((const void *)json_object, path, sizeof path);
#if JANSSON_VERSION_HEX >= 0x020d00
    add_lib(m, "jansson", jansson_version_str(), path);
#else
    add_lib(m, "jansson", JANSSON_VERSION, path);
#endif
    if (bench_omp_available()) {
        path[0] = '\0';
        find_obj f = { "libgomp", path, sizeof path };
        dl_iterate_phdr(find_cb, &f);
        char ver[64];
        snprintf(ver, sizeof ver, "OpenMP %s", bench_omp_version());
        add_lib(m, "libgomp", ver, path);
    }
    if (bench_ptp_path()[0])
        add_lib(m, "pthreadpool", "", bench_ptp_path());
    if (bench_tbb_available()) {
        path[0] = '\0';
        find_obj f = { "libtbb.so", path, sizeof path };
        dl_iterate_phdr(find_cb, &f);
        add_lib(m, "libtbb", bench_tbb_version(), path);
    }
}

/* What steers OpenMP and tpool from the environment. */
static void environment(bench_meta *m)
{
    extern char **environ;
    for (char **e = environ; e && *e && m->nenv < BENCH_MAX_ENV; e++)
        if (strncmp(*e, "OMP_", 4) == 0 || strncmp(*e, "GOMP_", 5) == 0 ||
            strncmp(*e, "TPOOL_", 6) == 0)
            snprintf(m->env[m->nenv++], sizeof m->env[0], "%s", *e);
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
    libraries(m);
    environment(m);
    size_t l = 0;
    for (int i = 0; i < argc && l < sizeof m->command - 1; i++)
        l += (size_t)snprintf(m->command + l, sizeof m->command - l, "%s%s", i ? " " : "",
                              argv[i]);
}
