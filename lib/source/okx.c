/* OKX (API v5): polled tickers per instrument, history from confirmed
 * 1-minute candles (history-candles, 100 a request, newest first), the
 * public "trades" WebSocket channel (a record may aggregate "count"
 * matches, its tradeId the last of them; the venue wants a text "ping"
 * on a quiet connection), and gap fills from history-trades paged back by
 * tradeId.  Every REST answer is {"code":"0","msg":"","data":[...]}; any
 * other code is the venue's error, reported with its msg. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venue.h"

/* [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm], times in ms */
static const struct cmt_venue_bar_layout candle = { 0, 1, 2, 3, 4, 5, 1, 9 };

#define CANDLES 100             /* history-candles per request, its most */
#define TRADE_PAGE 100          /* history-trades per request, its most */

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

/* The envelope: "data" when code is "0"; else the venue's error.  Codes
 * that name a request the venue will never answer (a missing or bad
 * parameter, 50014 and 51000-51099, among them 51001, an unknown
 * instrument) are permanent; the others (50011 too many requests, 50001
 * service unavailable ...) pass. */
static int
permanent(const char *code)
{
	return strncmp(code, "510", 3) == 0 || strcmp(code, "50014") == 0;
}

static enum cmt_err
envelope(const cJSON *root, const cJSON **data, char *err)
{
	const char *code, *msg;

	if (!cJSON_IsObject(root))
		return cmt_errf(err, CMT_ETYPE, "expected a JSON object");
	code = cmt_venue_str(root, "code");
	msg = cmt_venue_str(root, "msg");
	if (!code)
		return cmt_errf(err, CMT_EMISSING, "no \"code\"");
	if (strcmp(code, "0") != 0)
		return cmt_errf(err, permanent(code) ? CMT_EVALUE : CMT_EIO,
			"okx: %.100s (code %.16s)", msg && *msg ? msg : "error",
			code);
	*data = cmt_venue_item(root, "data");
	if (!cJSON_IsArray(*data))
		return cmt_errf(err, CMT_EMISSING, "no \"data\" array");
	return CMT_OK;
}

static int
live_url(const char *base, const struct cmt_fetch_sym *syms, int nsym,
	int i, char *buf, size_t cap)
{
	size_t n = 0;

	(void)nsym;
	return cmt_strcat_printf(buf, cap, &n, "%s/api/v5/market/ticker?"
		"instId=%s", base, syms[i].id) ? -1 : (int)n;
}

/* data: [{"instId":"BTC-USDT","last":"px","lastSz":..,"ts":"ms",...}] */
static enum cmt_err
parse_live(const cJSON *root, const struct cmt_fetch_sym *syms, int n,
	int64_t now_ms, struct cmt_fetch_obs *o, char *err)
{
	const cJSON *data, *d;
	enum cmt_err e;
	double px;

	(void)n;
	(void)now_ms;
	if ((e = envelope(root, &data, err)))
		return e;
	if (!(d = cJSON_GetArrayItem(data, 0)))
		return CMT_OK;          /* no ticker in this answer */
	if (cmt_venue_num(cmt_venue_item(d, "last"), &px))
		return cmt_errf(err, CMT_EMISSING, "no numeric \"last\"");
	if (cmt_venue_whole(cmt_venue_item(d, "ts"), &o->tk.t))
		return cmt_errf(err, CMT_EMISSING, "no valid \"ts\"");
	if (cmt_venue_set_px(o, px, syms[0].id, err))
		return CMT_ERANGE;
	o->src_time = 1;
	o->ok = 1;
	return CMT_OK;
}

/* Bars opening in [from, to): after (exclusive) is the newest bound,
 * before (exclusive) the oldest. */
static int
history_url(const char *base, const struct cmt_fetch_sym *s, int64_t from,
	int64_t to, char *buf, size_t cap)
{
	size_t n = 0;

	return cmt_strcat_printf(buf, cap, &n, "%s/api/v5/market/history-"
		"candles?instId=%s&bar=1m&after=%lld&before=%lld&limit=%d", base,
		s->id, (long long)to, (long long)from - 1, CANDLES) ? -1
		: (int)n;
}

/* data: [["ts","o","h","l","c","vol","volCcy","volCcyQuote","confirm"],
 * ...], newest first; a bar not confirmed ("0") is still open. */
static enum cmt_err
parse_history(const cJSON *root, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, int64_t *last_open, char *err)
{
	const cJSON *data, *k, *confirm;
	struct cmt_venue_bar b;
	int64_t prev = -1;
	enum cmt_err e;
	int n0 = *n;

	(void)last_open;
	if ((e = envelope(root, &data, err)))
		return e;
	cJSON_ArrayForEach(k, data) {
		if (cmt_venue_bar_row(k, &candle, &b) ||
		    !cJSON_IsString(confirm = cJSON_GetArrayItem(k, 8)))
			return cmt_errf(err, CMT_EMISSING, "candle is not [ts, o, "
				"h, l, c, vol, volCcy, volCcyQuote, confirm]");
		if (prev >= 0 && b.open >= prev)
			return cmt_errf(err, CMT_EORDER, "candle time %lld out "
				"of order", (long long)b.open);
		prev = b.open;
		if (strcmp(confirm->valuestring, "1") != 0)
			continue;
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

	r |= cmt_strcat_printf(buf, cap, &n, "{\"op\":\"subscribe\",\"args\":[");
	for (i = 0; i < nsym; i++)
		r |= cmt_strcat_printf(buf, cap, &n, "%s{\"channel\":\"trades\","
			"\"instId\":\"%s\"}", i ? "," : "", syms[i].id);
	r |= cmt_strcat_printf(buf, cap, &n, "]}");
	return r ? -1 : (int)n;
}

/* One trade record: {"instId","tradeId","px","sz","side","ts","count"};
 * side is the taker's; count > 1: the record sums that many matches,
 * tradeId the last of them. */
static enum cmt_err
put_trade(struct cmt_trade *t, int si, const struct cmt_fetch_sym *s,
	const cJSON *d, char *err)
{
	const char *side = cmt_venue_str(d, "side");
	const cJSON *cnt = cmt_venue_item(d, "count");
	int64_t ms, count = 1;
	enum cmt_err e;

	if (cmt_venue_whole(cmt_venue_item(d, "ts"), &ms))
		return cmt_errf(err, CMT_EMISSING, "%s trade without a valid "
			"\"ts\"", s->sym);
	if (cnt && (cmt_venue_whole(cnt, &count) || count < 1))
		return cmt_errf(err, CMT_ERANGE, "%s trade: \"count\" is not a "
			"whole number >= 1", s->sym);
	if ((e = cmt_venue_put_trade(t, si, s, cmt_venue_item(d, "tradeId"),
	    cmt_venue_item(d, "px"), cmt_venue_item(d, "sz"), ms,
	    side && strcmp(side, "buy") == 0 ? 'b' : side &&
	    strcmp(side, "sell") == 0 ? 's' : 0, err)))
		return e;
	if (count > t->id + 1)
		return cmt_errf(err, CMT_ERANGE, "%s trade %lld: \"count\" %lld "
			"runs below id 0", s->sym, (long long)t->id,
			(long long)count);
	t->first_id = t->id - count + 1;
	return CMT_OK;
}

/* {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[trade, ...]};
 * {"event":"subscribe",...} confirms, {"event":"error","code":..,
 * "msg":..} refuses. */
static enum cmt_err
parse_message(const cJSON *root, const struct cmt_fetch_sym *syms, int nsym,
	struct cmt_trade *out, int cap, int *n, enum cmt_stream_kind *kind,
	char *err)
{
	const char *ev = cmt_venue_str(root, "event"), *ch;
	const cJSON *arg = cmt_venue_item(root, "arg"), *data, *d;
	enum cmt_err e;
	int si;

	if (ev && strcmp(ev, "subscribe") == 0) {
		*kind = CMT_WS_SUBSCRIBED;
		return CMT_OK;
	}
	if (ev && strcmp(ev, "error") == 0) {
		*kind = CMT_WS_SUBERR;
		return cmt_errf(err, CMT_EVALUE, "okx refused the subscription: "
			"%.100s (code %.16s)", cmt_venue_str(root, "msg")
			? cmt_venue_str(root, "msg") : "no reason given",
			cmt_venue_str(root, "code") ? cmt_venue_str(root, "code")
			: "none");
	}
	if (ev || !(ch = cmt_venue_str(arg, "channel")) ||
	    strcmp(ch, "trades") != 0)
		return CMT_OK;
	data = cmt_venue_item(root, "data");
	if (!cJSON_IsArray(data))
		return cmt_errf(err, CMT_EMISSING, "trades message without a "
			"\"data\" array");
	*kind = CMT_WS_TRADES;
	cJSON_ArrayForEach(d, data) {
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "more than %d trades in "
				"one message", cap);
		if (!cmt_venue_str(d, "instId") || (si = cmt_venue_find_id(syms,
		    nsym, cmt_venue_str(d, "instId"))) < 0)
			return cmt_errf(err, CMT_EVALUE, "trade for an instrument "
				"not subscribed");
		if ((e = put_trade(&out[*n], si, &syms[si], d, err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

/* Trades older than before_id (exclusive), newest first. */
static int
fill_url(const char *base, const struct cmt_fetch_sym *s,
	const struct cmt_stream_cursor *cur, char *buf, size_t cap)
{
	size_t n = 0;
	int r = 0;

	r |= cmt_strcat_printf(buf, cap, &n, "%s/api/v5/market/history-trades"
		"?instId=%s&type=1&limit=%d", base, s->id, TRADE_PAGE);
	if (cur->before_id >= 0)
		r |= cmt_strcat_printf(buf, cap, &n, "&after=%lld",
			(long long)cur->before_id);
	return r ? -1 : (int)n;
}

/* data: [{"instId","side","sz","px","tradeId","ts"}, ...], newest first */
static enum cmt_err
parse_fill(const cJSON *root, const struct cmt_fetch_sym *s, int si,
	struct cmt_trade *out, int cap, int *n, char *next, char *err)
{
	const cJSON *data, *d;
	enum cmt_err e;

	(void)next;
	if ((e = envelope(root, &data, err)))
		return e;
	cJSON_ArrayForEach(d, data) {
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "page too long");
		if ((e = put_trade(&out[*n], si, s, d, err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

const struct cmt_source cmt_source_okx = {
	.name = "okx",
	.title = "OKX",
	.rest_url = "https://www.okx.com",
	.ws_url = "wss://ws.okx.com:8443/ws/v5/public",
	.quote = "USDT",
	.history_span_ms = CANDLES * 60000LL,
	.history_bars = 1,
	/* 20 history-candles requests per 2 s: stay at 10 a second */
	.pace_ms = 100,
	.fill_order = CMT_FILL_BACKWARD,
	.ws_ping = "ping",
	.ws_pong = "pong",
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
