/*
 * check_stress.c - reliability under load: under every
 * policy in the build, 8 threads submit N tasks at once (singly, in groups,
 * with on_complete), then the pool is destroyed in drain mode with work still
 * queued. Every task must run exactly once and every on_complete must be
 * called exactly once with status 0, checked per task id.
 *
 * N is TPOOL_STRESS_TASKS, else 10^7 in a plain build, less under the
 * sanitizers and valgrind (see stress_tasks) so that CI stays fast.
 *
 * No lost wake-up, under every policy: workers that park as soon as they
 * find nothing (spin_us 0), and a thread that submits one task at a time
 * and waits for it without helping, so that every push races with workers
 * going to sleep; each task submits a child from its worker's slot. A
 * missed wake leaves a task queued with every worker asleep, and the
 * waiter fails after a minute without progress.
 *
 * The root group's counts, under every policy: outside threads each submit
 * rounds of parent tasks that submit children (so tasks are counted
 * submitted in worker slots and the outside slot, and finished in both,
 * outside threads helping in tpool_wait_all), each round ending with
 * tpool_wait_all, while another thread resizes the pool at random (the
 * seed is printed). After each wait every task of the round must have
 * run, and at the end tpool_stats must count every task submitted and
 * completed, exactly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "testutil.h"

/* Sanitizer builds (GCC's macros, clang's __has_feature): fewer tasks. */
#if defined(__SANITIZE_THREAD__)
#define STRESS_TSAN 1
#elif defined(__SANITIZE_ADDRESS__)
#define STRESS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_TSAN 1
#elif __has_feature(address_sanitizer)
#define STRESS_ASAN 1
#endif
#endif

enum {
    SUBMITTERS = 8,
    THREADS = 4,           /* 3 workers + helping waiters: more than 2 cores */
    BATCH_MAX = 1024,      /* tasks per batch, 1..BATCH_MAX */
    WINDOW = 1 << 15,      /* a submitter's unfinished tasks before it waits */
    RUN = 1,               /* counter increment for a run ... */
    DONE = 1 << 16,        /* ... and for an on_complete call */
    REPORT_MAX = 16,       /* bad ids listed in a failure */
};

/* How a task was submitted; stored per id so the scan knows what to expect. */
enum kind { SINGLE = 1, WITH_COMPLETE = 2, IN_GROUP = 3, GROUP_COMPLETE = 4 };

#define MAXPOL 32
static const char *g_pol[MAXPOL];
static int g_npol;
static unsigned g_seed;
static size_t g_n;

/* Per task id: RUN per run plus DONE per on_complete (relaxed: the pool's
 * destroy and the joins order them before the scan). */
static _Atomic uint32_t *g_count;
/* Per task id: its enum kind, written by its submitter before the submit. */
static unsigned char *g_kind;
/* Completions with a status other than 0 (drain mode cancels nothing). */
static atomic_size_t g_bad_status;

/* Tasks of submitter s that finished; bounds the queue (no 10^7-task backlog). */
static struct {
    _Alignas(64) atomic_size_t done;
} g_done[SUBMITTERS];

static size_t n_tasks_default(void)
{
    /* CPU per task for the six policies, measured on a 2-core machine:
     * TSan ~5 us, ASan ~1 us, plain ~0.3 us; so about 6, 5 and 20 s. */
#if defined(STRESS_TSAN)
    return 200000;
#elif defined(STRESS_ASAN)
    return 1000000;
#else
    /* valgrind preloads its vgpreload_*.so: 10^7 tasks would take an hour. */
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload_"))
        return 100000;
    return 10000000;
#endif
}

static size_t stress_tasks(void)
{
    const char *env = getenv("TPOOL_STRESS_TASKS");
    if (env && *env) {
        char *end;
        errno = 0;
        double v = strtod(env, &end); /* accepts 1e7 */
        if (errno || *end || v < 1 || v > 1e9) {
            fprintf(stderr, "check_stress: TPOOL_STRESS_TASKS=\"%s\": expected a count "
                            "in [1, 1e9]\n", env);
            exit(EXIT_FAILURE);
        }
        return (size_t)v;
    }
    return n_tasks_default();
}

static inline size_t submitter_of(size_t id) { return id * SUBMITTERS / g_n; }

static void stress_task(void *arg)
{
    size_t id = (size_t)arg;
    atomic_fetch_add_explicit(&g_count[id], RUN, memory_order_relaxed);
    atomic_fetch_add_explicit(&g_done[submitter_of(id)].done, 1, memory_order_release);
}

static void stress_complete(void *arg, int status)
{
    size_t id = (size_t)arg;
    if (status != 0)
        atomic_fetch_add_explicit(&g_bad_status, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&g_count[id], DONE, memory_order_relaxed);
}

typedef struct {
    tpool *pool;
    size_t s, first, end; /* submitter s owns ids [first, end) */
    unsigned seed;
    int err;              /* first failing call's return code, or 0 */
    size_t singles, groups, completes;
} submitter;

/* Submits ids [first, end) as random batches of the four kinds. A submitter
 * ahead of its tasks by more than WINDOW sends a group batch and waits on it:
 * the wait runs queued tasks, so the backlog shrinks without sleeping. */
static void *submit_all(void *arg)
{
    submitter *a = arg;
    size_t id = a->first;
    while (id < a->end && !a->err) {
        size_t n = 1 + (size_t)rand_r(&a->seed) % BATCH_MAX;
        if (n > a->end - id)
            n = a->end - id;
        size_t sent = id - a->first;
        size_t done = atomic_load_explicit(&g_done[a->s].done, memory_order_acquire);
        bool behind = sent - done > WINDOW;
        enum kind k = behind ? IN_GROUP : (enum kind)(1 + rand_r(&a->seed) % 4);
        tpool_group *g = NULL;
        if (k == IN_GROUP || k == GROUP_COMPLETE) {
            if ((a->err = tpool_group_create(a->pool, &g)) != 0)
                break;
        }
        tpool_task_attr attr = TPOOL_TASK_ATTR_INIT;
        attr.group = g;
        attr.on_complete = k == WITH_COMPLETE || k == GROUP_COMPLETE ? stress_complete : NULL;
        for (size_t i = id; i < id + n && !a->err; i++) {
            g_kind[i] = (unsigned char)k;
            /* Varied attributes: every policy must accept any of them. */
            attr.priority = (int)(i % 7) - 3;
            attr.preferred_worker = (int)(i % (THREADS + 1)) - 1;
            a->err = tpool_submit(a->pool, stress_task, (void *)i,
                                  k == SINGLE && (i & 1) ? NULL : &attr);
        }
        if (g) {
            /* The wait runs queued tasks meanwhile (any submitter's); in
             * drain mode a wait that reports a cancel is an error. */
            int rc = tpool_group_wait(g);
            if (rc && !a->err)
                a->err = rc;
            tpool_group_destroy(g);
        }
        a->singles += k == SINGLE || k == WITH_COMPLETE ? n : 0;
        a->groups += k == IN_GROUP || k == GROUP_COMPLETE ? 1 : 0;
        a->completes += k == WITH_COMPLETE || k == GROUP_COMPLETE ? n : 0;
        id += n;
    }
    return NULL;
}

/* Scans every id: runs must be exactly 1, on_complete calls as its kind
 * says. Lists up to REPORT_MAX bad ids with their counts. */
static void scan(const char *pol)
{
    size_t lost = 0, dup = 0, cb_bad = 0, listed = 0;
    char report[REPORT_MAX * 64] = "";
    size_t len = 0;
    for (size_t i = 0; i < g_n; i++) {
        uint32_t c = atomic_load_explicit(&g_count[i], memory_order_relaxed);
        unsigned runs = c % DONE, cbs = c / DONE;
        unsigned want_cbs = g_kind[i] == WITH_COMPLETE || g_kind[i] == GROUP_COMPLETE;
        if (runs == 1 && cbs == want_cbs)
            continue;
        lost += runs == 0;
        dup += runs > 1;
        cb_bad += cbs != want_cbs;
        static const char *const kinds[] = { "?", "single", "single+on_complete", "group",
                                             "group+on_complete" };
        if (listed++ < REPORT_MAX && len < sizeof report)
            len += (size_t)snprintf(report + len, sizeof report - len,
                                    " id %zu (%s): ran %u, on_complete %u of %u;", i,
                                    kinds[g_kind[i] <= GROUP_COMPLETE ? g_kind[i] : 0], runs,
                                    cbs, want_cbs);
    }
    ck_assert_msg(lost == 0 && dup == 0 && cb_bad == 0,
                  "policy '%s', %zu tasks: %zu lost, %zu duplicated, %zu with a wrong number "
                  "of on_complete calls;%s%s", pol, g_n, lost, dup, cb_bad, report,
                  listed > REPORT_MAX ? " ..." : "");
}

START_TEST(test_stress_exactly_once)
{
    const char *pol = g_pol[_i];
    g_count = calloc(g_n, sizeof *g_count);
    g_kind = calloc(g_n, 1);
    ck_assert_msg(g_count && g_kind, "no memory for %zu counters", g_n);
    atomic_store(&g_bad_status, 0);
    for (int s = 0; s < SUBMITTERS; s++)
        atomic_store(&g_done[s].done, 0);

    tpool *p = tu_pool(pol, THREADS, NULL);
    submitter sub[SUBMITTERS];
    pthread_t th[SUBMITTERS];
    for (int s = 0; s < SUBMITTERS; s++) {
        sub[s] = (submitter){ .pool = p, .s = (size_t)s, .seed = g_seed + (unsigned)s };
        /* The same split as submitter_of. */
        sub[s].first = (g_n * (size_t)s + SUBMITTERS - 1) / SUBMITTERS;
        sub[s].end = (g_n * (size_t)(s + 1) + SUBMITTERS - 1) / SUBMITTERS;
        ck_assert_int_eq(pthread_create(&th[s], NULL, submit_all, &sub[s]), 0);
    }
    size_t singles = 0, groups = 0, completes = 0;
    for (int s = 0; s < SUBMITTERS; s++) {
        ck_assert_int_eq(pthread_join(th[s], NULL), 0);
        ck_assert_msg(sub[s].err == 0, "policy '%s': submitter %d: %s", pol, s,
                      tpool_strerror(sub[s].err));
        singles += sub[s].singles;
        groups += sub[s].groups;
        completes += sub[s].completes;
    }
    /* Drain mode with the single-task batches possibly still queued. */
    size_t cancelled = 1;
    ck_assert_int_eq(tpool_destroy_ex(p, TPOOL_DRAIN, &cancelled), 0);
    ck_assert_uint_eq(cancelled, 0);
    printf("check_stress: policy %s: %zu tasks, %zu outside groups, %zu groups, "
           "%zu with on_complete\n", pol, g_n, singles, groups, completes);
    ck_assert_uint_eq(atomic_load(&g_bad_status), 0);
    scan(pol);
    free(g_count);
    free(g_kind);
}
END_TEST

/* ---- no lost wake-up ------------------------------------------------------- */

typedef struct {
    tpool *pool;
    _Atomic size_t done; /* children run */
    atomic_int err;      /* first failed submit from a task */
} wake_round;

static void wake_child(void *arg)
{
    wake_round *w = arg;
    atomic_fetch_add(&w->done, 1);
}

/* Pushes from a worker slot while the other workers go to sleep. */
static void wake_parent(void *arg)
{
    wake_round *w = arg;
    int rc = tpool_submit(w->pool, wake_child, w, NULL);
    if (rc) {
        int none = 0;
        atomic_compare_exchange_strong(&w->err, &none, rc);
        atomic_fetch_add(&w->done, 1); /* the waiter reports err */
    }
}

/* Every policy with its defaults, and the policies whose wake answer
 * depends on a parameter with that parameter set too (after g_pol). */
static const struct {
    const char *policy, *params;
} wake_extra[] = {
    { "roundrobin", "{\"steal\": true}" }, /* TPOOL_WAKE_PREFER, not the owner */
};
enum { WAKE_EXTRA = sizeof wake_extra / sizeof wake_extra[0] };

START_TEST(test_no_lost_wakeup)
{
    const char *pol = _i < g_npol ? g_pol[_i] : wake_extra[_i - g_npol].policy;
    const char *params = _i < g_npol ? NULL : wake_extra[_i - g_npol].params;
    /* Scaled like the task count (sanitizers, valgrind): 20000 rounds in a
     * plain build, at least 1000. */
    size_t rounds = g_n / 500 < 1000 ? 1000 : g_n / 500 > 20000 ? 20000 : g_n / 500;
    char json[256];
    snprintf(json, sizeof json,
             "{\"policy\": \"%s\", \"threads\": %d, \"spin_us\": 0%s%s}", pol, THREADS,
             params ? ", \"params\": " : "", params ? params : "");
    wake_round w = { .pool = NULL };
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_create_from_text(json, &w.pool, &err) == 0, "%s: %s", json, err.text);
    atomic_init(&w.done, 0);
    atomic_init(&w.err, 0);
    for (size_t r = 0; r < rounds; r++) {
        ck_assert_int_eq(tpool_submit(w.pool, wake_parent, &w, NULL), 0);
        ck_assert_msg(tu_wait_count(&w.done, r + 1, 60) == 0,
                      "policy '%s', round %zu of %zu: a task stayed queued for 60 s while "
                      "the waiter did not help (a lost wake-up)", pol, r, rounds);
        ck_assert_msg(atomic_load(&w.err) == 0, "policy '%s': submit from a task: %s", pol,
                      tpool_strerror(atomic_load(&w.err)));
    }
    ck_assert_int_eq(tpool_wait_all(w.pool), 0);
    ck_assert_int_eq(tpool_destroy(w.pool), 0);
    printf("check_stress: policy %s%s%s: %zu rounds without a lost wake-up\n", pol,
           params ? " " : "", params ? params : "", rounds);
}
END_TEST

/* ---- the root group's counts ------------------------------------------------ */

enum {
    ROOT_OUTSIDE = 3,   /* outside threads submitting and waiting */
    ROOT_PARENTS = 64,  /* parent tasks per round */
    ROOT_CHILDREN = 8,  /* children per parent, submitted from the task */
    ROOT_MAX_THREADS = 6,
};

typedef struct {
    tpool *pool;
    _Atomic size_t ran; /* this thread's tasks (parents and children) run */
    atomic_int err;     /* the first failed submit from a task */
} root_owner;

static void root_child(void *arg)
{
    root_owner *o = arg;
    atomic_fetch_add(&o->ran, 1);
}

static void root_parent(void *arg)
{
    root_owner *o = arg;
    for (int c = 0; c < ROOT_CHILDREN; c++) {
        int rc = tpool_submit(o->pool, root_child, o, NULL);
        if (rc) {
            int none = 0;
            atomic_compare_exchange_strong(&o->err, &none, rc);
        }
    }
    atomic_fetch_add(&o->ran, 1);
}

typedef struct {
    root_owner own;
    size_t rounds;
    size_t bad_round; /* 0, or 1 + the first round whose wait returned early */
    size_t ran_then;  /* tasks found run after that wait */
    int rc;           /* the first failed submit or wait */
} root_submitter;

static void *root_submit(void *arg)
{
    root_submitter *r = arg;
    for (size_t k = 0; k < r->rounds && !r->rc && !r->bad_round; k++) {
        for (int j = 0; j < ROOT_PARENTS && !r->rc; j++)
            r->rc = tpool_submit(r->own.pool, root_parent, &r->own, NULL);
        if (!r->rc)
            r->rc = tpool_wait_all(r->own.pool);
        /* Every task of this round was submitted before the wait returned
         * (a parent before its children, and it is counted until they are). */
        size_t ran = atomic_load(&r->own.ran);
        if (!r->rc && ran != (k + 1) * ROOT_PARENTS * (1 + ROOT_CHILDREN)) {
            r->bad_round = k + 1;
            r->ran_then = ran;
        }
    }
    return NULL;
}

typedef struct {
    tpool *pool;
    unsigned seed;
    size_t resizes;
    int rc;
} root_resizer;

static void *root_resize(void *arg)
{
    root_resizer *z = arg;
    for (size_t i = 0; i < z->resizes && !z->rc; i++) {
        z->rc = tpool_set_threads(z->pool, 1 + (unsigned)rand_r(&z->seed) % ROOT_MAX_THREADS);
        sched_yield();
    }
    return NULL;
}

START_TEST(test_root_counts)
{
    const char *pol = g_pol[_i];
    /* A tenth of the stress test's task count, in rounds of one thread. */
    size_t per_round = ROOT_PARENTS * (1 + ROOT_CHILDREN);
    size_t rounds = g_n / 10 / ROOT_OUTSIDE / per_round;
    if (rounds < 8)
        rounds = 8;
    tpool *p = tu_pool(pol, THREADS, NULL);
    root_submitter sub[ROOT_OUTSIDE];
    pthread_t th[ROOT_OUTSIDE], rz_th;
    root_resizer rz = { .pool = p, .seed = g_seed, .resizes = rounds < 64 ? 32 : rounds / 2 };
    for (int s = 0; s < ROOT_OUTSIDE; s++) {
        sub[s] = (root_submitter){ .own = { .pool = p }, .rounds = rounds };
        atomic_init(&sub[s].own.ran, 0);
        atomic_init(&sub[s].own.err, 0);
        ck_assert_int_eq(pthread_create(&th[s], NULL, root_submit, &sub[s]), 0);
    }
    ck_assert_int_eq(pthread_create(&rz_th, NULL, root_resize, &rz), 0);
    for (int s = 0; s < ROOT_OUTSIDE; s++)
        ck_assert_int_eq(pthread_join(th[s], NULL), 0);
    ck_assert_int_eq(pthread_join(rz_th, NULL), 0);
    ck_assert_msg(rz.rc == 0, "policy '%s': tpool_set_threads: %s", pol, tpool_strerror(rz.rc));
    for (int s = 0; s < ROOT_OUTSIDE; s++) {
        ck_assert_msg(sub[s].rc == 0 && atomic_load(&sub[s].own.err) == 0,
                      "policy '%s', thread %d: %s", pol, s,
                      tpool_strerror(sub[s].rc ? sub[s].rc : atomic_load(&sub[s].own.err)));
        ck_assert_msg(sub[s].bad_round == 0,
                      "policy '%s', thread %d: tpool_wait_all returned in round %zu with "
                      "%zu of its %zu tasks run (seed %u)", pol, s, sub[s].bad_round,
                      sub[s].ran_then, sub[s].bad_round * per_round, g_seed);
    }
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    uint64_t want = (uint64_t)ROOT_OUTSIDE * rounds * per_round;
    ck_assert_msg(st.submitted == want && st.completed == want && st.cancelled == 0,
                  "policy '%s': stats after %zu resizes: submitted %llu, completed %llu, "
                  "cancelled %llu; %llu tasks were submitted and run (seed %u)", pol,
                  rz.resizes, (unsigned long long)st.submitted,
                  (unsigned long long)st.completed, (unsigned long long)st.cancelled,
                  (unsigned long long)want, g_seed);
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
    printf("check_stress: policy %s: %llu tasks from %d outside threads and the tasks, "
           "%zu resizes, counted exactly\n", pol, (unsigned long long)want, ROOT_OUTSIDE,
           rz.resizes);
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("check_stress", g_pol, MAXPOL);
    g_seed = tu_seed("check_stress");
    g_n = stress_tasks();
    printf("check_stress: %zu tasks per policy from %d submitters "
           "(set TPOOL_STRESS_TASKS to change)\n", g_n, SUBMITTERS);
    fflush(stdout);
    Suite *s = suite_create("stress");
    TCase *tc = tcase_create("stress");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_stress_exactly_once, 0, g_npol);
    /* The extra configurations name policies the build may lack: only
     * those in the list run. */
    tcase_add_loop_test(tc, test_no_lost_wakeup, 0, g_npol);
    for (int k = 0; k < WAKE_EXTRA; k++)
        for (int j = 0; j < g_npol; j++)
            if (strcmp(g_pol[j], wake_extra[k].policy) == 0)
                tcase_add_loop_test(tc, test_no_lost_wakeup, g_npol + k, g_npol + k + 1);
    tcase_add_loop_test(tc, test_root_counts, 0, g_npol);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
