#!/bin/sh
# client_check.sh - the programs of the tree are clients of the library:
# tpool-bench (harness/), tpool-conformance (conformance/) and tpool-info
# reach the runtime through the public headers (include/) and libtpool.so
# only, and the checked-input helpers (core/input/) depend on nothing of
# the core. Fails, naming the file and line, when
#   - a file of harness/ includes a header of core/ other than core/input/,
#     or a file of conformance/, core/tpool-info.c or core/input/ includes
#     any header of core/ outside its own directory;
#   - harness/tpool-bench.mk or conformance/tpool-conformance.mk links
#     libtpool_core.la or puts core/ on the include path (core/input/ is
#     allowed to the harness only), or core/input/libtpool_input.mk puts
#     core/ on it;
#   - in a build with shared libraries, libtpool.so exports a name other
#     than tpool_* and pthreadpool_*, or tpool-bench, tpool-conformance or
#     tpool-info holds a copy of the runtime (defines tpool_create) or does
#     not load libtpool.so.
# An automake TESTS script (the test environment gives srcdir, tests/ of the
# source tree, and top_builddir); usable by hand from the top of the source
# tree: srcdir=tests top_builddir=build sh tests/client_check.sh
set -u
srcdir=${srcdir:-.}
top_srcdir=$(cd "$srcdir/.." && pwd)
top_builddir=$(cd "${top_builddir:-..}" && pwd)
problems=0

problem() {
    echo "client_check: $*"
    problems=$((problems + 1))
}

# The headers of the core's runtime and loader: core/*.h (not core/input/).
core_headers=$(cd "$top_srcdir/core" && ls *.h)

# check_includes ALLOW_INPUT FILE...: no quoted include of FILE names a
# header of core/, nor (ALLOW_INPUT 0) one of core/input/, nor goes through
# a path into core/.
input_headers=$(cd "$top_srcdir/core/input" && ls *.h)
check_includes() {
    allow_input=$1
    shift
    for f in "$@"; do
        [ -f "$f" ] || continue
        rel=${f#"$top_srcdir"/}
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
            sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/' |
            while read -r line name; do
                base=${name##*/}
                case $name in
                */core/*|core/*|../*)
                    echo "$rel:$line: includes \"$name\": a path into the core" ;;
                esac
                for h in $core_headers; do
                    [ "$base" = "$h" ] &&
                        echo "$rel:$line: includes \"$name\", a header of the core (core/$h)"
                done
                if [ "$allow_input" = 0 ]; then
                    for h in $input_headers; do
                        [ "$base" = "$h" ] &&
                            echo "$rel:$line: includes \"$name\" (core/input/$h): only the" \
                                 "public headers (include/) are allowed here"
                    done
                fi
            done
    done
}

# The same-directory headers of core/input/ are its own.
found=$(
    check_includes 1 $(find "$top_srcdir/harness" -name '*.[ch]' -o -name '*.cc' | sort)
    check_includes 0 $(find "$top_srcdir/conformance" -name '*.[ch]' | sort) \
        "$top_srcdir/core/tpool-info.c"
    for f in $(find "$top_srcdir/core/input" -name '*.[ch]' | sort); do
        rel=${f#"$top_srcdir"/}
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
            sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/' |
            while read -r line name; do
                case $name in
                */*) echo "$rel:$line: includes \"$name\": a path out of core/input/"
                     continue ;;
                esac
                [ -f "$top_srcdir/core/input/$name" ] && continue
                [ -f "$top_srcdir/include/$name" ] && continue
                echo "$rel:$line: includes \"$name\": core/input/ includes only its own" \
                     "and the public headers"
            done
    done
)
if [ -n "$found" ]; then
    printf '%s\n' "$found" | while read -r l; do echo "client_check: $l"; done
    problems=$((problems + $(printf '%s\n' "$found" | wc -l)))
fi

# The build fragments: lines of the makefile, continuations joined.
check_fragment() { # FILE ALLOWED-INCLUDE-DIR-OR-EMPTY
    mk=$top_srcdir/$1
    n=0
    sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$mk" | grep -v '^[[:space:]]*#' >"$tmp" || :
    if grep -n 'libtpool_core\.la' "$tmp" >/dev/null; then
        problem "$1: links core/libtpool_core.la (a program of the tree links" \
                "core/libtpool.la, libtpool.so, as any program)"
    fi
    grep -o -- '-I[^ ]*core[^ ]*' "$tmp" | sort -u | while read -r flag; do
        case $flag in
        *"/core/input") [ -n "$2" ] && continue ;;
        esac
        echo "$1: puts $flag on the include path"
    done >"$tmp.I"
    if [ -z "$2" ] && grep -q 'INPUT_CPPFLAGS' "$tmp"; then
        echo "$1: puts core/input/ on the include path (INPUT_CPPFLAGS)" >>"$tmp.I"
    fi
    if [ -s "$tmp.I" ]; then
        while read -r l; do problem "$l"; done <"$tmp.I"
    fi
}
tmp=$(mktemp "${TMPDIR:-/tmp}/layering.XXXXXX") || exit 2
trap 'rm -f "$tmp" "$tmp.I"' EXIT
check_fragment harness/tpool-bench.mk input
check_fragment conformance/tpool-conformance.mk ""
check_fragment core/input/libtpool_input.mk input

# The programs as built: libtool puts the real executable of a program
# linking a libtool library in .libs/. A build without shared libraries
# links libtpool.a into them, which is as it should be there.
if [ -f "$top_builddir/core/.libs/libtpool.so" ]; then
    # What the programs can reach: the public names, nothing internal.
    extra=$(nm -D --defined-only "$top_builddir/core/.libs/libtpool.so" 2>/dev/null |
            awk 'NF == 3 { print $3 }' | sed 's/@.*//' |
            grep -v -e '^tpool_[a-z]' -e '^pthreadpool_' -e '^_init$' -e '^_fini$' | sort -u)
    for name in $extra; do
        problem "libtpool.so exports $name: only tpool_* and pthreadpool_* names are" \
                "public (core/libtpool.mk's -export-symbols-regex, hidden visibility)"
    done
    for prog in harness/tpool-bench conformance/tpool-conformance core/tpool-info; do
        dir=${prog%/*}
        name=${prog##*/}
        exe=$top_builddir/$dir/.libs/$name
        [ -f "$exe" ] || exe=$top_builddir/$dir/.libs/lt-$name
        if [ ! -f "$exe" ]; then
            [ -f "$top_builddir/$prog" ] &&
                problem "$prog: built, but not linked with libtool's libtpool.so" \
                        "(no $dir/.libs/$name)"
            continue
        fi
        if nm "$exe" 2>/dev/null | grep -q ' [Tt] tpool_create$'; then
            problem "$prog: holds its own copy of the runtime (defines tpool_create);" \
                    "link core/libtpool.la"
        fi
        if ! objdump -p "$exe" 2>/dev/null | grep -q 'NEEDED *libtpool\.so'; then
            problem "$prog: does not load libtpool.so (objdump -p shows no NEEDED" \
                    "libtpool.so)"
        fi
    done
fi

if [ "$problems" -gt 0 ]; then
    echo "client_check: FAIL: $problems problem(s); see docs/internals.md," \
         "\"The programs: clients of the library\""
    exit 1
fi
echo "client_check: harness/, conformance/, tpool-info and core/input/ keep to their layers"
exit 0
