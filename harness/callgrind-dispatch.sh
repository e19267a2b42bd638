#!/bin/sh
# callgrind-dispatch.sh - instructions per empty parallel-for dispatch,
# counted exactly with valgrind --tool=callgrind, for tpool (each policy
# through tpool_parallel_range, and libtpool's pthreadpool drop-in) against
# Debian's libpthreadpool (docs/PERFORMANCE.md, target 9).
#
# Each executor runs harness/dispatch-count twice, with N and 2N dispatches;
# (total(2N) - total(N)) / N is the cost of one dispatch, start-up, pool
# creation and teardown cancelling out. Instruction counts do not depend on
# the machine's load, so this is the one figure that is exact on a busy
# 2-core machine. At THREADS > 1 callgrind serialises the threads and the
# counts include spin-waiting, so only THREADS=1 (the default) is exact.
#
# Usage: harness/callgrind-dispatch.sh [BUILD_DIR]   (default: ./build, or .)
# Environment: N (dispatches, default 2000), THREADS (1), RANGE (0 = THREADS
# items), POLICIES (default: the policies built in BUILD_DIR, and builtin:stealing
# when the build has built-in policies), RECORD (1: a row for a recorded pool).
# Exit status: 0 when no tpool executor needs more instructions per
# dispatch than libpthreadpool, 1 when one does (a regression), 2 when it
# cannot measure (no valgrind, no system libpthreadpool, a failed run).
set -u

build=${1:-}
if [ -z "$build" ]; then
    if [ -x build/harness/dispatch-count ]; then build=build; else build=.; fi
fi
drv="$build/harness/dispatch-count"
if [ ! -x "$drv" ]; then
    echo "callgrind-dispatch: $drv not found; build first (make -C $build)" >&2
    exit 2
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind-dispatch: valgrind not found (apt-get install valgrind)" >&2
    exit 2
fi
N=${N:-2000}
THREADS=${THREADS:-1}
RANGE=${RANGE:-0}
if [ -z "${POLICIES:-}" ]; then
    POLICIES=
    for d in "$build"/policies/*/.libs; do
        for so in "$d"/*.so; do
            [ -f "$so" ] && POLICIES="$POLICIES $(basename "$so" .so)"
        done
    done
    # The built-in copy too, unless configured --disable-builtin-policies.
    grep -q 'define TPOOL_BUILTIN_POLICIES 1' "$build/tpool-build.h" 2>/dev/null &&
        POLICIES="$POLICIES builtin:stealing"
fi
# Policies are found in the build tree, whichever directory they are in.
TPOOL_POLICY_PATH=$(ls -d "$build"/policies/*/.libs 2>/dev/null | tr '\n' ':' | sed 's/:$//')
export TPOOL_POLICY_PATH
unset TPOOL_POLICY TPOOL_CONFIG TPOOL_RECORD

tmp=$(mktemp -d "${TMPDIR:-/tmp}/callgrind-dispatch.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# total KIND POLICY COUNT: callgrind's instruction total of the calling
# thread in one run. Only the caller's thread is counted: a pool's workers
# (a pool of 1 thread still has one, idle) spin for a time, not for a
# number of instructions, which would make the difference inexact.
total() {
    rm -f "$tmp"/cg.out*
    if ! "$build/libtool" --mode=execute valgrind --tool=callgrind --separate-threads=yes \
            --callgrind-out-file="$tmp/cg.out" "$drv" "$1" "$2" "$THREADS" "$RANGE" "$3" \
            >"$tmp/log" 2>&1; then
        echo "callgrind-dispatch: $1 $2 failed:" >&2
        tail -5 "$tmp/log" >&2
        return 1
    fi
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/cg.out-01"
}

# per_dispatch KIND POLICY: instructions per dispatch, one decimal.
per_dispatch() {
    a=$(total "$1" "$2" "$N") || return 1
    b=$(total "$1" "$2" $((2 * N))) || return 1
    awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN { printf "%.1f\n", (b - a) / n }'
}

base=$(per_dispatch system -) || {
    echo "callgrind-dispatch: cannot measure Debian's libpthreadpool" \
         "(dispatch-count system failed; apt-get install libpthreadpool-dev and re-run configure)" >&2
    exit 2
}
printf 'instructions per empty parallel-for dispatch (callgrind, threads=%s, range=%s, N=%s)\n' \
    "$THREADS" "$RANGE" "$N"
printf '%-32s %12s %8s\n' executor "instr/call" "vs ptp"
printf '%-32s %12s %8s\n' "pthreadpool (Debian)" "$base" "1.00"
status=0
row() {
    v=$(per_dispatch "$1" "$2") || { status=2; return; }
    r=$(awk -v v="$v" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? v / b : 0) }')
    verdict=$(awk -v v="$v" -v b="$base" 'BEGIN { print (v <= b) ? "" : "  MORE than pthreadpool" }')
    [ -n "$verdict" ] && [ "$status" -eq 0 ] && status=1
    printf '%-32s %12s %8s%s\n' "$3" "$v" "$r" "$verdict"
}
for p in $POLICIES; do
    row tpool "$p" "tpool $p"
done
row dropin stealing "drop-in pthreadpool (stealing)"
# RECORD=1: what a recorded pool costs per dispatch (TPOOL_RECORD set; its
# events are formatted into the file when the pool is destroyed, which is
# counted too). Informative: it does not change the exit status.
if [ "${RECORD:-0}" = 1 ]; then
    keep=$status
    TPOOL_RECORD="$tmp/record.jsonl"
    export TPOOL_RECORD
    row tpool stealing "tpool stealing, recorded"
    unset TPOOL_RECORD
    status=$keep
fi
exit $status
