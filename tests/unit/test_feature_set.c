/* Feature sets with extension parts: ids (parts in any order, written in
 * one, each checked), names and counts, lookbacks and warm-ups, which sets
 * contain which (what a model can read), the command-line options and
 * --wide, and the bytes a symbol costs for each part, as
 * cmt_features_symbol_bytes states them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cmt_features.h"
#include "cmt_test.h"

#define BASE "cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;" \
	"bb=20/2;mom=10;vt=5/20"

static struct cmt_feature_set
set_of(const char *id)
{
	struct cmt_feature_set fs;
	char err[CMT_ERRLEN];

	if (cmt_fs_parse_id(id, &fs, err))
		fail_msg("%s: %s", id, err);
	return fs;
}

static void
extension_ids_round_trip_in_one_order(void **state)
{
	struct cmt_feature_set fs, back;
	char id[CMT_FS_ID_MAX], err[CMT_ERRLEN];

	fs = set_of(BASE ";" CMT_FS_WIDE);
	cmt_fs_format_id(&fs, id);
	assert_string_equal(id, BASE ";" CMT_FS_WIDE);
	assert_int_equal(cmt_fs_parse_id(id, &back, err), CMT_OK);
	assert_memory_equal(&fs, &back, sizeof fs);
	/* any order and spelling in; one out; a list keeps its order */
	fs = set_of("cmt1;step=60s;ret=1m/5m/15m/60m;rv=30m/60m;rsi=14;"
		"macd=12/26/9;bb=20/2;mom=10;vt=5/20;cal=utc;hl=1440m/60m;"
		"zr=3600s;bar=step;rng=60m");
	cmt_fs_format_id(&fs, id);
	assert_string_equal(id, BASE ";rng=1h;bar=step;zr=1h;hl=1d/1h;cal=utc");
	/* no extension: the id of old */
	fs = set_of(BASE);
	cmt_fs_format_id(&fs, id);
	assert_string_equal(id, BASE);
	assert_int_equal(cmt_fs_count(&fs), CMT_FEAT_BASE);
}

static void
bad_extension_parts_are_refused_saying_which(void **state)
{
	static const struct {
		const char *id, *says;
	} bad[] = {
		{ BASE ";foo=1", "unknown feature-set part 'foo'" },
		{ BASE ";cal=utc;cal=utc", "part cal twice" },
		{ BASE ";cal=local", "cal=utc" },
		{ BASE ";bar=1", "bar=step" },
		{ BASE ";hl=1h/2h/3h/4h/5h", "at most 4 windows" },
		{ BASE ";vz=1h/2h", "at most 1 window" },
		{ BASE ";hl=90s", "not a positive multiple of the step" },
		{ BASE ";rng=0s", "not a positive multiple" },
		{ BASE ";vz=1m", "needs at least 2 steps" },
		{ BASE ";lt=1h", "feature ret_1h twice" },
		{ BASE ";lt=30m", "feature rv_30m twice" },
		{ BASE ";hl=1h/60m", "feature dhi_1h twice" },
		{ BASE ";hl=", "expected durations" },
		{ BASE ";hl=1h/", "expected durations" },
		{ BASE ";", "invalid feature-set part" },
		{ BASE ";hl", "invalid feature-set part" },
		{ BASE ";lt=100001m", "more than 100000 steps" },
		{ BASE ";hl=1x", "not a duration" },
	};
	struct cmt_feature_set fs;
	char err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (cmt_fs_parse_id(bad[i].id, &fs, err) == CMT_OK)
			fail_msg("%s: accepted", bad[i].id);
		if (!strstr(err, bad[i].says))
			fail_msg("%s: '%s' does not say '%s'", bad[i].id, err,
				bad[i].says);
	}
}

static void
names_count_and_lookbacks_follow_the_parts(void **state)
{
	static const char *wide[] = { TEST_WIDE_NAMES };
	static const int lookback[] = { 1, 5, 15, 60, 30, 60, 14, 33, 19, 10,
		19, 14, 14, 59, 59, 0, 0, 0, 0, 59, 60, 60, 60, 60, 59, 59, 239,
		239, 1439, 1439, 240, 240, 1440, 1440, 0, 0, 0, 0 };
	char names[CMT_FEAT_N][CMT_FEAT_NAME_MAX];
	struct cmt_feature_set fs = set_of(BASE ";" CMT_FS_WIDE);
	int lb[CMT_FEAT_N], i, n = (int)(sizeof wide / sizeof wide[0]);

	assert_int_equal(cmt_fs_count(&fs), n);
	assert_int_equal(cmt_fs_names(&fs, names), n);
	cmt_fs_lookbacks(&fs, lb);
	for (i = 0; i < n; i++) {
		assert_string_equal(names[i], wide[i]);
		if (lb[i] != lookback[i])
			fail_msg("%s: lookback %d, expected %d", wide[i], lb[i],
				lookback[i]);
	}
	/* vectors come after the base's warm-up; the day fills later */
	assert_int_equal(cmt_fs_warmup_steps(&fs), 60);
	assert_int_equal(cmt_fs_full_warmup_steps(&fs), 1440);
	fs = set_of(BASE);
	assert_int_equal(cmt_fs_full_warmup_steps(&fs), 60);
}

static void
a_set_contains_the_sets_whose_features_it_computes_alike(void **state)
{
	struct cmt_feature_set base = set_of(BASE), wide, a, b;

	wide = set_of(BASE ";" CMT_FS_WIDE);
	assert_true(cmt_fs_contains(&wide, &base));
	assert_true(cmt_fs_contains(&wide, &wide));
	assert_false(cmt_fs_contains(&base, &wide));
	a = set_of(BASE ";hl=4h/1h");
	assert_true(cmt_fs_contains(&wide, &a));   /* windows a subset */
	b = set_of(BASE ";hl=1h/2h");
	assert_false(cmt_fs_contains(&wide, &b));
	a = set_of(BASE ";zr=30m");                 /* zret_<w> scaled alike? */
	assert_false(cmt_fs_contains(&wide, &a));
	a = set_of(BASE ";cal=utc;bar=step");
	assert_true(cmt_fs_contains(&wide, &a));
	/* another base: nothing is alike */
	a = set_of("cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=9;"
		"macd=12/26/9;bb=20/2;mom=10;vt=5/20;cal=utc");
	b = set_of(BASE ";cal=utc");
	assert_false(cmt_fs_contains(&a, &b));
	assert_false(cmt_fs_contains(&b, &a));
}

static void
options_set_parts_and_wide_fills_the_rest(void **state)
{
	struct cmt_feature_set fs, want;
	char err[CMT_ERRLEN], id[CMT_FS_ID_MAX];

	fs = set_of(BASE);
	assert_int_equal(cmt_fs_option(&fs, "high-low", "2h,30m", err), CMT_OK);
	assert_int_equal(cmt_fs_option(&fs, "vol-z", "2h", err), CMT_OK);
	assert_int_equal(cmt_fs_option(&fs, "calendar", NULL, err), CMT_OK);
	assert_int_equal(cmt_fs_option(&fs, "wide", NULL, err), CMT_OK);
	cmt_fs_format_id(&fs, id);
	assert_string_equal(id, BASE ";rng=15m/1h;bar=step;vz=2h;zr=1h;"
		"hl=2h/30m;lt=4h/1d;cal=utc");
	assert_int_equal(cmt_fs_check(&fs, err), CMT_OK);
	assert_int_not_equal(cmt_fs_option(&fs, "high-low", "1h,x", err),
		CMT_OK);
	assert_int_not_equal(cmt_fs_option(&fs, "zret", "0s", err), CMT_OK);
	want = set_of(BASE ";" CMT_FS_WIDE);
	fs = set_of(BASE);
	assert_int_equal(cmt_fs_option(&fs, "wide", NULL, err), CMT_OK);
	assert_memory_equal(&fs, &want, sizeof fs);
	/* a step the wide windows are no multiple of: said by the check */
	fs = set_of("cmt1;step=7s;ret=7s/14s/21s/28s;rv=14s/28s;rsi=14;"
		"macd=12/26/9;bb=20/2;mom=10;vt=5/20");
	assert_int_equal(cmt_fs_option(&fs, "wide", NULL, err), CMT_OK);
	assert_int_not_equal(cmt_fs_check(&fs, err), CMT_OK);
	assert_non_null(strstr(err, "rng window 15m is not a positive multiple"));
}

static size_t
bytes_of(const char *id, int64_t label_ms)
{
	struct cmt_features_options o;
	struct cmt_features *fe;
	char err[CMT_ERRLEN];
	size_t n;

	memset(&o, 0, sizeof o);
	o.fs = set_of(id);
	o.max_gap_ms = 600000;
	o.max_symbols = 1;
	o.label_ms = label_ms;
	if (!(fe = cmt_features_new(&o, NULL, NULL, NULL, err)))
		fail_msg("%s: %s", id, err);
	n = cmt_features_symbol_bytes(fe);
	cmt_features_free(fe);
	return n;
}

/* What cmt_features.h states per part and per step of its windows. */
static void
the_bytes_per_symbol_are_what_the_header_states(void **state)
{
	size_t base = bytes_of(BASE, 0), x = bytes_of(BASE ";cal=utc", 0) - base;

	/* the extension's fixed state: once, whatever the parts; and 8 bytes
	 * per feature in the one vector slot there is without a label */
	assert_true(x > 0 && x < 2048);
	assert_int_equal(bytes_of(BASE ";bar=step;cal=utc", 0), base + x + 8 * 4);
	/* rng: 16 bytes per step of each window */
	assert_int_equal(bytes_of(BASE ";rng=2h", 0) - bytes_of(BASE ";rng=1h",
		0), 16 * 60);
	assert_int_equal(bytes_of(BASE ";rng=1h/2h", 0) -
		bytes_of(BASE ";rng=1h", 0), 16 * 120 + 8 * 2);
	/* vz: 24 per step; hl: 32 per step of each window */
	assert_int_equal(bytes_of(BASE ";vz=2h", 0) - bytes_of(BASE ";vz=1h", 0),
		24 * 60);
	assert_int_equal(bytes_of(BASE ";hl=1d", 0) - bytes_of(BASE ";hl=1h", 0),
		32 * (1440 - 60));
	/* lt: the price rings grow to its longest window (16 per step) and
	 * the return ring too (8 per step) */
	assert_int_equal(bytes_of(BASE ";lt=1d", 0) - bytes_of(BASE ";lt=4h", 0),
		24 * (1440 - 240));
	/* a vector waiting for its label: 56 (its time, price and bar) + 8
	 * per feature */
	assert_int_equal(bytes_of(BASE, 60000) - base, 56 + 8 * 11);
	assert_int_equal(bytes_of(BASE ";" CMT_FS_WIDE, 120000) -
		bytes_of(BASE ";" CMT_FS_WIDE, 60000), 56 + 8 * 38);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(extension_ids_round_trip_in_one_order),
		cmocka_unit_test(bad_extension_parts_are_refused_saying_which),
		cmocka_unit_test(names_count_and_lookbacks_follow_the_parts),
		cmocka_unit_test(
			a_set_contains_the_sets_whose_features_it_computes_alike),
		cmocka_unit_test(options_set_parts_and_wide_fills_the_rest),
		cmocka_unit_test(the_bytes_per_symbol_are_what_the_header_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
