/*
 * mod_straggler.c - a policy whose range path can hold a worker inside a
 * finished job, for check_range's test of a parallel-for that returns while
 * a worker is still inside its job (core/range.c, "Settling").
 *
 * Every item of a job goes to participant 0, the caller, one at a time;
 * another participant's range_next finds nothing. While the test has
 * armed `hold`, a worker participant that finds nothing says so (`held`)
 * and waits inside range_next until the test sets `release`. The policy
 * counts what the core must never do: a range_begin or range_end while a
 * thread is inside range_next, and a range_begin before the last job's
 * range_end. The test reaches `mod_straggler_ctl` with dlsym.
 */
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "mod_common.h"

/* A held worker gives up after this long (and counts it), so that a core
 * that waits for it inside the call fails the test instead of hanging. */
#define HOLD_LIMIT_S 20

typedef struct mod_straggler_ctl {
    atomic_int hold;     /* the test: hold the next worker that finds nothing */
    atomic_int held;     /* a worker waits inside range_next */
    atomic_int release;  /* the test: the held worker may go */
    atomic_int gave_up;  /* holds that ran out of time */
    atomic_int inside;   /* threads inside range_next */
    atomic_int overlaps; /* range_begin/range_end with a thread inside range_next */
    atomic_int unended;  /* range_begin before the last job's range_end */
    atomic_long begun, ended;
} mod_straggler_ctl;

TPOOL_POLICY_EXPORT mod_straggler_ctl mod_straggler_ctl_block;
mod_straggler_ctl mod_straggler_ctl_block;

typedef struct job_state {
    mod_state base; /* first: the mod_* task ops take the state as theirs */
    size_t n;
    atomic_size_t cursor;
} job_state;

static int straggler_create(const tpool_policy_env *env, void **out)
{
    mod_state *base;
    if (mod_create(env, (void **)&base) != 0)
        return -1;
    job_state *s = calloc(1, sizeof *s);
    if (!s) {
        mod_destroy(base);
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    s->base = *base;
    pthread_mutex_init(&s->base.lock, NULL);
    pthread_mutex_destroy(&base->lock);
    free(base);
    *out = s;
    return 0;
}

static void straggler_range_begin(void *state, const tpool_range_job *job)
{
    job_state *s = state;
    mod_straggler_ctl *c = &mod_straggler_ctl_block;
    if (atomic_load(&c->inside) != 0)
        atomic_fetch_add(&c->overlaps, 1);
    if (atomic_load(&c->begun) != atomic_load(&c->ended))
        atomic_fetch_add(&c->unended, 1);
    atomic_fetch_add(&c->begun, 1);
    s->n = job->n;
    atomic_store(&s->cursor, 0);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int straggler_range_next(void *state, unsigned p, size_t *begin, size_t *end)
{
    job_state *s = state;
    mod_straggler_ctl *c = &mod_straggler_ctl_block;
    atomic_fetch_add(&c->inside, 1);
    int got = 0;
    if (p == 0) {
        size_t i = atomic_fetch_add(&s->cursor, 1);
        if (i < s->n) {
            *begin = i;
            *end = i + 1;
            got = 1;
        }
    } else if (atomic_exchange(&c->hold, 0)) {
        atomic_store(&c->held, 1);
        /* Bounded, so that a core that waits for this worker fails. */
        for (double t0 = now_s(); !atomic_load(&c->release);)
            if (now_s() - t0 > HOLD_LIMIT_S) {
                atomic_fetch_add(&c->gave_up, 1);
                break;
            } else {
                sched_yield();
            }
        atomic_store(&c->held, 0);
    }
    atomic_fetch_sub(&c->inside, 1);
    return got;
}

static void straggler_range_end(void *state)
{
    (void)state;
    mod_straggler_ctl *c = &mod_straggler_ctl_block;
    if (atomic_load(&c->inside) != 0)
        atomic_fetch_add(&c->overlaps, 1);
    atomic_fetch_add(&c->ended, 1);
}

static const tpool_policy straggler_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_straggler",
    .description = "test module: items to the caller; a worker held inside a finished job",
    .create = straggler_create,
    .destroy = mod_destroy,
    .push = mod_push,
    .pop = mod_pop,
    .range_begin = straggler_range_begin,
    .range_next = straggler_range_next,
    .range_end = straggler_range_end,
};

TPOOL_POLICY_EXPORT const tpool_policy *TPOOL_POLICY_ENTRY(void);
const tpool_policy *TPOOL_POLICY_ENTRY(void)
{
    return &straggler_policy;
}
