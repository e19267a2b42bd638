#!/bin/sh
# pkgconfig_check.sh - the variables of the build's tpool.pc that scripts
# and out-of-tree policies rely on say what the build does:
#   policydir   the directory policies are installed into: the loader's
#               install directory, the last one tpool-info --policy-path
#               prints;
#   pkglibdir   its older name, the same value;
#   policy_abi  MAJOR.MINOR of include/tpool-policy.h (a stale tpool.pc,
#               made before the header changed, fails here: rerun configure);
#   bench_abi   the same of include/tpool-bench.h, tpool-bench's workloads.
# bindir is configure's; tests/template_check.sh and tests/debian_check.sh
# (CI) find the installed tools through it.
# An automake TESTS script: the test environment gives srcdir (tests/ of the
# source tree) and top_builddir.
set -u
srcdir=${srcdir:-.}
top_srcdir="$srcdir/.."
top_builddir=${top_builddir:-..}
failed=0

bad() {
    echo "pkgconfig_check: FAIL: $*"
    failed=1
}

command -v pkg-config >/dev/null 2>&1 || { echo "pkgconfig_check: FAIL: pkg-config not found"; exit 1; }
[ -f "$top_builddir/tpool.pc" ] || { echo "pkgconfig_check: FAIL: $top_builddir/tpool.pc missing"; exit 1; }
# Only the build's tpool.pc, never an installed one.
PKG_CONFIG_LIBDIR="$top_builddir"
PKG_CONFIG_PATH=
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH

# expect VARIABLE VALUE
expect() {
    got=$(pkg-config --variable="$1" tpool) || { bad "pkg-config --variable=$1 tpool failed"; return; }
    if [ "$got" = "$2" ]; then
        echo "pkgconfig_check: $1=$got"
    else
        bad "$1 is '$got'; the build says '$2'"
    fi
}

# The install directory is the only one searched without a configuration
# and without TPOOL_POLICY_PATH.
installdir=$(env -u TPOOL_POLICY_PATH -u TPOOL_CONFIG "$top_builddir/core/tpool-info" --policy-path) ||
    bad "tpool-info --policy-path failed"
[ "$(printf '%s\n' "$installdir" | wc -l)" = 1 ] || bad "tpool-info --policy-path printed more than the install directory: $installdir"
expect policydir "$installdir"
expect pkglibdir "$installdir"
hdr="$top_srcdir/include/tpool-policy.h"
major=$(awk '$1 == "#define" && $2 == "TPOOL_POLICY_ABI_MAJOR" { print $3 }' "$hdr")
minor=$(awk '$1 == "#define" && $2 == "TPOOL_POLICY_ABI_MINOR" { print $3 }' "$hdr")
[ -n "$major" ] && [ -n "$minor" ] || bad "no TPOOL_POLICY_ABI_MAJOR/MINOR in $hdr"
expect policy_abi "$major.$minor"
hdr="$top_srcdir/include/tpool-bench.h"
major=$(awk '$1 == "#define" && $2 == "TPOOL_BENCH_ABI_MAJOR" { print $3 }' "$hdr")
minor=$(awk '$1 == "#define" && $2 == "TPOOL_BENCH_ABI_MINOR" { print $3 }' "$hdr")
[ -n "$major" ] && [ -n "$minor" ] || bad "no TPOOL_BENCH_ABI_MAJOR/MINOR in $hdr"
expect bench_abi "$major.$minor"

[ $failed = 0 ] || exit 1
echo "pkgconfig_check: ok"
