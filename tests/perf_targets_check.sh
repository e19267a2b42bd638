#!/bin/sh
# perf_targets_check.sh - harness/perf-targets.sh on fixed CSVs
# (tests/perf-targets/: made-up cells whose ratios, intervals and verdicts
# are worked out by hand in the expectations below), in its report-only
# mode and with a stand-in tpool-bench:
# - each target's ratio, its 95% CI (two cells' intervals combined
#   conservatively; throughputs and efficiencies from the cells' times;
#   with a results JSON beside the CSV, the paired interval of
#   `tpool-bench ratio`),
#   the PASS or MISS of the point estimate and whether the CI lies inside
#   the bound, in the text report and in the --markdown tables;
# - the exit status (1: a target missed; 2: bad arguments);
# - a run: the commands printed as run from the build directory with no
#   absolute path, the load averages around each, --busy N's busy loops
#   running beside the second run and gone when the script ends, also when
#   it is killed.
# An automake TESTS script: the test environment gives srcdir (tests/ of the
# source tree) and top_builddir.
set -u
srcdir=${srcdir:-.}
top_srcdir="$srcdir/.."
top_builddir=${top_builddir:-..}
script="$top_srcdir/harness/perf-targets.sh"
fx="$srcdir/perf-targets"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/perf_targets_check.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "perf_targets_check: FAIL: $*"
    exit 1
}
[ -f "$top_builddir/tpool-build.h" ] || fail "$top_builddir/tpool-build.h not found (configure first)"

# ---- report only: every target on the fixtures -----------------------------------
sh "$script" -b "$top_builddir" --csv "$fx/perf.csv" --no-callgrind --busy-csv "$fx/busy.csv" --busy 1 \
    --company-csv "$fx/oversubscription.csv" "$fx/company.csv" --markdown "$tmp/report.md" >"$tmp/report.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$tmp/report.txt"; fail "exit status $rc with targets missed, not 1"; }

# row TEXT-PATTERN MARKDOWN-ROW: the text report has a line matching the
# extended regular expression, and the Markdown has the row, exactly.
row() {
    grep -Eq "$1" "$tmp/report.txt" || { cat "$tmp/report.txt"; fail "no line matching: $1"; }
    grep -Fxq "$2" "$tmp/report.md" || { cat "$tmp/report.md"; fail "no Markdown row: $2"; }
}
# Ratio of medians: 400/1000, interval [380/1100, 420/900].
row '^1 +empty-T T=2: static vs pthreadpool \(400ns/call\) +0\.4 +\[0\.3455, 0\.4667\] +<= 0\.5 +PASS +CI inside$' \
    '| empty-T T=2: static vs pthreadpool (400ns/call) | 0.4 | [0.3455, 0.4667] | ≤ 0.5 | PASS | CI inside |'
row '^1 +empty-T T=2: static vs omp-static +0\.8 +\[0\.38, 0\.9333\] +<= 1 +PASS +CI inside$' \
    '| empty-T T=2: static vs omp-static | 0.8 | [0.38, 0.9333] | ≤ 1 | PASS | CI inside |'
# One probe per cell: no interval.
row '^3 +idle CPU/100ms after empty-T T=2: static vs pthreadpool +0\.02 +n/a +<= 0\.1 +PASS +no CI$' \
    '| idle CPU/100ms after empty-T T=2: static vs pthreadpool | 0.02 | n/a | ≤ 0.1 | PASS | no CI |'
# Throughputs 1e7/4e6; the time ratio 100/250 in [90/400, 110/200].
row '^4 +tiny-tasks-1p T=2: stealing vs omp-task, tasks/s +2\.5 +\[1\.818, 4\.444\] +>= 3 +MISS +CI straddles$' \
    '| tiny-tasks-1p T=2: stealing vs omp-task, tasks/s | 2.5 | [1.818, 4.444] | ≥ 3 | MISS | CI straddles |'
# Efficiency 1 (serial 20 ms, 10 ms at T=2); its interval from the cell's
# [9.9, 10.1] and the serial cell's [19, 21]: makespan / ideal 1 in
# [1 / (1.05 / 0.99), 1 / (0.95 / 1.01)].
row '^5 +triangular T=2: stealing makespan / ideal +1 +\[0\.9429, 1\.063\] +<= 1\.02 +PASS +CI straddles$' \
    '| triangular T=2: stealing makespan / ideal | 1 | [0.9429, 1.063] | ≤ 1.02 | PASS | CI straddles |'
row '^5 +heavy-tailed T=2: stealing makespan / ideal +n/a +<= 1\.05 +MISS +no data$' \
    '| heavy-tailed T=2: stealing makespan / ideal | n/a |  | ≤ 1.05 | MISS | no data |'
row '^7 +empty-T T=2: builtin:stealing vs stealing\.so +n/a +\|r-1\| <= 0\.02 +MISS +no data$' \
    '| empty-T T=2: builtin:stealing vs stealing.so | n/a |  | \|r-1\| ≤ 0.02 | MISS | no data |'
row '^11 +empty-T T=2: fifo vs best \(static\) +1\.75 +\[1\.429, 2\.368\] +<= 2 +PASS +CI straddles$' \
    '| empty-T T=2: fifo vs best (static) | 1.75 | [1.429, 2.368] | ≤ 2 | PASS | CI straddles |'
row '^11 +empty-T T=2: stealing vs best \(static\) +2\.25 +\[2\.024, 2\.5\] +<= 2 +MISS +CI outside$' \
    '| empty-T T=2: stealing vs best (static) | 2.25 | [2.024, 2.5] | ≤ 2 | MISS | CI outside |'
row '^12 +tiny-tasks-1p T=2, no busy process: stealing vs tbb-task, tasks/s +2 +\[1\.727, 2\.333\] +>= 1\.5 +PASS +CI inside$' \
    '| tiny-tasks-1p T=2, no busy process: stealing vs tbb-task, tasks/s | 2 | [1.727, 2.333] | ≥ 1.5 | PASS | CI inside |'
row '^12 +tiny-tasks-1p T=2, no busy process: share run on the producer\(s\): stealing 7%, tbb-task 21%, omp-task 65%$' \
    '| tiny-tasks-1p T=2, no busy process: share run on the producer(s) | stealing 7%, tbb-task 21%, omp-task 65% |  |  | (not a target) |  |'
# Beside the busy process: 3.333e6 / 4e6, the time ratio 300/250 in [280/260, 320/240].
row '^12 +tiny-tasks-1p T=2, 1 busy process: stealing vs tbb-task, tasks/s +0\.8333 +\[0\.75, 0\.9286\] +>= 1\.5 +MISS +CI outside$' \
    '| tiny-tasks-1p T=2, 1 busy process: stealing vs tbb-task, tasks/s | 0.8333 | [0.75, 0.9286] | ≥ 1.5 | MISS | CI outside |'
# 10a: T = cores is the oversubscription CSV's smallest T (2), whatever nproc says.
row '^10a +uniform stealing: T=4 vs T=2 \(oversubscribed\) +1\.05 +\[0\.9524, 1\.158\] +<= 1\.1 +PASS +CI straddles$' \
    '| uniform stealing: T=4 vs T=2 (oversubscribed) | 1.05 | [0.9524, 1.158] | ≤ 1.1 | PASS | CI straddles |'
row '^10a +uniform stealing: T=8 vs T=2 \(oversubscribed\) +1\.3 +\[1\.19, 1\.421\] +<= 1\.1 +MISS +CI outside$' \
    '| uniform stealing: T=8 vs T=2 (oversubscribed) | 1.3 | [1.19, 1.421] | ≤ 1.1 | MISS | CI outside |'
row '^10a +uniform pthreadpool: T=4 vs T=2 \(oversubscribed\) +1\.05 +\[1\.03, 1\.071\] +<= 1\.1 +\(comparison: PASS\) +CI inside$' \
    '| uniform pthreadpool: T=4 vs T=2 (oversubscribed) | 1.05 | [1.03, 1.071] | ≤ 1.1 | (comparison: PASS) | CI inside |'
row '^10b +uniform T=2 stealing beside a twin in this process: pair / alone +0\.95 +\[0\.9, 1\.05\] +<= 1\.1 +PASS +CI inside$' \
    '| uniform T=2 stealing beside a twin in this process: pair / alone | 0.95 | [0.9, 1.05] | ≤ 1.1 | PASS | CI inside |'
row '^10c +uniform T=2 stealing beside a twin in a second process: pair / alone +1\.15 +\[1\.08, 1\.2\] +<= 1\.1 +MISS +CI straddles$' \
    '| uniform T=2 stealing beside a twin in a second process: pair / alone | 1.15 | [1.08, 1.2] | ≤ 1.1 | MISS | CI straddles |'
row '^10d +uniform T=2 stealing beside an OpenMP team: pair / alone +1\.05 +\[0\.98, 1\.15\] +<= 1\.1 +PASS +CI straddles$' \
    '| uniform T=2 stealing beside an OpenMP team: pair / alone | 1.05 | [0.98, 1.15] | ≤ 1.1 | PASS | CI straddles |'
# One table per target, in the page's order.
heads=$(grep '^### ' "$tmp/report.md" | cut -d: -f1 | tr '\n' ' ')
[ "$heads" = "### 1 ### 2 ### 3 ### 4 ### 5 ### 6 ### 7 ### 8 ### 10a ### 10b ### 10c ### 10d ### 11 ### 12 ### 13 " ] ||
    fail "Markdown tables: $heads"
[ "$(grep -c '^| target | measured ratio | 95% CI | bound | verdict | CI vs bound |$' "$tmp/report.md")" -eq 15 ] ||
    fail "not one header row per table"

# ---- paired intervals: a results JSON beside the CSV ------------------------------
# Its two empty-T cells at T=2 ran in the same six rounds, each round's
# static time 0.4 of its pthreadpool time while the rounds differ by up to
# 20%: the interval of the ratio from `tpool-bench ratio` is [0.4, 0.4],
# where combining the cells' own intervals gives [0.3455, 0.4667]. Target
# 11's cells are not in the JSON: their rows keep the combined interval.
mkdir -p "$tmp/pj" && cp "$fx"/*.csv "$tmp/pj/" || fail "copying the fixtures"
round_times() { awk -v m="$1" 'BEGIN { split("0.9 0.95 1 1 1.05 1.1", f, " ")
    for (i = 1; i <= 6; i++) printf "%s%g", (i > 1 ? ", " : ""), m * f[i] }'; }
cat >"$tmp/pj/perf.json" <<EOF
{"schema": "tpool-bench/2", "cells": [
 {"workload": "empty-T", "executor": "static", "threads": 2, "check": {"ok": true},
  "runs": [{"run": 1, "rounds": 6}], "times_ns_per_run": [$(round_times 400)]},
 {"workload": "empty-T", "executor": "pthreadpool", "threads": 2, "check": {"ok": true},
  "runs": [{"run": 1, "rounds": 6}], "times_ns_per_run": [$(round_times 1000)]}]}
EOF
sh "$script" -b "$top_builddir" --csv "$tmp/pj/perf.csv" --no-callgrind --no-company >"$tmp/pj.txt" 2>&1
grep -Eq '^1 +empty-T T=2: static vs pthreadpool \(400ns/call\) +0\.4 +\[0\.4, 0\.4\] +<= 0\.5 +PASS +CI inside$' "$tmp/pj.txt" ||
    { cat "$tmp/pj.txt"; fail "the paired interval of target 1 (expected [0.4, 0.4])"; }
grep -Eq '^11 +empty-T T=2: fifo vs best \(static\) +1\.75 +\[1\.429, 2\.368\]' "$tmp/pj.txt" ||
    { cat "$tmp/pj.txt"; fail "a row whose cells are not in the JSON lost its combined interval"; }

# ---- bad arguments -----------------------------------------------------------------
sh "$script" -b "$top_builddir" --busy many >"$tmp/bad.txt" 2>&1
[ $? -eq 2 ] && grep -q "busy" "$tmp/bad.txt" || { cat "$tmp/bad.txt"; fail "--busy many: not refused with status 2"; }

# ---- a run, with a stand-in tpool-bench ---------------------------------------------
# It checks that the experiment it is given exists from its working
# directory (the build directory), writes a fixture CSV to --out, and in the
# busy run (-w) lists the busy loops beside it: processes running the loop
# whose parent is its own parent or grandparent (perf-targets.sh, through a
# subshell or not). With KILL set it then sends SIGTERM to that
# perf-targets.sh.
mkdir -p "$tmp/build/harness" || fail "mkdir"
cp "$top_builddir/tpool-build.h" "$tmp/build/" || fail "copying tpool-build.h"
cat >"$tmp/build/harness/tpool-bench" <<'EOF'
#!/bin/sh
exp=$1; shift
[ -f "$exp" ] || { echo "stand-in tpool-bench: $exp not found from $(pwd)" >&2; exit 2; }
out= busyrun=0
while [ $# -gt 0 ]; do
    case "$1" in --out) out=$2; shift 2 ;; -w) busyrun=1; shift 2 ;; *) shift ;; esac
done
mkdir -p "$out" || exit 2
if [ $busyrun -eq 0 ]; then cp "$FX/perf.csv" "$out/tpool-bench.csv"; exit 0; fi
cp "$FX/busy.csv" "$out/tpool-bench.csv"
gp=$(sed 's/.*) //' /proc/$PPID/stat | cut -d' ' -f2)
for st in /proc/[0-9]*/stat; do
    d=${st%/stat}; p=${d#/proc/}
    pp=$(sed 's/.*) //' "$st" 2>/dev/null | cut -d' ' -f2)
    [ "$pp" = "$PPID" ] || [ "$pp" = "$gp" ] || continue
    tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q 'while :; do :; done' && echo "$p $pp"
done >"$BUSYLOG"
if [ -n "${KILL:-}" ]; then kill -TERM "$(cut -d' ' -f2 "$BUSYLOG" | head -1)"; fi
exit 0
EOF
chmod +x "$tmp/build/harness/tpool-bench"
FX=$(cd "$fx" && pwd); export FX
BUSYLOG="$tmp/busy.log"; export BUSYLOG

# gone LOG: every busy loop listed in LOG has ended.
gone() {
    while read -r p pp; do
        kill -0 "$p" 2>/dev/null && { kill "$p"; fail "busy loop $p still running after perf-targets.sh ended"; }
    done <"$1"
    return 0
}

sh "$script" -b "$tmp/build" -t 2 --no-callgrind --no-company --busy 2 --markdown "$tmp/run.md" >"$tmp/run.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$tmp/run.txt"; fail "run: exit status $rc, not 1"; }
[ "$(wc -l <"$BUSYLOG")" -eq 2 ] || { cat "$tmp/run.txt" "$BUSYLOG"; fail "--busy 2: not two busy loops beside the second run"; }
gone "$BUSYLOG"
grep -Eq '^command \(1-8, 11-13\): \./harness/tpool-bench [.][.]/[^ ]*harness/experiments/performance\.json -t 2 --out perf-results -q$' "$tmp/run.txt" ||
    { cat "$tmp/run.txt"; fail "run: the first command not printed as run from the build directory"; }
grep -Eq "^command \(12, 2 busy\): \./harness/tpool-bench [^ ]+/performance\.json -w tiny-tasks-1p,tiny-tasks-np -p stealing -b tbb-task,omp-task -t 2 --out perf-results/busy -q   # beside 2 busy loop" "$tmp/run.txt" ||
    { cat "$tmp/run.txt"; fail "run: the busy run's command"; }
grep -Eq '^load average \(12, 2 busy\): [0-9.]+ [0-9.]+ [0-9.]+ at the start, [0-9.]+ [0-9.]+ [0-9.]+ at the end$' "$tmp/run.txt" ||
    { cat "$tmp/run.txt"; fail "run: no load averages around the busy run"; }
grep -Eq '^machine: [0-9]+ CPUs' "$tmp/run.txt" || { cat "$tmp/run.txt"; fail "run: no machine line"; }
grep -q '^revision: ' "$tmp/run.txt" || { cat "$tmp/run.txt"; fail "run: no revision line"; }
grep -Fxq '| tiny-tasks-1p T=2, 2 busy processes: stealing vs tbb-task, tasks/s | 0.8333 | [0.75, 0.9286] | ≥ 1.5 | MISS | CI outside |' "$tmp/run.md" ||
    { cat "$tmp/run.md"; fail "run: the busy rows"; }
grep -q '^- load average (12, 2 busy): ' "$tmp/run.md" || { cat "$tmp/run.md"; fail "run: no load in the Markdown header"; }
sed -n '/^```sh$/,/^```$/p' "$tmp/run.md" | grep -q ' /' &&
    { cat "$tmp/run.md"; fail "run: an absolute path in the Markdown's commands"; }

# Killed during the busy run: the loops end with it.
: >"$BUSYLOG"
KILL=1 sh "$script" -b "$tmp/build" -t 2 --no-callgrind --no-company --busy 1 >"$tmp/kill.txt" 2>&1
rc=$?
[ $rc -eq 130 ] || { cat "$tmp/kill.txt"; fail "killed: exit status $rc, not 130"; }
[ "$(wc -l <"$BUSYLOG")" -eq 1 ] || { cat "$tmp/kill.txt" "$BUSYLOG"; fail "killed: no busy loop beside the run"; }
gone "$BUSYLOG"
echo "perf_targets_check: PASS"
