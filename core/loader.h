/* loader.h - finding, loading and checking policy shared objects. */
#ifndef TPOOL_CORE_LOADER_H
#define TPOOL_CORE_LOADER_H

#include <stddef.h>

#include "child.h"
#include "config.h"
#include "error.h"
#include "tpool-policy.h"

/* A loaded policy. `ops` is a full-size copy of the descriptor in which every
 * member the .so's struct_size does not cover is zero, so the core only ever
 * tests pointers for NULL. */
typedef struct tpool__policy_handle {
    void *dl;          /* dlopen handle; NULL for a built-in policy */
    char *path;        /* the file that was loaded, or "builtin:NAME" (malloc'd) */
    tpool_policy ops;
    unsigned nstats;   /* entries in ops.stat_names */
} tpool__policy_handle;

/*
 * Loads the policy named by cfg->policy: "builtin:NAME" is a policy linked
 * into the library (tpool__policy_load_builtin); a value containing '/' is a path;
 * otherwise NAME.so is searched in cfg->policy_path, then each directory of
 * TPOOL_POLICY_PATH, then TPOOL_PKGLIBDIR, never the current directory.
 * dlopen uses RTLD_NOW | RTLD_LOCAL. Refuses (with the file, the problem and
 * dlerror() text in err) a missing entry symbol, a different major ABI, a
 * struct_size too small for the mandatory members, a NULL name or mandatory
 * op, and a malformed parameter table. When the name is not found the message
 * lists the directories searched and the policies available there.
 */
int tpool__policy_load(const tpool_config *cfg, tpool__policy_handle *out,
                       tpool_error *err);
/* Loads a policy from an explicit path (used by the loader and the tests). */
int tpool__policy_load_path(const char *path, tpool__policy_handle *out,
                            tpool_error *err);

/*
 * Work a tool wants done on a freshly loaded policy before it trusts it
 * (such as creating and destroying a state); returns 0 or an error.
 */
typedef int (*tpool__policy_probe)(const tpool__policy_handle *h, const void *arg,
                                   tpool_error *err);

/*
 * Like tpool__policy_load, for the tools that scan or check policies: a
 * policy from a file is first loaded in a child process, and `probe` (may be
 * NULL) run on it there, so that a .so that crashes or hangs while loading
 * is reported (its file and the signal, or the time limit) instead of ending
 * this process; it is loaded here only when the child saw it load. On
 * success `probe` has returned 0 for the policy: in the child, or here for a
 * built-in policy or when no child could be started. `probe_what` names the
 * probe in messages ("creating a state for 4 threads").
 */
int tpool__policy_load_isolated(const tpool_config *cfg, tpool__policy_handle *out,
                                tpool__policy_probe probe, const void *arg,
                                const char *probe_what, tpool_error *err);
/* The same for an explicit path. Both are load_isolated.c's, on top of
 * tpool__policy_load_with. */
int tpool__policy_load_path_isolated(const char *path, tpool__policy_handle *out,
                                     tpool__policy_probe probe, const void *arg,
                                     const char *probe_what, tpool_error *err);

/*
 * How tpool__policy_load_with loads a policy file: `check` (the child's
 * part, load_isolated.c) first loads it elsewhere and runs `probe` there,
 * returning 0 when both succeeded, an error (in err; *probe_error set when
 * it is the probe's own), or TPOOL__NO_CHILD when it could not check, in
 * which case the file is loaded here and probed here. The isolated load
 * passes its check in, so that the loader never calls up into it.
 */
typedef struct tpool__policy_isolation {
    int (*check)(const char *path, tpool__policy_probe probe, const void *arg,
                 const char *probe_what, int *probe_error, tpool_error *err);
    tpool__policy_probe probe;
    const void *arg;
    const char *what;
    int probe_error; /* out: the error is the probe's, not the loader's */
} tpool__policy_isolation;

/* tpool__policy_load and tpool__policy_load_path with every file first
 * checked as iso says (iso NULL: loaded as by those); a built-in policy is
 * probed here. For load_isolated.c. */
int tpool__policy_load_with(const tpool_config *cfg, tpool__policy_handle *out,
                            tpool__policy_isolation *iso, tpool_error *err);
int tpool__policy_load_path_with(const char *path, tpool__policy_handle *out,
                                 tpool__policy_isolation *iso, tpool_error *err);

/*
 * The policies that could be loaded by name for cfg (may be NULL), without
 * loading any: "a, b, c" (the *.so names on the search path, or "none"),
 * " (did you mean 'x'?)" when one is close to `wanted` (may be NULL), then
 * "; built in: builtin:a, ...". Into buf, cut to size.
 */
void tpool__policy_names(const tpool_config *cfg, const char *wanted, char *buf, size_t size);

/*
 * Records an error about policy `source` (a file or name; may be NULL) in
 * err, key "policy", unless err already holds one; returns code. The
 * message starts with "policy '<source>'" by convention.
 */
int tpool__policy_fail(tpool_error *err, int code, const char *source, const char *fmt, ...)
    TPOOL__PRINTF(4, 5);
void tpool__policy_unload(tpool__policy_handle *h);
/* The loader's lock around fork(): taken before, released in the parent,
 * re-initialised in the child (pool.c installs the handlers). */
void tpool__loader_fork_prepare(void);
void tpool__loader_fork_parent(void);
void tpool__loader_fork_child(void);

/*
 * Calls ops->create for a pool of `threads` (W = max(T - 1, 1)) with the
 * resolved `params`, storing the state in *state. A refusal (non-zero, or
 * no state) is TPOOL_EPOLICY: "policy 'NAME' refused to start: <the
 * policy's errbuf>", with key "params" and `source` (the configuration).
 */
int tpool__policy_create_state(const tpool_policy *ops, unsigned threads,
                               const tpool_param_value *params, const char *source,
                               void **state, tpool_error *err);

/* The env every create and resize gets: the one place that fills it, so
 * that no member (abi_version in particular) is left out. */
static inline tpool_policy_env tpool__policy_env(unsigned workers, unsigned threads,
                                                 const tpool_param_value *params,
                                                 char *errbuf, size_t errbuf_size)
{
    return (tpool_policy_env){
        .workers = workers, .threads = threads, .params = params,
        .errbuf = errbuf, .errbuf_size = errbuf_size,
        .abi_version = TPOOL_POLICY_ABI_VERSION,
    };
}

/* ---- built-in policies (builtin.c) ---------------------------------------- */

/* A configuration names a built-in policy as TPOOL__BUILTIN_PREFIX "NAME". */
#define TPOOL__BUILTIN_PREFIX "builtin:"

typedef struct tpool__builtin_policy {
    const char *name;                  /* without the prefix, e.g. "fifo" */
    tpool_policy_entry_fn entry;
} tpool__builtin_policy;

/* Number of policies linked in (0 with --disable-builtin-policies), the i-th
 * of them, and the one called `name` (without the prefix) or NULL. */
size_t tpool__builtin_count(void);
const tpool__builtin_policy *tpool__builtin_at(size_t i);
const tpool__builtin_policy *tpool__builtin_find(const char *name);

/*
 * Loads the built-in policy `spec` ("builtin:NAME"): the descriptor is
 * checked like a .so's; h->dl is NULL and h->path is a copy of spec. An
 * unknown NAME is TPOOL_ENOENT with the list of built-in policies.
 */
int tpool__policy_load_builtin(const char *spec, tpool__policy_handle *out,
                               tpool_error *err);

/*
 * The directories searched, in order, for cfg (may be NULL): a malloc'd
 * array of malloc'd strings. Free with tpool__search_path_free.
 */
int tpool__search_path(const tpool_config *cfg, char ***dirs, size_t *ndirs,
                       tpool_error *err);
void tpool__search_path_free(char **dirs, size_t ndirs);

#endif
