/* The input layer: gzip through the line reader (lib/instream.c,
 * lib/line.c) on blocking and non-blocking descriptors, and the first-line
 * rule (lib/sniff.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cmt_line.h"
#include "cmt_sniff.h"

/* text gzip-compressed (one member) into out; its length */
static size_t
gz(const char *text, unsigned char *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
		Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* All lines of a reader over fd, joined with '|'; the last return code
 * (0 at the end) in *rc. */
static void
read_all(int fd, char *out, int *rc)
{
	struct cmt_linereader *r = cmt_line_open(fd, 0);
	struct cmt_line ln;

	*out = '\0';
	while ((*rc = cmt_line_next(r, &ln)) == 1)
		sprintf(out + strlen(out), "%s%.*s", *out ? "|" : "",
			(int)ln.len, ln.s);
	cmt_line_close(r);
}

static void
gzip_members_one_after_another_and_plain_text_alike(void **state)
{
	unsigned char buf[4096];
	char out[4096];
	size_t n;
	int p[2], rc;

	assert_int_equal(pipe(p), 0);
	n = gz("a\nb\n", buf, sizeof buf);
	n += gz("c\r\nd", buf + n, sizeof buf - n);
	assert_int_equal(write(p[1], buf, n), (ssize_t)n);
	close(p[1]);
	read_all(p[0], out, &rc);
	close(p[0]);
	assert_string_equal(out, "a|b|c|d");
	assert_int_equal(rc, 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "\xef\xbb\xbfx\n\x1f", 6), 6);
	close(p[1]);
	read_all(p[0], out, &rc);
	close(p[0]);
	assert_string_equal(out, "x|\x1f");   /* BOM dropped, 0x1f alone */
}

static void
damaged_gzip_gives_the_lines_before_then_says_why(void **state)
{
	unsigned char buf[4096];
	char out[4096];
	struct cmt_linereader *r;
	struct cmt_line ln;
	size_t n;
	int p[2], rc;

	assert_int_equal(pipe(p), 0);
	n = gz("one\ntwo\nthree\n", buf, sizeof buf);
	assert_int_equal(write(p[1], buf, n - 6), (ssize_t)(n - 6));
	close(p[1]);
	r = cmt_line_open(p[0], 0);
	out[0] = '\0';
	while ((rc = cmt_line_next(r, &ln)) == 1)
		strcat(out, "+");
	assert_true(strlen(out) >= 2);      /* the lines before the cut */
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EILSEQ);
	assert_string_equal(cmt_line_error(r),
		"the gzip data ends early (a truncated file?)");
	cmt_line_close(r);
	close(p[0]);
	assert_int_equal(pipe(p), 0);
	n = gz("x\n", buf, sizeof buf);
	memcpy(buf + n, "junk", 4);
	assert_int_equal(write(p[1], buf, n + 4), (ssize_t)(n + 4));
	close(p[1]);
	r = cmt_line_open(p[0], 0);
	assert_int_equal(cmt_line_next(r, &ln), 1);
	assert_int_equal(cmt_line_next(r, &ln), -1);
	assert_string_equal(cmt_line_error(r),
		"data after the end of the gzip stream");
	cmt_line_close(r);
	close(p[0]);
}

static void
gzip_fed_a_byte_at_a_time_to_a_nonblocking_reader(void **state)
{
	unsigned char buf[4096];
	char got[256] = "";
	struct cmt_linereader *r;
	struct cmt_line ln;
	size_t n, i;
	int p[2], rc, again = 0;

	n = gz("first line\nsecond\n", buf, sizeof buf);
	assert_int_equal(pipe(p), 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	r = cmt_line_open(p[0], 0);
	for (i = 0; i <= n; i++) {
		if (i < n)
			assert_int_equal(write(p[1], buf + i, 1), 1);
		else
			close(p[1]);
		while ((rc = cmt_line_next(r, &ln)) == 1)
			sprintf(got + strlen(got), "[%.*s]", (int)ln.len, ln.s);
		if (rc < 0) {
			assert_int_equal(errno, EAGAIN);
			again++;
		}
	}
	assert_string_equal(got, "[first line][second]");
	assert_true(again > 10);
	assert_int_equal(rc, 0);
	assert_int_equal(cmt_line_gzip(r), 1);
	cmt_line_close(r);
	close(p[0]);
}

static void
a_reader_that_expects_ticks_refuses_candles_at_their_first_line(void **state)
{
	struct cmt_linereader *r;
	struct cmt_line ln;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "\n  \nts,open,high,low,close\n1,2,3,1,2\n",
		37), 37);
	close(p[1]);
	r = cmt_line_open(p[0], 0);
	cmt_line_expect(r, CMT_KIND_BIT(CMT_KIND_TICKS), "btc.csv");
	assert_int_equal(cmt_line_next(r, &ln), 1);     /* blank lines pass */
	assert_int_equal(cmt_line_next(r, &ln), 1);
	assert_int_equal(cmt_line_next(r, &ln), CMT_LINE_FOREIGN);
	assert_int_equal(ln.no, 3);
	assert_string_equal(cmt_line_error(r), "this is a candle file "
		"(ts,open,high,low,close), not ticks: cmt-replay reads it "
		"(cmt-replay --speed max btc.csv | cmt-features --model default)");
	assert_int_equal(cmt_line_next(r, &ln), CMT_LINE_FOREIGN);  /* stays */
	cmt_line_close(r);
	close(p[0]);
}

static void
first_lines_are_told_apart(void **state)
{
	static const struct { const char *line; enum cmt_kind k; } cases[] = {
		{ "{\"t\":1,\"sym\":\"A-B\",\"px\":1}", CMT_KIND_TICKS },
		{ "{\"px\":1,\"t\":1,\"sym\":\"A-B\",\"o\":1,\"h\":1,\"l\":1}",
		  CMT_KIND_TICKS },
		{ "t,sym,px,vol", CMT_KIND_TICKS },
		{ "{\"t\":1,\"sym\":\"A-B\",\"px\":1,\"fs\":\"x\",\"f\":{}}",
		  CMT_KIND_VECTORS },
		{ "t,sym,px,fs,a,b", CMT_KIND_VECTORS },
		{ "{\"t\":1,\"sym\":\"A-B\",\"px\":1,\"fs\":\"x\",\"f\":{},"
		  "\"p_up\":0.5}", CMT_KIND_PREDICTIONS },
		{ "t,sym,px,fs,a,p_up,model", CMT_KIND_PREDICTIONS },
		{ "{\"kind\":\"metrics\",\"t\":1}", CMT_KIND_REPORT },
		{ "ts,open,high,low,close,volume", CMT_KIND_CANDLES },
		{ "Date,Open,High,Low,Close", CMT_KIND_CANDLES },
		{ "\xef\xbb\xbftimestamp,o,h,l,c,v", CMT_KIND_CANDLES },
		{ "1704067200000,1,2,0.5,1.5,10", CMT_KIND_CANDLES },
		{ "[[1704067200000,1,2,0.5,1.5,10],[", CMT_KIND_CANDLES },
		{ "[", CMT_KIND_CANDLES },
		{ "PK\x03\x04rest", CMT_KIND_ARCHIVE },
		{ "\xfd" "7zXZ", CMT_KIND_UNKNOWN },          /* cut: not sure */
		{ "1,2,3", CMT_KIND_UNKNOWN },
		{ "hello", CMT_KIND_UNKNOWN },
		{ "{\"a\":1}", CMT_KIND_UNKNOWN },
		{ "[1,2]", CMT_KIND_UNKNOWN },
		{ "{\"t\":1,\"sym\":\"A-B\",\"px\":1,\"extra\":[1,2", CMT_KIND_TICKS },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (cmt_sniff(cases[i].line, strlen(cases[i].line)) != cases[i].k)
			fail_msg("'%s': kind %d, expected %d", cases[i].line,
				cmt_sniff(cases[i].line, strlen(cases[i].line)),
				cases[i].k);
}

static void
the_refusal_names_what_is_wanted_and_who_reads_it(void **state)
{
	char err[CMT_ERRLEN];
	const char *pred = "{\"t\":1,\"sym\":\"A-B\",\"px\":1,\"fs\":\"x\","
		"\"f\":{},\"p_up\":0.5}";

	assert_int_equal(cmt_sniff_check(pred, strlen(pred),
		CMT_KIND_BIT(CMT_KIND_VECTORS) | CMT_KIND_BIT(CMT_KIND_PREDICTIONS),
		NULL, err), CMT_OK);
	assert_int_equal(cmt_sniff_check("hello", 5, 1, NULL, err), CMT_OK);
	assert_int_equal(cmt_sniff_check(pred, strlen(pred),
		CMT_KIND_BIT(CMT_KIND_TICKS) | CMT_KIND_BIT(CMT_KIND_CANDLES) |
		CMT_KIND_BIT(CMT_KIND_VECTORS), "-", err), CMT_EFORMAT);
	assert_string_equal(err, "these are predictions (vectors with p_up), "
		"not ticks, candles or feature vectors: cmt-backtest scores them "
		"(cmt-backtest FILE)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gzip_members_one_after_another_and_plain_text_alike),
		cmocka_unit_test(damaged_gzip_gives_the_lines_before_then_says_why),
		cmocka_unit_test(gzip_fed_a_byte_at_a_time_to_a_nonblocking_reader),
		cmocka_unit_test(a_reader_that_expects_ticks_refuses_candles_at_their_first_line),
		cmocka_unit_test(first_lines_are_told_apart),
		cmocka_unit_test(the_refusal_names_what_is_wanted_and_who_reads_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
