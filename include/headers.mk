# The installed headers: the native API, the policy ABI, tpool-bench's
# workload ABI and the pthreadpool drop-in.
include_HEADERS = include/tpool.h include/tpool-policy.h include/tpool-bench.h \
	include/pthreadpool.h
