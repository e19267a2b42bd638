# The installed headers: the native API, the policy ABI and the pthreadpool
# drop-in.
include_HEADERS = include/tpool.h include/tpool-policy.h include/pthreadpool.h
