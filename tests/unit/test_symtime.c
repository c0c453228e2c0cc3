/* Unit tests for the time rule of a symbol's stream (cmt_symtime.h):
 * each class of skipped time, the far-future glitch that costs one line,
 * and the jump its next time confirms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cmt_clock.h"
#include "cmt_symtime.h"

#define DAY 86400000

static enum cmt_symtime_skip
take(struct cmt_symtime *st, int64_t t, int64_t max, char *err)
{
	enum cmt_symtime_skip why = CMT_SYMTIME_NCLASS;
	enum cmt_err e = cmt_symtime_take(st, "BTC-USD", "vector", t, max,
		&why, err);

	assert_int_equal(e, why == CMT_SYMTIME_TAKEN ? CMT_OK : CMT_EORDER);
	return why;
}

static void
times_must_increase_a_repeat_and_an_older_time_are_skipped(void **state)
{
	struct cmt_symtime st = { 0 };
	char err[CMT_ERRLEN];

	assert_int_equal(take(&st, 1000, DAY, err), CMT_SYMTIME_TAKEN);
	assert_int_equal(take(&st, 1000, DAY, err), CMT_SYMTIME_REPEAT);
	assert_string_equal(err, "BTC-USD: timestamp 1000 is the same as the "
		"previous vector's: a repeat, skipped");
	assert_int_equal(take(&st, 999, DAY, err), CMT_SYMTIME_BEFORE);
	assert_string_equal(err, "BTC-USD: timestamp 999 is before the "
		"previous vector's (1000): skipped");
	assert_int_equal(take(&st, 2000, 0, err), CMT_SYMTIME_TAKEN);
	assert_int_equal(st.last_t, 2000);
}

static void
a_far_future_glitch_costs_one_time_and_a_confirmed_jump_is_taken(void **state)
{
	struct cmt_symtime st = { 0 };
	char err[CMT_ERRLEN];

	assert_int_equal(take(&st, 1000, DAY, err), CMT_SYMTIME_TAKEN);
	/* exactly max ahead is plausible; one more is not */
	assert_int_equal(take(&st, 1000 + DAY, DAY, err), CMT_SYMTIME_TAKEN);
	assert_int_equal(take(&st, 4102444800000, DAY, err),
		CMT_SYMTIME_JUMP);
	assert_string_equal(err, "BTC-USD: timestamp 4102444800000 "
		"(2100-01-01T00:00:00.000Z) is more than 1d ahead of the "
		"symbol's previous vector (--max-jump): skipped; a next vector "
		"as far ahead confirms a jump");
	/* the stream goes on as if it had not come */
	assert_int_equal(take(&st, 2000 + DAY, DAY, err), CMT_SYMTIME_TAKEN);
	/* two days on, twice: the second confirms the jump */
	assert_int_equal(take(&st, 2000 + 3 * DAY, DAY, err),
		CMT_SYMTIME_JUMP);
	assert_int_equal(take(&st, 3000 + 3 * DAY, DAY, err),
		CMT_SYMTIME_TAKEN);
	assert_int_equal(st.last_t, 3000 + 3 * DAY);
	/* with no check, any later time is taken */
	assert_int_equal(take(&st, 4102444800000, 0, err), CMT_SYMTIME_TAKEN);
}

static void
a_first_time_far_ahead_of_the_clock_is_skipped(void **state)
{
	struct cmt_symtime st = { 0 };
	char err[CMT_ERRLEN];
	int64_t now = cmt_clock_wall_ms();

	assert_int_equal(take(&st, 4102444800000, DAY, err),
		CMT_SYMTIME_JUMP);
	assert_non_null(strstr(err, "is more than 1d ahead of the clock "
		"(--max-jump): skipped"));
	assert_null(strstr(err, "confirms"));
	assert_int_equal(st.started, 0);
	/* a replay of old data, or a live stream, is taken */
	assert_int_equal(take(&st, now + 60000, DAY, err), CMT_SYMTIME_TAKEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(times_must_increase_a_repeat_and_an_older_time_are_skipped),
		cmocka_unit_test(a_far_future_glitch_costs_one_time_and_a_confirmed_jump_is_taken),
		cmocka_unit_test(a_first_time_far_ahead_of_the_clock_is_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
