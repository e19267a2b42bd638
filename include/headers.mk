# The installed headers: the native API, the policy ABI, the queue helpers
# a policy may use, policy modules opened outside a pool (for tools),
# tpool-bench's workload ABI, and the pthreadpool drop-in.
include_HEADERS = include/tpool.h include/tpool-policy.h include/tpool-queue.h \
	include/tpool-module.h include/tpool-bench.h include/pthreadpool.h
