/*
 * ndcheck.h - checks an N-d tiled parallel-for from inside its tiles, for
 * the native suite (check_parallel_nd) and the pthreadpool one: every element
 * visited exactly once, tile starts on tile multiples, sizes clipped at the
 * edge, thread indices in range, and which thread ran which tile. With
 * `slow` the tile numbered `slow_tile` (0: the one at the origin) does not
 * return until every other tile has run, so a balancing policy must hand
 * all the others to other threads: the thread stuck in the slow tile may
 * have run tiles before it (a thief that finished its own share, say) but
 * none after.
 */
#ifndef TPOOL_NDCHECK_H
#define TPOOL_NDCHECK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "testutil.h"

#define NDC_MAX 6

typedef struct ndcheck {
    unsigned ndim;
    size_t range[NDC_MAX], tile[NDC_MAX], ntiles[NDC_MAX];
    size_t call_tile[NDC_MAX]; /* the tiles the call is given (normally `tile`) */
    size_t elems, tiles;
    unsigned threads;         /* participants allowed (thread index < threads) */
    bool slow;                /* tile slow_tile waits for all the others */
    size_t slow_tile;
    uint32_t uarch;           /* the uarch index a _with_uarch call must pass */
    _Atomic unsigned char *hits; /* per element */
    _Atomic int *tile_tid;    /* per tile: the tid of the thread that ran it */
    _Atomic size_t *tile_seq; /* per tile: its place in the order tiles finished */
    _Atomic size_t tiles_done;
    _Atomic int bad;          /* 1 once `why` holds the first problem */
    char why[256];
} ndcheck;

/* A small id per thread (1, 2, ...), for threads that get no index. */
static inline int ndc_tid(void)
{
    static _Atomic int next_tid = 1;
    static _Thread_local int tid;
    if (tid == 0)
        tid = atomic_fetch_add(&next_tid, 1);
    return tid;
}

static inline void ndc_init(ndcheck *c, unsigned ndim, const size_t *range,
                            const size_t *tile, unsigned threads)
{
    memset(c, 0, sizeof *c);
    c->ndim = ndim;
    c->threads = threads;
    c->elems = c->tiles = 1;
    for (unsigned d = 0; d < ndim; d++) {
        c->range[d] = range[d];
        c->tile[d] = c->call_tile[d] = tile ? tile[d] : 1;
        c->ntiles[d] = c->tile[d] ? (range[d] + c->tile[d] - 1) / c->tile[d] : 0;
        c->elems *= range[d];
        c->tiles *= c->ntiles[d];
    }
    c->hits = calloc(c->elems + 1, sizeof *c->hits);
    c->tile_tid = calloc(c->tiles + 1, sizeof *c->tile_tid);
    c->tile_seq = calloc(c->tiles + 1, sizeof *c->tile_seq);
    ck_assert(c->hits && c->tile_tid && c->tile_seq);
}

static inline void ndc_free(ndcheck *c)
{
    free((void *)c->hits);
    free((void *)c->tile_tid);
    free((void *)c->tile_seq);
}

static inline void ndc_fail(ndcheck *c, const char *what, const size_t *start,
                            const size_t *size)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&c->bad, &expected, 1))
        return;
    int n = snprintf(c->why, sizeof c->why, "%s at start (", what);
    for (unsigned d = 0; d < c->ndim && n > 0 && (size_t)n < sizeof c->why; d++)
        n += snprintf(c->why + n, sizeof c->why - n, "%s%zu", d ? "," : "", start[d]);
    for (unsigned d = 0; d < c->ndim && n > 0 && (size_t)n < sizeof c->why; d++)
        n += snprintf(c->why + n, sizeof c->why - n, "%s%zu", d ? "," : ") size (",
                      size[d]);
    if (n > 0 && (size_t)n < sizeof c->why)
        snprintf(c->why + n, sizeof c->why - n, ")");
}

/* The slow tile waits for all others; it gives up (and the test then fails)
 * only if no other tile has finished for 10 s, so it cannot hang the suite. */
static inline void ndc_wait_for_others(ndcheck *c)
{
    (void)tu_wait_count(&c->tiles_done, c->tiles - 1, 10);
}

/* Called once per tile; `thread` is the participant index, or -1 when the
 * API gives none. */
static inline void ndc_tile(ndcheck *c, const size_t *start, const size_t *size, int thread)
{
    size_t t = 0;
    for (unsigned d = 0; d < c->ndim; d++) {
        size_t want = c->range[d] - start[d] < c->tile[d] ? c->range[d] - start[d] : c->tile[d];
        if (start[d] >= c->range[d] || start[d] % c->tile[d] != 0)
            return ndc_fail(c, "tile start off the grid", start, size);
        if (size[d] != want)
            return ndc_fail(c, "tile size not clipped right", start, size);
        t = t * c->ntiles[d] + start[d] / c->tile[d];
    }
    if (thread >= 0 && (unsigned)thread >= c->threads)
        return ndc_fail(c, "thread index out of range", start, size);
    int expected = 0;
    if (!atomic_compare_exchange_strong(&c->tile_tid[t], &expected, ndc_tid()))
        return ndc_fail(c, "tile run twice", start, size);
    if (c->slow && t == c->slow_tile)
        ndc_wait_for_others(c);

    /* Every element of the tile: an odometer over its dimensions. */
    size_t idx[NDC_MAX] = { 0 };
    for (;;) {
        size_t e = 0;
        for (unsigned d = 0; d < c->ndim; d++)
            e = e * c->range[d] + start[d] + idx[d];
        atomic_fetch_add_explicit(&c->hits[e], 1, memory_order_relaxed);
        unsigned d = c->ndim;
        while (d > 0 && ++idx[d - 1] == size[d - 1])
            idx[--d] = 0;
        if (d == 0)
            break;
    }
    atomic_store(&c->tile_seq[t], atomic_fetch_add(&c->tiles_done, 1));
}

/* Every element once, nothing wrong seen. `what` names the call. */
static inline void ndc_assert(ndcheck *c, const char *what)
{
    ck_assert_msg(atomic_load(&c->bad) == 0, "%s: %s", what, c->why);
    for (size_t e = 0; e < c->elems; e++)
        ck_assert_msg(c->hits[e] == 1, "%s: element %zu of %zu visited %u times", what, e,
                      c->elems, (unsigned)c->hits[e]);
    ck_assert_msg(atomic_load(&c->tiles_done) == c->tiles, "%s: %zu of %zu tiles ran", what,
                  atomic_load(&c->tiles_done), c->tiles);
}

/* Every other tile finished while the slow tile was stuck: the thread that
 * ran it ran no tile after it. */
static inline void ndc_assert_balanced(ndcheck *c, const char *what)
{
    size_t s = c->slow_tile;
    int slow = atomic_load(&c->tile_tid[s]);
    size_t after = 0, behind = 0;
    for (size_t t = 0; t < c->tiles; t++) {
        if (t == s)
            continue;
        bool late = atomic_load(&c->tile_seq[t]) > atomic_load(&c->tile_seq[s]);
        behind += late;
        after += late && atomic_load(&c->tile_tid[t]) == slow;
    }
    ck_assert_msg(behind == 0,
                  "%s: %zu of the other %zu tiles waited behind the slow tile %zu (%zu of "
                  "them ran on its thread afterwards)", what, behind, c->tiles - 1, s, after);
}

/* Makes one tile wait for all the others: the first (where 0), the last
 * (1) or the one in the middle (2). */
static inline void ndc_slow_at(ndcheck *c, int where)
{
    c->slow = true;
    c->slow_tile = where == 0 ? 0 : where == 1 ? c->tiles - 1 : c->tiles / 2;
}

/*
 * The pools in which a call with TPOOL_FLAG_PROGRESS (every pthreadpool
 * call) must complete although one tile waits for all the others: `policy`
 * with its defaults when it declares progress (tpool_policy_list), and
 * roundrobin with stealing. Fills params[] (NULL: defaults) and returns how
 * many; 0 for a policy that gives no progress (it is named).
 */
static inline int ndc_progress_configs(const char *policy, const char *params[2])
{
    int n = 0;
    tpool_policy_info *list = NULL;
    size_t count = 0;
    ck_assert_int_eq(tpool_policy_list(NULL, &list, &count, NULL, NULL), 0);
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i].name, policy) == 0 && list[i].progress) {
            params[n++] = NULL;
            break;
        }
    tpool_policy_list_free(list, count);
    if (strcmp(policy, "roundrobin") == 0)
        params[n++] = "{\"steal\": true}";
    if (n == 0)
        printf("progress: policy '%s' does not declare it; not checked\n", policy);
    return n;
}

/*
 * The parameters that make a balancing policy hand out one tile at a time,
 * so that a slow tile can hold back nothing but itself; NULL for a policy
 * that is not expected to balance (static, round-robin, priority). The
 * caller prints that it skips the check.
 */
static inline const char *ndc_balancing_params(const char *policy)
{
    static const struct { const char *policy, *params; } balancing[] = {
        { "fifo", "{\"tile\": 1}" },
        { "dynamic", "{\"mode\": \"fixed\", \"chunk\": 1}" },
        { "stealing", "{\"chunk\": 1}" },
    };
    for (size_t k = 0; k < sizeof balancing / sizeof balancing[0]; k++)
        if (strcmp(balancing[k].policy, policy) == 0)
            return balancing[k].params;
    printf("slow first tile: policy '%s' is not expected to balance; not checked\n", policy);
    return NULL;
}

/* Distinct threads that ran tiles: at most the pool's parallelism. */
static inline unsigned ndc_distinct_threads(ndcheck *c)
{
    unsigned n = 0;
    for (size_t t = 0; t < c->tiles; t++) {
        int tid = atomic_load(&c->tile_tid[t]);
        bool seen = false;
        for (size_t u = 0; u < t && !seen; u++)
            seen = atomic_load(&c->tile_tid[u]) == tid;
        n += !seen;
    }
    return n;
}

#endif
