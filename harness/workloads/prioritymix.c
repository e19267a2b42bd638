/*
 * prioritymix.c - two streams through one queue: the calling thread submits
 * n tasks of task_ns each, every high_every-th one at priority
 * high_priority, the rest at 0, faster than the pool can run them, then
 * waits. A policy that honours priorities starts the high-priority tasks
 * soon after their submission; the price is that low-priority tasks wait
 * longer. Reports the high-priority submit-to-start percentiles and the
 * longest low-priority wait.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "stats.h"

static const bench_param_spec params[] = {
    { "n", "tasks per run", 1, 1, 1e8, 20000 },
    { "high_every", "every k-th task is high-priority", 1, 1, 1e9, 10 },
    { "task_ns", "cost of each task, ns", 0, 0, 1e9, 1000 },
    { "high_priority", "priority of the high stream (the low one has 0)", 1, 1, 1e9, 10 },
};

typedef struct ptask {
    uint64_t submit_ns, start_ns;
    uint64_t out;
    struct pmix *m;
} ptask;

typedef struct pmix {
    size_t n, every;
    int prio;
    uint64_t iters, seed;
    ptask *t;
    uint64_t *expect;
    uint64_t *scratch;
    unsigned producer; /* the caller's recorder slot during a run */
    int trace;
} pmix;

static int is_high(const pmix *m, size_t i)
{
    return i % m->every == m->every - 1;
}

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    pmix *m = calloc(1, sizeof *m);
    if (m) {
        m->n = (size_t)p[0];
        m->every = (size_t)p[1];
        m->iters = bench_ns_to_iters(p[2]);
        m->prio = (int)p[3];
        m->seed = seed;
        m->t = calloc(m->n, sizeof *m->t);
        m->expect = malloc(m->n * sizeof *m->expect);
        m->scratch = malloc(m->n * sizeof *m->scratch);
    }
    if (!m || !m->t || !m->expect || !m->scratch) {
        if (m) {
            free(m->t);
            free(m->expect);
            free(m->scratch);
        }
        free(m);
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < m->n; i++)
        m->expect[i] = bench_spin(m->iters, seed + i);
    *state = m;
    return 0;
}

static void task_fn(void *arg)
{
    ptask *t = arg;
    pmix *m = t->m;
    uint64_t t0 = bench_now_ns();
    t->start_ns = t0;
    size_t i = (size_t)(t - m->t);
    t->out = bench_spin(m->iters, m->seed + i);
    unsigned slot = bench_rec_task(m->producer, i, 1, 1);
    if (m->trace)
        bench_rec_span(slot, t0, bench_now_ns(), i);
}

static void prepare(void *state, const bench_exec *ex)
{
    pmix *m = state;
    memset(m->t, 0, m->n * sizeof *m->t);
    for (size_t i = 0; i < m->n; i++)
        m->t[i].m = m;
    m->trace = ex->trace;
}

static int run(void *state, const bench_exec *ex)
{
    pmix *m = state;
    m->producer = bench_rec_slot();
    if (ex->kind == BENCH_EX_SERIAL) {
        for (size_t i = 0; i < m->n; i++) {
            m->t[i].submit_ns = bench_now_ns();
            task_fn(&m->t[i]);
        }
        return 0;
    }
    if (ex->kind != BENCH_EX_TPOOL)
        return -1;
    tpool_group *g;
    int rc = tpool_group_create(ex->pool, &g);
    if (rc)
        return rc;
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = g;
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        a.priority = is_high(m, i) ? m->prio : 0;
        m->t[i].submit_ns = bench_now_ns();
        rc = tpool_submit(ex->pool, task_fn, &m->t[i], &a);
    }
    int wrc = tpool_group_wait(g);
    tpool_group_destroy(g);
    return rc ? rc : wrc;
}

static int check(void *state, const bench_exec *ex, char *msg, size_t n)
{
    pmix *m = state;
    (void)ex;
    for (size_t i = 0; i < m->n; i++) {
        if (m->t[i].start_ns == 0) {
            snprintf(msg, n, "task %zu never ran", i);
            return -1;
        }
        if (m->t[i].out != m->expect[i]) {
            snprintf(msg, n, "task %zu: result %" PRIx64 ", expected %" PRIx64, i,
                     m->t[i].out, m->expect[i]);
            return -1;
        }
    }
    return bench_rec_check_items(m->n, msg, n);
}

static void plant(void *state)
{
    pmix *m = state;
    m->t[0].out ^= 1;
}

static uint64_t items(void *state, const bench_exec *ex)
{
    (void)ex;
    return ((pmix *)state)->n;
}

static void latency(void *state, bench_latency *out)
{
    pmix *m = state;
    memset(out, 0, sizeof *out);
    out->valid = 1;
    out->has_prio = 1;
    for (size_t i = 0; i < m->n; i++)
        m->scratch[i] = m->t[i].start_ns - m->t[i].submit_ns;
    bench_latency_figures(m->scratch, m->n, &out->p50, &out->p90, &out->p99, &out->max);
    size_t k = 0;
    uint64_t lo_max = 0;
    for (size_t i = 0; i < m->n; i++) {
        uint64_t l = m->t[i].start_ns - m->t[i].submit_ns;
        if (is_high(m, i))
            m->scratch[k++] = l;
        else if (l > lo_max)
            lo_max = l;
    }
    bench_latency_figures(m->scratch, k, &out->hi_p50, &out->hi_p90, &out->hi_p99,
                          &out->hi_max);
    out->lo_max = k < m->n ? (double)lo_max : NAN;
}

/* Submitted and started, for every task (the streams' latencies). */
static uint64_t clock_reads(void *state, const bench_exec *ex)
{
    (void)ex;
    return 2 * (uint64_t)((pmix *)state)->n;
}

static void teardown(void *state)
{
    pmix *m = state;
    if (!m)
        return;
    free(m->t);
    free(m->expect);
    free(m->scratch);
    free(m);
}

const bench_workload bench_wl_prioritymix = {
    .name = "priority-mix",
    .description = "high- and low-priority task streams; high-priority latency, longest low wait",
    .unit = "tasks",
    BENCH_WORKLOAD_PARAMS(params),
    .size_param = 0,
    .runs = BENCH_RUNS_SERIAL | BENCH_RUNS_TPOOL,
    .is_tasks = 1,
    .clock_reads = clock_reads,
    BENCH_WORKLOAD_CALLBACKS,
    .latency = latency,
};
