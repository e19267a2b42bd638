/*
 * check_progress.c - TPOOL_FLAG_PROGRESS on tpool_parallel_range: under
 * every policy that gives progress, a call completes although one of its
 * items waits until every other item has run, and items are handed out
 * one at a time; and the shipped policies declare the property as
 * documented (tpool_policy_list, shown by tpool-info).
 *
 * The call is the conformance check "pool-progress" (conformance/, the
 * same code tpool-conformance runs), here also with the parameters that
 * matter: roundrobin with stealing (its range_progress answers 1), and fifo
 * and priority with tiles of 40 and 10^6 items, so that the waiting item
 * shares its tile with the others; 2 to 4 threads. The N-d and pthreadpool
 * forms are tested in check_parallel_nd and check_pthreadpool
 * (test_progress).
 */
#include "conformance.h"
#include "ndcheck.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;

/* Runs pool-progress on `pol` with `params` (NULL: defaults). */
static void check_pool(const char *pol, const char *params)
{
    tpc_options o;
    tpc_options_init(&o);
    o.policy = pol;
    o.params_json = params;
    o.nthreads = 0;
    for (unsigned t = 2; t <= 4; t++)
        o.threads[o.nthreads++] = t;
    tpc_session s;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpc_session_open(&s, &o, &err) == 0, "policy '%s' %s: %s", pol,
                  params ? params : "", err.text);
    tpc_ctx ctx;
    enum tpc_status r = tpc_run_inline(&s, (size_t)tpc_find("pool-progress"), &ctx);
    ck_assert_msg(r == TPC_PASS, "policy '%s' %s: pool-progress %s: %s", pol,
                  params ? params : "(defaults)", r == TPC_SKIP ? "skipped" : "failed", ctx.msg);
    tpc_session_close(&s);
}

START_TEST(test_item_waits_for_the_others)
{
    const char *pol = g_pol[_i];
    const char *configs[2];
    int nconf = ndc_progress_configs(pol, configs);
    for (int k = 0; k < nconf; k++)
        check_pool(pol, configs[k]);
    if (nconf > 0 && (strcmp(pol, "fifo") == 0 || strcmp(pol, "priority") == 0)) {
        check_pool(pol, "{\"tile\": 40}");
        check_pool(pol, "{\"tile\": 1000000}");
    }
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
