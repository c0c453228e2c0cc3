/* The fast path of cmt_tick_parse_json (issue 13) against the general
 * parser, and the bar and warm fields of the tick.  A line that begins "{ " instead of "{" means the same, but never
 * takes the fast path: so parsing both must give the same status, message
 * and fields, on ticks as the tools write them and on hundreds of thousands
 * of mutations of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_json.h"
#include "cmt_tick.h"

static uint64_t rng = 13;

static uint64_t
rnd(uint64_t n)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return (z ^ (z >> 31)) % n;
}

static size_t
make_line(char *buf)
{
	static const char *const syms[] = { "BTC-USD", "eth-usdt", "SOL-EUR" };
	static const char *const srcs[] = { "sim", "binance", "coingecko" };
	size_t n;
	double px;

	n = (size_t)sprintf(buf, "{\"t\":%llu,\"sym\":\"%s\",\"px\":",
		(unsigned long long)(1704067200000u + rnd(100000000)),
		syms[rnd(3)]);
	px = (double)(1 + rnd(100000000)) / pow(10, (double)rnd(6));
	n += (size_t)cmt_fmt_double(buf + n, px, 15);
	if (!rnd(3)) {          /* a bar: open, high and low around px */
		n += (size_t)sprintf(buf + n, ",\"o\":");
		n += (size_t)cmt_fmt_double(buf + n, px * 0.999, 15);
		n += (size_t)sprintf(buf + n, ",\"h\":");
		n += (size_t)cmt_fmt_double(buf + n, px * 1.002, 15);
		n += (size_t)sprintf(buf + n, ",\"l\":");
		n += (size_t)cmt_fmt_double(buf + n, px * 0.995, 15);
	}
	if (rnd(4)) {
		n += (size_t)sprintf(buf + n, ",\"vol\":");
		n += (size_t)cmt_fmt_double(buf + n, (double)rnd(10000000) /
			pow(10, (double)rnd(7)), 15);
	}
	if (!rnd(3))
		n += (size_t)sprintf(buf + n, ",\"side\":\"%s\"",
			rnd(2) ? "buy" : "sell");
	if (rnd(3))
		n += (size_t)sprintf(buf + n, ",\"src\":\"%s\"", srcs[rnd(3)]);
	if (!rnd(5))
		n += (size_t)sprintf(buf + n, ",\"warm\":true");
	buf[n++] = '}';
	buf[n] = '\0';
	return n;
}

static unsigned long compared, ok;

static void
compare(const char *line, size_t len)
{
	struct cmt_tick a, b;
	char slow[2100], ea[CMT_ERRLEN] = "", eb[CMT_ERRLEN] = "";
	enum cmt_err ra, rb;

	if (len == 0 || line[0] != '{' || len + 1 >= sizeof slow)
		return;
	slow[0] = '{';
	slow[1] = ' ';
	memcpy(slow + 2, line + 1, len - 1);
	memset(&a, 0x55, sizeof a);
	memset(&b, 0x55, sizeof b);
	ra = cmt_tick_parse_json(line, len, &a, ea);
	rb = cmt_tick_parse_json(slow, len + 1, &b, eb);
	compared++;
	if (ra != rb || (ra != CMT_OK && strcmp(ea, eb) != 0))
		fail_msg("%.*s: %d \"%s\", general parser %d \"%s\"", (int)len,
			line, ra, ea, rb, eb);
	if (ra != CMT_OK)
		return;
	ok++;
	if (a.t != b.t || strcmp(a.sym, b.sym) != 0 ||
	    memcmp(&a.px, &b.px, sizeof a.px) != 0 || a.has_vol != b.has_vol ||
	    (a.has_vol && memcmp(&a.vol, &b.vol, sizeof a.vol) != 0) ||
	    strcmp(a.src, b.src) != 0 || a.side != b.side ||
	    a.has_bar != b.has_bar || a.warm != b.warm || (a.has_bar &&
	    (memcmp(&a.o, &b.o, sizeof a.o) != 0 ||
	    memcmp(&a.h, &b.h, sizeof a.h) != 0 ||
	    memcmp(&a.l, &b.l, sizeof a.l) != 0)))
		fail_msg("%.*s: fields differ", (int)len, line);
}

static void
compare_str(const char *line)
{
	compare(line, strlen(line));
}

static void
edge_cases(void **state)
{
	static const char *const lines[] = {
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"vol\":0}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"vol\":null}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"vol\":-1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"vol\":1e400}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":0}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":-0}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1e400}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":\"1\"}",
		"{\"t\":-1,\"sym\":\"BTC-USD\",\"px\":1}",
		"{\"t\":1.5,\"sym\":\"BTC-USD\",\"px\":1}",
		"{\"t\":1e3,\"sym\":\"BTC-USD\",\"px\":1}",
		"{\"t\":9007199254740992,\"sym\":\"BTC-USD\",\"px\":1}",
		"{\"t\":9007199254740991,\"sym\":\"BTC-USD\",\"px\":1}",
		"{\"t\":01,\"sym\":\"BTC-USD\",\"px\":1}",
		"{\"t\":1,\"sym\":\"BTC\\u002dUSD\",\"px\":1}",
		"{\"t\":1,\"sym\":\"BTCUSD\",\"px\":1}",
		"{\"t\":1,\"sym\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ-A\",\"px\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":\"\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":null}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":\"a\\\"b\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":\"\xc3\xa9t\xc3\xa9\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":\"\xc3\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":\"\x7f\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":\"12345678901234567890123\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":\"123456789012345678901234\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":\"x\",\"vol\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"vol\":1,\"vol\":2}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"vol\":1,\"side\":\"buy\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"side\":\"sell\",\"src\":\"x\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"side\":\"Buy\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"side\":\"buyer\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"side\":null}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"side\":\"buy\",\"side\":\"sell\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"src\":\"x\",\"side\":\"buy\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"t\":2}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,\"x\":[1,{}]}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1} ",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1}}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1",
		"{\"t\":1,\"sym\":\"BTC-USD\"}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":1,}",
		/* bars (cmt-tick(5): o, h, l all or none, l <= o, px <= h) */
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"o\":1,\"h\":3,\"l\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"o\":1,\"h\":3,\"l\":1,"
			"\"vol\":5,\"src\":\"x\",\"warm\":true}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"o\":1,\"h\":3}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"h\":3,\"o\":1,\"l\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":4,\"o\":1,\"h\":3,\"l\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"o\":1,\"h\":3,\"l\":1.5}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"o\":0,\"h\":3,\"l\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"o\":1,\"h\":1e400,\"l\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"o\":1,\"h\":\"3\",\"l\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"o\":1,\"h\":3,\"l\":1,\"o\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"o\":null,\"h\":null,\"l\":null}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"warm\":true}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"warm\":false}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"warm\":1}",
		"{\"t\":1,\"sym\":\"BTC-USD\",\"px\":2,\"warm\":true,\"src\":\"x\"}",
	};
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
		compare_str(lines[i]);
	assert_true(ok >= 8);
}

static void
bar_and_warm_fields_are_read_checked_and_written_back(void **state)
{
	static const char *const bad[][2] = {
		{ "{\"t\":1,\"sym\":\"A-B\",\"px\":2,\"o\":1,\"h\":3}",
		  "a bar needs \"o\", \"h\" and \"l\" together" },
		{ "{\"t\":1,\"sym\":\"A-B\",\"px\":4,\"o\":1,\"h\":3,\"l\":1}",
		  "bar range [\"l\", \"h\"] does not hold \"o\" and \"px\"" },
		{ "{\"t\":1,\"sym\":\"A-B\",\"px\":2,\"o\":0,\"h\":3,\"l\":1}",
		  "\"o\" must be > 0" },
		{ "{\"t\":1,\"sym\":\"A-B\",\"px\":2,\"warm\":1}",
		  "\"warm\" is not true or false" },
	};
	struct cmt_tick_decoder d;
	struct cmt_tick tk;
	char err[CMT_ERRLEN], out[CMT_TICK_LINE_MAX];
	const char *line = "{\"t\":60000,\"sym\":\"BTC-USD\",\"px\":2.5,"
		"\"o\":2,\"h\":3,\"l\":1.5,\"vol\":7,\"src\":\"x\",\"warm\":true}";
	size_t i;

	assert_int_equal(cmt_tick_parse_json(line, strlen(line), &tk, err),
		CMT_OK);
	assert_true(tk.has_bar && tk.o == 2 && tk.h == 3 && tk.l == 1.5);
	assert_true(tk.px == 2.5 && tk.warm && tk.has_vol && tk.vol == 7);
	cmt_tick_format_json(&tk, out);
	assert_int_equal(strlen(out), strlen(line) + 1);
	assert_memory_equal(out, line, strlen(line));      /* the same order */
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(cmt_tick_parse_json(bad[i][0], strlen(bad[i][0]),
			&tk, err) != CMT_OK, 1);
		assert_string_equal(err, bad[i][1]);
	}
	/* CSV: the same columns, bar all or none */
	cmt_tick_decoder_init(&d, CMT_TICK_AUTO);
	assert_int_equal(cmt_tick_decode(&d, "t,sym,o,h,l,px,vol,warm", 23, &tk,
		err), CMT_ESKIP);
	assert_int_equal(cmt_tick_decode(&d, "60000,BTC-USD,2,3,1.5,2.5,7,true",
		32, &tk, err), CMT_OK);
	assert_true(tk.has_bar && tk.o == 2 && tk.h == 3 && tk.l == 1.5 &&
		tk.warm);
	assert_int_equal(cmt_tick_decode(&d, "60000,BTC-USD,,,,2.5,7,", 23, &tk,
		err), CMT_OK);
	assert_true(!tk.has_bar && !tk.warm);
	assert_int_equal(cmt_tick_decode(&d, "60000,BTC-USD,2,,1.5,2.5,7,", 27,
		&tk, err), CMT_EMISSING);
}

static void
random_mutations(void **state)
{
	static const char interesting[] = "{}[]\":,.-+eE0123456789 \\nul\t\x01\x80";
	char line[512], mut[512];
	size_t n, m, at;
	int round, k;

	for (round = 0; round < 6000; round++) {
		n = make_line(line);
		compare(line, n);
		for (k = 0; k < 40; k++) {
			at = rnd(n);
			switch (rnd(3)) {
			case 0:
				memcpy(mut, line, at);
				memcpy(mut + at, line + at + 1, n - at - 1);
				m = n - 1;
				break;
			case 1:
				memcpy(mut, line, at);
				mut[at] = interesting[rnd(sizeof interesting - 1)];
				memcpy(mut + at + 1, line + at, n - at);
				m = n + 1;
				break;
			default:
				memcpy(mut, line, n);
				mut[at] = interesting[rnd(sizeof interesting - 1)];
				m = n;
				break;
			}
			compare(mut, m);
		}
	}
	print_message("  %lu lines compared, %lu parsed\n", compared, ok);
	assert_true(ok > 6000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edge_cases),
		cmocka_unit_test(bar_and_warm_fields_are_read_checked_and_written_back),
		cmocka_unit_test(random_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
