/*
 * check_faults.c - allocation and thread-creation failures (core/fault.h, the
 * test-only fault points; docs/api.md "Errors").
 *
 * The classic "fail the n-th" loop: an operation runs once with the fault
 * points counting, then once failing the 1st event, the 2nd, ... the last,
 * and must each time return a clean error code with a message (or, where a
 * failure is tolerated, succeed and work), crash nothing, hang nothing and
 * leak nothing (LeakSanitizer checks the last in the ASan build); a run past
 * the count must succeed with no fault hit. Counting is per thread (the
 * armed one), so the count is the same in every run.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "testutil.h"
#include "tpool-module.h"

static const char *g_pol[32];
static int g_npol;

/* A pool that works: tasks in and out of a group, and a parallel-for. */
static void assert_pool_works(tpool *p, const char *what)
{
    enum { N = 64 };
    tu_hits_alloc(N);
    tpool_group *g;
    ck_assert_int_eq(tpool_group_create(p, &g), 0);
    for (size_t i = 0; i < N; i++) {
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.group = i % 2 ? g : NULL;
        ck_assert_int_eq(tpool_submit(p, tu_hit, (void *)i, &a), 0);
    }
    ck_assert_int_eq(tpool_group_wait(g), 0);
    tpool_group_destroy(g);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tu_hits_assert_once(N, "%s", what);
    tu_hits_free();
}

static void assert_clean_error(int rc, const tpool_error *err, long nth, const char *what)
{
    ck_assert_msg(rc < 0, "%s, fault %ld: rc %d", what, nth, rc);
    ck_assert_msg(err->code == rc, "%s, fault %ld: err.code %d, rc %d", what, nth, err->code,
                  rc);
    ck_assert_msg(err->text[0] != 0, "%s, fault %ld: no message", what, nth);
}

/* ---- pool creation ------------------------------------------------------------ */

/* Allocation n of a whole tpool_create_from_text (configuration parsing,
 * jansson included, policy loading, parameters, the pool, the policy's
 * create) fails, for every n. */
static void create_faults(const char *pol, const char *json)
{
    tpool_error err;
    tpool_error_clear(&err);
    tpool *p = NULL;
    tpool__test_fault_arm(TPOOL__FAULT_ALLOC, 0);
    int rc = tpool_create_from_text(json, &p, &err);
    long sites = tpool__test_fault_count(TPOOL__FAULT_ALLOC);
    tpool__test_fault_disarm();
    ck_assert_msg(rc == 0, "policy '%s': %s", pol, err.text);
    ck_assert_int_eq(tpool_destroy(p), 0);
    ck_assert_msg(sites >= 5, "policy '%s': only %ld allocations counted", pol, sites);
    printf("check_faults: pool creation (%s): %ld allocation sites\n", pol, sites);

    unsigned tolerated = 0;
    for (long n = 1; n <= sites; n++) {
        p = NULL;
        tpool_error_clear(&err);
        tpool__test_fault_arm(TPOOL__FAULT_ALLOC, n);
        rc = tpool_create_from_text(json, &p, &err);
        tpool__test_fault_disarm();
        char what[64];
        snprintf(what, sizeof what, "create '%s'", pol);
        if (rc == 0) { /* a failure the core works around: the pool must work */
            tolerated++;
            assert_pool_works(p, what);
            ck_assert_int_eq(tpool_destroy(p), 0);
            continue;
        }
        assert_clean_error(rc, &err, n, what);
        ck_assert_msg(p == NULL, "%s, fault %ld: *out set on failure", what, n);
    }
    printf("check_faults: pool creation (%s): %u failures tolerated\n", pol, tolerated);
    /* The process is still usable: the next creation works. */
    p = tu_pool(pol, 3, NULL);
    assert_pool_works(p, "after the faults");
    ck_assert_int_eq(tpool_destroy(p), 0);
}

START_TEST(test_alloc_fault_pool_create)
{
    const char *pol = g_pol[_i];
    char json[256];
    snprintf(json, sizeof json,
             "{\"policy\": \"%s\", \"threads\": 3, \"params\": {}, \"spin_us\": 10}", pol);
    create_faults(pol, json);
}
END_TEST

/* The same for an elastic pool, whose monitor keeps a table of its own. */
START_TEST(test_alloc_fault_elastic_create)
{
    create_faults("fifo", "{\"policy\": \"fifo\", \"threads\": {\"min\": 1, \"max\": 4}}");
}
END_TEST

/* Worker thread i of 4 cannot be created (EAGAIN): creation fails with
 * TPOOL_ETHREAD naming the thread, whichever i. */
START_TEST(test_thread_fault_pool_create)
{
    const char *pol = g_pol[_i];
    char json[128];
    snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": 5}", pol);
    for (long n = 1; n <= 5; n++) {
        tpool *p = NULL;
        tpool_error err;
        tpool_error_clear(&err);
        tpool__test_fault_arm(TPOOL__FAULT_THREAD, n);
        int rc = tpool_create_from_text(json, &p, &err);
        long seen = tpool__test_fault_count(TPOOL__FAULT_THREAD);
        tpool__test_fault_disarm();
        if (n == 5) { /* past the last worker: nothing failed */
            ck_assert_msg(rc == 0, "%s", err.text);
            ck_assert_int_eq(seen, 4);
            ck_assert_uint_eq(tpool_threads(p), 5);
            assert_pool_works(p, "no thread fault");
            ck_assert_int_eq(tpool_destroy(p), 0);
            break;
        }
        ck_assert_int_eq(rc, TPOOL_ETHREAD);
        ck_assert_ptr_null(p);
        char expect[64];
        snprintf(expect, sizeof expect, "worker thread %ld of 4", n);
        ck_assert_msg(strstr(err.text, expect), "fault %ld: message '%s'", n, err.text);
    }
}
END_TEST

/* ---- resize ------------------------------------------------------------------- */

/* A grow from 2 to 6 threads whose k-th new thread cannot be created
 * returns TPOOL_ETHREAD and leaves the pool as it was; so does a failing
 * allocation (worker structs, or the policy's new state). */
START_TEST(test_faults_set_threads_grow)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool(pol, 2, NULL);
    for (long n = 1; n <= 4; n++) {
        tpool__test_fault_arm(TPOOL__FAULT_THREAD, n);
        int rc = tpool_set_threads(p, 6);
        tpool__test_fault_disarm();
        ck_assert_int_eq(rc, TPOOL_ETHREAD);
        ck_assert_uint_eq(tpool_threads(p), 2);
        assert_pool_works(p, "after a failed grow");
    }
    /* Allocations (worker structs, a policy's new state): count those of a
     * grow from 2 to 7, then fail each on a fresh pool of the same shape. */
    tpool *q = tu_pool(pol, 2, NULL);
    tpool__test_fault_arm(TPOOL__FAULT_ALLOC, 0);
    ck_assert_int_eq(tpool_set_threads(q, 7), 0);
    long sites = tpool__test_fault_count(TPOOL__FAULT_ALLOC);
    tpool__test_fault_disarm();
    ck_assert_int_eq(tpool_destroy(q), 0);
    ck_assert_msg(sites >= 1, "policy '%s': no allocation counted in a grow", pol);
    for (long n = 1; n <= sites; n++) {
        q = tu_pool(pol, 2, NULL);
        tpool__test_fault_arm(TPOOL__FAULT_ALLOC, n);
        int rc = tpool_set_threads(q, 7);
        tpool__test_fault_disarm();
        ck_assert_msg(rc == TPOOL_ENOMEM || rc == TPOOL_EPOLICY, "fault %ld: rc %d", n, rc);
        ck_assert_uint_eq(tpool_threads(q), 2);
        assert_pool_works(q, "after a grow without memory");
        ck_assert_int_eq(tpool_destroy(q), 0);
    }
    ck_assert_int_eq(tpool_set_threads(p, 7), 0);
    ck_assert_uint_eq(tpool_threads(p), 7);
    assert_pool_works(p, "after the grow");
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- submit and groups ------------------------------------------------------------ */

static _Atomic unsigned g_completed;

static void on_complete_count(void *arg, int status)
{
    (void)arg;
    (void)status;
    atomic_fetch_add(&g_completed, 1);
}

static void on_complete_task(void *arg)
{
    on_complete_count(arg, 0);
}

static void never_run(void *arg)
{
    (void)arg;
    ck_abort_msg("a task whose submission failed ran");
}

START_TEST(test_alloc_fault_submit_and_group)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool(pol, 3, NULL);
    tpool_group *g = NULL;

    tpool__test_fault_arm(TPOOL__FAULT_ALLOC, 0);
    ck_assert_int_eq(tpool_group_create(p, &g), 0);
    long group_sites = tpool__test_fault_count(TPOOL__FAULT_ALLOC);
    tpool__test_fault_disarm();
    ck_assert_int_ge(group_sites, 1);
    for (long n = 1; n <= group_sites; n++) {
        tpool_group *h = (tpool_group *)&h;
        tpool__test_fault_arm(TPOOL__FAULT_ALLOC, n);
        int rc = tpool_group_create(p, &h);
        tpool__test_fault_disarm();
        ck_assert_int_eq(rc, TPOOL_ENOMEM);
    }

    atomic_store(&g_completed, 0);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = g;
    a.on_complete = on_complete_count;
    tpool__test_fault_arm(TPOOL__FAULT_ALLOC, 0);
    ck_assert_int_eq(tpool_submit(p, on_complete_task, NULL, NULL), 0);
    long submit_sites = tpool__test_fault_count(TPOOL__FAULT_ALLOC);
    tpool__test_fault_disarm();
    ck_assert_int_ge(submit_sites, 1);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_uint_eq(atomic_load(&g_completed), 1);
    atomic_store(&g_completed, 0);
    for (long n = 1; n <= submit_sites; n++) {
        tpool__test_fault_arm(TPOOL__FAULT_ALLOC, n);
        int rc = tpool_submit(p, never_run, NULL, &a);
        tpool__test_fault_disarm();
        ck_assert_int_eq(rc, TPOOL_ENOMEM);
    }
    /* Nothing was counted for the refused tasks: the waits return. */
    ck_assert_int_eq(tpool_group_wait(g), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    ck_assert_uint_eq(atomic_load(&g_completed), 0);
    tpool_group_destroy(g);
    assert_pool_works(p, "after refused submissions");
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* ---- configuration loading ----------------------------------------------------------- */

static const char *const CONFIG_TEXT =
    "{\n"
    "  \"policy\": \"fifo\",\n"
    "  \"threads\": 4,\n"
    "  \"spin_us\": 20,\n"
    "  \"policy_path\": [\"plugins\", \"/opt/tpool/policies\"],\n"
    "  \"params\": {\"tile\": 16}\n"
    "}\n";

/* Loads text or the file: returns the code; frees the configuration. */
static int load_config(const char *file, tpool_error *err)
{
    tpool_config *cfg = NULL;
    int rc = file ? tpool_config_load_file(file, &cfg, err)
                  : tpool_config_load_text(CONFIG_TEXT, "<faults>", &cfg, err);
    if (rc == 0)
        ck_assert_ptr_nonnull(cfg);
    else
        ck_assert_ptr_null(cfg);
    tpool_config_free(cfg);
    return rc;
}

static void config_faults(const char *file)
{
    tpool_error err;
    tpool_error_clear(&err);
    tpool__test_fault_arm(TPOOL__FAULT_ALLOC, 0);
    int rc = load_config(file, &err);
    long sites = tpool__test_fault_count(TPOOL__FAULT_ALLOC);
    tpool__test_fault_disarm();
    ck_assert_msg(rc == 0, "%s", err.text);
    ck_assert_int_ge(sites, 5);
    printf("check_faults: config load (%s): %ld allocation sites\n", file ? "file" : "text",
           sites);
    for (long n = 1; n <= sites; n++) {
        tpool_error_clear(&err);
        tpool__test_fault_arm(TPOOL__FAULT_ALLOC, n);
        rc = load_config(file, &err);
        tpool__test_fault_disarm();
        if (rc != 0)
            assert_clean_error(rc, &err, n, file ? "config file" : "config text");
    }
}

START_TEST(test_alloc_fault_config_load)
{
    config_faults(NULL);
    char dir[] = "/tmp/check_faults.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char file[sizeof dir + 16];
    snprintf(file, sizeof file, "%s/tpool.json", dir);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs(CONFIG_TEXT, f);
    ck_assert_int_eq(fclose(f), 0);
    config_faults(file);
    unlink(file);
    rmdir(dir);
}
END_TEST

/* ---- parallel-for, statistics, utilities, policy switch, modules ---------------- */

static void arm(long nth)
{
    tpool__test_fault_arm(TPOOL__FAULT_ALLOC, nth);
}

/* Disarms; returns the allocations counted since arm. */
static long disarm(void)
{
    long n = tpool__test_fault_count(TPOOL__FAULT_ALLOC);
    tpool__test_fault_disarm();
    return n;
}

static void range_hit(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        tu_hit((void *)i);
}

/* A first parallel-for allocates what its job needs (a queue policy's tile
 * block, the per-participant shares of TPOOL_FLAG_PROGRESS). Each of those
 * allocations failing makes the call return TPOOL_ENOMEM having run no
 * item; the next call runs every item once. Returns the allocations of one
 * call. */
static long parallel_faults(const char *pol, uint32_t flags)
{
    enum { N = 1000 };
    tpool_range_opts opts = { 0 };
    opts.flags = flags;
    tpool *p = tu_pool(pol, 3, NULL);
    tu_hits_alloc(N);
    arm(0);
    int rc = tpool_parallel_range(p, N, range_hit, NULL, &opts);
    long sites = disarm();
    ck_assert_int_eq(rc, 0);
    tu_hits_assert_once(N, "%s, flags %u, counting", pol, flags);
    tu_hits_free();
    ck_assert_int_eq(tpool_destroy(p), 0);
    for (long n = 1; n <= sites; n++) {
        p = tu_pool(pol, 3, NULL);
        tu_hits_alloc(N);
        arm(n);
        rc = tpool_parallel_range(p, N, range_hit, NULL, &opts);
        disarm();
        ck_assert_msg(rc == TPOOL_ENOMEM, "%s, flags %u, fault %ld: rc %d", pol, flags, n, rc);
        for (size_t i = 0; i < N; i++)
            ck_assert_msg(tu_hits_at(i) == 0, "%s, fault %ld: item %zu ran", pol, n, i);
        ck_assert_int_eq(tpool_parallel_range(p, N, range_hit, NULL, &opts), 0);
        tu_hits_assert_once(N, "%s, flags %u, after fault %ld", pol, flags, n);
        tu_hits_free();
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
    return sites;
}

START_TEST(test_alloc_fault_parallel)
{
    const char *pol = g_pol[_i];
    long plain = parallel_faults(pol, 0);
    long progress = parallel_faults(pol, TPOOL_FLAG_PROGRESS);
    printf("check_faults: parallel-for (%s): %ld allocation sites, %ld with progress\n", pol,
           plain, progress);
    /* With progress, either the tile block or the shares are new. */
    ck_assert_msg(progress >= 1, "%s: a progress call counted no allocation", pol);
}
END_TEST

START_TEST(test_alloc_fault_stats)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool(pol, 3, NULL);
    tpool_stats st;
    arm(0);
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    long sites = disarm();
    tpool_stats_free(&st);
    ck_assert_int_ge(sites, 1);
    for (long n = 1; n <= sites; n++) {
        arm(n);
        int rc = tpool_stats_get(p, &st);
        disarm();
        ck_assert_int_eq(rc, TPOOL_ENOMEM);
        ck_assert_ptr_null(st.per_worker);
        tpool_stats_free(&st); /* harmless after a failure */
    }
    assert_pool_works(p, "after failed snapshots");
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.threads, 3);
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* tpool_scratch on a thread that never had any: whatever it allocates
 * failing is NULL, and the next call works. */
static void *scratch_thread(void *arg)
{
    long n = *(long *)arg;
    arm(n);
    void *b = tpool_scratch(NULL, 100);
    long sites = disarm();
    if (n == 0)
        *(long *)arg = b ? sites : -1;
    else
        *(long *)arg = b ? -1 : 0;
    b = tpool_scratch(NULL, 100);
    if (!b)
        *(long *)arg = -2;
    else
        memset(b, 1, 100);
    return NULL;
}

START_TEST(test_alloc_fault_utils)
{
    tpool_counter *c = (tpool_counter *)&c;
    arm(1);
    int rc = tpool_counter_create(3, &c);
    long sites = disarm();
    ck_assert_int_eq(rc, TPOOL_ENOMEM);
    ck_assert_int_eq(sites, 1);
    ck_assert_ptr_eq(c, (tpool_counter *)&c); /* *out untouched */
    ck_assert_int_eq(tpool_counter_create(1, &c), 0);
    ck_assert_int_eq(tpool_counter_decrement(c), 1);
    tpool_counter_wait(c);
    tpool_counter_destroy(c);

    arm(1);
    void *a = tpool_aligned_alloc(256, 1000);
    sites = disarm();
    ck_assert_ptr_null(a);
    ck_assert_int_eq(sites, 1);
    a = tpool_aligned_alloc(256, 1000);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq((uintptr_t)a % 256, 0);
    tpool_aligned_free(a);

    long arg = 0;
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, scratch_thread, &arg), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_msg(arg >= 1, "counting scratch: %ld", arg);
    for (long n = 1, all = arg; n <= all; n++) {
        arg = n;
        ck_assert_int_eq(pthread_create(&th, NULL, scratch_thread, &arg), 0);
        ck_assert_int_eq(pthread_join(th, NULL), 0);
        ck_assert_msg(arg == 0, "scratch, fault %ld: %ld", n, arg);
    }
}
END_TEST

/* Each allocation of a switch from fifo to the policy fails in turn: a
 * clean error, the pool keeps fifo and works. Switching fifo to fifo takes
 * the path where the old module is held already. */
START_TEST(test_alloc_fault_set_policy)
{
    const char *pol = g_pol[_i];
    tpool *p = tu_pool("fifo", 3, NULL);
    tpool_error err;
    tpool_error_clear(&err);
    arm(0);
    int rc = tpool_set_policy(p, pol, NULL, &err);
    long sites = disarm();
    ck_assert_msg(rc == 0, "%s", err.text);
    ck_assert_str_eq(tpool_policy_name(p), pol);
    ck_assert_int_eq(tpool_destroy(p), 0);
    ck_assert_int_ge(sites, 3);
    printf("check_faults: fifo -> %s: %ld allocation sites\n", pol, sites);
    for (long n = 1; n <= sites; n++) {
        p = tu_pool("fifo", 3, NULL);
        tpool_error_clear(&err);
        arm(n);
        rc = tpool_set_policy(p, pol, NULL, &err);
        disarm();
        char what[64];
        snprintf(what, sizeof what, "fifo -> %s", pol);
        assert_clean_error(rc, &err, n, what);
        ck_assert_str_eq(tpool_policy_name(p), "fifo");
        assert_pool_works(p, what);
        ck_assert_int_eq(tpool_set_policy(p, pol, NULL, &err), 0);
        ck_assert_str_eq(tpool_policy_name(p), pol);
        assert_pool_works(p, "after the switch");
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
}
END_TEST

/* The policy-module calls and the listings: each allocation failing is a
 * clean error (or, for the listing, a policy reported and skipped), and
 * frees everything. */
static tpool_config *stealing_config(void)
{
    tpool_config *cfg = NULL;
    ck_assert_int_eq(tpool_config_load_text("{\"policy\": \"stealing\", \"threads\": 2}",
                                            "<faults>", &cfg, NULL),
                     0);
    return cfg;
}

static int module_open(tpool_config *cfg, tpool_error *err)
{
    tpool_policy_module *m = NULL;
    int rc = tpool_policy_open(cfg, 0, &m, err);
    if (rc) {
        ck_assert_ptr_null(m);
        return rc;
    }
    ck_assert_str_eq(tpool_policy_module_ops(m)->name, "stealing");
    tpool_policy_close(m);
    char **dirs = NULL;
    size_t ndirs = 0;
    rc = tpool_policy_search_path(cfg, &dirs, &ndirs, err);
    if (rc == 0)
        tpool_policy_search_path_free(dirs, ndirs);
    return rc;
}

static int resolve(tpool_config *cfg, tpool_error *err)
{
    char *json = NULL;
    int rc = tpool_config_resolve(cfg, &json, err);
    if (rc) {
        ck_assert_ptr_null(json);
        return rc;
    }
    ck_assert_ptr_nonnull(strstr(json, "stealing"));
    free(json); /* documented as malloc'd */
    return 0;
}

/* Counts op's allocations, then fails each in turn: a clean error. */
static void clean_error_each(const char *what, int (*op)(tpool_config *, tpool_error *))
{
    tpool_config *cfg = stealing_config();
    tpool_error err;
    tpool_error_clear(&err);
    arm(0);
    int rc = op(cfg, &err);
    long sites = disarm();
    ck_assert_msg(rc == 0, "%s: %s", what, err.text);
    ck_assert_int_ge(sites, 3);
    printf("check_faults: %s: %ld allocation sites\n", what, sites);
    for (long n = 1; n <= sites; n++) {
        tpool_error_clear(&err);
        arm(n);
        rc = op(cfg, &err);
        disarm();
        assert_clean_error(rc, &err, n, what);
    }
    tpool_config_free(cfg);
}

START_TEST(test_alloc_fault_module_open)
{
    clean_error_each("module open and search path", module_open);
}
END_TEST

/* Resolving loads the policy in a child process: the parent's allocations. */
START_TEST(test_alloc_fault_resolve)
{
    clean_error_each("resolve", resolve);
}
END_TEST

static void on_list_error(void *ud, const tpool_error *e)
{
    ck_assert_msg(e->code < 0 && e->text[0], "listing: error without code or message");
    ++*(unsigned *)ud;
}

START_TEST(test_alloc_fault_policy_list)
{
    tpool_config *cfg = stealing_config();
    tpool_policy_info *list = NULL;
    size_t count = 0;
    unsigned reported = 0;
    arm(0);
    int rc = tpool_policy_list(cfg, &list, &count, on_list_error, &reported);
    long sites = disarm();
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(reported, 0);
    size_t all = count;
    tpool_policy_list_free(list, count);
    ck_assert_int_ge(sites, 5);
    printf("check_faults: policy list: %ld allocation sites\n", sites);
    for (long n = 1; n <= sites; n++) {
        list = NULL;
        count = 0;
        reported = 0;
        arm(n);
        rc = tpool_policy_list(cfg, &list, &count, on_list_error, &reported);
        disarm();
        if (rc == 0) /* one policy could not be read: reported, the rest listed */
            ck_assert_msg(reported == 1 && count + 1 >= all,
                          "list, fault %ld: %u reported, %zu of %zu listed", n, reported, count,
                          all);
        else
            ck_assert_msg(rc == TPOOL_ENOMEM && list == NULL && count == 0,
                          "list, fault %ld: rc %d", n, rc);
        tpool_policy_list_free(list, count);
    }
    tpool_config_free(cfg);
}
END_TEST

int main(void)
{
    g_npol = tu_policies_print("check_faults", g_pol, 32);
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_alloc_fault_pool_create, 0, g_npol);
    tcase_add_loop_test(tc, test_thread_fault_pool_create, 0, g_npol);
    tcase_add_loop_test(tc, test_faults_set_threads_grow, 0, g_npol);
    tcase_add_loop_test(tc, test_alloc_fault_submit_and_group, 0, g_npol);
    tcase_add_test(tc, test_alloc_fault_config_load);
    tcase_add_test(tc, test_alloc_fault_elastic_create);
    tcase_add_loop_test(tc, test_alloc_fault_parallel, 0, g_npol);
    tcase_add_loop_test(tc, test_alloc_fault_stats, 0, g_npol);
    tcase_add_test(tc, test_alloc_fault_utils);
    tcase_add_loop_test(tc, test_alloc_fault_set_policy, 0, g_npol);
    suite_add_tcase(s, tc);
    /* Hundreds of policy loads each (a fork per resolve): slow under the
     * sanitizers on a loaded machine. */
    TCase *mods = tcase_create("modules");
    tcase_set_timeout(mods, 600);
    tcase_add_test(mods, test_alloc_fault_module_open);
    tcase_add_test(mods, test_alloc_fault_resolve);
    tcase_add_test(mods, test_alloc_fault_policy_list);
    suite_add_tcase(s, mods);
    return tu_run(s);
}
