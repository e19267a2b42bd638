# The documentation installed under $(docdir); docs/measurements/ (raw
# figures behind PERFORMANCE.md) is distributed, not installed.
dist_doc_DATA = docs/config.md docs/api.md docs/harness.md docs/conformance.md \
	docs/policy-abi.md docs/writing-a-policy.md \
	docs/policies-roundrobin-priority.md docs/policies-stealing-static-dynamic.md \
	docs/RELIABILITY.md docs/PERFORMANCE.md docs/record-format.md \
	docs/internals.md
