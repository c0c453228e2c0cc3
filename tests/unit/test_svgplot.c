/* Unit tests for the report plot helpers: round ticks, log ticks, time
 * ticks and labels, the data-to-pixel mapping and lines broken at gaps,
 * against values worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_test.h"
#include "cmt_svgplot.h"

static void
linear_ticks_are_round(void **state)
{
	double t[64];
	int n = cmt_svg_ticks(0.973, 1.041, 6, t, 64);

	/* span 0.068 / 6 = 0.0113 -> step 0.01: 0.98 ... 1.04 */
	assert_int_equal(n, 7);
	assert_close(t[0], 0.98, 1e-12);
	assert_close(t[6], 1.04, 1e-12);
	n = cmt_svg_ticks(-3, 17, 4, t, 64);   /* 5 -> step 5 */
	assert_int_equal(n, 4);
	assert_close(t[0], 0, 0);
	assert_close(t[3], 15, 1e-12);
	n = cmt_svg_ticks(0.44, 0.58, 6, t, 64);  /* 0.0233 -> 0.02 */
	assert_int_equal(n, 8);
	assert_close(t[0], 0.44, 1e-12);
	assert_close(t[1] - t[0], 0.02, 1e-12);
	assert_int_equal(cmt_svg_ticks(1, 1, 6, t, 64), 0);
}

static void
log_ticks_are_decades_or_1_2_5(void **state)
{
	double t[64];
	int n = cmt_svg_log_ticks(2e-5, 1.3, t, 64);

	/* 5 decades: powers of ten only */
	assert_int_equal(n, 5);
	assert_close(t[0], 1e-4, 1e-18);
	assert_close(t[4], 1, 1e-12);
	n = cmt_svg_log_ticks(0.3, 12, t, 64);   /* 0.5 1 2 5 10 */
	assert_int_equal(n, 5);
	assert_close(t[0], 0.5, 1e-12);
	assert_close(t[3], 5, 1e-12);
	assert_close(t[4], 10, 1e-12);
}

static void
time_ticks_pick_a_readable_step(void **state)
{
	int64_t t[64], step;
	char lab[32];
	/* 2024-03-05 00:01 to 08:21 UTC, about 9 ticks: hourly */
	int64_t t0 = 1709596860000LL, t1 = t0 + 500 * 60000LL;
	int n = cmt_svg_time_ticks(t0, t1, 9, t, 64, &step);

	assert_int_equal(step, 3600000);
	assert_int_equal(n, 8);
	assert_int_equal(t[0], 1709600400000LL);
	cmt_svg_time_label(t[0], step, lab, sizeof lab);
	assert_string_equal(lab, "01:00");
	/* midnight says the date */
	cmt_svg_time_label(1709596800000LL, step, lab, sizeof lab);
	assert_string_equal(lab, "Mar 05");
	/* six weeks, 9 ticks: weekly, labelled by date */
	n = cmt_svg_time_ticks(t0, t0 + 42 * 86400000LL, 9, t, 64, &step);
	assert_int_equal(step, 7 * 86400000LL);
	cmt_svg_time_label(t[0], step, lab, sizeof lab);
	assert_string_equal(lab, "Mar 07");   /* epoch weeks start Thursdays */
	assert_int_equal(n, 6);
}

static void
lines_break_at_gaps_and_nan(void **state)
{
	struct cmt_svg g = { 0 };
	struct cmt_plot p = { .x0 = 0, .y0 = 0, .w = 100, .h = 100,
		.xlo = 0, .xhi = 10, .ylo = 0, .yhi = 1 };
	const double x[] = { 0, 1, 2, 6, 7, 8, 9, 10 };
	const double y[] = { 0, 0.5, 1, 0.5, 0.5, NAN, 0.25, 0.75 };
	char *s, *q;
	int pieces = 0;

	assert_close(cmt_plot_x(&p, 5), 50, 1e-12);
	assert_close(cmt_plot_y(&p, 0.25), 75, 1e-12);
	cmt_plot_line(&g, &p, x, y, 8, 3, "#000", 1, NULL);
	assert_non_null(s = cmt_svg_done(&g));
	/* the jump 2 -> 6 (> 3) and the NAN: three pieces */
	for (q = s; (q = strstr(q, "<polyline")); q++)
		pieces++;
	assert_int_equal(pieces, 3);
	assert_non_null(strstr(s, "points=\"0.0,100.0 10.0,50.0 20.0,0.0 \""));
	assert_non_null(strstr(s, "points=\"90.0,75.0 100.0,25.0 \""));
	free(s);
	/* log scale: values <= 0 cannot be drawn and break the line */
	p.ylog = 1;
	p.ylo = 0.01;
	assert_close(cmt_plot_y(&p, 0.1), 50, 1e-9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linear_ticks_are_round),
		cmocka_unit_test(log_ticks_are_decades_or_1_2_5),
		cmocka_unit_test(time_ticks_pick_a_readable_step),
		cmocka_unit_test(lines_break_at_gaps_and_nan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
