#!/bin/sh
# record-fidelity.sh - what recording costs and how faithfully a replay
# reproduces the recorded run (docs/harness.md, "Record and replay"):
#   1. the slowdown of recording on tiled-gemm: tpool-bench's own median of
#      the workload with TPOOL_RECORD set and without, in alternating
#      processes (PAIRS pairs), compared by their medians;
#   2. fidelity on harness workloads: tpool-bench running tiled-gemm, then
#      uniform, under POLICY at THREADS, recorded; each record replayed
#      under that policy and thread count; the replay's median over the
#      recorded span (1.00 is exact);
#   3. fidelity on a real client, when XNNPACK is installed: the network of
#      examples/record-xnnpack/cnn.c through the drop-in, recorded and
#      replayed the same way.
# Each record is made both ways: plain, and with "cpu" (CPU time per chunk).
# Prints a Markdown report on stdout; the machine's load goes with it.
#
# Usage: harness/record-fidelity.sh [BUILD_DIR]   (default ./build, or .)
# Environment: POLICY (stealing), THREADS (2), PAIRS (5), ROUNDS (10),
# INFERENCES (200), OUT (a temporary directory, removed unless given).
set -eu
build=${1:-}
if [ -z "$build" ]; then
    if [ -x build/harness/tpool-bench ]; then build=build; else build=.; fi
fi
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
POLICY=${POLICY:-stealing}
THREADS=${THREADS:-2}
PAIRS=${PAIRS:-5}
ROUNDS=${ROUNDS:-10}
INFERENCES=${INFERENCES:-200}
bench=$build/harness/tpool-bench
if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    tmp=$(cd "$OUT" && pwd)
else
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/record-fidelity.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
fi
TPOOL_POLICY_PATH=$(ls -d "$build"/policies/*/.libs | tr '\n' ':' | sed 's/:$//')
export TPOOL_POLICY_PATH
unset TPOOL_RECORD TPOOL_CONFIG TPOOL_POLICY TPOOL_THREADS

load() { cut -d' ' -f1 /proc/loadavg; }

# median_of FILE.json: the one cell's median time per run, ns
median_of() {
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["cells"][0]; print(c["time_ns_per_run"]["median"])' "$1"
}
echo "# Recording and replaying: cost and fidelity"
echo
echo "$(uname -srm), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')); $(date -u +%Y-%m-%dT%H:%MZ); load average at the start $(load)"
echo
echo "## 1. Slowdown of recording, tiled-gemm under $POLICY at $THREADS threads"
echo
echo "| pair | off: median/run | on: median/run | on/off | load |"
echo "| --- | --- | --- | --- | --- |"
ratios=""
for i in $(seq 1 "$PAIRS"); do
    "$bench" -w tiled-gemm -p "$POLICY" -b none -t "$THREADS" -r "$ROUNDS" --runs 1 \
        --json "$tmp/off.json" --no-files -q 2>/dev/null
    TPOOL_RECORD="$tmp/gemm-overhead.jsonl" "$bench" -w tiled-gemm -p "$POLICY" -b none \
        -t "$THREADS" -r "$ROUNDS" --runs 1 --json "$tmp/on.json" --no-files -q 2>/dev/null
    off=$(median_of "$tmp/off.json")
    on=$(median_of "$tmp/on.json")
    r=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
    ratios="$ratios $r"
    echo "| $i | $(awk -v v="$off" 'BEGIN { printf "%.2f ms", v / 1e6 }') | $(awk -v v="$on" 'BEGIN { printf "%.2f ms", v / 1e6 }') | $r | $(load) |"
done
echo
echo "median of the ratios: $(printf '%s\n' $ratios | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
echo
echo "## 2. Fidelity: tpool-bench workloads recorded under $POLICY at $THREADS threads"
echo
echo "| workload | record | recorded span | replay median | replay / recorded | load |"
echo "| --- | --- | --- | --- | --- | --- |"
for w in tiled-gemm uniform; do
    for mode in plain cpu; do
        rec="$tmp/$w-$mode.jsonl"
        if [ $mode = cpu ]; then v="{\"path\": \"$rec\", \"cpu\": true}"; else v=$rec; fi
        TPOOL_RECORD=$v "$bench" -w "$w" -p "$POLICY" -b none -t "$THREADS" -r "$ROUNDS" --runs 1 \
            --no-files -q >/dev/null 2>&1
        "$bench" replay "$rec" -p "$POLICY" -t "$THREADS" -b none -r "$ROUNDS" --warmup 1 \
            --runs 1 --no-files -q >"$tmp/last.out" 2>/dev/null
        sp=$(sed -n 's/^recorded configuration: .*its span \(.*\)$/\1/p' "$tmp/last.out")
        f=$(sed -n 's/^fidelity: replayed under it, median \([^ ]*\) .* = \([0-9.]*\) x the recorded time.*/\1 | \2/p' "$tmp/last.out")
        echo "| $w | $mode | $sp | $f | $(load) |"
    done
done
if [ -f /usr/include/xnnpack.h ] && [ -f /usr/include/pthreadpool.h ]; then
    echo
    echo "## 3. Fidelity: XNNPACK ($INFERENCES inferences of examples/record-xnnpack/cnn.c) through the drop-in, $POLICY at $THREADS threads"
    echo
    echo "| record | recorded span | replay median | replay / recorded | load |"
    echo "| --- | --- | --- | --- | --- |"
    ${CC:-cc} -O2 -o "$tmp/cnn" "$src/examples/record-xnnpack/cnn.c" -lXNNPACK -lpthreadpool -lm
    for mode in plain cpu; do
        rec="$tmp/cnn-$mode.jsonl"
        if [ $mode = cpu ]; then v="{\"path\": \"$rec\", \"cpu\": true}"; else v=$rec; fi
        LD_LIBRARY_PATH="$build/core/.libs" TPOOL_POLICY=$POLICY TPOOL_RECORD=$v \
            "$tmp/cnn" "$THREADS" "$INFERENCES" >/dev/null
        "$bench" replay "$rec" -p "$POLICY" -t "$THREADS" -b none -r "$ROUNDS" --warmup 1 \
            --runs 1 --no-files -q >"$tmp/last.out" 2>/dev/null
        sp=$(sed -n 's/^recorded configuration: .*its span \(.*\)$/\1/p' "$tmp/last.out")
        f=$(sed -n 's/^fidelity: replayed under it, median \([^ ]*\) .* = \([0-9.]*\) x the recorded time.*/\1 | \2/p' "$tmp/last.out")
        echo "| $mode | $sp | $f | $(load) |"
    done
fi
echo
echo "load average at the end $(load)"
