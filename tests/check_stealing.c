/*
 * check_stealing.c - the work-stealing policy: stolen parallel-for shares,
 * stolen tasks, deep fork-join, ranges beyond 2^32 items, the range
 * protocol driven directly, statistics and parameter errors.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "config.h"
#include "loader.h"
#include "testutil.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

static unsigned g_seed;

static uint64_t policy_stat(tpool *p, const char *name)
{
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    uint64_t sum = 0;
    int found = 0;
    for (unsigned k = 0; k < st.npolicy; k++) {
        if (strcmp(st.policy_names[k], name) != 0)
            continue;
        found = 1;
        for (unsigned s = 0; s <= st.workers; s++)
            sum += st.per_worker[s].policy[k];
    }
    tpool_stats_free(&st);
    ck_assert_msg(found, "no statistic named %s", name);
    return sum;
}

/* ---- a blocked participant's share is stolen ----------------------------------- */

/*
 * The first call of the body, whichever participant makes it, blocks on a
 * condition variable until every item outside its own [begin, end) has
 * been processed, then processes its items. The blocked participant's
 * remaining share can only be finished by thieves: with stealing off (or
 * broken) the others would run out of work, the count would never be
 * reached, and the test would hang until Check's timeout fails it. There
 * is no timing in it: the release is a count, not a delay.
 */
typedef struct {
    size_t n;
    _Atomic size_t processed;
    _Atomic int someone_blocked;
    _Atomic unsigned char *hits;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned blocked_thread;
} block_ctx;

static void mark(block_ctx *c, size_t begin, size_t end)
{
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&c->hits[i], 1, memory_order_relaxed);
    size_t after = atomic_fetch_add(&c->processed, end - begin) + (end - begin);
    pthread_mutex_lock(&c->lock);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    (void)after;
}

static void block_body(void *arg, size_t begin, size_t end, unsigned thread)
{
    block_ctx *c = arg;
    if (atomic_exchange(&c->someone_blocked, 1) == 0) {
        c->blocked_thread = thread;
        size_t others = c->n - (end - begin);
        pthread_mutex_lock(&c->lock);
        while (atomic_load(&c->processed) < others)
            pthread_cond_wait(&c->cond, &c->lock);
        pthread_mutex_unlock(&c->lock);
    }
    mark(c, begin, end);
}

static const struct {
    unsigned threads;
    const char *params;
} block_cases[] = {
    { 2, "{\"chunk\": 1}" },
    { 4, "{\"chunk\": 1}" },
    { 4, NULL }, /* adaptive chunks */
    { 3, "{\"chunk\": 5, \"victim\": \"neighbour\"}" },
    { 5, "{\"steal_fraction\": 0.01}" },
    { 5, "{\"steal_fraction\": 1.0}" },
};

START_TEST(test_blocked_participant_share_is_stolen)
{
    unsigned threads = block_cases[_i].threads;
    tpool *p = tu_pool("stealing", threads, block_cases[_i].params);
    for (int rep = 0; rep < 3; rep++) {
        block_ctx c = { .n = 1000 };
        c.hits = calloc(c.n, 1);
        atomic_init(&c.processed, 0);
        atomic_init(&c.someone_blocked, 0);
        pthread_mutex_init(&c.lock, NULL);
        pthread_cond_init(&c.cond, NULL);
        tpool_stats_reset(p);
        ck_assert_int_eq(tpool_parallel_range(p, c.n, block_body, &c, NULL), 0);
        for (size_t i = 0; i < c.n; i++)
            ck_assert_msg(c.hits[i] == 1, "item %zu processed %u times", i, c.hits[i]);
        ck_assert_uint_eq(atomic_load(&c.processed), c.n);
        /* The blocked participant held most of a share; others split it. */
        ck_assert_uint_gt(policy_stat(p, "range_steals"), 0);
        pthread_mutex_destroy(&c.lock);
        pthread_cond_destroy(&c.cond);
        free(c.hits);
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- tasks are stolen ------------------------------------------------------------- */

/*
 * A task spawns children (they go to its worker's deque) and then blocks,
 * outside the pool, until all of them have run. Its worker cannot run
 * them: only thieves can. Without stealing this hangs (Check's timeout).
 * This thread waits on the same condition variable rather than in the pool,
 * so that the parent surely runs on a worker (a thread waiting in the pool
 * could take the parent itself, and its children would then go to the
 * injection queue instead of a deque).
 */
enum { CHILDREN = 2000 };

typedef struct {
    tpool *pool;
    _Atomic unsigned done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} spawn_ctx;

static void child(void *arg)
{
    spawn_ctx *c = arg;
    if (atomic_fetch_add(&c->done, 1) + 1 == CHILDREN) {
        pthread_mutex_lock(&c->lock);
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->lock);
    }
}

static void parent(void *arg)
{
    spawn_ctx *c = arg;
    for (int i = 0; i < CHILDREN; i++)
        ck_assert_int_eq(tpool_submit(c->pool, child, c, NULL), 0);
    pthread_mutex_lock(&c->lock);
    while (atomic_load(&c->done) < CHILDREN)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

START_TEST(test_blocked_worker_tasks_are_stolen)
{
    static const char *params[] = { NULL, "{\"victim\": \"neighbour\"}",
                                     "{\"steal_attempts\": 1}" };
    for (size_t k = 0; k < sizeof params / sizeof params[0]; k++) {
        tpool *p = tu_pool("stealing", 3, params[k]);
        spawn_ctx c = { .pool = p };
        atomic_init(&c.done, 0);
        pthread_mutex_init(&c.lock, NULL);
        pthread_cond_init(&c.cond, NULL);
        ck_assert_int_eq(tpool_submit(p, parent, &c, NULL), 0);
        pthread_mutex_lock(&c.lock);
        while (atomic_load(&c.done) < CHILDREN)
            pthread_cond_wait(&c.cond, &c.lock);
        pthread_mutex_unlock(&c.lock);
        ck_assert_int_eq(tpool_wait_all(p), 0);
        ck_assert_uint_eq(atomic_load(&c.done), CHILDREN);
        ck_assert_uint_ge(policy_stat(p, "steals"), 1);
        ck_assert_int_eq(tpool_destroy(p), 0);
        pthread_mutex_destroy(&c.lock);
        pthread_cond_destroy(&c.cond);
    }
}
END_TEST

/* ---- fork-join ---------------------------------------------------------------------- */

/* Hot paths count failures instead of asserting: a passing Check assertion
 * costs a system call in fork mode, and fib(30) has millions of tasks. */
static _Atomic unsigned g_fib_errors;

typedef struct fib_arg {
    tpool *pool;
    int n;
    long result;
} fib_arg;

static void fib_task(void *arg)
{
    fib_arg *a = arg;
    if (a->n < 2) {
        a->result = a->n;
        return;
    }
    fib_arg l = { a->pool, a->n - 1, 0 }, r = { a->pool, a->n - 2, 0 };
    tpool_group *g;
    if (tpool_group_create(a->pool, &g) != 0) {
        atomic_fetch_add(&g_fib_errors, 1);
        return;
    }
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = g;
    if (tpool_submit(a->pool, fib_task, &l, &attr) != 0
        || tpool_submit(a->pool, fib_task, &r, &attr) != 0 || tpool_group_wait(g) != 0)
        atomic_fetch_add(&g_fib_errors, 1);
    tpool_group_destroy(g);
    a->result = l.result + r.result;
}

static long fib_seq(int n) { return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2); }

/* fib(30) is 2.7 million tasks, each waiting for its two children. 8
 * threads on however few cores: every waiting thread keeps running tasks,
 * and nothing deadlocks. TSan runs a smaller tree. */
START_TEST(test_fork_join_fib)
{
    int n = UNDER_TSAN ? 18 : 30;
    tpool *p = tu_pool("stealing", 8, NULL);
    fib_arg a = { p, n, 0 };
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(p, &g), 0);
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = g;
    ck_assert_int_eq(tpool_submit(p, fib_task, &a, &attr), 0);
    ck_assert_int_eq(tpool_group_wait(g), 0);
    tpool_group_destroy(g);
    ck_assert_int_eq(a.result, fib_seq(n));
    ck_assert_uint_eq(atomic_load(&g_fib_errors), 0);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    printf("fib(%d): %llu tasks, %llu steals\n", n, (unsigned long long)st.completed,
           (unsigned long long)policy_stat(p, "steals"));
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Fork-join started from inside a task and from several outside threads
 * at once. */
static void *fib_from_outside(void *arg)
{
    fib_arg *a = arg;
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(a->pool, &g), 0);
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = g;
    ck_assert_int_eq(tpool_submit(a->pool, fib_task, a, &attr), 0);
    ck_assert_int_eq(tpool_group_wait(g), 0);
    tpool_group_destroy(g);
    return NULL;
}

START_TEST(test_fork_join_concurrent_roots)
{
    enum { ROOTS = 4 };
    int n = UNDER_TSAN ? 14 : 20;
    tpool *p = tu_pool("stealing", 4, NULL);
    fib_arg a[ROOTS];
    pthread_t th[ROOTS];
    for (int i = 0; i < ROOTS; i++) {
        a[i] = (fib_arg){ p, n - i, 0 };
        ck_assert_int_eq(pthread_create(&th[i], NULL, fib_from_outside, &a[i]), 0);
    }
    for (int i = 0; i < ROOTS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(a[i].result, fib_seq(n - i));
    }
    ck_assert_uint_eq(atomic_load(&g_fib_errors), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- ranges of more than 2^32 - 1 items ----------------------------------------------- */

enum { MAX_PIECES = 1 << 16 };

typedef struct {
    size_t begin, end;
} piece;

typedef struct {
    piece *pieces;
    _Atomic size_t count;
    _Atomic size_t items;
} pieces_ctx;

static void record_piece(void *arg, size_t begin, size_t end, unsigned thread)
{
    pieces_ctx *c = arg;
    size_t k = atomic_fetch_add(&c->count, 1);
    if (k < MAX_PIECES)
        c->pieces[k] = (piece){ begin, end };
    atomic_fetch_add(&c->items, end - begin);
}

static int cmp_piece(const void *a, const void *b)
{
    const piece *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

/* The pieces tile [0, n) exactly: sorted by begin, each starts where the
 * previous ended, and none is empty. */
static void assert_tiling(piece *pc, size_t count, size_t n)
{
    qsort(pc, count, sizeof *pc, cmp_piece);
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        ck_assert_msg(pc[i].begin == at, "piece %zu starts at %zu, expected %zu", i,
                      pc[i].begin, at);
        ck_assert_msg(pc[i].end > pc[i].begin, "empty piece at %zu", pc[i].begin);
        at = pc[i].end;
    }
    ck_assert_uint_eq(at, n);
}

START_TEST(test_range_beyond_32_bits)
{
    if (sizeof(size_t) < 8)
        return;
    /* Not a multiple of the block size (3 items for this n), so the last
     * block is clipped. Big chunks keep the number of calls small. */
    size_t n = ((size_t)1 << 33) + 12345;
    tpool *p = tu_pool("stealing", 4, "{\"chunk\": 100000000}");
    pieces_ctx c = { .pieces = malloc(MAX_PIECES * sizeof(piece)) };
    atomic_init(&c.count, 0);
    atomic_init(&c.items, 0);
    ck_assert_int_eq(tpool_parallel_range(p, n, record_piece, &c, NULL), 0);
    size_t count = atomic_load(&c.count);
    ck_assert_uint_lt(count, MAX_PIECES);
    ck_assert_uint_eq(atomic_load(&c.items), n);
    assert_tiling(c.pieces, count, n);
    free(c.pieces);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- the range protocol, driven directly -------------------------------------------- */

typedef struct {
    tpool__policy_handle h;
    void *st;
} direct;

static void direct_open(direct *d, const char *policy, unsigned workers, const char *params)
{
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_new(&cfg), 0);
    ck_assert_int_eq(tpool_config_set_policy(cfg, policy), 0);
    if (params)
        ck_assert_int_eq(tpool_config_set_params(cfg, params, &err), 0);
    ck_assert_msg(tpool__policy_load(cfg, &d->h, &err) == 0, "%s", err.text);
    tpool_param_value v[16];
    ck_assert_uint_le(d->h.ops.nparams, 16);
    ck_assert_msg(tpool__params_resolve(cfg, &d->h.ops, v, &err) == 0, "%s", err.text);
    char ebuf[256] = "";
    tpool_policy_env env = { workers, workers + 1, v, ebuf, sizeof ebuf,
                             TPOOL_POLICY_ABI_VERSION };
    ck_assert_msg(d->h.ops.create(&env, &d->st) == 0, "create: %s", ebuf);
    tpool_config_free(cfg);
}

static void direct_close(direct *d)
{
    d->h.ops.destroy(d->st);
    tpool__policy_unload(&d->h);
}

/*
 * One thread plays P participants in a random interleaving. Checks: items
 * are handed out exactly once; a participant's first pieces come from its
 * own contiguous share, in order (sizes differ by at most one); and a
 * participant gets 0 only when nothing is left anywhere.
 */
static const char *const direct_params[] = {
    NULL, "{\"chunk\": 1}", "{\"chunk\": 7}", "{\"victim\": \"neighbour\"}",
    "{\"steal_fraction\": 0.01}", "{\"steal_fraction\": 1.0}",
};

START_TEST(test_direct_interleavings)
{
    unsigned seed = g_seed + (unsigned)_i;
    static const size_t sizes[] = { 2, 3, 10, 97, 1000, 65537 };
    for (size_t pi = 0; pi < sizeof direct_params / sizeof direct_params[0]; pi++) {
        for (unsigned P = 2; P <= 6; P++) {
            direct d;
            direct_open(&d, "stealing", P - 1, direct_params[pi]);
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                size_t n = sizes[si];
                if (n < P)
                    continue;
                tpool_range_job job = { .n = n, .participants = P };
                unsigned char *hits = calloc(n, 1);
                int finished[8] = { 0 };
                size_t handed = 0;
                d.h.ops.range_begin(d.st, &job);
                for (unsigned left = P; left > 0;) {
                    unsigned p = (unsigned)(rand_r(&seed) % P);
                    if (finished[p])
                        continue;
                    size_t b, e;
                    if (!d.h.ops.range_next(d.st, p, &b, &e)) {
                        if (handed != n)
                            ck_abort_msg(
                                      "params %s, P=%u, n=%zu: participant %u got 0 with "
                                      "%zu of %zu handed out",
                                      direct_params[pi] ? direct_params[pi] : "{}", P, n, p,
                                      handed, n);
                        finished[p] = 1;
                        left--;
                        continue;
                    }
                    if (b >= e || e > n)
                        ck_abort_msg("bad piece [%zu, %zu) of %zu", b, e, n);
                    for (size_t i = b; i < e; i++)
                        if (hits[i]++ != 0)
                            ck_abort_msg("item %zu handed out twice", i);
                    handed += e - b;
                }
                d.h.ops.range_end(d.st);
                free(hits);
            }
            direct_close(&d);
        }
    }
}
END_TEST

/* Participants that take turns strictly: each first drains its own share,
 * which must be the contiguous block p n / P .. (p + 1) n / P. */
START_TEST(test_direct_initial_shares)
{
    direct d;
    direct_open(&d, "stealing", 3, "{\"chunk\": 3}");
    size_t n = 1001;
    unsigned P = 4;
    tpool_range_job job = { .n = n, .participants = P };
    d.h.ops.range_begin(d.st, &job);
    for (unsigned p = 0; p < P; p++) {
        /* Nobody has stolen yet: p's pieces walk its share front to back. */
        size_t at = n * p / P, stop = n * (p + 1) / P, b, e;
        while (at < stop) {
            ck_assert(d.h.ops.range_next(d.st, p, &b, &e));
            ck_assert_uint_eq(b, at);
            ck_assert_uint_eq(e - b, stop - at < 3 ? stop - at : 3);
            at = e;
        }
        if (p + 1 == P) {
            ck_assert(!d.h.ops.range_next(d.st, p, &b, &e));
        }
    }
    d.h.ops.range_end(d.st);
    direct_close(&d);
}
END_TEST

/* One participant alone takes a job of 2^33 + 5 items: block boundaries
 * are multiples of the block size, the tiling is exact. */
START_TEST(test_direct_beyond_32_bits)
{
    if (sizeof(size_t) < 8)
        return;
    direct d;
    direct_open(&d, "stealing", 2, "{\"chunk\": 1000000000}");
    size_t n = ((size_t)1 << 33) + 5;
    tpool_range_job job = { .n = n, .participants = 3 };
    d.h.ops.range_begin(d.st, &job);
    piece *pc = malloc(MAX_PIECES * sizeof *pc);
    size_t count = 0, b, e;
    /* Participant 1 drains its share, then steals everything else. */
    while (d.h.ops.range_next(d.st, 1, &b, &e)) {
        ck_assert_uint_lt(count, MAX_PIECES);
        ck_assert_uint_eq(b % 3, 0); /* scale = ceil(n / (2^32 - 1)) = 3 */
        pc[count++] = (piece){ b, e };
    }
    ck_assert(!d.h.ops.range_next(d.st, 0, &b, &e));
    ck_assert(!d.h.ops.range_next(d.st, 2, &b, &e));
    assert_tiling(pc, count, n);
    free(pc);
    d.h.ops.range_end(d.st);
    direct_close(&d);
}
END_TEST

/* ---- tasks, driven directly ----------------------------------------------------------- */

START_TEST(test_direct_tasks)
{
    direct d;
    direct_open(&d, "stealing", 2, NULL);
    tpool_task t[6];
    memset(t, 0, sizeof t);
    /* Worker 0 pushes three: it pops them newest first. */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(d.h.ops.push(d.st, &t[i], 0), TPOOL_WAKE_ANY);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 0), &t[2]);
    /* Worker 1 has nothing of its own: it steals the oldest. */
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 1), &t[0]);
    /* The outside slot steals too. */
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 2), &t[1]);
    ck_assert_ptr_null(d.h.ops.pop(d.st, 0));
    ck_assert_ptr_null(d.h.ops.pop(d.st, 2));
    /* From outside: the injection queue, oldest first for everyone. */
    for (int i = 3; i < 6; i++)
        ck_assert_int_eq(d.h.ops.push(d.st, &t[i], 2), TPOOL_WAKE_ANY);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 1), &t[3]);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 2), &t[4]);
    ck_assert_ptr_eq(d.h.ops.pop(d.st, 0), &t[5]);
    ck_assert_ptr_null(d.h.ops.pop(d.st, 1));
    /* Statistics per slot: worker 1 and the outside slot stole one each. */
    uint64_t v[2];
    d.h.ops.stats_read(d.st, 1, v);
    ck_assert_uint_eq(v[0], 1);
    d.h.ops.stats_read(d.st, 2, v);
    ck_assert_uint_eq(v[0], 1);
    d.h.ops.stats_read(d.st, 0, v);
    ck_assert_uint_eq(v[0], 0);
    d.h.ops.stats_reset(d.st);
    d.h.ops.stats_read(d.st, 1, v);
    ck_assert_uint_eq(v[0], 0);
    direct_close(&d);
}
END_TEST

/* ---- resizing ------------------------------------------------------------------------- */

/*
 * Tasks queued in deques and in the injection queue survive a grow and a
 * shrink (stealing implements the resize op: its state, and so its
 * statistics, are kept). Children spawned by a task go to a deque; each
 * child waits at a gate that opens only after both resizes, so while the
 * pool changes size the workers are busy and the rest is queued.
 */
enum { GATED = 300 };

typedef struct {
    tpool *pool;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open, spawned;
    _Atomic unsigned ran[GATED + 100];
} gated_ctx;

static gated_ctx g_gated;

static void gated_child(void *arg)
{
    pthread_mutex_lock(&g_gated.lock);
    while (!g_gated.open)
        pthread_cond_wait(&g_gated.cond, &g_gated.lock);
    pthread_mutex_unlock(&g_gated.lock);
    atomic_fetch_add(&g_gated.ran[(uintptr_t)arg], 1);
}

static void gated_parent(void *arg)
{
    for (uintptr_t i = 0; i < GATED; i++)
        if (tpool_submit(g_gated.pool, gated_child, (void *)i, NULL) != 0)
            ck_abort_msg("submit failed");
    pthread_mutex_lock(&g_gated.lock);
    g_gated.spawned = 1;
    pthread_cond_broadcast(&g_gated.cond);
    pthread_mutex_unlock(&g_gated.lock);
}

START_TEST(test_resize_keeps_tasks_and_stats)
{
    tpool *p = tu_pool("stealing", 4, NULL);
    /* Some steals first, to see that the counters survive. */
    spawn_ctx sc = { .pool = p };
    atomic_init(&sc.done, 0);
    pthread_mutex_init(&sc.lock, NULL);
    pthread_cond_init(&sc.cond, NULL);
    ck_assert_int_eq(tpool_submit(p, parent, &sc, NULL), 0);
    pthread_mutex_lock(&sc.lock);
    while (atomic_load(&sc.done) < CHILDREN)
        pthread_cond_wait(&sc.cond, &sc.lock);
    pthread_mutex_unlock(&sc.lock);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    uint64_t steals = policy_stat(p, "steals");
    ck_assert_uint_ge(steals, 1);

    memset(&g_gated, 0, sizeof g_gated);
    g_gated.pool = p;
    pthread_mutex_init(&g_gated.lock, NULL);
    pthread_cond_init(&g_gated.cond, NULL);
    ck_assert_int_eq(tpool_submit(p, gated_parent, NULL, NULL), 0);
    for (uintptr_t i = GATED; i < GATED + 100; i++) /* injection queue */
        ck_assert_int_eq(tpool_submit(p, gated_child, (void *)i, NULL), 0);
    pthread_mutex_lock(&g_gated.lock);
    while (!g_gated.spawned)
        pthread_cond_wait(&g_gated.cond, &g_gated.lock);
    pthread_mutex_unlock(&g_gated.lock);

    ck_assert_int_eq(tpool_set_threads(p, 6), 0);
    ck_assert_uint_eq(tpool_threads(p), 6);
    ck_assert_int_eq(tpool_set_threads(p, 2), 0);
    ck_assert_uint_eq(tpool_threads(p), 2);
    ck_assert_uint_ge(policy_stat(p, "steals"), steals); /* kept, not restarted */

    pthread_mutex_lock(&g_gated.lock);
    g_gated.open = 1;
    pthread_cond_broadcast(&g_gated.cond);
    pthread_mutex_unlock(&g_gated.lock);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    for (size_t i = 0; i < GATED + 100; i++)
        ck_assert_msg(atomic_load(&g_gated.ran[i]) == 1, "task %zu ran %u times", i,
                      atomic_load(&g_gated.ran[i]));

    /* The resized pool still runs parallel-fors and fork-join. */
    ck_assert_int_eq(tpool_set_threads(p, 5), 0);
    size_t n = 10007;
    block_ctx c = { .n = n };
    c.hits = calloc(n, 1);
    atomic_init(&c.processed, 0);
    atomic_init(&c.someone_blocked, 1); /* nobody blocks */
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.cond, NULL);
    ck_assert_int_eq(tpool_parallel_range(p, n, block_body, &c, NULL), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(c.hits[i], 1);
    free(c.hits);
    fib_arg a = { p, 15, 0 };
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(p, &g), 0);
    tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
    attr.group = g;
    ck_assert_int_eq(tpool_submit(p, fib_task, &a, &attr), 0);
    ck_assert_int_eq(tpool_group_wait(g), 0);
    tpool_group_destroy(g);
    ck_assert_int_eq(a.result, 610);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- the pool under parameters, and parameter errors ------------------------------------ */

typedef struct {
    _Atomic unsigned char *hits;
} visit_ctx;

static void visit(void *arg, size_t begin, size_t end, unsigned thread)
{
    visit_ctx *c = arg;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&c->hits[i], 1, memory_order_relaxed);
}

static void hit(void *arg)
{
    atomic_fetch_add_explicit((_Atomic unsigned *)arg, 1, memory_order_relaxed);
}

START_TEST(test_params_exactly_once)
{
    static const char *const params[] = {
        "{\"victim\": \"neighbour\", \"steal_attempts\": 1}",
        "{\"victim\": \"random\", \"steal_attempts\": 100}",
        "{\"chunk\": 1, \"steal_fraction\": 0.01}",
        "{\"chunk\": 1000, \"steal_fraction\": 1}",
    };
    for (size_t k = 0; k < sizeof params / sizeof params[0]; k++) {
        for (unsigned threads = 2; threads <= 5; threads += 3) {
            tpool *p = tu_pool("stealing", threads, params[k]);
            size_t n = 50021;
            visit_ctx c = { calloc(n, 1) };
            ck_assert_int_eq(tpool_parallel_range(p, n, visit, &c, NULL), 0);
            for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(c.hits[i], 1);
            free(c.hits);
            _Atomic unsigned count = 0;
            for (int i = 0; i < 5000; i++)
                ck_assert_int_eq(tpool_submit(p, hit, &count, NULL), 0);
            ck_assert_int_eq(tpool_wait_all(p), 0);
            ck_assert_uint_eq(atomic_load(&count), 5000);
            ck_assert_int_eq(tpool_destroy(p), 0);
        }
    }
}
END_TEST

static const struct {
    const char *params, *key;
} bad_params[] = {
    { "{\"victim\": \"sideways\"}", "params.victim" },
    { "{\"victim\": 1}", "params.victim" },
    { "{\"steal_attempts\": -1}", "params.steal_attempts" },
    { "{\"chunk\": \"big\"}", "params.chunk" },
    { "{\"chunk\": -5}", "params.chunk" },
    { "{\"grain_ns\": -1}", "params.grain_ns" },
    { "{\"steal_fraction\": 0}", "params.steal_fraction" },
    { "{\"steal_fraction\": 1.5}", "params.steal_fraction" },
    { "{\"stealfraction\": 0.5}", "params.stealfraction" },
};

START_TEST(test_param_errors_name_the_key)
{
    tu_expect_param_error("stealing", bad_params[_i].params, bad_params[_i].key, NULL);
}
END_TEST

int main(void)
{
    g_seed = tu_seed("stealing");
    Suite *s = suite_create("stealing");
    TCase *tc = tcase_create("stealing");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_blocked_participant_share_is_stolen, 0,
                        sizeof block_cases / sizeof block_cases[0]);
    tcase_add_test(tc, test_blocked_worker_tasks_are_stolen);
    tcase_add_test(tc, test_fork_join_fib);
    tcase_add_test(tc, test_fork_join_concurrent_roots);
    tcase_add_test(tc, test_range_beyond_32_bits);
    tcase_add_loop_test(tc, test_direct_interleavings, 0, 4);
    tcase_add_test(tc, test_direct_initial_shares);
    tcase_add_test(tc, test_direct_beyond_32_bits);
    tcase_add_test(tc, test_direct_tasks);
    tcase_add_test(tc, test_resize_keeps_tasks_and_stats);
    tcase_add_test(tc, test_params_exactly_once);
    tcase_add_loop_test(tc, test_param_errors_name_the_key, 0,
                        sizeof bad_params / sizeof bad_params[0]);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
