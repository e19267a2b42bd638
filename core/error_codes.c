/* error_codes.c - the public side of errors: the name of each code and
 * clearing a tpool_error (tpool.h). Filling one is input/error.c's. */
#include <string.h>

#include "tpool.h"

const char *tpool_strerror(int code)
{
    switch (code) {
    case TPOOL_OK: return "success";
    case TPOOL_EINVAL: return "invalid argument or configuration value";
    case TPOOL_ENOMEM: return "out of memory";
    case TPOOL_ENOENT: return "not found";
    case TPOOL_ELOAD: return "cannot load policy";
    case TPOOL_EABI: return "incompatible policy ABI";
    case TPOOL_EPARSE: return "malformed JSON";
    case TPOOL_ETHREAD: return "cannot create thread";
    case TPOOL_ESHUTDOWN: return "pool is shutting down";
    case TPOOL_EPOLICY: return "policy refused";
    case TPOOL_EDEADLK: return "operation would deadlock";
    case TPOOL_ECANCELED: return "task cancelled";
    case TPOOL_EIO: return "I/O error";
    case TPOOL_ERANGE: return "value out of range";
    default: return "unknown error";
    }
}

void tpool_error_clear(tpool_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}
