#!/bin/sh
# perf-targets.sh - runs harness/experiments/performance.json with
# tpool-bench and prints each target of docs/PERFORMANCE.md with its
# measured ratio, the ratio's 95% confidence interval, the bound, PASS or
# MISS, and whether the interval lies wholly on the verdict's side of the
# bound; then counts instructions per dispatch with callgrind-dispatch.sh
# (target 9); then runs oversubscription.json and company.json for the
# targets of oversubscription and company (10a-10d).
#
# Every figure is a ratio of two cells' medians from the same run, whose
# rounds interleave every cell in a shuffled order, so that drifts of the
# machine fall on both sides of each ratio. The interval of a ratio pairs
# the two cells' rounds (`tpool-bench ratio` on the JSON beside the CSV);
# without that JSON (a CSV from elsewhere) it combines the two cells' own
# intervals, conservatively. Needs only sh and awk (no python or jq).
#
# Usage: harness/perf-targets.sh [-b BUILD_DIR] [-o OUT_DIR] [-t THREADS] [--no-callgrind]
#                                [--company-only | --no-company] [--busy N]
#                                [--markdown FILE]
#        report only (nothing is run):
#                                [--csv FILE] [--busy-csv FILE]
#                                [--company-csv OVERSUB_CSV COMPANY_CSV]
#   BUILD_DIR  default ./build (or . when run from a build directory)
#   OUT_DIR    where tpool-bench writes its results (default BUILD_DIR/perf-results)
#   THREADS    thread counts, e.g. 2,16 (default: 2, and the machine's count
#              when larger; targets 1 and 8 are read at each)
#   --busy N   runs target 12's cells a second time with N busy-loop
#              processes beside them (into OUT_DIR/busy), and reports both
#   --busy-csv FILE  target 12 beside busy processes from an existing CSV
#              (labelled with --busy's N when given)
#   --markdown FILE  also writes the report as Markdown: the machine, load,
#              revision and commands, then one table per target
#   10a-10d run at T = the machine's count (and 2 x, 4 x it for 10a), whatever -t says;
#   read back, T = cores is the oversubscription CSV's smallest T.
# Commands are run from BUILD_DIR and printed as run, with paths relative to it.
# Exit status: 0 all targets met, 1 some missed, 2 could not measure.
set -u

build= out= threads= callgrind=1 csv= company=1 main=1 ocsv= ccsv=
busy=0 bcsv= md=
while [ $# -gt 0 ]; do
    case "$1" in
    -b) build=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    --csv) csv=$2; shift 2 ;;
    --no-callgrind) callgrind=0; shift ;;
    --company-only) main=0; callgrind=0; shift ;;
    --no-company) company=0; shift ;;
    --company-csv) ocsv=$2; ccsv=$3; callgrind=0; shift 3 ;;
    --busy) busy=$2; shift 2 ;;
    --busy-csv) bcsv=$2; shift 2 ;;
    --markdown) md=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;
    *) echo "perf-targets: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
# --company-csv alone reports 10a-10d only, as --company-only runs them.
[ -n "$ocsv" ] && [ -z "$csv" ] && main=0
case "$busy" in
''|*[!0-9]*) echo "perf-targets: --busy: '$busy' is not a count of processes" >&2; exit 2 ;;
esac
if [ -z "$build" ]; then
    if [ -x build/harness/tpool-bench ]; then build=build; else build=.; fi
fi
[ -z "$out" ] && out="$build/perf-results"
here=$(cd "$(dirname "$0")" && pwd -P)
top=$(dirname "$here")
ncpu=$(nproc 2>/dev/null || echo 2)
if [ -z "$threads" ]; then
    threads=2
    [ "$ncpu" -gt 2 ] && threads="2,$ncpu"
fi
# The policies of the tree, from the build's one list (configure.ac's
# TPOOL_POLICIES, in tpool-build.h as TPOOL_BUILTIN_LIST).
shipped=$(sed -n 's/^#define TPOOL_BUILTIN_LIST(X) //p' "$build/tpool-build.h" 2>/dev/null |
    sed 's/X(\([a-z_]*\))/\1/g')
if [ -z "$shipped" ]; then
    echo "perf-targets: cannot read the policy list from $build/tpool-build.h" >&2
    exit 2
fi
absbuild=$(cd "$build" && pwd -P) || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/perf-targets.XXXXXX") || exit 2
rows="$tmp/rows"     # the report's rows for --markdown, tab-separated
head="$tmp/head"     # its header: key TAB value
cmds="$tmp/cmds"     # the commands run, as printed
: >"$rows"; : >"$head"; : >"$cmds"
busy_pids=
# The busy loops are this script's children; they must not outlive it.
stop_busy() {
    for p in $busy_pids; do kill "$p" 2>/dev/null; done
    for p in $busy_pids; do wait "$p" 2>/dev/null; done
    busy_pids=
}
trap 'stop_busy; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# relpath PATH: PATH (absolute, existing) relative to the build directory,
# so that no printed command names a directory of the machine that ran it.
relpath() {
    awk -v t="$1" -v b="$absbuild" 'BEGIN {
        nt = split(t, T, "/"); nb = split(b, B, "/")
        for (i = 1; i <= nt && i <= nb && T[i] == B[i]; i++) ;
        r = ""
        for (j = i; j <= nb; j++) if (B[j] != "") r = r "../"
        for (j = i; j <= nt; j++) if (T[j] != "") r = r T[j] "/"
        sub(/\/$/, "", r)
        print (r == "" ? "." : r)
    }'
}
# outarg DIR: DIR as a command run from the build directory names it:
# relative when it lies in the source tree or the build, else absolute
# (then printed as OUT).
outarg() {
    a=$(cd "$1" && pwd -P) || return 1
    case "$a/" in
    "$top"/*|"$absbuild"/*) relpath "$a" ;;
    *) echo "$a" ;;
    esac
}
shown() {
    case "$1" in /*) echo "OUT${1#"$outabs"}" ;; *) echo "$1" ;; esac
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
note() { printf '%s\t%s\n' "$1" "$2" >>"$head"; }
# run LABEL PROGRAM ARGS...: runs PROGRAM (relative to the build directory)
# there, printing the command as run and the load averages (1, 5, 15 min)
# at its start and end.
run() {
    label=$1; shift
    printed=
    for a in "$@"; do printed="$printed${printed:+ }$(shown "$a")"; done
    [ $busy_now -gt 0 ] && printed="$printed   # beside $busy_now busy loop(s): sh -c 'while :; do :; done'"
    l0=$(loadavg)
    echo "command ($label): $printed"
    printf '%s\n' "$printed" >>"$cmds"
    (cd "$absbuild" && "$@")
    rc=$?
    l1=$(loadavg)
    echo "load average ($label): $l0 at the start, $l1 at the end"
    note "load average ($label)" "$l0 at the start, $l1 at the end"
    return $rc
}
busy_now=0
start_busy() {
    i=0
    while [ $i -lt "$1" ]; do
        sh -c 'while :; do :; done' &
        busy_pids="$busy_pids $!"
        i=$((i + 1))
    done
    busy_now=$1
}

# ---- the header: what was measured where -------------------------------------
# Whether this invocation runs tpool-bench, and whether it measures at all.
runsbench=0
[ $main -eq 1 ] && [ -z "$csv" ] && runsbench=1
[ $main -eq 1 ] && [ $busy -gt 0 ] && [ -z "$bcsv" ] && runsbench=1
[ $company -eq 1 ] && [ -z "$ocsv" ] && runsbench=1
measures=$runsbench
[ $callgrind -eq 1 ] && measures=1
# jsonmeta KEY FILE: a string or number member of the meta of a
# tpool-bench.json (pretty-printed, meta first).
jsonmeta() {
    [ -f "$2" ] && sed -n "s/^ *\"$1\": //p" "$2" | head -1 | sed 's/,$//; s/^"//; s/"$//'
}
if [ $measures -eq 1 ]; then
    note "machine" "$ncpu CPUs (nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1), $(uname -sr 2>/dev/null)"
    rev=$(git -C "$top" describe --always --dirty 2>/dev/null) || rev="unknown (not a git tree)"
    note "revision" "$rev"
    note "date" "$(date -u '+%Y-%m-%d %H:%M UTC')"
fi
# The CSVs given: where they were measured, from the JSON tpool-bench
# wrote beside each.
given() {
    [ -n "$2" ] || return 0
    j="${2%.csv}.json"
    if [ -f "$j" ]; then
        note "CSV ($1)" "$(basename "$2"), measured on $(jsonmeta nproc "$j") CPUs, $(jsonmeta cpu_model "$j"), revision $(jsonmeta git_revision "$j"), $(jsonmeta date "$j")"
    else
        note "CSV ($1)" "$(basename "$2"), not run here: the machine, load and revision are those of the run that wrote it"
    fi
}
given "1-8, 11-13" "$csv"
given "12, busy" "$bcsv"
given "10a" "$ocsv"
given "10b-d" "$ccsv"
awk -F'\t' '{ printf "%s: %s\n", $1, $2 }' "$head"
outabs=
if [ $runsbench -eq 1 ]; then
    mkdir -p "$out" || exit 2
    outabs=$(cd "$out" && pwd -P) || exit 2
    outrel=$(outarg "$out") || exit 2
    case "$outrel" in /*) echo "OUT: $outabs"; note "OUT" "the output directory (-o)" ;; esac
fi
bench=./harness/tpool-bench
if [ $runsbench -eq 1 ] && [ ! -x "$absbuild/harness/tpool-bench" ]; then
    echo "perf-targets: $build/harness/tpool-bench not found; build first" >&2
    exit 2
fi
exp=$(relpath "$here/experiments")

# json_beside CSV: the results JSON tpool-bench wrote beside the CSV, when
# it and tpool-bench are there (intervals of ratios then pair the cells'
# rounds: `tpool-bench ratio`); else nothing (the cells' own intervals are
# combined).
json_beside() {
    j="${1%.csv}.json"
    [ -f "$j" ] && [ -x "$absbuild/harness/tpool-bench" ] && (cd "$(dirname "$j")" && echo "$(pwd -P)/$(basename "$j")")
}

# ---- the awk both reports share ------------------------------------------------
# csvsplit: one CSV record into f[] (RFC 4180 quotes; no newline inside
# fields). row: one line of the report, and its record for --markdown.
awklib='
function csvsplit(line, f,    n, i, c, q, cur) {
    n = 0; cur = ""; q = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) {
            if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { cur = cur "\""; i++ } else q = 0 }
            else cur = cur c
        } else if (c == "\"") q = 1
        else if (c == ",") { f[++n] = cur; cur = "" }
        else cur = cur c
    }
    f[++n] = cur
    return n
}
function num(x) { return sprintf("%.4g", x) }
# paired(a, b): for cells a and b (WORKLOAD/EXECUTOR/T) of the results file
# in json (the tpool-bench.json beside the CSV; "" when there is none), the
# ratio of their medians and its interval from `tpool-bench ratio`, which
# pairs the rounds of the two cells, into PR, PL, PH. 0 when there is no
# such interval (no JSON, fewer than 6 rounds): the caller then combines
# the intervals of the two cells.
function paired(a, b,    cmd, line, p, n) {
    PR = PL = PH = ""
    if (json == "") return 0
    cmd = "\"" bench "\" ratio \"" json "\" \"" a "\" \"" b "\" 2>/dev/null"
    n = (cmd | getline line); close(cmd)
    if (n <= 0 || split(line, p, " ") != 4 || p[2] == "nan" || p[3] == "nan" || p[1] + 0 <= 0) return 0
    PR = p[1]; PL = p[2]; PH = p[3]
    return 1
}
# row(tg, what, r, lo, hi, op, bound, target): op is "<=", ">=" or "|-1|"
# (|r - 1| <= bound); lo "exact" for a count without noise. The verdict is the point estimate; the interval is
# "inside" the bound when every value in it meets the bound, "outside" when
# none does, else it "straddles" (noise could flip the verdict). A row that
# is not a target (target 0: a baseline shown for comparison) counts no miss.
function row(tg, what, r, lo, hi, op, bound, target,    ok, inb, outb, v, civ, ci, bt, e) {
    e = 1e-12
    bt = (op == "|-1|") ? "|r-1| <= " bound : op " " bound
    if (r == "") {
        v = target ? "MISS" : "(comparison)"; civ = "no data"
        if (target) missed++
        printf "%-4s %-68s %9s  %-21s %-12s %-18s %s\n", tg, what, "n/a", "", bt, v, civ
        printf "%s\t%s\tn/a\t\t%s\t%s\t%s\n", tg, what, bt, v, civ >>rows
        return
    }
    if (op == "<=") { ok = r <= bound + e; inb = hi <= bound + e; outb = lo > bound + e }
    else if (op == ">=") { ok = r >= bound - e; inb = lo >= bound - e; outb = hi < bound - e }
    else {
        ok = (r > 1 ? r - 1 : 1 - r) <= bound + e
        inb = lo >= 1 - bound - e && hi <= 1 + bound + e
        outb = hi < 1 - bound - e || lo > 1 + bound + e
    }
    v = ok ? "PASS" : "MISS"
    if (target && !ok) missed++
    if (!target) v = "(comparison: " v ")"
    if (lo == "exact") { ci = "exact"; civ = "exact count" }
    else if (lo == "" || hi == "") { ci = "n/a"; civ = "no CI" }
    else { ci = "[" num(lo) ", " num(hi) "]"; civ = "CI " (inb ? "inside" : outb ? "outside" : "straddles") }
    printf "%-4s %-68s %9s  %-21s %-12s %-18s %s\n", tg, what, num(r), ci, bt, v, civ
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", tg, what, num(r), ci, bt, v, civ >>rows
}
# A line of the report that is a result but not a target.
function info(tg, what, text) {
    printf "%-4s %s: %s\n", tg, what, text
    printf "%s\t%s\t%s\t\t\t(not a target)\t\n", tg, what, text >>rows
}
function header() {
    printf "%-4s %-68s %9s  %-21s %-12s %-18s %s\n", "#", "target (ratio of medians, one interleaved run)", "ratio", "95% CI", "bound", "verdict", "CI vs bound"
}
'


status=0
busy_now=0
if [ $main -eq 1 ]; then
if [ -z "$csv" ]; then
    echo "perf-targets: running performance.json at threads $threads (a few minutes)..." >&2
    run "1-8, 11-13" "$bench" "$exp/performance.json" -t "$threads" --out "$outrel" -q
    rc=$?
    if [ $rc -eq 2 ]; then
        echo "perf-targets: tpool-bench could not run the experiment" >&2
        exit 2
    fi
    [ $rc -ne 0 ] && echo "perf-targets: warning: tpool-bench exited $rc (a result check failed?)" >&2
    csv="$out/tpool-bench.csv"
fi
if [ $busy -gt 0 ] && [ -z "$bcsv" ]; then
    mkdir -p "$out/busy" || exit 2
    echo "perf-targets: running target 12's cells beside $busy busy loop(s)..." >&2
    start_busy "$busy"
    run "12, $busy busy" "$bench" "$exp/performance.json" -w tiny-tasks-1p,tiny-tasks-np \
        -p stealing -b tbb-task,omp-task -t "$threads" --out "$outrel/busy" -q
    rc=$?
    stop_busy
    busy_now=0
    if [ $rc -eq 2 ]; then
        echo "perf-targets: tpool-bench could not run the experiment beside the busy loops" >&2
        exit 2
    fi
    bcsv="$out/busy/tpool-bench.csv"
fi
for f in "$csv" $bcsv; do
    if [ ! -f "$f" ]; then
        echo "perf-targets: $f not found" >&2
        exit 2
    fi
done

# report CSV ONLY COND: the targets of performance.json's CSV (only target
# ONLY when set), COND labelling target 12's rows (the busy processes beside).
report() {
awk -F, -v shippedlist="$shipped" -v rows="$rows" -v only="$2" -v cond="$3" \
    -v bench="$absbuild/harness/tpool-bench" -v json="$(json_beside "$1")" "$awklib"'
function get(w, x, t, col) { k = w SUBSEP x SUBSEP t SUBSEP col; return (k in v) ? v[k] : "" }
function has(w, x, t) { return ((w SUBSEP x SUBSEP t SUBSEP "median_ns_per_run") in v) }
function want(tg) { return only == "" || only == tg }
# Best (smallest median) module policy on workload w at t; "(no policy)",
# a name no cell has, when none.
function best(w, t,    x, b, m) {
    b = ""
    for (x in ispol) if (has(w, x, t) && x !~ /^builtin/) {
        m = get(w, x, t, "median_ns_per_run") + 0
        if (b == "" || m < bm) { b = x; bm = m }
    }
    return b == "" ? "(no policy)" : b
}
function ns(x) { return x >= 1e6 ? sprintf("%.2fms", x / 1e6) : x >= 1e3 ? sprintf("%.2fus", x / 1e3) : sprintf("%.0fns", x) }
# cell(w, x, t): M, L, H = the cell median time per run and its CI; 0 when
# the cell or its interval is missing.
function cell(w, x, t) {
    M = get(w, x, t, "median_ns_per_run") + 0
    L = get(w, x, t, "ci_low_ns_per_run") + 0; H = get(w, x, t, "ci_high_ns_per_run") + 0
    return M > 0 && L > 0 && H > 0
}
# Ratio of two cells median times (a over b) into R, LO, HI; its interval
# from the two cells intervals, [low a / high b, high a / low b]
# (conservative). R is "" when a cell is missing, LO and HI when an
# interval is.
function tratio(wa, xa, wb, xb, t,    ma, la, ha) {
    R = LO = HI = ""
    ma = get(wa, xa, t, "median_ns_per_run"); mb = get(wb, xb, t, "median_ns_per_run")
    if (ma == "" || mb == "" || mb + 0 == 0) return
    R = ma / mb
    if (paired(wa "/" xa "/" t, wb "/" xb "/" t)) { LO = R * PL / PR; HI = R * PH / PR; return }
    if (!cell(wa, xa, t)) return
    la = L; ha = H
    if (!cell(wb, xb, t)) return
    LO = la / H; HI = ha / L
}
# Ratio of two cells throughputs (items per second at the median) into R,
# LO, HI: the inverse of the time ratio, scaled by the items per run.
function qratio(wa, xa, wb, xb, t,    qa, qb, r) {
    qa = get(wa, xa, t, "throughput_items_per_s"); qb = get(wb, xb, t, "throughput_items_per_s")
    tratio(wa, xa, wb, xb, t)
    if (qa == "" || qb == "" || qb + 0 == 0 || R == "") { R = LO = HI = ""; return }
    r = R; R = qa / qb
    if (LO != "") { lo = R * r / HI; HI = R * r / LO; LO = lo }
}
# A cells efficiency (speedup over its reference / T) into R, LO, HI; the
# interval from the cells and the references intervals (the reference is
# the workloads serial cell, else the executor at one thread).
function eff(w, x, t,    e, m, l, h) {
    R = LO = HI = ""
    e = get(w, x, t, "efficiency")
    if (e == "") return
    R = e + 0
    if (!cell(w, x, t)) return
    m = M; l = L; h = H
    ref = (w in serialx) && cell(w, serialx[w], 1) ? serialx[w] : x
    if (paired(w "/" ref "/1", w "/" x "/" t)) { LO = R * PL / PR; HI = R * PH / PR; return }
    if (!((w in serialx) && cell(w, serialx[w], 1)) && !cell(w, x, 1)) return
    LO = R * (m / h) * (L / M); HI = R * (m / l) * (H / M)
}
# 1 / (R, LO, HI): makespan over ideal from an efficiency.
function invert(    lo) {
    if (R == "" || R + 0 == 0) { R = LO = HI = ""; return }
    R = 1 / R
    if (LO != "" && LO + 0 > 0) { lo = 1 / HI; HI = 1 / LO; LO = lo } else LO = HI = ""
}
NR == 1 { n = csvsplit($0, h); for (i = 1; i <= n; i++) col[h[i]] = i; next }
{
    csvsplit($0, f)
    w = f[col["workload"]]; x = f[col["executor"]]; t = f[col["threads"]]
    kind[x] = f[col["executor_kind"]]
    if (kind[x] == "policy") ispol[x] = 1
    if (f[col["check_ok"]] != "1") bad = bad " " w "/" x "/T" t
    split("median_ns_per_run ci_low_ns_per_run ci_high_ns_per_run items_per_run throughput_items_per_s efficiency idle_cpu_ns_per_window idle_window_ns producer_share", cs, " ")
    for (i in cs) v[w, x, t, cs[i]] = (cs[i] in col) ? f[col[cs[i]]] : ""
    if (kind[x] == "serial") { serial[w] = 1; serialx[w] = x }
    ts[t] = 1
}
END {
    missed = 0
    nshipped = split(shippedlist, shipped, " ")
    header()
    lab = cond == "" ? "" : ", " cond
    # The thread counts in increasing order; target 8 is read at the largest.
    nt = 0
    for (t in ts) { for (i = ++nt; i > 1 && tl[i - 1] + 0 > t + 0; i--) tl[i] = tl[i - 1]; tl[i] = t }
    tmax = tl[nt]
    for (ti = 1; ti <= nt; ti++) {
        t = tl[ti]
        if (kind["serial"] != "" && t == 1) continue
        # 1: dispatch latency, empty-T
        b = best("empty-T", t)
        if (want("1")) {
            # one dispatch: the run median over its calls (items = calls x T)
            it = get("empty-T", b, t, "items_per_run")
            tratio("empty-T", b, "empty-T", "pthreadpool", t)
            row("1", sprintf("empty-T T=%s: %s vs pthreadpool (%s/call)", t, b,
                             it == "" ? "?" : ns(get("empty-T", b, t, "median_ns_per_run") * t / it)), R, LO, HI, "<=", 0.5, 1)
            tratio("empty-T", b, "empty-T", "omp-static", t)
            row("1", sprintf("empty-T T=%s: %s vs omp-static", t, b), R, LO, HI, "<=", 1.0, 1)
        }
        # 2: empty range of 1000 items
        if (want("2")) {
            b2 = best("empty-1000", t)
            tratio("empty-1000", b2, "empty-1000", "omp-static", t)
            row("2", sprintf("empty-1000 T=%s: %s vs omp-static", t, b2), R, LO, HI, "<=", 1.0, 1)
        }
        # 3: idle CPU after a dispatch, for the policy that is best on target
        # 1: one probe per cell, so no interval
        if (want("3")) {
            a = get("empty-T", b, t, "idle_cpu_ns_per_window"); c = get("empty-T", "pthreadpool", t, "idle_cpu_ns_per_window")
            row("3", sprintf("idle CPU/%sms after empty-T T=%s: %s vs pthreadpool", get("empty-T", b, t, "idle_window_ns") / 1e6, t, b),
                (a == "" || c == "" || c + 0 == 0) ? "" : a / c, "", "", "<=", 0.1, 1)
        }
        # 4: tiny tasks, one producer
        if (want("4")) {
            qratio("tiny-tasks-1p", "stealing", "tiny-tasks-1p", "omp-task", t)
            row("4", sprintf("tiny-tasks-1p T=%s: stealing vs omp-task, tasks/s", t), R, LO, HI, ">=", 3, 1)
        }
        # 5: imbalance, makespan / ideal = 1 / efficiency
        if (want("5")) {
            split("stealing dynamic-guided", im, " ")
            for (i = 1; i <= 2; i++) {
                eff("triangular", im[i], t); invert()
                row("5", sprintf("triangular T=%s: %s makespan / ideal", t, im[i]), R, LO, HI, "<=", 1.02, 1)
                eff("heavy-tailed", im[i], t); invert()
                row("5", sprintf("heavy-tailed T=%s: %s makespan / ideal", t, im[i]), R, LO, HI, "<=", 1.05, 1)
            }
            eff("triangular", "static", t); invert()
            if (R != "")
                info("5", sprintf("triangular T=%s: static makespan / ideal", t),
                     sprintf("%.3f%s (expected imbalance%s)", R, LO == "" ? "" : " [" num(LO) ", " num(HI) "]", t == 2 ? ", ~1.5 at 2 threads" : ""))
        }
        # 6: bulk throughput
        if (want("6")) {
            b6 = best("bulk", t)
            qratio("bulk", b6, "bulk", "pthreadpool", t)
            row("6", sprintf("bulk T=%s: %s vs pthreadpool, items/s", t, b6), R, LO, HI, ">=", 1.0, 1)
        }
        # 7: built in vs module, on 1 and 6: the time ratio, within 2% of 1
        if (want("7")) {
            split("stealing dynamic", pl, " ")
            split("empty-T bulk", wl, " ")
            for (i = 1; i <= 2; i++) for (j = 1; j <= 2; j++) {
                tratio(wl[j], "builtin-" pl[i], wl[j], pl[i], t)
                row("7", sprintf("%s T=%s: builtin:%s vs %s.so", wl[j], t, pl[i], pl[i]), R, LO, HI, "|-1|", 0.02, 1)
            }
        }
        # 11: every shipped policy dispatches within 2x of the best one, and
        # static at most OpenMP static
        if (want("11")) {
            split("empty-T empty-1000", ew, " ")
            for (j = 1; j <= 2; j++) {
                bb = best(ew[j], t)
                for (i = 1; i <= nshipped; i++)
                    if (has(ew[j], shipped[i], t)) {
                        tratio(ew[j], shipped[i], ew[j], bb, t)
                        row("11", sprintf("%s T=%s: %s vs best (%s)", ew[j], t, shipped[i], bb), R, LO, HI, "<=", 2.0, 1)
                    }
                tratio(ew[j], "static", ew[j], "omp-static", t)
                row("11", sprintf("%s T=%s: static vs omp-static", ew[j], t), R, LO, HI, "<=", 1.0, 1)
            }
        }
        # 12: tiny tasks against oneTBB task_group, one producer and many;
        # the share each executor ran on its producer(s) beside it
        if (want("12")) {
            split("tiny-tasks-1p tiny-tasks-np", tw, " ")
            for (j = 1; j <= 2; j++) {
                qratio(tw[j], "stealing", tw[j], "tbb-task", t)
                row("12", sprintf("%s T=%s%s: stealing vs tbb-task, tasks/s", tw[j], t, lab), R, LO, HI, ">=", 1.5, 1)
                split("stealing tbb-task omp-task", px, " ")
                share = ""
                for (i = 1; i <= 3; i++) {
                    ps = get(tw[j], px[i], t, "producer_share")
                    share = share sprintf("%s%s %s", i > 1 ? ", " : "", px[i], ps == "" ? "n/a" : sprintf("%.0f%%", 100 * ps))
                }
                info("12", sprintf("%s T=%s%s: share run on the producer(s)", tw[j], t, lab), share)
            }
        }
        # 13: short calls, the default policy of the drop-in (stealing) and the
        # best policy against Debian libpthreadpool
        if (want("13")) {
            tratio("short-calls", "stealing", "short-calls", "pthreadpool", t)
            row("13", sprintf("short-calls T=%s: stealing vs pthreadpool", t), R, LO, HI, "<=", 1.0, 1)
            b13 = best("short-calls", t)
            if (b13 != "stealing") {
                tratio("short-calls", b13, "short-calls", "pthreadpool", t)
                row("13", sprintf("short-calls T=%s: %s vs pthreadpool", t, b13), R, LO, HI, "<=", 1.0, 1)
            }
        }
        # 8: tiled-gemm efficiency at the largest thread count (the machine
        # count, unless -t said otherwise)
        if (t == tmax && want("8")) {
            b8 = best("tiled-gemm", t)
            eff("tiled-gemm", b8, t)
            row("8", sprintf("tiled-gemm T=%s: %s efficiency (speedup / T)", t, b8), R, LO, HI, ">=", 0.95, 1)
        }
    }
    if (bad != "") printf "result checks FAILED:%s\n", bad
    exit missed > 0 ? 1 : 0
}' "$1"
}
if [ -n "$bcsv" ]; then
    case "$busy" in 0) bl="busy processes" ;; 1) bl="1 busy process" ;; *) bl="$busy busy processes" ;; esac
    report "$csv" "" "no busy process"; status=$?
    echo
    echo "target 12 beside $bl ($(relpath "$(cd "$(dirname "$bcsv")" && pwd -P)")/$(basename "$bcsv")):"
    report "$bcsv" 12 "$bl"; st=$?
    [ $st -ne 0 ] && [ $status -eq 0 ] && status=$st
else
    report "$csv" "" ""; status=$?
fi
fi

if [ $callgrind -eq 1 ]; then
    echo
    echo "9   instructions per dispatch at one thread (callgrind, exact):"
    run 9 "$(relpath "$here/callgrind-dispatch.sh")" . >"$tmp/cg"
    cg=$?
    cat "$tmp/cg"
    if [ $cg -eq 0 ]; then echo "9   PASS"; elif [ $cg -eq 1 ]; then echo "9   MISS"; status=1
    else echo "9   not measured (see above)"; [ $status -eq 0 ] && status=2; fi
    # For --markdown: each tpool executor of the table (EXECUTOR... INSTR
    # RATIO) a row of target 9, its ratio exact.
    awk -v rows="$rows" "$awklib"'
        /^pthreadpool \(Debian\)/ { next }
        NF >= 3 && $NF ~ /^[0-9.]+$/ && $(NF - 1) ~ /^[0-9.]+$/ {
            x = $0; sub(/[ \t]+[0-9.]+[ \t]+[0-9.]+$/, "", x)
            row("9", x " vs pthreadpool (Debian), instructions per dispatch", $NF, "exact", "exact", "<=", 1, 1)
        }' "$tmp/cg" >/dev/null
fi
# ---- 10: oversubscription and company -------------------------------------------
# 10a: T = 2 and 4 x cores against T = cores, uniform and tiny-tasks (ratio
#      of the two cells' medians; its CI from the two cells' CIs, [lo/hi,
#      hi/lo]: conservative).
# 10b-d: uniform at T = cores beside a twin in this process (+thread), in a
#      second process (+process), an OpenMP team (+omp): the pair's makespan
#      over the run and its companion alone one after the other, the median
#      of the per-round ratios and its 95% CI (tpool-bench's company_ratio).
# Policies are the targets; the baselines are printed for comparison.
if [ $company -eq 1 ]; then
    echo
    if [ -z "$ocsv" ]; then
        mkdir -p "$out/oversubscription" "$out/company" || exit 2
        ot="$ncpu,$((2 * ncpu)),$((4 * ncpu))"
        echo "perf-targets: running oversubscription.json and company.json (a few minutes)..." >&2
        run 10a "$bench" "$exp/oversubscription.json" -t "$ot" --out "$outrel/oversubscription" -q; rc1=$?
        run 10b-d "$bench" "$exp/company.json" -t "$ncpu" --out "$outrel/company" -q; rc2=$?
        if [ $rc1 -eq 2 ] || [ $rc2 -eq 2 ]; then
            echo "perf-targets: tpool-bench could not run the experiments" >&2
            exit 2
        fi
        ocsv="$out/oversubscription/tpool-bench.csv"
        ccsv="$out/company/tpool-bench.csv"
    fi
    for f in "$ocsv" "$ccsv"; do
        if [ ! -f "$f" ]; then
            echo "perf-targets: $f not found" >&2
            exit 2
        fi
    done
    awk -F, -v rows="$rows" -v bench="$absbuild/harness/tpool-bench" -v json="$(json_beside "$ocsv")" "$awklib"'
FNR == 1 { file++; delete col; n = csvsplit($0, h); for (i = 1; i <= n; i++) col[h[i]] = i; next }
{
    csvsplit($0, f)
    w = f[col["workload"]]; x = f[col["executor"]]; t = f[col["threads"]]
    k = file SUBSEP w SUBSEP x SUBSEP t
    med[k] = f[col["median_ns_per_run"]]; lo[k] = f[col["ci_low_ns_per_run"]]; hi[k] = f[col["ci_high_ns_per_run"]]
    if (file == 2) { cr[k] = f[col["company_ratio"]]; crl[k] = f[col["company_ratio_ci_low"]]; crh[k] = f[col["company_ratio_ci_high"]] }
    kind[x] = f[col["executor_kind"]]
    if (f[col["check_ok"]] != "1") bad = bad " " w "/" x "/T" t
    if (file == 1 && !((w SUBSEP x) in seen)) { seen[w SUBSEP x] = 1; order[++nord] = w SUBSEP x }
    # T = cores: the smallest T of the oversubscription run, the T of the company run
    if (file == 1 && (ncpu == "" || t + 0 < ncpu + 0)) ncpu = t
    if (file == 2 && x !~ /\+/ && !(x in cseen)) { cseen[x] = 1; corder[++ncord] = x; ct[x] = t }
}
END {
    missed = 0
    header()
    for (i = 1; i <= nord; i++) {
        split(order[i], p, SUBSEP); w = p[1]; x = p[2]
        a = 1 SUBSEP w SUBSEP x SUBSEP ncpu
        if (!(a in med) || med[a] + 0 <= 0) continue
        for (m = 2; m <= 4; m *= 2) {
            b = 1 SUBSEP w SUBSEP x SUBSEP (m * ncpu)
            if (!(b in med)) continue
            r = med[b] / med[a]
            if (paired(w "/" x "/" (m * ncpu), w "/" x "/" ncpu)) { l = r * PL / PR; hh = r * PH / PR }
            else { l = hi[a] > 0 ? lo[b] / hi[a] : ""; hh = lo[a] > 0 ? hi[b] / lo[a] : "" }
            row("10a", sprintf("%s %s: T=%d vs T=%d (oversubscribed)", w, x, m * ncpu, ncpu), r, l, hh, "<=", 1.1, kind[x] == "policy")
        }
    }
    split("thread process omp", mode, " ")
    split("10b 10c 10d", tgn, " ")
    split("a twin in this process|a twin in a second process|an OpenMP team", desc, "|")
    for (j = 1; j <= 3; j++)
        for (i = 1; i <= ncord; i++) {
            x = corder[i]; c = 2 SUBSEP "uniform" SUBSEP x "+" mode[j] SUBSEP ct[x]
            if (!(c in cr)) continue
            row(tgn[j], sprintf("uniform T=%d %s beside %s: pair / alone", ct[x], x, desc[j]), cr[c], crl[c], crh[c], "<=", 1.1,
                kind[x] == "policy")
        }
    if (bad != "") printf "result checks FAILED:%s\n", bad
    exit (missed > 0 || bad != "") ? 1 : 0
}' "$ocsv" "$ccsv"
    st=$?
    [ $st -ne 0 ] && [ $status -eq 0 ] && status=$st
fi

# ---- --markdown: the same report as Markdown tables ----------------------------
if [ -n "$md" ]; then
    awk -F'\t' -v head="$head" -v cmds="$cmds" '
function esc(s) { gsub(/\|/, "\\|", s); return s }
BEGIN {
    # Each target group: its line of docs/PERFORMANCE.md, shortened.
    title["1"] = "dispatch latency, empty-T"; title["2"] = "empty range of 1000 items"
    title["3"] = "idle CPU after a dispatch"; title["4"] = "tiny tasks against omp task"
    title["5"] = "imbalance, makespan / ideal"; title["6"] = "bulk throughput"
    title["7"] = "built in vs module"; title["8"] = "tiled-gemm efficiency"
    title["9"] = "instructions per empty dispatch (callgrind)"
    title["10a"] = "oversubscription"; title["10b"] = "company: a twin pool in the process"
    title["10c"] = "company: a twin in a second process"; title["10d"] = "company: an OpenMP team"
    title["11"] = "every policy dispatches fast"; title["12"] = "tiny tasks against oneTBB"
    title["13"] = "short calls"
    print "## perf-targets.sh report"
    print ""
    while ((getline l < head) > 0) { split(l, kv, "\t"); printf "- %s: %s\n", kv[1], esc(kv[2]) }
    n = 0
    while ((getline l < cmds) > 0) { if (!n++) { print ""; print "Commands, from the build directory:"; print ""; print "```sh" } print l }
    if (n) print "```"
}
{
    if (!($1 in seen)) { seen[$1] = 1; order[++ng] = $1 }
    # The bounds as the page writes them
    b = $5; sub(/<= /, "≤ ", b); sub(/>= /, "≥ ", b)
    r[$1, ++nr[$1]] = "| " esc($2) " | " $3 " | " $4 " | " esc(b) " | " $6 " | " $7 " |"
}
END {
    # Targets in their order (1, 2, ..., 9, 10a, ..., 13), as the page lists them.
    for (g = 2; g <= ng; g++)
        for (i = g; i > 1 && (order[i - 1] + 0 > order[i] + 0 || (order[i - 1] + 0 == order[i] + 0 && order[i - 1] > order[i])); i--) {
            tg = order[i]; order[i] = order[i - 1]; order[i - 1] = tg
        }
    for (g = 1; g <= ng; g++) {
        tg = order[g]
        printf "\n### %s%s\n\n", tg, (tg in title) ? ": " title[tg] : ""
        print "| target | measured ratio | 95% CI | bound | verdict | CI vs bound |"
        print "| --- | --- | --- | --- | --- | --- |"
        for (i = 1; i <= nr[tg]; i++) print r[tg, i]
    }
}' "$rows" >"$md" || { echo "perf-targets: cannot write $md" >&2; [ $status -eq 0 ] && status=2; }
fi
exit $status
