#!/bin/sh
# record_dropin_check.sh - the pthreadpool drop-in records an unmodified
# program built against Debian's pthreadpool (tests/pthreadpool_debian_prog,
# linked with -lpthreadpool), run on tpool's libpthreadpool.so.0 through
# LD_LIBRARY_PATH with TPOOL_RECORD:
#   - the record is valid against harness/record.schema.json, line by line,
#     and has the program's three calls under their pthreadpool names;
#   - tpool-bench replay replays it (every tile once: its check), serially,
#     under a policy and on Debian's pthreadpool;
#   - tpool-bench advise writes a configuration that loads;
#   - a record cut short is refused with its position;
#   - with XNNPACK installed, examples/record-xnnpack/record-and-replay.sh
#     records and replays a real network the same way (a few rounds; not in
#     a sanitizer build, whose runtime an uninstrumented program cannot load).
# Skipped (77), saying why, when Debian's libpthreadpool-dev is not installed.
set -u
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
prog=$top_builddir/tests/pthreadpool_debian_prog
bench=$top_builddir/harness/tpool-bench
check=$top_builddir/tests/bench_schema_check
if [ ! -f /usr/include/pthreadpool.h ] || [ ! -x "$prog" ]; then
    echo "record_dropin_check: SKIP: Debian's libpthreadpool-dev is not installed" \
         "(apt-get install libpthreadpool-dev, then re-run configure)"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/record_dropin.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "record_dropin_check: FAIL: $*"
    exit 1
}
unset TPOOL_CONFIG TPOOL_THREADS TPOOL_POLICY TPOOL_RECORD

LD_LIBRARY_PATH="$top_builddir/core/.libs" TPOOL_RECORD="$tmp/prog.jsonl" "$prog" \
    >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "the program failed on the drop-in"; }
grep -q "core/.libs/libpthreadpool.so.0" "$tmp/out" || { cat "$tmp/out"; fail "the program did not run on tpool's libpthreadpool"; }
grep -q "result: ok" "$tmp/out" || { cat "$tmp/out"; fail "wrong result on the drop-in"; }
[ -s "$tmp/prog.jsonl" ] || fail "no record written"
"$check" --lines "$srcdir/../harness/record.schema.json" "$tmp/prog.jsonl" >"$tmp/schema" ||
    { cat "$tmp/schema"; fail "the record is not valid against record.schema.json"; }
for api in pthreadpool_parallelize_2d_tile_2d pthreadpool_parallelize_3d_tile_2d \
        pthreadpool_parallelize_1d_with_uarch; do
    grep -q "\"call\":[0-9]*,.*\"api\":\"$api\"" "$tmp/prog.jsonl" || fail "no call of $api in the record"
done
[ "$(grep -c '"call":' "$tmp/prog.jsonl")" = 3 ] || fail "expected 3 calls"
grep -q '^{"end":' "$tmp/prog.jsonl" || fail "no end line"

"$bench" replay "$tmp/prog.jsonl" -p stealing -t 2,4 -b serial,pthreadpool -r 2 --warmup 0 \
    --runs 1 --json "$tmp/replay.json" --no-files -q >"$tmp/replay.out" 2>&1 ||
    { cat "$tmp/replay.out"; fail "tpool-bench replay failed"; }
grep -q "^fidelity: replayed under it" "$tmp/replay.out" || { cat "$tmp/replay.out"; fail "no fidelity line"; }
"$check" "$top_builddir/harness/schema.json" "$tmp/replay.json" >"$tmp/schema" ||
    { cat "$tmp/schema"; fail "the replay's results are not valid against schema.json"; }

"$bench" advise "$tmp/prog.jsonl" -p stealing,dynamic -t 1,2 -r 2 --warmup 0 --runs 1 \
    --write-config "$tmp/advice.json" >"$tmp/advise.out" 2>&1 ||
    { cat "$tmp/advise.out"; fail "tpool-bench advise failed"; }
grep -q "^advice" "$tmp/advise.out" || { cat "$tmp/advise.out"; fail "no advice"; }
"$top_builddir/core/tpool-info" --check-config "$tmp/advice.json" >"$tmp/info" 2>&1 ||
    { cat "$tmp/info"; fail "the advice does not load"; }
LD_LIBRARY_PATH="$top_builddir/core/.libs" TPOOL_CONFIG="$tmp/advice.json" "$prog" \
    >"$tmp/out2" 2>&1 && grep -q "result: ok" "$tmp/out2" ||
    { cat "$tmp/out2"; fail "the program with the advice"; }

{ head -n 1 "$tmp/prog.jsonl"; sed -n 2p "$tmp/prog.jsonl" | head -c 40; } >"$tmp/cut.jsonl"
if "$bench" replay "$tmp/cut.jsonl" -r 1 --no-files -q >"$tmp/cut.out" 2>&1; then
    fail "a record cut short was replayed"
fi
grep -q "cut.jsonl:2:[0-9]*: .*the record is cut short" "$tmp/cut.out" ||
    { cat "$tmp/cut.out"; fail "the cut record's message lacks its position"; }

if [ "${TPOOL_TEST_SANITIZED:-no}" = yes ]; then
    echo "record_dropin_check: a sanitizer build: the XNNPACK program (built against Debian's libraries) is not run on it"
elif [ -f /usr/include/xnnpack.h ]; then
    THREADS=2 INFERENCES=10 ROUNDS=2 sh "$srcdir/../examples/record-xnnpack/record-and-replay.sh" \
        "$top_builddir" "$tmp/xnnpack" >"$tmp/xnn.out" 2>&1 ||
        { tail -30 "$tmp/xnn.out"; fail "examples/record-xnnpack/record-and-replay.sh"; }
    grep -q "^fidelity:" "$tmp/xnn.out" || fail "no fidelity line for the XNNPACK record"
    echo "record_dropin_check: XNNPACK: $(grep '^fidelity:' "$tmp/xnn.out")"
else
    echo "record_dropin_check: XNNPACK not installed (apt-get install libxnnpack-dev): its record not run"
fi
echo "record_dropin_check: ok"
