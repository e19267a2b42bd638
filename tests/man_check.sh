#!/bin/sh
# man_check.sh - the man pages under man/ stay true and readable:
#   - every page renders without a single groff warning (groff -ww, the
#     checks lintian and `man --warnings` make);
#   - for every section-1 page NAME.1, the program NAME of the build answers
#     --help, and every option that help lists (and the help of each
#     subcommand it names, "NAME SUB [OPTIONS]" -> NAME SUB --help) appears
#     in the page. A short option listed as "-x, --long" must appear on one
#     line of the page with its long form, as ".BR \-x \", \" \-\-long" does.
# A failure names the page, the option and the help it came from, so adding
# an option to a program and to its page keeps it passing.
#
# An automake TESTS script: the test environment gives srcdir (tests/ of the
# source tree) and top_builddir; by hand, from the build tree's tests/:
#   srcdir=../../tests sh ../../tests/man_check.sh
# Without groff (Debian: groff-base) the rendering is not checked and the
# test is reported as skipped once the options passed.
set -u
srcdir=${srcdir:-.}
top_srcdir="$srcdir/.."
top_builddir=${top_builddir:-..}
# The program each section-1 page documents, in the build tree.
programs="tpool-bench:harness/tpool-bench tpool-info:core/tpool-info
tpool-conformance:conformance/tpool-conformance"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/man_check.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failed=0

bad() {
    echo "man_check: FAIL: $*"
    failed=1
}

pages=$(ls "$top_srcdir"/man/*.[1-8] 2>/dev/null)
[ -n "$pages" ] || { echo "man_check: FAIL: no man pages in $top_srcdir/man"; exit 1; }

# ---- rendering ------------------------------------------------------------
have_groff=1
command -v groff >/dev/null 2>&1 || have_groff=0
if [ $have_groff = 1 ]; then
    for page in $pages; do
        # -z: format, discard the output; -b: a backtrace with each warning.
        LC_ALL=C groff -ww -z -b -Tutf8 -man "$page" >"$tmp/groff.out" 2>&1 ||
            bad "$page: groff failed"
        if [ -s "$tmp/groff.out" ]; then
            bad "$page: groff -ww warns:"
            sed 's/^/    /' "$tmp/groff.out"
        fi
    done
else
    echo "man_check: groff not found (Debian: apt-get install groff-base): rendering not checked"
fi

# ---- options ---------------------------------------------------------------
# The page as plain text: fonts, \- and zero-width escapes removed, so that
# ".BR \-p \", \" \-\-policies" reads "-p" ", " "--policies".
plain() {
    sed -e 's/\\f[BIRP]//g' -e 's/\\f([A-Z][A-Z]//g' -e 's/\\f\[[^]]*\]//g' \
        -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\%//g' "$1"
}

# has_option FILE OPT...: a line of FILE holds every OPT as a whole word
# (not as the prefix of a longer option: --trace is not --trace-cap).
has_option() {
    f=$1
    shift
    grep -E -- "(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)" "$f" >"$tmp/lines" || return 1
    shift
    for o in "$@"; do
        grep -E -- "(^|[^A-Za-z0-9_-])$o([^A-Za-z0-9_-]|\$)" "$tmp/lines" >"$tmp/lines2" ||
            return 1
        mv "$tmp/lines2" "$tmp/lines"
    done
    return 0
}

# check_help PAGE PLAIN PROGRAM [SUBCOMMAND]: runs PROGRAM [SUBCOMMAND]
# --help and checks each option it lists against the page.
check_help() {
    page=$1 text=$2 bin=$3 sub=${4:-}
    label="$(basename "$bin")${sub:+ $sub} --help"
    # shellcheck disable=SC2086
    if ! "$bin" $sub --help >"$tmp/help" 2>&1; then
        bad "'$label' failed:"
        sed 's/^/    /' "$tmp/help"
        return
    fi
    [ -s "$tmp/help" ] || { bad "'$label' printed nothing"; return; }
    # Long options, anywhere in the help.
    for o in $(grep -oE -- '(^|[^A-Za-z0-9_-])--[A-Za-z0-9][A-Za-z0-9-]*' "$tmp/help" |
        sed 's/^[^-]*//' | sort -u); do
        has_option "$text" "$o" || bad "$page: $o (listed by '$label') is not in the page"
    done
    # Short options: those that start an option line, with the long form
    # that follows them, if any ("  -p, --policies LIST").
    sed -n 's/^[[:space:]]*\(-[A-Za-z0-9]\)\([,[:space:]].*\)\{0,1\}$/\1 \2/p' "$tmp/help" |
        while read -r short rest; do
            long=$(printf '%s\n' "$rest" | sed -n 's/^,[[:space:]]*\(--[A-Za-z0-9][A-Za-z0-9-]*\).*/\1/p')
            if [ -n "$long" ]; then
                has_option "$text" "$short" "$long" ||
                    echo "$page: $short, $long (listed by '$label') is not in the page as \"$short, $long\""
            else
                has_option "$text" "$short" ||
                    echo "$page: $short (listed by '$label') is not in the page"
            fi
        done >"$tmp/short"
    if [ -s "$tmp/short" ]; then
        while read -r line; do bad "$line"; done <"$tmp/short"
    fi
}

for page in $pages; do
    case "$page" in *.1) ;; *) continue ;; esac
    prog=$(basename "$page" .1)
    # shellcheck disable=SC2086 # one entry per word
    rel=$(printf '%s\n' $programs | sed -n "s|^$prog:||p")
    if [ -z "$rel" ]; then
        bad "$page: no program for it in man_check.sh's list (programs=...)"
        continue
    fi
    bin=$top_builddir/$rel
    if [ ! -x "$bin" ]; then
        bad "$page: $bin is not built"
        continue
    fi
    plain "$page" >"$tmp/page.txt"
    check_help "$page" "$tmp/page.txt" "$bin"
    # Subcommands: usage lines "PROG WORD [OPTIONS]..." with a lower-case WORD.
    # (The list is read before check_help overwrites $tmp/help.)
    for sub in $(sed -n "s/^\(Usage:\)\{0,1\}[[:space:]]*${prog}[[:space:]]\{1,\}\([a-z][a-z0-9-]*\)\([[:space:]].*\)\{0,1\}\$/\2/p" \
        "$tmp/help" 2>/dev/null | sort -u); do
        has_option "$tmp/page.txt" "$sub" || bad "$page: the subcommand '$prog $sub' is not in the page"
        check_help "$page" "$tmp/page.txt" "$bin" "$sub"
    done
done

if [ $failed = 1 ]; then
    echo "man_check: the pages are under man/; see the options above"
    exit 1
fi
if [ $have_groff = 0 ]; then
    echo "man_check: options ok; rendering skipped (no groff)"
    exit 77
fi
echo "man_check: ok ($(echo "$pages" | wc -w) pages)"
