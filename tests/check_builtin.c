/*
 * check_builtin.c - the policies linked into libtpool ("builtin:NAME",
 * configure --enable-builtin-policies): each loads, schedules tasks and
 * parallel-fors correctly, describes itself exactly as its .so does, and a
 * bad built-in name is an error that lists the built-in policies.
 */
#include "testutil.h"
#include "tpool-build.h"

#define NTASKS 2000
#define NITEMS 10007

static const char *names[16];
static int nnames;

#ifdef TPOOL_BUILTIN_POLICIES

/* Counts each item of the range once, in the shared hit counters. */
static void hit_range(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        tu_hit((void *)i);
}

/* builtin:X runs every task and every item exactly once, at 1..3 threads,
 * and reports the policy's own name. */
START_TEST(test_builtin_runs)
{
    char spec[64];
    snprintf(spec, sizeof spec, "builtin:%s", names[_i]);
    for (unsigned threads = 1; threads <= 3; threads++) {
        tpool *p = tu_pool(spec, threads, NULL);
        ck_assert_str_eq(tpool_policy_name(p), names[_i]);

        tu_hits_alloc(NTASKS);
        for (size_t i = 0; i < NTASKS; i++)
            ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, NULL), 0);
        ck_assert_int_eq(tpool_wait_all(p), 0);
        tu_hits_assert_once(NTASKS, "%s, %u threads, tasks", spec, threads);
        tu_hits_free();

        tu_hits_alloc(NITEMS);
        ck_assert_int_eq(tpool_parallel_range(p, NITEMS, hit_range, NULL, NULL), 0);
        tu_hits_assert_once(NITEMS, "%s, %u threads, parallel-for", spec, threads);
        tu_hits_free();

        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

/* Parameters reach the built-in copy and are validated against its table. */
START_TEST(test_builtin_params)
{
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text(
                         "{\"policy\": \"builtin:stealing\", \"threads\": 2,"
                         " \"params\": {\"no_such_key\": 1}}",
                         "<test>", &cfg, &err), 0);
    tpool *p = NULL;
    ck_assert_int_ne(tpool_create(cfg, &p, &err), 0);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(err.text, "no_such_key"), "message: %s", err.text);
    tpool_config_free(cfg);

    p = tu_pool("builtin:dynamic", 2, "{\"mode\": \"guided\"}");
    tu_hits_alloc(NITEMS);
    ck_assert_int_eq(tpool_parallel_range(p, NITEMS, hit_range, NULL, NULL), 0);
    tu_hits_assert_once(NITEMS, "builtin:dynamic guided");
    tu_hits_free();
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* tpool_policy_list shows builtin:X for every policy of the tree, with the
 * same description and parameter table as the module X. */
START_TEST(test_builtin_listed)
{
    tpool_policy_info *list = NULL;
    size_t n = 0;
    ck_assert_int_eq(tpool_policy_list(NULL, &list, &n, NULL, NULL), 0);
    for (int k = 0; k < nnames; k++) {
        char spec[64];
        snprintf(spec, sizeof spec, "builtin:%s", names[k]);
        const tpool_policy_info *mod = NULL, *bin = NULL;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(list[i].name, names[k]) == 0)
                mod = &list[i];
            if (strcmp(list[i].name, spec) == 0)
                bin = &list[i];
        }
        ck_assert_msg(mod, "module %s not listed", names[k]);
        ck_assert_msg(bin, "%s not listed", spec);
        ck_assert_str_eq(bin->path, spec);
        ck_assert_str_eq(bin->description, mod->description);
        ck_assert_str_eq(bin->params_json, mod->params_json);
    }
    tpool_policy_list_free(list, n);
}
END_TEST

#endif /* TPOOL_BUILTIN_POLICIES */

/* Creates a pool of `policy` that must fail; returns the message. */
static void expect_fail(const char *policy, int code, const char *needle)
{
    tpool_config *cfg = NULL;
    ck_assert_int_eq(tpool_config_new(&cfg), 0);
    ck_assert_int_eq(tpool_config_set_policy(cfg, policy), 0);
    tpool_error err;
    tpool_error_clear(&err);
    tpool *p = NULL;
    int rc = tpool_create(cfg, &p, &err);
    tpool_config_free(cfg);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(rc, code);
    ck_assert_msg(strstr(err.text, policy), "'%s' not in: %s", policy, err.text);
    ck_assert_msg(strstr(err.text, needle), "'%s' not in: %s", needle, err.text);
}

/* An unknown or empty built-in name is TPOOL_ENOENT, naming what exists. */
START_TEST(test_builtin_unknown)
{
#ifdef TPOOL_BUILTIN_POLICIES
    expect_fail("builtin:nosuch", TPOOL_ENOENT, "built in: builtin:fifo");
    expect_fail("builtin:", TPOOL_ENOENT, "builtin:stealing");
    /* A module's file name is no built-in name. */
    expect_fail("builtin:fifo.so", TPOOL_ENOENT, "no such built-in policy");
#else
    expect_fail("builtin:fifo", TPOOL_ENOENT, "--disable-builtin-policies");
#endif
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("builtin");
    TCase *tc = tcase_create("builtin");
    tcase_set_timeout(tc, 120);
#ifdef TPOOL_BUILTIN_POLICIES
    tcase_add_loop_test(tc, test_builtin_runs, 0, nnames);
    tcase_add_test(tc, test_builtin_params);
    tcase_add_test(tc, test_builtin_listed);
#endif
    tcase_add_test(tc, test_builtin_unknown);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    nnames = tu_policies_print("check_builtin", names, 16);
    return tu_run(suite());
}
