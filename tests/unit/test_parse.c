/* Command-line value parsers and the CSV helpers, against values worked
 * out independently (epochs from Python's calendar.timegm). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cmt_parse.h"
#include "cmt_test.h"

static void
durations_parse_with_units_and_reject_junk(void **state)
{
	static const struct { const char *s; int64_t ms; } ok[] = {
		{ "250ms", 250 }, { "5s", 5000 }, { "1.5s", 1500 }, { "1m", 60000 },
		{ "2h", 7200000 }, { "1d", 86400000 }, { "3", 3000 }, { "0s", 0 },
	};
	static const char *bad[] = { "", "s", "-1s", "5x", "1.0005s", "5 s",
		"1e3", "0x10", "1.s", "99999d", "abc" };
	char err[CMT_ERRLEN];
	int64_t ms;
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(cmt_parse_duration_ms(ok[i].s, &ms, err), CMT_OK);
		assert_int_equal(ms, ok[i].ms);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (cmt_parse_duration_ms(bad[i], &ms, err) == CMT_OK)
			fail_msg("accepted '%s'", bad[i]);
}

static void
durations_format_in_their_shortest_exact_spelling(void **state)
{
	static const struct { int64_t ms; const char *s; } cases[] = {
		{ 250, "250ms" }, { 5000, "5s" }, { 90000, "90s" }, { 60000, "1m" },
		{ 3600000, "1h" }, { 5400000, "90m" }, { 86400000, "1d" },
		{ 1500, "1500ms" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cmt_format_duration(cases[i].ms, buf, sizeof buf);
		assert_string_equal(buf, cases[i].s);
	}
}

static void
duration_lists_count_and_bound_their_items(void **state)
{
	char err[CMT_ERRLEN];
	int64_t ms[4];
	int n;

	assert_int_equal(cmt_parse_duration_list("5s,15s,30s,1m", ms, 4, &n, err),
		CMT_OK);
	assert_int_equal(n, 4);
	assert_int_equal(ms[3], 60000);
	assert_int_not_equal(cmt_parse_duration_list("5s,15s,30s,1m,2m", ms, 4,
		&n, err), CMT_OK);
	assert_int_not_equal(cmt_parse_duration_list("5s,,1m", ms, 4, &n, err),
		CMT_OK);
	assert_int_not_equal(cmt_parse_duration_list("5s,0s", ms, 4, &n, err),
		CMT_OK);
}

static void
times_parse_to_utc_epoch_milliseconds(void **state)
{
	static const struct { const char *s; int64_t ms; } ok[] = {
		{ "2024-01-01", 1704067200000LL },
		{ "2024-02-29T12:30:00Z", 1709209800000LL },
		{ "2024-02-29T12:30:00.250Z", 1709209800250LL },
		{ "2024-02-29 12:30", 1709209800000LL },
		{ "2024-02-29T12:30:00+00:00", 1709209800000LL },
		{ "2100-03-01", 4107542400000LL },
		{ "1970-01-01", 0 },
		{ "1709209800", 1709209800000LL },      /* seconds */
		{ "1709209800250", 1709209800250LL },   /* milliseconds */
	};
	static const char *bad[] = { "2024-13-01", "2024-02-30", "2024-1-1",
		"2024-01-01T25:00", "2024-01-01T12:00+02:00", "yesterday", "" };
	char err[CMT_ERRLEN], buf[40];
	int64_t ms;
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(cmt_parse_time_ms(ok[i].s, &ms, err), CMT_OK);
		assert_int_equal(ms, ok[i].ms);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (cmt_parse_time_ms(bad[i], &ms, err) == CMT_OK)
			fail_msg("accepted '%s'", bad[i]);
	/* data files: offsets count, a day must exist in its year */
	assert_int_equal(cmt_parse_iso_time("2024-03-01 02:00:00+02:00", 25,
		&ms, err), CMT_OK);
	assert_int_equal(ms, 1709251200000LL);
	assert_int_equal(cmt_parse_iso_time("2024-02-29T19:30:00.5-0500", 26,
		&ms, err), CMT_OK);
	assert_int_equal(ms, 1709253000500LL);
	assert_int_equal(cmt_parse_iso_time("2024-03-01T00:00Z", 17, &ms,
		err), CMT_OK);
	assert_int_equal(ms, 1709251200000LL);
	assert_int_not_equal(cmt_parse_iso_time("2023-02-29", 10, &ms, err),
		CMT_OK);
	assert_int_not_equal(cmt_parse_iso_time("now", 3, &ms, err), CMT_OK);
	assert_int_not_equal(cmt_parse_iso_time("1709209800", 10, &ms, err),
		CMT_OK);
	assert_int_not_equal(cmt_parse_time_ms("2023-02-29", &ms, err), CMT_OK);
	cmt_format_time(1709209800250LL, buf, sizeof buf);
	assert_string_equal(buf, "2024-02-29T12:30:00.250Z");
	cmt_format_time(-1000, buf, sizeof buf);
	assert_string_equal(buf, "1969-12-31T23:59:59.000Z");
	assert_int_equal(cmt_days_from_civil(2024, 3, 1), 19783);
	assert_int_equal(cmt_days_from_civil(1900, 3, 1), -25508);
}

static void
numbers_are_checked_whole_and_against_their_range(void **state)
{
	char err[CMT_ERRLEN];
	long long v;
	double d;

	assert_int_equal(cmt_parse_int("42", 0, 100, &v, err), CMT_OK);
	assert_int_equal(v, 42);
	assert_int_not_equal(cmt_parse_int("42x", 0, 100, &v, err), CMT_OK);
	assert_int_not_equal(cmt_parse_int("101", 0, 100, &v, err), CMT_OK);
	assert_int_not_equal(cmt_parse_int("99999999999999999999", 0, 100, &v,
		err), CMT_OK);
	assert_int_equal(cmt_parse_double("0.25", 0, 1, &d, err), CMT_OK);
	assert_close(d, 0.25, 0);
	assert_int_not_equal(cmt_parse_double("nan", 0, 1, &d, err), CMT_OK);
	assert_int_not_equal(cmt_parse_double("inf", 0, 1e308, &d, err), CMT_OK);
}

static void
csv_fields_split_on_every_comma_including_empty_ones(void **state)
{
	const char *line = "t,,px,", *p = line, *f;
	const char *want[] = { "t", "", "px", "" };
	size_t n;
	int i = 0, more;

	do {
		more = cmt_csv_field(&p, line + strlen(line), &f, &n);
		assert_true(i < 4);
		assert_int_equal(n, strlen(want[i]));
		assert_memory_equal(f, want[i], n);
		i++;
	} while (more);
	assert_int_equal(i, 4);
	p = line;
	assert_int_equal(cmt_csv_field(&p, line, &f, &n), 0);  /* empty line */
	assert_int_equal(n, 0);
}

static void
csv_numbers_name_their_column_in_errors(void **state)
{
	char err[CMT_ERRLEN];
	double v;
	int integral;

	assert_int_equal(cmt_csv_number("48134.78", 8, "px", &v, &integral, err),
		CMT_OK);
	assert_close(v, 48134.78, 0);
	assert_int_equal(cmt_csv_number("12x", 3, "px", &v, &integral, err),
		CMT_ESYNTAX);
	assert_string_equal(err, "\"px\" is not a number: '12x'");
	assert_int_equal(cmt_csv_number("", 0, "t", &v, &integral, err),
		CMT_EMISSING);
	assert_string_equal(err, "empty \"t\"");
	/* the cell is bounded by its length, not by a NUL */
	assert_int_equal(cmt_csv_number("1,2", 1, "t", &v, &integral, err),
		CMT_OK);
	assert_close(v, 1, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(durations_parse_with_units_and_reject_junk),
		cmocka_unit_test(durations_format_in_their_shortest_exact_spelling),
		cmocka_unit_test(duration_lists_count_and_bound_their_items),
		cmocka_unit_test(times_parse_to_utc_epoch_milliseconds),
		cmocka_unit_test(numbers_are_checked_whole_and_against_their_range),
		cmocka_unit_test(csv_fields_split_on_every_comma_including_empty_ones),
		cmocka_unit_test(csv_numbers_name_their_column_in_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
