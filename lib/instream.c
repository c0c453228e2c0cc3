#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cmt_instream.h"

#define IN_CHUNK (64 * 1024)

enum mode { SNIFF, PLAIN, GZIP };

struct cmt_instream {
	int fd;
	enum mode mode;
	int eof;                /* read() gave 0 */
	int failed;             /* damaged gzip data: every read fails */
	int z_ready;            /* inflateInit2 done */
	int in_member;          /* inside a gzip member */
	int more_out;           /* inflate filled the caller's buffer: it
	                         * may hold output without more input */
	z_stream z;
	size_t plain_at, plain_end;  /* sniffed bytes not yet handed out */
	char why[160];
	unsigned char in[IN_CHUNK];
};

struct cmt_instream *
cmt_instream_open(int fd)
{
	struct cmt_instream *s = calloc(1, sizeof *s);

	if (s)
		s->fd = fd;
	return s;
}

void
cmt_instream_close(struct cmt_instream *s)
{
	if (!s)
		return;
	if (s->z_ready)
		inflateEnd(&s->z);
	free(s);
}

int
cmt_instream_is_gzip(const struct cmt_instream *s)
{
	return s->mode == GZIP;
}

int
cmt_instream_buffered(const struct cmt_instream *s)
{
	if (s->mode == GZIP)
		return !s->failed && (s->z.avail_in > 0 || s->more_out);
	return s->plain_at < s->plain_end;
}

const char *
cmt_instream_error(const struct cmt_instream *s)
{
	return s->failed ? s->why : strerror(errno);
}

static ssize_t
fail(struct cmt_instream *s, const char *fmt, const char *detail)
{
	s->failed = 1;
	snprintf(s->why, sizeof s->why, fmt, detail ? detail : "");
	errno = EILSEQ;
	return -1;
}

/* The first two bytes decide: gzip magic or plain bytes. */
static int
sniff(struct cmt_instream *s)
{
	ssize_t n;

	while (s->plain_end < 2 && !s->eof) {
		n = read(s->fd, s->in + s->plain_end, IN_CHUNK - s->plain_end);
		if (n < 0)
			return -1;
		if (n == 0)
			s->eof = 1;
		s->plain_end += (size_t)n;
	}
	if (s->plain_end >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b) {
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
			errno = ENOMEM;
			return -1;
		}
		s->z_ready = 1;
		s->z.next_in = s->in;
		s->z.avail_in = (uInt)s->plain_end;
		s->plain_end = 0;
		s->mode = GZIP;
	} else {
		s->mode = PLAIN;
	}
	return 0;
}

static ssize_t
read_gzip(struct cmt_instream *s, unsigned char *buf, size_t cap)
{
	ssize_t n;
	size_t got;
	int rc;

	for (;;) {
		if (s->z.avail_in == 0 && !s->eof && !s->more_out) {
			n = read(s->fd, s->in, IN_CHUNK);
			if (n < 0)
				return -1;
			if (n == 0)
				s->eof = 1;
			s->z.next_in = s->in;
			s->z.avail_in = (uInt)n;
			continue;
		}
		if (!s->in_member) {
			/* between members: the end, or the next member */
			if (s->z.avail_in == 0)
				return 0;
			if (s->z.avail_in < 2 && !s->eof) {
				memmove(s->in, s->z.next_in, s->z.avail_in);
				n = read(s->fd, s->in + 1, IN_CHUNK - 1);
				if (n < 0)
					return -1;
				if (n == 0)
					s->eof = 1;
				s->z.next_in = s->in;
				s->z.avail_in += (uInt)n;
				continue;
			}
			if (s->z.avail_in < 2 || s->z.next_in[0] != 0x1f ||
			    s->z.next_in[1] != 0x8b)
				return fail(s, "data after the end of the gzip "
					"stream%s", NULL);
			inflateReset(&s->z);
			s->in_member = 1;
		}
		s->z.next_out = buf;
		s->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
		rc = inflate(&s->z, Z_NO_FLUSH);
		got = cap - s->z.avail_out;
		s->more_out = s->z.avail_out == 0;
		if (rc == Z_STREAM_END) {
			s->in_member = 0;
			s->more_out = 0;
		} else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT ||
		    rc == Z_STREAM_ERROR || rc == Z_MEM_ERROR) {
			if (got > 0) {
				/* hand out what came before the damage */
				s->more_out = 0;
				s->z.avail_in = 0;
				s->eof = 1;
				s->failed = 1;
				snprintf(s->why, sizeof s->why, "corrupt gzip data "
					"(%s)", s->z.msg ? s->z.msg : "zlib");
				return (ssize_t)got;
			}
			return fail(s, "corrupt gzip data (%s)", s->z.msg ?
				s->z.msg : "zlib");
		}
		if (got > 0)
			return (ssize_t)got;
		if (s->in_member && s->z.avail_in == 0 && s->eof)
			return fail(s, "the gzip data ends early (a truncated "
				"file?)%s", NULL);
	}
}

ssize_t
cmt_instream_read(struct cmt_instream *s, void *buf, size_t cap)
{
	size_t n;

	if (s->failed) {
		errno = EILSEQ;
		return -1;
	}
	if (cap == 0)
		return 0;
	if (s->mode == SNIFF && sniff(s) < 0)
		return -1;
	if (s->mode == GZIP)
		return read_gzip(s, buf, cap);
	if (s->plain_at < s->plain_end) {
		n = s->plain_end - s->plain_at;
		if (n > cap)
			n = cap;
		memcpy(buf, s->in + s->plain_at, n);
		s->plain_at += n;
		return (ssize_t)n;
	}
	if (s->eof)
		return 0;
	return read(s->fd, buf, cap);
}
