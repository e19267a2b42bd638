# A small demo of the native API, and the examples installed with the docs.
noinst_PROGRAMS += examples/tpool-demo
examples_tpool_demo_SOURCES = examples/demo.c
examples_tpool_demo_CPPFLAGS = $(PUBLIC_CPPFLAGS)
examples_tpool_demo_LDADD = core/libtpool.la

exampledir = $(docdir)/examples
dist_example_DATA = examples/tpool.json examples/demo.c

# The policy template (docs/writing-a-policy.md): an out-of-tree policy with
# its own Makefile, installed beside the examples so that a student copies
# it from $(docdir)/examples/policy-template. It is built and tested from
# tests/ (template-checks.mk, template_check.sh).
templatedir = $(docdir)/examples/policy-template
dist_template_DATA = examples/policy-template/README.md examples/policy-template/Makefile \
	examples/policy-template/lifo.c examples/policy-template/lifo-demo.c \
	examples/policy-template/lifo.json examples/policy-template/bench.json

# A real pthreadpool client (XNNPACK), recorded through the drop-in and
# replayed (docs/harness.md, "Record and replay"): in the source
# distribution only (it is run against a build tree);
# tests/record_dropin_check.sh runs the script when XNNPACK is installed.
EXTRA_DIST += examples/record-xnnpack/cnn.c examples/record-xnnpack/record-and-replay.sh

# The workload template (docs/harness.md, "Workloads of your own"): an
# out-of-tree tpool-bench workload with its own Makefile, installed beside
# the policy template; tests/template_check.sh builds it against an
# installed tpool and runs it with the installed tpool-bench.
wltemplatedir = $(docdir)/examples/workload-template
dist_wltemplate_DATA = examples/workload-template/README.md \
	examples/workload-template/Makefile examples/workload-template/jobs.c \
	examples/workload-template/bench.json
