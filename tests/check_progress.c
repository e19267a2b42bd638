/*
 * check_progress.c - TPOOL_FLAG_PROGRESS on tpool_parallel_range: under
 * every policy that declares progress (and roundrobin with stealing), a call
 * completes although one of its items waits until every other item has run;
 * items are handed out one at a time; and the shipped policies declare the
 * property as documented (tpool_policy_list, shown by tpool-info).
 *
 * The N-d and pthreadpool forms are tested in check_parallel_nd and
 * check_pthreadpool (test_progress), on the same helper (ndcheck.h).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>

#include "ndcheck.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;

typedef struct {
    size_t n, waiter;
    _Atomic unsigned char *hits;
    _Atomic size_t others_done;
    _Atomic int not_one;   /* a call got more or less than one item */
    _Atomic int gave_up;   /* the waiter saw no progress for 10 s */
} wait_ctx;

static void wait_item(void *arg, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    wait_ctx *c = arg;
    if (end != begin + 1)
        atomic_store(&c->not_one, 1);
    for (size_t i = begin; i < end; i++) {
        atomic_fetch_add(&c->hits[i], 1);
        if (i != c->waiter) {
            atomic_fetch_add(&c->others_done, 1);
            continue;
        }
        /* The waiter: until every other item has run. It gives up after
         * 10 s without progress, so that a regression fails, not hangs. */
        size_t seen = atomic_load(&c->others_done);
        time_t last = time(NULL);
        while (seen != c->n - 1) {
            sched_yield();
            size_t now = atomic_load(&c->others_done);
            if (now != seen) {
                seen = now;
                last = time(NULL);
            } else if (time(NULL) - last > 10) {
                atomic_store(&c->gave_up, 1);
                break;
            }
        }
    }
}

static void check_waiting_item(tpool *p, size_t n, size_t waiter, const char *what)
{
    wait_ctx c = { .n = n, .waiter = waiter };
    c.hits = calloc(n, sizeof *c.hits);
    ck_assert_ptr_nonnull(c.hits);
    tpool_range_opts o = { .flags = TPOOL_FLAG_PROGRESS };
    ck_assert_int_eq(tpool_parallel_range(p, n, wait_item, &c, &o), 0);
    ck_assert_msg(!atomic_load(&c.gave_up),
                  "%s: item %zu of %zu waited 10 s without progress; %zu others had run", what,
                  waiter, n, atomic_load(&c.others_done));
    ck_assert_msg(!atomic_load(&c.not_one), "%s: a call got other than one item", what);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(c.hits[i] == 1, "%s: item %zu ran %u times", what, i, (unsigned)c.hits[i]);
    free((void *)c.hits);
}

/* Tiles of the tile path holding many items (one tile for everything, or a
 * few), so that the items behind a waiting one are in the same tile. */
static const char *tile_params(const char *policy, int k)
{
    if (strcmp(policy, "fifo") != 0 && strcmp(policy, "priority") != 0)
        return NULL;
    static const char *const big[] = { "{\"tile\": 1000000}", "{\"tile\": 40}" };
    return k < 2 ? big[k] : NULL;
}

static void check_pool(const char *pol, const char *params, unsigned threads)
{
    tpool *p = tu_pool(pol, threads, params);
    static const size_t sizes[] = { 2, 3, 7, 100, 1000 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        size_t where[] = { 0, n / 2, n - 1 };
        for (int w = 0; w < 3; w++) {
            char what[256];
            snprintf(what, sizeof what, "policy '%s' %s, %u threads, n = %zu", pol,
                     params ? params : "(defaults)", threads, n);
            check_waiting_item(p, n, where[w], what);
        }
    }
    ck_assert_int_eq(tpool_destroy(p), 0);
}

START_TEST(test_item_waits_for_the_others)
{
    const char *pol = g_pol[_i];
    const char *configs[2];
    int nconf = ndc_progress_configs(pol, configs);
    for (int k = 0; k < nconf; k++)
        for (unsigned threads = 2; threads <= 4; threads++)
            check_pool(pol, configs[k], threads);
    if (nconf > 0)
        for (int k = 0; tile_params(pol, k); k++)
            check_pool(pol, tile_params(pol, k), 3);
}
END_TEST

/* The shipped policies declare what their documentation says. */
START_TEST(test_declared)
{
    static const struct {
        const char *name;
        int progress;
    } want[] = {
        { "stealing", 1 }, { "dynamic", 1 }, { "fifo", 1 },
        { "priority", 1 }, { "static", 0 }, { "roundrobin", 0 },
    };
    tpool_policy_info *list = NULL;
    size_t count = 0;
    ck_assert_int_eq(tpool_policy_list(NULL, &list, &count, NULL, NULL), 0);
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        for (size_t i = 0; i < count; i++)
            if (strcmp(list[i].name, want[w].name) == 0)
                ck_assert_msg(list[i].progress == want[w].progress,
                              "%s (%s) declares progress %d, documented %d", list[i].name,
                              list[i].path, list[i].progress, want[w].progress);
    }
    tpool_policy_list_free(list, count);
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("progress", g_pol, MAXPOL);
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("progress");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_item_waits_for_the_others, 0, g_npol);
    tcase_add_test(tc, test_declared);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
