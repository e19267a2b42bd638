/* check_error.c - tpool__error formatting, first-error-wins, tpool_strerror. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ---- formatting ------------------------------------------------------------ */

static const struct fmt_case {
    int code;
    const char *source;
    int line, column;
    const char *key;
    const char *msg;
    const char *text; /* expected err.text */
} fmt_cases[] = {
    /* every part */
    { TPOOL_EINVAL, "tpool.json", 4, 15, "params.chunk", "expected an integer >= 1, got \"x\"",
      "tpool.json:4:15: params.chunk: expected an integer >= 1, got \"x\"" },
    /* no column: the line alone */
    { TPOOL_EPARSE, "cfg.json", 3, 0, "threads", "bad", "cfg.json:3: threads: bad" },
    /* a column without a line means nothing: both left out */
    { TPOOL_EPARSE, "cfg.json", 0, 7, "threads", "bad", "cfg.json: threads: bad" },
    /* no position at all */
    { TPOOL_ENOENT, "/etc/tpool.json", 0, 0, NULL, "cannot open", "/etc/tpool.json: cannot open" },
    /* no key */
    { TPOOL_EPARSE, "<text>", 1, 2, NULL, "invalid token", "<text>:1:2: invalid token" },
    { TPOOL_EPARSE, "<text>", 1, 2, "", "invalid token", "<text>:1:2: invalid token" },
    /* no source: positions are meaningless without one and are left out */
    { TPOOL_EINVAL, NULL, 5, 6, "params.mode", "expected one of", "params.mode: expected one of" },
    { TPOOL_EINVAL, "", 5, 6, "k", "m", "k: m" },
    /* message only */
    { TPOOL_ENOMEM, NULL, 0, 0, NULL, "out of memory", "out of memory" },
    /* an empty message still gets the prefix */
    { TPOOL_EIO, "f", 1, 1, "k", "", "f:1:1: k: " },
    /* negative positions are treated as unknown */
    { TPOOL_EPARSE, "f", -1, -1, NULL, "m", "f: m" },
};

START_TEST(test_format)
{
    const struct fmt_case *c = &fmt_cases[_i];
    tpool_error err;
    tpool_error_clear(&err);
    int rc = tpool__error(&err, c->code, c->source, c->line, c->column, c->key, "%s", c->msg);
    ck_assert_int_eq(rc, c->code);
    ck_assert_int_eq(err.code, c->code);
    ck_assert_int_eq(err.line, c->line);
    ck_assert_int_eq(err.column, c->column);
    ck_assert_str_eq(err.source, c->source ? c->source : "");
    ck_assert_str_eq(err.key, c->key ? c->key : "");
    ck_assert_str_eq(err.text, c->text);
}
END_TEST

START_TEST(test_format_args)
{
    tpool_error err;
    tpool_error_clear(&err);
    tpool__error(&err, TPOOL_EINVAL, "x.json", 2, 9, "spin_us",
                 "expected an integer in [%d, %d], got %s", 0, 1000000, "-5");
    ck_assert_str_eq(err.text, "x.json:2:9: spin_us: expected an integer in [0, 1000000], got -5");
}
END_TEST

/* ---- first error wins ------------------------------------------------------ */

START_TEST(test_first_wins)
{
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__error(&err, TPOOL_EPARSE, "a.json", 1, 2, "k1", "first"),
                     TPOOL_EPARSE);
    /* The second error still returns its own code but leaves err alone. */
    ck_assert_int_eq(tpool__error(&err, TPOOL_EIO, "b.json", 3, 4, "k2", "second"), TPOOL_EIO);
    ck_assert_int_eq(err.code, TPOOL_EPARSE);
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(err.column, 2);
    ck_assert_str_eq(err.source, "a.json");
    ck_assert_str_eq(err.key, "k1");
    ck_assert_str_eq(err.text, "a.json:1:2: k1: first");

    /* Clearing makes room for the next one. */
    tpool_error_clear(&err);
    ck_assert_int_eq(err.code, 0);
    ck_assert_str_eq(err.text, "");
    tpool__error(&err, TPOOL_EIO, "b.json", 0, 0, NULL, "second");
    ck_assert_int_eq(err.code, TPOOL_EIO);
    ck_assert_str_eq(err.text, "b.json: second");
}
END_TEST

START_TEST(test_null_err)
{
    /* No struct: only the code comes back. */
    ck_assert_int_eq(tpool__error(NULL, TPOOL_ENOMEM, "s", 1, 1, "k", "m"), TPOOL_ENOMEM);
    tpool_error_clear(NULL); /* must not crash */
}
END_TEST

START_TEST(test_preset_code_kept)
{
    /* A struct whose code is already set (by a caller) is not overwritten. */
    tpool_error err;
    memset(&err, 0, sizeof err);
    err.code = TPOOL_ELOAD;
    strcpy(err.text, "earlier");
    tpool__error(&err, TPOOL_EINVAL, "s", 1, 1, "k", "later");
    ck_assert_int_eq(err.code, TPOOL_ELOAD);
    ck_assert_str_eq(err.text, "earlier");
}
END_TEST

/* ---- truncation ------------------------------------------------------------ */

static char *repeat(char ch, size_t n)
{
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

START_TEST(test_truncate_source_key)
{
    char *src = repeat('s', 1000), *key = repeat('k', 1000);
    tpool_error err;
    tpool_error_clear(&err);
    tpool__error(&err, TPOOL_EINVAL, src, 1, 1, key, "m");
    ck_assert_uint_eq(strlen(err.source), sizeof err.source - 1);
    ck_assert_uint_eq(strlen(err.key), sizeof err.key - 1);
    ck_assert_int_eq(strncmp(err.source, src, sizeof err.source - 1), 0);
    ck_assert_int_eq(strncmp(err.key, key, sizeof err.key - 1), 0);
    /* The text is built from the truncated parts and still fits. */
    ck_assert_uint_lt(strlen(err.text), sizeof err.text);
    ck_assert_int_eq(strncmp(err.text, err.source, strlen(err.source)), 0);
    ck_assert_ptr_nonnull(strstr(err.text, ":1:1: kkk"));
    free(src);
    free(key);
}
END_TEST

START_TEST(test_truncate_message)
{
    char *msg = repeat('m', 5000);
    tpool_error err;
    tpool_error_clear(&err);
    tpool__error(&err, TPOOL_EINVAL, "f.json", 2, 3, "key", "%s", msg);
    size_t len = strlen(err.text);
    ck_assert_uint_gt(len, 100);
    ck_assert_uint_le(len, sizeof err.text - 1);
    ck_assert_int_eq(strncmp(err.text, "f.json:2:3: key: mmm", 20), 0);
    for (size_t i = strlen("f.json:2:3: key: "); i < len; i++)
        ck_assert_int_eq(err.text[i], 'm');
    free(msg);
}
END_TEST

START_TEST(test_truncate_everything)
{
    /* Source, key and message all at their limits: the text must stay
     * NUL-terminated within its array. */
    char *big = repeat('x', 4000);
    tpool_error err;
    memset(&err, 0x55, sizeof err);
    err.code = 0;
    tpool__error(&err, TPOOL_EIO, big, 123456, 654321, big, "%s", big);
    ck_assert_ptr_nonnull(memchr(err.text, '\0', sizeof err.text));
    ck_assert_ptr_nonnull(memchr(err.source, '\0', sizeof err.source));
    ck_assert_ptr_nonnull(memchr(err.key, '\0', sizeof err.key));
    ck_assert_ptr_nonnull(strstr(err.text, ":123456:654321: "));
    free(big);
}
END_TEST

/* ---- tpool_strerror -------------------------------------------------------- */

static const struct {
    int code;
    const char *text;
} codes[] = {
    { TPOOL_OK, "success" },
    { TPOOL_EINVAL, "invalid argument or configuration value" },
    { TPOOL_ENOMEM, "out of memory" },
    { TPOOL_ENOENT, "not found" },
    { TPOOL_ELOAD, "cannot load policy" },
    { TPOOL_EABI, "incompatible policy ABI" },
    { TPOOL_EPARSE, "malformed JSON" },
    { TPOOL_ETHREAD, "cannot create thread" },
    { TPOOL_ESHUTDOWN, "pool is shutting down" },
    { TPOOL_EPOLICY, "policy refused" },
    { TPOOL_EDEADLK, "operation would deadlock" },
    { TPOOL_ECANCELED, "task cancelled" },
    { TPOOL_EIO, "I/O error" },
    { TPOOL_ERANGE, "value out of range" },
};
#define NCODES (sizeof codes / sizeof codes[0])

START_TEST(test_strerror)
{
    ck_assert_str_eq(tpool_strerror(codes[_i].code), codes[_i].text);
}
END_TEST

START_TEST(test_strerror_distinct)
{
    /* Codes are 0, -1, -2, ... without gaps, and every one has its own text. */
    for (size_t i = 0; i < NCODES; i++) {
        ck_assert_int_eq(codes[i].code, -(int)i);
        for (size_t j = i + 1; j < NCODES; j++)
            ck_assert_str_ne(tpool_strerror(codes[i].code), tpool_strerror(codes[j].code));
    }
}
END_TEST

START_TEST(test_strerror_unknown)
{
    const int bad[] = { 1, 42, TPOOL_ERANGE - 1, -1000, -2147483647 - 1, 2147483647 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_str_eq(tpool_strerror(bad[i]), "unknown error");
}
END_TEST

static Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("format");
    tcase_add_loop_test(tc, test_format, 0, (int)(sizeof fmt_cases / sizeof fmt_cases[0]));
    tcase_add_test(tc, test_format_args);
    tcase_add_test(tc, test_first_wins);
    tcase_add_test(tc, test_null_err);
    tcase_add_test(tc, test_preset_code_kept);
    suite_add_tcase(s, tc);

    tc = tcase_create("truncate");
    tcase_add_test(tc, test_truncate_source_key);
    tcase_add_test(tc, test_truncate_message);
    tcase_add_test(tc, test_truncate_everything);
    suite_add_tcase(s, tc);

    tc = tcase_create("strerror");
    tcase_add_loop_test(tc, test_strerror, 0, (int)NCODES);
    tcase_add_test(tc, test_strerror_distinct);
    tcase_add_test(tc, test_strerror_unknown);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(error_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
