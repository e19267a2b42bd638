/*
 * clock.c - the harness's clock and its sleep. A file of their own, so that
 * every read of the clock, from any file of the harness, is a call to an
 * external symbol that a test can count (tests/check_bench_recorder.c links
 * with -Wl,--wrap=bench_now_ns).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
