/*
 * static.c - fixed assignment: no stealing, no shared counter.
 *
 * Tasks. A task belongs to one worker, chosen at push by a fixed rule: its
 * preferred_worker when that is a worker index, else its submission number
 * (tpool_task.seq) modulo W. It waits in that worker's queue and runs there,
 * never anywhere else; push names the worker as the one to wake. The queue
 * is Vyukov's intrusive multi-producer, single-consumer queue: any thread
 * pushes with one atomic exchange, and only the owning worker pops, so no
 * lock is needed at all. The outside slot owns no queue and its pop always
 * returns NULL: a thread that waits for a group from outside the pool does
 * not run tasks, it sleeps until the workers have run them.
 *
 * Parallel-for. With chunk = 0, participant p gets one contiguous block,
 * the first n mod P blocks one item larger (OpenMP's schedule(static)).
 * With chunk = c > 0 the range is cut into chunks of c items and chunk j
 * goes to participant j mod P, in order (OpenMP's schedule(static, c)).
 * A participant that is late (its worker busy with a long task) delays the
 * whole call: nobody else takes its items. That is the point of the policy.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpool-queue.h"

/* One worker's queue (tpool_mpsc): any thread pushes, and the owning
 * worker is its only consumer. */
typedef struct static_slot {
    tpool_mpsc q;
} static_slot;
_Static_assert(sizeof(static_slot) % TPOOL_CACHELINE == 0,
               "slots must not share cache lines");

/* One range participant: the calls it made in the job numbered `job`.
 * Written only by the thread that runs the participant (its worker, or the
 * caller standing in for it), which resets `taken` when it finds the line
 * from an older job: range_begin writing it would move the line to the
 * caller's core and back on every call. */
typedef struct static_part {
    _Alignas(TPOOL_CACHELINE) uint64_t taken;
    uint64_t job;
} static_part;
_Static_assert(sizeof(static_part) == TPOOL_CACHELINE, "one line per participant");

typedef struct static_state {
    unsigned workers;
    uint64_t chunk;    /* parameter; 0 = one block per participant */
    static_slot *slot; /* W queues */
    static_part *part; /* W + 1 participants */
    /* The range job, written by range_begin, read-only while it runs. */
    size_t n;
    unsigned participants;
    uint64_t job; /* jobs begun; never wraps */
    /* Its layout, divided out once per job rather than on every
     * range_next: blocks of q items, one more for the first r (chunk 0);
     * or nchunks chunks of c items, the last one shorter (chunk c). */
    size_t q, r, c, nchunks;
} static_state;

static const tpool_param_desc static_params[] = {
    {
        .name = "chunk",
        .type = TPOOL_PARAM_INT,
        .description = "parallel-for: 0 = one contiguous block per thread; c > 0 = "
                       "chunks of c items dealt to the threads in turn "
                       "(OpenMP schedule(static, c))",
        .imin = 0, .imax = INT64_MAX, .idefault = 0,
    },
};

static int static_create(const tpool_policy_env *env, void **out)
{
    static_state *s = calloc(1, sizeof *s);
    unsigned W = env->workers;
    static_slot *slot = aligned_alloc(TPOOL_CACHELINE, W * sizeof *slot);
    static_part *part = aligned_alloc(TPOOL_CACHELINE, (W + 1) * sizeof *part);
    if (!s || !slot || !part) {
        free(s);
        free(slot);
        free(part);
        snprintf(env->errbuf, env->errbuf_size, "out of memory for %u workers", W);
        return -1;
    }
    memset(slot, 0, W * sizeof *slot);
    memset(part, 0, (W + 1) * sizeof *part);
    for (unsigned k = 0; k < W; k++)
        tpool_mpsc_init(&slot[k].q);
    s->workers = W;
    s->chunk = (uint64_t)env->params[0].i;
    s->slot = slot;
    s->part = part;
    *out = s;
    return 0;
}

static void static_destroy(void *state)
{
    static_state *s = state;
    free(s->slot);
    free(s->part);
    free(s);
}

/* ---- tasks ----------------------------------------------------------------- */

static int static_push(void *state, tpool_task *t, unsigned from)
{
    static_state *s = state;
    unsigned w = t->preferred_worker >= 0 && (unsigned)t->preferred_worker < s->workers
                     ? (unsigned)t->preferred_worker
                     : (unsigned)(t->seq % s->workers);
    /* Until the push returns the owner may see its queue end before t; it
     * may park, and the wake that push asks for brings it back. */
    tpool_mpsc_push(&s->slot[w].q, t);
    return (int)w;
}

static tpool_task *static_pop(void *state, unsigned k)
{
    static_state *s = state;
    /* Vyukov's pop, by the owner only: no lock. */
    return k < s->workers ? tpool_mpsc_pop(&s->slot[k].q) : NULL;
}

/* ---- parallel-for ------------------------------------------------------------ */

static void static_range_begin(void *state, const tpool_range_job *job)
{
    static_state *s = state;
    size_t n = job->n, P = job->participants;
    s->n = n;
    s->participants = job->participants;
    s->job++; /* every participant's `taken` is stale now */
    if (s->chunk == 0) {
        s->q = P ? n / P : 0;
        s->r = P ? n % P : 0;
    } else {
        s->c = s->chunk < n ? (size_t)s->chunk : n;
        s->nchunks = s->c ? n / s->c + (n % s->c != 0) : 0;
    }
}

static int static_range_next(void *state, unsigned p, size_t *begin, size_t *end)
{
    static_state *s = state;
    size_t n = s->n, P = s->participants;
    static_part *me = &s->part[p];
    if (me->job != s->job) {
        me->job = s->job;
        me->taken = 0;
    }
    uint64_t k = me->taken++;
    if (s->chunk == 0) {
        /* Block p: q items, one more for the first n mod P blocks. Its
         * second call (k = 1) only ends the participant's loop: no block
         * arithmetic for it. */
        if (k != 0)
            return 0;
        size_t q = s->q, r = s->r;
        size_t b = p * q + (p < r ? p : r);
        size_t e = b + q + (p < r);
        if (b == e)
            return 0;
        *begin = b;
        *end = e;
        return 1;
    }
    size_t c = s->c, nchunks = s->nchunks;
    /* Chunk j = p + k P. A participant stops at its first j >= nchunks, so
     * k P stays below nchunks + P, and j c is only formed for j < nchunks,
     * where it is below n: no overflow. */
    size_t j = p + (size_t)k * P;
    if (j >= nchunks)
        return 0;
    size_t b = j * c; /* < n */
    *begin = b;
    *end = n - b > c ? b + c : n;
    return 1;
}

static void static_range_end(void *state)
{
    static_state *s = state;
    s->participants = 0;
}

static const tpool_policy static_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "static",
    .description = "fixed assignment: tasks by preferred worker or submission order, "
                   "parallel-for in blocks or block-cyclic; no stealing",
    .params = static_params,
    .nparams = sizeof static_params / sizeof static_params[0],
    .create = static_create,
    .destroy = static_destroy,
    .push = static_push,
    .pop = static_pop,
    .range_begin = static_range_begin,
    .range_next = static_range_next,
    .range_end = static_range_end,
    .flags = TPOOL_POLICY_NO_SUBMIT_TIME | TPOOL_POLICY_STAND_IN,
};

TPOOL_POLICY_DEFINE(static_policy)
