/* The bar statistics (cmt_bars.h) at every step of long series against
 * brute force written here: each window summed, scanned or taken in two
 * passes from scratch.  Windows of 1, 2, odd lengths, just over 64 and
 * longer than the periodic recompute; series with spikes, long constant
 * and zero stretches, monotone runs (the extremes queue's worst case),
 * ties and a large offset.  The calendar against gmtime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmt_bars.h"
#include "cmt_test.h"

#define LEN 20000

static uint64_t seed;

static double
unif(void)
{
	return test_unif(&seed);
}

/* kind 0: noise with spikes; 1: stretches of zeros and constants;
 * 2: monotone runs up and down with ties; 3: a large offset. */
static void
series(double *x, int kind)
{
	int i;

	seed = 1234 + (uint64_t)kind;
	for (i = 0; i < LEN; i++) {
		switch (kind) {
		case 0:
			x[i] = unif() < 0.01 ? 1e6 * unif() : unif();
			break;
		case 1:
			x[i] = (i / 500) % 3 == 0 ? 0 : (i / 500) % 3 == 1 ? 7.25 :
			    10 * unif();
			break;
		case 2:
			x[i] = (i / 700) % 2 ? (double)(i % 700 / 3) :
			    (double)(700 - i % 700 / 3);
			break;
		default:
			x[i] = 1e9 + unif();
			break;
		}
	}
}

static const int windows[] = { 1, 2, 7, 64, 65, 300, 5000 };
#define NWIN (int)(sizeof windows / sizeof windows[0])

static void
rolling_sum_is_the_window_sum_at_every_step(void **state)
{
	static double x[LEN], ring[5000];
	struct cmt_rollsum r;
	double got, want;
	int kind, w, i, j, n;

	for (kind = 0; kind < 4; kind++) {
		series(x, kind);
		for (w = 0; w < NWIN; w++) {
			n = windows[w];
			assert_true(cmt_rollsum_bytes(n) <= sizeof ring);
			cmt_rollsum_init(&r, n, ring);
			for (i = 0; i < LEN; i++) {
				int ok = cmt_rollsum_update(&r, x[i], &got);

				assert_int_equal(ok, i >= cmt_rollsum_lookback(n));
				if (!ok)
					continue;
				for (want = 0, j = i - n + 1; j <= i; j++)
					want += x[j];
				if (!(fabs(got - want) <= 1e-12 * fabs(want) + 1e-300))
					fail_msg("kind %d n %d step %d: %.17g vs %.17g", kind,
						n, i, got, want);
			}
		}
	}
}

static void
rolling_mean_and_sd_are_the_two_pass_ones_at_every_step(void **state)
{
	static double x[LEN], ring[3 * 5000];
	struct cmt_rollstat r;
	double mean, sd, m, v, scale;
	int kind, w, i, j, n;

	for (kind = 0; kind < 4; kind++) {
		series(x, kind);
		for (w = 1; w < NWIN; w++) {
			n = windows[w];
			assert_true(cmt_rollstat_bytes(n) <= sizeof ring);
			cmt_rollstat_init(&r, n, ring);
			for (i = 0; i < LEN; i++) {
				int ok = cmt_rollstat_update(&r, x[i], &mean, &sd);

				assert_int_equal(ok, i >= cmt_rollstat_lookback(n));
				if (!ok)
					continue;
				for (m = 0, j = i - n + 1; j <= i; j++)
					m += x[j];
				m /= n;
				for (v = 0, j = i - n + 1; j <= i; j++)
					v += (x[j] - m) * (x[j] - m);
				v = sqrt(v / n);
				if (!(fabs(mean - m) <= 1e-12 * fabs(m) + 1e-12))
					fail_msg("kind %d n %d step %d: mean %.17g vs %.17g",
						kind, n, i, mean, m);
				/* sd to 1e-9 of itself, or of the values' scale where
				 * it is rounding next to them (the offset series) */
				scale = kind == 3 ? 1e-6 * fabs(m) : 0;
				if (!(fabs(sd - v) <= 1e-9 * (v + scale) + 1e-15))
					fail_msg("kind %d n %d step %d: sd %.17g vs %.17g",
						kind, n, i, sd, v);
			}
		}
	}
}

static void
a_window_that_does_not_vary_has_no_z_score(void **state)
{
	double ring[3 * 4], z = 0;
	struct cmt_rollstat r;
	int i;

	cmt_rollstat_init(&r, 4, ring);
	for (i = 0; i < 10; i++)
		assert_int_equal(cmt_zscore_update(&r, 3.5, &z), 0);
	assert_int_equal(cmt_zscore_update(&r, 5.5, &z), 1);
	/* 3.5, 3.5, 3.5, 5.5: mean 4, sd sqrt(0.75) */
	assert_close(z, 1.5 / sqrt(0.75), 1e-14);
	cmt_rollstat_init(&r, 3, ring);
	for (i = 0; i < 5; i++)
		assert_int_equal(cmt_zscore_update(&r, 0, &z), 0);
}

static void
rolling_extremes_are_the_window_scan_at_every_step(void **state)
{
	static double x[LEN];
	static struct cmt_rollext_item q[2][5000];
	struct cmt_rollext hi, lo;
	double got_hi, got_lo, want_hi, want_lo;
	int kind, w, i, j, n;

	for (kind = 0; kind < 4; kind++) {
		series(x, kind);
		for (w = 0; w < NWIN; w++) {
			n = windows[w];
			assert_true(cmt_rollext_bytes(n) <= sizeof q[0]);
			cmt_rollext_init(&hi, n, 0, q[0]);
			cmt_rollext_init(&lo, n, 1, q[1]);
			for (i = 0; i < LEN; i++) {
				int a = cmt_rollext_update(&hi, x[i], &got_hi);
				int b = cmt_rollext_update(&lo, x[i], &got_lo);

				assert_int_equal(a, i >= cmt_rollext_lookback(n));
				assert_int_equal(b, a);
				if (!a)
					continue;
				want_hi = -INFINITY;
				want_lo = INFINITY;
				for (j = i - n + 1; j <= i; j++) {
					want_hi = x[j] > want_hi ? x[j] : want_hi;
					want_lo = x[j] < want_lo ? x[j] : want_lo;
				}
				if (got_hi != want_hi || got_lo != want_lo)
					fail_msg("kind %d n %d step %d: %g %g vs %g %g", kind,
						n, i, got_hi, got_lo, want_hi, want_lo);
			}
		}
	}
}

static void
range_volatility_is_parkinson_and_garman_klass_at_every_step(void **state)
{
	static double o[LEN], h[LEN], l[LEN], c[LEN], ring[2 * 5000];
	struct cmt_rangevol r;
	double pk, gk, spk, sgk, u, b;
	int i, j, w, n;

	seed = 99;
	for (i = 0; i < LEN; i++) {
		o[i] = 100 * exp(0.01 * (unif() - 0.5));
		c[i] = 100 * exp(0.01 * (unif() - 0.5));
		h[i] = (o[i] > c[i] ? o[i] : c[i]) * (i % 9 ? exp(0.003 * unif()) :
		    1);
		l[i] = (o[i] < c[i] ? o[i] : c[i]) * exp(-0.003 * unif());
		if (i % 13 == 0)
			o[i] = h[i] = l[i] = c[i];   /* a flat bar */
	}
	for (w = 0; w < NWIN; w++) {
		n = windows[w];
		cmt_rangevol_init(&r, n, ring);
		for (i = 0; i < LEN; i++) {
			int ok = cmt_rangevol_update(&r, o[i], h[i], l[i], c[i], &pk, &gk);

			assert_int_equal(ok, i >= cmt_rangevol_lookback(n));
			if (!ok)
				continue;
			for (spk = sgk = 0, j = i - n + 1; j <= i; j++) {
				u = log(h[j] / l[j]);
				b = log(c[j] / o[j]);
				spk += u * u;
				sgk += u * u / 2 - (2 * log(2.0) - 1) * b * b;
			}
			assert_close(pk, sqrt(spk / (4 * log(2.0) * n)),
				1e-12 * pk + 1e-300);
			assert_close(gk, sgk > 0 ? sqrt(sgk / n) : 0,
				1e-12 * gk + 1e-300);
		}
	}
}

static void
a_bars_shape_is_body_wicks_and_close_location(void **state)
{
	double s[4];

	cmt_bar_shape(100, 110, 95, 105, s);
	assert_close(s[0], log(1.05), 1e-15);
	assert_close(s[1], log(110.0 / 105), 1e-15);
	assert_close(s[2], log(100.0 / 95), 1e-15);
	assert_close(s[3], 10.0 / 15, 1e-15);
	cmt_bar_shape(105, 110, 95, 100, s);     /* a down bar */
	assert_close(s[0], log(100.0 / 105), 1e-15);
	assert_close(s[1], log(110.0 / 105), 1e-15);
	assert_close(s[2], log(100.0 / 95), 1e-15);
	assert_close(s[3], 5.0 / 15, 1e-15);
	cmt_bar_shape(7, 7, 7, 7, s);            /* no range: the middle */
	assert_true(s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0.5);
}

static void
the_calendar_is_gmtimes_time_of_day_and_weekday(void **state)
{
	double cal[4], tod;
	struct tm tm;
	time_t sec;
	int64_t t;
	int i, dow;

	/* 2024-03-04 was a Monday: 0; 12:00 is half a day */
	cmt_calendar(1709553600000LL, cal);
	assert_close(cal[0], 0, 1e-15);
	assert_close(cal[1], -1, 1e-15);
	assert_close(cal[2], 0, 1e-15);
	assert_close(cal[3], 1, 1e-15);
	seed = 7;
	for (i = 0; i < 100000; i++) {
		t = (int64_t)(unif() * 4102444800000.0);   /* 1970 to 2100 */
		if (i % 10 == 0)
			t -= t % 86400000;                      /* midnight */
		cmt_calendar(t, cal);
		sec = (time_t)(t / 1000);
		gmtime_r(&sec, &tm);
		tod = (double)(((tm.tm_hour * 60 + tm.tm_min) * 60 + tm.tm_sec) *
		    1000LL + t % 1000) / 86400000;
		dow = (tm.tm_wday + 6) % 7;
		if (cal[0] != sin(2 * M_PI * tod) || cal[1] != cos(2 * M_PI * tod) ||
		    cal[2] != sin(2 * M_PI * dow / 7) ||
		    cal[3] != cos(2 * M_PI * dow / 7))
			fail_msg("t %lld: %g %g %g %g", (long long)t, cal[0], cal[1],
				cal[2], cal[3]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rolling_sum_is_the_window_sum_at_every_step),
		cmocka_unit_test(
			rolling_mean_and_sd_are_the_two_pass_ones_at_every_step),
		cmocka_unit_test(a_window_that_does_not_vary_has_no_z_score),
		cmocka_unit_test(rolling_extremes_are_the_window_scan_at_every_step),
		cmocka_unit_test(
			range_volatility_is_parkinson_and_garman_klass_at_every_step),
		cmocka_unit_test(a_bars_shape_is_body_wicks_and_close_location),
		cmocka_unit_test(the_calendar_is_gmtimes_time_of_day_and_weekday),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
