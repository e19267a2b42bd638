# Reliability suites: fork, deep fork-join nesting, fault injection, the
# pool's lifecycle under load, storms of 10^7 tasks (TPOOL_STRESS_TASKS;
# fewer under sanitizers and valgrind), switching a live pool's policy,
# elastic pools, the seats (at most T threads run a pool's work), and
# threads working for several pools at once.
if HAVE_CHECK
RELIABILITY_SUITES = tests/check_fork tests/check_deep tests/check_faults \
	tests/check_lifecycle tests/check_stress tests/check_policy_switch tests/check_elastic \
	tests/check_seats tests/check_nesting
TESTS += $(RELIABILITY_SUITES)
check_PROGRAMS += $(RELIABILITY_SUITES)
endif
# valgrind_check.sh: the pool, conformance and stress suites under memcheck (CI).
EXTRA_DIST += tests/valgrind_check.sh
