/* testutil.h - small helpers shared by the Check suites. */
#ifndef TPOOL_TESTUTIL_H
#define TPOOL_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tpool.h"

/* Creates a pool of `threads` running `policy` with `params` (a JSON object
 * text, or NULL); fails the test with the library's message otherwise. */
static inline tpool *tu_pool(const char *policy, unsigned threads, const char *params)
{
    char json[1024];
    snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": %u%s%s}", policy,
             threads, params ? ", \"params\": " : "", params ? params : "");
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    int rc = tpool_config_load_text(json, "<test>", &cfg, &err);
    ck_assert_msg(rc == 0, "config %s: %s", json, err.text);
    tpool *p = NULL;
    rc = tpool_create(cfg, &p, &err);
    tpool_config_free(cfg);
    ck_assert_msg(rc == 0, "pool %s: %s", json, err.text);
    ck_assert_uint_eq(tpool_threads(p), threads);
    return p;
}

/* The policies in the build tree, from TPOOL_TEST_POLICIES (set by make). */
static inline int tu_policies(const char *names[], int max)
{
    static char buf[1024];
    const char *env = getenv("TPOOL_TEST_POLICIES");
    snprintf(buf, sizeof buf, "%s", env && *env ? env : "fifo");
    int n = 0;
    for (char *s = strtok(buf, " \t"); s && n < max; s = strtok(NULL, " \t"))
        names[n++] = s;
    return n;
}

/* A seed from TPOOL_TEST_SEED or the clock; always printed. */
static inline unsigned tu_seed(const char *suite)
{
    const char *env = getenv("TPOOL_TEST_SEED");
    unsigned seed = env && *env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    printf("%s: seed %u (set TPOOL_TEST_SEED to repeat)\n", suite, seed);
    return seed;
}

static inline int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
