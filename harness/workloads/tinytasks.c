/*
 * tinytasks.c - n independent submitted tasks that do almost nothing, so the
 * time is the cost of submitting, queueing and starting them. One task in
 * `stamp_every`, drawn with the seed, is stamped: its producer notes when it
 * submitted it and the task when it started, which gives the run's
 * submit-to-start latencies. Two clock reads cost about what such a task
 * costs, so stamping every task would measure mostly the clock; a random
 * draw (not every k-th task) cannot fall in step with a policy that deals
 * tasks to workers in turn.
 *
 * producers = 1: the calling thread submits every task, then waits.
 * producers = P > 1 (0 = one per thread): P producer tasks, submitted to the
 * pool, each submit their share from inside the pool (worker threads
 * submitting at once); OpenMP runs P producers with `omp for` + `omp task`,
 * oneTBB P producer tasks of the task_group that all the tasks join.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "stats.h"

static const bench_param_spec params[] = {
    { "n", "tasks per run", 1, 1, 1e8, 1e6 },
    { "producers", "submitting threads: 1 = the caller; 0 = one per thread", 1, 0, 1024, 1 },
    { "stamp_every", "latency stamps on one task in this many, drawn with the seed (1 = all)",
      1, 1, 1e6, 16 },
};

typedef struct rec {
    uint64_t submit_ns; /* stamped tasks: written by the producer before submitting */
    uint64_t start_ns;  /* stamped tasks: written by the task */
    unsigned producer;  /* the producer's recorder slot, written before submitting */
    int stamp;          /* set at setup: this task is stamped */
} rec;

typedef struct tiny tiny;

typedef struct producer {
    tiny *t;
    size_t lo, hi;
} producer;

struct tiny {
    size_t n;
    unsigned producers; /* 0 = threads */
    rec *recs;
    size_t nstamped;           /* tasks with stamp set */
    _Atomic int failed;        /* a submit failed inside a producer task */
    tpool *pool;               /* during a tpool run */
    tpool_group *group;        /* during a tpool run */
    uint64_t *lat;             /* scratch for the figures */
    producer *prod;
};

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    tiny *t = calloc(1, sizeof *t);
    if (t) {
        t->n = (size_t)p[0];
        t->producers = (unsigned)p[1];
        t->recs = calloc(t->n, sizeof *t->recs);
        t->lat = malloc(t->n * sizeof *t->lat);
    }
    if (!t || !t->recs || !t->lat) {
        if (t) {
            free(t->recs);
            free(t->lat);
        }
        free(t);
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    uint64_t every = (uint64_t)p[2], rng = seed ^ 0x7A11E57A3D5u;
    for (size_t i = 0; i < t->n; i++) {
        t->recs[i].stamp = bench_rand(&rng) % every == 0;
        t->nstamped += (size_t)t->recs[i].stamp;
    }
    if (t->nstamped == 0) { /* too few tasks for the draw: stamp one */
        t->recs[0].stamp = 1;
        t->nstamped = 1;
    }
    *state = t;
    return 0;
}

static unsigned nproducers(const tiny *t, const bench_exec *ex)
{
    unsigned p = t->producers ? t->producers : ex->threads;
    return p ? p : 1;
}

/* The task: note the start when stamped, and record it (the recorder
 * counts it, for the check, and whether its producer ran it); a slice when
 * tracing. */
static inline void task_body(tiny *t, rec *r, int trace)
{
    uint64_t now = r->stamp || trace ? bench_now_ns() : 0;
    if (r->stamp)
        r->start_ns = now;
    uint64_t i = (uint64_t)(r - t->recs);
    unsigned slot = bench_rec_task(r->producer, i, 1, 1);
    if (trace)
        bench_rec_span(slot, now, bench_now_ns(), i);
}

typedef struct targ {
    tiny *t;
    int trace;
} targ;
static targ g_targ; /* the task's context; set before each tpool/omp/tbb run */

static void tpool_task(void *arg)
{
    task_body(g_targ.t, arg, g_targ.trace);
}

static int submit_range(tiny *t, size_t lo, size_t hi)
{
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = t->group;
    unsigned me = bench_rec_slot();
    for (size_t i = lo; i < hi; i++) {
        t->recs[i].producer = me;
        if (t->recs[i].stamp)
            t->recs[i].submit_ns = bench_now_ns();
        int rc = tpool_submit(t->pool, tpool_task, &t->recs[i], &a);
        if (rc)
            return rc;
    }
    return 0;
}

static void producer_task(void *arg)
{
    producer *p = arg;
    if (submit_range(p->t, p->lo, p->hi) != 0)
        atomic_store_explicit(&p->t->failed, 1, memory_order_relaxed);
}

static void omp_before(void *ctx, size_t i, unsigned from)
{
    rec *r = &((tiny *)ctx)->recs[i];
    r->producer = from;
    if (r->stamp)
        r->submit_ns = bench_now_ns();
}

static void omp_task(void *ctx, size_t i)
{
    tiny *t = ctx;
    task_body(t, &t->recs[i], g_targ.trace);
}

static void prepare(void *state, const bench_exec *ex)
{
    tiny *t = state;
    (void)ex;
    for (size_t i = 0; i < t->n; i++)
        t->recs[i].submit_ns = t->recs[i].start_ns = 0;
    atomic_store_explicit(&t->failed, 0, memory_order_relaxed);
}

static int run(void *state, const bench_exec *ex)
{
    tiny *t = state;
    g_targ = (targ){ t, ex->trace };
    unsigned np = nproducers(t, ex);
    switch (ex->kind) {
    case BENCH_EX_SERIAL: {
        unsigned me = bench_rec_slot();
        for (size_t i = 0; i < t->n; i++) {
            t->recs[i].producer = me;
            if (t->recs[i].stamp)
                t->recs[i].submit_ns = bench_now_ns();
            task_body(t, &t->recs[i], ex->trace);
        }
        return 0;
    }
    case BENCH_EX_OMP:
        return bench_omp_tasks(ex->threads, np, t->n, omp_before, omp_task, t);
    case BENCH_EX_TBB:
        return bench_tbb_tasks(ex->tbb, np, t->n, omp_before, omp_task, t);
    case BENCH_EX_TPOOL: {
        t->pool = ex->pool;
        int rc = tpool_group_create(ex->pool, &t->group);
        if (rc)
            return rc;
        if (np == 1) {
            rc = submit_range(t, 0, t->n);
        } else {
            free(t->prod);
            t->prod = malloc(np * sizeof *t->prod);
            if (!t->prod)
                rc = TPOOL_ENOMEM;
            tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
            a.group = t->group;
            for (unsigned k = 0; rc == 0 && k < np; k++) {
                t->prod[k] = (producer){ t, t->n * k / np, t->n * (k + 1) / np };
                rc = tpool_submit(ex->pool, producer_task, &t->prod[k], &a);
            }
        }
        int wrc = tpool_group_wait(t->group);
        tpool_group_destroy(t->group);
        t->group = NULL;
        if (!rc && atomic_load_explicit(&t->failed, memory_order_relaxed))
            rc = TPOOL_ENOMEM;
        return rc ? rc : wrc;
    }
    case BENCH_EX_PTP:
        break;
    }
    return -1;
}

/* Every stamped task started after its submission (one that never ran has
 * no start), and the recorder saw each task run exactly once. */
static int check(void *state, const bench_exec *ex, char *msg, size_t n)
{
    tiny *t = state;
    (void)ex;
    for (size_t i = 0; i < t->n; i++) {
        if (!t->recs[i].stamp)
            continue;
        if (t->recs[i].start_ns == 0) {
            snprintf(msg, n, "task %zu never ran", i);
            return -1;
        }
        if (t->recs[i].start_ns < t->recs[i].submit_ns) {
            snprintf(msg, n, "task %zu started before its submission", i);
            return -1;
        }
    }
    return bench_rec_check_items(t->n, msg, n);
}

static void plant(void *state)
{
    tiny *t = state;
    for (size_t i = t->n; i-- > 0;)
        if (t->recs[i].stamp) {
            t->recs[i].start_ns = 0;
            return;
        }
}

static uint64_t items(void *state, const bench_exec *ex)
{
    (void)ex;
    return ((tiny *)state)->n;
}

static void latency(void *state, bench_latency *out)
{
    tiny *t = state;
    memset(out, 0, sizeof *out);
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->recs[i].stamp)
            t->lat[m++] = t->recs[i].start_ns - t->recs[i].submit_ns;
    out->valid = 1;
    bench_latency_figures(t->lat, m, &out->p50, &out->p90, &out->p99, &out->max);
    out->hi_p50 = out->hi_p90 = out->hi_p99 = out->hi_max = out->lo_max = NAN;
}

/* Submitted and started, for each stamped task. */
static uint64_t clock_reads(void *state, const bench_exec *ex)
{
    (void)ex;
    return 2 * (uint64_t)((tiny *)state)->nstamped;
}

static void teardown(void *state)
{
    tiny *t = state;
    if (!t)
        return;
    free(t->recs);
    free(t->lat);
    free(t->prod);
    free(t);
}

const bench_workload bench_wl_tinytasks = {
    .name = "tiny-tasks",
    .description = "independent near-empty submitted tasks, from one producer or many",
    .unit = "tasks",
    BENCH_WORKLOAD_PARAMS(params),
    .size_param = 0,
    .runs = BENCH_RUNS_SERIAL | BENCH_RUNS_TPOOL | BENCH_RUNS_OMP_TASK | BENCH_RUNS_TBB_TASK,
    .is_tasks = 1,
    .clock_reads = clock_reads,
    BENCH_WORKLOAD_CALLBACKS,
    .latency = latency,
};
