/*
 * check_deque.c - the stealing policy's Chase-Lev deque, tested directly
 * (deque.c is compiled into this test): order, growth, and an owner racing
 * three thieves over a million items, each of which must be taken once.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "testutil.h"

#include "deque.c"

static void *item(uintptr_t i) { return (void *)(i + 1); } /* never NULL */
static uintptr_t index_of(void *x) { return (uintptr_t)x - 1; }

START_TEST(test_owner_lifo_thief_fifo)
{
    stealing_deque d;
    ck_assert_int_eq(stealing_deque_init(&d, 1), 0); /* 2 cells: grows at once */
    ck_assert(stealing_deque_looks_empty(&d));
    ck_assert_ptr_null(stealing_deque_take(&d));
    void *x = NULL;
    ck_assert_int_eq(stealing_deque_steal(&d, &x), STEALING_EMPTY);

    for (uintptr_t i = 0; i < 100; i++)
        ck_assert_int_eq(stealing_deque_push(&d, item(i)), 0);
    ck_assert(!stealing_deque_looks_empty(&d));
    /* Thieves take the oldest, the owner the newest. */
    for (uintptr_t i = 0; i < 10; i++) {
        ck_assert_int_eq(stealing_deque_steal(&d, &x), STEALING_GOT);
        ck_assert_uint_eq(index_of(x), i);
    }
    for (uintptr_t i = 99; i >= 10; i--)
        ck_assert_uint_eq(index_of(stealing_deque_take(&d)), i);
    ck_assert_ptr_null(stealing_deque_take(&d));
    ck_assert_int_eq(stealing_deque_steal(&d, &x), STEALING_EMPTY);
    ck_assert(stealing_deque_looks_empty(&d));
    stealing_deque_destroy(&d);
}
END_TEST

/* Wrapping around the ring and growing in the middle keep every item. */
START_TEST(test_wrap_and_grow)
{
    stealing_deque d;
    ck_assert_int_eq(stealing_deque_init(&d, 2), 0);
    uintptr_t next_push = 0, next_steal = 0;
    void *x;
    for (int round = 0; round < 50; round++) {
        /* Push 3, steal 2: the window slides along and slowly grows. */
        for (int k = 0; k < 3; k++)
            ck_assert_int_eq(stealing_deque_push(&d, item(next_push++)), 0);
        for (int k = 0; k < 2; k++) {
            ck_assert_int_eq(stealing_deque_steal(&d, &x), STEALING_GOT);
            ck_assert_uint_eq(index_of(x), next_steal++);
        }
    }
    while (next_steal < next_push) {
        ck_assert_int_eq(stealing_deque_steal(&d, &x), STEALING_GOT);
        ck_assert_uint_eq(index_of(x), next_steal++);
    }
    ck_assert_int_eq(stealing_deque_steal(&d, &x), STEALING_EMPTY);
    /* The array grew: 50 live items needed more than 4 cells. */
    ck_assert_int_gt(atomic_load(&d.array)->size, 4);
    ck_assert_ptr_nonnull(atomic_load(&d.array)->retired);
    stealing_deque_destroy(&d);
}
END_TEST

/* ---- the race ------------------------------------------------------------------ */

enum { ITEMS = 1000000, THIEVES = 3 };

typedef struct {
    stealing_deque d;
    _Atomic unsigned char *taken; /* per item: times taken */
    _Atomic int owner_done;
    _Atomic size_t stolen, aborts, bogus;
} race;

/* No Check assertion here: a passing one costs a system call. */
static void take_item(race *r, void *x)
{
    uintptr_t i = index_of(x);
    if (i < ITEMS)
        atomic_fetch_add_explicit(&r->taken[i], 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&r->bogus, 1, memory_order_relaxed);
}

static void *thief(void *arg)
{
    race *r = arg;
    size_t got = 0, aborts = 0;
    for (;;) {
        void *x;
        int st = stealing_deque_steal(&r->d, &x);
        if (st == STEALING_GOT) {
            take_item(r, x);
            got++;
        } else if (st == STEALING_ABORT) {
            aborts++;
        } else if (atomic_load(&r->owner_done)) {
            /* The owner saw its deque empty after its last push: nothing
             * can appear any more. */
            break;
        }
    }
    atomic_fetch_add(&r->stolen, got);
    atomic_fetch_add(&r->aborts, aborts);
    return NULL;
}

START_TEST(test_owner_against_three_thieves)
{
    unsigned seed = tu_seed("deque race");
    race r;
    ck_assert_int_eq(stealing_deque_init(&r.d, 3), 0); /* small: many grows */
    r.taken = calloc(ITEMS, 1);
    atomic_init(&r.owner_done, 0);
    atomic_init(&r.stolen, 0);
    atomic_init(&r.aborts, 0);
    atomic_init(&r.bogus, 0);
    pthread_t th[THIEVES];
    for (int i = 0; i < THIEVES; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, thief, &r), 0);

    /* The owner pushes in bursts and takes back part of each burst, so
     * that takes meet steals on the last item again and again. */
    size_t owner_took = 0;
    uintptr_t next = 0;
    while (next < ITEMS) {
        unsigned burst = 1 + rand_r(&seed) % 64;
        for (unsigned k = 0; k < burst && next < ITEMS; k++)
            if (stealing_deque_push(&r.d, item(next++)) != 0)
                ck_abort_msg("push failed");
        unsigned takes = rand_r(&seed) % (burst + 1);
        for (unsigned k = 0; k < takes; k++) {
            void *x = stealing_deque_take(&r.d);
            if (!x)
                break;
            take_item(&r, x);
            owner_took++;
        }
    }
    for (void *x; (x = stealing_deque_take(&r.d)) != NULL; owner_took++)
        take_item(&r, x);
    atomic_store(&r.owner_done, 1);
    for (int i = 0; i < THIEVES; i++)
        pthread_join(th[i], NULL);

    size_t lost = 0, twice = 0;
    for (size_t i = 0; i < ITEMS; i++) {
        unsigned t = atomic_load(&r.taken[i]);
        lost += t == 0;
        twice += t > 1;
    }
    printf("deque race: owner took %zu, thieves stole %zu (%zu aborts), final size %lld\n",
           owner_took, atomic_load(&r.stolen), atomic_load(&r.aborts),
           (long long)atomic_load(&r.d.array)->size);
    ck_assert_uint_eq(atomic_load(&r.bogus), 0);
    ck_assert_msg(lost == 0 && twice == 0, "%zu items never taken, %zu taken twice", lost,
                  twice);
    ck_assert_uint_eq(owner_took + atomic_load(&r.stolen), ITEMS);
    free(r.taken);
    stealing_deque_destroy(&r.d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deque");
    TCase *tc = tcase_create("deque");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_owner_lifo_thief_fifo);
    tcase_add_test(tc, test_wrap_and_grow);
    tcase_add_test(tc, test_owner_against_three_thieves);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
