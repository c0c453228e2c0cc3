/* Kraken: polled tickers of many pairs in one request, history from
 * 1-minute OHLC (only the last 720 bars are kept), the v2 WebSocket
 * "trade" channel, and gap fills from /Trades paged forward by the
 * "last" cursor it returns.  Kraken names BTC "XBT", and answers with
 * legacy pair names (XXBTZUSD) besides the ones asked for (XBTUSD). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "venue.h"

/* OHLC rows: [time s, open, high, low, close, vwap, volume, count] */
static const struct cmt_venue_bar_layout ohlc = { 0, 1, 2, 3, 4, 6, 1000, 7 };

#define TRADE_PAGE 1000         /* trades per request */

/* Kraken's own asset codes where they differ from the common ticker. */
static const struct { const char *common, *kraken; } assets[] = {
	{ "BTC", "XBT" }, { "DOGE", "XDG" },
};

static const char *const fiat[] = {
	"USD", "EUR", "GBP", "JPY", "CAD", "CHF", "AUD",
};

static const char *
asset(const char *a)
{
	size_t i;

	for (i = 0; i < sizeof assets / sizeof assets[0]; i++)
		if (strcmp(a, assets[i].common) == 0)
			return assets[i].kraken;
	return a;
}

static int
is_fiat(const char *q)
{
	size_t i;

	for (i = 0; i < sizeof fiat / sizeof fiat[0]; i++)
		if (strcmp(q, fiat[i]) == 0)
			return 1;
	return 0;
}

static enum cmt_err
map_symbol(struct cmt_fetch_sym *s, const char *base, const char *quote,
	const char *id_map, char *err)
{
	const char *kb = asset(base), *kq = asset(quote);

	(void)id_map;
	(void)err;
	snprintf(s->id, sizeof s->id, "%s%s", kb, kq);
	snprintf(s->alt, sizeof s->alt, "X%s%c%s", kb, is_fiat(quote) ? 'Z'
		: 'X', kq);
	return CMT_OK;
}

/* {"error":["EQuery:Unknown asset pair"], ...}: a query Kraken will never
 * answer (an unknown pair, invalid arguments) is permanent; any other
 * error (EService:Unavailable, EAPI:Rate limit) passes. */
static enum cmt_err
error_array(const cJSON *root, char *err)
{
	const cJSON *errs = cmt_venue_item(root, "error"), *p;

	if (!cJSON_IsArray(errs) || cJSON_GetArraySize(errs) == 0)
		return CMT_OK;
	p = cJSON_GetArrayItem(errs, 0);
	if (cJSON_IsString(p) && (strncmp(p->valuestring, "EQuery:", 7) == 0 ||
	    strncmp(p->valuestring, "EGeneral:Invalid", 16) == 0))
		return cmt_errf(err, CMT_EVALUE, "kraken: %s", p->valuestring);
	return cmt_errf(err, CMT_EIO, "kraken: %s", cJSON_IsString(p)
		? p->valuestring : "error");
}

/* The "result" object, after the error array. */
static enum cmt_err
result(const cJSON *root, const cJSON **res, char *err)
{
	enum cmt_err e;

	if (!cJSON_IsObject(root))
		return cmt_errf(err, CMT_ETYPE, "expected a JSON object");
	if ((e = error_array(root, err)))
		return e;
	*res = cmt_venue_item(root, "result");
	if (!cJSON_IsObject(*res))
		return cmt_errf(err, CMT_EMISSING, "no \"result\" object");
	return CMT_OK;
}

/* The (last) array member of the result: the rows of one pair. */
static const cJSON *
rows_of(const cJSON *res)
{
	const cJSON *p, *rows = NULL;

	cJSON_ArrayForEach(p, res)
		if (cJSON_IsArray(p))
			rows = p;
	return rows;
}

static int
live_url(const char *base, const struct cmt_fetch_sym *syms, int nsym,
	int i, char *buf, size_t cap)
{
	size_t n = 0;
	int j, r = 0;

	(void)i;
	r |= cmt_strcat_printf(buf, cap, &n, "%s/0/public/Ticker?pair=", base);
	for (j = 0; j < nsym; j++)
		r |= cmt_strcat_printf(buf, cap, &n, "%s%s", j ? "," : "",
			syms[j].id);
	return r ? -1 : (int)n;
}

/* {"error":[],"result":{"XXBTZUSD":{"c":["last price","lot"],
 * "t":[today's trades, 24h], ...}}}: no time, so readings are stamped
 * when the answer came, and the trade count tells a new trade at the
 * same price. */
static enum cmt_err
parse_live(const cJSON *root, const struct cmt_fetch_sym *syms, int n,
	int64_t now_ms, struct cmt_fetch_obs *obs, char *err)
{
	const cJSON *res, *p, *c, *cnt;
	enum cmt_err e;
	int i, nres;

	if ((e = result(root, &res, err)))
		return e;
	nres = cJSON_GetArraySize(res);
	cJSON_ArrayForEach(p, res) {
		for (i = 0; i < n; i++)
			if (strcmp(p->string, syms[i].id) == 0 ||
			    strcmp(p->string, syms[i].alt) == 0 ||
			    (n == 1 && nres == 1))
				break;
		if (i == n)
			continue;
		c = cmt_venue_item(p, "c");
		cnt = cmt_venue_item(p, "t");
		if (!cJSON_IsArray(c) || cmt_venue_num(cJSON_GetArrayItem(c, 0),
		    &obs[i].tk.px))
			return cmt_errf(err, CMT_EMISSING, "%s: no last trade "
				"price \"c\"", p->string);
		if (cmt_venue_set_px(&obs[i], obs[i].tk.px, p->string, err))
			return CMT_ERANGE;
		if (cJSON_IsArray(cnt))
			cmt_venue_num(cJSON_GetArrayItem(cnt, 0), &obs[i].aux);
		obs[i].tk.t = now_ms;
		obs[i].ok = 1;
	}
	return CMT_OK;
}

static int
history_url(const char *base, const struct cmt_fetch_sym *s, int64_t from,
	int64_t to, char *buf, size_t cap)
{
	size_t n = 0;

	(void)to;
	/* since is exclusive: ask from the minute before */
	return cmt_strcat_printf(buf, cap, &n, "%s/0/public/OHLC?pair=%s"
		"&interval=1&since=%lld", base, s->id,
		(long long)(from / 1000 - 60)) ? -1 : (int)n;
}

/* {"error":[],"result":{"XXBTZUSD":[[time s, open, high, low, close,
 * vwap, volume, count], ...],"last":1688672160}}; the last row is the
 * bar still open. */
static enum cmt_err
parse_history(const cJSON *root, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, int64_t *last_open, char *err)
{
	const cJSON *res, *rows, *k;
	struct cmt_venue_bar b;
	int64_t prev = -1;
	enum cmt_err e;

	(void)last_open;
	if ((e = result(root, &res, err)))
		return e;
	if (!(rows = rows_of(res)))
		return cmt_errf(err, CMT_EMISSING, "no OHLC rows");
	cJSON_ArrayForEach(k, rows) {
		if (cmt_venue_bar_row(k, &ohlc, &b))
			return cmt_errf(err, CMT_EMISSING, "OHLC row is not [time, "
				"open, high, low, close, vwap, volume, count]");
		if (b.open <= prev)
			return cmt_errf(err, CMT_EORDER, "OHLC time %lld out of "
				"order", (long long)b.open);
		prev = b.open;
		if ((e = cmt_venue_put_bar(&b, from, to, out, cap, n, err)))
			return e;
	}
	return CMT_OK;
}

/* WebSocket v2 names pairs BASE/QUOTE with the common tickers. */
static void
ws_symbol(const struct cmt_fetch_sym *s, char *out, size_t cap)
{
	snprintf(out, cap, "%s", s->sym);
	if (strchr(out, '-'))
		*strchr(out, '-') = '/';
}

static int
subscribe(const struct cmt_fetch_sym *syms, int nsym, char *buf, size_t cap)
{
	char id[CMT_FETCH_ID_MAX];
	size_t n = 0;
	int i, r = 0;

	r |= cmt_strcat_printf(buf, cap, &n, "{\"method\":\"subscribe\","
		"\"params\":{\"channel\":\"trade\",\"snapshot\":false,"
		"\"symbol\":[");
	for (i = 0; i < nsym; i++) {
		ws_symbol(&syms[i], id, sizeof id);
		r |= cmt_strcat_printf(buf, cap, &n, "%s\"%s\"", i ? "," : "",
			id);
	}
	r |= cmt_strcat_printf(buf, cap, &n, "]}}");
	return r ? -1 : (int)n;
}

static int
find_ws_symbol(const struct cmt_fetch_sym *syms, int nsym, const char *name)
{
	char k[CMT_FETCH_ID_MAX];
	int i;

	for (i = 0; name && i < nsym; i++) {
		ws_symbol(&syms[i], k, sizeof k);
		if (strcasecmp(k, name) == 0)
			return i;
	}
	return -1;
}

static int
side_of(const char *sd)
{
	return sd && strcmp(sd, "buy") == 0 ? 'b' : sd &&
		strcmp(sd, "sell") == 0 ? 's' : 0;
}

/* {"channel":"trade","type":"update","data":[{"symbol":"BTC/USD",
 * "side":"buy","price":..,"qty":..,"ord_type":..,"trade_id":id,
 * "timestamp":"ISO"}, ...]}; {"method":"subscribe","success":bool,
 * "error":..} answers a subscription. */
static enum cmt_err
parse_message(const cJSON *root, const struct cmt_fetch_sym *syms, int nsym,
	struct cmt_trade *out, int cap, int *n, enum cmt_stream_kind *kind,
	char *err)
{
	const char *ch = cmt_venue_str(root, "channel");
	const char *m = cmt_venue_str(root, "method");
	const cJSON *data, *d;
	enum cmt_err e;
	int64_t t;
	int si;

	if (m && strcmp(m, "subscribe") == 0) {
		if (cJSON_IsTrue(cmt_venue_item(root, "success"))) {
			*kind = CMT_WS_SUBSCRIBED;
			return CMT_OK;
		}
		*kind = CMT_WS_SUBERR;
		return cmt_errf(err, CMT_EVALUE, "kraken refused the "
			"subscription: %.100s", cmt_venue_str(root, "error")
			? cmt_venue_str(root, "error") : "no reason given");
	}
	if (!ch || strcmp(ch, "trade") != 0)
		return CMT_OK;
	data = cmt_venue_item(root, "data");
	if (!cJSON_IsArray(data))
		return cmt_errf(err, CMT_EMISSING, "trade message without a "
			"\"data\" array");
	*kind = CMT_WS_TRADES;
	cJSON_ArrayForEach(d, data) {
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "more than %d trades in "
				"one message", cap);
		if ((si = find_ws_symbol(syms, nsym, cmt_venue_str(d,
		    "symbol"))) < 0)
			return cmt_errf(err, CMT_EVALUE, "trade for a symbol not "
				"subscribed");
		if ((t = cmt_venue_iso_ms(cmt_venue_str(d, "timestamp"))) < 0)
			return cmt_errf(err, CMT_EMISSING, "trade without a "
				"valid \"timestamp\"");
		if ((e = cmt_venue_put_trade(&out[*n], si, &syms[si],
		    cmt_venue_item(d, "trade_id"), cmt_venue_item(d, "price"),
		    cmt_venue_item(d, "qty"), t,
		    side_of(cmt_venue_str(d, "side")), err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

static int
fill_url(const char *base, const struct cmt_fetch_sym *s,
	const struct cmt_stream_cursor *cur, char *buf, size_t cap)
{
	size_t n = 0;
	int r = 0;

	r |= cmt_strcat_printf(buf, cap, &n, "%s/0/public/Trades?pair=%s"
		"&count=%d", base, s->id, TRADE_PAGE);
	if (cur->cursor[0])
		r |= cmt_strcat_printf(buf, cap, &n, "&since=%s", cur->cursor);
	else
		r |= cmt_strcat_printf(buf, cap, &n, "&since=%lld",
			(long long)(cur->from_ms / 1000));
	return r ? -1 : (int)n;
}

/* {"error":[],"result":{"XXBTZUSD":[[price, volume, time, "b"|"s", type,
 * misc, trade_id], ...], "last":"1688671969993150842"}} */
static enum cmt_err
parse_fill(const cJSON *root, const struct cmt_fetch_sym *s, int si,
	struct cmt_trade *out, int cap, int *n, char *next, char *err)
{
	const cJSON *res, *rows, *tr, *last;
	const char *sd;
	double secs;
	enum cmt_err e;

	if ((e = result(root, &res, err)))
		return e;
	rows = rows_of(res);
	last = cmt_venue_item(res, "last");
	if (!rows || !(cJSON_IsString(last) || cJSON_IsNumber(last)))
		return cmt_errf(err, CMT_EMISSING, "no trades array or \"last\"");
	if (cJSON_IsString(last))
		snprintf(next, 32, "%.31s", last->valuestring);
	else
		snprintf(next, 32, "%.0f", last->valuedouble);
	cJSON_ArrayForEach(tr, rows) {
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "page too long");
		if (!cJSON_IsArray(tr) || cJSON_GetArraySize(tr) < 7 ||
		    cmt_venue_num(cJSON_GetArrayItem(tr, 2), &secs))
			return cmt_errf(err, CMT_EMISSING, "trade is not [price, "
				"volume, time, side, type, misc, id]");
		if (!(secs >= 0 && secs < 9e12))
			return cmt_errf(err, CMT_ERANGE, "trade time out of range");
		sd = cJSON_IsString(cJSON_GetArrayItem(tr, 3))
			? cJSON_GetArrayItem(tr, 3)->valuestring : "";
		if ((e = cmt_venue_put_trade(&out[*n], si, s,
		    cJSON_GetArrayItem(tr, 6), cJSON_GetArrayItem(tr, 0),
		    cJSON_GetArrayItem(tr, 1), (int64_t)(secs * 1000 + 0.5),
		    sd[0] == 'b' ? 'b' : sd[0] == 's' ? 's' : 0, err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

const struct cmt_source cmt_source_kraken = {
	.name = "kraken",
	.title = "Kraken",
	.rest_url = "https://api.kraken.com",
	.ws_url = "wss://ws.kraken.com/v2",
	.quote = "USD",
	.batched = 1,
	.history_span_ms = 720 * 60000LL,   /* the 720 bars it keeps */
	.history_keep_ms = 720 * 60000LL,
	.history_bars = 1,
	.fill_order = CMT_FILL_FORWARD,
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
