# Check suites of the core's units: errors, configuration, parameters,
# versioned descriptors, the loader, the pool, parallel-for, CPU counting,
# the utilities, resizing, the waiting layer (park) and the policies linked
# into libtpool. Each is tests/NAME.c with the default flags and LDADD (the
# top Makefile.am).
if HAVE_CHECK
CORE_SUITES = tests/check_error tests/check_config tests/check_params tests/check_versioned \
	tests/check_loader tests/check_pool tests/check_fifo tests/check_range tests/check_cpu \
	tests/check_utils tests/check_resize tests/check_builtin tests/check_stack \
	tests/check_limits tests/check_many_cpus tests/check_park
TESTS += $(CORE_SUITES)
check_PROGRAMS += $(CORE_SUITES)
endif
EXTRA_DIST += tests/testutil.h
