/*
 * pthreadpool.h - tpool's drop-in for the pthreadpool API (the thread pool
 * of NNPACK, XNNPACK and Caffe2), as Debian ships it in libpthreadpool-dev
 * 0.0~git20210507: the same types, functions, flags and argument order, from
 * C and C++. Programs built against Debian's header and library run on
 * tpool's libpthreadpool.so.0 unchanged; programs built against this header
 * may link either libpthreadpool (tpool's) or libtpool.
 *
 * Every call dispatches through the scheduling policy the pool loaded (see
 * tpool.h): the parallelize functions number the tiles of their grid and
 * hand the numbers out with tpool_parallel_nd, so each policy schedules them
 * its own way.
 *
 * A pthreadpool_t is a tpool *: a pool made with tpool_create (or any other
 * tpool constructor) may be passed, cast to pthreadpool_t, to every function
 * here, and a pool from pthreadpool_create may be passed to the tpool_*
 * functions, cast to tpool *. Destroy it with either destroy function, once.
 *
 * Semantics shared by every parallelize and compute function:
 *   - threadpool NULL: the items are processed serially on the calling
 *     thread.
 *   - The calling thread takes part; threads_count is the parallelism,
 *     the caller included.
 *   - Calls made from several threads on one pool are serialised. A call
 *     made from inside a function running on the same pool (a nested call)
 *     runs serially on the calling thread and never deadlocks.
 *   - A range of 0 along any dimension processes nothing and returns
 *     (Debian's pthreadpool stops on an assertion there).
 *   - Tiles: the function receives the first index of the tile and its size,
 *     which is the tile size clipped at the end of the range. A tile size of
 *     0 is taken as the whole range of its dimension (Debian's divides by
 *     zero).
 *   - Ranges that fit in one tile, or have fewer items than the pool's
 *     min_work_size (tpool_set_min_work_size), run serially on the caller.
 *   - The function runs on the pool's threads and the caller; it must be
 *     safe to call concurrently for different items.
 *   - A grid whose tile count does not fit in a size_t is not processed;
 *     a message goes to stderr (there is no error return).
 */
#ifndef PTHREADPOOL_H_
#define PTHREADPOOL_H_

/* Defined by tpool's header only: lets a program tell which one it got. */
#define TPOOL_PTHREADPOOL_H 1

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define PTHREADPOOL_API __attribute__((visibility("default")))
#else
#define PTHREADPOOL_API
#endif

typedef struct pthreadpool* pthreadpool_t;

typedef void (*pthreadpool_task_1d_t)(void*, size_t);
typedef void (*pthreadpool_task_1d_tile_1d_t)(void*, size_t, size_t);
typedef void (*pthreadpool_task_2d_t)(void*, size_t, size_t);
typedef void (*pthreadpool_task_2d_tile_1d_t)(void*, size_t, size_t, size_t);
typedef void (*pthreadpool_task_2d_tile_2d_t)(void*, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_3d_t)(void*, size_t, size_t, size_t);
typedef void (*pthreadpool_task_3d_tile_1d_t)(void*, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_3d_tile_2d_t)(void*, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_4d_t)(void*, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_4d_tile_1d_t)(void*, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_4d_tile_2d_t)(void*, size_t, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_5d_t)(void*, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_5d_tile_1d_t)(void*, size_t, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_5d_tile_2d_t)(void*, size_t, size_t, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_6d_t)(void*, size_t, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_6d_tile_1d_t)(void*, size_t, size_t, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_6d_tile_2d_t)(void*, size_t, size_t, size_t, size_t, size_t, size_t, size_t, size_t);

typedef void (*pthreadpool_task_1d_with_id_t)(void*, uint32_t, size_t);
typedef void (*pthreadpool_task_2d_tile_2d_with_id_t)(void*, uint32_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_3d_tile_2d_with_id_t)(void*, uint32_t, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_4d_tile_2d_with_id_t)(void*, uint32_t, size_t, size_t, size_t, size_t, size_t, size_t);

/* Flush denormals to zero (x86 FTZ and DAZ) on every thread taking part, for
 * the duration of the call; the previous mode is restored afterwards. */
#define PTHREADPOOL_FLAG_DISABLE_DENORMALS 0x00000001

/* The workers park (sleep in the kernel) right after this call instead of
 * spinning for new work first. Affects this call only. */
#define PTHREADPOOL_FLAG_YIELD_WORKERS 0x00000002

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Creates a pool of threads_count threads, the caller included (0: the
 * default, TPOOL_THREADS or else the CPUs this process may use, see
 * tpool_default_threads; at most 4096, TPOOL_MAX_THREADS in tpool.h, however
 * many CPUs there are). A threads_count above 4096 gives NULL. Everything else comes from the environment as for
 * tpool_create_default: the file named by TPOOL_CONFIG, then TPOOL_POLICY,
 * TPOOL_THREADS and TPOOL_POLICY_PATH. When neither TPOOL_CONFIG nor
 * TPOOL_POLICY is set, the policy is TPOOL_PTHREADPOOL_DEFAULT_POLICY (see
 * core/pthreadpool.c). Returns NULL on any error, as pthreadpool does, and
 * then writes one line saying why to stderr (the reason would otherwise be
 * lost: there is no error code to return).
 */
PTHREADPOOL_API pthreadpool_t pthreadpool_create(size_t threads_count);

/* The parallelism of the pool, the caller included; 1 for NULL. */
PTHREADPOOL_API size_t pthreadpool_get_threads_count(pthreadpool_t threadpool);

/* for (i = 0; i < range; i++) function(context, i); */
PTHREADPOOL_API void pthreadpool_parallelize_1d(
	pthreadpool_t threadpool,
	pthreadpool_task_1d_t function,
	void* context,
	size_t range,
	uint32_t flags);

/*
 * for (i = 0; i < range; i++) function(context, uarch_index, i);
 * uarch_index is always default_uarch_index: tpool does not use cpuinfo, so
 * it cannot tell one core's microarchitecture from another's, and pthreadpool
 * itself passes default_uarch_index when cpuinfo is unavailable. The same
 * holds for every _with_uarch function.
 */
PTHREADPOOL_API void pthreadpool_parallelize_1d_with_uarch(
	pthreadpool_t threadpool,
	pthreadpool_task_1d_with_id_t function,
	void* context,
	uint32_t default_uarch_index,
	uint32_t max_uarch_index,
	size_t range,
	uint32_t flags);

/* for (i = 0; i < range; i += tile) function(context, i, min(range - i, tile)); */
PTHREADPOOL_API void pthreadpool_parallelize_1d_tile_1d(
	pthreadpool_t threadpool,
	pthreadpool_task_1d_tile_1d_t function,
	void* context,
	size_t range,
	size_t tile,
	uint32_t flags);

/* for (i < range_i) for (j < range_j) function(context, i, j); */
PTHREADPOOL_API void pthreadpool_parallelize_2d(
	pthreadpool_t threadpool,
	pthreadpool_task_2d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	uint32_t flags);

/* for (i < range_i) for (j < range_j; j += tile_j)
 *     function(context, i, j, min(range_j - j, tile_j)); */
PTHREADPOOL_API void pthreadpool_parallelize_2d_tile_1d(
	pthreadpool_t threadpool,
	pthreadpool_task_2d_tile_1d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t tile_j,
	uint32_t flags);

/* for (i < range_i; i += tile_i) for (j < range_j; j += tile_j)
 *     function(context, i, j, min(range_i - i, tile_i), min(range_j - j, tile_j)); */
PTHREADPOOL_API void pthreadpool_parallelize_2d_tile_2d(
	pthreadpool_t threadpool,
	pthreadpool_task_2d_tile_2d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t tile_i,
	size_t tile_j,
	uint32_t flags);

/* As pthreadpool_parallelize_2d_tile_2d, with default_uarch_index passed
 * after the context. */
PTHREADPOOL_API void pthreadpool_parallelize_2d_tile_2d_with_uarch(
	pthreadpool_t threadpool,
	pthreadpool_task_2d_tile_2d_with_id_t function,
	void* context,
	uint32_t default_uarch_index,
	uint32_t max_uarch_index,
	size_t range_i,
	size_t range_j,
	size_t tile_i,
	size_t tile_j,
	uint32_t flags);

/* for (i < range_i) for (j < range_j) for (k < range_k) function(context, i, j, k); */
PTHREADPOOL_API void pthreadpool_parallelize_3d(
	pthreadpool_t threadpool,
	pthreadpool_task_3d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	uint32_t flags);

/* for (i) for (j) for (k; k += tile_k) function(context, i, j, k, min(range_k - k, tile_k)); */
PTHREADPOOL_API void pthreadpool_parallelize_3d_tile_1d(
	pthreadpool_t threadpool,
	pthreadpool_task_3d_tile_1d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t tile_k,
	uint32_t flags);

/* for (i) for (j; j += tile_j) for (k; k += tile_k)
 *     function(context, i, j, k, min(range_j - j, tile_j), min(range_k - k, tile_k)); */
PTHREADPOOL_API void pthreadpool_parallelize_3d_tile_2d(
	pthreadpool_t threadpool,
	pthreadpool_task_3d_tile_2d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t tile_j,
	size_t tile_k,
	uint32_t flags);

/* As pthreadpool_parallelize_3d_tile_2d, with default_uarch_index passed
 * after the context. */
PTHREADPOOL_API void pthreadpool_parallelize_3d_tile_2d_with_uarch(
	pthreadpool_t threadpool,
	pthreadpool_task_3d_tile_2d_with_id_t function,
	void* context,
	uint32_t default_uarch_index,
	uint32_t max_uarch_index,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t tile_j,
	size_t tile_k,
	uint32_t flags);

/* for (i) for (j) for (k) for (l) function(context, i, j, k, l); */
PTHREADPOOL_API void pthreadpool_parallelize_4d(
	pthreadpool_t threadpool,
	pthreadpool_task_4d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	uint32_t flags);

/* for (i) for (j) for (k) for (l; l += tile_l)
 *     function(context, i, j, k, l, min(range_l - l, tile_l)); */
PTHREADPOOL_API void pthreadpool_parallelize_4d_tile_1d(
	pthreadpool_t threadpool,
	pthreadpool_task_4d_tile_1d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t tile_l,
	uint32_t flags);

/* for (i) for (j) for (k; k += tile_k) for (l; l += tile_l)
 *     function(context, i, j, k, l, min(range_k - k, tile_k), min(range_l - l, tile_l)); */
PTHREADPOOL_API void pthreadpool_parallelize_4d_tile_2d(
	pthreadpool_t threadpool,
	pthreadpool_task_4d_tile_2d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t tile_k,
	size_t tile_l,
	uint32_t flags);

/* As pthreadpool_parallelize_4d_tile_2d, with default_uarch_index passed
 * after the context. */
PTHREADPOOL_API void pthreadpool_parallelize_4d_tile_2d_with_uarch(
	pthreadpool_t threadpool,
	pthreadpool_task_4d_tile_2d_with_id_t function,
	void* context,
	uint32_t default_uarch_index,
	uint32_t max_uarch_index,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t tile_k,
	size_t tile_l,
	uint32_t flags);

/* for (i) for (j) for (k) for (l) for (m) function(context, i, j, k, l, m); */
PTHREADPOOL_API void pthreadpool_parallelize_5d(
	pthreadpool_t threadpool,
	pthreadpool_task_5d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t range_m,
	uint32_t flags);

/* for (i) for (j) for (k) for (l) for (m; m += tile_m)
 *     function(context, i, j, k, l, m, min(range_m - m, tile_m)); */
PTHREADPOOL_API void pthreadpool_parallelize_5d_tile_1d(
	pthreadpool_t threadpool,
	pthreadpool_task_5d_tile_1d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t range_m,
	size_t tile_m,
	uint32_t flags);

/* for (i) for (j) for (k) for (l; l += tile_l) for (m; m += tile_m)
 *     function(context, i, j, k, l, m, min(range_l - l, tile_l), min(range_m - m, tile_m)); */
PTHREADPOOL_API void pthreadpool_parallelize_5d_tile_2d(
	pthreadpool_t threadpool,
	pthreadpool_task_5d_tile_2d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t range_m,
	size_t tile_l,
	size_t tile_m,
	uint32_t flags);

/* for (i) for (j) for (k) for (l) for (m) for (n) function(context, i, j, k, l, m, n); */
PTHREADPOOL_API void pthreadpool_parallelize_6d(
	pthreadpool_t threadpool,
	pthreadpool_task_6d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t range_m,
	size_t range_n,
	uint32_t flags);

/* for (i) ... for (m) for (n; n += tile_n)
 *     function(context, i, j, k, l, m, n, min(range_n - n, tile_n)); */
PTHREADPOOL_API void pthreadpool_parallelize_6d_tile_1d(
	pthreadpool_t threadpool,
	pthreadpool_task_6d_tile_1d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t range_m,
	size_t range_n,
	size_t tile_n,
	uint32_t flags);

/* for (i) ... for (m; m += tile_m) for (n; n += tile_n)
 *     function(context, i, j, k, l, m, n, min(range_m - m, tile_m), min(range_n - n, tile_n)); */
PTHREADPOOL_API void pthreadpool_parallelize_6d_tile_2d(
	pthreadpool_t threadpool,
	pthreadpool_task_6d_tile_2d_t function,
	void* context,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t range_m,
	size_t range_n,
	size_t tile_m,
	size_t tile_n,
	uint32_t flags);

/*
 * Destroys the pool: runs every task still queued (tpool_destroy), stops the
 * threads and frees it. NULL does nothing. Called from a function running on
 * the same pool it would wait for itself: it then writes a message to stderr
 * and leaves the pool alone.
 */
PTHREADPOOL_API void pthreadpool_destroy(pthreadpool_t threadpool);

#ifndef PTHREADPOOL_NO_DEPRECATED_API

/* The legacy API of NNPACK's days; define PTHREADPOOL_NO_DEPRECATED_API to
 * hide it. Each is its parallelize counterpart with flags 0. */
#if defined(__GNUC__)
	#define PTHREADPOOL_DEPRECATED __attribute__((__deprecated__))
#else
	#define PTHREADPOOL_DEPRECATED
#endif

typedef void (*pthreadpool_function_1d_t)(void*, size_t);
typedef void (*pthreadpool_function_1d_tiled_t)(void*, size_t, size_t);
typedef void (*pthreadpool_function_2d_t)(void*, size_t, size_t);
typedef void (*pthreadpool_function_2d_tiled_t)(void*, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_function_3d_tiled_t)(void*, size_t, size_t, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_function_4d_tiled_t)(void*, size_t, size_t, size_t, size_t, size_t, size_t, size_t, size_t);

/* pthreadpool_parallelize_1d */
PTHREADPOOL_API void pthreadpool_compute_1d(
	pthreadpool_t threadpool,
	pthreadpool_function_1d_t function,
	void* argument,
	size_t range) PTHREADPOOL_DEPRECATED;

/* pthreadpool_parallelize_1d_tile_1d */
PTHREADPOOL_API void pthreadpool_compute_1d_tiled(
	pthreadpool_t threadpool,
	pthreadpool_function_1d_tiled_t function,
	void* argument,
	size_t range,
	size_t tile) PTHREADPOOL_DEPRECATED;

/* pthreadpool_parallelize_2d */
PTHREADPOOL_API void pthreadpool_compute_2d(
	pthreadpool_t threadpool,
	pthreadpool_function_2d_t function,
	void* argument,
	size_t range_i,
	size_t range_j) PTHREADPOOL_DEPRECATED;

/* pthreadpool_parallelize_2d_tile_2d */
PTHREADPOOL_API void pthreadpool_compute_2d_tiled(
	pthreadpool_t threadpool,
	pthreadpool_function_2d_tiled_t function,
	void* argument,
	size_t range_i,
	size_t range_j,
	size_t tile_i,
	size_t tile_j) PTHREADPOOL_DEPRECATED;

/* Tiles along all three dimensions:
 * function(argument, i, j, k, size_i, size_j, size_k) for each tile. */
PTHREADPOOL_API void pthreadpool_compute_3d_tiled(
	pthreadpool_t threadpool,
	pthreadpool_function_3d_tiled_t function,
	void* argument,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t tile_i,
	size_t tile_j,
	size_t tile_k) PTHREADPOOL_DEPRECATED;

/* Tiles along all four dimensions:
 * function(argument, i, j, k, l, size_i, size_j, size_k, size_l) for each tile. */
PTHREADPOOL_API void pthreadpool_compute_4d_tiled(
	pthreadpool_t threadpool,
	pthreadpool_function_4d_tiled_t function,
	void* argument,
	size_t range_i,
	size_t range_j,
	size_t range_k,
	size_t range_l,
	size_t tile_i,
	size_t tile_j,
	size_t tile_k,
	size_t tile_l) PTHREADPOOL_DEPRECATED;

#endif /* PTHREADPOOL_NO_DEPRECATED_API */

#ifdef __cplusplus
} /* extern "C" */
#endif

#ifdef __cplusplus
/*
 * C++: each parallelize function also takes a functor (a lambda, say) in
 * place of function and context, with flags defaulting to 0, as in
 * pthreadpool. The functor takes the same arguments as the function type,
 * less the context.
 */
namespace libpthreadpool {
namespace detail {
namespace {

template<class T> void call_wrapper_1d(void* f, size_t i)
	{ (*static_cast<const T*>(f))(i); }
template<class T> void call_wrapper_1d_tile_1d(void* f, size_t i, size_t ti)
	{ (*static_cast<const T*>(f))(i, ti); }
template<class T> void call_wrapper_2d(void* f, size_t i, size_t j)
	{ (*static_cast<const T*>(f))(i, j); }
template<class T> void call_wrapper_2d_tile_1d(void* f, size_t i, size_t j, size_t tj)
	{ (*static_cast<const T*>(f))(i, j, tj); }
template<class T> void call_wrapper_2d_tile_2d(void* f, size_t i, size_t j, size_t ti, size_t tj)
	{ (*static_cast<const T*>(f))(i, j, ti, tj); }
template<class T> void call_wrapper_3d(void* f, size_t i, size_t j, size_t k)
	{ (*static_cast<const T*>(f))(i, j, k); }
template<class T> void call_wrapper_3d_tile_1d(void* f, size_t i, size_t j, size_t k, size_t tk)
	{ (*static_cast<const T*>(f))(i, j, k, tk); }
template<class T> void call_wrapper_3d_tile_2d(void* f, size_t i, size_t j, size_t k, size_t tj, size_t tk)
	{ (*static_cast<const T*>(f))(i, j, k, tj, tk); }
template<class T> void call_wrapper_4d(void* f, size_t i, size_t j, size_t k, size_t l)
	{ (*static_cast<const T*>(f))(i, j, k, l); }
template<class T> void call_wrapper_4d_tile_1d(void* f, size_t i, size_t j, size_t k, size_t l, size_t tl)
	{ (*static_cast<const T*>(f))(i, j, k, l, tl); }
template<class T> void call_wrapper_4d_tile_2d(void* f, size_t i, size_t j, size_t k, size_t l,
		size_t tk, size_t tl)
	{ (*static_cast<const T*>(f))(i, j, k, l, tk, tl); }
template<class T> void call_wrapper_5d(void* f, size_t i, size_t j, size_t k, size_t l, size_t m)
	{ (*static_cast<const T*>(f))(i, j, k, l, m); }
template<class T> void call_wrapper_5d_tile_1d(void* f, size_t i, size_t j, size_t k, size_t l,
		size_t m, size_t tm)
	{ (*static_cast<const T*>(f))(i, j, k, l, m, tm); }
template<class T> void call_wrapper_5d_tile_2d(void* f, size_t i, size_t j, size_t k, size_t l,
		size_t m, size_t tl, size_t tm)
	{ (*static_cast<const T*>(f))(i, j, k, l, m, tl, tm); }
template<class T> void call_wrapper_6d(void* f, size_t i, size_t j, size_t k, size_t l, size_t m,
		size_t n)
	{ (*static_cast<const T*>(f))(i, j, k, l, m, n); }
template<class T> void call_wrapper_6d_tile_1d(void* f, size_t i, size_t j, size_t k, size_t l,
		size_t m, size_t n, size_t tn)
	{ (*static_cast<const T*>(f))(i, j, k, l, m, n, tn); }
template<class T> void call_wrapper_6d_tile_2d(void* f, size_t i, size_t j, size_t k, size_t l,
		size_t m, size_t n, size_t tm, size_t tn)
	{ (*static_cast<const T*>(f))(i, j, k, l, m, n, tm, tn); }

template<class T> void* functor_context(const T& functor)
	{ return const_cast<void*>(static_cast<const void*>(&functor)); }

}  /* namespace */
}  /* namespace detail */
}  /* namespace libpthreadpool */

template<class T>
inline void pthreadpool_parallelize_1d(pthreadpool_t threadpool, const T& functor,
	size_t range, uint32_t flags = 0)
{
	pthreadpool_parallelize_1d(threadpool,
		&libpthreadpool::detail::call_wrapper_1d<const T>,
		libpthreadpool::detail::functor_context(functor), range, flags);
}

template<class T>
inline void pthreadpool_parallelize_1d_tile_1d(pthreadpool_t threadpool, const T& functor,
	size_t range, size_t tile, uint32_t flags = 0)
{
	pthreadpool_parallelize_1d_tile_1d(threadpool,
		&libpthreadpool::detail::call_wrapper_1d_tile_1d<const T>,
		libpthreadpool::detail::functor_context(functor), range, tile, flags);
}

template<class T>
inline void pthreadpool_parallelize_2d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, uint32_t flags = 0)
{
	pthreadpool_parallelize_2d(threadpool,
		&libpthreadpool::detail::call_wrapper_2d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, flags);
}

template<class T>
inline void pthreadpool_parallelize_2d_tile_1d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t tile_j, uint32_t flags = 0)
{
	pthreadpool_parallelize_2d_tile_1d(threadpool,
		&libpthreadpool::detail::call_wrapper_2d_tile_1d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, tile_j, flags);
}

template<class T>
inline void pthreadpool_parallelize_2d_tile_2d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t tile_i, size_t tile_j, uint32_t flags = 0)
{
	pthreadpool_parallelize_2d_tile_2d(threadpool,
		&libpthreadpool::detail::call_wrapper_2d_tile_2d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, tile_i, tile_j,
		flags);
}

template<class T>
inline void pthreadpool_parallelize_3d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, uint32_t flags = 0)
{
	pthreadpool_parallelize_3d(threadpool,
		&libpthreadpool::detail::call_wrapper_3d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, flags);
}

template<class T>
inline void pthreadpool_parallelize_3d_tile_1d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t tile_k, uint32_t flags = 0)
{
	pthreadpool_parallelize_3d_tile_1d(threadpool,
		&libpthreadpool::detail::call_wrapper_3d_tile_1d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, tile_k,
		flags);
}

template<class T>
inline void pthreadpool_parallelize_3d_tile_2d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t tile_j, size_t tile_k,
	uint32_t flags = 0)
{
	pthreadpool_parallelize_3d_tile_2d(threadpool,
		&libpthreadpool::detail::call_wrapper_3d_tile_2d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, tile_j,
		tile_k, flags);
}

template<class T>
inline void pthreadpool_parallelize_4d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t range_l, uint32_t flags = 0)
{
	pthreadpool_parallelize_4d(threadpool,
		&libpthreadpool::detail::call_wrapper_4d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, range_l,
		flags);
}

template<class T>
inline void pthreadpool_parallelize_4d_tile_1d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t range_l, size_t tile_l,
	uint32_t flags = 0)
{
	pthreadpool_parallelize_4d_tile_1d(threadpool,
		&libpthreadpool::detail::call_wrapper_4d_tile_1d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, range_l,
		tile_l, flags);
}

template<class T>
inline void pthreadpool_parallelize_4d_tile_2d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t range_l, size_t tile_k,
	size_t tile_l, uint32_t flags = 0)
{
	pthreadpool_parallelize_4d_tile_2d(threadpool,
		&libpthreadpool::detail::call_wrapper_4d_tile_2d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, range_l,
		tile_k, tile_l, flags);
}

template<class T>
inline void pthreadpool_parallelize_5d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t range_l, size_t range_m,
	uint32_t flags = 0)
{
	pthreadpool_parallelize_5d(threadpool,
		&libpthreadpool::detail::call_wrapper_5d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, range_l,
		range_m, flags);
}

template<class T>
inline void pthreadpool_parallelize_5d_tile_1d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t range_l, size_t range_m,
	size_t tile_m, uint32_t flags = 0)
{
	pthreadpool_parallelize_5d_tile_1d(threadpool,
		&libpthreadpool::detail::call_wrapper_5d_tile_1d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, range_l,
		range_m, tile_m, flags);
}

template<class T>
inline void pthreadpool_parallelize_5d_tile_2d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t range_l, size_t range_m,
	size_t tile_l, size_t tile_m, uint32_t flags = 0)
{
	pthreadpool_parallelize_5d_tile_2d(threadpool,
		&libpthreadpool::detail::call_wrapper_5d_tile_2d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, range_l,
		range_m, tile_l, tile_m, flags);
}

template<class T>
inline void pthreadpool_parallelize_6d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t range_l, size_t range_m,
	size_t range_n, uint32_t flags = 0)
{
	pthreadpool_parallelize_6d(threadpool,
		&libpthreadpool::detail::call_wrapper_6d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, range_l,
		range_m, range_n, flags);
}

template<class T>
inline void pthreadpool_parallelize_6d_tile_1d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t range_l, size_t range_m,
	size_t range_n, size_t tile_n, uint32_t flags = 0)
{
	pthreadpool_parallelize_6d_tile_1d(threadpool,
		&libpthreadpool::detail::call_wrapper_6d_tile_1d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, range_l,
		range_m, range_n, tile_n, flags);
}

template<class T>
inline void pthreadpool_parallelize_6d_tile_2d(pthreadpool_t threadpool, const T& functor,
	size_t range_i, size_t range_j, size_t range_k, size_t range_l, size_t range_m,
	size_t range_n, size_t tile_m, size_t tile_n, uint32_t flags = 0)
{
	pthreadpool_parallelize_6d_tile_2d(threadpool,
		&libpthreadpool::detail::call_wrapper_6d_tile_2d<const T>,
		libpthreadpool::detail::functor_context(functor), range_i, range_j, range_k, range_l,
		range_m, range_n, tile_m, tile_n, flags);
}
#endif /* __cplusplus */

#endif /* PTHREADPOOL_H_ */
