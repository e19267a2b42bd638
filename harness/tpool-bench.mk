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
# bench_wl_NAME` (tpool-bench.h) and one line here (docs/internals.md). From
# this list workload-list.sh generates the registry (workload.c's
# bench_workloads[]) and the "workload" enum of harness/schema.json (built
# from schema.json.in); the smoke and default experiments run them all
# through their "all" entry (docs/harness.md). The build fails on a file
# in harness/workloads/ that is in neither this list nor
# BENCH_WORKLOAD_HELPERS.
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

# Built-in files of harness/workloads/ that are not listed workloads: shared
# code, and replay, which needs a record and so runs only when named
# (bench_workload_find knows it).
BENCH_WORKLOAD_HELPERS = \
	harness/workloads/costed.c \
	harness/workloads/taskstream.c \
	harness/workloads/replay.c

# The directory is a prerequisite so that adding a file to it reruns the
# check of the lists.
harness/workload-list.h: Makefile $(srcdir)/harness/workload-list.sh $(srcdir)/harness/workloads
	$(AM_V_GEN)$(MKDIR_P) harness && \
	$(SHELL) $(srcdir)/harness/workload-list.sh header $(srcdir) \
	    '$(BENCH_WORKLOADS)' '$(BENCH_WORKLOAD_HELPERS)' >$@-t && mv $@-t $@
BUILT_SOURCES = harness/workload-list.h
CLEANFILES += harness/workload-list.h

# The results' schema, with the built-in workloads' names (and replay's,
# which schema.json.in spells itself) in place of @BENCH_WORKLOAD_NAMES@.
harness/schema.json: Makefile $(srcdir)/harness/schema.json.in \
		$(srcdir)/harness/workload-list.sh $(BENCH_WORKLOADS)
	$(AM_V_GEN)$(MKDIR_P) harness && \
	names=`$(SHELL) $(srcdir)/harness/workload-list.sh names $(srcdir) '$(BENCH_WORKLOADS)'` && \
	sed "s/\"@BENCH_WORKLOAD_NAMES@\"/$$names/" $(srcdir)/harness/schema.json.in >$@-t && \
	mv $@-t $@
CLEANFILES += harness/schema.json

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
	harness/results_file.h harness/results_file.c \
	harness/compare.c \
	harness/ratio.c \
	harness/replay.h harness/replay.c harness/replay_run.c harness/replay_cli.c \
	harness/workloads/costed.h harness/workloads/taskstream.h \
	$(BENCH_WORKLOAD_HELPERS) $(BENCH_WORKLOADS)
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
dist_pkgdata_DATA = harness/trace.schema.json harness/record.schema.json
nodist_pkgdata_DATA = harness/schema.json
EXTRA_DIST += harness/schema.json.in harness/workload-list.sh \
	harness/baselines_omp.c harness/baselines_noomp.c \
	harness/baselines_tbb.cc harness/baselines_notbb.c \
	harness/callgrind-dispatch.sh harness/perf-targets.sh harness/record-fidelity.sh
