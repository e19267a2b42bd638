/*
 * pthreadpool_debian_prog.c - a small pthreadpool user built against
 * Debian's own /usr/include/pthreadpool.h and linked against Debian's
 * libpthreadpool (-lpthreadpool), as any program packaged for Debian would
 * be. check_pthreadpool_system runs it on Debian's library and on tpool's
 * libpthreadpool.so.0. It prints the library pthreadpool_create came from,
 * the thread count, and "result: ok" when every item was processed once.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthreadpool.h>
#include <stdatomic.h>
#include <stdio.h>

#ifdef TPOOL_PTHREADPOOL_H
#error "built against tpool's pthreadpool.h; this program must use Debian's"
#endif

/* The program calls the legacy API on purpose. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

enum { NI = 37, NJ = 23, NK = 11 };
static _Atomic unsigned hits[NI * NJ * NK];
static _Atomic unsigned bad;

static void tiled_2d(void *ctx, size_t i, size_t j, size_t ti, size_t tj)
{
    if (i % 4 != 0 || j % 5 != 0 || ti != (NI - i < 4 ? NI - i : 4) || tj != (NJ - j < 5 ? NJ - j : 5))
        atomic_store(&bad, 1);
    for (size_t a = i; a < i + ti; a++)
        for (size_t b = j; b < j + tj; b++)
            atomic_fetch_add(&hits[a * NJ + b], 1);
}

static void tile_3d(void *ctx, size_t i, size_t j, size_t k, size_t tj, size_t tk)
{
    for (size_t b = j; b < j + tj; b++)
        for (size_t c = k; c < k + tk; c++)
            atomic_fetch_add(&hits[(i * NJ + b) * NK + c], 1);
}

static void uarch_1d(void *ctx, uint32_t uarch, size_t i)
{
    if (uarch != 0)
        atomic_store(&bad, 1);
    atomic_fetch_add(&hits[i], 1);
}

static int all_once(size_t n)
{
    int ok = atomic_load(&bad) == 0;
    for (size_t e = 0; e < n; e++) {
        ok &= atomic_load(&hits[e]) == 1;
        atomic_store(&hits[e], 0);
    }
    return ok;
}

int main(void)
{
    Dl_info info;
    if (!dladdr((void *)pthreadpool_create, &info) || !info.dli_fname) {
        printf("dladdr failed\n");
        return 2;
    }
    printf("library: %s\n", info.dli_fname);
    pthreadpool_t pool = pthreadpool_create(4);
    if (!pool) {
        printf("create: NULL\n");
        return 3;
    }
    printf("threads: %zu\n", pthreadpool_get_threads_count(pool));
    int ok = 1;
    pthreadpool_compute_2d_tiled(pool, tiled_2d, NULL, NI, NJ, 4, 5);
    ok &= all_once(NI * NJ);
    pthreadpool_parallelize_3d_tile_2d(pool, tile_3d, NULL, NI, NJ, NK, 3, 2, 0);
    ok &= all_once(NI * NJ * NK);
    pthreadpool_parallelize_1d_with_uarch(pool, uarch_1d, NULL, 0, 0, NI * NJ, 0);
    ok &= all_once(NI * NJ);
    pthreadpool_destroy(pool);
    printf("result: %s\n", ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
