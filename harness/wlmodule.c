/*
 * wlmodule.c - workloads from shared objects (tpool-bench.h): finding the
 * file, loading it, checking its descriptor, and trying its setup in a
 * child process first.
 *
 * Everything that can be wrong with a workload file is caught here, once,
 * with the checks the policy loader makes of a policy (the ELF checks,
 * parameter-table check and child-process runner of core/input/): the
 * runner can then trust the descriptor. Messages start with "workload
 * 'FILE':" and say what to fix.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "child.h"
#include "elf_check.h"
#include "error.h"
#include "params.h"
#include "versioned.h"

#define fail(err, code, file, ...) tpool__error_about(err, code, file, "workload", __VA_ARGS__)

static const char *dl_text(void)
{
    const char *e = dlerror();
    return e ? e : "no error text";
}

/* A name that can label files and columns, as experiment labels are. */
static int plain_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n < max &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The members a workload built against an older tpool-bench.h may lack,
 * in the order they were appended. */
static const tpool__member optional_members[] = {
    TPOOL__MEMBER(tpool_bench_workload, prepare),
    TPOOL__MEMBER(tpool_bench_workload, check),
    TPOOL__MEMBER(tpool_bench_workload, items),
    TPOOL__MEMBER(tpool_bench_workload, metrics),
    TPOOL__MEMBER(tpool_bench_workload, nmetrics),
    TPOOL__MEMBER(tpool_bench_workload, metrics_read),
    TPOOL__MEMBER(tpool_bench_workload, size_param),
    TPOOL__MEMBER(tpool_bench_workload, plant),
};

/* Copies what the .so declared and zeroes the rest (versioned.h). */
static void copy_desc(tpool_bench_workload *dst, const tpool_bench_workload *src)
{
    tpool__copy_versioned(dst, sizeof *dst, src, src->struct_size, optional_members,
                          sizeof optional_members / sizeof optional_members[0]);
}

static int check_metrics(const char *file, const tpool_bench_workload *d, const void *anchor,
                         tpool_error *err)
{
    if (d->nmetrics == 0)
        return 0;
    if (d->nmetrics > TPOOL_BENCH_MAX_METRICS)
        return fail(err, TPOOL_EPOLICY, file,
                    "workload '%s': nmetrics is %u, more than the %d metrics a workload may "
                    "report (TPOOL_BENCH_MAX_METRICS)", file, d->nmetrics,
                    TPOOL_BENCH_MAX_METRICS);
    if (!d->metrics || !d->metrics_read)
        return fail(err, TPOOL_EPOLICY, file,
                    "workload '%s': nmetrics is %u but %s is NULL; give the table of metrics "
                    "and metrics_read, or set nmetrics to 0", file, d->nmetrics,
                    d->metrics ? "metrics_read" : "metrics");
    if (anchor && !tpool__elf_in_object(anchor, d->metrics, d->nmetrics * sizeof *d->metrics))
        return fail(err, TPOOL_EPOLICY, file,
                    "workload '%s': nmetrics is %u, but no table of %u metrics lies at "
                    "metrics in the workload's .so; declare the table as static data and "
                    "set nmetrics to its number of entries", file, d->nmetrics, d->nmetrics);
    for (unsigned i = 0; i < d->nmetrics; i++) {
        const tpool_bench_metric *m = &d->metrics[i];
        if (!m->name || strspn(m->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_") != strlen(m->name) || !m->name[0] ||
            strlen(m->name) >= 48)
            return fail(err, TPOOL_EPOLICY, file,
                        "workload '%s': metric %u needs a name of 1 to 47 letters, digits or "
                        "'_' (it names columns)", file, i);
        if (!m->unit || !m->unit[0] || strlen(m->unit) >= 24 || strpbrk(m->unit, ",\"\n"))
            return fail(err, TPOOL_EPOLICY, file,
                        "workload '%s': metric '%s' needs a unit of 1 to 23 characters "
                        "without ',', '\"' or a line break, e.g. \"ns\" or \"tasks\"", file,
                        m->name);
        for (unsigned j = 0; j < i; j++)
            if (strcmp(d->metrics[j].name, m->name) == 0)
                return fail(err, TPOOL_EPOLICY, file,
                            "workload '%s': metric '%s' is declared twice", file, m->name);
    }
    return 0;
}

/* Checks a descriptor the way the loader does; `anchor` as for the
 * parameter table (NULL for a built-in workload). */
int bench_wl_check_desc(const char *file, const tpool_bench_workload *d, const void *anchor,
                        tpool_error *err)
{
    if (!d)
        return fail(err, TPOOL_EPOLICY, file,
                    "workload '%s': %s() returned NULL instead of a descriptor", file,
                    TPOOL_BENCH_ENTRY_NAME);
    size_t head = offsetof(tpool_bench_workload, name);
    if (anchor && (!tpool__elf_in_object(anchor, d, head) ||
                   !tpool__elf_in_object(anchor, d, d->struct_size < sizeof *d
                                                        ? d->struct_size : sizeof *d)))
        return fail(err, TPOOL_EPOLICY, file,
                    "workload '%s': %s() returned %p, which is not a descriptor in the "
                    "workload's .so: the entry point must be 'const tpool_bench_workload "
                    "*%s(void)' returning the address of a static descriptor, as "
                    "TPOOL_BENCH_WORKLOAD_DEFINE writes it", file, TPOOL_BENCH_ENTRY_NAME,
                    (const void *)d, TPOOL_BENCH_ENTRY_NAME);
    unsigned major = d->abi_version >> 16, minor = d->abi_version & 0xffffu;
    if (major != TPOOL_BENCH_ABI_MAJOR)
        return fail(err, TPOOL_EABI, file,
                    "workload '%s': built for workload ABI %u.%u, but this tpool-bench "
                    "speaks ABI %d.%d; rebuild it against this tpool-bench.h", file, major,
                    minor, TPOOL_BENCH_ABI_MAJOR, TPOOL_BENCH_ABI_MINOR);
    if (minor > TPOOL_BENCH_ABI_MINOR)
        return fail(err, TPOOL_EABI, file,
                    "workload '%s': built for workload ABI %u.%u, newer than the ABI %d.%d "
                    "this tpool-bench speaks (it could use what this one lacks); rebuild "
                    "it against this tpool-bench.h, or run it with a newer tpool-bench",
                    file, major, minor, TPOOL_BENCH_ABI_MAJOR, TPOOL_BENCH_ABI_MINOR);
    size_t need = offsetof(tpool_bench_workload, prepare);
    if (d->struct_size < need)
        return fail(err, TPOOL_EABI, file,
                    "workload '%s': descriptor is %u bytes, smaller than the %zu bytes of "
                    "mandatory members (up to teardown); set struct_size to "
                    "sizeof(tpool_bench_workload) and rebuild", file, d->struct_size, need);
    if (!d->name || !plain_name(d->name, BENCH_NAME_MAX))
        return fail(err, TPOOL_EPOLICY, file,
                    "workload '%s': the descriptor needs a name of 1 to %d letters, digits, "
                    "'_', '.' or '-' (it labels files and columns)", file, BENCH_NAME_MAX - 1);
    const char *missing = !d->setup ? "setup" : !d->run ? "run" : !d->teardown ? "teardown"
                                                                           : NULL;
    if (missing)
        return fail(err, TPOOL_EPOLICY, file,
                    "workload '%s' (%s): mandatory member '%s' is NULL; implement it", file,
                    d->name, missing);
    if (d->flags & ~TPOOL_BENCH_WL_MICRO)
        return fail(err, TPOOL_EPOLICY, file,
                    "workload '%s' (%s): flags is 0x%x; only TPOOL_BENCH_WL_* flags are "
                    "known", file, d->name, d->flags);
    const unsigned known = TPOOL_BENCH_USES_RANGE | TPOOL_BENCH_USES_TASKS |
                           TPOOL_BENCH_USES_POOL | TPOOL_BENCH_USES_RANGE_2D;
    if (!(d->uses & (TPOOL_BENCH_USES_RANGE | TPOOL_BENCH_USES_TASKS | TPOOL_BENCH_USES_POOL)) ||
        (d->uses & ~known))
        return fail(err, TPOOL_EPOLICY, file,
                    "workload '%s' (%s): uses is 0x%x; say what run calls with "
                    "TPOOL_BENCH_USES_RANGE, _TASKS and/or _POOL (nothing else)", file,
                    d->name, d->uses);
    int rc = tpool__params_check_table("workload", file, d->params, d->nparams,
                                       TPOOL_BENCH_MAX_PARAMS, "TPOOL_BENCH_MAX_PARAMS", 1,
                                       anchor, err);
    if (rc)
        return rc;
    tpool_bench_workload c;
    copy_desc(&c, d);
    if ((rc = check_metrics(file, &c, anchor, err)) != 0)
        return rc;
    if (c.size_param) {
        int k = bench_workload_param(&c, c.size_param);
        if (k < 0 || (c.params[k].type != TPOOL_PARAM_INT &&
                      c.params[k].type != TPOOL_PARAM_DOUBLE))
            return fail(err, TPOOL_EPOLICY, file,
                        "workload '%s' (%s): size_param \"%s\" is not an int or double "
                        "parameter of its table", file, d->name, c.size_param);
    }
    return 0;
}

/* dlopen, dlsym and the entry point run under one lock, as the policy
 * loader's do, for the same reasons (core/loader.c). */
static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

static int open_checked(const char *file, bench_wl_module *m, tpool_error *err)
{
    char why[256];
    if (tpool__elf_check(file, why, sizeof why) != 0)
        return fail(err, TPOOL_ELOAD, file, "workload '%s': cannot load it: %s", file, why);
    void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        return fail(err, TPOOL_ELOAD, file,
                    "workload '%s': cannot load it (dlerror: %s); is it a workload built "
                    "for this machine with its dependencies installed?", file, dl_text());
    dlerror();
    void *sym = dlsym(dl, TPOOL_BENCH_ENTRY_NAME);
    if (!sym) {
        int rc = fail(err, TPOOL_ELOAD, file,
                      "workload '%s': not a tpool-bench workload: symbol %s not found "
                      "(dlerror: %s); a workload defines it with "
                      "TPOOL_BENCH_WORKLOAD_DEFINE", file, TPOOL_BENCH_ENTRY_NAME, dl_text());
        dlclose(dl);
        return rc;
    }
    if (tpool__elf_symbol_is_code(sym, why, sizeof why) != 0) {
        int rc = fail(err, TPOOL_ELOAD, file,
                      "workload '%s': not a tpool-bench workload: symbol %s is %s, not a "
                      "function; define it with TPOOL_BENCH_WORKLOAD_DEFINE(descriptor)",
                      file, TPOOL_BENCH_ENTRY_NAME, why);
        dlclose(dl);
        return rc;
    }
    tpool_bench_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    const tpool_bench_workload *d = entry();
    int rc = bench_wl_check_desc(file, d, sym, err);
    if (rc == 0 && bench_workload_find(d->name))
        rc = fail(err, TPOOL_EPOLICY, file,
                  "workload '%s': its name \"%s\" is a built-in workload's; rename it", file,
                  d->name);
    if (rc) {
        dlclose(dl);
        return rc;
    }
    m->dl = dl;
    copy_desc(&m->desc, d);
    m->wl = &m->desc;
    return 0;
}

/* Why workload files are not loaded in this process, or NULL. */
static const char *disabled;

void bench_wl_module_disable(const char *why)
{
    disabled = why;
}

int bench_wl_module_load(const char *path, bench_wl_module **out, tpool_error *err)
{
    *out = NULL;
    if (disabled)
        return fail(err, TPOOL_ELOAD, path ? path : "", "workload '%s': not loaded: %s",
                    path ? path : "", disabled);
    if (!path || !path[0])
        return fail(err, TPOOL_EINVAL, "", "workload '': empty path; name a .so file");
    char file[PATH_MAX];
    /* dlopen searches the library path for a name without '/': a path
     * given here always means a file, so anchor it. */
    snprintf(file, sizeof file, "%s%s", strchr(path, '/') ? "" : "./", path);
    struct stat st;
    if (stat(file, &st) != 0) {
        int e = errno;
        return e == ENOENT || e == ENOTDIR
                   ? fail(err, TPOOL_ENOENT, path, "workload '%s': no such file", path)
                   : fail(err, TPOOL_ELOAD, path, "workload '%s': cannot access it: %s", path,
                          strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        return fail(err, TPOOL_ELOAD, path,
                    "workload '%s': not a regular file; name the workload's .so file", path);
    bench_wl_module *m = calloc(1, sizeof *m);
    if (!m)
        return fail(err, TPOOL_ENOMEM, path, "workload '%s': out of memory", path);
    /* recorded absolute, so that the results replay from anywhere */
    char real[PATH_MAX];
    snprintf(m->path, sizeof m->path, "%s", realpath(file, real) ? real : file);
    pthread_mutex_lock(&dl_lock);
    int rc = open_checked(file, m, err);
    pthread_mutex_unlock(&dl_lock);
    if (rc) {
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void bench_wl_module_unload(bench_wl_module *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&dl_lock);
    dlclose(m->dl);
    pthread_mutex_unlock(&dl_lock);
    free(m);
}

/* ---- trying it in a child ------------------------------------------------------------ */

enum { STAGE_LOAD = 'L', STAGE_SETUP = 'S', STAGE_TEARDOWN = 'T' };

typedef struct probe_arg {
    const char *path;
    const tpool_param_value *params;
    uint64_t seed;
} probe_arg;

static int probe_work(void *arg, tpool__child *c, tpool_error *err)
{
    const probe_arg *a = arg;
    bench_wl_module *m;
    tpool__child_stage(c, STAGE_LOAD);
    int rc = bench_wl_module_load(a->path, &m, err);
    if (rc)
        return rc;
    bench_wl_inst w = { .wl = m->wl };
    bench_wl_defaults(&w);
    char why[512] = "";
    tpool_bench_env env;
    bench_env_init(&env);
    env.params = a->params ? a->params : w.p;
    env.seed = a->seed;
    env.max_threads = 1;
    env.errbuf = why;
    env.errbuf_size = sizeof why;
    void *state = NULL;
    tpool__child_stage(c, STAGE_SETUP);
    if (m->wl->setup(&env, &state) != 0)
        return fail(err, TPOOL_EPOLICY, m->path, "workload '%s' (%s): setup failed: %s",
                    m->path, m->wl->name, why[0] ? why : "no message");
    tpool__child_stage(c, STAGE_TEARDOWN);
    m->wl->teardown(state);
    return 0;
}

int bench_wl_module_probe(const char *path, const tpool_param_value *params, uint64_t seed,
                          tpool_error *err)
{
    probe_arg a = { path, params, seed };
    tpool__child_verdict v;
    int rc = tpool__run_in_child(probe_work, &a, &v, err);
    if (v.reported || rc == TPOOL__NO_CHILD)
        return rc == TPOOL__NO_CHILD ? 1 : rc;
    const char *doing = v.stage == STAGE_SETUP      ? "its setup"
                        : v.stage == STAGE_TEARDOWN ? "its teardown"
                                                    : "loading it";
    if (v.hung)
        return fail(err, TPOOL_ELOAD, path,
                    "workload '%s': %s did not finish within %d s in the process trying it, "
                    "which was killed", path, doing, v.timeout_s);
    if (v.signal)
        return fail(err, TPOOL_ELOAD, path,
                    "workload '%s': %s crashed the process trying it (signal %d, %s); "
                    "tpool-bench does not run it", path, doing, v.signal, strsignal(v.signal));
    return fail(err, TPOOL_ELOAD, path,
                "workload '%s': the process trying it exited with status %d during %s, "
                "before it could report (the .so called exit(), or a sanitizer stopped it)",
                path, v.status, doing);
}
