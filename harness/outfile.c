/*
 * outfile.c - result files are written whole or not at all: each goes to a
 * temporary file beside its destination (same directory, so the same file
 * system) and is renamed over the destination once written and synced. A
 * run interrupted while writing, or a disk that fills up, leaves the
 * previous file as it was and no half-written one. Also the checks, before
 * anything is measured, that the destinations can be written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *dir, size_t size)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    snprintf(dir, size, "%s", dirname(copy));
}

/* Creates the temporary file for path: DIR/.BASE.tmp-XXXXXX, with the mode
 * a plain fopen would give (0666 less the umask, mkstemp makes 0600). */
static int make_tmp(const char *path, char *tmp, size_t tmpsize)
{
    char dir[PATH_MAX], copy[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    snprintf(copy, sizeof copy, "%s", path);
    int n = snprintf(tmp, tmpsize, "%s/.%s.tmp-XXXXXX", dir, basename(copy));
    if (n < 0 || (size_t)n >= tmpsize) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -1;
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    return fd;
}

int bench_out_tmpname(const char *path, char *tmp, size_t tmpsize)
{
    int fd = make_tmp(path, tmp, tmpsize);
    if (fd < 0) {
        fprintf(stderr, "tpool-bench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

FILE *bench_out_open(const char *path, char *tmp, size_t tmpsize)
{
    int fd = make_tmp(path, tmp, tmpsize);
    if (fd < 0) {
        fprintf(stderr, "tpool-bench: cannot write %s: %s\n", path, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        fprintf(stderr, "tpool-bench: cannot write %s: %s\n", path, strerror(errno));
        close(fd);
        unlink(tmp);
    }
    return f;
}

int bench_out_commit(FILE *f, const char *tmp, const char *path)
{
    int err = 0;
    if (fflush(f) != 0 || ferror(f))
        err = errno ? errno : EIO;
    if (!err && fsync(fileno(f)) != 0 && errno != EINVAL)
        err = errno;
    if (fclose(f) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        fprintf(stderr, "tpool-bench: writing %s failed: %s; the previous file, if any, is "
                        "unchanged\n", path, strerror(err));
        return -1;
    }
    return 0;
}

void bench_out_discard(FILE *f, const char *tmp)
{
    if (f)
        fclose(f);
    unlink(tmp);
}

int bench_out_write(const char *path, int (*writer)(FILE *, const bench_report *),
                    const bench_report *r)
{
    char tmp[PATH_MAX + 32];
    FILE *f = bench_out_open(path, tmp, sizeof tmp);
    if (!f)
        return -1;
    if (writer(f, r) != 0) {
        fprintf(stderr, "tpool-bench: writing %s failed; the previous file, if any, is "
                        "unchanged\n", path);
        bench_out_discard(f, tmp);
        return -1;
    }
    return bench_out_commit(f, tmp, path);
}

int bench_out_check_file(const char *path, char *why, size_t whysize)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(why, whysize, "%s is a directory", path);
        return -1;
    }
    char tmp[PATH_MAX + 32];
    int fd = make_tmp(path, tmp, sizeof tmp);
    if (fd < 0) {
        char dir[PATH_MAX];
        dir_of(path, dir, sizeof dir);
        snprintf(why, whysize, "cannot create files in %s: %s", dir, strerror(errno));
        return -1;
    }
    close(fd);
    unlink(tmp);
    return 0;
}

int bench_out_check_dir(const char *dir, char *why, size_t whysize)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    /* mkdir -p */
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                snprintf(why, whysize, "cannot create %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = '/';
        }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
        snprintf(why, whysize, "cannot create %s: %s", buf, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, whysize, "%s is not a directory", buf);
        return -1;
    }
    char probe[PATH_MAX + 8];
    snprintf(probe, sizeof probe, "%s/probe", buf);
    return bench_out_check_file(probe, why, whysize);
}
