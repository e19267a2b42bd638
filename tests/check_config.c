/*
 * check_config.c - parsing and validating the JSON configuration, file and
 * environment loading, setters, copying, and locating keys in JSON text.
 *
 * The expected lines and columns in the tables were worked out by hand (one
 * column per character, as jansson counts), not taken from the code under
 * test.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp, setenv, nftw */
#endif

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "json_locate.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *const env_names[] = {
    "TPOOL_CONFIG", "TPOOL_POLICY", "TPOOL_THREADS", "TPOOL_POLICY_PATH",
};
#define NENV (sizeof env_names / sizeof env_names[0])
static char *env_saved[NENV];

/* Tests start from a clean environment whatever the developer exported, and
 * leave it as they found it. */
static void env_setup(void)
{
    for (size_t i = 0; i < NENV; i++) {
        const char *v = getenv(env_names[i]);
        env_saved[i] = v ? strdup(v) : NULL;
        unsetenv(env_names[i]);
    }
}

static void env_teardown(void)
{
    for (size_t i = 0; i < NENV; i++) {
        if (env_saved[i])
            setenv(env_names[i], env_saved[i], 1);
        else
            unsetenv(env_names[i]);
        free(env_saved[i]);
        env_saved[i] = NULL;
    }
}

static char tmpdir[4096];

static void tmp_setup(void)
{
    env_setup();
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/tpool-check-config-XXXXXX",
             base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void tmp_teardown(void)
{
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    env_teardown();
}

/* Writes `len` bytes to tmpdir/name and returns the path (static buffer). */
static const char *write_file(const char *name, const char *data, size_t len)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

static const char *write_text(const char *name, const char *text)
{
    return write_file(name, text, strlen(text));
}

static char *joined(const char *a, const char *b)
{
    char *s;
    ck_assert_int_ge(asprintf(&s, "%s%s", a, b), 0);
    return s;
}

/* "source:line:column: key: " as error.c writes it. */
static void assert_prefix(const tpool_error *err, const char *source, int line,
                          int column, const char *key)
{
    char want[1024];
    size_t n = (size_t)snprintf(want, sizeof want, "%s", source);
    if (line > 0) {
        n += (size_t)snprintf(want + n, sizeof want - n, ":%d", line);
        if (column > 0)
            n += (size_t)snprintf(want + n, sizeof want - n, ":%d", column);
    }
    n += (size_t)snprintf(want + n, sizeof want - n, ": ");
    if (key && *key)
        snprintf(want + n, sizeof want - n, "%s: ", key);
    ck_assert_msg(strncmp(err->text, want, strlen(want)) == 0,
                  "text '%s' does not start with '%s'", err->text, want);
}

/* ---- invalid configurations ---------------------------------------------- */

static const struct bad_case {
    const char *json;
    int code;
    const char *key;
    int line, column;
    const char *msg; /* substring of err.text */
} bad_cases[] = {
    { "{\"threads\": -1}", TPOOL_EINVAL, "threads", 1, 13, "expected an integer in [0, 4096], got -1" },
    { "{\"threads\": 4097}", TPOOL_EINVAL, "threads", 1, 13, "expected an integer in [0, 4096], got 4097" },
    { "{\"threads\": \"4\"}", TPOOL_EINVAL, "threads", 1, 13, "expected an integer in [0, 4096], got \"4\"" },
    { "{\"threads\": 4.0}", TPOOL_EINVAL, "threads", 1, 13, "got 4.0" },
    { "{\"threads\": true}", TPOOL_EINVAL, "threads", 1, 13, "got true" },
    { "{\"threads\": null}", TPOOL_EINVAL, "threads", 1, 13, "got null" },
    { "{\"threads\": [4]}", TPOOL_EINVAL, "threads", 1, 13, "got [4]" },
    { "{\"threads\": 9223372036854775807}", TPOOL_EINVAL, "threads", 1, 13, "got 9223372036854775807" },
    /* -0 reads as 0 (every CPU), but the sign says a negative count was meant. */
    { "{\"threads\": -0}", TPOOL_EINVAL, "threads", 1, 13, "expected an integer in [0, 4096], got -0: a negative zero reads as 0, the default (as many threads as CPUs available); write 0 if that is meant" },
    { "{\"threads\": {\"min\": 1, \"max\": 2, \"idle_ms\": -0}}", TPOOL_EINVAL, "threads.idle_ms", 1, 45, "got -0: a negative zero reads as 0; write 0" },
    { "{\"spin_us\": -0}", TPOOL_EINVAL, "spin_us", 1, 13, "expected an integer in [0, 1000000], got -0: a negative zero" },
    { "{\"policy\": \"\"}", TPOOL_EINVAL, "policy", 1, 12, "expected a non-empty string (a policy name, or a path containing '/'), got \"\"" },
    { "{\"policy\": 3}", TPOOL_EINVAL, "policy", 1, 12, "got 3" },
    { "{\"policy\": null}", TPOOL_EINVAL, "policy", 1, 12, "got null" },
    { "{\"policy\": [\"fifo\"]}", TPOOL_EINVAL, "policy", 1, 12, "got [\"fifo\"]" },
    { "{\"params\": []}", TPOOL_EINVAL, "params", 1, 12, "expected an object (the policy's parameters), got []" },
    { "{\"params\": \"chunk=4\"}", TPOOL_EINVAL, "params", 1, 12, "got \"chunk=4\"" },
    { "{\"params\": 1}", TPOOL_EINVAL, "params", 1, 12, "got 1" },
    { "{\"policy_path\": 7}", TPOOL_EINVAL, "policy_path", 1, 17, "expected a string of colon-separated directories or an array of strings, got 7" },
    { "{\"policy_path\": {\"a\": \"/x\"}}", TPOOL_EINVAL, "policy_path", 1, 17, "got {\"a\": \"/x\"}" },
    { "{\"policy_path\": [\"/a\", 2]}", TPOOL_EINVAL, "policy_path[1]", 1, 24, "expected a non-empty string (a directory), got 2" },
    { "{\"policy_path\": [\"/a\", \"\"]}", TPOOL_EINVAL, "policy_path[1]", 1, 24, "got \"\"" },
    { "{\"policy_path\": [[\"/a\"]]}", TPOOL_EINVAL, "policy_path[0]", 1, 18, "got [\"/a\"]" },
    { "{\"policy_path\": \"/a::/b\"}", TPOOL_EINVAL, "policy_path", 1, 17, "empty directory in \"/a::/b\"" },
    { "{\"policy_path\": \"\"}", TPOOL_EINVAL, "policy_path", 1, 17, "empty directory in \"\"" },
    { "{\"policy_path\": \"/a:\"}", TPOOL_EINVAL, "policy_path", 1, 17, "empty directory" },
    { "{\"policy_path\": \":/a\"}", TPOOL_EINVAL, "policy_path", 1, 17, "empty directory" },
    { "{\"spin_us\": -5}", TPOOL_EINVAL, "spin_us", 1, 13, "expected an integer in [0, 1000000], got -5" },
    { "{\"spin_us\": 1000001}", TPOOL_EINVAL, "spin_us", 1, 13, "got 1000001" },
    { "{\"spin_us\": 1.5}", TPOOL_EINVAL, "spin_us", 1, 13, "got 1.5" },
    { "{\"stack_kb\": -1}", TPOOL_EINVAL, "stack_kb", 1, 14, "expected an integer in [0, 1048576], got -1" },
    { "{\"stack_kb\": 1048577}", TPOOL_EINVAL, "stack_kb", 1, 14, "got 1048577" },
    { "{\"stack_kb\": 1}", TPOOL_EINVAL, "stack_kb", 1, 14, "expected 0 (the default) or an integer in [" },
    { "{\"stack_kb\": \"64k\"}", TPOOL_EINVAL, "stack_kb", 1, 14, "got \"64k\"" },
    { "{\"stack_kb\": -0}", TPOOL_EINVAL, "stack_kb", 1, 14, "got -0" },
    { "{\"min_work_size\": 0}", TPOOL_EINVAL, "min_work_size", 1, 19, "expected an integer >= 1, got 0" },
    { "{\"min_work_size\": -3}", TPOOL_EINVAL, "min_work_size", 1, 19, "got -3" },
    { "{\"min_work_size\": \"big\"}", TPOOL_EINVAL, "min_work_size", 1, 19, "got \"big\"" },
    { "{\"spin\": 10}", TPOOL_EINVAL, "spin", 1, 2, "unknown key (known: threads, policy, params, policy_path, spin_us, min_work_size, stack_kb; did you mean 'spin_us'?)" },
    { "{\"thread\": 4}", TPOOL_EINVAL, "thread", 1, 2, "did you mean 'threads'?" },
    { "{\"Threads\": 4}", TPOOL_EINVAL, "Threads", 1, 2, "did you mean 'threads'?" },
    { "{\"policypath\": \"/a\"}", TPOOL_EINVAL, "policypath", 1, 2, "did you mean 'policy_path'?" },
    { "{\"zzz\": 1}", TPOOL_EINVAL, "zzz", 1, 2, "unknown key (known: threads, policy, params, policy_path, spin_us, min_work_size, stack_kb)" },
    { "{\"a\\\"b\": 1}", TPOOL_EINVAL, "a\"b", 1, 2, "unknown key" },
    { "{\"x.y\": 1}", TPOOL_EINVAL, "x.y", 1, 2, "unknown key" },
    { "{\"params\": {\"threads\": -1}, \"bogus\": 1}", TPOOL_EINVAL, "bogus", 1, 29, "unknown key" },
    { "[1, 2]", TPOOL_EINVAL, "", 1, 1, "expected a JSON object at the top level, got [1, 2]" },
    { "  42", TPOOL_EINVAL, "", 1, 3, "got 42" },
    { "\"fifo\"", TPOOL_EINVAL, "", 1, 1, "got \"fifo\"" },
    { "\n\nnull", TPOOL_EINVAL, "", 3, 1, "got null" },
    { "{\n  \"threads\": 8,\n  \"spin_us\": \"fast\"\n}", TPOOL_EINVAL, "spin_us", 3, 14, "got \"fast\"" },
    { "{\"policy\": \"f\xc3\xaf""o\", \"threads\": -1}", TPOOL_EINVAL, "threads", 1, 30, "got -1" },
    { "{\"spin_us\": -1, \"threads\": -1}", TPOOL_EINVAL, "spin_us", 1, 13, "got -1" },
    { "{\"thr\\u0065ads\": -1}", TPOOL_EINVAL, "threads", 1, 18, "got -1" },
    { "{\t\"threads\":\t-1}", TPOOL_EINVAL, "threads", 1, 14, "got -1" },
    { "{\r\n\"threads\": -1\r\n}", TPOOL_EINVAL, "threads", 2, 12, "got -1" },
    { "{\"policy\": \"/x\", \"params\": {\"a\": \"}{\"}, \"policy_path\": [1]}", TPOOL_EINVAL, "policy_path[0]", 1, 57, "got 1" },
    { "{\"policy\": \"pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\", \"params\": [\"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\"]}", TPOOL_EINVAL, "params", 1, 86, "got [\"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq..." },
    /* malformed JSON: positions are jansson's (the end of the bad token) */
    { "", TPOOL_EPARSE, "", 1, 0, "expected a JSON object, got an empty document" },
    { "   \n  ", TPOOL_EPARSE, "", 2, 2, "expected a JSON object, got an empty document" },
    { "{\"threads\": 4,}", TPOOL_EPARSE, "", 1, 15, "string or '}' expected near '}'" },
    { "{\"threads\": 4", TPOOL_EPARSE, "", 1, 13, "'}' expected near end of file" },
    { "{\"threads\": 4} x", TPOOL_EPARSE, "", 1, 16, "end of file expected near 'x'" },
    { "{\"threads\": 4, \"threads\": 5}", TPOOL_EPARSE, "", 1, 24, "duplicate object key near '\"threads\"'" },
    { "{\"params\": {\"a\": 1, \"a\": 2}}", TPOOL_EPARSE, "", 1, 23, "duplicate object key" },
    { "{threads: 4}", TPOOL_EPARSE, "", 1, 8, "string or '}' expected near 'threads'" },
    { "{\"threads\": 99999999999999999999}", TPOOL_EPARSE, "", 1, 32, "too big integer" },
    { "{\"threads\": 1e999}", TPOOL_EPARSE, "", 1, 17, "real number overflow" },
    { "{\"policy\": \"a\\u0000b\"}", TPOOL_EPARSE, "", 1, 21, "\\u0000 is not allowed" },
    { "{\"a\": 1}\n{\"b\": 2}", TPOOL_EPARSE, "", 2, 1, "end of file expected near '{'" },
    { "{\"policy\": \"x}", TPOOL_EPARSE, "", 1, 14, "premature end of input" },
    { "{\"policy\": 'fifo'}", TPOOL_EPARSE, "", 1, 12, "invalid token near '''" },
    { "{\"threads\": 08}", TPOOL_EPARSE, "", 1, 13, "invalid token" },
    { "{\n  \"threads\": 4\n  \"spin_us\": 5\n}", TPOOL_EPARSE, "", 3, 11, "'}' expected near '\"spin_us\"'" },
    { "{\"policy\": \"\xff\"}", TPOOL_EPARSE, "", 1, 12, "unable to decode byte 0xff" },
};
#define NBAD (int)(sizeof bad_cases / sizeof bad_cases[0])

START_TEST(test_invalid)
{
    const struct bad_case *c = &bad_cases[_i];
    tpool_error err;
    tpool_error_clear(&err);
    tpool_config *cfg = (tpool_config *)&err; /* must be reset to NULL */
    int rc = tpool_config_load_text(c->json, "cfg.json", &cfg, &err);
    ck_assert_msg(rc == c->code, "row %d: rc %d, want %d (%s)", _i, rc, c->code, err.text);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, c->code);
    ck_assert_str_eq(err.source, "cfg.json");
    ck_assert_msg(strcmp(err.key, c->key) == 0, "row %d: key '%s', want '%s'", _i,
                  err.key, c->key);
    ck_assert_msg(err.line == c->line && err.column == c->column,
                  "row %d: at %d:%d, want %d:%d (%s)", _i, err.line, err.column,
                  c->line, c->column, err.text);
    ck_assert_msg(strstr(err.text, c->msg) != NULL, "row %d: '%s' lacks '%s'", _i,
                  err.text, c->msg);
    assert_prefix(&err, "cfg.json", c->line, c->column, c->key);
}
END_TEST

START_TEST(test_invalid_message_exact)
{
    /* The whole text, once, for the documented format. */
    tpool_error err;
    tpool_config *cfg;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text("{\n  \"threads\": 4,\n  \"spin\": 10\n}",
                                            "cfg.json", &cfg, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.text, "cfg.json:3:3: spin: unknown key (known: threads, policy, "
                     "params, policy_path, spin_us, min_work_size, stack_kb; did you mean 'spin_us'?)");
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text("{\"threads\": \"x\"}", NULL, &cfg, &err),
                     TPOOL_EINVAL);
    ck_assert_str_eq(err.text, "<text>:1:13: threads: expected an integer in [0, 4096], got \"x\"");
}
END_TEST

START_TEST(test_invalid_args)
{
    tpool_error err;
    tpool_config *cfg = (tpool_config *)&err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text(NULL, NULL, &cfg, &err), TPOOL_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_ptr_nonnull(strstr(err.text, "json is NULL"));
    ck_assert_int_eq(tpool_config_load_text("{}", NULL, NULL, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_load_file("x.json", NULL, NULL), TPOOL_EINVAL);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_file(NULL, &cfg, &err), TPOOL_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(tpool_config_load_file("", &cfg, &err), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_load_env(NULL, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_apply_env(NULL, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_new(NULL), TPOOL_EINVAL);
}
END_TEST

START_TEST(test_first_error_wins)
{
    tpool_error err;
    tpool_config *cfg;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text("{\"threads\": -1}", "one.json", &cfg, &err),
                     TPOOL_EINVAL);
    /* A second failure returns its own code but keeps the first message. */
    ck_assert_int_eq(tpool_config_load_text("{", "two.json", &cfg, &err), TPOOL_EPARSE);
    ck_assert_int_eq(tpool_config_load_file("/nonexistent/tpool.json", &cfg, &err),
                     TPOOL_ENOENT);
    ck_assert_int_eq(err.code, TPOOL_EINVAL);
    ck_assert_str_eq(err.source, "one.json");
    ck_assert_str_eq(err.key, "threads");
    ck_assert_int_eq(err.column, 13);
    /* A success leaves it alone as well. */
    ck_assert_int_eq(tpool_config_load_text("{}", "three.json", &cfg, &err), 0);
    ck_assert_str_eq(err.source, "one.json");
    tpool_config_free(cfg);
    /* Within one document the first bad member in the text is reported. */
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text("{\"zz\": 1, \"threads\": -1}", NULL, &cfg, &err),
                     TPOOL_EINVAL);
    ck_assert_str_eq(err.key, "zz");
}
END_TEST

/* ---- valid configurations ------------------------------------------------- */

static tpool_config *load_ok(const char *json)
{
    tpool_error err;
    tpool_config *cfg = NULL;
    tpool_error_clear(&err);
    int rc = tpool_config_load_text(json, NULL, &cfg, &err);
    ck_assert_msg(rc == 0, "load of %s failed: %s", json, err.text);
    ck_assert_int_eq(err.code, 0);
    ck_assert_ptr_nonnull(cfg);
    return cfg;
}

static void assert_defaults(const tpool_config *cfg)
{
    ck_assert_uint_eq(cfg->threads, 0);
    ck_assert_str_eq(cfg->policy, TPOOL_DEFAULT_POLICY);
    ck_assert_ptr_null(cfg->params);
    ck_assert_uint_eq(cfg->npolicy_path, 0);
    ck_assert_uint_eq(cfg->spin_us, TPOOL_DEFAULT_SPIN_US);
    ck_assert_uint_eq(cfg->stack_kb, 0);
    ck_assert_uint_eq(cfg->min_work_size, TPOOL_DEFAULT_MIN_WORK_SIZE);
    ck_assert_uint_eq(tpool_config_threads(cfg), 0);
    ck_assert_str_eq(tpool_config_policy(cfg), "fifo");
}

START_TEST(test_defaults)
{
    tpool_config *cfg = load_ok(" {\n} ");
    assert_defaults(cfg);
    ck_assert_str_eq(cfg->source, "<text>");
    ck_assert_str_eq(cfg->text, " {\n} ");
    tpool_config_free(cfg);

    ck_assert_int_eq(tpool_config_new(&cfg), 0);
    assert_defaults(cfg);
    ck_assert_ptr_null(cfg->text);
    tpool_config_free(cfg);
    tpool_config_free(NULL);
}
END_TEST

START_TEST(test_all_keys)
{
    const char *json =
        "{\n"
        "  \"threads\": 12,\n"
        "  \"policy\": \"dynamic\",\n"
        "  \"params\": {\"chunk\": 64, \"mode\": \"guided\"},\n"
        "  \"policy_path\": [\"/opt/tpool\", \"lib/tpool\"],\n"
        "  \"spin_us\": 50,\n"
        "  \"min_work_size\": 4096,\n"
        "  \"stack_kb\": 512\n"
        "}\n";
    tpool_error err;
    tpool_config *cfg;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text(json, "svc.json", &cfg, &err), 0);
    ck_assert_uint_eq(cfg->threads, 12);
    ck_assert_uint_eq(tpool_config_threads(cfg), 12);
    ck_assert_str_eq(cfg->policy, "dynamic");
    ck_assert_str_eq(tpool_config_policy(cfg), "dynamic");
    ck_assert(json_is_object(cfg->params));
    ck_assert_int_eq(json_integer_value(json_object_get(cfg->params, "chunk")), 64);
    ck_assert_str_eq(json_string_value(json_object_get(cfg->params, "mode")), "guided");
    ck_assert_uint_eq(cfg->npolicy_path, 2);
    ck_assert_str_eq(cfg->policy_path[0], "/opt/tpool");
    ck_assert_str_eq(cfg->policy_path[1], "lib/tpool"); /* text: kept as given */
    ck_assert_uint_eq(cfg->spin_us, 50);
    ck_assert_uint_eq(cfg->min_work_size, 4096);
    ck_assert_uint_eq(cfg->stack_kb, 512);
    ck_assert_str_eq(cfg->source, "svc.json");
    ck_assert_str_eq(cfg->text, json);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_boundaries)
{
    tpool_config *cfg = load_ok("{\"threads\": 4096, \"spin_us\": 1000000, "
                                "\"min_work_size\": 9223372036854775807, \"stack_kb\": 1048576}");
    ck_assert_uint_eq(cfg->stack_kb, 1048576);
    ck_assert_uint_eq(cfg->threads, 4096);
    ck_assert_uint_eq(cfg->spin_us, 1000000);
    ck_assert_uint_eq(cfg->min_work_size, (size_t)9223372036854775807ull);
    tpool_config_free(cfg);

    cfg = load_ok("{\"threads\": 0, \"spin_us\": 0, \"min_work_size\": 1, \"params\": {},"
                  " \"stack_kb\": 1024}");
    ck_assert_uint_eq(cfg->stack_kb, 1024);
    ck_assert_uint_eq(cfg->threads, 0);
    ck_assert_uint_eq(cfg->spin_us, 0);
    ck_assert_uint_eq(cfg->min_work_size, 1);
    ck_assert(json_is_object(cfg->params));
    ck_assert_uint_eq(json_object_size(cfg->params), 0);
    tpool_config_free(cfg);

    /* Escaped key names are the same keys. */
    cfg = load_ok("{\"thr\\u0065ads\": 3}");
    ck_assert_uint_eq(cfg->threads, 3);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_policy_forms)
{
    tpool_config *cfg = load_ok("{\"policy\": \"stealing\"}");
    ck_assert_str_eq(cfg->policy, "stealing");
    tpool_config_free(cfg);
    cfg = load_ok("{\"policy\": \"/opt/tpool/libmine.so\"}");
    ck_assert_str_eq(cfg->policy, "/opt/tpool/libmine.so");
    tpool_config_free(cfg);
    /* From text a relative path stays as given. */
    cfg = load_ok("{\"policy\": \"./build/libmine.so\"}");
    ck_assert_str_eq(cfg->policy, "./build/libmine.so");
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_policy_path_string)
{
    tpool_config *cfg = load_ok("{\"policy_path\": \"/a:/b/c:rel/d:.\"}");
    ck_assert_uint_eq(cfg->npolicy_path, 4);
    ck_assert_str_eq(cfg->policy_path[0], "/a");
    ck_assert_str_eq(cfg->policy_path[1], "/b/c");
    ck_assert_str_eq(cfg->policy_path[2], "rel/d");
    ck_assert_str_eq(cfg->policy_path[3], ".");
    tpool_config_free(cfg);

    cfg = load_ok("{\"policy_path\": \"/only\"}");
    ck_assert_uint_eq(cfg->npolicy_path, 1);
    ck_assert_str_eq(cfg->policy_path[0], "/only");
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_policy_path_array)
{
    tpool_config *cfg = load_ok("{\"policy_path\": [\"/x\", \"y\", \"/with:colon\"]}");
    ck_assert_uint_eq(cfg->npolicy_path, 3);
    ck_assert_str_eq(cfg->policy_path[0], "/x");
    ck_assert_str_eq(cfg->policy_path[1], "y");
    /* The array form does not split: a colon is part of the name. */
    ck_assert_str_eq(cfg->policy_path[2], "/with:colon");
    tpool_config_free(cfg);

    cfg = load_ok("{\"policy_path\": []}");
    ck_assert_uint_eq(cfg->npolicy_path, 0);
    tpool_config_free(cfg);
}
END_TEST

/* ---- files ------------------------------------------------------------------ */

START_TEST(test_file_relative_path)
{
    /* Relative directories and a relative policy path mean relative to the
     * file's directory, absolute ones stay. */
    char *dir = joined(tmpdir, "/conf");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    const char *path = write_text("conf/tpool.json",
                                  "{\"policy\": \"./plugins/libmine.so\",\n"
                                  " \"policy_path\": [\"plugins\", \"/abs/dir\", \".\", "
                                  "\"../up\", \"./x\"]}");
    tpool_error err;
    tpool_config *cfg;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_config_load_file(path, &cfg, &err) == 0, "%s", err.text);
    char *want[5] = { joined(dir, "/plugins"), strdup("/abs/dir"), strdup(dir),
                      joined(dir, "/../up"), joined(dir, "/x") };
    ck_assert_uint_eq(cfg->npolicy_path, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_str_eq(cfg->policy_path[i], want[i]);
        free(want[i]);
    }
    char *pol = joined(dir, "/plugins/libmine.so");
    ck_assert_str_eq(cfg->policy, pol);
    ck_assert_str_eq(cfg->source, path);
    ck_assert_ptr_nonnull(strstr(cfg->text, "\"policy_path\""));
    free(pol);
    tpool_config_free(cfg);

    /* The string form resolves every entry; a bare name is no path. */
    path = write_text("conf/s.json", "{\"policy\": \"fifo\", \"policy_path\": \"a:/b\"}");
    tpool_error_clear(&err);
    ck_assert_msg(tpool_config_load_file(path, &cfg, &err) == 0, "%s", err.text);
    ck_assert_uint_eq(cfg->npolicy_path, 2);
    char *a = joined(dir, "/a");
    ck_assert_str_eq(cfg->policy_path[0], a);
    ck_assert_str_eq(cfg->policy_path[1], "/b");
    ck_assert_str_eq(cfg->policy, "fifo");
    free(a);
    free(dir);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_file_relative_to_cwd)
{
    /* A config named relative to the current directory still yields absolute
     * directories: a later chdir must not move the search. */
    write_text("t.json", "{\"policy_path\": [\"mods\"]}");
    char *old = getcwd(NULL, 0);
    ck_assert_ptr_nonnull(old);
    ck_assert_int_eq(chdir(tmpdir), 0);
    char *here = getcwd(NULL, 0);
    tpool_error err;
    tpool_config *cfg;
    tpool_error_clear(&err);
    tpool_config *dotted;
    int rc = tpool_config_load_file("t.json", &cfg, &err);
    int rc2 = tpool_config_load_file("./t.json", &dotted, &err);
    ck_assert_int_eq(chdir(old), 0);
    ck_assert_msg(rc == 0 && rc2 == 0, "%s", err.text);
    char *want = joined(here, "/mods");
    ck_assert_uint_eq(cfg->npolicy_path, 1);
    ck_assert_str_eq(cfg->policy_path[0], want);
    ck_assert_str_eq(cfg->source, "t.json");
    /* "./t.json" names the same directory, without a "/./" in it. */
    ck_assert_str_eq(dotted->policy_path[0], want);
    ck_assert_str_eq(dotted->source, "./t.json");
    tpool_config_free(dotted);
    free(want);
    free(here);
    free(old);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_file_errors_positions)
{
    const char *path = write_text("bad.json", "{\n  \"policy\": \"fifo\",\n  \"spin_us\": -1\n}\n");
    tpool_error err;
    tpool_config *cfg = (tpool_config *)&err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_file(path, &cfg, &err), TPOOL_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err.source, path);
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 14);
    ck_assert_str_eq(err.key, "spin_us");
    assert_prefix(&err, path, 3, 14, "spin_us");

    path = write_text("dup.json", "{\n  \"threads\": 1,\n  \"threads\": 2\n}");
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_file(path, &cfg, &err), TPOOL_EPARSE);
    ck_assert_str_eq(err.source, path);
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 11);
    ck_assert_ptr_nonnull(strstr(err.text, "duplicate object key"));

    path = write_text("empty.json", "");
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_file(path, &cfg, &err), TPOOL_EPARSE);
    ck_assert_str_eq(err.source, path);
    ck_assert_ptr_nonnull(strstr(err.text, "empty document"));

    /* A NUL byte would cut the kept text short: refused, with its place. */
    path = write_file("nul.json", "{\n  \"a\0\": 1}", 13);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_file(path, &cfg, &err), TPOOL_EPARSE);
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.column, 5);
    ck_assert_ptr_nonnull(strstr(err.text, "NUL byte"));
}
END_TEST

START_TEST(test_file_missing)
{
    tpool_error err;
    tpool_config *cfg = (tpool_config *)&err;
    tpool_error_clear(&err);
    char *path = joined(tmpdir, "/does-not-exist.json");
    ck_assert_int_eq(tpool_config_load_file(path, &cfg, &err), TPOOL_ENOENT);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, TPOOL_ENOENT);
    ck_assert_str_eq(err.source, path);
    ck_assert_int_eq(err.line, 0);
    char *want = joined(path, ": cannot open configuration file: ");
    char *full = joined(want, strerror(ENOENT));
    ck_assert_str_eq(err.text, full);
    free(full);
    free(want);
    free(path);

    /* A missing directory on the way is just as missing. */
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_file("/nonexistent-dir/x/tpool.json", &cfg, &err),
                     TPOOL_ENOENT);
}
END_TEST

START_TEST(test_file_directory)
{
    tpool_error err;
    tpool_config *cfg = (tpool_config *)&err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_file(tmpdir, &cfg, &err), TPOOL_EIO);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err.source, tmpdir);
    ck_assert_ptr_nonnull(strstr(err.text, strerror(EISDIR)));
    ck_assert_int_eq(strncmp(err.text, tmpdir, strlen(tmpdir)), 0);
}
END_TEST

/*
 * What is not a regular file is refused at once, without reading: a FIFO
 * with no writer made open() (and so every pool of a program whose
 * TPOOL_CONFIG named it) wait forever; a device has no end to read to. The
 * tcase's time limit turns a wait into a failure.
 */
START_TEST(test_file_not_regular)
{
    char fifo[4200];
    snprintf(fifo, sizeof fifo, "%s/fifo.json", tmpdir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    static const struct {
        const char *path, *what;
    } cases[] = { { NULL, "it is a FIFO (named pipe), not a regular file" },
                  { "/dev/null", "it is a character device, not a regular file" } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = cases[i].path ? cases[i].path : fifo;
        tpool_error err;
        tpool_config *cfg = (tpool_config *)&err;
        tpool_error_clear(&err);
        ck_assert_int_eq(tpool_config_load_file(path, &cfg, &err), TPOOL_EIO);
        ck_assert_ptr_null(cfg);
        ck_assert_str_eq(err.source, path);
        char want[4400];
        snprintf(want, sizeof want, "%s: cannot read configuration file: %s", path,
                 cases[i].what);
        ck_assert_msg(strncmp(err.text, want, strlen(want)) == 0, "%s", err.text);
        ck_assert_ptr_nonnull(strstr(err.text, "name a regular file"));
    }
    /* Through the environment, as pthreadpool_create reads it. */
    setenv("TPOOL_CONFIG", fifo, 1);
    tpool_error err;
    tpool_config *cfg = NULL;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_env(&cfg, &err), TPOOL_EIO);
    ck_assert_ptr_nonnull(strstr(err.text, "it is a FIFO"));
    unsetenv("TPOOL_CONFIG");
}
END_TEST

START_TEST(test_file_unreadable)
{
    if (geteuid() == 0)
        return; /* root reads anything: nothing to check */
    const char *path = write_text("secret.json", "{}");
    ck_assert_int_eq(chmod(path, 0), 0);
    tpool_error err;
    tpool_config *cfg;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_file(path, &cfg, &err), TPOOL_EIO);
    ck_assert_ptr_nonnull(strstr(err.text, strerror(EACCES)));
}
END_TEST

START_TEST(test_file_ok)
{
    const char *json = "{\"threads\": 2, \"policy\": \"roundrobin\"}\n";
    const char *path = write_text("ok.json", json);
    tpool_config *cfg;
    ck_assert_int_eq(tpool_config_load_file(path, &cfg, NULL), 0);
    ck_assert_uint_eq(cfg->threads, 2);
    ck_assert_str_eq(cfg->policy, "roundrobin");
    ck_assert_str_eq(cfg->source, path);
    ck_assert_str_eq(cfg->text, json);
    tpool_config_free(cfg);
}
END_TEST

/* ---- environment ------------------------------------------------------------ */

static const struct {
    const char *value;
    int ok;
    unsigned threads;
} threads_env[] = {
    { "8", 1, 8 },
    { "0", 1, 0 },
    { "4096", 1, 4096 },
    { "0007", 1, 7 },
    { "", 0, 0 },
    { "abc", 0, 0 },
    { "-1", 0, 0 },
    { "+4", 0, 0 },
    { " 4", 0, 0 },
    { "4 ", 0, 0 },
    { "4097", 0, 0 },
    { "0x10", 0, 0 },
    { "1.5", 0, 0 },
    { "99999999999999999999999", 0, 0 },
};

START_TEST(test_env_threads)
{
    tpool_config *cfg = load_ok("{\"threads\": 3, \"policy\": \"fifo\"}");
    setenv("TPOOL_THREADS", threads_env[_i].value, 1);
    tpool_error err;
    tpool_error_clear(&err);
    int rc = tpool_config_apply_env(cfg, &err);
    if (threads_env[_i].ok) {
        ck_assert_msg(rc == 0, "'%s': %s", threads_env[_i].value, err.text);
        ck_assert_uint_eq(cfg->threads, threads_env[_i].threads);
    } else {
        ck_assert_int_eq(rc, TPOOL_EINVAL);
        ck_assert_uint_eq(cfg->threads, 3); /* unchanged */
        ck_assert_str_eq(err.source, "<env TPOOL_THREADS>");
        char want[256];
        snprintf(want, sizeof want,
                 "<env TPOOL_THREADS>: expected an integer in [0, 4096], got \"%s\"",
                 threads_env[_i].value);
        ck_assert_str_eq(err.text, want);
    }
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_env_threads_quoting)
{
    /* Control characters and long values do not garble the message. */
    tpool_config *cfg = load_ok("{}");
    setenv("TPOOL_THREADS", "4\n\"x\"\\", 1);
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_apply_env(cfg, &err), TPOOL_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "got \"4\\x0a\\\"x\\\"\\\\\""));
    setenv("TPOOL_THREADS", "1234567890123456789012345678901234567890123456789012345", 1);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_apply_env(cfg, &err), TPOOL_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "...\""));
    ck_assert_ptr_null(strstr(err.text, "12345\""));
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_env_policy)
{
    tpool_config *cfg = load_ok("{\"policy\": \"fifo\", \"threads\": 2}");
    /* Unset variables change nothing. */
    ck_assert_int_eq(tpool_config_apply_env(cfg, NULL), 0);
    ck_assert_str_eq(cfg->policy, "fifo");
    ck_assert_uint_eq(cfg->threads, 2);

    setenv("TPOOL_POLICY", "stealing", 1);
    setenv("TPOOL_THREADS", "6", 1);
    ck_assert_int_eq(tpool_config_apply_env(cfg, NULL), 0);
    ck_assert_str_eq(cfg->policy, "stealing");
    ck_assert_uint_eq(cfg->threads, 6);

    /* Set but empty is a mistake, not "unset". */
    setenv("TPOOL_POLICY", "", 1);
    setenv("TPOOL_THREADS", "7", 1);
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_apply_env(cfg, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.source, "<env TPOOL_POLICY>");
    ck_assert_ptr_nonnull(strstr(err.text, "got \"\""));
    /* Nothing applied, not even the good TPOOL_THREADS. */
    ck_assert_str_eq(cfg->policy, "stealing");
    ck_assert_uint_eq(cfg->threads, 6);

    /* A bad TPOOL_THREADS keeps a good TPOOL_POLICY from applying too. */
    setenv("TPOOL_POLICY", "priority", 1);
    setenv("TPOOL_THREADS", "many", 1);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_apply_env(cfg, &err), TPOOL_EINVAL);
    ck_assert_str_eq(cfg->policy, "stealing");
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_env_policy_path_ignored)
{
    /* TPOOL_POLICY_PATH belongs to the loader: the config keeps its own. */
    setenv("TPOOL_POLICY_PATH", "/from/env", 1);
    tpool_config *cfg = load_ok("{\"policy_path\": [\"/from/config\"]}");
    ck_assert_int_eq(tpool_config_apply_env(cfg, NULL), 0);
    ck_assert_uint_eq(cfg->npolicy_path, 1);
    ck_assert_str_eq(cfg->policy_path[0], "/from/config");
    tpool_config_free(cfg);
    setenv("TPOOL_POLICY_PATH", "", 1);
    ck_assert_int_eq(tpool_config_load_env(&cfg, NULL), 0);
    ck_assert_uint_eq(cfg->npolicy_path, 0);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_env_load_defaults)
{
    tpool_config *cfg;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_env(&cfg, &err), 0);
    assert_defaults(cfg);
    tpool_config_free(cfg);

    setenv("TPOOL_THREADS", "5", 1);
    setenv("TPOOL_POLICY", "static", 1);
    ck_assert_int_eq(tpool_config_load_env(&cfg, &err), 0);
    ck_assert_uint_eq(cfg->threads, 5);
    ck_assert_str_eq(cfg->policy, "static");
    tpool_config_free(cfg);

    setenv("TPOOL_THREADS", "x", 1);
    cfg = (tpool_config *)&err;
    ck_assert_int_eq(tpool_config_load_env(&cfg, &err), TPOOL_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err.source, "<env TPOOL_THREADS>");
}
END_TEST

START_TEST(test_env_config_file)
{
    const char *path = write_text("env.json", "{\"threads\": 9, \"policy\": \"priority\", "
                                              "\"spin_us\": 7}");
    setenv("TPOOL_CONFIG", path, 1);
    tpool_config *cfg;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_config_load_env(&cfg, &err) == 0, "%s", err.text);
    ck_assert_uint_eq(cfg->threads, 9);
    ck_assert_str_eq(cfg->policy, "priority");
    ck_assert_uint_eq(cfg->spin_us, 7);
    ck_assert_str_eq(cfg->source, path);
    tpool_config_free(cfg);

    /* The environment beats the file. */
    setenv("TPOOL_THREADS", "1", 1);
    ck_assert_int_eq(tpool_config_load_env(&cfg, &err), 0);
    ck_assert_uint_eq(cfg->threads, 1);
    ck_assert_str_eq(cfg->policy, "priority");
    ck_assert_uint_eq(cfg->spin_us, 7);
    tpool_config_free(cfg);

    /* ...but the file's own errors still come first. */
    path = write_text("envbad.json", "{\"threads\": []}");
    setenv("TPOOL_CONFIG", path, 1);
    setenv("TPOOL_THREADS", "bad", 1);
    cfg = (tpool_config *)&err;
    ck_assert_int_eq(tpool_config_load_env(&cfg, &err), TPOOL_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err.source, path);
    ck_assert_str_eq(err.key, "threads");
}
END_TEST

START_TEST(test_env_config_missing)
{
    char *path = joined(tmpdir, "/nope.json");
    setenv("TPOOL_CONFIG", path, 1);
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_env(&cfg, &err), TPOOL_ENOENT);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err.source, path);
    ck_assert_ptr_nonnull(strstr(err.text, strerror(ENOENT)));
    free(path);

    setenv("TPOOL_CONFIG", "", 1);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_env(&cfg, &err), TPOOL_EINVAL);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err.source, "<env TPOOL_CONFIG>");
    ck_assert_ptr_nonnull(strstr(err.text, "got \"\""));
}
END_TEST

/* ---- setters and copies ------------------------------------------------------ */

START_TEST(test_setters)
{
    tpool_config *cfg;
    ck_assert_int_eq(tpool_config_new(&cfg), 0);
    ck_assert_int_eq(tpool_config_set_threads(cfg, 4096), 0);
    ck_assert_uint_eq(tpool_config_threads(cfg), 4096);
    ck_assert_int_eq(tpool_config_set_threads(cfg, 4097), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_set_threads(cfg, ~0u), TPOOL_EINVAL);
    ck_assert_uint_eq(tpool_config_threads(cfg), 4096);
    ck_assert_int_eq(tpool_config_set_threads(cfg, 0), 0);
    ck_assert_uint_eq(tpool_config_threads(cfg), 0);
    ck_assert_int_eq(tpool_config_set_threads(NULL, 1), TPOOL_EINVAL);

    ck_assert_int_eq(tpool_config_set_policy(cfg, "dynamic"), 0);
    ck_assert_str_eq(tpool_config_policy(cfg), "dynamic");
    ck_assert_int_eq(tpool_config_set_policy(cfg, ""), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_set_policy(cfg, NULL), TPOOL_EINVAL);
    ck_assert_int_eq(tpool_config_set_policy(NULL, "x"), TPOOL_EINVAL);
    ck_assert_str_eq(tpool_config_policy(cfg), "dynamic");

    ck_assert_int_eq(tpool_config_set_spin_us(cfg, 1000000), 0);
    ck_assert_uint_eq(cfg->spin_us, 1000000);
    ck_assert_int_eq(tpool_config_set_spin_us(cfg, 1000001), TPOOL_EINVAL);
    ck_assert_uint_eq(cfg->spin_us, 1000000);
    ck_assert_int_eq(tpool_config_set_spin_us(cfg, 0), 0);
    ck_assert_uint_eq(cfg->spin_us, 0);
    ck_assert_int_eq(tpool_config_set_spin_us(NULL, 1), TPOOL_EINVAL);

    ck_assert_uint_eq(tpool_config_threads(NULL), 0);
    ck_assert_ptr_null(tpool_config_policy(NULL));
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_set_params)
{
    tpool_config *cfg = load_ok("{\"policy\": \"dynamic\", \"params\": {\"chunk\": 1}}");
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_set_params(cfg, "{\"chunk\": 8, \"mode\": \"x\"}", &err), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(cfg->params, "chunk")), 8);
    ck_assert_uint_eq(json_object_size(cfg->params), 2);
    /* Later params errors point into this text now. */
    ck_assert_str_eq(cfg->source, "<params>");
    ck_assert_str_eq(cfg->text, "{\"chunk\": 8, \"mode\": \"x\"}");
    ck_assert_str_eq(cfg->policy, "dynamic");

    /* Malformed: EPARSE with the position, params unchanged. */
    ck_assert_int_eq(tpool_config_set_params(cfg, "{\n  \"chunk\": ,\n}", &err), TPOOL_EPARSE);
    ck_assert_str_eq(err.source, "<params>");
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.column, 12);
    ck_assert_str_eq(err.key, "params");
    ck_assert_int_eq(json_integer_value(json_object_get(cfg->params, "chunk")), 8);

    /* Not an object. */
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_set_params(cfg, " [1]", &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.text, "<params>:1:2: params: expected an object (the policy's "
                               "parameters), got [1]");
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_set_params(cfg, "", &err), TPOOL_EPARSE);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_set_params(cfg, "{\"a\": 1, \"a\": 2}", &err), TPOOL_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.text, "duplicate"));
    ck_assert_uint_eq(json_object_size(cfg->params), 2);

    /* NULL drops them. */
    ck_assert_int_eq(tpool_config_set_params(cfg, NULL, NULL), 0);
    ck_assert_ptr_null(cfg->params);
    ck_assert_int_eq(tpool_config_set_params(NULL, "{}", NULL), TPOOL_EINVAL);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_copy)
{
    tpool_config *cfg = load_ok("{\"threads\": 3, \"policy\": \"stealing\", \"spin_us\": 9,"
                                " \"min_work_size\": 17, \"stack_kb\": 300,"
                                " \"policy_path\": [\"/p\", \"q\"],"
                                " \"params\": {\"k\": [1, {\"z\": true}]}}");
    tpool_config *copy = NULL;
    ck_assert_int_eq(tpool_config_copy(cfg, &copy), 0);
    ck_assert_ptr_nonnull(copy);
    ck_assert_ptr_ne(copy, cfg);
    ck_assert_uint_eq(copy->threads, 3);
    ck_assert_uint_eq(copy->spin_us, 9);
    ck_assert_uint_eq(copy->min_work_size, 17);
    ck_assert_uint_eq(copy->stack_kb, 300);
    ck_assert_str_eq(copy->policy, "stealing");
    ck_assert_ptr_ne(copy->policy, cfg->policy);
    ck_assert_uint_eq(copy->npolicy_path, 2);
    ck_assert_str_eq(copy->policy_path[1], "q");
    ck_assert_ptr_ne(copy->policy_path, cfg->policy_path);
    ck_assert_str_eq(copy->source, "<text>");
    ck_assert_str_eq(copy->text, cfg->text);
    ck_assert_ptr_ne(copy->text, cfg->text);
    ck_assert(json_equal(copy->params, cfg->params));
    ck_assert_ptr_ne(copy->params, cfg->params);

    /* Deep: changing the original's params does not reach the copy. */
    json_t *inner = json_array_get(json_object_get(cfg->params, "k"), 1);
    json_object_set_new(inner, "z", json_false());
    ck_assert(json_is_true(json_object_get(
        json_array_get(json_object_get(copy->params, "k"), 1), "z")));
    tpool_config_free(cfg);
    ck_assert_str_eq(copy->policy_path[0], "/p"); /* still valid after free */
    tpool_config_free(copy);

    /* A config made in code has no source, text or params. */
    ck_assert_int_eq(tpool_config_new(&cfg), 0);
    ck_assert_int_eq(tpool_config_copy(cfg, &copy), 0);
    ck_assert_ptr_null(copy->source);
    ck_assert_ptr_null(copy->text);
    ck_assert_ptr_null(copy->params);
    ck_assert_uint_eq(copy->npolicy_path, 0);
    ck_assert_str_eq(copy->policy, "fifo");
    tpool_config_free(copy);
    tpool_config_free(cfg);

    copy = (tpool_config *)&copy;
    ck_assert_int_eq(tpool_config_copy(NULL, &copy), TPOOL_EINVAL);
    ck_assert_ptr_null(copy);
    ck_assert_int_eq(tpool_config_copy(cfg, NULL), TPOOL_EINVAL);
}
END_TEST

/* ---- tpool__json_locate -------------------------------------------------------- */

static const struct loc_case {
    const char *text;
    const char *path;
    int line, column;
} loc_values[] = {
    { "{\"a\": 1}", "a", 1, 7 },
    { "  \n  {}", "", 2, 3 },
    { "{\"a\": {\"b\": [10, [20, 30]]}}", "a.b[1][1]", 1, 23 },
    { "{\"a\": {\"b\": [10, [20, 30]]}}", "a.b[1]", 1, 18 },
    { "{\"a\": {\"b\": [10, [20, 30]]}}", "a.b[0]", 1, 14 },
    { "{\"a\": {\"b\": [10, [20, 30]]}}", "a", 1, 7 },
    { "{\"x\\\"y\": 1, \"x\": 2}", "x\"y", 1, 10 },
    { "{\"x\\\"y\": 1, \"x\": 2}", "x", 1, 18 },
    { "{\"a\\\\b\": 5}", "a\\\\b", 1, 10 },
    { "{\"a.b\": 1, \"a\": {\"b\": 2}}", "a\\.b", 1, 9 },
    { "{\"a.b\": 1, \"a\": {\"b\": 2}}", "a.b", 1, 23 },
    { "{\"a[0]\": 7, \"a\": [8]}", "a\\[0]", 1, 10 },
    { "{\"a[0]\": 7, \"a\": [8]}", "a[0]", 1, 19 },
    { "{\"\\u00e9t\\u00E9\": 3}", "\xc3\xa9""t\xc3\xa9""", 1, 19 },
    { "{\"\\ud83d\\ude00\": 1, \"x\": 2}", "\xf0\x9f\x98\x80""", 1, 18 },
    { "{\"s\": \"}{][\\\"\", \"t\": 1}", "t", 1, 22 },
    { "{\"k\": \"\xc3\xa9""\xc3\xa9""\xc3\xa9""\", \"t\": [true, false, null]}", "t[2]", 1, 33 },
    { "{\"k\": \"\xc3\xa9""\xc3\xa9""\xc3\xa9""\", \"t\": [true, false, null]}", "t[1]", 1, 26 },
    { "{\"a\": 1, \"a\": 2}", "a", 1, 15 },
    { "{\r\n  \"a\":\r\n\t[1,\n 2]}", "a[1]", 4, 2 },
    { "[{\"a\": 1}, {\"a\": [0, {\"b\": \"x\"}]}]", "[1].a[1].b", 1, 28 },
    { "[{\"a\": 1}, {\"a\": [0, {\"b\": \"x\"}]}]", "[1]", 1, 12 },
    { "{\"n\": -1.5e+10, \"m\": \"v\"}", "m", 1, 22 },
    { "{\"\": 1, \"e\": {\"\": 2}}", "e.", 1, 19 },
    { "{\"a\": {}, \"b\": []}", "a", 1, 7 },
    { "{\"a\": {}, \"b\": []}", "b", 1, 16 },
    { "{\n  \"policy\": \"fifo\",\n  \"params\": {\n    \"chunk\": \"x\"\n  }\n}", "params.chunk", 4, 14 },
    { "{\"a\":{\"b\":{\"c\":[[[{\"d\":true}]]]}}}", "a.b.c[0][0][0].d", 1, 24 },
    { "{\"a\" :1 , \"b\"\n:\n2}", "b", 3, 1 },
};

static const struct loc_case loc_keys[] = {
    { "{\"a\": {\"bb\": 1}}", "a.bb", 1, 8 },
    { "{\"a\": 1, \"a\": 2}", "a", 1, 10 },
    { "{\"x\\\"y\": 1}", "x\"y", 1, 2 },
    { "{\"\xc3\xa9""\": 1,\n \"z\": 2}", "z", 2, 2 },
    { "{\"params\": {\"chnk\": 1}}", "params.chnk", 1, 13 },
};

START_TEST(test_locate_value)
{
    const struct loc_case *c = &loc_values[_i];
    int line = -7, column = -7;
    int rc = tpool__json_locate(c->text, c->path, &line, &column);
    ck_assert_msg(rc == 0, "row %d: '%s' not found", _i, c->path);
    ck_assert_msg(line == c->line && column == c->column, "row %d (%s): %d:%d, want %d:%d",
                  _i, c->path, line, column, c->line, c->column);
}
END_TEST

START_TEST(test_locate_key)
{
    const struct loc_case *c = &loc_keys[_i];
    int line = -7, column = -7;
    int rc = tpool__json_locate_key(c->text, c->path, &line, &column);
    ck_assert_msg(rc == 0, "row %d: '%s' not found", _i, c->path);
    ck_assert_msg(line == c->line && column == c->column, "row %d (%s): %d:%d, want %d:%d",
                  _i, c->path, line, column, c->line, c->column);
}
END_TEST

static const struct {
    const char *text;
    const char *path;
    int key; /* locate the key instead of the value */
} loc_missing[] = {
    { "{\"a\": 1}", "b", 0 },
    { "{\"a\": [1]}", "a[1]", 0 },
    { "{\"a\": []}", "a[0]", 0 },
    { "{\"a\": 1}", "a.b", 0 },
    { "{\"a\": 1}", "[0]", 0 },
    { "[1]", "a", 0 },
    { "{\"a\": {}}", "a.b", 0 },
    { "{\"ab\": 1}", "a", 0 },
    { "{\"a\": 1}", "ab", 0 },
    { "{\"a\": {\"b\": 1}}", "a[", 0 },
    { "{\"a\": [1]}", "a[x]", 0 },
    { "{\"a\": [1]}", "a[0", 0 },
    { "{\"a\": [1]}", "a[-1]", 0 },
    { "{\"a\": [1]}", "a[99999999999999999999999999]", 0 },
    { "{\"a\": [1]}", "a[0]x", 0 },
    { "{\"a\": {\"b\": 1}}", "a.b]", 0 },
    { "", "", 0 },
    { "   ", "", 0 },
    { "{\"a\": ", "a", 0 },
    { "{\"a\": \"x", "a", 0 },
    { "{\"a\": 1", "b", 0 },
    { "{\"a\" 1}", "a", 0 },
    { "{\"a\": \"\\u12\"}", "b", 0 },
    { "{\"a\\", "a", 0 },
    { "{\"a\": [1]}", "a[0]", 1 }, /* an element has no key */
    { "{\"a\": 1}", "", 1 },
    { "{\"a\": 1}", "b", 1 },
};

START_TEST(test_locate_missing)
{
    int line = 42, column = 43;
    int rc = loc_missing[_i].key
        ? tpool__json_locate_key(loc_missing[_i].text, loc_missing[_i].path, &line, &column)
        : tpool__json_locate(loc_missing[_i].text, loc_missing[_i].path, &line, &column);
    ck_assert_msg(rc == -1, "row %d: '%s' found at %d:%d", _i, loc_missing[_i].path, line,
                  column);
    /* Outputs untouched on failure. */
    ck_assert_int_eq(line, 42);
    ck_assert_int_eq(column, 43);
}
END_TEST

START_TEST(test_locate_null)
{
    int line, column;
    ck_assert_int_eq(tpool__json_locate(NULL, "a", &line, &column), -1);
    ck_assert_int_eq(tpool__json_locate("{\"a\": 1}", NULL, &line, &column), -1);
    ck_assert_int_eq(tpool__json_locate("{\"a\": 1}", "a", NULL, NULL), 0);
    ck_assert_int_eq(tpool__json_locate_key("{\"a\": 1}", "a", NULL, NULL), 0);
}
END_TEST

START_TEST(test_locate_deep)
{
    /* Skipping 100000 levels of nesting must not recurse. */
    size_t depth = 100000;
    char *text = malloc(2 * depth + 64);
    ck_assert_ptr_nonnull(text);
    char *p = text + sprintf(text, "{\"x\": ");
    memset(p, '[', depth);
    p += depth;
    memset(p, ']', depth);
    p += depth;
    strcpy(p, ",\n \"y\": {\"z\": 5}}");
    int line, column;
    ck_assert_int_eq(tpool__json_locate(text, "y.z", &line, &column), 0);
    ck_assert_int_eq(line, 2);
    ck_assert_int_eq(column, 13);
    free(text);
}
END_TEST

START_TEST(test_locate_matches_jansson)
{
    /* Where jansson stops on a one-character bad token, that token starts:
     * the scanner must count the same line and column there. */
    static const struct {
        const char *text, *path;
    } cases[] = {
        { "{\"a\": x}", "a" },
        { "{\"\xc3\xa9\xc3\xa9\": x}", "\xc3\xa9\xc3\xa9" },
        { "{\n\t\"a\":\n  x}", "a" },
        { "{\"a\": [1, \"\xe2\x82\xac\", x]}", "a[2]" },
        { "{\"k\\u00e9y\": {\"c\":\r\n x}}", "k\xc3\xa9y.c" },
        { "{\"s\": \"\xf0\x9f\x98\x80 \\\" {\", \"t\":\n\n     x}", "t" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t je;
        json_t *j = json_loads(cases[i].text, 0, &je);
        ck_assert_ptr_null(j);
        ck_assert_ptr_nonnull(strstr(je.text, "invalid token"));
        int line, column;
        ck_assert_int_eq(tpool__json_locate(cases[i].text, cases[i].path, &line, &column), 0);
        ck_assert_msg(line == je.line && column == je.column,
                      "case %zu: %d:%d, jansson says %d:%d", i, line, column, je.line,
                      je.column);
    }
}
END_TEST

START_TEST(test_path_key)
{
    static const struct {
        const char *parent, *name, *want;
    } cases[] = {
        { NULL, "threads", "threads" },
        { "", "threads", "threads" },
        { "params", "chunk", "params.chunk" },
        { "params", "a.b", "params.a\\.b" },
        { "params", "x[0]", "params.x\\[0]" },
        { NULL, "back\\slash", "back\\\\slash" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = tpool__json_path_key(cases[i].parent, cases[i].name);
        ck_assert_ptr_nonnull(p);
        ck_assert_str_eq(p, cases[i].want);
        free(p);
    }
    /* Round trip: an escaped name finds its key. */
    char *p = tpool__json_path_key("params", "a.b[1]\\");
    int line, column;
    ck_assert_int_eq(tpool__json_locate("{\"params\": {\"a\": 0, \"a.b[1]\\\\\": 2}}", p,
                                        &line, &column), 0);
    ck_assert_int_eq(column, 33);
    free(p);
}
END_TEST

START_TEST(test_render)
{
    char buf[64];
    json_t *v = json_string("x");
    ck_assert_str_eq(tpool__json_render(v, buf, sizeof buf), "\"x\"");
    json_decref(v);
    v = json_real(0.1);
    ck_assert_str_eq(tpool__json_render(v, buf, sizeof buf), "0.1");
    json_decref(v);
    v = json_pack("{s:i, s:[i, b]}", "a", 1, "b", 2, 0);
    ck_assert_str_eq(tpool__json_render(v, buf, sizeof buf), "{\"a\": 1, \"b\": [2, false]}");
    json_decref(v);
    ck_assert_str_eq(tpool__json_render(NULL, buf, sizeof buf), "nothing");

    /* Long values are cut to 40 bytes, ending in "...". */
    char long_s[101];
    memset(long_s, 'a', 100);
    long_s[100] = '\0';
    v = json_string(long_s);
    tpool__json_render(v, buf, sizeof buf);
    ck_assert_uint_eq(strlen(buf), 40);
    ck_assert_str_eq(buf + 37, "...");
    ck_assert_int_eq(strncmp(buf, "\"aaaa", 5), 0);
    json_decref(v);

    /* ...on a character boundary: after "\"a" every 'é' (two bytes) starts
     * at an even offset, so byte 37 is the middle of one and the cut backs
     * off to 36. */
    char utf[1 + 2 * 50 + 1] = "a";
    for (int i = 0; i < 50; i++)
        strcat(utf, "\xc3\xa9");
    v = json_string(utf);
    tpool__json_render(v, buf, sizeof buf);
    ck_assert_uint_eq(strlen(buf), 39); /* '"' 'a' + 17 x 2 bytes + "..." */
    ck_assert_str_eq(buf + 36, "...");
    ck_assert_int_eq((unsigned char)buf[35], 0xa9);
    ck_assert_int_eq((unsigned char)buf[34], 0xc3);

    /* A small buffer is respected. */
    char small[8];
    tpool__json_render(v, small, sizeof small);
    ck_assert_uint_le(strlen(small), 7);
    json_decref(v);
}
END_TEST

START_TEST(test_suggest)
{
    static const char *const keys[] = { "threads", "policy", "params", "policy_path",
                                        "spin_us", "min_work_size", NULL };
    static const struct {
        const char *word, *want;
    } cases[] = {
        { "thread", "threads" },
        { "threds", "threads" },
        { "THREADS", "threads" },
        { "polcy", "policy" },
        { "param", "params" },
        { "policy-path", "policy_path" },
        { "policypath", "policy_path" },
        { "spin", "spin_us" },
        { "spinus", "spin_us" },
        { "min_work", "min_work_size" },
        { "min_wrok_size", "min_work_size" },
        { "zzz", NULL },
        { "x", NULL },
        { "", NULL },
        { "workers", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = tpool__json_suggest(cases[i].word, keys, 7);
        if (cases[i].want)
            ck_assert_msg(got && strcmp(got, cases[i].want) == 0, "'%s' -> '%s', want '%s'",
                          cases[i].word, got ? got : "(none)", cases[i].want);
        else
            ck_assert_msg(got == NULL, "'%s' -> '%s', want none", cases[i].word, got);
    }
    ck_assert_ptr_null(tpool__json_suggest("threads", keys, 0));
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("invalid");
    tcase_add_loop_test(tc, test_invalid, 0, NBAD);
    tcase_add_test(tc, test_invalid_message_exact);
    tcase_add_test(tc, test_invalid_args);
    tcase_add_test(tc, test_first_error_wins);
    suite_add_tcase(s, tc);

    tc = tcase_create("valid");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_all_keys);
    tcase_add_test(tc, test_boundaries);
    tcase_add_test(tc, test_policy_forms);
    tcase_add_test(tc, test_policy_path_string);
    tcase_add_test(tc, test_policy_path_array);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_file_relative_path);
    tcase_add_test(tc, test_file_relative_to_cwd);
    tcase_add_test(tc, test_file_errors_positions);
    tcase_add_test(tc, test_file_missing);
    tcase_add_test(tc, test_file_directory);
    tcase_add_test(tc, test_file_not_regular);
    tcase_add_test(tc, test_file_unreadable);
    tcase_add_test(tc, test_file_ok);
    suite_add_tcase(s, tc);

    tc = tcase_create("env");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_loop_test(tc, test_env_threads, 0,
                        (int)(sizeof threads_env / sizeof threads_env[0]));
    tcase_add_test(tc, test_env_threads_quoting);
    tcase_add_test(tc, test_env_policy);
    tcase_add_test(tc, test_env_policy_path_ignored);
    tcase_add_test(tc, test_env_load_defaults);
    tcase_add_test(tc, test_env_config_file);
    tcase_add_test(tc, test_env_config_missing);
    suite_add_tcase(s, tc);

    tc = tcase_create("setters");
    tcase_add_test(tc, test_setters);
    tcase_add_test(tc, test_set_params);
    tcase_add_test(tc, test_copy);
    suite_add_tcase(s, tc);

    tc = tcase_create("locate");
    tcase_add_loop_test(tc, test_locate_value, 0,
                        (int)(sizeof loc_values / sizeof loc_values[0]));
    tcase_add_loop_test(tc, test_locate_key, 0, (int)(sizeof loc_keys / sizeof loc_keys[0]));
    tcase_add_loop_test(tc, test_locate_missing, 0,
                        (int)(sizeof loc_missing / sizeof loc_missing[0]));
    tcase_add_test(tc, test_locate_null);
    tcase_add_test(tc, test_locate_deep);
    tcase_add_test(tc, test_locate_matches_jansson);
    tcase_add_test(tc, test_path_key);
    tcase_add_test(tc, test_render);
    tcase_add_test(tc, test_suggest);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
