/* The long/flat trading rule (cmt_bt_trade, and a row at a time) with
 * its trades, the threshold sweep, and the equal-weight portfolio's
 * figures from the symbols' merged points.  The caller owns what it
 * passes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_fmt.h"
#include "cmt_parse.h"

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
	t->eq = t->gross = t->peak = t->bh = t->entry = 1;
	t->out.max_dd = 0;
}

int
cmt_bt_trade_step(struct trade *t, int64_t tm, double px, double p,
	double theta)
{
	struct cmt_bt_trading *out = &t->out;
	double g, r;
	int pos, closed = 0;

	if (t->rows++ == 0) {
		t->px = t->px0 = px;
		t->p = p;
		t->t = tm;
		return TRADE_NONE;
	}
	pos = !isnan(t->p) && t->p > theta;
	r = px / t->px - 1;
	if (pos && !t->prev) {
		out->trades++;
		t->entry = t->eq;
		t->open.entry_t = t->t;
		t->open.entry_px = t->px;
		t->open.steps = 0;
	}
	g = (pos != t->prev ? 1 - t->f : 1) * (1 + (pos ? r : 0));
	t->eq *= g;
	t->gross *= 1 + (pos ? r : 0);
	if (!pos && t->prev) {
		/* the trade decided flat at the previous row: out there */
		t->open.exit_t = t->t;
		t->open.exit_px = t->px;
		t->open.gross = t->px / t->open.entry_px - 1;
		t->open.net = t->eq / t->entry - 1;
		t->open.open = 0;
		out->wins += t->open.net > 0;
		closed = 1;
	}
	t->bh *= 1 + r;
	out->periods++;
	out->long_periods += pos;
	t->open.steps += pos;
	t->sum += g - 1;
	t->sum2 += (g - 1) * (g - 1);
	if (t->eq > t->peak)
		t->peak = t->eq;
	if (1 - t->eq / t->peak > out->max_dd)
		out->max_dd = 1 - t->eq / t->peak;
	t->prev = pos;
	t->px = px;
	t->p = p;
	t->t = tm;
	return closed ? TRADE_CLOSED : TRADE_NONE;
}

/* The trade still open at the end, marked at the last row; 0 if none. */
static int
open_trade(const struct trade *t, struct cmt_bt_trade *tr)
{
	if (!t->prev)
		return 0;
	*tr = t->open;
	tr->exit_t = t->t;
	tr->exit_px = t->px;
	tr->gross = t->px / tr->entry_px - 1;
	tr->net = t->eq / t->entry - 1;
	tr->open = 1;
	return 1;
}

/* The results so far, as if the input ended here. */
void
cmt_bt_trade_end(const struct trade *t, struct cmt_bt_trading *out)
{
	struct cmt_bt_trade tr;

	*out = t->out;
	if (open_trade(t, &tr) && tr.net > 0)
		out->wins++;
	out->ret = t->eq - 1;
	out->gross_ret = t->gross - 1;
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
		cmt_bt_trade_step(&t, (int64_t)i, px[i], p[i], theta);
		if (equity)
			equity[i] = t.eq;
	}
	cmt_bt_trade_end(&t, out);
}

const char cmt_bt_trade_csv_header[] = "symbol,entry_time,entry_px,"
	"exit_time,exit_px,gross_return,net_return,steps,open\n";

size_t
cmt_bt_trade_csv(const struct cmt_bt_trade *tr, char *buf, size_t cap)
{
	char t0[40], t1[40], p0[32], p1[32], g[32], n[32];
	int len;

	cmt_format_time(tr->entry_t, t0, sizeof t0);
	cmt_format_time(tr->exit_t, t1, sizeof t1);
	cmt_fmt_double(p0, tr->entry_px, 15);
	cmt_fmt_double(p1, tr->exit_px, 15);
	cmt_fmt_double(g, tr->gross, 12);
	cmt_fmt_double(n, tr->net, 12);
	len = snprintf(buf, cap, "%s,%s,%s,%s,%s,%s,%s,%zu,%d\n", tr->sym, t0,
		p0, t1, p1, g, n, tr->steps, tr->open);
	return len < 0 ? 0 : (size_t)len < cap ? (size_t)len : cap - 1;
}

/* Each still open trade of the rule, at the end (symbol order). */
void
cmt_bt_open_trades(const struct cmt_bt *bt)
{
	struct cmt_bt_trade tr;
	int s;

	for (s = 0; s < bt->nsym && bt->o.on_trade; s++)
		if (open_trade(&bt->st[s]->tr, &tr)) {
			tr.sym = bt->sym[s];
			bt->o.on_trade(bt->o.trade_ctx, &tr);
		}
}

/* ---- the sweep ---- */

/* Every threshold's figures per symbol, and overall: trades summed, the
 * returns those of 1/S of the capital per symbol (the portfolio's end
 * value is the mean of the symbols' equities). */
void
cmt_bt_sweep_end(struct cmt_bt *bt)
{
	size_t k, ns = bt->o.nsweep;
	int s;

	for (k = 0; k < ns; k++) {
		struct cmt_bt_sweep *all = &bt->sweeps[(size_t)bt->nsym * ns + k];
		double eq = 0, gross = 0;

		memset(all, 0, sizeof *all);
		all->theta = bt->o.sweep[k];
		for (s = 0; s < bt->nsym; s++) {
			struct cmt_bt_sweep *w = &bt->sweeps[(size_t)s * ns + k];
			struct cmt_bt_trading t;

			cmt_bt_trade_end(&bt->st[s]->sweep[k], &t);
			w->theta = bt->o.sweep[k];
			w->long_periods = t.long_periods;
			w->trades = t.trades;
			w->wins = t.wins;
			w->hit_rate = t.hit_rate;
			w->gross_ret = t.gross_ret;
			w->ret = t.ret;
			all->long_periods += t.long_periods;
			all->trades += t.trades;
			all->wins += t.wins;
			eq += (1 + t.ret) / bt->nsym;
			gross += (1 + t.gross_ret) / bt->nsym;
		}
		all->hit_rate = all->trades ? (double)all->wins /
			(double)all->trades : NAN;
		all->ret = eq - 1;
		all->gross_ret = gross - 1;
	}
}

/* ---- the portfolio ---- */

struct figures {
	struct cmt_bt *bt;
	struct cmt_bt_trading *all;
	double peak, prev, sum, sum2, v, gross;
	size_t n;
	unsigned steps[64 * 8];        /* distinct-time steps by 1/8 octave */
	double step_min[64 * 8];
};

static void
figures_at(void *ctx, int64_t t, const double *pv)
{
	struct figures *f = ctx;
	struct cmt_bt *bt = f->bt;
	double v = pv[PV_EQ];

	if (f->n == 0) {
		bt->curve_t0 = t;
	} else {
		/* the step from the previous point, for the gap */
		double step = (double)(t - bt->curve_t1);
		int b = (int)(8 * log2(step));

		b = b < 0 ? 0 : b >= 64 * 8 ? 64 * 8 - 1 : b;
		if (!f->steps[b]++ || step < f->step_min[b])
			f->step_min[b] = step;
	}
	bt->curve_t1 = t;
	bt->curve_lo = fmin(bt->curve_lo, fmin(v, pv[PV_GROSS]));
	bt->curve_hi = fmax(bt->curve_hi, fmax(v, pv[PV_GROSS]));
	f->n++;
	f->all->periods++;
	f->sum += v / f->prev - 1;
	f->sum2 += (v / f->prev - 1) * (v / f->prev - 1);
	f->prev = v;
	if (v > f->peak)
		f->peak = v;
	if (1 - v / f->peak > f->all->max_dd)
		f->all->max_dd = 1 - v / f->peak;
	f->v = v;
	f->gross = pv[PV_GROSS];
}

/* The equal-weight portfolio's figures: each symbol is a sub-account with
 * 1/S of the capital, valued at its latest equity; its time span and
 * range, and the gap: ten times the median step between its points (the
 * least step in the 1/8 octave that holds the median, exact when the
 * steps are one grid step). */
enum cmt_err
cmt_bt_portfolio(struct cmt_bt *bt, char *err)
{
	struct figures *f = calloc(1, sizeof *f);
	size_t k, below = 0, nsteps;
	enum cmt_err e;

	if (!f)
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	f->bt = bt;
	f->all = &bt->groups[bt->nsym].trading;
	f->peak = f->prev = f->v = f->gross = 1;
	bt->curve_lo = bt->curve_hi = 1;
	bt->curve_t0 = bt->curve_t1 = 0;
	bt->gap = 0;
	f->all->max_dd = 0;
	if ((e = cmt_bt_walk_portfolio(bt, figures_at, f, err))) {
		free(f);
		return e;
	}
	f->all->ret = f->v - 1;
	f->all->gross_ret = f->gross - 1;
	f->all->sharpe = sharpe(f->all->periods, f->sum, f->sum2);
	nsteps = f->n ? f->n - 1 : 0;
	for (k = 0; nsteps > 1 && k < 64 * 8; k++) {
		below += f->steps[k];
		if (below > nsteps / 2) {
			bt->gap = 10 * f->step_min[k];
			break;
		}
	}
	free(f);
	return CMT_OK;
}
