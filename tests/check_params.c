/*
 * check_params.c - validating a configuration's "params" against a policy's
 * parameter table (tpool__params_resolve): defaults, every kind of error with
 * its key path, line and column.
 *
 * Expected positions were counted by hand (one column per character).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkstemps */
#endif

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"

/* ---- the policy under test ------------------------------------------------ */

static const char *const modes[] = { "static", "guided", "adaptive", NULL };

enum { P_CHUNK, P_MIN_CHUNK, P_OFFSET, P_ANY, P_PIN, P_RATIO, P_SCALE, P_TINY, P_FREE,
       P_MODE, NPARAMS };

static const tpool_param_desc descs[NPARAMS] = {
    [P_CHUNK] = { "chunk", TPOOL_PARAM_INT, "items per grab", 1, 1048576, 64,
                  0, 0, 0, NULL, 0 },
    [P_MIN_CHUNK] = { "min_chunk", TPOOL_PARAM_INT, "smallest grab", 1, INT64_MAX, 1,
                      0, 0, 0, NULL, 0 },
    [P_OFFSET] = { "offset", TPOOL_PARAM_INT, "bounded above only", INT64_MIN, 10, -3,
                   0, 0, 0, NULL, 0 },
    [P_ANY] = { "any", TPOOL_PARAM_INT, "unbounded", INT64_MIN, INT64_MAX, -5,
                0, 0, 0, NULL, 0 },
    [P_PIN] = { "pin", TPOOL_PARAM_BOOL, "pin workers", 0, 1, 1, 0, 0, 0, NULL, 0 },
    [P_RATIO] = { "ratio", TPOOL_PARAM_DOUBLE, "a fraction", 0, 0, 0, 0.0, 1.0, 0.5,
                  NULL, 0 },
    [P_SCALE] = { "scale", TPOOL_PARAM_DOUBLE, "bounded below", 0, 0, 0, 0.5, INFINITY,
                  2.0, NULL, 0 },
    [P_TINY] = { "tiny", TPOOL_PARAM_DOUBLE, "bounded above", 0, 0, 0, -INFINITY, 0.001,
                 0.0001, NULL, 0 },
    [P_FREE] = { "free", TPOOL_PARAM_DOUBLE, "unbounded", 0, 0, 0, -INFINITY, INFINITY,
                 -1.25, NULL, 0 },
    [P_MODE] = { "mode", TPOOL_PARAM_ENUM, "how", 0, 0, 0, 0, 0, 0, modes, 1 },
};

static const tpool_policy dynamic = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "dynamic",
    .description = "test policy",
    .params = descs,
    .nparams = NPARAMS,
};

static const tpool_policy fifo = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "fifo",
};

static tpool_config *load(const char *json)
{
    tpool_error err;
    tpool_config *cfg = NULL;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_config_load_text(json, "p.json", &cfg, &err) == 0, "%s: %s", json,
                  err.text);
    return cfg;
}

static void assert_defaults_except(const tpool_param_value *v, int except)
{
    if (except != P_CHUNK)
        ck_assert_int_eq(v[P_CHUNK].i, 64);
    if (except != P_MIN_CHUNK)
        ck_assert_int_eq(v[P_MIN_CHUNK].i, 1);
    if (except != P_OFFSET)
        ck_assert_int_eq(v[P_OFFSET].i, -3);
    if (except != P_ANY)
        ck_assert_int_eq(v[P_ANY].i, -5);
    if (except != P_PIN)
        ck_assert_int_eq(v[P_PIN].i, 1);
    if (except != P_RATIO)
        ck_assert_double_eq(v[P_RATIO].d, 0.5);
    if (except != P_SCALE)
        ck_assert_double_eq(v[P_SCALE].d, 2.0);
    if (except != P_TINY)
        ck_assert_double_eq(v[P_TINY].d, 0.0001);
    if (except != P_FREE)
        ck_assert_double_eq(v[P_FREE].d, -1.25);
    if (except != P_MODE)
        ck_assert_int_eq(v[P_MODE].i, 1);
}

/* ---- defaults ----------------------------------------------------------------- */

START_TEST(test_defaults)
{
    static const char *const texts[] = {
        "{}", "{\"policy\": \"dynamic\"}", "{\"params\": {}}",
    };
    tpool_param_value v[NPARAMS];
    tpool_error err;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        tpool_config *cfg = load(texts[i]);
        memset(v, 0xAB, sizeof v);
        tpool_error_clear(&err);
        ck_assert_int_eq(tpool__params_resolve(cfg, &dynamic, v, &err), 0);
        ck_assert_int_eq(err.code, 0);
        assert_defaults_except(v, -1);
        tpool_config_free(cfg);
    }
    /* No configuration at all. */
    memset(v, 0xAB, sizeof v);
    ck_assert_int_eq(tpool__params_resolve(NULL, &dynamic, v, NULL), 0);
    assert_defaults_except(v, -1);
}
END_TEST

/* ---- valid values ----------------------------------------------------------- */

static const struct good_case {
    const char *params; /* the inside of "params": {...} */
    int index;
    int is_double;
    int64_t i;
    double d;
} good_cases[] = {
    { "\"chunk\": 1", P_CHUNK, 0, 1, 0 },
    { "\"chunk\": 1048576", P_CHUNK, 0, 1048576, 0 },
    { "\"min_chunk\": 9223372036854775807", P_MIN_CHUNK, 0, INT64_MAX, 0 },
    { "\"offset\": -9223372036854775808", P_OFFSET, 0, INT64_MIN, 0 },
    { "\"offset\": 10", P_OFFSET, 0, 10, 0 },
    { "\"any\": 0", P_ANY, 0, 0, 0 },
    { "\"pin\": false", P_PIN, 0, 0, 0 },
    { "\"pin\": true", P_PIN, 0, 1, 0 },
    { "\"ratio\": 0", P_RATIO, 1, 0, 0.0 }, /* an integer is a number */
    { "\"ratio\": 1", P_RATIO, 1, 0, 1.0 },
    { "\"ratio\": 0.25", P_RATIO, 1, 0, 0.25 },
    { "\"ratio\": 1e-3", P_RATIO, 1, 0, 0.001 },
    { "\"scale\": 1e300", P_SCALE, 1, 0, 1e300 },
    { "\"scale\": 0.5", P_SCALE, 1, 0, 0.5 },
    { "\"tiny\": -1e300", P_TINY, 1, 0, -1e300 },
    { "\"free\": -7", P_FREE, 1, 0, -7.0 },
    { "\"mode\": \"static\"", P_MODE, 0, 0, 0 },
    { "\"mode\": \"guided\"", P_MODE, 0, 1, 0 },
    { "\"mode\": \"adaptive\"", P_MODE, 0, 2, 0 },
    { "\"m\\u006fde\": \"adaptive\"", P_MODE, 0, 2, 0 },
};

START_TEST(test_good)
{
    const struct good_case *c = &good_cases[_i];
    char json[256];
    snprintf(json, sizeof json, "{\"policy\": \"dynamic\", \"params\": {%s}}", c->params);
    tpool_config *cfg = load(json);
    tpool_param_value v[NPARAMS];
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool__params_resolve(cfg, &dynamic, v, &err) == 0, "%s: %s", json, err.text);
    if (c->is_double)
        ck_assert_double_eq(v[c->index].d, c->d);
    else
        ck_assert_int_eq(v[c->index].i, c->i);
    assert_defaults_except(v, c->index);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_all_given)
{
    tpool_config *cfg = load("{\"params\": {\"mode\": \"static\", \"chunk\": 7, \"min_chunk\": 2,"
                             " \"offset\": 0, \"any\": 99, \"pin\": false, \"ratio\": 0.75,"
                             " \"scale\": 3, \"tiny\": 0, \"free\": 1.5}}");
    tpool_param_value v[NPARAMS];
    ck_assert_int_eq(tpool__params_resolve(cfg, &dynamic, v, NULL), 0);
    ck_assert_int_eq(v[P_CHUNK].i, 7);
    ck_assert_int_eq(v[P_MIN_CHUNK].i, 2);
    ck_assert_int_eq(v[P_OFFSET].i, 0);
    ck_assert_int_eq(v[P_ANY].i, 99);
    ck_assert_int_eq(v[P_PIN].i, 0);
    ck_assert_double_eq(v[P_RATIO].d, 0.75);
    ck_assert_double_eq(v[P_SCALE].d, 3.0);
    ck_assert_double_eq(v[P_TINY].d, 0.0);
    ck_assert_double_eq(v[P_FREE].d, 1.5);
    ck_assert_int_eq(v[P_MODE].i, 0);
    tpool_config_free(cfg);
}
END_TEST

/* ---- errors ----------------------------------------------------------------- */

static const struct bad_case {
    const char *json;
    int code;
    const char *key;
    int line, column;
    const char *msg;
} bad_cases[] = {
    { "{\"policy\": \"dynamic\",\n \"params\": {\"chnk\": 4}}", TPOOL_EINVAL, "params.chnk", 2, 13, "unknown parameter for policy 'dynamic' (accepted: chunk, min_chunk, offset, any, pin, ratio, scale, tiny, free, mode; did you mean 'chunk'?)" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"zzz\": 4}}", TPOOL_EINVAL, "params.zzz", 2, 13, "unknown parameter for policy 'dynamic' (accepted: chunk, min_chunk, offset, any, pin, ratio, scale, tiny, free, mode)" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"a.b\": 1}}", TPOOL_EINVAL, "params.a.b", 2, 13, "unknown parameter" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"chunk\": 0}}", TPOOL_EINVAL, "params.chunk", 2, 22, "expected an integer in [1, 1048576], got 0" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"chunk\": 1048577}}", TPOOL_EINVAL, "params.chunk", 2, 22, "expected an integer in [1, 1048576], got 1048577" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"chunk\": -9223372036854775808}}", TPOOL_EINVAL, "params.chunk", 2, 22, "got -9223372036854775808" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"chunk\": \"64\"}}", TPOOL_EINVAL, "params.chunk", 2, 22, "expected an integer in [1, 1048576], got \"64\"" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"chunk\": 64.0}}", TPOOL_EINVAL, "params.chunk", 2, 22, "got 64.0" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"chunk\": null}}", TPOOL_EINVAL, "params.chunk", 2, 22, "got null" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"chunk\": {\"v\": 1}}}", TPOOL_EINVAL, "params.chunk", 2, 22, "got {\"v\": 1}" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"min_chunk\": 0}}", TPOOL_EINVAL, "params.min_chunk", 2, 26, "expected an integer >= 1, got 0" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"offset\": 11}}", TPOOL_EINVAL, "params.offset", 2, 23, "expected an integer <= 10, got 11" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"any\": \"x\"}}", TPOOL_EINVAL, "params.any", 2, 20, "expected an integer, got \"x\"" },
    /* -0 reads as 0, which is in range: refused, the sign says otherwise. */
    { "{\"policy\": \"dynamic\",\n \"params\": {\"offset\": -0}}", TPOOL_EINVAL, "params.offset", 2, 23, "expected an integer <= 10, got -0: a negative zero reads as 0; write 0 if that is meant" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"any\": -0}}", TPOOL_EINVAL, "params.any", 2, 20, "expected an integer, got -0" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"pin\": 1}}", TPOOL_EINVAL, "params.pin", 2, 20, "expected true or false, got 1" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"pin\": \"true\"}}", TPOOL_EINVAL, "params.pin", 2, 20, "expected true or false, got \"true\"" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"pin\": null}}", TPOOL_EINVAL, "params.pin", 2, 20, "got null" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"ratio\": 1.5}}", TPOOL_EINVAL, "params.ratio", 2, 22, "expected a number in [0, 1], got 1.5" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"ratio\": -0.1}}", TPOOL_EINVAL, "params.ratio", 2, 22, "expected a number in [0, 1], got -0.1" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"ratio\": 2}}", TPOOL_EINVAL, "params.ratio", 2, 22, "got 2" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"ratio\": \"0.5\"}}", TPOOL_EINVAL, "params.ratio", 2, 22, "got \"0.5\"" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"ratio\": false}}", TPOOL_EINVAL, "params.ratio", 2, 22, "got false" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"scale\": 0.25}}", TPOOL_EINVAL, "params.scale", 2, 22, "expected a number >= 0.5, got 0.25" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"tiny\": 0.01}}", TPOOL_EINVAL, "params.tiny", 2, 21, "expected a number <= 0.001, got 0.01" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"free\": []}}", TPOOL_EINVAL, "params.free", 2, 21, "expected a number, got []" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"mode\": \"fast\"}}", TPOOL_EINVAL, "params.mode", 2, 21, "expected one of \"static\", \"guided\", \"adaptive\", got \"fast\"" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"mode\": \"\"}}", TPOOL_EINVAL, "params.mode", 2, 21, "got \"\"" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"mode\": 1}}", TPOOL_EINVAL, "params.mode", 2, 21, "got 1" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"mode\": \"Static\"}}", TPOOL_EINVAL, "params.mode", 2, 21, "got \"Static\"" },
    { "{\"policy\": \"dynamic\",\n \"params\": {\"chunk\": 8, \"mode\": \"x\", \"pin\": 3}}", TPOOL_EINVAL, "params.mode", 2, 33, "got \"x\"" },
    { "{\n  \"params\": {\n    \"pin\": true,\n    \"ratio\":\n\n        7\n  }\n}", TPOOL_EINVAL, "params.ratio", 6, 9, "got 7" },
    { "{\"policy\": \"d\xc3\xa9""\", \"params\": {\"chunk\": 0}}", TPOOL_EINVAL, "params.chunk", 1, 38, "got 0" },
    { "{\"params\": {\"ch\\u0075nk\": 0}}", TPOOL_EINVAL, "params.chunk", 1, 27, "got 0" },
};
#define NBAD (int)(sizeof bad_cases / sizeof bad_cases[0])

START_TEST(test_bad)
{
    const struct bad_case *c = &bad_cases[_i];
    tpool_config *cfg = load(c->json);
    tpool_param_value v[NPARAMS];
    tpool_error err;
    tpool_error_clear(&err);
    int rc = tpool__params_resolve(cfg, &dynamic, v, &err);
    ck_assert_msg(rc == c->code, "row %d: rc %d (%s)", _i, rc, err.text);
    ck_assert_int_eq(err.code, c->code);
    ck_assert_str_eq(err.source, "p.json");
    ck_assert_msg(strcmp(err.key, c->key) == 0, "row %d: key '%s', want '%s'", _i, err.key,
                  c->key);
    ck_assert_msg(err.line == c->line && err.column == c->column,
                  "row %d: at %d:%d, want %d:%d (%s)", _i, err.line, err.column, c->line,
                  c->column, err.text);
    ck_assert_msg(strstr(err.text, c->msg) != NULL, "row %d: '%s' lacks '%s'", _i, err.text,
                  c->msg);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "p.json:%d:%d: %s: ", c->line, c->column, c->key);
    ck_assert_msg(strncmp(err.text, prefix, strlen(prefix)) == 0, "row %d: '%s' not '%s...'",
                  _i, err.text, prefix);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_message_exact)
{
    tpool_config *cfg = load("{\n  \"policy\": \"dynamic\",\n  \"params\": {\n"
                             "    \"chunk\": \"x\"\n  }\n}");
    tpool_param_value v[NPARAMS];
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &dynamic, v, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.text, "p.json:4:14: params.chunk: expected an integer in [1, 1048576], "
                               "got \"x\"");
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_no_params_policy)
{
    tpool_config *cfg = load("{\"policy\": \"fifo\", \"params\": {\"chunk\": 4}}");
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &fifo, NULL, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.text, "p.json:1:31: params.chunk: unknown parameter: policy 'fifo' "
                               "accepts no parameters");
    tpool_config_free(cfg);

    /* ...and no params is fine, with nowhere to write. */
    cfg = load("{\"policy\": \"fifo\", \"params\": {}}");
    ck_assert_int_eq(tpool__params_resolve(cfg, &fifo, NULL, NULL), 0);
    tpool_config_free(cfg);

    /* A NULL table counts as none whatever nparams says. */
    tpool_policy odd = fifo;
    odd.nparams = 3;
    cfg = load("{\"params\": {\"x\": 1}}");
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &odd, NULL, &err), TPOOL_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "accepts no parameters"));
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_set_params_positions)
{
    /* After tpool_config_set_params positions refer to the params text. */
    tpool_config *cfg = load("{\"policy\": \"dynamic\", \"params\": {\"chunk\": 2}}");
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_set_params(cfg, "{\n  \"pin\": true,\n  \"chunk\": 0\n}", &err),
                     0);
    tpool_param_value v[NPARAMS];
    ck_assert_int_eq(tpool__params_resolve(cfg, &dynamic, v, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.source, "<params>");
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 12);
    ck_assert_str_eq(err.key, "params.chunk");
    ck_assert_int_eq(strncmp(err.text, "<params>:3:12: params.chunk: expected", 37), 0);

    /* An unknown key points at the key. */
    ck_assert_int_eq(tpool_config_set_params(cfg, "{\"pin\": true, \"bogus\": 1}", NULL), 0);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &dynamic, v, &err), TPOOL_EINVAL);
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(err.column, 15);
    ck_assert_str_eq(err.key, "params.bogus");

    ck_assert_int_eq(tpool_config_set_params(cfg, "{\"pin\": false, \"mode\": \"static\"}", NULL),
                     0);
    ck_assert_int_eq(tpool__params_resolve(cfg, &dynamic, v, NULL), 0);
    ck_assert_int_eq(v[P_PIN].i, 0);
    ck_assert_int_eq(v[P_MODE].i, 0);
    ck_assert_int_eq(v[P_CHUNK].i, 64);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_no_text)
{
    /* A configuration built in code has no text: the message has no position
     * and no source, but still names the key. */
    tpool_config *cfg;
    ck_assert_int_eq(tpool_config_new(&cfg), 0);
    cfg->params = json_pack("{s:i}", "chunk", 0);
    ck_assert_ptr_nonnull(cfg->params);
    tpool_param_value v[NPARAMS];
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &dynamic, v, &err), TPOOL_EINVAL);
    ck_assert_int_eq(err.line, 0);
    ck_assert_int_eq(err.column, 0);
    ck_assert_str_eq(err.text, "params.chunk: expected an integer in [1, 1048576], got 0");

    /* params that is no object (only possible from code). */
    json_decref(cfg->params);
    cfg->params = json_integer(3);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &dynamic, v, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.key, "params");
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_from_file)
{
    char path[] = "/tmp/tpool-check-params-XXXXXX.json";
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    const char *json = "{\n\t\"policy\": \"dynamic\",\n\t\"params\": {\"mode\": \"turbo\"}\n}\n";
    ck_assert_int_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    tpool_config *cfg;
    tpool_error err;
    tpool_error_clear(&err);
    int rc = tpool_config_load_file(path, &cfg, &err);
    unlink(path);
    ck_assert_msg(rc == 0, "%s", err.text);
    tpool_param_value v[NPARAMS];
    ck_assert_int_eq(tpool__params_resolve(cfg, &dynamic, v, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.source, path);
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 21);
    ck_assert_ptr_nonnull(strstr(err.text, "got \"turbo\""));
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_first_error_wins)
{
    tpool_config *a = load("{\"params\": {\"chunk\": 0}}");
    tpool_config *b = load("{\"params\": {\"zzz\": 0}}");
    tpool_param_value v[NPARAMS];
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(a, &dynamic, v, &err), TPOOL_EINVAL);
    ck_assert_int_eq(tpool__params_resolve(b, &dynamic, v, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.key, "params.chunk");
    tpool_config_free(a);
    tpool_config_free(b);
}
END_TEST

START_TEST(test_broken_table)
{
    static const tpool_param_desc bad_desc[] = {
        { "weird", (enum tpool_param_type)99, "no such type", 0, 0, 0, 0, 0, 0, NULL, 0 },
        { NULL, TPOOL_PARAM_INT, "nameless", 0, 1, 0, 0, 0, 0, NULL, 0 },
        { "nochoice", TPOOL_PARAM_ENUM, "no choices", 0, 0, 0, 0, 0, 0, NULL, 0 },
    };
    tpool_policy pol = dynamic;
    pol.name = "broken";
    pol.params = bad_desc;
    pol.nparams = 3;
    tpool_param_value v[3];
    tpool_error err;

    tpool_config *cfg = load("{\"params\": {\"weird\": 1}}");
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &pol, v, &err), TPOOL_EPOLICY);
    ck_assert_str_eq(err.key, "params.weird");
    ck_assert_ptr_nonnull(strstr(err.text, "policy 'broken'"));
    tpool_config_free(cfg);

    /* Nameless entries are never matched and not listed. */
    cfg = load("{\"params\": {\"x\": 1}}");
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &pol, v, &err), TPOOL_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "(accepted: weird, nochoice)"));
    tpool_config_free(cfg);

    cfg = load("{\"params\": {\"nochoice\": \"a\"}}");
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &pol, v, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.key, "params.nochoice");
    tpool_config_free(cfg);

    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(NULL, NULL, v, &err), TPOOL_EINVAL);
    ck_assert_int_eq(tpool__params_resolve(NULL, &dynamic, NULL, NULL), TPOOL_EINVAL);
}
END_TEST

START_TEST(test_long_lists)
{
    /* Many long names: the accepted list is cut, never overflowed. */
    enum { N = 60 };
    static tpool_param_desc many[N];
    static char names[N][48];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "a_rather_long_parameter_name_number_%02d", i);
        many[i] = (tpool_param_desc){ names[i], TPOOL_PARAM_INT, "", 0, 1, 0,
                                      0, 0, 0, NULL, 0 };
    }
    tpool_policy pol = dynamic;
    pol.params = many;
    pol.nparams = N;
    tpool_param_value v[N];
    tpool_error err;
    tpool_config *cfg = load("{\"params\": {\"q\": 1}}");
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &pol, v, &err), TPOOL_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "(accepted: a_rather_long_parameter_name_number_00, "));
    ck_assert_ptr_nonnull(strstr(err.text, "...)"));
    ck_assert_uint_lt(strlen(err.text), sizeof err.text);
    tpool_config_free(cfg);

    /* A long key name is cut in err.key but the text still names it. */
    char json[512], longkey[300];
    memset(longkey, 'k', 299);
    longkey[299] = '\0';
    snprintf(json, sizeof json, "{\"params\": {\"%s\": 1}}", longkey);
    cfg = load(json);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__params_resolve(cfg, &pol, v, &err), TPOOL_EINVAL);
    ck_assert_uint_eq(strlen(err.key), sizeof err.key - 1);
    ck_assert_int_eq(strncmp(err.key, "params.kkk", 10), 0);
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(err.column, 13);
    tpool_config_free(cfg);
}
END_TEST

static Suite *params_suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("valid");
    tcase_add_test(tc, test_defaults);
    tcase_add_loop_test(tc, test_good, 0, (int)(sizeof good_cases / sizeof good_cases[0]));
    tcase_add_test(tc, test_all_given);
    suite_add_tcase(s, tc);

    tc = tcase_create("invalid");
    tcase_add_loop_test(tc, test_bad, 0, NBAD);
    tcase_add_test(tc, test_message_exact);
    tcase_add_test(tc, test_no_params_policy);
    tcase_add_test(tc, test_set_params_positions);
    tcase_add_test(tc, test_no_text);
    tcase_add_test(tc, test_from_file);
    tcase_add_test(tc, test_first_error_wins);
    tcase_add_test(tc, test_broken_table);
    tcase_add_test(tc, test_long_lists);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(params_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
