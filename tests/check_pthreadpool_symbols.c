/*
 * check_pthreadpool_symbols.c - tpool's libpthreadpool.so.0 exports exactly
 * the dynamic symbols Debian's does (nm -D --defined-only on both, names
 * compared). Skipped when Debian's library is not installed.
 */
#define _GNU_SOURCE
#include <stdbool.h>

#include "runcmd.h"
#include "tpool-build.h"

#define OURS TOP_BUILDDIR "/core/.libs/libpthreadpool.so.0"

/* The defined symbol names nm lists for lib, sorted, one per line. */
static int names(const char *lib, char *out, size_t cap)
{
    return run_cmd(out, cap, "nm -D --defined-only '%s' | awk 'NF == 3 { print $3 }' | "
                   "LC_ALL=C sort", lib);
}

/* Prints the lines of `a` that are not lines of `b`. */
static void report_missing(const char *a, const char *b, const char *label)
{
    for (const char *line = a; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        bool found = false;
        for (const char *o = b; *o && !found;) {
            const char *onl = strchr(o, '\n');
            size_t olen = onl ? (size_t)(onl - o) : strlen(o);
            found = olen == len && memcmp(o, line, len) == 0;
            o += olen + (onl != NULL);
        }
        if (!found)
            printf("%s: %.*s\n", label, (int)len, line);
        line += len + (nl != NULL);
    }
}

int main(void)
{
    if (TPOOL_SYSTEM_PTHREADPOOL[0] == '\0') {
        printf("SKIP: Debian's libpthreadpool.so.0 is not installed "
               "(apt-get install libpthreadpool0), nothing to compare with\n");
        return SKIP;
    }
    static char theirs[65536], ours[65536];
    if (names(TPOOL_SYSTEM_PTHREADPOOL, theirs, sizeof theirs) != 0 || !theirs[0])
        return fail("nm failed on %s", TPOOL_SYSTEM_PTHREADPOOL);
    if (names(OURS, ours, sizeof ours) != 0 || !ours[0])
        return fail("nm failed on %s", OURS);
    if (strcmp(theirs, ours) != 0) {
        report_missing(theirs, ours, "only in Debian's");
        report_missing(ours, theirs, "only in tpool's");
        return fail("the exported symbols differ");
    }
    size_t n = 0;
    for (const char *c = ours; *c; c++)
        n += *c == '\n';
    printf("PASS: the same %zu symbols\n", n);
    return 0;
}
