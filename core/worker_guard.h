/* worker_guard.h - a worker thread that ends inside a task (pthread_exit,
 * cancellation) is reported and stops the process instead of hanging it. */
#ifndef TPOOL_CORE_WORKER_GUARD_H
#define TPOOL_CORE_WORKER_GUARD_H

/*
 * Called by a worker thread when it starts serving slot `index`, and when
 * it leaves its loop the normal way. Between the two, the thread ending
 * (a task called pthread_exit(), or the thread was cancelled) would leave
 * the pool waiting forever for the task it was running and for the thread
 * at destroy: the guard prints what happened and aborts instead.
 */
void tpool__worker_guard_arm(unsigned index);
void tpool__worker_guard_disarm(void);

#endif
