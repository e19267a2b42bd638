/*
 * baselines_tbb.cc - the oneTBB baselines (Debian's libtbb), the harness's
 * only C++, behind the C interface of baselines_tbb.h. Parallel-for
 * workloads run tbb::parallel_for over a blocked_range with the auto,
 * simple or static partitioner; task workloads run tbb::task_group. Every
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

uint64_t tree(unsigned depth, unsigned fanout, uint64_t index,
              uint64_t (*leaf)(void *, uint64_t), void *ctx)
{
    if (depth == 0)
        return leaf(ctx, index);
    uint64_t v[16] = { 0 };
    unsigned me = bench_rec_slot();
    tbb::task_group g;
    for (unsigned k = 1; k < fanout && k < 16; k++)
        g.run([&v, k, me, depth, fanout, index, leaf, ctx] {
            bench_rec_spawned(me);
            v[k] = tree(depth - 1, fanout, index * fanout + k, leaf, ctx);
        });
    v[0] = tree(depth - 1, fanout, index * fanout, leaf, ctx);
    g.wait();
    uint64_t sum = 0;
    for (unsigned k = 0; k < fanout && k < 16; k++)
        sum += v[k];
    return sum;
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

int bench_tbb_tasks(void *p, unsigned producers, size_t n,
                    void (*before)(void *ctx, size_t i, unsigned producer),
                    void (*task)(void *ctx, size_t i), void *ctx)
{
    if (!p)
        return -1;
    try {
        static_cast<arena *>(p)->a.execute([&] {
            tbb::task_group g;
            if (producers <= 1) {
                unsigned me = bench_rec_slot();
                for (size_t i = 0; i < n; i++) {
                    before(ctx, i, me);
                    g.run([task, ctx, i] { task(ctx, i); });
                }
            } else {
                /* task_group::run may be called from any thread, the
                 * group's own tasks included. */
                for (unsigned k = 0; k < producers; k++) {
                    size_t lo = n * k / producers, hi = n * (k + 1) / producers;
                    g.run([&g, lo, hi, before, task, ctx] {
                        unsigned me = bench_rec_slot();
                        for (size_t i = lo; i < hi; i++) {
                            before(ctx, i, me);
                            g.run([task, ctx, i] { task(ctx, i); });
                        }
                    });
                }
            }
            g.wait();
        });
    } catch (...) {
        return -1;
    }
    return 0;
}

int bench_tbb_tree(void *p, unsigned depth, unsigned fanout,
                   uint64_t (*leaf)(void *ctx, uint64_t index), void *ctx, uint64_t *result)
{
    if (!p || fanout > 16)
        return -1;
    uint64_t r = 0;
    try {
        static_cast<arena *>(p)->a.execute([&] { r = tree(depth, fanout, 0, leaf, ctx); });
    } catch (...) {
        return -1;
    }
    *result = r;
    return 0;
}

} // extern "C"
