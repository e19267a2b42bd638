# Policy modules built for the tests only, each broken or instrumented in
# one way: the loader suite's (no entry point, a foreign ABI, a newer
# minor, a descriptor
# too small, NULL ops...), resizing's (with and without a resize op), the
# submit-time flag's, and the conformance checker's deliberately wrong
# policies (a task returned twice, lost tasks, a missed wake, a range item
# handed out twice). Tests find them through TPOOL_TEST_MODULES.
TEST_MODULE_LDFLAGS = -module -avoid-version -shared -rpath /nowhere $(SAN_LDFLAGS)
TEST_MODULES = tests/mod_ok.la tests/mod_noentry.la tests/mod_badabi.la tests/mod_newminor.la \
	tests/mod_small.la \
	tests/mod_nullop.la tests/mod_nullname.la tests/mod_badcreate.la tests/mod_prefix.la \
	tests/mod_badparams.la tests/mod_nostamp.la tests/mod_stamp10.la \
	tests/mod_resize.la tests/mod_recreate.la \
	tests/mod_broken_twice.la tests/mod_broken_lose.la tests/mod_broken_range.la \
	tests/mod_broken_wake.la tests/mod_broken_race.la \
	tests/mod_entry_data.la tests/mod_entry_struct.la tests/mod_entry_int.la \
	tests/mod_hugeparams.la tests/mod_picky.la tests/mod_straggler.la \
	tests/mod_bench_twice.la tests/mod_bench_skip.la \
	$(TEST_WL_MODULES)
check_LTLIBRARIES += $(TEST_MODULES)
tests_mod_ok_la_SOURCES = tests/modules/mod_ok.c
tests_mod_ok_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_noentry_la_SOURCES = tests/modules/mod_noentry.c
tests_mod_noentry_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_badabi_la_SOURCES = tests/modules/mod_badabi.c
tests_mod_badabi_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_newminor_la_SOURCES = tests/modules/mod_newminor.c
tests_mod_newminor_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_small_la_SOURCES = tests/modules/mod_small.c
tests_mod_small_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_nullop_la_SOURCES = tests/modules/mod_nullop.c
tests_mod_nullop_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_nullname_la_SOURCES = tests/modules/mod_nullname.c
tests_mod_nullname_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_badcreate_la_SOURCES = tests/modules/mod_badcreate.c
tests_mod_badcreate_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_prefix_la_SOURCES = tests/modules/mod_prefix.c
tests_mod_prefix_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_badparams_la_SOURCES = tests/modules/mod_badparams.c
tests_mod_badparams_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_nostamp_la_SOURCES = tests/modules/mod_stamp.c
tests_mod_nostamp_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_stamp10_la_SOURCES = tests/modules/mod_stamp.c
tests_mod_stamp10_la_CPPFLAGS = $(AM_CPPFLAGS) -DMOD_ABI_1_0
tests_mod_stamp10_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_resize_la_SOURCES = tests/modules/mod_resize.c
tests_mod_resize_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_recreate_la_SOURCES = tests/modules/mod_recreate.c
tests_mod_recreate_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_broken_twice_la_SOURCES = tests/modules/mod_broken_twice.c
tests_mod_broken_twice_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_broken_lose_la_SOURCES = tests/modules/mod_broken_lose.c
tests_mod_broken_lose_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_broken_range_la_SOURCES = tests/modules/mod_broken_range.c
tests_mod_broken_range_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_broken_wake_la_SOURCES = tests/modules/mod_broken_wake.c
tests_mod_broken_wake_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_broken_race_la_SOURCES = tests/modules/mod_broken_race.c
tests_mod_broken_race_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
# Modules whose entry point or parameter count would crash a loader that
# trusted them (the loader and the tools that scan modules must not).
tests_mod_entry_data_la_SOURCES = tests/modules/mod_entry_data.c
tests_mod_entry_data_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_entry_struct_la_SOURCES = tests/modules/mod_entry_struct.c
tests_mod_entry_struct_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_entry_int_la_SOURCES = tests/modules/mod_entry_int.c
tests_mod_entry_int_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_hugeparams_la_SOURCES = tests/modules/mod_hugeparams.c
tests_mod_hugeparams_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
# Valid params that create refuses together (tpool-info --check-config runs
# create, so it must say so).
tests_mod_picky_la_SOURCES = tests/modules/mod_picky.c
tests_mod_picky_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
# A range path that holds a worker inside a finished job (check_range).
tests_mod_straggler_la_SOURCES = tests/modules/mod_straggler.c
tests_mod_straggler_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
# Policies that run the wrong items, for the harness workloads' checks.
tests_mod_bench_twice_la_SOURCES = tests/modules/mod_bench_wrong.c
tests_mod_bench_twice_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_mod_bench_skip_la_SOURCES = tests/modules/mod_bench_wrong.c
tests_mod_bench_skip_la_CPPFLAGS = $(AM_CPPFLAGS) -DWRONG_SKIP
tests_mod_bench_skip_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
EXTRA_DIST += tests/modules/mod_common.h
# Workload modules for tpool-bench (tpool-bench.h): a good one, and one
# source broken in one way per -D (see tests/modules/wl_broken.c), for the
# workload loader's suite, check_bench_wlmodule.
TEST_WL_MODULES = tests/wl_ok.la tests/wl_noentry.la tests/wl_badabi.la tests/wl_newer.la \
	tests/wl_small.la tests/wl_badparams.la tests/wl_nullrun.la tests/wl_builtin.la \
	tests/wl_badmetric.la tests/wl_crash.la
tests_wl_ok_la_SOURCES = tests/modules/wl_ok.c
tests_wl_ok_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_wl_noentry_la_SOURCES = tests/modules/wl_broken.c
tests_wl_noentry_la_CPPFLAGS = $(AM_CPPFLAGS) -DWL_NOENTRY
tests_wl_noentry_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_wl_badabi_la_SOURCES = tests/modules/wl_broken.c
tests_wl_badabi_la_CPPFLAGS = $(AM_CPPFLAGS) -DWL_BADABI
tests_wl_badabi_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_wl_newer_la_SOURCES = tests/modules/wl_broken.c
tests_wl_newer_la_CPPFLAGS = $(AM_CPPFLAGS) -DWL_NEWER
tests_wl_newer_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_wl_small_la_SOURCES = tests/modules/wl_broken.c
tests_wl_small_la_CPPFLAGS = $(AM_CPPFLAGS) -DWL_SMALL
tests_wl_small_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_wl_badparams_la_SOURCES = tests/modules/wl_broken.c
tests_wl_badparams_la_CPPFLAGS = $(AM_CPPFLAGS) -DWL_BADPARAMS
tests_wl_badparams_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_wl_nullrun_la_SOURCES = tests/modules/wl_broken.c
tests_wl_nullrun_la_CPPFLAGS = $(AM_CPPFLAGS) -DWL_NULLRUN
tests_wl_nullrun_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_wl_builtin_la_SOURCES = tests/modules/wl_broken.c
tests_wl_builtin_la_CPPFLAGS = $(AM_CPPFLAGS) -DWL_BUILTIN
tests_wl_builtin_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_wl_badmetric_la_SOURCES = tests/modules/wl_broken.c
tests_wl_badmetric_la_CPPFLAGS = $(AM_CPPFLAGS) -DWL_BADMETRIC
tests_wl_badmetric_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_wl_crash_la_SOURCES = tests/modules/wl_broken.c
tests_wl_crash_la_CPPFLAGS = $(AM_CPPFLAGS) -DWL_CRASH
tests_wl_crash_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
