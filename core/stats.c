/* stats.c - snapshots of the per-slot counters and the policy's counters. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "pool.h"

static void read_counters(const tpool__counters *c, tpool_worker_stats *out)
{
    out->tasks_run = ld_relaxed(&c->tasks_run);
    out->items_run = ld_relaxed(&c->items_run);
    out->busy_ns = ld_relaxed(&c->busy_ns);
    out->idle_ns = ld_relaxed(&c->idle_ns);
    out->parks = ld_relaxed(&c->parks);
    out->wakes = ld_relaxed(&c->wakes);
}

static void zero_counters(tpool__counters *c)
{
    st_relaxed(&c->tasks_run, 0);
    st_relaxed(&c->items_run, 0);
    st_relaxed(&c->busy_ns, 0);
    st_relaxed(&c->idle_ns, 0);
    st_relaxed(&c->parks, 0);
    st_relaxed(&c->wakes, 0);
}

static void add_counters(const tpool__counters *c, tpool_worker_stats *out)
{
    tpool_worker_stats more;
    read_counters(c, &more);
    out->tasks_run += more.tasks_run;
    out->items_run += more.items_run;
    out->busy_ns += more.busy_ns;
    out->idle_ns += more.idle_ns;
    out->parks += more.parks;
    out->wakes += more.wakes;
}

int tpool_stats_get(tpool *p, tpool_stats *out)
{
    if (!p || !out)
        return TPOOL_EINVAL;
    memset(out, 0, sizeof *out);
    if (tpool__forked(p))
        return TPOOL_ESHUTDOWN; /* its policy state may be mid-update */

    /* Inside the gate W, the worker structs and the policy state are stable. */
    tpool__thread_rec *rec = tpool__enter(p);
    unsigned nw = ld_relaxed(&p->team.workers);
    out->workers = nw;
    out->per_worker = tpool__calloc(nw + 1, sizeof *out->per_worker);
    if (!out->per_worker) {
        tpool__leave(rec);
        return TPOOL_ENOMEM;
    }

    const tpool_policy *ops = &p->team.policy.ops;
    out->npolicy = p->team.policy.nstats;
    for (unsigned i = 0; i < out->npolicy; i++)
        out->policy_names[i] = ops->stat_names[i];

    uint64_t ran = 0;
    for (unsigned s = 0; s <= nw; s++) {
        tpool_worker_stats *ws = &out->per_worker[s];
        read_counters(s < nw ? &p->team.w[s]->c : &p->outside, ws);
        /* Workers a shrink retired count as outside threads. */
        for (unsigned r = nw, n = ld_acquire(&p->team.nalloc); s == nw && r < n; r++)
            add_counters(&p->team.w[r]->c, ws);
        if (out->npolicy && ops->stats_read)
            ops->stats_read(p->team.pstate, s, ws->policy);
        ran += ws->tasks_run;
    }
    tpool__leave(rec);
    out->completed = ran;
    out->cancelled = ld_relaxed(&p->tasks.cancelled_total);
    out->submitted = ran + out->cancelled + tpool__root_pending(p);
    out->parallel_calls = ld_relaxed(&p->tasks.parallel_calls);
    out->threads = ld_acquire(&p->team.threads); /* first: see resize.c */
    out->peak_threads = ld_relaxed(&p->changes.peak_threads);
    out->grows = ld_relaxed(&p->changes.grows);
    out->shrinks = ld_relaxed(&p->changes.shrinks);
    out->policy_switches = ld_relaxed(&p->changes.policy_switches);
    return 0;
}

void tpool_stats_free(tpool_stats *stats)
{
    if (stats) {
        tpool__free(stats->per_worker);
        stats->per_worker = NULL;
    }
}

void tpool_stats_reset(tpool *p)
{
    if (!p || tpool__forked(p))
        return;
    tpool__thread_rec *rec = tpool__enter(p);
    for (unsigned s = 0, n = ld_acquire(&p->team.nalloc); s < n; s++)
        zero_counters(&p->team.w[s]->c);
    zero_counters(&p->outside);
    st_relaxed(&p->tasks.cancelled_total, 0);
    st_relaxed(&p->tasks.parallel_calls, 0);
    if (p->team.policy.ops.stats_reset)
        p->team.policy.ops.stats_reset(p->team.pstate);
    tpool__leave(rec);
}
