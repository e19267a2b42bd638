/*
 * baselines.c - what tpool is compared with, besides the serial loop:
 * Debian's libpthreadpool, loaded with dlopen by the full path configure
 * found (TPOOL_SYSTEM_PTHREADPOOL) and never linked, so that tpool's own
 * compatible libpthreadpool cannot shadow it; OpenMP (baselines_omp.c);
 * and oneTBB (baselines_tbb.cc).
 * A baseline that is missing is reported with the reason, not an error.
 * Each baseline runs with the parameters of the tpool cell it is compared
 * with, and says which (bench_baselines_pair, bench_baseline_setup).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

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

/*
 * The harness links libtpool.so, which exports tpool's drop-in, so a
 * pthreadpool_* symbol is global before this library is loaded. dlsym on
 * its handle finds its own entry points, but its calls to its own exported
 * functions go through the PLT and would bind to tpool's, handing tpool a
 * pool of the other library. RTLD_DEEPBIND makes such calls bind to the
 * library itself; the sanitizer runtimes refuse it, so besides the harness
 * calls only entry points that make no such call (Debian's legacy
 * compute_* functions forward to the parallelize_* ones through the PLT:
 * pthreadpool_compute_2d_tiled is not used, its equal
 * pthreadpool_parallelize_2d_tile_2d with flags 0 is).
 */
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
        "pthreadpool_parallelize_1d_tile_1d", "pthreadpool_parallelize_2d_tile_2d",
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
    memcpy(&api->parallelize_2d_tile_2d, &fn[4], sizeof fn[4]);
    return 0;
}

void bench_ptp_unload(bench_ptp_api *api)
{
    if (api->handle)
        dlclose(api->handle);
    memset(api, 0, sizeof *api);
}

const char *const bench_base_names[BENCH_NBASE] = {
    "serial",   "omp-static", "omp-dynamic", "omp-guided", "omp-task",
    "pthreadpool", "tbb-task", "tbb-auto",    "tbb-simple", "tbb-static",
};

const char *bench_base_list(void)
{
    static char list[256];
    if (!list[0])
        for (int i = 0; i < BENCH_NBASE; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", bench_base_names[i]);
        }
    return list;
}

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
        /* ThreadSanitizer cannot see the synchronisation inside libgomp,
         * libpthreadpool and libtbb (none is instrumented) and would report
         * every result their threads write as a race. */
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
        } else if (bit & (BENCH_BASE_TBB_TASK | BENCH_BASE_TBB_AUTO | BENCH_BASE_TBB_SIMPLE |
                          BENCH_BASE_TBB_STATIC)) {
            if (!bench_tbb_available()) {
                s->available = 0;
                snprintf(s->reason, sizeof s->reason,
                         "not built with TBB (configure found no oneTBB, or was given "
                         "--without-tbb; apt-get install g++ libtbb-dev, then re-run "
                         "configure)");
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

/* ---- like for like: each baseline with the parameters of its tpool cell ---- */

/* Integer or string parameter `key` of a policy: from the executor's params
 * (JSON object text) when given, else the default in the policy's parameter
 * table. Returns 1 when found. */
static int policy_param(const bench_executor *x, const bench_policy_desc *d, const char *key,
                        long long *ival, char *sval, size_t slen)
{
    json_t *given = x && x->params_json ? json_loads(x->params_json, 0, NULL) : NULL;
    json_t *v = given ? json_object_get(given, key) : NULL;
    json_t *table = NULL;
    if (!v && d && d->params_json) {
        table = json_loads(d->params_json, 0, NULL);
        size_t i;
        json_t *it;
        json_array_foreach(table, i, it)
            if (json_is_string(json_object_get(it, "name"))
                && strcmp(json_string_value(json_object_get(it, "name")), key) == 0)
                v = json_object_get(it, "default");
    }
    int found = 0;
    if (json_is_integer(v) && ival) {
        *ival = json_integer_value(v);
        found = 1;
    } else if (json_is_string(v) && sval) {
        snprintf(sval, slen, "%s", json_string_value(v));
        found = 1;
    }
    json_decref(given);
    json_decref(table);
    return found;
}

static int runs_policy(const bench_executor *x, const char *name)
{
    return x->kind == BENCH_EX_TPOOL
           && (strcmp(x->policy, name) == 0
               || (strncmp(x->policy, "builtin:", 8) == 0 && strcmp(x->policy + 8, name) == 0));
}

static const bench_policy_desc *find_desc(const bench_policy_desc *pol, size_t npol,
                                          const char *name)
{
    for (size_t i = 0; i < npol; i++)
        if (strcmp(pol[i].name, name) == 0)
            return &pol[i];
    return NULL;
}

/* The first executor running `policy` whose parameter `mode_key` is
 * `mode` (mode_key NULL: any), or NULL. */
static const bench_executor *find_peer(const bench_executor *exes, size_t nexes,
                                       const bench_policy_desc *d, const char *policy,
                                       const char *mode_key, const char *mode)
{
    for (size_t i = 0; i < nexes; i++) {
        if (!runs_policy(&exes[i], policy))
            continue;
        char m[64] = "";
        if (!mode_key || (policy_param(&exes[i], d, mode_key, NULL, m, sizeof m)
                          && strcmp(m, mode) == 0))
            return &exes[i];
    }
    return NULL;
}

/* Returns parameter `key` of the peer (or the policy's default), 0 when
 * there is none, and describes the peer in x->peer. */
static long long pair_param(bench_executor *x, const bench_executor *exes, size_t nexes,
                            const bench_policy_desc *pol, size_t npol, const char *policy,
                            const char *mode, const char *key)
{
    const bench_policy_desc *d = find_desc(pol, npol, policy);
    const bench_executor *peer = find_peer(exes, nexes, d, policy, mode ? "mode" : NULL, mode);
    long long c = 0;
    if (!d && !peer) {
        snprintf(x->peer, sizeof x->peer, "none: policy %s not found", policy);
        return 0;
    }
    policy_param(peer, d, key, &c, NULL, 0);
    char what[96];
    if (mode)
        snprintf(what, sizeof what, "%s {mode: %s, %s: %lld}", policy, mode, key, c);
    else
        snprintf(what, sizeof what, "%s {%s: %lld}", policy, key, c);
    if (peer)
        snprintf(x->peer, sizeof x->peer, "%s (executor %s)", what, peer->label);
    else
        snprintf(x->peer, sizeof x->peer, "%s (its defaults; not in this run)", what);
    return c;
}

/* x's OpenMP chunk: parameter `key` of its peer; 0 (the schedule's
 * default) when there is none. */
static void pair_omp(bench_executor *x, const bench_executor *exes, size_t nexes,
                     const bench_policy_desc *pol, size_t npol, const char *policy,
                     const char *mode, const char *key)
{
    long long c = pair_param(x, exes, nexes, pol, npol, policy, mode, key);
    x->omp_chunk = c > 0 && c < 1 << 30 ? (int)c : 0;
}

/* x's oneTBB grain: parameter `key` of its peer; 1 when there is none or
 * it is 0 (a policy's "adaptive" or "one block per thread"). */
static void pair_tbb(bench_executor *x, const bench_executor *exes, size_t nexes,
                     const bench_policy_desc *pol, size_t npol, const char *policy,
                     const char *mode, const char *key)
{
    long long c = pair_param(x, exes, nexes, pol, npol, policy, mode, key);
    x->tbb_grain = c > 0 ? (size_t)c : 1;
}

void bench_baselines_pair(bench_executor *exes, size_t nexes, const bench_policy_desc *pol,
                          size_t npol)
{
    for (size_t i = 0; i < nexes; i++) {
        bench_executor *x = &exes[i];
        if (x->kind == BENCH_EX_OMP) {
            switch (x->omp_sched) {
            case BENCH_OMP_STATIC:
                pair_omp(x, exes, nexes, pol, npol, "static", NULL, "chunk");
                break;
            case BENCH_OMP_DYNAMIC:
                pair_omp(x, exes, nexes, pol, npol, "dynamic", "fixed", "chunk");
                break;
            case BENCH_OMP_GUIDED:
                pair_omp(x, exes, nexes, pol, npol, "dynamic", "guided", "min_chunk");
                if (x->omp_chunk <= 0)
                    x->omp_chunk = 1;
                break;
            default:
                snprintf(x->peer, sizeof x->peer, "every policy's task path (tpool_submit)");
                break;
            }
        } else if (x->kind == BENCH_EX_TBB) {
            /* The policy whose schedule each partitioner is nearest. */
            switch (x->tbb_mode) {
            case BENCH_TBB_AUTO: /* adaptive splitting by thieves */
                pair_tbb(x, exes, nexes, pol, npol, "stealing", NULL, "chunk");
                break;
            case BENCH_TBB_SIMPLE: /* chunks of a fixed size, taken on demand */
                pair_tbb(x, exes, nexes, pol, npol, "dynamic", "fixed", "chunk");
                break;
            case BENCH_TBB_STATIC: /* a fixed share per thread */
                pair_tbb(x, exes, nexes, pol, npol, "static", NULL, "chunk");
                break;
            default:
                x->tbb_grain = 0;
                snprintf(x->peer, sizeof x->peer,
                         "every policy's task path (tpool_submit)");
                break;
            }
        } else if (x->kind == BENCH_EX_PTP) {
            snprintf(x->peer, sizeof x->peer,
                     "every policy's tpool_parallel_range (tiled-gemm: the same "
                     "pthreadpool_parallelize_2d_tile_2d on tpool's drop-in)");
        }
    }
}

/* The pthreadpool tile a workload gives: its parameter "ptp_tile", else 1. */
static size_t ptp_tile(const bench_wl_inst *w)
{
    int k = bench_workload_param(w->wl, "ptp_tile");
    return k >= 0 ? (size_t)bench_wl_param_num(w, (unsigned)k) : 1;
}

void bench_baseline_setup(const bench_executor *x, const bench_wl_inst *w, char *buf,
                          size_t n)
{
    buf[0] = '\0';
    if (x->kind == BENCH_EX_OMP && x->omp_sched == BENCH_OMP_TASK) {
        snprintf(buf, n, "omp task");
    } else if (x->kind == BENCH_EX_OMP) {
        static const char *const kind[] = { "static", "dynamic", "guided" };
        const char *k = x->omp_sched >= 0 && x->omp_sched < 3 ? kind[x->omp_sched] : "?";
        if (x->omp_chunk > 0)
            snprintf(buf, n, "schedule(%s, %d)", k, x->omp_chunk);
        else
            snprintf(buf, n, "schedule(%s)", k);
    } else if (x->kind == BENCH_EX_TBB && x->tbb_mode == BENCH_TBB_TASK) {
        snprintf(buf, n, "tbb::task_group");
    } else if (x->kind == BENCH_EX_TBB) {
        static const char *const part[] = { "", "auto", "simple", "static" };
        int m = x->tbb_mode;
        snprintf(buf, n, "parallel_for, %s_partitioner, grain %zu",
                 m > 0 && m < 4 ? part[m] : "?", x->tbb_grain ? x->tbb_grain : 1);
    } else if (x->kind == BENCH_EX_PTP) {
        if (w->wl->uses & TPOOL_BENCH_USES_RANGE_2D)
            snprintf(buf, n, "pthreadpool_parallelize_2d_tile_2d, the workload's tiles");
        else
            snprintf(buf, n, "pthreadpool_parallelize_1d_tile_1d, tile %zu", ptp_tile(w));
    }
}
