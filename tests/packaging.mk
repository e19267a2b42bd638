# What a user meets after installing: the man pages, tpool.pc's variables
# and the Debian packages. man_check.sh renders every page of man/ without
# a groff warning and finds every option of each program's --help in its
# page; pkgconfig_check.sh checks that tpool.pc's policydir is the
# directory the loader searches and policy_abi the ABI of tpool-policy.h.
# Included by tests/Makefile.am.
TESTS += man_check.sh pkgconfig_check.sh
EXTRA_DIST += man_check.sh pkgconfig_check.sh
# The Debian packages built, installed and used; it needs root and purges
# what it installs, so CI runs it (.ci/run), not make check.
EXTRA_DIST += debian_check.sh
