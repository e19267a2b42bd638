/*
 * replay.c - reading a record and building its timelines (replay.h). The
 * replaying itself is in replay_run.c.
 *
 * The file is JSON lines; each line is read on its own, and every error
 * names the file, the line, and the column of the offending value (found
 * in the line's text with the same locator as the configuration's and the
 * experiments' messages use).
 */
#define _GNU_SOURCE
#include "replay.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_locate.h"

/* ---- errors ------------------------------------------------------------------------ */

typedef struct rctx {
    const char *path;
    const char *text; /* the current line */
    int line;
    bench_perror *err;
} rctx;

/* An error about the value at `key` of the current line (key NULL: the
 * line; at_key: the key itself, for an unexpected one). */
__attribute__((format(printf, 4, 5))) static int fail(rctx *c, const char *key, int at_key,
                                                      const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = c->line, col = 0;
    if (key && c->text) {
        int l = 0;
        int rc = at_key ? tpool__json_locate_key(c->text, key, &l, &col)
                        : tpool__json_locate(c->text, key, &l, &col);
        if (rc != 0)
            col = 0;
    } else if (c->text) {
        col = 1;
    }
    bench_perror *e = c->err;
    if (e) {
        e->line = line;
        e->column = col;
        snprintf(e->key, sizeof e->key, "%s", key ? key : "");
        char where[320];
        if (line && col)
            snprintf(where, sizeof where, "%.256s:%d:%d", c->path, line, col);
        else if (line)
            snprintf(where, sizeof where, "%.256s:%d", c->path, line);
        else
            snprintf(where, sizeof where, "%.256s", c->path);
        if (key)
            snprintf(e->text, sizeof e->text, "%.300s: %.64s: %.380s", where, key, msg);
        else
            snprintf(e->text, sizeof e->text, "%.300s: %.400s", where, msg);
    }
    return -1;
}

static int bad_type(rctx *c, const char *key, const json_t *v, const char *what)
{
    char got[64];
    return fail(c, key, 0, "expected %s, got %s", what, tpool__json_render(v, got, sizeof got));
}

/* A non-negative integer member; `def` when absent and not required. */
static int get_u64(rctx *c, const json_t *o, const char *key, int required, uint64_t def,
                   uint64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        if (required)
            return fail(c, NULL, 0, "a \"%s\" line needs \"%s\"",
                        json_object_iter_key(json_object_iter((json_t *)o)), key);
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad_type(c, key, v, "an integer >= 0");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_u32(rctx *c, const json_t *o, const char *key, int required, uint32_t *out)
{
    uint64_t v;
    if (get_u64(c, o, key, required, 0, &v))
        return -1;
    if (v > UINT32_MAX)
        return bad_type(c, key, json_object_get(o, key), "an integer below 2^32");
    *out = (uint32_t)v;
    return 0;
}

static int get_int(rctx *c, const json_t *o, const char *key, int def, int *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN
        || json_integer_value(v) > INT32_MAX)
        return bad_type(c, key, v, "a 32-bit integer");
    *out = (int)json_integer_value(v);
    return 0;
}

static int get_bool(rctx *c, const json_t *o, const char *key, int *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        *out = 0;
        return 0;
    }
    if (!json_is_boolean(v))
        return bad_type(c, key, v, "true or false");
    *out = json_is_true(v);
    return 0;
}

static int get_str(rctx *c, const json_t *o, const char *key, int required, char *buf,
                   size_t size)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        if (required)
            return fail(c, NULL, 0, "a \"%s\" line needs \"%s\"",
                        json_object_iter_key(json_object_iter((json_t *)o)), key);
        buf[0] = '\0';
        return 0;
    }
    if (!json_is_string(v))
        return bad_type(c, key, v, "a string");
    snprintf(buf, size, "%s", json_string_value(v));
    return 0;
}

/* "parent" (a task) or "in_call" (a call): what the event ran inside of. */
static int get_in(rctx *c, const json_t *o, int *kind, uint64_t *id)
{
    uint64_t p, k;
    if (get_u64(c, o, "parent", 0, 0, &p) || get_u64(c, o, "in_call", 0, 0, &k))
        return -1;
    if (p && k)
        return fail(c, "in_call", 1, "an event has \"parent\" or \"in_call\", not both");
    *kind = p ? BENCH_IN_TASK : k ? BENCH_IN_CALL : BENCH_IN_NONE;
    *id = p ? p : k;
    return 0;
}

/* "c0", "c1", "v0", "v1" (all or none): the thread's CPU time and
 * voluntary switches at the event's start and end. */
static int get_cpu(rctx *c, const json_t *o, bench_rcpu *out)
{
    memset(out, 0, sizeof *out);
    if (!json_object_get(o, "c0"))
        return 0;
    if (get_u64(c, o, "c0", 1, 0, &out->c0) || get_u64(c, o, "c1", 1, 0, &out->c1)
        || get_u64(c, o, "v0", 1, 0, &out->v0) || get_u64(c, o, "v1", 1, 0, &out->v1))
        return -1;
    out->has = 1;
    return 0;
}

/* t0 <= t1 of the line. */
static int get_span(rctx *c, const json_t *o, uint64_t *t0, uint64_t *t1)
{
    if (get_u64(c, o, "t0", 1, 0, t0) || get_u64(c, o, "t1", 1, 0, t1))
        return -1;
    if (*t1 < *t0)
        return fail(c, "t1", 0, "ends (%" PRIu64 ") before it starts (t0 %" PRIu64 ")", *t1,
                    *t0);
    return 0;
}

/* ---- growing arrays ------------------------------------------------------------------ */

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return -1;
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *arr = p;
    *cap = n;
    return 0;
}

#define PUSH(c, arr, n, cap)                                                          \
    (grow((void **)&(arr), &(cap), (n) + 1, sizeof *(arr))                           \
         ? fail((c), NULL, 0, "out of memory")                                        \
         : 0)

/* ---- lines ------------------------------------------------------------------------- */

typedef struct reader {
    bench_record *r;
    size_t pcap, ccap, tcap, wcap;
    int have_header, have_end;
    /* "tiles" lines before their call: kept by call id until the end */
    struct pending {
        uint64_t call;
        uint64_t lo, n;
        double ns, sleep; /* run (CPU time when known), blocked */
        int line;
    } *pend;
    size_t npend, pendcap;
} reader;

static int line_header(rctx *c, reader *rd, const json_t *o)
{
    bench_record *r = rd->r;
    const json_t *v = json_object_get(o, "record");
    if (!json_is_string(v))
        return bad_type(c, "record", v, "the format, \"" BENCH_RECORD_FORMAT "\"");
    const char *fmt = json_string_value(v);
    const char *slash = strrchr(fmt, '/');
    if (strncmp(fmt, "tpool-record/", 13) != 0 || !slash)
        return fail(c, "record", 0, "not a tpool record (format \"%s\", expected \"%s\")", fmt,
                    BENCH_RECORD_FORMAT);
    if (strcmp(fmt, BENCH_RECORD_FORMAT) != 0 && strtol(slash + 1, NULL, 10) != 1)
        return fail(c, "record", 0, "format \"%s\" is newer than this reader's \"%s\": use "
                                    "a tpool-bench of that version", fmt, BENCH_RECORD_FORMAT);
    if (get_str(c, o, "program", 0, r->program, sizeof r->program)
        || get_str(c, o, "date", 0, r->date, sizeof r->date))
        return -1;
    const json_t *s = json_object_get(o, "sampling");
    if (s) {
        if (!json_is_object(s))
            return bad_type(c, "sampling", s, "an object");
        if (get_u64(c, s, "full_calls", 0, 0, &r->full_calls)
            || get_u64(c, s, "every", 0, 1, &r->every))
            return -1;
    }
    rd->have_header = 1;
    return 0;
}

static bench_rpool *find_pool(bench_record *r, uint32_t id)
{
    for (size_t i = 0; i < r->npools; i++)
        if (r->pools[i].id == id)
            return &r->pools[i];
    return NULL;
}

static int line_pool(rctx *c, reader *rd, const json_t *o)
{
    bench_record *r = rd->r;
    if (PUSH(c, r->pools, r->npools, rd->pcap))
        return -1;
    bench_rpool *p = &r->pools[r->npools];
    if (get_u32(c, o, "pool", 1, &p->id) || get_u64(c, o, "t", 1, 0, &p->t)
        || get_str(c, o, "policy", 1, p->policy, sizeof p->policy)
        || get_str(c, o, "config_policy", 0, p->config_policy, sizeof p->config_policy))
        return -1;
    uint32_t th;
    if (get_u32(c, o, "threads", 1, &th))
        return -1;
    p->threads = th;
    if (p->id == 0)
        return fail(c, "pool", 0, "pool ids start at 1");
    if (find_pool(r, p->id))
        return fail(c, "pool", 0, "pool %" PRIu32 " is created twice", p->id);
    if (!p->config_policy[0])
        snprintf(p->config_policy, sizeof p->config_policy, "%s", p->policy);
    const json_t *pa = json_object_get(o, "params");
    if (pa && !json_is_null(pa)) {
        if (!json_is_object(pa))
            return bad_type(c, "params", pa, "an object (the pool's policy parameters)");
        p->params_json = json_dumps(pa, JSON_COMPACT);
        if (!p->params_json)
            return fail(c, NULL, 0, "out of memory");
    }
    if (th > r->max_threads)
        r->max_threads = th;
    r->npools++;
    return 0;
}

static int line_pool_end(rctx *c, reader *rd, const json_t *o)
{
    uint32_t id, th;
    uint64_t t0, t1;
    if (get_u32(c, o, "pool_end", 1, &id) || get_u32(c, o, "th", 1, &th)
        || get_span(c, o, &t0, &t1))
        return -1;
    bench_rpool *p = find_pool(rd->r, id);
    if (!p)
        return fail(c, "pool_end", 0, "pool %" PRIu32 " ends but was never created", id);
    if (p->ended)
        return fail(c, "pool_end", 0, "pool %" PRIu32 " ends twice", id);
    p->ended = 1;
    p->end_t0 = t0;
    p->end_t1 = t1;
    p->end_th = th;
    return 0;
}

static int dims(rctx *c, const json_t *o, const char *key, unsigned *ndim, uint64_t *out)
{
    const json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > 6)
        return bad_type(c, key, a, "an array of 1 to 6 integers");
    if (*ndim && json_array_size(a) != *ndim)
        return fail(c, key, 0, "has %zu dimensions, \"range\" %u", json_array_size(a), *ndim);
    *ndim = (unsigned)json_array_size(a);
    for (unsigned d = 0; d < *ndim; d++) {
        const json_t *v = json_array_get(a, d);
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            char k[32];
            snprintf(k, sizeof k, "%s[%u]", key, d);
            return bad_type(c, k, v, "an integer >= 0");
        }
        out[d] = (uint64_t)json_integer_value(v);
    }
    return 0;
}

static int line_call(rctx *c, reader *rd, const json_t *o)
{
    bench_record *r = rd->r;
    if (PUSH(c, r->calls, r->ncalls, rd->ccap))
        return -1;
    bench_rcall *k = &r->calls[r->ncalls];
    memset(k, 0, sizeof *k);
    if (get_u64(c, o, "call", 1, 0, &k->id) || get_u32(c, o, "pool", 1, &k->pool)
        || get_u32(c, o, "th", 1, &k->th) || get_str(c, o, "api", 1, k->api, sizeof k->api)
        || dims(c, o, "range", &k->ndim, k->range) || dims(c, o, "tile", &k->ndim, k->tile)
        || get_u64(c, o, "n", 1, 0, &k->n) || get_u64(c, o, "work", 0, 0, &k->work)
        || get_u32(c, o, "flags", 0, &k->flags) || get_u32(c, o, "T", 1, &k->threads)
        || get_int(c, o, "prio", 0, &k->priority) || get_bool(c, o, "cost_fn", &k->cost_fn)
        || get_bool(c, o, "timed", &k->timed) || get_in(c, o, &k->in_kind, &k->in_id)
        || get_span(c, o, &k->t0, &k->t1) || get_cpu(c, o, &k->cpu))
        return -1;
    if (!find_pool(r, k->pool))
        return fail(c, "pool", 0, "call %" PRIu64 " is on pool %" PRIu32 ", which the record "
                                  "does not create (before this line)", k->id, k->pool);
    /* The tiles the N-d engine numbers: the product of the ceil(range/tile). */
    uint64_t tiles = 1;
    for (unsigned d = 0; d < k->ndim; d++) {
        if (k->range[d] == 0) {
            tiles = 0;
            break;
        }
        if (k->tile[d] == 0)
            return fail(c, "tile", 0, "a tile of 0 on a non-empty range");
        uint64_t nt = k->range[d] / k->tile[d] + (k->range[d] % k->tile[d] != 0);
        if (__builtin_mul_overflow(tiles, nt, &tiles))
            return fail(c, "range", 0, "too many tiles");
    }
    if (tiles != k->n)
        return fail(c, "n", 0, "is %" PRIu64 ", but the range and tiles make %" PRIu64 " tiles",
                    k->n, tiles);
    r->ncalls++;
    return 0;
}

static int line_tiles(rctx *c, reader *rd, const json_t *o)
{
    uint64_t call;
    if (get_u64(c, o, "tiles", 1, 0, &call))
        return -1;
    const json_t *a = json_object_get(o, "c");
    if (!json_is_array(a))
        return bad_type(c, "c", a, "an array of [first tile, tiles, ns]");
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e) {
        char key[40];
        snprintf(key, sizeof key, "c[%zu]", i);
        size_t len = json_array_size(e);
        int ok = json_is_array(e) && (len == 3 || len == 5);
        json_int_t v[5] = { 0 };
        for (size_t q = 0; ok && q < len; q++) {
            const json_t *x = json_array_get(e, q);
            ok = json_is_integer(x) && json_integer_value(x) >= (q == 1 ? 1 : 0);
            v[q] = ok ? json_integer_value(x) : 0;
        }
        if (!ok)
            return bad_type(c, key, e, "[first tile, tiles >= 1, ns] or [first tile, tiles, "
                                       "ns, cpu ns, blocked]");
        if (grow((void **)&rd->pend, &rd->pendcap, rd->npend + 1, sizeof *rd->pend))
            return fail(c, NULL, 0, "out of memory");
        /* With CPU time: what ran is the CPU time (the rest was preemption
         * or blocking), and the rest is slept only when it blocked. */
        double wall = (double)v[2], cpu = len == 5 && v[3] < v[2] ? (double)v[3] : wall;
        double sleep = len == 5 && v[4] ? wall - cpu : 0;
        rd->pend[rd->npend++] = (struct pending){ call, (uint64_t)v[0], (uint64_t)v[1], cpu,
                                                  sleep, c->line };
    }
    return 0;
}

static int line_task(rctx *c, reader *rd, const json_t *o)
{
    bench_record *r = rd->r;
    int cancelled = 0;
    if (get_bool(c, o, "cancelled", &cancelled))
        return -1;
    if (PUSH(c, r->tasks, r->ntasks, rd->tcap))
        return -1;
    bench_rtask *t = &r->tasks[r->ntasks];
    memset(t, 0, sizeof *t);
    t->cancelled = cancelled;
    if (get_u64(c, o, "task", 1, 0, &t->id) || get_u32(c, o, "pool", 1, &t->pool)
        || get_u32(c, o, "th", 1, &t->th) || get_u64(c, o, "t", 1, 0, &t->t)
        || get_u64(c, o, "group", 0, 0, &t->group) || get_int(c, o, "prio", 0, &t->priority)
        || get_u64(c, o, "cost", 0, 0, &t->cost) || get_int(c, o, "worker", -1, &t->worker)
        || get_in(c, o, &t->in_kind, &t->in_id))
        return -1;
    if (!find_pool(r, t->pool))
        return fail(c, "pool", 0, "task %" PRIu64 " is on pool %" PRIu32 ", which the record "
                                  "does not create (before this line)", t->id, t->pool);
    if (json_object_get(o, "tc")) {
        if (get_u64(c, o, "tc", 1, 0, &t->sub.c0) || get_u64(c, o, "tv", 1, 0, &t->sub.v0))
            return -1;
        t->sub.has = 1;
    }
    if (!cancelled) {
        if (get_u32(c, o, "run_th", 1, &t->run_th) || get_span(c, o, &t->t0, &t->t1)
            || get_cpu(c, o, &t->cpu))
            return -1;
        if (t->t0 < t->t)
            return fail(c, "t0", 0, "starts before it was submitted (t %" PRIu64 ")", t->t);
    }
    if (t->group > r->max_group)
        r->max_group = t->group;
    if (cancelled) /* it never ran: nothing to replay */
        r->ncancelled++;
    else
        r->ntasks++;
    return 0;
}

static int line_wait(rctx *c, reader *rd, const json_t *o)
{
    bench_record *r = rd->r;
    if (PUSH(c, r->waits, r->nwaits, rd->wcap))
        return -1;
    bench_rwait *w = &r->waits[r->nwaits];
    memset(w, 0, sizeof *w);
    if (get_u64(c, o, "wait", 1, 0, &w->group) || get_u32(c, o, "th", 1, &w->th)
        || get_bool(c, o, "destroy", &w->destroy) || get_in(c, o, &w->in_kind, &w->in_id)
        || get_span(c, o, &w->t0, &w->t1) || get_cpu(c, o, &w->cpu))
        return -1;
    if (w->group == 0) { /* a wait on every task of a pool */
        if (get_u32(c, o, "pool", 1, &w->pool))
            return -1;
        if (!find_pool(r, w->pool))
            return fail(c, "pool", 0, "a wait on pool %" PRIu32 ", which the record does not "
                                      "create (before this line)", w->pool);
    }
    if (w->group > r->max_group)
        r->max_group = w->group;
    r->nwaits++;
    return 0;
}

static int line_end(rctx *c, reader *rd, const json_t *o)
{
    bench_record *r = rd->r;
    int capped = 0;
    if (get_bool(c, o, "capped", &capped))
        return -1;
    r->capped = capped;
    const json_t *d = json_object_get(o, "dropped");
    if (d) {
        if (!json_is_object(d))
            return bad_type(c, "dropped", d, "an object");
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)d, k, v)
            if (json_is_integer(v) && json_integer_value(v) > 0)
                r->dropped += (uint64_t)json_integer_value(v);
    }
    rd->have_end = 1;
    return 0;
}

static const struct {
    const char *key;
    int (*fn)(rctx *, reader *, const json_t *);
} kinds[] = {
    { "record", line_header }, { "pool", line_pool },   { "pool_end", line_pool_end },
    { "call", line_call },     { "tiles", line_tiles }, { "task", line_task },
    { "wait", line_wait },     { "end", line_end },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static int one_line(rctx *c, reader *rd, char *text, size_t len)
{
    json_error_t je;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        c->err->line = c->line;
        c->err->column = je.column > 0 ? je.column : 0;
        snprintf(c->err->key, sizeof c->err->key, "%s", "");
        snprintf(c->err->text, sizeof c->err->text, "%.256s:%d:%d: %s%s", c->path, c->line,
                 je.column > 0 ? je.column : 1, je.text,
                 strstr(je.text, "near end of file") || strstr(je.text, "premature end")
                     ? " (the record is cut short: the program crashed, was killed, or "
                       "the file was truncated)"
                     : "");
        return -1;
    }
    int rc = -1;
    if (!json_is_object(o)) {
        rc = bad_type(c, NULL, o, "an object (one event per line)");
        goto out;
    }
    /* The kind is the first member; pool and task lines have other
     * kinds' keys ("pool" in a call) after it. */
    const char *first = json_object_iter_key(json_object_iter(o));
    size_t k = 0;
    while (k < NKINDS && (!first || strcmp(first, kinds[k].key) != 0))
        k++;
    if (k == NKINDS) {
        rc = fail(c, first ? first : NULL, first != NULL,
                  "unknown event (a line starts with one of: record, pool, pool_end, call, "
                  "tiles, task, wait, end)");
        goto out;
    }
    if (!rd->have_header && k != 0) {
        rc = fail(c, NULL, 0, "not a tpool record: its first line is no \"record\" header");
        goto out;
    }
    if (rd->have_header && k == 0) {
        rc = fail(c, first, 1, "a second header: two records in one file?");
        goto out;
    }
    if (rd->have_end) {
        rc = fail(c, first, 1, "an event after the \"end\" line");
        goto out;
    }
    rc = kinds[k].fn(c, rd, o);
out:
    json_decref(o);
    return rc;
}

/* ---- after the last line: tiles, models, timelines ------------------------------------ */

static int cmp_call_id(const void *a, const void *b)
{
    const bench_rcall *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_task_id(const void *a, const void *b)
{
    const bench_rtask *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_pend(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    if (x->call != y->call)
        return (x->call > y->call) - (x->call < y->call);
    return (x->lo > y->lo) - (x->lo < y->lo);
}

static bench_rcall *call_by_id(bench_record *r, uint64_t id)
{
    bench_rcall key = { .id = id };
    return bsearch(&key, r->calls, r->ncalls, sizeof key, cmp_call_id);
}

static ssize_t task_index(const bench_record *r, uint64_t id)
{
    bench_rtask key = { .id = id };
    const bench_rtask *t = bsearch(&key, r->tasks, r->ntasks, sizeof key, cmp_task_id);
    return t ? t - r->tasks : -1;
}

/* Chunks onto their calls (both sorted by call id). */
static int attach_tiles(rctx *c, reader *rd)
{
    bench_record *r = rd->r;
    bench_sort(rd->pend, rd->npend, sizeof *rd->pend, cmp_pend);
    for (size_t i = 0; i < rd->npend;) {
        size_t j = i;
        while (j < rd->npend && rd->pend[j].call == rd->pend[i].call)
            j++;
        bench_rcall *k = call_by_id(r, rd->pend[i].call);
        c->line = rd->pend[i].line;
        c->text = NULL;
        if (!k && (r->capped || r->dropped)) { /* the recorder dropped the call */
            i = j;
            continue;
        }
        if (!k)
            return fail(c, NULL, 0, "\"tiles\" of call %" PRIu64 ", which the record does "
                                    "not have", rd->pend[i].call);
        k->seg_lo = malloc((j - i) * sizeof *k->seg_lo);
        k->seg_n = malloc((j - i) * sizeof *k->seg_n);
        k->seg_ns = malloc((j - i) * sizeof *k->seg_ns);
        int sleeps = 0;
        for (size_t q = i; q < j; q++)
            sleeps |= rd->pend[q].sleep > 0;
        if (sleeps)
            k->seg_sleep = malloc((j - i) * sizeof *k->seg_sleep);
        if (!k->seg_lo || !k->seg_n || !k->seg_ns || (sleeps && !k->seg_sleep))
            return fail(c, NULL, 0, "out of memory");
        uint64_t covered = 0, end = 0;
        for (size_t q = i; q < j; q++) {
            const struct pending *p = &rd->pend[q];
            c->line = p->line;
            if (p->lo < end || p->lo + p->n > k->n)
                return fail(c, NULL, 0, "call %" PRIu64 ": tiles [%" PRIu64 ", %" PRIu64
                                        ") %s", k->id, p->lo, p->lo + p->n,
                            p->lo < end ? "overlap tiles recorded before: a tile ran twice?"
                                        : "lie beyond its range");
            k->seg_lo[k->nseg] = p->lo;
            k->seg_n[k->nseg] = p->n;
            k->seg_ns[k->nseg] = p->ns / (double)p->n;
            if (k->seg_sleep)
                k->seg_sleep[k->nseg] = p->sleep / (double)p->n;
            k->nseg++;
            covered += p->n;
            k->busy_ns += p->ns;
            end = p->lo + p->n;
        }
        k->per_item = covered ? k->busy_ns / (double)covered : 0;
        i = j;
    }
    return 0;
}

/* Same shape: what an untimed call borrows its tiles' times from. */
static int same_shape(const bench_rcall *a, const bench_rcall *b)
{
    if (a->ndim != b->ndim || a->flags != b->flags || a->n != b->n
        || strcmp(a->api, b->api) != 0)
        return 0;
    for (unsigned d = 0; d < a->ndim; d++)
        if (a->range[d] != b->range[d] || a->tile[d] != b->tile[d])
            return 0;
    return 1;
}

static int cmp_shape_time(const void *pa, const void *pb)
{
    const bench_rcall *a = *(const bench_rcall *const *)pa, *b = *(const bench_rcall *const *)pb;
    int s = strcmp(a->api, b->api);
    if (s)
        return s;
    if (a->n != b->n)
        return (a->n > b->n) - (a->n < b->n);
    if (a->flags != b->flags)
        return (a->flags > b->flags) - (a->flags < b->flags);
    if (a->ndim != b->ndim)
        return (a->ndim > b->ndim) - (a->ndim < b->ndim);
    for (unsigned d = 0; d < a->ndim; d++) {
        if (a->range[d] != b->range[d])
            return (a->range[d] > b->range[d]) - (a->range[d] < b->range[d]);
        if (a->tile[d] != b->tile[d])
            return (a->tile[d] > b->tile[d]) - (a->tile[d] < b->tile[d]);
    }
    return (a->t0 > b->t0) - (a->t0 < b->t0);
}

/* Every call without chunks of its own gets the nearest (in time) call of
 * its shape that has some, else a time per tile from its wall time. */
static int assign_models(bench_record *r)
{
    bench_rcall **v = malloc((r->ncalls ? r->ncalls : 1) * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < r->ncalls; i++)
        v[i] = &r->calls[i];
    bench_sort(v, r->ncalls, sizeof *v, cmp_shape_time);
    for (size_t i = 0; i < r->ncalls;) {
        size_t j = i;
        while (j < r->ncalls && same_shape(v[i], v[j]))
            j++;
        const bench_rcall *prev = NULL;
        for (size_t q = i; q < j; q++) {
            if (v[q]->nseg)
                prev = v[q];
            else
                v[q]->model = prev;
        }
        const bench_rcall *next = NULL;
        for (size_t q = j; q-- > i;) {
            if (v[q]->nseg) {
                next = v[q];
                continue;
            }
            const bench_rcall *p = v[q]->model;
            if (next && (!p || next->t0 - v[q]->t0 < v[q]->t0 - p->t0))
                v[q]->model = next;
        }
        i = j;
    }
    free(v);
    for (size_t i = 0; i < r->ncalls; i++) {
        bench_rcall *k = &r->calls[i];
        if (k->nseg || k->model || k->n == 0)
            continue;
        uint64_t par = k->threads < k->n ? k->threads : k->n;
        k->per_item = (double)(k->t1 - k->t0) * (double)(par ? par : 1) / (double)k->n;
    }
    return 0;
}

/* Sum over tiles [b, e) of per[k] for the chunk k covering each tile, and
 * `gap` for tiles no chunk covers. */
static double seg_sum(const bench_rcall *c, const double *per, double gap, uint64_t b,
                      uint64_t e)
{
    /* the first chunk that ends after b */
    size_t lo = 0, hi = c->nseg;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->seg_lo[mid] + c->seg_n[mid] <= b)
            lo = mid + 1;
        else
            hi = mid;
    }
    double ns = 0;
    uint64_t at = b;
    for (size_t k = lo; at < e && k < c->nseg; k++) {
        uint64_t s = c->seg_lo[k], t = s + c->seg_n[k];
        if (s >= e)
            break;
        if (at < s) {
            ns += gap * (double)(s - at);
            at = s;
        }
        uint64_t stop = t < e ? t : e;
        ns += per[k] * (double)(stop - at);
        at = stop;
    }
    if (at < e)
        ns += gap * (double)(e - at);
    return ns;
}

double bench_rcall_cost(const bench_rcall *c, uint64_t b, uint64_t e, double *blocked)
{
    if (!c->nseg && c->model)
        c = c->model;
    if (blocked)
        *blocked = 0;
    if (e <= b)
        return 0;
    if (!c->nseg)
        return c->per_item * (double)(e - b);
    if (blocked && c->seg_sleep)
        *blocked = seg_sum(c, c->seg_sleep, 0, b, e);
    return seg_sum(c, c->seg_ns, c->per_item, b, e);
}

static int line_add(bench_rline *l, int kind, size_t idx, uint64_t t0, uint64_t t1,
                    const bench_rcpu *cpu)
{
    if (grow((void **)&l->ev, &l->cap, l->nev + 1, sizeof *l->ev))
        return -1;
    static const bench_rcpu none;
    l->ev[l->nev++] = (bench_rev){ kind, idx, t0, t1, cpu ? *cpu : none };
    return 0;
}

/* The timeline of outside thread th (created on first use). */
static bench_rline *outside_line(bench_record *r, uint32_t th, size_t *cap, uint32_t **ths)
{
    for (size_t i = 0; i < r->noutside; i++)
        if ((*ths)[i] == th)
            return &r->outside[i];
    size_t c2 = *cap;
    if (grow((void **)&r->outside, cap, r->noutside + 1, sizeof *r->outside)
        || grow((void **)ths, &c2, r->noutside + 1, sizeof **ths))
        return NULL;
    (*ths)[r->noutside] = th;
    return &r->outside[r->noutside++];
}

/* Where an event that ran inside (kind, id) on thread th is played: a
 * task's timeline, or th's outside timeline. Inside a call's body: the
 * call's own place (*after_call set to that call), or NULL to skip. */
static bench_rline *place(bench_record *r, int kind, uint64_t id, uint32_t th, size_t *cap,
                          uint32_t **ths, const bench_rcall **after_call)
{
    *after_call = NULL;
    for (int depth = 0; kind == BENCH_IN_CALL && depth < 64; depth++) {
        const bench_rcall *k = call_by_id(r, id);
        if (!k)
            break;
        if (!*after_call)
            *after_call = k;
        kind = k->in_kind;
        id = k->in_id;
        th = k->th;
    }
    if (kind == BENCH_IN_TASK) {
        ssize_t i = task_index(r, id);
        if (i >= 0)
            return &r->task_line[i];
    }
    return outside_line(r, th, cap, ths);
}

static int cmp_rev(const void *a, const void *b)
{
    const bench_rev *x = a, *y = b;
    if (x->t0 != y->t0)
        return (x->t0 > y->t0) - (x->t0 < y->t0);
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static int build_timelines(bench_record *r)
{
    size_t cap = 0;
    uint32_t *ths = NULL;
    int rc = -1;
    r->task_line = calloc(r->ntasks ? r->ntasks : 1, sizeof *r->task_line);
    if (!r->task_line)
        goto out;
    for (size_t i = 0; i < r->ntasks; i++) {
        r->task_line[i].start = r->tasks[i].t0;
        r->task_line[i].end = r->tasks[i].t1;
        r->task_line[i].cpu = r->tasks[i].cpu;
    }
    const bench_rcall *after;
    for (size_t i = 0; i < r->ncalls; i++) {
        const bench_rcall *k = &r->calls[i];
        if (k->in_kind == BENCH_IN_CALL)
            continue; /* nested in a body: its time is the chunk's */
        bench_rline *l = place(r, k->in_kind, k->in_id, k->th, &cap, &ths, &after);
        if (!l || line_add(l, BENCH_REV_CALL, i, k->t0, k->t1, &k->cpu))
            goto out;
        r->items += k->n;
    }
    for (size_t i = 0; i < r->ntasks; i++) {
        const bench_rtask *t = &r->tasks[i];
        bench_rline *l = place(r, t->in_kind, t->in_id, t->th, &cap, &ths, &after);
        uint64_t at = after ? after->t1 : t->t;
        /* A submission moved after its call was on another thread: no CPU
         * time of the playing thread's. */
        bench_rcpu sub = t->sub;
        sub.c1 = sub.c0;
        sub.v1 = sub.v0;
        if (after)
            sub.has = 0;
        if (!l || line_add(l, BENCH_REV_SUBMIT, i, at, at, &sub))
            goto out;
        r->items++;
    }
    for (size_t i = 0; i < r->nwaits; i++) {
        const bench_rwait *w = &r->waits[i];
        if (w->in_kind == BENCH_IN_CALL)
            continue;
        bench_rline *l = place(r, w->in_kind, w->in_id, w->th, &cap, &ths, &after);
        if (!l || line_add(l, BENCH_REV_WAIT, i, w->t0, w->t1, &w->cpu))
            goto out;
    }
    for (size_t i = 0; i < r->noutside; i++) {
        bench_rline *l = &r->outside[i];
        bench_sort(l->ev, l->nev, sizeof *l->ev, cmp_rev);
        l->start = l->nev ? l->ev[0].t0 : 0;
        for (size_t e = 0; e < l->nev; e++)
            if (l->ev[e].t1 > l->end)
                l->end = l->ev[e].t1;
        if (i == 0 || l->start < r->span_t0)
            r->span_t0 = l->start;
        if (l->end > r->span_t1)
            r->span_t1 = l->end;
    }
    for (size_t i = 0; i < r->ntasks; i++)
        bench_sort(r->task_line[i].ev, r->task_line[i].nev, sizeof *r->task_line[i].ev, cmp_rev);
    rc = 0;
out:
    free(ths);
    return rc;
}

/* Pool ends are waits on every task of the pool, on the destroying thread. */
static int pool_ends_as_waits(bench_record *r, size_t *wcap)
{
    for (size_t i = 0; i < r->npools; i++) {
        const bench_rpool *p = &r->pools[i];
        if (!p->ended)
            continue;
        if (grow((void **)&r->waits, wcap, r->nwaits + 1, sizeof *r->waits))
            return -1;
        r->waits[r->nwaits++] = (bench_rwait){ .group = 0, .pool = p->id, .th = p->end_th,
                                               .destroy = 2, .t0 = p->end_t0,
                                               .t1 = p->end_t1 };
    }
    return 0;
}

int bench_record_load(const char *path, unsigned flags, bench_record **out, bench_perror *err)
{
    bench_perror dummy;
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof *err);
    *out = NULL;
    rctx c = { path, NULL, 0, err };
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(&c, NULL, 0, "cannot open the record: %s", strerror(errno));
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.r = calloc(1, sizeof *rd.r);
    if (!rd.r) {
        fclose(f);
        return fail(&c, NULL, 0, "out of memory");
    }
    rd.r->path = strdup(path);
    rd.r->every = 1;
    char *buf = NULL;
    size_t bufcap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&buf, &bufcap, f)) >= 0) {
        c.line++;
        c.text = buf;
        if (memchr(buf, '\0', (size_t)len)) {
            rc = fail(&c, NULL, 0, "a NUL byte (expected JSON text)");
            break;
        }
        if (len && buf[len - 1] == '\n')
            buf[--len] = '\0';
        size_t sp = strspn(buf, " \t\r");
        if (buf[sp] == '\0')
            continue; /* blank lines are allowed */
        rc = one_line(&c, &rd, buf, (size_t)len);
    }
    int read_error = ferror(f);
    fclose(f);
    free(buf);
    c.text = NULL;
    bench_record *r = rd.r;
    if (rc == 0 && read_error)
        rc = fail(&c, NULL, 0, "read error");
    if (rc == 0 && !rd.have_header) {
        c.line = 0;
        rc = fail(&c, NULL, 0, "empty: no \"record\" header (was the program recorded? "
                               "TPOOL_RECORD is read when a pool is created)");
    }
    if (rc == 0) {
        r->complete = rd.have_end;
        if (!r->complete) {
            r->complete = 1;
            for (size_t i = 0; i < r->npools; i++)
                r->complete &= r->pools[i].ended;
        }
        if (!r->complete && !(flags & BENCH_RECORD_INCOMPLETE)) {
            c.line = 0;
            rc = fail(&c, NULL, 0, "incomplete record: no \"end\" line, and a pool that never "
                                   "ended: the program crashed, was killed or left with "
                                   "_exit, so what it ran after its last pool destruction is "
                                   "lost; replay what is there with --incomplete");
        }
    }
    if (rc == 0) {
        bench_sort(r->calls, r->ncalls, sizeof *r->calls, cmp_call_id);
        bench_sort(r->tasks, r->ntasks, sizeof *r->tasks, cmp_task_id);
        for (size_t i = 1; rc == 0 && i < r->ncalls; i++)
            if (r->calls[i].id == r->calls[i - 1].id)
                rc = fail(&c, NULL, 0, "call %" PRIu64 " appears twice", r->calls[i].id);
        for (size_t i = 1; rc == 0 && i < r->ntasks; i++)
            if (r->tasks[i].id == r->tasks[i - 1].id)
                rc = fail(&c, NULL, 0, "task %" PRIu64 " appears twice", r->tasks[i].id);
    }
    if (rc == 0)
        rc = attach_tiles(&c, &rd);
    if (rc == 0 && (assign_models(r) || pool_ends_as_waits(r, &rd.wcap) || build_timelines(r)))
        rc = fail(&c, NULL, 0, "out of memory");
    free(rd.pend);
    if (rc) {
        bench_record_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void bench_record_free(bench_record *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->npools; i++)
        free(r->pools[i].params_json);
    for (size_t i = 0; i < r->ncalls; i++) {
        free(r->calls[i].seg_lo);
        free(r->calls[i].seg_n);
        free(r->calls[i].seg_ns);
        free(r->calls[i].seg_sleep);
    }
    for (size_t i = 0; i < r->noutside; i++)
        free(r->outside[i].ev);
    for (size_t i = 0; r->task_line && i < r->ntasks; i++)
        free(r->task_line[i].ev);
    free(r->task_line);
    free(r->outside);
    free(r->pools);
    free(r->calls);
    free(r->tasks);
    free(r->waits);
    free(r->path);
    free(r);
}

const bench_rpool *bench_record_main_pool(const bench_record *r)
{
    return r->npools ? &r->pools[0] : NULL;
}

void bench_record_describe(const bench_record *r, char *buf, size_t size)
{
    const bench_rpool *p = bench_record_main_pool(r);
    size_t timed = 0;
    for (size_t i = 0; i < r->ncalls; i++)
        timed += r->calls[i].nseg != 0;
    snprintf(buf, size,
             "%s: %zu pool%s (%s, %u threads), %zu parallel-for%s (%zu with tile times), "
             "%zu task%s, %zu wait%s, %zu outside thread%s; span %.3f ms%s%s",
             r->program[0] ? r->program : "?", r->npools, r->npools == 1 ? "" : "s",
             p ? p->policy : "-", p ? p->threads : 0, r->ncalls, r->ncalls == 1 ? "" : "s",
             timed, r->ntasks, r->ntasks == 1 ? "" : "s", r->nwaits, r->nwaits == 1 ? "" : "s",
             r->noutside, r->noutside == 1 ? "" : "s", (double)bench_record_span(r) / 1e6,
             r->capped ? "; CAPPED: the recorder stopped at its size limit" : "",
             r->complete ? "" : "; INCOMPLETE");
}
