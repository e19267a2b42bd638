#!/bin/sh
# workload_list_check.sh - harness/workload-list.sh, through which the build
# makes the workload registry and the schema's enum from BENCH_WORKLOADS:
# a file in harness/workloads/ that is neither listed nor a helper (its line
# forgotten) fails with its name; a listed file without a descriptor name
# fails; the names come out in listing order as JSON strings. The rules in
# harness/tpool-bench.mk run this script, so these failures are the build's.
#
# An automake TESTS script: the test environment gives srcdir (tests/ of the
# source tree).
set -eu

srcdir=${srcdir:-.}
script=$srcdir/../harness/workload-list.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/harness/workloads"
wl() { printf 'const tpool_bench_workload bench_wl_%s = {\n    .name = "%s",\n};\n' "$1" "$2" \
           >"$tmp/harness/workloads/$1.c"; }
wl alpha alpha-one
wl beta beta
echo 'int shared_code;' >"$tmp/harness/workloads/helper.c"
listed='harness/workloads/alpha.c harness/workloads/beta.c'
helpers='harness/workloads/helper.c'

sh "$script" header "$tmp" "$listed" "$helpers" >"$tmp/out" || fail "header: the lists are complete"
printf 'BENCH_WORKLOAD(bench_wl_alpha)\nBENCH_WORKLOAD(bench_wl_beta)\n' | cmp -s - "$tmp/out" ||
    { cat "$tmp/out"; fail "header: not one BENCH_WORKLOAD line per listed file"; }

# a workload file whose line in BENCH_WORKLOADS was forgotten
wl gamma gamma
if sh "$script" header "$tmp" "$listed" "$helpers" >"$tmp/out" 2>"$tmp/err"; then
    fail "header: accepted harness/workloads/gamma.c, in neither list"
fi
grep -q "gamma.c: a workload file that is not in BENCH_WORKLOADS" "$tmp/err" ||
    { cat "$tmp/err"; fail "header: the error does not name the forgotten file"; }

[ "$(sh "$script" names "$tmp" "$listed")" = '"alpha-one", "beta"' ] ||
    fail "names: expected \"alpha-one\", \"beta\""
if sh "$script" names "$tmp" "$listed $helpers" >"$tmp/out" 2>"$tmp/err"; then
    fail "names: accepted a listed file without a descriptor name"
fi
grep -q "helper.c: expected one line" "$tmp/err" ||
    { cat "$tmp/err"; fail "names: the error does not name the file"; }
echo "workload_list_check: ok"
