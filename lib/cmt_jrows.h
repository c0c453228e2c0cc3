/* A JSON array of flat arrays of numbers, [[1,2.5,...],[...],...], read
 * as a stream of rows, however long the file and however it is broken
 * into lines (freqtrade's candle files are one line of megabytes).  Each
 * row comes out as its text between the brackets without blanks, so
 * "1,2.5,3" splits like a CSV line.  Nested arrays, objects and strings
 * inside a row are syntax errors.  Reads through a line reader's raw
 * bytes (cmt_line_read_raw), which stays the caller's; the struct holds
 * its buffers (about 64 KiB). */
#ifndef CMT_JROWS_H
#define CMT_JROWS_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_line.h"

#define CMT_JROWS_ROW_MAX 512
#define CMT_JROWS_CHUNK (64 * 1024)

struct cmt_jrows {
	struct cmt_linereader *lr;
	int state, eof;
	uint64_t rowno;                   /* rows begun, 1-based */
	size_t at, end, row_len;
	char row[CMT_JROWS_ROW_MAX + 1];
	char raw[CMT_JROWS_CHUNK];
};

void cmt_jrows_init(struct cmt_jrows *j, struct cmt_linereader *lr);

/* The next row: CMT_OK with *row, *len (valid until the next call);
 * CMT_ESKIP at the end of the array; CMT_EIO on a read error (errno
 * EINTR: call again, nothing is lost); CMT_ETOOLONG for a row over
 * CMT_JROWS_ROW_MAX bytes (skipped, the reading goes on); CMT_ESYNTAX
 * when the text is not such an array or ends early (the reading ends).
 * j->rowno numbers the row in messages. */
enum cmt_err cmt_jrows_next(struct cmt_jrows *j, const char **row,
	size_t *len, char *err);

#endif
