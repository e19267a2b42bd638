# The docs keep up with the code (issue 9): api_docs_check.sh fails naming
# each exported function, public macro or header-only helper that
# docs/api.md or docs/policy-abi.md does not document;
# tutorial_quotes_check.sh fails when a code quote of
# docs/writing-a-policy.md differs from the template file it quotes.
TESTS += api_docs_check.sh tutorial_quotes_check.sh
EXTRA_DIST += api_docs_check.sh tutorial_quotes_check.sh
# installed_docs_check.sh: the documents make install puts in $(docdir)
# stand alone (no build-machine path, no file outside the project, no issue
# numbers, links only to installed documents, source files named as such).
TESTS += installed_docs_check.sh
EXTRA_DIST += installed_docs_check.sh
