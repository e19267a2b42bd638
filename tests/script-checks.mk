# Checks written as shell scripts: the bad-input corpus, the conformance
# command line against every policy and the broken modules, the docs
# against the code, and the policy template built in the tree. The
# installed-prefix check of the template (template_check.sh) and the
# libFuzzer targets (fuzz/run.sh) run from CI, outside make check.

# corpus_check.sh runs tpool-info --check-config and tpool-bench on every
# case of tests/corpus and on cases it makes in a temporary directory.
TESTS += tests/corpus_check.sh
EXTRA_DIST += tests/corpus_check.sh tests/corpus

# tpool-conformance on every policy (all must pass) and on the
# mod_broken_* modules (each must fail the check it breaks).
TESTS += tests/conformance_cli.sh
EXTRA_DIST += tests/conformance_cli.sh

# api_docs_check.sh fails naming each exported function, public macro or
# header-only helper that docs/api.md or docs/policy-abi.md does not
# document; tutorial_quotes_check.sh fails when a code quote of
# docs/writing-a-policy.md differs from the template file it quotes.
TESTS += tests/api_docs_check.sh tests/tutorial_quotes_check.sh
EXTRA_DIST += tests/api_docs_check.sh tests/tutorial_quotes_check.sh

# alloc_check.sh fails naming each file and line of core/ that allocates (or
# frees) with the C library instead of the library's allocator
# (core/input/alloc.h), so that no allocation escapes the fault tests.
TESTS += tests/alloc_check.sh
EXTRA_DIST += tests/alloc_check.sh

# layering_check.sh: the core's files call only downward: it fails on an
# #include cycle between files of core/ and on a call cycle between its
# objects (read with nm from the build tree) beyond the few it allows.
TESTS += tests/layering_check.sh
EXTRA_DIST += tests/layering_check.sh

# ownership_check.sh: each sub-struct of struct tpool (core/pool.h) is
# written only by the files of core/ that own it (its table of owners).
TESTS += tests/ownership_check.sh
EXTRA_DIST += tests/ownership_check.sh

# client_check.sh: tpool-bench, tpool-conformance and tpool-info are
# clients of libtpool.so (public headers, no copy of the core; the harness
# may use the checked-input helpers of core/input/), and core/input/
# includes nothing of the core.
TESTS += tests/client_check.sh
EXTRA_DIST += tests/client_check.sh

# installed_docs_check.sh: the documents make install puts in $(docdir)
# stand alone (no build-machine path, no file outside the project, no issue
# numbers, links only to installed documents, source files named as such).
TESTS += tests/installed_docs_check.sh
EXTRA_DIST += tests/installed_docs_check.sh

# The policy template (examples/policy-template) built in the tree with the
# public header alone and hidden visibility, as out of tree, and checked
# like a policy of the tree: lifo_tree_check.sh runs the conformance suite
# and the template's demo against it.
check_LTLIBRARIES += tests/lifo.la
tests_lifo_la_SOURCES = examples/policy-template/lifo.c
tests_lifo_la_CPPFLAGS = $(PUBLIC_CPPFLAGS)
tests_lifo_la_CFLAGS = $(WARN_CFLAGS) $(SAN_CFLAGS) -fvisibility=hidden
tests_lifo_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
check_PROGRAMS += tests/lifo_demo
tests_lifo_demo_SOURCES = examples/policy-template/lifo-demo.c
tests_lifo_demo_CPPFLAGS = $(PUBLIC_CPPFLAGS)
tests_lifo_demo_LDADD = core/libtpool.la $(PTHREAD_LIBS)
if HAVE_CHECK
TESTS += tests/lifo_tree_check.sh
endif
EXTRA_DIST += tests/lifo_tree_check.sh tests/template_check.sh

# The libFuzzer targets and their seed corpora.
EXTRA_DIST += tests/fuzz

# Recording through the drop-in: a program built against Debian's
# pthreadpool, recorded on tpool's libpthreadpool.so.0 and replayed, and the
# XNNPACK example when it is installed (skipped without libpthreadpool-dev).
TESTS += tests/record_dropin_check.sh
EXTRA_DIST += tests/record_dropin_check.sh

# perf_targets_check.sh: harness/perf-targets.sh's report on fixed CSVs
# (each target's ratio, 95% CI, verdict and whether the CI lies inside the
# bound, as text and Markdown), and a run with a stand-in tpool-bench (the
# commands and load it prints, --busy's loops beside the run and ended with it).
TESTS += tests/perf_targets_check.sh
EXTRA_DIST += tests/perf_targets_check.sh tests/perf-targets
