/* Unit tests for the Platt scaling: on two margin values the fit is
 * saturated and has a closed form (each group's logit of its mean
 * target, Platt's (N+ + 1) / (N+ + 2) for an up and 1 / (N- + 2) for a
 * down); on many rows the fit is where the loss's gradient vanishes,
 * checked with sums written here; separable rows still fit; one outcome
 * is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "cmt_test.h"
#include "cmt_calibrate.h"

static double
logit(double p)
{
	return log(p / (1 - p));
}

static void
two_margins_give_each_groups_share(void **state)
{
	/* z = -1: 3 ups of 10; z = 2: 7 ups of 8; 10 ups, 8 downs in all */
	double tu = 11.0 / 12, td = 1.0 / 10;
	double f1 = (3 * tu + 7 * td) / 10, f2 = (7 * tu + 1 * td) / 8;
	double z[18], a, b;
	int y[18], i;
	char err[CMT_ERRLEN];

	for (i = 0; i < 10; i++) {
		z[i] = -1;
		y[i] = i < 3;
	}
	for (i = 10; i < 18; i++) {
		z[i] = 2;
		y[i] = i < 17;
	}
	assert_int_equal(cmt_platt_fit(z, y, 18, &a, &b, err), CMT_OK);
	/* -a + b = logit(f1), 2a + b = logit(f2) */
	assert_close(a, (logit(f2) - logit(f1)) / 3, 1e-9);
	assert_close(b, logit(f1) + a, 1e-9);
}

static uint64_t lcg_state = 5;

static double
uniform(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg_state >> 11) / 9007199254740992.0;
}

static void
the_fit_is_where_the_gradient_vanishes(void **state)
{
	enum { N = 20000 };
	static double z[N];
	static int y[N];
	double a, b, ga = 0, gb = 0, p, t[2];
	char err[CMT_ERRLEN];
	int i, up = 0;

	/* margins too spread out: the true p is sigmoid(0.6 z + 0.1) */
	for (i = 0; i < N; i++) {
		z[i] = 4 * uniform() - 2;
		y[i] = uniform() < 1 / (1 + exp(-(0.6 * z[i] + 0.1)));
	}
	assert_int_equal(cmt_platt_fit(z, y, N, &a, &b, err), CMT_OK);
	for (i = 0; i < N; i++)
		up += y[i];
	t[0] = 1.0 / (N - up + 2);
	t[1] = (up + 1.0) / (up + 2);
	for (i = 0; i < N; i++) {
		p = 1 / (1 + exp(-(a * z[i] + b)));
		ga += (p - t[y[i]]) * z[i];
		gb += p - t[y[i]];
	}
	assert_close(ga / N, 0, 1e-10);
	assert_close(gb / N, 0, 1e-10);
	assert_close(a, 0.6, 0.1);
	assert_close(b, 0.1, 0.1);
	/* and it lowers the log-loss of the uncalibrated margins */
	assert_true(cmt_platt_logloss(z, y, N, a, b) <
		cmt_platt_logloss(z, y, N, 1, 0));
}

static void
separable_rows_still_give_a_finite_fit(void **state)
{
	double z[40], a, b;
	int y[40], i;
	char err[CMT_ERRLEN];

	for (i = 0; i < 40; i++) {
		z[i] = i - 19.5;
		y[i] = z[i] > 0;
	}
	assert_int_equal(cmt_platt_fit(z, y, 40, &a, &b, err), CMT_OK);
	assert_true(isfinite(a) && a > 0 && isfinite(b));
}

static void
one_outcome_or_a_bad_margin_is_refused(void **state)
{
	double z[3] = { 1, 2, 3 }, a, b;
	int y[3] = { 1, 1, 1 };
	char err[CMT_ERRLEN];

	assert_int_equal(cmt_platt_fit(z, y, 3, &a, &b, err), CMT_EVALUE);
	y[0] = 0;
	z[1] = NAN;
	assert_int_equal(cmt_platt_fit(z, y, 3, &a, &b, err), CMT_EVALUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_margins_give_each_groups_share),
		cmocka_unit_test(the_fit_is_where_the_gradient_vanishes),
		cmocka_unit_test(separable_rows_still_give_a_finite_fit),
		cmocka_unit_test(one_outcome_or_a_bad_margin_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
