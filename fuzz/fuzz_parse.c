/* Fuzz target: the command-line value parsers of cmt_parse.h (durations,
 * duration lists, integers, doubles, times).  Results must respect the
 * ranges the header promises, and what the formatters write must parse
 * back to the same value. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "cmt_parse.h"
#include "fuzz.h"

#define TEN_YEARS_MS (10LL * 366 * 24 * 3600 * 1000)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	char err[CMT_ERRLEN], buf[64];
	int64_t ms, back, list[8];
	long long ll;
	double x;
	int n;

	if (cmt_parse_duration_ms(s, &ms, err) == CMT_OK) {
		FUZZ_CHECK(ms >= 0 && ms <= TEN_YEARS_MS);
		cmt_format_duration(ms, buf, sizeof buf);
		FUZZ_CHECK(cmt_parse_duration_ms(buf, &back, err) == CMT_OK);
		FUZZ_CHECK(back == ms);
	}
	if (cmt_parse_duration_list(s, list, 8, &n, err) == CMT_OK) {
		FUZZ_CHECK(n >= 1 && n <= 8);
		for (int i = 0; i < n; i++)
			FUZZ_CHECK(list[i] > 0 && list[i] <= TEN_YEARS_MS);
	}
	if (cmt_parse_int(s, -1000, 1000000, &ll, err) == CMT_OK)
		FUZZ_CHECK(ll >= -1000 && ll <= 1000000);
	if (cmt_parse_int(s, LLONG_MIN, LLONG_MAX, &ll, err) == CMT_OK) {
		snprintf(buf, sizeof buf, "%lld", ll);
		FUZZ_CHECK(strtoll(buf, NULL, 10) == ll);
	}
	if (cmt_parse_double(s, -1e300, 1e300, &x, err) == CMT_OK)
		FUZZ_CHECK(isfinite(x) && x >= -1e300 && x <= 1e300);
	if (cmt_parse_double(s, 0, 1, &x, err) == CMT_OK)
		FUZZ_CHECK(x >= 0 && x <= 1);
	/* round trip within the years the parser spells with 4 digits */
	if (cmt_parse_time_ms(s, &ms, err) == CMT_OK && ms >= 0 &&
	    ms < 253402300800000LL) {
		cmt_format_time(ms, buf, sizeof buf);
		FUZZ_CHECK(cmt_parse_time_ms(buf, &back, err) == CMT_OK);
		FUZZ_CHECK(back == ms);
	}
	free(s);
	return 0;
}
