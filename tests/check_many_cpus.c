/*
 * check_many_cpus.c - a machine with more CPUs than a pool may have threads
 * (TPOOL_MAX_THREADS). The default count is capped at the limit, so each way
 * of asking for it -- "threads": 0, TPOOL_THREADS=0, tpool_set_threads(p, 0)
 * and pthreadpool_create(0) -- gives a working pool of TPOOL_MAX_THREADS
 * threads; and an affinity mask larger than a cpu_set_t is read whole.
 *
 * The machine is simulated: this program defines sched_getaffinity and
 * sysconf, which the library's calls reach before libc's, and answers as a
 * kernel with `online` CPUs does (EINVAL for a mask too small to hold them),
 * with the first `allowed` of them in the mask. The quota is read from a
 * missing file, so that a quota of the real machine cannot hide the cap.
 * Under --enable-asan a pool sized past the limit is a heap-buffer-overflow
 * report; without it, a crash or a wrong count. Under ThreadSanitizer only
 * the counts are checked: its cost grows with the number of threads alive,
 * and one pool of 4096 takes over a minute there.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpu.h"
#include "pthreadpool.h"
#include "testutil.h"
#include "tpool.h"

/* The simulated machine; 0 online: the real one. Set before any pool. */
static unsigned online, allowed;

int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set)
{
    if (online == 0) {
        long n = syscall(SYS_sched_getaffinity, pid, size, set);
        if (n < 0)
            return -1;
        memset((char *)set + n, 0, size - (size_t)n); /* as glibc's wrapper */
        return 0;
    }
    if (size * 8 < online) {
        errno = EINVAL;
        return -1;
    }
    memset(set, 0, size);
    for (unsigned i = 0; i < allowed; i++)
        CPU_SET_S(i, size, set);
    return 0;
}

long __sysconf(int name); /* glibc's sysconf, which this one forwards to */

/* Not instrumented: the sanitizers' runtimes call sysconf while they start,
 * before instrumented code may run. */
__attribute__((no_sanitize("thread", "address", "undefined"))) long sysconf(int name)
{
    if (online && (name == _SC_NPROCESSORS_ONLN || name == _SC_NPROCESSORS_CONF))
        return (long)online;
    return __sysconf(name);
}

/* Thousands of workers spinning for work on a few cores take seconds to
 * settle: every pool here parks its workers at once. */
#define NO_SPIN "\"spin_us\": 0"

/* A TPOOL_CONFIG file with NO_SPIN, for the paths that read the environment. */
static char config_file[] = "/tmp/tpool-many-cpus-XXXXXX";

static void set_config_env(void)
{
    int fd = mkstemp(config_file);
    ck_assert_int_ge(fd, 0);
    static const char text[] = "{" NO_SPIN "}\n";
    ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    setenv("TPOOL_CONFIG", config_file, 1);
}

static void unset_config_env(void)
{
    unsetenv("TPOOL_CONFIG");
    unlink(config_file);
}

static void machine(unsigned n_online, unsigned n_allowed)
{
    online = n_online;
    allowed = n_allowed;
    tpool__test_cgroup_files("/nonexistent/tpool/proc-self-cgroup", "/nonexistent/tpool");
}

/* ---- a pool of the limit's size works ------------------------------------------ */

enum { ITEMS = 3 * TPOOL_MAX_THREADS };

static void visit(void *ctx, size_t begin, size_t end, unsigned thread)
{
    (void)thread;
    _Atomic unsigned char *hits = ctx;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&hits[i], 1, memory_order_relaxed);
}

/* T is the limit, W one less, and a parallel-for visits every item once. */
static void assert_full_pool(tpool *p, const char *what)
{
    ck_assert_msg(tpool_threads(p) == TPOOL_MAX_THREADS, "%s: T = %u, expected %d", what,
                  tpool_threads(p), TPOOL_MAX_THREADS);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_msg(st.workers == TPOOL_MAX_THREADS - 1, "%s: %u workers", what, st.workers);
    tpool_stats_free(&st);
    _Atomic unsigned char *hits = calloc(ITEMS, 1);
    ck_assert_ptr_nonnull(hits);
    ck_assert_int_eq(tpool_parallel_range(p, ITEMS, visit, (void *)hits, NULL), 0);
    for (size_t i = 0; i < ITEMS; i++)
        ck_assert_msg(hits[i] == 1, "%s: item %zu visited %u times", what, i,
                      (unsigned)hits[i]);
    free((void *)hits);
}

/* ---- the count ----------------------------------------------------------------- */

START_TEST(test_default_is_capped)
{
    machine(5000, 5000);
    ck_assert_uint_eq(tpool__cpu_affinity_count(), 5000);
    ck_assert_uint_eq(tpool_default_threads(), TPOOL_MAX_THREADS);

    /* What tpool-info --resolve reports for "threads": 0. */
    tpool_config *cfg = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_load_text("{\"threads\": 0}", NULL, &cfg, &err), 0);
    char *json = NULL;
    ck_assert_msg(tpool_config_resolve(cfg, &json, &err) == 0, "%s", err.text);
    char want[64];
    snprintf(want, sizeof want, "\"threads\": %d,", TPOOL_MAX_THREADS);
    ck_assert_msg(strstr(json, want), "%s lacks %s", json, want);
    snprintf(want, sizeof want, "\"workers\": %d,", TPOOL_MAX_THREADS - 1);
    ck_assert_msg(strstr(json, want), "%s lacks %s", json, want);
    free(json);
    tpool_config_free(cfg);
}
END_TEST

/* A process allowed on 1500 of 5000 CPUs: the mask, larger than a
 * cpu_set_t, says 1500, where the online count would say 5000. */
START_TEST(test_large_affinity_mask)
{
    machine(5000, 1500);
    ck_assert_uint_eq(tpool__cpu_affinity_count(), 1500);
    ck_assert_uint_eq(tpool_default_threads(), 1500);
    machine(1100, 1100);
    ck_assert_uint_eq(tpool__cpu_affinity_count(), 1100);
    machine(64, 3);
    ck_assert_uint_eq(tpool_default_threads(), 3);
}
END_TEST

/* ---- each way to ask for the default ---------------------------------------------- */

START_TEST(test_config_threads_zero)
{
    machine(5000, 5000);
    tpool *p = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_create_from_text("{\"threads\": 0, " NO_SPIN "}", &p, &err) == 0, "%s",
                  err.text);
    assert_full_pool(p, "\"threads\": 0");
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

START_TEST(test_env_threads_zero)
{
    machine(5000, 5000);
    set_config_env();
    setenv("TPOOL_THREADS", "0", 1);
    tpool *p = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_create_default(&p, &err) == 0, "%s", err.text);
    unsetenv("TPOOL_THREADS");
    unset_config_env();
    assert_full_pool(p, "TPOOL_THREADS=0");
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

/* From a small pool to the default and back, under every policy (each sizes
 * its own per-worker state on the resize). */
START_TEST(test_set_threads_zero)
{
    const char *pol[16];
    int npol = tu_policies(pol, 16);
    ck_assert_int_lt(_i, npol);
    machine(5000, 5000);
    char json[256];
    snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": 2, " NO_SPIN "}", pol[_i]);
    tpool *p = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_create_from_text(json, &p, &err) == 0, "%s: %s", json, err.text);
    ck_assert_int_eq(tpool_set_threads(p, 0), 0);
    assert_full_pool(p, pol[_i]);
    ck_assert_int_eq(tpool_set_threads(p, TPOOL_MAX_THREADS + 1), TPOOL_EINVAL);
    ck_assert_uint_eq(tpool_threads(p), TPOOL_MAX_THREADS);
    ck_assert_int_eq(tpool_set_threads(p, 2), 0);
    ck_assert_uint_eq(tpool_threads(p), 2);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

static void count_item(void *ctx, size_t i)
{
    (void)i;
    atomic_fetch_add_explicit((_Atomic size_t *)ctx, 1, memory_order_relaxed);
}

START_TEST(test_pthreadpool_create_zero)
{
    machine(5000, 5000);
    set_config_env();
    unsetenv("TPOOL_THREADS");
    unsetenv("TPOOL_POLICY");
    pthreadpool_t pp = pthreadpool_create(0);
    unset_config_env();
    ck_assert_ptr_nonnull(pp);
    ck_assert_uint_eq(pthreadpool_get_threads_count(pp), TPOOL_MAX_THREADS);
    _Atomic size_t n = 0;
    pthreadpool_parallelize_1d(pp, count_item, (void *)&n, ITEMS, 0);
    ck_assert_uint_eq(atomic_load(&n), ITEMS);
    pthreadpool_destroy(pp);
    /* Above the limit: NULL, as pthreadpool's own refusal. */
    ck_assert_ptr_null(pthreadpool_create(TPOOL_MAX_THREADS + 1));
}
END_TEST

int main(void)
{
    const char *pol[16];
    int npol = tu_policies_print("many_cpus", pol, 16);
    Suite *s = suite_create("many_cpus");
    TCase *tc = tcase_create("count");
    tcase_add_test(tc, test_default_is_capped);
    tcase_add_test(tc, test_large_affinity_mask);
    suite_add_tcase(s, tc);
    if (TU_UNDER_TSAN) {
        printf("many_cpus: pools of %d threads not made under ThreadSanitizer\n",
               TPOOL_MAX_THREADS);
    } else {
        tc = tcase_create("pools");
        tcase_set_timeout(tc, 600); /* thousands of threads on a loaded machine */
        tcase_add_test(tc, test_config_threads_zero);
        tcase_add_test(tc, test_env_threads_zero);
        tcase_add_loop_test(tc, test_set_threads_zero, 0, npol);
        tcase_add_test(tc, test_pthreadpool_create_zero);
        suite_add_tcase(s, tc);
    }
    return tu_run(s);
}
