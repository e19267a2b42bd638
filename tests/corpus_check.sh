#!/bin/sh
# corpus_check.sh - the bad-input corpus: every case must make
# `tpool-info --check-config FILE` or `tpool-bench EXPERIMENT.json` fail with
# the expected exit status and a message that says what and where.
#
# Static cases are files under corpus/config/ and corpus/experiment/, listed in
# corpus/config.tsv and corpus/experiment.tsv (FILE<TAB>EXIT<TAB>SUBSTRING,
# more <TAB>SUBSTRING fields allowed; every substring must appear in stderr).
# Dynamic cases (a directory, a text file, a truncated .so, a shared object
# that is not a policy, the environment...) are made here in a temp dir.
# Cases named in corpus/known-failures fail because of a known bug: they are
# reported as "xfail", and as FAIL once they pass (remove them from the list).
#
# An automake TESTS script: the test environment gives srcdir (tests/ of the
# source tree), top_builddir and TPOOL_POLICY_PATH (tests/tests.mk).
# Prints one line per case and "N passed, N failed"; exits 1 on any failure.
set -eu

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
corpus=$srcdir/corpus
info=$top_builddir/core/tpool-info
bench=$top_builddir/harness/tpool-bench

if [ -z "${TPOOL_POLICY_PATH:-}" ]; then
    TPOOL_POLICY_PATH=
    for d in "$top_builddir"/policies/*/.libs; do
        [ -d "$d" ] && TPOOL_POLICY_PATH=${TPOOL_POLICY_PATH:+$TPOOL_POLICY_PATH:}$(cd "$d" && pwd)
    done
    export TPOOL_POLICY_PATH
fi
modules=${TPOOL_TEST_MODULES:-$(pwd)/.libs}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/corpus_check.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

tab=$(printf '\t')
to=
command -v timeout >/dev/null 2>&1 && to="timeout 60"

for b in "$info" "$bench"; do
    if [ ! -x "$b" ]; then
        echo "FAIL: $b is not built"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

# The policies on TPOOL_POLICY_PATH, sorted and ", "-separated: what an
# "available: ..." list must show. Also one real policy .so to truncate.
available=$(
    IFS=:
    for d in $TPOOL_POLICY_PATH; do
        for f in "$d"/*.so; do [ -f "$f" ] && basename "$f" .so; done
    done | LC_ALL=C sort -u | sed ':a;N;$!ba;s/\n/, /g'
)
real_so=
oldifs=$IFS
IFS=:
for d in $TPOOL_POLICY_PATH; do
    for f in "$d"/fifo.so "$d"/*.so; do
        if [ -z "$real_so" ] && [ -f "$f" ]; then real_so=$f; fi
    done
done
IFS=$oldifs

known() {
    [ -f "$corpus/known-failures" ] || return 1
    grep -q "^$1$tab" "$corpus/known-failures"
}

pass=0
fail=0
xfail=0

# check NAME EXIT "SUB1<TAB>SUB2..." COMMAND...: runs COMMAND, wants exit
# status EXIT and every substring in its stderr.
check() {
    name=$1 want=$2 subs=$3
    shift 3
    rc=0
    $to "$@" </dev/null >"$tmp/out" 2>"$tmp/err" || rc=$?
    why=
    [ "$rc" = "$want" ] || why="exit status $rc, expected $want"
    oldifs=$IFS
    IFS=$tab
    set -f
    for s in $subs; do
        s=$(printf '%s' "$s" | sed "s/@AVAILABLE@/$available/g")
        if [ -z "$why" ] && ! grep -qF -e "$s" "$tmp/err"; then
            why="stderr lacks: $s"
        fi
    done
    set +f
    IFS=$oldifs
    if known "$name"; then
        if [ -n "$why" ]; then
            xfail=$((xfail + 1))
            echo "xfail $name: $why (known bug, see corpus/known-failures)"
        else
            fail=$((fail + 1))
            echo "FAIL $name: passes now; remove it from corpus/known-failures"
        fi
    elif [ -z "$why" ]; then
        pass=$((pass + 1))
        echo "ok $name"
    else
        fail=$((fail + 1))
        echo "FAIL $name: $why"
        sed 's/^/    stderr: /' "$tmp/err" | head -n 5
    fi
}

# run_manifest KIND: the static cases of corpus/KIND.tsv, checking that each
# listed file exists and each file of corpus/KIND/ is listed.
run_manifest() {
    kind=$1
    manifest=$corpus/$kind.tsv
    if [ ! -f "$manifest" ]; then
        fail=$((fail + 1))
        echo "FAIL $kind: no manifest $manifest"
        return
    fi
    while IFS=$tab read -r file want subs; do
        case $file in '' | '#'*) continue ;; esac
        path=$corpus/$kind/$file
        if [ ! -f "$path" ]; then
            fail=$((fail + 1))
            echo "FAIL $kind/$file: listed in $kind.tsv but missing"
            continue
        fi
        if [ "$kind" = config ]; then
            check "$kind/$file" "$want" "$subs" "$info" --check-config "$path"
        else
            check "$kind/$file" "$want" "$subs" "$bench" "$path" --no-files --progress never
        fi
    done <"$manifest"
    for path in "$corpus/$kind"/*.json; do
        [ -f "$path" ] || continue
        file=${path##*/}
        if ! grep -q "^$file$tab" "$manifest"; then
            fail=$((fail + 1))
            echo "FAIL $kind/$file: not listed in $kind.tsv"
        fi
    done
}

run_manifest config
run_manifest experiment

# ---- dynamic cases -------------------------------------------------------------
d=$tmp/d
mkdir -p "$d/dir.so" "$d/pp/dirpol.so" "$d/pp2" "$d/cfgdir"
printf 'this is not a shared object\n' >"$d/text.so"
: >"$d/empty.so"
cfg() { printf '%s\n' "$2" >"$d/$1"; }
ci() { check "dynamic/$1" 1 "$2" "$info" --check-config "$3"; }

cfg dir.json '{"policy": "./dir.so"}'
ci config_policy_directory "dir.so': is a directory, not a shared object" "$d/dir.json"
cfg pathdir.json '{"policy": "dirpol", "policy_path": ["pp"]}'
ci config_policy_path_directory "pp/dirpol.so': is a directory, not a shared object" "$d/pathdir.json"
cfg text.json '{"policy": "./text.so"}'
ci config_policy_text_file "text.json:1:12: policy: $tab/text.so': cannot load it (dlerror: $tab/text.so: file too short)" "$d/text.json"
cfg empty.json '{"policy": "./empty.so"}'
ci config_policy_empty_file "empty.so': cannot load it (dlerror: $tab/empty.so: file too short)" "$d/empty.json"

if [ -n "$real_so" ]; then
    size=$(wc -c <"$real_so")
    head -c 64 "$real_so" >"$d/trunc64.so"
    head -c 100 "$real_so" >"$d/trunc100.so"
    # Cut inside the first loadable segment (it starts at offset 0 and spans
    # several KiB in any policy .so), where dlopen would die of SIGBUS; half
    # the file is not enough: in a sanitizer build the second half is debug
    # information that is never mapped.
    head -c 2048 "$real_so" >"$d/trunchalf.so"
    head -c 2048 "$real_so" >"$d/pp2/trunchalf.so"
    cfg t64.json '{"policy": "./trunc64.so"}'
    ci config_policy_truncated_64 "trunc64.so': cannot load it: truncated ELF file" "$d/t64.json"
    cfg t100.json '{"policy": "./trunc100.so"}'
    ci config_policy_truncated_100 "trunc100.so': cannot load it: truncated ELF file" "$d/t100.json"
    cfg thalf.json '{"policy": "./trunchalf.so"}'
    ci config_policy_truncated_half "trunchalf.so': cannot load it: truncated ELF file" "$d/thalf.json"
    cfg pthalf.json '{"policy": "trunchalf", "policy_path": "pp2"}'
    ci config_policy_path_truncated_half "pp2/trunchalf.so': cannot load it: truncated ELF file" "$d/pthalf.json"
else
    fail=$((fail + 1))
    echo "FAIL dynamic/truncated: no policy .so on TPOOL_POLICY_PATH=$TPOOL_POLICY_PATH"
fi

jansson=$(ldconfig -p 2>/dev/null | awk '$1 == "libjansson.so.4" { print $NF; exit }')
if [ -z "$jansson" ] || [ ! -f "$jansson" ]; then
    jansson=
    for f in /usr/lib/*/libjansson.so.4 /lib/*/libjansson.so.4 /usr/lib/libjansson.so.4 \
        /usr/lib64/libjansson.so.4 /usr/local/lib/libjansson.so.4; do
        if [ -z "$jansson" ] && [ -f "$f" ]; then jansson=$f; fi
    done
fi
if [ -n "$jansson" ]; then
    cfg jansson.json "{\"policy\": \"$jansson\"}"
    ci config_policy_libjansson "libjansson.so.4': not a tpool policy: symbol tpool_policy_entry not found (dlerror: ${tab}undefined symbol: tpool_policy_entry" "$d/jansson.json"
else
    fail=$((fail + 1))
    echo "FAIL dynamic/config_policy_libjansson: libjansson.so.4 not found"
fi

for m in noentry badabi newminor; do
    if [ ! -f "$modules/mod_$m.so" ]; then
        fail=$((fail + 1))
        echo "FAIL dynamic/config_policy_mod_$m: $modules/mod_$m.so not built"
        continue
    fi
    cfg "mod_$m.json" "{\"policy\": \"$modules/mod_$m.so\"}"
done
[ -f "$d/mod_noentry.json" ] &&
    ci config_policy_mod_noentry "mod_noentry.so': not a tpool policy: symbol tpool_policy_entry not found (dlerror: ${tab}undefined symbol: tpool_policy_entry" "$d/mod_noentry.json"
[ -f "$d/mod_badabi.json" ] &&
    ci config_policy_mod_badabi "mod_badabi.so': built for policy ABI 99.0, but this tpool speaks ABI 1.3" "$d/mod_badabi.json"
[ -f "$d/mod_newminor.json" ] &&
    ci config_policy_mod_newminor "mod_newminor.so': built for policy ABI 1.4, newer than the ABI 1.3 this tpool speaks" "$d/mod_newminor.json"

# Modules that crash a loader that trusts them: --check-config names the file
# and the fault, and --policies (which opens every .so on the path) lists the
# others and warns about each of these.
mkdir -p "$d/crashing"
for m in entry_data entry_struct entry_int hugeparams; do
    if [ ! -f "$modules/mod_$m.so" ]; then
        fail=$((fail + 1))
        echo "FAIL dynamic/config_policy_mod_$m: $modules/mod_$m.so not built"
        continue
    fi
    cfg "mod_$m.json" "{\"policy\": \"$modules/mod_$m.so\"}"
    cp "$modules/mod_$m.so" "$d/crashing/"
done
ci config_policy_mod_entry_data "mod_entry_data.so': not a tpool policy: symbol tpool_policy_entry is a data object (STT_OBJECT), not a function" "$d/mod_entry_data.json"
ci config_policy_mod_entry_int "mod_entry_int.so': tpool_policy_entry() returned 0x2a, which is not a descriptor in the policy's .so" "$d/mod_entry_int.json"
ci config_policy_mod_entry_struct "mod_entry_struct.so': loading it " "$d/mod_entry_struct.json"
ci config_policy_mod_hugeparams "mod_hugeparams.so': nparams is 100000000, more than the 256 parameters" "$d/mod_hugeparams.json"
[ -n "$real_so" ] && cp "$real_so" "$d/crashing/survivor.so"
# Parameters each valid that create refuses together: the check creates a
# state as the pool does (it passed before, and every pool then failed).
cfg picky.json "{\"policy\": \"$modules/mod_picky.so\", \"params\": {\"lo\": 5, \"hi\": 3}}"
ci config_params_create_refuses "picky.json: params: policy 'mod_picky' refused to start: lo (5) must not exceed hi (3)" "$d/picky.json"
check dynamic/policies_crashing_modules 0 "warning: policy '$d/crashing/mod_entry_data.so': not a tpool policy${tab}warning: policy '$d/crashing/mod_entry_struct.so': loading it ${tab}warning: policy '$d/crashing/mod_entry_int.so': tpool_policy_entry() returned${tab}warning: policy '$d/crashing/mod_hugeparams.so': nparams is 100000000" \
    env TPOOL_POLICY_PATH="$d/crashing" "$info" --policies
grep -q "^survivor$" "$tmp/out" || {
    fail=$((fail + 1))
    echo "FAIL dynamic/policies_crashing_modules: the policy beside them is not listed"
}

# A 1 MB configuration: 10^5 policy_path entries before the path where fifo
# is. Building the search path compared each entry with every earlier one
# (69 s for this file); it must now take no time worth the name (the case's
# 60 s limit makes a regression a failure).
awk 'BEGIN { printf "{\"policy\": \"fifo\", \"policy_path\": ["
             for (i = 0; i < 100000; i++) printf "%s\"/nonexistent/tpool/dir%06d\"", i ? ", " : "", i
             print "]}" }' >"$d/long_path.json"
check dynamic/config_policy_path_100000 0 "" "$info" --check-config "$d/long_path.json"

ci config_file_missing "nosuch.json: cannot open configuration file: No such file or directory" "$d/nosuch.json"
ci config_file_directory "cfgdir: cannot read configuration file: Is a directory" "$d/cfgdir"
# Not regular files: refused at once (open() on a FIFO waited for a writer
# forever; the case's time limit makes a wait a failure).
mkfifo "$d/fifo.json"
ci config_file_fifo "fifo.json: cannot read configuration file: it is a FIFO (named pipe), not a regular file" "$d/fifo.json"
ci config_file_device "/dev/null: cannot read configuration file: it is a character device, not a regular file" /dev/null
check dynamic/env_config_fifo 1 "fifo.json: cannot read configuration file: it is a FIFO" \
    env TPOOL_CONFIG="$d/fifo.json" "$info" --policy-path
printf '{\n  "threads":\000 4\n}\n' >"$d/nul.json"
ci config_nul_byte "nul.json:2:13: NUL byte in the file" "$d/nul.json"
printf '{\n  "policy": "fi\377"\n}\n' >"$d/utf8.json"
ci config_bad_utf8 "utf8.json:2:15: unable to decode byte 0xff" "$d/utf8.json"
dd if=/dev/null of="$d/big.json" bs=1 seek=67108865 2>/dev/null
ci config_too_large "big.json: cannot read configuration file: larger than 64 MiB" "$d/big.json"

cfg ok.json '{}'
check dynamic/env_threads_negative 1 '<env TPOOL_THREADS>: expected an integer in [0, 4096], got "-1"' \
    env TPOOL_THREADS=-1 "$info" --check-config "$d/ok.json"
check dynamic/env_threads_absurd 1 '<env TPOOL_THREADS>: expected an integer in [0, 4096], got "100000"' \
    env TPOOL_THREADS=100000 "$info" --check-config "$d/ok.json"
check dynamic/env_threads_word 1 '<env TPOOL_THREADS>: expected an integer in [0, 4096], got "eight"' \
    env TPOOL_THREADS=eight "$info" --check-config "$d/ok.json"
check dynamic/env_threads_empty 1 '<env TPOOL_THREADS>: expected an integer in [0, 4096], got ""' \
    env TPOOL_THREADS= "$info" --check-config "$d/ok.json"
check dynamic/env_policy_empty 1 "<env TPOOL_POLICY>: expected a policy name or a path containing '/', got \"\"" \
    env TPOOL_POLICY= "$info" --check-config "$d/ok.json"
check dynamic/env_policy_unknown 1 "policy 'nosuchpolicy' not found; searched: $tab; available: @AVAILABLE@;" \
    env TPOOL_POLICY=nosuchpolicy "$info" --check-config "$d/ok.json"
check dynamic/env_policy_text_file 1 "text.so': cannot load it (dlerror: " \
    env TPOOL_POLICY="$d/text.so" "$info" --check-config "$d/ok.json"

# tpool-bench: files that are no experiment, and broken policies by name.
cb() { check "dynamic/$1" 2 "$2" "$bench" "$3" --no-files --progress never; }
cb bench_file_missing "nosuch.json: No such file or directory" "$d/nosuch.json"
cb bench_file_directory "cfgdir: cannot read the experiment file: Is a directory" "$d/cfgdir"
check dynamic/bench_scale_huge 2 "tpool-bench: --scale: expected a number > 0 and <= 1e6, got '1e300'" \
    "$bench" --scale 1e300 --no-files --progress never
check dynamic/bench_scale_zero 2 "tpool-bench: --scale: expected a number > 0 and <= 1e6, got '0'" \
    "$bench" --scale 0 --no-files --progress never
cb bench_file_fifo "fifo.json: cannot read the experiment file: it is a FIFO (named pipe)" "$d/fifo.json"
cb bench_nul_byte "nul.json:2:13: contains a NUL byte" "$d/nul.json"
cb bench_too_large "big.json: too large" "$d/big.json"
cb bench_bad_utf8 "utf8.json:2:15: unable to decode byte 0xff" "$d/utf8.json"
exp='{"workloads": ["uniform"], "baselines": "none", "threads": [1], "repetitions": 1,
 "warmup": 0, "cooldown_us": 0, "idle_probe_ms": 0, "policies": ["%s"]}'
# (separate directories: tpool-bench lists every policy on its path)
mkdir -p "$d/bp1" "$d/bp2"
cp "$d/text.so" "$d/bp1/textpol.so"
[ -f "$d/trunchalf.so" ] && cp "$d/trunchalf.so" "$d/bp2/halfpol.so"
# shellcheck disable=SC2059
for p in textpol halfpol; do printf "$exp\n" "$p" >"$d/exp_$p.json"; done
check dynamic/bench_policy_text_file 2 "textpol.so': cannot load it (dlerror: " \
    env TPOOL_POLICY_PATH="$d/bp1" "$bench" "$d/exp_textpol.json" --no-files --progress never
check dynamic/bench_policy_truncated_half 2 "halfpol.so': cannot load it: truncated ELF file" \
    env TPOOL_POLICY_PATH="$d/bp2" "$bench" "$d/exp_halfpol.json" --no-files --progress never

echo "$pass passed, $fail failed${xfail:+, $xfail known failures}" | sed 's/, 0 known failures$//'
[ "$fail" -eq 0 ]
