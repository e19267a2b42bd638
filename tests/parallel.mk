# Suites of issue 3: the N-d parallel-for, the pthreadpool drop-in, the
# utilities and run-time resizing. Included by tests/Makefile.am.

if HAVE_CHECK
PARALLEL_SUITES = check_parallel_nd check_pthreadpool check_utils check_resize
TESTS += $(PARALLEL_SUITES)
check_PROGRAMS += $(PARALLEL_SUITES)
endif
check_parallel_nd_SOURCES = check_parallel_nd.c ndcheck.h
check_pthreadpool_SOURCES = check_pthreadpool.c ndcheck.h
check_utils_SOURCES = check_utils.c
check_resize_SOURCES = check_resize.c

# Tests that drive other programs; they need no Check and exit 77 (skipped)
# when what they compare with is not installed.
PTHREADPOOL_DRIVERS = check_pthreadpool_system check_pthreadpool_symbols \
	check_pthreadpool_cxx
TESTS += $(PTHREADPOOL_DRIVERS)
check_PROGRAMS += $(PTHREADPOOL_DRIVERS)
check_pthreadpool_system_SOURCES = check_pthreadpool_system.c runcmd.h
check_pthreadpool_system_LDADD =
check_pthreadpool_symbols_SOURCES = check_pthreadpool_symbols.c runcmd.h
check_pthreadpool_symbols_LDADD =
check_pthreadpool_cxx_SOURCES = check_pthreadpool_cxx.c runcmd.h
check_pthreadpool_cxx_LDADD =
check_pthreadpool_cxx_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSAN_CFLAGS='"$(SAN_CFLAGS)"' -DSAN_LDFLAGS='"$(SAN_LDFLAGS)"'

# Built against Debian's /usr/include/pthreadpool.h (not ours: no
# -I$(top_srcdir)/include) and linked against Debian's libpthreadpool, as a
# Debian package would be; check_pthreadpool_system runs it.
if HAVE_SYSTEM_PTHREADPOOL
check_PROGRAMS += pthreadpool_debian_prog
endif
pthreadpool_debian_prog_SOURCES = pthreadpool_debian_prog.c
pthreadpool_debian_prog_CPPFLAGS =
pthreadpool_debian_prog_LDADD = -lpthreadpool $(PTHREAD_LIBS)

EXTRA_DIST += pthreadpool_cxx.cc

# Test-only policies for check_resize: one with a resize op, one without.
check_LTLIBRARIES += mod_resize.la mod_recreate.la
mod_resize_la_SOURCES = modules/mod_resize.c modules/mod_common.h
mod_resize_la_LDFLAGS = $(MODFLAGS)
mod_recreate_la_SOURCES = modules/mod_recreate.c modules/mod_common.h
mod_recreate_la_LDFLAGS = $(MODFLAGS)

# parallel-for at the edges of size_t, under every policy
if HAVE_CHECK
TESTS += check_range_edges
check_PROGRAMS += check_range_edges
endif
check_range_edges_SOURCES = check_range_edges.c

# progress (TPOOL_FLAG_PROGRESS, the drop-in's semantics) on the linear
# range, and what the policies declare
if HAVE_CHECK
TESTS += check_progress
check_PROGRAMS += check_progress
endif
check_progress_SOURCES = check_progress.c ndcheck.h
check_progress_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/conformance
check_progress_LDADD = $(top_builddir)/conformance/libconformance.la $(LDADD)

# a parallel-for runs only its own items, with FTZ/DAZ on those only
if HAVE_CHECK
TESTS += check_range_own
check_PROGRAMS += check_range_own
endif
check_range_own_SOURCES = check_range_own.c
