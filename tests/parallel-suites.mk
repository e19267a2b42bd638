# Check suites of the N-d parallel-for and the pthreadpool drop-in.
if HAVE_CHECK
PARALLEL_SUITES = tests/check_parallel_nd tests/check_pthreadpool tests/check_pthreadpool_env \
	tests/check_range_edges tests/check_range_own tests/check_progress
TESTS += $(PARALLEL_SUITES)
check_PROGRAMS += $(PARALLEL_SUITES)
endif
# check_range_edges: parallel-for at the edges of size_t, under every policy;
# check_range_own: a parallel-for runs only its own items, with FTZ/DAZ on
# those only; check_progress: progress (TPOOL_FLAG_PROGRESS, the drop-in's
# semantics) on the linear range, through the conformance check, and what
# the policies declare.
tests_check_progress_SOURCES = tests/check_progress.c tests/ndcheck.h
tests_check_progress_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/conformance
tests_check_progress_LDADD = conformance/libconformance.la $(LDADD)
tests_check_parallel_nd_SOURCES = tests/check_parallel_nd.c tests/ndcheck.h
tests_check_pthreadpool_SOURCES = tests/check_pthreadpool.c tests/ndcheck.h

# Tests that drive other programs; they need no Check and exit 77 (skipped)
# when what they compare with is not installed.
PTHREADPOOL_DRIVERS = tests/check_pthreadpool_system tests/check_pthreadpool_symbols \
	tests/check_pthreadpool_cxx
TESTS += $(PTHREADPOOL_DRIVERS)
check_PROGRAMS += $(PTHREADPOOL_DRIVERS)
DRIVER_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_BUILDDIR='"$(abs_top_builddir)"' \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_check_pthreadpool_system_SOURCES = tests/check_pthreadpool_system.c tests/runcmd.h
tests_check_pthreadpool_system_CPPFLAGS = $(DRIVER_CPPFLAGS)
tests_check_pthreadpool_system_LDADD =
tests_check_pthreadpool_symbols_SOURCES = tests/check_pthreadpool_symbols.c tests/runcmd.h
tests_check_pthreadpool_symbols_CPPFLAGS = $(DRIVER_CPPFLAGS)
tests_check_pthreadpool_symbols_LDADD =
tests_check_pthreadpool_cxx_SOURCES = tests/check_pthreadpool_cxx.c tests/runcmd.h
tests_check_pthreadpool_cxx_CPPFLAGS = $(DRIVER_CPPFLAGS) \
	-DSAN_CFLAGS='"$(SAN_CFLAGS)"' -DSAN_LDFLAGS='"$(SAN_LDFLAGS)"'
tests_check_pthreadpool_cxx_LDADD =
EXTRA_DIST += tests/pthreadpool_cxx.cc

# check_dlopen: both libraries loaded with dlopen() after start-up (the
# core's initial-exec thread-locals); linked without them, or the dlopen
# would only find them loaded already.
TESTS += tests/check_dlopen
check_PROGRAMS += tests/check_dlopen
tests_check_dlopen_SOURCES = tests/check_dlopen.c
tests_check_dlopen_CPPFLAGS = $(DRIVER_CPPFLAGS)
tests_check_dlopen_LDADD = $(PTHREAD_LIBS)

# Built against Debian's /usr/include/pthreadpool.h (not ours: no
# -I$(top_srcdir)/include) and linked against Debian's libpthreadpool, as a
# Debian package would be; check_pthreadpool_system runs it.
if HAVE_SYSTEM_PTHREADPOOL
check_PROGRAMS += tests/pthreadpool_debian_prog
endif
tests_pthreadpool_debian_prog_SOURCES = tests/pthreadpool_debian_prog.c
tests_pthreadpool_debian_prog_CPPFLAGS =
tests_pthreadpool_debian_prog_LDADD = -lpthreadpool $(PTHREAD_LIBS)
