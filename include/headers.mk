# The installed headers: the native API, the policy ABI, the queue helpers
# a policy may use, and the pthreadpool drop-in.
include_HEADERS = include/tpool.h include/tpool-policy.h include/tpool-queue.h \
	include/pthreadpool.h
