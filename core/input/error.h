/* error.h - filling tpool_error (first error wins) and naming error codes. */
#ifndef TPOOL_CORE_ERROR_H
#define TPOOL_CORE_ERROR_H

#include <stdarg.h>

#include "tpool.h"

#if defined(__GNUC__)
#define TPOOL__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TPOOL__PRINTF(a, b)
/*
 * Like tpool__error, for messages that already name what they are about
 * ("policy 'x.so': ..."): `source` and `key` go into their fields for
 * programs, but the text is the message alone.
 */
int tpool__error_about(tpool_error *err, int code, const char *source, const char *key,
                       const char *fmt, ...) TPOOL__PRINTF(5, 6);
int tpool__verror_about(tpool_error *err, int code, const char *source, const char *key,
                        const char *fmt, va_list ap);

#endif

/*
 * Records an error in `err` (may be NULL) unless it already holds one, and
 * returns `code` so callers can write `return tpool__error(...)`. The text
 * becomes "source:line:column: key: message", leaving out the parts that are
 * empty or zero.
 */
int tpool__error(tpool_error *err, int code, const char *source, int line,
                 int column, const char *key, const char *fmt, ...)
    TPOOL__PRINTF(7, 8);

/*
 * Like tpool__error, for messages that already name what they are about
 * ("policy 'x.so': ..."): `source` and `key` go into their fields for
 * programs, but the text is the message alone.
 */
int tpool__error_about(tpool_error *err, int code, const char *source, const char *key,
                       const char *fmt, ...) TPOOL__PRINTF(5, 6);
int tpool__verror_about(tpool_error *err, int code, const char *source, const char *key,
                        const char *fmt, va_list ap);

#endif
