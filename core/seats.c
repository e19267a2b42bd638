/*
 * seats.c - the slow paths of the seats (seats.h): waiting for a seat,
 * giving one back with waiters, resizing, the seats of a thread's frames,
 * and the busy and idle clocks of frames.
 *
 * Waiting without a lost wake-up (park.h, "a bare generation word"): a
 * waiter registers (the count in bits 48..63, by compare-and-swap on the
 * seat word), and on each round reads the generation `seats.gen` before it
 * looks at the seat word, and sleeps on it only if the look found no seat.
 * A giver frees its seat and learns whether anyone waits in the same
 * read-modify-write, then signals the generation. A seat waiter does not
 * spin: a seat comes free only when its holder runs out of work or sleeps,
 * and a spinner would take a CPU from the holders meanwhile.
 */
#define _GNU_SOURCE
#include <limits.h>

#include "clock.h"
#include "seats.h"

static void wake_one(struct tpool *p)
{
    tpool__gen_signal(&p->seats.gen, 1);
}

void tpool__seats_wake_all(struct tpool *p)
{
    tpool__gen_signal(&p->seats.gen, INT_MAX);
}

void tpool__seat_release(struct tpool *p)
{
    uint64_t w = atomic_load(&p->seats.word), nw;
    bool solo;
    do {
        /* A solo seat (this thread's: it holds the seat) goes back in the
         * counter form, built from the pool's T (a resize may have set
         * ATTN meanwhile), waiters kept. */
        solo = !tpool__seat_counter_form(w);
        nw = solo ? tpool__seat_word(ld_acquire(&p->team.threads), 0) | (w & TPOOL__SEAT_WANT_MASK)
                  : w - TPOOL__SEAT_USED_ONE;
    } while (!atomic_compare_exchange_weak(&p->seats.word, &w, nw));
    if (nw & TPOOL__SEAT_WANT_MASK) {
        if (solo)
            tpool__seats_wake_all(p); /* T seats may be free now, not one */
        else
            wake_one(p);
    }
}

bool tpool__seats_crowded(const void *frame)
{
    const tpool__frame *f = frame;
    uint64_t w = ld_relaxed(&f->pool->seats.word);
    return tpool__seat_counter_form(w) && tpool__seat_used(w) + !f->seated > f->pool->seats.cpus;
}

bool tpool__seat_wait(struct tpool *p, bool (*abandon)(void *), void *arg, bool *solo)
{
    bool counted = false;
    for (;;) {
        uint32_t gen = tpool__gen_key(&p->seats.gen);
        uint64_t w = atomic_load(&p->seats.word);
        if (tpool__seat_counter_form(w) && tpool__seat_used(w) < tpool__seat_threads(w)
            && (counted || !(w & TPOOL__SEAT_WANT_MASK))) {
            bool as_solo = solo && *solo && tpool__seat_threads(w) == 1;
            uint64_t nw = as_solo ? tpool__thread_id() | (w & TPOOL__SEAT_WANT_MASK)
                                  : w + TPOOL__SEAT_USED_ONE;
            if (counted)
                nw -= TPOOL__SEAT_WANT_ONE;
            if (atomic_compare_exchange_strong(&p->seats.word, &w, nw)) {
                if (solo)
                    *solo = as_solo;
                return true;
            }
            continue;
        }
        if (abandon && abandon(arg)) {
            if (counted) {
                /* A wake-up meant for us may have been spent: pass it on
                 * if a seat is free for the others. */
                uint64_t after = atomic_fetch_sub(&p->seats.word, TPOOL__SEAT_WANT_ONE)
                                 - TPOOL__SEAT_WANT_ONE;
                if ((after & TPOOL__SEAT_WANT_MASK) && tpool__seat_counter_form(after)
                    && tpool__seat_used(after) < tpool__seat_threads(after))
                    wake_one(p);
            }
            return false;
        }
        if (!counted) {
            if ((w & TPOOL__SEAT_WANT_MASK) == TPOOL__SEAT_WANT_MASK) {
                /* 65535 waiters already: poll rather than overflow */
                tpool__backoff_yield();
                continue;
            }
            counted = atomic_compare_exchange_strong(&p->seats.word, &w, w + TPOOL__SEAT_WANT_ONE);
            continue; /* look again, registered */
        }
        tpool__gen_sleep(&p->seats.gen, gen);
    }
}

void tpool__seats_resize(struct tpool *p, unsigned threads)
{
    uint64_t w = atomic_load(&p->seats.word), nw;
    do {
        if (tpool__seat_counter_form(w))
            nw = (w & ~((uint64_t)TPOOL__SEAT_FIELD << TPOOL__SEAT_T_SHIFT))
                 | (uint64_t)(threads - 1) << TPOOL__SEAT_T_SHIFT;
        else
            nw = w | TPOOL__SEAT_ATTN; /* the solo holder rebuilds from p->team.threads */
    } while (!atomic_compare_exchange_weak(&p->seats.word, &w, nw));
    if (nw & TPOOL__SEAT_WANT_MASK)
        tpool__seats_wake_all(p);
}

void tpool__seats_release_all(tpool__tls *tl)
{
    for (tpool__frame *f = tl->top; f; f = f->up) {
        if (f->seated) {
            tpool__seat_release(f->pool);
            f->seated = false;
        }
    }
}

void tpool__frame_seat(tpool__tls *tl, tpool__frame *f)
{
    if (f->seated)
        return;
    if (!f->solo && tpool__seat_try(f->pool)) {
        f->seated = true;
        return;
    }
    tpool__seats_release_all(tl);
    bool solo = f->solo;
    tpool__seat_wait(f->pool, NULL, NULL, f->solo ? &solo : NULL);
    f->solo = solo;
    f->seated = true;
}

void tpool__frame_clock(tpool__frame *f, bool busy)
{
    f->busy = busy;
    f->since = tpool__now_ns();
}

void tpool__frame_mark(tpool__frame *f, bool busy)
{
    if (f->busy == busy)
        return;
    uint64_t now = tpool__now_ns();
    tpool__counters *c = tpool__counters_of(f->pool, f->slot);
    add_relaxed(f->busy ? &c->busy_ns : &c->idle_ns, now - f->since);
    f->since = now;
    f->busy = busy;
}

void tpool__frame_close(tpool__frame *f)
{
    uint64_t now = tpool__now_ns();
    tpool__counters *c = tpool__counters_of(f->pool, f->slot);
    add_relaxed(f->busy ? &c->busy_ns : &c->idle_ns, now - f->since);
    f->since = now;
}
