/*
 * pipe_io.c - whole messages on the pipes between tpool-bench and the
 * processes it starts (separate runs, company processes): a write or read
 * of exactly n bytes that goes on after a signal interrupted it.
 */
#include <errno.h>
#include <unistd.h>

#include "bench.h"

int bench_write_full(int fd, const void *p, size_t n, void (*on_intr)(void))
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) {
            if (on_intr)
                on_intr();
            continue;
        }
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int bench_read_full(int fd, void *p, size_t n, void (*on_intr)(void))
{
    char *c = p;
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR) {
            if (on_intr)
                on_intr();
            continue;
        }
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}
