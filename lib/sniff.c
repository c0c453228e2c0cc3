#include <stdio.h>
#include <string.h>

#include "cmt_candle.h"
#include "cmt_json.h"
#include "cmt_parse.h"
#include "cmt_sniff.h"

/* What each kind looks like and who reads it, for the one-line refusal. */
static const struct {
	const char *looks;      /* what the input is */
	const char *noun;       /* what a reader wants: "not ticks" */
	const char *reader;     /* which tool or option reads it */
} kinds[CMT_KIND_N] = {
	[CMT_KIND_TICKS] = { "these are ticks (t, sym, px)", "ticks",
		"cmt-features reads them (cmt-features --model default FILE)" },
	[CMT_KIND_CANDLES] = { "this is a candle file", "candles",
		"cmt-replay reads it (cmt-replay --speed max FILE | "
		"cmt-features --model default)" },
	[CMT_KIND_VECTORS] = { "these are feature vectors (cmt-features "
		"output)", "feature vectors", "cmt-predict scores them "
		"(cmt-predict < FILE), cmt-train trains on labelled ones" },
	[CMT_KIND_PREDICTIONS] = { "these are predictions (vectors with "
		"p_up)", "predictions", "cmt-backtest scores them "
		"(cmt-backtest FILE)" },
	[CMT_KIND_REPORT] = { "these are cmt-backtest --follow lines "
		"(\"kind\")", "report lines", "cmt-sse serves them" },
};

/* Compressed or archived data that is not gzip (gzip is read anywhere). */
static const struct {
	const char *magic;
	size_t len;
	const char *name, *unpack;
} archives[] = {
	{ "PK\x03\x04", 4, "a zip archive", "unzip -p FILE" },
	{ "\xfd" "7zXZ\x00", 6, "xz data", "xz -dc FILE" },
	{ "\x28\xb5\x2f\xfd", 4, "zstd data", "zstd -dc FILE" },
	{ "BZh", 3, "bzip2 data", "bzip2 -dc FILE" },
};

static int
is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int
archive_of(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof archives / sizeof archives[0]; i++)
		if (len >= archives[i].len &&
		    memcmp(s, archives[i].magic, archives[i].len) == 0 &&
		    (archives[i].len > 3 || (len > 3 && s[3] >= '1' &&
		    s[3] <= '9')))
			return (int)i;
	return -1;
}

/* The members a JSON object line names, as far as it is well formed (a
 * line cut at a reader's limit is judged by what came before the cut). */
enum { K_T = 1, K_SYM = 2, K_PX = 4, K_FS = 8, K_F = 16, K_PUP = 32,
	K_KIND = 64 };

static unsigned
json_keys(const char *s, size_t len)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "t", K_T }, { "sym", K_SYM }, { "px", K_PX }, { "fs", K_FS },
		{ "f", K_F }, { "p_up", K_PUP }, { "kind", K_KIND },
	};
	struct cmt_jscan js;
	struct cmt_jval k, v;
	unsigned keys = 0;
	size_t i;

	if (cmt_json_begin(&js, s, len, NULL))
		return 0;
	while (cmt_json_next(&js, &k, &v, NULL) == CMT_OK)
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!k.escaped && is(k.raw, k.len,
			    names[i].name))
				keys |= names[i].bit;
	return keys;
}

/* The names of a CSV header, the same way. */
static unsigned
csv_keys(const char *s, size_t len)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "t", K_T }, { "sym", K_SYM }, { "px", K_PX }, { "fs", K_FS },
		{ "p_up", K_PUP },
	};
	const char *p = s, *end = s + len, *f;
	unsigned keys = 0;
	size_t n, i;
	int more;

	do {
		more = cmt_csv_field(&p, end, &f, &n);
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (is(f, n, names[i].name))
				keys |= names[i].bit;
	} while (more);
	return keys;
}

static enum cmt_kind
kind_of_keys(unsigned keys, int json)
{
	if (keys & K_KIND)
		return CMT_KIND_REPORT;
	if ((keys & K_FS) && (!json || (keys & K_F)))
		return keys & K_PUP ? CMT_KIND_PREDICTIONS : CMT_KIND_VECTORS;
	if ((keys & (K_T | K_SYM | K_PX)) == (K_T | K_SYM | K_PX))
		return CMT_KIND_TICKS;
	return CMT_KIND_UNKNOWN;
}

enum cmt_kind
cmt_sniff(const char *s, size_t len)
{
	enum cmt_kind k;

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3, len -= 3;
	if (archive_of(s, len) >= 0)
		return CMT_KIND_ARCHIVE;
	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (len == 0)
		return CMT_KIND_UNKNOWN;
	if (*s == '{')
		return kind_of_keys(json_keys(s, len), 1);
	if ((k = kind_of_keys(csv_keys(s, len), 0)) != CMT_KIND_UNKNOWN)
		return k;
	return cmt_candle_looks(s, len) ? CMT_KIND_CANDLES : CMT_KIND_UNKNOWN;
}

/* The reader's hint with FILE replaced by the input's name. */
static void
hint(char *buf, size_t cap, const char *fmt, const char *name)
{
	const char *at = strstr(fmt, "FILE");

	if (!at || !name || !*name || strcmp(name, "-") == 0)
		snprintf(buf, cap, "%s", fmt);
	else
		snprintf(buf, cap, "%.*s%s%s", (int)(at - fmt), fmt, name,
			at + 4);
}

enum cmt_err
cmt_sniff_check(const char *s, size_t len, unsigned want, const char *name,
	char *err)
{
	char reader[512];
	enum cmt_kind k = cmt_sniff(s, len), w;
	char wanted[128] = "";
	size_t n = 0;
	int a, left = 0;

	if (k == CMT_KIND_UNKNOWN || (want & CMT_KIND_BIT(k)))
		return CMT_OK;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3, len -= 3;
	for (w = CMT_KIND_TICKS; w < CMT_KIND_ARCHIVE; w++)
		if (want & CMT_KIND_BIT(w))
			left++;
	for (w = CMT_KIND_TICKS; w < CMT_KIND_ARCHIVE; w++)
		if (want & CMT_KIND_BIT(w))
			n += (size_t)snprintf(wanted + n, sizeof wanted - n,
				"%s%s", !n ? "" : --left == 1 ? " or " : ", ",
				kinds[w].noun);
	if (k == CMT_KIND_ARCHIVE) {
		a = archive_of(s, len);
		hint(reader, sizeof reader, archives[a].unpack, name);
		return cmt_errf(err, CMT_EFORMAT, "this is %s, not %s: unpack "
			"it first (%s | ...); gzip is read as it is",
			archives[a].name, wanted, reader);
	}
	hint(reader, sizeof reader, kinds[k].reader, name);
	if (k == CMT_KIND_CANDLES && *s != '{' && *s != '[')
		return cmt_errf(err, CMT_EFORMAT, "%s (%.*s%s), not %s: %s",
			kinds[k].looks, (int)(len > 60 ? 60 : len), s,
			len > 60 ? "..." : "", wanted, reader);
	return cmt_errf(err, CMT_EFORMAT, "%s, not %s: %s", kinds[k].looks,
		wanted, reader);
}
