/*
 * tpool-module.h - a policy module opened outside any pool, for tools that
 * check or inspect policies (tpool-conformance, a policy's own unit tests):
 * the same search, loading and checks as pool creation, then the policy's
 * descriptor to call directly.
 *
 * Functions return 0 or a negative TPOOL_E* code and fill an optional
 * tpool_error, as everywhere in tpool. A module stays loaded until
 * tpool_policy_close; pools created meanwhile load the same file on their
 * own (a module is shared, never unloaded while anyone holds it).
 */
#ifndef TPOOL_MODULE_H
#define TPOOL_MODULE_H

#include "tpool-policy.h"
#include "tpool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tpool_policy_module tpool_policy_module;

/* tpool_policy_open flags. */
#define TPOOL_MODULE_ISOLATED 0x1u /* load the file in a child process first,
                                      so that a .so that crashes or hangs while
                                      loading is reported (TPOOL_ELOAD, with
                                      the file and the signal) instead of
                                      ending this process */

/*
 * Loads the policy `cfg` names (NULL: the default policy), found as a pool
 * would find it: "builtin:NAME", a path when it contains '/', else NAME.so on
 * the configuration's policy_path, TPOOL_POLICY_PATH and the installed policy
 * directory. Refuses what pool creation refuses (no entry point, another
 * major or a newer minor ABI, a descriptor too small, a NULL mandatory op, a
 * malformed parameter table), with the file, the problem and dlerror()'s
 * text. `flags`: 0 or TPOOL_MODULE_ISOLATED.
 */
TPOOL_API int tpool_policy_open(const tpool_config *cfg, unsigned flags,
                                tpool_policy_module **out, tpool_error *err);
/* Unloads the module (NULL is ignored). States it created must be destroyed
 * first. */
TPOOL_API void tpool_policy_close(tpool_policy_module *m);

/*
 * The descriptor as the core sees it: a full-size copy in which every member
 * the module's struct_size does not cover is zero. Valid until close.
 */
TPOOL_API const tpool_policy *tpool_policy_module_ops(const tpool_policy_module *m);
/* The file that was loaded, or "builtin:NAME". Valid until close. */
TPOOL_API const char *tpool_policy_module_file(const tpool_policy_module *m);
/* Entries of ops->stat_names (0 when it has none). */
TPOOL_API unsigned tpool_policy_module_nstats(const tpool_policy_module *m);

/*
 * Validates the "params" of `cfg` (NULL: none given) against the module's
 * parameter table and writes one value per table entry into out[0..nparams-1],
 * defaults filled in: the values tpool_policy_env.params gets at pool
 * creation. Errors name the key ("params.chunk") and, for a configuration
 * parsed from JSON, its line and column.
 */
TPOOL_API int tpool_policy_module_params(const tpool_policy_module *m,
                                         const tpool_config *cfg, tpool_param_value *out,
                                         tpool_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TPOOL_MODULE_H */
