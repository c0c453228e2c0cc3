/* Each symbol's points (its equity after each of its rows), spilled in
 * chained blocks by cmt_bt_add, and the two walks over them: one symbol's
 * in time order (the plot's panels), and all symbols' merged in time order
 * into the equal-weight portfolio (its figures and the plot).  struct
 * cmt_bt owns the blocks still in memory; a walk owns its cursors. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

static size_t
block_bytes(const struct cmt_bt *bt)
{
	return sizeof(struct block) +
		BLOCK_POINTS * (size_t)bt->pt_size * sizeof(double);
}

/* A symbol's point; a full block goes to the file, chained. */
enum cmt_err
cmt_bt_put_point(struct cmt_bt *bt, struct sym *st, const double *v,
	char *err)
{
	struct block *b = st->blk;
	enum cmt_err e;
	int64_t off;

	if (!b) {
		if (!(b = st->blk = malloc(block_bytes(bt))))
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		b->next = -1;
		b->count = 0;
	}
	memcpy(b->v + b->count * bt->pt_size, v, (size_t)bt->pt_size *
		sizeof *v);
	if (++b->count < BLOCK_POINTS)
		return CMT_OK;
	if (bt->pts_fd < 0 && (bt->pts_fd = cmt_bt_spill_open(err)) < 0)
		return CMT_EIO;
	off = bt->pts_size;
	if ((e = cmt_bt_write_at(bt->pts_fd, b, block_bytes(bt), off, err)))
		return e;
	bt->pts_size += (int64_t)block_bytes(bt);
	if (st->last_blk >= 0 && (e = cmt_bt_write_at(bt->pts_fd, &off,
	    sizeof off, st->last_blk + (int64_t)offsetof(struct block, next),
	    err)))
		return e;
	if (st->first_blk < 0)
		st->first_blk = off;
	st->last_blk = off;
	b->count = 0;
	return CMT_OK;
}

/* A cursor over one symbol's points: its spilled blocks in order, then
 * the block still in memory.  prev holds the values of the point before
 * (all 1 before the first: the symbol's first row). */
struct cursor {
	const struct block *cur;
	int64_t next;      /* next spilled block; -1: the memory one; -2: none */
	int64_t i;
	int s;
	double prev[PV_MAX];
	double maj_f;      /* the majority's equity per buy-and-hold (0: flat) */
	struct block *buf;
};

static const double *
cursor_point(const struct cmt_bt *bt, const struct cursor *c)
{
	return c->cur->v + c->i * bt->pt_size;
}

static int
cursor_before(const struct cmt_bt *bt, const struct cursor *a,
	const struct cursor *b)
{
	double x = cursor_point(bt, a)[PT_T], z = cursor_point(bt, b)[PT_T];

	return x < z || (x == z && a->s < b->s);
}

/* Move to the next point: 1, 0 at the end, -1 on a read error. */
static int
cursor_next(const struct cmt_bt *bt, struct cursor *c, char *err)
{
	c->i++;
	while (!c->cur || c->i >= c->cur->count) {
		if (c->next >= 0) {
			if (cmt_bt_read_at(bt->pts_fd, c->buf, block_bytes(bt),
			    c->next, err))
				return -1;
			c->cur = c->buf;
			c->next = c->buf->next;
		} else if (c->next == -1) {
			c->cur = bt->st[c->s]->blk;
			c->next = -2;
			if (!c->cur)
				return 0;
		} else {
			return 0;
		}
		c->i = 0;
	}
	return 1;
}

/* Start a cursor on symbol s: 1, 0 when it has no point, -1 on error. */
static int
cursor_start(const struct cmt_bt *bt, struct cursor *c, int s, char *err)
{
	int k;

	memset(c, 0, sizeof *c);
	c->s = s;
	c->next = bt->st[s]->first_blk >= 0 ? bt->st[s]->first_blk : -1;
	c->i = -1;
	for (k = 0; k < PV_MAX; k++)
		c->prev[k] = 1;
	/* the majority forecasts the symbol's share up everywhere: long at
	 * every row when it is above theta, paying one entry fee */
	if (bt->groups && bt->groups[s].base_rate > bt->o.theta)
		c->maj_f = 1 - bt->o.fee_bps / 1e4;
	if (!(c->buf = malloc(block_bytes(bt))))
		return -1;
	return cursor_next(bt, c, err);
}

/* The symbol's values at the cursor's point, in PV_* order. */
static void
cursor_values(const struct cmt_bt *bt, const struct cursor *c, double *pv)
{
	const double *v = cursor_point(bt, c);

	pv[PV_EQ] = v[PT_EQ];
	pv[PV_GROSS] = v[PT_GROSS];
	if (bt->pt_size < PT_MAX)
		return;
	pv[PV_BH] = v[PT_BH];
	pv[PV_MAJ] = c->maj_f ? c->maj_f * v[PT_BH] : 1;
	pv[PV_MOM] = v[PT_MOM];
	pv[PV_REV] = v[PT_REV];
}

enum cmt_err
cmt_bt_walk_symbol(const struct cmt_bt *bt, int s,
	void (*each)(void *ctx, int64_t t, const double *pv), void *ctx,
	char *err)
{
	struct cursor c;
	double pv[PV_MAX];
	int rc;

	if (err)
		*err = '\0';
	for (rc = cursor_start(bt, &c, s, err); rc > 0;
	    rc = cursor_next(bt, &c, err)) {
		cursor_values(bt, &c, pv);
		each(ctx, (int64_t)cursor_point(bt, &c)[PT_T], pv);
	}
	free(c.buf);
	if (rc < 0)
		return err && *err ? CMT_EIO : cmt_errf(err, CMT_ENOMEM,
			"out of memory");
	return CMT_OK;
}

static void
sift_down(const struct cmt_bt *bt, struct cursor **h, size_t n, size_t i)
{
	struct cursor *t;
	size_t k;

	for (;;) {
		k = 2 * i + 1;
		if (k >= n)
			return;
		if (k + 1 < n && cursor_before(bt, h[k + 1], h[k]))
			k++;
		if (!cursor_before(bt, h[k], h[i]))
			return;
		t = h[i];
		h[i] = h[k];
		h[k] = t;
		i = k;
	}
}

/* The symbols' changes are merged in time order (on equal times, in
 * symbol order, as the stable sort of the concatenated per-symbol changes
 * did) and summed per distinct time. */
enum cmt_err
cmt_bt_walk_portfolio(const struct cmt_bt *bt,
	void (*each)(void *ctx, int64_t t, const double *pv), void *ctx,
	char *err)
{
	struct cursor *c, **h;
	double v[PV_MAX], cur[PV_MAX], ns = bt->nsym;
	size_t nh = 0, i;
	int s, rc = 0, k, nv = bt->pt_size < PT_MAX ? PV_BH : PV_MAX;

	c = calloc((size_t)bt->nsym + 1, sizeof *c);
	h = calloc((size_t)bt->nsym + 1, sizeof *h);
	if (!c || !h) {
		free(c);
		free(h);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	if (err)
		*err = '\0';
	for (s = 0; s < bt->nsym && rc >= 0; s++)
		if ((rc = cursor_start(bt, &c[s], s, err)) > 0)
			h[nh++] = &c[s];
	for (i = nh; rc >= 0 && i-- > 0;)
		sift_down(bt, h, nh, i);
	for (k = 0; k < PV_MAX; k++)
		v[k] = 1;
	while (rc >= 0 && nh > 0) {
		int64_t t = (int64_t)cursor_point(bt, h[0])[PT_T];

		while (nh > 0 && cursor_point(bt, h[0])[PT_T] == (double)t) {
			cursor_values(bt, h[0], cur);
			for (k = 0; k < nv; k++) {
				v[k] += (cur[k] - h[0]->prev[k]) / ns;
				h[0]->prev[k] = cur[k];
			}
			if ((rc = cursor_next(bt, h[0], err)) < 0)
				break;
			if (!rc)
				h[0] = h[--nh];
			sift_down(bt, h, nh, 0);
		}
		if (rc >= 0)
			each(ctx, t, v);
	}
	for (s = 0; s < bt->nsym; s++)
		free(c[s].buf);
	free(c);
	free(h);
	if (rc < 0)
		return err && *err ? CMT_EIO : cmt_errf(err, CMT_ENOMEM,
			"out of memory");
	return CMT_OK;
}
