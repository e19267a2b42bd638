#!/bin/sh
# harness_analysis_check.sh - the Python examples of docs/harness.md,
# "Analysing results", run on real output: tpool-bench writes results/ for
# two workloads of the smoke experiment, then the standard-library example
# (and the pandas one, when pandas is installed) must run without an error
# and print the speedup table, the fastest executors and the rounds. So a
# renamed CSV column or JSON member breaks this test, not a reader's script.
# An automake TESTS script: the test environment gives srcdir (tests/ of the
# source tree) and top_builddir. Skipped without python3.
set -u
srcdir=${srcdir:-.}
top_srcdir="$srcdir/.."
top_builddir=${top_builddir:-..}
doc="$top_srcdir/docs/harness.md"
bench=$top_builddir/harness/tpool-bench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/harness_analysis_check.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "harness_analysis_check: FAIL: $*"
    exit 1
}

command -v python3 >/dev/null 2>&1 ||
    { echo "harness_analysis_check: python3 not found (Debian: python3); skipped"; exit 77; }
[ -x "$bench" ] || fail "$bench not built"

# extract HEADING: the first python block after the line "#### HEADING".
extract() {
    awk -v h="#### $1" '$0 == h { sect = 1; next }
        sect && /^```python$/ { code = 1; next }
        code && /^```$/ { exit } code { print }' "$doc"
}
extract "With the standard library" >"$tmp/example_stdlib.py"
extract "With pandas" >"$tmp/example_pandas.py"
[ -s "$tmp/example_stdlib.py" ] || fail "no python block under \"#### With the standard library\" in $doc"
[ -s "$tmp/example_pandas.py" ] || fail "no python block under \"#### With pandas\" in $doc"

"$bench" "$top_srcdir/harness/experiments/smoke.json" -w uniform,nested --out "$tmp/results" \
    --progress never -q >"$tmp/bench.txt" 2>&1 || { cat "$tmp/bench.txt"; fail "tpool-bench"; }

# run NAME: runs example_NAME.py (not NAME.py: pandas.py would shadow
# the module) in $tmp (where results/ is) and checks its output.
run() {
    (cd "$tmp" && python3 "example_$1.py") >"$tmp/$1.out" 2>&1
    rc=$?
    cat "$tmp/$1.out"
    [ $rc -eq 0 ] || fail "the $1 example exited with $rc"
    grep -q 'serial' "$tmp/$1.out" || fail "the $1 example printed no serial row"
    grep -q 'nested' "$tmp/$1.out" || fail "the $1 example printed no fastest executor for nested"
    grep -q '^[0-9][0-9]* rounds on ' "$tmp/$1.out" || fail "the $1 example printed no round count"
}
run stdlib
if python3 -c 'import pandas' 2>/dev/null; then
    run pandas
else
    echo "harness_analysis_check: pandas not installed; its example not run"
fi
echo "harness_analysis_check: ok"
