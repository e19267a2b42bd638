#!/bin/sh
# perf-targets.sh - runs harness/experiments/performance.json with
# tpool-bench and prints each target of docs/PERFORMANCE.md with
# its measured ratio and PASS or MISS; then counts instructions per dispatch
# with callgrind-dispatch.sh (target 9); then runs oversubscription.json and
# company.json for the targets of oversubscription and company (10a-10d).
#
# Every figure is a ratio of two cells' medians from the same run, whose
# rounds interleave every cell in a shuffled order, so that drifts of the
# machine fall on both sides of each ratio. Needs only sh and awk (no
# python or jq): it reads tpool-bench's CSV.
#
# Usage: harness/perf-targets.sh [-b BUILD_DIR] [-o OUT_DIR] [-t THREADS] [--no-callgrind]
#                                [--csv FILE]  (report on an existing CSV; nothing is run)
#                                [--company-only | --no-company]
#                                [--company-csv OVERSUB_CSV COMPANY_CSV]  (10a-10d from
#                                 existing CSVs; nothing is run)
#   BUILD_DIR  default ./build (or . when run from a build directory)
#   OUT_DIR    where tpool-bench writes its results (default BUILD_DIR/perf-results)
#   THREADS    thread counts, e.g. 2,16 (default: 2, and the machine's count
#              when larger; targets 1 and 8 are read at each)
#   10a-10d run at T = the machine's count (and 2 x, 4 x it for 10a), whatever -t says.
# Exit status: 0 all targets met, 1 some missed, 2 could not measure.
set -u

build= out= threads= callgrind=1 csv= company=1 main=1 ocsv= ccsv=
while [ $# -gt 0 ]; do
    case "$1" in
    -b) build=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    --csv) csv=$2; shift 2 ;;
    --no-callgrind) callgrind=0; shift ;;
    --company-only) main=0; callgrind=0; shift ;;
    --no-company) company=0; shift ;;
    --company-csv) ocsv=$2; ccsv=$3; main=0; callgrind=0; shift 3 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "perf-targets: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
if [ -z "$build" ]; then
    if [ -x build/harness/tpool-bench ]; then build=build; else build=.; fi
fi
[ -z "$out" ] && out="$build/perf-results"
here=$(cd "$(dirname "$0")" && pwd)
ncpu=$(nproc 2>/dev/null || echo 2)
if [ -z "$threads" ]; then
    threads=2
    [ "$ncpu" -gt 2 ] && threads="2,$ncpu"
fi
# Target 8 is read at the machine's thread count, or the largest measured.
tmax=$(echo "$threads" | tr ',' '\n' | sort -n | tail -1)
# The policies of the tree, from the build's one list (configure.ac's
# TPOOL_POLICIES, in tpool-build.h as TPOOL_BUILTIN_LIST).
shipped=$(sed -n 's/^#define TPOOL_BUILTIN_LIST(X) //p' "$build/tpool-build.h" 2>/dev/null |
    sed 's/X(\([a-z_]*\))/\1/g')
if [ -z "$shipped" ]; then
    echo "perf-targets: cannot read the policy list from $build/tpool-build.h" >&2
    exit 2
fi
# Splits one CSV record into f[] (RFC 4180 quotes; no newline inside
# fields): the awk function both reports below begin with.
csvsplit='
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
'


status=0
if [ $main -eq 1 ]; then
if [ -z "$csv" ]; then
    bench="$build/harness/tpool-bench"
    if [ ! -x "$bench" ]; then
        echo "perf-targets: $bench not found; build first" >&2
        exit 2
    fi
    mkdir -p "$out" || exit 2
    echo "perf-targets: running performance.json at threads $threads (a few minutes)..." >&2
    "$bench" "$here/experiments/performance.json" -t "$threads" --out "$out" -q
    rc=$?
    if [ $rc -eq 2 ]; then
        echo "perf-targets: tpool-bench could not run the experiment" >&2
        exit 2
    fi
    [ $rc -ne 0 ] && echo "perf-targets: warning: tpool-bench exited $rc (a result check failed?)" >&2
    csv="$out/tpool-bench.csv"
fi
if [ ! -f "$csv" ]; then
    echo "perf-targets: $csv not found" >&2
    exit 2
fi

awk -F, -v tmax="$tmax" -v shippedlist="$shipped" "$csvsplit"'
function get(w, x, t, col) { k = w SUBSEP x SUBSEP t SUBSEP col; return (k in v) ? v[k] : "" }
function has(w, x, t) { return ((w SUBSEP x SUBSEP t SUBSEP "median_ns_per_run") in v) }
# Best (smallest median) module policy on workload w at t; "" when none.
function best(w, t,    x, b, m) {
    b = ""
    for (x in ispol) if (has(w, x, t) && x !~ /^builtin/) {
        m = get(w, x, t, "median_ns_per_run") + 0
        if (b == "" || m < bm) { b = x; bm = m }
    }
    return b
}
function ns(x) { return x >= 1e6 ? sprintf("%.2fms", x / 1e6) : x >= 1e3 ? sprintf("%.2fus", x / 1e3) : sprintf("%.0fns", x) }
function verdict(ok) { if (!ok) missed++; return ok ? "PASS" : "MISS" }
# One line: target, what, measured ratio, the bound, and the verdict.
function line(tg, what, r, op, bound,    ok) {
    if (r == "") { printf "%-3s %-58s %9s  %-8s %s\n", tg, what, "n/a", op " " bound, "MISS (no data)"; missed++; return }
    ok = (op == "<=") ? (r <= bound + 1e-12) : (r >= bound - 1e-12)
    printf "%-3s %-58s %9.4g  %-8s %s\n", tg, what, r, op " " bound, verdict(ok)
}
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "" : (a + 0) / (b + 0) }
NR == 1 { n = csvsplit($0, h); for (i = 1; i <= n; i++) col[h[i]] = i; next }
{
    csvsplit($0, f)
    w = f[col["workload"]]; x = f[col["executor"]]; t = f[col["threads"]]
    kind[x] = f[col["executor_kind"]]
    if (kind[x] == "policy") ispol[x] = 1
    if (f[col["check_ok"]] != "1") bad = bad " " w "/" x "/T" t
    split("median_ns_per_run items_per_run throughput_items_per_s efficiency idle_cpu_ns_per_window idle_window_ns producer_share", cs, " ")
    for (i in cs) v[w, x, t, cs[i]] = f[col[cs[i]]]
    if (kind[x] == "serial") serial[w] = 1
    ts[t] = 1
}
END {
    missed = 0
    nshipped = split(shippedlist, shipped, " ")
    printf "%-3s %-58s %9s  %-8s %s\n", "#", "target (ratio of medians, one interleaved run)", "measured", "bound", ""
    for (t in ts) {
        if (kind["serial"] != "" && t == 1) continue
        # 1: dispatch latency, empty-T
        b = best("empty-T", t)
        # one dispatch: the run median over its calls (items = calls x T)
        it = get("empty-T", b, t, "items_per_run")
        line("1", sprintf("empty-T T=%s: %s vs pthreadpool (%s/call)", t, b,
                          it == "" ? "?" : ns(get("empty-T", b, t, "median_ns_per_run") * t / it)),
             ratio(get("empty-T", b, t, "median_ns_per_run"), get("empty-T", "pthreadpool", t, "median_ns_per_run")), "<=", 0.5)
        line("1", sprintf("empty-T T=%s: %s vs omp-static", t, b),
             ratio(get("empty-T", b, t, "median_ns_per_run"), get("empty-T", "omp-static", t, "median_ns_per_run")), "<=", 1.0)
        # 2: empty range of 1000 items
        b2 = best("empty-1000", t)
        line("2", sprintf("empty-1000 T=%s: %s vs omp-static", t, b2),
             ratio(get("empty-1000", b2, t, "median_ns_per_run"), get("empty-1000", "omp-static", t, "median_ns_per_run")), "<=", 1.0)
        # 3: idle CPU after a dispatch, for the policy that is best on target 1
        line("3", sprintf("idle CPU/%sms after empty-T T=%s: %s vs pthreadpool", get("empty-T", b, t, "idle_window_ns") / 1e6, t, b),
             ratio(get("empty-T", b, t, "idle_cpu_ns_per_window"), get("empty-T", "pthreadpool", t, "idle_cpu_ns_per_window")), "<=", 0.1)
        # 4: tiny tasks, one producer
        line("4", sprintf("tiny-tasks-1p T=%s: stealing vs omp-task, tasks/s", t),
             ratio(get("tiny-tasks-1p", "stealing", t, "throughput_items_per_s"), get("tiny-tasks-1p", "omp-task", t, "throughput_items_per_s")), ">=", 3)
        # 5: imbalance, makespan / ideal = 1 / efficiency
        split("stealing dynamic-guided", im, " ")
        for (i = 1; i <= 2; i++) {
            e = get("triangular", im[i], t, "efficiency")
            line("5", sprintf("triangular T=%s: %s makespan / ideal", t, im[i]), e == "" ? "" : 1 / e, "<=", 1.02)
            e = get("heavy-tailed", im[i], t, "efficiency")
            line("5", sprintf("heavy-tailed T=%s: %s makespan / ideal", t, im[i]), e == "" ? "" : 1 / e, "<=", 1.05)
        }
        e = get("triangular", "static", t, "efficiency")
        if (e != "")
            printf "%-3s %-58s %9.3f  %-8s %s\n", "5", sprintf("triangular T=%s: static makespan / ideal", t), 1 / e, "~" (t == 2 ? "1.5" : "?"), "(expected imbalance, not a target)"
        # 6: bulk throughput
        b6 = best("bulk", t)
        line("6", sprintf("bulk T=%s: %s vs pthreadpool, items/s", t, b6),
             ratio(get("bulk", b6, t, "throughput_items_per_s"), get("bulk", "pthreadpool", t, "throughput_items_per_s")), ">=", 1.0)
        # 7: built in vs module, on 1 and 6
        split("stealing dynamic", pl, " ")
        split("empty-T bulk", wl, " ")
        for (i = 1; i <= 2; i++) for (j = 1; j <= 2; j++) {
            r = ratio(get(wl[j], "builtin-" pl[i], t, "median_ns_per_run"), get(wl[j], pl[i], t, "median_ns_per_run"))
            line("7", sprintf("%s T=%s: builtin:%s vs %s.so, |ratio - 1|", wl[j], t, pl[i], pl[i]),
                 r == "" ? "" : (r > 1 ? r - 1 : 1 - r), "<=", 0.02)
        }
        # 11: every shipped policy dispatches within 2x of the best one, and
        # static at most OpenMP static
        split("empty-T empty-1000", ew, " ")
        for (j = 1; j <= 2; j++) {
            bb = best(ew[j], t)
            for (i = 1; i <= nshipped; i++)
                if (has(ew[j], shipped[i], t))
                    line("11", sprintf("%s T=%s: %s vs best (%s)", ew[j], t, shipped[i], bb),
                         ratio(get(ew[j], shipped[i], t, "median_ns_per_run"), get(ew[j], bb, t, "median_ns_per_run")), "<=", 2.0)
            line("11", sprintf("%s T=%s: static vs omp-static", ew[j], t),
                 ratio(get(ew[j], "static", t, "median_ns_per_run"), get(ew[j], "omp-static", t, "median_ns_per_run")), "<=", 1.0)
        }
        # 12: tiny tasks against oneTBB task_group, one producer and many;
        # the share each executor ran on its producer(s) beside it
        split("tiny-tasks-1p tiny-tasks-np", tw, " ")
        for (j = 1; j <= 2; j++) {
            line("12", sprintf("%s T=%s: stealing vs tbb-task, tasks/s", tw[j], t),
                 ratio(get(tw[j], "stealing", t, "throughput_items_per_s"), get(tw[j], "tbb-task", t, "throughput_items_per_s")), ">=", 1.5)
            split("stealing tbb-task omp-task", px, " ")
            share = ""
            for (i = 1; i <= 3; i++) {
                ps = get(tw[j], px[i], t, "producer_share")
                share = share sprintf(" %s %s", px[i], ps == "" ? "n/a" : sprintf("%.0f%%", 100 * ps))
            }
            printf "%-3s %s T=%s: share run on the producer(s):%s\n", "12", tw[j], t, share
        }
        # 13: short calls, the default policy of the drop-in (stealing) and the
        # best policy against Debian libpthreadpool
        line("13", sprintf("short-calls T=%s: stealing vs pthreadpool", t),
             ratio(get("short-calls", "stealing", t, "median_ns_per_run"), get("short-calls", "pthreadpool", t, "median_ns_per_run")), "<=", 1.0)
        b13 = best("short-calls", t)
        line("13", sprintf("short-calls T=%s: %s vs pthreadpool", t, b13),
             ratio(get("short-calls", b13, t, "median_ns_per_run"), get("short-calls", "pthreadpool", t, "median_ns_per_run")), "<=", 1.0)
        # 8: tiled-gemm efficiency at the machine thread count
        if (t == tmax) {
            b8 = best("tiled-gemm", t)
            line("8", sprintf("tiled-gemm T=%s: %s efficiency (speedup / T)", t, b8),
                 get("tiled-gemm", b8, t, "efficiency"), ">=", 0.95)
        }
    }
    if (bad != "") printf "result checks FAILED:%s\n", bad
    exit missed > 0 ? 1 : 0
}' "$csv"
status=$?
fi

if [ $callgrind -eq 1 ]; then
    echo
    echo "9   instructions per dispatch at one thread (callgrind, exact):"
    "$here/callgrind-dispatch.sh" "$build"
    cg=$?
    if [ $cg -eq 0 ]; then echo "9   PASS"; elif [ $cg -eq 1 ]; then echo "9   MISS"; status=1
    else echo "9   not measured (see above)"; [ $status -eq 0 ] && status=2; fi
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
    bench="$build/harness/tpool-bench"
    echo
    echo "machine: $(nproc 2>/dev/null) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) at the start of 10"
    if [ -z "$ocsv" ]; then
        if [ ! -x "$bench" ]; then
            echo "perf-targets: $bench not found; build first" >&2
            exit 2
        fi
        mkdir -p "$out/oversubscription" "$out/company" || exit 2
        ot="$ncpu,$((2 * ncpu)),$((4 * ncpu))"
        cmd1="$bench $here/experiments/oversubscription.json -t $ot --out $out/oversubscription -q"
        cmd2="$bench $here/experiments/company.json -t $ncpu --out $out/company -q"
        echo "command (10a): $cmd1"
        echo "command (10b-d): $cmd2"
        echo "perf-targets: running oversubscription.json and company.json (a few minutes)..." >&2
        $cmd1; rc1=$?
        $cmd2; rc2=$?
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
    awk -F, -v ncpu="$ncpu" -v shippedlist="$shipped" "$csvsplit"'
FNR == 1 { file++; delete col; n = csvsplit($0, h); for (i = 1; i <= n; i++) col[h[i]] = i; next }
{
    csvsplit($0, f)
    w = f[col["workload"]]; x = f[col["executor"]]; t = f[col["threads"]]
    k = file SUBSEP w SUBSEP x SUBSEP t
    med[k] = f[col["median_ns_per_run"]]; lo[k] = f[col["ci_low_ns_per_run"]]; hi[k] = f[col["ci_high_ns_per_run"]]
    ok[k] = f[col["check_ok"]]
    cr[k] = f[col["company_ratio"]]; crl[k] = f[col["company_ratio_ci_low"]]; crh[k] = f[col["company_ratio_ci_high"]]
    kind[x] = f[col["executor_kind"]]
    if (ok[k] != "1") bad = bad " " w "/" x "/T" t
    if (file == 1 && !((w SUBSEP x) in seen)) { seen[w SUBSEP x] = 1; order[++nord] = w SUBSEP x }
    if (file == 2 && x !~ /\+/ && !(x in cseen)) { cseen[x] = 1; corder[++ncord] = x }
}
function row(tg, what, r, l, h, bound, target,    v) {
    if (r == "") { printf "%-4s %-66s %9s  %-21s %-7s %s\n", tg, what, "n/a", "", "<= " bound, target ? "MISS (no data)" : "(comparison)"; if (target) missed++; return }
    v = (r <= bound + 1e-12) ? "PASS" : "MISS"
    if (target && v == "MISS") missed++
    printf "%-4s %-66s %9.3f  [%8.3f, %8.3f]  %-7s %s\n", tg, what, r, l, h, "<= " bound, target ? v : "(comparison: " v ")"
}
END {
    missed = 0
    nshipped = split(shippedlist, shipped, " ")
    printf "%-4s %-66s %9s  %-21s %-7s %s\n", "#", "target", "ratio", "95% CI", "bound", ""
    for (i = 1; i <= nord; i++) {
        split(order[i], p, SUBSEP); w = p[1]; x = p[2]
        a = 1 SUBSEP w SUBSEP x SUBSEP ncpu
        if (!(a in med) || med[a] + 0 <= 0) continue
        for (m = 2; m <= 4; m *= 2) {
            b = 1 SUBSEP w SUBSEP x SUBSEP (m * ncpu)
            if (!(b in med)) continue
            r = med[b] / med[a]
            row("10a", sprintf("%s %s: T=%d vs T=%d (oversubscribed)", w, x, m * ncpu, ncpu), r,
                hi[a] > 0 ? lo[b] / hi[a] : "", lo[a] > 0 ? hi[b] / lo[a] : "", 1.1, kind[x] == "policy")
        }
    }
    split("thread process omp", mode, " ")
    split("10b 10c 10d", tgn, " ")
    split("a twin in this process|a twin in a second process|an OpenMP team", desc, "|")
    for (j = 1; j <= 3; j++)
        for (i = 1; i <= ncord; i++) {
            x = corder[i]; c = 2 SUBSEP "uniform" SUBSEP x "+" mode[j] SUBSEP ncpu
            if (!(c in cr)) continue
            row(tgn[j], sprintf("uniform T=%d %s beside %s: pair / alone", ncpu, x, desc[j]), cr[c], crl[c], crh[c], 1.1,
                kind[x] == "policy")
        }
    if (bad != "") printf "result checks FAILED:%s\n", bad
    exit (missed > 0 || bad != "") ? 1 : 0
}' "$ocsv" "$ccsv"
    st=$?
    [ $st -ne 0 ] && [ $status -eq 0 ] && status=$st
fi
exit $status
