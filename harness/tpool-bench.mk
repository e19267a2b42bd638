# tpool-bench, the benchmark harness (docs/harness.md). Its logic is a
# convenience library, libbench.la, so that the Check suites in tests/ link
# the same code as the program; main.c is only the entry point. The OpenMP
# baselines are a library of their own, the only code compiled with
# $(OPENMP_CFLAGS); the oneTBB ones another, the only C++, linked with
# $(TBB_LIBS) (-ltbb and libstdc++, since the programs link as C). Policies
# are discovered at run time (tpool_policy_list), so the harness builds
# whichever of them exist. The harness is a client of the library: the
# runtime through the public headers and libtpool.so only, and its own copy
# of the checked-input helpers (core/input/libtpool_input.mk) for its
# experiment files and workload modules (client_check.sh keeps it so).
BENCH_CPPFLAGS = $(PUBLIC_CPPFLAGS) $(INPUT_CPPFLAGS) \
	-I$(top_srcdir)/harness -I$(top_builddir)/harness -I$(top_srcdir)/harness/workloads \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"' \
	-DBENCH_BUILDDIR='"$(abs_top_builddir)"' \
	-DBENCH_POLICIES='"$(TPOOL_POLICIES)"' \
	-DBENCH_CFLAGS='"$(CFLAGS)"'
BENCH_CFLAGS = $(AM_CFLAGS)

# The built-in workloads, in listing order: a workload is one file
# harness/workloads/NAME.c defining `const tpool_bench_workload
# bench_wl_NAME` (tpool-bench.h) and one line here. The registry
# (workload.c's bench_workloads[]) is generated from this list;
# check_bench_experiment checks that the schema and the default and smoke
# experiments name every workload in it, and bench_smoke.sh that the smoke
# run ran each. The replay workload (harness/workloads/replay.c) is built
# in but not listed: it needs a record, so it runs only when named
# (bench_workload_find knows it).
BENCH_WORKLOADS = \
	harness/workloads/empty.c \
	harness/workloads/uniform.c \
	harness/workloads/triangular.c \
	harness/workloads/heavytail.c \
	harness/workloads/tinytasks.c \
	harness/workloads/prioritymix.c \
	harness/workloads/gemm.c \
	harness/workloads/nested.c \
	harness/workloads/iobound.c \
	harness/workloads/bulk.c \
	harness/workloads/shortcalls.c \
	harness/workloads/costedtasks.c \
	harness/workloads/deadlinetasks.c

harness/workload-list.h: Makefile
	$(AM_V_GEN)$(MKDIR_P) harness && \
	for f in $(BENCH_WORKLOADS); do \
	    echo "BENCH_WORKLOAD(bench_wl_`basename $$f .c`)"; \
	done >$@-t && mv $@-t $@
BUILT_SOURCES = harness/workload-list.h
CLEANFILES += harness/workload-list.h

# The built-in default experiment is harness/experiments/default.json itself,
# compiled in as a string literal (experiment.c includes the generated
# lines), so the two cannot differ.
harness/default-experiment.h: $(srcdir)/harness/experiments/default.json
	$(AM_V_GEN)$(MKDIR_P) harness && \
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' \
	    $(srcdir)/harness/experiments/default.json >$@-t && mv $@-t $@
BUILT_SOURCES += harness/default-experiment.h
CLEANFILES += harness/default-experiment.h

noinst_LTLIBRARIES += harness/libbench.la harness/libbench_omp.la harness/libbench_tbb.la
harness_libbench_la_CPPFLAGS = $(BENCH_CPPFLAGS)
harness_libbench_la_CFLAGS = $(BENCH_CFLAGS)
harness_libbench_la_SOURCES = \
	harness/bench.h harness/stats.h harness/output.h harness/session.h \
	harness/baselines_tbb.h \
	harness/cli.c \
	harness/experiment.c \
	harness/runner.c \
	harness/runs.c \
	harness/pipe_io.c \
	harness/workload.c \
	harness/exec.c \
	harness/tasks.c \
	harness/company.c \
	harness/wlmodule.c \
	harness/clock.c \
	harness/stats.c \
	harness/baselines.c \
	harness/meta.c \
	harness/machine.c \
	harness/progress.c \
	harness/trace.c \
	harness/output_table.c harness/output_csv.c harness/output_json.c \
	harness/outfile.c \
	harness/plot.c \
	harness/advise.c \
	harness/compare.c \
	harness/replay.h harness/replay.c harness/replay_run.c harness/replay_cli.c \
	harness/workloads/replay.c \
	harness/workloads/costed.h harness/workloads/costed.c \
	harness/workloads/taskstream.h harness/workloads/taskstream.c \
	$(BENCH_WORKLOADS)
nodist_harness_libbench_la_SOURCES = harness/workload-list.h harness/default-experiment.h

harness_libbench_omp_la_CPPFLAGS = $(BENCH_CPPFLAGS)
if HAVE_OPENMP
harness_libbench_omp_la_SOURCES = harness/baselines_omp.c
harness_libbench_omp_la_CFLAGS = $(BENCH_CFLAGS) $(OPENMP_CFLAGS)
else
harness_libbench_omp_la_SOURCES = harness/baselines_noomp.c
harness_libbench_omp_la_CFLAGS = $(BENCH_CFLAGS)
endif

harness_libbench_tbb_la_CPPFLAGS = $(BENCH_CPPFLAGS)
if HAVE_TBB
harness_libbench_tbb_la_SOURCES = harness/baselines_tbb.cc
harness_libbench_tbb_la_CXXFLAGS = $(WARN_CXXFLAGS) $(SAN_CFLAGS) $(PTHREAD_CFLAGS)
else
harness_libbench_tbb_la_SOURCES = harness/baselines_notbb.c
harness_libbench_tbb_la_CFLAGS = $(BENCH_CFLAGS)
endif

# What a program linking the harness needs, in link order. (The harness's
# Check suites in tests/bench-suites.mk link libtpool_core.la instead, to
# reach the core's internals as every unit test may.)
BENCH_LIBS = harness/libbench.la harness/libbench_omp.la harness/libbench_tbb.la \
	core/input/libtpool_input.la core/libtpool.la $(JANSSON_LIBS) $(TBB_LIBS) \
	$(PTHREAD_LIBS)

bin_PROGRAMS += harness/tpool-bench
harness_tpool_bench_CPPFLAGS = $(BENCH_CPPFLAGS)
harness_tpool_bench_SOURCES = harness/main.c
harness_tpool_bench_LDADD = $(BENCH_LIBS)
harness_tpool_bench_LDFLAGS = $(AM_LDFLAGS) $(OPENMP_CFLAGS)

# The driver of callgrind-dispatch.sh (docs/PERFORMANCE.md, target 9): links
# the installed form of the library, libtpool.so, as a program would.
noinst_PROGRAMS += harness/dispatch-count
harness_dispatch_count_SOURCES = harness/dispatch-count.c
harness_dispatch_count_LDADD = core/libtpool.la $(PTHREAD_LIBS)

experimentsdir = $(pkgdatadir)/experiments
dist_experiments_DATA = harness/experiments/default.json harness/experiments/quick.json \
	harness/experiments/policies-params.json harness/experiments/smoke.json \
	harness/experiments/performance.json harness/experiments/company.json \
	harness/experiments/oversubscription.json
dist_pkgdata_DATA = harness/schema.json harness/trace.schema.json harness/record.schema.json
EXTRA_DIST += harness/baselines_omp.c harness/baselines_noomp.c \
	harness/baselines_tbb.cc harness/baselines_notbb.c \
	harness/callgrind-dispatch.sh harness/perf-targets.sh harness/record-fidelity.sh
