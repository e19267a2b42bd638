/*
 * atomics.h - the one header that touches <stdatomic.h>. Everything
 * concurrent in the core goes through these wrappers so the memory orders
 * are stated at each use. Waiting (spinning, the futex) is park.h's.
 */
#ifndef TPOOL_CORE_ATOMICS_H
#define TPOOL_CORE_ATOMICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>


#define TPOOL__CACHELINE 64
#define TPOOL__ALIGNED _Alignas(TPOOL__CACHELINE)

typedef _Atomic uint32_t tpool__a32;
typedef _Atomic uint64_t tpool__a64;
typedef _Atomic size_t tpool__asize;

#define ld_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define ld_acquire(p) atomic_load_explicit((p), memory_order_acquire)
#define st_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define st_release(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define add_relaxed(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define add_acqrel(p, v) atomic_fetch_add_explicit((p), (v), memory_order_acq_rel)
#define sub_acqrel(p, v) atomic_fetch_sub_explicit((p), (v), memory_order_acq_rel)

/*
 * A full fence for the Dekker-style handshakes (publish work, fence, read a
 * worker's state / publish PARKED, fence, look for work). ThreadSanitizer
 * does not model fences (gcc rejects them under -fsanitize=thread), so there
 * each fence is a seq_cst read-modify-write of one process-wide word: two
 * such RMWs are ordered and synchronise with each other, which gives every
 * fence pair the same guarantee, in a form the sanitizer understands.
 */
#if defined(__SANITIZE_THREAD__)
#define TPOOL__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TPOOL__TSAN 1
#endif
#endif
#ifdef TPOOL__TSAN
extern tpool__a32 tpool__tsan_fence_word;
#define fence_seq_cst() ((void)atomic_fetch_add(&tpool__tsan_fence_word, 0))
#else
#define fence_seq_cst() atomic_thread_fence(memory_order_seq_cst)
#endif

#endif
