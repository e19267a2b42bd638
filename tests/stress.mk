# Reliability under load (issue 8, item 1): every policy, 8 submitters, 10^7
# tasks in a plain build (TPOOL_STRESS_TASKS; fewer under sanitizers/valgrind).
if HAVE_CHECK
TESTS += check_stress
check_PROGRAMS += check_stress
endif
check_stress_SOURCES = check_stress.c

# valgrind_check.sh: the pool, conformance and stress suites under memcheck (CI).
EXTRA_DIST += valgrind_check.sh
