#!/bin/sh
# layering_check.sh - the core's files form layers that only call downward:
# fails on an #include cycle between files of core/, and on a call cycle
# between its objects; and on a file other than park.h and park.c that
# sleeps or spins by itself (the futex, sched_yield, a pause).
#
# Includes: an edge from each file of core/ and core/input/ to every header
# of theirs it includes ("..."), from the sources.
# Calls: an edge from object A to object B when A uses a tpool_* or
# pthreadpool_* symbol (the internal tpool__ ones included) that B defines,
# read with nm from the convenience archive libtpool_core.a of the build
# tree. Code a header inlines counts as its includer's. tsort finds the
# cycles.
#
# Environment (set by make check): srcdir (the tests/ source directory),
# top_builddir. Exit status: 0, 1 on a cycle, 77 (skipped) without nm or
# tsort or before the objects exist.
set -u

src=${srcdir:-$(dirname "$0")}/../core
objs=${top_builddir:-.}/core/.libs
fail=0

for tool in nm tsort; do
    command -v "$tool" >/dev/null 2>&1 || { echo "layering_check: no $tool: skipped"; exit 77; }
done

# ---- includes ---------------------------------------------------------------

# Files are named from core/ (input/error.h); a quoted include is looked up
# in the includer's directory, then core/, then core/input/, as the build's
# -I options do.
inc_edges() {
    for f in "$src"/*.c "$src"/*.h "$src"/input/*.c "$src"/input/*.h; do
        [ -f "$f" ] || continue
        dir=$(dirname "$f")
        from=${f#"$src"/}
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"/]*\)".*/\1/p' "$f" |
            while read -r name; do
                to=
                for d in "$dir" "$src" "$src/input"; do
                    if [ -f "$d/$name" ]; then
                        to=$d/$name
                        break
                    fi
                done
                to=${to#"$src"/}
                [ -n "$to" ] && [ "$to" != "$from" ] && echo "$from $to"
            done
    done
}

if ! out=$(inc_edges | tsort 2>&1 >/dev/null); then
    echo "layering_check: an #include cycle between files of core/:"
    echo "$out" | sed 's/^/  /'
    fail=1
fi

# ---- waiting ------------------------------------------------------------------

# Only the waiting layer (park.h, park.c) sleeps or spins: any other file
# of core/ that makes the futex call, yields the CPU or pauses it fails.
for f in "$src"/*.c "$src"/*.h "$src"/input/*.c "$src"/input/*.h; do
    case $f in */park.c | */park.h) continue ;; esac
    grep -Hn 'SYS_futex\|sched_yield\|__builtin_ia32_pause\|nanosleep\|usleep' "$f" 2>/dev/null |
        sed 's|^.*/core/|layering_check: waits outside park.h: core/|'
done > "${TMPDIR:-/tmp}/layering_wait.$$"
if [ -s "${TMPDIR:-/tmp}/layering_wait.$$" ]; then
    cat "${TMPDIR:-/tmp}/layering_wait.$$"
    fail=1
fi
rm -f "${TMPDIR:-/tmp}/layering_wait.$$"

# ---- calls ------------------------------------------------------------------

# The objects are read from the convenience archive, which holds exactly
# the current ones (a build tree keeps the objects of moved files too):
# libtpool_core_la-X.o is X, libtpool_input_la-X.o is input/X; the built-in
# policies' objects are no part of the layering.
archive=
for a in "$objs/libtpool_core.a" "${top_builddir:-.}/core/libtpool_core.a"; do
    [ -f "$a" ] && { archive=$a; break; }
done
if [ -z "$archive" ]; then
    echo "layering_check: no libtpool_core.a under ${top_builddir:-.}/core (build first): skipped"
    exit 77
fi

# "OBJECT TYPE SYMBOL" for every tpool or pthreadpool symbol of every object.
syms=$(nm -P -A "$archive" | awk '
    {
        m = $1
        sub(/^.*\[/, "", m)
        sub(/\]:$/, "", m)
        sub(/\.o$/, "", m)
        if (sub(/^libtpool_core_la-/, "", m) == 0 && sub(/^libtpool_input_la-/, "input/", m) == 0)
            next
        if ($2 ~ /^(tpool_|pthreadpool_)/)
            print m, $3, $2
    }')

call_edges=$(echo "$syms" | awk '
    $2 ~ /^[TDBRCV]$/ { def[$3] = $1; next }
    $2 == "U" { use[$1 " " $3] = 1 }
    END {
        for (k in use) {
            split(k, a, " ")
            if ((a[2] in def) && def[a[2]] != a[1])
                edge[a[1] " " def[a[2]]] = 1
        }
        for (e in edge)
            print e
    }' | sort)

# No cycle is allowed: one is broken by moving a function to the layer
# that owns it, or by a callback or hook table the upper layer fills.
if ! out=$(echo "$call_edges" | tsort 2>&1 >/dev/null); then
    echo "layering_check: a call cycle between objects of core/ (each calls the next):"
    echo "$out" | sed 's/^/  /'
    fail=1
fi

if [ "$fail" -eq 0 ]; then
    n=$(echo "$call_edges" | grep -c .)
    echo "layering_check: no #include cycle; no call cycle in $n call edges; no wait outside park.h"
fi
exit $fail
