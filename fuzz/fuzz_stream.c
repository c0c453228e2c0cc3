/* Fuzz target: cmt-fetch --stream's parsers of WebSocket messages and REST
 * trade pages, for each exchange.  The first byte picks the exchange and
 * the kind; the rest is the message.  Every trade taken must satisfy the
 * tick contract (cmt_tick.h), name a subscribed symbol, and format to a
 * line that parses back to the same tick; a rejected message yields no
 * trade and a reason. */
#include <math.h>
#include <string.h>

#include "cmt_stream.h"
#include "fuzz.h"

static void
check_trade(const struct cmt_trade *t, int nsym)
{
	char line[CMT_TICK_LINE_MAX], err[CMT_ERRLEN];
	struct cmt_tick back;
	int n;

	FUZZ_CHECK(t->sym >= 0 && t->sym < nsym);
	FUZZ_CHECK(t->id >= 0);
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cmt_fetch_source srcs[] = {
		CMT_SRC_BINANCE, CMT_SRC_COINBASE, CMT_SRC_KRAKEN
	};
	static struct cmt_trade out[CMT_STREAM_FILL_PAGE];
	struct cmt_fetch_sym syms[2];
	enum cmt_stream_kind kind;
	enum cmt_fetch_source src;
	char err[CMT_ERRLEN], since[32], *body;
	int n = 0, i, nsym;

	if (size < 1)
		return 0;
	src = srcs[data[0] % 3];
	memset(syms, 0, sizeof syms);
	if (cmt_fetch_map_symbols(src, "btc,eth", NULL, NULL, 0, syms, 2,
	    &nsym, err) != CMT_OK)
		abort();
	body = fuzz_strdup(data + 1, size - 1);
	err[0] = '\0';
	if (data[0] / 3 % 2 == 0) {
		if (cmt_stream_parse(src, body, size - 1, syms, nsym, out, 8, &n,
		    &kind, err) == CMT_OK) {
			FUZZ_CHECK(n >= 0 && n <= 8);
			FUZZ_CHECK(n == 0 || kind == CMT_WS_TRADES);
			for (i = 0; i < n; i++)
				check_trade(&out[i], nsym);
		} else {
			FUZZ_CHECK(err[0] != '\0');
			FUZZ_CHECK(n == 0 || kind != CMT_WS_TRADES);
		}
	} else if (cmt_stream_parse_fill(src, body, size - 1, &syms[1], 1, out,
	    CMT_STREAM_FILL_PAGE, &n, since, err) == CMT_OK) {
		FUZZ_CHECK(n >= 0 && n <= CMT_STREAM_FILL_PAGE);
		for (i = 0; i < n; i++)
			check_trade(&out[i], nsym);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}
	free(body);
	return 0;
}
