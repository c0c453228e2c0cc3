/* Writing numbers and strings as JSON text, fast: the per-line output of
 * the tools goes through here.  Everything writes into the caller's
 * buffer (the sizes are in cmt_fmt.h); nothing allocates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_fmt.h"

const double cmt_fmt_pow10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

int
cmt_fmt_int(char *buf, int64_t v)
{
	char tmp[24];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int n = 0, len = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10));
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	buf[len] = '\0';
	return len;
}

/* Decimal powers for the exponent of |x| in [1e-9, 1e15]: pow10_dec[k + 9]
 * is 10^k rounded to a double. */
static const double pow10_dec[] = {
	1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1,
	1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
	1e14, 1e15, 1e16,
};

static const uint64_t pow10_u64[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000,
	10000000000000, 100000000000000, 1000000000000000,
};

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cmt_fmt_double builds digits in little-endian words"
#endif
#define ZEROS8 0x3030303030303030u   /* "00000000" */

static const char digit_pairs[] =
	"000102030405060708091011121314151617181920212223242526272829"
	"303132333435363738394041424344454647484950515253545556575859"
	"606162636465666768697071727374757677787980818283848586878889"
	"90919293949596979899";

/* The 8 decimal digits of v < 10^8 with leading zeros, as the bytes of a
 * little-endian word (first digit in the low byte), without a table or a
 * loop: split into two 4-digit halves in 32-bit lanes, each into two
 * 2-digit quarters in 16-bit lanes, each into two digits in bytes, the
 * divisions by 100 and 10 done in all lanes at once as a multiply and a
 * shift (exact for lanes below 10000 and 100). */
static uint64_t
ascii8(uint32_t v)
{
	uint64_t x = (uint64_t)(v / 10000) | (uint64_t)(v % 10000) << 32, q;

	q = (x * 10486 >> 20) & 0x0000007f0000007fu;
	x = q | (x - q * 100) << 16;
	q = (x * 103 >> 10) & 0x000f000f000f000fu;
	x = q | (x - q * 10) << 8;
	return x | ZEROS8;
}

/* floor(log10(ax)) for ax in [1e-9, 1e15), as floor(log10(ax)) computes
 * it: from the binary exponent and a table; within a relative 1e-9 of a
 * power of ten, where the rounding of log10 can move the floor (just
 * below 1000, log10 gives 3), log10 itself decides.  Elsewhere log10 is
 * at least 4e-10 from an integer, far beyond its error, so the two agree
 * and the output is that of the log10 version, byte for byte. */
static int
decimal_exponent(double ax)
{
	uint64_t bits;
	int e2, k;

	memcpy(&bits, &ax, sizeof bits);
	e2 = (int)(bits >> 52 & 0x7ff) - 1023;   /* ax in [2^e2, 2^(e2+1)) */
	k = (e2 * 78913) >> 18;                  /* floor(e2 * log10(2)) */
	if (ax >= pow10_dec[k + 10])
		k++;
	if (ax < pow10_dec[k + 9] * (1 + 1e-9) ||
	    ax > pow10_dec[k + 10] * (1 - 1e-9))
		k = (int)floor(log10(ax));
	return k;
}

/* Fast path for |x| in [1e-9, 1e15): scale to an integer of sig digits.
 * The scaling multiplies by an exact power of ten or divides by one, so the
 * error is one rounding of the product: far below the last printed digit
 * for sig <= 15.  Outside the range, or for sig > 15, snprintf does it.
 * The digits are then written two at a time from a table. */
int
cmt_fmt_double(char *buf, double x, int sig)
{
	unsigned __int128 d;
	uint64_t m, lim, t, hi, lo, z;
	double ax, scaled;
	int e10, len = 0, last, shift, tz, n;

	if (!isfinite(x)) {
		memcpy(buf, "null", 5);
		return 4;
	}
	if (x == 0) {
		memcpy(buf, "0", 2);
		return 1;
	}
	ax = fabs(x);
	if (sig > 15 || ax < 1e-9 || ax >= 1e15) {
		n = snprintf(buf, 32, "%.*g", sig, x);
		/* near DBL_MAX, sig digits can round past it: 17 digits
		 * always read back to x, so every number written is finite */
		if (ax >= 1e308 && !isfinite(strtod(buf, NULL)))
			n = snprintf(buf, 32, "%.17g", x);
		return n;
	}
	e10 = decimal_exponent(ax);
	shift = sig - 1 - e10;   /* scaled = ax * 10^shift, |shift| <= 23 */
	if (shift > 22 || shift < -22)
		return snprintf(buf, 32, "%.*g", sig, x);
	scaled = shift >= 0 ? ax * cmt_fmt_pow10[shift] :
	    ax / cmt_fmt_pow10[-shift];
	/* llround: scaled < 2^53, so scaled - t is exact */
	t = (uint64_t)scaled;
	m = t + (scaled - (double)t >= 0.5);
	lim = pow10_u64[sig];
	if (m >= lim) {          /* rounded up to the next power of ten */
		m = (m + 5) / 10;
		e10++;
	} else if (m < lim / 10) { /* log10 was one too high */
		return snprintf(buf, 32, "%.*g", sig, x);
	}
	/* m has exactly sig digits.  Its 16-digit form (leading zeros) in
	 * two words, d the sig digits from the first, in the low bytes. */
	hi = ascii8((uint32_t)(m / 100000000));
	lo = ascii8((uint32_t)(m % 100000000));
	d = ((unsigned __int128)lo << 64 | hi) >> (8 * (16 - sig));
	/* trailing zero digits are the high bytes of lo (then of hi) */
	z = lo - ZEROS8;
	tz = z ? __builtin_clzll(z) / 8 : 8 + __builtin_clzll(hi - ZEROS8) / 8;
	last = sig - 1 - tz;     /* the last digit kept */
	if (x < 0)
		buf[len++] = '-';
	/* Stores of 16 bytes from d: buf has 32, and none reaches past it
	 * (at most 1 + 14 + 1 + 16). */
	if (e10 >= sig || e10 < -5) {
		memcpy(buf + len, &d, 16);
		len++;
		if (last > 0) {
			buf[len++] = '.';
			d >>= 8;
			memcpy(buf + len, &d, 16);
			len += last;
		}
		buf[len++] = 'e';
		buf[len++] = e10 < 0 ? '-' : '+';
		memcpy(buf + len, digit_pairs + 2 * (e10 < 0 ? -e10 : e10), 2);
		len += 2;
	} else if (e10 < 0) {
		memcpy(buf + len, "0.000000", 8);
		len += 1 - e10;
		memcpy(buf + len, &d, 16);
		len += last + 1;
	} else {
		memcpy(buf + len, &d, 16);
		len += e10 + 1;
		if (last > e10) {
			buf[len++] = '.';
			d >>= 8 * (e10 + 1);
			memcpy(buf + len, &d, 16);
			len += last - e10;
		}
	}
	buf[len] = '\0';
	return len;
}

size_t
cmt_fmt_string(char *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, i;
	unsigned char c;

	buf[n++] = '"';
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20) {
			buf[n++] = '\\';
			switch (c) {
			case '\n': buf[n++] = 'n'; break;
			case '\t': buf[n++] = 't'; break;
			case '\r': buf[n++] = 'r'; break;
			default:
				buf[n++] = 'u'; buf[n++] = '0'; buf[n++] = '0';
				buf[n++] = hex[c >> 4]; buf[n++] = hex[c & 15];
			}
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return n;
}
