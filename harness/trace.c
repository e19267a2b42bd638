/*
 * trace.c - a Chrome trace-event JSON file (opens in Perfetto and
 * chrome://tracing). Each traced run is a process named after its cell; each
 * participant that did work is a thread track with one slice per tile or
 * task, as the workload wrappers recorded them by thread; the pool's
 * per-worker counters (parks, wakes and the policy's, e.g. steals) over the
 * run are counter tracks, rising from 0 at the start to the run's delta at
 * its end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct bench_trace {
    FILE *f;
    char *path;
    int first;      /* no event written yet */
    int pid;        /* the next process id */
    uint64_t t0;    /* time origin: the first run's start */
    int have_t0;
};

bench_trace *bench_trace_open(const char *path)
{
    bench_trace *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->f = fopen(path, "w");
    t->path = strdup(path);
    if (!t->f || !t->path) {
        fprintf(stderr, "tpool-bench: cannot write the trace %s\n", path);
        if (t->f)
            fclose(t->f);
        free(t->path);
        free(t);
        return NULL;
    }
    fputs("{\"traceEvents\":[\n", t->f);
    t->first = 1;
    t->pid = 1;
    return t;
}

static void sep(bench_trace *t)
{
    if (!t->first)
        fputs(",\n", t->f);
    t->first = 0;
}

/* JSON string body with escapes. */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static double us(const bench_trace *t, uint64_t ns)
{
    return (double)(ns - t->t0) / 1000.0;
}

void bench_trace_add_run(bench_trace *t, const char *name, uint64_t t_start, uint64_t t_end,
                         const bench_wstats *ws, unsigned nws, const char (*names)[32],
                         unsigned npolicy)
{
    if (!t)
        return;
    if (!t->have_t0) {
        t->t0 = t_start;
        t->have_t0 = 1;
    }
    int pid = t->pid++;
    FILE *f = t->f;
    sep(t);
    fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":",
            pid);
    put_str(f, name);
    fputs("}}", f);
    sep(t);
    fprintf(f, "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%d,\"tid\":0,"
               "\"args\":{\"sort_index\":%d}}", pid, pid);
    /* the whole run, on its own track */
    sep(t);
    fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":0,"
               "\"args\":{\"name\":\"run\"}}", pid);
    sep(t);
    fprintf(f, "{\"ph\":\"X\",\"name\":\"run\",\"pid\":%d,\"tid\":0,\"ts\":%.3f,\"dur\":%.3f}",
            pid, us(t, t_start), (double)(t_end - t_start) / 1000.0);
    uint64_t dropped = 0;
    for (unsigned s = 0; s < BENCH_MAX_SLOTS; s++) {
        const bench_slot *sl = &bench_g_rec.slots[s];
        dropped += sl->dropped;
        if (sl->nev == 0)
            continue;
        sep(t);
        fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%u,"
                   "\"args\":{\"name\":\"participant %u\"}}", pid, s + 1, s);
        for (uint32_t k = 0; k < sl->nev; k++) {
            const bench_event *e = &sl->ev[k];
            sep(t);
            fprintf(f, "{\"ph\":\"X\",\"name\":\"work\",\"pid\":%d,\"tid\":%u,\"ts\":%.3f,"
                       "\"dur\":%.3f,\"args\":{\"first\":%" PRIu64 "}}",
                    pid, s + 1, us(t, e->t0), (double)(e->t1 - e->t0) / 1000.0, e->tag);
        }
    }
    if (dropped) {
        sep(t);
        fprintf(f, "{\"ph\":\"i\",\"s\":\"p\",\"name\":\"%" PRIu64 " slices not recorded "
                   "(--trace-cap)\",\"pid\":%d,\"tid\":0,\"ts\":%.3f}", dropped, pid,
                us(t, t_end));
    }
    for (unsigned w = 0; ws && w < nws; w++) {
        char cname[64];
        if (w + 1 == nws)
            snprintf(cname, sizeof cname, "outside threads");
        else
            snprintf(cname, sizeof cname, "worker %u", w);
        for (int edge = 0; edge < 2; edge++) {
            sep(t);
            fprintf(f, "{\"ph\":\"C\",\"name\":");
            put_str(f, cname);
            fprintf(f, ",\"pid\":%d,\"ts\":%.3f,\"args\":{\"parks\":%" PRIu64
                       ",\"wakes\":%" PRIu64, pid, us(t, edge ? t_end : t_start),
                    edge ? ws[w].parks : 0, edge ? ws[w].wakes : 0);
            for (unsigned k = 0; k < npolicy && k < TPOOL_STAT_POLICY_MAX; k++) {
                fputc(',', f);
                put_str(f, names[k]);
                fprintf(f, ":%" PRIu64, edge ? ws[w].policy[k] : 0);
            }
            fputs("}}", f);
        }
    }
}

int bench_trace_close(bench_trace *t, const bench_meta *m)
{
    if (!t)
        return 0;
    FILE *f = t->f;
    fputs("\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"tpool-bench\"", f);
    if (m) {
        fputs(",\"cpu\":", f);
        put_str(f, m->cpu_model);
        fputs(",\"git\":", f);
        put_str(f, m->git_rev);
        fputs(",\"date\":", f);
        put_str(f, m->date);
    }
    fputs("}}\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0)
        bad = 1;
    if (bad)
        fprintf(stderr, "tpool-bench: writing the trace %s failed\n", t->path);
    free(t->path);
    free(t);
    return bad ? -1 : 0;
}
