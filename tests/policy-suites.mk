# Check suites of the policies: each policy's own behaviour, the stealing
# policy's deque, and the conformance checks (conformance/) run on every
# policy of the build.
if HAVE_CHECK
POLICY_SUITES = tests/check_stealing tests/check_static tests/check_dynamic \
	tests/check_roundrobin tests/check_priority tests/check_deque tests/check_conformance
TESTS += $(POLICY_SUITES)
check_PROGRAMS += $(POLICY_SUITES)
endif
tests_check_deque_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policies/stealing
tests_check_conformance_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/conformance
tests_check_conformance_LDADD = conformance/libconformance.la $(LDADD)
