/*
 * bench_schema_check - validates a JSON document against a JSON Schema, for
 * the tpool-bench smoke test, so that CI needs nothing beyond jansson.
 *
 * Usage: bench_schema_check SCHEMA.json DOCUMENT.json
 *        bench_schema_check --lines SCHEMA.json DOCUMENT.jsonl
 * (--lines: every non-blank line of the document is a document of its
 * own, as in a program record; violations name the line.)
 * Exit status 0 when valid; 1 with one line per violation (at most 20)
 * naming the document path; 2 when a file cannot be read.
 *
 * Supports the subset of draft-07 that harness/schema.json uses: type (a
 * name or a list), enum, required, properties, additionalProperties (false
 * or a schema), items (one schema), minItems, maxItems, minimum, maximum, oneOf and
 * local $ref ("#/definitions/NAME"). Other keywords (title, description...)
 * are ignored.
 */
#define _GNU_SOURCE /* getline */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static json_t *g_root_schema;
static int g_errors;

static void report(const char *path, const char *msg)
{
    if (g_errors++ < 20)
        printf("%s: %s\n", path[0] ? path : "(root)", msg);
}

static int type_ok(const json_t *v, const char *t)
{
    if (strcmp(t, "object") == 0) return json_is_object(v);
    if (strcmp(t, "array") == 0) return json_is_array(v);
    if (strcmp(t, "string") == 0) return json_is_string(v);
    if (strcmp(t, "integer") == 0) return json_is_integer(v);
    if (strcmp(t, "number") == 0) return json_is_number(v);
    if (strcmp(t, "boolean") == 0) return json_is_boolean(v);
    if (strcmp(t, "null") == 0) return json_is_null(v);
    return 0;
}

static json_t *resolve(json_t *schema)
{
    json_t *ref = json_object_get(schema, "$ref");
    if (!json_is_string(ref))
        return schema;
    const char *r = json_string_value(ref);
    if (strncmp(r, "#/", 2) != 0)
        return NULL;
    json_t *at = g_root_schema;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", r + 2);
    for (char *s = strtok(buf, "/"); s && at; s = strtok(NULL, "/"))
        at = json_object_get(at, s);
    return at;
}

/* Validates v against schema; quiet: count only, print nothing. */
static int validate(json_t *v, json_t *schema, const char *path, int quiet);

static int fail(const char *path, const char *msg, int quiet)
{
    if (!quiet)
        report(path, msg);
    return 1;
}

static int validate(json_t *v, json_t *schema, const char *path, int quiet)
{
    schema = resolve(schema);
    if (!schema)
        return fail(path, "unresolvable $ref in the schema", quiet);
    int bad = 0;
    char msg[512], sub[1024];

    json_t *one = json_object_get(schema, "oneOf");
    if (json_is_array(one)) {
        size_t i, hits = 0;
        json_t *alt;
        json_array_foreach(one, i, alt) hits += validate(v, alt, path, 1) == 0;
        if (hits != 1) {
            snprintf(msg, sizeof msg, "matches %zu of the oneOf alternatives, not exactly 1",
                     hits);
            return fail(path, msg, quiet);
        }
    }
    json_t *type = json_object_get(schema, "type");
    if (type) {
        int ok = 0;
        if (json_is_string(type))
            ok = type_ok(v, json_string_value(type));
        size_t i;
        json_t *t;
        json_array_foreach(type, i, t) ok |= type_ok(v, json_string_value(t));
        if (!ok) {
            char *want = json_dumps(type, JSON_ENCODE_ANY | JSON_COMPACT);
            char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            snprintf(msg, sizeof msg, "expected type %s, got %.80s", want ? want : "?",
                     got ? got : "?");
            free(want);
            free(got);
            return fail(path, msg, quiet);
        }
    }
    json_t *en = json_object_get(schema, "enum");
    if (json_is_array(en)) {
        size_t i;
        json_t *e;
        int ok = 0;
        json_array_foreach(en, i, e) ok |= json_equal(e, v);
        if (!ok) {
            char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            snprintf(msg, sizeof msg, "value %.80s is not one of the enum", got ? got : "?");
            free(got);
            bad |= fail(path, msg, quiet);
        }
    }
    if (json_is_number(v)) {
        json_t *mn = json_object_get(schema, "minimum"), *mx = json_object_get(schema, "maximum");
        double d = json_number_value(v);
        if (json_is_number(mn) && d < json_number_value(mn)) {
            snprintf(msg, sizeof msg, "%g is below the minimum %g", d, json_number_value(mn));
            bad |= fail(path, msg, quiet);
        }
        if (json_is_number(mx) && d > json_number_value(mx)) {
            snprintf(msg, sizeof msg, "%g is above the maximum %g", d, json_number_value(mx));
            bad |= fail(path, msg, quiet);
        }
    }
    if (json_is_object(v)) {
        json_t *req = json_object_get(schema, "required");
        size_t i;
        json_t *r;
        json_array_foreach(req, i, r) {
            if (!json_object_get(v, json_string_value(r))) {
                snprintf(msg, sizeof msg, "missing required key \"%s\"", json_string_value(r));
                bad |= fail(path, msg, quiet);
            }
        }
        json_t *props = json_object_get(schema, "properties");
        json_t *addl = json_object_get(schema, "additionalProperties");
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            snprintf(sub, sizeof sub, "%s.%s", path, k);
            json_t *ps = json_object_get(props, k);
            if (ps)
                bad |= validate(x, ps, sub, quiet);
            else if (json_is_false(addl))
                bad |= fail(sub, "key not allowed by the schema", quiet);
            else if (json_is_object(addl))
                bad |= validate(x, addl, sub, quiet);
        }
    }
    if (json_is_array(v)) {
        json_t *mi = json_object_get(schema, "minItems");
        if (json_is_integer(mi) && (json_int_t)json_array_size(v) < json_integer_value(mi)) {
            snprintf(msg, sizeof msg, "%zu items, fewer than %lld", json_array_size(v),
                     (long long)json_integer_value(mi));
            bad |= fail(path, msg, quiet);
        }
        json_t *ma = json_object_get(schema, "maxItems");
        if (json_is_integer(ma) && (json_int_t)json_array_size(v) > json_integer_value(ma)) {
            snprintf(msg, sizeof msg, "%zu items, more than %lld", json_array_size(v),
                     (long long)json_integer_value(ma));
            bad |= fail(path, msg, quiet);
        }
        json_t *items = json_object_get(schema, "items");
        if (json_is_object(items)) {
            size_t i;
            json_t *x;
            json_array_foreach(v, i, x) {
                snprintf(sub, sizeof sub, "%s[%zu]", path, i);
                bad |= validate(x, items, sub, quiet);
            }
        }
    }
    return bad;
}

/* --lines: each line of `path` against the schema. */
static int check_lines(const char *schema, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int bad = 0, n = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        n++;
        if (strspn(line, " \t\r\n") == (size_t)len)
            continue;
        json_error_t e;
        json_t *doc = json_loadb(line, (size_t)len, 0, &e);
        char where[64];
        snprintf(where, sizeof where, "line %d", n);
        if (!doc) {
            printf("%s:%d:%d: %s\n", path, n, e.column, e.text);
            bad = 1;
            continue;
        }
        bad |= validate(doc, g_root_schema, where, 0);
        json_decref(doc);
    }
    free(line);
    fclose(f);
    if (bad) {
        printf("%s: %d violation(s) of %s\n", path, g_errors, schema);
        return 1;
    }
    printf("%s: %d lines valid against %s\n", path, n, schema);
    return 0;
}

int main(int argc, char **argv)
{
    int lines = argc == 4 && strcmp(argv[1], "--lines") == 0;
    if (lines) {
        argv++;
        argc--;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s [--lines] SCHEMA.json DOCUMENT.json\n", argv[0]);
        return 2;
    }
    json_error_t e;
    g_root_schema = json_load_file(argv[1], 0, &e);
    if (!g_root_schema) {
        fprintf(stderr, "%s:%d:%d: %s\n", argv[1], e.line, e.column, e.text);
        return 2;
    }
    if (lines) {
        int rc = check_lines(argv[1], argv[2]);
        json_decref(g_root_schema);
        return rc;
    }
    json_t *doc = json_load_file(argv[2], 0, &e);
    if (!doc) {
        fprintf(stderr, "%s:%d:%d: %s\n", argv[2], e.line, e.column, e.text);
        json_decref(g_root_schema);
        return 2;
    }
    int bad = validate(doc, g_root_schema, "", 0);
    json_decref(doc);
    json_decref(g_root_schema);
    if (bad) {
        printf("%s: %d violation(s) of %s\n", argv[2], g_errors, argv[1]);
        return 1;
    }
    printf("%s: valid against %s\n", argv[2], argv[1]);
    return 0;
}
