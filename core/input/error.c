/* error.c - filling a tpool_error: first error wins, "source:line:column: key:
 * message". The codes' names (tpool_strerror) are the library's, in
 * core/error_codes.c. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy(char *dst, size_t size, const char *src)
{
    if (!src)
        src = "";
    snprintf(dst, size, "%s", src);
}

int tpool__error(tpool_error *err, int code, const char *source, int line,
                 int column, const char *key, const char *fmt, ...)
{
    if (!err || err->code != 0)
        return code;
    err->code = code;
    err->line = line;
    err->column = column;
    copy(err->source, sizeof err->source, source);
    copy(err->key, sizeof err->key, key);

    char msg[sizeof err->text]; /* a message may fill the whole text */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    size_t n = 0, cap = sizeof err->text;
    err->text[0] = '\0';
#define PUT(...) \
    do { if (n < cap) n += (size_t)snprintf(err->text + n, cap - n, __VA_ARGS__); } while (0)
    if (err->source[0]) {
        PUT("%s:", err->source);
        if (line > 0) {
            PUT("%d:", line);
            if (column > 0)
                PUT("%d:", column);
        }
        PUT(" ");
    }
    if (err->key[0])
        PUT("%s: ", err->key);
    PUT("%s", msg);
#undef PUT
    return code;
}

int tpool__verror_about(tpool_error *err, int code, const char *source, const char *key,
                        const char *fmt, va_list ap)
{
    if (!err || err->code != 0)
        return code;
    char msg[sizeof err->text];
    vsnprintf(msg, sizeof msg, fmt, ap);
    tpool__error(err, code, NULL, 0, 0, NULL, "%s", msg);
    copy(err->source, sizeof err->source, source);
    copy(err->key, sizeof err->key, key);
    return code;
}

int tpool__error_about(tpool_error *err, int code, const char *source, const char *key,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tpool__verror_about(err, code, source, key, fmt, ap);
    va_end(ap);
    return rc;
}
