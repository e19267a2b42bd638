#!/bin/sh
# failed_logs.sh [BUILDDIR] - after a failed `make check`, prints the log of
# each test that failed (FAIL, XPASS or ERROR in its .trs), then their names
# on the last line, so that the end of a long CI output says what failed.
# Used by quickstart.sh and .ci/run.
dir=${1:-.}
failed=""
for trs in "$dir"/tests/*.trs; do
    [ -e "$trs" ] || continue
    if grep -q -E '^:test-result: (FAIL|XPASS|ERROR)' "$trs"; then
        echo "---- ${trs%.trs}.log"
        cat "${trs%.trs}.log"
        failed="$failed $(basename "${trs%.trs}")"
    fi
done
echo "failed tests:${failed:- none (make check failed outside a test)}"
