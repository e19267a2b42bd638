/*
 * load_isolated.c - loading a policy file first in a child process, for the
 * tools that scan or check policies (tpool_policy_list,
 * tpool_config_resolve, tpool-conformance).
 *
 * Some faults of a policy .so cannot be seen before its code runs: an entry
 * point with the wrong signature writes through a garbage pointer, a
 * constructor crashes or never returns. Loading it in this process would
 * take the tool down with no word about the file. A child (input/child.c)
 * loads it (and runs the caller's probe, such as a create and destroy) and
 * reports; the caller loads it for real only when the child saw it load. A
 * child that dies is reported with the file and the signal, one that hangs
 * is killed after the child runner's time limit.
 */
#define _GNU_SOURCE
#include <string.h>

#include "child.h"
#include "error.h"
#include "loader.h"

enum { STAGE_LOAD = 'L', STAGE_PROBE = 'P' };

struct policy_work {
    const char *path;
    tpool__policy_probe probe;
    const void *arg;
    int in_probe;
    /* The child's load, kept here (the caller's frame, alive until the
     * child exits) rather than unloaded: nothing is unloaded or freed in
     * the child, and what it loaded stays reachable for leak checkers. */
    tpool__policy_handle h;
};

static int policy_work(void *arg, tpool__child *c, tpool_error *err)
{
    struct policy_work *pw = arg;
    /* Another thread of the parent may have held the loader's lock at the
     * fork (the core's fork handlers reset it only once a pool was made):
     * this process has one thread, so start from a fresh lock. */
    tpool__loader_fork_child();
    tpool__child_stage(c, STAGE_LOAD);
    int rc = tpool__policy_load_path(pw->path, &pw->h, err);
    if (rc == 0 && pw->probe) {
        tpool__child_stage(c, STAGE_PROBE);
        rc = pw->probe(&pw->h, pw->arg, err);
        /* the parent learns it from the stage: the last one started */
    }
    return rc;
}

/* The isolation's check (loader.h): loads `path` in a forked child (child.h)
 * and runs `probe` there. */
static int check_in_child(const char *path, tpool__policy_probe probe, const void *arg,
                          const char *probe_what, int *probe_error, tpool_error *err)
{
    *probe_error = 0;
    struct policy_work pw = { path, probe, arg, 0, { 0 } };
    tpool__child_verdict v;
    int rc = tpool__run_in_child(policy_work, &pw, &v, err);
    if (v.reported || rc == TPOOL__NO_CHILD) {
        *probe_error = rc != 0 && v.stage == STAGE_PROBE;
        return rc;
    }

    const char *doing = v.stage == STAGE_PROBE ? probe_what : "loading it";
    if (v.hung)
        return tpool__policy_fail(err, TPOOL_ELOAD, path,
                                  "policy '%s': %s did not finish within %d s, so the "
                                  "process doing it was killed: a constructor or the "
                                  "entry point of the .so hangs (or corrupted the "
                                  "loader's state)", path, doing, v.timeout_s);
    if (v.signal)
        return tpool__policy_fail(err, TPOOL_ELOAD, path,
                                  "policy '%s': %s crashed the process doing it "
                                  "(signal %d, %s)%s", path, doing, v.signal,
                                  strsignal(v.signal),
                                  v.stage == STAGE_PROBE ? ""
                                  : "; the entry point must be 'const tpool_policy *"
                                    TPOOL_POLICY_ENTRY_NAME "(void)' returning the "
                                    "address of a static descriptor (TPOOL_POLICY_DEFINE "
                                    "writes it), and the .so's constructors must not "
                                    "crash");
    return tpool__policy_fail(err, TPOOL_ELOAD, path,
                              "policy '%s': the process %s exited with status %d "
                              "before it could report (the .so called exit(), or a "
                              "sanitizer stopped it: see its output above)", path,
                              v.stage == STAGE_PROBE ? "checking it" : "loading it",
                              v.status);
}

int tpool__policy_load_isolated(const tpool_config *cfg, tpool__policy_handle *out,
                                tpool__policy_probe probe, const void *arg,
                                const char *probe_what, tpool_error *err)
{
    tpool__policy_isolation iso = { check_in_child, probe, arg, probe_what, 0 };
    return tpool__policy_load_with(cfg, out, &iso, err);
}

int tpool__policy_load_path_isolated(const char *path, tpool__policy_handle *out,
                                     tpool__policy_probe probe, const void *arg,
                                     const char *probe_what, tpool_error *err)
{
    tpool__policy_isolation iso = { check_in_child, probe, arg, probe_what, 0 };
    return tpool__policy_load_path_with(path, out, &iso, err);
}
