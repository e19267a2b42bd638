# tpool-bench's own tests (issue 6): the harness's logic as Check suites
# linking harness/libbench.la, and an end-to-end smoke run whose JSON is
# validated against harness/schema.json by bench_schema_check.
BENCH_LINK = $(top_builddir)/harness/libbench.la $(top_builddir)/harness/libbench_omp.la \
	$(CORE) $(CHECK_LIBS) $(JANSSON_LIBS) $(PTHREAD_LIBS)
BENCH_INCLUDES = $(AM_CPPFLAGS) -I$(top_srcdir)/harness -I$(top_srcdir)/harness/workloads
BENCH_LINK_OPTS = $(AM_LDFLAGS) $(OPENMP_CFLAGS)

if HAVE_CHECK
BENCH_TESTS = check_bench_stats check_bench_experiment check_bench_output \
	check_bench_workloads check_bench_runner check_bench_compare
TESTS += $(BENCH_TESTS)
check_PROGRAMS += $(BENCH_TESTS)
endif

check_bench_stats_SOURCES = check_bench_stats.c
check_bench_stats_CPPFLAGS = $(BENCH_INCLUDES)
check_bench_stats_LDADD = $(BENCH_LINK)
check_bench_stats_LDFLAGS = $(BENCH_LINK_OPTS)

check_bench_experiment_SOURCES = check_bench_experiment.c
check_bench_experiment_CPPFLAGS = $(BENCH_INCLUDES)
check_bench_experiment_LDADD = $(BENCH_LINK)
check_bench_experiment_LDFLAGS = $(BENCH_LINK_OPTS)

check_bench_output_SOURCES = check_bench_output.c
check_bench_output_CPPFLAGS = $(BENCH_INCLUDES)
check_bench_output_LDADD = $(BENCH_LINK)
check_bench_output_LDFLAGS = $(BENCH_LINK_OPTS)

check_bench_runner_SOURCES = check_bench_runner.c
check_bench_runner_CPPFLAGS = $(BENCH_INCLUDES)
check_bench_runner_LDADD = $(BENCH_LINK)
check_bench_runner_LDFLAGS = $(BENCH_LINK_OPTS)

check_bench_compare_SOURCES = check_bench_compare.c
check_bench_compare_CPPFLAGS = $(BENCH_INCLUDES)
check_bench_compare_LDADD = $(BENCH_LINK)
check_bench_compare_LDFLAGS = $(BENCH_LINK_OPTS)

check_bench_workloads_SOURCES = check_bench_workloads.c
check_bench_workloads_CPPFLAGS = $(BENCH_INCLUDES)
check_bench_workloads_LDADD = $(BENCH_LINK)
check_bench_workloads_LDFLAGS = $(BENCH_LINK_OPTS)

# The smoke test runs ../harness/tpool-bench on harness/experiments/smoke.json
# and checks its JSON, CSV and trace with this validator.
check_PROGRAMS += bench_schema_check
bench_schema_check_SOURCES = bench_schema_check.c
bench_schema_check_LDADD = $(JANSSON_LIBS)
TESTS += bench_smoke.sh
EXTRA_DIST += bench_smoke.sh
