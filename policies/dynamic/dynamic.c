/*
 * dynamic.c - first come, first served: one shared queue of tasks and one
 * shared cursor over a parallel-for range.
 *
 * Tasks. One queue (tpool_taskq of tpool-queue.h: Vyukov's intrusive
 * multi-producer queue, consumers serialised by a small lock, as in the FIFO
 * policy). A worker that finds
 * its private list empty takes up to `batch` tasks under one acquisition of
 * the lock, keeps all but the first in a private list, and returns them one
 * by one from its next pops, before looking at the queue again. Tasks held
 * so are still run by that worker: every pop, including the pops of a
 * group wait inside a task, drains the private list first, and a worker
 * never parks while it holds any. The price is latency: a task taken into
 * a batch waits for the tasks ahead of it in that batch, on that worker,
 * even if other workers are idle; with batch = 1 the policy is the FIFO
 * policy. The outside slot takes one task at a time.
 *
 * Parallel-for. A cursor on its own cache line hands out chunks:
 *   - mode "fixed": `chunk` items each (one fetch-and-add per chunk);
 *   - mode "guided": max(min_chunk, remaining / (2 P)) items, computed from
 *     the cursor and claimed with a CAS, so chunks shrink as the range runs
 *     out (k = 2 as in LLVM's OpenMP runtime; libgomp uses k = 1).
 *   The last chunk is whatever is left, and may be smaller in both modes.
 *   In guided mode a participant that measured the items as cheap takes
 *   all that is left once that takes at most `grain_ns` (grain.h), so
 *   tiny items are not cut into dozens of chunks on one contended line.
 * Defaults (guided, min_chunk 1, chunk 64, batch 4) were chosen by
 * measurement: docs/policies-stealing-static-dynamic.md.
 * Progress (TPOOL_POLICY_PROGRESS): the cursor is where every participant
 * looks, so range_next returns 0 only once every item has been handed out.
 *
 * Like FIFO, a waiting thread runs whatever the shared queue holds next, so
 * deep fork-join nests one stack frame per task waited on (see the docs).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, in grain.h */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../grain.h"
#include "tpool-queue.h"

enum { MODE_FIXED = 0, MODE_GUIDED = 1 };
enum { P_MODE, P_CHUNK, P_MIN_CHUNK, P_BATCH, P_GRAIN_NS, P_COUNT };

/* The divisor k of guided mode: chunk = remaining / (k P). */
#define DYNAMIC_GUIDED_K 2

/* A worker's private batch: written by that worker only. */
typedef struct dynamic_local {
    _Alignas(TPOOL_CACHELINE) tpool_task *head; /* linked through `next` */
} dynamic_local;
_Static_assert(sizeof(dynamic_local) == TPOOL_CACHELINE, "one line per worker");

/* A range participant's chunk timing (grain.h): written by range_begin and
 * then by that participant's thread only. */
typedef struct dynamic_part {
    _Alignas(TPOOL_CACHELINE) policy_grain grain;
} dynamic_part;
_Static_assert(sizeof(dynamic_part) == TPOOL_CACHELINE, "one line per participant");

typedef struct dynamic {
    tpool_taskq q; /* producers never wait; consumers take its lock */

    /* The range cursor: the first item not handed out yet. Reset by
     * range_begin before the core publishes the job; then every
     * participant's fetch-and-add or CAS (relaxed: it publishes no data). */
    _Alignas(TPOOL_CACHELINE) _Atomic size_t cursor;

    /* Read-only after create, or, for the job, while it runs. */
    _Alignas(TPOOL_CACHELINE) unsigned workers;
    int mode;
    size_t chunk, min_chunk;
    unsigned batch;
    uint64_t grain_ns;    /* guided mode: see grain.h; 0 = off */
    dynamic_local *local; /* W */
    dynamic_part *part;   /* W + 1 */
    size_t n;
    size_t job_chunk;      /* fixed mode: min(chunk, n) */
    unsigned participants;
    int fixed_cas;         /* fixed mode near SIZE_MAX: CAS instead of add */
} dynamic;

static const char *const dynamic_modes[] = { "fixed", "guided", NULL };

static const tpool_param_desc dynamic_params[P_COUNT] = {
    [P_MODE] = {
        .name = "mode",
        .type = TPOOL_PARAM_ENUM,
        .description = "parallel-for chunks: fixed (chunk items each) or guided "
                       "(remaining / (2 x threads), at least min_chunk)",
        .choices = dynamic_modes, .edefault = MODE_GUIDED,
    },
    [P_CHUNK] = {
        .name = "chunk",
        .type = TPOOL_PARAM_INT,
        .description = "parallel-for items per chunk in fixed mode",
        .imin = 1, .imax = INT64_MAX, .idefault = 64,
    },
    [P_MIN_CHUNK] = {
        .name = "min_chunk",
        .type = TPOOL_PARAM_INT,
        .description = "smallest chunk in guided mode (the last may be smaller)",
        .imin = 1, .imax = INT64_MAX, .idefault = 1,
    },
    [P_BATCH] = {
        .name = "batch",
        .type = TPOOL_PARAM_INT,
        .description = "tasks a worker takes from the shared queue at once and "
                       "runs in turn",
        .imin = 1, .imax = 1 << 20, .idefault = 4,
    },
    [P_GRAIN_NS] = {
        .name = "grain_ns",
        .type = TPOOL_PARAM_INT,
        .description = "guided mode: a participant takes all that is left once that "
                       "takes at most this many ns at the rate it measured on its own "
                       "chunks; 0 = never",
        .imin = 0, .imax = 1000000000, .idefault = 1000,
    },
};

static int dynamic_create(const tpool_policy_env *env, void **out)
{
    dynamic *q = aligned_alloc(TPOOL_CACHELINE, sizeof *q);
    dynamic_local *local = aligned_alloc(TPOOL_CACHELINE, env->workers * sizeof *local);
    dynamic_part *part = aligned_alloc(TPOOL_CACHELINE, (env->workers + 1) * sizeof *part);
    if (!q || !local || !part) {
        free(q);
        free(local);
        free(part);
        snprintf(env->errbuf, env->errbuf_size, "out of memory for %u workers",
                 env->workers);
        return -1;
    }
    memset(q, 0, sizeof *q);
    memset(local, 0, env->workers * sizeof *local);
    memset(part, 0, (env->workers + 1) * sizeof *part);
    if (tpool_taskq_init(&q->q) != 0) {
        free(part);
        free(local);
        free(q);
        snprintf(env->errbuf, env->errbuf_size, "cannot initialise the queue's lock");
        return -1;
    }
    atomic_init(&q->cursor, 0);
    q->workers = env->workers;
    q->mode = (int)env->params[P_MODE].i;
    q->chunk = (size_t)env->params[P_CHUNK].i;
    q->min_chunk = (size_t)env->params[P_MIN_CHUNK].i;
    q->batch = (unsigned)env->params[P_BATCH].i;
    q->grain_ns = (uint64_t)env->params[P_GRAIN_NS].i;
    q->local = local;
    q->part = part;
    *out = q;
    return 0;
}

static void dynamic_destroy(void *state)
{
    dynamic *q = state;
    tpool_taskq_destroy(&q->q);
    free(q->local);
    free(q->part);
    free(q);
}

/* ---- tasks ----------------------------------------------------------------- */

static int dynamic_push(void *state, tpool_task *t, unsigned from)
{
    dynamic *q = state;
    /* Until the push returns consumers may see the queue end before t; the
     * core's wake after push brings a worker back. */
    tpool_taskq_push(&q->q, t);
    return TPOOL_WAKE_ANY;
}

static tpool_task *dynamic_pop(void *state, unsigned k)
{
    dynamic *q = state;
    if (k < q->workers) {
        tpool_task *t = q->local[k].head;
        if (t) {
            q->local[k].head = t->next;
            return t;
        }
    }
    if (k >= q->workers)
        return tpool_taskq_pop(&q->q); /* the shared outside slot keeps no list */
    tpool_task *first = tpool_taskq_pop_batch(&q->q, q->batch);
    if (first)
        q->local[k].head = first->next;
    return first;
}

/* ---- parallel-for ------------------------------------------------------------ */

static void dynamic_range_begin(void *state, const tpool_range_job *job)
{
    dynamic *q = state;
    q->n = job->n;
    q->participants = job->participants;
    q->job_chunk = q->chunk < job->n ? q->chunk : job->n;
    /* The cursor ends at most P - 1 chunks past n with fetch-and-add; when
     * that could wrap, claim with CAS instead. */
    q->fixed_cas = q->job_chunk > SIZE_MAX / job->participants
                   || job->n > SIZE_MAX - (size_t)job->participants * q->job_chunk;
    for (unsigned p = 0; p < job->participants; p++)
        policy_grain_reset(&q->part[p].grain);
    atomic_store_explicit(&q->cursor, 0, memory_order_relaxed);
}

/* Guided mode's chunk for `left` items (left >= 1), before clipping. */
static inline size_t guided_chunk(const dynamic *q, size_t left)
{
    size_t c = left / ((size_t)DYNAMIC_GUIDED_K * q->participants);
    return c < q->min_chunk ? q->min_chunk : c;
}

/* Claims the next chunk with a CAS on the cursor. Up to `cheap_upto` items
 * left (guided mode) are taken all at once: a look's yes for some `left`
 * holds for less, and the cursor only moves forward. */
static inline int claim(dynamic *q, unsigned p, size_t cheap_upto, size_t *begin, size_t *end)
{
    size_t n = q->n;
    size_t b = atomic_load_explicit(&q->cursor, memory_order_relaxed);
    for (;;) {
        if (b >= n)
            return 0;
        size_t left = n - b;
        size_t c = q->mode == MODE_FIXED ? q->job_chunk
                   : left <= cheap_upto  ? left
                                         : guided_chunk(q, left);
        if (c > left)
            c = left;
        if (atomic_compare_exchange_weak_explicit(&q->cursor, &b, b + c, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            if (q->mode != MODE_FIXED)
                policy_grain_took(&q->part[p].grain, c);
            *begin = b;
            *end = b + c;
            return 1;
        }
    }
}

/* claim after a look at the participant's rate (a clock read): out of line,
 * so that range_next calls that do not look need no stack frame. */
static POLICY_GRAIN_NOINLINE int claim_looked(dynamic *q, unsigned p, size_t left,
                                              size_t *begin, size_t *end)
{
    size_t cheap_upto = policy_grain_cheap(&q->part[p].grain, q->grain_ns, left) ? left : 0;
    return claim(q, p, cheap_upto, begin, end);
}

static int dynamic_range_next(void *state, unsigned p, size_t *begin, size_t *end)
{
    dynamic *q = state;
    size_t n = q->n;
    if (q->mode == MODE_FIXED && !q->fixed_cas) {
        size_t b = atomic_fetch_add_explicit(&q->cursor, q->job_chunk, memory_order_relaxed);
        if (b >= n)
            return 0;
        *begin = b;
        *end = n - b > q->job_chunk ? b + q->job_chunk : n;
        return 1;
    }
    if (q->mode == MODE_GUIDED && q->grain_ns != 0) {
        /* Look when the formula would split what is left, but not for a
         * few items per participant (empty-T), where the clock read would
         * cost more than the chunks it could save. */
        size_t b = atomic_load_explicit(&q->cursor, memory_order_relaxed);
        size_t left = b < n ? n - b : 0;
        if (left > (size_t)4 * q->participants && guided_chunk(q, left) < left)
            return claim_looked(q, p, left, begin, end);
    }
    return claim(q, p, 0, begin, end);
}

static void dynamic_range_end(void *state)
{
    dynamic *q = state;
    q->participants = 0;
}

static const tpool_policy dynamic_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "dynamic",
    .description = "one shared task queue taken in batches; parallel-for chunks "
                   "from a shared cursor (fixed or guided)",
    .params = dynamic_params,
    .nparams = P_COUNT,
    .create = dynamic_create,
    .destroy = dynamic_destroy,
    .push = dynamic_push,
    .pop = dynamic_pop,
    .range_begin = dynamic_range_begin,
    .range_next = dynamic_range_next,
    .range_end = dynamic_range_end,
    .flags = TPOOL_POLICY_NO_SUBMIT_TIME | TPOOL_POLICY_NO_SEQ | TPOOL_POLICY_PROGRESS,
};

TPOOL_POLICY_DEFINE(dynamic_policy)
