/*
 * priority.c - the most urgent task first, with aging against starvation.
 *
 * Order. Task a runs before task b when, in this order of keys:
 *   1. a's effective priority is higher. With aging_us = A > 0 a waiting
 *      task gains one level per A of waiting, continuously:
 *          eff(t, now) = priority(t) + (now - submit_ns(t)) / A
 *      The difference eff(a) - eff(b) = (pa - pb) + (sb - sa) / A does not
 *      depend on `now`, so the order of two queued tasks never changes while
 *      they wait and an ordinary heap stays valid; the comparison is done
 *      exactly, in integers, as the sign of (pa - pb) * A + (sb - sa)
 *      (saturating: see cmp_effective). With A = 0 it is the base priority.
 *   2. a's cost_hint is larger (longest first; 0 = unknown counts as the
 *      smallest). Parallel-for tiles of one call share one submit_ns and
 *      their call's priority, so they run largest first (LPT); without a
 *      cost function the core gives each tile its item count, so they run
 *      in index order but for the clipped last tile.
 *   3. a's seq is smaller (FIFO among equals; seq is unique, so the order
 *      is total and the heap's choice deterministic).
 * Wait bound: a task L of priority pl, submitted at sL, is overtaken by a
 * task H of priority pl + g (g > 0) only if H was submitted before
 * sL + g * A (at exactly sL + g * A, key 2 then key 3 decide). So a
 * continuous stream of such tasks delays L by at most g * A plus the time
 * to run the tasks submitted before then (see the docs for the bound).
 *
 * Structure. Pushers never lock: a push appends the task to an inbox,
 * Vyukov's intrusive multi-producer queue (tpool_mpsc, the FIFO policy's). Consumers
 * take one mutex, move everything from the inbox into the sorted queue
 * (runs under a 4-ary heap, see queue_add) and take its first task; the
 * lock is held for that short critical section, never while a task runs.
 * Popping in a strict global order is inherently serial, as it is for the
 * FIFO policy, whose one consumer lock this mirrors; the docs compare the
 * two. An empty queue is seen without the lock and without a write.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tpool-queue.h"

/* Buckets of base priority for the "aged" statistic only: priorities are
 * clamped into [BUCKET_MIN, BUCKET_MIN + 63]; the order never is. */
#define BUCKET_MIN (-32)
#define NBUCKETS 64
#define RUN_SLOTS_LOG2 6

/* A queued task with its keys copied in, so that the heap compares without
 * touching the tasks (they are scattered over the memory; the heap is one
 * array). */
typedef struct entry {
    uint64_t submit_ns;
    uint64_t cost;
    uint64_t seq;
    tpool_task *task;
    int prio;
} entry;

typedef struct priority {
    /* The inbox: producers push without the lock, consumers pop under
     * `lock`. */
    tpool_mpsc inbox;

    /* Consumers: everything below is written under `lock`; `n` and
     * `spill` with relaxed atomic stores, because the lock-free emptiness
     * test in priority_pop reads them. */
    _Alignas(TPOOL_CACHELINE) pthread_mutex_t lock;
    entry *heap;   /* heads of the runs; heap[0] runs next */
    size_t n, cap; /* entries in use (0: nothing queued), allocated */
    tpool_task *run_tail[1 << RUN_SLOTS_LOG2]; /* see queue_add */
    /* Tasks the heap had no room for (its array could not grow), in FIFO
     * order through `next`; see priority_pop. */
    tpool_task *spill, *spill_tail;
    uint64_t bucket_mask; /* bit b: bucket b has a task in the heap */
    uint32_t bucket_count[NBUCKETS];

    /* Read-only after create. */
    _Alignas(TPOOL_CACHELINE) int64_t aging_ns; /* A in ns; 0 = no aging */
    int64_t tile;
    unsigned workers;
    /* W + 1 counters of tasks that overtook a higher base priority, per
     * popping slot; written under `lock`, read relaxed by stats_read. */
    uint64_t *aged;
} priority;

enum { P_AGING, P_TILE };

static const tpool_param_desc priority_params[] = {
    [P_AGING] = {
        .name = "aging_us",
        .type = TPOOL_PARAM_INT,
        .description = "microseconds of waiting that raise a task's effective priority "
                       "by one level (continuously); 0 = no aging",
        .imin = 0, .imax = 3600000000LL, .idefault = 10000,
    },
    [P_TILE] = {
        .name = "tile",
        .type = TPOOL_PARAM_INT,
        .description = "items per parallel-for tile (tiles are ordered like tasks: call "
                       "priority, then largest cost first); 0 = about 4 tiles per thread",
        .imin = 0, .imax = INT64_MAX, .idefault = 0,
    },
};

static const char *const priority_stat_names[] = { "aged", NULL };

/* ---- order ------------------------------------------------------------------ */

/* Sign of eff(a) - eff(b), i.e. of (pa - pb) * A + (sb - sa). Both
 * timestamps come from one monotonic clock, so |sb - sa| < 2^62; when the
 * product or the sum leaves int64 its sign is the sign of (pa - pb). */
static int cmp_effective(int64_t aging_ns, const entry *a, const entry *b)
{
    int64_t d = (int64_t)a->prio - (int64_t)b->prio;
    if (aging_ns == 0)
        return (d > 0) - (d < 0);
    int64_t x, z;
    if (__builtin_mul_overflow(d, aging_ns, &x))
        return d > 0 ? 1 : -1;
    int64_t y = (int64_t)(b->submit_ns - a->submit_ns);
    if (__builtin_add_overflow(x, y, &z))
        return x > 0 ? 1 : -1;
    return (z > 0) - (z < 0);
}

/* Whether a runs before b (see the top comment). */
static int before(int64_t aging_ns, const entry *a, const entry *b)
{
    int c = cmp_effective(aging_ns, a, b);
    if (c)
        return c > 0;
    if (a->cost != b->cost)
        return a->cost > b->cost;
    return a->seq < b->seq;
}

/* ---- the queue: sorted runs under a heap (under the lock) ------------------ */

/*
 * Queued tasks form runs: intrusive lists (through `next`) each sorted in
 * the order above. A 4-ary heap in one array holds the head of every run,
 * so the next task is the heap's top, and taking it puts the run's next
 * task in its place. A new task is appended to a run when it comes after
 * that run's last task; the candidate run is found by hashing the task's
 * priority into a small table of run tails (any run would do: appending
 * only needs the run to stay sorted). Tasks of one priority mostly arrive
 * in their running order, so with k priorities in use the heap holds about
 * k runs: insertion and removal cost O(1) plus O(log k), and the cache lines
 * touched are the task's and a few of the heap's. The 4-ary heap keeps the
 * keys in the array (no task is touched while comparing) and has half the
 * depth of a binary heap, the four children of a node side by side.
 */
#define ARITY 4

static unsigned bucket_of(int prio)
{
    if (prio < BUCKET_MIN)
        return 0;
    if (prio >= BUCKET_MIN + NBUCKETS)
        return NBUCKETS - 1;
    return (unsigned)(prio - BUCKET_MIN);
}

static unsigned run_slot(int prio)
{
    return (unsigned)(((uint32_t)prio * 2654435761u) >> (32 - RUN_SLOTS_LOG2));
}

static entry entry_of(tpool_task *t)
{
    entry e = { t->submit_ns, t->cost_hint, t->seq, t, t->priority };
    return e;
}

static void set_count(priority *s, size_t n)
{
    __atomic_store_n(&s->n, n, __ATOMIC_RELAXED);
}

/* Moves `e` from hole i towards the root to its place. */
static void sift_up(priority *s, size_t i, entry e)
{
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!before(s->aging_ns, &e, &s->heap[parent]))
            break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = e;
}

/* Puts `e` into the hole at the root of a heap of n entries. */
static void sift_down(priority *s, size_t n, entry e)
{
    size_t i = 0;
    for (;;) {
        size_t first = ARITY * i + 1;
        if (first >= n)
            break;
        size_t best = first, end = first + ARITY < n ? first + ARITY : n;
        for (size_t c = first + 1; c < end; c++)
            if (before(s->aging_ns, &s->heap[c], &s->heap[best]))
                best = c;
        if (!before(s->aging_ns, &s->heap[best], &e))
            break;
        s->heap[i] = s->heap[best];
        i = best;
    }
    s->heap[i] = e;
}

/* Queues t; 0, or -1 when it needed a new heap entry and the array could
 * not grow (t is then left alone). */
static int queue_add(priority *s, tpool_task *t)
{
    entry e = entry_of(t);
    tpool_task **slot = &s->run_tail[run_slot(t->priority)];
    if (*slot) {
        entry tail = entry_of(*slot);
        if (before(s->aging_ns, &tail, &e)) {
            (*slot)->next = t;
            goto queued;
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        entry *h = realloc(s->heap, cap * sizeof *h);
        if (!h)
            return -1;
        s->heap = h;
        s->cap = cap;
    }
    sift_up(s, s->n, e);
    set_count(s, s->n + 1);
queued:
    t->next = NULL;
    *slot = t;
    unsigned b = bucket_of(t->priority);
    if (s->bucket_count[b]++ == 0)
        s->bucket_mask |= 1ull << b;
    return 0;
}

/* Takes the next task; counts it as aged for `slot` when a task of a
 * higher base-priority bucket stays behind. */
static tpool_task *queue_take(priority *s, unsigned slot)
{
    if (s->n == 0)
        return NULL;
    tpool_task *t = s->heap[0].task;
    if (t->next) { /* the run goes on: its next task takes t's place */
        tpool_task *u = t->next;
        /* The run's task after u is needed when u is taken; fetch it now. */
        if (u->next)
            __builtin_prefetch(u->next);
        sift_down(s, s->n, entry_of(u));
    } else {
        size_t n = s->n - 1;
        set_count(s, n);
        if (n > 0)
            sift_down(s, n, s->heap[n]);
        tpool_task **tail = &s->run_tail[run_slot(t->priority)];
        if (*tail == t) /* t ended its run: nothing may be appended to it */
            *tail = NULL;
    }
    unsigned b = bucket_of(t->priority);
    if (--s->bucket_count[b] == 0)
        s->bucket_mask &= ~(1ull << b);
    if (s->bucket_mask >> b >> 1) /* a higher bucket is still queued */
        __atomic_store_n(&s->aged[slot], s->aged[slot] + 1, __ATOMIC_RELAXED);
    return t;
}

/* ---- lifecycle and the task path ------------------------------------------ */

static int priority_create(const tpool_policy_env *env, void **out)
{
    priority *s = aligned_alloc(TPOOL_CACHELINE, sizeof *s);
    uint64_t *aged = calloc(env->workers + 1, sizeof *aged);
    if (!s || !aged) {
        free(s);
        free(aged);
        return -1;
    }
    memset(s, 0, sizeof *s);
    tpool_mpsc_init(&s->inbox);
    pthread_mutex_init(&s->lock, NULL);
    s->aging_ns = env->params[P_AGING].i * 1000;
    s->tile = env->params[P_TILE].i;
    s->workers = env->workers;
    s->aged = aged;
    *out = s;
    return 0;
}

static void priority_destroy(void *state)
{
    priority *s = state;
    pthread_mutex_destroy(&s->lock);
    free(s->heap);
    free(s->aged);
    free(s);
}

static int priority_push(void *state, tpool_task *t, unsigned from)
{
    (void)from;
    priority *s = state;
    /* Until the push returns consumers may see the inbox end before t; the
     * core's wake after the push brings one back. */
    tpool_mpsc_push(&s->inbox, t);
    return TPOOL_WAKE_ANY; /* any worker may run the most urgent task */
}

static void spill_add(priority *s, tpool_task *t)
{
    t->next = NULL;
    if (s->spill_tail)
        s->spill_tail->next = t;
    else
        __atomic_store_n(&s->spill, t, __ATOMIC_RELAXED);
    s->spill_tail = t;
}

static tpool_task *spill_take(priority *s)
{
    tpool_task *t = s->spill;
    __atomic_store_n(&s->spill, t->next, __ATOMIC_RELAXED);
    if (!t->next)
        s->spill_tail = NULL;
    return t;
}

static tpool_task *priority_pop(void *state, unsigned slot)
{
    priority *s = state;
    /* Empty: no heap, and only the stub in the inbox (see
     * tpool_mpsc_empty). While a consumer is moving a task from the inbox
     * to the heap this may say "empty" wrongly; that consumer pops again
     * before it can sleep, so nothing is stranded. */
    if (__atomic_load_n(&s->n, __ATOMIC_RELAXED) == 0
        && __atomic_load_n(&s->spill, __ATOMIC_RELAXED) == NULL
        && tpool_mpsc_empty(&s->inbox))
        return NULL; /* no lock, no write */
    pthread_mutex_lock(&s->lock);
    /* Out of memory earlier: give the spilled tasks another chance. */
    while (s->spill) {
        tpool_task *t = s->spill, *rest = t->next;
        if (queue_add(s, t) != 0) /* leaves t, and so the spill list, alone */
            break;
        __atomic_store_n(&s->spill, rest, __ATOMIC_RELAXED);
        if (!rest)
            s->spill_tail = NULL;
    }
    /* A task the inbox returns has a successor or was followed by the
     * re-queued stub, so no producer writes its `next` again and the heap
     * may use it. */
    for (tpool_task *t; (t = tpool_mpsc_pop(&s->inbox));)
        if (queue_add(s, t) != 0)
            spill_add(s, t);
    /* The heap first; spilled tasks (only ever there when the heap array
     * could not grow) run in arrival order once it is empty. */
    tpool_task *t = queue_take(s, slot);
    if (!t && s->spill)
        t = spill_take(s);
    pthread_mutex_unlock(&s->lock);
    return t;
}

/* ---- parallel-for, statistics, descriptor ---------------------------------- */

static size_t priority_range_grain(void *state, const tpool_range_job *job)
{
    (void)job;
    priority *s = state;
    return (size_t)s->tile; /* 0: the core's default */
}

static void priority_stats_read(void *state, unsigned slot, uint64_t *out)
{
    priority *s = state;
    out[0] = __atomic_load_n(&s->aged[slot <= s->workers ? slot : s->workers], __ATOMIC_RELAXED);
}

static void priority_stats_reset(void *state)
{
    priority *s = state;
    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i <= s->workers; i++)
        __atomic_store_n(&s->aged[i], 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&s->lock);
}

static const tpool_policy priority_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "priority",
    .description = "most urgent first (priority, then largest cost, then FIFO), with aging",
    .params = priority_params,
    .nparams = sizeof priority_params / sizeof priority_params[0],
    .create = priority_create,
    .destroy = priority_destroy,
    .push = priority_push,
    .pop = priority_pop,
    .range_grain = priority_range_grain,
    .stat_names = priority_stat_names,
    .stats_read = priority_stats_read,
    .stats_reset = priority_stats_reset,
    .flags = TPOOL_POLICY_PROGRESS, /* any worker pops any tile */
};

TPOOL_POLICY_DEFINE(priority_policy)
