/*
 * check_dlopen.c - libtpool.so.0 and libpthreadpool.so.0 loaded with
 * dlopen() after the program started, as a framework loads a pthreadpool
 * provider: the core's thread-locals use the initial-exec model (pool.h),
 * so such a load takes them from glibc's spare static TLS, and a failure
 * would show here as a refused dlopen. Each library then runs a
 * parallel-for on a pool of 2 threads and, through the native API, tasks
 * from the loading thread (which existed before the load) and from a
 * thread started after it. No Check: exits 0 (pass) or 1 (fail).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpool-build.h"
#include "tpool.h"

#define LIBDIR TOP_BUILDDIR "/core/.libs"

static int failed;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                    \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
            failed = 1;                                                    \
        }                                                                  \
    } while (0)

typedef void *(*ptp_create_fn)(size_t);
typedef size_t (*ptp_count_fn)(void *);
typedef void (*ptp_1d_fn)(void *, void (*)(void *, size_t), void *, size_t, uint32_t);
typedef void (*ptp_destroy_fn)(void *);

static void add_index(void *ctx, size_t i)
{
    atomic_fetch_add_explicit((_Atomic size_t *)ctx, i, memory_order_relaxed);
}

/* The pthreadpool entry points of `h`: a parallel-for over 0..999. */
static void drop_in(void *h, const char *name)
{
    ptp_create_fn create = (ptp_create_fn)dlsym(h, "pthreadpool_create");
    ptp_count_fn count = (ptp_count_fn)dlsym(h, "pthreadpool_get_threads_count");
    ptp_1d_fn p1d = (ptp_1d_fn)dlsym(h, "pthreadpool_parallelize_1d");
    ptp_destroy_fn destroy = (ptp_destroy_fn)dlsym(h, "pthreadpool_destroy");
    CHECK(create && count && p1d && destroy, "%s: pthreadpool symbols missing", name);
    if (!create || !count || !p1d || !destroy)
        return;
    void *pool = create(2);
    CHECK(pool != NULL, "%s: pthreadpool_create(2) returned NULL", name);
    CHECK(!pool || count(pool) == 2, "%s: %zu threads, want 2", name, pool ? count(pool) : 0);
    _Atomic size_t sum = 0;
    p1d(pool, add_index, &sum, 1000, 0);
    CHECK(sum == 499500, "%s: parallel-for sum %zu, want 499500", name, (size_t)sum);
    destroy(pool);
}

typedef struct native {
    int (*submit)(tpool *, tpool_task_fn, void *, const tpool_task_attr *);
    int (*wait_all)(tpool *);
    tpool *pool;
    _Atomic size_t ran;
    int rc;
} native;

static void count_task(void *arg)
{
    atomic_fetch_add_explicit((_Atomic size_t *)arg, 1, memory_order_relaxed);
}

/* 1000 tasks and a wait, from the calling thread. */
static void *submit_some(void *arg)
{
    native *n = arg;
    for (int i = 0; i < 1000 && n->rc == 0; i++)
        n->rc = n->submit(n->pool, count_task, &n->ran, NULL);
    if (n->rc == 0)
        n->rc = n->wait_all(n->pool);
    return NULL;
}

/* The native API of libtpool.so.0: tasks from this thread and a new one. */
static void native_tasks(void *h)
{
    int (*cfg_new)(tpool_config **) = (int (*)(tpool_config **))dlsym(h, "tpool_config_new");
    int (*cfg_threads)(tpool_config *, unsigned) =
        (int (*)(tpool_config *, unsigned))dlsym(h, "tpool_config_set_threads");
    int (*cfg_policy)(tpool_config *, const char *) =
        (int (*)(tpool_config *, const char *))dlsym(h, "tpool_config_set_policy");
    void (*cfg_free)(tpool_config *) = (void (*)(tpool_config *))dlsym(h, "tpool_config_free");
    int (*create)(const tpool_config *, tpool **, tpool_error *) =
        (int (*)(const tpool_config *, tpool **, tpool_error *))dlsym(h, "tpool_create");
    int (*destroy)(tpool *) = (int (*)(tpool *))dlsym(h, "tpool_destroy");
    native n = { .submit = (int (*)(tpool *, tpool_task_fn, void *,
                                    const tpool_task_attr *))dlsym(h, "tpool_submit"),
                 .wait_all = (int (*)(tpool *))dlsym(h, "tpool_wait_all") };
    CHECK(cfg_new && cfg_threads && cfg_policy && cfg_free && create && destroy && n.submit
              && n.wait_all,
          "libtpool.so.0: native symbols missing");
    if (!cfg_new || !cfg_threads || !cfg_policy || !cfg_free || !create || !destroy || !n.submit
        || !n.wait_all)
        return;
    tpool_config *cfg = NULL;
    int rc = cfg_new(&cfg);
    CHECK(rc == 0, "tpool_config_new: %d", rc);
    if (rc)
        return;
    cfg_threads(cfg, 2);
    cfg_policy(cfg, "builtin:stealing");
    rc = create(cfg, &n.pool, NULL);
    cfg_free(cfg);
    CHECK(rc == 0, "tpool_create: %d", rc);
    if (rc)
        return;
    submit_some(&n);
    CHECK(n.rc == 0 && n.ran == 1000, "loading thread: rc %d, %zu tasks ran, want 1000", n.rc,
          (size_t)n.ran);
    pthread_t th;
    n.ran = 0;
    CHECK(pthread_create(&th, NULL, submit_some, &n) == 0, "pthread_create failed");
    pthread_join(th, NULL);
    CHECK(n.rc == 0 && n.ran == 1000, "new thread: rc %d, %zu tasks ran, want 1000", n.rc,
          (size_t)n.ran);
    destroy(n.pool);
}

int main(void)
{
    /* A built-in policy: no search path needed. */
    setenv("TPOOL_POLICY", "builtin:stealing", 1);
    unsetenv("TPOOL_CONFIG");
    static const char *const libs[] = { LIBDIR "/libpthreadpool.so.0", LIBDIR "/libtpool.so.0" };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        void *h = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
        CHECK(h != NULL, "dlopen %s: %s", libs[i], dlerror());
        if (!h)
            continue;
        printf("loaded %s\n", libs[i]);
        drop_in(h, libs[i]);
        if (i == 1)
            native_tasks(h);
    }
    if (!failed)
        printf("PASS: both libraries loaded with dlopen and ran\n");
    return failed;
}
