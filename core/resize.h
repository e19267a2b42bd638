/*
 * resize.h - the state that run-time changes to a pool change (resize.c:
 * the thread count, the policy), two members of struct tpool (pool.h): the
 * team (the policy and the threads that run it, read everywhere) and the
 * changes (their bookkeeping). The creator (pool.c, with worker.c's
 * tpool__alloc_worker) fills them and destruction frees them; in between
 * only resize.c writes them, holding range.lock.
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

/*
 * The policy (handle and state), the parallelism T and the worker count
 * W = max(T - 1, 1) change only in tpool_set_threads and tpool_set_policy,
 * while the gate (gate_state.h) keeps every policy op out, holding
 * range.lock. pstate is read inside the gate, or by a parallel-for (under
 * range.lock, or by its workers under the job's `active` count); T and W
 * are read anywhere (relaxed, or acquire where the reader then indexes
 * w[]) and written with release after w[0..W-1] are in place. Read-mostly:
 * it begins struct tpool and ends on the gate's line.
 */
struct tpool__worker;
struct tpool__team {
    tpool__policy_handle policy;
    void *pstate;
    tpool__a32 threads; /* T */
    tpool__a32 workers; /* W */
    /* TPOOL_MAX_THREADS entries (W < T <= TPOOL_MAX_THREADS); entry i is
     * allocated the first time the pool has a worker i and freed with the
     * pool. Written only by the creator/resizer before it publishes a W
     * that covers i. */
    struct tpool__worker **w;
    /* Entries of w[] allocated; written (release) by the creator/resizer
     * after the entry, read (acquire) by anyone who walks all of them. */
    tpool__a32 nalloc;
};

/* stats.c reads the counters (relaxed). */
struct tpool__changes {
    /* The loaded policy's name, its descriptor's string: it stays valid
     * until the pool is destroyed, since a switched-out policy stays loaded
     * (see `retired`). Read anywhere (acquire); written by
     * tpool_set_policy. */
    _Atomic(const char *) policy_name;
    tpool_config *cfg;  /* copy of the creation config: tpool_set_policy looks
                           names up on its policy_path */
    tpool__retired *retired; /* switched-out policies, one per .so */
    tpool__a64 policy_switches, grows, shrinks;
    tpool__a32 peak_threads;
    tpool_param_value *params; /* resolved policy parameters, for re-creation */
};

#endif
