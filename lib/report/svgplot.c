/* SVG primitives for the report plots (cmt_svgplot.h): the text buffer,
 * ticks, panels with axes, and lines broken at gaps.  The caller owns
 * struct cmt_svg; cmt_svg_done hands over the text, which the caller frees. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmt_svgplot.h"

void
cmt_svg_printf(struct cmt_svg *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmt_strbuf_vprintf(&g->b, fmt, ap);
	va_end(ap);
}

char *
cmt_svg_done(struct cmt_svg *g)
{
	return cmt_strbuf_take(&g->b);
}

int
cmt_svg_ticks(double lo, double hi, int want, double *out, int max)
{
	double span = hi - lo, raw, mag, step, t;
	int n = 0;

	if (!(span > 0) || want < 1)
		return 0;
	raw = span / want;
	mag = pow(10, floor(log10(raw)));
	step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag :
		raw / mag < 7.5 ? 5 * mag : 10 * mag;
	for (t = ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9 &&
	    n < max; t += step)
		out[n++] = fabs(t) < step * 1e-9 ? 0 : t;
	return n;
}

int
cmt_svg_log_ticks(double lo, double hi, double *out, int max)
{
	static const double m3[] = { 1, 2, 5 }, m1[] = { 1 };
	int e, k, n = 0, decades = (int)(floor(log10(hi)) - floor(log10(lo)));
	const double *m = decades <= 3 ? m3 : m1;
	int nm = decades <= 3 ? 3 : 1, every = decades > 8 ? 2 : 1;

	for (e = (int)floor(log10(lo)); e <= (int)ceil(log10(hi)); e++) {
		if (e % every)
			continue;
		for (k = 0; k < nm && n < max; k++) {
			double t = m[k] * pow(10, e);

			if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9))
				out[n++] = t;
		}
	}
	return n;
}

int
cmt_svg_time_ticks(int64_t t0, int64_t t1, int want, int64_t *out, int max,
	int64_t *step)
{
	static const int64_t steps[] = { 60000, 300000, 900000, 1800000,
		3600000, 10800000, 21600000, 43200000, 86400000, 172800000,
		604800000, 1209600000, 2592000000LL, 7776000000LL,
		31536000000LL };
	size_t i;
	int n = 0;
	int64_t s = steps[sizeof steps / sizeof steps[0] - 1], t;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if ((t1 - t0) / steps[i] <= want) {
			s = steps[i];
			break;
		}
	*step = s;
	for (t = (t0 + s - 1) / s * s; t <= t1 && n < max; t += s)
		out[n++] = t;
	return n;
}

void
cmt_svg_time_label(int64_t t, int64_t step, char *buf, size_t cap)
{
	time_t s = (time_t)(t / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	if (step >= 31536000000LL)
		strftime(buf, cap, "%Y", &tm);
	else if (step >= 86400000 || (tm.tm_hour == 0 && tm.tm_min == 0))
		strftime(buf, cap, "%b %d", &tm);
	else
		strftime(buf, cap, "%H:%M", &tm);
}

double
cmt_plot_x(const struct cmt_plot *p, double x)
{
	double span = p->xhi > p->xlo ? p->xhi - p->xlo : 1;

	return p->x0 + p->w * (x - p->xlo) / span;
}

double
cmt_plot_y(const struct cmt_plot *p, double y)
{
	double f;

	if (p->ylog)
		f = (log(y) - log(p->ylo)) / (log(p->yhi) - log(p->ylo));
	else
		f = (y - p->ylo) / (p->yhi > p->ylo ? p->yhi - p->ylo : 1);
	return p->y0 + p->h * (1 - f);
}

/* A tick value with as few digits as the step needs. */
static void
num_label(double v, double step, int pct, char *buf, size_t cap)
{
	int d;

	if (pct) {
		v *= 100;
		step *= 100;
	}
	d = step >= 1 || step <= 0 ? 0 : (int)ceil(-log10(step) - 1e-9);
	if (d > 8)
		d = 8;
	snprintf(buf, cap, "%.*f%s", d, v, pct ? "%" : "");
}

void
cmt_plot_frame(struct cmt_svg *g, struct cmt_plot *p, const char *title,
	const char *xlabel, const char *ylabel, int auto_log, int pct)
{
	int ypct = pct & CMT_PLOT_YPCT, xpct = pct & CMT_PLOT_XPCT;
	double yt[64], xt[64];
	int64_t tt[64], step = 0;
	int i, ny, nx;
	char lab[64];

	p->ylog = auto_log && p->ylo > 0 && p->yhi / p->ylo > 4;
	if (p->ylog) {
		ny = cmt_svg_log_ticks(p->ylo, p->yhi, yt, 64);
		if (ny < 2) {
			p->ylog = 0;
			ny = cmt_svg_ticks(p->ylo, p->yhi, 6, yt, 64);
		}
	} else {
		ny = cmt_svg_ticks(p->ylo, p->yhi, 6, yt, 64);
	}
	cmt_svg_printf(g, "<g class=\"panel\">\n<rect x=\"%.1f\" y=\"%.1f\" "
		"width=\"%.1f\" height=\"%.1f\" fill=\"#fcfcfc\" "
		"stroke=\"#999\"/>\n", p->x0, p->y0, p->w, p->h);
	for (i = 0; i < ny; i++) {
		double y = cmt_plot_y(p, yt[i]);

		if (p->ylog)
			snprintf(lab, sizeof lab, "%g", yt[i]);
		else
			num_label(yt[i], ny > 1 ? yt[1] - yt[0] : 1, ypct, lab,
				sizeof lab);
		cmt_svg_printf(g, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
			"<text class=\"ytick\" x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\">%s</text>\n", p->x0, y, p->x0 + p->w,
			y, p->x0 - 4, y + 4, lab);
	}
	if (p->xtime) {
		nx = cmt_svg_time_ticks((int64_t)p->xlo, (int64_t)p->xhi,
			(int)(p->w / 90), tt, 64, &step);
		for (i = 0; i < nx; i++)
			xt[i] = (double)tt[i];
	} else {
		nx = cmt_svg_ticks(p->xlo, p->xhi, 6, xt, 64);
	}
	for (i = 0; i < nx; i++) {
		double x = cmt_plot_x(p, xt[i]);

		if (p->xtime)
			cmt_svg_time_label(tt[i], step, lab, sizeof lab);
		else
			num_label(xt[i], nx > 1 ? xt[1] - xt[0] : 1, xpct, lab,
				sizeof lab);
		cmt_svg_printf(g, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
			"<text class=\"xtick\" x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\">%s</text>\n", x, p->y0, x,
			p->y0 + p->h, x, p->y0 + p->h + 14, lab);
	}
	if (title)
		cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%g\" "
			"font-weight=\"bold\">%s</text>\n", p->x0, p->y0 - 8,
			p->title_size > 0 ? p->title_size : 13, title);
	if (xlabel)
		cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
			p->x0 + p->w / 2, p->y0 + p->h + 28, xlabel);
	if (ylabel)
		cmt_svg_printf(g, "<text transform=\"translate(%.1f,%.1f) "
			"rotate(-90)\" text-anchor=\"middle\" fill=\"#555\">%s%s"
			"</text>\n", p->x0 - 62, p->y0 + p->h / 2, ylabel,
			p->ylog ? " (log scale)" : "");
	cmt_svg_printf(g, "</g>\n");
}

/* ---- lines ---- */

static void
thin_keep(struct cmt_plot_thin *th, double x, double y)
{
	if (th->fail)
		return;
	if (th->n == th->cap) {
		size_t cap = th->cap ? 2 * th->cap : 256;
		double *nx = realloc(th->x, cap * sizeof *nx), *ny;

		if (!nx) {
			th->fail = 1;
			return;
		}
		th->x = nx;
		if (!(ny = realloc(th->y, cap * sizeof *ny))) {
			th->fail = 1;
			return;
		}
		th->y = ny;
		th->cap = cap;
	}
	th->x[th->n] = x;
	th->y[th->n] = y;
	th->n++;
}

/* The open column's points: its first, its extremes in order and its
 * last, each once. */
static void
thin_flush(struct cmt_plot_thin *th)
{
	double ax = th->lox, ay = th->loy, bx = th->hix, by = th->hiy;
	int lo_first = th->lo_i <= th->hi_i;
	size_t a_i, b_i;

	if (!th->have)
		return;
	if (!lo_first) {
		ax = th->hix, ay = th->hiy, bx = th->lox, by = th->loy;
	}
	a_i = lo_first ? th->lo_i : th->hi_i;
	b_i = lo_first ? th->hi_i : th->lo_i;
	thin_keep(th, th->fx, th->fy);
	if (a_i != 0)
		thin_keep(th, ax, ay);
	if (b_i != a_i && b_i != 0)
		thin_keep(th, bx, by);
	if (th->last_i != b_i && th->last_i != 0)
		thin_keep(th, th->lx, th->ly);
	th->have = 0;
}

static void
thin_break(struct cmt_plot_thin *th)
{
	thin_flush(th);
	if (th->n && !isnan(th->y[th->n - 1]))
		thin_keep(th, th->lx, NAN);
}

void
cmt_plot_thin_add(struct cmt_plot_thin *th, double x, double y)
{
	long c;

	if (isnan(y)) {
		thin_break(th);
		return;
	}
	c = (long)floor(cmt_plot_x(th->p, x));
	if (th->have && c != th->col) {
		thin_flush(th);
		if (th->gap > 0 && x - th->lx > th->gap)
			thin_keep(th, th->lx, NAN);
	}
	if (!th->have) {
		th->col = c;
		th->have = 1;
		th->fx = th->lox = th->hix = x;
		th->fy = th->loy = th->hiy = y;
		th->lo_i = th->hi_i = th->last_i = 0;
		th->k = 0;
	} else {
		th->k++;
		if (y < th->loy) {
			th->lox = x, th->loy = y, th->lo_i = th->k;
		}
		if (y > th->hiy) {
			th->hix = x, th->hiy = y, th->hi_i = th->k;
		}
		th->last_i = th->k;
	}
	th->lx = x;
	th->ly = y;
}

int
cmt_plot_thin_end(struct cmt_plot_thin *th)
{
	thin_flush(th);
	return th->fail ? -1 : 0;
}

void
cmt_plot_thin_free(struct cmt_plot_thin *th)
{
	free(th->x);
	free(th->y);
	th->x = th->y = NULL;
	th->n = th->cap = 0;
}

static int
drawable(const struct cmt_plot *p, double y)
{
	return !isnan(y) && (!p->ylog || y > 0);
}

void
cmt_plot_points(struct cmt_svg *g, const struct cmt_plot *p, const double *x,
	const double *y, size_t n, const char *color, double width,
	const char *dash)
{
	size_t i;
	int open = 0;

	for (i = 0; i < n; i++) {
		if (!drawable(p, y[i])) {
			if (open)
				cmt_svg_printf(g, "\"/>\n");
			open = 0;
			continue;
		}
		if (!open)
			cmt_svg_printf(g, "<polyline fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"%.1f\"%s%s%s points=\"", color,
				width, dash ? " stroke-dasharray=\"" : "",
				dash ? dash : "", dash ? "\"" : "");
		open = 1;
		cmt_svg_printf(g, "%.1f,%.1f ", cmt_plot_x(p, x[i]),
			cmt_plot_y(p, y[i]));
	}
	if (open)
		cmt_svg_printf(g, "\"/>\n");
}

void
cmt_plot_line(struct cmt_svg *g, const struct cmt_plot *p, const double *x,
	const double *y, size_t n, double gap, const char *color,
	double width, const char *dash)
{
	struct cmt_plot_thin th = { .p = p, .gap = gap };
	size_t i;

	for (i = 0; i < n; i++)
		cmt_plot_thin_add(&th, x[i], drawable(p, y[i]) ? y[i] : NAN);
	if (cmt_plot_thin_end(&th) == 0)
		cmt_plot_points(g, p, th.x, th.y, th.n, color, width, dash);
	else
		g->b.failed = 1;
	cmt_plot_thin_free(&th);
}
