/* A one-shot background job of the live path (the warm start, a gap
 * fill): a thread with SIGINT and SIGTERM blocked, so that signals reach
 * the main loop, which stops the job through its cancel flag (the job's
 * stop flag: its requests are cut at once); a flag saying the job has
 * ended; and a hook called from the thread at its end to wake the main
 * loop.  The caller owns the struct; cmt_worker_join ends the thread. */
#ifndef CMT_WORKER_H
#define CMT_WORKER_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

struct cmt_worker {
	pthread_t thread;
	atomic_int done;                /* the job has returned */
	volatile sig_atomic_t cancel;   /* the job's stop flag */
	int running;                    /* started and not yet joined */
	void (*job)(void *arg);
	void *arg;
	void (*wake)(void *arg);        /* may be NULL */
	void *wake_arg;
};

/* A thread running fn(arg) with SIGINT and SIGTERM blocked; 0 or an
 * errno. */
int cmt_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* Run job(arg) on a thread of its own; 0 or an errno. */
int cmt_worker_start(struct cmt_worker *w, void (*job)(void *),
	void *arg, void (*wake)(void *), void *wake_arg);

/* 1 when the job has returned (or was never started). */
int cmt_worker_done(struct cmt_worker *w);

/* Wait for the job, first setting its cancel flag when cancel is set. */
void cmt_worker_join(struct cmt_worker *w, int cancel);

#endif
