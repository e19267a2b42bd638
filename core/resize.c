/*
 * resize.c - changing a pool's thread count and its policy at run time,
 * behind the policy gate that makes it safe (gate.c).
 *
 * tpool_set_threads, holding range.lock (so no parallel-for is open and no
 * other resize runs):
 *   1. prepares everything that can fail, while the pool keeps running:
 *      worker structs and threads for a grow (started PENDING: they wait
 *      before touching the pool), and a new policy state when the policy has
 *      no resize op;
 *   2. closes the gate (`gate.switching`) and waits until no thread is inside a
 *      policy op. From then on it is the only thread that touches the policy
 *      state: every other thread that wants to push or pop waits in
 *      tpool__enter_slow, running tasks keep running;
 *   3. pops every queued task from every slot 0..W (being the only consumer,
 *      popping a worker's slot is legal), resizes the state or replaces it by
 *      the new one, marks the workers whose slot goes away as retired (a
 *      worker looks at that mark inside the gate before it pops, so none of
 *      them takes a task once the gate opens), publishes the new T and W,
 *      and pushes the tasks again in submission (seq) order from the new
 *      outside slot;
 *   4. opens the gate, lets the new workers in, and wakes the retired ones
 *      so that they leave: a retired worker finishes the task it is running
 *      (acting as an outside thread should that task push, or wait and help
 *      meanwhile), then takes no new work and exits; its thread is joined by
 *      a later grow that reuses the slot (which therefore waits for that
 *      task), or by destroy.
 * tpool_set_policy goes through the same steps 2 and 3 (`exchange`): it
 * loads the new policy, resolves its parameters and creates its state first,
 * for the current T and W, so that a failure leaves the pool as it was; then
 * drains the old state, destroys it with the old policy, installs the new
 * one and pushes the tasks again through it. Threads are not touched.
 * A submission that races with the switch either entered the gate first
 * (its task is in the old state when it is drained, and moved) or waits at
 * the gate and pushes into the new state: none is lost. The submit path
 * gains one store to the thread's own record and one load of a read-mostly
 * flag, no shared read-modify-write.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>

#include "alloc.h"
#include "error.h"
#include "fault.h"
#include "seats.h"

/* ---- moving queued tasks ------------------------------------------------------ */

/* Pops every queued task from slots 0..w (the gate is closed) into a list
 * linked through pub.next, which the policy gave up with the pop. Passes
 * repeat until one finds nothing, for policies whose pop for one slot can
 * move work into another's reach. */
static tpool_task *drain(struct tpool *p, unsigned w)
{
    tpool_task *list = NULL;
    for (bool found = true; found;) {
        found = false;
        for (unsigned s = 0; s <= w; s++) {
            tpool_task *t;
            while ((t = p->team.policy.ops.pop(p->team.pstate, s)) != NULL) {
                t->next = list;
                list = t;
                found = true;
            }
        }
    }
    return list;
}

/* Sorts a task list by seq (merge sort; no allocation). */
static tpool_task *sort_by_seq(tpool_task *list)
{
    if (!list || !list->next)
        return list;
    tpool_task *slow = list, *fast = list->next;
    while (fast && fast->next) {
        slow = slow->next;
        fast = fast->next->next;
    }
    tpool_task *right = slow->next;
    slow->next = NULL;
    tpool_task *a = sort_by_seq(list), *b = sort_by_seq(right);
    tpool_task head = { 0 }, *tail = &head;
    while (a && b) {
        tpool_task **min = a->seq <= b->seq ? &a : &b;
        tail->next = *min;
        tail = *min;
        *min = (*min)->next;
    }
    tail->next = a ? a : b;
    return head.next;
}

/* Pushes the drained tasks again, oldest first, from the outside slot of the
 * current W, as fresh submissions (the gate is closed: raw policy calls). */
static void repush(struct tpool *p, tpool_task *list)
{
    unsigned outside = ld_relaxed(&p->team.workers);
    list = sort_by_seq(list);
    while (list) {
        tpool_task *t = list;
        list = t->next;
        t->next = NULL;
        t->policy_data[0] = t->policy_data[1] = 0;
        int target = p->team.policy.ops.push(p->team.pstate, t, outside);
        fence_seq_cst();
        tpool__wake_target(p, target);
    }
}

/* ---- the exchange ----------------------------------------------------------- */

/*
 * The part that owns the policy, shared by resizing and policy switching
 * (steps 2 and 3 above). Holding range.lock, with everything that can fail
 * prepared: closes the gate, drains the queued tasks through the policy in
 * place, lets `install` put the new state (and T, W, or a new policy) in
 * place, pushes the tasks again through whatever policy is in place then,
 * and opens the gate. `install` returns 0, or an error after which the old
 * state must still be in place and working.
 */
static int exchange(struct tpool *p, int (*install)(struct tpool *, void *), void *arg)
{
    tpool__gate_close(p);
    tpool_task *queued = drain(p, ld_relaxed(&p->team.workers));
    int rc = install(p, arg);
    repush(p, queued);
    tpool__gate_open(p);
    return rc;
}

/* ---- tpool_set_threads ----------------------------------------------------------- */

/* Lets workers [from, to) go: new ones that are not needed after all, or old
 * ones whose slot a shrink removed. */
static void retire(struct tpool *p, unsigned from, unsigned to, bool join)
{
    for (unsigned i = from; i < to; i++) {
        tpool__worker *wk = p->team.w[i];
        atomic_store(&wk->life, LIFE_RETIRE);
        tpool__word_wake(&wk->life, INT_MAX); /* a PENDING thread */
        tpool__wake_worker(p, i);           /* a parked one */
    }
    if (from < to)
        tpool__seats_wake_all(p);           /* one waiting for a seat */
    for (unsigned i = from; join && i < to; i++) {
        if (p->team.w[i]->has_thread)
            pthread_join(p->team.w[i]->thread, NULL);
        p->team.w[i]->has_thread = false;
    }
}

struct resized {
    tpool_policy_env *env; /* the new T and W */
    void *fresh;           /* new state when the policy has no resize op */
};

static int install_resized(struct tpool *p, void *arg)
{
    struct resized *r = arg;
    const tpool_policy *ops = &p->team.policy.ops;
    if (ops->resize) {
        if (ops->resize(p->team.pstate, r->env) != 0)
            return TPOOL_EPOLICY; /* the state still serves the old W */
    } else {
        ops->destroy(p->team.pstate);
        p->team.pstate = r->fresh;
    }
    /* Counted before T is published, so that a stats snapshot that sees
     * the new T (acquire) sees the change counted. */
    unsigned t = r->env->threads;
    add_relaxed(t > ld_relaxed(&p->team.threads) ? &p->changes.grows : &p->changes.shrinks, 1);
    /* Workers a shrink removes are marked while the gate is still closed:
     * a worker's pop looks at the mark inside the gate (pool.c,
     * pop_unless_retired), so none takes work queued after the shrink. */
    for (unsigned i = r->env->workers, ow = ld_relaxed(&p->team.workers); i < ow; i++)
        atomic_store(&p->team.w[i]->life, LIFE_RETIRE);
    if (t > ld_relaxed(&p->changes.peak_threads))
        st_relaxed(&p->changes.peak_threads, t);
    st_release(&p->team.workers, r->env->workers);
    st_release(&p->team.threads, t);
    tpool__seats_resize(p, t);
    return 0;
}

int tpool__resize(struct tpool *p, unsigned threads)
{
    /* w[] has room for the workers of TPOOL_MAX_THREADS threads, no more. */
    if (threads == 0 || threads > TPOOL_MAX_THREADS)
        return TPOOL_EINVAL;
    unsigned nw = threads > 1 ? threads - 1 : 1;
    const tpool_policy *ops = &p->team.policy.ops;

    pthread_mutex_lock(&p->range.lock);
    tpool__job_settle(p); /* no worker left in a job: the team changes */
    unsigned ow = ld_relaxed(&p->team.workers);
    unsigned ot = ld_relaxed(&p->team.threads);
    if (threads == ot) {
        pthread_mutex_unlock(&p->range.lock);
        return 0;
    }

    /* 1. What can fail, before anything changes. A slot that an earlier
     * shrink retired may still have its old thread finishing a task: join
     * it first (it runs outside the gate's control, so this cannot wait on
     * the switch). */
    int rc = 0;
    unsigned started = ow;
    for (; started < nw; started++) {
        rc = tpool__alloc_worker(p, started);
        if (rc)
            break;
        tpool__worker *wk = p->team.w[started];
        if (wk->has_thread)
            pthread_join(wk->thread, NULL);
        wk->has_thread = false;
        if (tpool__start_worker(p, wk, LIFE_PENDING) != 0) {
            rc = TPOOL_ETHREAD;
            break;
        }
    }
    char errbuf[512] = "";
    tpool_policy_env env = tpool__policy_env(nw, threads, p->changes.params, errbuf, sizeof errbuf);
    struct resized r = { &env, NULL };
    if (rc == 0 && !ops->resize
        && (tpool__fault(TPOOL__FAULT_ALLOC) || ops->create(&env, &r.fresh) != 0 || !r.fresh))
        rc = TPOOL_EPOLICY;
    if (rc) {
        retire(p, ow, started, true);
        pthread_mutex_unlock(&p->range.lock);
        return rc;
    }

    /* 2 and 3. The switch. */
    rc = exchange(p, install_resized, &r);

    /* 4. New workers in, removed ones out. */
    if (rc) {
        retire(p, ow, started, true);
    } else {
        for (unsigned i = ow; i < nw; i++) {
            atomic_store(&p->team.w[i]->life, LIFE_ACTIVE);
            tpool__word_wake(&p->team.w[i]->life, INT_MAX);
        }
        retire(p, nw, ow, false);
    }
    pthread_mutex_unlock(&p->range.lock);
    return rc;
}

int tpool_set_threads(tpool *p, unsigned threads)
{
    if (!p || threads > TPOOL_MAX_THREADS)
        return TPOOL_EINVAL;
    /* From a thread working for this pool (a task or parallel-for of it,
     * however many other pools' calls lie in between): the resize would
     * wait for the caller's own parallel-for, or join the caller's own
     * thread. */
    if (tpool__works_for(p))
        return TPOOL_EDEADLK;
    if (tpool__forked(p))
        return TPOOL_ESHUTDOWN; /* inherited through fork(): no workers here */
    int rc = tpool__resize(p, threads ? threads : tpool_default_threads());
    if (rc == 0 && p->el.running) {
        /* The elastic monitor may be asleep for good at min: have it look. */
        atomic_store(&p->el.kick, 1);
        tpool__word_wake(&p->el.kick, 1);
    }
    return rc;
}

/* ---- tpool_set_policy ------------------------------------------------------------- */

struct switched {
    tpool__policy_handle handle; /* in: the new policy; out: the old one */
    void *pstate;
    tpool_param_value *params;   /* in: the new values; out: the old ones */
};

static int install_policy(struct tpool *p, void *arg)
{
    struct switched *s = arg;
    /* The old state is empty now (drained): the old policy frees it. */
    p->team.policy.ops.destroy(p->team.pstate);
    tpool__policy_handle old = p->team.policy;
    p->team.policy = s->handle;
    s->handle = old;
    p->team.pstate = s->pstate;
    tpool_param_value *params = p->changes.params;
    p->changes.params = s->params;
    s->params = params;
    atomic_store_explicit(&p->changes.policy_name, p->team.policy.ops.name, memory_order_release);
    st_relaxed(&p->mode.stamp_submit, !(p->team.policy.ops.flags & TPOOL_POLICY_NO_SUBMIT_TIME));
    st_relaxed(&p->mode.stamp_seq, !(p->team.policy.ops.flags & TPOOL_POLICY_NO_SEQ));
    return 0;
}

/* Keeps a switched-out module loaded until the pool goes (see tpool__retired):
 * one reference per distinct .so, so switching back and forth does not grow
 * the list; a handle whose module is already held (by the list or by the
 * policy now in place) drops its own reference at once (it stays mapped).
 * `r` is the record, allocated before the switch so that keeping the module
 * cannot fail after it: a stats snapshot may still point at its counter
 * names. */
static void keep_retired(struct tpool *p, tpool__policy_handle *h, tpool__retired *r)
{
    bool held = h->dl == p->team.policy.dl;
    for (tpool__retired *k = p->changes.retired; k && !held; k = k->next)
        held = k->handle.dl == h->dl;
    if (held) {
        tpool__policy_unload(h);
        tpool__free(r);
        return;
    }
    r->handle = *h;
    r->next = p->changes.retired;
    p->changes.retired = r;
}

void tpool__retired_free(struct tpool *p)
{
    while (p->changes.retired) {
        tpool__retired *r = p->changes.retired;
        p->changes.retired = r->next;
        tpool__policy_unload(&r->handle);
        tpool__free(r);
    }
}

int tpool_set_policy(tpool *p, const char *policy, const char *params_json,
                     tpool_error *err)
{
    if (!p)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool_set_policy: pool is NULL");
    if (tpool__works_for(p))
        return tpool__error(err, TPOOL_EDEADLK, NULL, 0, 0, NULL,
                            "tpool_set_policy: called from a task or parallel-for of "
                            "the same pool, which the switch would wait for");
    if (tpool__forked(p))
        return tpool__error(err, TPOOL_ESHUTDOWN, NULL, 0, 0, NULL,
                            "tpool_set_policy: the pool was inherited through fork(); "
                            "it has no workers in this process");
    if (policy && !*policy)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, "policy",
                            "expected a policy name or a path containing '/', got \"\"");

    /* Resolve the way pool creation does (same search path, same messages):
     * a copy of the creation config with the policy and params replaced. */
    pthread_mutex_lock(&p->range.lock);
    tpool__job_settle(p); /* no worker left in the old policy's range_next */
    tpool_config *cfg = NULL;
    struct switched s = { { 0 }, NULL, NULL };
    tpool__retired *kept = NULL;
    int rc = tpool_config_copy(p->changes.cfg, &cfg);
    if (rc == 0)
        rc = tpool_config_set_policy(cfg, policy ? policy : p->team.policy.path);
    if (rc) {
        rc = tpool__error(err, rc, NULL, 0, 0, NULL, "tpool_set_policy: %s",
                          tpool_strerror(rc));
        goto out;
    }
    rc = tpool_config_set_params(cfg, params_json, err);
    if (rc)
        goto out;
    rc = tpool__policy_load(cfg, &s.handle, err);
    if (rc)
        goto out;
    s.params = tpool__calloc(s.handle.ops.nparams + 1, sizeof *s.params);
    kept = tpool__calloc(1, sizeof *kept);
    if (!s.params || !kept) {
        rc = tpool__error(err, TPOOL_ENOMEM, NULL, 0, 0, NULL,
                          "tpool_set_policy: out of memory");
        goto out;
    }
    rc = tpool__params_resolve(cfg, &s.handle.ops, s.params, err);
    if (rc)
        goto out;
    char errbuf[512] = "";
    unsigned threads = ld_relaxed(&p->team.threads);
    tpool_policy_env env = tpool__policy_env(ld_relaxed(&p->team.workers), threads, s.params, errbuf,
                                             sizeof errbuf);
    if (s.handle.ops.create(&env, &s.pstate) != 0 || !s.pstate) {
        s.pstate = NULL;
        rc = tpool__error(err, TPOOL_EPOLICY, cfg->source, 0, 0, "params",
                          "policy '%s' refused to start: %s", s.handle.ops.name,
                          errbuf[0] ? errbuf : "create failed without a message");
        goto out;
    }

    exchange(p, install_policy, &s); /* cannot fail: the state exists */
    add_relaxed(&p->changes.policy_switches, 1);
    keep_retired(p, &s.handle, kept);
    kept = NULL;
out:
    if (rc)
        tpool__policy_unload(&s.handle);
    tpool__free(kept);
    tpool__free(s.params);
    tpool_config_free(cfg);
    pthread_mutex_unlock(&p->range.lock);
    return rc;
}
