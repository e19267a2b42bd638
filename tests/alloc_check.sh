#!/bin/sh
# alloc_check.sh - the library allocates only through its allocator
# (core/input/alloc.h), which asks the allocation fault point first: a core
# file that called the C library's allocator itself would be out of reach of
# the fault tests (check_faults) and of a replaced allocator. Fails naming
# each file and line of core/ and core/input/ that calls malloc, calloc,
# realloc, reallocarray, strdup, strndup, aligned_alloc, posix_memalign,
# memalign, valloc, free, asprintf or vasprintf, or a function that hands
# back a block to free() (json_dumps, getcwd, realpath,
# get_current_dir_name), comments and string literals aside. Exempt:
# core/input/alloc.c (the allocator) and core/tpool-info.c (a program on the
# public API, not part of the library).
# An automake TESTS script (srcdir is tests/ of the source tree); by hand,
# from the top of the source tree: srcdir=tests sh tests/alloc_check.sh
set -u
srcdir=${srcdir:-.}
core="$srcdir/../core"
[ -f "$core/input/alloc.c" ] || { echo "alloc_check: FAIL: $core/input/alloc.c is missing"; exit 1; }

# Prints FILE:LINE: TEXT for each call, with comments and strings blanked.
calls() {
    awk '
    {
        line = $0; out = ""; i = 1; n = length(line)
        while (i <= n) {
            c = substr(line, i, 1); two = substr(line, i, 2)
            if (incomment) {
                if (two == "*/") { incomment = 0; i += 2 } else i++
                continue
            }
            if (two == "/*") { incomment = 1; i += 2; continue }
            if (two == "//") break
            if (c == "\"" || c == "\047") { # a literal: skipped to its closing quote
                q = c; i++
                while (i <= n && substr(line, i, 1) != q)
                    i += substr(line, i, 1) == "\\" ? 2 : 1
                i++; out = out q q; continue
            }
            out = out c; i++
        }
        if (out ~ /(^|[^A-Za-z0-9_.>])(malloc|calloc|realloc|reallocarray|strdup|strndup|aligned_alloc|posix_memalign|memalign|valloc|pvalloc|free|asprintf|vasprintf|json_dumps|getcwd|realpath|get_current_dir_name)[ \t]*\(/)
            printf "%s:%d: %s\n", FILENAME, FNR, line
    }' "$@"
}

files=
for f in "$core"/*.c "$core"/*.h "$core"/input/*.c "$core"/input/*.h; do
    case ${f##*/} in
    alloc.c | tpool-info.c) ;;
    *) files="$files $f" ;;
    esac
done
# shellcheck disable=SC2086 # file names without spaces, split on purpose
found=$(calls $files)
if [ -n "$found" ]; then
    echo "$found" | sed "s|^$core/|core/|; s|^|alloc_check: FAIL: |"
    echo "alloc_check: allocate with tpool__malloc & co. and release with tpool__free (core/input/alloc.h)"
    exit 1
fi
echo "alloc_check: every allocation of core/ goes through core/input/alloc.h"
