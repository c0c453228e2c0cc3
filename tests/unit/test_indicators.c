/* Indicators against TA-Lib's own output (tests/data/talib_*_edge.csv,
 * copied from shared/golden/talib: flat stretches, a gains-only run, warm
 * up), against hand-computed values, and against a naive batch
 * re-implementation written from the textbook formulas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_indicators.h"
#include "cmt_test.h"

#define NROWS 200
#define NCOLS 13  /* i, RSI, macd, signal, hist, up, mid, low, EMA12,
                     SMA20, STDDEV20, ROC1, OBV */

static double close_[NROWS], volume[NROWS];
static double golden[NROWS][NCOLS];   /* NAN where TA-Lib has no output */

static void
load_golden(void)
{
	char line[1024], *p, *end;
	FILE *f;
	int r, c;

	f = fopen("tests/data/talib_input_edge.csv", "r");
	assert_non_null(f);
	fgets(line, sizeof line, f);
	for (r = 0; r < NROWS && fgets(line, sizeof line, f); r++) {
		p = strchr(line, ',') + 1;
		close_[r] = strtod(p, &end);
		volume[r] = strtod(end + 1, NULL);
	}
	fclose(f);
	assert_int_equal(r, NROWS);
	f = fopen("tests/data/talib_out_edge.csv", "r");
	assert_non_null(f);
	fgets(line, sizeof line, f);
	for (r = 0; r < NROWS && fgets(line, sizeof line, f); r++) {
		p = line;
		for (c = 0; c < NCOLS; c++) {
			golden[r][c] = (*p == ',' || *p == '\n' || *p == '\0') ? NAN :
			    strtod(p, &end);
			p = strchr(p, ',');
			if (!p)
				break;
			p++;
		}
	}
	fclose(f);
	assert_int_equal(r, NROWS);
}

static int
setup(void **state)
{
	load_golden();
	return 0;
}

/* Valid exactly from TA-Lib's first output on, and bit-identical there. */
static void
expect_column(int col, int t, int valid, double got)
{
	double want = golden[t][col];

	if (isnan(want)) {
		if (valid)
			fail_msg("col %d t %d: output before TA-Lib's lookback", col, t);
		return;
	}
	if (!valid)
		fail_msg("col %d t %d: no output, TA-Lib has %.17g", col, t, want);
	if (got != want)
		fail_msg("col %d t %d: got %.17g, TA-Lib %.17g", col, t, got, want);
}

static void
sma_ema_match_talib_bit_for_bit(void **state)
{
	struct cmt_sma sma;
	struct cmt_ema ema;
	double v = 0;
	int t, ok;

	assert_int_equal(cmt_sma_init(&sma, 20), CMT_OK);
	assert_int_equal(cmt_ema_init(&ema, 12), CMT_OK);
	for (t = 0; t < NROWS; t++) {
		ok = cmt_sma_update(&sma, close_[t], &v);
		expect_column(9, t, ok, v);
		ok = cmt_ema_update(&ema, close_[t], &v);
		expect_column(8, t, ok, v);
	}
	assert_int_equal(cmt_sma_lookback(20), 19);
	assert_int_equal(cmt_ema_lookback(12), 11);
}

static void
rsi_matches_talib_including_flat_and_gains_only_runs(void **state)
{
	struct cmt_rsi rsi;
	double v = 0;
	int t, ok;

	cmt_rsi_init(&rsi, 14);
	for (t = 0; t < NROWS; t++) {
		ok = cmt_rsi_update(&rsi, close_[t], &v);
		expect_column(1, t, ok, v);
	}
	/* the edge file's documented stretches */
	assert_true(golden[14][1] == 0.0 && golden[39][1] == 0.0);
	assert_true(golden[40][1] == 100.0 && golden[119][1] == 100.0);
	assert_int_equal(cmt_rsi_lookback(14), 14);
}

static void
macd_matches_talib_with_its_aligned_seeds(void **state)
{
	struct cmt_macd m;
	double a = 0, b = 0, c = 0;
	int t, ok;

	cmt_macd_init(&m, 12, 26, 9);
	for (t = 0; t < NROWS; t++) {
		ok = cmt_macd_update(&m, close_[t], &a, &b, &c);
		expect_column(2, t, ok, a);
		expect_column(3, t, ok, b);
		expect_column(4, t, ok, c);
	}
	assert_int_equal(cmt_macd_lookback(12, 26, 9), 33);
	/* swapped periods behave like TA-Lib: same as 12/26 */
	cmt_macd_init(&m, 26, 12, 9);
	assert_int_equal(m.fast, 12);
}

static void
bbands_and_stddev_match_talib(void **state)
{
	struct cmt_bbands bb;
	double up = 0, mid = 0, lo = 0, sd = 0;
	int t, ok;

	cmt_bbands_init(&bb, 20, 2.0);
	for (t = 0; t < NROWS; t++) {
		ok = cmt_bbands_update(&bb, close_[t], &up, &mid, &lo, &sd);
		expect_column(5, t, ok, up);
		expect_column(6, t, ok, mid);
		expect_column(7, t, ok, lo);
		expect_column(10, t, ok, sd * 1.0);
	}
}

static void
roc_and_obv_match_talib(void **state)
{
	struct cmt_roc roc;
	struct cmt_obv obv;
	double v = 0;
	int t, ok;

	cmt_roc_init(&roc, 1);
	cmt_obv_init(&obv);
	for (t = 0; t < NROWS; t++) {
		ok = cmt_roc_update(&roc, close_[t], &v);
		expect_column(11, t, ok, v);
		ok = cmt_obv_update(&obv, close_[t], volume[t], &v);
		expect_column(12, t, ok, v);
	}
}

static void
rsi_is_100_when_there_are_no_losses_and_0_when_flat(void **state)
{
	struct cmt_rsi rsi;
	double v = -1;
	int t;

	cmt_rsi_init(&rsi, 3);
	for (t = 0; t < 4; t++)
		cmt_rsi_update(&rsi, 10, &v);
	assert_true(v == 0.0);         /* flat seed: TA-Lib gives 0 */
	cmt_rsi_init(&rsi, 3);
	for (t = 0; t < 6; t++)
		cmt_rsi_update(&rsi, 10 + t, &v);
	assert_true(v == 100.0);
}

static void
rsi_by_hand_on_a_short_series(void **state)
{
	/* n = 2 on 1, 3, 2, 4: d = +2, -1, +2.  Seed over d1, d2:
	 * AG = 2/2 = 1, AL = 1/2 = 0.5 -> RSI = 100*1/1.5 = 66.666...
	 * next: AG = (1*1 + 2)/2 = 1.5, AL = (0.5*1 + 0)/2 = 0.25
	 * -> RSI = 100*1.5/1.75 = 85.714285... */
	struct cmt_rsi rsi;
	double v = 0;

	cmt_rsi_init(&rsi, 2);
	assert_int_equal(cmt_rsi_update(&rsi, 1, &v), 0);
	assert_int_equal(cmt_rsi_update(&rsi, 3, &v), 0);
	assert_int_equal(cmt_rsi_update(&rsi, 2, &v), 1);
	assert_close(v, 200.0 / 3.0, 1e-12);
	cmt_rsi_update(&rsi, 4, &v);
	assert_close(v, 600.0 / 7.0, 1e-12);
}

static void
ema_and_macd_by_hand(void **state)
{
	/* EMA(3), k = 0.5, on 2, 4, 6, 8: seed (2+4+6)/3 = 4, then
	 * (8-4)*0.5+4 = 6. */
	struct cmt_ema e;
	double v = 0;

	cmt_ema_init(&e, 3);
	cmt_ema_update(&e, 2, &v);
	assert_int_equal(cmt_ema_update(&e, 4, &v), 0);
	assert_int_equal(cmt_ema_update(&e, 6, &v), 1);
	assert_close(v, 4, 0);
	cmt_ema_update(&e, 8, &v);
	assert_close(v, 6, 0);
}

/* Textbook batch definitions, written independently of the streaming
 * code: two-pass variance, RSI from explicit gain/loss arrays. */
static void
streaming_agrees_with_naive_batch_on_a_random_walk(void **state)
{
	enum { N = 3000, P = 20 };
	static double x[N];
	struct cmt_bbands bb;
	struct cmt_rsi rsi;
	struct cmt_ema ema;
	double up, mid, lo, sd, r, e, mean, var, ag, al, batch_ema;
	uint64_t s = 42;
	int t, i;

	x[0] = 30000;
	for (t = 1; t < N; t++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		x[t] = x[t - 1] * (1 + ((double)(s >> 11) / 9007199254740992.0
		    - 0.5) * 0.004);
	}
	cmt_bbands_init(&bb, P, 2);
	cmt_rsi_init(&rsi, 14);
	cmt_ema_init(&ema, P);
	ag = al = 0;
	batch_ema = 0;
	for (t = 0; t < N; t++) {
		int okb = cmt_bbands_update(&bb, x[t], &up, &mid, &lo, &sd);
		int okr = cmt_rsi_update(&rsi, x[t], &r);
		int oke = cmt_ema_update(&ema, x[t], &e);

		if (t >= P - 1) {
			assert_true(okb && oke);
			mean = 0;
			for (i = t - P + 1; i <= t; i++)
				mean += x[i];
			mean /= P;
			var = 0;
			for (i = t - P + 1; i <= t; i++)
				var += (x[i] - mean) * (x[i] - mean);
			var /= P;
			assert_close(mid, mean, 1e-9 * mean);
			/* running sums of x^2 ~ 1e9 lose ~1e-7 absolute */
			assert_close(sd, sqrt(var), 1e-5 * sqrt(var) + 1e-3);
			assert_close(up, mean + 2 * sqrt(var), 1e-3);
			batch_ema = t == P - 1 ? mean :
			    batch_ema + 2.0 / (P + 1) * (x[t] - batch_ema);
			assert_close(e, batch_ema, 1e-9 * e);
		}
		if (t >= 1 && t <= 14) {
			double d = x[t] - x[t - 1];
			if (d > 0)
				ag += d / 14;
			else
				al -= d / 14;
		} else if (t > 14) {
			double d = x[t] - x[t - 1];
			ag = (ag * 13 + (d > 0 ? d : 0)) / 14;
			al = (al * 13 + (d < 0 ? -d : 0)) / 14;
		}
		if (t >= 14) {
			assert_true(okr);
			assert_close(r, 100 - 100 / (1 + ag / al), 1e-9);
		} else {
			assert_false(okr);
		}
	}
}

static void
periods_out_of_range_are_rejected(void **state)
{
	struct cmt_sma sma;
	struct cmt_rsi rsi;
	struct cmt_macd m;

	assert_int_not_equal(cmt_sma_init(&sma, 0), CMT_OK);
	assert_int_not_equal(cmt_sma_init(&sma, CMT_IND_MAX_PERIOD + 1), CMT_OK);
	assert_int_not_equal(cmt_rsi_init(&rsi, 1), CMT_OK);
	assert_int_not_equal(cmt_macd_init(&m, 12, 26, 0), CMT_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sma_ema_match_talib_bit_for_bit),
		cmocka_unit_test(rsi_matches_talib_including_flat_and_gains_only_runs),
		cmocka_unit_test(macd_matches_talib_with_its_aligned_seeds),
		cmocka_unit_test(bbands_and_stddev_match_talib),
		cmocka_unit_test(roc_and_obv_match_talib),
		cmocka_unit_test(rsi_is_100_when_there_are_no_losses_and_0_when_flat),
		cmocka_unit_test(rsi_by_hand_on_a_short_series),
		cmocka_unit_test(ema_and_macd_by_hand),
		cmocka_unit_test(streaming_agrees_with_naive_batch_on_a_random_walk),
		cmocka_unit_test(periods_out_of_range_are_rejected),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
