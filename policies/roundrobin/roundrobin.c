/*
 * roundrobin.c - one queue per worker; submissions are dealt to the workers
 * in turn, by one shared counter; parallel-for tiles are dealt to every
 * participant in turn, the calling thread included.
 *
 * Each worker owns a Vyukov intrusive multi-producer queue (tpool_mpsc,
 * the FIFO policy's queue). A push takes a ticket from the shared counter, the task
 * goes to worker (ticket / quantum) % W, and that worker is named as the one
 * to wake. A task whose preferred_worker is in [0, W) goes to that worker
 * instead and takes no ticket.
 *
 * steal = false (the default): nobody takes from anybody. Only the owner
 * pops its queue, so the queue is single-consumer and popping needs no lock
 * at all. The outside slot W gets no task (pop returns NULL): it may be used
 * by several threads at once and must never be a queue's consumer, and
 * giving it work would break the dealing. So a thread that waits on tasks
 * (a group waiter, tpool_wait_all) only waits. A parallel-for caller is
 * different: it is participant 0 of the range path below and works.
 *
 * steal = true: a worker whose queue is empty takes from the others, and so
 * does the outside slot. The queue stays Vyukov's, which allows one consumer
 * at a time, so every dequeue (the owner's too) is done under the queue's
 * consumer mutex, held for the few instructions of the dequeue and never
 * while a task runs. The owner blocks on it (a thief holds it only briefly);
 * thieves try-lock first and block only when every non-empty victim was
 * busy, so that a thief never gives up (and parks) while work is queued.
 *
 * Waking with steal = true. The target of a push may be busy running a long
 * task; the task must then go to someone else. The push answers
 * TPOOL_WAKE_PREFER(target): the core wakes the target if it sleeps, and
 * any idle worker otherwise, who comes and steals; the core keeps the
 * workers' states, so the policy needs no flag of its own for it.
 *
 * An empty queue is recognised without a lock and without a write, so the
 * core's spinning workers cost nothing (see tpool_mpsc_empty).
 *
 * Parallel-for (range_begin/range_next/range_end; no tile is ever a task).
 * range_begin cuts [0, n) into tiles of `tile` items (0: ceil(n / 4P), about
 * 4 tiles per participant; the last tile is clipped at n) and deals them to
 * the P participants in turn, `quantum` consecutive tiles each: tile i
 * belongs to participant (i / quantum) % P, and participant 0 is the calling
 * thread. Nothing is materialised: participant p's k-th tile is computed
 * from k. Each participant has a cursor, the index k of its next own tile,
 * on its own cache line, and works through its own tiles in order.
 *   - steal = false: only p moves p's cursor (a relaxed load and store), so
 *     each participant runs exactly its dealt tiles, whatever the others do.
 *   - steal = true: the cursor is moved by fetch_add, by its owner and by
 *     thieves alike, so each k is handed out once. A participant whose own
 *     tiles are gone takes the next tile of another participant, trying
 *     p + 1, p + 2, ... (mod P) and moving on only from a victim seen
 *     exhausted. Cursors only grow, so a participant that finds every cursor
 *     exhausted may stop (range_next returns 0): every tile has been handed
 *     out. Each stolen tile counts in `steals` for the thief's slot. That is
 *     progress (range_progress answers 1): in a call that needs it the core
 *     hands a tile's items out one at a time and lets idle participants
 *     take the items of a tile whose owner is busy. Without steal a
 *     participant's tiles are its own: no progress.
 * The job fields are written by range_begin before the core publishes the
 * job (release) and only read while it runs. Stand-ins
 * (TPOOL_POLICY_STAND_IN): the dealing is to participant indices; a worker
 * that has not started when the calling thread has run its own tiles has
 * its tiles run by the calling thread, in its name, instead of holding the
 * call up.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tpool-queue.h"

typedef struct rr_queue {
    /* The queue: tail on the producers' line, head and stub on the
     * consumer's. */
    tpool_mpsc mpsc;

    /* Pushers' second line. */
    _Alignas(TPOOL_CACHELINE) uint64_t dealt; /* tasks pushed to this queue, plus
                                               * parallel-for tiles dealt to this
                                               * worker; pushers and range_begin
                                               * add (relaxed) */

    /* Consumer's second line. */
    _Alignas(TPOOL_CACHELINE) pthread_mutex_t lock; /* steal = true: held around
                                                     * every dequeue */
    uint64_t steals; /* tasks and tiles this worker took from others (or
                      * the caller standing in for it); atomic adds */
} rr_queue;
_Static_assert(_Alignof(rr_queue) == TPOOL_CACHELINE && sizeof(rr_queue) % TPOOL_CACHELINE == 0,
               "per-worker queues must not share cache lines");

/* One participant's share of the current parallel-for. */
typedef struct rr_share {
    /* Index k of the participant's next own tile (its k-th dealt tile).
     * steal = false: only the owner moves it; steal = true: owner and
     * thieves fetch_add it, so it may run past `count`. */
    _Alignas(TPOOL_CACHELINE) size_t next;
    size_t count; /* tiles dealt to the participant (set by range_begin) */
} rr_share;
_Static_assert(_Alignof(rr_share) == TPOOL_CACHELINE && sizeof(rr_share) % TPOOL_CACHELINE == 0,
               "parallel-for cursors must not share cache lines");

typedef struct roundrobin {
    /* Every dealt push adds 1 (relaxed: it only needs to be a counter). */
    _Alignas(TPOOL_CACHELINE) uint64_t ticket;
    /* Tasks and tiles the outside slot took; several outside threads add
     * (relaxed). */
    _Alignas(TPOOL_CACHELINE) uint64_t outside_steals;
    /* Parallel-for tiles dealt to callers (participant 0); range_begin adds. */
    uint64_t outside_dealt;
    /* Read-only after create. */
    _Alignas(TPOOL_CACHELINE) unsigned workers;
    int steal;
    uint64_t quantum;
    int64_t tile;
    rr_queue *q;     /* W queues */
    rr_share *share; /* W + 1 parallel-for cursors, by participant */

    /* The current parallel-for: written by range_begin (and range_end)
     * while no participant runs, read-only while the job runs. */
    size_t n;          /* items */
    size_t tile_items; /* items per tile (`tile`, or the default) */
    unsigned parts;    /* P; 0 between jobs */
} roundrobin;

enum { P_STEAL, P_QUANTUM, P_TILE };

static const tpool_param_desc roundrobin_params[] = {
    [P_STEAL] = {
        .name = "steal",
        .type = TPOOL_PARAM_BOOL,
        .description = "idle workers (and threads waiting on the pool) take tasks "
                       "queued at other workers; in parallel-for, a thread that has "
                       "finished its tiles takes the others' remaining tiles, which "
                       "also gives progress (an item may wait for the others)",
        .imin = 0, .imax = 1, .idefault = 0,
    },
    [P_QUANTUM] = {
        .name = "quantum",
        .type = TPOOL_PARAM_INT,
        .description = "consecutive tasks dealt to one worker (parallel-for: tiles dealt "
                       "to one thread) before moving to the next",
        .imin = 1, .imax = 1 << 30, .idefault = 1,
    },
    [P_TILE] = {
        .name = "tile",
        .type = TPOOL_PARAM_INT,
        .description = "items per parallel-for tile (tiles are dealt in turn to every "
                       "thread, the caller included); 0 = about 4 tiles per thread",
        .imin = 0, .imax = INT64_MAX, .idefault = 0,
    },
};

static const char *const roundrobin_stat_names[] = { "steals", "dealt", NULL };

/* ---- the queue (tpool_mpsc, as in fifo.c) --------------------------------- */

static void queue_init(rr_queue *q)
{
    memset(q, 0, sizeof *q);
    tpool_mpsc_init(&q->mpsc);
    pthread_mutex_init(&q->lock, NULL);
}

/* Vyukov's pop; one consumer at a time (the owner, or the lock holder). */
static tpool_task *dequeue(rr_queue *q)
{
    return tpool_mpsc_pop(&q->mpsc);
}

/* No lock, no write. See tpool_mpsc_empty for why an answer "empty" that
 * races with a consumer strands nothing: that consumer pops again before it
 * can sleep. */
static int queue_empty(rr_queue *q)
{
    return tpool_mpsc_empty(&q->mpsc);
}

static tpool_task *locked_dequeue(rr_queue *q)
{
    pthread_mutex_lock(&q->lock);
    tpool_task *t = dequeue(q);
    pthread_mutex_unlock(&q->lock);
    return t;
}

/* ---- lifecycle -------------------------------------------------------------- */

static int roundrobin_create(const tpool_policy_env *env, void **out)
{
    roundrobin *s = aligned_alloc(TPOOL_CACHELINE, sizeof *s);
    rr_queue *q = aligned_alloc(TPOOL_CACHELINE, sizeof *q * env->workers);
    rr_share *share = aligned_alloc(TPOOL_CACHELINE, sizeof *share * (env->workers + 1));
    if (!s || !q || !share) {
        free(s);
        free(q);
        free(share);
        return -1;
    }
    memset(s, 0, sizeof *s);
    s->workers = env->workers;
    s->steal = env->params[P_STEAL].i != 0;
    s->quantum = (uint64_t)env->params[P_QUANTUM].i;
    s->tile = env->params[P_TILE].i;
    s->q = q;
    s->share = share;
    memset(share, 0, sizeof *share * (env->workers + 1));
    for (unsigned w = 0; w < env->workers; w++)
        queue_init(&q[w]);
    *out = s;
    return 0;
}

static void roundrobin_destroy(void *state)
{
    roundrobin *s = state;
    for (unsigned w = 0; w < s->workers; w++)
        pthread_mutex_destroy(&s->q[w].lock);
    free(s->q);
    free(s->share);
    free(s);
}

/* ---- the task path -------------------------------------------------------- */

static int roundrobin_push(void *state, tpool_task *t, unsigned from)
{
    (void)from; /* dealing does not depend on who pushes */
    roundrobin *s = state;
    unsigned w;
    if (t->preferred_worker >= 0 && (unsigned)t->preferred_worker < s->workers) {
        w = (unsigned)t->preferred_worker;
    } else {
        uint64_t ticket = __atomic_fetch_add(&s->ticket, 1, __ATOMIC_RELAXED);
        w = (unsigned)((s->quantum == 1 ? ticket : ticket / s->quantum) % s->workers);
    }
    rr_queue *q = &s->q[w];
    /* Until the push returns the owner may see its queue end before t; the
     * wake that follows the push brings it back. */
    tpool_mpsc_push(&q->mpsc, t);
    __atomic_fetch_add(&q->dealt, 1, __ATOMIC_RELAXED);
    if (!s->steal)
        return (int)w; /* only w can run it */
    return TPOOL_WAKE_PREFER(w); /* w, or a thief if w is busy (top comment) */
}

/*
 * Takes one task from a queue other than `own` (NULL for the outside slot),
 * scanning from `start`. First pass: try-lock; if a victim looked non-empty
 * but its lock was busy and nothing was found, a second pass waits for the
 * locks, so that a thief does not report "nothing" while tasks are queued.
 */
static tpool_task *steal_one(roundrobin *s, rr_queue *own, unsigned start, int *stolen)
{
    *stolen = 0;
    unsigned W = s->workers;
    int busy_seen = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned k = 0; k < W; k++) {
            rr_queue *v = &s->q[(start + k) % W];
            if (v == own || queue_empty(v))
                continue;
            tpool_task *t = NULL;
            if (pass == 0) {
                if (pthread_mutex_trylock(&v->lock) != 0) {
                    busy_seen = 1;
                    continue;
                }
            } else {
                pthread_mutex_lock(&v->lock);
            }
            t = dequeue(v);
            pthread_mutex_unlock(&v->lock);
            if (t) {
                *stolen = 1;
                return t;
            }
        }
        if (!busy_seen)
            break;
    }
    return NULL;
}

static tpool_task *roundrobin_pop(void *state, unsigned slot)
{
    roundrobin *s = state;
    if (!s->steal) {
        if (slot >= s->workers)
            return NULL; /* the outside slot never consumes (see the top) */
        rr_queue *q = &s->q[slot];
        return queue_empty(q) ? NULL : dequeue(q);
    }

    if (slot >= s->workers) {
        unsigned start = (unsigned)(__atomic_load_n(&s->ticket, __ATOMIC_RELAXED) % s->workers);
        int stolen;
        tpool_task *t = steal_one(s, NULL, start, &stolen);
        if (stolen)
            __atomic_fetch_add(&s->outside_steals, 1, __ATOMIC_RELAXED);
        return t;
    }

    rr_queue *q = &s->q[slot];
    if (!queue_empty(q)) {
        tpool_task *t = locked_dequeue(q);
        if (t)
            return t;
    }
    int stolen;
    tpool_task *t = steal_one(s, q, slot + 1, &stolen);
    if (t) {
        /* An atomic add: the calling thread of a parallel-for may count a
         * range steal here at the same time, standing in for this worker. */
        if (stolen)
            __atomic_fetch_add(&q->steals, 1, __ATOMIC_RELAXED);
        return t;
    }
    return NULL;
}

/* ---- parallel-for ------------------------------------------------------------ */

static void roundrobin_range_begin(void *state, const tpool_range_job *job)
{
    roundrobin *s = state;
    size_t n = job->n;
    unsigned P = job->participants; /* 1 <= P <= W + 1 */
    size_t tile = (size_t)s->tile;
    if (tile == 0) /* about 4 tiles per participant */
        tile = n / (4 * (size_t)P) + (n % (4 * (size_t)P) != 0);
    if (tile == 0)
        tile = 1;
    uint64_t ntiles = n / tile + (n % tile != 0);
    s->n = n;
    s->tile_items = tile;
    s->parts = P;

    /* Tile i goes to (i / quantum) % P: a round of P * quantum tiles gives
     * each participant `quantum`; the last, partial round fills them in
     * order. */
    uint64_t q = s->quantum, round = (uint64_t)P * q;
    uint64_t full = ntiles / round, rem = ntiles % round;
    for (unsigned p = 0; p < P; p++) {
        uint64_t first = (uint64_t)p * q, extra = 0;
        if (rem > first)
            extra = rem - first < q ? rem - first : q;
        rr_share *sh = &s->share[p];
        sh->count = (size_t)(full * q + extra);
        __atomic_store_n(&sh->next, 0, __ATOMIC_RELAXED);
        unsigned k = tpool_participant_slot(p, s->workers);
        uint64_t *dealt = k == s->workers ? &s->outside_dealt : &s->q[k].dealt;
        __atomic_fetch_add(dealt, (uint64_t)sh->count, __ATOMIC_RELAXED);
    }
}

/* Participant p's k-th tile (k < its count), as [begin, end). */
static int hand_out(const roundrobin *s, unsigned p, size_t k, size_t *begin, size_t *end)
{
    uint64_t q = s->quantum;
    uint64_t i = q == 1 ? (uint64_t)k * s->parts + p
                        : ((uint64_t)k / q * s->parts + p) * q + (uint64_t)k % q;
    size_t b = (size_t)i * s->tile_items;
    *begin = b;
    *end = s->n - b <= s->tile_items ? s->n : b + s->tile_items;
    return 1;
}

/* steal = true: takes the next tile of `sh`, if it has one left. The load
 * first keeps an exhausted cursor from being written. */
static int claim(rr_share *sh, size_t *k)
{
    if (__atomic_load_n(&sh->next, __ATOMIC_RELAXED) >= sh->count)
        return 0;
    *k = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED);
    return *k < sh->count;
}

static int roundrobin_range_next(void *state, unsigned part, size_t *begin, size_t *end)
{
    roundrobin *s = state;
    unsigned P = s->parts;
    if (part >= P)
        return 0;
    rr_share *own = &s->share[part];
    size_t k;

    if (!s->steal) {
        /* Only this participant touches its cursor during the job. */
        k = __atomic_load_n(&own->next, __ATOMIC_RELAXED);
        if (k >= own->count)
            return 0;
        __atomic_store_n(&own->next, k + 1, __ATOMIC_RELAXED);
        return hand_out(s, part, k, begin, end);
    }

    if (claim(own, &k))
        return hand_out(s, part, k, begin, end);
    for (unsigned j = 1; j < P; j++) {
        unsigned v = part + j < P ? part + j : part + j - P;
        if (!claim(&s->share[v], &k))
            continue; /* exhausted for good: cursors only grow */
        /* Participant p counts at its slot (whose task path, or the
         * calling thread standing in for p, may add at the same time). */
        unsigned slot = tpool_participant_slot(part, s->workers);
        __atomic_fetch_add(slot == s->workers ? &s->outside_steals : &s->q[slot].steals, 1,
                           __ATOMIC_RELAXED);
        return hand_out(s, v, k, begin, end);
    }
    return 0;
}

static void roundrobin_range_end(void *state)
{
    roundrobin *s = state;
    s->parts = 0; /* no participant is inside any more */
}

static int roundrobin_range_progress(void *state)
{
    return ((roundrobin *)state)->steal;
}

/* ---- statistics, descriptor -------------------------------------------------- */

static void roundrobin_stats_read(void *state, unsigned slot, uint64_t *out)
{
    roundrobin *s = state;
    if (slot < s->workers) {
        out[0] = __atomic_load_n(&s->q[slot].steals, __ATOMIC_RELAXED);
        out[1] = __atomic_load_n(&s->q[slot].dealt, __ATOMIC_RELAXED);
    } else {
        out[0] = __atomic_load_n(&s->outside_steals, __ATOMIC_RELAXED);
        out[1] = __atomic_load_n(&s->outside_dealt, __ATOMIC_RELAXED); /* tiles only */
    }
}

static void roundrobin_stats_reset(void *state)
{
    roundrobin *s = state;
    for (unsigned w = 0; w < s->workers; w++) {
        __atomic_store_n(&s->q[w].steals, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&s->q[w].dealt, 0, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&s->outside_steals, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->outside_dealt, 0, __ATOMIC_RELAXED);
}

static const tpool_policy roundrobin_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "roundrobin",
    .description = "one queue per worker; tasks dealt in turn to the workers, parallel-for "
                   "tiles to every thread; optional stealing",
    .params = roundrobin_params,
    .nparams = sizeof roundrobin_params / sizeof roundrobin_params[0],
    .create = roundrobin_create,
    .destroy = roundrobin_destroy,
    .push = roundrobin_push,
    .pop = roundrobin_pop,
    .range_begin = roundrobin_range_begin,
    .range_next = roundrobin_range_next,
    .range_end = roundrobin_range_end,
    .stat_names = roundrobin_stat_names,
    .stats_read = roundrobin_stats_read,
    .stats_reset = roundrobin_stats_reset,
    /* Progress only with steal: range_progress. Stand-ins: the dealing is
     * per participant index, and the range path shares nothing with the
     * task path but the atomic `steals` and `dealt` counters. */
    .flags = TPOOL_POLICY_NO_SUBMIT_TIME | TPOOL_POLICY_NO_SEQ | TPOOL_POLICY_STAND_IN,
    .range_progress = roundrobin_range_progress,
};

TPOOL_POLICY_DEFINE(roundrobin_policy)
