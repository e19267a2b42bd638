#!/bin/sh
# ownership_check.sh - each group of struct tpool's fields (a sub-struct,
# core/pool.h) is written only by the files that own it: fails on a write
# by any other file of core/.
#
# A file of core/ that is not among a member's writers (below) may read
# `->MEMBER.field` (any expression with no assignment), and may take its
# address only to pass it to an atomic load, to a function that takes it
# as a const pointer (READERS), to a function declared or defined in one
# of the member's writer files (the owner's own interface, e.g.
# tpool__group_wait(&p->tasks.root)), or to initialise a const pointer.
# Anything else is a write: an assignment, an op=, ++ or -- on
# `->MEMBER.field...`, an atomic store, exchange, fetch-op or
# compare-exchange (atomics.h's st_*/add_* wrappers included), a lock, an
# init, or an address kept in a plain pointer (`&p->MEMBER` as a whole
# included). A pointer read out of a member and followed (`p->team.w[i]->`)
# leads to another object, not the member's storage. Comments are ignored.
# The files of tests/ are not checked: a unit test may stage a state.
#
# Every `struct tpool__* NAME;` member of struct tpool must have a line in
# the table, so that a new sub-struct cannot go unchecked.
#
# Environment (set by make check): srcdir (the tests/ source directory).
# Exit status: 0, 1 on a write by a file that does not own the field (or a
# member missing from the table).
set -u

src=${srcdir:-$(dirname "$0")}/../core

# MEMBER[.FIELD]  the files of core/ that may write it (a FIELD line adds
# writers for that field to the member's). pool.c creates and destroys the
# pool, so it fills (and frees) what it lists here. pool.h's
# tpool__root_count_of hands a slot's pair of root counts (tasks.outside
# or a worker's) to task.c and task_run.c, which write it.
owners='
team         resize.h resize.c pool.c worker.c
changes      resize.h resize.c pool.c
gate         gate_state.h gate.c pool.c
record       record_hooks.h record.c
mode         pool_state.h pool.c
mode.stamp_submit   resize.c
mode.stamp_seq      resize.c
mode.exit_now       worker.c
seats        seats_state.h seats.h seats.c pool.c
wakeup       wake_state.h wake.c worker.c
wakeup.seq   task.c range.c
tasks        task_state.h task.c task_run.c pool.c
tasks.cancelled_total  stats.c
tasks.parallel_calls   range.c stats.c
tasks.outside          pool.h
range        range.h range.c pool.c
range.lock   resize.c
el           elastic.h elastic.c pool.c
el.kick      pool.h resize.c
'

# Functions that only read through the address they are given.
readers='ld_relaxed ld_acquire atomic_load atomic_load_explicit tpool__spin_yield'

# ---- every sub-struct member of struct tpool has its line --------------------

fail=0
members=$(awk '/^struct tpool \{/ { on = 1; next }
               on && /^\};/ { exit }
               on && /^[[:space:]]*struct tpool__[a-z_]+ [a-z_]+;/ { sub(/;.*/, ""); print $3 }' \
              "$src/pool.h")
if [ -z "$members" ]; then
    echo "ownership_check: no sub-struct found in struct tpool (core/pool.h)"
    exit 1
fi
for m in $members; do
    if ! echo "$owners" | grep -q "^$m "; then
        echo "ownership_check: struct tpool's member '$m' has no owners in tests/ownership_check.sh"
        fail=1
    fi
done

# ---- the source, without comments -------------------------------------------

# "FILE<TAB>LINE<TAB>CODE" for every line of core/, comments blanked
# (block comments across lines too); string literals are kept (none holds
# a member access).
strip() {
    for f in "$src"/*.c "$src"/*.h; do
        awk -v file="${f##*/}" '
            {
                out = ""; s = $0
                while (s != "") {
                    if (inc) {
                        i = index(s, "*/")
                        if (i == 0) { s = ""; break }
                        s = substr(s, i + 2); inc = 0
                        continue
                    }
                    a = index(s, "/*"); b = index(s, "//")
                    if (a == 0 && b == 0) { out = out s; break }
                    if (b && (a == 0 || b < a)) { out = out substr(s, 1, b - 1); break }
                    out = out substr(s, 1, a - 1); s = substr(s, a + 2); inc = 1
                }
                print file "\t" FNR "\t" out
            }' "$f"
    done
}

# The functions each file declares or defines at file scope ("FILE NAME").
decls() {
    for f in "$src"/*.c "$src"/*.h; do
        sed -n 's/^[A-Za-z_#].*[^A-Za-z0-9_]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$f" |
            sed "s|^|${f##*/} |"
    done
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ownership_check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
strip > "$tmp/code"
decls > "$tmp/decls"
echo "$owners" | grep . > "$tmp/owners"

# ---- the accesses ------------------------------------------------------------

awk -F '\t' -v members="$members" -v readers="$readers" -v ownfile="$tmp/owners" \
    -v declfile="$tmp/decls" '
    BEGIN {
        while ((getline l < ownfile) > 0) {
            n = split(l, a, /[[:space:]]+/)
            for (i = 2; i <= n; i++)
                writer[a[1] SUBSEP a[i]] = 1
            tab[a[1]] = l
        }
        while ((getline l < declfile) > 0) {
            split(l, a, " ")
            declared[a[1] SUBSEP a[2]] = 1
        }
        nm = split(members, mem, /[[:space:]]+/)
        split(readers, r, " ")
        for (i in r)
            reader[r[i]] = 1
        id = "[A-Za-z_][A-Za-z0-9_]*"
    }
    # Whether file f may write member m, field fld ("" for the whole member).
    function owns(f, m, fld) {
        return (m SUBSEP f) in writer || (fld != "" && (m "." fld SUBSEP f) in writer)
    }
    # Whether fn is declared or defined in a writer file of m (or m.fld).
    function owner_fn(fn, m, fld,    k, parts) {
        for (k in writer) {
            split(k, parts, SUBSEP)
            if ((parts[1] == m || parts[1] == m "." fld) && ((parts[2] SUBSEP fn) in declared))
                return 1
        }
        return 0
    }
    # The function whose argument list is open at the end of s, or "".
    function callee(s,    i, c, depth, t) {
        depth = 0
        for (i = length(s); i > 0; i--) {
            c = substr(s, i, 1)
            if (c == ")") depth++
            else if (c == "(") {
                if (depth == 0) {
                    t = substr(s, 1, i - 1)
                    sub(/[[:space:]]+$/, "", t)
                    if (match(t, /[A-Za-z_][A-Za-z0-9_]*$/))
                        return substr(t, RSTART)
                    return ""
                }
                depth--
            }
        }
        return ""
    }
    function report(what) {
        printf "ownership_check: core/%s:%d: %s %s (%s may write it: %s)\n", $1, $2, what,
               path, m, owners_of(m, fld)
        bad = 1
    }
    function owners_of(m, fld,    l, out) {
        out = tab[m]
        sub(/^[^[:space:]]+[[:space:]]+/, "", out)
        if ((m "." fld) in tab) {
            l = tab[m "." fld]
            sub(/^[^[:space:]]+[[:space:]]+/, "", l)
            out = out "; ." fld ": " l
        }
        return out
    }
    {
        code = $3
        for (j = 1; j <= nm; j++) {
            m = mem[j]
            s = code
            off = 0
            while (match(s, "->" m "([^A-Za-z0-9_]|$)")) {
                at = off + RSTART
                pre = substr(code, 1, at - 1)
                rest = substr(code, at + 2 + length(m))
                off = at + 1 + length(m)
                s = substr(code, off + 1)
                # The path within the member: .field, .sub, [index].
                fld = ""
                path = "->" m
                if (match(rest, "^\\." id)) {
                    fld = substr(rest, 2, RLENGTH - 1)
                }
                while (match(rest, "^(\\." id "|\\[[^]]*\\])")) {
                    path = path substr(rest, 1, RLENGTH)
                    rest = substr(rest, RLENGTH + 1)
                }
                nacc++
                if (owns($1, m, fld))
                    continue
                if (rest ~ /^[[:space:]]*->/)
                    continue            # a pointer read from the member, followed
                if (rest ~ /^[[:space:]]*([-+*\/%&|^]|<<|>>)?=[^=]/) {
                    report("assigns to")
                    continue
                }
                if (rest ~ /^[[:space:]]*(\+\+|--)/) {
                    report("increments")
                    continue
                }
                # The expression before the member: its base (p, g->pool, a cast).
                b = pre
                sub(/(\(\(struct tpool \*\)[A-Za-z_][A-Za-z0-9_]*\)|[A-Za-z_][A-Za-z0-9_]*(->[A-Za-z_][A-Za-z0-9_]*)*)$/, "", b)
                if (b ~ /(\+\+|--)[[:space:]]*$/) {
                    report("increments")
                    continue
                }
                if (b !~ /[^&]&[[:space:]]*$/ && b !~ /^&[[:space:]]*$/)
                    continue            # read
                b2 = b
                sub(/&[[:space:]]*$/, "", b2)
                fn = callee(b2)
                if (fn == "") {
                    if (b2 ~ /const[^=;]*\*[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=[[:space:]]*$/)
                        continue        # a const pointer: read through it
                    report("keeps the address of")
                    continue
                }
                if (fn in reader || owner_fn(fn, m, fld))
                    continue
                report("passes to " fn "() the address of")
            }
        }
    }
    END {
        if (nacc == 0) {
            print "ownership_check: no access to a member of struct tpool found (the patterns are wrong)"
            exit 1
        }
        if (!bad)
            printf "ownership_check: %d accesses to %d sub-structs of struct tpool, each write by an owner\n", nacc, nm
        exit bad
    }' "$tmp/code" || fail=1

exit $fail
