/*
 * tasks.c - the records of the tasks a workload submits (exec.c's submit
 * service), and the figures of the stamped ones.
 *
 * A submission takes a record from the submitting thread's arena: a list of
 * chunks kept by the thread's recorder slot and reused run after run, so
 * that after the first runs a submission allocates nothing and touches no
 * memory another thread writes. The record carries the workload's function
 * and argument, the task's run-wide index (for the exactly-once check), its
 * known work and its submitter, and for a stamped task a second record of
 * its times, written at submission, start and end. Threads beyond the
 * recorder's last slot share one arena under a lock.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "stats.h"

/* A chunk of records of one size. */
typedef struct chunk {
    struct chunk *next;
    size_t used, cap; /* records */
    _Alignas(64) unsigned char data[];
} chunk;

/* A list of chunks; `cur` is the chunk being filled. */
typedef struct pool_ {
    chunk *head, *cur;
} pool_;

typedef struct bench_task_arena {
    pool_ tasks;  /* bench_task */
    pool_ stamps; /* bench_stamp */
} bench_task_arena;

#define CHUNK_RECORDS 4096u

static void *take(pool_ *p, size_t size)
{
    while (!p->cur || p->cur->used == p->cur->cap) {
        if (p->cur && p->cur->next) { /* a chunk of an earlier run */
            p->cur = p->cur->next;
            continue;
        }
        chunk *c = malloc(sizeof *c + (size_t)CHUNK_RECORDS * size);
        if (!c)
            return NULL;
        c->next = NULL;
        c->used = 0;
        c->cap = CHUNK_RECORDS;
        if (p->cur)
            p->cur->next = c;
        else
            p->head = c;
        p->cur = c;
    }
    return p->cur->data + p->cur->used++ * size;
}

static void rewind_(pool_ *p)
{
    for (chunk *c = p->head; c; c = c->next)
        c->used = 0;
    p->cur = p->head;
}

static void free_(pool_ *p)
{
    while (p->head) {
        chunk *n = p->head->next;
        free(p->head);
        p->head = n;
    }
    p->cur = NULL;
}

/* The arena of the threads beyond the last slot, and its lock. */
static bench_task_arena overflow;
static pthread_mutex_t overflow_lock = PTHREAD_MUTEX_INITIALIZER;

static bench_task_arena *arena_of(unsigned slot)
{
    if (slot >= BENCH_MAX_SLOTS)
        return &overflow;
    bench_slot *s = &bench_g_rec.slots[slot];
    if (!s->arena)
        s->arena = calloc(1, sizeof *s->arena);
    return s->arena;
}

bench_task *bench_task_new(tpool_bench_task_fn fn, void *arg, const tpool_bench_task_attr *attr)
{
    unsigned slot = bench_rec_slot();
    bench_task_arena *a = arena_of(slot);
    if (!a)
        return NULL;
    /* The members of the workload's attr that its struct_size covers. */
    tpool_bench_task_attr at = { sizeof at, 0, 0, 0, 0, 0 };
    if (attr)
        memcpy(&at, attr, attr->struct_size < sizeof at ? attr->struct_size : sizeof at);
    int locked = a == &overflow;
    if (locked)
        pthread_mutex_lock(&overflow_lock);
    bench_task *t = take(&a->tasks, sizeof *t);
    bench_stamp *st = t && (at.flags & TPOOL_BENCH_TASK_STAMP) ? take(&a->stamps, sizeof *st)
                                                                : NULL;
    if (locked)
        pthread_mutex_unlock(&overflow_lock);
    if (!t || ((at.flags & TPOOL_BENCH_TASK_STAMP) && !st))
        return NULL;
    uint64_t index = bench_rec_task_index(slot);
    bench_rec_dispatch(slot, index, 1);
    *t = (bench_task){ fn, arg, index, at.work ? at.work : 1, at.cost_hint, slot, at.priority,
                       st };
    if (st) {
        if (slot < BENCH_MAX_SLOTS)
            bench_g_rec.slots[slot].stamps++;
        else
            atomic_fetch_add_explicit(&bench_g_rec.ovf_stamps, 1, memory_order_relaxed);
        *st = (bench_stamp){ bench_now_ns(), 0, 0, at.deadline_ns, at.priority };
    }
    return t;
}

void bench_task_run(bench_task *t)
{
    bench_stamp *st = t->stamp;
    int trace = bench_g_rec.trace;
    uint64_t t0 = st || trace ? bench_now_ns() : 0;
    if (st)
        st->start_ns = t0;
    t->fn(t->arg);
    uint64_t t1 = st || trace ? bench_now_ns() : 0;
    if (st)
        st->end_ns = t1;
    unsigned slot = bench_rec_task(t->producer, t->index, 1, t->work);
    if (trace)
        bench_rec_span(slot, t0, t1, t->index);
}

void bench_tasks_reset(void)
{
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        bench_task_arena *a = bench_g_rec.slots[i].arena;
        if (a) {
            rewind_(&a->tasks);
            rewind_(&a->stamps);
        }
    }
    rewind_(&overflow.tasks);
    rewind_(&overflow.stamps);
}

void bench_tasks_free(void)
{
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        bench_task_arena *a = bench_g_rec.slots[i].arena;
        if (a) {
            free_(&a->tasks);
            free_(&a->stamps);
            free(a);
            bench_g_rec.slots[i].arena = NULL;
        }
    }
    free_(&overflow.tasks);
    free_(&overflow.stamps);
}

/* ---- the figures of the stamped tasks ------------------------------------------------ */

/* Calls fn for every stamp of the last run. */
static void each_stamp(void (*fn)(void *ctx, const bench_stamp *s), void *ctx)
{
    for (unsigned i = 0; i <= BENCH_MAX_SLOTS; i++) {
        const bench_task_arena *a = i < BENCH_MAX_SLOTS ? bench_g_rec.slots[i].arena : &overflow;
        if (!a)
            continue;
        for (const chunk *c = a->stamps.head; c; c = c->next) {
            for (size_t k = 0; k < c->used; k++)
                fn(ctx, (const bench_stamp *)(const void *)c->data + k);
            if (c == a->stamps.cur)
                break;
        }
    }
}

typedef struct figs {
    uint64_t *lat, *hi, *flow;
    double *slow;
    size_t n, nhi, ndl, missed;
    uint64_t lo_max;
    double flow_sum, slow_sum;
} figs;

static void count_one(void *ctx, const bench_stamp *s)
{
    (void)s;
    ((figs *)ctx)->n++;
}

static void add_one(void *ctx, const bench_stamp *s)
{
    figs *f = ctx;
    /* A task that never ran has no start: its figures would be garbage,
     * and the exactly-once check fails the cell anyway. */
    if (!s->end_ns)
        return;
    uint64_t lat = s->start_ns - s->submit_ns, flow = s->end_ns - s->submit_ns;
    uint64_t run = s->end_ns - s->start_ns;
    size_t k = f->n++;
    f->lat[k] = lat;
    f->flow[k] = flow;
    f->slow[k] = (double)flow / (double)(run ? run : 1);
    f->flow_sum += (double)flow;
    f->slow_sum += f->slow[k];
    if (s->priority > 0)
        f->hi[f->nhi++] = lat;
    else if (lat > f->lo_max)
        f->lo_max = lat;
    if (s->deadline_ns) {
        f->ndl++;
        f->missed += flow > s->deadline_ns;
    }
}

int bench_tasks_figures(bench_latency *out)
{
    double custom[TPOOL_BENCH_MAX_METRICS];
    memcpy(custom, out->custom, sizeof custom);
    memset(out, 0, sizeof *out);
    memcpy(out->custom, custom, sizeof custom);
    out->p50 = out->p90 = out->p99 = out->max = NAN;
    out->hi_p50 = out->hi_p90 = out->hi_p99 = out->hi_max = out->lo_max = NAN;
    out->flow_mean = out->flow_p50 = out->flow_p99 = out->flow_max = NAN;
    out->slow_mean = out->slow_p99 = NAN;
    out->dl_tasks = out->dl_missed = NAN;
    figs f;
    memset(&f, 0, sizeof f);
    each_stamp(count_one, &f);
    size_t n = f.n;
    if (n == 0)
        return 0;
    f.lat = malloc(n * sizeof *f.lat);
    f.hi = malloc(n * sizeof *f.hi);
    f.flow = malloc(n * sizeof *f.flow);
    f.slow = malloc(n * sizeof *f.slow);
    int rc = -1;
    if (f.lat && f.hi && f.flow && f.slow) {
        f.n = 0;
        each_stamp(add_one, &f);
        rc = 0;
    }
    if (rc == 0 && f.n) {
        out->valid = 1;
        bench_latency_figures(f.lat, f.n, &out->p50, &out->p90, &out->p99, &out->max);
        if (f.nhi && f.nhi < f.n) {
            out->has_prio = 1;
            bench_latency_figures(f.hi, f.nhi, &out->hi_p50, &out->hi_p90, &out->hi_p99,
                                  &out->hi_max);
            out->lo_max = (double)f.lo_max;
        }
        double p90;
        bench_latency_figures(f.flow, f.n, &out->flow_p50, &p90, &out->flow_p99,
                              &out->flow_max);
        out->flow_mean = f.flow_sum / (double)f.n;
        out->slow_mean = f.slow_sum / (double)f.n;
        bench_sort_doubles(f.slow, f.n);
        out->slow_p99 = bench_percentile_sorted(f.slow, f.n, 0.99);
        if (f.ndl) {
            out->dl_tasks = (double)f.ndl;
            out->dl_missed = (double)f.missed / (double)f.ndl;
        }
    }
    free(f.lat);
    free(f.hi);
    free(f.flow);
    free(f.slow);
    return rc;
}
