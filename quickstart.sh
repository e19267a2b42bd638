#!/bin/sh
# quickstart.sh - set up, build and run tpool on a fresh Debian machine.
#   ./quickstart.sh run    build, then run the main job (tpool-bench: every
#                          policy on the default experiment)
#   ./quickstart.sh test   build, then run the whole test suite (make check)
# Run as root, it installs missing Debian packages with apt-get; otherwise it
# prints the exact apt-get line and stops. The build goes to ./build.
set -eu
cd "$(dirname "$0")"

mode=${1:-}
case "$mode" in
run | test) ;;
*)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac

# What the build and the tests need (libpthreadpool-dev: the compatibility
# tests and the harness's baseline; g++ and libtbb-dev: the harness's
# oneTBB baselines; gnuplot-nox: the harness's plots; groff-base: the test
# that renders the man pages).
PACKAGES="gcc g++ make autoconf automake libtool pkg-config libjansson-dev check libsubunit-dev libpthreadpool-dev libtbb-dev gnuplot-nox groff-base"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "quickstart: installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing
    else
        echo "quickstart: missing packages. Install them with:" >&2
        echo "  sudo apt-get install -y$missing" >&2
        exit 1
    fi
fi

[ -x configure ] || ./autogen.sh
mkdir -p build
cd build
[ -f Makefile ] || ../configure
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs"

# Policies are found in the build tree without installing.
TPOOL_POLICY_PATH=$(for d in "$PWD"/policies/*/.libs; do printf '%s:' "$d"; done | sed 's/:$//')
export TPOOL_POLICY_PATH

case "$mode" in
run)
    # Every policy on the default workloads, side by side, in three
    # separate runs (the default experiment's "runs"); results in
    # build/results (table, CSV, JSON, plots). See docs/harness.md.
    exec ./harness/tpool-bench --runs 3 --out results
    ;;
test)
    if ! make -j"$jobs" check; then
        sh ../tests/failed_logs.sh .
        exit 1
    fi
    ;;
esac
