# The libFuzzer targets and their seed corpora; tests/fuzz/run.sh builds
# and runs them with clang, outside of make (issue 8).
EXTRA_DIST += fuzz
