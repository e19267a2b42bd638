# The policy template (examples/policy-template, issue 9) built in the tree
# and checked like a policy of the tree: lifo_tree_check.sh runs the
# conformance suite and the template's demo against it. The installed-prefix
# check (pkg-config, the template's own Makefile) is template_check.sh,
# which CI runs outside make check. Included by tests/Makefile.am.
check_LTLIBRARIES += lifo.la
lifo_la_SOURCES = ../examples/policy-template/lifo.c
# Only the public include directory, as out of tree, and hidden visibility:
# the template must build with nothing else.
lifo_la_CPPFLAGS = -I$(top_srcdir)/include
lifo_la_CFLAGS = $(WARN_CFLAGS) $(SAN_CFLAGS) -fvisibility=hidden
lifo_la_LDFLAGS = $(MODFLAGS)

check_PROGRAMS += lifo_demo
lifo_demo_SOURCES = ../examples/policy-template/lifo-demo.c
lifo_demo_CPPFLAGS = -I$(top_srcdir)/include
lifo_demo_LDADD = $(top_builddir)/core/libtpool.la $(PTHREAD_LIBS)

if HAVE_CHECK
TESTS += lifo_tree_check.sh
endif
EXTRA_DIST += lifo_tree_check.sh template_check.sh
