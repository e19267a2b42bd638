/* loader.h - finding, loading and checking policy shared objects. */
#ifndef TPOOL_CORE_LOADER_H
#define TPOOL_CORE_LOADER_H

#include <stddef.h>

#include "config.h"
#include "tpool-policy.h"

/* A loaded policy. `ops` is a full-size copy of the descriptor in which every
 * member the .so's struct_size does not cover is zero, so the core only ever
 * tests pointers for NULL. */
typedef struct tpool__policy_handle {
    void *dl;          /* dlopen handle */
    char *path;        /* the file that was loaded (malloc'd) */
    tpool_policy ops;
    unsigned nstats;   /* entries in ops.stat_names */
} tpool__policy_handle;

/*
 * Loads the policy named by cfg->policy: a value containing '/' is a path;
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
void tpool__policy_unload(tpool__policy_handle *h);
/* The loader's lock around fork(): taken before, released in the parent,
 * re-initialised in the child (pool.c installs the handlers). */
void tpool__loader_fork_prepare(void);
void tpool__loader_fork_parent(void);
void tpool__loader_fork_child(void);

/*
 * The directories searched, in order, for cfg (may be NULL): a malloc'd
 * array of malloc'd strings. Free with tpool__search_path_free.
 */
int tpool__search_path(const tpool_config *cfg, char ***dirs, size_t *ndirs,
                       tpool_error *err);
void tpool__search_path_free(char **dirs, size_t ndirs);

#endif
