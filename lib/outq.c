#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmt_outq.h"

struct cmt_outq {
	int fd;
	size_t max;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *pend, *out;     /* producer appends to pend; writer owns out */
	size_t npend, nout;   /* nout: bytes the writer still holds */
	int closing, err;
};

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *
writer(void *arg)
{
	struct cmt_outq *q = arg;
	char *t;
	size_t n;
	int e;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->npend == 0 && !q->closing)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->npend == 0)
			break;
		t = q->out;
		q->out = q->pend;
		q->pend = t;
		n = q->nout = q->npend;
		q->npend = 0;
		pthread_mutex_unlock(&q->mu);
		e = write_all(q->fd, q->out, n);
		pthread_mutex_lock(&q->mu);
		q->nout = 0;
		if (e) {
			q->err = e;
			break;
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct cmt_outq *
cmt_outq_new(int fd, size_t max)
{
	struct cmt_outq *q = calloc(1, sizeof *q);
	sigset_t block, old;

	if (!q)
		return NULL;
	q->fd = fd;
	q->max = max;
	q->pend = malloc(max);
	q->out = malloc(max);
	if (!q->pend || !q->out)
		goto fail;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&q->thread, NULL, writer, q)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		goto fail;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return q;
fail:
	free(q->pend);
	free(q->out);
	free(q);
	return NULL;
}

int
cmt_outq_push(struct cmt_outq *q, const char *buf, size_t n)
{
	int r = 0;

	pthread_mutex_lock(&q->mu);
	if (q->err) {
		r = -1;
	} else if (q->npend + n > q->max) {
		r = 1;
	} else {
		memcpy(q->pend + q->npend, buf, n);
		if (q->npend == 0)
			pthread_cond_signal(&q->cv);
		q->npend += n;
	}
	pthread_mutex_unlock(&q->mu);
	return r;
}

size_t
cmt_outq_backlog(struct cmt_outq *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->npend + q->nout;
	pthread_mutex_unlock(&q->mu);
	return n;
}

int
cmt_outq_error(struct cmt_outq *q)
{
	int e;

	pthread_mutex_lock(&q->mu);
	e = q->err;
	pthread_mutex_unlock(&q->mu);
	return e;
}

int
cmt_outq_close(struct cmt_outq *q)
{
	int e;

	pthread_mutex_lock(&q->mu);
	q->closing = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	e = q->err;
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->pend);
	free(q->out);
	free(q);
	return e;
}
