/*
 * runs.c - when rounds run: the measuring loop above the sessions of
 * runner.c. After the warm-up, measured rounds follow until every cell has
 * stopped by the stopping rule, or the time budget is spent once every cell
 * has had its minimum rounds, or a stop is requested (SIGINT, SIGTERM):
 * then the cell in progress finishes, the unfinished cells are marked, and
 * what was measured is reported.
 */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "session.h"
#include "stats.h"

/* ---- stop requests ------------------------------------------------------------------ */

/* The signal that asked to stop; written by the handler, read by the loop
 * between cells (a plain sig_atomic_t: one thread, one handler). */
static volatile sig_atomic_t stop_signal;

void bench_request_stop(int signo)
{
    stop_signal = signo;
}

int bench_stop_requested(void)
{
    return (int)stop_signal;
}

const char *bench_stop_name(int stop)
{
    static const char *const names[] = { "", "ci_target", "max_rounds", "budget", "failed",
                                         "interrupted" };
    return stop >= 0 && stop < (int)(sizeof names / sizeof names[0]) ? names[stop] : "?";
}

/* ---- progress ------------------------------------------------------------------------- */

typedef struct progress_ctx {
    bench_progress pg;
    const bench_experiment *exp;
    uint64_t measure_t0;   /* 0 until the measured rounds start */
    unsigned round;        /* measured rounds started */
    double round_s;        /* how long the last whole round took */
    size_t ncells;
    int final;
} progress_ctx;

static void on_cell(void *ud, const bench_report *r, size_t ci, int warmup)
{
    progress_ctx *p = ud;
    if (!p->pg.enabled)
        return;
    const bench_cell *c = &r->cells[ci];
    const bench_experiment *e = p->exp;
    char what[256];
    double left = -1;
    if (p->measure_t0 && !p->final) {
        /* the minimum rounds, or else the budget at most, then the final
         * runs (a probe window each) */
        double el = (double)(bench_now_ns() - p->measure_t0) * 1e-9;
        double min_left = e->min_rounds > p->round ? (e->min_rounds - p->round) * p->round_s : 0;
        left = e->budget_s > el ? e->budget_s - el : 0;
        if (min_left > left)
            left = min_left;
        left += (double)p->ncells * e->idle_probe_ms * 1e-3;
    }
    snprintf(what, sizeof what, "%s, %s, T=%u (%s)", e->workloads[c->wl].label,
             r->exes[c->exe].label, c->threads,
             warmup ? "warm-up" : p->final ? "trace and idle probe" : "");
    if (!warmup && !p->final) {
        size_t l = strlen(what) - 1;
        snprintf(what + l, sizeof what - l, "round %u, at least %u)", p->round, e->min_rounds);
    }
    bench_progress_step(&p->pg, what, left);
}

/* ---- the loop ------------------------------------------------------------------------- */

int bench_run(const bench_experiment *exp, const bench_options *o, bench_report *r, int argc,
              char **argv)
{
    uint64_t wall0 = bench_now_ns();
    if (bench_plan(exp, r, 1, argc, argv) != 0)
        return -1;
    progress_ctx pc;
    memset(&pc, 0, sizeof pc);
    pc.exp = exp;
    bench_progress_init(&pc.pg, o->progress == 0 ? NULL : stderr, 0);
    if (o->progress == 1)
        pc.pg.enabled = 1;
    bench_session *s = bench_session_open(r, 0, o->trace, o->trace_cap, on_cell, &pc);
    if (!s)
        return -1;

    int stopped = bench_session_warmup(s) != 0;
    pc.measure_t0 = bench_now_ns();
    pc.ncells = r->ncells;
    while (!stopped) {
        pc.round++;
        uint64_t r0 = bench_now_ns();
        int left = bench_session_round(s);
        pc.round_s = (double)(bench_now_ns() - r0) * 1e-9;
        if (left < 0) {
            stopped = 1;
            break;
        }
        if (left == 0)
            break;
        double el = (double)(bench_now_ns() - pc.measure_t0) * 1e-9;
        if (bench_session_rounds(s) >= exp->min_rounds && el >= exp->budget_s) {
            bench_session_stop(s, BENCH_STOP_BUDGET);
            break;
        }
    }
    if (stopped) {
        bench_session_stop(s, BENCH_STOP_INTERRUPTED);
    } else {
        pc.final = 1;
        if (bench_session_final(s) != 0)
            stopped = 1;
    }
    bench_progress_end(&pc.pg);
    int rc = bench_session_close(s) != 0 ? -1 : 0;
    if (stopped) {
        r->incomplete = 1;
        snprintf(r->incomplete_why, sizeof r->incomplete_why,
                 "interrupted by signal %d after %u measured round(s)", bench_stop_requested(),
                 pc.round);
    }
    r->meta.wall_s = (double)(bench_now_ns() - wall0) * 1e-9;
    bench_report_derive(r);
    if (rc)
        return -1;
    return stopped ? 1 : 0;
}
