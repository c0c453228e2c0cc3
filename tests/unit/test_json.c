/* Unit tests for the JSON scanner, number parsing and formatting. */
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

#include <cjson/cJSON.h>

#include "cmt_json.h"

static enum cmt_err
scan_all(const char *s, int *members)
{
	struct cmt_jscan js;
	struct cmt_jval k, v;
	enum cmt_err e;
	char err[CMT_ERRLEN];

	*members = 0;
	if ((e = cmt_json_begin(&js, s, strlen(s), err)))
		return e;
	while ((e = cmt_json_next(&js, &k, &v, err)) == CMT_OK)
		(*members)++;
	return e == CMT_ESKIP ? CMT_OK : e;
}

static void
well_formed_objects_are_accepted(void **state)
{
	int n;

	assert_int_equal(scan_all("{}", &n), CMT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(scan_all(" { \"a\" : 1 , \"b\":[1,{\"c\":null}],"
		"\"d\":\"x\\u00e9\\n\",\"e\":true,\"f\":{}} ", &n), CMT_OK);
	assert_int_equal(n, 5);
	assert_int_equal(scan_all("{\"a\":[]}", &n), CMT_OK);
	assert_int_equal(scan_all("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		&n), CMT_OK);
}

static void
malformed_objects_are_rejected(void **state)
{
	static const char *bad[] = {
		"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}",
		"{\"a\":1 \"b\":2}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
		"{\"a\":-}", "{\"a\":1e}", "{\"a\":NaN}", "{\"a\":Infinity}",
		"{\"a\":[1,]}", "{\"a\":[1}", "{\"a\":{\"b\":1]}", "{\"a\":tru}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"unterminated}",
		"{\"a\":1} x", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"tab\there\"}", "{'a':1}",
	};
	size_t i;
	int n;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (scan_all(bad[i], &n) == CMT_OK)
			fail_msg("accepted: %s", bad[i]);
}

static void
deep_nesting_is_rejected_without_recursion(void **state)
{
	char *s = malloc(200010);
	int n, i;

	strcpy(s, "{\"a\":");
	for (i = 0; i < 100000; i++)
		s[5 + i] = '[';
	s[5 + i] = '\0';
	assert_int_not_equal(scan_all(s, &n), CMT_OK);
	free(s);
}

static void
numbers_parse_exactly_like_strtod(void **state)
{
	static const char *nums[] = {
		"0", "-0", "1", "48134.78", "97123.5", "0.1", "0.000123",
		"1e-7", "-2.5E+3", "123456789012345678901234567890",
		"0.30000000000000004", "1.7976931348623157e308", "5e-324",
		"1e400", "0.0000000000000000000000000001234", "9007199254740993",
		"1732450000123", "3.14159265358979323846",
	};
	const char *stop;
	double v;
	size_t i;
	int integral;

	for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		const char *s = nums[i];
		assert_int_equal(cmt_json_number(s, s + strlen(s), &stop, &v,
			&integral), CMT_OK);
		assert_ptr_equal(stop, s + strlen(s));
		if (v != strtod(s, NULL))
			fail_msg("%s: got %.17g want %.17g", s, v, strtod(s, NULL));
	}
	cmt_json_number("12", "12" + 2, &stop, &v, &integral);
	assert_true(integral);
	cmt_json_number("12.0", "12.0" + 4, &stop, &v, &integral);
	assert_false(integral);
}

/* Random numbers of every shape (long integer parts, leading zeros in
 * the fraction, more digits than a double holds, exponents) against
 * strtod, which rounds correctly: the fast paths must agree bit for bit. */
static void
random_numbers_parse_exactly_like_strtod(void **state)
{
	unsigned long long s = 1;
	const char *stop;
	char b[80];
	double v;
	long it;
	int n, i, len, zeros, integral;
	unsigned r;

	for (it = 0; it < 300000; it++) {
		n = 0;
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		r = (unsigned)(s >> 33);
		if (r & 1)
			b[n++] = '-';
		len = (int)((r >> 1) % 22);
		if (len == 0)
			b[n++] = '0';
		else
			b[n++] = (char)('1' + (r >> 6) % 9);
		for (i = 1; i < len; i++) {
			s = s * 6364136223846793005ULL + 1;
			b[n++] = (char)('0' + (s >> 33) % 10);
		}
		if ((r >> 11) & 1) {
			b[n++] = '.';
			len = 1 + (int)((r >> 12) % 24);
			zeros = (int)((r >> 17) % 8);
			for (i = 0; i < len; i++) {
				s = s * 6364136223846793005ULL + 1;
				b[n++] = (char)(i < zeros ? '0' : '0' + (s >> 33) % 10);
			}
		}
		if (((r >> 20) & 3) == 0)
			n += sprintf(b + n, "e%s%u", (r >> 22) & 1 ? "-" : "",
				(r >> 23) % 40);
		b[n] = '\0';
		assert_int_equal(cmt_json_number(b, b + n, &stop, &v, &integral),
			CMT_OK);
		assert_ptr_equal(stop, b + n);
		if (v != strtod(b, NULL))
			fail_msg("%s: got %.17g, strtod %.17g", b, v, strtod(b, NULL));
	}
}

static void
doubles_format_like_printf_g(void **state)
{
	static const double xs[] = {
		1, -1, 0.5, 48134.78, 97123.5, 0.1, 1e-7, 123456.789,
		0.000123456789, -0.00042, 2.5e14, 999999.9999999, 1e-10, 3e20,
		0.012345678912345, 73369.84000000, 1.5, 100, 1234567,
	};
	char got[32], want[32];
	size_t i;
	int sig;

	for (i = 0; i < sizeof xs / sizeof xs[0]; i++)
		for (sig = 6; sig <= 15; sig += 3) {
			cmt_fmt_double(got, xs[i], sig);
			snprintf(want, sizeof want, "%.*g", sig, xs[i]);
			/* printf pads exponents the same way; compare values
			 * and the round trip, which is what JSON readers see */
			if (strtod(got, NULL) != strtod(want, NULL))
				fail_msg("%.17g sig %d: got %s want %s", xs[i], sig,
					got, want);
		}
	cmt_fmt_double(got, 48134.78, 15);
	assert_string_equal(got, "48134.78");
	cmt_fmt_double(got, 0.000123, 10);
	assert_string_equal(got, "0.000123");
	cmt_fmt_double(got, 100, 10);
	assert_string_equal(got, "100");
	cmt_fmt_double(got, NAN, 10);
	assert_string_equal(got, "null");
}

/* Every finite number written reads back finite, at every digit count:
 * 15 digits of DBL_MAX round to 1.79769313486232e+308, which overflows. */
static void
huge_doubles_read_back_finite(void **state)
{
	static const double xs[] = { DBL_MAX, -DBL_MAX, 1.7976931348623e308,
		nextafter(DBL_MAX, 0), 1.79769313486231e308, 1e308 };
	char got[32];
	size_t i;
	int sig;

	for (i = 0; i < sizeof xs / sizeof xs[0]; i++)
		for (sig = 1; sig <= 17; sig++) {
			cmt_fmt_double(got, xs[i], sig);
			if (!isfinite(strtod(got, NULL)))
				fail_msg("%.17g sig %d: %s overflows", xs[i], sig, got);
		}
	cmt_fmt_double(got, DBL_MAX, 15);
	assert_true(strtod(got, NULL) == DBL_MAX);
}

/* The cJSON side of the one rule: a key twice anywhere is found, in a
 * small object, nested in an array, or in a large (sorted) object. */
static void
duplicate_keys_are_found_at_any_depth(void **state)
{
	char big[8192];
	size_t n = 0;
	cJSON *d;
	int i;

	d = cJSON_Parse("{\"a\":1,\"b\":{\"c\":[{\"x\":1,\"y\":2}]}}");
	assert_null(cmt_cjson_duplicate_key(d));
	cJSON_Delete(d);
	d = cJSON_Parse("{\"a\":1,\"b\":{\"c\":[{\"x\":1,\"x\":2}]}}");
	assert_string_equal(cmt_cjson_duplicate_key(d), "x");
	cJSON_Delete(d);
	n += (size_t)sprintf(big, "{");
	for (i = 0; i < 300; i++)
		n += (size_t)sprintf(big + n, "\"k%d\":%d,", i, i);
	sprintf(big + n, "\"k177\":0}");
	d = cJSON_Parse(big);
	assert_string_equal(cmt_cjson_duplicate_key(d), "k177");
	cJSON_Delete(d);
}

static void
strings_escape_and_unescape_round_trip(void **state)
{
	struct cmt_jval v;
	char enc[64], dec[64];
	const char *s = "a\"b\\c\n\x01\xc3\xa9";
	size_t n = cmt_fmt_string(enc, s, strlen(s));

	assert_string_equal(enc, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
	v.type = CMT_JSTRING;
	v.raw = enc + 1;
	v.len = n - 2;
	v.escaped = 1;
	assert_int_equal(cmt_json_unescape(&v, dec, sizeof dec), strlen(s));
	assert_string_equal(dec, s);
	v.raw = "\\ud83d\\ude00";
	v.len = strlen(v.raw);
	cmt_json_unescape(&v, dec, sizeof dec);
	assert_string_equal(dec, "\xf0\x9f\x98\x80");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(well_formed_objects_are_accepted),
		cmocka_unit_test(malformed_objects_are_rejected),
		cmocka_unit_test(deep_nesting_is_rejected_without_recursion),
		cmocka_unit_test(numbers_parse_exactly_like_strtod),
		cmocka_unit_test(random_numbers_parse_exactly_like_strtod),
		cmocka_unit_test(doubles_format_like_printf_g),
		cmocka_unit_test(huge_doubles_read_back_finite),
		cmocka_unit_test(duplicate_keys_are_found_at_any_depth),
		cmocka_unit_test(strings_escape_and_unescape_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
