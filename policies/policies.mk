# The shipped policies: each is a libtool module installed under
# $(pkglibdir), built against the public policy ABI alone (no core header,
# hidden visibility). With configure's --enable-builtin-policies (the
# default) each source is compiled once more with
# -DTPOOL_POLICY_BUILTIN=NAME into a convenience library linked into
# libtpool as "builtin:NAME" (core/builtin.c). The list of policies is
# TPOOL_POLICIES in configure.ac: the build fails (policy-list-check below)
# when this file builds another set.
POLICY_CPPFLAGS = $(PUBLIC_CPPFLAGS)
POLICY_CFLAGS = $(WARN_CFLAGS) $(SAN_CFLAGS) -fvisibility=hidden
POLICY_LDFLAGS = -module -avoid-version -shared $(SAN_LDFLAGS)
BUILTIN_POLICY_LIBS =

pkglib_LTLIBRARIES += policies/fifo/fifo.la
policies_fifo_fifo_la_SOURCES = policies/fifo/fifo.c
policies_fifo_fifo_la_CPPFLAGS = $(POLICY_CPPFLAGS)
policies_fifo_fifo_la_CFLAGS = $(POLICY_CFLAGS)
policies_fifo_fifo_la_LDFLAGS = $(POLICY_LDFLAGS)

pkglib_LTLIBRARIES += policies/roundrobin/roundrobin.la
policies_roundrobin_roundrobin_la_SOURCES = policies/roundrobin/roundrobin.c
policies_roundrobin_roundrobin_la_CPPFLAGS = $(POLICY_CPPFLAGS)
policies_roundrobin_roundrobin_la_CFLAGS = $(POLICY_CFLAGS)
policies_roundrobin_roundrobin_la_LDFLAGS = $(POLICY_LDFLAGS)

pkglib_LTLIBRARIES += policies/priority/priority.la
policies_priority_priority_la_SOURCES = policies/priority/priority.c
policies_priority_priority_la_CPPFLAGS = $(POLICY_CPPFLAGS)
policies_priority_priority_la_CFLAGS = $(POLICY_CFLAGS)
policies_priority_priority_la_LDFLAGS = $(POLICY_LDFLAGS)

pkglib_LTLIBRARIES += policies/stealing/stealing.la
policies_stealing_stealing_la_SOURCES = policies/stealing/stealing.c \
	policies/stealing/deque.c policies/stealing/deque.h policies/grain.h
policies_stealing_stealing_la_CPPFLAGS = $(POLICY_CPPFLAGS)
policies_stealing_stealing_la_CFLAGS = $(POLICY_CFLAGS)
policies_stealing_stealing_la_LDFLAGS = $(POLICY_LDFLAGS)

pkglib_LTLIBRARIES += policies/static/static.la
policies_static_static_la_SOURCES = policies/static/static.c
policies_static_static_la_CPPFLAGS = $(POLICY_CPPFLAGS)
policies_static_static_la_CFLAGS = $(POLICY_CFLAGS)
policies_static_static_la_LDFLAGS = $(POLICY_LDFLAGS)

pkglib_LTLIBRARIES += policies/dynamic/dynamic.la
policies_dynamic_dynamic_la_SOURCES = policies/dynamic/dynamic.c policies/grain.h
policies_dynamic_dynamic_la_CPPFLAGS = $(POLICY_CPPFLAGS)
policies_dynamic_dynamic_la_CFLAGS = $(POLICY_CFLAGS)
policies_dynamic_dynamic_la_LDFLAGS = $(POLICY_LDFLAGS)

if BUILTIN_POLICIES
BUILTIN_POLICY_LIBS += policies/fifo/libbuiltin_fifo.la
policies_fifo_libbuiltin_fifo_la_SOURCES = $(policies_fifo_fifo_la_SOURCES)
policies_fifo_libbuiltin_fifo_la_CPPFLAGS = $(POLICY_CPPFLAGS) -DTPOOL_POLICY_BUILTIN=fifo
policies_fifo_libbuiltin_fifo_la_CFLAGS = $(POLICY_CFLAGS)

BUILTIN_POLICY_LIBS += policies/roundrobin/libbuiltin_roundrobin.la
policies_roundrobin_libbuiltin_roundrobin_la_SOURCES = $(policies_roundrobin_roundrobin_la_SOURCES)
policies_roundrobin_libbuiltin_roundrobin_la_CPPFLAGS = $(POLICY_CPPFLAGS) \
	-DTPOOL_POLICY_BUILTIN=roundrobin
policies_roundrobin_libbuiltin_roundrobin_la_CFLAGS = $(POLICY_CFLAGS)

BUILTIN_POLICY_LIBS += policies/priority/libbuiltin_priority.la
policies_priority_libbuiltin_priority_la_SOURCES = $(policies_priority_priority_la_SOURCES)
policies_priority_libbuiltin_priority_la_CPPFLAGS = $(POLICY_CPPFLAGS) \
	-DTPOOL_POLICY_BUILTIN=priority
policies_priority_libbuiltin_priority_la_CFLAGS = $(POLICY_CFLAGS)

BUILTIN_POLICY_LIBS += policies/stealing/libbuiltin_stealing.la
policies_stealing_libbuiltin_stealing_la_SOURCES = $(policies_stealing_stealing_la_SOURCES)
policies_stealing_libbuiltin_stealing_la_CPPFLAGS = $(POLICY_CPPFLAGS) \
	-DTPOOL_POLICY_BUILTIN=stealing
policies_stealing_libbuiltin_stealing_la_CFLAGS = $(POLICY_CFLAGS)

BUILTIN_POLICY_LIBS += policies/static/libbuiltin_static.la
policies_static_libbuiltin_static_la_SOURCES = $(policies_static_static_la_SOURCES)
policies_static_libbuiltin_static_la_CPPFLAGS = $(POLICY_CPPFLAGS) \
	-DTPOOL_POLICY_BUILTIN=static
policies_static_libbuiltin_static_la_CFLAGS = $(POLICY_CFLAGS)

BUILTIN_POLICY_LIBS += policies/dynamic/libbuiltin_dynamic.la
policies_dynamic_libbuiltin_dynamic_la_SOURCES = $(policies_dynamic_dynamic_la_SOURCES)
policies_dynamic_libbuiltin_dynamic_la_CPPFLAGS = $(POLICY_CPPFLAGS) \
	-DTPOOL_POLICY_BUILTIN=dynamic
policies_dynamic_libbuiltin_dynamic_la_CFLAGS = $(POLICY_CFLAGS)

noinst_LTLIBRARIES += $(BUILTIN_POLICY_LIBS)
endif

# The measurements behind the defaults of the stealing, static and dynamic
# policies (docs/policies-stealing-static-dynamic.md). Built on request only:
#   make policies/stealing/tune-bench
EXTRA_PROGRAMS += policies/stealing/tune-bench
policies_stealing_tune_bench_SOURCES = policies/stealing/tune-bench.c
policies_stealing_tune_bench_LDADD = core/libtpool.la $(PTHREAD_LIBS)
CLEANFILES += policies/stealing/tune-bench
EXTRA_DIST += policies/stealing/tune.sh

# Every policy of TPOOL_POLICIES has its module here, and nothing else is
# installed as a policy: a policy added to one list and not the other fails
# the build, naming it. The list is configure's own (@...@), not the make
# variable, which `make check TPOOL_POLICIES=...` overrides to choose the
# policies the tests run.
policy-list-check:
	@for p in @TPOOL_POLICIES@; do \
	  case " $(pkglib_LTLIBRARIES) " in *" policies/$$p/$$p.la "*) ;; \
	  *) echo "policies/policies.mk: no module for policy '$$p' of TPOOL_POLICIES (configure.ac)" >&2; exit 1 ;; esac; \
	done; \
	for m in $(pkglib_LTLIBRARIES); do \
	  case " @TPOOL_POLICIES@ " in *" `basename $$m .la` "*) ;; \
	  *) echo "policies/policies.mk: module $$m is not in TPOOL_POLICIES (configure.ac)" >&2; exit 1 ;; esac; \
	done
all-local: policy-list-check
.PHONY: policy-list-check
