#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmt_clock.h"
#include "cmt_outq.h"
#include "cmt_worker.h"

struct cmt_outq {
	int fd;
	int regular;          /* a regular file: writes never wait */
	int sock;             /* a socket: sent without waiting */
	size_t max;
	volatile sig_atomic_t *stop;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *pend, *out;     /* producer appends to pend; writer owns out */
	size_t npend, nout;   /* nout: bytes the writer still holds */
	size_t unwritten;     /* given up with the reader stuck */
	int closing, err;
};

/* Write p[0 .. n).  A pipe or socket is written only when poll says it
 * takes data, a piece that cannot block (PIPE_BUF), so the writer never
 * sleeps in write() where a stop could not reach it: once *stop is set,
 * a reader that takes nothing for CMT_OUTQ_STALL_MS is given up on
 * (ETIMEDOUT, with *left the bytes not written). */
static int
write_all(struct cmt_outq *q, const char *p, size_t n, size_t *left)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };
	int64_t stalled = 0, now;
	size_t chunk;
	ssize_t w;
	int r;

	while (n > 0) {
		chunk = n;
		if (!q->regular) {
			r = poll(&pfd, 1, 100);
			if (r < 0 && errno != EINTR)
				return errno;
			if (r <= 0) {
				if (!*q->stop)
					continue;
				now = cmt_clock_mono_ms();
				if (!stalled)
					stalled = now;
				else if (now - stalled >= CMT_OUTQ_STALL_MS) {
					*left = n;
					return ETIMEDOUT;
				}
				continue;
			}
			if (pfd.revents & (POLLERR | POLLHUP) &&
			    !(pfd.revents & POLLOUT))
				chunk = 1;      /* write() says which error */
			else if (chunk > PIPE_BUF)
				chunk = PIPE_BUF;
			stalled = 0;
			w = q->sock ? send(q->fd, p, chunk, MSG_DONTWAIT |
				MSG_NOSIGNAL) : write(q->fd, p, chunk);
		} else {
			w = write(q->fd, p, chunk);
		}
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
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
	size_t n, left = 0;
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
		e = write_all(q, q->out, n, &left);
		pthread_mutex_lock(&q->mu);
		q->nout = 0;
		if (e) {
			q->err = e;
			q->unwritten = left + q->npend;
			break;
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct cmt_outq *
cmt_outq_new(int fd, size_t max, volatile sig_atomic_t *stop)
{
	struct cmt_outq *q = calloc(1, sizeof *q);
	struct stat st;

	if (!q)
		return NULL;
	q->fd = fd;
	q->max = max;
	q->stop = stop;
	if (fstat(fd, &st) == 0) {
		q->regular = S_ISREG(st.st_mode);
		q->sock = S_ISSOCK(st.st_mode);
	}
	q->pend = malloc(max);
	q->out = malloc(max);
	if (!q->pend || !q->out)
		goto fail;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (cmt_thread_start(&q->thread, writer, q)) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		goto fail;
	}
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
cmt_outq_close(struct cmt_outq *q, size_t *unwritten)
{
	int e;

	pthread_mutex_lock(&q->mu);
	q->closing = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	e = q->err;
	if (unwritten)
		*unwritten = q->unwritten;
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->pend);
	free(q->out);
	free(q);
	return e;
}
