/* The bytes of one input (a file or stdin), gunzipped when they begin
 * with the gzip magic: the one place where compressed input is
 * recognised, so every tool reads `.gz` files and gzip on a pipe alike.
 * Concatenated gzip members (`gzip >> file`) are read one after another;
 * a stream that ends inside a member, or whose data is corrupt, is an
 * error after the bytes decoded before the damage.  The stream owns its
 * buffers and zlib state; the fd stays the caller's.  Works on blocking
 * and non-blocking descriptors alike (EAGAIN passes through). */
#ifndef CMT_INSTREAM_H
#define CMT_INSTREAM_H

#include <stddef.h>
#include <sys/types.h>

struct cmt_instream;

/* NULL when out of memory. */
struct cmt_instream *cmt_instream_open(int fd);
void cmt_instream_close(struct cmt_instream *s);

/* Up to cap decoded bytes into buf: the count (> 0), 0 at the end of the
 * input, or -1 with errno set: EINTR and EAGAIN from read(), EILSEQ for
 * damaged gzip data (cmt_instream_error says how), or read()'s own. */
ssize_t cmt_instream_read(struct cmt_instream *s, void *buf, size_t cap);

/* 1 if compressed bytes are buffered, so a read may give data without
 * touching the fd (callers that poll the fd must not wait then). */
int cmt_instream_buffered(const struct cmt_instream *s);

/* 1 once the input was seen to be gzip data. */
int cmt_instream_is_gzip(const struct cmt_instream *s);

/* What the last -1 meant, for a message: the gzip damage, or
 * strerror(errno) of the failed read. */
const char *cmt_instream_error(const struct cmt_instream *s);

#endif
