# Man pages, hand-written roff; tests/man_check.sh renders each and checks
# that every option of a program's --help is in its page.
dist_man_MANS = man/tpool-bench.1 man/tpool-info.1 man/tpool-conformance.1 \
	man/tpool.3 man/tpool-policy.7
