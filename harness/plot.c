/*
 * plot.c - SVG plots through gnuplot, every point with its 95% confidence
 * interval as an error bar, and every executor in the same colour and
 * marker in every plot: for each workload, speedup against threads (one line
 * per executor, with the ideal line); for each executor, makespan over the
 * ideal (serial time / threads) per workload and thread count, the
 * micro-benchmarks (empty, bulk, tiny tasks) in a plot of their own, apart
 * from the real workloads; for each workload that repeats calls, the time of
 * one call against threads. The data (.dat) and the script (plots.gp) are
 * always written; the SVGs only when gnuplot is on PATH, and the caller says
 * so when not.
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

int bench_wl_is_micro(const tpool_bench_workload *w)
{
    return (w->flags & TPOOL_BENCH_WL_MICRO) != 0;
}

/* A figure of a cell and its 95% interval (NaN when there is none). */
typedef struct point {
    double v, lo, hi;
} point;

/* The cell whose time is the reference of c's speedup: the serial cell of
 * its workload, else c's executor at one thread. */
static const bench_cell *reference(const bench_report *r, const bench_cell *c)
{
    const bench_cell *one = NULL;
    for (size_t i = 0; i < r->ncells; i++) {
        const bench_cell *x = &r->cells[i];
        if (x->wl != c->wl || !x->nrounds)
            continue;
        if (r->exes[x->exe].kind == BENCH_EX_SERIAL)
            return x;
        if (x->exe == c->exe && x->threads == 1)
            one = x;
    }
    return one;
}

/* Speedup = reference median / median; its interval pairs the ends of both
 * intervals (reference low / cell high, reference high / cell low): it
 * holds the uncertainty of both times, conservatively. */
static point speedup_of(const bench_report *r, const bench_cell *c)
{
    point p = { NAN, NAN, NAN };
    const bench_cell *s = c ? reference(r, c) : NULL;
    if (!s || !(c->t.median > 0) || !(c->t.ci_lo > 0))
        return p;
    p.v = s->t.median / c->t.median;
    p.lo = s->t.ci_lo / c->t.ci_hi;
    p.hi = s->t.ci_hi / c->t.ci_lo;
    return p;
}

/* Makespan over the ideal, median * T / reference median = 1 / efficiency,
 * with the interval paired the same way. */
static point makespan_of(const bench_report *r, const bench_cell *c)
{
    point p = { NAN, NAN, NAN }, s = speedup_of(r, c);
    if (c && s.v > 0) {
        p.v = c->threads / s.v;
        p.lo = c->threads / s.hi;
        p.hi = c->threads / s.lo;
    }
    return p;
}

/* Median time of one call in us, with its interval. */
static point per_call_of(const bench_report *r, const bench_cell *c)
{
    (void)r;
    point p = { NAN, NAN, NAN };
    if (c && !isnan(c->calls)) {
        p.v = c->t_call.median / 1000.0;
        p.lo = c->t_call.ci_lo / 1000.0;
        p.hi = c->t_call.ci_hi / 1000.0;
    }
    return p;
}

typedef point (*cell_point_fn)(const bench_report *r, const bench_cell *c);

static void put_point(FILE *f, point p)
{
    put(f, p.v);
    put(f, p.lo);
    put(f, p.hi);
}

/* A table of workload wl: a row per thread count, three columns (value,
 * low, high) per executor but the serial loop that has cells of wl. */
static void put_by_threads(FILE *f, const bench_report *r, size_t wl, const unsigned *th,
                           size_t nth, cell_point_fn value)
{
    fprintf(f, "# threads");
    for (size_t x = 0; x < r->nexes; x++)
        if (r->exes[x].kind != BENCH_EX_SERIAL && has_exe(r, wl, x))
            fprintf(f, " %s %s_lo %s_hi", r->exes[x].label, r->exes[x].label, r->exes[x].label);
    fputc('\n', f);
    for (size_t k = 0; k < nth; k++) {
        fprintf(f, "%u", th[k]);
        for (size_t x = 0; x < r->nexes; x++)
            if (r->exes[x].kind != BENCH_EX_SERIAL && has_exe(r, wl, x))
                put_point(f, value(r, cell_at(r, wl, x, th[k])));
        fputc('\n', f);
    }
}

/*
 * One line style per executor, the same in every plot: a colour and a
 * marker (filled and open shapes alternate), distinct for the first
 * 12 x 13 executors.
 */
static void put_styles(FILE *gp, const bench_report *r)
{
    static const char *const colour[] = {
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#000000", "#0b3d91",
    };
    static const int marker[] = { 7, 5, 9, 13, 11, 6, 4, 8, 12, 10, 1, 2, 3 };
    for (size_t x = 0; x < r->nexes; x++)
        fprintf(gp, "set style line %zu lc rgb '%s' pt %d ps 1.2 lw 1.5\n", x + 1,
                colour[x % (sizeof colour / sizeof colour[0])],
                marker[x % (sizeof marker / sizeof marker[0])]);
}

/* `plot` of a put_by_threads table: each executor's three columns as error
 * bars in its own style, each executor moved a little along x so that the
 * bars at one thread count stand side by side; returns the number of
 * executors. */
static size_t plot_by_threads(FILE *gp, const bench_report *r, size_t wl, const char *file,
                              const unsigned *th, size_t nth, const char *extra)
{
    size_t col = 2, n = 0, total = 0;
    for (size_t x = 0; x < r->nexes; x++)
        total += r->exes[x].kind != BENCH_EX_SERIAL && has_exe(r, wl, x);
    double span = nth > 1 ? (double)(th[nth - 1] - th[0]) : 1;
    fprintf(gp, "plot ");
    for (size_t x = 0; x < r->nexes; x++) {
        if (r->exes[x].kind == BENCH_EX_SERIAL || !has_exe(r, wl, x))
            continue;
        double dx = ((double)n - (double)(total - 1) / 2) * span * 0.012;
        fprintf(gp, "%s'%s' using ($1%+g):%zu:%zu:%zu with yerrorlines ls %zu title '%s'",
                n ? ", \\\n     " : "", file, dx, col, col + 1, col + 2, x + 1,
                r->exes[x].label);
        col += 3;
        n++;
    }
    fprintf(gp, "%s%s\n", extra ? ", \\\n     " : "", extra ? extra : "");
    return n;
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

/* Whether executor x has cells of a workload of the kind asked
 * (micro-benchmarks or real workloads). */
static int has_kind(const bench_report *r, size_t x, int micro)
{
    for (size_t w = 0; w < r->exp->nworkloads; w++)
        if (bench_wl_is_micro(r->exp->workloads[w].wl) == micro && has_exe(r, w, x))
            return 1;
    return 0;
}

/* makespan_EXECUTOR[_micro]: bars per workload of the kind, one per thread
 * count, with error bars. */
static int makespan_plot(FILE *gp, const char *dir, const bench_report *r, size_t x, int micro,
                         const unsigned *th, size_t nth)
{
    const bench_experiment *e = r->exp;
    char name[160];
    snprintf(name, sizeof name, "makespan_%s%s.dat", r->exes[x].label, micro ? "_micro" : "");
    FILE *f = open_in(dir, name);
    if (!f)
        return -1;
    /* a comment: a histogram counts every row, a header too */
    fprintf(f, "# workload");
    for (size_t k = 0; k < nth; k++)
        fprintf(f, " T=%u T=%u_lo T=%u_hi", th[k], th[k], th[k]);
    fputc('\n', f);
    double lo = 1;
    for (size_t w = 0; w < e->nworkloads; w++) {
        if (!has_exe(r, w, x) || bench_wl_is_micro(e->workloads[w].wl) != micro)
            continue;
        fprintf(f, "%s", e->workloads[w].label);
        for (size_t k = 0; k < nth; k++) {
            point p = makespan_of(r, cell_at(r, w, x, th[k]));
            if (p.lo < lo)
                lo = p.lo;
            put_point(f, p);
        }
        fputc('\n', f);
    }
    fclose(f);
    fprintf(gp,
            "set output 'makespan_%s%s.svg'\nset title 'makespan over ideal (serial/T): %s, %s'\n"
            "set style data histograms\nset style histogram errorbars gap 1 lw 1\n"
            "set style fill solid 0.7 border -1\nset xtics rotate by -30 autofreq\n"
            "set xlabel ''\nset ylabel 'makespan / ideal (1 = perfect; log scale)'\n"
            "set logscale y\nset yrange [%g:*]\nplot ",
            r->exes[x].label, micro ? "_micro" : "", r->exes[x].label,
            micro ? "micro-benchmarks" : "workloads", lo / 2);
    for (size_t k = 0; k < nth; k++)
        fprintf(gp, "%s'%s' using %zu:%zu:%zu%s title 'T=%u'", k ? ", " : "", name, 2 + 3 * k,
                3 + 3 * k, 4 + 3 * k, k ? "" : ":xtic(1)", th[k]);
    fprintf(gp, ", 1 with lines dashtype 2 lc rgb 'gray' title 'ideal'\n"
                "unset logscale y\nset yrange [*:*]\nset style data linespoints\n"
                "set style fill empty\nset xtics norotate\n");
    return 0;
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
                "# every point carries its 95%% confidence interval as an error bar\n"
                "set terminal svg size 800,500 dynamic background rgb 'white'\n"
                "set termoption noenhanced\nset datafile missing '-'\n"
                "set key outside right\nset grid\nset bars small\n"
                "set offsets graph 0.06, graph 0.06, 0, 0\n");
    put_styles(gp, r);
    const bench_experiment *e = r->exp;
    int bad = 0;

    /* speedup against threads, per workload */
    for (size_t w = 0; w < e->nworkloads; w++) {
        char name[128];
        snprintf(name, sizeof name, "speedup_%s.dat", e->workloads[w].label);
        int any = 0;
        for (size_t x = 0; x < r->nexes; x++)
            any |= r->exes[x].kind != BENCH_EX_SERIAL && has_exe(r, w, x);
        if (!any)
            continue;
        FILE *f = open_in(dir, name);
        if (!f) {
            bad = 1;
            continue;
        }
        put_by_threads(f, r, w, th, nth, speedup_of);
        fclose(f);
        fprintf(gp,
                "set output 'speedup_%s.svg'\nset title 'speedup: %s%s'\n"
                "set xlabel 'threads'\nset ylabel 'speedup over the serial loop (95%% CI)'\n",
                e->workloads[w].label, e->workloads[w].label,
                bench_wl_is_micro(e->workloads[w].wl) ? " (micro-benchmark)" : "");
        put_xtics(gp, th, nth);
        plot_by_threads(gp, r, w, name, th, nth,
                        "x title 'ideal' with lines dashtype 2 lc rgb 'gray'");
    }

    /* makespan over ideal, per executor: real workloads and micro-benchmarks apart */
    for (size_t x = 0; x < r->nexes; x++) {
        if (r->exes[x].kind == BENCH_EX_SERIAL)
            continue;
        for (int micro = 0; micro <= 1; micro++)
            if (has_kind(r, x, micro) && makespan_plot(gp, dir, r, x, micro, th, nth) != 0)
                bad = 1;
    }

    /* the time of one call, for the workloads that repeat calls */
    for (size_t w = 0; w < e->nworkloads; w++) {
        const bench_wl_inst *wi = &e->workloads[w];
        int repeats = 0;
        for (unsigned k = 0; k < wi->wl->nparams; k++)
            repeats |= strcmp(wi->wl->params[k].name, "calls") == 0;
        if (!repeats)
            continue;
        char name[128];
        snprintf(name, sizeof name, "dispatch_%s.dat", wi->label);
        FILE *f = open_in(dir, name);
        if (!f) {
            bad = 1;
            continue;
        }
        put_by_threads(f, r, w, th, nth, per_call_of);
        fclose(f);
        fprintf(gp,
                "set output 'dispatch_%s.svg'\nset title 'time per parallel-for call: %s'\n"
                "set xlabel 'threads'\n"
                "set ylabel 'us per call (median, 95%% CI; log scale)'\nset logscale y\n",
                wi->label, wi->label);
        put_xtics(gp, th, nth);
        plot_by_threads(gp, r, w, name, th, nth, NULL);
        fprintf(gp, "unset logscale y\n");
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
