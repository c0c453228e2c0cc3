/* The backtest's spill files: unlinked temporary files of records that
 * only the end of the input can use, written and read at offsets.  struct
 * cmt_bt owns their descriptors and the block still in memory. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_int.h"

static int
spill_open(char *err)
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

static enum cmt_err
write_all(int fd, const void *buf, size_t n, int64_t off, char *err)
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
cmt_bt_spill_put(struct spill *sp, uint32_t rec, char *err)
{
	enum cmt_err e;

	if (sp->fd < 0 && (sp->fd = spill_open(err)) < 0)
		return CMT_EIO;
	if (sp->len + sizeof rec > sizeof sp->buf) {
		if ((e = write_all(sp->fd, sp->buf, sp->len, sp->size, err)))
			return e;
		sp->size += (int64_t)sp->len;
		sp->len = 0;
	}
	memcpy(sp->buf + sp->len, &rec, sizeof rec);
	sp->len += sizeof rec;
	return CMT_OK;
}

/* A symbol's point; a full block goes to the file, chained. */
enum cmt_err
cmt_bt_put_point(struct cmt_bt *bt, struct sym *st, int64_t t, double eq,
	double bh, char *err)
{
	struct block *b = st->blk;
	enum cmt_err e;
	int64_t off;

	if (!b) {
		if (!(b = st->blk = malloc(sizeof *b)))
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		b->next = -1;
		b->count = 0;
	}
	b->pt[b->count].t = t;
	b->pt[b->count].eq = eq;
	b->pt[b->count].bh = bh;
	if (++b->count < BLOCK_POINTS)
		return CMT_OK;
	if (bt->pts_fd < 0 && (bt->pts_fd = spill_open(err)) < 0)
		return CMT_EIO;
	off = bt->pts_size;
	if ((e = write_all(bt->pts_fd, b, sizeof *b, off, err)))
		return e;
	bt->pts_size += (int64_t)sizeof *b;
	if (st->last_blk >= 0 && (e = write_all(bt->pts_fd, &off, sizeof off,
	    st->last_blk + (int64_t)offsetof(struct block, next), err)))
		return e;
	if (st->first_blk < 0)
		st->first_blk = off;
	st->last_blk = off;
	b->count = 0;
	return CMT_OK;
}
