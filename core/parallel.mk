# The N-d parallel-for, the pthreadpool drop-in, run-time resizing and the
# utilities (issue 3). Included by core/Makefile.am.

libtpool_core_la_SOURCES += \
	parallel.h parallel_nd.c \
	pthreadpool.c \
	resize.c \
	util.c

# libpthreadpool.so.0: the whole core, exporting exactly the pthreadpool_*
# functions of Debian's libpthreadpool, so that programs built against it run
# on tpool when this library comes first on the library path.
lib_LTLIBRARIES += libpthreadpool.la
libpthreadpool_la_SOURCES =
libpthreadpool_la_LIBADD = libtpool_core.la $(JANSSON_LIBS) $(PTHREAD_LIBS)
libpthreadpool_la_LDFLAGS = -version-info 0:0:0 $(SAN_LDFLAGS) -Wl,-z,nodelete \
	-export-symbols-regex '^pthreadpool_'
