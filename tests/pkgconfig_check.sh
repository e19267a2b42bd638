#!/bin/sh
# pkgconfig_check.sh - the variables of the build's tpool.pc that scripts
# and out-of-tree policies rely on say what the build does:
#   policydir   the directory policies are installed into, which is the
#               loader's install directory (make's $(pkglibdir));
#   pkglibdir   its older name, the same value;
#   bindir      where tpool-bench, tpool-info and tpool-conformance go;
#   policy_abi  MAJOR.MINOR of include/tpool-policy.h (a stale tpool.pc,
#               made before the header changed, fails here: rerun configure).
# An automake TESTS script (tests/Makefile.am sets TPOOL_TOP_*, and
# tests/packaging.mk TPOOL_TEST_PKGLIBDIR and TPOOL_TEST_BINDIR, from make's).
set -u
src=${TPOOL_TOP_SRCDIR:?}
build=${TPOOL_TOP_BUILDDIR:?}
failed=0

bad() {
    echo "pkgconfig_check: FAIL: $*"
    failed=1
}

command -v pkg-config >/dev/null 2>&1 || { echo "pkgconfig_check: FAIL: pkg-config not found"; exit 1; }
[ -f "$build/tpool.pc" ] || { echo "pkgconfig_check: FAIL: $build/tpool.pc missing"; exit 1; }
# Only the build's tpool.pc, never an installed one.
PKG_CONFIG_LIBDIR="$build"
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

expect policydir "${TPOOL_TEST_PKGLIBDIR:?}"
expect pkglibdir "$TPOOL_TEST_PKGLIBDIR"
expect bindir "${TPOOL_TEST_BINDIR:?}"
hdr="$src/include/tpool-policy.h"
major=$(awk '$1 == "#define" && $2 == "TPOOL_POLICY_ABI_MAJOR" { print $3 }' "$hdr")
minor=$(awk '$1 == "#define" && $2 == "TPOOL_POLICY_ABI_MINOR" { print $3 }' "$hdr")
[ -n "$major" ] && [ -n "$minor" ] || bad "no TPOOL_POLICY_ABI_MAJOR/MINOR in $hdr"
expect policy_abi "$major.$minor"

[ $failed = 0 ] || exit 1
echo "pkgconfig_check: ok"
