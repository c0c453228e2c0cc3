#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmt_line.h"

#define READ_CHUNK (64 * 1024)

struct cmt_linereader {
	int fd;
	size_t max;       /* longest line returned, without the newline */
	char *buf;
	size_t cap, start, end;
	uint64_t lineno;
	int skipping;     /* inside an overlong line, discarding to newline */
	int eof;
	void (*idle)(void *);
	void *idle_ctx;
};

struct cmt_linereader *
cmt_line_open(int fd, size_t max_line)
{
	struct cmt_linereader *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->fd = fd;
	r->max = max_line ? max_line : CMT_LINE_MAX_DEFAULT;
	r->cap = r->max + 1 + READ_CHUNK;
	if (!(r->buf = malloc(r->cap))) {
		free(r);
		return NULL;
	}
	return r;
}

void
cmt_line_close(struct cmt_linereader *r)
{
	if (r) {
		free(r->buf);
		free(r);
	}
}

size_t
cmt_line_pending(const struct cmt_linereader *r)
{
	return r->end - r->start;
}

void
cmt_line_on_idle(struct cmt_linereader *r, void (*fn)(void *), void *ctx)
{
	r->idle = fn;
	r->idle_ctx = ctx;
}

/* 1 if a read() of r->fd would block (or we cannot tell). */
static int
would_wait(const struct cmt_linereader *r)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	return poll(&p, 1, 0) <= 0;
}

static void
emit(struct cmt_linereader *r, struct cmt_line *ln, size_t from, size_t len,
	int no_newline)
{
	ln->no = ++r->lineno;
	ln->no_newline = no_newline;
	if (r->skipping) {
		ln->s = NULL;
		ln->len = 0;
		ln->too_long = 1;
		ln->has_nul = 0;
		r->skipping = 0;
		return;
	}
	if (len > 0 && r->buf[from + len - 1] == '\r')
		len--;
	ln->s = r->buf + from;
	ln->len = len;
	ln->too_long = 0;
	ln->has_nul = memchr(ln->s, '\0', len) != NULL;
}

int
cmt_line_next(struct cmt_linereader *r, struct cmt_line *ln)
{
	char *nl;
	ssize_t n;
	size_t len;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl) {
			len = (size_t)(nl - (r->buf + r->start));
			if (len > r->max)
				r->skipping = 1;
			emit(r, ln, r->start, len, 0);
			r->start += len + 1;
			return 1;
		}
		if (r->end - r->start > r->max) {
			/* Overlong: drop what we have, keep discarding to '\n'. */
			r->skipping = 1;
			r->start = r->end = 0;
		}
		if (r->eof) {
			if (r->end == r->start && !r->skipping)
				return 0;
			len = r->end - r->start;
			emit(r, ln, r->start, len, 1);
			r->start = r->end;
			return 1;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->idle && would_wait(r))
			r->idle(r->idle_ctx);
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0)
			return -1;
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
}
