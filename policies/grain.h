/*
 * grain.h - cost-bounded chunks for the parallel-for paths of the
 * balancing policies (stealing, dynamic). Header-only, shared by their
 * sources; not installed, not part of the policy ABI.
 *
 * A balancing policy hands out small chunks towards the end of a range so
 * that no participant is left holding much work the others cannot take.
 * When items are cheap those chunks cost more than the items: every chunk
 * is a range_next call, an atomic on a shared or stealable word and a call
 * of the body, so a thousand empty items cut into dozens of chunks took
 * several times as long as one block per participant. The imbalance a
 * chunk can cause is bounded by its time, not its item count, so each
 * participant times its own chunks: once what it is about to split would
 * take at most `grain_ns` at the rate it measured, it takes all of it in
 * one chunk. Expensive items never qualify and are chunked as before.
 *
 * The rate is this participant's own: the time since its previous look
 * divided by the items handed to it since then (body, policy and core
 * overhead included, and any preemption, which only makes items look
 * dearer, never cheaper). A participant's first look has no rate, and a
 * rate is not extrapolated to more than GRAIN_REACH times the items it was
 * measured on.
 *
 * A look that finds the items dear also says how few items would be
 * cheap at that rate; until no more than that are left, the participant
 * does not look again (no clock read) and the rate goes on being measured
 * over the longer stretch. Dear items therefore cost about two clock reads
 * per participant and job, not one per chunk; items that turn cheaper
 * later in the range are taken at once a little later than a look at
 * every chunk would have taken them, never earlier.
 *
 * The price: a rate predicts items like those it was measured on. A range
 * whose first items are almost free and whose later ones are dear (a
 * sparse matrix's empty rows, then full ones) can have the dear ones taken
 * in one chunk with the cheap rest, as one participant's block; grain_ns 0
 * turns the shortcut off.
 *
 * Ownership: one policy_grain per range participant, written by range_begin
 * (before the core publishes the job) and then only by that participant's
 * thread (each participant index is used by one thread at a time).
 */
#ifndef TPOOL_POLICIES_GRAIN_H
#define TPOOL_POLICIES_GRAIN_H

#include <stdint.h>
#include <time.h>

/* A rate measured on k items predicts at most GRAIN_REACH * k. */
#define GRAIN_REACH 8

typedef struct policy_grain {
    uint64_t t;     /* CLOCK_MONOTONIC ns of the last look; 0: none in this job */
    uint64_t items; /* items (or blocks) handed to the participant since then */
    uint64_t dear_above; /* more left than this: dear at the last look's rate */
} policy_grain;

static inline void policy_grain_reset(policy_grain *g)
{
    g->t = 0;
    g->items = 0;
    g->dear_above = UINT64_MAX;
}

/* Items handed to the participant. */
static inline void policy_grain_took(policy_grain *g, uint64_t items)
{
    g->items += items;
}

/* Out of line: its clock read needs a stack frame, which inlined would
 * cost every range_next call, also those that never look. */
#if defined(__GNUC__)
#define POLICY_GRAIN_NOINLINE __attribute__((noinline))
#else
#define POLICY_GRAIN_NOINLINE
#endif

/*
 * Whether `left` more items would take at most `grain_ns` at the rate the
 * participant measured since its last look; a look starts a new
 * measurement. Costs one clock read, unless the last look's rate already
 * says no (see above): call it only where the answer changes the chunk.
 * grain_ns 0 (the feature off) or a failing clock: always 0.
 */
static POLICY_GRAIN_NOINLINE int policy_grain_cheap(policy_grain *g, uint64_t grain_ns,
                                                    uint64_t left)
{
    struct timespec ts;
    if (left > g->dear_above || grain_ns == 0 || clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    /* dt / items per item, times left, at most grain_ns; in doubles, since
     * the products can exceed 64 bits and only the comparison matters. */
    int rated = g->t != 0 && g->items != 0 && now >= g->t;
    double fit = !rated       ? 0
                 : now == g->t ? (double)UINT64_MAX /* below the clock's resolution */
                               : (double)grain_ns * (double)g->items / (double)(now - g->t);
    int cheap = rated && (double)left <= (double)GRAIN_REACH * (double)g->items
                && (double)left <= fit;
    g->dear_above = !rated || fit >= (double)UINT64_MAX ? UINT64_MAX : (uint64_t)fit;
    g->t = now;
    g->items = 0;
    return cheap;
}

#endif
