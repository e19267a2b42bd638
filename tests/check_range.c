/* check_range.c - tpool_parallel_range: exactly-once (also call after call
 * on the tile path), inline paths, nesting,
 * concurrent callers, flags (the per-policy runs are in check_conformance),
 * a heavy item among cheap ones under the balancing policies, calls back
 * to back under every policy, and a call that returns while a worker is
 * still inside its job. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "testutil.h"

typedef struct {
    _Atomic unsigned char *hits;
    unsigned threads;
    _Atomic unsigned calls;
    _Atomic unsigned bad_thread;
} visit_ctx;

static void visit(void *arg, size_t begin, size_t end, unsigned thread)
{
    visit_ctx *c = arg;
    atomic_fetch_add(&c->calls, 1);
    if (thread >= c->threads)
        atomic_store(&c->bad_thread, thread + 1);
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&c->hits[i], 1, memory_order_relaxed);
}

static void check_visits(tpool *p, size_t n)
{
    visit_ctx c = { .threads = tpool_threads(p) };
    c.hits = calloc(n ? n : 1, 1);
    ck_assert_int_eq(tpool_parallel_range(p, n, visit, &c, NULL), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(c.hits[i] == 1, "n=%zu: item %zu visited %u times", n, i, c.hits[i]);
    ck_assert_msg(atomic_load(&c.bad_thread) == 0, "thread index %u out of range",
                  atomic_load(&c.bad_thread) - 1);
    if (n == 0)
        ck_assert_uint_eq(atomic_load(&c.calls), 0);
    free(c.hits);
}

static const size_t sizes[] = { 0, 1, 2, 3, 7, 97, 1009, 65537 };

START_TEST(test_exactly_once_sizes)
{
    for (unsigned threads = 1; threads <= 8; threads++) {
        tpool *p = tu_pool("fifo", threads, NULL);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            check_visits(p, sizes[k]);
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
    /* A NULL pool runs on the caller. */
    check_visits(NULL, 1009);
}
END_TEST

/*
 * The tile path (fifo, priority), call after call: the caller takes the
 * never-pushed tiles with a CAS on the block's bounds while poppers take
 * the next one to push with theirs, and cheap items are claimed several
 * tiles at once. Each call of many, with cheap and with dearer items,
 * visits every item exactly once.
 */
typedef struct {
    _Atomic unsigned char *hits;
    unsigned spin; /* busy iterations per item: cheap (0) or dearer */
} tile_visit_ctx;

static void tile_visit(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    tile_visit_ctx *c = arg;
    for (size_t i = begin; i < end; i++) {
        for (volatile unsigned k = 0; k < c->spin; k++)
            ;
        atomic_fetch_add_explicit(&c->hits[i], 1, memory_order_relaxed);
    }
}

START_TEST(test_tile_path_repeated)
{
    static const char *const policies[] = { "fifo", "priority" };
    static const unsigned spins[] = { 0, 200 };
    enum { N = 1000, CALLS = 200 };
    tile_visit_ctx c = { .hits = calloc(N, 1) };
    ck_assert_ptr_nonnull(c.hits);
    for (size_t k = 0; k < sizeof policies / sizeof policies[0]; k++)
        for (unsigned threads = 2; threads <= 4; threads++) {
            tpool *p = tu_pool(policies[k], threads, NULL);
            for (size_t s = 0; s < sizeof spins / sizeof spins[0]; s++) {
                c.spin = spins[s];
                for (unsigned call = 0; call < CALLS; call++) {
                    for (size_t i = 0; i < N; i++)
                        atomic_store_explicit(&c.hits[i], 0, memory_order_relaxed);
                    ck_assert_int_eq(tpool_parallel_range(p, N, tile_visit, &c, NULL), 0);
                    for (size_t i = 0; i < N; i++)
                        ck_assert_msg(atomic_load(&c.hits[i]) == 1,
                                      "%s, %u threads, spin %u, call %u: item %zu visited %u "
                                      "times",
                                      policies[k], threads, c.spin, call, i,
                                      atomic_load(&c.hits[i]));
                }
            }
            ck_assert_int_eq(tpool_destroy(p), 0);
        }
    free(c.hits);
}
END_TEST

typedef struct {
    pthread_t caller;
    _Atomic int off_caller;
    size_t items;
} inline_ctx;

static void on_caller(void *arg, size_t begin, size_t end, unsigned thread)
{
    inline_ctx *c = arg;
    if (!pthread_equal(pthread_self(), c->caller) || thread != 0)
        atomic_store(&c->off_caller, 1);
    c->items += end - begin;
}

START_TEST(test_min_work_size_inline)
{
    tpool *p = tu_pool("fifo", 4, NULL);
    ck_assert_uint_eq(tpool_get_min_work_size(p), 1);
    tpool_set_min_work_size(p, 1000);
    ck_assert_uint_eq(tpool_get_min_work_size(p), 1000);
    inline_ctx c = { .caller = pthread_self() };
    ck_assert_int_eq(tpool_parallel_range(p, 999, on_caller, &c, NULL), 0);
    ck_assert_int_eq(atomic_load(&c.off_caller), 0);
    ck_assert_uint_eq(c.items, 999);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Nested: a parallel-for from inside a parallel-for body and from a task. */
typedef struct {
    tpool *pool;
    _Atomic size_t inner_items;
} nest_ctx;

static void inner(void *arg, size_t begin, size_t end, unsigned thread)
{
    nest_ctx *c = arg;
    atomic_fetch_add(&c->inner_items, end - begin);
}

static void outer(void *arg, size_t begin, size_t end, unsigned thread)
{
    nest_ctx *c = arg;
    for (size_t i = begin; i < end; i++)
        ck_assert_int_eq(tpool_parallel_range(c->pool, 100, inner, c, NULL), 0);
}

static void task_with_range(void *arg)
{
    nest_ctx *c = arg;
    ck_assert_int_eq(tpool_parallel_range(c->pool, 1000, inner, c, NULL), 0);
}

START_TEST(test_nested)
{
    tpool *p = tu_pool("fifo", 4, NULL);
    nest_ctx c = { .pool = p };
    ck_assert_int_eq(tpool_parallel_range(p, 50, outer, &c, NULL), 0);
    ck_assert_uint_eq(atomic_load(&c.inner_items), 5000);
    atomic_store(&c.inner_items, 0);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(tpool_submit(p, task_with_range, &c, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_uint_eq(atomic_load(&c.inner_items), 20000);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* Several outside threads call on one pool at once. */
static void *range_caller(void *arg)
{
    tpool *p = arg;
    for (int r = 0; r < 50; r++)
        check_visits(p, 3001);
    return NULL;
}

START_TEST(test_concurrent_callers)
{
    tpool *p = tu_pool("fifo", 3, NULL);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, range_caller, p);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.parallel_calls, 200);
    uint64_t items = 0;
    for (unsigned w = 0; w <= st.workers; w++)
        items += st.per_worker[w].items_run;
    ck_assert_uint_eq(items, 200u * 3001u);
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

#if defined(__x86_64__)
static void check_ftz(void *arg, size_t begin, size_t end, unsigned thread)
{
    _Atomic int *bad = arg;
    if ((_mm_getcsr() & 0x8040u) != 0x8040u)
        atomic_store(bad, 1);
}

START_TEST(test_denormals_flag)
{
    tpool *p = tu_pool("fifo", 3, NULL);
    _Atomic int bad = 0;
    unsigned before = _mm_getcsr();
    tpool_range_opts o = { .flags = TPOOL_FLAG_DISABLE_DENORMALS };
    ck_assert_int_eq(tpool_parallel_range(p, 1000, check_ftz, &bad, &o), 0);
    ck_assert_int_eq(atomic_load(&bad), 0);
    ck_assert_uint_eq(_mm_getcsr(), before); /* restored */
    ck_assert_int_eq(tpool_parallel_range(NULL, 10, check_ftz, &bad, &o), 0);
    ck_assert_int_eq(atomic_load(&bad), 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST
#endif

START_TEST(test_yield_flag)
{
    tpool *p = tu_pool("fifo", 3, NULL);
    visit_ctx c = { .threads = 3 };
    c.hits = calloc(5000, 1);
    tpool_range_opts o = { .flags = TPOOL_FLAG_YIELD_WORKERS };
    ck_assert_int_eq(tpool_parallel_range(p, 5000, visit, &c, &o), 0);
    for (size_t i = 0; i < 5000; i++)
        ck_assert_uint_eq(c.hits[i], 1);
    free(c.hits);
    ck_assert_int_eq(tpool_parallel_range(p, 10, NULL, NULL, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- one heavy item among cheap ones ---------------------------------------------------
 *
 * Item `heavy` blocks until every item outside its own chunk has run; the
 * others cost about CHEAP_NS each (a spin on the clock). A balancing policy
 * must let the other participants take all those items, so the heavy
 * item's chunk must be small: chunks cut by the items' time (the policies'
 * grain_ns) must not lump cheap-looking items behind it when they are not
 * cheap. A policy that kept items out of reach would hang (the count is
 * never reached; a generous timeout turns that into a failure). */
enum { HEAVY_N = 1000, CHEAP_NS = 2000 };

typedef struct {
    size_t heavy;
    _Atomic size_t processed;
    _Atomic size_t heavy_chunk; /* items of the chunk that held it */
    _Atomic int timed_out;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} heavy_ctx;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void heavy_body(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    heavy_ctx *c = arg;
    for (size_t i = begin; i < end; i++) {
        if (i != c->heavy) {
            for (uint64_t t0 = mono_ns(); mono_ns() - t0 < CHEAP_NS;)
                ;
            continue;
        }
        atomic_store(&c->heavy_chunk, end - begin);
        size_t others = HEAVY_N - (end - begin);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 60;
        pthread_mutex_lock(&c->lock);
        while (atomic_load(&c->processed) < others)
            if (pthread_cond_timedwait(&c->cond, &c->lock, &until) != 0) {
                atomic_store(&c->timed_out, 1);
                break;
            }
        pthread_mutex_unlock(&c->lock);
    }
    atomic_fetch_add(&c->processed, end - begin);
    pthread_mutex_lock(&c->lock);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static const struct {
    const char *policy;
    unsigned threads;
} heavy_cases[] = {
    { "stealing", 2 }, { "stealing", 4 }, { "dynamic", 2 }, { "dynamic", 4 },
};

START_TEST(test_heavy_item_spreads)
{
    static const size_t where[] = { 0, 1, HEAVY_N / 2 - 1, HEAVY_N / 2, HEAVY_N - 1 };
    tpool *p = tu_pool(heavy_cases[_i].policy, heavy_cases[_i].threads, NULL);
    for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
        heavy_ctx c = { .heavy = where[w] };
        atomic_init(&c.processed, 0);
        atomic_init(&c.heavy_chunk, 0);
        atomic_init(&c.timed_out, 0);
        pthread_mutex_init(&c.lock, NULL);
        pthread_cond_init(&c.cond, NULL);
        ck_assert_int_eq(tpool_parallel_range(p, HEAVY_N, heavy_body, &c, NULL), 0);
        ck_assert_msg(!atomic_load(&c.timed_out),
                      "%s, %u threads, heavy item %zu: the others could not take the items "
                      "outside its chunk of %zu",
                      heavy_cases[_i].policy, heavy_cases[_i].threads, c.heavy,
                      atomic_load(&c.heavy_chunk));
        ck_assert_uint_eq(atomic_load(&c.processed), HEAVY_N);
        /* The largest first chunk is dynamic's, remaining / (2 P). */
        ck_assert_msg(atomic_load(&c.heavy_chunk) <= HEAVY_N / 4,
                      "%s, %u threads: heavy item %zu came in a chunk of %zu items",
                      heavy_cases[_i].policy, heavy_cases[_i].threads, c.heavy,
                      atomic_load(&c.heavy_chunk));
        pthread_mutex_destroy(&c.lock);
        pthread_cond_destroy(&c.cond);
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- calls back to back; a worker left inside a finished job ------------------ */

#define MAXPOL 16
static const char *g_pol[MAXPOL];
static int g_npol;

typedef struct {
    _Atomic unsigned char hits[8];
    _Atomic int open;  /* 1 while the call runs */
    _Atomic int late;  /* body calls after the call returned */
} b2b_ctx;

static void b2b_body(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    b2b_ctx *c = arg;
    if (!atomic_load(&c->open))
        atomic_fetch_add(&c->late, 1);
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&c->hits[i], 1);
}

/* Calls of a few empty items one after the other, so that a worker often
 * enters a job only after the caller ran it all and returned (or even
 * after the next call opened): every item runs once, in its own call, and
 * no body runs after its call returned (a late one would count in the
 * next call's items too). */
START_TEST(test_back_to_back_calls)
{
    const char *pol = g_pol[_i / 2];
    unsigned threads = 2 + _i % 2;
    tpool *p = tu_pool(pol, threads, NULL);
    b2b_ctx c;
    memset(&c, 0, sizeof c);
    for (unsigned call = 0; call < 3000; call++) {
        size_t n = 2 + call % 6;
        atomic_store(&c.open, 1);
        ck_assert_int_eq(tpool_parallel_range(p, n, b2b_body, &c, NULL), 0);
        atomic_store(&c.open, 0);
        for (size_t i = 0; i < 8; i++) {
            unsigned h = atomic_exchange(&c.hits[i], 0);
            ck_assert_msg(h == (i < n), "%s, T=%u, call %u (n=%zu): item %zu ran %u times",
                          pol, threads, call, n, i, h);
        }
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
    ck_assert_int_eq(atomic_load(&c.late), 0);
}
END_TEST

/* mod_straggler's control block (tests/modules/mod_straggler.c). */
typedef struct {
    atomic_int hold, held, release, gave_up, inside, overlaps, unended;
    atomic_long begun, ended;
} straggler_ctl;

typedef struct {
    straggler_ctl *ctl;
    _Atomic unsigned items;
    _Atomic int held_seen; /* the worker was inside when the item ran */
} straggler_ctx;

/* The caller's item waits (bounded) until the worker is held inside the
 * job, so the call surely returns with the worker still there. */
static void straggler_item(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    straggler_ctx *c = arg;
    for (time_t t0 = time(NULL); !atomic_load(&c->ctl->held) && time(NULL) - t0 < 30;)
        sched_yield();
    atomic_store(&c->held_seen, atomic_load(&c->ctl->held));
    atomic_fetch_add(&c->items, (unsigned)(end - begin));
}

static void count_item(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    atomic_fetch_add((_Atomic unsigned *)arg, (unsigned)(end - begin));
}

typedef struct {
    tpool *p;
    _Atomic int started;
    _Atomic unsigned items;
    int rc;
} next_call;

static void *call_next(void *arg)
{
    next_call *nc = arg;
    atomic_store(&nc->started, 1);
    nc->rc = tpool_parallel_range(nc->p, 4, count_item, &nc->items, NULL);
    return NULL;
}

/* A call returns while a worker is still inside its job (held in
 * range_next by the policy): the call does not wait for it, and the next
 * call, made while the worker is still held, waits for it before the
 * policy's range_begin; range_end always comes in between, and never
 * with a thread inside range_next. */
START_TEST(test_return_with_worker_inside)
{
    const char *dir = getenv("TPOOL_TEST_MODULES");
    ck_assert_msg(dir && *dir, "TPOOL_TEST_MODULES is not set (run through make check)");
    char path[512];
    snprintf(path, sizeof path, "%s/mod_straggler.so", dir);
    tpool *p = tu_pool(path, 2, NULL);
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    ck_assert_msg(h, "mod_straggler is not loaded: %s", dlerror());
    straggler_ctl *ctl = dlsym(h, "mod_straggler_ctl_block");
    ck_assert_ptr_nonnull(ctl);

    straggler_ctx c = { .ctl = ctl };
    atomic_store(&ctl->hold, 1);
    ck_assert_int_eq(tpool_parallel_range(p, 3, straggler_item, &c, NULL), 0);
    /* Returned with the worker still held (the test has not let it go). */
    ck_assert_int_eq(atomic_load(&ctl->gave_up), 0);
    ck_assert_int_eq(atomic_load(&c.held_seen), 1);
    ck_assert_int_eq(atomic_load(&ctl->held), 1);
    ck_assert_uint_eq(atomic_load(&c.items), 3);

    /* The next call, from another thread, while the worker is held. */
    next_call nc = { .p = p };
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, call_next, &nc), 0);
    while (!atomic_load(&nc.started))
        sched_yield();
    atomic_store(&ctl->release, 1);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(nc.rc, 0);
    ck_assert_uint_eq(atomic_load(&nc.items), 4);

    /* A resize settles the last job: every range_begin has its range_end. */
    ck_assert_int_eq(tpool_set_threads(p, 3), 0);
    printf("straggler: begun %ld, ended %ld, overlaps %d, unended %d\n",
           atomic_load(&ctl->begun), atomic_load(&ctl->ended), atomic_load(&ctl->overlaps),
           atomic_load(&ctl->unended));
    ck_assert_int_eq(atomic_load(&ctl->begun), 2);
    ck_assert_int_eq(atomic_load(&ctl->ended), 2);
    ck_assert_int_eq(atomic_load(&ctl->overlaps), 0);
    ck_assert_int_eq(atomic_load(&ctl->unended), 0);
    ck_assert_int_eq(atomic_load(&ctl->gave_up), 0);
    dlclose(h);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("range");
    TCase *tc = tcase_create("range");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_exactly_once_sizes);
    tcase_add_test(tc, test_tile_path_repeated);
    tcase_add_test(tc, test_min_work_size_inline);
    tcase_add_test(tc, test_nested);
    tcase_add_test(tc, test_concurrent_callers);
#if defined(__x86_64__)
    tcase_add_test(tc, test_denormals_flag);
#endif
    tcase_add_test(tc, test_yield_flag);
    tcase_add_loop_test(tc, test_heavy_item_spreads, 0,
                        sizeof heavy_cases / sizeof heavy_cases[0]);
    g_npol = tu_policies_print("range", g_pol, MAXPOL);
    tcase_add_loop_test(tc, test_back_to_back_calls, 0, 2 * g_npol);
    tcase_add_test(tc, test_return_with_worker_inside);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
