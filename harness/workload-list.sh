#!/bin/sh
# workload-list.sh - the build's view of BENCH_WORKLOADS (harness/tpool-bench.mk),
# the one list of built-in workloads, so that a workload is its file and its
# line there and nothing else is edited by hand.
#
#   workload-list.sh header SRCDIR 'LISTED' 'HELPERS'
#       prints harness/workload-list.h (one BENCH_WORKLOAD(bench_wl_NAME) per
#       listed file), after checking that every SRCDIR/harness/workloads/*.c
#       is listed or is a helper: a workload file whose line was forgotten
#       fails the build instead of silently not being built in.
#   workload-list.sh names SRCDIR 'LISTED'
#       prints the listed workloads' descriptor names as JSON strings
#       ("empty", "uniform", ...), read from each file's `.name = "..."`,
#       for the schema's enum (harness/schema.json.in).
#
# LISTED and HELPERS are paths relative to SRCDIR, separated by blanks.
set -eu
mode=$1 srcdir=$2 listed=$3

case $mode in
header)
    helpers=$4
    for f in "$srcdir"/harness/workloads/*.c; do
        case " $listed $helpers " in
        *" harness/workloads/${f##*/} "*) ;;
        *)
            echo "$f: a workload file that is not in BENCH_WORKLOADS (harness/tpool-bench.mk):" \
                 "add its line there, or to BENCH_WORKLOAD_HELPERS if it defines no workload" >&2
            exit 1 ;;
        esac
    done
    for f in $listed; do
        n=${f##*/}
        echo "BENCH_WORKLOAD(bench_wl_${n%.c})"
    done ;;
names)
    sep=
    for f in $listed; do
        # The descriptor's name line, as every workload file writes it.
        n=$(sed -n 's/^ *\.name = "\([^"]*\)",$/\1/p' "$srcdir/$f")
        case $n in
        "" | *"
"*)
            echo "$srcdir/$f: expected one line '.name = \"NAME\",' in its workload descriptor," \
                 "found ${n:+more than one}${n:-none}" >&2
            exit 1 ;;
        esac
        printf '%s"%s"' "$sep" "$n"
        sep=', '
    done
    echo ;;
*)
    echo "usage: workload-list.sh header SRCDIR 'LISTED' 'HELPERS' | names SRCDIR 'LISTED'" >&2
    exit 2 ;;
esac
