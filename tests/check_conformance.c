/*
 * check_conformance.c - the conformance checks (conformance/, the same code
 * tpool-conformance runs) against each policy in the build tree
 * (TPOOL_TEST_POLICIES, set by tests/tests.mk): one Check test per policy
 * and check. A policy is tested just by being added to the build. Check
 * forks each test, so the checks run in-process here.
 */
#include "conformance.h"
#include "testutil.h"

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;
static tpc_options g_opt;

START_TEST(test_check)
{
    const char *pol = g_pol[_i / (int)tpc_nchecks];
    size_t check = (size_t)_i % tpc_nchecks;
    tpc_options o = g_opt;
    o.policy = pol;
    tpc_session s;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpc_session_open(&s, &o, &err) == 0, "policy '%s': %s", pol, err.text);
    tpc_ctx ctx;
    enum tpc_status r = tpc_run_inline(&s, check, &ctx);
    if (r == TPC_SKIP)
        printf("conformance: policy '%s', %s skipped: %s\n", pol, tpc_checks[check].name,
               ctx.msg);
    ck_assert_msg(r != TPC_FAIL, "policy '%s', check %s: %s", pol, tpc_checks[check].name,
                  ctx.msg);
    tpc_session_close(&s);
}
END_TEST

/* The table: unique names, each findable; direct checks before pool ones. */
START_TEST(test_table)
{
    int seen_pool = 0;
    for (size_t i = 0; i < tpc_nchecks; i++) {
        ck_assert_int_eq(tpc_find(tpc_checks[i].name), (int)i);
        if (tpc_checks[i].kind == TPC_POOL)
            seen_pool = 1;
        else
            ck_assert_msg(!seen_pool, "direct check %s after a pool check", tpc_checks[i].name);
    }
    ck_assert_int_eq(tpc_find("no-such-check"), -1);
}
END_TEST

/* A policy that cannot be loaded is an error that names it, not a crash. */
START_TEST(test_open_missing)
{
    tpc_options o = g_opt;
    o.policy = "./no-such-policy.so";
    tpc_session s;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpc_session_open(&s, &o, &err), TPOOL_ENOENT);
    ck_assert_msg(strstr(err.text, "no-such-policy.so"), "%s", err.text);
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("conformance", g_pol, MAXPOL);
    tpc_options_init(&g_opt);
    g_opt.seed = tu_seed("conformance");

    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("policy");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_open_missing);
    tcase_add_loop_test(tc, test_check, 0, g_npol * (int)tpc_nchecks);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
