#!/bin/sh
# record-and-replay.sh - a real pthreadpool client recorded through tpool's
# drop-in and replayed under every policy:
#   1. builds cnn.c against Debian's xnnpack.h and pthreadpool.h, linked
#      with Debian's libXNNPACK and libpthreadpool (apt-get install
#      libxnnpack-dev libpthreadpool-dev), and runs it on Debian's library;
#   2. runs the same binary on tpool's libpthreadpool.so.0 (LD_LIBRARY_PATH)
#      with TPOOL_RECORD, which writes OUT/cnn.jsonl;
#   3. tpool-bench replay: the record under every policy and thread count,
#      the serial loop and Debian's pthreadpool, and how close the replay
#      under the recorded configuration comes to the recorded time;
#   4. tpool-bench advise: the fastest configuration, the confidence
#      interval of its gain, and OUT/cnn-advice.json, which step 5 loads
#      (TPOOL_CONFIG) to run the program again.
#
# Usage: examples/record-xnnpack/record-and-replay.sh [BUILD_DIR [OUT_DIR]]
#   BUILD_DIR: a configured and built tpool tree (default: ./build, or .)
#   OUT_DIR:   where the record, the results and the advice go (default
#              ./record-xnnpack)
# Environment: THREADS (the program's pool, default 2), INFERENCES (default
# 50), ROUNDS (tpool-bench's -r, default 10), POLICY (the recorded run's,
# default stealing), RECORD (extra TPOOL_RECORD members, e.g. '"cpu": true').
# Exit status: 0; 77 when XNNPACK or Debian's pthreadpool is not installed;
# 1 on a failure, with what failed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-}
if [ -z "$build" ]; then
    if [ -x build/harness/tpool-bench ]; then build=build; else build=.; fi
fi
build=$(cd "$build" && pwd)
out=${2:-record-xnnpack}
mkdir -p "$out"
out=$(cd "$out" && pwd)
THREADS=${THREADS:-2}
INFERENCES=${INFERENCES:-50}
ROUNDS=${ROUNDS:-10}
POLICY=${POLICY:-stealing}
RECORD=${RECORD:-}

fail() {
    echo "record-and-replay: FAIL: $*" >&2
    exit 1
}
for f in /usr/include/xnnpack.h /usr/include/pthreadpool.h; do
    [ -f "$f" ] || { echo "record-and-replay: SKIP: $f missing (apt-get install libxnnpack-dev libpthreadpool-dev)"; exit 77; }
done
[ -x "$build/harness/tpool-bench" ] || fail "$build/harness/tpool-bench not built"
[ -f "$build/core/.libs/libpthreadpool.so.0" ] || fail "$build/core/.libs/libpthreadpool.so.0 not built"

TPOOL_POLICY_PATH=$(ls -d "$build"/policies/*/.libs | tr '\n' ':' | sed 's/:$//')
export TPOOL_POLICY_PATH
unset TPOOL_CONFIG TPOOL_THREADS TPOOL_RECORD

echo "== 1. build cnn against Debian's XNNPACK and pthreadpool, run it there"
${CC:-cc} -O2 -o "$out/cnn" "$here/cnn.c" -lXNNPACK -lpthreadpool -lm || fail "cannot build cnn.c"
"$out/cnn" "$THREADS" "$INFERENCES" || fail "cnn on Debian's pthreadpool"

echo "== 2. the same binary on tpool's drop-in, recorded into $out/cnn.jsonl"
rm -f "$out/cnn.jsonl"
LD_LIBRARY_PATH="$build/core/.libs" TPOOL_POLICY=$POLICY \
    TPOOL_RECORD="{\"path\": \"$out/cnn.jsonl\"${RECORD:+, $RECORD}}" \
    "$out/cnn" "$THREADS" "$INFERENCES" || fail "cnn on tpool's drop-in"
ldd "$out/cnn" | grep -q libpthreadpool || fail "cnn does not use libpthreadpool"
[ -s "$out/cnn.jsonl" ] || fail "no record written"

echo "== 3. replay it under every policy and thread count"
"$build/harness/tpool-bench" replay "$out/cnn.jsonl" -r "$ROUNDS" --warmup 1 \
    --out "$out/replay" || fail "tpool-bench replay"

echo "== 4. which configuration would have been fastest"
"$build/harness/tpool-bench" advise "$out/cnn.jsonl" -r "$ROUNDS" --warmup 1 \
    --write-config "$out/cnn-advice.json" || fail "tpool-bench advise"

echo "== 5. the program again, with the advice"
cat "$out/cnn-advice.json"
LD_LIBRARY_PATH="$build/core/.libs" TPOOL_CONFIG="$out/cnn-advice.json" \
    "$out/cnn" 0 "$INFERENCES" || fail "cnn with the advice"
echo "record-and-replay: done; the record, results and advice are in $out"
