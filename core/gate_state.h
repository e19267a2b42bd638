/*
 * gate_state.h - the policy gate's state (gate.c), a member of struct tpool
 * (pool.h). The protocol is written at pool.h's gate section; it is a
 * header of its own because the gate's functions are declared in pool.h,
 * which includes this.
 */
#ifndef TPOOL_CORE_GATE_STATE_H
#define TPOOL_CORE_GATE_STATE_H

#include "atomics.h"
#include "park.h"

struct tpool__gate {
    tpool__a32 switching; /* 1 while tpool_set_threads owns the policy;
                             written by gate.c (seq_cst) */
    tpool__event event;   /* threads wait on it for switching == 0 (park.h) */
    /* tpool__fork_gen (gate.c) when the pool was created: a pool whose value
     * differs was inherited through fork() and has no workers here (see
     * tpool__forked, pool.h). Written once by the creator before the pool
     * is published; read by the API entry points that would otherwise hang
     * (submit, waits, parallel-for, resize, stats). */
    unsigned fork_gen;
};

#endif
