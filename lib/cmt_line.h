/* Line reader over a file descriptor with a hard line-length limit, so an
 * endless or hostile stream never grows memory.  Lines are returned without
 * the newline (and without a CR before it); a line longer than the limit is
 * consumed whole and reported as too long instead of being returned.  The
 * returned pointer is valid until the next call.  The reader owns its
 * buffer; free it with cmt_line_close (which does not close the fd). */
#ifndef CMT_LINE_H
#define CMT_LINE_H

#include <stddef.h>
#include <stdint.h>

#define CMT_LINE_MAX_DEFAULT (64 * 1024)

struct cmt_line {
	const char *s;
	size_t len;
	uint64_t no;      /* 1-based line number */
	int too_long;     /* the line exceeded the limit; s is NULL */
	int has_nul;      /* the line contains a NUL byte */
	int no_newline;   /* last line of the input had no final newline */
};

struct cmt_linereader;

struct cmt_linereader *cmt_line_open(int fd, size_t max_line);
void cmt_line_close(struct cmt_linereader *r);

/* 1: a line is in *ln; 0: end of input; -1: read error with errno set
 * (EINTR: a signal arrived; the caller checks its flag and may call again;
 * EAGAIN: a non-blocking fd has no complete line yet). */
int cmt_line_next(struct cmt_linereader *r, struct cmt_line *ln);

/* Bytes already read from the fd but not yet returned as lines: callers
 * that poll the fd must not block while this is non-zero. */
size_t cmt_line_pending(const struct cmt_linereader *r);

/* Call fn(ctx) when the reader is about to wait for input: no complete
 * line is buffered and the fd has nothing ready to read (a zero-timeout
 * poll).  Tools flush their output there, so output is block-buffered
 * while input keeps coming and nothing sits in a buffer while the tool
 * waits: one write() per input burst, not per line.  fn NULL: no hook. */
void cmt_line_on_idle(struct cmt_linereader *r, void (*fn)(void *),
	void *ctx);

#endif
