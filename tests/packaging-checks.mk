# What a user meets after installing: the man pages, tpool.pc's variables,
# the Debian packages and the docs' analysis examples. man_check.sh renders
# every page of man/ without a groff warning and finds every option of each
# program's --help in its page; pkgconfig_check.sh checks that tpool.pc's
# policydir is the directory the loader searches and policy_abi the ABI of
# tpool-policy.h; harness_analysis_check.sh runs the Python examples of
# docs/harness.md ("Analysing results") on a small tpool-bench run.
TESTS += tests/man_check.sh tests/pkgconfig_check.sh tests/harness_analysis_check.sh
EXTRA_DIST += tests/failed_logs.sh
EXTRA_DIST += tests/man_check.sh tests/pkgconfig_check.sh tests/harness_analysis_check.sh
# The Debian packages built, installed and used; it needs root and purges
# what it installs, so CI runs it (.ci/run), not make check.
EXTRA_DIST += tests/debian_check.sh
