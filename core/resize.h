/*
 * resize.h - the state of run-time changes to a pool (resize.c: the thread
 * count, the policy), a member of struct tpool (pool.h). The creator
 * (pool.c) fills it and destruction frees it; in between only resize.c
 * writes it, holding range.lock. stats.c reads the counters (relaxed).
 */
#ifndef TPOOL_CORE_RESIZE_H
#define TPOOL_CORE_RESIZE_H

#include "atomics.h"
#include "loader.h"

/* A policy that tpool_set_policy replaced: its module stays loaded until the
 * pool is destroyed, because a snapshot of tpool_stats (policy_names) or a
 * tpool_policy_name result may still point into it. */
typedef struct tpool__retired {
    struct tpool__retired *next;
    tpool__policy_handle handle;
} tpool__retired;

struct tpool__changes {
    tpool_config *cfg;  /* copy of the creation config: tpool_set_policy looks
                           names up on its policy_path */
    tpool__retired *retired; /* switched-out policies, one per .so */
    tpool__a64 policy_switches, grows, shrinks;
    tpool__a32 peak_threads;
};

#endif
