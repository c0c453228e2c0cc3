/* Small SVG charts for reports (cmt-backtest --plot): a growing text
 * buffer, panels with labelled axes, round ticks and gridlines, a log
 * scale, time axes in readable units (UTC), and lines that break where the
 * data has a gap.  The caller owns struct cmt_svg (zeroed to start) and
 * frees the text cmt_svg_done hands over. */
#ifndef CMT_SVGPLOT_H
#define CMT_SVGPLOT_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_strbuf.h"

struct cmt_svg {
	struct cmt_strbuf b;  /* the text so far; a failure sticks */
};

void cmt_svg_printf(struct cmt_svg *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The text (the caller frees it), or NULL (and nothing to free) if
 * anything failed. */
char *cmt_svg_done(struct cmt_svg *g);

/* Round ticks: 1, 2 or 5 times a power of ten, about `want` of them in
 * [lo, hi]; returns how many were written (at most max). */
int cmt_svg_ticks(double lo, double hi, int want, double *out, int max);

/* Log-scale ticks in [lo, hi] (lo > 0): powers of ten, with 2 and 5
 * times them when the range spans few decades. */
int cmt_svg_log_ticks(double lo, double hi, double *out, int max);

/* Time ticks: multiples of a readable step (1m ... 1d, 7d, 30d, 365d)
 * in [t0, t1] (ms), about `want` of them; *step gets the step chosen. */
int cmt_svg_time_ticks(int64_t t0, int64_t t1, int want, int64_t *out,
	int max, int64_t *step);

/* Label of a time tick for that step: "14:30", "Mar 05" at midnight or
 * for steps of a day or more, "2024" for yearly steps. */
void cmt_svg_time_label(int64_t t, int64_t step, char *buf, size_t cap);

/* One panel: a pixel box and the data ranges it shows.  ylog is set by
 * cmt_plot_frame when the caller asks for auto scale and the range is
 * wide (hi / lo > 4 with lo > 0). */
struct cmt_plot {
	double x0, y0, w, h;      /* pixels */
	double xlo, xhi;          /* x data range (ms when xtime) */
	double ylo, yhi;
	int xtime, ylog;
	double title_size;        /* px; 0: 13 */
};

/* Pixel coordinates of data values. */
double cmt_plot_x(const struct cmt_plot *p, double x);
double cmt_plot_y(const struct cmt_plot *p, double y);

/* Frame, gridlines, round ticks with labels, the title above and the axis
 * titles.  auto_log: switch to a log y scale when the range is wide.
 * pct: label the y (CMT_PLOT_YPCT) and/or x (CMT_PLOT_XPCT) ticks as
 * percentages of 1 (0.45 -> "45%"). */
#define CMT_PLOT_YPCT 1
#define CMT_PLOT_XPCT 2
void cmt_plot_frame(struct cmt_svg *g, struct cmt_plot *p, const char *title,
	const char *xlabel, const char *ylabel, int auto_log, int pct);

/* A line thinned as its points come, in x order: at most four points per
 * pixel column of panel p (its first, its extremes and its last, which is
 * all a line at that width shows), with a break (a NAN point) where y is
 * NAN or x jumps by more than gap (0: never) from one column to the next.
 * So a series of any length is drawn from memory bounded by the panel's
 * width.  The caller zeroes it and sets p (whose x range and width must
 * not change while adding) and gap; x and y hold the n points kept (the
 * caller frees them with cmt_plot_thin_free).  cmt_plot_thin_end closes
 * the last column: -1 if memory ran out on the way. */
struct cmt_plot_thin {
	const struct cmt_plot *p;
	double gap;
	double *x, *y;
	size_t n, cap;
	int fail;
	/* the open column: first, lowest, highest and last point, and the
	 * order they came in */
	int have;
	long col;
	size_t k, lo_i, hi_i, last_i;
	double fx, fy, lox, loy, hix, hiy, lx, ly;
};
void cmt_plot_thin_add(struct cmt_plot_thin *th, double x, double y);
int cmt_plot_thin_end(struct cmt_plot_thin *th);
void cmt_plot_thin_free(struct cmt_plot_thin *th);

/* A line through the points as they are, broken where y is NAN or cannot
 * be drawn (<= 0 on a log scale).  dash may be NULL. */
void cmt_plot_points(struct cmt_svg *g, const struct cmt_plot *p,
	const double *x, const double *y, size_t n, const char *color,
	double width, const char *dash);

/* cmt_plot_points of n points thinned as above. */
void cmt_plot_line(struct cmt_svg *g, const struct cmt_plot *p,
	const double *x, const double *y, size_t n, double gap,
	const char *color, double width, const char *dash);

#endif
