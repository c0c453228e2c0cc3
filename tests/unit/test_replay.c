/* Unit tests for the tick replay: merging, filtering, pacing arithmetic. */
#define _GNU_SOURCE  /* memmem */
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

static const struct cmt_replay_opts all = { .from = INT64_MIN,
	.to = INT64_MAX };

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
	assert_int_equal(cmt_replay_open(&r, paths, 2, &all, err), CMT_OK);
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
	assert_int_equal(cmt_replay_open(&r, paths, 1, &all, err), CMT_OK);
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
	struct cmt_replay_opts o = { .from = 20, .to = 30 };

	write_file(a, "{\"t\":10,\"sym\":\"A-B\",\"px\":1}\n"
		"{\"t\":20,\"sym\":\"A-B\",\"px\":1}\n"
		"{\"t\":30,\"sym\":\"A-B\",\"px\":1}\n");
	assert_int_equal(cmt_replay_open(&r, paths, 1, &o, err), CMT_OK);
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

/* Replay the files given as texts; the times written, as "t:sym" words
 * with a "w" for a warm tick, into out; the stats into *st. */
static void
replay_texts(const char *const *texts, int n, char *out,
	struct cmt_replay_stats *st)
{
	char path[4][32], *paths[4], err[CMT_ERRLEN];
	struct cmt_replay *r;
	struct cmt_replay_rec rec;
	int i;

	for (i = 0; i < n; i++) {
		strcpy(path[i], "/tmp/test_replay.XXXXXX");
		write_file(path[i], texts[i]);
		paths[i] = path[i];
	}
	assert_int_equal(cmt_replay_open(&r, paths, n, &all, err), CMT_OK);
	*out = '\0';
	while (cmt_replay_next(r, &rec, err) == CMT_OK)
		sprintf(out + strlen(out), "%s%lld%s", *out ? " " : "",
			(long long)rec.t, memmem(rec.line, rec.len, "warm", 4) ?
			"w" : "");
	cmt_replay_stats(r, st);
	cmt_replay_close(r);
	for (i = 0; i < n; i++)
		unlink(path[i]);
}

/* Replay texts; what comes out and what was dropped must be as said. */
static void
expect_replay(const char *const *texts, int n, const char *out,
	uint64_t warm_covered, uint64_t copies)
{
	struct cmt_replay_stats st;
	char got[1024];

	replay_texts(texts, n, got, &st);
	assert_string_equal(got, out);
	assert_int_equal(st.warm_covered, warm_covered);
	assert_int_equal(st.copies, copies);
}

#define T(t) "{\"t\":" #t ",\"sym\":\"A-B\",\"px\":1}\n"
#define W(t) "{\"t\":" #t ",\"sym\":\"A-B\",\"px\":1,\"warm\":true}\n"

static void
warm_ticks_that_live_ticks_of_a_going_recording_cover_are_dropped(void **s)
{
	/* day A: a warm start, then live ticks to 600000; day B starts at
	 * 480000 with warm bars from 60000 on */
	const char *const day[] = {
		W(0) W(60000) T(60000) T(120000) T(180000) T(240000) T(300000)
		T(360000) T(420000) T(480000) T(540000) T(600000),
		W(60000) W(120000) W(420000) W(480000) T(480001) T(660000),
	};
	expect_replay(day, 2, "0w 60000w 60000 120000 180000 240000 300000 "
		"360000 420000 480000 480001 540000 600000 660000", 4, 0);
}

static void
warm_ticks_after_a_recording_ended_are_kept(void **s)
{
	/* A stopped at 120000; B's warm bars from 60000: those A's live
	 * ticks reach are dropped, those after A's end kept (the bar closing
	 * at 180000 holds no live tick of A: A ended at its open) */
	const char *const day[] = {
		T(0) T(60000) T(120000),
		W(60000) W(120000) W(180000) W(240000) T(300000),
	};
	expect_replay(day, 2, "0 60000 120000 180000w 240000w 300000", 2, 0);
}

static void
sparse_live_ticks_cover_while_their_recording_goes_on(void **s)
{
	/* live ticks every 3 minutes (a quiet market): B's warm bars in
	 * between are covered while A goes on, not after A's end */
	const char *const day[] = {
		T(0) T(180000) T(360000) T(540000),
		W(240000) W(300000) W(420000) W(600000) W(660000) W(900000),
	};
	expect_replay(day, 2, "0 180000 360000 540000 600000w 660000w 900000w",
		3, 0);
}

static void
a_restart_appended_to_the_same_file_drops_its_warm_ticks(void **s)
{
	const char *const one[] = {
		W(0) T(60000) T(120000) T(180000) W(60000) W(120000) W(180000)
		T(180001) T(240000),
	};
	expect_replay(one, 1, "0w 60000 120000 180000 180001 240000", 3, 0);
}

static void
a_line_another_file_gave_is_dropped_copies_inside_a_file_kept(void **s)
{
	const char *const two[] = {
		T(1000) T(1000) T(2000) "{\"t\":3000,\"sym\":\"A-B\",\"px\":2}\n",
		T(1000) T(1000) T(2000) "{\"t\":3000,\"sym\":\"A-B\",\"px\":3}\n",
	};
	expect_replay(two, 2, "1000 1000 2000 3000 3000", 0, 3);
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
		cmocka_unit_test(warm_ticks_that_live_ticks_of_a_going_recording_cover_are_dropped),
		cmocka_unit_test(warm_ticks_after_a_recording_ended_are_kept),
		cmocka_unit_test(sparse_live_ticks_cover_while_their_recording_goes_on),
		cmocka_unit_test(a_restart_appended_to_the_same_file_drops_its_warm_ticks),
		cmocka_unit_test(a_line_another_file_gave_is_dropped_copies_inside_a_file_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
