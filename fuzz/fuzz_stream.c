/* Fuzz target: cmt-fetch --stream's parsers of WebSocket messages and REST
 * trade pages, for every venue of the table.  The first byte picks the
 * venue (its low 3 bits, modulo the number of venues) and the kind (bit
 * 3: a REST trades page); the rest is the message.  Every trade taken must
 * satisfy the tick contract (cmt_tick.h), name a subscribed symbol, and
 * format to a line that parses back to the same tick; a rejected message
 * yields no trade and a reason.  Trades of a page then pass the ingest
 * rules: those taken are in increasing id order, each once; and what a gap
 * fill would report missing of the ids around them (lib/gapfill.c) is
 * what a count id by id finds. */
#include <math.h>
#include <string.h>

#include "cmt_gapfill.h"
#include "cmt_stream.h"
#include "fuzz.h"

static void
check_trade(const struct cmt_trade *t, int nsym)
{
	char line[CMT_TICK_LINE_MAX], err[CMT_ERRLEN];
	struct cmt_tick back;
	int n;

	FUZZ_CHECK(t->sym >= 0 && t->sym < nsym);
	FUZZ_CHECK(t->id >= 0 && t->first_id >= 0 && t->first_id <= t->id);
	FUZZ_CHECK(t->tk.t >= 0 && t->tk.t < (int64_t)1 << 53);
	FUZZ_CHECK(isfinite(t->tk.px) && t->tk.px > 0);
	FUZZ_CHECK(t->tk.has_vol && isfinite(t->tk.vol) && t->tk.vol >= 0);
	FUZZ_CHECK(t->tk.side >= CMT_SIDE_NONE && t->tk.side <= CMT_SIDE_SELL);
	n = cmt_tick_format_json(&t->tk, line);
	FUZZ_CHECK(n > 0 && n < CMT_TICK_LINE_MAX && line[n - 1] == '\n');
	FUZZ_CHECK(cmt_tick_parse_json(line, (size_t)n - 1, &back, err) ==
		CMT_OK);
	FUZZ_CHECK(back.t == t->tk.t && back.side == t->tk.side &&
		strcmp(back.sym, t->tk.sym) == 0);
}

/* The page's trades through the rules, as a gap fill writes them. */
static void
ingest(const struct cmt_source *src, struct cmt_fetch_sym *s,
	struct cmt_trade *t, int n)
{
	struct cmt_ingest in = { .src = src };
	int64_t prev = -1;
	int i;

	s->last_id = -1;
	cmt_ingest_sort_trades(t, n);
	for (i = 0; i < n; i++)
		if (cmt_ingest_trade(&in, s, &t[i], (int64_t)1 << 53) ==
		    CMT_INGEST_TAKE) {
			FUZZ_CHECK(t[i].id > prev);
			prev = t[i].id;
		}
}

/* The ids of (lo, upto) no trade of t covers, as a gap fill reports them,
 * against a count id by id (a gap of at most 4096 ids around the page). */
static void
holes(const struct cmt_trade *t, int n)
{
	char buf[256];
	int64_t lo, upto, id;
	long long want = 0;
	int i, covered;

	if (n == 0 || n > 64)   /* the count id by id stays cheap */
		return;
	lo = t[0].first_id - 3;
	upto = lo + 1 + (t[n - 1].id - lo < 4000 ? t[n - 1].id - lo + 2 : 4000);
	for (id = lo + 1; id < upto; id++) {
		for (covered = 0, i = 0; i < n && !covered; i++)
			covered = t[i].first_id <= id && id <= t[i].id;
		want += !covered;
	}
	FUZZ_CHECK(cmt_gapfill_holes(t, n, lo, upto, buf, sizeof buf) == want);
	FUZZ_CHECK(strlen(buf) < sizeof buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmt_trade out[CMT_STREAM_FILL_PAGE];
	const struct cmt_source *src;
	struct cmt_fetch_sym syms[2];
	enum cmt_stream_kind kind;
	char err[CMT_ERRLEN], next[32], *body;
	int n = 0, i, nsym;

	if (size < 1)
		return 0;
	src = cmt_source_at((data[0] & 7) % cmt_source_count());
	memset(syms, 0, sizeof syms);
	if (cmt_fetch_map_symbols(src, "btc,eth", NULL, NULL, 0, syms, 2,
	    &nsym, err) != CMT_OK)
		abort();
	body = fuzz_strdup(data + 1, size - 1);
	err[0] = '\0';
	if (!(data[0] & 8)) {
		if (cmt_ingest_message(src, body, size - 1, syms, nsym, out, 8,
		    &n, &kind, err) == CMT_OK) {
			FUZZ_CHECK(n >= 0 && n <= 8);
			FUZZ_CHECK(n == 0 || kind == CMT_WS_TRADES);
			for (i = 0; i < n; i++)
				check_trade(&out[i], nsym);
		} else {
			FUZZ_CHECK(err[0] != '\0');
			FUZZ_CHECK(n == 0 || kind != CMT_WS_TRADES);
		}
	} else if (cmt_ingest_fill(src, body, size - 1, &syms[1], 1, out,
	    CMT_STREAM_FILL_PAGE, &n, next, err) == CMT_OK) {
		FUZZ_CHECK(n >= 0 && n <= CMT_STREAM_FILL_PAGE);
		for (i = 0; i < n; i++)
			check_trade(&out[i], nsym);
		ingest(src, &syms[1], out, n);
		holes(out, n);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}
	free(body);
	return 0;
}
