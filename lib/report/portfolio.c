/* The long/flat trading rule (cmt_bt_trade, and a row at a time) and the
 * equal-weight portfolio merged from the symbols' spilled points.  The
 * caller owns what it passes; cmt_bt_portfolio frees its own cursors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* Mean over standard deviation of per-period returns from their sum and
 * sum of squares; NAN with fewer than two periods or no variance. */
static double
sharpe(size_t periods, double sum, double sum2)
{
	double np = (double)periods, mean, var;

	if (periods < 2)
		return NAN;
	mean = sum / np;
	var = (sum2 - np * mean * mean) / (np - 1);
	return var > 0 ? mean / sqrt(var) : NAN;
}

void
cmt_bt_trade_begin(struct trade *t, double fee_bps)
{
	memset(t, 0, sizeof *t);
	t->f = fee_bps / 1e4;
	t->eq = t->peak = t->bh = t->entry = 1;
	t->out.max_dd = 0;
}

/* The row after the previous one: the position decided there earns the
 * return to px.  Returns the rule's equity now. */
double
cmt_bt_trade_step(struct trade *t, double px, double p, double theta)
{
	struct cmt_bt_trading *out = &t->out;
	double g, r;
	int pos;

	if (t->rows++ == 0) {
		t->px = t->px0 = px;
		t->p = p;
		return t->eq;
	}
	pos = !isnan(t->p) && t->p > theta;
	r = px / t->px - 1;
	if (pos && !t->prev) {
		out->trades++;
		t->entry = t->eq;
	}
	g = (pos != t->prev ? 1 - t->f : 1) * (1 + (pos ? r : 0));
	t->eq *= g;
	if (!pos && t->prev && t->eq / t->entry - 1 > 0)
		out->wins++;
	t->bh *= 1 + r;
	out->periods++;
	out->long_periods += pos;
	t->sum += g - 1;
	t->sum2 += (g - 1) * (g - 1);
	if (t->eq > t->peak)
		t->peak = t->eq;
	if (1 - t->eq / t->peak > out->max_dd)
		out->max_dd = 1 - t->eq / t->peak;
	t->prev = pos;
	t->px = px;
	t->p = p;
	return t->eq;
}

/* The results so far, as if the input ended here. */
void
cmt_bt_trade_end(const struct trade *t, struct cmt_bt_trading *out)
{
	*out = t->out;
	if (t->prev && t->eq / t->entry - 1 > 0)
		out->wins++;
	out->ret = t->eq - 1;
	out->bh_ret = t->bh - 1;
	out->hit_rate = out->trades ? (double)out->wins / (double)out->trades :
		NAN;
	out->sharpe = sharpe(out->periods, t->sum, t->sum2);
}

void
cmt_bt_trade(const double *px, const double *p, size_t n, double theta,
	double fee_bps, struct cmt_bt_trading *out, double *equity)
{
	struct trade t;
	size_t i;

	cmt_bt_trade_begin(&t, fee_bps);
	for (i = 0; i < n; i++) {
		double eq = cmt_bt_trade_step(&t, px[i], p[i], theta);

		if (equity)
			equity[i] = eq;
	}
	cmt_bt_trade_end(&t, out);
}

/* ---- the portfolio ---- */

/* A cursor over one symbol's points: its spilled blocks in order, then
 * the block still in memory. */
struct cursor {
	const struct block *cur;
	int64_t next;      /* next spilled block; -1: the memory one; -2: none */
	int64_t i;
	int s;
	struct block buf;
};

static int
cursor_before(const struct cursor *a, const struct cursor *b)
{
	const struct point *x = &a->cur->pt[a->i], *z = &b->cur->pt[b->i];

	return x->t < z->t || (x->t == z->t && a->s < b->s);
}

/* Move to the next point: 1, 0 at the end, -1 on a read error. */
static int
cursor_next(struct cmt_bt *bt, struct cursor *c, char *err)
{
	c->i++;
	while (!c->cur || c->i >= c->cur->count) {
		if (c->next >= 0) {
			if (cmt_bt_read_at(bt->pts_fd, &c->buf, sizeof c->buf,
			    c->next, err))
				return -1;
			c->cur = &c->buf;
			c->next = c->buf.next;
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

static void
sift_down(struct cursor **h, size_t n, size_t i)
{
	struct cursor *t;
	size_t k;

	for (;;) {
		k = 2 * i + 1;
		if (k >= n)
			return;
		if (k + 1 < n && cursor_before(h[k + 1], h[k]))
			k++;
		if (!cursor_before(h[k], h[i]))
			return;
		t = h[i];
		h[i] = h[k];
		h[k] = t;
		i = k;
	}
}

/* The equal-weight portfolio: each symbol is a sub-account with 1/S of
 * the capital, valued at its latest equity.  The symbols' equity changes
 * are merged in time order (on equal times, in symbol order, as the
 * stable sort of the concatenated per-symbol changes did) and summed per
 * distinct time.  draw == 0: the figures, the number of curve points and
 * their range; draw > 0: keep every draw-th curve point for the plot. */
enum cmt_err
cmt_bt_portfolio(struct cmt_bt *bt, size_t draw, char *err)
{
	struct cmt_bt_trading *all = &bt->groups[bt->nsym].trading;
	struct cursor *c, **h;
	double v = 1, vb = 1, peak = 1, prev = 1, sum = 0, sum2 = 0;
	double ns = bt->nsym;
	size_t nh = 0, i, n = 0;
	int s, rc;

	c = calloc((size_t)bt->nsym + 1, sizeof *c);
	h = calloc((size_t)bt->nsym + 1, sizeof *h);
	if (!c || !h) {
		free(c);
		free(h);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	for (s = 0; s < bt->nsym; s++) {
		c[s].s = s;
		c[s].next = bt->st[s]->first_blk >= 0 ? bt->st[s]->first_blk : -1;
		c[s].i = -1;
		if ((rc = cursor_next(bt, &c[s], err)) < 0)
			goto fail;
		if (rc)
			h[nh++] = &c[s];
	}
	for (i = nh; i-- > 0;)
		sift_down(h, nh, i);
	if (!draw) {
		bt->curve_lo = bt->curve_hi = 1;
		all->max_dd = 0;
	}
	while (nh > 0) {
		int64_t t = h[0]->cur->pt[h[0]->i].t;

		while (nh > 0 && h[0]->cur->pt[h[0]->i].t == t) {
			const struct point *pt = &h[0]->cur->pt[h[0]->i];

			v += pt->eq / ns;
			vb += pt->bh / ns;
			if ((rc = cursor_next(bt, h[0], err)) < 0)
				goto fail;
			if (!rc)
				h[0] = h[--nh];
			sift_down(h, nh, 0);
		}
		if (draw) {
			if (n % draw == 0) {
				bt->curve[bt->ndrawn].t = t;
				bt->curve[bt->ndrawn].eq = v;
				bt->curve[bt->ndrawn].bh = vb;
				bt->ndrawn++;
			}
			n++;
			continue;
		}
		if (n == 0)
			bt->curve_t0 = t;
		bt->curve_t1 = t;
		bt->curve_lo = fmin(bt->curve_lo, fmin(v, vb));
		bt->curve_hi = fmax(bt->curve_hi, fmax(v, vb));
		n++;
		all->periods++;
		sum += v / prev - 1;
		sum2 += (v / prev - 1) * (v / prev - 1);
		prev = v;
		if (v > peak)
			peak = v;
		if (1 - v / peak > all->max_dd)
			all->max_dd = 1 - v / peak;
	}
	free(c);
	free(h);
	if (draw)
		return CMT_OK;
	bt->ncurve = n;
	all->ret = v - 1;
	all->sharpe = sharpe(all->periods, sum, sum2);
	return CMT_OK;
fail:
	free(c);
	free(h);
	return CMT_EIO;
}
