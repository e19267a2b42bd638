#!/bin/sh
# bench_smoke.sh - runs tpool-bench end to end on a tiny experiment (a few
# ms per cell: every workload, every policy built, every baseline available)
# and checks what it writes: the JSON against harness/schema.json (built
# from schema.json.in), the trace against harness/trace.schema.json, the
# CSV's shape, the table's presence, and that bad input fails with a
# position. An automake TESTS script: the
# test environment gives srcdir (tests/ of the source tree) and top_builddir
# (tests/tests.mk).
set -u
srcdir=${srcdir:-.}
top_srcdir="$srcdir/.."
top_builddir=${top_builddir:-..}
bench=$top_builddir/harness/tpool-bench
check=$top_builddir/tests/bench_schema_check
out=$(mktemp -d "${TMPDIR:-/tmp}/bench_smoke.XXXXXX") || exit 99
trap 'rm -rf "$out"' EXIT

fail() {
    echo "bench_smoke: FAIL: $*"
    exit 1
}

[ -x "$bench" ] || fail "$bench not built"
[ -x "$check" ] || fail "$check not built"

"$bench" --list-policies >"$out/policies.txt" 2>&1 || fail "--list-policies"
cat "$out/policies.txt"
"$bench" --list-workloads >"$out/workloads.txt" || fail "--list-workloads"
# The built-in workloads, as the program lists them: the registry, the one
# list (checked against the smoke run's results below), then replay, which
# needs a record and runs only when named.
names=$(sed -n '/^Run only when named/q; s/^  \([a-z][a-z0-9._-]*\) .*/\1/p' "$out/workloads.txt")
sed -n '/^Run only when named/,$p' "$out/workloads.txt" | grep -q "^  replay " ||
    fail "--list-workloads does not list replay as run only when named"
echo "$names" | grep -qx replay && fail "replay is listed among the default workloads"
[ "$(echo "$names" | wc -w)" -ge 12 ] || fail "--list-workloads lists only: $names"

"$bench" "$top_srcdir/harness/experiments/smoke.json" --out "$out/res" \
    --trace "$out/trace.json" --progress never >"$out/table.txt" 2>"$out/stderr.txt"
rc=$?
cat "$out/table.txt" "$out/stderr.txt"
[ $rc -eq 0 ] || fail "tpool-bench exited with $rc"
grep -q "== uniform" "$out/table.txt" || fail "no table on stdout"
grep -q "CHECK FAILED" "$out/table.txt" && fail "a result check failed"

"$check" "$top_builddir/harness/schema.json" "$out/res/tpool-bench.json" || fail "JSON does not match the schema"
# every built-in workload ran in the smoke run, with a cell that passed
for w in $names; do
    grep -q "\"workload\": \"$w\"" "$out/res/tpool-bench.json" ||
        fail "the smoke run has no $w workload (smoke.json's \"all\" entry adds every listed one)"
done
"$check" "$top_srcdir/harness/trace.schema.json" "$out/trace.json" || fail "trace does not match its schema"

# --workloads all on an experiment of one workload: it is kept and every
# other listed workload is added with its defaults (scaled down), as "all"
# in an experiment file does.
printf '{"threads": [1], "repetitions": 1, "warmup": 0, "idle_probe_ms": 0,\n "workloads": [{"workload": "uniform", "label": "mine", "params": {"n": 50}}]}\n' \
    >"$out/one.json"
"$bench" "$out/one.json" -w all -p fifo -b none --scale 0.001 -q --no-files \
    --csv "$out/all.csv" >/dev/null 2>&1 || fail "--workloads all"
cut -d, -f1 "$out/all.csv" | grep -qx mine || fail "--workloads all dropped the experiment's workload"
for w in $names; do
    [ "$w" = uniform ] && continue
    grep -q "^$w," "$out/all.csv" || fail "--workloads all did not add $w"
done
grep -q '^uniform,' "$out/all.csv" && fail "--workloads all added uniform, which the experiment names"

# tpool-bench ratio: two cells of one file, their ratio of medians with a
# paired interval; nan without 6 rounds; a missing cell exits 1, a cell not
# written WORKLOAD/EXECUTOR/T exits 2.
"$bench" "$out/one.json" -p fifo,stealing -b none -r 8 -q --no-files \
    --json "$out/eight.json" --csv "$out/eight.csv" >/dev/null 2>&1 || fail "the ratio run"
line=$("$bench" ratio "$out/eight.json" mine/fifo/1 mine/stealing/1) || fail "ratio exited $?"
echo "ratio: $line"
med() { awk -F, -v x="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                          $1 == "mine" && $3 == x { print $c["median_ns_per_run"] }' "$out/eight.csv"; }
echo "$line $(med fifo) $(med stealing)" | awk '{
    r = $5 / $6; d = $1 - r; if (d < 0) d = -d
    exit !(NF == 6 && $4 == 8 && d <= 1e-4 * r && $2 <= $1 && $1 <= $3 && $2 > 0) }' ||
    fail "ratio: expected RATIO LOW HIGH 8 with LOW <= RATIO <= HIGH, RATIO the CSV's medians' ratio: $line"
"$bench" ratio "$out/res/tpool-bench.json" uniform/fifo/2 uniform/stealing/2 | grep -q ' nan nan 2$' ||
    fail "ratio of 2-round cells: expected no interval"
"$bench" ratio "$out/eight.json" mine/fifo/1 mine/nope/1 2>"$out/ratio.err"
[ $? -eq 1 ] && grep -q "no cell mine/nope/1" "$out/ratio.err" || fail "ratio: a missing cell: $(cat "$out/ratio.err")"
"$bench" ratio "$out/eight.json" mine/fifo mine/stealing/1 2>/dev/null
[ $? -eq 2 ] || fail "ratio: a cell without its thread count should exit 2"

# CSV: a header and one row per cell, every row with as many fields as the
# header (commas inside quoted fields do not count; no field of this run
# spans lines).
csv="$out/res/tpool-bench.csv"
[ -s "$csv" ] || fail "no CSV"
head -n 1 "$csv" | grep -q '^workload,workload_type,executor,' || fail "CSV header"
awk 'function fields(s,    i, c, q, n) {
         n = 1; q = 0
         for (i = 1; i <= length(s); i++) {
             c = substr(s, i, 1)
             if (c == "\"") q = !q
             else if (c == "," && !q) n++
         }
         return n
     }
     NR == 1 { n = fields($0); next } fields($0) != n { bad = 1 } END { exit bad || NR < 2 }' "$csv" ||
    fail "CSV rows do not match the header"
cells=$(grep -c '"executor":' "$out/res/tpool-bench.json")
rows=$(($(wc -l <"$csv") - 1))
[ "$rows" -ge 12 ] || fail "only $rows CSV rows"
grep -q '^bulk,bulk,' "$csv" || fail "no bulk cells"
[ -f "$out/res/plots/plots.gp" ] || fail "no plot script"

# --runs 2: two processes taking turns; every cell reports both runs, and
# what the recorder saw in each run survives the merge: callbacks counted,
# the participants' shares, the producer share of the task cells, and each
# run's calibration of the recorder (a schema of the expected shape checks
# it, beside the main schema).
"$bench" "$top_srcdir/harness/experiments/smoke.json" -w uniform,tiny-1p -p fifo \
    -b serial --runs 2 -r 3 --no-files --json "$out/runs.json" -q --progress never \
    2>"$out/runs.err"
rc=$?
cat "$out/runs.err"
[ $rc -eq 0 ] || fail "--runs 2 exited with $rc"
"$check" "$top_builddir/harness/schema.json" "$out/runs.json" || fail "--runs 2: JSON does not match the schema"
cat >"$out/runs.schema.json" <<'EOF'
{"type": "object", "required": ["meta", "cells"],
 "properties": {
  "meta": {"type": "object", "required": ["runs", "run_recorder_costs"],
           "properties": {"runs": {"enum": [2]},
                          "run_recorder_costs": {"type": "array", "minItems": 2, "items":
                            {"type": "object", "required": ["cost_ns_per_callback"],
                             "properties": {"cost_ns_per_callback": {"type": "number"}}}}}},
  "cells": {"type": "array", "minItems": 5, "items": {"type": "object",
    "required": ["runs", "ci_method", "instrumentation", "participants"],
    "properties": {"runs": {"type": "array", "minItems": 2},
                   "ci_method": {"enum": ["bootstrap_runs_rounds"]},
                   "instrumentation": {"type": "object", "required": ["callbacks_per_run"],
                     "properties": {"callbacks_per_run": {"type": "number", "minimum": 1}}},
                   "participants": {"type": "object"}}}}}}
EOF
"$check" "$out/runs.schema.json" "$out/runs.json" ||
    fail "--runs 2: not every cell has two runs and the recorder's figures"
# the task cells (tiny-1p: serial, and fifo at each T) have a producer share
tasks=$(grep -c '"producer_share": [0-9]' "$out/runs.json")
[ "$tasks" -ge 2 ] || fail "--runs 2: the task cells lost their producer share"

# --replay runs the cells a results file recorded: the same resolved
# experiment (compared as text), and a valid results file again.
"$bench" --replay "$out/runs.json" --no-files --json "$out/replay.json" -q --progress never \
    2>"$out/replay.err"
rc=$?
cat "$out/replay.err"
[ $rc -eq 0 ] || fail "--replay exited with $rc"
"$check" "$top_builddir/harness/schema.json" "$out/replay.json" || fail "--replay: JSON does not match the schema"
experiment_of() { awk '/^ "experiment": /{p=1} p{print} p && /^ },?$/{exit}' "$1"; }
experiment_of "$out/runs.json" >"$out/exp.a"
experiment_of "$out/replay.json" >"$out/exp.b"
[ -s "$out/exp.a" ] || fail "no experiment in the results"
grep -q '"threads": \[' "$out/exp.a" || fail "the recorded experiment has no concrete thread counts"
grep -q '"policies": \[' "$out/exp.a" || fail "the recorded experiment has no concrete policies"
cmp -s "$out/exp.a" "$out/exp.b" || { diff "$out/exp.a" "$out/exp.b"; fail "--replay ran another experiment"; }
"$bench" --replay "$out/table.txt" --no-files >/dev/null 2>"$out/replay.err" && fail "--replay of a non-results file accepted"
grep -q "replay" "$out/replay.err" || fail "--replay error message"

# compare on real results (6 rounds a cell: 2 runs of 3): both files read,
# every cell paired and given a verdict; the verdicts
# depend on the machine, so only the status (0 or 1, not 2) is checked.
"$bench" compare "$out/runs.json" "$out/replay.json" >"$out/cmp.txt" 2>&1
rc=$?
cat "$out/cmp.txt"
[ $rc -le 1 ] || fail "compare exited with $rc"
grep -q "95% CI of B/A" "$out/cmp.txt" || fail "compare printed no table"
grep -q "only in" "$out/cmp.txt" && fail "compare did not pair the cells of a replay"
grep -q "not compared" "$out/cmp.txt" && fail "compare gave a cell no verdict"

# Waits (boundedly: two minutes) until FILE holds PATTERN; fails saying WHAT.
wait_for() { # FILE PATTERN WHAT
    i=0
    until grep -q "$2" "$1"; do
        i=$((i + 1))
        [ $i -le 1200 ] || fail "$3"
        sleep 0.1
    done
}

# SIGINT stops after the cell in progress: what was measured is written,
# marked incomplete, and the exit status is 130. Once it has said it is
# measuring (waited for, boundedly), an experiment that would run for hours
# is interrupted; timeout(1) turns a run that does not stop into a failure.
# With LOSE=1, one of the runs is killed first: it loses only its own
# figures, and the results say which run failed and why.
interrupt() { # NAME ARGS...: run, (lose a run,) interrupt, check
    name=$1
    shift
    timeout 300 "$bench" "$top_srcdir/harness/experiments/smoke.json" -w uniform,tiny-1p \
        -p fifo -b serial -r 100000 --progress never --out "$out/$name" "$@" \
        >"$out/$name.txt" 2>"$out/$name.err" &
    pid=$!
    wait_for "$out/$name.err" "measuring" "$name: never started measuring"
    if [ "${LOSE:-0}" = 1 ]; then
        parent=$(pgrep -P $pid | head -n 1)
        run1=$(pgrep -P "$parent" | head -n 1)
        [ -n "$run1" ] || fail "$name: no child process found"
        kill -KILL "$run1"
        wait_for "$out/$name.err" "run 1 stopped answering" "$name: the loss was not noticed"
    fi
    kill -INT $pid
    wait $pid
    rc=$?
    cat "$out/$name.err"
    [ $rc -eq 130 ] || fail "$name: exit status $rc after SIGINT, expected 130"
    grep -q "^INCOMPLETE: .*interrupted by signal 2" "$out/$name.txt" || fail "$name: table not marked"
    "$check" "$top_builddir/harness/schema.json" "$out/$name/tpool-bench.json" ||
        fail "$name: JSON after SIGINT does not match the schema"
    grep -q '"incomplete": true' "$out/$name/tpool-bench.json" || fail "$name: JSON not marked"
    grep -q ',interrupted,' "$out/$name/tpool-bench.csv" || fail "$name: no cell stopped as interrupted"
    ls -A "$out/$name" | grep -q '^\.' && fail "$name: temporary files left in $out/$name"
    [ -f "$out/$name/plots/plots.gp" ] || fail "$name: no plots"
}
interrupt sigint
interrupt sigint-runs --runs 2
LOSE=1 interrupt lost --runs 2
grep -q '"incomplete_reason": "run 1 failed (killed by signal 9); interrupted' \
    "$out/lost/tpool-bench.json" || fail "lost run: the JSON does not say which run failed"
grep -q '"runs": 1,' "$out/lost/tpool-bench.json" || fail "lost run: the other run's figures are missing"

# Destinations are checked before anything runs: a results directory that
# cannot be made (a file in the way) is exit status 2 at once.
: >"$out/afile"
"$bench" "$top_srcdir/harness/experiments/smoke.json" --out "$out/afile/res" \
    >/dev/null 2>"$out/dest.err"
rc=$?
cat "$out/dest.err"
[ $rc -eq 2 ] || fail "unwritable --out: exit status $rc, expected 2"
grep -q "results directory: cannot create $out/afile/res" "$out/dest.err" || fail "unwritable --out message"
grep -q "measuring" "$out/dest.err" && fail "unwritable --out: measured anyway"
"$bench" "$top_srcdir/harness/experiments/smoke.json" --no-files --json "$out/nodir/x.json" \
    >/dev/null 2>"$out/dest.err"
[ $? -eq 2 ] || fail "--json into a missing directory accepted"
grep -q -- "--json $out/nodir/x.json: cannot create files in $out/nodir" "$out/dest.err" ||
    fail "--json message: $(cat "$out/dest.err")"

# The sizing advisor, tiny: it prints the estimate and the measured best.
"$bench" advise --items 16 --max-threads 4 -r 6 --wait-us 100 --compute-us 20 \
    >"$out/advise.txt" 2>&1
rc=$?
cat "$out/advise.txt"
[ $rc -eq 0 ] || fail "advise exited with $rc"
grep -q "Nthreads = Ncpu x Ucpu x (1 + W/C)" "$out/advise.txt" || fail "advise: no estimate"
grep -q "^measured:  [0-9]* threads*: no count is significantly faster" "$out/advise.txt" ||
    fail "advise: no measured pick"
grep -q '^config:    "threads": [0-9]*  (a config.s threads is the worker count plus the calling thread' \
    "$out/advise.txt" || fail "advise: no config advice"

# Errors: a bad experiment names file, line, column and key; exit status 2.
printf '{\n  "workloads": ["uniform"],\n  "repetitions": 0\n}\n' >"$out/bad.json"
"$bench" "$out/bad.json" --no-files >/dev/null 2>"$out/err.txt"
rc=$?
cat "$out/err.txt"
[ $rc -eq 2 ] || fail "bad experiment: exit status $rc, expected 2"
grep -q "bad.json:3:18: repetitions: expected an integer" "$out/err.txt" || fail "bad experiment message"
"$bench" --threads 0 --no-files >/dev/null 2>&1 && fail "--threads 0 accepted"
"$bench" --bogus >/dev/null 2>&1 && fail "--bogus accepted"
echo "bench_smoke: ok ($rows CSV rows, $cells cells in the JSON)"
exit 0
