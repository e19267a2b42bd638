#!/bin/sh
# tutorial_quotes_check.sh - the code on docs/writing-a-policy.md is the
# template's real code: every fenced block right after a line
#   <!-- quote: PATH -->
# must occur verbatim in PATH (relative to the top of the source tree), and
# every C block must be such a quote. So the tutorial cannot drift from
# examples/policy-template, which make check and CI compile and test.
# An automake TESTS script; the test environment gives srcdir (tests/ of the
# source tree).
set -u
srcdir=${srcdir:-.}
top_srcdir="$srcdir/.."
doc="$top_srcdir/docs/writing-a-policy.md"
[ -f "$doc" ] || { echo "tutorial_quotes_check: FAIL: $doc is missing"; exit 1; }

awk -v top="$top_srcdir" -v doc="docs/writing-a-policy.md" '
function slurp(path,   line, s) {
    s = ""
    while ((getline line < path) > 0)
        s = s line "\n"
    close(path)
    return s
}
function bad(msg) {
    printf "tutorial_quotes_check: FAIL: %s:%d: %s\n", doc, start, msg
    nbad++
}
inblock && /^```[[:space:]]*$/ {
    inblock = 0
    if (file != "") {
        nquotes++
        if (!(file in text))
            text[file] = slurp(top "/" file)
        if (text[file] == "")
            bad("cannot read " file)
        else if (index(text[file], block) == 0)
            bad("this block is not a verbatim excerpt of " file)
    } else if (lang == "c") {
        bad("a C block that quotes no file (put <!-- quote: PATH --> before it)")
    }
    next
}
inblock { block = block $0 "\n"; next }
/^<!-- quote: [^ ]+ -->$/ { pending = $3; next }
/^```/ {
    inblock = 1; start = NR; block = ""
    lang = substr($0, 4); file = pending; pending = ""
    next
}
pending != "" && NF { start = NR; bad("<!-- quote --> not followed by a code block"); pending = "" }
END {
    if (inblock) { bad("unterminated code block"); }
    if (nquotes < 10) { printf "tutorial_quotes_check: FAIL: only %d quotes found\n", nquotes; exit 1 }
    if (nbad) exit 1
    printf "tutorial_quotes_check: ok: %d quoted blocks match their files\n", nquotes
}' "$doc"
