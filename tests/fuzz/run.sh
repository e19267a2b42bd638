#!/bin/bash
# run.sh SECONDS - builds the libFuzzer targets for the config parser
# (fuzz_config.c) and tpool-bench's experiment parser (fuzz_experiment.c)
# with clang, ASan, UBSan and LeakSanitizer, and runs each for SECONDS
# (default 30) on a copy of its seed corpus. Exits non-zero on any crash,
# leak or sanitizer report. Needs no configure/make: run it from anywhere.
set -u
secs=${1:-30}
case $secs in ''|*[!0-9]*) echo "usage: $0 SECONDS" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-clang}

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run.sh: $CC not found; on Debian 12: apt-get install clang libclang-rt-14-dev" >&2
    exit 2
fi
if ! pkg-config --exists jansson; then
    echo "run.sh: jansson not found by pkg-config; on Debian 12: apt-get install libjansson-dev pkg-config" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tpool-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# Can this clang link a libFuzzer target at all?
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
    > "$work/probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" 2>"$work/probe.log"; then
    cat "$work/probe.log" >&2
    echo "run.sh: $CC cannot link -fsanitize=fuzzer (libclang_rt.fuzzer missing);" \
         "on Debian 12: apt-get install libclang-rt-14-dev (for clang 14)" >&2
    exit 2
fi

FLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# The fuzzers build without configure: an empty tpool-build.h stands for
# configure's (so no built-in policies are linked in).
: > "$work/tpool-build.h"
INC="-I$work -I$top/include -I$top/core -I$top/core/input -I$top/harness -I$top/harness/workloads -DTPOOL_PKGLIBDIR=\"/nonexistent\""
JANSSON=$(pkg-config --cflags --libs jansson)

# The config target needs only the parser, the locator, params (with the ELF
# checks its table check uses), errors, the allocator and the fault point
# it asks.
CONFIG_SRC="core/config.c core/input/json_locate.c core/input/params.c core/input/error.c
    core/input/fault.c core/input/alloc.c core/input/elf_linux.c core/input/textfile.c
    core/error_codes.c"
# The experiment parser refers to the workload table (whose entries point at
# the workloads' run functions, which use the pool) and the baseline names,
# so it links the core and the harness's library: every C file of both but
# the programs' entry points and the baselines that need OpenMP or TBB
# (their stand-ins are linked instead).
CORE_SRC=$(cd "$top" && ls core/*.c core/input/*.c | grep -v 'tpool-info\.c$')
# The registry of built-in workloads, as the build generates it from
# harness/tpool-bench.mk's BENCH_WORKLOADS list.
sed -n '/^BENCH_WORKLOADS = /,/^$/p' "$top/harness/tpool-bench.mk" |
    grep -o 'harness/workloads/[a-z0-9_]*\.c' |
    sed 's|.*/\(.*\)\.c$|BENCH_WORKLOAD(bench_wl_\1)|' >"$work/workload-list.h"
[ -s "$work/workload-list.h" ] || { echo "run.sh: no BENCH_WORKLOADS in harness/tpool-bench.mk" >&2; exit 1; }
# The default experiment as a string literal, as the build makes it.
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' \
    "$top/harness/experiments/default.json" >"$work/default-experiment.h"
HARNESS_SRC=$(cd "$top" && ls harness/*.c harness/workloads/*.c |
    grep -v -e '/main\.c$' -e '/dispatch-count\.c$' -e '/baselines_omp\.c$')
EXP_SRC="$HARNESS_SRC $CORE_SRC"

build() { # name sources...
    local name=$1; shift
    echo "== building $name"
    (cd "$top" && "$CC" $FLAGS $INC "tests/fuzz/$name.c" "$@" $JANSSON -lm -ldl -pthread \
        -o "$work/$name") 2>"$work/$name.build.log"
    local rc=$?
    grep -E 'error|warning' "$work/$name.build.log" >&2
    if [ $rc -ne 0 ]; then
        cat "$work/$name.build.log" >&2
        echo "run.sh: building $name failed" >&2
        return 1
    fi
}

build fuzz_config $CONFIG_SRC || exit 1
build fuzz_experiment $EXP_SRC || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
run() { # name corpus
    local name=$1 corpus=$2
    mkdir -p "$work/$corpus" "$work/artifacts-$name"
    cp "$here/$corpus"/* "$work/$corpus"/
    local nseed
    nseed=$(ls "$work/$corpus" | wc -l)
    echo "== running $name for ${secs}s on $nseed seeds ($corpus)"
    local start=$SECONDS
    (cd "$work" && "./$name" -max_total_time="$secs" -detect_leaks=1 -max_len=8192 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts-$name/" "$work/$corpus") >"$work/$name.log" 2>&1
    local rc=$?
    local arts
    arts=$(ls "$work/artifacts-$name")
    if [ $rc -ne 0 ] || [ -n "$arts" ] ||
       grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$work/$name.log"; then
        tail -n 80 "$work/$name.log" >&2
        echo "FAIL: $name (exit $rc) after $((SECONDS - start))s" >&2
        # Keep what reproduces it next to the script's run.
        mkdir -p "$here/crashes"
        for a in $arts; do
            cp "$work/artifacts-$name/$a" "$here/crashes/$name-$a"
            echo "  reproducer: $here/crashes/$name-$a" >&2
        done
        status=1
    else
        grep -E '^(Done|stat::)' "$work/$name.log"
        echo "ok: $name, $((SECONDS - start))s, corpus grew to $(ls "$work/$corpus" | wc -l) inputs"
    fi
}

run fuzz_config corpus_config
run fuzz_experiment corpus_experiment
exit $status
