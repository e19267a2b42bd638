/*
 * pool.c - a pool's lifecycle: creation from a configuration (the public
 * constructors, which attach the recorder, are create.c's), destruction
 * (drain or cancel, or an inherited pool's after fork()), and the
 * accessors. The threads are
 * worker.c's; changing the thread count or the policy is resize.c's.
 */
#define _GNU_SOURCE
#include "pool.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "error.h"
#include "fault.h"
#include "record_hooks.h"
#include "seats.h"

/* ---- creation ------------------------------------------------------------ */

static void free_pool(struct tpool *p)
{
    if (p->team.pstate) {
        tpool__job_settle(p); /* the workers are gone: only range_end is left */
        tpool__tiles_drain(p);
        p->team.policy.ops.destroy(p->team.pstate);
    }
    tpool__policy_unload(&p->team.policy);
    tpool__retired_free(p);
    tpool_config_free(p->changes.cfg);
    pthread_mutex_destroy(&p->range.lock);
    pthread_mutex_destroy(&p->tasks.root.lock);
    tpool__job_free(p);
    if (p->team.w)
        for (unsigned i = 0, n = ld_relaxed(&p->team.nalloc); i < n; i++)
            tpool__free(p->team.w[i]);
    tpool__free(p->team.w);
    tpool__free(p->changes.params);
    tpool__free(p);
}

int tpool__pool_create(const tpool_config *cfg, tpool **out, tpool_error *err)
{
    *out = NULL;
    int rc = TPOOL_ENOMEM;
    struct tpool *p = tpool__calloc(1, sizeof *p);
    if (!p)
        return tpool__error(err, rc, NULL, 0, 0, NULL, "cannot allocate the pool");
    tpool__fork_init();
    p->gate.fork_gen = tpool__fork_gen;
    pthread_mutex_init(&p->range.lock, NULL);
    tpool__group_init(&p->tasks.root, p);
    tpool__event_init(&p->gate.event);
    tpool__event_init(&p->range.job.wake);

    rc = tpool__policy_load(cfg, &p->team.policy, err);
    if (rc)
        goto fail;

    /* Kept for the life of the pool: a resize may create the state anew. */
    p->changes.params = tpool__calloc(p->team.policy.ops.nparams + 1, sizeof *p->changes.params);
    if (!p->changes.params) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL, "cannot allocate parameters");
        goto fail;
    }
    rc = tpool__params_resolve(cfg, &p->team.policy.ops, p->changes.params, err);
    if (rc)
        goto fail;

    unsigned threads = cfg->threads ? cfg->threads : tpool_default_threads();
    unsigned workers = threads > 1 ? threads - 1 : 1;
    atomic_init(&p->team.threads, threads);
    atomic_init(&p->seats.word, tpool__seat_word(threads, 0));
    /* The CPUs a crowded spin counts against (`threads` is that count when
     * the configuration left T to the default). */
    p->seats.cpus = cfg->threads ? tpool_default_threads() : threads;
    atomic_init(&p->changes.peak_threads, threads);
    p->el.min = cfg->threads;
    p->el.max = cfg->threads_max;
    p->el.idle_ns = (uint64_t)cfg->idle_ms * 1000000u;
    atomic_init(&p->team.workers, workers);
    p->mode.spin_ns = (uint64_t)cfg->spin_us * 1000u;
    st_relaxed(&p->mode.min_work_size, cfg->min_work_size ? cfg->min_work_size : 1);
    atomic_init(&p->changes.policy_name, p->team.policy.ops.name);
    atomic_init(&p->mode.stamp_submit, !(p->team.policy.ops.flags & TPOOL_POLICY_NO_SUBMIT_TIME));
    atomic_init(&p->mode.stamp_seq, !(p->team.policy.ops.flags & TPOOL_POLICY_NO_SEQ));
    if (tpool_config_copy(cfg, &p->changes.cfg) != 0) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL,
                          "cannot allocate a copy of the configuration");
        goto fail;
    }
    /* w[] has a slot for every worker a pool may have: the configuration
     * and the default count keep T within the limit (checked again here,
     * since a count beyond it would write past w[]). */
    if (threads > TPOOL_MAX_THREADS) {
        rc = tpool__error(err, TPOOL_EINVAL, cfg->source, 0, 0, "threads",
                          "%u threads is above the limit of %d", threads, TPOOL_MAX_THREADS);
        goto fail;
    }
    p->team.w = tpool__calloc(TPOOL_MAX_THREADS, sizeof *p->team.w);
    if (!p->team.w) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL, "cannot allocate %u workers",
                          workers);
        goto fail;
    }
    for (unsigned i = 0; i < workers; i++) {
        if (tpool__alloc_worker(p, i) != 0) {
            rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL,
                              "cannot allocate %u workers", workers);
            goto fail;
        }
    }

    char errbuf[512] = "";
    tpool_policy_env env = tpool__policy_env(workers, threads, p->changes.params, errbuf, sizeof errbuf);
    if (tpool__fault(TPOOL__FAULT_ALLOC)) /* as if the policy ran out of memory */
        snprintf(errbuf, sizeof errbuf, "out of memory (injected fault)");
    else if (p->team.policy.ops.create(&env, &p->team.pstate) != 0)
        p->team.pstate = NULL;
    if (!p->team.pstate) {
        p->team.pstate = NULL;
        rc = tpool__error(err, TPOOL_EPOLICY, cfg->source, 0, 0, "params",
                          "policy '%s' refused to start: %s", p->team.policy.ops.name,
                          errbuf[0] ? errbuf : "create failed without a message");
        goto fail;
    }

    for (unsigned i = 0; i < workers; i++) {
        int e = tpool__start_worker(p, p->team.w[i], LIFE_ACTIVE);
        if (e != 0) {
            tpool__stop_workers(p);
            rc = tpool__error(err, TPOOL_ETHREAD, NULL, 0, 0, "threads",
                              "cannot create worker thread %u of %u: %s", i + 1,
                              workers, strerror(e));
            goto fail;
        }
    }
    if (tpool__elastic_start(p) != 0) {
        tpool__stop_workers(p);
        rc = tpool__error(err, TPOOL_ETHREAD, NULL, 0, 0, "threads",
                          "cannot create the elastic pool's monitor thread");
        goto fail;
    }
    *out = p;
    return 0;

fail:
    free_pool(p);
    return rc;
}

/* ---- destruction ------------------------------------------------------------ */

/*
 * Destroys a pool inherited through fork(): its workers do not exist in this
 * process, and its policy state and locks are as other threads left them at
 * the fork (a queue half-linked, a mutex held). So nothing of the policy's is
 * touched (no pop, no destroy: its state and the tasks queued in it are
 * leaked, never run, their on_complete never called) and no lock is taken or
 * destroyed; what belongs to the core alone is freed.
 */
static void free_forked_pool(struct tpool *p)
{
    tpool__policy_unload(&p->team.policy); /* the loader's lock is fresh here */
    tpool__job_free(p);
    for (unsigned i = 0, n = ld_relaxed(&p->team.nalloc); i < n; i++)
        tpool__free(p->team.w[i]);
    tpool__free(p->team.w);
    tpool__free(p->changes.params);
    tpool__free(p->el.seen); /* the elastic monitor thread does not exist here */
    tpool__retired_free(p);
    tpool_config_free(p->changes.cfg);
    tpool__free(p);
}

int tpool_destroy_ex(tpool *p, enum tpool_destroy_mode mode, size_t *cancelled)
{
    if (cancelled)
        *cancelled = 0;
    if (!p)
        return TPOOL_EINVAL;
    if (tpool__works_for(p))
        return TPOOL_EDEADLK;
    if (tpool__forked(p)) {
        free_forked_pool(p);
        return 0;
    }

    uint64_t t0 = p->record.id ? tpool__now_ns() : 0; /* the destroy, in the record */
    tpool__elastic_stop(p); /* the pool keeps its size while it drains */
    uint64_t before = ld_relaxed(&p->tasks.cancelled_total);
    if (mode == TPOOL_CANCEL) {
        /* Workers now cancel what they pop instead of running it; wake them
         * all so that every queue is emptied. */
        atomic_store(&p->mode.cancelling, 1);
        for (unsigned i = 0, n = ld_acquire(&p->team.workers); i < n; i++)
            tpool__wake_worker(p, i);
    }
    /* Drain (or, cancelling, empty) everything; this thread helps. */
    tpool__group_wait(&p->tasks.root);
    tpool__stop_workers(p);
    if (cancelled)
        *cancelled = (size_t)(ld_relaxed(&p->tasks.cancelled_total) - before);
    if (p->record.id)
        p->record.hooks->pool_end(p, t0);
    free_pool(p);
    return 0;
}

int tpool_destroy(tpool *p)
{
    return tpool_destroy_ex(p, TPOOL_DRAIN, NULL);
}

/* ---- accessors ------------------------------------------------------------ */

unsigned tpool_threads(const tpool *p)
{
    return p ? ld_relaxed(&((struct tpool *)p)->team.threads) : 1;
}

const char *tpool_policy_name(const tpool *p)
{
    return p ? atomic_load_explicit(&((struct tpool *)p)->changes.policy_name, memory_order_acquire)
             : NULL;
}

size_t tpool_get_min_work_size(const tpool *p)
{
    return p ? ld_relaxed(&((struct tpool *)p)->mode.min_work_size) : 1;
}

void tpool_set_min_work_size(tpool *p, size_t items)
{
    if (p)
        st_relaxed(&p->mode.min_work_size, items ? items : 1);
}
