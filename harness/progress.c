/*
 * progress.c - a one-line progress bar on stderr while measuring: a bar,
 * the current cell and an estimate of the time left (the runner's, or
 * else from the mean time per step so far, when the steps are known). Only
 * when stderr is a terminal; silent otherwise, so logs and pipes get no
 * control characters.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"

void bench_progress_init(bench_progress *p, FILE *f, uint64_t total)
{
    memset(p, 0, sizeof *p);
    p->enabled = f != NULL && isatty(fileno(f));
    p->total = total; /* 0: unknown */
    p->start_ns = bench_now_ns();
}

static void fmt_time(char *buf, size_t size, double s)
{
    if (s < 0)
        s = 0;
    unsigned t = (unsigned)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%uh%02um", t / 3600, t / 60 % 60);
    else
        snprintf(buf, size, "%um%02us", t / 60, t % 60);
}

void bench_progress_step(bench_progress *p, const char *what, double left_s)
{
    uint64_t now = bench_now_ns();
    uint64_t done = p->done++;
    if (!p->enabled)
        return;
    /* at most ten redraws a second */
    if (done && now - p->last_ns < 100000000u)
        return;
    p->last_ns = now;
    double el = (double)(now - p->start_ns) * 1e-9;
    /* the caller's estimate of the time left, when it has one, says how far
     * along the run is; otherwise the steps done of those announced */
    double frac = left_s >= 0  ? el / (el + left_s + 1e-9)
                  : p->total ? (double)done / (double)p->total
                             : 0;
    if (frac > 1)
        frac = 1;
    char left[32] = "?";
    if (left_s >= 0)
        fmt_time(left, sizeof left, left_s);
    else if (done && p->total > done)
        fmt_time(left, sizeof left, el / (double)done * (double)(p->total - done));
    char bar[21];
    int fill = (int)(frac * 20);
    for (int i = 0; i < 20; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[20] = '\0';
    /* one line: a wrapped line would defeat the carriage return */
    struct winsize ws;
    int cols = ioctl(fileno(stderr), TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
    char head[96];
    int hl = snprintf(head, sizeof head, "[%s] %3d%% %s left | ", bar, (int)(frac * 100), left);
    int room = cols - 1 - hl;
    fprintf(stderr, "\r\033[K%s%.*s", head, room > 0 ? room : 0, what);
    fflush(stderr);
}

void bench_progress_end(bench_progress *p)
{
    if (!p->enabled)
        return;
    char el[32];
    fmt_time(el, sizeof el, (double)(bench_now_ns() - p->start_ns) * 1e-9);
    fprintf(stderr, "\r\033[Kmeasured in %s\n", el);
}
