/* The SVG plot of cmt-backtest (cmt_bt_format_svg), drawn from bounded
 * state: the equity curves are walked from the spilled points and thinned
 * to each panel's pixel columns as they come (svgplot.c), the calibration
 * comes from the per-score counts.  Its panels live for one call; the
 * string it returns is malloc'd and the caller frees it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_parse.h"
#include "cmt_svgplot.h"
#include "report_int.h"

/* The plot (--plot): equity per symbol and for the portfolio, net and
 * gross of fees, with buy and hold and the three baselines traded by the
 * same rule; calibration zoomed to the forecasts' range with Wilson
 * intervals, and a reliability histogram. */

#define NCURVE 6
static const struct {
	const char *name, *key, *color, *dash;
	double width;
	int pv;                    /* PV_*: the walks' value it draws */
} curve[NCURVE] = {
	{ "rule, net", "net", "#1f77b4", NULL, 1.8, PV_EQ },
	{ "rule, gross", "gross", "#17becf", "5,2", 1.2, PV_GROSS },
	{ "buy and hold", "buy_hold", "#555555", "6,3", 1.2, PV_BH },
	{ "majority baseline", "majority", "#2ca02c", "2,3", 1.2, PV_MAJ },
	{ "last-return baseline", "last_return", "#d62728", "8,3,2,3", 1.2,
		PV_MOM },
	{ "reversal baseline", "reversal", "#ff7f0e", "1,2", 1.2, PV_REV },
};
#define PLOT_W 960
#define PLOT_SYMS 8      /* symbols drawn one panel each */
#define CAL_BINS 10
#define TOP 94           /* below the title and the two legend rows */

/* An equity panel: each curve thinned to the panel's columns, and the
 * values at the end. */
struct panel {
	struct cmt_plot pl;
	struct cmt_plot_thin th[NCURVE];
	double end[NCURVE];
	int64_t t_end;
};

static void
panel_add(void *ctx, int64_t t, const double *pv)
{
	struct panel *pn = ctx;
	int k;

	for (k = 0; k < NCURVE; k++) {
		cmt_plot_thin_add(&pn->th[k], (double)t, pv[curve[k].pv]);
		pn->end[k] = pv[curve[k].pv];
	}
	pn->t_end = t;
}

/* A panel over [t0, t1]: every curve starts at 1 at t0 and holds its
 * last value to t1. */
static enum cmt_err
panel_fill(const struct cmt_bt *bt, struct panel *pn, int s, int64_t t0,
	int64_t t1, char *err)
{
	double one[PV_MAX];
	enum cmt_err e;
	int k;

	pn->pl.xlo = (double)t0;
	pn->pl.xhi = (double)t1;
	pn->pl.xtime = 1;
	for (k = 0; k < NCURVE; k++) {
		pn->th[k].p = &pn->pl;
		pn->th[k].gap = bt->gap;
	}
	for (k = 0; k < PV_MAX; k++)
		one[k] = 1;
	panel_add(pn, t0, one);
	e = s < 0 ? cmt_bt_walk_portfolio(bt, panel_add, pn, err) :
		cmt_bt_walk_symbol(bt, s, panel_add, pn, err);
	if (!e && pn->t_end < t1) {
		for (k = 0; k < NCURVE; k++)
			one[curve[k].pv] = pn->end[k];
		panel_add(pn, t1, one);
	}
	for (k = 0; k < NCURVE; k++)
		if (cmt_plot_thin_end(&pn->th[k]) && !e)
			e = cmt_errf(err, CMT_ENOMEM, "out of memory");
	return e;
}

static void
panel_free(struct panel *pn)
{
	int k;

	for (k = 0; k < NCURVE; k++)
		cmt_plot_thin_free(&pn->th[k]);
}

static void
panel_draw(struct cmt_svg *g, struct panel *pn, const char *title)
{
	struct cmt_plot *pl = &pn->pl;
	char end[32];
	size_t i;
	int k;

	pl->ylo = pl->yhi = 1;
	for (k = 0; k < NCURVE; k++)
		for (i = 0; i < pn->th[k].n; i++)
			if (!isnan(pn->th[k].y[i])) {
				pl->ylo = fmin(pl->ylo, pn->th[k].y[i]);
				pl->yhi = fmax(pl->yhi, pn->th[k].y[i]);
			}
	if (pl->yhi - pl->ylo < 1e-6) {
		pl->ylo -= 0.001;
		pl->yhi += 0.001;
	}
	/* a little room, and never below zero on a linear scale */
	pl->yhi += (pl->yhi - pl->ylo) * 0.04;
	pl->ylo = fmax(pl->ylo - (pl->yhi - pl->ylo) * 0.04, pl->ylo * 0.9);
	cmt_plot_frame(g, pl, title, "time (UTC)", "equity (start = 1)", 1, 0);
	for (k = NCURVE - 1; k >= 0; k--) {
		/* the end value as data, so a reader can check the drawing
		 * against the report */
		snprintf(end, sizeof end, "%.17g", pn->end[k]);
		cmt_svg_printf(g, "<g class=\"curve\" data-curve=\"%s\" "
			"data-end=\"%s\">\n", curve[k].key, end);
		cmt_plot_points(g, pl, pn->th[k].x, pn->th[k].y, pn->th[k].n,
			curve[k].color, curve[k].width, curve[k].dash);
		cmt_svg_printf(g, "</g>\n");
	}
}

static void
legend(struct cmt_svg *g, double x, double y, const double *end)
{
	int k;

	for (k = 0; k < NCURVE; k++) {
		double xx = x + 280 * (k % 3), yy = y + 18 * (k / 3);

		cmt_svg_printf(g, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>"
			"<text x=\"%.1f\" y=\"%.1f\">%s %+.2f%%</text>\n", xx,
			yy - 4, xx + 22, yy - 4, curve[k].color, curve[k].dash ?
			" stroke-dasharray=\"" : "", curve[k].dash ?
			curve[k].dash : "", curve[k].dash ? "\"" : "", xx + 26,
			yy, curve[k].name, 100 * (end[k] - 1));
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
	size_t cnt[CAL_BINS] = { 0 }, i, total = 0, np = bt->all.n, nr = 0;
	struct score *sc = cmt_bt_sorted_scores(&bt->all.scores, &nr);
	char title[160];
	int k;

	/* the range of the forecasts, without the outer 0.1 % on each side
	 * (they fall into the edge bins): the scores at those ranks */
	if (np) {
		size_t rlo = (size_t)((double)(np - 1) * 0.001), below = 0;
		size_t rhi = (size_t)((double)(np - 1) * 0.999);

		for (i = 0; i < nr; i++) {
			below += sc[i].up + sc[i].down;
			if (isinf(lo) && below > rlo)
				lo = sc[i].p;
			if (below > rhi) {
				hi = sc[i].p;
				break;
			}
		}
	}
	if (lo > hi)
		lo = 0.45, hi = 0.55;
	if (hi - lo < 0.01) {
		lo -= 0.005;
		hi += 0.005;
	}
	w = (hi - lo) / CAL_BINS;
	for (i = 0; i < nr; i++) {
		double rows = (double)(sc[i].up + sc[i].down);

		k = (int)((sc[i].p - lo) / w);
		k = k < 0 ? 0 : k >= CAL_BINS ? CAL_BINS - 1 : k;
		cnt[k] += sc[i].up + sc[i].down;
		sp[k] += sc[i].p * rows;
		sy[k] += (double)sc[i].up;
		total += sc[i].up + sc[i].down;
	}
	free(sc);
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
	const struct cmt_bt_scores *sc[1 + CMT_BT_NBASE] = { &a->model,
		&a->base[0], &a->base[1], &a->base[2] };
	int i;

	cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
		"font-weight=\"bold\">Scores, all symbols (%zu rows)</text>\n"
		"<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\" xml:space=\"preserve\">"
		"%-12s %8s %8s %8s %8s</text>\n", x, y, a->model.m.n, x, y + 22,
		"", "accuracy", "AUC", "log-loss", "Brier");
	for (i = 0; i <= CMT_BT_NBASE; i++)
		cmt_svg_printf(g, "<text class=\"score\" x=\"%.1f\" "
			"y=\"%.1f\" xml:space=\"preserve\">%-12s %8.4f %8.4f "
			"%8.4f %8.4f</text>\n", x, y + 40 + 18 * i,
			i ? cmt_bt_base_name[i - 1] : "model", sc[i]->m.accuracy,
			sc[i]->m.auc, sc[i]->m.logloss, sc[i]->m.brier);
	y += 40 + 18 * CMT_BT_NBASE + 10;
	if (!isnan(a->model.auc_lo))
		cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">"
			"model AUC 95%% (DeLong): [%.4f, %.4f]</text>\n", x,
			y += 18, a->model.auc_lo, a->model.auc_hi);
	if (a->model.m.n)
		cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">"
			"held against %s (better sign rule): AUC %+.4f"
			"</text>\n", x, y += 18, cmt_bt_base_name[a->held_against],
			a->model.m.auc - a->base[a->held_against].m.auc);
	for (i = 0; i < CMT_BT_NBASE; i++)
		if (a->base_wins[i])
			cmt_svg_printf(g, "<text class=\"wins\" x=\"%.1f\" "
				"y=\"%.1f\" fill=\"#b22\">%s beats the model on"
				"%s%s%s%s</text>\n", x, y += 18,
				cmt_bt_base_name[i],
				a->base_wins[i] & CMT_BT_ACCURACY ? " accuracy" : "",
				a->base_wins[i] & CMT_BT_AUC ? " AUC" : "",
				a->base_wins[i] & CMT_BT_LOGLOSS ? " log-loss" : "",
				a->base_wins[i] & CMT_BT_BRIER ? " Brier" : "");
}

char *
cmt_bt_format_svg(const struct cmt_bt *bt)
{
	const struct cmt_bt_group *all = &bt->groups[bt->nsym];
	struct cmt_svg g = { 0 };
	struct panel *pn;
	char t0[40], t1[40], title[320], err[CMT_ERRLEN];
	double y;
	int s, shown, rows, h, ok = 1;

	shown = bt->nsym > 1 ? (bt->nsym < PLOT_SYMS ? bt->nsym : PLOT_SYMS) : 0;
	rows = (shown + 1) / 2;
	h = TOP + 260 + 60 + rows * 230 + 620;
	if (!(pn = calloc((size_t)shown + 1, sizeof *pn)))
		return NULL;
	cmt_format_time(all->lines ? all->t_first : 0, t0, sizeof t0);
	cmt_format_time(all->lines ? all->t_last : 0, t1, sizeof t1);
	cmt_svg_printf(&g, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" font-family=\"DejaVu Sans Mono, "
		"monospace\" font-size=\"11\">\n<rect width=\"100%%\" "
		"height=\"100%%\" fill=\"white\"/>\n<text x=\"90\" y=\"22\" "
		"font-size=\"15\" font-weight=\"bold\">cmt-backtest: model %s, "
		"%d symbol%s, %s to %s</text>\n", PLOT_W, h,
		cmt_bt_model_name(bt), bt->nsym, bt->nsym == 1 ? "" : "s", t0,
		t1);
	/* the portfolio, then the first symbols, one panel each */
	pn[0].pl = (struct cmt_plot){ .x0 = 90, .y0 = TOP, .w = 840, .h = 260 };
	ok = !panel_fill(bt, &pn[0], -1, all->t_first, all->t_last, err);
	y = TOP + 260 + 60;
	for (s = 0; ok && s < shown; s++) {
		pn[s + 1].pl = (struct cmt_plot){ .x0 = s % 2 ? 570 : 90,
			.y0 = y + 230 * (s / 2) + 20, .w = 360, .h = 160 };
		ok = !panel_fill(bt, &pn[s + 1], s, bt->groups[s].t_first,
			bt->groups[s].t_last, err);
	}
	if (ok) {
		legend(&g, 90, 44, pn[0].end);
		snprintf(title, sizeof title, "%s: long when P(up) > %g, else "
			"flat; fee %g bps per entry and exit", bt->nsym == 1 ?
			bt->sym[0] : "Portfolio, 1/S of the capital per symbol",
			bt->o.theta, bt->o.fee_bps);
		panel_draw(&g, &pn[0], title);
	}
	for (s = 0; ok && s < shown; s++) {
		const struct cmt_bt_trading *tr = &bt->groups[s].trading;

		snprintf(title, sizeof title, "%s: rule %+.2f%% net, %+.2f%% "
			"gross; hold %+.2f%%", bt->sym[s], 100 * tr->ret,
			100 * tr->gross_ret, 100 * tr->bh_ret);
		pn[s + 1].pl.title_size = 11;
		panel_draw(&g, &pn[s + 1], title);
	}
	for (s = 0; s <= shown; s++)
		panel_free(&pn[s]);
	free(pn);
	if (!ok) {
		free(cmt_svg_done(&g));
		return NULL;
	}
	if (bt->nsym > shown && shown)
		cmt_svg_printf(&g, "<text x=\"90\" y=\"%.1f\" fill=\"#777\">"
			"first %d of %d symbols shown</text>\n",
			y + 230 * rows, shown, bt->nsym);
	y += rows * 230 + 30;
	calibration_panels(&g, bt, y);
	score_table(&g, bt, 540, y + 10);
	cmt_svg_printf(&g, "</svg>\n");
	return cmt_svg_done(&g);
}
