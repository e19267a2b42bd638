/* child.h - running work that may crash or hang in a forked child (child.c). */
#ifndef TPOOL_CORE_CHILD_H
#define TPOOL_CORE_CHILD_H

#include "tpool.h"

/*
 * Runs work(arg, c, err) in a forked child, which calls
 * tpool__child_stage(c, S) as it starts each stage S (one byte of the
 * caller's choosing; at most 16 stages). Returns work's value, its error in
 * err (v->reported set); TPOOL_ELOAD when the child died, hung (killed
 * after v->timeout_s) or exited before it reported, with what happened in
 * *v and the last stage started in v->stage, for the caller to word; or
 * TPOOL__NO_CHILD when no child could be started or reaped.
 */
#define TPOOL__NO_CHILD 1
typedef struct tpool__child tpool__child;
typedef int (*tpool__child_fn)(void *arg, tpool__child *c, tpool_error *err);
typedef struct tpool__child_verdict {
    int reported;     /* work returned and its result came back */
    char stage;       /* the last stage started, 0 before the first */
    int hung;         /* killed after timeout_s */
    int signal;       /* died of this signal, or 0 */
    int exited;       /* exited before reporting, with status */
    int status;
    int timeout_s;
} tpool__child_verdict;
int tpool__run_in_child(tpool__child_fn work, void *arg, tpool__child_verdict *v,
                        tpool_error *err);
void tpool__child_stage(tpool__child *c, char stage);

#endif
