/* The input layer every tool reads through: a line reader over a file
 * descriptor with a hard line-length limit, so an endless or hostile
 * stream never grows memory.  The same rules hold for every input:
 * - gzip data (a .gz file, or gzip on a pipe) is decompressed
 *   (lib/instream.c); damaged gzip data is a read error after the lines
 *   before the damage;
 * - a UTF-8 byte order mark before the first line is dropped;
 * - lines are returned without the newline (and without a CR before it);
 *   a line longer than the limit is consumed whole and reported as too
 *   long instead of being returned;
 * - a reader that expects some kinds of input (cmt_line_expect) has the
 *   first line with something on it judged by cmt_sniff_check
 *   (lib/sniff.c): input of another kind ends the reading at once.
 * The returned pointer is valid until the next call.  The reader owns its
 * buffers; free them with cmt_line_close (which does not close the fd). */
#ifndef CMT_LINE_H
#define CMT_LINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
 * EAGAIN: a non-blocking fd has no complete line yet; otherwise
 * cmt_line_error says what failed); CMT_LINE_FOREIGN: the input is of a
 * kind the reader does not expect (cmt_line_error says what it looks like
 * and which tool reads it; ln->no is the line), and stays so. */
#define CMT_LINE_FOREIGN (-2)
int cmt_line_next(struct cmt_linereader *r, struct cmt_line *ln);

/* Expect input of these kinds (CMT_KIND_BIT()s of cmt_sniff.h, or'ed);
 * 0, the default, accepts anything.  name (kept, not copied) names the
 * input in the refusal's example command. */
void cmt_line_expect(struct cmt_linereader *r, unsigned kinds,
	const char *name);

/* The reason for the last -1 or CMT_LINE_FOREIGN, for a message. */
const char *cmt_line_error(const struct cmt_linereader *r);

/* 1 once the input was seen to be gzip-compressed. */
int cmt_line_gzip(const struct cmt_linereader *r);

/* Readers of formats that are not lines (a JSON array of candles) look
 * at the input first: *s and *len get its first line with something on it
 * (without the newline; the bytes buffered, when the line is longer than
 * the limit or the input ends first), consuming nothing; 1, 0 when the
 * input has nothing, -1 on error.
 * cmt_line_read_raw then hands out the bytes themselves, the buffered
 * ones first: > 0 bytes, 0 at the end, -1 on error (as cmt_line_next).
 * Do not mix cmt_line_read_raw and cmt_line_next on one reader. */
int cmt_line_peek(struct cmt_linereader *r, const char **s, size_t *len);
ssize_t cmt_line_read_raw(struct cmt_linereader *r, char *buf, size_t cap);

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
