/*
 * baselines.c - what tpool is compared with, besides the serial loop:
 * Debian's libpthreadpool, loaded with dlopen by the full path configure
 * found (TPOOL_SYSTEM_PTHREADPOOL) and never linked, so that tpool's own
 * compatible libpthreadpool cannot shadow it; and OpenMP (baselines_omp.c).
 * A baseline that is missing is reported with the reason, not an error.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#ifdef HAVE_CONFIG_H
#include "tpool-build.h"
#endif

#include "bench.h"

#ifndef TPOOL_SYSTEM_PTHREADPOOL
#define TPOOL_SYSTEM_PTHREADPOOL ""
#endif

const char *bench_ptp_path(void)
{
    return TPOOL_SYSTEM_PTHREADPOOL;
}

/* RTLD_DEEPBIND makes the library bind its own internal calls to itself
 * even if a pthreadpool_* symbol of tpool is already global. The sanitizer
 * runtimes refuse it, and there the harness links nothing that exports
 * pthreadpool_* anyway (libtpool_core is linked statically). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PTP_DLFLAGS (RTLD_NOW | RTLD_LOCAL)
#elif defined(RTLD_DEEPBIND)
#define PTP_DLFLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#else
#define PTP_DLFLAGS (RTLD_NOW | RTLD_LOCAL)
#endif

int bench_ptp_load(bench_ptp_api *api, char *why, size_t whysize)
{
    memset(api, 0, sizeof *api);
    const char *path = bench_ptp_path();
    if (!path[0]) {
        snprintf(why, whysize, "configure found no system libpthreadpool.so.0 "
                               "(apt-get install libpthreadpool-dev, then re-run configure)");
        return -1;
    }
    void *h = dlopen(path, PTP_DLFLAGS);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, whysize, "dlopen %s: %s", path, e ? e : "failed");
        return -1;
    }
    static const char *const names[] = {
        "pthreadpool_create", "pthreadpool_destroy", "pthreadpool_get_threads_count",
        "pthreadpool_parallelize_1d_tile_1d", "pthreadpool_compute_2d_tiled",
    };
    void *fn[5];
    for (size_t i = 0; i < 5; i++) {
        dlerror();
        fn[i] = dlsym(h, names[i]);
        if (!fn[i]) {
            const char *e = dlerror();
            snprintf(why, whysize, "dlsym %s in %s: %s", names[i], path, e ? e : "not found");
            dlclose(h);
            return -1;
        }
    }
    api->handle = h;
    /* ISO C forbids converting void* to function pointers; POSIX requires
     * dlsym's result to allow it, so go through memcpy. */
    memcpy(&api->create, &fn[0], sizeof fn[0]);
    memcpy(&api->destroy, &fn[1], sizeof fn[1]);
    memcpy(&api->threads_count, &fn[2], sizeof fn[2]);
    memcpy(&api->parallelize_1d_tile_1d, &fn[3], sizeof fn[3]);
    memcpy(&api->compute_2d_tiled, &fn[4], sizeof fn[4]);
    return 0;
}

void bench_ptp_unload(bench_ptp_api *api)
{
    if (api->handle)
        dlclose(api->handle);
    memset(api, 0, sizeof *api);
}

const char *const bench_base_names[BENCH_NBASE] = {
    "serial", "omp-static", "omp-dynamic", "omp-guided", "omp-task", "pthreadpool",
};

int bench_base_from_name(const char *name)
{
    for (int i = 0; i < BENCH_NBASE; i++)
        if (strcmp(name, bench_base_names[i]) == 0)
            return 1 << i;
    return 0;
}

void bench_baselines_probe(bench_baseline_status st[BENCH_NBASE], unsigned requested)
{
    for (int i = 0; i < BENCH_NBASE; i++) {
        bench_baseline_status *s = &st[i];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", bench_base_names[i]);
        s->requested = (requested >> i) & 1;
        s->available = 1;
        unsigned bit = 1u << i;
#if defined(__SANITIZE_THREAD__)
        /* ThreadSanitizer cannot see the synchronisation inside libgomp and
         * libpthreadpool (neither is instrumented) and would report every
         * result their threads write as a race. */
        if (bit != BENCH_BASE_SERIAL) {
            s->available = 0;
            snprintf(s->reason, sizeof s->reason,
                     "not run under ThreadSanitizer (the library is not instrumented)");
            continue;
        }
#endif
        if (bit & (BENCH_BASE_OMP_STATIC | BENCH_BASE_OMP_DYNAMIC | BENCH_BASE_OMP_GUIDED |
                   BENCH_BASE_OMP_TASK)) {
            if (!bench_omp_available()) {
                s->available = 0;
                snprintf(s->reason, sizeof s->reason,
                         "built without OpenMP (configure found no compiler support)");
            }
        } else if (bit == BENCH_BASE_PTP) {
            bench_ptp_api api;
            if (bench_ptp_load(&api, s->reason, sizeof s->reason) != 0)
                s->available = 0;
            else
                bench_ptp_unload(&api);
        }
    }
}
