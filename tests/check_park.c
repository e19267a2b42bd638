/*
 * check_park.c - the core's waiting layer (core/park.h): the spin rule,
 * and each form of parking against a lost wake-up. A lost wake-up leaves a
 * thread asleep for good, so the threaded tests end on the suite's timeout
 * instead of passing; they park on every round (no spin budget) so that
 * the handshake is what is tested. Run under ThreadSanitizer too.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>

#include "park.h"
#include "testutil.h"

/* Rounds of the threaded tests: fewer under a sanitizer, which is slower
 * by an order of magnitude. */
static int rounds(void)
{
    return TU_UNDER_SANITIZER ? 2000 : 20000;
}

/* ---- the spin rule ------------------------------------------------------------ */

START_TEST(test_spin_budget_zero)
{
    /* The clock is first read on the 64th turn: a budget of 0 ends there. */
    tpool__spin s;
    tpool__spin_init(&s, 0, 0);
    for (unsigned i = 1; i < TPOOL__SPIN_LOOK; i++)
        ck_assert(tpool__spin_again(&s));
    ck_assert(!tpool__spin_again(&s));
}
END_TEST

START_TEST(test_spin_yield)
{
    /* A budget that cannot run out: only the yield word ends the spin, on
     * a 64th turn, and only while the spinner holds what is wanted. */
    tpool__a64 word = 0;
    bool held = false;
    tpool__spin s;
    tpool__spin_init(&s, UINT64_MAX / 2, 0);
    tpool__spin_yield(&s, &word, 4, &held);
    for (unsigned i = 1; i <= 3 * TPOOL__SPIN_LOOK; i++)
        ck_assert(tpool__spin_again(&s));
    atomic_store(&word, 4);
    for (unsigned i = 1; i <= 3 * TPOOL__SPIN_LOOK; i++)
        ck_assert(tpool__spin_again(&s)); /* wanted, but not held */
    held = true;
    for (unsigned i = 1; i < TPOOL__SPIN_LOOK; i++)
        ck_assert(tpool__spin_again(&s));
    ck_assert(!tpool__spin_again(&s));
    atomic_store(&word, 2); /* another bit: not a want */
    ck_assert(tpool__spin_again(&s));
}
END_TEST

START_TEST(test_spin_started)
{
    /* A budget that ran out before the spin began ends it on the 64th turn. */
    tpool__spin s;
    tpool__spin_init(&s, 1, 1);
    for (unsigned i = 1; i < TPOOL__SPIN_LOOK; i++)
        ck_assert(tpool__spin_again(&s));
    ck_assert(!tpool__spin_again(&s));
}
END_TEST

/* A crowd test for test_spin_crowd: counts its calls, answers g_crowded. */
static unsigned g_crowd_looks;
static bool g_crowded;

static bool count_crowd(const void *arg)
{
    ck_assert_ptr_eq(arg, &g_crowd_looks);
    g_crowd_looks++;
    return g_crowded;
}

START_TEST(test_spin_crowd)
{
    /* Not crowded: the test is made when the spin starts, then with the
     * clock on every 64th turn, and the spin pauses as any other. */
    g_crowd_looks = 0;
    g_crowded = false;
    tpool__spin s;
    tpool__spin_init(&s, UINT64_MAX / 2, 0);
    tpool__spin_crowd(&s, count_crowd, &g_crowd_looks);
    ck_assert_uint_eq(g_crowd_looks, 1);
    for (unsigned i = 1; i <= 2 * TPOOL__SPIN_LOOK; i++)
        ck_assert(tpool__spin_again(&s));
    ck_assert_uint_eq(g_crowd_looks, 3);
    /* Crowded from the next look on: the spinner yields, and looks at the
     * test (and the clock) on every turn, so it sees the crowd leave at once. */
    g_crowded = true;
    for (unsigned i = 1; i <= TPOOL__SPIN_LOOK; i++)
        ck_assert(tpool__spin_again(&s));
    ck_assert_uint_eq(g_crowd_looks, 4);
    for (unsigned i = 1; i <= 10; i++)
        ck_assert(tpool__spin_again(&s));
    ck_assert_uint_eq(g_crowd_looks, 14);
    g_crowded = false;
    ck_assert(tpool__spin_again(&s));
    ck_assert_uint_eq(g_crowd_looks, 15);
    for (unsigned i = 1; i < TPOOL__SPIN_LOOK; i++)
        ck_assert(tpool__spin_again(&s));
    ck_assert_uint_eq(g_crowd_looks, 15); /* pausing again: the 64th turn looks */

    /* The budget holds while crowded: a spent one ends the spin on its
     * first turn, which looks at the clock. */
    g_crowded = true;
    tpool__spin_init(&s, 1, 1);
    tpool__spin_crowd(&s, count_crowd, &g_crowd_looks);
    ck_assert(!tpool__spin_again(&s));
}
END_TEST

/* ---- events ------------------------------------------------------------------- */

typedef struct {
    tpool__event ev;
    tpool__a32 turn;   /* whose turn: thread (turn % 2) */
    unsigned me;
    unsigned want;     /* the turn this thread waits for */
    int rounds;
} pingpong;

typedef struct {
    pingpong *pp;
    unsigned me;
    unsigned want;
} pp_waiter;

static bool pp_mine(void *arg)
{
    pp_waiter *w = arg;
    return atomic_load(&w->pp->turn) == w->want;
}

static void *pp_main(void *arg)
{
    pp_waiter *w = arg;
    pingpong *pp = w->pp;
    for (int r = 0; r < pp->rounds; r++) {
        w->want = 2 * (unsigned)r + w->me;
        tpool__event_wait(&pp->ev, pp_mine, w, NULL);
        atomic_store(&pp->turn, w->want + 1);
        tpool__event_wake(&pp->ev, INT_MAX);
    }
    return NULL;
}

START_TEST(test_event_pingpong)
{
    /* Two threads hand a turn back and forth, each parking for the other. */
    pingpong pp = { .rounds = rounds() };
    tpool__event_init(&pp.ev);
    atomic_init(&pp.turn, 0);
    pp_waiter a = { &pp, 0, 0 }, b = { &pp, 1, 0 };
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, pp_main, &a), 0);
    ck_assert_int_eq(pthread_create(&tb, NULL, pp_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_uint_eq(atomic_load(&pp.turn), 2 * (unsigned)pp.rounds);
    ck_assert_uint_eq(atomic_load(&pp.ev.sleepers), 0);
}
END_TEST

typedef struct {
    tpool__event ev;
    tpool__a32 open;   /* the round that is open */
    tpool__a32 arrived;
} gate;

typedef struct {
    gate *g;
    unsigned round;
} gate_waiter;

static bool gate_open(void *arg)
{
    gate_waiter *w = arg;
    return atomic_load(&w->g->open) >= w->round;
}

static void *gate_main(void *arg)
{
    gate_waiter *w = arg;
    int n = rounds() / 10;
    for (int r = 1; r <= n; r++) {
        w->round = (unsigned)r;
        tpool__spin s;
        tpool__spin_init(&s, 0, 0); /* 64 turns, then parked */
        tpool__event_wait(&w->g->ev, gate_open, w, &s);
        atomic_fetch_add(&w->g->arrived, 1);
    }
    return NULL;
}

START_TEST(test_event_many)
{
    /* Four waiters per round, one waker that opens the round when all four
     * arrived at the previous one: every waiter must get through. */
    enum { K = 4 };
    gate g;
    tpool__event_init(&g.ev);
    atomic_init(&g.open, 0);
    atomic_init(&g.arrived, 0);
    gate_waiter w[K];
    pthread_t t[K];
    for (int i = 0; i < K; i++) {
        w[i] = (gate_waiter){ &g, 0 };
        ck_assert_int_eq(pthread_create(&t[i], NULL, gate_main, &w[i]), 0);
    }
    int n = rounds() / 10;
    for (int r = 1; r <= n; r++) {
        while (atomic_load(&g.arrived) < (uint32_t)(K * (r - 1)))
            tpool__backoff_yield();
        atomic_store(&g.open, (uint32_t)r);
        tpool__event_wake(&g.ev, INT_MAX);
    }
    for (int i = 0; i < K; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(atomic_load(&g.arrived), (uint32_t)(K * n));
}
END_TEST

/* ---- parking words -------------------------------------------------------------- */

typedef struct {
    tpool__a32 word;
    tpool__a32 posted;    /* items made available (seq_cst) */
    tpool__a32 taken;     /* items the owner took */
    tpool__a32 claimed;   /* unparks that claimed the word */
    tpool__a32 returned;  /* parks that returned */
    tpool__a32 stolen;    /* cancels that found the word claimed */
    int items;
} parker;

static void *owner_main(void *arg)
{
    parker *k = arg;
    while ((int)atomic_load(&k->taken) < k->items) {
        if (atomic_load(&k->taken) < atomic_load(&k->posted)) {
            atomic_fetch_add(&k->taken, 1);
            continue;
        }
        tpool__park_prepare(&k->word);
        if (atomic_load(&k->taken) < atomic_load(&k->posted)) {
            if (!tpool__park_cancel(&k->word))
                atomic_fetch_add(&k->stolen, 1);
            continue;
        }
        tpool__park(&k->word);
        atomic_fetch_add(&k->returned, 1);
    }
    return NULL;
}

START_TEST(test_parking_word)
{
    /* A waker posts items one by one and unparks the owner after each; the
     * owner takes them, parking whenever it sees none. It must take them
     * all, and every unpark that claimed the word was spent on a park that
     * returned or on a cancel that noticed it. */
    parker k = { .items = rounds() };
    atomic_init(&k.word, TPOOL__UNPARKED);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, owner_main, &k), 0);
    for (int i = 0; i < k.items; i++) {
        atomic_fetch_add(&k.posted, 1);
        if (tpool__unpark(&k.word))
            atomic_fetch_add(&k.claimed, 1);
        while (atomic_load(&k.taken) + 4 < atomic_load(&k.posted))
            tpool__backoff_yield(); /* keep the owner close: it parks often */
    }
    pthread_join(t, NULL);
    ck_assert_int_eq((int)atomic_load(&k.taken), k.items);
    ck_assert_uint_eq(atomic_load(&k.claimed), atomic_load(&k.returned) + atomic_load(&k.stolen));
    ck_assert_uint_eq(atomic_load(&k.word), TPOOL__UNPARKED);
}
END_TEST

START_TEST(test_unpark_unparked)
{
    /* Nothing to claim: no wake-up is spent. */
    tpool__a32 word = TPOOL__UNPARKED;
    ck_assert(!tpool__unpark(&word));
    tpool__park_prepare(&word);
    ck_assert(tpool__park_cancel(&word));
    ck_assert(!tpool__unpark(&word));
    tpool__park_prepare(&word);
    ck_assert(tpool__unpark(&word));
    ck_assert(!tpool__park_cancel(&word)); /* claimed: the owner passes it on */
    tpool__park(&word);                    /* returns at once: not PARKED */
}
END_TEST

/* ---- words ---------------------------------------------------------------------- */

static void *word_setter(void *arg)
{
    tpool__a32 *w = arg;
    atomic_store(w, 1);
    tpool__word_wake(w, INT_MAX);
    return NULL;
}

START_TEST(test_word_wait)
{
    for (int r = 0; r < rounds() / 10; r++) {
        tpool__a32 w = 0;
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, word_setter, &w), 0);
        tpool__word_wait(&w, 0);
        ck_assert_uint_eq(atomic_load(&w), 1);
        pthread_join(t, NULL);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("park");
    TCase *tc = tcase_create("park");
    tcase_add_test(tc, test_spin_budget_zero);
    tcase_add_test(tc, test_spin_yield);
    tcase_add_test(tc, test_spin_started);
    tcase_add_test(tc, test_spin_crowd);
    tcase_add_test(tc, test_event_pingpong);
    tcase_add_test(tc, test_event_many);
    tcase_add_test(tc, test_parking_word);
    tcase_add_test(tc, test_unpark_unparked);
    tcase_add_test(tc, test_word_wait);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
