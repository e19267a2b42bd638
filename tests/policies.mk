# (empty for now)

# stealing, static, dynamic (issue 5)
if HAVE_CHECK
SSD_TESTS = check_stealing check_deque check_static check_dynamic
TESTS += $(SSD_TESTS)
check_PROGRAMS += $(SSD_TESTS)
endif
check_stealing_SOURCES = check_stealing.c
check_deque_SOURCES = check_deque.c
check_deque_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policies/stealing
check_static_SOURCES = check_static.c
check_dynamic_SOURCES = check_dynamic.c

# roundrobin, priority (issue 4)
if HAVE_CHECK
RRP_TESTS = check_roundrobin check_priority
TESTS += $(RRP_TESTS)
check_PROGRAMS += $(RRP_TESTS)
endif
check_roundrobin_SOURCES = check_roundrobin.c
check_priority_SOURCES = check_priority.c

# policies linked into libtpool, builtin:NAME (issue 7)
if HAVE_CHECK
TESTS += check_builtin
check_PROGRAMS += check_builtin
endif
check_builtin_SOURCES = check_builtin.c
