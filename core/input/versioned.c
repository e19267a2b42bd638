/* versioned.c - a full-size copy of a descriptor that says its own size
 * (versioned.h). */
#include "versioned.h"

#include <string.h>

void tpool__copy_versioned(void *dst, size_t dst_size, const void *src, size_t src_size,
                           const tpool__member *optional, size_t n)
{
    memset(dst, 0, dst_size);
    memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
    for (size_t i = 0; i < n; i++)
        if (optional[i].offset + optional[i].size > src_size)
            memset((char *)dst + optional[i].offset, 0, optional[i].size);
}
