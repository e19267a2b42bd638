# tpool-bench's own tests: the harness's logic as Check suites linking
# harness/libbench.la, and an end-to-end smoke run whose JSON, CSV and trace
# bench_schema_check validates against harness/schema.json and
# harness/trace.schema.json.
if HAVE_CHECK
BENCH_SUITES = tests/check_bench_stats tests/check_bench_experiment \
	tests/check_bench_output tests/check_bench_workloads tests/check_bench_recorder \
	tests/check_bench_advise tests/check_bench_runner tests/check_bench_compare \
	tests/check_record tests/check_bench_wlmodule tests/check_bench_exec
TESTS += $(BENCH_SUITES)
check_PROGRAMS += $(BENCH_SUITES)
endif
BENCH_TEST_CPPFLAGS = $(BENCH_CPPFLAGS) -I$(top_srcdir)/core -I$(top_srcdir)/tests \
	-DTOP_BUILDDIR='"$(abs_top_builddir)"'
BENCH_TEST_LDADD = harness/libbench.la harness/libbench_omp.la harness/libbench_tbb.la \
	$(LDADD) $(TBB_LIBS)
BENCH_TEST_LINKFLAGS = $(AM_LDFLAGS) $(OPENMP_CFLAGS)
tests_check_bench_stats_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_stats_LDADD = $(BENCH_TEST_LDADD)
tests_check_bench_stats_LDFLAGS = $(BENCH_TEST_LINKFLAGS)
tests_check_bench_experiment_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_experiment_LDADD = $(BENCH_TEST_LDADD)
tests_check_bench_experiment_LDFLAGS = $(BENCH_TEST_LINKFLAGS)
tests_check_bench_output_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_output_LDADD = $(BENCH_TEST_LDADD)
tests_check_bench_output_LDFLAGS = $(BENCH_TEST_LINKFLAGS)
tests_check_bench_workloads_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_workloads_LDADD = $(BENCH_TEST_LDADD)
# It counts the harness's clock reads and makes a submission run twice or
# never (see the file).
tests_check_bench_workloads_LDFLAGS = $(BENCH_TEST_LINKFLAGS) -Wl,--wrap=bench_now_ns \
	-Wl,--wrap=tpool_submit
tests_check_bench_recorder_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_recorder_LDADD = $(BENCH_TEST_LDADD)
tests_check_bench_recorder_LDFLAGS = $(BENCH_TEST_LINKFLAGS)
tests_check_bench_advise_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_advise_LDADD = $(BENCH_TEST_LDADD)
tests_check_bench_advise_LDFLAGS = $(BENCH_TEST_LINKFLAGS)
tests_check_bench_runner_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_runner_LDADD = $(BENCH_TEST_LDADD)
tests_check_bench_runner_LDFLAGS = $(BENCH_TEST_LINKFLAGS)
tests_check_bench_compare_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_compare_LDADD = $(BENCH_TEST_LDADD)
tests_check_bench_compare_LDFLAGS = $(BENCH_TEST_LINKFLAGS)
# Recording (core/record.c) and replaying (harness/replay.h) together.
tests_check_record_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_record_LDADD = $(BENCH_TEST_LDADD)
tests_check_record_LDFLAGS = $(BENCH_TEST_LINKFLAGS)

tests_check_bench_wlmodule_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_wlmodule_LDADD = $(BENCH_TEST_LDADD)
tests_check_bench_wlmodule_LDFLAGS = $(BENCH_TEST_LINKFLAGS)
tests_check_bench_exec_CPPFLAGS = $(BENCH_TEST_CPPFLAGS)
tests_check_bench_exec_LDADD = $(BENCH_TEST_LDADD)
tests_check_bench_exec_LDFLAGS = $(BENCH_TEST_LINKFLAGS)

check_PROGRAMS += tests/bench_schema_check
tests_bench_schema_check_LDADD = $(JANSSON_LIBS)
TESTS += tests/bench_smoke.sh tests/bench_company.sh
EXTRA_DIST += tests/bench_smoke.sh tests/bench_company.sh
