/*
 * replay_run.c - replaying a record's timelines on an executor (replay.h).
 *
 * A replay calls tpool itself (tpool_parallel_range with the recorded
 * priority, flags and cost function; tpool_submit with the recorded group,
 * priority, hint and preferred worker), which the workload services of
 * tpool-bench.h cannot express, and pthreadpool with the recorded flags.
 * Every tile and task is counted by the harness's recorder as the services
 * count theirs: a call takes run-wide indices for its tiles
 * (bench_rec_take_indices), dispatched by the caller's slot, and each
 * chunk records what it ran; a task is a harness task record
 * (bench_task_new, bench_task_run). So the harness's check that everything
 * handed out ran exactly once covers a replay, and bench_replay_check adds
 * that everything the record holds was handed out. The OpenMP and oneTBB
 * loop baselines replay the parallel-fors of a record without tasks
 * through bench_range.
 */
#define _GNU_SOURCE
#include "replay.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "tpool.h"

typedef struct task_arg {
    bench_replay *s;
    size_t idx;
} task_arg;

struct bench_replay {
    const bench_record *r;
    double scale;
    uint64_t items;      /* tiles of the replayed calls, and the tasks */
    task_arg *targs;     /* [ntasks] */
    /* Per run. */
    const bench_exec *ex;
    pthread_mutex_t glock; /* the group map: groups are created and destroyed
                              by whichever thread plays their events */
    tpool_group **groups;  /* [max_group + 1] */
    _Atomic int failed;    /* the first error of an executor call */
};

static _Thread_local volatile uint64_t sink;

static void burn(double ns, uint64_t seed)
{
    if (ns > 0)
        sink = bench_spin(bench_ns_to_iters(ns), seed);
}

static void set_failed(bench_replay *s, int rc)
{
    int zero = 0;
    if (rc)
        atomic_compare_exchange_strong(&s->failed, &zero, rc);
}

/* ---- parallel-fors ------------------------------------------------------------------- */

typedef struct call_ctx {
    bench_replay *s;
    const bench_rcall *c;
    uint64_t base; /* run-wide index of tile 0 */
} call_ctx;

/* Blocking shorter than this is spun: a sleep that short oversleeps by
 * the timer slack (50 us by default). */
#define SLEEP_MIN_NS 100000.0

/* Burns the recorded time of tiles [b, e); returns it (ns). */
static double play_tiles(const call_ctx *k, size_t b, size_t e)
{
    double blocked;
    double ns = bench_rcall_cost(k->c, b, e, &blocked) * k->s->scale;
    blocked *= k->s->scale;
    burn(ns, k->base + b);
    if (blocked >= SLEEP_MIN_NS)
        bench_sleep_ns((uint64_t)blocked);
    else
        burn(blocked, k->base + e);
    return ns + blocked;
}

/* A chunk on tpool, pthreadpool or serially: played and recorded. */
static void tiles(const call_ctx *k, size_t b, size_t e)
{
    int trace = k->s->ex->trace; /* the traced run: a slice per chunk */
    uint64_t t0 = trace ? bench_now_ns() : 0;
    double ns = play_tiles(k, b, e);
    /* the thread's own slot, as the services use: a thread that also runs
     * tasks must not write two slots */
    unsigned slot = bench_rec_slot();
    bench_rec_items(slot, k->base + b, e - b, (uint64_t)(ns + 0.5));
    if (trace)
        bench_rec_span(slot, t0, bench_now_ns(), k->base + b);
}

static void tpool_tiles(void *ctx, size_t b, size_t e, unsigned thread)
{
    (void)thread;
    tiles(ctx, b, e);
}

static void ptp_tiles(void *ctx, size_t start, size_t n)
{
    tiles(ctx, start, start + n);
}

/* A chunk through bench_range, which records it (each tile counting 1 in
 * the imbalance figure: the recorded costs are not summed up front). */
static void range_tiles(void *ctx, size_t b, size_t e, unsigned slot)
{
    (void)slot;
    play_tiles(ctx, b, e);
}

/* A call that gave a cost function gets one from the recorded times. */
static uint64_t tiles_cost(void *ctx, size_t b, size_t e)
{
    const call_ctx *k = ctx;
    return (uint64_t)(bench_rcall_cost(k->c, b, e, NULL) + 0.5);
}

static int replay_call(bench_replay *s, size_t idx)
{
    const bench_rcall *c = &s->r->calls[idx];
    call_ctx k = { s, c, 0 };
    const bench_exec *ex = s->ex;
    if (c->n == 0)
        return 0;
    if (ex->kind == BENCH_EX_OMP || ex->kind == BENCH_EX_TBB)
        return bench_range(ex, c->n, range_tiles, &k, NULL);
    /* the call's tiles, handed out by this thread */
    k.base = bench_rec_take_indices(c->n);
    bench_rec_dispatch(bench_rec_slot(), k.base, c->n);
    switch (ex->kind) {
    case BENCH_EX_SERIAL:
        tiles(&k, 0, c->n);
        return 0;
    case BENCH_EX_TPOOL: {
        tpool_range_opts o = { .priority = c->priority, .cost = c->cost_fn ? tiles_cost : NULL,
                               .flags = c->flags };
        return tpool_parallel_range(ex->pool, c->n, tpool_tiles, &k, &o);
    }
    case BENCH_EX_PTP:
        if (!ex->ptp || !ex->ptp_pool)
            return TPOOL_EINVAL;
        /* pthreadpool's DISABLE_DENORMALS and YIELD_WORKERS are tpool's bits */
        ex->ptp->parallelize_1d_tile_1d(ex->ptp_pool, ptp_tiles, &k, c->n, 1,
                                        c->flags & (TPOOL_FLAG_DISABLE_DENORMALS
                                                    | TPOOL_FLAG_YIELD_WORKERS));
        return 0;
    default:
        return TPOOL_EINVAL;
    }
}

/* ---- tasks and waits ------------------------------------------------------------------ */

static int play(bench_replay *s, const bench_rline *l);

/* The task's body: its timeline (bench_task_run records it). */
static void task_fn(void *arg)
{
    task_arg *a = arg;
    set_failed(a->s, play(a->s, &a->s->r->task_line[a->idx]));
}

static void run_task(void *t)
{
    bench_task_run(t);
}

/* The replay's group for recorded group id g, created on first use. */
static int group_of(bench_replay *s, uint64_t g, tpool_group **out)
{
    *out = NULL;
    if (g == 0 || g > s->r->max_group)
        return 0;
    pthread_mutex_lock(&s->glock);
    int rc = 0;
    if (!s->groups[g])
        rc = tpool_group_create(s->ex->pool, &s->groups[g]);
    *out = s->groups[g];
    pthread_mutex_unlock(&s->glock);
    return rc;
}

static int replay_submit(bench_replay *s, size_t idx)
{
    const bench_rtask *t = &s->r->tasks[idx];
    const bench_exec *ex = s->ex;
    if (ex->kind != BENCH_EX_SERIAL && ex->kind != BENCH_EX_TPOOL)
        return TPOOL_EINVAL;
    /* its known work: the recorded run time */
    tpool_bench_task_attr ta = { .struct_size = sizeof ta,
                                 .work = (uint64_t)((double)(t->t1 - t->t0) * s->scale + 0.5) };
    bench_task *bt = bench_task_new(task_fn, &s->targs[idx], &ta);
    if (!bt)
        return TPOOL_ENOMEM;
    if (ex->kind == BENCH_EX_SERIAL) {
        bench_task_run(bt); /* a serial program runs a task when it is submitted */
        return 0;
    }
    unsigned workers = ex->threads > 1 ? ex->threads - 1 : 1;
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.priority = t->priority;
    attr.cost_hint = t->cost;
    attr.preferred_worker = t->worker >= 0 && (unsigned)t->worker < workers ? t->worker : -1;
    int rc = group_of(s, t->group, &attr.group);
    return rc ? rc : tpool_submit(ex->pool, run_task, bt, &attr);
}

static int replay_wait(bench_replay *s, size_t idx)
{
    const bench_rwait *w = &s->r->waits[idx];
    if (s->ex->kind != BENCH_EX_TPOOL)
        return 0; /* serially every task has run when it was submitted */
    if (w->group == 0) {
        int rc = tpool_wait_all(s->ex->pool);
        return rc == TPOOL_ECANCELED ? 0 : rc;
    }
    if (w->group > s->r->max_group)
        return 0;
    pthread_mutex_lock(&s->glock);
    tpool_group *g = s->groups[w->group];
    if (w->destroy)
        s->groups[w->group] = NULL;
    pthread_mutex_unlock(&s->glock);
    if (!g)
        return 0; /* no task of it was submitted (yet) in this replay */
    if (w->destroy) {
        tpool_group_destroy(g);
        return 0;
    }
    int rc = tpool_group_wait(g);
    return rc == TPOOL_ECANCELED ? 0 : rc;
}

/* ---- timelines ----------------------------------------------------------------------- */

/* Where a timeline stands: the time, and with "cpu" the thread's CPU time
 * and voluntary switches then. */
typedef struct mark {
    uint64_t t, c, v;
    int has;
} mark;

/* The serial time from a to b on one thread: with the thread's CPU times
 * at both ends, their difference is spun and the rest slept when it
 * blocked (dropped when it was preempted); else all of it is spun. */
static void gap(const bench_replay *s, const mark *a, const mark *b)
{
    if (b->t <= a->t)
        return;
    double wall = (double)(b->t - a->t);
    if (!a->has || !b->has || b->c < a->c) {
        burn(wall * s->scale, b->t);
        return;
    }
    double cpu = (double)(b->c - a->c);
    if (cpu > wall)
        cpu = wall;
    burn(cpu * s->scale, b->t);
    double rest = (wall - cpu) * s->scale;
    if (b->v == a->v)
        return; /* only preempted: not the program's time */
    if (rest >= SLEEP_MIN_NS)
        bench_sleep_ns((uint64_t)rest);
    else
        burn(rest, a->t);
}

static int play(bench_replay *s, const bench_rline *l)
{
    mark prev = { l->start, l->cpu.c0, l->cpu.v0, l->cpu.has };
    for (size_t i = 0; i < l->nev; i++) {
        const bench_rev *e = &l->ev[i];
        mark start = { e->t0, e->cpu.c0, e->cpu.v0, e->cpu.has };
        gap(s, &prev, &start);
        int rc = e->kind == BENCH_REV_CALL     ? replay_call(s, e->idx)
                 : e->kind == BENCH_REV_SUBMIT ? replay_submit(s, e->idx)
                                               : replay_wait(s, e->idx);
        if (rc)
            return rc;
        if (e->t1 >= prev.t)
            prev = (mark){ e->t1, e->cpu.c1, e->cpu.v1, e->cpu.has };
    }
    mark end = { l->end, l->cpu.c1, l->cpu.v1, l->cpu.has };
    gap(s, &prev, &end);
    return 0;
}

typedef struct outside_arg {
    bench_replay *s;
    const bench_rline *l;
    int rc;
} outside_arg;

/* An outside thread of the record: starts when it started, relative to
 * the first. */
static void *outside_main(void *arg)
{
    outside_arg *o = arg;
    burn((double)(o->l->start - o->s->r->span_t0) * o->s->scale, 1);
    o->rc = play(o->s, o->l);
    return NULL;
}

bench_replay *bench_replay_new(const bench_record *r, double scale)
{
    bench_replay *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->glock, NULL);
    s->r = r;
    s->scale = scale > 0 ? scale : 1;
    s->targs = calloc(r->ntasks ? r->ntasks : 1, sizeof *s->targs);
    s->groups = calloc(r->max_group + 1, sizeof *s->groups);
    if (!s->targs || !s->groups) {
        bench_replay_free(s);
        return NULL;
    }
    uint64_t at = 0;
    for (size_t i = 0; i < r->ncalls; i++)
        if (r->calls[i].in_kind != BENCH_IN_CALL) /* nested in a body: not replayed */
            at += r->calls[i].n;
    for (size_t i = 0; i < r->ntasks; i++)
        s->targs[i] = (task_arg){ s, i };
    s->items = at + r->ntasks;
    bench_calibrate();
    return s;
}

void bench_replay_free(bench_replay *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->glock);
    free(s->targs);
    free(s->groups);
    free(s);
}

int bench_replay_run(bench_replay *s, const bench_exec *ex)
{
    const bench_record *r = s->r;
    if (ex->kind != BENCH_EX_SERIAL && ex->kind != BENCH_EX_TPOOL && r->ntasks)
        return TPOOL_EINVAL; /* the baselines' tasks cannot take the record's groups */
    s->ex = ex;
    atomic_store(&s->failed, 0);
    size_t extra = r->noutside > 1 ? r->noutside - 1 : 0;
    pthread_t *th = extra ? calloc(extra, sizeof *th) : NULL;
    outside_arg *args = extra ? calloc(extra, sizeof *args) : NULL;
    if (extra && (!th || !args)) {
        free(th);
        free(args);
        return TPOOL_ENOMEM;
    }
    size_t started = 0;
    for (size_t i = 0; i < extra; i++) {
        args[i] = (outside_arg){ s, &r->outside[i + 1], 0 };
        if (pthread_create(&th[i], NULL, outside_main, &args[i]) != 0)
            break;
        started++;
    }
    int rc = -1;
    if (started == extra) {
        rc = 0;
        if (r->noutside) {
            outside_arg me = { s, &r->outside[0], 0 };
            outside_main(&me);
            rc = me.rc;
        }
    }
    for (size_t i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        if (!rc)
            rc = args[i].rc;
    }
    free(th);
    free(args);
    /* Tasks the program never waited for ran all the same. */
    if (ex->kind == BENCH_EX_TPOOL) {
        int w = tpool_wait_all(ex->pool);
        if (!rc && w && w != TPOOL_ECANCELED)
            rc = w;
        for (uint64_t g = 0; g <= r->max_group; g++)
            if (s->groups[g]) {
                tpool_group_destroy(s->groups[g]);
                s->groups[g] = NULL;
            }
    }
    if (!rc)
        rc = atomic_load(&s->failed);
    return rc;
}

int bench_replay_check(bench_replay *s, char *msg, size_t msgsize)
{
    if (atomic_load(&s->failed)) {
        snprintf(msg, msgsize, "an executor call failed in the replay (%d)",
                 atomic_load(&s->failed));
        return -1;
    }
    /* everything handed out ran once, and the record's every tile and
     * task was handed out */
    if (bench_rec_check_dispatched(msg, msgsize) != 0)
        return -1;
    uint64_t n = bench_rec_dispatched();
    if (n != s->items) {
        snprintf(msg, msgsize, "the replay handed out %" PRIu64 " tiles and tasks; the record "
                 "has %" PRIu64, n, s->items);
        return -1;
    }
    return 0;
}
