/*
 * check_pthreadpool_env.c - a bad TPOOL_* setting does not serialise a
 * program that uses the pthreadpool drop-in: pthreadpool_create warns once
 * per process (naming the variable, its value, why, and the policies
 * available) and makes the pool as if the variable were unset, where it
 * used to return NULL (a framework then runs every operator on one
 * thread). The native API stays strict.
 *
 * Check runs each test in its own process, so "once per process" starts
 * afresh in each; stderr is captured into a file around the calls.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pthreadpool.h"
#include "testutil.h"
#include "tpool.h"

#define ck_assert_has(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected \"%s\" in \"%s\"", (needle), (hay))

/* ---- stderr into a buffer ------------------------------------------------------------- */

static int saved_fd = -1;
static char capture_path[PATH_MAX];

static void capture_begin(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(capture_path, sizeof capture_path, "%s/check_pthreadpool_env.XXXXXX",
             base && *base ? base : "/tmp");
    int fd = mkstemp(capture_path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    saved_fd = dup(2);
    ck_assert_int_ge(saved_fd, 0);
    ck_assert_int_eq(dup2(fd, 2), 2);
    close(fd);
}

/* Ends the capture; returns what was written (static buffer). */
static const char *capture_end(void)
{
    static char buf[16384];
    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    FILE *f = fopen(capture_path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(capture_path);
    return buf;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- the pool works -------------------------------------------------------------------- */

static void square(void *ctx, size_t i)
{
    long *a = ctx;
    a[i] = (long)(i * i);
}

static void assert_works(pthreadpool_t p, size_t threads)
{
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(pthreadpool_get_threads_count(p), threads);
    long a[1000];
    memset(a, 0, sizeof a);
    pthreadpool_parallelize_1d(p, square, a, 1000, 0);
    for (size_t i = 0; i < 1000; i++)
        ck_assert_int_eq(a[i], (long)(i * i));
}

static void setup(void)
{
    unsetenv("TPOOL_CONFIG");
    unsetenv("TPOOL_THREADS");
    unsetenv("TPOOL_POLICY");
}

/* ---- cases ------------------------------------------------------------------------------- */

START_TEST(test_misspelt_policy)
{
    setenv("TPOOL_POLICY", "fifoo", 1);
    capture_begin();
    pthreadpool_t p = pthreadpool_create(2);
    pthreadpool_t q = pthreadpool_create(3);
    const char *err = capture_end();
    assert_works(p, 2);
    assert_works(q, 3);
    /* The drop-in's default policy, as with TPOOL_POLICY unset. */
    ck_assert_str_eq(tpool_policy_name((tpool *)p), "stealing");
    ck_assert_str_eq(tpool_policy_name((tpool *)q), "stealing");
    pthreadpool_destroy(p);
    pthreadpool_destroy(q);
    ck_assert_has(err, "pthreadpool_create: ignoring TPOOL_POLICY=\"fifoo\": ");
    ck_assert_has(err, "policy 'fifoo' not found");
    ck_assert_has(err, "available: ");
    ck_assert_has(err, "fifo");
    ck_assert_has(err, "did you mean 'fifo'?");
    ck_assert_has(err, "instead using the default policy 'stealing'");
    /* Once per process: one line for two pools. */
    ck_assert_msg(lines(err) == 1, "expected one line, got: %s", err);
}
END_TEST

START_TEST(test_broken_policy_file)
{
    char text[] = "not a shared object\n";
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/check_pthreadpool_env_XXXXXX.so",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemps(path, 3);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    setenv("TPOOL_POLICY", path, 1);
    capture_begin();
    pthreadpool_t p = pthreadpool_create(2);
    const char *err = capture_end();
    unlink(path);
    assert_works(p, 2);
    ck_assert_str_eq(tpool_policy_name((tpool *)p), "stealing");
    pthreadpool_destroy(p);
    ck_assert_has(err, "ignoring TPOOL_POLICY=");
    ck_assert_has(err, "cannot load it");
    /* Not the loader's "not found": the list is added. */
    ck_assert_has(err, "; policies available: ");
    ck_assert_has(err, "stealing");
}
END_TEST

START_TEST(test_empty_policy)
{
    setenv("TPOOL_POLICY", "", 1);
    capture_begin();
    pthreadpool_t p = pthreadpool_create(2);
    const char *err = capture_end();
    assert_works(p, 2);
    pthreadpool_destroy(p);
    ck_assert_has(err, "ignoring TPOOL_POLICY=\"\": ");
}
END_TEST

/* With a configuration file, a bad TPOOL_POLICY gives way to the file's. */
START_TEST(test_policy_falls_back_to_config)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/check_pthreadpool_env_XXXXXX.json",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    const char *cfg = "{\"policy\": \"fifo\"}\n";
    ck_assert_int_eq(write(fd, cfg, strlen(cfg)), (ssize_t)strlen(cfg));
    close(fd);
    setenv("TPOOL_CONFIG", path, 1);
    setenv("TPOOL_POLICY", "nosuch", 1);
    capture_begin();
    pthreadpool_t p = pthreadpool_create(2);
    const char *err = capture_end();
    unlink(path);
    assert_works(p, 2);
    ck_assert_str_eq(tpool_policy_name((tpool *)p), "fifo");
    pthreadpool_destroy(p);
    ck_assert_has(err, "ignoring TPOOL_POLICY=\"nosuch\"");
    ck_assert_has(err, "instead using the policy of TPOOL_CONFIG's file");
}
END_TEST

START_TEST(test_bad_config_file)
{
    setenv("TPOOL_CONFIG", "/nonexistent/tpool.json", 1);
    capture_begin();
    pthreadpool_t p = pthreadpool_create(2);
    pthreadpool_t q = pthreadpool_create(2);
    const char *err = capture_end();
    assert_works(p, 2);
    ck_assert_str_eq(tpool_policy_name((tpool *)p), "stealing");
    pthreadpool_destroy(p);
    pthreadpool_destroy(q);
    ck_assert_has(err, "ignoring TPOOL_CONFIG=\"/nonexistent/tpool.json\": ");
    ck_assert_has(err, "No such file or directory");
    ck_assert_has(err, "instead using the defaults");
    ck_assert_msg(lines(err) == 1, "expected one line, got: %s", err);
}
END_TEST

START_TEST(test_bad_threads)
{
    setenv("TPOOL_THREADS", "many", 1);
    capture_begin();
    pthreadpool_t p = pthreadpool_create(0);
    pthreadpool_t q = pthreadpool_create(3);
    const char *err = capture_end();
    assert_works(p, tpool_default_threads());
    assert_works(q, 3);
    pthreadpool_destroy(p);
    pthreadpool_destroy(q);
    ck_assert_has(err, "ignoring TPOOL_THREADS=\"many\": ");
    ck_assert_has(err, "expected an integer in [0, ");
    ck_assert_msg(lines(err) == 1, "expected one line, got: %s", err);
}
END_TEST

/* Two bad variables: one warning each, and a working pool. */
START_TEST(test_two_bad_variables)
{
    setenv("TPOOL_THREADS", "-3", 1);
    setenv("TPOOL_POLICY", "nosuch", 1);
    capture_begin();
    pthreadpool_t p = pthreadpool_create(0);
    const char *err = capture_end();
    assert_works(p, tpool_default_threads());
    pthreadpool_destroy(p);
    ck_assert_has(err, "ignoring TPOOL_THREADS=\"-3\"");
    ck_assert_has(err, "ignoring TPOOL_POLICY=\"nosuch\"");
    ck_assert_msg(lines(err) == 2, "expected two lines, got: %s", err);
}
END_TEST

/* Good settings are used, silently. */
START_TEST(test_good_settings_silent)
{
    setenv("TPOOL_POLICY", "fifo", 1);
    setenv("TPOOL_THREADS", "3", 1);
    capture_begin();
    pthreadpool_t p = pthreadpool_create(0);
    const char *err = capture_end();
    assert_works(p, 3);
    ck_assert_str_eq(tpool_policy_name((tpool *)p), "fifo");
    pthreadpool_destroy(p);
    ck_assert_str_eq(err, "");
}
END_TEST

/* The native API does not fall back: it returns the error. */
START_TEST(test_native_api_strict)
{
    setenv("TPOOL_POLICY", "fifoo", 1);
    tpool *p = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_create_default(&p, &err), TPOOL_ENOENT);
    ck_assert_ptr_null(p);
    ck_assert_has(err.text, "policy 'fifoo' not found");
    setenv("TPOOL_POLICY", "fifo", 1);
    setenv("TPOOL_THREADS", "many", 1);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_create_default(&p, &err), TPOOL_EINVAL);
    ck_assert_has(err.text, "<env TPOOL_THREADS>");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pthreadpool_env");
    TCase *tc = tcase_create("fallback");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_misspelt_policy);
    tcase_add_test(tc, test_broken_policy_file);
    tcase_add_test(tc, test_empty_policy);
    tcase_add_test(tc, test_policy_falls_back_to_config);
    tcase_add_test(tc, test_bad_config_file);
    tcase_add_test(tc, test_bad_threads);
    tcase_add_test(tc, test_two_bad_variables);
    tcase_add_test(tc, test_good_settings_silent);
    tcase_add_test(tc, test_native_api_strict);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
