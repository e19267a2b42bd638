/* check_bench_recorder.c - tpool-bench's recorder (harness/workload.c): the
 * index sums and the item check (every wrong pattern of up to four items is
 * caught, as docs/harness.md says, and the smallest pattern that escapes has
 * five), imbalance from the recorded work over every participant (a
 * balanced task workload on a pool is balanced), tasks run by their
 * producer, a cell's figures from its rounds, the trace buffers and the
 * calibration of the recorder's own cost. */
#define _GNU_SOURCE
#include <math.h>

#include "bench.h"
#include "testutil.h"

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.12g, expected %.12g", #a, \
                                 (double)(a), (double)(b))

/* The closed forms against the sums themselves (mod 2^64), and their steps
 * S(n + 1) - S(n) = n, n^2 where n is too large to sum. */
START_TEST(index_sums)
{
    uint64_t s1 = 0, s2 = 0;
    for (uint64_t n = 0; n < 5000; n++) {
        ck_assert_uint_eq(bench_sum1(n), s1);
        ck_assert_uint_eq(bench_sum2(n), s2);
        s1 += n;
        s2 += n * n;
    }
    uint64_t rng = 12345;
    for (int i = 0; i < 100000; i++) {
        uint64_t n = bench_rand(&rng) >> (1 + bench_rand(&rng) % 40); /* below 2^63 */
        ck_assert_uint_eq(bench_sum1(n + 1) - bench_sum1(n), n);
        ck_assert_uint_eq(bench_sum2(n + 1) - bench_sum2(n), n * n);
    }
}
END_TEST

/* Items 0..n-1 recorded by three participants in chunks of 1..7 items, the
 * way a parallel-for hands them out: the check passes. */
START_TEST(item_check_right)
{
    char msg[256];
    for (uint64_t n = 0; n < 300; n += 7) {
        bench_rec_reset(0, 0, 0);
        uint64_t f = 0, k = 0;
        while (f < n) {
            uint64_t c = 1 + (f * 5 + k) % 7;
            if (c > n - f)
                c = n - f;
            bench_rec_items((unsigned)(k++ % 3), f, c, c);
            f += c;
        }
        ck_assert_msg(bench_rec_check_items(n, msg, sizeof msg) == 0, "n %llu: %s",
                      (unsigned long long)n, msg);
    }
    /* a thread past the last slot is still counted exactly */
    bench_rec_reset(0, 0, 0);
    bench_rec_items(0, 0, 10, 10);
    bench_rec_items(BENCH_NO_SLOT, 10, 5, 5);
    ck_assert_uint_eq(atomic_load(&bench_g_rec.overflow), 1);
    ck_assert_int_eq(bench_rec_check_items(15, msg, sizeof msg), 0);
    ck_assert_int_ne(bench_rec_check_items(16, msg, sizeof msg), 0);
}
END_TEST

/* Records item i runs[i] times, spread over slots. */
static int check_runs(const unsigned *runs, unsigned n, char *msg, size_t size)
{
    bench_rec_reset(0, 0, 0);
    for (unsigned i = 0; i < n; i++)
        for (unsigned r = 0; r < runs[i]; r++)
            bench_rec_items((i + r) % 4, i, 1, 1);
    return bench_rec_check_items(n, msg, size);
}

/* Every pattern of one to four wrong items among nine (each run 0, 2 or 3
 * times instead of once) fails the check. */
START_TEST(item_check_every_small_error)
{
    enum { N = 9 };
    static const unsigned wrong_runs[] = { 0, 2, 3 };
    char msg[256];
    unsigned long patterns = 0;
    for (unsigned mask = 1; mask < (1u << N); mask++) {
        unsigned pos[N], k = 0;
        for (unsigned i = 0; i < N; i++)
            if (mask & (1u << i))
                pos[k++] = i;
        if (k > 4)
            continue;
        unsigned combos = 1;
        for (unsigned i = 0; i < k; i++)
            combos *= 3;
        for (unsigned c = 0; c < combos; c++) {
            unsigned runs[N];
            for (unsigned i = 0; i < N; i++)
                runs[i] = 1;
            for (unsigned i = 0, x = c; i < k; i++, x /= 3)
                runs[pos[i]] = wrong_runs[x % 3];
            msg[0] = '\0';
            ck_assert_msg(check_runs(runs, N, msg, sizeof msg) != 0,
                          "a wrong pattern passed (mask %#x, choice %u)", mask, c);
            ck_assert(msg[0] != '\0');
            patterns++;
        }
    }
    ck_assert_uint_eq(patterns, 9 * 3 + 36 * 9 + 84 * 27 + 126 * 81);
    /* The documented limit: item 2 three times and 9 twice, 0, 5 and 8
     * never, balance in count, sum and sum of squares. */
    unsigned runs[10] = { 0, 1, 3, 1, 1, 0, 1, 1, 0, 2 };
    ck_assert_int_eq(check_runs(runs, 10, msg, sizeof msg), 0);
    /* the messages say which way */
    unsigned twice[3] = { 2, 1, 1 }, never[3] = { 0, 1, 1 }, swap[3] = { 2, 0, 1 };
    ck_assert_int_ne(check_runs(twice, 3, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "more than once") != NULL, "%s", msg);
    ck_assert_int_ne(check_runs(never, 3, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "never ran") != NULL, "%s", msg);
    ck_assert_int_ne(check_runs(swap, 3, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "ran twice and another never") != NULL, "%s", msg);
}
END_TEST

START_TEST(imbalance_from_work)
{
    ck_assert_int_eq(bench_rec_reset(0, 0, 0), 0);
    ck_assert(isnan(bench_rec_imbalance(4)));
    bench_rec_items(0, 0, 3, 300);
    bench_rec_items(1, 3, 1, 100);
    bench_rec_items(1, 4, 1, 100); /* 200 in all */
    NEAR(bench_rec_imbalance(2), 300.0 / 250.0);
    NEAR(bench_rec_imbalance(4), 300.0 / 125.0); /* idle participants count */
    ck_assert_uint_eq(bench_g_rec.slots[1].calls, 2);
    ck_assert_uint_eq(bench_g_rec.slots[1].items, 2);
    /* equal work is 1, never below */
    bench_rec_reset(0, 0, 0);
    for (unsigned s = 0; s < 3; s++)
        bench_rec_items(s, s, 1, 7);
    NEAR(bench_rec_imbalance(3), 1);
    /* the slot of this thread is stable within a run, fresh after a reset */
    unsigned a = bench_rec_slot(), b = bench_rec_slot();
    ck_assert_uint_eq(a, b);
    ck_assert_uint_eq(a, 0);
    bench_rec_reset(0, 0, 0);
    ck_assert_uint_eq(bench_rec_slot(), 0);
}
END_TEST

/* Slices are kept only in a traced run, up to the cap. */
START_TEST(trace_slices)
{
    bench_rec_reset(0, 0, 0);
    bench_rec_span(0, 1, 2, 0);
    ck_assert_uint_eq(bench_g_rec.slots[0].nev, 0);
    ck_assert_int_eq(bench_rec_reset(1, 2, 4), 0);
    for (int i = 0; i < 6; i++)
        bench_rec_span(0, (uint64_t)i, (uint64_t)i + 1, (uint64_t)i);
    ck_assert_uint_eq(bench_g_rec.slots[0].nev, 4);
    ck_assert_uint_eq(bench_g_rec.slots[0].dropped, 2);
    bench_rec_span(3, 0, 1, 0); /* past trace_slots: no buffer */
    ck_assert_uint_eq(bench_g_rec.slots[3].nev, 0);
    bench_rec_free();
}
END_TEST

typedef struct other {
    unsigned producer; /* slot of the thread that "submitted" the tasks */
    unsigned tasks;
    unsigned slot;     /* out: the other thread's slot */
} other;

static void *run_tasks(void *arg)
{
    other *o = arg;
    for (unsigned i = 0; i < o->tasks; i++)
        o->slot = bench_rec_task(o->producer, 100 + i, 1, 1);
    return NULL;
}

/* A task counts as its producer's own when the thread that submitted it
 * runs it; a cell's figures come from its rounds. */
START_TEST(producer_share_and_cell)
{
    const bench_rec_costs *k = bench_rec_calibrate(); /* between runs */
    bench_rec_reset(0, 0, 0);
    unsigned me = bench_rec_slot();
    for (unsigned i = 0; i < 30; i++)
        ck_assert_uint_eq(bench_rec_task(me, i, 1, 1), me);
    for (unsigned i = 30; i < 100; i++)
        bench_rec_items(me, i, 1, 1); /* items of no task */
    other o = { me, 10, 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, run_tasks, &o), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_uint_ne(o.slot, me);
    ck_assert_uint_eq(bench_g_rec.slots[me].tasks, 30);
    ck_assert_uint_eq(bench_g_rec.slots[me].own, 30);
    ck_assert_uint_eq(bench_g_rec.slots[o.slot].tasks, 10);
    ck_assert_uint_eq(bench_g_rec.slots[o.slot].own, 0);
    char msg[256];
    ck_assert_msg(bench_rec_check_items(110, msg, sizeof msg) == 0, "%s", msg);

    /* one round of a cell at T = 4: two participants ran work, two none */
    double imb[2];
    bench_cell c;
    memset(&c, 0, sizeof c);
    c.threads = 4;
    c.imbalance = imb;
    ck_assert_int_eq(bench_cell_record_round(&c, 0), 0); /* no stamped tasks */
    NEAR(imb[0], 100.0 / (110.0 / 4));
    ck_assert_uint_eq(c.nparts, 4);
    NEAR(c.part_share[0], 100.0 / 110);
    NEAR(c.part_share[1], 10.0 / 110);
    ck_assert_uint_eq(c.rec_tasks, 40);
    ck_assert_uint_eq(c.rec_own, 30);
    ck_assert_uint_eq(c.rec_calls, 110);
    ck_assert_uint_eq(c.rec_clock_reads, 0);
    c.rec_clock_reads = 160; /* as if some tasks had been stamped, in both rounds */
    /* a second round, the same */
    ck_assert_int_eq(bench_cell_record_round(&c, 1), 0);
    c.nrounds = 2;
    c.t.median = 1e6;
    bench_rec_figures f;
    bench_cell_rec_figures(&c, k, &f);
    NEAR(f.calls, 110);
    NEAR(f.tasks, 40);
    NEAR(f.producer_share, 0.75);
    NEAR(f.cost_ns, 110 * k->per_call + 40 * k->per_task + 80 * k->per_clock);
    NEAR(f.cost_share, f.cost_ns / (1e6 * 4));
    free(c.part_share);

    /* a cell without measured rounds, or without tasks, has no figures */
    memset(&c, 0, sizeof c);
    bench_cell_rec_figures(&c, k, &f);
    ck_assert(isnan(f.calls) && isnan(f.producer_share) && isnan(f.cost_share));
    c.nrounds = 1;
    c.rec_calls = 5;
    bench_cell_rec_figures(&c, k, &f);
    ck_assert(isnan(f.producer_share) && isnan(f.cost_share));
    NEAR(f.calls, 5);
}
END_TEST

/* Two tasks, each waiting until the other has started: on a pool of two
 * (a worker and the caller, which runs tasks while it waits for the group)
 * each participant runs one, so the harness's imbalance of this balanced
 * task workload is 1, not the 2.00 that per-worker busy time reported when
 * the caller's tasks went uncounted. */
typedef struct pair {
    _Atomic unsigned started;
    unsigned producer;
    _Atomic int timed_out;
} pair;

static void pair_task(void *arg)
{
    pair *p = arg;
    unsigned i = atomic_fetch_add(&p->started, 1);
    bench_rec_task(p->producer, i, 1, 1000);
    /* No sleep: the other task's start is the signal; the deadline only
     * turns a pool that never runs the second task into a failure. */
    uint64_t deadline = bench_now_ns() + 60000000000u;
    while (atomic_load(&p->started) < 2)
        if (bench_now_ns() > deadline) {
            atomic_store(&p->timed_out, 1);
            break;
        }
}

START_TEST(balanced_tasks)
{
    bench_rec_calibrate(); /* between runs */
    tpool *pool = tu_pool("fifo", 2, NULL);
    double imb[1];
    bench_cell c;
    memset(&c, 0, sizeof c);
    c.threads = 2;
    c.imbalance = imb;
    bench_rec_reset(0, 0, 0);
    pair p = { 0, bench_rec_slot(), 0 };
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(pool, &g), 0);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = g;
    ck_assert_int_eq(tpool_submit(pool, pair_task, &p, &a), 0);
    ck_assert_int_eq(tpool_submit(pool, pair_task, &p, &a), 0);
    ck_assert_int_eq(tpool_group_wait(g), 0);
    tpool_group_destroy(g);
    ck_assert_msg(!atomic_load(&p.timed_out), "the second task never started");
    ck_assert_int_eq(bench_cell_record_round(&c, 0), 0);
    NEAR(imb[0], 1);
    ck_assert_uint_eq(c.nparts, 2);
    NEAR(c.part_share[0], 0.5);
    NEAR(c.part_share[1], 0.5);
    ck_assert_uint_eq(c.rec_tasks, 2);
    free(c.part_share);
    tpool_destroy(pool);
}
END_TEST

/* The calibration gives a finite, non-negative cost per operation, and
 * leaves the recorder empty. */
START_TEST(calibration)
{
    bench_rec_reset(0, 0, 0);
    const bench_rec_costs *k = bench_rec_calibrate();
    ck_assert(isfinite(k->per_call) && k->per_call >= 0);
    ck_assert(isfinite(k->per_task) && k->per_task >= 0);
    ck_assert(isfinite(k->per_clock) && k->per_clock >= 0);
    ck_assert_ptr_eq(bench_rec_calibrate(), k);
    printf("calibration: %.2f ns per callback, %.2f per task, %.2f per clock read\n",
           k->per_call, k->per_task, k->per_clock);
    for (unsigned s = 0; s < BENCH_MAX_SLOTS; s++)
        ck_assert_uint_eq(bench_g_rec.slots[s].calls, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_recorder");
    TCase *tc = tcase_create("recorder");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, index_sums);
    tcase_add_test(tc, item_check_right);
    tcase_add_test(tc, item_check_every_small_error);
    tcase_add_test(tc, imbalance_from_work);
    tcase_add_test(tc, trace_slices);
    tcase_add_test(tc, producer_share_and_cell);
    tcase_add_test(tc, balanced_tasks);
    tcase_add_test(tc, calibration);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
