/* cmt_fmt_double against the formatter it replaced (issue 13), kept here
 * verbatim as the reference: every output must be the same bytes, on a
 * large random corpus (bit patterns, log-uniform magnitudes, prices with
 * few decimals) and on the edge cases (neighbours of powers of ten, where
 * log10 rounds; values that round up to the next power; exact halves of
 * the last digit; the ends of the fast path's range; specials), for every
 * number of significant digits from 1 to 17. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_fmt.h"

/* ---- the reference: cmt_fmt_double as of commit 6bb2ace ---- */

static const double ref_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int
ref_fmt_double(char *buf, double x, int sig)
{
	char dig[24];
	uint64_t m, lim;
	double ax, scaled;
	int e10, n, len = 0, i, nd, shift;

	if (!isfinite(x)) {
		memcpy(buf, "null", 5);
		return 4;
	}
	if (x == 0) {
		memcpy(buf, "0", 2);
		return 1;
	}
	ax = fabs(x);
	if (sig > 15 || ax < 1e-9 || ax >= 1e15)
		return snprintf(buf, 32, "%.*g", sig, x);
	e10 = (int)floor(log10(ax));
	shift = sig - 1 - e10;
	if (shift > 22 || shift < -22)
		return snprintf(buf, 32, "%.*g", sig, x);
	scaled = shift >= 0 ? ax * ref_pow10[shift] : ax / ref_pow10[-shift];
	m = (uint64_t)llround(scaled);
	lim = (uint64_t)ref_pow10[sig];
	if (m >= lim) {
		m = (m + 5) / 10;
		e10++;
	} else if (m < lim / 10) {
		return snprintf(buf, 32, "%.*g", sig, x);
	}
	nd = 0;
	while (m) {
		dig[nd++] = (char)('0' + m % 10);
		m /= 10;
	}
	i = 0;
	while (i < nd - 1 && dig[i] == '0')
		i++;
	if (x < 0)
		buf[len++] = '-';
	if (e10 >= sig || e10 < -5) {
		buf[len++] = dig[nd - 1];
		if (nd - 1 > i) {
			buf[len++] = '.';
			for (n = nd - 2; n >= i; n--)
				buf[len++] = dig[n];
		}
		len += snprintf(buf + len, 8, "e%c%02d", e10 < 0 ? '-' : '+',
			e10 < 0 ? -e10 : e10);
		return len;
	}
	if (e10 < 0) {
		buf[len++] = '0';
		buf[len++] = '.';
		for (n = -1; n > e10; n--)
			buf[len++] = '0';
		for (n = nd - 1; n >= i; n--)
			buf[len++] = dig[n];
	} else {
		for (n = nd - 1; n >= nd - 1 - e10; n--)
			buf[len++] = n >= 0 ? dig[n] : '0';
		if (nd - 1 - e10 > i) {
			buf[len++] = '.';
			for (n = nd - 2 - e10; n >= i; n--)
				buf[len++] = dig[n];
		}
	}
	buf[len] = '\0';
	return len;
}

/* ---- the comparison ---- */

static unsigned long compared;

static void
same(double x, int sig)
{
	char got[40], want[40];
	int gn, wn;

	memset(got, 'X', sizeof got);
	memset(want, 'Y', sizeof want);
	gn = cmt_fmt_double(got, x, sig);
	wn = ref_fmt_double(want, x, sig);
	/* the one intended change: near DBL_MAX, where sig digits round past
	 * it and would not read back, 17 digits (every number written is
	 * finite when read) */
	if (!isfinite(strtod(want, NULL)) && isfinite(x))
		wn = snprintf(want, sizeof want, "%.17g", x);
	if (gn != wn || strcmp(got, want) != 0 || (size_t)gn != strlen(got))
		fail_msg("%a (%.17g) sig %d: got \"%s\" (%d), reference \"%s\" "
			"(%d)", x, x, sig, got, gn, want, wn);
	compared++;
}

/* both signs, and the sigs the tools use plus a few others */
static void
same_all(double x)
{
	static const int sigs[] = { 6, 10, 15 };
	size_t i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		same(x, sigs[i]);
		same(-x, sigs[i]);
	}
}

static void
same_every_sig(double x)
{
	int sig;

	for (sig = 1; sig <= 17; sig++) {
		same(x, sig);
		same(-x, sig);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
next_u64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double
uniform(void)
{
	return (double)(next_u64() >> 11) / 9007199254740992.0;
}

static void
specials(void **state)
{
	static const double xs[] = {
		0.0, -0.0, 1, 0.5, 1e-9, 1e15, 1e-10, 1e16, 1e22, 1e-5, 1e-6,
		DBL_MIN, DBL_MAX, DBL_TRUE_MIN, DBL_EPSILON, 48134.78, 97123.5,
		0.000123, 100, 0.1, 0.2, 0.3, 2.5, 0.25, 999999.5, 9.5, 99.5,
		123456789012345.0, 999999999999999.0, 999999999999999.9,
	};
	char got[40];
	size_t i;

	for (i = 0; i < sizeof xs / sizeof xs[0]; i++) {
		same_every_sig(xs[i]);
		same_every_sig(nextafter(xs[i], 0));
		same_every_sig(nextafter(xs[i], INFINITY));
	}
	assert_int_equal(cmt_fmt_double(got, NAN, 10), 4);
	assert_string_equal(got, "null");
	assert_int_equal(cmt_fmt_double(got, -INFINITY, 10), 4);
	assert_string_equal(got, "null");
	assert_int_equal(cmt_fmt_double(got, 48134.78, 15), 8);
	assert_string_equal(got, "48134.78");
	cmt_fmt_double(got, -0.00042, 10);
	assert_string_equal(got, "-0.00042");
	cmt_fmt_double(got, 1.5e-7, 10);
	assert_string_equal(got, "1.5e-07");
	cmt_fmt_double(got, 3e7, 6);
	assert_string_equal(got, "3e+07");
	cmt_fmt_double(got, 9.9999999999, 10);
	assert_string_equal(got, "10");
}

/* Within a few ulps of 10^k, and within a relative 1e-9 of it (where the
 * new code switches between its table and log10), for k over the whole
 * fast range and beyond: log10 rounds to k just below 10^k. */
static void
near_powers_of_ten(void **state)
{
	int k, j;
	double p, x, y;

	for (k = -11; k <= 16; k++) {
		p = pow(10, k);
		x = y = p;
		for (j = 0; j < 64; j++) {
			same_every_sig(x);
			same_every_sig(y);
			x = nextafter(x, 0);
			y = nextafter(y, INFINITY);
		}
		for (j = -2000; j <= 2000; j++)
			same_every_sig(p * (1 + j * 1e-12));
		for (j = -200; j <= 200; j++)
			same_every_sig(p * (1 + j * 1e-11));
		for (j = 0; j < 20000; j++)
			same_all(p * (1 + (uniform() - 0.5) * 4e-9));
	}
}

/* Values whose sig-digit rounding carries into the next power of ten
 * (9.99...95 and its neighbours), and exact or near halves of the last
 * digit, which llround rounds away from zero. */
static void
carries_and_halves(void **state)
{
	int k, sig, j;
	double x, scale;
	uint64_t m, lim;

	for (sig = 1; sig <= 15; sig++)
		for (k = -10; k <= 15; k++) {
			scale = pow(10, k - sig + 1);
			lim = (uint64_t)pow(10, sig);
			x = ((double)lim - 0.5) * scale;
			for (j = 0; j < 8; j++) {
				same(x, sig);
				same(-x, sig);
				x = nextafter(x, 0);
			}
			for (j = 0; j < 200; j++) {
				m = lim / 10 + next_u64() % (lim - lim / 10);
				x = ((double)m + 0.5) * scale;
				same(x, sig);
				same(nextafter(x, 0), sig);
				same(nextafter(x, INFINITY), sig);
				same(-x, sig);
			}
		}
}

/* A million and a half random doubles of four kinds, each at 6, 10 and 15
 * digits and both signs (about nine million comparisons), and every sig on
 * a slice of them. */
static void
random_corpus(void **state)
{
	uint64_t bits;
	double x;
	long i;
	int d;

	for (i = 0; i < 400000; i++) {
		/* any bit pattern with a magnitude around the fast range */
		bits = next_u64();
		bits = (bits & 0x800fffffffffffffu) |
		    (uint64_t)(1023 - 34 + (int)(next_u64() % 88)) << 52;
		memcpy(&x, &bits, sizeof x);
		same_all(x);
		if (i % 16 == 0)
			same_every_sig(x);
		/* log-uniform over 1e-11 .. 1e17 */
		x = pow(10, uniform() * 28 - 11);
		same_all(x);
		/* prices and volumes: k / 10^d */
		d = (int)(next_u64() % 9);
		x = (double)(next_u64() % 10000000000u) / pow(10, d);
		same_all(x);
		/* feature-like: small returns, RSI-like 0..100, ratios near 1 */
		x = (uniform() - 0.5) * pow(10, -(int)(next_u64() % 8));
		same_all(x);
		same_all(uniform() * 100);
		same_all(1 + (uniform() - 0.5) * 1e-3);
	}
	print_message("  %lu outputs compared byte for byte\n", compared);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(specials),
		cmocka_unit_test(near_powers_of_ten),
		cmocka_unit_test(carries_and_halves),
		cmocka_unit_test(random_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
