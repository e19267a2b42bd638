# libtpool.so (the native API), libpthreadpool.so.0 (the drop-in) and
# tpool-info, all from one set of objects: libtpool_core.la (with the
# checked-input helpers of core/input/libtpool_input.mk), which keeps the
# internal tpool__ symbols visible so that the unit tests can reach them.
# The installed libraries export only their public names (hidden visibility
# plus -export-symbols-regex); the tools link libtpool.so as any program.
noinst_LTLIBRARIES += core/libtpool_core.la
core_libtpool_core_la_CPPFLAGS = $(PUBLIC_CPPFLAGS) $(INPUT_CPPFLAGS) -DTPOOL_PKGLIBDIR='"$(pkglibdir)"'
core_libtpool_core_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
core_libtpool_core_la_SOURCES = \
	core/atomics.h core/clock.h core/fpu.h \
	core/park.c core/park.h \
	core/error_codes.c \
	core/config.c core/config.h \
	core/cpu_linux.c core/cpu.h \
	core/loader.c core/loader.h \
	core/load_isolated.c \
	core/strset.c core/strset.h \
	core/worker_guard.c core/worker_guard.h \
	core/policy_list.c \
	core/resolve.c \
	core/module.c \
	core/builtin.c \
	core/pool.c core/pool.h core/pool_state.h \
	core/wake.c core/wake_state.h \
	core/worker.c \
	core/seats.c core/seats.h core/seats_state.h \
	core/task_run.c \
	core/task.c core/task_state.h \
	core/task_cache.c \
	core/range.c core/range.h \
	core/record.c core/record.h core/record_hooks.h \
	core/create.c \
	core/parallel.h core/parallel_nd.c \
	core/gate.c core/gate_state.h \
	core/resize.c core/resize.h \
	core/elastic.c core/elastic.h \
	core/stats.c \
	core/util.c \
	core/pthreadpool.c
core_libtpool_core_la_LIBADD = core/input/libtpool_input.la $(JANSSON_LIBS) $(PTHREAD_LIBS)
if BUILTIN_POLICIES
core_libtpool_core_la_LIBADD += $(BUILTIN_POLICY_LIBS)
endif

# -z nodelete: the task cache's thread-exit destructor and the fork handlers
# point into the library, so a dlclose must not unmap it.
lib_LTLIBRARIES += core/libtpool.la
core_libtpool_la_SOURCES =
core_libtpool_la_LIBADD = core/libtpool_core.la $(JANSSON_LIBS) $(PTHREAD_LIBS)
core_libtpool_la_LDFLAGS = -version-info 0:0:0 $(AM_LDFLAGS) -Wl,-z,nodelete \
	-export-symbols-regex '^(tpool_[a-z]|pthreadpool_)'

# libpthreadpool.so.0: the whole core, exporting exactly the pthreadpool_*
# functions of Debian's libpthreadpool, so that programs built against it run
# on tpool when this library comes first on the library path.
lib_LTLIBRARIES += core/libpthreadpool.la
core_libpthreadpool_la_SOURCES =
core_libpthreadpool_la_LIBADD = core/libtpool_core.la $(JANSSON_LIBS) $(PTHREAD_LIBS)
core_libpthreadpool_la_LDFLAGS = -version-info 0:0:0 $(AM_LDFLAGS) -Wl,-z,nodelete \
	-export-symbols-regex '^pthreadpool_'

bin_PROGRAMS += core/tpool-info
core_tpool_info_SOURCES = core/tpool-info.c
core_tpool_info_LDADD = core/libtpool.la
