#!/bin/sh
# api_docs_check.sh - every public name has its entry in the API reference,
# so the docs cannot fall behind the code unnoticed:
#   - each function libtpool.so and libpthreadpool.so export (nm -D; names
#     tpool_* and pthreadpool_*; tpool__* is internal) has a table row or a
#     heading in docs/api.md;
#   - each static inline function of tpool-policy.h and tpool-queue.h has
#     a table row or a heading in docs/policy-abi.md, and each of their
#     macros appears there as `NAME`;
#   - each macro of tpool.h, pthreadpool.h and tpool-module.h appears in
#     docs/api.md as `NAME` (include guards excepted);
#   - each macro and static inline function of tpool-bench.h (tpool-bench's
#     workload ABI) appears in docs/harness.md as `NAME`.
# Fails listing every undocumented name. An automake TESTS script (the test
# environment gives srcdir, tests/ of the source tree, and top_builddir);
# usable by hand too, from the top of the source tree:
#   srcdir=tests top_builddir=build sh tests/api_docs_check.sh
set -u
srcdir=${srcdir:-.}
top_srcdir="$srcdir/.."
top_builddir=${top_builddir:-..}
libdir=$top_builddir/core/.libs
api="$top_srcdir/docs/api.md"
abi="$top_srcdir/docs/policy-abi.md"
harness="$top_srcdir/docs/harness.md"
missing=0

fail() {
    echo "api_docs_check: FAIL: $*"
    exit 1
}

command -v nm >/dev/null 2>&1 || { echo "api_docs_check: nm not found (binutils); skipped"; exit 77; }
for f in "$api" "$abi" "$harness"; do
    [ -f "$f" ] || fail "$f is missing"
done

# Names with a table row ("| ...") or a heading ("# ...") in doc $2.
has_entry() {
    grep -E '^[[:space:]]*(\||#)' "$2" | grep -qw -- "$1"
}
# Names written as code (`NAME...) anywhere in doc $2.
has_code() {
    grep -q -- "\`$1\\b" "$2"
}

# check KIND DOC TEST NAMES...: reports each name TEST does not find in DOC.
check() {
    kind=$1 doc=$2 test=$3
    shift 3
    for n in "$@"; do
        if ! $test "$n" "$doc"; then
            echo "api_docs_check: undocumented $kind: $n (add it to ${doc#"$top_srcdir"/})"
            missing=$((missing + 1))
        fi
    done
}

# The functions a library exports under the public prefixes.
exported() {
    [ -f "$1" ] || fail "$1 not built"
    nm -D --defined-only "$1" | awk '$2 ~ /^[TWi]$/ { print $3 }' |
        grep -E '^(tpool_[a-z0-9]|pthreadpool_)' | sort -u
}
# The macros a header defines, its include guard (its first #ifndef) excepted.
macros() {
    guard=$(sed -n 's/^[[:space:]]*#[[:space:]]*ifndef[[:space:]]\{1,\}\([A-Za-z0-9_]*\).*/\1/p' "$1" | head -n 1)
    sed -n 's/^[[:space:]]*#[[:space:]]*define[[:space:]]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' "$1" |
        grep -vx -- "$guard" | sort -u
}
# The static inline functions a header defines.
inlines() {
    sed -n 's/^static inline [^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$1" | sort -u
}

syms=$( (exported "$libdir/libtpool.so" && exported "$libdir/libpthreadpool.so") | sort -u)
pmacros=$( (macros "$top_srcdir/include/tpool-policy.h" && macros "$top_srcdir/include/tpool-queue.h") | sort -u)
pinlines=$( (inlines "$top_srcdir/include/tpool-policy.h" && inlines "$top_srcdir/include/tpool-queue.h") | sort -u)
amacros=$( (macros "$top_srcdir/include/tpool.h" && macros "$top_srcdir/include/pthreadpool.h" &&
    macros "$top_srcdir/include/tpool-module.h") | sort -u)
bnames=$( (macros "$top_srcdir/include/tpool-bench.h" && inlines "$top_srcdir/include/tpool-bench.h") | sort -u)

# A parser that finds nothing would pass vacuously: the counts must be sane.
ntp=$(echo "$syms" | grep -c '^tpool_')
npp=$(echo "$syms" | grep -c '^pthreadpool_')
[ "$ntp" -ge 40 ] || fail "only $ntp tpool_* symbols exported: is nm's output parsed right?"
[ "$npp" -ge 30 ] || fail "only $npp pthreadpool_* symbols exported"
[ "$(echo "$pinlines" | grep -c .)" -ge 11 ] || fail "found too few tpool_mpsc_*/tpool_taskq_* inline functions"
[ "$(echo "$pmacros" | grep -c .)" -ge 10 ] || fail "found too few macros in tpool-policy.h"
echo "$pmacros" | grep -qx 'TPOOL_POLICY_H\|TPOOL_QUEUE_H' && fail "an include guard was not excluded"
[ "$(echo "$bnames" | grep -c .)" -ge 20 ] || fail "found too few names in tpool-bench.h"
# ...and the test must report a name that is nowhere: check it does.
check selftest "$api" has_entry tpool_no_such_function >/dev/null
[ "$missing" -eq 1 ] || fail "the check does not notice an undocumented name"
missing=0

# shellcheck disable=SC2086 # the lists are words
check function "$api" has_entry $syms
# shellcheck disable=SC2086
check "inline function" "$abi" has_entry $pinlines
# shellcheck disable=SC2086
check macro "$abi" has_code $pmacros
# shellcheck disable=SC2086
check macro "$api" has_code $amacros
# shellcheck disable=SC2086
check "tpool-bench.h name" "$harness" has_code $bnames

total=$(echo "$syms $pinlines $pmacros $amacros $bnames" | wc -w)
[ "$missing" -eq 0 ] || fail "$missing of $total public names are undocumented"
echo "api_docs_check: ok: $total public names documented ($ntp tpool_*, $npp pthreadpool_* exported)"
exit 0
