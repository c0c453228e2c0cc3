/* Candle files (lib/candle.c, lib/candle_symbol.c): symbols as files
 * spell them, symbols from file names, the time units, the bar length, and
 * the CSV written back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmt_candle.h"

static void
symbols_as_files_spell_them_become_base_quote(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "BTC-USDT", "BTC-USDT" }, { "btc/usdt", "BTC-USDT" },
		{ "BTC/USDT:USDT", "BTC-USDT" }, { "ETH_BTC", "ETH-BTC" },
		{ "btcusdt", "BTC-USDT" }, { "ETHBTC", "ETH-BTC" },
		{ "SOLFDUSD", "SOL-FDUSD" }, { "XBTUSD", "XBT-USD" },
	};
	static const char *const bad[] = { "BTC", "USDT", "BTC-", "B/T/C",
		"BTC USDT", "" };
	char out[CMT_SYM_MAX], err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(cmt_candle_symbol(ok[i].in, strlen(ok[i].in),
			out, err), CMT_OK);
		assert_string_equal(out, ok[i].out);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (cmt_candle_symbol(bad[i], strlen(bad[i]), out, err) == CMT_OK)
			fail_msg("accepted '%s' as %s", bad[i], out);
}

static void
file_names_give_the_symbol_as_their_makers_write_them(void **state)
{
	static const struct { const char *path, *sym; } cases[] = {
		{ "user_data/data/binance/BTC_USDT-1m.json", "BTC-USDT" },
		{ "BTC_USDT_USDT-1h-futures.json", "BTC-USDT" },
		{ "ETH_BTC-5m.json.gz", "ETH-BTC" },
		{ "/d/BTCUSDT-1m-2024-01.csv", "BTC-USDT" },
		{ "btcusdt_binance_1m_2024.csv", "BTC-USDT" },
		{ "btcusdt_1m_2024-03-04_2024-03-10.csv.gz", "BTC-USDT" },
		{ "candles.csv", NULL }, { "-", NULL }, { "dir/", NULL },
	};
	char out[CMT_SYM_MAX];
	size_t i;
	int got;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		got = cmt_candle_symbol_of_path(cases[i].path, out);
		if (!cases[i].sym) {
			if (got)
				fail_msg("%s: gave %s", cases[i].path, out);
			continue;
		}
		if (!got)
			fail_msg("%s: no symbol", cases[i].path);
		assert_string_equal(out, cases[i].sym);
	}
}

/* The ticks of a candle text, "t px" words, or the first error. */
static void
ticks_of(const char *text, const struct cmt_candle_opts *o, char *out)
{
	struct cmt_linereader *lr;
	struct cmt_candles *c;
	struct cmt_tick tk;
	char err[CMT_ERRLEN];
	uint64_t no;
	enum cmt_err e;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)),
		(ssize_t)strlen(text));
	close(p[1]);
	lr = cmt_line_open(p[0], 0);
	*out = '\0';
	if ((e = cmt_candles_open(&c, lr, "x.csv", o, err))) {
		strcpy(out, err);
	} else {
		while ((e = cmt_candles_next(c, &tk, &no, err)) != CMT_ESKIP) {
			if (e) {
				sprintf(out + strlen(out), "%s!%llu",
					*out ? " " : "", (unsigned long long)no);
				if (e == CMT_EFORMAT)
					break;
				continue;
			}
			sprintf(out + strlen(out), "%s%lld:%g", *out ? " " : "",
				(long long)tk.t, tk.px);
		}
		cmt_candles_close(c);
	}
	cmt_line_close(lr);
	close(p[0]);
}

static void
times_in_every_unit_and_the_bar_closing_one_length_later(void **state)
{
	struct cmt_candle_opts o = { .sym = "A-B" };
	char out[1024];

	/* seconds, ms, us, ns and ISO: the same bars, 2 minutes apart */
	ticks_of("ts,o,h,l,c\n600,1,1,1,1\n720,2,2,2,2\n", &o, out);
	assert_string_equal(out, "720000:1 840000:2");
	ticks_of("ts,o,h,l,c\n600000,1,1,1,1\n720000,2,2,2,2\n", &o, out);
	assert_string_equal(out, "720000000:1 840000000:2");  /* < 1e11: s */
	ticks_of("ts,o,h,l,c\n1704067200000,1,1,1,1\n1704067320000,2,2,2,2\n",
		&o, out);
	assert_string_equal(out, "1704067320000:1 1704067440000:2");
	ticks_of("ts,o,h,l,c\n1704067200000000,1,1,1,1\n"
		"1704067320000000,2,2,2,2\n", &o, out);
	assert_string_equal(out, "1704067320000:1 1704067440000:2");
	ticks_of("ts,o,h,l,c\n1704067200000000000,1,1,1,1\n"
		"1704067320000000000,2,2,2,2\n", &o, out);
	assert_string_equal(out, "1704067320000:1 1704067440000:2");
	ticks_of("date,o,h,l,c\n2024-01-01,1,1,1,1\n2024-01-01 00:02,2,2,2,2\n",
		&o, out);
	assert_string_equal(out, "1704067320000:1 1704067440000:2");
	/* fractions of a second are kept to the ms, finer is refused */
	ticks_of("ts,o,h,l,c\n1704067200.5,1,1,1,1\n1704067320.5,2,2,2,2\n",
		&o, out);
	assert_string_equal(out, "1704067320500:1 1704067440500:2");
	ticks_of("ts,o,h,l,c\n1704067200000001,1,1,1,1\n"
		"1704067320000000,2,2,2,2\n1704067440000000,3,3,3,3\n", &o, out);
	assert_string_equal(out, "!2 1704067440000:2 1704067560000:3");
}

static void
the_bar_length_is_the_commonest_spacing_or_the_close_time(void **state)
{
	struct cmt_candle_opts o = { .sym = "A-B" }, one = { .sym = "A-B",
		.bar_ms = 60000 };
	char out[1024];

	/* 60 s twice, a 10-minute gap once: bars of a minute */
	ticks_of("ts,o,h,l,c\n0,1,1,1,1\n60,1,1,1,1\n660,1,1,1,1\n720,1,1,1,1\n",
		&o, out);
	assert_string_equal(out, "60000:1 120000:1 720000:1 780000:1");
	/* one bar: the length must be given */
	ticks_of("ts,o,h,l,c\n0,1,1,1,1\n", &o, out);
	assert_string_equal(out, "!2");
	ticks_of("ts,o,h,l,c\n0,1,1,1,1\n", &one, out);
	assert_string_equal(out, "60000:1");
	/* a close time wins; one ms short of a second is the bar's last */
	ticks_of("open_time,close_time,o,h,l,c\n"
		"1704067200000,1704067499999,1,1,1,1\n"
		"1704067500000,1704067800000,2,2,2,2\n", &one, out);
	assert_string_equal(out, "1704067500000:1 1704067800000:2");
	/* a bar that overlaps the one before is a bad line */
	ticks_of("ts,o,h,l,c\n0,1,1,1,1\n60,1,1,1,1\n90,1,1,1,1\n120,1,1,1,1\n"
		"180,1,1,1,1\n240,1,1,1,1\n", &o, out);
	assert_string_equal(out, "60000:1 120000:1 !4 180000:1 240000:1 "
		"300000:1");
}

static void
the_csv_written_reads_back_to_the_same_tick(void **state)
{
	struct cmt_tick tk = { .t = 1704067260000, .px = 42000.5, .o = 42001,
		.h = 42010.25, .l = 41990, .has_bar = 1, .vol = 1.5, .has_vol = 1,
		.sym = "BTC-USDT", .src = "binance" }, point = tk;
	struct cmt_candle_opts o = { .sym = "" };
	char text[2 * CMT_CANDLE_CSV_MAX], out[1024];
	int n;

	n = cmt_candle_csv_header(text);
	n += cmt_candle_csv_row(&tk, 60000, text + n);
	assert_string_equal(text, "open_time,close_time,sym,open,high,low,"
		"close,volume,src\n1704067200000,1704067260000,BTC-USDT,42001,"
		"42010.25,41990,42000.5,1.5,binance\n");
	ticks_of(text, &o, out);
	assert_string_equal(out, "1704067260000:42000.5");
	point.has_bar = 0;
	assert_int_equal(cmt_candle_csv_row(&point, 60000, text), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(symbols_as_files_spell_them_become_base_quote),
		cmocka_unit_test(file_names_give_the_symbol_as_their_makers_write_them),
		cmocka_unit_test(times_in_every_unit_and_the_bar_closing_one_length_later),
		cmocka_unit_test(the_bar_length_is_the_commonest_spacing_or_the_close_time),
		cmocka_unit_test(the_csv_written_reads_back_to_the_same_tick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
