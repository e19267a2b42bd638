/*
 * config.c - the JSON configuration: parsing, validation, environment
 * overrides and the setters for configurations built in code.
 *
 * Every key is checked here except the members of "params", which only make
 * sense against the policy's parameter table and are checked by params.c once
 * the policy is loaded. The text is kept so that those later errors can still
 * give a line and a column.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "json_locate.h"
#include "params.h"
#include "textfile.h"

#define MAX_SPIN_US 1000000
#define MAX_STACK_KB (1u << 20) /* 1 GiB: more is a mistake, not a stack */
#define MAX_IDLE_MS 86400000 /* a day */
#define MAX_RECORD_MB 65536  /* 64 GiB of events */
#define MAX_RECORD_EVERY 1000000
/* A configuration is a few hundred bytes; refusing huge inputs keeps a
 * mistaken TPOOL_CONFIG=/dev/zero from eating the memory. */
#define MAX_FILE_SIZE (64u << 20)

#define TEXT_SOURCE "<text>"

#if JSON_INTEGER_IS_LONG_LONG
#define JINT_MAX LLONG_MAX
#else
#define JINT_MAX LONG_MAX
#endif

/* ---- allocation --------------------------------------------------------- */

static void free_path(char **dirs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tpool__free(dirs[i]);
    tpool__free(dirs);
}

int tpool_config_new(tpool_config **out)
{
    if (!out)
        return TPOOL_EINVAL;
    *out = NULL;
    tpool_config *cfg = tpool__calloc(1, sizeof *cfg);
    if (!cfg)
        return TPOOL_ENOMEM;
    cfg->policy = tpool__strdup(TPOOL_DEFAULT_POLICY);
    if (!cfg->policy) {
        tpool__free(cfg);
        return TPOOL_ENOMEM;
    }
    cfg->threads = 0;
    cfg->idle_ms = TPOOL_DEFAULT_IDLE_MS;
    cfg->spin_us = TPOOL_DEFAULT_SPIN_US;
    cfg->min_work_size = TPOOL_DEFAULT_MIN_WORK_SIZE;
    cfg->record_max_mb = TPOOL_DEFAULT_RECORD_MAX_MB;
    cfg->record_full_calls = TPOOL_DEFAULT_RECORD_FULL_CALLS;
    cfg->record_every = TPOOL_DEFAULT_RECORD_EVERY;
    *out = cfg;
    return 0;
}

void tpool_config_free(tpool_config *cfg)
{
    if (!cfg)
        return;
    tpool__free(cfg->policy);
    json_decref(cfg->params);
    free_path(cfg->policy_path, cfg->npolicy_path);
    tpool__free(cfg->source);
    tpool__free(cfg->text);
    tpool__free(cfg->record_path);
    tpool__free(cfg);
}

static char *dup_or_null(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = tpool__strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

int tpool_config_copy(const tpool_config *src, tpool_config **out)
{
    if (!out)
        return TPOOL_EINVAL;
    *out = NULL;
    if (!src)
        return TPOOL_EINVAL;
    tpool_config *c = tpool__calloc(1, sizeof *c);
    if (!c)
        return TPOOL_ENOMEM;
    int failed = 0;
    c->threads = src->threads;
    c->threads_max = src->threads_max;
    c->idle_ms = src->idle_ms;
    c->spin_us = src->spin_us;
    c->stack_kb = src->stack_kb;
    c->min_work_size = src->min_work_size;
    c->record_max_mb = src->record_max_mb;
    c->record_full_calls = src->record_full_calls;
    c->record_every = src->record_every;
    c->record_cpu = src->record_cpu;
    c->record_path = dup_or_null(src->record_path, &failed);
    c->policy = dup_or_null(src->policy, &failed);
    c->policy_line = src->policy_line;
    c->policy_column = src->policy_column;
    c->source = dup_or_null(src->source, &failed);
    c->text = dup_or_null(src->text, &failed);
    if (src->params) {
        /* A deep copy: the original may be changed or freed afterwards. */
        c->params = json_deep_copy(src->params);
        if (!c->params)
            failed = 1;
    }
    if (src->npolicy_path) {
        c->policy_path = tpool__calloc(src->npolicy_path, sizeof *c->policy_path);
        if (!c->policy_path) {
            failed = 1;
        } else {
            c->npolicy_path = src->npolicy_path;
            for (size_t i = 0; i < src->npolicy_path; i++)
                c->policy_path[i] = dup_or_null(src->policy_path[i], &failed);
        }
    }
    if (failed) {
        tpool_config_free(c);
        return TPOOL_ENOMEM;
    }
    *out = c;
    return 0;
}

/* ---- parsing ---------------------------------------------------------------- */

struct ctx {
    tpool_config *cfg;
    const char *source;
    const char *text;
    const char *base_dir; /* absolute directory of the file, NULL for text */
    tpool_error *err;
};

static int nomem(struct ctx *c)
{
    return tpool__error(c->err, TPOOL_ENOMEM, c->source, 0, 0, NULL,
                        "out of memory while reading the configuration");
}

/* "expected <what>, got <value>" at the position of the value at `key`. */
static int bad(struct ctx *c, const char *key, const json_t *v, const char *what)
{
    int line = 0, column = 0;
    tpool__json_locate(c->text, key, &line, &column);
    char got[64];
    return tpool__error(c->err, TPOOL_EINVAL, c->source, line, column, key,
                        "expected %s, got %s", what,
                        tpool__json_render(v, got, sizeof got));
}

static int get_int(struct ctx *c, const char *key, const json_t *v,
                   json_int_t lo, json_int_t hi, json_int_t *out)
{
    int negative_zero = json_is_integer(v) && json_integer_value(v) == 0
                        && tpool__json_negative_zero(c->text, key);
    if (json_is_integer(v) && !negative_zero) {
        json_int_t i = json_integer_value(v);
        if (i >= lo && i <= hi) {
            *out = i;
            return 0;
        }
    }
    char what[160];
    if (hi == JINT_MAX)
        snprintf(what, sizeof what, "an integer >= %" JSON_INTEGER_FORMAT, lo);
    else
        snprintf(what, sizeof what,
                 "an integer in [%" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT "]",
                 lo, hi);
    if (negative_zero) {
        /* The sign says a negative number was meant; as 0 it would quietly
         * mean something else (for "threads", every CPU). */
        int line = 0, column = 0;
        tpool__json_locate(c->text, key, &line, &column);
        return tpool__error(c->err, TPOOL_EINVAL, c->source, line, column, key,
                            "expected %s, got -0: a negative zero reads as 0%s; write "
                            "0 if that is meant", what,
                            strcmp(key, "threads") == 0
                                ? ", the default (as many threads as CPUs available)"
                                : "");
    }
    return bad(c, key, v, what);
}

/*
 * Joins a directory named in a file-loaded configuration with that file's
 * directory, so that "policy_path": "plugins" means the same thing whatever
 * the current directory is when the pool is created. Lexical only: the
 * directory need not exist yet, and symbolic links keep their meaning.
 */
static char *resolve(const char *base, const char *entry)
{
    if (!base || entry[0] == '/')
        return tpool__strdup(entry);
    while (entry[0] == '.' && entry[1] == '/') {
        entry += 2;
        while (*entry == '/')
            entry++;
    }
    if (entry[0] == '\0' || strcmp(entry, ".") == 0)
        return tpool__strdup(base);
    size_t bl = strlen(base), el = strlen(entry);
    int slash = bl > 0 && base[bl - 1] != '/';
    char *r = tpool__malloc(bl + (size_t)slash + el + 1);
    if (!r)
        return NULL;
    memcpy(r, base, bl);
    if (slash)
        r[bl] = '/';
    memcpy(r + bl + (size_t)slash, entry, el + 1);
    return r;
}

/* The absolute directory of `path`. The current directory is read now, at
 * load time, because a later chdir must not move the policy search. */
static char *file_dir(const char *path)
{
    if (path[0] != '/') {
        /* "./tpool.json" is "tpool.json": keep "/./" out of the result. */
        while (path[0] == '.' && path[1] == '/') {
            path += 2;
            while (*path == '/')
                path++;
        }
    }
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 0;
    if (path[0] == '/')
        return tpool__strndup(path, dl);
    char *cwd = tpool__getcwd();
    if (!cwd) {
        if (errno == ENOMEM)
            return NULL;
        /* The current directory is gone or unreadable: keep the directory
         * relative, which still means the right thing until a chdir. */
        return dl ? tpool__strndup(path, dl) : tpool__strdup(".");
    }
    if (dl == 0)
        return cwd;
    size_t cl = strlen(cwd);
    int sep = cl > 0 && cwd[cl - 1] != '/'; /* cwd "/" has its slash */
    char *r = tpool__malloc(cl + (size_t)sep + dl + 1);
    if (r) {
        memcpy(r, cwd, cl);
        if (sep)
            r[cl] = '/';
        memcpy(r + cl + (size_t)sep, path, dl);
        r[cl + (size_t)sep + dl] = '\0';
    }
    tpool__free(cwd);
    return r;
}

static int unknown_key(struct ctx *c, const char *parent, const char *key,
                       const char *const *names, size_t nnames);

/* "threads": {"min": m, "max": n, "idle_ms": t}: an elastic pool. */
static int threads_object(struct ctx *c, const char *key, json_t *v)
{
    static const char *const names[] = { "min", "max", "idle_ms" };
    json_int_t val[3] = { 1, -1, TPOOL_DEFAULT_IDLE_MS };
    const json_int_t hi[3] = { TPOOL_MAX_THREADS, TPOOL_MAX_THREADS, MAX_IDLE_MS };
    const char *name;
    json_t *m;
    json_object_foreach(v, name, m) {
        size_t i = 0;
        while (i < 3 && strcmp(name, names[i]) != 0)
            i++;
        if (i == 3)
            return unknown_key(c, key, name, names, 3);
        char sub[64];
        snprintf(sub, sizeof sub, "%s.%s", key, names[i]);
        int rc = get_int(c, sub, m, i == 2 ? 0 : 1, hi[i], &val[i]);
        if (rc)
            return rc;
    }
    int line = 0, column = 0;
    if (val[1] < 0) {
        tpool__json_locate(c->text, key, &line, &column);
        return tpool__error(c->err, TPOOL_EINVAL, c->source, line, column, key,
                            "an elastic thread count needs \"max\" (keys: min, max, "
                            "idle_ms)");
    }
    if (val[1] < val[0]) {
        char sub[64];
        snprintf(sub, sizeof sub, "%s.max", key);
        tpool__json_locate(c->text, sub, &line, &column);
        return tpool__error(c->err, TPOOL_EINVAL, c->source, line, column, sub,
                            "max (%" JSON_INTEGER_FORMAT ") is below min (%"
                            JSON_INTEGER_FORMAT ")", val[1], val[0]);
    }
    c->cfg->threads = (unsigned)val[0];
    c->cfg->threads_max = (unsigned)val[1];
    c->cfg->idle_ms = (unsigned)val[2];
    return 0;
}

static int key_threads(struct ctx *c, const char *key, json_t *v)
{
    if (json_is_object(v))
        return threads_object(c, key, v);
    json_int_t i = 0;
    int rc = get_int(c, key, v, 0, TPOOL_MAX_THREADS, &i);
    if (rc == 0) {
        c->cfg->threads = (unsigned)i;
        c->cfg->threads_max = 0;
    }
    return rc;
}

static int key_spin_us(struct ctx *c, const char *key, json_t *v)
{
    json_int_t i = 0;
    int rc = get_int(c, key, v, 0, MAX_SPIN_US, &i);
    if (rc == 0)
        c->cfg->spin_us = (unsigned)i;
    return rc;
}

/* The smallest stack pthread_attr_setstacksize accepts, in KiB (rounded up). */
static unsigned min_stack_kb(void)
{
    long m = sysconf(_SC_THREAD_STACK_MIN);
    if (m < PTHREAD_STACK_MIN)
        m = PTHREAD_STACK_MIN;
    return (unsigned)((m + 1023) / 1024);
}

static int key_stack_kb(struct ctx *c, const char *key, json_t *v)
{
    json_int_t i = 0;
    int rc = get_int(c, key, v, 0, MAX_STACK_KB, &i);
    if (rc == 0 && i != 0 && i < (json_int_t)min_stack_kb()) {
        char what[96];
        snprintf(what, sizeof what, "0 (the default) or an integer in [%u, %u]",
                 min_stack_kb(), MAX_STACK_KB);
        return bad(c, key, v, what);
    }
    if (rc == 0)
        c->cfg->stack_kb = (unsigned)i;
    return rc;
}

pthread_attr_t *tpool__worker_attr(const tpool_config *cfg, pthread_attr_t *attr)
{
    if (!cfg || !cfg->stack_kb || pthread_attr_init(attr) != 0)
        return NULL;
    if (pthread_attr_setstacksize(attr, (size_t)cfg->stack_kb * 1024) != 0) {
        pthread_attr_destroy(attr);
        return NULL;
    }
    return attr;
}

static int key_min_work_size(struct ctx *c, const char *key, json_t *v)
{
    json_int_t i = 0;
    json_int_t hi = JINT_MAX;
    /* Only narrower than json_int_t where size_t is 32 bits. */
    if ((uintmax_t)SIZE_MAX < (uintmax_t)JINT_MAX)
        hi = (json_int_t)SIZE_MAX;
    int rc = get_int(c, key, v, 1, hi, &i);
    if (rc == 0)
        c->cfg->min_work_size = (size_t)i;
    return rc;
}

static int key_policy(struct ctx *c, const char *key, json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) == 0)
        return bad(c, key, v,
                   "a non-empty string (a policy name, or a path containing '/')");
    const char *s = json_string_value(v);
    /* A relative path in a file means relative to that file, like
     * policy_path; a bare name is looked up on the search path. */
    char *p = strchr(s, '/') ? resolve(c->base_dir, s) : tpool__strdup(s);
    if (!p)
        return nomem(c);
    tpool__free(c->cfg->policy);
    c->cfg->policy = p;
    if (tpool__json_locate(c->text, key, &c->cfg->policy_line, &c->cfg->policy_column))
        c->cfg->policy_line = c->cfg->policy_column = 0;
    return 0;
}

static int key_params(struct ctx *c, const char *key, json_t *v)
{
    if (!json_is_object(v))
        return bad(c, key, v, "an object (the policy's parameters)");
    json_decref(c->cfg->params);
    c->cfg->params = json_incref(v);
    return 0;
}

/* Appends entry (resolved against the file's directory); the array grows
 * geometrically, so a path of any length is read in linear time. */
static int add_dir(struct ctx *c, char ***dirs, size_t *n, size_t *cap, const char *entry)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        char **grown = tpool__realloc(*dirs, ncap * sizeof **dirs);
        if (!grown)
            return nomem(c);
        *dirs = grown;
        *cap = ncap;
    }
    (*dirs)[*n] = resolve(c->base_dir, entry);
    if (!(*dirs)[*n])
        return nomem(c);
    (*n)++;
    return 0;
}

static int key_policy_path(struct ctx *c, const char *key, json_t *v)
{
    char **dirs = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        /* An empty entry means the current directory to a shell's PATH; the
         * policy search never uses that implicitly, so refuse it here rather
         * than guess. */
        if (s[0] == '\0' || strstr(s, "::") || s[0] == ':' || s[strlen(s) - 1] == ':') {
            int line = 0, column = 0;
            char got[64];
            tpool__json_locate(c->text, key, &line, &column);
            rc = tpool__error(c->err, TPOOL_EINVAL, c->source, line, column, key,
                              "empty directory in %s; write \".\" "
                              "explicitly if that is meant",
                              tpool__json_render(v, got, sizeof got));
            goto fail;
        }
        for (const char *p = s; *p;) {
            const char *end = strchr(p, ':');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            char *entry = tpool__strndup(p, len);
            if (!entry) {
                rc = nomem(c);
                goto fail;
            }
            rc = add_dir(c, &dirs, &n, &cap, entry);
            tpool__free(entry);
            if (rc)
                goto fail;
            p += len + (end ? 1 : 0);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e) || json_string_length(e) == 0) {
                char sub[64];
                snprintf(sub, sizeof sub, "%s[%zu]", key, i);
                rc = bad(c, sub, e, "a non-empty string (a directory)");
                goto fail;
            }
            rc = add_dir(c, &dirs, &n, &cap, json_string_value(e));
            if (rc)
                goto fail;
        }
    } else {
        rc = bad(c, key, v,
                 "a string of colon-separated directories or an array of strings");
        goto fail;
    }
    free_path(c->cfg->policy_path, c->cfg->npolicy_path);
    c->cfg->policy_path = dirs;
    c->cfg->npolicy_path = n;
    return 0;
fail:
    free_path(dirs, n);
    return rc;
}

/* A record file named in a configuration: non-empty; relative to the
 * file's directory, as policy paths are. */
static int record_path(struct ctx *c, const char *key, json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) == 0)
        return bad(c, key, v, "a non-empty string (the record file to write)");
    char *p = resolve(c->base_dir, json_string_value(v));
    if (!p)
        return nomem(c);
    tpool__free(c->cfg->record_path);
    c->cfg->record_path = p;
    return 0;
}

/* "record": "FILE", or {"path": "FILE", "max_mb": m, "full_calls": n,
 * "every": k, "cpu": b}: what core/record.c writes, and its bounds. */
static int key_record(struct ctx *c, const char *key, json_t *v)
{
    if (!json_is_object(v)) {
        if (!json_is_string(v))
            return bad(c, key, v, "a file name, or an object with \"path\" (and \"max_mb\", "
                                  "\"full_calls\", \"every\", \"cpu\")");
        return record_path(c, key, v);
    }
    static const char *const names[] = { "path", "max_mb", "full_calls", "every", "cpu" };
    const json_int_t lo[] = { 0, 1, 0, 1, 0 };
    const json_int_t hi[] = { 0, MAX_RECORD_MB, INT32_MAX, MAX_RECORD_EVERY, 0 };
    unsigned *dest[] = { NULL, &c->cfg->record_max_mb, &c->cfg->record_full_calls,
                         &c->cfg->record_every, NULL };
    int have_path = 0;
    const char *name;
    json_t *m;
    json_object_foreach(v, name, m) {
        size_t i = 0;
        while (i < 5 && strcmp(name, names[i]) != 0)
            i++;
        if (i == 5)
            return unknown_key(c, key, name, names, 5);
        char sub[64];
        snprintf(sub, sizeof sub, "%s.%s", key, names[i]);
        json_int_t val = 0;
        int rc = 0;
        if (i == 0)
            rc = record_path(c, sub, m);
        else if (i == 4 && !json_is_boolean(m))
            rc = bad(c, sub, m, "true or false");
        else if (i == 4)
            c->cfg->record_cpu = json_is_true(m);
        else
            rc = get_int(c, sub, m, lo[i], hi[i], &val);
        if (rc)
            return rc;
        if (i == 0)
            have_path = 1;
        else if (dest[i])
            *dest[i] = (unsigned)val;
    }
    if (!have_path) {
        int line = 0, column = 0;
        tpool__json_locate(c->text, key, &line, &column);
        return tpool__error(c->err, TPOOL_EINVAL, c->source, line, column, key,
                            "a record object needs \"path\" (keys: path, max_mb, "
                            "full_calls, every, cpu)");
    }
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct ctx *c, const char *key, json_t *v);
} handlers[] = {
    { "threads", key_threads },
    { "policy", key_policy },
    { "params", key_params },
    { "policy_path", key_policy_path },
    { "spin_us", key_spin_us },
    { "min_work_size", key_min_work_size },
    { "stack_kb", key_stack_kb },
    { "record", key_record },
};
#define NKNOWN (sizeof handlers / sizeof handlers[0])

/* The offset of the top-level key "" in text, or -1: key paths cannot name
 * an empty key (the empty path is the root). */
static long empty_key_offset(const char *text)
{
    int depth = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']')
            depth--;
        else if (*p == '"') {
            const char *q = p + 1;
            while (*q && *q != '"')
                q += q[0] == '\\' && q[1] ? 2 : 1;
            if (!*q)
                return -1;
            const char *r = q + 1;
            while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
                r++;
            if (depth == 1 && q == p + 1 && *r == ':')
                return p - text;
            p = q;
        }
    }
    return -1;
}

/* An unknown member `key` of the object at `parent` (NULL: the top level),
 * whose known members are names[]. */
static int unknown_key(struct ctx *c, const char *parent, const char *key,
                       const char *const *names, size_t nnames)
{
    int line = 0, column = 0;
    if (!*key) {
        long off = !parent && c->text ? empty_key_offset(c->text) : -1;
        if (off >= 0)
            tpool__json_position(c->text, (size_t)off, &line, &column);
        /* Name it: "file:2:3: unknown key" alone would hide which. */
        key = "\"\"";
    } else {
        char *path = tpool__json_path_key(parent, key);
        if (path) {
            tpool__json_locate_key(c->text, path, &line, &column);
            tpool__free(path);
        }
    }
    char known[256], full[192];
    size_t n = 0;
    for (size_t i = 0; i < nnames; i++)
        n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", i ? ", " : "",
                              names[i]);
    snprintf(full, sizeof full, "%s%s%s", parent ? parent : "", parent ? "." : "", key);
    const char *near = tpool__json_suggest(key, names, nnames);
    if (near)
        return tpool__error(c->err, TPOOL_EINVAL, c->source, line, column, full,
                            "unknown key (known: %s; did you mean '%s'?)", known, near);
    return tpool__error(c->err, TPOOL_EINVAL, c->source, line, column, full,
                        "unknown key (known: %s)", known);
}

static int unknown_top_key(struct ctx *c, const char *key)
{
    const char *names[NKNOWN];
    for (size_t i = 0; i < NKNOWN; i++)
        names[i] = handlers[i].name;
    return unknown_key(c, NULL, key, names, NKNOWN);
}

static int blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return 0;
    }
    return 1;
}

/* Parses `len` bytes of text (NUL-terminated at len, no NUL before). */
static int parse(const char *text, size_t len, const char *source,
                 const char *base_dir, tpool_config **out, tpool_error *err)
{
    json_error_t je;
    /* JSON_DECODE_ANY: a scalar at the top level then gets the same
     * "expected an object" message as an array, with its position. */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!root) {
        int line = je.line > 0 ? je.line : 0;
        int column = je.column > 0 ? je.column : 0;
        if (blank(text, len))
            return tpool__error(err, TPOOL_EPARSE, source, line, column, NULL,
                                "expected a JSON object, got an empty document");
        return tpool__error(err, TPOOL_EPARSE, source, line, column, NULL, "%s",
                            je.text);
    }
    struct ctx c = { NULL, source, text, base_dir, err };
    int rc;
    if (!json_is_object(root)) {
        rc = bad(&c, "", root, "a JSON object at the top level");
        json_decref(root);
        return rc;
    }
    rc = tpool_config_new(&c.cfg);
    if (rc) {
        json_decref(root);
        return nomem(&c);
    }
    c.cfg->source = tpool__strdup(source);
    c.cfg->text = tpool__strndup(text, len);
    if (!c.cfg->source || !c.cfg->text) {
        rc = nomem(&c);
        goto out;
    }
    /* jansson keeps members in text order, so the first bad key in the
     * text is the one reported. */
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t i;
        for (i = 0; i < NKNOWN; i++) {
            if (strcmp(key, handlers[i].name) == 0)
                break;
        }
        rc = i < NKNOWN ? handlers[i].fn(&c, key, v) : unknown_top_key(&c, key);
        if (rc)
            goto out;
    }
out:
    json_decref(root);
    if (rc) {
        tpool_config_free(c.cfg);
        return rc;
    }
    *out = c.cfg;
    return 0;
}

int tpool_config_load_text(const char *json, const char *source,
                           tpool_config **out, tpool_error *err)
{
    if (!source)
        source = TEXT_SOURCE;
    if (!out)
        return tpool__error(err, TPOOL_EINVAL, source, 0, 0, NULL,
                            "tpool_config_load_text: out is NULL");
    *out = NULL;
    if (!json)
        return tpool__error(err, TPOOL_EINVAL, source, 0, 0, NULL,
                            "tpool_config_load_text: json is NULL");
    return parse(json, strlen(json), source, NULL, out, err);
}

/* Reads the configuration file whole; regular files only (textfile.h). */
static int read_file(const char *path, char **buf_out, size_t *len_out,
                     tpool_error *err)
{
    tpool__file_error fe;
    int rc = tpool__read_text_file(path, MAX_FILE_SIZE, buf_out, len_out, &fe);
    if (rc == TPOOL_ENOMEM)
        return tpool__error(err, rc, path, 0, 0, NULL,
                            "out of memory while reading the configuration");
    if (rc)
        return tpool__error(err, rc, path, 0, 0, NULL, "cannot %s configuration file: %s%s",
                            fe.opening ? "open" : "read", fe.why,
                            fe.too_large ? ", not a configuration" : "");
    return 0;
}

int tpool_config_load_file(const char *path, tpool_config **out, tpool_error *err)
{
    if (!out)
        return tpool__error(err, TPOOL_EINVAL, path, 0, 0, NULL,
                            "tpool_config_load_file: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool_config_load_file: no file name given");
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &text, &len, err);
    if (rc)
        return rc;
    /* The text is kept and scanned as a C string; jansson would silently
     * stop at a NUL byte too. */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line, column;
        tpool__json_position(text, (size_t)(nul - text), &line, &column);
        tpool__free(text);
        return tpool__error(err, TPOOL_EPARSE, path, line, column, NULL,
                            "NUL byte in the file (expected JSON text)");
    }
    char *dir = file_dir(path);
    if (!dir) {
        tpool__free(text);
        return tpool__error(err, TPOOL_ENOMEM, path, 0, 0, NULL,
                            "out of memory while reading the configuration");
    }
    rc = parse(text, len, path, dir, out, err);
    tpool__free(dir);
    tpool__free(text);
    return rc;
}

/* ---- environment -------------------------------------------------------- */

/* Quotes an environment value for a message: escapes what would garble the
 * line, cuts long values. */
char *tpool__env_quote(const char *s, char *buf, size_t size)
{
    size_t n = 0;
    buf[n++] = '"';
    for (; *s && n + 8 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        if (n > 40) {
            n += (size_t)snprintf(buf + n, size - n, "...");
            break;
        }
        if (ch == '"' || ch == '\\')
            n += (size_t)snprintf(buf + n, size - n, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
        else
            buf[n++] = (char)ch;
    }
    snprintf(buf + n, size - n, "\"");
    return buf;
}

/* Whole string, decimal digits only: " 4", "+4" and "4x" are refused. */
static int parse_threads(const char *s, unsigned *out)
{
    unsigned long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > TPOOL_MAX_THREADS)
            return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* Checks TPOOL_THREADS's value; *out is the count. */
static int env_threads(const char *value, unsigned *out, tpool_error *err)
{
    char q[64];
    if (parse_threads(value, out) != 0)
        return tpool__error(err, TPOOL_EINVAL, "<env TPOOL_THREADS>", 0, 0, NULL,
                            "expected an integer in [0, %d], got %s", TPOOL_MAX_THREADS,
                            tpool__env_quote(value, q, sizeof q));
    return 0;
}

/* Checks TPOOL_POLICY's value. */
static int env_policy(const char *value, tpool_error *err)
{
    if (!*value)
        return tpool__error(err, TPOOL_EINVAL, "<env TPOOL_POLICY>", 0, 0, NULL,
                            "expected a policy name or a path containing '/', "
                            "got \"\" (unset it to keep the configured policy)");
    return 0;
}

/* TPOOL_THREADS fixes the thread count: an elastic range from the
 * configuration gives way to it entirely. */
static void set_env_threads(tpool_config *cfg, unsigned t)
{
    cfg->threads_max = 0;
    cfg->threads = t;
}

static int set_env_policy(tpool_config *cfg, const char *value, tpool_error *err)
{
    char *p = tpool__strdup(value);
    if (!p)
        return tpool__error(err, TPOOL_ENOMEM, "<env TPOOL_POLICY>", 0, 0, NULL,
                            "out of memory");
    tpool__free(cfg->policy);
    cfg->policy = p;
    cfg->policy_line = cfg->policy_column = 0;
    return 0;
}

int tpool__config_env_threads(tpool_config *cfg, const char *value, tpool_error *err)
{
    unsigned t = 0;
    int rc = env_threads(value, &t, err);
    if (rc == 0)
        set_env_threads(cfg, t);
    return rc;
}

int tpool__config_env_policy(tpool_config *cfg, const char *value, tpool_error *err)
{
    int rc = env_policy(value, err);
    return rc ? rc : set_env_policy(cfg, value, err);
}

int tpool__config_env_record(tpool_config *cfg, const char *value, tpool_error *err)
{
    if (value[0] != '{') { /* a file name */
        char *p = tpool__strdup(value);
        if (!p)
            return tpool__error(err, TPOOL_ENOMEM, "<env TPOOL_RECORD>", 0, 0, NULL,
                                "out of memory");
        tpool__free(cfg->record_path);
        cfg->record_path = p;
        return 0;
    }
    /* The object form, checked as the key "record" of a configuration. */
    size_t len = strlen(value);
    char *text = tpool__malloc(len + 16);
    if (!text)
        return tpool__error(err, TPOOL_ENOMEM, "<env TPOOL_RECORD>", 0, 0, NULL,
                            "out of memory");
    snprintf(text, len + 16, "{\"record\": %s}", value);
    tpool_config *tmp = NULL;
    tpool_error e;
    tpool_error_clear(&e);
    int rc = parse(text, strlen(text), "<env TPOOL_RECORD>", NULL, &tmp, &e);
    tpool__free(text);
    if (rc) {
        /* Positions would count the wrapper: name the key instead. */
        const char *msg = strstr(e.text, e.key[0] ? e.key : ": ");
        return tpool__error(err, rc, "<env TPOOL_RECORD>", 0, 0, e.key[0] ? e.key : NULL,
                            "%s", msg && e.key[0] ? msg + strlen(e.key) + 2
                                  : msg ? msg + 2 : e.text);
    }
    tpool__free(cfg->record_path);
    cfg->record_path = tmp->record_path;
    tmp->record_path = NULL;
    cfg->record_max_mb = tmp->record_max_mb;
    cfg->record_full_calls = tmp->record_full_calls;
    cfg->record_every = tmp->record_every;
    cfg->record_cpu = tmp->record_cpu;
    tpool_config_free(tmp);
    return 0;
}

int tpool_config_apply_env(tpool_config *cfg, tpool_error *err)
{
    if (!cfg)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool_config_apply_env: cfg is NULL");
    const char *threads = getenv("TPOOL_THREADS");
    const char *policy = getenv("TPOOL_POLICY");
    unsigned t = cfg->threads;
    /* Check both before changing anything, so a bad value leaves the
     * configuration as it was. */
    int rc = threads ? env_threads(threads, &t, err) : 0;
    if (rc == 0 && policy)
        rc = env_policy(policy, err);
    if (rc == 0 && policy)
        rc = set_env_policy(cfg, policy, err);
    if (rc == 0 && threads)
        set_env_threads(cfg, t);
    return rc;
}

int tpool_config_load_env(tpool_config **out, tpool_error *err)
{
    if (!out)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool_config_load_env: out is NULL");
    *out = NULL;
    const char *path = getenv("TPOOL_CONFIG");
    tpool_config *cfg;
    int rc;
    if (path && !*path)
        return tpool__error(err, TPOOL_EINVAL, "<env TPOOL_CONFIG>", 0, 0, NULL,
                            "expected the path of a JSON configuration file, got "
                            "\"\" (unset it for the built-in defaults)");
    if (path) {
        rc = tpool_config_load_file(path, &cfg, err);
        if (rc)
            return rc;
    } else {
        rc = tpool_config_new(&cfg);
        if (rc)
            return tpool__error(err, rc, NULL, 0, 0, NULL,
                                "cannot create the default configuration: %s",
                                tpool_strerror(rc));
    }
    rc = tpool_config_apply_env(cfg, err);
    if (rc) {
        tpool_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

/* ---- setters and accessors ---------------------------------------------- */

int tpool_config_set_threads(tpool_config *cfg, unsigned threads)
{
    if (!cfg || threads > TPOOL_MAX_THREADS)
        return TPOOL_EINVAL;
    cfg->threads = threads;
    cfg->threads_max = 0;
    return 0;
}

int tpool_config_set_elastic(tpool_config *cfg, unsigned min, unsigned max,
                             unsigned idle_ms)
{
    if (!cfg || min < 1 || max < min || max > TPOOL_MAX_THREADS || idle_ms > MAX_IDLE_MS)
        return TPOOL_EINVAL;
    cfg->threads = min;
    cfg->threads_max = max;
    cfg->idle_ms = idle_ms;
    return 0;
}

int tpool_config_set_spin_us(tpool_config *cfg, unsigned spin_us)
{
    if (!cfg || spin_us > MAX_SPIN_US)
        return TPOOL_EINVAL;
    cfg->spin_us = spin_us;
    return 0;
}

int tpool_config_set_policy(tpool_config *cfg, const char *policy)
{
    if (!cfg || !policy || !*policy)
        return TPOOL_EINVAL;
    char *p = tpool__strdup(policy);
    if (!p)
        return TPOOL_ENOMEM;
    tpool__free(cfg->policy);
    cfg->policy = p;
    cfg->policy_line = cfg->policy_column = 0;
    return 0;
}

int tpool_config_set_params(tpool_config *cfg, const char *params_json,
                            tpool_error *err)
{
    const char *src = TPOOL__PARAMS_SOURCE;
    if (!cfg)
        return tpool__error(err, TPOOL_EINVAL, src, 0, 0, NULL,
                            "tpool_config_set_params: cfg is NULL");
    if (!params_json) {
        /* NULL drops the parameters: every one takes its default. */
        json_decref(cfg->params);
        cfg->params = NULL;
        return 0;
    }
    size_t len = strlen(params_json);
    json_error_t je;
    json_t *v = json_loadb(params_json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                           &je);
    if (!v) {
        int line = je.line > 0 ? je.line : 0;
        int column = je.column > 0 ? je.column : 0;
        if (blank(params_json, len))
            return tpool__error(err, TPOOL_EPARSE, src, line, column, "params",
                                "expected a JSON object, got an empty document");
        return tpool__error(err, TPOOL_EPARSE, src, line, column, "params", "%s",
                            je.text);
    }
    if (!json_is_object(v)) {
        int line = 0, column = 0;
        char got[64];
        tpool__json_locate(params_json, "", &line, &column);
        int rc = tpool__error(err, TPOOL_EINVAL, src, line, column, "params",
                              "expected an object (the policy's parameters), got %s",
                              tpool__json_render(v, got, sizeof got));
        json_decref(v);
        return rc;
    }
    /* The positions of later params errors (params.c) refer to this text
     * now, not to the file the rest came from. */
    char *source = tpool__strdup(src);
    char *text = tpool__strdup(params_json);
    if (!source || !text) {
        tpool__free(source);
        tpool__free(text);
        json_decref(v);
        return tpool__error(err, TPOOL_ENOMEM, src, 0, 0, NULL, "out of memory");
    }
    json_decref(cfg->params);
    cfg->params = v;
    tpool__free(cfg->source);
    cfg->source = source;
    tpool__free(cfg->text);
    cfg->text = text;
    return 0;
}

unsigned tpool_config_threads(const tpool_config *cfg)
{
    return cfg ? cfg->threads : 0;
}

const char *tpool_config_policy(const tpool_config *cfg)
{
    return cfg ? cfg->policy : NULL;
}

/* ---- a policy's params ------------------------------------------------------- */

int tpool__params_resolve(const tpool_config *cfg, const tpool_policy *pol,
                          tpool_param_value *out, tpool_error *err)
{
    if (!pol)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool__params_resolve: no policy");
    /* After tpool_config_set_params the text is the params object alone. */
    int alone = cfg && cfg->source && strcmp(cfg->source, TPOOL__PARAMS_SOURCE) == 0;
    tpool__params_src src = {
        .params = cfg ? cfg->params : NULL,
        .text = cfg ? cfg->text : NULL,
        .source = cfg ? cfg->source : NULL,
        .path = alone ? NULL : "params",
        .key = "params",
        .owner = "policy",
        .name = pol->name,
    };
    return tpool__params_check(&src, pol->params, pol->nparams, out, err);
}
