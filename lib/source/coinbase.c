/* Coinbase Exchange: polled tickers per product, history from 1-minute
 * candles (300 a request, newest first), the "matches" WebSocket channel,
 * and gap fills from /trades paged back from an id (newest first). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cmt_parse.h"
#include "venue.h"

/* [time s, low, high, open, close, volume] */
static const struct cmt_venue_bar_layout candle = { 0, 3, 2, 1, 4, 5, 1000,
	6 };

#define TRADE_PAGE 1000         /* trades per request */

static enum cmt_err
map_symbol(struct cmt_fetch_sym *s, const char *base, const char *quote,
	const char *id_map, char *err)
{
	(void)base;
	(void)quote;
	(void)id_map;
	(void)err;
	snprintf(s->id, sizeof s->id, "%s", s->sym);
	return CMT_OK;
}

static int
live_url(const char *base, const struct cmt_fetch_sym *syms, int nsym,
	int i, char *buf, size_t cap)
{
	size_t n = 0;

	(void)nsym;
	return cmt_strcat_printf(buf, cap, &n, "%s/products/%s/ticker", base,
		syms[i].id) ? -1 : (int)n;
}

/* {"trade_id":id,"price":"px","size":..,"time":"ISO",...} */
static enum cmt_err
parse_live(const cJSON *root, const struct cmt_fetch_sym *syms, int n,
	int64_t now_ms, struct cmt_fetch_obs *o, char *err)
{
	const cJSON *tm;
	double px, id = 0;

	(void)n;
	(void)now_ms;
	if (!cJSON_IsObject(root))
		return cmt_errf(err, CMT_ETYPE, "expected a JSON object");
	if (cmt_venue_num(cmt_venue_item(root, "price"), &px))
		return cmt_errf(err, CMT_EMISSING, "no numeric \"price\"");
	tm = cmt_venue_item(root, "time");
	if (!cJSON_IsString(tm) ||
	    cmt_parse_time_ms(tm->valuestring, &o->tk.t, NULL))
		return cmt_errf(err, CMT_EMISSING, "no valid \"time\"");
	cmt_venue_num(cmt_venue_item(root, "trade_id"), &id);
	if (cmt_venue_set_px(o, px, syms[0].id, err))
		return CMT_ERANGE;
	o->src_time = 1;
	o->aux = id;
	o->ok = 1;
	return CMT_OK;
}

static int
history_url(const char *base, const struct cmt_fetch_sym *s, int64_t from,
	int64_t to, char *buf, size_t cap)
{
	char a[40], b[40];
	size_t n = 0;

	cmt_format_time(from, a, sizeof a);
	cmt_format_time(to - 60000, b, sizeof b);
	return cmt_strcat_printf(buf, cap, &n, "%s/products/%s/candles?"
		"granularity=60&start=%s&end=%s", base, s->id, a, b) ? -1
		: (int)n;
}

/* [[time s, low, high, open, close, volume], ...], newest first; written
 * oldest first. */
static enum cmt_err
parse_history(const cJSON *root, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, int64_t *last_open, char *err)
{
	const cJSON *k;
	struct cmt_venue_bar b;
	int64_t prev = -1;
	enum cmt_err e;
	int n0 = *n;

	(void)last_open;
	if (!cJSON_IsArray(root))
		return cmt_errf(err, CMT_ETYPE, "expected an array of candles");
	cJSON_ArrayForEach(k, root) {
		if (cmt_venue_bar_row(k, &candle, &b))
			return cmt_errf(err, CMT_EMISSING, "candle is not [time, "
				"low, high, open, close, volume]");
		if (prev >= 0 && b.open >= prev)
			return cmt_errf(err, CMT_EORDER, "candle time %lld out "
				"of order", (long long)b.open);
		prev = b.open;
		if ((e = cmt_venue_put_bar(&b, from, to, out, cap, n, err)))
			return e;
	}
	cmt_venue_reverse_ticks(out, n0, *n);
	return CMT_OK;
}

static int
subscribe(const struct cmt_fetch_sym *syms, int nsym, char *buf, size_t cap)
{
	size_t n = 0;
	int i, r = 0;

	r |= cmt_strcat_printf(buf, cap, &n,
		"{\"type\":\"subscribe\",\"product_ids\":[");
	for (i = 0; i < nsym; i++)
		r |= cmt_strcat_printf(buf, cap, &n, "%s\"%s\"", i ? "," : "",
			syms[i].id);
	r |= cmt_strcat_printf(buf, cap, &n, "],\"channels\":[\"matches\"]}");
	return r ? -1 : (int)n;
}

/* The "side" of a match is the maker's: a "sell" match is a taker buy. */
static int
taker(const char *maker)
{
	if (!maker)
		return 0;
	return strcmp(maker, "sell") == 0 ? 'b' : strcmp(maker, "buy") == 0
		? 's' : 0;
}

/* {"type":"match"|"last_match","trade_id":id,"product_id":"BTC-USD",
 * "price":..,"size":..,"side":maker,"time":"ISO"}; "subscriptions"
 * confirms, "error" refuses. */
static enum cmt_err
parse_message(const cJSON *root, const struct cmt_fetch_sym *syms, int nsym,
	struct cmt_trade *out, int cap, int *n, enum cmt_stream_kind *kind,
	char *err)
{
	const char *type = cmt_venue_str(root, "type"), *pid;
	const char *msg = cmt_venue_str(root, "message");
	const char *reason = cmt_venue_str(root, "reason");
	int64_t t;
	int si;

	(void)cap;
	if (!type)
		return cmt_errf(err, CMT_EMISSING, "message without \"type\"");
	if (strcmp(type, "subscriptions") == 0) {
		*kind = CMT_WS_SUBSCRIBED;
		return CMT_OK;
	}
	if (strcmp(type, "error") == 0) {
		*kind = CMT_WS_SUBERR;
		return cmt_errf(err, CMT_EVALUE, "coinbase: %.60s%s%.80s",
			msg ? msg : "error", reason ? ": " : "",
			reason ? reason : "");
	}
	if (strcmp(type, "match") != 0 && strcmp(type, "last_match") != 0)
		return CMT_OK;
	if (!(pid = cmt_venue_str(root, "product_id")) ||
	    (si = cmt_venue_find_id(syms, nsym, pid)) < 0)
		return cmt_errf(err, CMT_EVALUE, "match for a product not "
			"subscribed");
	if ((t = cmt_venue_iso_ms(cmt_venue_str(root, "time"))) < 0)
		return cmt_errf(err, CMT_EMISSING, "match without a valid "
			"\"time\"");
	*kind = CMT_WS_TRADES;
	return cmt_venue_put_trade(&out[(*n)++], si, &syms[si],
		cmt_venue_item(root, "trade_id"), cmt_venue_item(root, "price"),
		cmt_venue_item(root, "size"), t,
		taker(cmt_venue_str(root, "side")), err);
}

static int
fill_url(const char *base, const struct cmt_fetch_sym *s,
	const struct cmt_stream_cursor *cur, char *buf, size_t cap)
{
	size_t n = 0;
	int r = 0;

	r |= cmt_strcat_printf(buf, cap, &n, "%s/products/%s/trades?limit=%d",
		base, s->id, TRADE_PAGE);
	if (cur->before_id >= 0)
		r |= cmt_strcat_printf(buf, cap, &n, "&after=%lld",
			(long long)cur->before_id);
	return r ? -1 : (int)n;
}

/* [{"time":"ISO","trade_id":id,"price":..,"size":..,"side":maker}, ...],
 * newest first. */
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
		if ((t = cmt_venue_iso_ms(cmt_venue_str(tr, "time"))) < 0)
			return cmt_errf(err, CMT_EMISSING, "trade without a "
				"valid \"time\"");
		if ((e = cmt_venue_put_trade(&out[*n], si, s,
		    cmt_venue_item(tr, "trade_id"), cmt_venue_item(tr, "price"),
		    cmt_venue_item(tr, "size"), t,
		    taker(cmt_venue_str(tr, "side")), err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

const struct cmt_source cmt_source_coinbase = {
	.name = "coinbase",
	.title = "Coinbase",
	.rest_url = "https://api.exchange.coinbase.com",
	.ws_url = "wss://ws-feed.exchange.coinbase.com",
	.quote = "USD",
	.history_span_ms = 300 * 60000LL,   /* 300 candles a request */
	.history_bars = 1,
	.fill_order = CMT_FILL_BACKWARD,
	.map_symbol = map_symbol,
	.live_url = live_url,
	.parse_live = parse_live,
	.history_url = history_url,
	.parse_history = parse_history,
	.subscribe = subscribe,
	.parse_message = parse_message,
	.fill_url = fill_url,
	.parse_fill = parse_fill,
};
