#!/bin/sh
# conformance_cli.sh - tpool-conformance on every policy of the build (each
# must pass: exit 0), on the deliberately broken test modules (each must exit
# 1, naming the check it breaks and the fault, with the count), and on usage
# and load errors (exit 2, with the loader's message).
#
# An automake TESTS script: the test environment gives top_builddir,
# TPOOL_TEST_POLICIES and TPOOL_TEST_MODULES (tests/tests.mk).
# Prints one line per case and "N passed, N failed"; exits 1 on any failure.
set -u

top_builddir=${top_builddir:-..}
cli=$(cd "$top_builddir/conformance" && pwd)/tpool-conformance
policies_dir=$(cd "$top_builddir/policies" && pwd)
modules=${TPOOL_TEST_MODULES:-$(cd "$top_builddir/tests/.libs" && pwd)}
seed=${TPOOL_TEST_SEED:-$(date +%s)}
echo "conformance_cli: seed $seed (set TPOOL_TEST_SEED to repeat)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/conformance_cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0

# check NAME EXIT 'SUBSTRING|SUBSTRING...' -- COMMAND...: runs COMMAND; its
# exit status must be EXIT and its output (stdout and stderr) must contain
# every SUBSTRING.
check() {
    name=$1 want=$2 subs=$3
    shift 4
    "$@" >"$tmp/out" 2>&1
    rc=$?
    why=
    [ "$rc" -eq "$want" ] || why="exit status $rc, expected $want"
    if [ -z "$why" ]; then
        old_ifs=$IFS
        IFS='|'
        for s in $subs; do
            grep -qF -- "$s" "$tmp/out" || { why="output lacks '$s'"; break; }
        done
        IFS=$old_ifs
    fi
    if [ -z "$why" ]; then
        echo "ok    $name"
        passed=$((passed + 1))
    else
        echo "FAIL  $name: $why; output:"
        sed 's/^/      | /' "$tmp/out"
        failed=$((failed + 1))
    fi
}

quick="-s $seed -t 1,3 -n 5000"

# Every real policy passes every check.
for p in ${TPOOL_TEST_POLICIES:-fifo}; do
    check "policy $p" 0 "policy \"$p\"|OK: |seed $seed" -- \
        "$cli" $quick "$policies_dir/$p/.libs/$p.so"
done

# The form the tutorial gives students: a file name in the current directory.
check "bare file name" 0 "policy \"mod_ok\"|OK: " -- \
    sh -c "cd '$modules' && '$cli' $quick mod_ok.so"

# A name without ".so" is looked up on the search path (TPOOL_POLICY_PATH).
check "policy by name" 0 "policy \"fifo\" from|PASS  create|OK: " -- "$cli" $quick -c create fifo

# Broken modules: the check that catches each, and the fault in words.
check "returns a task twice" 1 \
    "FAIL  push-pop|returned by pop twice|SKIP  pool-tasks|not run: the direct check(s) push-pop" -- \
    "$cli" $quick -t 1 "$modules/mod_broken_twice.so"
check "loses tasks" 1 "FAIL  push-pop|lost 5 of 5000 tasks|FAILED: " -- \
    "$cli" $quick -t 1 "$modules/mod_broken_lose.so"
check "range overlaps" 1 "PASS  push-pop|FAIL  range|handed out more than once" -- \
    "$cli" $quick -p '{"mode": "overlap"}' "$modules/mod_broken_range.so"
check "range skips" 1 "FAIL  range|never handed out" -- \
    "$cli" $quick -p '{"mode": "skip"}' "$modules/mod_broken_range.so"
check "never wakes a worker" 1 "PASS  push-pop|FAIL  wake|that worker is asleep|answered TPOOL_WAKE_NONE" -- \
    "$cli" $quick "$modules/mod_broken_wake.so"
# A range policy that drops an item only when the call passes a cost
# function: the checks pass one, directly and through a pool (where the
# parallel-for waits forever for the item: the time limit reports it).
check "range drops an item given a cost" 1 \
    "PASS  push-pop|FAIL  range|job with a cost function|never handed out" -- \
    "$cli" $quick -p '{"mode": "cost"}' "$modules/mod_broken_range.so"
check "range cost hangs the pool" 1 "FAIL  pool-range|did not finish within 3 s|range_next never handed out" -- \
    "$cli" $quick -t 2 --all -c pool-range --timeout 3 -p '{"mode": "cost"}' \
    "$modules/mod_broken_range.so"
# A policy that never wakes a worker: every pool check that waits on the
# pool helps and passes; pool-wake does not wait, and says so.
check "never wakes a worker (pool)" 1 \
    "FAIL  wake|PASS  pool-tasks|FAIL  pool-wake|did not start within 10 s|push did not wake a worker" -- \
    "$cli" $quick --all -c wake,pool-tasks,pool-wake "$modules/mod_broken_wake.so"
# A pop that reads the shared head outside its lock: right from one thread,
# so the report must call it a race.
check "pop race" 1 \
    "PASS  push-pop|FAIL  push-pop-threads|returned by pop twice|a race. The same pushes and pops from one thread pass" -- \
    "$cli" $quick "$modules/mod_broken_race.so"
# Through a pool, a lost task is waited for forever: the time limit reports it.
check "lost task hangs the pool" 1 "FAIL  pool-tasks|did not finish within 3 s" -- \
    "$cli" $quick -t 1 --all -c pool-tasks --timeout 3 "$modules/mod_broken_lose.so"

# Usage and load errors: exit 2, saying what and where.
check "no argument" 2 "name one policy .so file|--help" -- "$cli"
check "bad thread list" 2 "-t '0,x'" -- "$cli" -t 0,x "$modules/mod_ok.so"
check "unknown check" 2 "no check named 'nope'" -- "$cli" -c nope "$modules/mod_ok.so"
check "missing file" 2 "no-such.so': no such file" -- "$cli" "$tmp/no-such.so"
check "not a policy" 2 "mod_noentry.so|not a tpool policy|dlerror" -- \
    "$cli" "$modules/mod_noentry.so"
# Modules that would crash a loader that trusted them: refused with the
# loader's message (exit 2), or, where nothing can tell beforehand (an entry
# returning the descriptor by value), loaded in a child that is reported.
check "entry is data" 2 "mod_entry_data.so': not a tpool policy: symbol tpool_policy_entry is a data object" -- \
    "$cli" "$modules/mod_entry_data.so"
check "entry returns a number" 2 "mod_entry_int.so': tpool_policy_entry() returned 0x2a|wrong signature" -- \
    "$cli" "$modules/mod_entry_int.so"
check "entry returns a struct" 2 "mod_entry_struct.so': loading it " -- \
    "$cli" "$modules/mod_entry_struct.so"
check "10^8 parameters" 2 "mod_hugeparams.so': nparams is 100000000, more than the 256" -- \
    "$cli" "$modules/mod_hugeparams.so"
check "bad params" 2 "params.mode" -- \
    "$cli" -p '{"mode": "sideways"}' "$modules/mod_broken_range.so"
check "malformed params" 2 "<params>:1:" -- \
    "$cli" -p '{"mode":' "$modules/mod_broken_range.so"
check "unknown param" 2 "params.nope: unknown parameter" -- \
    "$cli" -p '{"nope": 1}' "$modules/mod_broken_range.so"
check "help" 0 "Usage: tpool-conformance [OPTIONS] POLICY.so|Exit status" -- "$cli" --help

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
