#!/bin/sh
# template_check.sh - checks examples/policy-template the way a student uses
# it: installs tpool into a temporary prefix (a configure and build of its
# own), builds the template against it with its own Makefile and nothing but
# pkg-config, then loads the policy: tpool-info --check-config on its
# configuration, the demo (a pool running tasks, a parallel-for, a resize),
# tpool-info --policies and tpool-bench finding it by name, and, after
# `make install`, in tpool's own policy directory (pkg-config's policydir);
# `make check` runs tpool-conformance from pkg-config's bindir.
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
echo "template_check: ok"
