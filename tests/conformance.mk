# The conformance checks (issue 9.3, 8.4): check_conformance links the
# checks of conformance/ and runs them on every policy of the build;
# conformance_cli.sh runs tpool-conformance on every policy (all must pass)
# and on the mod_broken_* modules (each must fail the check it breaks).
check_conformance_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/conformance
check_conformance_LDADD = $(top_builddir)/conformance/libconformance.la $(LDADD)

check_LTLIBRARIES += mod_broken_twice.la mod_broken_lose.la mod_broken_range.la \
	mod_broken_wake.la mod_broken_race.la
mod_broken_twice_la_SOURCES = modules/mod_broken_twice.c
mod_broken_twice_la_LDFLAGS = $(MODFLAGS)
mod_broken_lose_la_SOURCES = modules/mod_broken_lose.c
mod_broken_lose_la_LDFLAGS = $(MODFLAGS)
mod_broken_range_la_SOURCES = modules/mod_broken_range.c
mod_broken_range_la_LDFLAGS = $(MODFLAGS)
mod_broken_wake_la_SOURCES = modules/mod_broken_wake.c
mod_broken_wake_la_LDFLAGS = $(MODFLAGS)
mod_broken_race_la_SOURCES = modules/mod_broken_race.c
mod_broken_race_la_LDFLAGS = $(MODFLAGS)

TESTS += conformance_cli.sh
EXTRA_DIST += conformance_cli.sh
