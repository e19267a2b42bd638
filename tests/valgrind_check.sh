#!/bin/sh
# valgrind_check.sh - the pool, stress and conformance suites under
# valgrind's memcheck: no invalid access, no use of
# uninitialised memory, no definite leak. CI runs it; a developer can too:
#
#   tests/valgrind_check.sh [BUILD_DIR]      (default: ./build, configured plain)
#
# BUILD_DIR must be a build without --enable-asan/--enable-tsan (a sanitizer
# runtime and valgrind cannot share a process). The stress suite runs
# TPOOL_STRESS_TASKS tasks per policy (default here 1e5); VALGRIND_SUITES
# and VALGRIND_CONFORMANCE_POLICIES (below) choose what runs;
# VALGRIND_TIMEOUT (seconds, default 900) bounds each suite. Tests run
# through `make check`, so they get the same environment as there (policy
# path, policy list), with Check's fork mode off
# (CK_FORK=no: valgrind then follows no child and sees the tests themselves),
# and through `libtool --mode=execute`, which finds the real program behind a
# libtool wrapper script. Exit status: 0 clean, 1 an error or a test failed,
# 2 usage (no valgrind, no build).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
if [ ! -f "$build/Makefile" ]; then
    echo "valgrind_check.sh: $build is not a configured build directory" \
        "(./autogen.sh && mkdir -p build && cd build && ../configure)" >&2
    exit 2
fi
build=$(cd "$build" && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind_check.sh: valgrind not found (apt-get install valgrind)" >&2
    exit 2
fi
if ! grep -q '^SAN_CFLAGS *= *$' "$build/Makefile"; then
    echo "valgrind_check.sh: $build is a sanitizer build; use a plain one" >&2
    exit 2
fi

# Every policy for the pool and stress suites; the conformance suite, some
# fifty times slower under valgrind (it creates pools of 1 to 6 threads for
# each of its checks: about 2 minutes of CPU per policy), for the policies in
# VALGRIND_CONFORMANCE_POLICIES only: fifo by default, the core's own paths
# (queue-based parallel-for, fork-join, cancel). `all` means every policy,
# an empty value skips the suite.
suites=${VALGRIND_SUITES-check_pool check_stress}
conf_policies=${VALGRIND_CONFORMANCE_POLICIES-fifo}
supp=$top/tests/valgrind.supp
vg="valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite"
vg="$vg --error-exitcode=1 --num-callers=30"
[ -f "$supp" ] && vg="$vg --suppressions=$supp"

# A suite that runs past the limit is stopped by timeout(1) and named below,
# rather than the whole job being killed without a word.
limit=${VALGRIND_TIMEOUT:-900}

TPOOL_STRESS_TASKS=${TPOOL_STRESS_TASKS:-1e5}
CK_FORK=no
export TPOOL_STRESS_TASKS CK_FORK

start=$(date +%s)
rc=0
out=$build/tests/valgrind_check.out
run() { # make-variable-assignment... : make check under valgrind
    make -s -C "$build" check LOG_COMPILER="timeout -k 30 $limit $build/libtool --mode=execute $vg" \
        "$@" >"$out" 2>&1 || rc=1
    grep -E '^(PASS|FAIL|ERROR|SKIP|XPASS|XFAIL):' "$out" || cat "$out"
}
[ -n "$suites" ] && run TESTS="$(for t in $suites; do printf 'tests/%s ' "$t"; done)"
if [ -n "$conf_policies" ]; then
    if [ "$conf_policies" = all ]; then
        run TESTS=tests/check_conformance
    else
        run TESTS=tests/check_conformance TPOOL_POLICIES="$conf_policies"
    fi
    suites="$suites check_conformance"
fi
for t in $suites; do
    log=$build/tests/$t.log
    # memcheck's summary lines, so that CI's output shows what was checked.
    [ -f "$log" ] && grep -E '^==[0-9]+== +(ERROR SUMMARY|definitely lost|All heap blocks)' "$log" |
        sed "s/^/$t: /" | tail -n 2
    case $(sed -n 's/.*(exit status: \([0-9]*\))$/\1/p' "$log" 2>/dev/null) in
    124) echo "$t: stopped after $limit s under valgrind (VALGRIND_TIMEOUT)" ;;
    137) echo "$t: killed (SIGKILL): $limit s + 30 s passed (VALGRIND_TIMEOUT)," \
        "or the system ran out of memory" ;;
    esac
    if [ "$rc" != 0 ] && [ -f "$log" ]; then
        echo "---- $log"
        cat "$log"
    fi
done
echo "valgrind_check.sh: $suites: $([ "$rc" = 0 ] && echo clean || echo FAILED)" \
    "in $(($(date +%s) - start)) s"
exit "$rc"
