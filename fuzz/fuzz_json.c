/* Fuzz target: the line JSON scanner and number codec of cmt_json.h.
 * - cmt_json_number must agree with strtod bit for bit on what it accepts;
 * - cmt_json_validate and a full member scan must agree on whether an
 *   object is valid, and every slice must lie inside the input;
 * - cmt_fmt_double must write a number that parses back: exactly for 17
 *   digits, and for 15 digits when the value has 15 or fewer; and at any
 *   digit count a finite value reads back finite (no 1.8e308 for DBL_MAX);
 * - cmt_json_unescape must stay inside its buffer. */
#include <math.h>
#include <string.h>

#include "cmt_json.h"
#include "fuzz.h"

static void
check_number(const char *s, size_t len)
{
	const char *stop;
	double x, ref;
	int integral;
	char *copy;

	if (cmt_json_number(s, s + len, &stop, &x, &integral) != CMT_OK)
		return;
	FUZZ_CHECK(stop > s && stop <= s + len);
	copy = fuzz_strdup((const uint8_t *)s, (size_t)(stop - s));
	ref = strtod(copy, NULL);
	FUZZ_CHECK(memcmp(&ref, &x, sizeof x) == 0 || (isnan(ref) && isnan(x)));
	FUZZ_CHECK(!integral || strpbrk(copy, ".eE") == NULL);
	free(copy);
}

static void
check_format(double x)
{
	char buf[32], ref[40];
	const char *stop;
	double back, y;
	int n;

	n = cmt_fmt_double(buf, x, 17);
	FUZZ_CHECK(n > 0 && n < 32 && buf[n] == '\0');
	if (!isfinite(x)) {
		FUZZ_CHECK(strcmp(buf, "null") == 0);
		return;
	}
	FUZZ_CHECK(cmt_json_number(buf, buf + n, &stop, &back, NULL) ==
		CMT_OK && stop == buf + n);
	FUZZ_CHECK(back == x);
	for (int sig = 1; sig <= 17; sig++) {
		n = cmt_fmt_double(buf, x, sig);
		FUZZ_CHECK(cmt_json_number(buf, buf + n, &stop, &back, NULL) ==
			CMT_OK && isfinite(back));
	}
	/* a value that has 15 significant digits keeps them */
	snprintf(ref, sizeof ref, "%.15g", x);
	y = strtod(ref, NULL);
	if (!isfinite(y))       /* rounding DBL_MAX to 15 digits overflows */
		return;
	n = cmt_fmt_double(buf, y, 15);
	FUZZ_CHECK(n > 0 && n < 32);
	FUZZ_CHECK(cmt_json_number(buf, buf + n, &stop, &back, NULL) ==
		CMT_OK && stop == buf + n);
	FUZZ_CHECK(back == y);
}

static void
check_object(const char *s, size_t len)
{
	struct cmt_jscan js;
	struct cmt_jval k, v;
	char err[CMT_ERRLEN], *un;
	enum cmt_err e, valid;
	long n;

	valid = cmt_json_validate(s, len, err);
	if (cmt_json_begin(&js, s, len, err) != CMT_OK) {
		FUZZ_CHECK(valid != CMT_OK || len == 0 || s[0] != '{');
		return;
	}
	while ((e = cmt_json_next(&js, &k, &v, err)) == CMT_OK) {
		FUZZ_CHECK(k.type == CMT_JSTRING);
		FUZZ_CHECK(k.raw >= s && k.raw + k.len <= s + len);
		FUZZ_CHECK(v.raw >= s && v.raw + v.len <= s + len);
		if (v.type == CMT_JSTRING) {
			un = malloc(v.len + 1);
			n = cmt_json_unescape(&v, un, v.len + 1);
			/* escapes only shrink: \uXXXX is 6 bytes for <= 4 */
			FUZZ_CHECK(n >= 0 && (size_t)n <= v.len);
			FUZZ_CHECK(un[n] == '\0');
			free(un);
		}
		if (v.type == CMT_JNUMBER)
			check_number(v.raw, v.len);
	}
	/* a top-level object the scanner walks to its end is valid JSON */
	if (e == CMT_ESKIP)
		FUZZ_CHECK(valid == CMT_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	double x;

	check_number(s, size);
	check_object(s, size);
	if (size >= sizeof x) {
		memcpy(&x, data, sizeof x);
		check_format(x);
	}
	free(s);
	return 0;
}
