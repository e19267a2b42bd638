#!/bin/sh
# tune.sh - the parameter sweeps behind the defaults of the stealing, static
# and dynamic policies (docs/policies-stealing-static-dynamic.md).
#
#   make -C BUILD/policies/stealing tune-bench
#   TPOOL_POLICY_PATH=... sh policies/stealing/tune.sh BUILD/policies/stealing/tune-bench "4 8 16" 7
#
# TPOOL_POLICY_PATH must name the .libs directories of the policies (or the
# install directory). Prints one line per run: setting, workload, policy,
# threads, params, median and best of REPS runs in milliseconds.
BENCH=${1:?usage: tune.sh TUNE-BENCH [THREAD-COUNTS [REPS]]}
TS=${2:-"4 8 16"}
R=${3:-7}
RW="range-cheap range-uniform range-triangle range-random"

run() {
    tag=$1
    shift
    printf '%-22s ' "$tag"
    "$BENCH" "$@" || echo "FAILED: $*"
}

echo "# $(uname -m), nproc $(nproc)"
for T in $TS; do
    echo "## T=$T defaults of every policy"
    for wl in $RW tasks-flat tasks-multi; do
        for pol in fifo static dynamic stealing; do run default $wl $pol "$T" '{}' "$R"; done
    done
    for wl in tasks-fib; do
        for pol in stealing dynamic; do run default $wl $pol "$T" '{}' "$R"; done
    done
    echo "## T=$T stealing: chunk (0 = adaptive), steal_fraction"
    for wl in $RW; do
        for c in 0 1 16 64 256; do run "chunk=$c" $wl stealing "$T" "{\"chunk\": $c}" "$R"; done
    done
    for wl in range-triangle range-random; do
        for f in 0.25 0.5 0.75 1.0; do
            run "steal_fraction=$f" $wl stealing "$T" "{\"steal_fraction\": $f}" "$R"
        done
    done
    echo "## T=$T stealing: victim, steal_attempts"
    W=$((T - 1))
    for wl in tasks-fib tasks-flat range-random; do
        for v in random neighbour; do run "victim=$v" $wl stealing "$T" "{\"victim\": \"$v\"}" "$R"; done
        for a in 1 $W $((2 * W)) $((4 * W)); do
            run "steal_attempts=$a" $wl stealing "$T" "{\"steal_attempts\": $a}" "$R"
        done
    done
    echo "## T=$T dynamic: mode, chunk, min_chunk"
    for wl in $RW; do
        for c in 1 4 16 64 256; do
            run "fixed,chunk=$c" $wl dynamic "$T" "{\"mode\": \"fixed\", \"chunk\": $c}" "$R"
        done
        for m in 1 4 16; do
            run "guided,min_chunk=$m" $wl dynamic "$T" "{\"mode\": \"guided\", \"min_chunk\": $m}" "$R"
        done
    done
    echo "## T=$T dynamic: batch"
    for wl in tasks-flat tasks-multi tasks-fib; do
        for b in 1 2 4 8 16 64; do run "batch=$b" $wl dynamic "$T" "{\"batch\": $b}" "$R"; done
    done
done
