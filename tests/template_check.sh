#!/bin/sh
# template_check.sh - checks examples/policy-template the way a student uses
# it: installs tpool into a temporary prefix (a configure and build of its
# own), builds the template against it with its own Makefile and nothing but
# pkg-config, then loads the policy: tpool-info --check-config on its
# configuration, the demo (a pool running tasks, a parallel-for, a resize),
# tpool-info --policies and tpool-bench finding it by name, and, after
# `make install`, in tpool's own policy directory (pkg-config's policydir);
# `make check` runs tpool-conformance from pkg-config's bindir. Then the
# same for examples/workload-template: built against the installed
# tpool-bench.h with pkg-config alone, listed and measured under every
# installed policy by the installed tpool-bench, its file named in the
# results, a bad parameter refused at its place.
#
# Not part of make check (it installs, and builds the whole tree again);
# .ci/run calls it. Needs a source tree with ./configure (./autogen.sh).
# Usage: tests/template_check.sh
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/template_check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
tpl="$tmp/policy-template"

fail() {
    echo "template_check: FAIL: $*" >&2
    exit 1
}
step() { echo "== template_check: $*"; }

[ -x "$src/configure" ] || fail "$src/configure missing; run ./autogen.sh first"

step "install tpool into a temporary prefix"
mkdir "$tmp/build"
if ! (cd "$tmp/build" && "$src/configure" --prefix="$prefix" --enable-werror >log 2>&1 &&
    make -j"$(nproc)" >>log 2>&1 && make install >>log 2>&1); then
    tail -n 40 "$tmp/build/log"
    fail "configure, make or make install of tpool failed"
fi
PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
unset TPOOL_CONFIG TPOOL_POLICY TPOOL_THREADS TPOOL_POLICY_PATH
pkg-config --exists tpool || fail "pkg-config does not find the installed tpool.pc"
[ "$(pkg-config --variable=policydir tpool)" = "$prefix/lib/tpool" ] ||
    fail "pkg-config --variable=policydir tpool is not $prefix/lib/tpool"
[ "$(pkg-config --variable=bindir tpool)" = "$prefix/bin" ] ||
    fail "pkg-config --variable=bindir tpool is not $prefix/bin"

step "build the template with its own Makefile (pkg-config only)"
cp -R "$src/examples/policy-template" "$tpl"
chmod -R u+w "$tpl" # a distcheck source tree is read-only
make -C "$tpl" clean all CFLAGS="-O2 -g -Wall -Wextra -Werror" ||
    fail "the template does not build against the installed tpool"
# The policy uses the header only; linking libtpool would tie it to one build.
if readelf -d "$tpl/lifo.so" | grep NEEDED | grep -q libtpool; then
    fail "lifo.so links libtpool; a policy needs only tpool-policy.h"
fi

step "tpool-info --check-config lifo.json"
"$prefix/bin/tpool-info" --check-config "$tpl/lifo.json" >"$tmp/resolved.json" ||
    fail "tpool-info --check-config refused lifo.json"
cat "$tmp/resolved.json"
grep -q '"lifo"' "$tmp/resolved.json" || fail "the resolved configuration does not name lifo"
grep -q "$tpl/lifo.so" "$tmp/resolved.json" || fail "the resolved policy file is not the template's"

step "a bad parameter is refused with its key and position"
sed 's/"tile": 0/"tile": "big"/' "$tpl/lifo.json" >"$tpl/bad.json"
if "$prefix/bin/tpool-info" --check-config "$tpl/bad.json" 2>"$tmp/bad.txt"; then
    fail "tile \"big\" accepted"
fi
cat "$tmp/bad.txt"
grep -q 'bad.json:4:.*params.tile' "$tmp/bad.txt" || fail "the error does not name params.tile and its line"

step "the demo: tasks, nested tasks, parallel-for, grow and shrink"
(cd "$tpl" && ./lifo-demo lifo.json) >"$tmp/demo.txt" 2>&1 || { cat "$tmp/demo.txt"; fail "lifo-demo failed"; }
cat "$tmp/demo.txt"
grep -q '^policy lifo,' "$tmp/demo.txt" || fail "lifo-demo did not run lifo"

step "found by name on TPOOL_POLICY_PATH: tpool-info --policies, tpool-bench"
TPOOL_POLICY_PATH="$tpl" "$prefix/bin/tpool-info" --policies >"$tmp/policies.txt" ||
    fail "tpool-info --policies"
grep -q 'lifo' "$tmp/policies.txt" || fail "tpool-info --policies does not list lifo"
TPOOL_POLICY_PATH="$tpl" "$prefix/bin/tpool-bench" "$tpl/bench.json" -t 2 -r 1 --warmup 0 \
    --scale 0.05 --no-files --progress never >"$tmp/bench.txt" 2>&1 ||
    { cat "$tmp/bench.txt"; fail "tpool-bench on the template's experiment"; }
cat "$tmp/bench.txt"
grep -q '^lifo ' "$tmp/bench.txt" || fail "tpool-bench's table has no lifo row"

step "make install: the installed tpool finds lifo without TPOOL_POLICY_PATH"
make -C "$tpl" install || fail "make install of the template"
[ -f "$prefix/lib/tpool/lifo.so" ] || fail "lifo.so not in $prefix/lib/tpool"
"$prefix/bin/tpool-info" --policies >"$tmp/policies2.txt" || fail "tpool-info --policies"
grep -q 'lifo' "$tmp/policies2.txt" || fail "the installed lifo.so is not listed"

step "make check: the demo, then tpool-conformance from pkg-config's bindir"
make -C "$tpl" check || fail "make check of the template (lifo-demo or tpool-conformance)"

step "make uninstall"
make -C "$tpl" uninstall || fail "make uninstall of the template"
[ ! -e "$prefix/lib/tpool/lifo.so" ] || fail "lifo.so still in $prefix/lib/tpool"

wtpl="$tmp/workload-template"
step "the workload template: built with its own Makefile (pkg-config only)"
[ -f "$prefix/include/tpool-bench.h" ] || fail "tpool-bench.h is not installed"
[ "$(pkg-config --variable=bench_abi tpool)" != "" ] || fail "tpool.pc has no bench_abi"
cp -R "$src/examples/workload-template" "$wtpl"
chmod -R u+w "$wtpl"
make -C "$wtpl" clean all CFLAGS="-O2 -g -Wall -Wextra -Werror" ||
    fail "the workload template does not build against the installed tpool"
if readelf -d "$wtpl/jobs.so" | grep NEEDED | grep -q libtpool; then
    fail "jobs.so links libtpool; a workload needs only tpool-bench.h"
fi

step "the installed tpool-bench lists it and runs it under every policy"
"$prefix/bin/tpool-bench" --list-workloads -w "$wtpl/jobs.so" >"$tmp/wl.txt" ||
    { cat "$tmp/wl.txt"; fail "tpool-bench --list-workloads -w jobs.so"; }
grep -q '^  jobs ' "$tmp/wl.txt" || fail "--list-workloads does not list jobs"
grep -q 'long_share' "$tmp/wl.txt" || fail "--list-workloads does not list jobs' parameters"
(cd "$wtpl" && "$prefix/bin/tpool-bench" bench.json -t 1,2 -r 2 --warmup 0 --no-files \
    --json "$tmp/jobs.json" --progress never) >"$tmp/jobs.txt" 2>&1 ||
    { cat "$tmp/jobs.txt"; fail "tpool-bench on the workload template's experiment"; }
cat "$tmp/jobs.txt"
grep -q '^== jobs (jobs' "$tmp/jobs.txt" || fail "the table has no jobs block"
grep -q 'short_flow_mean' "$tmp/jobs.txt" || fail "the table does not show the jobs metric"
grep -q 'CHECK FAILED' "$tmp/jobs.txt" && fail "a jobs cell failed its check"
# The installed policy modules, as the library lists them (a name starts
# a line; the built-in copies, builtin:NAME, are not modules on the path).
shipped=$("$prefix/bin/tpool-info" --policies 2>/dev/null | grep -E '^[a-z0-9_-]+$')
[ -n "$shipped" ] || fail "tpool-info --policies lists no installed policy"
for p in $shipped; do
    grep -q "^$p " "$tmp/jobs.txt" || fail "no $p row for the jobs workload"
done
grep -q "\"file\": \"$(cd "$wtpl" && pwd -P)/jobs.so\"" "$tmp/jobs.json" ||
    fail "the results do not name the workload's file"

step "a bad parameter of the workload is refused with its key and position"
sed 's/"long_ns": 50000}}/"long_ns": 50000, "long_share": 2}}/' "$wtpl/bench.json" >"$wtpl/bad.json"
if (cd "$wtpl" && "$prefix/bin/tpool-bench" bad.json --no-files -q 2>"$tmp/badwl.txt"); then
    fail "long_share 2 accepted"
fi
cat "$tmp/badwl.txt"
grep -q 'bad.json:11:.*workloads\[0\].params.long_share: expected a number in \[0, 1\], got 2' \
    "$tmp/badwl.txt" || fail "the error does not name workloads[0].params.long_share and its line"

step "make check of the workload template"
make -C "$wtpl" check >"$tmp/wlcheck.txt" 2>&1 || { cat "$tmp/wlcheck.txt"; fail "make check of the workload template"; }
echo "template_check: ok"
