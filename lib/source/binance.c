/* Binance spot: polls read the aggregate trades since the last one
 * (aggTrades), so every poll carries the volume traded since; history
 * from 1-minute klines paged by open time under a per-minute request
 * weight; the aggTrade WebSocket stream (combined streams), and gap fills
 * from aggTrades?fromId=. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cmt_parse.h"
#include "venue.h"

/* [open time, open, high, low, close, volume, ...], times in ms */
static const struct cmt_venue_bar_layout kline = { 0, 1, 2, 3, 4, 5, 1, 6 };

#define KLINE_LIMIT 1000        /* klines per request */
#define TRADE_PAGE 1000         /* aggTrades per request */

static enum cmt_err
map_symbol(struct cmt_fetch_sym *s, const char *base, const char *quote,
	const char *id_map, char *err)
{
	(void)id_map;
	(void)err;
	snprintf(s->id, sizeof s->id, "%s%s", base, quote);
	return CMT_OK;
}

static int
history_url(const char *base, const struct cmt_fetch_sym *s, int64_t from,
	int64_t to, char *buf, size_t cap)
{
	size_t n = 0;

	return cmt_strcat_printf(buf, cap, &n, "%s/api/v3/klines?symbol=%s"
		"&interval=1m&startTime=%lld&endTime=%lld&limit=%d", base, s->id,
		(long long)from, (long long)to - 1, KLINE_LIMIT) ? -1 : (int)n;
}

/* [[open time, open, high, low, close, volume, ...], ...] */
static enum cmt_err
parse_history(const cJSON *root, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, int64_t *last_open, char *err)
{
	const cJSON *k;
	struct cmt_venue_bar b;
	int64_t prev = -1;
	enum cmt_err e;

	if (!cJSON_IsArray(root))
		return cmt_errf(err, CMT_ETYPE, "expected an array of klines");
	cJSON_ArrayForEach(k, root) {
		if (cmt_venue_bar_row(k, &kline, &b))
			return cmt_errf(err, CMT_EMISSING, "kline is not [open "
				"time, open, high, low, close, volume, ...]");
		if (b.open <= prev)
			return cmt_errf(err, CMT_EORDER, "kline open time "
				"%lld out of order", (long long)b.open);
		prev = b.open;
		*last_open = b.open;
		if ((e = cmt_venue_put_bar(&b, from, to, out, cap, n, err)))
			return e;
	}
	return CMT_OK;
}

static int
stream_url(const char *base, const struct cmt_fetch_sym *syms, int nsym,
	char *buf, size_t cap)
{
	char id[CMT_FETCH_ID_MAX];
	size_t n = 0;
	int i, r = 0;

	r |= cmt_strcat_printf(buf, cap, &n, "%s", base);
	for (i = 0; i < nsym; i++) {
		cmt_ascii_lower(id, syms[i].id, strlen(syms[i].id));
		r |= cmt_strcat_printf(buf, cap, &n, "%s%s@aggTrade", i ? "/"
			: strchr(base, '?') ? "&streams=" : "?streams=", id);
	}
	return r ? -1 : (int)n;
}

static int
subscribe(const struct cmt_fetch_sym *syms, int nsym, char *buf, size_t cap)
{
	char id[CMT_FETCH_ID_MAX];
	size_t n = 0;
	int i, r = 0;

	r |= cmt_strcat_printf(buf, cap, &n,
		"{\"method\":\"SUBSCRIBE\",\"params\":[");
	for (i = 0; i < nsym; i++) {
		cmt_ascii_lower(id, syms[i].id, strlen(syms[i].id));
		r |= cmt_strcat_printf(buf, cap, &n, "%s\"%s@aggTrade\"",
			i ? "," : "", id);
	}
	r |= cmt_strcat_printf(buf, cap, &n, "],\"id\":1}");
	return r ? -1 : (int)n;
}

/* {"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT",
 * "a":id,"p":"px","q":"qty","T":ms,"m":buyer_is_maker}}, or the payload
 * bare on a raw stream; {"result":null,"id":1} confirms a subscription,
 * {"error":{"msg":...}} refuses it. */
static enum cmt_err
parse_message(const cJSON *root, const struct cmt_fetch_sym *syms, int nsym,
	struct cmt_trade *out, int cap, int *n, enum cmt_stream_kind *kind,
	char *err)
{
	const cJSON *d = cmt_venue_item(root, "data"), *e;
	const char *sym, *ev;
	int64_t t;
	int si;

	(void)cap;
	if ((e = cmt_venue_item(root, "error"))) {
		*kind = CMT_WS_SUBERR;
		return cmt_errf(err, CMT_EVALUE, "binance refused the "
			"subscription: %.100s", cmt_venue_str(e, "msg")
			? cmt_venue_str(e, "msg") : "no reason given");
	}
	if (cmt_venue_item(root, "result") && cmt_venue_item(root, "id")) {
		*kind = CMT_WS_SUBSCRIBED;
		return CMT_OK;
	}
	if (!d)
		d = root;
	ev = cmt_venue_str(d, "e");
	if (!ev || strcmp(ev, "aggTrade") != 0)
		return CMT_OK;
	if (!(sym = cmt_venue_str(d, "s")) ||
	    (si = cmt_venue_find_id(syms, nsym, sym)) < 0)
		return cmt_errf(err, CMT_EVALUE, "aggTrade for a symbol not "
			"subscribed");
	if (cmt_venue_whole(cmt_venue_item(d, "T"), &t))
		return cmt_errf(err, CMT_EMISSING, "aggTrade without \"T\"");
	*kind = CMT_WS_TRADES;
	/* m: the buyer is the maker, so the taker sold */
	return cmt_venue_put_trade(&out[(*n)++], si, &syms[si],
		cmt_venue_item(d, "a"), cmt_venue_item(d, "p"),
		cmt_venue_item(d, "q"), t,
		cJSON_IsTrue(cmt_venue_item(d, "m")) ? 's' : 'b', err);
}

static int
fill_url(const char *base, const struct cmt_fetch_sym *s,
	const struct cmt_stream_cursor *cur, char *buf, size_t cap)
{
	size_t n = 0;
	int r = 0;

	r |= cmt_strcat_printf(buf, cap, &n, "%s/api/v3/aggTrades?symbol=%s",
		base, s->id);
	if (cur->after_id >= 0)
		r |= cmt_strcat_printf(buf, cap, &n, "&fromId=%lld&limit=%d",
			(long long)cur->after_id + 1, TRADE_PAGE);
	else if (cur->from_ms > 0)
		r |= cmt_strcat_printf(buf, cap, &n, "&startTime=%lld&limit=%d",
			(long long)cur->from_ms, TRADE_PAGE);
	else
		r |= cmt_strcat_printf(buf, cap, &n, "&limit=1");
	return r ? -1 : (int)n;
}

/* [{"a":id,"p":"px","q":"qty","f":..,"l":..,"T":ms,"m":bool}, ...],
 * oldest first. */
static enum cmt_err
parse_fill(const cJSON *root, const struct cmt_fetch_sym *s, int si,
	struct cmt_trade *out, int cap, int *n, char *next, char *err)
{
	const cJSON *tr;
	int64_t t;
	enum cmt_err e;

	(void)next;
	if (!cJSON_IsArray(root))
		return cmt_errf(err, CMT_ETYPE, "expected an array of trades");
	cJSON_ArrayForEach(tr, root) {
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "page too long");
		if (cmt_venue_whole(cmt_venue_item(tr, "T"), &t))
			return cmt_errf(err, CMT_EMISSING, "trade without \"T\"");
		if ((e = cmt_venue_put_trade(&out[*n], si, s,
		    cmt_venue_item(tr, "a"), cmt_venue_item(tr, "p"),
		    cmt_venue_item(tr, "q"), t,
		    cJSON_IsTrue(cmt_venue_item(tr, "m")) ? 's' : 'b', err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

const struct cmt_source cmt_source_binance = {
	.name = "binance",
	.title = "Binance",
	.rest_url = "https://api.binance.com",
	.ws_url = "wss://stream.binance.com:9443/stream",
	.quote = "USDT",
	.history_span_ms = KLINE_LIMIT * 60000LL,   /* one full page */
	.history_bars = 1,
	.history_paged = 1,
	.rate_header = "X-MBX-USED-WEIGHT-1M",
	.rate_budget = 6000,
	.fill_order = CMT_FILL_FORWARD,
	.live_trades = 1,
	.map_symbol = map_symbol,
	.history_url = history_url,
	.parse_history = parse_history,
	.stream_url = stream_url,
	.subscribe = subscribe,
	.parse_message = parse_message,
	.fill_url = fill_url,
	.parse_fill = parse_fill,
};
