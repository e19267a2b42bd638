/*
 * versioned.h - reading a descriptor that a module hands over and that
 * says its own size (`struct_size` after the versions, as every versioned
 * struct of the policy ABI and of tpool-bench.h's workload ABI does): a
 * module built against an older header has fewer members, appended ones
 * missing at the end.
 */
#ifndef TPOOL_CORE_VERSIONED_H
#define TPOOL_CORE_VERSIONED_H

#include <stddef.h>

/* True when a descriptor of `size` bytes holds the whole of `member`. */
#define TPOOL__COVERS(type, size, member) \
    ((size_t)(size) >= offsetof(type, member) + sizeof(((type *)0)->member))

/* Where a member lies, for tpool__copy_versioned. */
typedef struct tpool__member {
    size_t offset, size;
} tpool__member;
#define TPOOL__MEMBER(type, member) { offsetof(type, member), sizeof(((type *)0)->member) }

/*
 * Copies the `src_size` bytes the module declared into `dst` (at most
 * `dst_size`) and zeroes the rest, and zeroes each of the `n` members of
 * `optional` that src_size does not wholly cover: half a pointer is no
 * pointer. The caller then tests optional members for NULL or 0 only.
 */
void tpool__copy_versioned(void *dst, size_t dst_size, const void *src, size_t src_size,
                           const tpool__member *optional, size_t n);

#endif
