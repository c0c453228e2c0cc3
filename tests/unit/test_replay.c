/* Unit tests for the tick replay: merging, filtering, pacing arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmt_replay.h"

static void
write_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	size_t n = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

static void
files_are_merged_in_time_order_and_lines_kept_verbatim(void **state)
{
	char a[] = "/tmp/test_replay.XXXXXX", b[] = "/tmp/test_replay.XXXXXX";
	char *paths[] = { a, b };
	char err[CMT_ERRLEN];
	struct cmt_replay *r;
	struct cmt_replay_rec rec;
	int64_t want[] = { 1000, 1500, 2000, 2000 };
	int i;

	write_file(a, "{ \"t\":1000,\"sym\":\"BTC-USD\",\"px\":1,\"z\":0}\n"
		"{\"t\":2000,\"sym\":\"BTC-USD\",\"px\":2}\n");
	write_file(b, "t,sym,px\n1500,ETH-USD,3\n2000,ETH-USD,4\n");
	assert_int_equal(cmt_replay_open(&r, paths, 2, INT64_MIN, INT64_MAX,
		err), CMT_OK);
	for (i = 0; i < 4; i++) {
		assert_int_equal(cmt_replay_next(r, &rec, err), CMT_OK);
		assert_int_equal(rec.t, want[i]);
		if (i == 0)
			assert_memory_equal(rec.line,
				"{ \"t\":1000,\"sym\":\"BTC-USD\",\"px\":1,\"z\":0}",
				rec.len);
		if (i == 1)
			assert_memory_equal(rec.line,
				"{\"t\":1500,\"sym\":\"ETH-USD\",\"px\":3}", rec.len);
		if (i == 2)
			assert_string_equal(rec.file, a);
	}
	assert_int_equal(cmt_replay_next(r, &rec, err), CMT_ESKIP);
	cmt_replay_close(r);
	unlink(a);
	unlink(b);
}

static void
a_bad_line_is_an_error_with_its_line_number_then_replay_goes_on(void **state)
{
	char a[] = "/tmp/test_replay.XXXXXX";
	char *paths[] = { a };
	char err[CMT_ERRLEN];
	struct cmt_replay *r;
	struct cmt_replay_rec rec;

	write_file(a, "{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1}\nxx\n"
		"{\"t\":2,\"sym\":\"BTC-USD\",\"px\":2}\n");
	assert_int_equal(cmt_replay_open(&r, paths, 1, INT64_MIN, INT64_MAX,
		err), CMT_OK);
	assert_int_equal(cmt_replay_next(r, &rec, err), CMT_OK);
	assert_int_not_equal(cmt_replay_next(r, &rec, err), CMT_OK);
	assert_int_equal(rec.lineno, 2);
	assert_int_equal(cmt_replay_next(r, &rec, err), CMT_OK);
	assert_int_equal(rec.t, 2);
	assert_int_equal(cmt_replay_next(r, &rec, err), CMT_ESKIP);
	cmt_replay_close(r);
	unlink(a);
}

static void
the_range_is_half_open(void **state)
{
	char a[] = "/tmp/test_replay.XXXXXX";
	char *paths[] = { a };
	char err[CMT_ERRLEN];
	struct cmt_replay *r;
	struct cmt_replay_rec rec;

	write_file(a, "{\"t\":10,\"sym\":\"A-B\",\"px\":1}\n"
		"{\"t\":20,\"sym\":\"A-B\",\"px\":1}\n"
		"{\"t\":30,\"sym\":\"A-B\",\"px\":1}\n");
	assert_int_equal(cmt_replay_open(&r, paths, 1, 20, 30, err), CMT_OK);
	assert_int_equal(cmt_replay_next(r, &rec, err), CMT_OK);
	assert_int_equal(rec.t, 20);
	assert_int_equal(cmt_replay_next(r, &rec, err), CMT_ESKIP);
	cmt_replay_close(r);
	unlink(a);
}

static void
the_pacer_schedules_relative_to_the_first_tick(void **state)
{
	struct cmt_replay_pacer p;
	int64_t d;

	cmt_replay_pacer_init(&p, 4, 0);
	assert_int_equal(cmt_replay_delay(&p, 10000), 0);  /* starts clock */
	d = cmt_replay_delay(&p, 14000);  /* 4 s of ticks at 4x: 1 s */
	assert_true(d > 990000000 && d <= 1000000000);
	assert_int_equal(cmt_replay_delay(&p, 9000), 0);   /* the past */
	assert_int_equal(cmt_replay_delay(&p, 10000), 0);
	cmt_replay_pacer_init(&p, 0, 0);                      /* max */
	assert_int_equal(cmt_replay_delay(&p, 1), 0);
	assert_int_equal(cmt_replay_delay(&p, 1000000000), 0);
	assert_int_equal(cmt_replay_wait(&p, 1000000000), 0);
}

static void
warmup_ticks_are_not_paced_and_the_clock_starts_after_them(void **state)
{
	struct cmt_replay_pacer p;
	int64_t d;

	cmt_replay_pacer_init(&p, 1, 3600000);
	assert_int_equal(cmt_replay_delay(&p, 0), 0);
	assert_int_equal(cmt_replay_delay(&p, 1800000), 0);
	assert_int_equal(cmt_replay_delay(&p, 3599999), 0);
	assert_int_equal(cmt_replay_delay(&p, 3600000), 0);  /* starts clock */
	d = cmt_replay_delay(&p, 3601000);
	assert_true(d > 990000000 && d <= 1000000000);
}

static void
the_pacer_sleeps_until_the_tick_is_due(void **state)
{
	struct cmt_replay_pacer p;

	cmt_replay_pacer_init(&p, 1000, 0);
	cmt_replay_delay(&p, 0);
	assert_int_equal(cmt_replay_wait(&p, 20000), 0);  /* 20 ms */
	assert_int_equal(cmt_replay_delay(&p, 20000), 0);
	assert_true(cmt_replay_delay(&p, 40000) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(files_are_merged_in_time_order_and_lines_kept_verbatim),
		cmocka_unit_test(a_bad_line_is_an_error_with_its_line_number_then_replay_goes_on),
		cmocka_unit_test(the_range_is_half_open),
		cmocka_unit_test(the_pacer_schedules_relative_to_the_first_tick),
		cmocka_unit_test(warmup_ticks_are_not_paced_and_the_clock_starts_after_them),
		cmocka_unit_test(the_pacer_sleeps_until_the_tick_is_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
