// pthreadpool_cxx.cc - tpool's pthreadpool.h and tpool.h from C++:
// check_pthreadpool_cxx compiles this with the C++ compiler (warnings as
// errors) and runs it on libtpool. Covers a function pointer, the functor
// overloads with their default flags, and a tpool pool passed as a
// pthreadpool_t.
#include <pthreadpool.h>
#include <tpool.h>

#include <atomic>
#include <cstdio>
#include <vector>

static void count_1d(void *ctx, size_t i)
{
    (*static_cast<std::vector<std::atomic<int>> *>(ctx))[i]++;
}

int main()
{
    pthreadpool_t pool = pthreadpool_create(3);
    if (!pool) {
        std::puts("create failed");
        return 1;
    }
    const size_t ni = 29, nj = 31;
    std::vector<std::atomic<int>> hits(ni * nj);
    pthreadpool_parallelize_1d(pool, count_1d, &hits, ni * nj, 0);
    pthreadpool_parallelize_2d_tile_2d(pool,
        [&](size_t i, size_t j, size_t ti, size_t tj) {
            for (size_t a = i; a < i + ti; a++)
                for (size_t b = j; b < j + tj; b++)
                    hits[a * nj + b]++;
        },
        ni, nj, 4, 7);
    pthreadpool_parallelize_3d(pool, [&](size_t i, size_t j, size_t k) {
        hits[(i * nj + j) + k]++;
    }, ni, nj, 1, PTHREADPOOL_FLAG_YIELD_WORKERS);
    pthreadpool_destroy(pool);

    tpool *tp = nullptr;
    tpool_error err = {};
    if (tpool_create_from_text("{\"threads\": 2}", &tp, &err) != 0) {
        std::printf("tpool_create: %s\n", err.text);
        return 1;
    }
    pthreadpool_parallelize_1d(reinterpret_cast<pthreadpool_t>(tp),
                               [&](size_t i) { hits[i]++; }, ni * nj);
    tpool_destroy(tp);

    for (size_t e = 0; e < ni * nj; e++) {
        if (hits[e] != 4) {
            std::printf("item %zu: %d hits, expected 4\n", e, hits[e].load());
            return 1;
        }
    }
    std::puts("result: ok");
    return 0;
}
