# The test suite (make check). Tests run from the top of the build tree;
# every policy in the build tree is found through TPOOL_POLICY_PATH, the
# test-only modules through TPOOL_TEST_MODULES, and the scripts get the
# source and build trees as srcdir (the tests/ source directory) and
# top_builddir.
AM_TESTS_ENVIRONMENT = \
	TPOOL_POLICY_PATH=`for p in $(TPOOL_POLICIES); do printf '%s:' "$(abs_top_builddir)/policies/$$p/.libs"; done | sed 's/:$$//'`; \
	export TPOOL_POLICY_PATH; \
	TPOOL_TEST_POLICIES='$(TPOOL_POLICIES)'; export TPOOL_TEST_POLICIES; \
	TPOOL_TEST_MODULES='$(abs_top_builddir)/tests/.libs'; export TPOOL_TEST_MODULES; \
	CK_DEFAULT_TIMEOUT=120; export CK_DEFAULT_TIMEOUT; \
	srcdir='$(abs_top_srcdir)/tests'; export srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	TPOOL_TEST_SANITIZED='$(TESTS_SANITIZED)'; export TPOOL_TEST_SANITIZED;

# Scripts that run programs built outside the tree (against Debian's
# libraries) on the build's libraries skip that part in a sanitizer build:
# the sanitizer's runtime cannot be loaded into an uninstrumented program.
if SANITIZED
TESTS_SANITIZED = yes
else
TESTS_SANITIZED = no
endif

include tests/core-suites.mk
include tests/policy-suites.mk
include tests/parallel-suites.mk
include tests/reliability-suites.mk
include tests/bench-suites.mk
include tests/test-modules.mk
include tests/script-checks.mk
include tests/packaging-checks.mk
