# The docs keep up with the code (issue 9): api_docs_check.sh fails naming
# each exported function, public macro or header-only helper that
# docs/api.md or docs/policy-abi.md does not document;
# tutorial_quotes_check.sh fails when a code quote of
# docs/writing-a-policy.md differs from the template file it quotes.
TESTS += api_docs_check.sh tutorial_quotes_check.sh
EXTRA_DIST += api_docs_check.sh tutorial_quotes_check.sh
# harness_analysis_check.sh runs the Python examples of docs/harness.md
# ("Analysing results") on a small tpool-bench run.
TESTS += harness_analysis_check.sh
EXTRA_DIST += harness_analysis_check.sh
