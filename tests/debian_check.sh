#!/bin/sh
# debian_check.sh - the Debian packages, built and used as a new user would:
#   1. dpkg-buildpackage -us -uc -b on a copy of the source tree (without
#      the test suite: DEB_BUILD_OPTIONS=nocheck, make check runs elsewhere);
#   2. lintian: no error and no warning (the one suppressed tag is named
#      below, with why);
#   3. apt-get install ./*.deb beside Debian's libpthreadpool0, which must
#      stay installed and keep its file;
#   4. the man pages: installed, rendered without warnings by man;
#   5. the README's native example, compiled with pkg-config and run;
#   6. the tutorial's policy template, copied from libtpool-dev's
#      documentation, built, checked (demo, tpool-conformance), installed
#      into `pkg-config --variable=policydir tpool` and run by tpool-info
#      and tpool-bench by name;
#   7. a program built against Debian's pthreadpool (libpthreadpool-dev),
#      run on Debian's library and then on tpool's drop-in through
#      LD_LIBRARY_PATH.
# Then it purges the packages it installed and removes the template's
# lifo.so (also on failure), so that the machine is as before, except for
# the build tools it installs (debhelper, lintian, man-db...), which stay.
# It prints how long each step took.
#
# Runs as root (apt-get); .ci/run calls it. By hand, from the source tree:
#   sudo tests/debian_check.sh [--keep]
# --keep leaves the packages installed and prints where the .debs are.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
keep=0
case "${1:-}" in
--keep) keep=1 ;;
"") ;;
*)
    echo "usage: $0 [--keep]" >&2
    exit 2
    ;;
esac

PKGS="libtpool0 libtpool-dev tpool-policies tpool-tools tpool-pthreadpool"
# What the packaging needs beyond quickstart.sh's packages (build
# dependencies without the nocheck ones, lintian, man for the pages).
TOOLS="debhelper dpkg-dev lintian man-db groff-base pkg-config libjansson-dev libpthreadpool-dev
    g++ libtbb-dev"
export DEBIAN_FRONTEND=noninteractive
APT="apt-get -y -q -o DPkg::Lock::Timeout=600"

fail() {
    echo "debian_check: FAIL: $*" >&2
    exit 1
}
step() {
    now=$(date +%s)
    [ -z "${step_name:-}" ] || times="$times  $step_name: $((now - step_start)) s
"
    step_name=$1
    step_start=$now
    echo "== debian_check: $1"
}
times=""

[ "$(id -u)" = 0 ] || fail "run as root: it installs and purges packages with apt-get"
[ -f "$src/debian/control" ] || fail "$src/debian/control missing"
for p in $PKGS; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        fail "$p is installed already; this check purges what it installs, so purge it first: apt-get purge $PKGS"
    fi
done
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
policydir_expected=/usr/lib/$ma/tpool
dropin=/usr/lib/$ma/tpool-pthreadpool
[ ! -e "$policydir_expected/lifo.so" ] ||
    fail "$policydir_expected/lifo.so exists already (not from this check); remove it first"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/debian_check.XXXXXX")
installed=0
lifo_installed=0
cleanup() {
    rc=$?
    if [ $keep = 0 ]; then
        [ $lifo_installed = 0 ] || rm -f "$policydir_expected/lifo.so"
        if [ $installed = 1 ]; then
            echo "== debian_check: purge $PKGS"
            t0=$(date +%s)
            # shellcheck disable=SC2086
            $APT purge $PKGS >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; rc=1; }
            echo "  purge: $(($(date +%s) - t0)) s"
        fi
        rm -rf "$tmp"
    else
        echo "debian_check: --keep: packages left installed; the .debs are in $tmp"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

step "install the build tools"
missing=""
for p in $TOOLS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    $APT update -qq >/dev/null
    # shellcheck disable=SC2086
    $APT install --no-install-recommends $missing >"$tmp/tools.log" 2>&1 ||
        { cat "$tmp/tools.log"; fail "apt-get install$missing"; }
fi
dpkg -s libpthreadpool0 >/dev/null 2>&1 || fail "libpthreadpool0 (Debian's) is not installed"
debian_lib=$(dpkg -L libpthreadpool0 | grep '/libpthreadpool\.so\.0$' | head -n 1)
[ -n "$debian_lib" ] || fail "libpthreadpool0 has no libpthreadpool.so.0"

step "dpkg-buildpackage -us -uc -b (nocheck)"
# A copy of the tree: dpkg-buildpackage writes its .debs into the parent
# directory and its build into debian/.
mkdir "$tmp/src"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    # Tracked and untracked files, not the ignored build outputs.
    (cd "$src" && git ls-files -co --exclude-standard -z |
        tar -cf - --null --no-recursion --ignore-failed-read -T -) | tar -xf - -C "$tmp/src"
else
    (cd "$src" && tar -cf - --exclude='./build*' .) | tar -xf - -C "$tmp/src"
fi
(cd "$tmp/src" && dpkg-checkbuilddeps -Pnocheck) || fail "build dependencies missing (see above)"
if ! (cd "$tmp/src" &&
    DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" dpkg-buildpackage -us -uc -b \
        >"$tmp/build.log" 2>&1); then
    tail -n 60 "$tmp/build.log"
    fail "dpkg-buildpackage failed (the whole log: rerun with --keep)"
fi
ls "$tmp"/*.deb
for p in $PKGS; do
    ls "$tmp/${p}_"*.deb >/dev/null 2>&1 || fail "no package $p was built"
done

step "lintian"
# initial-upload-closes-no-bugs: these packages close no Debian ITP bug
# because they are built from the project's tree, not uploaded.
lintian --fail-on error,warning --suppress-tags initial-upload-closes-no-bugs \
    "$tmp"/*.changes || fail "lintian reports errors or warnings (above)"

step "apt-get install ./*.deb beside libpthreadpool0"
(cd "$tmp" && $APT install ./*.deb) >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "apt-get install of the packages"; }
installed=1
dpkg -s libpthreadpool0 >/dev/null 2>&1 || fail "installing the packages removed libpthreadpool0"
[ "$(dpkg -S "$debian_lib" | cut -d: -f1)" = libpthreadpool0 ] ||
    fail "$debian_lib no longer belongs to libpthreadpool0"
[ "$(dpkg -S "$dropin/libpthreadpool.so.0" | cut -d: -f1)" = tpool-pthreadpool ] ||
    fail "$dropin/libpthreadpool.so.0 is not tpool-pthreadpool's"
[ "$(pkg-config --variable=policydir tpool)" = "$policydir_expected" ] ||
    fail "pkg-config --variable=policydir tpool is not $policydir_expected"
[ "$(pkg-config --variable=bindir tpool)" = /usr/bin ] || fail "pkg-config --variable=bindir tpool is not /usr/bin"
tpool-info --policy-path | grep -qx "$policydir_expected" ||
    fail "tpool-info does not search $policydir_expected"

step "man pages"
for page in tpool-bench.1 tpool-info.1 tpool-conformance.1 tpool.3 tpool-policy.7; do
    file=/usr/share/man/man${page##*.}/$page.gz
    if [ ! -f "$file" ]; then
        # Minimal images may exclude man pages (dpkg path-exclude); the
        # package must still ship them.
        dpkg -c "$tmp"/*.deb | grep -q "usr/share/man/man${page##*.}/$page.gz" ||
            fail "no package ships $page"
        echo "$file: excluded by this system's dpkg configuration; shipped"
        continue
    fi
    # man's own warnings, as lintian asks for them.
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$file" >/dev/null 2>"$tmp/man.err" ||
        fail "man cannot render $file"
    [ ! -s "$tmp/man.err" ] || { cat "$tmp/man.err"; fail "man warns about $file"; }
    echo "$file: ok"
done
if [ -f /usr/share/man/man3/tpool.3.gz ]; then
    MANPAGER=cat MANWIDTH=80 man 3 tpool >"$tmp/man.txt" 2>&1 || fail "man 3 tpool"
    grep -q 'tpool_parallel_range' "$tmp/man.txt" || fail "man 3 tpool does not show the API"
    grep -q "$dropin" "$tmp/man.txt" || fail "man 3 tpool does not give the drop-in's directory $dropin"
fi

step "the README's native example, built with pkg-config"
mkdir "$tmp/app"
awk '/^## Native API/ { sect = 1 } sect && /^```c$/ { code = 1; next }
     code && /^```$/ { exit } code { print }' "$src/README.md" >"$tmp/app/app.c"
[ -s "$tmp/app/app.c" ] || fail "no C block under \"## Native API\" in README.md"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$tmp/app/app" "$tmp/app/app.c" $(pkg-config --cflags --libs tpool) ||
    fail "the README's example does not build against the packages"
used=$(ldd "$tmp/app/app" | awk '$1 == "libtpool.so.0" { print $3 }')
[ -n "$used" ] && [ "$(readlink -f "$used")" = "$(readlink -f "/usr/lib/$ma/libtpool.so.0")" ] ||
    fail "the example does not use libtpool0's /usr/lib/$ma/libtpool.so.0 (ldd: ${used:-none})"
echo '{ "threads": 2, "policy": "stealing" }' >"$tmp/app/tpool.json"
(cd "$tmp/app" && ./app) >"$tmp/app/out" 2>&1 || { cat "$tmp/app/out"; fail "the README's example failed"; }
cat "$tmp/app/out"
grep -qx 'task: hello' "$tmp/app/out" || fail "the example's task did not run"
grep -qx 'stealing, 2 threads: x\[999\] = 998001' "$tmp/app/out" || fail "the example's output is wrong"
(cd "$tmp/app" && TPOOL_POLICY=dynamic ./app) >"$tmp/app/out" 2>&1 || { cat "$tmp/app/out"; fail "TPOOL_POLICY=dynamic"; }
grep -qx 'dynamic, 2 threads: x\[999\] = 998001' "$tmp/app/out" || { cat "$tmp/app/out"; fail "TPOOL_POLICY=dynamic not applied"; }

step "the policy template, from libtpool-dev, into pkg-config's policydir"
tpl=/usr/share/doc/libtpool-dev/examples/policy-template
[ -f "$tpl/lifo.c" ] || fail "$tpl/lifo.c missing (compressed or not shipped?)"
cp -R "$tpl" "$tmp/tpl"
make -C "$tmp/tpl" >"$tmp/tpl.log" 2>&1 || { cat "$tmp/tpl.log"; fail "the template does not build"; }
make -C "$tmp/tpl" check >"$tmp/tpl.log" 2>&1 ||
    { cat "$tmp/tpl.log"; fail "the template's make check (lifo-demo, tpool-conformance)"; }
grep -E '^(OK|FAILED):' "$tmp/tpl.log" || { cat "$tmp/tpl.log"; fail "no tpool-conformance summary"; }
lifo_installed=1
make -C "$tmp/tpl" install >"$tmp/tpl.log" 2>&1 || { cat "$tmp/tpl.log"; fail "the template's make install"; }
[ -f "$policydir_expected/lifo.so" ] || fail "make install did not put lifo.so into $policydir_expected"
tpool-info --policies 2>&1 | grep -q "file: $policydir_expected/lifo.so" ||
    fail "tpool-info --policies does not list the installed lifo"
(cd "$tmp/tpl" && tpool-bench bench.json -t 2 -r 1 --warmup 0 --scale 0.05 --no-files \
    --progress never) >"$tmp/bench.txt" 2>&1 || { cat "$tmp/bench.txt"; fail "tpool-bench bench.json"; }
grep '^lifo ' "$tmp/bench.txt" || { cat "$tmp/bench.txt"; fail "tpool-bench's table has no lifo row"; }
make -C "$tmp/tpl" uninstall >/dev/null 2>&1 || fail "the template's make uninstall"
[ ! -e "$policydir_expected/lifo.so" ] || fail "make uninstall left $policydir_expected/lifo.so"
lifo_installed=0

step "a program built against Debian's pthreadpool, on Debian's and on the drop-in"
cc -std=c11 -O2 -o "$tmp/ptp" "$src/tests/pthreadpool_debian_prog.c" -lpthreadpool -pthread ||
    fail "cannot build against Debian's pthreadpool (libpthreadpool-dev)"
"$tmp/ptp" >"$tmp/ptp.out" 2>&1 || { cat "$tmp/ptp.out"; fail "the program on Debian's library"; }
echo "Debian's: $(tr '\n' ' ' <"$tmp/ptp.out")"
used=$(sed -n 's/^library: //p' "$tmp/ptp.out")
[ -n "$used" ] && [ "$(readlink -f "$used")" = "$(readlink -f "$debian_lib")" ] ||
    fail "without LD_LIBRARY_PATH the program must use Debian's $debian_lib"
for policy in stealing fifo; do
    LD_LIBRARY_PATH=$dropin TPOOL_POLICY=$policy "$tmp/ptp" >"$tmp/ptp.out" 2>&1 ||
        { cat "$tmp/ptp.out"; fail "the program on the drop-in with TPOOL_POLICY=$policy"; }
    grep -q "^library: $dropin/libpthreadpool.so.0\$" "$tmp/ptp.out" ||
        { cat "$tmp/ptp.out"; fail "LD_LIBRARY_PATH=$dropin did not select the drop-in"; }
    grep -qx 'result: ok' "$tmp/ptp.out" || { cat "$tmp/ptp.out"; fail "wrong result on the drop-in"; }
    echo "TPOOL_POLICY=$policy: $(tr '\n' ' ' <"$tmp/ptp.out")"
done
# The pool is tpool's: the environment chooses its policy, and a bad one
# gets tpool's warning, once, while the program runs on the default policy
# instead of failing or turning serial.
LD_LIBRARY_PATH=$dropin TPOOL_POLICY=nosuch "$tmp/ptp" >"$tmp/ptp.out" 2>&1 ||
    { cat "$tmp/ptp.out"; fail "TPOOL_POLICY=nosuch: the program on the drop-in failed"; }
[ "$(grep -c '^pthreadpool_create: ignoring TPOOL_POLICY="nosuch"' "$tmp/ptp.out")" = 1 ] ||
    { cat "$tmp/ptp.out"; fail "the drop-in did not warn once about TPOOL_POLICY=nosuch"; }
grep -qx 'result: ok' "$tmp/ptp.out" || { cat "$tmp/ptp.out"; fail "wrong result with TPOOL_POLICY=nosuch"; }

step "done"
printf 'debian_check: ok; time per step:\n%s' "$times"
