/* The SVG plot of cmt-backtest (cmt_bt_format_svg), from the rows kept
 * with o.keep_rows.  Its arrays live for one call; the string it returns
 * is malloc'd and the caller frees it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_parse.h"
#include "cmt_svgplot.h"
#include "report_int.h"

/* The plot (--plot): equity per symbol and for the portfolio, with buy
 * and hold and the two baselines traded by the same rule; calibration
 * zoomed to the forecasts' range with Wilson intervals, and a reliability
 * histogram.  Drawing is svgplot.c's. */

#define NSTRAT 4
static const char *const strat_name[NSTRAT] = { "rule (model)", "buy and hold",
	"majority baseline", "last-return baseline" };
static const char *const strat_color[NSTRAT] = { "#1f77b4", "#555555",
	"#2ca02c", "#d62728" };
static const char *const strat_dash[NSTRAT] = { NULL, "6,3", "2,3", "8,3,2,3" };
#define PLOT_W 960
#define PLOT_SYMS 8      /* symbols drawn one panel each */
#define CAL_BINS 10

struct plotdata {
	size_t n, *start, *order;  /* rows by symbol, as in cmt_bt_finish */
	double *t, *eq[NSTRAT];    /* per row (symbol order) */
	double *pt, *pv[NSTRAT];   /* portfolio, by time */
	size_t np;
	double gap;                /* a jump in time longer than this breaks */
};

/* rows in time order: (t, index) pairs */
struct tix {
	double t;
	size_t i;
};

static int
cmp_tix(const void *a, const void *b)
{
	const struct tix *x = a, *z = b;

	if (x->t != z->t)
		return (x->t > z->t) - (x->t < z->t);
	return (x->i > z->i) - (x->i < z->i);
}

static void
plotdata_free(struct plotdata *d)
{
	int k;

	free(d->start);
	free(d->order);
	free(d->t);
	free(d->pt);
	for (k = 0; k < NSTRAT; k++) {
		free(d->eq[k]);
		free(d->pv[k]);
	}
}

static enum cmt_err
plotdata_make(const struct cmt_bt *bt, struct plotdata *d)
{
	size_t i, j, n = bt->nkept, m = n ? n : 1;
	double *px = NULL, *p = NULL, *steps = NULL, v[NSTRAT];
	struct tix *tx = NULL;
	int s, k, ok;

	memset(d, 0, sizeof *d);
	d->n = n;
	d->start = calloc((size_t)bt->nsym + 1, sizeof *d->start);
	d->order = malloc(m * sizeof *d->order);
	d->t = malloc(m * sizeof *d->t);
	d->pt = malloc(m * sizeof *d->pt);
	px = malloc(m * sizeof *px);
	p = malloc(m * sizeof *p);
	tx = malloc(m * sizeof *tx);
	ok = d->start && d->order && d->t && d->pt && px && p && tx;
	for (k = 0; k < NSTRAT; k++) {
		d->eq[k] = malloc(m * sizeof *d->eq[k]);
		d->pv[k] = malloc(m * sizeof *d->pv[k]);
		ok = ok && d->eq[k] && d->pv[k];
	}
	if (!ok)
		goto fail;
	for (i = 0; i < n; i++)
		d->start[bt->kept[i].sym + 1]++;
	for (s = 0; s < bt->nsym; s++)
		d->start[s + 1] += d->start[s];
	for (i = 0; i < n; i++)
		d->order[d->start[bt->kept[i].sym]++] = i;
	for (s = bt->nsym; s > 0; s--)
		d->start[s] = d->start[s - 1];
	d->start[0] = 0;
	for (s = 0; s < bt->nsym; s++) {
		size_t a = d->start[s], len = d->start[s + 1] - a;
		double base = bt->groups[s].base_rate;
		struct cmt_bt_trading tr;

		for (k = 0; k < NSTRAT; k++) {
			for (i = 0; i < len; i++) {
				const struct kept_row *r = &bt->kept[d->order[a + i]];

				px[i] = r->px;
				d->t[a + i] = (double)r->t;
				p[i] = k == 0 ? r->p : k == 2 ? base :
					r->x0 > 0 ? 1 : r->x0 < 0 ? 0 : NAN;
				if (k == 1)
					d->eq[k][a + i] = r->px / bt->kept[
						d->order[a]].px;
			}
			if (k != 1)
				cmt_bt_trade(px, p, len, bt->o.theta,
					bt->o.fee_bps, &tr, d->eq[k] + a);
		}
	}
	/* the portfolio: 1/S of the capital per symbol, each valued at its
	 * latest equity; equity changes summed in time order */
	for (i = 0; i < n; i++) {
		tx[i].t = d->t[i];
		tx[i].i = i;
	}
	qsort(tx, n, sizeof *tx, cmp_tix);
	for (k = 0; k < NSTRAT; k++)
		v[k] = 1;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && tx[j].t == tx[i].t; j++) {
			size_t r = tx[j].i;
			int first = 0;

			for (s = 0; s < bt->nsym; s++)
				first |= r == d->start[s];
			for (k = 0; !first && k < NSTRAT; k++)
				v[k] += (d->eq[k][r] - d->eq[k][r - 1]) /
					bt->nsym;
		}
		d->pt[d->np] = tx[i].t;
		for (k = 0; k < NSTRAT; k++)
			d->pv[k][d->np] = v[k];
		d->np++;
	}
	/* a gap: ten times the median step between portfolio points */
	d->gap = 0;
	if (d->np > 2 && (steps = malloc(d->np * sizeof *steps))) {
		for (i = 1; i < d->np; i++)
			steps[i - 1] = d->pt[i] - d->pt[i - 1];
		qsort(steps, d->np - 1, sizeof *steps, cmt_bt_cmp_double);
		d->gap = 10 * steps[(d->np - 1) / 2];
		free(steps);
	}
	free(px);
	free(p);
	free(tx);
	return CMT_OK;
fail:
	free(px);
	free(p);
	free(tx);
	plotdata_free(d);
	return CMT_ENOMEM;
}

static void
equity_panel(struct cmt_svg *g, const struct cmt_bt *bt, struct plotdata *d,
	struct cmt_plot *pl, int s, const char *title)
{
	const double *t = s < 0 ? d->pt : d->t + d->start[s];
	size_t n = s < 0 ? d->np : d->start[s + 1] - d->start[s], i;
	double gap = d->gap;
	int k;

	(void)bt;
	pl->ylo = pl->yhi = 1;
	for (k = 0; k < NSTRAT; k++) {
		const double *e = s < 0 ? d->pv[k] : d->eq[k] + d->start[s];

		for (i = 0; i < n; i++) {
			pl->ylo = fmin(pl->ylo, e[i]);
			pl->yhi = fmax(pl->yhi, e[i]);
		}
	}
	if (pl->yhi - pl->ylo < 1e-6) {
		pl->ylo -= 0.001;
		pl->yhi += 0.001;
	}
	/* a little room, and never below zero on a linear scale */
	pl->yhi += (pl->yhi - pl->ylo) * 0.04;
	pl->ylo = fmax(pl->ylo - (pl->yhi - pl->ylo) * 0.04, pl->ylo * 0.9);
	pl->xlo = n ? t[0] : 0;
	pl->xhi = n ? t[n - 1] : 1;
	pl->xtime = 1;
	cmt_plot_frame(g, pl, title, "time (UTC)", "equity (start = 1)", 1, 0);
	for (k = NSTRAT - 1; k >= 0; k--)
		cmt_plot_line(g, pl, t, s < 0 ? d->pv[k] : d->eq[k] +
			d->start[s], n, gap, strat_color[k], k ? 1.2 : 1.8,
			strat_dash[k]);
}

static void
legend(struct cmt_svg *g, double x, double y, const double *ret)
{
	int k;

	for (k = 0; k < NSTRAT; k++) {
		double xx = x + 200 * k;

		cmt_svg_printf(g, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>"
			"<text x=\"%.1f\" y=\"%.1f\">%s %+.2f%%</text>\n", xx,
			y - 4, xx + 22, y - 4, strat_color[k], strat_dash[k] ?
			" stroke-dasharray=\"" : "", strat_dash[k] ?
			strat_dash[k] : "", strat_dash[k] ? "\"" : "", xx + 26, y,
			strat_name[k], 100 * ret[k]);
	}
}

/* Wilson score interval of a share k/n, 95 %. */
static void
wilson(double k, double n, double *lo, double *hi)
{
	double z = 1.959964, ph = k / n, z2 = z * z / n;
	double c = (ph + z2 / 2) / (1 + z2);
	double h = z * sqrt(ph * (1 - ph) / n + z2 / (4 * n)) / (1 + z2);

	*lo = c - h;
	*hi = c + h;
}

static void
calibration_panels(struct cmt_svg *g, const struct cmt_bt *bt, double y0)
{
	struct cmt_plot cal = { .x0 = 90, .y0 = y0, .w = 380, .h = 300 };
	struct cmt_plot his = { .x0 = 90, .y0 = y0 + 360, .w = 380, .h = 110 };
	double lo = INFINITY, hi = -INFINITY, sp[CAL_BINS] = { 0 };
	double sy[CAL_BINS] = { 0 }, ylo, yhi, w, nmax = 0, cl, ch;
	size_t cnt[CAL_BINS] = { 0 }, i, total = 0, np = 0;
	double *ps;
	char title[160];
	int k;

	/* the range of the forecasts, without the outer 0.1 % on each side
	 * (they fall into the edge bins) */
	if ((ps = malloc((bt->nkept ? bt->nkept : 1) * sizeof *ps))) {
		for (i = 0; i < bt->nkept; i++)
			if (bt->kept[i].y >= 0 && !isnan(bt->kept[i].p))
				ps[np++] = bt->kept[i].p;
		qsort(ps, np, sizeof *ps, cmt_bt_cmp_double);
		if (np) {
			lo = ps[(size_t)((double)(np - 1) * 0.001)];
			hi = ps[(size_t)((double)(np - 1) * 0.999)];
		}
		free(ps);
	}
	if (lo > hi)
		lo = 0.45, hi = 0.55;
	if (hi - lo < 0.01) {
		lo -= 0.005;
		hi += 0.005;
	}
	w = (hi - lo) / CAL_BINS;
	for (i = 0; i < bt->nkept; i++) {
		const struct kept_row *r = &bt->kept[i];

		if (r->y < 0 || isnan(r->p))
			continue;
		k = (int)((r->p - lo) / w);
		k = k < 0 ? 0 : k >= CAL_BINS ? CAL_BINS - 1 : k;
		cnt[k]++;
		sp[k] += r->p;
		sy[k] += r->y;
		total++;
	}
	ylo = lo;
	yhi = hi;
	for (k = 0; k < CAL_BINS; k++) {
		if (!cnt[k])
			continue;
		nmax = fmax(nmax, (double)cnt[k]);
		wilson(sy[k], (double)cnt[k], &cl, &ch);
		/* a bin of a few rows has an interval spanning most of [0, 1]:
		 * the zoom follows bins with at least 1 % of the rows */
		if (cnt[k] * 100 >= total) {
			ylo = fmin(ylo, cl);
			yhi = fmax(yhi, ch);
		}
	}
	cal.xlo = lo - w / 2;
	cal.xhi = hi + w / 2;
	cal.ylo = fmax(0, ylo - (yhi - ylo) * 0.05);
	cal.yhi = fmin(1, yhi + (yhi - ylo) * 0.05);
	snprintf(title, sizeof title, "Calibration, zoomed to the forecasts "
		"(ECE %.4f)", bt->groups[bt->nsym].ece);
	cmt_plot_frame(g, &cal, title, "mean P(up) in the bin",
		"observed share up", 0, CMT_PLOT_XPCT | CMT_PLOT_YPCT);
	cmt_svg_printf(g, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\" stroke=\"#aaa\" stroke-dasharray=\"4\"/>\n",
		cmt_plot_x(&cal, fmax(cal.xlo, cal.ylo)),
		cmt_plot_y(&cal, fmax(cal.xlo, cal.ylo)),
		cmt_plot_x(&cal, fmin(cal.xhi, cal.yhi)),
		cmt_plot_y(&cal, fmin(cal.xhi, cal.yhi)));
	cmt_svg_printf(g, "<clipPath id=\"calclip\"><rect x=\"%.1f\" y=\"%.1f\" "
		"width=\"%.1f\" height=\"%.1f\"/></clipPath>\n<g "
		"clip-path=\"url(#calclip)\">\n", cal.x0, cal.y0, cal.w, cal.h);
	for (k = 0; k < CAL_BINS; k++) {
		double mp, fr, x, r;

		if (!cnt[k])
			continue;
		mp = sp[k] / (double)cnt[k];
		fr = sy[k] / (double)cnt[k];
		wilson(sy[k], (double)cnt[k], &cl, &ch);
		x = cmt_plot_x(&cal, mp);
		r = 2.5 + 9 * sqrt((double)cnt[k] / nmax);
		cmt_svg_printf(g, "<line class=\"ci\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" "
			"stroke-width=\"1.2\"/>\n<circle class=\"bin\" cx=\"%.1f\" "
			"cy=\"%.1f\" r=\"%.1f\" fill=\"#d62728\" "
			"fill-opacity=\"0.55\"><title>%zu rows, mean p %.4f, up "
			"%.4f [%.4f, %.4f]</title></circle>\n<text x=\"%.1f\" "
			"y=\"%.1f\" font-size=\"10\" fill=\"#444\">%zu</text>\n",
			x, cmt_plot_y(&cal, cl), x, cmt_plot_y(&cal, ch), x,
			cmt_plot_y(&cal, fr), r, cnt[k], mp, fr, cl, ch,
			x + r + 2, cmt_plot_y(&cal, fr) + 4, cnt[k]);
	}
	cmt_svg_printf(g, "</g>\n");
	his.xlo = cal.xlo;
	his.xhi = cal.xhi;
	his.ylo = 0;
	his.yhi = nmax > 0 ? nmax * 1.08 : 1;
	cmt_plot_frame(g, &his, "Reliability histogram: forecasts per bin",
		"P(up)", "rows", 0, CMT_PLOT_XPCT);
	for (k = 0; k < CAL_BINS; k++) {
		double x0 = cmt_plot_x(&his, lo + k * w);
		double x1 = cmt_plot_x(&his, lo + (k + 1) * w);

		cmt_svg_printf(g, "<rect class=\"hbar\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\" fill=\"#1f77b4\" "
			"fill-opacity=\"0.6\"><title>%zu</title></rect>\n",
			x0 + 0.5, cmt_plot_y(&his, (double)cnt[k]), x1 - x0 - 1,
			his.y0 + his.h - cmt_plot_y(&his, (double)cnt[k]),
			cnt[k]);
	}
	cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#777\">"
		"dots: %d equal bins over the forecasts (the edge bins take the "
		"outer 0.1 %%), area by rows, count beside;</text>\n"
		"<text x=\"%.1f\" y=\"%.1f\" fill=\"#777\">bars: 95 %% "
		"Wilson interval of the share up; dashes: perfect calibration"
		"</text>\n", his.x0, his.y0 + his.h + 46, CAL_BINS, his.x0,
		his.y0 + his.h + 60);
}

static void
score_table(struct cmt_svg *g, const struct cmt_bt *bt, double x, double y)
{
	const struct cmt_bt_group *a = &bt->groups[bt->nsym];
	const struct cmt_bt_scores *sc[3] = { &a->model, &a->majority,
		&a->last_return };
	static const char *const nm[3] = { "model", "majority", "last return" };
	int i;

	cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
		"font-weight=\"bold\">Scores, all symbols (%zu rows)</text>\n"
		"<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\" xml:space=\"preserve\">"
		"%-12s %8s %8s %8s %8s</text>\n", x, y, a->model.m.n, x, y + 22,
		"", "accuracy", "AUC", "log-loss", "Brier");
	for (i = 0; i < 3; i++)
		cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" "
			"xml:space=\"preserve\">%-12s %8.4f %8.4f %8.4f %8.4f"
			"</text>\n", x, y + 40 + 18 * i, nm[i],
			sc[i]->m.accuracy, sc[i]->m.auc, sc[i]->m.logloss,
			sc[i]->m.brier);
	if (!isnan(a->model.auc_lo))
		cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">"
			"model AUC 95%% (DeLong): [%.4f, %.4f]</text>\n", x,
			y + 104, a->model.auc_lo, a->model.auc_hi);
}

char *
cmt_bt_format_svg(const struct cmt_bt *bt)
{
	struct cmt_svg g = { 0 };
	struct plotdata d;
	struct cmt_plot pl = { .x0 = 90, .y0 = 76, .w = 840, .h = 260 };
	char t0[40], t1[40], title[320];
	double ret[NSTRAT], y;
	int s, k, shown, rows, h;

	if (plotdata_make(bt, &d))
		return NULL;
	shown = bt->nsym > 1 ? (bt->nsym < PLOT_SYMS ? bt->nsym : PLOT_SYMS) : 0;
	rows = (shown + 1) / 2;
	h = 76 + 260 + 60 + rows * 230 + 580;
	cmt_format_time(bt->groups[bt->nsym].lines ?
		bt->groups[bt->nsym].t_first : 0, t0, sizeof t0);
	cmt_format_time(bt->groups[bt->nsym].lines ?
		bt->groups[bt->nsym].t_last : 0, t1, sizeof t1);
	cmt_svg_printf(&g, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" font-family=\"DejaVu Sans Mono, "
		"monospace\" font-size=\"11\">\n<rect width=\"100%%\" "
		"height=\"100%%\" fill=\"white\"/>\n<text x=\"90\" y=\"22\" "
		"font-size=\"15\" font-weight=\"bold\">cmt-backtest: model %s, "
		"%d symbol%s, %s to %s</text>\n", PLOT_W, h,
		cmt_bt_model_name(bt), bt->nsym, bt->nsym == 1 ? "" : "s", t0,
		t1);
	for (k = 0; k < NSTRAT; k++)
		ret[k] = d.np ? d.pv[k][d.np - 1] - 1 : 0;
	legend(&g, 90, 44, ret);
	snprintf(title, sizeof title, "%s: long when P(up) > %g, else flat; "
		"fee %g bps per entry and exit", bt->nsym == 1 ? bt->sym[0] :
		"Portfolio, 1/S of the capital per symbol", bt->o.theta,
		bt->o.fee_bps);
	equity_panel(&g, bt, &d, &pl, -1, title);
	y = 76 + 260 + 60;
	for (s = 0; s < shown; s++) {
		struct cmt_plot sp = { .x0 = s % 2 ? 570 : 90,
			.y0 = y + 230 * (s / 2) + 20, .w = 360, .h = 160 };
		const struct cmt_bt_trading *tr = &bt->groups[s].trading;

		snprintf(title, sizeof title, "%s: rule %+.2f%%, buy and hold "
			"%+.2f%%", bt->sym[s], 100 * tr->ret, 100 * tr->bh_ret);
		equity_panel(&g, bt, &d, &sp, s, title);
	}
	if (bt->nsym > shown && shown)
		cmt_svg_printf(&g, "<text x=\"90\" y=\"%.1f\" fill=\"#777\">"
			"first %d of %d symbols shown</text>\n",
			y + 230 * rows, shown, bt->nsym);
	y += rows * 230 + 30;
	calibration_panels(&g, bt, y);
	score_table(&g, bt, 540, y + 10);
	cmt_svg_printf(&g, "</svg>\n");
	plotdata_free(&d);
	return cmt_svg_done(&g);
}
