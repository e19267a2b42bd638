/* textfile.c - reading a configuration or experiment file whole (see
 * textfile.h). */
#define _GNU_SOURCE
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"

/* What a file that is not a regular file is, for the message. */
static const char *file_type(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO (named pipe)"
         : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device"
         : S_ISSOCK(m) ? "a socket"
                       : "not a plain file";
}

static int failed(tpool__file_error *fe, int code, int opening, const char *fmt, ...)
    TPOOL__PRINTF(4, 5);

static int failed(tpool__file_error *fe, int code, int opening, const char *fmt, ...)
{
    fe->opening = opening;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fe->why, sizeof fe->why, fmt, ap);
    va_end(ap);
    return code;
}

int tpool__read_text_file(const char *path, size_t max_size, char **buf_out, size_t *len_out,
                          tpool__file_error *fe)
{
    memset(fe, 0, sizeof *fe);
    /* O_NONBLOCK: open() on a FIFO returns at once instead of waiting for
     * a writer; the file is refused below before anything reads it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        return failed(fe, e == ENOENT ? TPOOL_ENOENT : TPOOL_EIO, 1, "%s", strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return failed(fe, TPOOL_EIO, 0, "%s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return failed(fe, TPOOL_EIO, 0, "%s", strerror(EISDIR));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return failed(fe, TPOOL_EIO, 0,
                      "it is %s, not a regular file (reading one can block forever "
                      "or never end); name a regular file", file_type(st.st_mode));
    }

    /* The size is not trusted (a /proc file says 0, a file may grow): only
     * EOF ends the read. */
    size_t cap = 4096, len = 0;
    char *buf = tpool__malloc(cap);
    int rc = 0;
    while (buf) {
        if (len + 1 >= cap) {
            if (cap >= max_size) {
                rc = failed(fe, TPOOL_EIO, 0, "larger than %zu MiB", max_size >> 20);
                fe->too_large = 1;
                break;
            }
            char *grown = tpool__realloc(buf, cap * 2);
            if (!grown) {
                tpool__free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = failed(fe, TPOOL_EIO, 0, "%s", strerror(errno));
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (!buf && !rc)
        rc = failed(fe, TPOOL_ENOMEM, 0, "out of memory");
    if (rc) {
        tpool__free(buf);
        return rc;
    }
    buf[len] = '\0';
    *buf_out = buf;
    *len_out = len;
    return 0;
}
