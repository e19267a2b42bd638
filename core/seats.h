/*
 * seats.h - at no instant do more than T threads run a pool's work.
 *
 * A pool of parallelism T has T seats. A thread holds one while it runs the
 * pool's tasks or parallel-for items, whoever it is: a worker, a thread
 * waiting on a group that helps, a parallel-for's caller, a caller running
 * a call inline. The pool has max(T - 1, 1) workers, so at T = 1 the worker
 * and a helping caller take turns, and with T >= 2 the workers and one
 * caller fit; further callers wait for a seat.
 *
 * Protocol:
 *   - a worker takes a seat when it wakes (or starts), keeps it while it
 *     runs and spins, and gives it back just before it sleeps (after its
 *     last look for work, which it makes seated); a spinner that sees a
 *     thread waiting for a seat stops spinning and parks, so that a seat is
 *     never kept by a thread that has nothing to run;
 *   - an outside thread that waits on a group helps only while it holds a
 *     seat, taken without waiting when one is free; a parallel-for's caller
 *     waits for one, runs its own items, and gives it back before it waits
 *     for the workers;
 *   - a task that waits on a group of its own pool helps with the seat it
 *     holds; every thread gives back all its seats before it sleeps (on a
 *     group, a parallel-for, a lock, a seat), those of the older frames of
 *     other pools too, and takes each back (waiting if need be) when it
 *     returns to that pool's work;
 *   - giving a seat back wakes a thread waiting for one. A thread that
 *     waits registers in the seat word before its last look, and the giver
 *     reads the word in the same read-modify-write that frees the seat, so
 *     no wake-up is lost; registered waiters come before threads that only
 *     try (no barging), so a waiter is never starved.
 *
 * The seat word (`seats.word`, 64 bits) has two forms:
 *   - counter form (bit 1 set): seats in use (14 bits from bit 2) and
 *     T - 1 (14 bits from bit 16);
 *   - solo form (bit 1 clear): the one seat of a one-thread pool, held by a
 *     parallel-for run inline on the fast path, the word being the holder's
 *     thread id (bits 2..47, see tpool__thread_id) so that the thread can
 *     tell later that it holds it (a call nested in the body), at the cost
 *     of one compare-and-swap each way and no thread-local. Bit 0 says the
 *     pool's T changed meanwhile (the holder rebuilds the counter form from
 *     T when it gives the seat back).
 * Bit 30 of the counter form marks a recorded pool (record.h): its word
 * never equals TPOOL__SEAT_SOLO_FREE, so its calls never take the solo fast
 * path, which records nothing, and it never enters the solo form.
 * In both forms bits 48..63 count the threads waiting for a seat.
 */
#ifndef TPOOL_CORE_SEATS_H
#define TPOOL_CORE_SEATS_H

#include "pool.h"

#define TPOOL__SEAT_ATTN ((uint64_t)1)
#define TPOOL__SEAT_TAG ((uint64_t)2)
#define TPOOL__SEAT_USED_SHIFT 2
#define TPOOL__SEAT_USED_ONE ((uint64_t)1 << TPOOL__SEAT_USED_SHIFT)
#define TPOOL__SEAT_FIELD 0x3fffu
#define TPOOL__SEAT_T_SHIFT 16
#define TPOOL__SEAT_RECORDED ((uint64_t)1 << 30)
#define TPOOL__SEAT_WANT_SHIFT 48
#define TPOOL__SEAT_WANT_ONE ((uint64_t)1 << TPOOL__SEAT_WANT_SHIFT)
#define TPOOL__SEAT_WANT_MASK ((uint64_t)0xffff << TPOOL__SEAT_WANT_SHIFT)
#define TPOOL__SEAT_ID_MASK ((uint64_t)0x0000fffffffffffc)
/* The word of a one-thread pool with every seat free and nobody waiting:
 * what the fast path swaps for its thread id. */
#define TPOOL__SEAT_SOLO_FREE TPOOL__SEAT_TAG

_Static_assert(TPOOL_MAX_THREADS <= TPOOL__SEAT_FIELD, "T and the seats in use fit 14 bits");

/*
 * A number that identifies the calling thread among the living ones, with
 * bits 0, 1 and 48..63 clear: the thread pointer, which the x86-64 and
 * AArch64 ABIs keep in a register (one instruction, no call), else the
 * pthread_t (a pointer on the C libraries of Linux).
 */
static inline uint64_t tpool__thread_id(void)
{
    uintptr_t id;
#if defined(__x86_64__)
    __asm__ __volatile__("mov %%fs:0, %0" : "=r"(id));
#elif defined(__aarch64__)
    __asm__ __volatile__("mrs %0, tpidr_el0" : "=r"(id));
#else
    id = (uintptr_t)pthread_self();
#endif
    return (uint64_t)id;
}

static inline bool tpool__seat_counter_form(uint64_t w) { return (w & TPOOL__SEAT_TAG) != 0; }
static inline unsigned tpool__seat_used(uint64_t w)
{
    return (unsigned)(w >> TPOOL__SEAT_USED_SHIFT) & TPOOL__SEAT_FIELD;
}
static inline unsigned tpool__seat_threads(uint64_t w)
{
    return ((unsigned)(w >> TPOOL__SEAT_T_SHIFT) & TPOOL__SEAT_FIELD) + 1;
}
/* The counter form for T = `threads` with `used` seats in use and nobody waiting. */
static inline uint64_t tpool__seat_word(unsigned threads, unsigned used)
{
    return TPOOL__SEAT_TAG | (uint64_t)used << TPOOL__SEAT_USED_SHIFT
           | (uint64_t)(threads - 1) << TPOOL__SEAT_T_SHIFT;
}

/* ---- solo: the fast path of a one-thread pool ------------------------------ */

/*
 * TPOOL__SEAT_SOLO_FREE, made where it is used: the compiler would rather
 * keep one copy across the body's call in a register it must save and
 * restore, which costs the fast path more instructions than it spares.
 */
static inline uint64_t tpool__solo_free_word(void)
{
    uint64_t w;
#if defined(__x86_64__)
    __asm__ __volatile__("mov %1, %k0" : "=r"(w) : "i"(TPOOL__SEAT_SOLO_FREE));
#else
    w = TPOOL__SEAT_SOLO_FREE;
#endif
    return w;
}

/* Takes the only seat of a one-thread pool that nobody holds or waits for,
 * in this thread's name; false otherwise (T > 1 included): take the slow
 * path. */
static inline bool tpool__solo_enter(struct tpool *p)
{
    uint64_t free_word = tpool__solo_free_word();
    return atomic_compare_exchange_strong_explicit(&p->seats.word, &free_word, tpool__thread_id(),
                                                   memory_order_acquire, memory_order_relaxed);
}

void tpool__seat_release(struct tpool *p);

/* Gives back the seat tpool__solo_enter took. */
static inline void tpool__solo_leave(struct tpool *p)
{
    uint64_t mine = tpool__thread_id();
    __asm__ __volatile__("" : "+r"(p)); /* no address kept across the body either */
    if (!atomic_compare_exchange_strong_explicit(&p->seats.word, &mine, tpool__solo_free_word(),
                                                 memory_order_release, memory_order_relaxed))
        tpool__seat_release(p); /* waiters, a resize, or a nested wait changed the form */
}

/* Whether this thread holds p's seat through tpool__solo_enter. */
static inline bool tpool__solo_mine(struct tpool *p)
{
    uint64_t w = ld_relaxed(&p->seats.word);
    return !tpool__seat_counter_form(w) && (w & TPOOL__SEAT_ID_MASK) == tpool__thread_id();
}

/* ---- taking and giving back ------------------------------------------------- */

/* Takes a seat if one is free and nobody waits for one; never waits. */
static inline bool tpool__seat_try(struct tpool *p)
{
    uint64_t w = ld_relaxed(&p->seats.word);
    while (tpool__seat_counter_form(w) && !(w & TPOOL__SEAT_WANT_MASK)
           && tpool__seat_used(w) < tpool__seat_threads(w))
        if (atomic_compare_exchange_weak_explicit(&p->seats.word, &w, w + TPOOL__SEAT_USED_ONE,
                                                  memory_order_acquire, memory_order_relaxed))
            return true;
    return false;
}

/* Whether a thread waits for a seat: a spinner holding one should let go. */
static inline bool tpool__seat_wanted(struct tpool *p)
{
    return (ld_relaxed(&p->seats.word) & TPOOL__SEAT_WANT_MASK) != 0;
}

/*
 * Waits until it holds a seat (true), sleeping meanwhile. With `abandon`,
 * returns false as soon as abandon(arg) holds (looked at on every wake-up:
 * whoever makes it true wakes the seat's waiters). With `solo`, a free seat
 * of a one-thread pool is taken in the solo form (a solo holder taking its
 * seat back after a sleep); *solo is cleared when it had to take a counted
 * seat (T changed meanwhile).
 */
bool tpool__seat_wait(struct tpool *p, bool (*abandon)(void *), void *arg, bool *solo);

/*
 * For tpool__spin_crowd (park.h), `frame` being the spinner's tpool__frame:
 * the pool's threads that are awake (those holding a seat, and the spinner
 * if it holds none) outnumber the CPUs the process may use, so that a
 * spinner keeps a thread with work from a CPU. Counts only this pool's
 * threads; a one-thread pool is never crowded.
 */
bool tpool__seats_crowded(const void *frame);

/* Publishes a new T into the seat word (the resizer, T already stored in
 * p->team.threads) and wakes the waiters, for whom seats may have appeared. */
void tpool__seats_resize(struct tpool *p, unsigned threads);

/* Wakes every thread waiting for a seat (they look at their abandon
 * condition): workers told to exit or retired. */
void tpool__seats_wake_all(struct tpool *p);

/* Sets the recorded bit (record.c, before the pool is published), so that
 * no call of p takes the solo fast path past the recorder. */
static inline void tpool__seats_mark_recorded(struct tpool *p)
{
    atomic_fetch_or(&p->seats.word, TPOOL__SEAT_RECORDED);
}

/* ---- frames and their seats ------------------------------------------------- */

/* Whether this thread works for p: a frame of p, or p's solo seat. */
static inline bool tpool__works_for(struct tpool *p)
{
    return tpool__frame_find(tpool__tls_get(), p) != NULL || tpool__solo_mine(p);
}

static inline void tpool__frame_push(tpool__tls *tl, tpool__frame *f, struct tpool *p,
                                     unsigned slot, bool seated)
{
    f->up = tl->top;
    f->pool = p;
    f->slot = slot;
    f->seated = seated;
    f->solo = false;
    f->busy = false;
    f->since = 0;
    tl->top = f;
}

/* Before this thread sleeps (or waits for a seat): gives back every seat
 * its frames hold. */
void tpool__seats_release_all(tpool__tls *tl);

/* Makes frame f hold its seat again: at once if one is free, else waiting
 * for it while holding no other seat (so that no two threads can each hold
 * a seat the other waits for). */
void tpool__frame_seat(tpool__tls *tl, tpool__frame *f);

/* Pops f (the top frame); the frame below, whose work resumes, gets its
 * seat back if a sleep made it give it up. */
static inline void tpool__frame_pop(tpool__tls *tl, tpool__frame *f)
{
    tl->top = f->up;
    if (f->up && !f->up->seated)
        tpool__frame_seat(tl, f->up);
}

/* ---- accounting ---------------------------------------------------------------
 *
 * Each frame times the stretches of its thread's life in the pool: busy
 * (running tasks or items, the waits nested in them excluded) or idle
 * (spinning, sleeping, waiting for a seat), into the counters of its slot
 * (a worker's own, or the pool's outside counters). Clocks are read only
 * when the state changes, never per task.
 */
void tpool__frame_mark(tpool__frame *f, bool busy);

/* Starts f's clock in state `busy`. */
void tpool__frame_clock(tpool__frame *f, bool busy);

/* Adds the stretch in progress to f's counters (the frame ends). */
void tpool__frame_close(tpool__frame *f);

#endif
