#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmt_instream.h"
#include "cmt_line.h"
#include "cmt_sniff.h"

#define READ_CHUNK (64 * 1024)

struct cmt_linereader {
	int fd;
	struct cmt_instream *in;  /* the bytes, gunzipped if need be */
	unsigned want;            /* kinds of input accepted; 0: any */
	const char *name;         /* the input's name, for the hint */
	int sniffed;              /* the first non-blank line was judged */
	char why[CMT_ERRLEN];     /* the input's look, when foreign */
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
	if (!(r->buf = malloc(r->cap)) || !(r->in = cmt_instream_open(fd))) {
		free(r->buf);
		free(r);
		return NULL;
	}
	return r;
}

void
cmt_line_close(struct cmt_linereader *r)
{
	if (r) {
		cmt_instream_close(r->in);
		free(r->buf);
		free(r);
	}
}

size_t
cmt_line_pending(const struct cmt_linereader *r)
{
	return r->end - r->start + (size_t)cmt_instream_buffered(r->in);
}

void
cmt_line_expect(struct cmt_linereader *r, unsigned kinds, const char *name)
{
	r->want = kinds;
	r->name = name;
}

const char *
cmt_line_error(const struct cmt_linereader *r)
{
	return r->sniffed < 0 ? r->why : cmt_instream_error(r->in);
}

int
cmt_line_gzip(const struct cmt_linereader *r)
{
	return cmt_instream_is_gzip(r->in);
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

	if (cmt_instream_buffered(r->in))
		return 0;
	return poll(&p, 1, 0) <= 0;
}

/* The first line with something on it says what the input is: a reader
 * that expects some kinds refuses another at once (-2), instead of
 * reporting every line of it. */
static int
judge(struct cmt_linereader *r, const char *s, size_t len)
{
	size_t i = 0;

	if (r->sniffed || !r->want)
		return 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if (i == len)
		return 0;
	r->sniffed = 1;
	if (cmt_sniff_check(s, len, r->want, r->name, r->why) == CMT_OK)
		return 0;
	r->sniffed = -1;
	return -2;
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
	/* a UTF-8 byte order mark (spreadsheet exports) is not data */
	if (ln->no == 1 && len >= 3 && memcmp(r->buf + from, "\xef\xbb\xbf",
	    3) == 0) {
		from += 3;
		len -= 3;
	}
	ln->s = r->buf + from;
	ln->len = len;
	ln->too_long = 0;
	ln->has_nul = memchr(ln->s, '\0', len) != NULL;
}

/* Read more of the input into the buffer: 1 read, 0 end, -1 error. */
static int
fill(struct cmt_linereader *r)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->idle && would_wait(r))
		r->idle(r->idle_ctx);
	n = cmt_instream_read(r->in, r->buf + r->end, r->cap - r->end);
	if (n < 0)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return n > 0;
}

/* A line, judged if it is the first with something on it. */
static int
deliver(struct cmt_linereader *r, struct cmt_line *ln)
{
	if (!ln->too_long && judge(r, ln->s, ln->len))
		return -2;
	return 1;
}

int
cmt_line_next(struct cmt_linereader *r, struct cmt_line *ln)
{
	char *nl;
	size_t len;

	if (r->sniffed < 0) {
		errno = EINVAL;
		return -2;
	}
	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl) {
			len = (size_t)(nl - (r->buf + r->start));
			if (len > r->max) {
				if (judge(r, r->buf + r->start, r->max))
					return -2;
				r->skipping = 1;
			}
			emit(r, ln, r->start, len, 0);
			r->start += len + 1;
			return deliver(r, ln);
		}
		if (r->end - r->start > r->max) {
			/* Overlong: judge its start if it is the first line,
			 * drop what we have, keep discarding to '\n'. */
			if (!r->skipping && judge(r, r->buf + r->start, r->max))
				return -2;
			r->skipping = 1;
			r->start = r->end = 0;
		}
		if (r->eof) {
			if (r->end == r->start && !r->skipping)
				return 0;
			len = r->end - r->start;
			emit(r, ln, r->start, len, 1);
			r->start = r->end;
			return deliver(r, ln);
		}
		if (fill(r) < 0)
			return -1;
	}
}

/* The first line of [s, s+n) with something on it: its start and
 * length (to its newline, or to n), or 0 when none is complete yet. */
static int
first_full(const char *s, size_t n, const char **at, size_t *len)
{
	const char *nl;

	while ((nl = memchr(s, '\n', n))) {
		if (strspn(s, " \t\r") < (size_t)(nl - s)) {
			*at = s;
			*len = (size_t)(nl - s);
			return 1;
		}
		n -= (size_t)(nl + 1 - s);
		s = nl + 1;
	}
	*at = s;
	*len = n;
	return 0;
}

int
cmt_line_peek(struct cmt_linereader *r, const char **s, size_t *len)
{
	while (!first_full(r->buf + r->start, r->end - r->start, s, len) &&
	    !r->eof && r->end - r->start <= r->max)
		if (fill(r) < 0)
			return -1;
	return *len > 0;
}

ssize_t
cmt_line_read_raw(struct cmt_linereader *r, char *buf, size_t cap)
{
	size_t n = r->end - r->start;

	if (n > 0) {
		if (n > cap)
			n = cap;
		memcpy(buf, r->buf + r->start, n);
		r->start += n;
		return (ssize_t)n;
	}
	if (r->eof)
		return 0;
	if (r->idle && would_wait(r))
		r->idle(r->idle_ctx);
	return cmt_instream_read(r->in, buf, cap);
}
