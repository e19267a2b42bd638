/* fpu.h - flushing denormals for the duration of a parallel-for (x86 FTZ and
 * DAZ in MXCSR); a no-op elsewhere. The only file that knows the register. */
#ifndef TPOOL_CORE_FPU_H
#define TPOOL_CORE_FPU_H

#include <stdbool.h>

#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE__))
#include <xmmintrin.h>

#define TPOOL__MXCSR_FTZ 0x8000u
#define TPOOL__MXCSR_DAZ 0x0040u

/* Returns the state to restore with tpool__fpu_leave. */
static inline unsigned tpool__fpu_enter(bool flush)
{
    unsigned old = _mm_getcsr();
    if (flush)
        _mm_setcsr(old | TPOOL__MXCSR_FTZ | TPOOL__MXCSR_DAZ);
    return old;
}

static inline void tpool__fpu_leave(bool flush, unsigned old)
{
    if (flush)
        _mm_setcsr(old);
}
#else
static inline unsigned tpool__fpu_enter(bool flush) { (void)flush; return 0; }
static inline void tpool__fpu_leave(bool flush, unsigned old) { (void)flush; (void)old; }
#endif

#endif
