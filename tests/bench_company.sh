#!/bin/sh
# bench_company.sh - tpool-bench's company cells (docs/harness.md,
# "Company"), end to end on a few milliseconds per cell: every mode
# (thread, process, omp) beside a policy and every baseline available, on
# a parallel-for and a task workload, in two processes (--runs 2). Checks
# the shape of what it writes (the JSON against harness/schema.json, a
# company object with one reference time per round on every company cell,
# the CSV's company columns) and that a wrong schedule fails the result
# check of every company cell as it fails the plain cell. Never a speed.
# An automake TESTS script (srcdir, top_builddir, TPOOL_TEST_MODULES: see
# tests/tests.mk).
set -u
srcdir=${srcdir:-.}
top_srcdir="$srcdir/.."
top_builddir=${top_builddir:-..}
bench=$top_builddir/harness/tpool-bench
check=$top_builddir/tests/bench_schema_check
out=$(mktemp -d "${TMPDIR:-/tmp}/bench_company.XXXXXX") || exit 99
trap 'rm -rf "$out"' EXIT

fail() {
    echo "bench_company: FAIL: $*"
    exit 1
}

[ -x "$bench" ] || fail "$bench not built"
[ -x "$check" ] || fail "$check not built"

cat >"$out/exp.json" <<'EOF'
{"name": "company-smoke", "seed": 3, "policies": ["stealing"],
 "baselines": ["omp-static", "omp-task", "pthreadpool", "tbb-task", "tbb-auto"],
 "threads": [2], "company": ["thread", "process", "omp"],
 "repetitions": 2, "warmup": 1, "runs": 2, "cooldown_us": 200, "spin_us": 50,
 "idle_probe_ms": 5,
 "workloads": [
  {"workload": "uniform", "params": {"n": 300, "item_ns": 1000}},
  {"workload": "tiny-tasks", "params": {"n": 1000, "producers": 1}}]}
EOF

"$bench" "$out/exp.json" --out "$out/res" --progress never >"$out/table.txt" 2>"$out/err.txt"
rc=$?
cat "$out/table.txt" "$out/err.txt"
[ $rc -eq 0 ] || fail "tpool-bench exited with $rc"
grep -q "CHECK FAILED" "$out/table.txt" && fail "a result check failed"
json=$out/res/tpool-bench.json
csv=$out/res/tpool-bench.csv
"$check" "$top_builddir/harness/schema.json" "$json" || fail "JSON does not match the schema"

# Every mode ran beside the policy on both workloads (omp: uniform on an
# OpenMP team's static loop, tiny-tasks on its tasks), omp where the
# omp-static baseline runs (not without OpenMP, nor under ThreadSanitizer).
modes="thread process"
grep -q "^[^,]*,[^,]*,omp-static," "$csv" && modes="$modes omp"
grep -q "^[^,]*,[^,]*,omp-static," "$csv" || grep -q "company omp: its cells are left out" "$out/err.txt" ||
    fail "no omp-static baseline, and no word why company omp was left out"
for m in $modes; do
    for w in uniform tiny-tasks; do
        grep -q "^$w,[^,]*,stealing+$m,policy," "$csv" || fail "no $w cell for stealing+$m in the CSV"
    done
    grep -q "\"label\": \"stealing+$m\"" "$json" || fail "no executor stealing+$m in the JSON"
done
# ... and beside every baseline the build has (a missing one is reported, not run).
for b in omp-static pthreadpool tbb-auto omp-task tbb-task; do
    if grep -q "^[^,]*,[^,]*,$b," "$csv"; then
        for m in $modes; do
            grep -q "^[^,]*,[^,]*,$b+$m," "$csv" || fail "$b ran but $b+$m did not"
        done
    fi
done

# The company columns: the mode, the reference time and the ratio with its
# CI on company cells; "none" and empty figures on the others.
cat >"$out/cols.awk" <<'EOF'
function csvsplit(line, f,    n, i, c, q, cur) {
    n = 0; cur = ""; q = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) { if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { cur = cur "\""; i++ } else q = 0 } else cur = cur c }
        else if (c == "\"") q = 1
        else if (c == ",") { f[++n] = cur; cur = "" }
        else cur = cur c
    }
    f[++n] = cur
    return n
}
NR == 1 { n = csvsplit($0, h); for (i = 1; i <= n; i++) col[h[i]] = i
          if (!("company" in col) || !("company_ratio" in col) || !("company_alone_ns_per_run" in col) ||
              !("company_ratio_ci_low" in col) || !("company_ratio_ci_high" in col)) { print "missing company columns"; bad = 1 }
          next }
{
    csvsplit($0, f)
    x = f[col["executor"]]; m = f[col["company"]]
    r = f[col["company_ratio"]]; a = f[col["company_alone_ns_per_run"]]; rn = r + 0; an = a + 0
    lo = f[col["company_ratio_ci_low"]] + 0; hi = f[col["company_ratio_ci_high"]] + 0
    if (x ~ /\+/) {
        split(x, p, "+")
        if (m != p[2]) { print x ": company column says " m; bad = 1 }
        if (r == "" || !(rn > 0) || !(an > 0) || !(lo > 0) || !(lo <= rn) || !(rn <= hi)) { print x ": ratio " r " [" lo ", " hi "], alone " a; bad = 1 }
        ncomp++
    } else if (m != "none" || r != "" || a != "") { print x ": not a company cell, but " m " " r " " a; bad = 1 }
}
END { if (ncomp < 4) { print "only " ncomp " company cells"; bad = 1 } exit bad }
EOF
awk -f "$out/cols.awk" "$csv" || fail "the CSV's company columns"

# JSON: a company object on each company cell (mode, one reference per
# round, the ratio's summary), null on the others.
cat >"$out/co.schema.json" <<'EOF'
{"type": "object", "required": ["cells"],
 "properties": {"cells": {"type": "array", "minItems": 6, "items": {"type": "object",
   "required": ["executor", "rounds", "company"],
   "properties": {"company": {"type": ["object", "null"],
     "required": ["mode", "alone_ns_per_round", "makespan_over_alone", "ci_method"],
     "properties": {"alone_ns_per_round": {"type": "array", "minItems": 4, "maxItems": 4,
                                           "items": {"type": "integer", "minimum": 1}},
                    "ci_method": {"enum": ["bootstrap_runs_rounds"]},
                    "makespan_over_alone": {"type": "object", "required": ["median"],
                       "properties": {"median": {"type": "number", "minimum": 0}}}}}}}}}}
EOF
"$check" "$out/co.schema.json" "$json" || fail "the JSON's company objects"
n=$(grep -c '"alone_ns_per_round"' "$json")
[ "$n" -ge 4 ] || fail "only $n company objects in the JSON"
grep -q '"company": \[' "$json" || fail "the resolved experiment lost its company"

# --replay runs the same cells, company included.
"$bench" --replay "$json" -r 2 --runs 1 --no-files --csv "$out/replay.csv" -q --progress never \
    2>"$out/replay.err"
rc=$?
cat "$out/replay.err"
[ $rc -eq 0 ] || fail "--replay of a company run exited with $rc"
[ "$(wc -l <"$out/replay.csv")" -eq "$(wc -l <"$csv")" ] || fail "--replay ran other cells"

# A wrong schedule (item 0 twice, item 1 never, in every parallel-for) fails
# its check with company as without, in every mode.
mods=${TPOOL_TEST_MODULES:-$top_builddir/tests/.libs}
wrong=$mods/mod_bench_twice.so
if [ -f "$wrong" ]; then
    "$bench" "$out/exp.json" -p "$wrong" -b none -w uniform --runs 1 -r 1 --warmup 0 \
        --no-files --csv "$out/wrong.csv" --progress never >"$out/wrong.txt" 2>&1
    rc=$?
    cat "$out/wrong.txt"
    [ $rc -eq 1 ] || fail "a wrong schedule exited with $rc, not 1"
    failed=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "check_ok") c = i; if ($i == "executor") x = i }; next }
                      $c == "0" { print $x }' "$out/wrong.csv" | sort | tr '\n' ' ')
    want=$(for m in "" $modes; do echo "mod_bench_twice${m:++$m}"; done | sort | tr '\n' ' ')
    [ "$failed" = "$want" ] ||
        fail "a wrong schedule failed the check of only: $failed"
    # mod_bench_skip is wrong in the first parallel-for of each pool only:
    # the warm-up round's pair, before any run alone, so the pair's own
    # check must catch it.
    "$bench" "$out/exp.json" -p "$mods/mod_bench_skip.so" -b none -w uniform --runs 1 -r 1 \
        --warmup 1 --no-files --csv "$out/skip.csv" --progress never >"$out/skip.txt" 2>&1
    rc=$?
    cat "$out/skip.txt"
    [ $rc -eq 1 ] || fail "a schedule wrong in the pair exited with $rc, not 1"
    failed=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "check_ok") c = i; if ($i == "executor") x = i }; next }
                      $c == "0" { print $x }' "$out/skip.csv" | sort | tr '\n' ' ')
    want=$(for m in "" $modes; do echo "mod_bench_skip${m:++$m}"; done | sort | tr '\n' ' ')
    [ "$failed" = "$want" ] ||
        fail "a schedule wrong in the pair failed the check of only: $failed"
    grep "FAILED: uniform on mod_bench_skip+" "$out/skip.txt" | grep -q ": alone:" &&
        fail "the wrong pair was caught only when run alone"
else
    echo "bench_company: $wrong not built; the wrong-schedule part is skipped"
fi

# Bad input names what it expected.
"$bench" "$out/exp.json" --company twin --no-files -q >/dev/null 2>"$out/bad.err" &&
    fail "--company twin accepted"
grep -q "unknown company 'twin'" "$out/bad.err" || fail "--company error message"
echo '{"company": ["thraed"]}' >"$out/bad.json"
"$bench" "$out/bad.json" --no-files -q >/dev/null 2>"$out/bad.err" && fail "company thraed accepted"
grep -q 'bad.json:1:.*company\[0\].*did you mean "thread"' "$out/bad.err" ||
    { cat "$out/bad.err"; fail "experiment company error message"; }
echo "bench_company: PASS"
exit 0
