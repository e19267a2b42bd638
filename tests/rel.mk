# Reliability suites (issue 8): deep fork-join nesting, fault injection,
# pool lifecycle under load. Included by tests/Makefile.am.

if HAVE_CHECK
TESTS += check_deep
check_PROGRAMS += check_deep
endif
check_deep_SOURCES = check_deep.c

if HAVE_CHECK
TESTS += check_faults
check_PROGRAMS += check_faults
endif
check_faults_SOURCES = check_faults.c

if HAVE_CHECK
TESTS += check_lifecycle
check_PROGRAMS += check_lifecycle
endif
check_lifecycle_SOURCES = check_lifecycle.c
