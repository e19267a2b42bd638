# The bad-input corpus (issue 8): corpus_check.sh runs tpool-info --check-config
# and tpool-bench on every case of corpus/ and on cases it makes in a temp dir.
TESTS += corpus_check.sh
EXTRA_DIST += corpus_check.sh corpus
