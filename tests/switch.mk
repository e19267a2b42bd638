# Suites of issue 9 items 4 and 5: switching a live pool's policy, and
# elastic pools. Included by tests/Makefile.am.

if HAVE_CHECK
SWITCH_SUITES = check_policy_switch check_elastic
TESTS += $(SWITCH_SUITES)
check_PROGRAMS += $(SWITCH_SUITES)
endif
check_policy_switch_SOURCES = check_policy_switch.c
check_elastic_SOURCES = check_elastic.c
