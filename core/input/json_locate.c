/*
 * json_locate.c - finds where a key or a value sits in JSON text.
 *
 * jansson gives positions only for syntax errors; a value that parses but is
 * wrong (a negative thread count, an unknown parameter) has to be found again
 * in the text so that its message can say line and column. The scanner below
 * walks the text along one key path and skips everything else. It expects
 * text jansson already accepted, but never reads past the terminating NUL and
 * answers "not found" rather than misbehaving on anything else. Skipping is
 * iterative (a depth counter), so deeply nested input cannot exhaust the
 * stack.
 */
#include "json_locate.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* ---- key paths ----------------------------------------------------------- */

struct seg {
    int is_index;
    size_t index;    /* when is_index */
    const char *key; /* decoded, not NUL-terminated; when !is_index */
    size_t keylen;
};

struct path {
    struct seg *segs;
    size_t nsegs;
    char *keys; /* storage the decoded keys point into */
};

static void path_free(struct path *pa)
{
    tpool__free(pa->segs);
    tpool__free(pa->keys);
}

/* Decodes one key up to an unescaped '.' or '[' into `*dst`. */
static const char *parse_key(const char *p, char **dst, struct seg *s)
{
    s->is_index = 0;
    s->key = *dst;
    while (*p && *p != '.' && *p != '[') {
        if (*p == '\\' && p[1])
            p++;
        *(*dst)++ = *p++;
    }
    s->keylen = (size_t)(*dst - s->key);
    return p;
}

/* Parses "[N]"; p points at '['. Returns NULL when malformed. */
static const char *parse_index(const char *p, struct seg *s)
{
    p++;
    if (!isdigit((unsigned char)*p))
        return NULL;
    size_t v = 0;
    while (isdigit((unsigned char)*p)) {
        size_t d = (size_t)(*p - '0');
        if (v > (SIZE_MAX - d) / 10)
            return NULL;
        v = v * 10 + d;
        p++;
    }
    if (*p != ']')
        return NULL;
    s->is_index = 1;
    s->index = v;
    return p + 1;
}

static int path_parse(const char *text, struct path *pa)
{
    size_t len = strlen(text);
    pa->nsegs = 0;
    /* A path of n bytes has at most n + 1 segments. */
    pa->segs = tpool__malloc((len + 1) * sizeof *pa->segs);
    pa->keys = tpool__malloc(len + 1);
    if (!pa->segs || !pa->keys) {
        path_free(pa);
        return -1;
    }
    if (len == 0)
        return 0;
    char *dst = pa->keys;
    const char *p = text;
    if (*p != '[')
        p = parse_key(p, &dst, &pa->segs[pa->nsegs++]);
    for (;;) {
        while (*p == '[') {
            p = parse_index(p, &pa->segs[pa->nsegs]);
            if (!p) {
                path_free(pa);
                return -1;
            }
            pa->nsegs++;
        }
        if (*p == '\0')
            return 0;
        if (*p != '.') {
            path_free(pa);
            return -1;
        }
        p = parse_key(p + 1, &dst, &pa->segs[pa->nsegs++]);
    }
}

char *tpool__json_path_key(const char *parent, const char *name)
{
    size_t pl = parent ? strlen(parent) : 0;
    size_t n = strlen(name);
    char *out = tpool__malloc(pl + 1 + 2 * n + 1);
    if (!out)
        return NULL;
    char *q = out;
    if (pl) {
        memcpy(q, parent, pl);
        q += pl;
        *q++ = '.';
    }
    for (const char *p = name; *p; p++) {
        if (*p == '.' || *p == '[' || *p == '\\')
            *q++ = '\\';
        *q++ = *p;
    }
    *q = '\0';
    return out;
}

/* ---- scanning ------------------------------------------------------------ */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* p at the opening quote; returns the byte after the closing quote. */
static const char *skip_string(const char *p)
{
    for (p++; *p; p++) {
        if (*p == '\\') {
            if (!*++p)
                return NULL;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

static const char *skip_value(const char *p)
{
    if (*p == '"')
        return skip_string(p);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (*p) {
            if (*p == '"') {
                p = skip_string(p);
                if (!p)
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') {
                depth++;
            } else if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    /* number, true, false, null */
    const char *q = p;
    while (*q && !strchr(" \t\r\n,]}:", *q))
        q++;
    return q == p ? NULL : q;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 0;
}

static size_t utf8_encode(unsigned cp, unsigned char *b)
{
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Reads the string at p (at its opening quote), decoding escapes, and sets
 * *equal to whether it spells key[0..keylen). Keys are compared decoded
 * because "\u0061" and "a" name the same member for jansson.
 */
static const char *match_string(const char *p, const char *key, size_t keylen,
                                int *equal)
{
    size_t i = 0;
    int mismatch = 0;
    unsigned char buf[4];
    for (p++;;) {
        size_t n;
        if (*p == '\0') {
            return NULL;
        } else if (*p == '"') {
            p++;
            break;
        } else if (*p != '\\') {
            buf[0] = (unsigned char)*p++;
            n = 1;
        } else {
            p++;
            switch (*p) {
            case '"': case '\\': case '/': buf[0] = (unsigned char)*p; break;
            case 'b': buf[0] = '\b'; break;
            case 'f': buf[0] = '\f'; break;
            case 'n': buf[0] = '\n'; break;
            case 'r': buf[0] = '\r'; break;
            case 't': buf[0] = '\t'; break;
            case 'u': {
                unsigned cp, lo;
                if (hex4(p + 1, &cp) != 0)
                    return NULL;
                p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && p[1] == '\\' && p[2] == 'u' &&
                    hex4(p + 3, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                n = utf8_encode(cp, buf);
                p++;
                goto compare;
            }
            default:
                return NULL;
            }
            p++;
            n = 1;
        }
    compare:
        for (size_t k = 0; k < n; k++) {
            if (i < keylen && (unsigned char)key[i] == buf[k])
                i++;
            else
                mismatch = 1;
        }
    }
    *equal = !mismatch && i == keylen;
    return p;
}

/* Columns count UTF-8 lead bytes, as jansson's stream does. */
static void position(const char *text, const char *at, int *line, int *column)
{
    int l = 1, c = 1;
    for (const char *q = text; q < at; q++) {
        if (*q == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

/* Walks `text` along `path`; sets *value and *key (NULL when the last
 * segment is an index or the path is empty). */
static int walk(const char *text, const struct path *pa, const char **value,
                const char **key)
{
    const char *p = skip_ws(text);
    const char *k = NULL;
    for (size_t si = 0; si < pa->nsegs; si++) {
        const struct seg *s = &pa->segs[si];
        if (s->is_index) {
            if (*p != '[')
                return -1;
            p = skip_ws(p + 1);
            if (*p == ']')
                return -1;
            for (size_t i = 0; i < s->index; i++) {
                p = skip_value(p);
                if (!p)
                    return -1;
                p = skip_ws(p);
                if (*p != ',')
                    return -1; /* ']' here: the index is past the end */
                p = skip_ws(p + 1);
            }
            k = NULL;
            continue;
        }
        if (*p != '{')
            return -1;
        p = skip_ws(p + 1);
        const char *found = NULL, *found_key = NULL;
        if (*p != '}') {
            for (;;) {
                if (*p != '"')
                    return -1;
                const char *kstart = p;
                int eq;
                p = match_string(p, s->key, s->keylen, &eq);
                if (!p)
                    return -1;
                p = skip_ws(p);
                if (*p != ':')
                    return -1;
                p = skip_ws(p + 1);
                /* Keep scanning: for a repeated key the last one counts,
                 * as jansson keeps the last value. */
                if (eq) {
                    found = p;
                    found_key = kstart;
                }
                p = skip_value(p);
                if (!p)
                    return -1;
                p = skip_ws(p);
                if (*p == ',') {
                    p = skip_ws(p + 1);
                    continue;
                }
                if (*p == '}')
                    break;
                return -1;
            }
        }
        if (!found)
            return -1;
        p = found;
        k = found_key;
    }
    if (*p == '\0')
        return -1;
    *value = p;
    *key = k;
    return 0;
}

static int locate(const char *text, const char *path, int want_key, int *line,
                  int *column)
{
    if (!text || !path)
        return -1;
    struct path pa;
    if (path_parse(path, &pa) != 0)
        return -1;
    const char *value = NULL, *key = NULL;
    int rc = walk(text, &pa, &value, &key);
    path_free(&pa);
    if (rc != 0 || (want_key && !key))
        return -1;
    int l, c;
    position(text, want_key ? key : value, &l, &c);
    if (line)
        *line = l;
    if (column)
        *column = c;
    return 0;
}

int tpool__json_negative_zero(const char *text, const char *path)
{
    if (!text || !path)
        return 0;
    struct path pa;
    if (path_parse(path, &pa) != 0)
        return 0;
    const char *value = NULL, *key = NULL;
    int rc = walk(text, &pa, &value, &key);
    path_free(&pa);
    /* JSON allows no leading zeros: "-0" followed by a digit cannot occur,
     * and "-0.0" or "-0e1" is a real, which jansson does not call an
     * integer. */
    return rc == 0 && value[0] == '-' && value[1] == '0'
           && !(value[2] == '.' || value[2] == 'e' || value[2] == 'E');
}

void tpool__json_position(const char *text, size_t offset, int *line, int *column)
{
    position(text, text + offset, line, column);
}

int tpool__json_locate(const char *text, const char *path, int *line, int *column)
{
    return locate(text, path, 0, line, column);
}

int tpool__json_locate_key(const char *text, const char *path, int *line,
                           int *column)
{
    return locate(text, path, 1, line, column);
}

/* ---- showing values and suggesting names --------------------------------- */

#define RENDER_MAX 40

char *tpool__json_render(const json_t *v, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    /* 15 digits print 0.1 as 0.1, not as 0.10000000000000001. */
    char *s = v ? tpool__json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)) : NULL;
    if (!s) {
        snprintf(buf, size, "%s", v ? "(a value that cannot be shown)" : "nothing");
        return buf;
    }
    size_t limit = size - 1 < RENDER_MAX ? size - 1 : RENDER_MAX;
    size_t len = strlen(s);
    if (len <= limit) {
        memcpy(buf, s, len + 1);
    } else if (limit < 4) {
        memcpy(buf, s, limit);
        buf[limit] = '\0';
    } else {
        size_t cut = limit - 3;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(buf, s, cut);
        memcpy(buf + cut, "...", 4);
    }
    tpool__free(s);
    return buf;
}

#define SUGGEST_MAX 64

/* Optimal string alignment distance (edits and adjacent swaps), ignoring
 * case; SIZE_MAX for words too long to bother with. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
        return SIZE_MAX;
    size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* Whether `word` starts `c`, ignoring case. */
static int is_prefix(const char *word, const char *c)
{
    for (; *word; word++, c++) {
        if (tolower((unsigned char)*word) != tolower((unsigned char)*c))
            return 0;
    }
    return 1;
}

/* Whether `word` abbreviates `c`: the same first letter, then the rest of
 * its letters in order ("reps" for "repetitions"), ignoring case. */
static int is_abbrev(const char *word, const char *c)
{
    if (tolower((unsigned char)*word) != tolower((unsigned char)*c))
        return 0;
    for (; *word && *c; c++)
        if (tolower((unsigned char)*word) == tolower((unsigned char)*c))
            word++;
    return *word == '\0';
}

const char *tpool__json_suggest(const char *word, const char *const *candidates,
                                size_t ncandidates)
{
    size_t len = strlen(word);
    /* Short words are close to everything; allow fewer edits for them. */
    size_t max = len <= 2 ? 0 : len <= 4 ? 1 : 2;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < ncandidates; i++) {
        const char *c = candidates[i];
        if (!c)
            continue;
        size_t d = distance(word, c);
        /* "spin" for "spin_us": a truncated name is far in edits but
         * plainly meant. */
        int ok = d <= max || (len >= 3 && (is_prefix(word, c) || is_abbrev(word, c)));
        if (ok && d < best_d) {
            best = c;
            best_d = d;
        }
    }
    return best;
}
