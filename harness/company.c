/*
 * company.c - the companion load of a company cell (bench.h, "company";
 * docs/harness.md, "Company").
 *
 * A companion runs one cell's workload beside the measured run, on an
 * executor of its own: a "member", made on first use per cell and kept for
 * the session (its pool, pthreadpool, oneTBB arena or, for OpenMP, the
 * team libgomp keeps for the driving thread; and its own workload data, so
 * that the two runs of a pair never write the same outputs).
 *
 * thread, omp: a thread of this process drives the member, released by the
 * control thread through a mutex and a condition variable. Its items go
 * through the same recorder as the measured run's, so the control thread's
 * item check covers both members of the pair.
 *
 * process: `tpool-bench __company` is exec'ed (a fork alone would inherit
 * the parent's runtimes in whatever state their threads left them: libgomp
 * and oneTBB do not survive it), plans the same resolved experiment and
 * makes the member of a cell on request; commands and replies travel over
 * two pipes. It checks its runs with its own recorder.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "session.h"

const char *const bench_company_names[BENCH_NCOMPANY] = { "none", "thread", "process", "omp" };

int bench_company_from_name(const char *name)
{
    for (int i = 0; i < BENCH_NCOMPANY; i++)
        if (strcmp(name, bench_company_names[i]) == 0)
            return i;
    return -1;
}

/* ---- a member: one executor and workload instance that runs once on request ------- */

typedef struct member {
    int made;                 /* 1 ready, -1 could not be made (why) */
    char why[256];
    bench_exec ex;
    const tpool_bench_workload *w;
    void *state;
    tpool *pool;
    void *ptp_pool, *tbb;
    bench_ptp_api api;
    int have_api;
} member;

static unsigned max_threads(const bench_report *r)
{
    unsigned m = 1;
    for (size_t i = 0; i < r->nthreads; i++)
        if (r->threads[i] > m)
            m = r->threads[i];
    return m;
}

/* Makes the member of cell ci: the cell's executor (thread, process) or
 * an OpenMP team of the cell's size (omp), and the workload's data. */
static int member_make(member *m, const bench_report *r, size_t ci, int mode)
{
    const bench_cell *cell = &r->cells[ci];
    const bench_executor *x = &r->exes[cell->exe];
    const bench_wl_inst *wi = &r->exp->workloads[cell->wl];
    memset(m, 0, sizeof *m);
    m->made = -1;
    m->w = wi->wl;
    bench_exec *ex = &m->ex;
    ex->threads = cell->threads;
    if (mode == BENCH_CO_OMP) {
        ex->kind = BENCH_EX_OMP;
        ex->omp_sched = (wi->wl->uses & TPOOL_BENCH_USES_TASKS) ? BENCH_OMP_TASK
                                                                 : BENCH_OMP_STATIC;
        if (!bench_omp_available()) {
            snprintf(m->why, sizeof m->why, "company omp: built without OpenMP");
            return -1;
        }
        if (wi->wl->uses & ~bench_exec_offers(BENCH_EX_OMP, ex->omp_sched)) {
            snprintf(m->why, sizeof m->why,
                     "company omp: no OpenMP construct runs workload %s (it uses both "
                     "parallel-fors and tasks, or the pool)",
                     wi->label);
            return -1;
        }
    } else {
        ex->kind = x->kind;
        ex->omp_sched = x->omp_sched;
        ex->omp_chunk = x->omp_chunk;
        ex->tbb_mode = x->tbb_mode;
        ex->tbb_grain = x->tbb_grain;
    }
    char err[768];
    if (bench_wl_setup(wi, r->exp->seed, max_threads(r), &m->state, err, sizeof err) != 0) {
        snprintf(m->why, sizeof m->why, "companion: workload %.60s: setup failed: %.150s",
                 wi->label, err);
        return -1;
    }
    if (ex->kind == BENCH_EX_TPOOL) {
        if (bench_pool_create(x, cell->threads, r->exp->spin_us, &m->pool, err, sizeof err)) {
            snprintf(m->why, sizeof m->why, "companion: pool creation failed: %.200s", err);
            return -1;
        }
        ex->pool = m->pool;
    } else if (ex->kind == BENCH_EX_PTP) {
        if (bench_ptp_load(&m->api, err, sizeof err) != 0) {
            snprintf(m->why, sizeof m->why, "companion: %.230s", err);
            return -1;
        }
        m->have_api = 1;
        if (!(m->ptp_pool = m->api.create(cell->threads))) {
            snprintf(m->why, sizeof m->why, "companion: pthreadpool_create failed");
            return -1;
        }
        ex->ptp = &m->api;
        ex->ptp_pool = m->ptp_pool;
    } else if (ex->kind == BENCH_EX_TBB) {
        if (!(m->tbb = bench_tbb_create(cell->threads))) {
            snprintf(m->why, sizeof m->why, "companion: making a oneTBB task_arena failed");
            return -1;
        }
        ex->tbb = m->tbb;
    }
    bench_exec_init(ex, "companion");
    m->made = 1;
    return 0;
}

static void member_free(member *m)
{
    if (m->state)
        m->w->teardown(m->state);
    if (m->pool)
        tpool_destroy(m->pool);
    if (m->ptp_pool)
        m->api.destroy(m->ptp_pool);
    if (m->have_api)
        bench_ptp_unload(&m->api);
    if (m->tbb)
        bench_tbb_destroy(m->tbb);
    memset(m, 0, sizeof *m);
}

/* One run of a prepared member, timed, then its workload's check; with
 * `own_recorder` (a process of its own) the recorder is reset before and
 * its item check made after. 0, or -1 with why in msg. */
static int member_run(member *m, int own_recorder, uint64_t *ns, char *msg, size_t size)
{
    msg[0] = '\0';
    if (own_recorder && bench_rec_reset(0, 0, 0) != 0) {
        snprintf(msg, size, "companion: out of memory");
        return -1;
    }
    uint64_t t0 = bench_now_ns();
    int rc = bench_exec_run(&m->ex, m->w, m->state);
    *ns = bench_now_ns() - t0;
    if (rc != 0) {
        snprintf(msg, size, "companion run failed: %s",
                 rc < 0 && rc >= TPOOL_ERANGE ? tpool_strerror(rc) : "not supported");
        return -1;
    }
    char why[256] = "";
    if ((own_recorder && bench_rec_check_dispatched(why, sizeof why) != 0) ||
        (m->w->check && m->w->check(m->state, &m->ex.pub, why, sizeof why) != 0)) {
        snprintf(msg, size, "companion: %.230s",
                 why[0] ? why : "the workload's check failed without a message");
        return -1;
    }
    return 0;
}

/* ---- pipes ---------------------------------------------------------------------- */

static int put(int fd, const void *p, size_t n)
{
    return bench_write_full(fd, p, n, NULL);
}

static int get(int fd, void *p, size_t n)
{
    return bench_read_full(fd, p, n, NULL);
}

enum { CO_PREPARE = 'p', CO_GO = 'g' };
typedef struct co_cmd {
    char cmd;
    uint32_t cell;
    uint64_t cooldown_ns;
} co_cmd;
typedef struct co_reply {
    int32_t rc;
    uint64_t ns;
    char msg[256];
} co_reply;

/* ---- the companion ----------------------------------------------------------------- */

enum { TH_IDLE, TH_GO, TH_DONE, TH_QUIT };

struct bench_companion {
    int mode;
    const bench_report *r;
    member *members;          /* [ncells]: in-process modes */
    size_t cur;               /* the prepared cell */
    /* thread and omp: the driving thread; `phase` under mu */
    pthread_t th;
    int have_thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int phase;
    uint64_t ns;
    int rc;
    char msg[256];
    /* process */
    pid_t pid;
    int to, from;
    int lost;
    char exp_path[PATH_MAX];
    struct sigaction old_pipe;
};

static void *drive(void *arg)
{
    bench_companion *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->phase != TH_GO && c->phase != TH_QUIT)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->phase == TH_QUIT)
            break;
        member *m = &c->members[c->cur];
        pthread_mutex_unlock(&c->mu);
        uint64_t ns = 0;
        char msg[256];
        int rc = member_run(m, 0, &ns, msg, sizeof msg);
        pthread_mutex_lock(&c->mu);
        c->ns = ns;
        c->rc = rc;
        memcpy(c->msg, msg, sizeof msg);
        c->phase = TH_DONE;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static int spawn(bench_companion *c, char *err, size_t errsize)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(err, errsize, "company process: cannot find this program: %s",
                 strerror(errno));
        return -1;
    }
    self[n] = '\0';
    if (bench_write_resolved(c->r, c->exp_path, sizeof c->exp_path) != 0) {
        snprintf(err, errsize, "company process: cannot write the experiment: %s",
                 strerror(errno));
        c->exp_path[0] = '\0';
        return -1;
    }
    int cmd[2], rep[2];
    if (pipe2(cmd, O_CLOEXEC) != 0) {
        snprintf(err, errsize, "company process: pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(rep, O_CLOEXEC) != 0) {
        snprintf(err, errsize, "company process: pipe: %s", strerror(errno));
        close(cmd[0]);
        close(cmd[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errsize, "company process: fork: %s", strerror(errno));
        close(cmd[0]);
        close(cmd[1]);
        close(rep[0]);
        close(rep[1]);
        return -1;
    }
    if (pid == 0) {
        fcntl(cmd[0], F_SETFD, 0);
        fcntl(rep[1], F_SETFD, 0);
        char in[16], out[16];
        snprintf(in, sizeof in, "%d", cmd[0]);
        snprintf(out, sizeof out, "%d", rep[1]);
        char *args[] = { (char *)"tpool-bench", (char *)"__company", in, out, c->exp_path,
                         NULL };
        execv(self, args);
        fprintf(stderr, "tpool-bench: cannot start the company process (%s): %s\n", self,
                strerror(errno));
        _exit(127);
    }
    close(cmd[0]);
    close(rep[1]);
    c->pid = pid;
    c->to = cmd[1];
    c->from = rep[0];
    return 0;
}

bench_companion *bench_companion_open(const bench_report *r, int mode, char *err,
                                      size_t errsize)
{
    bench_companion *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    c->mode = mode;
    c->r = r;
    c->to = c->from = -1;
    if (mode == BENCH_CO_PROCESS) {
        /* a companion that dies must not take this process with it */
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &ign, &c->old_pipe);
        if (spawn(c, err, errsize) != 0) {
            bench_companion_close(c);
            return NULL;
        }
        return c;
    }
    c->members = calloc(r->ncells ? r->ncells : 1, sizeof *c->members);
    if (!c->members) {
        snprintf(err, errsize, "out of memory");
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->phase = TH_IDLE;
    int rc = pthread_create(&c->th, NULL, drive, c);
    if (rc != 0) {
        snprintf(err, errsize, "company %s: cannot start its thread: %s",
                 bench_company_names[mode], strerror(rc));
        bench_companion_close(c);
        return NULL;
    }
    c->have_thread = 1;
    return c;
}

/* The company process's answer: 0, or -1 with its message (or that it
 * stopped answering, which ends the company) in err. rep->ns is 0 unless
 * an answer came. */
static int recv_reply(bench_companion *c, co_reply *rep, char *err, size_t errsize)
{
    rep->ns = 0;
    if (c->lost || get(c->from, rep, sizeof *rep) != 0) {
        c->lost = 1;
        snprintf(err, errsize, "the company process stopped answering");
        return -1;
    }
    rep->msg[sizeof rep->msg - 1] = '\0';
    if (rep->rc != 0) {
        snprintf(err, errsize, "%s", rep->msg);
        return -1;
    }
    return 0;
}

int bench_companion_prepare(bench_companion *c, size_t ci, uint64_t cooldown_ns, char *err,
                            size_t errsize)
{
    c->cur = ci;
    if (c->mode == BENCH_CO_PROCESS) {
        co_cmd cmd = { CO_PREPARE, (uint32_t)ci, cooldown_ns };
        co_reply rep;
        if (c->lost || put(c->to, &cmd, sizeof cmd) != 0) {
            c->lost = 1;
            snprintf(err, errsize, "the company process stopped answering");
            return -1;
        }
        return recv_reply(c, &rep, err, errsize);
    }
    member *m = &c->members[ci];
    if (m->made == 0 && member_make(m, c->r, ci, c->mode) != 0)
        m->made = -1;
    if (m->made < 0) {
        snprintf(err, errsize, "%s", m->why);
        return -1;
    }
    /* The member's own spinning ends in this process's quiescence wait. */
    if (m->w->prepare)
        m->w->prepare(m->state, &m->ex.pub);
    return 0;
}

int bench_companion_start(bench_companion *c)
{
    if (c->mode == BENCH_CO_PROCESS) {
        co_cmd cmd = { CO_GO, (uint32_t)c->cur, 0 };
        if (c->lost || put(c->to, &cmd, sizeof cmd) != 0) {
            c->lost = 1;
            return -1;
        }
        return 0;
    }
    pthread_mutex_lock(&c->mu);
    c->phase = TH_GO;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int bench_companion_wait(bench_companion *c, uint64_t *ns, char *err, size_t errsize)
{
    *ns = 0;
    if (c->mode == BENCH_CO_PROCESS) {
        co_reply rep;
        int rc = recv_reply(c, &rep, err, errsize);
        *ns = rep.ns;
        return rc;
    }
    pthread_mutex_lock(&c->mu);
    while (c->phase != TH_DONE)
        pthread_cond_wait(&c->cv, &c->mu);
    c->phase = TH_IDLE;
    *ns = c->ns;
    int rc = c->rc;
    if (rc)
        snprintf(err, errsize, "%s", c->msg);
    pthread_mutex_unlock(&c->mu);
    return rc ? -1 : 0;
}

void bench_companion_close(bench_companion *c)
{
    if (!c)
        return;
    if (c->mode == BENCH_CO_PROCESS) {
        /* end of file on its command pipe ends the companion */
        if (c->to >= 0)
            close(c->to);
        if (c->from >= 0)
            close(c->from);
        if (c->pid > 0)
            while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (c->exp_path[0])
            unlink(c->exp_path);
        sigaction(SIGPIPE, &c->old_pipe, NULL);
        free(c);
        return;
    }
    if (c->have_thread) {
        pthread_mutex_lock(&c->mu);
        c->phase = TH_QUIT;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->th, NULL);
    }
    for (size_t i = 0; c->members && i < c->r->ncells; i++)
        member_free(&c->members[i]);
    free(c->members);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

/* ---- the company process -------------------------------------------------------------- */

int bench_company_child(int argc, char **argv)
{
    /* __company IN OUT EXPERIMENT */
    if (argc != 4) {
        fprintf(stderr, "tpool-bench: __company is internal to company process cells\n");
        return 2;
    }
    int in = atoi(argv[1]), out = atoi(argv[2]);
    /* the parent decides when to stop (a terminal's Ctrl-C reaches the
     * whole process group): it closes the pipe */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    bench_experiment e;
    bench_perror pe;
    if (bench_experiment_load(argv[3], &e, &pe) != 0) {
        fprintf(stderr, "tpool-bench: company process: %s\n", pe.text);
        return 2;
    }
    bench_report r;
    int rc = bench_plan(&e, &r, 0, 0, NULL);
    member *members = rc == 0 ? calloc(r.ncells ? r.ncells : 1, sizeof *members) : NULL;
    if (members) {
        bench_calibrate();
        bench_rec_calibrate();
    }
    co_cmd cmd;
    while (members && get(in, &cmd, sizeof cmd) == 0) {
        co_reply rep;
        memset(&rep, 0, sizeof rep);
        if (cmd.cell >= r.ncells) {
            rep.rc = -1;
            snprintf(rep.msg, sizeof rep.msg, "company process: no cell %u", cmd.cell);
        } else if (cmd.cmd == CO_PREPARE) {
            member *m = &members[cmd.cell];
            /* the same executor as the cell, on a process of its own */
            if (m->made == 0 && member_make(m, &r, cmd.cell, BENCH_CO_THREAD) != 0)
                m->made = -1;
            if (m->made < 0) {
                rep.rc = -1;
                snprintf(rep.msg, sizeof rep.msg, "%s", m->why);
            } else {
                bench_quiesce(cmd.cooldown_ns);
                if (m->w->prepare)
                    m->w->prepare(m->state, &m->ex.pub);
            }
        } else if (cmd.cmd == CO_GO && members[cmd.cell].made > 0) {
            uint64_t ns = 0;
            rep.rc = member_run(&members[cmd.cell], 1, &ns, rep.msg, sizeof rep.msg);
            rep.ns = ns;
        } else {
            rep.rc = -1;
            snprintf(rep.msg, sizeof rep.msg, "company process: command '%c' out of order",
                     cmd.cmd);
        }
        if (put(out, &rep, sizeof rep) != 0)
            break;
    }
    for (size_t i = 0; members && i < r.ncells; i++)
        member_free(&members[i]);
    free(members);
    bench_rec_free();
    bench_tasks_free();
    if (rc == 0)
        bench_report_free(&r);
    bench_experiment_free(&e);
    return rc == 0 ? 0 : 1;
}
