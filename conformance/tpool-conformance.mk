# tpool-conformance (docs/conformance.md): the policy conformance checks.
# They are a convenience library, libconformance.la, so that the Check suite
# tests/check_conformance links the same checks as the program; the program
# is only the command line. They use the installed headers only (a policy is
# opened with tpool-module.h), so the program links the shared libtpool.
CONFORMANCE_CPPFLAGS = $(PUBLIC_CPPFLAGS)

noinst_LTLIBRARIES += conformance/libconformance.la
conformance_libconformance_la_CPPFLAGS = $(CONFORMANCE_CPPFLAGS)
conformance_libconformance_la_SOURCES = \
	conformance/conformance.h \
	conformance/runner.c \
	conformance/checks_direct.c \
	conformance/checks_pool.c

bin_PROGRAMS += conformance/tpool-conformance
conformance_tpool_conformance_CPPFLAGS = $(CONFORMANCE_CPPFLAGS)
conformance_tpool_conformance_SOURCES = conformance/tpool-conformance.c
conformance_tpool_conformance_LDADD = conformance/libconformance.la core/libtpool.la \
	$(PTHREAD_LIBS)
