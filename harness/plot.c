/*
 * plot.c - SVG plots through gnuplot: for each workload, speedup against
 * threads (one line per executor, with the ideal line); for each executor,
 * makespan over the ideal (serial time / threads) per workload and thread
 * count; for each "empty" workload, the time of one dispatch against
 * threads. The data (.dat) and the script (plots.gp) are always written;
 * the SVGs only when gnuplot is on PATH, and the caller says so when not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int find_in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char *copy = strdup(path);
    int found = 0;
    for (char *save = NULL, *d = copy ? strtok_r(copy, ":", &save) : NULL; d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", d[0] ? d : ".", prog);
        found = access(full, X_OK) == 0;
    }
    free(copy);
    return found;
}

static const bench_cell *cell_at(const bench_report *r, size_t wl, size_t exe, unsigned t)
{
    for (size_t i = 0; i < r->ncells; i++) {
        const bench_cell *c = &r->cells[i];
        if (c->wl == wl && c->exe == exe && c->threads == t && c->nrounds)
            return c;
    }
    return NULL;
}

/* The thread counts that occur, ascending. */
static size_t thread_counts(const bench_report *r, unsigned *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        unsigned t = r->cells[i].threads;
        size_t k;
        for (k = 0; k < n; k++)
            if (out[k] == t)
                break;
        if (k == n && n < cap)
            out[n++] = t;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            unsigned x = out[j];
            out[j] = out[j - 1];
            out[j - 1] = x;
        }
    return n;
}

static void put(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs(" -", f);
    else
        fprintf(f, " %.6g", v);
}

static int has_exe(const bench_report *r, size_t wl, size_t exe)
{
    for (size_t i = 0; i < r->ncells; i++)
        if (r->cells[i].wl == wl && r->cells[i].exe == exe && r->cells[i].nrounds)
            return 1;
    return 0;
}

static void put_xtics(FILE *gp, const unsigned *th, size_t nth)
{
    fprintf(gp, "set xtics (");
    for (size_t k = 0; k < nth; k++)
        fprintf(gp, "%s%u", k ? ", " : "", th[k]);
    fprintf(gp, ")\n");
}

/* A figure of one cell (NaN when there is none) for put_by_threads. */
typedef double (*cell_value_fn)(const bench_cell *c, const void *arg);

/* Speedup over the serial loop, else over one thread. */
static double speedup_of(const bench_cell *c, const void *arg)
{
    (void)arg;
    return !c ? NAN : !isnan(c->speedup_serial) ? c->speedup_serial : c->speedup_1t;
}

/* Median time of one call in us; arg points to the calls per run. */
static double dispatch_us_of(const bench_cell *c, const void *arg)
{
    double calls = *(const double *)arg;
    return c ? c->t.median / calls / 1000.0 : NAN;
}

/* A table of workload wl: a row per thread count, a column per executor
 * but the serial loop that has cells of wl, each holding value(cell, arg).
 * Returns the number of columns after "threads". */
static size_t put_by_threads(FILE *f, const bench_report *r, size_t wl, const unsigned *th,
                             size_t nth, cell_value_fn value, const void *arg)
{
    fprintf(f, "threads");
    size_t ncol = 0;
    for (size_t x = 0; x < r->nexes; x++)
        if (r->exes[x].kind != BENCH_EX_SERIAL && has_exe(r, wl, x)) {
            fprintf(f, " %s", r->exes[x].label);
            ncol++;
        }
    fputc('\n', f);
    for (size_t k = 0; k < nth; k++) {
        fprintf(f, "%u", th[k]);
        for (size_t x = 0; x < r->nexes; x++) {
            if (r->exes[x].kind == BENCH_EX_SERIAL || !has_exe(r, wl, x))
                continue;
            put(f, value(cell_at(r, wl, x, th[k]), arg));
        }
        fputc('\n', f);
    }
    return ncol;
}

static FILE *open_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "tpool-bench: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

/* The files this writer makes: plots.gp, gnuplot.log and
 * {speedup,makespan,dispatch}_*.{dat,svg}. */
static int is_ours(const char *name)
{
    static const char *const prefix[] = { "speedup_", "makespan_", "dispatch_" };
    if (strcmp(name, "plots.gp") == 0 || strcmp(name, "gnuplot.log") == 0)
        return 1;
    size_t l = strlen(name);
    if (l < 4 || (strcmp(name + l - 4, ".dat") != 0 && strcmp(name + l - 4, ".svg") != 0))
        return 0;
    for (size_t i = 0; i < sizeof prefix / sizeof prefix[0]; i++)
        if (strncmp(name, prefix[i], strlen(prefix[i])) == 0)
            return 1;
    return 0;
}

/* The names of the files in dir (only is_ours when asked), malloc'd. */
static char **list_dir(const char *dir, int ours_only, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t cap = 16;
    char **v = malloc(cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d))) {
        if (e->d_name[0] == '.' || (ours_only && !is_ours(e->d_name)))
            continue;
        if (*n == cap) {
            char **nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        v[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/*
 * Moves every file of tmp into dir (each rename atomic, so a reader sees the
 * old file or the new one), then removes the plots of an earlier run that
 * this one did not make: dir then holds this run's plots and whatever else
 * the user keeps there.
 */
static int publish(const char *tmp, const char *dir)
{
    int rc = 0;
    size_t nnew = 0, nold = 0;
    char **fresh = list_dir(tmp, 0, &nnew);
    for (size_t i = 0; i < nnew; i++) {
        char from[4096], to[4096];
        if (!fresh[i] || snprintf(from, sizeof from, "%s/%s", tmp, fresh[i]) >= (int)sizeof from ||
            snprintf(to, sizeof to, "%s/%s", dir, fresh[i]) >= (int)sizeof to)
            continue;
        if (rename(from, to) != 0) {
            fprintf(stderr, "tpool-bench: cannot move %s to %s: %s\n", from, to,
                    strerror(errno));
            unlink(from);
            rc = -1;
        }
    }
    if (rmdir(tmp) != 0)
        rc = -1;
    char **old = fresh ? list_dir(dir, 1, &nold) : NULL;
    for (size_t i = 0; i < nold; i++) {
        int keep = !old[i];
        for (size_t k = 0; k < nnew && !keep; k++)
            keep = fresh[k] && strcmp(fresh[k], old[i]) == 0;
        char path[4096];
        if (!keep && snprintf(path, sizeof path, "%s/%s", dir, old[i]) < (int)sizeof path)
            unlink(path);
    }
    free_list(old, nold);
    free_list(fresh, nnew);
    return fresh ? rc : -1;
}

static int write_plots(const char *dir, const bench_report *r);

int bench_write_plots(const char *dest, const bench_report *r)
{
    if (mkdir(dest, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tpool-bench: cannot create %s: %s\n", dest, strerror(errno));
        return -1;
    }
    /* everything is made in a directory of its own, then published */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/.plots.tmp-XXXXXX", dest);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "tpool-bench: cannot write plots into %s: %s\n", dest,
                strerror(errno));
        return -1;
    }
    int rc = write_plots(dir, r);
    if (rc == -2) {
        fprintf(stderr, "tpool-bench: gnuplot failed on %s/plots.gp; see %s/gnuplot.log\n",
                dest, dest);
        rc = -1;
    }
    if (publish(dir, dest) != 0)
        rc = -1;
    return rc;
}

/* Writes the data, the script and the SVGs into dir: 1, 0 without gnuplot,
 * -1 when a file could not be written, -2 when gnuplot failed. */
static int write_plots(const char *dir, const bench_report *r)
{
    unsigned th[256];
    size_t nth = thread_counts(r, th, 256);
    FILE *gp = open_in(dir, "plots.gp");
    if (!gp)
        return -1;
    fprintf(gp, "# tpool-bench plots: run `gnuplot plots.gp` in this directory\n"
                "set terminal svg size 800,500 dynamic background rgb 'white'\n"
                "set termoption noenhanced\nset datafile missing '-'\n"
                "set key outside right\nset grid\n");
    const bench_experiment *e = r->exp;
    int bad = 0;

    /* speedup against threads, per workload */
    for (size_t w = 0; w < e->nworkloads; w++) {
        char name[128];
        snprintf(name, sizeof name, "speedup_%s.dat", e->workloads[w].label);
        FILE *f = open_in(dir, name);
        if (!f) {
            bad = 1;
            continue;
        }
        size_t ncol = put_by_threads(f, r, w, th, nth, speedup_of, NULL);
        fclose(f);
        if (ncol == 0)
            continue;
        fprintf(gp,
                "set output 'speedup_%s.svg'\nset title 'speedup: %s'\n"
                "set xlabel 'threads'\nset ylabel 'speedup over the serial loop'\n"
                "set style data linespoints\n",
                e->workloads[w].label, e->workloads[w].label);
        put_xtics(gp, th, nth);
        fprintf(gp, "plot for [i=2:%zu] '%s' using 1:i title columnheader(i), "
                    "x title 'ideal' with lines dashtype 2 lc rgb 'gray'\n",
                ncol + 1, name);
    }

    /* makespan over ideal, per executor */
    for (size_t x = 0; x < r->nexes; x++) {
        if (r->exes[x].kind == BENCH_EX_SERIAL)
            continue;
        char name[128];
        snprintf(name, sizeof name, "makespan_%s.dat", r->exes[x].label);
        FILE *f = open_in(dir, name);
        if (!f) {
            bad = 1;
            continue;
        }
        fprintf(f, "workload");
        for (size_t k = 0; k < nth; k++)
            fprintf(f, " T=%u", th[k]);
        fputc('\n', f);
        size_t rows = 0;
        double lo = 1;
        for (size_t w = 0; w < e->nworkloads; w++) {
            if (!has_exe(r, w, x))
                continue;
            fprintf(f, "%s", e->workloads[w].label);
            for (size_t k = 0; k < nth; k++) {
                const bench_cell *c = cell_at(r, w, x, th[k]);
                /* makespan / (serial / T) = 1 / efficiency */
                double v = c && c->efficiency > 0 ? 1.0 / c->efficiency : NAN;
                if (v < lo)
                    lo = v;
                put(f, v);
            }
            fputc('\n', f);
            rows++;
        }
        fclose(f);
        if (!rows)
            continue;
        fprintf(gp,
                "set output 'makespan_%s.svg'\nset title 'makespan over ideal (serial/T): %s'\n"
                "set style data histograms\nset style histogram clustered gap 1\n"
                "set style fill solid 0.7 border -1\nset xtics rotate by -30 autofreq\n"
                "set xlabel ''\nset ylabel 'makespan / ideal (1 = perfect; log scale)'\n"
                "set logscale y\nset yrange [%g:*]\n"
                "plot for [i=2:%zu] '%s' using i:xtic(1) title columnheader(i), "
                "1 with lines dashtype 2 lc rgb 'gray' title 'ideal'\n"
                "unset logscale y\nset yrange [*:*]\nset style data linespoints\n"
                "set style fill empty\nset xtics norotate\n",
                r->exes[x].label, r->exes[x].label, lo / 2, nth + 1, name);
    }

    /* dispatch latency: the empty workloads' time per call */
    for (size_t w = 0; w < e->nworkloads; w++) {
        if (strcmp(e->workloads[w].wl->name, "empty") != 0)
            continue;
        double calls = e->workloads[w].p[1];
        char name[128];
        snprintf(name, sizeof name, "dispatch_%s.dat", e->workloads[w].label);
        FILE *f = open_in(dir, name);
        if (!f) {
            bad = 1;
            continue;
        }
        size_t ncol = put_by_threads(f, r, w, th, nth, dispatch_us_of, &calls);
        fclose(f);
        if (!ncol)
            continue;
        fprintf(gp,
                "set output 'dispatch_%s.svg'\nset title 'dispatch latency: %s'\n"
                "set style data linespoints\nset xlabel 'threads'\n"
                "set ylabel 'us per parallel-for call (median)'\nset logscale y\n",
                e->workloads[w].label, e->workloads[w].label);
        put_xtics(gp, th, nth);
        fprintf(gp, "plot for [i=2:%zu] '%s' using 1:i title columnheader(i)\nunset logscale y\n",
                ncol + 1, name);
    }
    if (fclose(gp) != 0 || bad)
        return -1;

    if (!find_in_path("gnuplot"))
        return 0;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* gnuplot's warnings (a plot with no valid point, a single thread
         * count) go to a log beside the plots rather than into the report */
        if (chdir(dir) != 0)
            _exit(127);
        int fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        execlp("gnuplot", "gnuplot", "plots.gp", (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : -2;
}
