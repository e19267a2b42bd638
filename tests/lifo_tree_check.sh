#!/bin/sh
# lifo_tree_check.sh - the policy template's LIFO (examples/policy-template,
# built in the tree by tests/script-checks.mk) passes the conformance suite that every
# policy of the tree passes, and the template's demo runs clean with it:
# tasks from outside and from tasks, a parallel-for, a grow and a shrink
# (the policy's resize op). An automake TESTS script: the test environment
# gives top_builddir (tests/tests.mk).
set -u
top_builddir=${top_builddir:-..}
tests="$top_builddir/tests"
mods="$(cd "$tests/.libs" && pwd)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lifo_tree_check.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "lifo_tree_check: FAIL: $*"
    exit 1
}

[ -f "$mods/lifo.so" ] || fail "$mods/lifo.so not built"

TPOOL_TEST_POLICIES=lifo TPOOL_POLICY_PATH="$mods" "$tests/check_conformance" ||
    fail "the conformance suite failed for lifo"

# threads 3: two workers and the outside slot, so stealing happens; tile 7
# cuts the parallel-for into many tiles.
printf '{ "threads": 3, "policy": "%s/lifo.so", "params": { "tile": 7 } }\n' "$mods" \
    >"$tmp/lifo.json"
"$tests/lifo_demo" "$tmp/lifo.json" >"$tmp/demo.txt" 2>&1
rc=$?
cat "$tmp/demo.txt"
[ $rc -eq 0 ] || fail "lifo_demo exited with $rc"
grep -q "^policy lifo, 3 threads" "$tmp/demo.txt" || fail "lifo_demo did not run lifo at 3 threads"
[ "$(grep -c ': ok$' "$tmp/demo.txt")" -eq 3 ] || fail "lifo_demo: not every round passed"
grep -q " local [0-9]* outside [0-9]* steals [0-9]*" "$tmp/demo.txt" ||
    fail "lifo_demo: no policy counters"

# A bad parameter is refused with its key and position.
printf '{\n  "policy": "%s/lifo.so",\n  "params": { "tile": -1 }\n}\n' "$mods" >"$tmp/bad.json"
"$tests/lifo_demo" "$tmp/bad.json" >"$tmp/bad.txt" 2>&1 && fail "tile -1 accepted"
cat "$tmp/bad.txt"
grep -q "bad.json:3:.*params.tile" "$tmp/bad.txt" || fail "the tile error does not name its key and line"
echo "lifo_tree_check: ok"
exit 0
