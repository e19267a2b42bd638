# libtpool_input.la: the checked-input helpers, what turns text and modules
# a user hands over into checked values or errors that say what and where:
# error formatting, text files, JSON positions and renderings, parameter
# tables, descriptors that say their own size, ELF checks, the child-process
# runner, and the library's allocator (alloc.c, behind the allocation fault
# point) that they and the whole core allocate through. No
# runtime state: it includes only the public headers and its own, so it is
# linked into the library (through libtpool_core.la) and, as a separate
# static copy, into tpool-bench, which checks its experiments and workload
# modules with the same code while it reaches the runtime through
# libtpool.so only. client_check.sh keeps it so.
INPUT_CPPFLAGS = -I$(top_srcdir)/core/input

noinst_LTLIBRARIES += core/input/libtpool_input.la
core_input_libtpool_input_la_CPPFLAGS = $(PUBLIC_CPPFLAGS)
core_input_libtpool_input_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
core_input_libtpool_input_la_SOURCES = \
	core/input/fault.c core/input/fault.h \
	core/input/alloc.c core/input/alloc.h \
	core/input/error.c core/input/error.h \
	core/input/textfile.c core/input/textfile.h \
	core/input/json_locate.c core/input/json_locate.h \
	core/input/params.c core/input/params.h \
	core/input/versioned.c core/input/versioned.h \
	core/input/elf_linux.c core/input/elf_check.h \
	core/input/child.c core/input/child.h
core_input_libtpool_input_la_LIBADD = $(JANSSON_LIBS)
