# The fork suite (issue 8, reliability): a child of a process with busy
# pools creates and uses new pools and drops the inherited ones. Included
# by tests/Makefile.am.

if HAVE_CHECK
TESTS += check_fork
check_PROGRAMS += check_fork
endif
check_fork_SOURCES = check_fork.c
