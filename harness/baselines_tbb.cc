/*
 * baselines_tbb.cc - the oneTBB baselines (Debian's libtbb), the harness's
 * only C++, behind the C interface of baselines_tbb.h. Parallel-for
 * workloads run tbb::parallel_for over a blocked_range with the auto,
 * simple or static partitioner; task workloads run their groups as
 * tbb::task_group (exec.c's task services). Every
 * call runs in a task_arena of T threads made once per thread count, as
 * the pthreadpool baseline's pools are, so that no timed run pays for
 * making one.
 */
#include <algorithm>
#include <memory>
#include <new>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <tbb/version.h>

#include "baselines_tbb.h"

namespace {

struct arena {
    explicit arena(unsigned t) : threads(t), a(static_cast<int>(t), 1) {}
    unsigned threads;
    tbb::task_arena a;
};

/* The thread counts of the arenas that exist, and the global_control that
 * allows the largest: TBB's default allows as many threads as CPUs, and an
 * arena of more (oversubscription is measured too) would not get its
 * workers. Only the control thread touches these. */
std::vector<unsigned> live;
std::unique_ptr<tbb::global_control> control;
unsigned control_at;

void allow_largest()
{
    unsigned most = live.empty() ? 0 : *std::max_element(live.begin(), live.end());
    if (most == control_at)
        return;
    /* The smallest max_allowed_parallelism of those alive is in force:
     * drop the old one before making the new. */
    control.reset();
    control_at = 0;
    if (most) {
        control.reset(new tbb::global_control(tbb::global_control::max_allowed_parallelism,
                                              most));
        control_at = most;
    }
}

unsigned my_slot()
{
    int i = tbb::this_task_arena::current_thread_index();
    return i >= 0 ? static_cast<unsigned>(i) : bench_rec_slot();
}

} // namespace

extern "C" {

int bench_tbb_available(void)
{
    return 1;
}

const char *bench_tbb_version(void)
{
    return TBB_runtime_version();
}

void *bench_tbb_create(unsigned threads)
{
    if (threads == 0)
        return nullptr;
    bool counted = false;
    try {
        std::unique_ptr<arena> x(new arena(threads));
        live.push_back(threads);
        counted = true;
        allow_largest();
        x->a.initialize();
        return x.release();
    } catch (...) {
        if (counted)
            live.pop_back();
        try {
            allow_largest();
        } catch (...) {
        }
        return nullptr;
    }
}

void bench_tbb_destroy(void *p)
{
    if (!p)
        return;
    arena *x = static_cast<arena *>(p);
    auto it = std::find(live.begin(), live.end(), x->threads);
    if (it != live.end())
        live.erase(it);
    delete x;
    try {
        allow_largest();
    } catch (...) {
    }
}

int bench_tbb_range(void *p, int mode, size_t grain, size_t n,
                    void (*fn)(void *ctx, size_t begin, size_t end, unsigned slot), void *ctx)
{
    if (!p || mode < BENCH_TBB_AUTO || mode > BENCH_TBB_STATIC)
        return -1;
    if (n == 0)
        return 0;
    const tbb::blocked_range<size_t> r(0, n, grain ? grain : 1);
    /* The body gets each sub-range the partitioner made, as a compiled
     * loop would run it inline: not once per item. */
    auto body = [fn, ctx](const tbb::blocked_range<size_t> &b) {
        fn(ctx, b.begin(), b.end(), my_slot());
    };
    try {
        static_cast<arena *>(p)->a.execute([&] {
            if (mode == BENCH_TBB_AUTO)
                tbb::parallel_for(r, body, tbb::auto_partitioner());
            else if (mode == BENCH_TBB_SIMPLE)
                tbb::parallel_for(r, body, tbb::simple_partitioner());
            else
                tbb::parallel_for(r, body, tbb::static_partitioner());
        });
    } catch (...) {
        return -1;
    }
    return 0;
}

int bench_tbb_run(void *p, int (*fn)(void *arg), void *arg)
{
    if (!p)
        return -1;
    int rc = -1;
    try {
        static_cast<arena *>(p)->a.execute([&] { rc = fn(arg); });
    } catch (...) {
        return -1;
    }
    return rc;
}

void *bench_tbb_group_create(void)
{
    try {
        return new tbb::task_group;
    } catch (...) {
        return nullptr;
    }
}

int bench_tbb_submit(void *group, void (*fn)(void *arg), void *arg)
{
    try {
        static_cast<tbb::task_group *>(group)->run([fn, arg] { fn(arg); });
    } catch (...) {
        return -1;
    }
    return 0;
}

int bench_tbb_group_wait(void *group)
{
    tbb::task_group *g = static_cast<tbb::task_group *>(group);
    int rc = 0;
    try {
        g->wait();
    } catch (...) {
        rc = -1;
    }
    delete g;
    return rc;
}

} // extern "C"
