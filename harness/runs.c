/*
 * runs.c - when rounds run: the measuring loop above the sessions of
 * runner.c. After the warm-up, measured rounds follow until every cell has
 * stopped by the stopping rule, or the time budget is spent once every cell
 * has had its minimum rounds, or a stop is requested (SIGINT, SIGTERM):
 * then the cell in progress finishes, the unfinished cells are marked, and
 * what was measured is reported.
 *
 * With runs > 1 the experiment runs in that many fresh processes (this
 * program exec'ed again, `tpool-bench __run`), each with its own pools,
 * calibration and memory layout. They take turns: one round of run 1, one
 * of run 2, ..., so that drifts of the machine fall on every run alike and
 * the spread between runs is the variance between processes. Only one
 * process measures at a time; the others wait on a pipe, their pools
 * parked. The parent plans the cells once, drives the children over two
 * pipes each (a one-byte command, a fixed-size reply) and at the end merges
 * their raw figures into run slots 0..runs-1 of its report. The idle probe
 * and the trace are the first run's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* Seconds left: the rounds up to the minimum, and after it up to the
 * budget but no more than the rounds up to the maximum, then the final
 * runs (a probe window each); negative while unknown (before the measured
 * rounds, or before one has been timed). */
static double left_estimate(const progress_ctx *p)
{
    const bench_experiment *e = p->exp;
    if (!p->measure_t0 || p->final || !(p->round_s > 0))
        return -1;
    double el = (double)(bench_now_ns() - p->measure_t0) * 1e-9;
    double to_min = e->min_rounds > p->round ? (e->min_rounds - p->round) * p->round_s : 0;
    double to_max = e->max_rounds > p->round ? (e->max_rounds - p->round) * p->round_s : 0;
    double budget = e->budget_s > el ? e->budget_s - el : 0;
    double left = budget < to_max ? budget : to_max;
    if (to_min > left)
        left = to_min;
    return left + (double)p->ncells * e->idle_probe_ms * 1e-3;
}

/* Progress of the runs taking turns (the parent sees rounds, not cells). */
static void on_cell_text(progress_ctx *p, const char *what)
{
    if (p->pg.enabled)
        bench_progress_step(&p->pg, what, left_estimate(p));
}

static void on_cell(void *ud, const bench_report *r, size_t ci, int warmup)
{
    progress_ctx *p = ud;
    if (!p->pg.enabled)
        return;
    const bench_cell *c = &r->cells[ci];
    const bench_experiment *e = p->exp;
    char what[256];
    double left = left_estimate(p);
    snprintf(what, sizeof what, "%s, %s, T=%u (%s)", e->workloads[c->wl].label,
             r->exes[c->exe].label, c->threads,
             warmup ? "warm-up" : p->final ? "trace and idle probe" : "");
    if (!warmup && !p->final) {
        size_t l = strlen(what) - 1;
        snprintf(what + l, sizeof what - l, "round %u, at least %u)", p->round, e->min_rounds);
    }
    bench_progress_step(&p->pg, what, left);
}

/* ---- pipes between the parent and its runs --------------------------------------------- */

/* Commands the parent sends (one byte; STOP is followed by the reason). */
enum { CMD_OPEN = 'O', CMD_WARMUP = 'W', CMD_ROUND = 'R', CMD_STOP = 'S', CMD_FINAL = 'F',
       CMD_DATA = 'D' };

/* The child's answer to every command. */
typedef struct reply {
    int32_t status; /* 0, -1 failed, 1 stopped by a signal */
    int32_t left;   /* ROUND: cells still unfinished */
    uint32_t rounds;
    uint32_t pad;
} reply;

#define DATA_MAGIC 0x52425054u /* "TPBR" */

/* The children of this process, for forwarding a stop request. */
static pid_t child_pid[BENCH_MAX_RUNS];
static unsigned nchildren;
static int forwarded;

/* A stop was requested here: pass it on to the runs once (they stop after
 * their cell in progress and answer as interrupted). */
static void forward_stop(void)
{
    if (forwarded || !bench_stop_requested())
        return;
    forwarded = 1;
    for (unsigned k = 0; k < nchildren; k++)
        if (child_pid[k] > 0)
            kill(child_pid[k], bench_stop_requested());
}

static int put(int fd, const void *p, size_t n)
{
    return bench_write_full(fd, p, n, forward_stop);
}

/* Reads exactly n bytes; -1 at end of file or on error. */
static int get(int fd, void *p, size_t n)
{
    return bench_read_full(fd, p, n, forward_stop);
}

/* One cell's raw figures on the pipe: what the recorder saw is sums over
 * the run's rounds, which add up across runs as the rounds do; its
 * participants' shares (when has_share, the first nparts, at most
 * BENCH_MAX_SLOTS: the others are 0) follow the latencies. */
typedef struct wire_cell {
    uint32_t wl, exe, threads, nrounds, nworkers, npolicy, has_ws;
    int32_t check_ok;
    uint32_t stop;
    uint32_t nparts, has_share;
    uint64_t items, overflow;
    uint64_t rec_calls, rec_tasks, rec_own, rec_clock_reads;
    double idle_cpu, idle_probe;
    char check_msg[256];
} wire_cell;

static unsigned shares_sent(unsigned nparts)
{
    return nparts < BENCH_MAX_SLOTS ? nparts : BENCH_MAX_SLOTS;
}

static int send_data(int fd, const bench_report *r)
{
    uint32_t head[2] = { DATA_MAGIC, (uint32_t)r->ncells };
    if (put(fd, head, sizeof head) || put(fd, &r->run_spin[0], sizeof(double)) ||
        put(fd, &r->run_rec[0], sizeof r->run_rec[0]))
        return -1;
    for (size_t i = 0; i < r->ncells; i++) {
        const bench_cell *c = &r->cells[i];
        wire_cell w;
        memset(&w, 0, sizeof w);
        w.wl = c->wl;
        w.exe = c->exe;
        w.threads = c->threads;
        w.nrounds = c->nrounds;
        w.nworkers = c->nworkers;
        w.npolicy = c->npolicy;
        w.has_ws = c->ws != NULL;
        w.check_ok = c->check_ok;
        w.stop = c->run_stop[0];
        w.items = c->items;
        w.overflow = c->overflow;
        w.rec_calls = c->rec_calls;
        w.rec_tasks = c->rec_tasks;
        w.rec_own = c->rec_own;
        w.rec_clock_reads = c->rec_clock_reads;
        w.has_share = c->part_share != NULL;
        w.nparts = c->nparts;
        w.idle_cpu = c->idle_cpu_ns;
        w.idle_probe = c->idle_probe_ns;
        memcpy(w.check_msg, c->check_msg, sizeof w.check_msg);
        if (put(fd, &w, sizeof w) || put(fd, c->times_ns, c->nrounds * sizeof *c->times_ns) ||
            put(fd, c->alone_ns, c->nrounds * sizeof *c->alone_ns) ||
            put(fd, c->imbalance, c->nrounds * sizeof *c->imbalance) ||
            put(fd, c->lat, c->nrounds * sizeof *c->lat) ||
            (w.has_share && put(fd, c->part_share, shares_sent(w.nparts) * sizeof(double))))
            return -1;
        if (c->ws && (put(fd, c->ws, (c->nworkers + 1) * sizeof *c->ws) ||
                      put(fd, c->policy_names, sizeof c->policy_names)))
            return -1;
    }
    return 0;
}

/* Reads one run's figures and merges them into run slot `slot` of r. */
static int receive_data(int fd, bench_report *r, unsigned slot, char *why, size_t whysize)
{
    uint32_t head[2];
    double spin;
    bench_rec_costs rec;
    if (get(fd, head, sizeof head) || get(fd, &spin, sizeof spin) ||
        get(fd, &rec, sizeof rec)) {
        snprintf(why, whysize, "its results did not arrive");
        return -1;
    }
    if (head[0] != DATA_MAGIC || head[1] != r->ncells) {
        snprintf(why, whysize, "it planned %u cells, this process %zu", head[1], r->ncells);
        return -1;
    }
    r->run_spin[slot] = spin;
    r->run_rec[slot] = rec;
    if (slot == 0)
        r->meta.spin_iters_per_ns = spin;
    for (size_t i = 0; i < r->ncells; i++) {
        bench_cell *c = &r->cells[i];
        wire_cell w;
        if (get(fd, &w, sizeof w)) {
            snprintf(why, whysize, "its results were cut short");
            return -1;
        }
        if (w.wl != c->wl || w.exe != c->exe || w.threads != c->threads ||
            (w.has_ws && c->ws && w.nworkers != c->nworkers)) {
            snprintf(why, whysize, "its cell %zu is not this process's", i);
            return -1;
        }
        if (bench_cell_reserve(c, w.nrounds) != 0) {
            snprintf(why, whysize, "out of memory");
            return -1;
        }
        unsigned at = c->nrounds;
        if (get(fd, c->times_ns + at, w.nrounds * sizeof *c->times_ns) ||
            get(fd, c->alone_ns + at, w.nrounds * sizeof *c->alone_ns) ||
            get(fd, c->imbalance + at, w.nrounds * sizeof *c->imbalance) ||
            get(fd, c->lat + at, w.nrounds * sizeof *c->lat)) {
            snprintf(why, whysize, "its results were cut short");
            return -1;
        }
        if (w.has_share) {
            double share[BENCH_MAX_SLOTS];
            if (get(fd, share, shares_sent(w.nparts) * sizeof *share)) {
                snprintf(why, whysize, "its participants' shares were cut short");
                return -1;
            }
            if (!c->part_share && !(c->part_share = calloc(BENCH_MAX_SLOTS,
                                                           sizeof *c->part_share))) {
                snprintf(why, whysize, "out of memory");
                return -1;
            }
            for (unsigned k = 0; k < shares_sent(w.nparts); k++)
                c->part_share[k] += share[k];
            if (w.nparts > c->nparts)
                c->nparts = w.nparts;
        }
        c->rec_calls += w.rec_calls;
        c->rec_tasks += w.rec_tasks;
        c->rec_own += w.rec_own;
        c->rec_clock_reads += w.rec_clock_reads;
        c->nrounds += w.nrounds;
        c->run_rounds[slot] = w.nrounds;
        c->run_stop[slot] = (unsigned char)w.stop;
        c->nruns = slot + 1;
        if (w.items)
            c->items = w.items;
        if (w.overflow > c->overflow)
            c->overflow = w.overflow;
        if (!w.check_ok && c->check_ok) {
            c->check_ok = 0;
            memcpy(c->check_msg, w.check_msg, sizeof c->check_msg);
            c->check_msg[sizeof c->check_msg - 1] = '\0';
        }
        if (!isnan(w.idle_cpu)) {
            c->idle_cpu_ns = w.idle_cpu;
            c->idle_probe_ns = w.idle_probe;
        }
        if (w.has_ws) {
            bench_wstats ws[BENCH_MAX_SLOTS + 1];
            char names[TPOOL_STAT_POLICY_MAX][32];
            if (w.nworkers > BENCH_MAX_SLOTS ||
                get(fd, ws, (w.nworkers + 1) * sizeof *ws) || get(fd, names, sizeof names)) {
                snprintf(why, whysize, "its pool statistics were cut short");
                return -1;
            }
            if (!c->ws) {
                c->ws = calloc(w.nworkers + 1, sizeof *c->ws);
                if (!c->ws) {
                    snprintf(why, whysize, "out of memory");
                    return -1;
                }
                c->nworkers = w.nworkers;
                c->npolicy = w.npolicy;
                memcpy(c->policy_names, names, sizeof names);
            }
            bench_wstats_add(c->ws, ws, w.nworkers + 1);
        }
    }
    return 0;
}

/* ---- the child: one run, driven over the pipes ------------------------------------------ */

static void child_on_signal(int signo)
{
    bench_request_stop(signo);
}

int bench_run_child(int argc, char **argv)
{
    /* __run IN OUT RUN EXPERIMENT TRACE|- TRACE_CAP */
    if (argc != 7) {
        fprintf(stderr, "tpool-bench: __run is internal to --runs\n");
        return 2;
    }
    int in = atoi(argv[1]), out = atoi(argv[2]);
    unsigned run = (unsigned)atoi(argv[3]);
    const char *trace = strcmp(argv[5], "-") ? argv[5] : NULL;
    unsigned cap = (unsigned)strtoul(argv[6], NULL, 10);
    /* a stop request (the terminal's or the parent's) ends the cell in
     * progress; the parent then asks for what was measured */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = child_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    bench_experiment e;
    bench_perror pe;
    if (bench_experiment_load(argv[4], &e, &pe) != 0) {
        fprintf(stderr, "tpool-bench: run %u: %s\n", run + 1, pe.text);
        return 2;
    }
    bench_report r;
    bench_session *s = NULL;
    int rc = bench_plan(&e, &r, 0, 0, NULL);
    reply rep;
    char cmd;
    while (rc == 0 && get(in, &cmd, 1) == 0) {
        memset(&rep, 0, sizeof rep);
        int n;
        switch (cmd) {
        case CMD_OPEN:
            s = bench_session_open(&r, run, trace, cap, NULL, NULL);
            rep.status = s ? 0 : -1;
            break;
        case CMD_WARMUP:
            rep.status = s && bench_session_warmup(s) == 0 ? 0 : 1;
            break;
        case CMD_ROUND:
            n = s ? bench_session_round(s) : 0;
            rep.status = n < 0 ? 1 : 0;
            rep.left = n < 0 ? 0 : n;
            rep.rounds = s ? bench_session_rounds(s) : 0;
            break;
        case CMD_STOP: {
            /* no answer: the parent goes on to the next command */
            char why;
            if (get(in, &why, 1) != 0)
                rc = -1;
            else if (s)
                bench_session_stop(s, why);
            continue;
        }
        case CMD_FINAL:
            rep.status = s && bench_session_final(s) == 0 ? 0 : 1;
            break;
        case CMD_DATA:
            rc = bench_session_close(s) != 0 ? -1 : 0;
            s = NULL;
            if (send_data(out, &r) != 0)
                rc = -1;
            bench_report_free(&r);
            bench_experiment_free(&e);
            return rc ? 1 : 0;
        default:
            rc = -1;
            continue;
        }
        if (put(out, &rep, sizeof rep) != 0)
            rc = -1;
    }
    /* the parent is gone or spoke nonsense */
    bench_session_close(s);
    bench_report_free(&r);
    bench_experiment_free(&e);
    return 1;
}

/* ---- the parent's view of one run --------------------------------------------------------- */

typedef struct run_slot {
    unsigned index;       /* 0-based; run index + 1 in messages */
    bench_session *local; /* runs == 1: the session in this process */
    pid_t pid;            /* else the child */
    int to, from;
    int lost;             /* died or answered nonsense */
    int stopped;          /* answered as interrupted */
    unsigned rounds;
    int left;             /* unfinished cells after its last round */
    double round_s;       /* its last round's length */
} run_slot;

/* Sends a command (and the STOP reason) and reads the reply. */
static int ask(run_slot *rs, char cmd, int why, reply *rep)
{
    memset(rep, 0, sizeof *rep);
    if (rs->lost)
        return -1;
    char buf[2] = { cmd, (char)why };
    if (put(rs->to, buf, cmd == CMD_STOP ? 2 : 1) != 0 ||
        (cmd != CMD_STOP && cmd != CMD_DATA && get(rs->from, rep, sizeof *rep) != 0)) {
        rs->lost = 1;
        fprintf(stderr, "tpool-bench: run %u stopped answering; going on without it\n",
                rs->index + 1);
        return -1;
    }
    return 0;
}

/* Starts run k as `self __run ...` with its two pipes. */
static int spawn(run_slot *rs, unsigned k, const char *self, const char *exp_path,
                 const char *trace, unsigned trace_cap)
{
    int cmd[2], rep[2];
    if (pipe2(cmd, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(rep, O_CLOEXEC) != 0) {
        close(cmd[0]);
        close(cmd[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(cmd[0]);
        close(cmd[1]);
        close(rep[0]);
        close(rep[1]);
        return -1;
    }
    if (pid == 0) {
        /* the child's ends survive the exec; everything else closes */
        fcntl(cmd[0], F_SETFD, 0);
        fcntl(rep[1], F_SETFD, 0);
        char in[16], out[16], run[16], cap[16];
        snprintf(in, sizeof in, "%d", cmd[0]);
        snprintf(out, sizeof out, "%d", rep[1]);
        snprintf(run, sizeof run, "%u", k);
        snprintf(cap, sizeof cap, "%u", trace_cap);
        char *args[] = { (char *)"tpool-bench", (char *)"__run", in, out, run,
                         (char *)exp_path, (char *)(trace ? trace : "-"), cap, NULL };
        execv(self, args);
        fprintf(stderr, "tpool-bench: cannot start run %u (%s): %s\n", k + 1, self,
                strerror(errno));
        _exit(127);
    }
    close(cmd[0]);
    close(rep[1]);
    rs->index = k;
    rs->pid = pid;
    rs->to = cmd[1];
    rs->from = rep[0];
    return 0;
}

/* Says why the results are incomplete (each reason after the last). */
__attribute__((format(printf, 2, 3))) static void mark_incomplete(bench_report *r,
                                                                   const char *fmt, ...)
{
    size_t l = r->incomplete ? strlen(r->incomplete_why) : 0;
    if (l && l + 2 < sizeof r->incomplete_why) {
        memcpy(r->incomplete_why + l, "; ", 3);
        l += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->incomplete_why + l, sizeof r->incomplete_why - l, fmt, ap);
    va_end(ap);
    r->incomplete = 1;
}

/* Why run k ended, for a warning. */
static void reap(run_slot *rs, unsigned k, bench_report *r)
{
    if (rs->pid <= 0)
        return;
    close(rs->to);
    close(rs->from);
    int st = 0;
    while (waitpid(rs->pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (rs->lost) {
        char how[64];
        if (WIFSIGNALED(st))
            snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(st));
        else
            snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(st));
        fprintf(stderr, "tpool-bench: run %u failed (%s); its figures are lost\n", k + 1, how);
        mark_incomplete(r, "run %u failed (%s)", k + 1, how);
    }
    rs->pid = 0;
}

/* ---- the loop ------------------------------------------------------------------------- */

/* One measured round of run k; updates its slot. */
static void round_of(run_slot *rs)
{
    uint64_t t0 = bench_now_ns();
    if (rs->local) {
        int left = bench_session_round(rs->local);
        rs->stopped = left < 0;
        rs->left = left < 0 ? 0 : left;
        rs->rounds = bench_session_rounds(rs->local);
    } else {
        reply rep;
        if (ask(rs, CMD_ROUND, 0, &rep) == 0) {
            rs->stopped = rep.status == 1;
            rs->left = rep.left;
            rs->rounds = rep.rounds;
        }
    }
    rs->round_s = (double)(bench_now_ns() - t0) * 1e-9;
}

static void stop_run(run_slot *rs, int why)
{
    reply rep;
    if (rs->local)
        bench_session_stop(rs->local, why);
    else
        ask(rs, CMD_STOP, why, &rep);
}

/* Writes the resolved experiment for the children to read. */
int bench_write_resolved(const bench_report *r, char *path, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, size, "%s/tpool-bench-exp-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    size_t n = strlen(r->resolved);
    int rc = write(fd, r->resolved, n) == (ssize_t)n ? 0 : -1;
    close(fd);
    if (rc)
        unlink(path);
    return rc;
}

int bench_run(const bench_experiment *exp, const bench_options *o, bench_report *r, int argc,
              char **argv)
{
    uint64_t wall0 = bench_now_ns();
    if (bench_plan(exp, r, 1, argc, argv) != 0)
        return -1;
    unsigned nruns = exp->runs ? exp->runs : 1;
    progress_ctx pc;
    memset(&pc, 0, sizeof pc);
    pc.exp = exp;
    pc.ncells = r->ncells;
    bench_progress_init(&pc.pg, o->progress == 0 ? NULL : stderr, 0);
    if (o->progress == 1)
        pc.pg.enabled = 1;

    run_slot runs[BENCH_MAX_RUNS];
    memset(runs, 0, sizeof runs);
    struct sigaction old_pipe;
    char exp_path[PATH_MAX] = "";
    int failed = 0;
    nchildren = 0;
    forwarded = 0;
    if (nruns == 1) {
        runs[0].local = bench_session_open(r, 0, o->trace, o->trace_cap, on_cell, &pc);
        failed = !runs[0].local;
    } else {
        /* a run that dies must not take this process with it: a write to
         * its pipe fails with EPIPE instead of raising SIGPIPE */
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &ign, &old_pipe);
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0 || bench_write_resolved(r, exp_path, sizeof exp_path) != 0) {
            fprintf(stderr, "tpool-bench: --runs: cannot %s: %s\n",
                    n <= 0 ? "find this program" : "write the experiment for the runs",
                    strerror(errno));
            sigaction(SIGPIPE, &old_pipe, NULL);
            return -1;
        }
        self[n] = '\0';
        for (unsigned k = 0; k < nruns && !failed; k++) {
            if (spawn(&runs[k], k, self, exp_path, k == 0 ? o->trace : NULL, o->trace_cap)) {
                fprintf(stderr, "tpool-bench: cannot start run %u: %s\n", k + 1,
                        strerror(errno));
                failed = 1;
            }
            child_pid[nchildren++] = runs[k].pid;
        }
        /* one at a time: a calibration or a pool's start never overlaps
         * another run's */
        reply rep;
        for (unsigned k = 0; k < nruns && !failed; k++)
            if (ask(&runs[k], CMD_OPEN, 0, &rep) != 0 || rep.status != 0) {
                fprintf(stderr, "tpool-bench: run %u could not start measuring\n", k + 1);
                failed = 1;
            }
    }

    if (!failed) {
        char rule[160];
        if (exp->min_rounds == exp->max_rounds)
            snprintf(rule, sizeof rule, "%u rounds each", exp->min_rounds);
        else
            snprintf(rule, sizeof rule, "%u to %u rounds each, until the CI is within %.3g%% "
                     "or %.0f s are spent", exp->min_rounds, exp->max_rounds,
                     exp->ci_target * 100, exp->budget_s);
        fprintf(stderr, "tpool-bench: measuring %zu cells in %u run%s, %s\n", r->ncells, nruns,
                nruns > 1 ? "s" : "", rule);
    }
    /* this experiment's processes: their CPU time is not "others'" */
    int pids[BENCH_MAX_RUNS + 1];
    size_t npids = 0;
    pids[npids++] = (int)getpid();
    for (unsigned k = 0; nruns > 1 && k < nruns; k++)
        pids[npids++] = (int)runs[k].pid;
    if (!failed) {
        /* what competes for the CPUs before anything is measured */
        bench_machine_before(&r->machine, pids, npids, 250);
        bench_machine_warnings(r);
        for (unsigned i = 0; i < r->nwarnings; i++)
            fprintf(stderr, "tpool-bench: warning: %s\n", r->warnings[i].text);
        r->nwarnings = 0;
    }
    int stopped = 0;
    /* warm-up, run after run; a run lost here is lost, not the measurement */
    unsigned alive = nruns;
    for (unsigned k = 0; k < nruns && !failed && !stopped; k++) {
        if (runs[k].local) {
            stopped = bench_session_warmup(runs[k].local) != 0;
        } else {
            reply rep;
            if (ask(&runs[k], CMD_WARMUP, 0, &rep) != 0)
                alive--;
            stopped = rep.status == 1;
        }
    }
    if (!alive)
        failed = 1;
    /* measured rounds: one of each run in turn, the first rotating */
    pc.measure_t0 = bench_now_ns();
    for (unsigned cycle = 0; !failed && !stopped; cycle++) {
        pc.round = cycle + 1;
        int any = 0, all_min = 1;
        double cycle_s = 0;
        for (unsigned i = 0; i < nruns && !stopped; i++) {
            run_slot *rs = &runs[(cycle + i) % nruns];
            if (rs->lost || (cycle > 0 && rs->left == 0))
                continue;
            if (!rs->local && pc.pg.enabled) {
                char what[128];
                snprintf(what, sizeof what, "run %u of %u, round %u (at least %u)",
                         (cycle + i) % nruns + 1, nruns, cycle + 1, exp->min_rounds);
                on_cell_text(&pc, what);
            }
            bench_machine_mark(&r->machine, pids, npids);
            round_of(rs);
            bench_machine_sample(&r->machine, pids, npids);
            stopped |= rs->stopped || bench_stop_requested();
            cycle_s += rs->round_s;
        }
        pc.round_s = cycle_s;
        for (unsigned k = 0; k < nruns; k++) {
            if (runs[k].lost)
                continue;
            any |= runs[k].left > 0;
            all_min &= runs[k].rounds >= exp->min_rounds || runs[k].left == 0;
        }
        if (stopped || !any)
            break;
        double el = (double)(bench_now_ns() - pc.measure_t0) * 1e-9;
        if (all_min && el >= exp->budget_s) {
            for (unsigned k = 0; k < nruns; k++)
                stop_run(&runs[k], BENCH_STOP_BUDGET);
            break;
        }
    }
    if (stopped || bench_stop_requested()) {
        stopped = 1;
        for (unsigned k = 0; k < nruns; k++)
            stop_run(&runs[k], BENCH_STOP_INTERRUPTED);
    } else if (!failed) {
        /* the idle probe and the trace: the first run's (the idle probe of
         * the first run still there, if that one was lost) */
        pc.final = 1;
        if (runs[0].local) {
            stopped = bench_session_final(runs[0].local) != 0;
        } else {
            unsigned k = 0;
            while (k + 1 < nruns && runs[k].lost)
                k++;
            char what[64];
            snprintf(what, sizeof what, "run %u: trace and idle probe", k + 1);
            on_cell_text(&pc, what);
            reply rep;
            if (ask(&runs[k], CMD_FINAL, 0, &rep) == 0)
                stopped = rep.status == 1;
        }
        if (stopped)
            for (unsigned k = 0; k < nruns; k++)
                stop_run(&runs[k], BENCH_STOP_INTERRUPTED);
    }
    bench_progress_end(&pc.pg);

    /* what each run measured */
    int rc = 0;
    if (nruns == 1) {
        rc = bench_session_close(runs[0].local) != 0 ? -1 : 0;
    } else {
        unsigned slot = 0;
        for (unsigned k = 0; k < nruns; k++) {
            run_slot *rs = &runs[k];
            reply rep;
            char why[160];
            if (!failed && ask(rs, CMD_DATA, 0, &rep) == 0) {
                if (receive_data(rs->from, r, slot, why, sizeof why) == 0) {
                    slot++;
                } else {
                    fprintf(stderr, "tpool-bench: run %u: %s\n", k + 1, why);
                    rs->lost = 1;
                }
            }
            reap(rs, k, r);
        }
        r->nruns = slot;
        /* the recorder's prices of the cells' figures: the runs' mean */
        memset(&r->rec_costs, 0, sizeof r->rec_costs);
        for (unsigned k = 0; k < slot; k++) {
            r->rec_costs.per_call += r->run_rec[k].per_call / slot;
            r->rec_costs.per_task += r->run_rec[k].per_task / slot;
            r->rec_costs.per_clock += r->run_rec[k].per_clock / slot;
        }
        nchildren = 0;
        if (exp_path[0])
            unlink(exp_path);
        sigaction(SIGPIPE, &old_pipe, NULL);
        if (!failed && slot == 0)
            failed = 1;
    }
    if (failed)
        return -1;
    if (stopped)
        mark_incomplete(r, "interrupted by signal %d after %u measured round(s)",
                        bench_stop_requested(), pc.round);
    r->meta.wall_s = (double)(bench_now_ns() - wall0) * 1e-9;
    bench_report_derive(r);
    if (rc)
        return -1;
    return stopped ? 1 : 0;
}
