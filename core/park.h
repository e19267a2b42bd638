/*
 * park.h - how a thread of the core waits: it spins for a while, then
 * parks (sleeps in the kernel) until another thread wakes it. Nothing else
 * in the core spins or sleeps on a futex; park.c is the only file that
 * makes the system calls.
 *
 * The spin rule (tpool__spin). A waiter looks at what it waits for on
 * every turn and pauses the CPU between looks; every 64th turn it also
 * reads the clock, and stops spinning once its budget is spent (the budget
 * runs from a time the waiter read anyway, or else from the first such
 * turn, so that a wait that ends within 64 turns never reads the clock),
 * or once another thread wants what it holds (the seat word of its pool:
 * read only every 64 turns, so that spinners do not pull that line away
 * from a parallel-for caller's compare-and-swap on every turn). The budget
 * is the pool's spin_us; a wait with no pool (a tpool_counter) spins the
 * default spin_us, TPOOL_DEFAULT_SPIN_US. A wait that cannot end soon
 * parks at once (no tpool__spin).
 *
 * Crowded spins. A pausing spinner keeps its CPU until the budget is spent
 * or the kernel's tick preempts it, so where more threads are awake than
 * there are CPUs (a pool of more threads than cores) every spin is CPU
 * time taken from a thread that has work: a producer's pushes, the items a
 * parallel-for waits for. A spin may therefore be given a test of that
 * (tpool__spin_crowd: for a pool, its seats, seats.h), made when the spin
 * starts and then with the clock; while it holds, the spinner gives its
 * CPU away (sched_yield) on every turn instead of pausing, and looks at
 * the clock and the test on every turn, the yield costing more than both.
 * It stays awake all the same, so the budget, and what pushers learn from
 * a spinner (that no wake-up is needed), are those of any spin. (Parking
 * at once instead would make every push to such a pool wake a sleeper.)
 *
 * Parking without a lost wake-up. Every way to park below is the same
 * Dekker handshake: the waiter announces that it may sleep, then looks at
 * what it waits for once more, then sleeps on a word *only while the word
 * still holds the value it had when it announced* (the futex compares
 * atomically in the kernel); the waker makes what the waiter waits for
 * true, then reads the announcement, and if it finds one it changes the
 * word and wakes. The two announce-then-look pairs are seq_cst (a seq_cst
 * store or read-modify-write followed by a seq_cst load, or a seq_cst
 * fence between them), so in their single total order either the waiter's
 * last look comes after the waker's write (it sees it and does not sleep),
 * or the waker's read comes after the announcement (it sees it, changes the
 * word after the waiter read it, and the futex does not sleep or is woken).
 * Three forms of the announcement:
 *
 *   - a parking word, owned by one thread (a worker's state; a group
 *     waiter's word): the owner stores TPOOL__PARKED and issues a fence
 *     (tpool__park_prepare), looks, then sleeps while the word is PARKED
 *     (tpool__park). A waker claims the word by compare-and-swap PARKED ->
 *     UNPARKED and wakes its owner (tpool__unpark), so that one wake-up is
 *     spent on one thread; an owner that found what it waited for after
 *     all takes the word back (tpool__park_cancel), and learns that a
 *     waker claimed it meanwhile (whose wake it must pass on). A waiter
 *     that registers its word where the waker looks (a group's waiter
 *     list, under its lock) stores PARKED before it registers, and the
 *     registration's own seq_cst handshake (task.c) stands for the fence.
 *   - an event (tpool__event): any number of waiters on a condition held
 *     elsewhere. A waiter reads the generation `gen`, counts itself in
 *     `sleepers` (seq_cst), looks, and sleeps while `gen` is unchanged
 *     (tpool__event_wait); a waker makes the condition true with a seq_cst
 *     write and then, if `sleepers` is not 0, bumps `gen` and wakes
 *     (tpool__event_wake). The condition must be read with a seq_cst load.
 *   - a bare generation word (tpool__gen_*), for a protocol that counts
 *     its sleepers in a word of its own, in the same read-modify-write as
 *     its condition (the seat word: seats.c).
 *
 * A word that only changes once in a while (a worker's life, the elastic
 * monitor's kick) is waited for with tpool__word_wait: the waker changes it
 * and always wakes. And a thread waiting for another to leave a short
 * section (a policy op, the end of a job) spins with tpool__backoff, which
 * yields the CPU once the wait gets long, in case that thread was
 * preempted.
 */
#ifndef TPOOL_CORE_PARK_H
#define TPOOL_CORE_PARK_H

#include <stdbool.h>

#include "atomics.h"
#include "clock.h"

/* ---- the spin rule ---------------------------------------------------------- */

/* A pause between two looks, telling the CPU that this is a spin. */
static inline void tpool__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Every this many turns a spinner reads the clock and the yield word. */
#define TPOOL__SPIN_LOOK 64u

typedef struct tpool__spin {
    uint64_t budget_ns;
    uint64_t deadline;            /* 0 until known */
    const tpool__a64 *yield_word; /* stop when (*yield_word & yield_mask) */
    uint64_t yield_mask;
    const bool *yield_while;      /* ...and *yield_while (NULL: always) */
    bool (*crowded)(const void *); /* give the CPU away while crowded(crowd_arg) */
    const void *crowd_arg;
    bool yielding;                /* crowded at the last look */
    unsigned turn;
} tpool__spin;

/* A spin of `budget_ns` from `start_ns` (0: from the first 64th turn). */
static inline void tpool__spin_init(tpool__spin *s, uint64_t budget_ns, uint64_t start_ns)
{
    s->budget_ns = budget_ns;
    s->deadline = start_ns ? start_ns + budget_ns : 0;
    s->yield_word = NULL;
    s->yield_mask = 0;
    s->yield_while = NULL;
    s->crowded = NULL;
    s->crowd_arg = NULL;
    s->yielding = false;
    s->turn = 0;
}

/* The spin also gives up when `*word & mask` while `*held` (NULL: always):
 * another thread wants what the spinner holds. */
static inline void tpool__spin_yield(tpool__spin *s, const tpool__a64 *word, uint64_t mask,
                                     const bool *held)
{
    s->yield_word = word;
    s->yield_mask = mask;
    s->yield_while = held;
}

/* The spin gives its CPU away, rather than pausing, while crowded(arg):
 * more threads are awake than there are CPUs for them (see the top).
 * Looked at now, too: a worker between two tasks starts a spin after
 * each, and should not pause for 64 turns first. */
static inline void tpool__spin_crowd(tpool__spin *s, bool (*crowded)(const void *),
                                     const void *arg)
{
    s->crowded = crowded;
    s->crowd_arg = arg;
    s->yielding = crowded(arg);
}

/* The look of every 64th turn (every turn while yielding): the yield word,
 * the clock, the crowd. false once the spin is over. */
static inline bool tpool__spin_look(tpool__spin *s)
{
    if (s->yield_word && (!s->yield_while || *s->yield_while)
        && (ld_relaxed(s->yield_word) & s->yield_mask))
        return false;
    uint64_t now = tpool__now_ns();
    if (s->deadline == 0)
        s->deadline = now + s->budget_ns;
    if (s->crowded)
        s->yielding = s->crowded(s->crowd_arg);
    return now < s->deadline;
}

void tpool__backoff_yield(void);

/* After a look that found nothing: one turn. false once the spin is over
 * (the waiter parks). Costs a pause and a counter, no atomic, on 63 turns
 * out of 64 while the spin is not crowded. */
static inline bool tpool__spin_again(tpool__spin *s)
{
    if (s->yielding) {
        tpool__backoff_yield();
        return tpool__spin_look(s);
    }
    tpool__cpu_relax();
    if (++s->turn % TPOOL__SPIN_LOOK != 0)
        return true;
    return tpool__spin_look(s);
}

/* One turn of waiting for a thread to leave a short section: a pause, and
 * from the 64th turn on a yield of the CPU, which that thread may need. */
static inline void tpool__backoff(unsigned *turn)
{
    if (++*turn < TPOOL__SPIN_LOOK)
        tpool__cpu_relax();
    else
        tpool__backoff_yield();
}

/* ---- a parking word, owned by one thread ------------------------------------ */

enum { TPOOL__UNPARKED = 0, TPOOL__PARKED = 2 };

/* The owner announces it may sleep; it looks once more after this. */
static inline void tpool__park_prepare(tpool__a32 *word)
{
    atomic_store(word, TPOOL__PARKED);
    fence_seq_cst(); /* pairs with the waker's fence: see the top */
}

/* The owner's look found what it waited for: it takes the word back. false
 * when a waker claimed it meanwhile: that wake-up was meant for this thread,
 * which will not use it, so the caller passes it on. */
static inline bool tpool__park_cancel(tpool__a32 *word)
{
    uint32_t parked = TPOOL__PARKED;
    return atomic_compare_exchange_strong(word, &parked, TPOOL__UNPARKED);
}

/* The owner sleeps until a waker claims the word. */
void tpool__park(tpool__a32 *word);

void tpool__unpark_wake(tpool__a32 *word);

/* A waker, after a seq_cst write or fence that made the owner's condition
 * true: claims a parked word and wakes its owner. true when it did. The
 * first load is seq_cst: it must see a PARKED stored before, in the seq_cst
 * order, the waker's write. */
static inline bool tpool__unpark(tpool__a32 *word)
{
    uint32_t parked = TPOOL__PARKED;
    if (atomic_load(word) != TPOOL__PARKED
        || !atomic_compare_exchange_strong(word, &parked, TPOOL__UNPARKED))
        return false;
    tpool__unpark_wake(word);
    return true;
}

/* ---- events: any number of waiters on a condition held elsewhere ------------- */

typedef struct tpool__event {
    tpool__a32 gen;      /* futex word; bumped by wakers that saw sleepers */
    tpool__a32 sleepers; /* waiters between their count and their wake-up */
} tpool__event;

static inline void tpool__event_init(tpool__event *ev)
{
    atomic_init(&ev->gen, 0);
    atomic_init(&ev->sleepers, 0);
}

void tpool__event_park(tpool__event *ev, bool (*done)(void *), void *arg);

/* Waits until done(arg), which reads its condition with seq_cst loads:
 * spins by `s` (NULL: not at all), then parks. A condition that holds
 * already costs the one look. */
static inline void tpool__event_wait(tpool__event *ev, bool (*done)(void *), void *arg,
                                     tpool__spin *s)
{
    while (!done(arg))
        if (!s || !tpool__spin_again(s)) {
            tpool__event_park(ev, done, arg);
            return;
        }
}

void tpool__gen_signal(tpool__a32 *gen, int n);

/* After a seq_cst write that made the condition true: wakes up to n
 * sleepers (INT_MAX: all). One load when nobody sleeps. */
static inline void tpool__event_wake(tpool__event *ev, int n)
{
    if (atomic_load(&ev->sleepers) != 0)
        tpool__gen_signal(&ev->gen, n);
}

/* ---- a bare generation word (its sleepers counted elsewhere) ----------------- */

/* Read before the announcement and the last look. */
static inline uint32_t tpool__gen_key(tpool__a32 *gen)
{
    return atomic_load(gen);
}

/* Sleeps unless the word moved past `key` (spurious returns allowed). */
void tpool__gen_sleep(tpool__a32 *gen, uint32_t key);

/* ---- a word that changes once in a while -------------------------------------- */

/* Sleeps until *word differs from `value` (seq_cst loads). */
void tpool__word_wait(tpool__a32 *word, uint32_t value);
/* The same for at most `ns` nanoseconds (spurious returns allowed). */
void tpool__word_wait_ns(tpool__a32 *word, uint32_t value, uint64_t ns);
/* After changing the word: wakes up to n of its waiters (INT_MAX: all). */
void tpool__word_wake(tpool__a32 *word, int n);

#endif
