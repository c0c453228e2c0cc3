#include <string.h>

#include "cmt_worker.h"

int
cmt_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t block, old;
	int e;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	e = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

static void *
trampoline(void *arg)
{
	struct cmt_worker *w = arg;

	w->job(w->arg);
	atomic_store(&w->done, 1);
	if (w->wake)
		w->wake(w->wake_arg);
	return NULL;
}

int
cmt_worker_start(struct cmt_worker *w, void (*job)(void *), void *arg,
	void (*wake)(void *), void *wake_arg)
{
	int e;

	w->job = job;
	w->arg = arg;
	w->wake = wake;
	w->wake_arg = wake_arg;
	w->cancel = 0;
	atomic_store(&w->done, 0);
	if ((e = cmt_thread_start(&w->thread, trampoline, w)) != 0) {
		atomic_store(&w->done, 1);
		return e;
	}
	w->running = 1;
	return 0;
}

int
cmt_worker_done(struct cmt_worker *w)
{
	return !w->running || atomic_load(&w->done);
}

void
cmt_worker_join(struct cmt_worker *w, int cancel)
{
	if (!w->running)
		return;
	if (cancel)
		w->cancel = 1;
	pthread_join(w->thread, NULL);
	w->running = 0;
}
