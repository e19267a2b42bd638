/*
 * park.c - the sleeping half of park.h: the futex system calls (Linux),
 * and the out-of-line parts of the parking protocols, whose argument is at
 * the top of park.h.
 */
#define _GNU_SOURCE
#include "park.h"

#include <limits.h>
#include <sched.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef TPOOL__TSAN
tpool__a32 tpool__tsan_fence_word; /* atomics.h: the fences under TSan */
#endif

/* Sleeps while *word == expected (spurious returns are allowed). */
static void futex_wait(tpool__a32 *word, uint32_t expected, const struct timespec *ts)
{
    syscall(SYS_futex, (void *)word, FUTEX_WAIT_PRIVATE, expected, ts, NULL, 0);
}

static void futex_wake(tpool__a32 *word, int n)
{
    syscall(SYS_futex, (void *)word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

void tpool__backoff_yield(void)
{
    sched_yield();
}

void tpool__park(tpool__a32 *word)
{
    while (atomic_load(word) == TPOOL__PARKED)
        futex_wait(word, TPOOL__PARKED, NULL);
}

void tpool__unpark_wake(tpool__a32 *word)
{
    futex_wake(word, 1);
}

void tpool__event_park(tpool__event *ev, bool (*done)(void *), void *arg)
{
    for (;;) {
        uint32_t key = atomic_load(&ev->gen);
        atomic_fetch_add(&ev->sleepers, 1); /* the announcement */
        if (done(arg)) {
            atomic_fetch_sub(&ev->sleepers, 1);
            return;
        }
        futex_wait(&ev->gen, key, NULL);
        atomic_fetch_sub(&ev->sleepers, 1);
        if (done(arg))
            return;
    }
}

void tpool__gen_signal(tpool__a32 *gen, int n)
{
    atomic_fetch_add(gen, 1);
    futex_wake(gen, n);
}

void tpool__gen_sleep(tpool__a32 *gen, uint32_t key)
{
    futex_wait(gen, key, NULL);
}

void tpool__word_wait(tpool__a32 *word, uint32_t value)
{
    while (atomic_load(word) == value)
        futex_wait(word, value, NULL);
}

void tpool__word_wait_ns(tpool__a32 *word, uint32_t value, uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    futex_wait(word, value, &ts);
}

void tpool__word_wake(tpool__a32 *word, int n)
{
    futex_wake(word, n);
}
