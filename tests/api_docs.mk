# The API reference keeps up with the code (issue 9): api_docs_check.sh
# fails naming each exported function, and each public macro or header-only
# helper, that docs/api.md or docs/policy-abi.md does not document.
TESTS += api_docs_check.sh
EXTRA_DIST += api_docs_check.sh
