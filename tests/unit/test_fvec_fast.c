/* The NDJSON fast path of cmt_fvec_decode (issue 13) against the full
 * decoder: on lines in cmt-features' layout, and on hundreds of thousands
 * of mutations of them (a byte deleted, inserted or replaced, members
 * added, reordered, escaped, spaced), a decoder whose fast path has learnt
 * the layout must return exactly what a decoder without it returns: the
 * same status, the same message, the same fields bit for bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_fvec.h"
#include "cmt_json.h"
#include "cmt_test.h"

#define FS "cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;" \
	"bb=20/2;mom=10;vt=5/20"
#define WIDE ";rng=15m/1h;bar=step;vz=1h;zr=1h;hl=1h/4h/1d;lt=4h/1d;cal=utc"

static const char *const names[] = { TEST_WIDE_NAMES };

/* the set the lines are of: the base, or the wide one */
static const char *fs = FS;
static int nfeat = CMT_FEAT_BASE, rounds = 4000;

static uint64_t rng = 42;

static uint64_t
next_u64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* A vector line as cmt-features writes it, some features null. */
static size_t
make_line(char *buf)
{
	size_t n = 0;
	int i;

	n += (size_t)sprintf(buf, "{\"t\":%llu,\"sym\":\"%s\",\"px\":",
		(unsigned long long)(1704067200000u + next_u64() % 100000000u),
		next_u64() % 2 ? "BTC-USD" : "ETH-USD");
	n += (size_t)cmt_fmt_double(buf + n, (double)(next_u64() % 10000000) /
		100 + 0.01, 15);
	n += (size_t)sprintf(buf + n, ",\"fs\":\"%s\",\"f\":{", fs);
	for (i = 0; i < nfeat; i++) {
		n += (size_t)sprintf(buf + n, "%s\"%s\":", i ? "," : "", names[i]);
		if (next_u64() % 16 == 0)
			n += (size_t)sprintf(buf + n, "null");
		else
			n += (size_t)cmt_fmt_double(buf + n,
				((double)(next_u64() % 2000001) - 1000000) /
				pow(10, (double)(next_u64() % 9)), 10);
	}
	/* and the members cmt-features may append, in its order */
	n += (size_t)sprintf(buf + n, "}");
	if (next_u64() % 4) {
		n += (size_t)sprintf(buf + n, ",\"o\":");
		n += (size_t)cmt_fmt_double(buf + n, (double)(next_u64() %
			10000000) / 100 + 0.01, 15);
		n += (size_t)sprintf(buf + n, ",\"h\":%llu,\"l\":%llu.5",
			(unsigned long long)(next_u64() % 100000),
			(unsigned long long)(next_u64() % 100000));
		if (next_u64() % 2)
			n += (size_t)sprintf(buf + n, ",\"vol\":%.6g",
				(double)(next_u64() % 1000000) / 1000);
	}
	n += (size_t)sprintf(buf + n, "%s%s%s%s%s}",
		next_u64() % 2 ? ",\"src\":\"sim\"" : "",
		next_u64() % 4 ? "" : ",\"warm\":true",
		next_u64() % 4 ? "" : ",\"warmup\":true",
		next_u64() % 4 ? "" : ",\"partial\":true",
		(const char *[]){ "", ",\"y\":1", ",\"y\":0",
		",\"y\":null" }[next_u64() % 4]);
	return n;
}

static int
same_slice(struct cmt_slice a, struct cmt_slice b)
{
	return a.len == b.len && (a.len == 0 || a.s == b.s);
}

static unsigned long fast_ok, fast_hits, compared;

/* Decode line with a primed fast decoder and with a plain one; compare. */
static void
compare(const char *prime, const char *line, size_t len)
{
	struct cmt_fvec_decoder fast, full;
	struct cmt_fvec a, b;
	char ea[CMT_ERRLEN] = "", eb[CMT_ERRLEN] = "";
	enum cmt_err ra, rb;
	int i;

	cmt_fvec_decoder_init(&fast, CMT_FVEC_AUTO);
	cmt_fvec_decoder_init(&full, CMT_FVEC_AUTO);
	full.fast_off = 1;
	assert_int_equal(cmt_fvec_decode(&fast, prime, strlen(prime), &a, ea),
		CMT_OK);
	assert_int_equal(cmt_fvec_decode(&full, prime, strlen(prime), &b, eb),
		CMT_OK);
	assert_true(fast.fast_ready);
	memset(&a, 0x55, sizeof a);
	memset(&b, 0x55, sizeof b);
	ra = cmt_fvec_decode(&fast, line, len, &a, ea);
	rb = cmt_fvec_decode(&full, line, len, &b, eb);
	compared++;
	fast_hits += fast.fast_hits;   /* the prime was a full decode */
	if (ra != rb || (ra != CMT_OK && strcmp(ea, eb) != 0))
		fail_msg("%.*s: fast %d \"%s\", full %d \"%s\"", (int)len, line,
			ra, ea, rb, eb);
	if (ra != CMT_OK)
		return;
	fast_ok++;
	if (a.t != b.t || strcmp(a.sym, b.sym) != 0 ||
	    memcmp(&a.px, &b.px, sizeof a.px) != 0 || !same_slice(a.fs, b.fs) ||
	    a.nnull != b.nnull || a.warmup != b.warmup || a.has_y != b.has_y ||
	    a.partial != b.partial || a.warm_start != b.warm_start ||
	    (a.has_y && a.y != b.y) || a.has_p != b.has_p ||
	    (a.has_p && a.p_up != b.p_up) || !same_slice(a.model, b.model) ||
	    a.close != b.close || a.nfeat != b.nfeat)
		fail_msg("%.*s: fields differ", (int)len, line);
	for (i = 0; i < a.nfeat; i++)
		if (!same_slice(a.name[i], b.name[i]) ||
		    memcmp(&a.x[i], &b.x[i], sizeof a.x[i]) != 0)
			fail_msg("%.*s: feature %d differs", (int)len, line, i);
}

static void
compare_str(const char *prime, const char *line)
{
	compare(prime, line, strlen(line));
}

/* Lines the fast path takes, and near misses it must hand over. */
static void
edge_cases(void **state)
{
	char prime[3072], line[4096], *p;
	size_t n;

	do
		n = make_line(prime);
	while (strcmp(prime + n - 2, "}}") != 0);
	fast_ok = fast_hits = 0;
	compare(prime, prime, n);
	assert_int_equal(fast_ok, 1);
	assert_int_equal(fast_hits, 1);   /* the fast path took it */
	/* the same line with each change below */
	static const char *const edits[][2] = {
		{ "\"sym\":\"", "\"sym\":\"x" },         /* bad symbol */
		{ "BTC-USD", "btc-usd" },                /* lower case: same */
		{ "BTC-USD", "BTC\\u002dUSD" },          /* escaped */
		{ "ETH-USD", "ETH-USD\\\"" },
		{ "{\"t\":", "{ \"t\":" },               /* spacing */
		{ "{\"t\":", "{\"t\": " },
		{ "\"ret_1m\":", "\"ret_1m\" :" },
		{ "\"f\":{", "\"y\":1,\"f\":{" },        /* extra members */
		{ "\"f\":{", "\"p_up\":0.5,\"f\":{" },
		{ "\"f\":{", "\"t\":5,\"f\":{" },        /* duplicate */
		{ "\"f\":{", "\"warmup\":true,\"f\":{" },
		{ "\"ret_5m\"", "\"ret_5x\"" },          /* other names */
		{ "\"ret_5m\"", "\"ret\\u005f5m\"" },
		{ "step=1m", "step=1s" },                /* other fs */
		{ "step=1m", "step=1\\u006d" },
		{ "\"rsi\":", "\"rsi\":1e400,\"x\":" },  /* a feature more */
		{ "\"t\":17", "\"t\":-17" },
		{ "\"t\":17", "\"t\":1.5e0+17" },
		{ "\"t\":17", "\"t\":9007199254740992017" },
		{ "\"px\":", "\"px\":-" },
		{ "\"px\":", "\"px\":0" },
		{ "\"px\":", "\"px\":1e400," },
		{ "\"px\":", "\"px\":null,\"x\":" },
		{ "\"ret_1m\":", "\"ret_1m\":1e400,\"z\":" },
		/* the members cmt-features appends, and near misses */
		{ "}}", "},\"src\":\"sim\"}" },
		{ "}}", "},\"src\":\"binance\",\"warmup\":true}" },
		{ "}}", "},\"src\":\"sim\",\"partial\":true}" },
		{ "}}", "},\"src\":\"sim\",\"y\":1}" },
		{ "}}", "},\"src\":\"sim\",\"warmup\":true,\"y\":null}" },
		{ "}}", "},\"y\":0}" },
		{ "}}", "},\"partial\":true}" },
		{ "}}", "},\"src\":\"s\\u00e9\"}" },
		{ "}}", "},\"src\":\"s\xc3\xa9\"}" },
		{ "}}", "},\"src\":\"s\x01\"}" },
		{ "}}", "},\"src\":\"s\xff\"}" },
		{ "}}", "},\"src\":\"sim}" },
		{ "}}", "},\"src\":7}" },
		{ "}}", "},\"warmup\":false}" },
		{ "}}", "},\"partial\":false}" },
		{ "}}", "},\"y\":2}" },
		{ "}}", "},\"y\":1.0}" },
		{ "}}", "},\"y\":10}" },
		{ "}}", "},\"y\":1,\"y\":0}" },
		{ "}}", "},\"y\":1,\"src\":\"sim\"}" },
		{ "}}", "},\"warmup\":true,\"warmup\":true}" },
		{ "}}", "},\"p_up\":0.5,\"model\":\"m\"}" },
		{ "}}", "},\"y\":1} " },
	};
	/* one value replaced */
	static const char *const values[][2] = {
		{ "\"px\":", "1e400" }, { "\"px\":", "0" }, { "\"px\":", "-1" },
		{ "\"px\":", "-0" }, { "\"px\":", "\"1\"" }, { "\"px\":", "1e-400" },
		{ "\"t\":", "-0" }, { "\"t\":", "1.5" }, { "\"t\":", "1e3" },
		{ "\"t\":", "9007199254740992" }, { "\"t\":", "9007199254740991" },
		{ "\"t\":", "-1" }, { "\"t\":", "01" }, { "\"t\":", "null" },
		{ "\"sym\":", "\"\"" }, { "\"sym\":", "\"A-B-C\"" },
		{ "\"sym\":", "\"ABCDEFGHIJKLMNOPQRSTU-VWXYZ\"" },
		{ "\"sym\":", "\"A-\x01\"" }, { "\"sym\":", "7" },
		{ "\"fs\":", "7" }, { "\"mom\":", "\"1\"" }, { "\"mom\":", "true" },
		{ "\"mom\":", "1e400" }, { "\"mom\":", "-1e400" },
		{ "\"mom\":", "1E+2" }, { "\"mom\":", "-0.0" },
		{ "\"vol_trend\":", "null" }, { "\"vol_trend\":", "nulll" },
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		const char *after;

		if (!(p = strstr(prime, values[i][0])))
			continue;
		p += strlen(values[i][0]);
		after = p + strcspn(p, ",}");
		if (*p == '"')   /* a string value: past its closing quote */
			after = strchr(p + 1, '"') + 1;
		n = (size_t)(p - prime);
		snprintf(line, sizeof line, "%.*s%s%s", (int)n, prime,
			values[i][1], after);
		compare_str(prime, line);
	}
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		if (!(p = strstr(prime, edits[i][0])))
			continue;
		n = (size_t)(p - prime);
		memcpy(line, prime, n);
		strcpy(line + n, edits[i][1]);
		strcat(line, p + strlen(edits[i][0]));
		compare_str(prime, line);
	}
	/* the end of the line */
	snprintf(line, sizeof line, "%s ", prime);
	compare_str(prime, line);
	snprintf(line, sizeof line, "%s}", prime);
	compare_str(prime, line);
	snprintf(line, sizeof line, "%.*s,\"y\":0}", (int)strlen(prime) - 1,
		prime);
	compare_str(prime, line);
	snprintf(line, sizeof line, "%.*s", (int)strlen(prime) - 1, prime);
	compare_str(prime, line);
	/* a feature written 1e400 is null; 0 and -0 are numbers */
	p = strstr(prime, "\"rsi\":") + 6;
	n = (size_t)(p - prime);
	snprintf(line, sizeof line, "%.*s1e400%s", (int)n, prime,
		strchr(p, ','));
	compare_str(prime, line);
	snprintf(line, sizeof line, "%.*s-0%s", (int)n, prime, strchr(p, ','));
	compare_str(prime, line);
	snprintf(line, sizeof line, "%.*snull%s", (int)n, prime,
		strchr(p, ','));
	compare_str(prime, line);
	snprintf(line, sizeof line, "%.*snul%s", (int)n, prime, strchr(p, ','));
	compare_str(prime, line);
	/* what cmt-features appends is on the fast path too */
	for (size_t i = 0; i < 7; i++) {
		unsigned long before = fast_hits;

		n = strlen(prime) - 2;
		snprintf(line, sizeof line, "%.*s%s", (int)n, prime, edits[24 + i][1]);
		compare_str(prime, line);
		if (fast_hits != before + 1)
			fail_msg("not on the fast path: %s", line);
	}
}

/* Random lines, then single-byte mutations of them. */
static void
random_mutations(void **state)
{
	static const char interesting[] = "{}[]\":,.-+eE0123456789 \\nul\t\x01\x80";
	char prime[4096], line[4096], mut[4096];
	size_t n, m, at;
	int round, k;

	fast_hits = fast_ok = compared = 0;
	for (round = 0; round < rounds; round++) {
		make_line(prime);
		n = make_line(line);
		compare(prime, line, n);
		for (k = 0; k < 60; k++) {
			at = next_u64() % n;
			switch (next_u64() % 3) {
			case 0:   /* delete */
				memcpy(mut, line, at);
				memcpy(mut + at, line + at + 1, n - at - 1);
				m = n - 1;
				break;
			case 1:   /* insert */
				memcpy(mut, line, at);
				mut[at] = interesting[next_u64() %
					(sizeof interesting - 1)];
				memcpy(mut + at + 1, line + at, n - at);
				m = n + 1;
				break;
			default:  /* replace */
				memcpy(mut, line, n);
				mut[at] = interesting[next_u64() %
					(sizeof interesting - 1)];
				m = n;
				break;
			}
			compare(prime, mut, m);
		}
	}
	print_message("  %lu lines compared, %lu decoded, %lu by the fast path\n",
		compared, fast_ok, fast_hits);
	/* every unmutated line, whatever members it ends with, and some of
	 * the harmless mutations */
	assert_true(fast_hits > (unsigned long)rounds);
}

/* The same on vectors of the wide set: 36 features, a longer id. */
static int
wide_set(void **state)
{
	(void)state;
	fs = FS WIDE;
	nfeat = (int)(sizeof names / sizeof names[0]);
	rounds = 1500;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edge_cases),
		cmocka_unit_test(random_mutations),
		cmocka_unit_test_setup(edge_cases, wide_set),
		cmocka_unit_test_setup(random_mutations, wide_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
