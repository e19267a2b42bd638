/*
 * check_pthreadpool_cxx.c - include/pthreadpool.h and include/tpool.h from
 * C++: compiles pthreadpool_cxx.cc with the C++ compiler ($CXX, else g++ or
 * c++), warnings as errors, links it against libtpool and runs it. Skipped
 * when there is no C++ compiler.
 */
#define _GNU_SOURCE
#include "runcmd.h"

#ifndef SAN_CFLAGS
#define SAN_CFLAGS ""
#endif
#ifndef SAN_LDFLAGS
#define SAN_LDFLAGS ""
#endif

#define LIBS TOP_BUILDDIR "/core/.libs"
#define PROG TOP_BUILDDIR "/tests/pthreadpool_cxx"

int main(void)
{
    char out[16384], cxx[256] = "";
    const char *env = getenv("CXX");
    if (env && *env)
        snprintf(cxx, sizeof cxx, "%s", env);
    else if (run_cmd(out, sizeof out, "command -v g++ || command -v c++") == 0)
        sscanf(out, "%255s", cxx);
    if (!cxx[0]) {
        printf("SKIP: no C++ compiler (set CXX, or apt-get install g++)\n");
        return SKIP;
    }
    if (run_cmd(out, sizeof out, "%s -std=c++11 -Wall -Wextra -Werror %s -I%s/include "
                "-o %s %s/tests/pthreadpool_cxx.cc -L%s -ltpool -pthread %s 2>&1",
                cxx, SAN_CFLAGS, TOP_SRCDIR, PROG, TOP_SRCDIR, LIBS, SAN_LDFLAGS) != 0)
        return fail("the headers do not compile as C++");
    int rc = run_cmd(out, sizeof out, "LD_LIBRARY_PATH=%s %s 2>&1", LIBS, PROG);
    remove(PROG);
    if (rc != 0 || !strstr(out, "result: ok"))
        return fail("the C++ program failed");
    printf("PASS: C++ build and run\n");
    return 0;
}
