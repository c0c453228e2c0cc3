/* The report's spill files: unlinked temporary files of what only the end
 * of the input can use, written and read at offsets, and a sequential
 * file of fixed-size records with its tail in memory (struct spill).
 * Whoever opens a file owns its descriptor. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_int.h"

int
cmt_bt_spill_open(char *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof path, "%s/cmt-backtest.XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0) {
		cmt_errf(err, CMT_EIO, "temporary file in %s: %s", dir,
			strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

enum cmt_err
cmt_bt_write_at(int fd, const void *buf, size_t n, int64_t off, char *err)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return cmt_errf(err, CMT_EIO, "temporary file: %s",
				w < 0 ? strerror(errno) : "short write");
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return CMT_OK;
}

enum cmt_err
cmt_bt_read_at(int fd, void *buf, size_t n, int64_t off, char *err)
{
	char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return cmt_errf(err, CMT_EIO, "temporary file: %s",
				r < 0 ? strerror(errno) : "truncated");
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return CMT_OK;
}

enum cmt_err
cmt_bt_spill_put(struct spill *sp, const void *rec, size_t n, char *err)
{
	enum cmt_err e;

	if (sp->fd < 0 && (sp->fd = cmt_bt_spill_open(err)) < 0)
		return CMT_EIO;
	if (sp->len + n > sizeof sp->buf) {
		if ((e = cmt_bt_write_at(sp->fd, sp->buf, sp->len, sp->size,
		    err)))
			return e;
		sp->size += (int64_t)sp->len;
		sp->len = 0;
	}
	memcpy(sp->buf + sp->len, rec, n);
	sp->len += n;
	return CMT_OK;
}

enum cmt_err
cmt_bt_spill_get(const struct spill *sp, void *buf, size_t n, int64_t off,
	char *err)
{
	if (off >= sp->size) {
		memcpy(buf, sp->buf + (off - sp->size), n);
		return CMT_OK;
	}
	return cmt_bt_read_at(sp->fd, buf, n, off, err);
}
