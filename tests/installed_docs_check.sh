#!/bin/sh
# installed_docs_check.sh - the documents `make install` puts in $(docdir)
# stand alone: each Markdown file of dist_doc_DATA (docs/docs.mk) and of
# the installed examples (examples/examples.mk) must not
#   - name a path on the build machine (this source tree or build tree, a
#     /work/ directory) or a file outside the project (DESIGN.md, shared/);
#   - refer to the project's issue tracker ("issue 7");
#   - link ([text](target)) to a local file that is not installed with it;
#   - mention a file of the source tree (tests/..., core/...) without saying
#     that such names refer to the source distribution (or "tpool tree").
# An automake TESTS script: the test environment gives srcdir (tests/ of the
# source tree) and top_builddir (tests/tests.mk).
# Prints one line per problem and "N documents, N problems"; exits 1 on any.
set -u
srcdir=${srcdir:-.}
top_srcdir=$(cd "$srcdir/.." && pwd)
top_builddir=$(cd "${top_builddir:-..}" && pwd)

# The installed Markdown files: NAME<TAB>PATH, from the fragments' lists
# (their paths are relative to the top of the tree).
list() { # MAKEFILE VARIABLE DIR
    sed -n "/^$2 *+\{0,1\}=/,/[^\\\\]\$/p" "$1" | tr ' \t\\' '\n\n\n' | grep '\.md$' |
        while read -r f; do printf '%s\t%s\n' "$f" "$3/$f"; done
}
docs=$( (list "$top_srcdir/docs/docs.mk" dist_doc_DATA "$top_srcdir"
         list "$top_srcdir/examples/examples.mk" dist_template_DATA "$top_srcdir"
         list "$top_srcdir/examples/examples.mk" dist_example_DATA "$top_srcdir") |
       sort -u)
installed=$(printf '%s\n' "$docs" | cut -f1 | sed 's,.*/,,')

n=0
bad=0
problem() {
    echo "FAIL $1: $2"
    bad=$((bad + 1))
}

tab=$(printf '\t')
while IFS=$tab read -r name path; do
    [ -n "$name" ] || continue
    n=$((n + 1))
    if [ ! -f "$path" ]; then
        problem "$name" "listed for installation but missing"
        continue
    fi
    for pat in "$top_srcdir" "$top_builddir" "/work/" "DESIGN.md" "shared/"; do
        grep -nF -- "$pat" "$path" | sed 1q | while IFS= read -r line; do
            echo "FAIL $name: names '$pat' (outside what is installed): $line"
        done
        grep -qF -- "$pat" "$path" && bad=$((bad + 1))
    done
    if grep -nE '[Ii]ssues? #?[0-9]' "$path" >/dev/null; then
        problem "$name" "refers to the issue tracker: $(grep -nE '[Ii]ssues? #?[0-9]' "$path" | sed 1q)"
    fi
    # Local link targets: the file part must be an installed document.
    for target in $(grep -oE '\]\([^)#][^)]*\)' "$path" | sed 's/^](//; s/)$//; s/#.*//'); do
        case $target in http://* | https://* | mailto:*) continue ;; esac
        base=${target##*/}
        if ! printf '%s\n' "$installed" | grep -qxF -- "$base" || [ "$base" != "$target" ]; then
            problem "$name" "links to '$target', which is not installed beside it"
        fi
    done
    if grep -qE '(^|[^A-Za-z0-9_./-])(core|tests|harness|policies|conformance|include)/[A-Za-z0-9_]' "$path" &&
        ! tr '\n' ' ' <"$path" | grep -qE 'source[[:space:]]+distribution|tpool[[:space:]]+tree|source[[:space:]]+tree'; then
        problem "$name" "names source files ($(grep -noE '(core|tests|harness|policies|conformance|include)/[A-Za-z0-9_.]+' "$path" | sed 1q)) without saying they are in the source distribution"
    fi
done <<EOF
$docs
EOF

echo "$n documents, $bad problems"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
