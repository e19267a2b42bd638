/*
 * worker_guard.c - a thread-specific value with a destructor marks a worker
 * that is serving its pool (see worker_guard.h). The destructor runs only
 * when the thread ends with the value still set: pthread_exit() from a task
 * or cancellation, never a normal return from the worker loop, which clears
 * it first.
 */
#include "worker_guard.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int have_key;

static void left_mid_task(void *value)
{
    unsigned index = (unsigned)((uintptr_t)value - 1);
    /* Nothing can finish the task this thread was running, nor join a
     * thread the pool still counts on: every wait on the pool and its
     * destroy would hang without a word. */
    fprintf(stderr,
            "tpool: worker %u ended its thread inside a task (the task called "
            "pthread_exit(), or the thread was cancelled); the pool can neither finish "
            "that task nor wait for it. A task must return. Aborting.\n",
            index);
    abort();
}

static void make_key(void)
{
    have_key = pthread_key_create(&key, left_mid_task) == 0;
}

void tpool__worker_guard_arm(unsigned index)
{
    pthread_once(&once, make_key);
    if (have_key)
        pthread_setspecific(key, (void *)((uintptr_t)index + 1));
}

void tpool__worker_guard_disarm(void)
{
    if (have_key)
        pthread_setspecific(key, NULL);
}
