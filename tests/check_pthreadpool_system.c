/*
 * check_pthreadpool_system.c - the drop-in test: pthreadpool_debian_prog,
 * built against Debian's pthreadpool.h and linked against Debian's
 * libpthreadpool, runs first on Debian's library and then, with tpool's
 * library directory first on LD_LIBRARY_PATH, on tpool's libpthreadpool.so.0
 * (the program reports where pthreadpool_create came from), under every
 * policy (TPOOL_POLICY) and with a misspelt one (a warning naming it, and
 * the program runs on the default policy).
 * Skipped when libpthreadpool-dev is not installed.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <unistd.h>

#include "runcmd.h"
#include "tpool-build.h"

#define PROG TOP_BUILDDIR "/tests/pthreadpool_debian_prog"
#define OURS TOP_BUILDDIR "/core/.libs"

int main(void)
{
    if (TPOOL_SYSTEM_PTHREADPOOL[0] == '\0' || access(PROG, X_OK) != 0) {
        printf("SKIP: Debian's libpthreadpool and its header are not installed "
               "(apt-get install libpthreadpool-dev), so %s was not built\n", PROG);
        return SKIP;
    }
    char out[8192], ours[PATH_MAX], lib[PATH_MAX], seen[PATH_MAX], real[PATH_MAX];
    if (!realpath(OURS "/libpthreadpool.so.0", ours))
        return fail("%s/libpthreadpool.so.0 is missing", OURS);
    if (!realpath(TPOOL_SYSTEM_PTHREADPOOL, lib))
        return fail("%s is missing", TPOOL_SYSTEM_PTHREADPOOL);

    /* On Debian's own library: the program is sound. */
    if (run_cmd(out, sizeof out, "env -u LD_LIBRARY_PATH %s 2>&1", PROG) != 0)
        return fail("the program fails on Debian's library");
    if (sscanf(out, "library: %4095s", seen) != 1 || !realpath(seen, real)
        || strcmp(real, lib) != 0)
        return fail("expected to run on %s", lib);

    /* On tpool's, with every policy, and with the default one. */
    const char *env = getenv("TPOOL_TEST_POLICIES");
    char policies[1024];
    snprintf(policies, sizeof policies, "%s default", env && *env ? env : "fifo");
    for (char *pol = strtok(policies, " "); pol; pol = strtok(NULL, " ")) {
        int rc = strcmp(pol, "default") == 0
                     ? run_cmd(out, sizeof out, "env -u TPOOL_POLICY -u TPOOL_CONFIG "
                               "LD_LIBRARY_PATH=%s %s 2>&1", OURS, PROG)
                     : run_cmd(out, sizeof out, "env -u TPOOL_CONFIG TPOOL_POLICY=%s "
                               "LD_LIBRARY_PATH=%s %s 2>&1", pol, OURS, PROG);
        if (sscanf(out, "library: %4095s", seen) != 1 || !realpath(seen, real)
            || strcmp(real, ours) != 0)
            return fail("policy %s: expected to run on %s", pol, ours);
        if (rc != 0 || !strstr(out, "threads: 4\n") || !strstr(out, "result: ok\n"))
            return fail("policy %s: wrong results on tpool's library", pol);
    }

    /* The environment is read: a policy that does not exist is warned about
     * on stderr, and the program still runs in parallel on the default
     * policy (a NULL pool would have run it on one thread). */
    int rc = run_cmd(out, sizeof out, "env TPOOL_POLICY=no-such-policy LD_LIBRARY_PATH=%s "
                     "%s 2>&1", OURS, PROG);
    if (rc != 0 || !strstr(out, "ignoring TPOOL_POLICY=\"no-such-policy\"")
        || !strstr(out, "threads: 4\n") || !strstr(out, "result: ok\n"))
        return fail("a bad TPOOL_POLICY was not warned about and ignored: %s", out);
    printf("PASS: a program built for Debian's libpthreadpool ran on tpool's\n");
    return 0;
}
