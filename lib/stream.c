#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmt_clock.h"
#include "cmt_parse.h"
#include "cmt_stream.h"

const char *
cmt_stream_default_url(enum cmt_fetch_source src)
{
	switch (src) {
	case CMT_SRC_BINANCE:
		return "wss://stream.binance.com:9443/stream";
	case CMT_SRC_COINBASE:
		return "wss://ws-feed.exchange.coinbase.com";
	case CMT_SRC_KRAKEN:
		return "wss://ws.kraken.com/v2";
	case CMT_SRC_COINGECKO:
		break;
	}
	return NULL;
}

/* Append printf output to buf at *n; -1 once it does not fit. */
static int
add(char *buf, size_t cap, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
add(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= cap)
		return -1;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= cap - *n) {
		*n = cap;
		return -1;
	}
	*n += (size_t)k;
	return 0;
}

static void
lower_into(char *dst, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++)
		dst[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	dst[i] = '\0';
}

/* Kraken v2 names pairs BASE/QUOTE with the common tickers (BTC/USD). */
static void
kraken_ws_symbol(const struct cmt_fetch_sym *s, char *out, size_t cap)
{
	snprintf(out, cap, "%s", s->sym);
	if (strchr(out, '-'))
		*strchr(out, '-') = '/';
}

int
cmt_stream_url(enum cmt_fetch_source src, const char *base,
	const struct cmt_fetch_sym *syms, int nsym, char *buf, size_t cap)
{
	size_t n = 0;
	char id[CMT_FETCH_ID_MAX];
	int i, r = 0;

	r |= add(buf, cap, &n, "%s", base);
	if (src == CMT_SRC_BINANCE)
		for (i = 0; i < nsym; i++) {
			lower_into(id, sizeof id, syms[i].id);
			r |= add(buf, cap, &n, "%s%s@aggTrade", i ? "/"
				: strchr(base, '?') ? "&streams=" : "?streams=",
				id);
		}
	return r ? -1 : (int)n;
}

int
cmt_stream_subscribe(enum cmt_fetch_source src,
	const struct cmt_fetch_sym *syms, int nsym, char *buf, size_t cap)
{
	size_t n = 0;
	char id[CMT_FETCH_ID_MAX];
	int i, r = 0;

	switch (src) {
	case CMT_SRC_BINANCE:
		r |= add(buf, cap, &n, "{\"method\":\"SUBSCRIBE\",\"params\":[");
		for (i = 0; i < nsym; i++) {
			lower_into(id, sizeof id, syms[i].id);
			r |= add(buf, cap, &n, "%s\"%s@aggTrade\"", i ? "," : "",
				id);
		}
		r |= add(buf, cap, &n, "],\"id\":1}");
		break;
	case CMT_SRC_COINBASE:
		r |= add(buf, cap, &n, "{\"type\":\"subscribe\",\"product_ids\":[");
		for (i = 0; i < nsym; i++)
			r |= add(buf, cap, &n, "%s\"%s\"", i ? "," : "",
				syms[i].id);
		r |= add(buf, cap, &n, "],\"channels\":[\"matches\"]}");
		break;
	case CMT_SRC_KRAKEN:
		r |= add(buf, cap, &n, "{\"method\":\"subscribe\",\"params\":"
			"{\"channel\":\"trade\",\"snapshot\":false,\"symbol\":[");
		for (i = 0; i < nsym; i++) {
			kraken_ws_symbol(&syms[i], id, sizeof id);
			r |= add(buf, cap, &n, "%s\"%s\"", i ? "," : "", id);
		}
		r |= add(buf, cap, &n, "]}}");
		break;
	case CMT_SRC_COINGECKO:
		return -1;
	}
	return r ? -1 : (int)n;
}

static const cJSON *
item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = item(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Fill one trade from its parts; side: 'b' or 's' (taker), 0 unknown. */
static enum cmt_err
put_trade(struct cmt_trade *t, int si, const struct cmt_fetch_sym *s,
	enum cmt_fetch_source src, const cJSON *id, const cJSON *px,
	const cJSON *qty, int64_t ms, int side, char *err)
{
	memset(t, 0, sizeof *t);
	if (cmt_fetch_json_whole(id, &t->id) ||
	    cmt_fetch_json_num(px, &t->tk.px) ||
	    cmt_fetch_json_num(qty, &t->tk.vol))
		return cmt_errf(err, CMT_EMISSING, "%s trade without a numeric "
			"id, price and size", s->sym);
	if (!(t->tk.px > 0) || !(t->tk.vol >= 0))
		return cmt_errf(err, CMT_ERANGE, "%s trade %lld: price <= 0 or "
			"size < 0", s->sym, (long long)t->id);
	if (!(ms >= 0 && ms < 9e15))
		return cmt_errf(err, CMT_ERANGE, "%s trade %lld: time out of "
			"range", s->sym, (long long)t->id);
	t->sym = si;
	t->tk.t = ms;
	t->tk.has_vol = 1;
	t->tk.side = side == 'b' ? CMT_SIDE_BUY : side == 's' ? CMT_SIDE_SELL
		: CMT_SIDE_NONE;
	memcpy(t->tk.sym, s->sym, sizeof t->tk.sym);
	snprintf(t->tk.src, sizeof t->tk.src, "%s", cmt_fetch_source_name(src));
	return CMT_OK;
}

static int
find_sym(const struct cmt_fetch_sym *syms, int nsym, const char *id,
	enum cmt_fetch_source src)
{
	char k[CMT_FETCH_ID_MAX];
	int i;

	for (i = 0; i < nsym; i++) {
		if (src == CMT_SRC_KRAKEN)
			kraken_ws_symbol(&syms[i], k, sizeof k);
		else
			snprintf(k, sizeof k, "%s", syms[i].id);
		if (strcasecmp(k, id) == 0)
			return i;
	}
	return -1;
}

static int64_t
iso_ms(const char *s)
{
	int64_t t;

	return s && cmt_parse_time_ms(s, &t, NULL) == CMT_OK ? t : -1;
}

static enum cmt_err
parse_binance(const cJSON *root, const struct cmt_fetch_sym *syms,
	int nsym, struct cmt_trade *out, int *n, enum cmt_stream_kind *kind,
	char *err)
{
	const cJSON *d = item(root, "data"), *e;
	const char *sym, *ev;
	int64_t t;
	int si;

	if ((e = item(root, "error"))) {
		*kind = CMT_WS_SUBERR;
		return cmt_errf(err, CMT_EVALUE, "binance refused the "
			"subscription: %.100s", str(e, "msg") ? str(e, "msg")
			: "no reason given");
	}
	if (item(root, "result") && item(root, "id")) {
		*kind = CMT_WS_SUBSCRIBED;
		return CMT_OK;
	}
	if (!d)
		d = root;       /* a raw stream (/ws/...) sends the payload bare */
	ev = str(d, "e");
	if (!ev || strcmp(ev, "aggTrade") != 0)
		return CMT_OK;
	if (!(sym = str(d, "s")) || (si = find_sym(syms, nsym, sym,
	    CMT_SRC_BINANCE)) < 0)
		return cmt_errf(err, CMT_EVALUE, "aggTrade for a symbol not "
			"subscribed");
	if (cmt_fetch_json_whole(item(d, "T"), &t))
		return cmt_errf(err, CMT_EMISSING, "aggTrade without \"T\"");
	*kind = CMT_WS_TRADES;
	/* m: the buyer is the maker, so the taker sold */
	return put_trade(&out[(*n)++], si, &syms[si], CMT_SRC_BINANCE,
		item(d, "a"), item(d, "p"), item(d, "q"), t,
		cJSON_IsTrue(item(d, "m")) ? 's' : 'b', err);
}

/* Coinbase's "side" is the maker's: a "sell" match is a taker buy. */
static int
coinbase_taker(const char *maker)
{
	if (!maker)
		return 0;
	return strcmp(maker, "sell") == 0 ? 'b' : strcmp(maker, "buy") == 0
		? 's' : 0;
}

static enum cmt_err
parse_coinbase(const cJSON *root, const struct cmt_fetch_sym *syms,
	int nsym, struct cmt_trade *out, int *n, enum cmt_stream_kind *kind,
	char *err)
{
	const char *type = str(root, "type"), *pid;
	int64_t t;
	int si;

	if (!type)
		return cmt_errf(err, CMT_EMISSING, "message without \"type\"");
	if (strcmp(type, "subscriptions") == 0) {
		*kind = CMT_WS_SUBSCRIBED;
		return CMT_OK;
	}
	if (strcmp(type, "error") == 0) {
		*kind = CMT_WS_SUBERR;
		return cmt_errf(err, CMT_EVALUE, "coinbase: %.60s%s%.80s",
			str(root, "message") ? str(root, "message") : "error",
			str(root, "reason") ? ": " : "",
			str(root, "reason") ? str(root, "reason") : "");
	}
	if (strcmp(type, "match") != 0 && strcmp(type, "last_match") != 0)
		return CMT_OK;
	if (!(pid = str(root, "product_id")) ||
	    (si = find_sym(syms, nsym, pid, CMT_SRC_COINBASE)) < 0)
		return cmt_errf(err, CMT_EVALUE, "match for a product not "
			"subscribed");
	if ((t = iso_ms(str(root, "time"))) < 0)
		return cmt_errf(err, CMT_EMISSING, "match without a valid "
			"\"time\"");
	*kind = CMT_WS_TRADES;
	return put_trade(&out[(*n)++], si, &syms[si], CMT_SRC_COINBASE,
		item(root, "trade_id"), item(root, "price"), item(root, "size"),
		t, coinbase_taker(str(root, "side")), err);
}

static enum cmt_err
parse_kraken(const cJSON *root, const struct cmt_fetch_sym *syms, int nsym,
	struct cmt_trade *out, int cap, int *n, enum cmt_stream_kind *kind,
	char *err)
{
	const char *ch = str(root, "channel"), *m = str(root, "method"), *sd;
	const cJSON *data, *d;
	enum cmt_err e;
	int64_t t;
	int si;

	if (m && strcmp(m, "subscribe") == 0) {
		if (cJSON_IsTrue(item(root, "success"))) {
			*kind = CMT_WS_SUBSCRIBED;
			return CMT_OK;
		}
		*kind = CMT_WS_SUBERR;
		return cmt_errf(err, CMT_EVALUE, "kraken refused the "
			"subscription: %.100s", str(root, "error")
			? str(root, "error") : "no reason given");
	}
	if (!ch || strcmp(ch, "trade") != 0)
		return CMT_OK;
	data = item(root, "data");
	if (!cJSON_IsArray(data))
		return cmt_errf(err, CMT_EMISSING, "trade message without a "
			"\"data\" array");
	*kind = CMT_WS_TRADES;
	cJSON_ArrayForEach(d, data) {
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "more than %d trades in "
				"one message", cap);
		if (!str(d, "symbol") || (si = find_sym(syms, nsym,
		    str(d, "symbol"), CMT_SRC_KRAKEN)) < 0)
			return cmt_errf(err, CMT_EVALUE, "trade for a symbol not "
				"subscribed");
		if ((t = iso_ms(str(d, "timestamp"))) < 0)
			return cmt_errf(err, CMT_EMISSING, "trade without a "
				"valid \"timestamp\"");
		sd = str(d, "side");
		if ((e = put_trade(&out[*n], si, &syms[si], CMT_SRC_KRAKEN,
		    item(d, "trade_id"), item(d, "price"), item(d, "qty"), t,
		    sd && strcmp(sd, "buy") == 0 ? 'b' : sd &&
		    strcmp(sd, "sell") == 0 ? 's' : 0, err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

enum cmt_err
cmt_stream_parse(enum cmt_fetch_source src, const char *msg, size_t len,
	const struct cmt_fetch_sym *syms, int nsym, struct cmt_trade *out,
	int cap, int *n, enum cmt_stream_kind *kind, char *err)
{
	cJSON *root;
	enum cmt_err e = CMT_OK;

	*n = 0;
	*kind = CMT_WS_OTHER;
	if (!(root = cJSON_ParseWithLength(msg, len)))
		return cmt_errf(err, CMT_ESYNTAX, "malformed JSON (%zu bytes)",
			len);
	if (!cJSON_IsObject(root))
		e = cmt_errf(err, CMT_ETYPE, "message is not a JSON object");
	else if (cap < 1)
		e = cmt_errf(err, CMT_ELIMIT, "no room for trades");
	else if (src == CMT_SRC_BINANCE)
		e = parse_binance(root, syms, nsym, out, n, kind, err);
	else if (src == CMT_SRC_COINBASE)
		e = parse_coinbase(root, syms, nsym, out, n, kind, err);
	else if (src == CMT_SRC_KRAKEN)
		e = parse_kraken(root, syms, nsym, out, cap, n, kind, err);
	cJSON_Delete(root);
	if (e && *kind == CMT_WS_TRADES) {
		*kind = CMT_WS_OTHER;
		*n = 0;
	}
	return e;
}

/* ---- REST gap fill ---- */

int
cmt_stream_fill_url(enum cmt_fetch_source src, const char *base,
	const struct cmt_fetch_sym *s, const struct cmt_stream_cursor *cur,
	char *buf, size_t cap)
{
	size_t n = 0;
	int r = 0;

	switch (src) {
	case CMT_SRC_BINANCE:
		r |= add(buf, cap, &n, "%s/api/v3/aggTrades?symbol=%s", base,
			s->id);
		if (cur->after_id >= 0)
			r |= add(buf, cap, &n, "&fromId=%lld",
				(long long)cur->after_id + 1);
		else
			r |= add(buf, cap, &n, "&startTime=%lld",
				(long long)cur->from_ms);
		r |= add(buf, cap, &n, "&limit=%d", CMT_STREAM_FILL_PAGE);
		break;
	case CMT_SRC_COINBASE:
		r |= add(buf, cap, &n, "%s/products/%s/trades?limit=%d", base,
			s->id, CMT_STREAM_FILL_PAGE);
		if (cur->before_id >= 0)
			r |= add(buf, cap, &n, "&after=%lld",
				(long long)cur->before_id);
		break;
	case CMT_SRC_KRAKEN:
		r |= add(buf, cap, &n, "%s/0/public/Trades?pair=%s&count=%d",
			base, s->id, CMT_STREAM_FILL_PAGE);
		if (cur->since[0])
			r |= add(buf, cap, &n, "&since=%s", cur->since);
		else
			r |= add(buf, cap, &n, "&since=%lld",
				(long long)(cur->from_ms / 1000));
		break;
	case CMT_SRC_COINGECKO:
		return -1;
	}
	return r ? -1 : (int)n;
}

static enum cmt_err
fill_binance(const cJSON *root, const struct cmt_fetch_sym *s, int si,
	struct cmt_trade *out, int cap, int *n, char *err)
{
	const cJSON *tr;
	int64_t t;
	enum cmt_err e;

	if (!cJSON_IsArray(root))
		return cmt_errf(err, CMT_ETYPE, "expected an array of trades");
	cJSON_ArrayForEach(tr, root) {
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "page too long");
		if (cmt_fetch_json_whole(item(tr, "T"), &t))
			return cmt_errf(err, CMT_EMISSING, "trade without \"T\"");
		if ((e = put_trade(&out[*n], si, s, CMT_SRC_BINANCE,
		    item(tr, "a"), item(tr, "p"), item(tr, "q"), t,
		    cJSON_IsTrue(item(tr, "m")) ? 's' : 'b', err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

static enum cmt_err
fill_coinbase(const cJSON *root, const struct cmt_fetch_sym *s, int si,
	struct cmt_trade *out, int cap, int *n, char *err)
{
	const cJSON *tr;
	int64_t t;
	enum cmt_err e;

	if (!cJSON_IsArray(root))
		return cmt_errf(err, CMT_ETYPE, "expected an array of trades");
	cJSON_ArrayForEach(tr, root) {
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "page too long");
		if ((t = iso_ms(str(tr, "time"))) < 0)
			return cmt_errf(err, CMT_EMISSING, "trade without a "
				"valid \"time\"");
		if ((e = put_trade(&out[*n], si, s, CMT_SRC_COINBASE,
		    item(tr, "trade_id"), item(tr, "price"), item(tr, "size"),
		    t, coinbase_taker(str(tr, "side")), err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

/* {"error":[],"result":{"XXBTZUSD":[[price, volume, time, "b"|"s", type,
 * misc, trade_id], ...], "last":"1688671969993150842"}} */
static enum cmt_err
fill_kraken(const cJSON *root, const struct cmt_fetch_sym *s, int si,
	struct cmt_trade *out, int cap, int *n, char *next_since, char *err)
{
	const cJSON *errs = item(root, "error"), *res, *p, *tr, *last;
	const cJSON *rows = NULL;
	const char *sd;
	double secs;
	enum cmt_err e;

	if (cJSON_IsArray(errs) && cJSON_GetArraySize(errs) > 0) {
		p = cJSON_GetArrayItem(errs, 0);
		return cmt_errf(err, cJSON_IsString(p) && strncmp(p->valuestring,
			"EQuery:", 7) == 0 ? CMT_EVALUE : CMT_EIO, "kraken: %s",
			cJSON_IsString(p) ? p->valuestring : "error");
	}
	if (!cJSON_IsObject(res = item(root, "result")))
		return cmt_errf(err, CMT_EMISSING, "no \"result\" object");
	cJSON_ArrayForEach(p, res)
		if (cJSON_IsArray(p))
			rows = p;
	last = item(res, "last");
	if (!rows || !(cJSON_IsString(last) || cJSON_IsNumber(last)))
		return cmt_errf(err, CMT_EMISSING, "no trades array or \"last\"");
	if (cJSON_IsString(last))
		snprintf(next_since, 32, "%.31s", last->valuestring);
	else
		snprintf(next_since, 32, "%.0f", last->valuedouble);
	cJSON_ArrayForEach(tr, rows) {
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "page too long");
		if (!cJSON_IsArray(tr) || cJSON_GetArraySize(tr) < 7 ||
		    cmt_fetch_json_num(cJSON_GetArrayItem(tr, 2), &secs))
			return cmt_errf(err, CMT_EMISSING, "trade is not [price, "
				"volume, time, side, type, misc, id]");
		if (!(secs >= 0 && secs < 9e12))
			return cmt_errf(err, CMT_ERANGE, "trade time out of range");
		sd = cJSON_IsString(cJSON_GetArrayItem(tr, 3))
			? cJSON_GetArrayItem(tr, 3)->valuestring : "";
		if ((e = put_trade(&out[*n], si, s, CMT_SRC_KRAKEN,
		    cJSON_GetArrayItem(tr, 6), cJSON_GetArrayItem(tr, 0),
		    cJSON_GetArrayItem(tr, 1), (int64_t)(secs * 1000 + 0.5),
		    sd[0] == 'b' ? 'b' : sd[0] == 's' ? 's' : 0, err)))
			return e;
		(*n)++;
	}
	return CMT_OK;
}

enum cmt_err
cmt_stream_parse_fill(enum cmt_fetch_source src, const char *body,
	size_t len, const struct cmt_fetch_sym *s, int si,
	struct cmt_trade *out, int cap, int *n, char *next_since, char *err)
{
	cJSON *root;
	enum cmt_err e;

	*n = 0;
	if (!(root = cJSON_ParseWithLength(body, len)))
		return cmt_errf(err, CMT_ESYNTAX, "malformed JSON (%zu bytes)",
			len);
	if (src == CMT_SRC_BINANCE)
		e = fill_binance(root, s, si, out, cap, n, err);
	else if (src == CMT_SRC_COINBASE)
		e = fill_coinbase(root, s, si, out, cap, n, err);
	else if (src == CMT_SRC_KRAKEN)
		e = fill_kraken(root, s, si, out, cap, n, next_since, err);
	else
		e = cmt_errf(err, CMT_EVALUE, "no trades endpoint");
	cJSON_Delete(root);
	return e;
}

/* ---- the connection loop ---- */

struct symstate {
	int64_t last_id;        /* last emitted trade id; -1: none yet */
	int64_t last_t;
};

struct run {
	struct cmt_fetch_cfg *c;
	const struct cmt_stream_opts *o;
	struct cmt_stream_stats *st;
	struct lws_context *ctx;
	struct lws *wsi;
	struct cmt_http *http;
	struct symstate ss[CMT_FETCH_MAX_SYMS];
	lws_sorted_usec_list_t tick;
	char *msg;              /* the message being assembled */
	size_t nmsg, capmsg;
	int oversized;
	char sub[4096];
	int sub_sent, subscribed, open;
	int close_code;
	char close_reason[124];
	int attempt;            /* failed connections in a row */
	int64_t next_connect, last_rx;
	int done, closing;
	enum cmt_err e;
	char *err;
	struct cmt_trade page[CMT_STREAM_FILL_PAGE];
	struct cmt_trade *back; /* Coinbase fill: trades gathered newest first */
	struct cmt_trade msgtr[256];
};

static void
say(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
say(struct run *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->c->warn(r->c->ctx, msg);
}

static void
fail(struct run *r, enum cmt_err e, const char *msg)
{
	if (!r->e) {
		r->e = e;
		snprintf(r->err, CMT_ERRLEN, "%s", msg);
	}
	r->done = 1;
}

static void
emit(struct run *r, const struct cmt_trade *t)
{
	struct symstate *ss = &r->ss[t->sym];

	ss->last_id = t->id;
	ss->last_t = t->tk.t;
	r->c->emit(r->c->ctx, &t->tk);
	r->st->trades++;
	if (r->o->count > 0 && r->st->trades >= r->o->count)
		r->done = 1;
}

struct fill_arg {
	struct run *r;
	int si;
	int n;
	char since[32];
};

static enum cmt_err
fill_parse(void *arg, const struct cmt_http_resp *resp, char *err)
{
	struct fill_arg *a = arg;
	struct run *r = a->r;

	return cmt_stream_parse_fill(r->c->src, resp->body, resp->len,
		&r->c->syms[a->si], a->si, r->page, CMT_STREAM_FILL_PAGE, &a->n,
		a->since, err);
}

/* One REST page into r->page[0 .. a->n).  0 ok; -1 stopped or failed. */
static int
fill_page(struct run *r, struct fill_arg *a,
	const struct cmt_stream_cursor *cur)
{
	char url[1024], why[CMT_ERRLEN];
	enum cmt_err e;

	if (cmt_stream_fill_url(r->c->src, r->c->base_url,
	    &r->c->syms[a->si], cur, url, sizeof url) < 0) {
		fail(r, CMT_ETOOLONG, "REST URL too long");
		return -1;
	}
	a->n = 0;
	e = cmt_fetch_get(r->c, r->http, url, 0, fill_parse, a, why);
	if (e == CMT_ESKIP) {
		r->done = 1;
		return -1;
	}
	if (e) {
		fail(r, e, why);
		return -1;
	}
	return 0;
}

/* A trade is due in the gap when it is after the last emitted one (or,
 * with none yet, at or after from_ms) and before `upto`. */
static int
due(const struct run *r, const struct cmt_trade *t, int64_t upto)
{
	const struct symstate *ss = &r->ss[t->sym];

	if (t->id >= upto)
		return 0;
	return ss->last_id >= 0 ? t->id > ss->last_id : t->tk.t >= r->o->from_ms;
}

/* Binance and Kraken: pages forward from the last id (or from_ms). */
static void
fill_forward(struct run *r, int si, int64_t upto)
{
	struct symstate *ss = &r->ss[si];
	struct cmt_stream_cursor cur = { -1, -1, r->o->from_ms, "" };
	struct fill_arg a = { r, si, 0, "" };
	int i, pages = 0, progress;

	if (ss->last_id >= 0) {
		cur.after_id = ss->last_id;
		/* Kraken pages by time: from the last trade's second */
		cur.from_ms = ss->last_t;
	}
	while (!r->done && pages++ < CMT_STREAM_FILL_MAX / CMT_STREAM_FILL_PAGE) {
		if (fill_page(r, &a, &cur))
			return;
		progress = 0;
		for (i = 0; i < a.n && !r->done; i++) {
			if (r->page[i].id >= upto)
				return;
			if (!due(r, &r->page[i], upto))
				continue;
			emit(r, &r->page[i]);
			r->st->filled++;
			progress = 1;
		}
		if (a.n == 0)
			return;
		if (r->c->src == CMT_SRC_KRAKEN) {
			if (strcmp(cur.since, a.since) == 0 && !progress)
				return;
			memcpy(cur.since, a.since, sizeof cur.since);
		} else {
			if (!progress && ss->last_id >= 0 &&
			    r->page[a.n - 1].id <= ss->last_id)
				return;
			cur.after_id = r->page[a.n - 1].id;
		}
	}
}

/* Coinbase: pages back from upto (trades newest first), then emits. */
static void
fill_backward(struct run *r, int si, int64_t upto)
{
	struct symstate *ss = &r->ss[si];
	struct cmt_stream_cursor cur = { -1, upto, 0, "" };
	struct fill_arg a = { r, si, 0, "" };
	int i, nb = 0, more = 1;

	if (!r->back && !(r->back = malloc(sizeof *r->back *
	    CMT_STREAM_FILL_MAX))) {
		fail(r, CMT_ENOMEM, "out of memory");
		return;
	}
	while (more && !r->done && nb < CMT_STREAM_FILL_MAX) {
		if (fill_page(r, &a, &cur))
			return;
		if (a.n == 0)
			break;
		for (i = 0; i < a.n && nb < CMT_STREAM_FILL_MAX; i++) {
			if (r->page[i].id >= cur.before_id)
				continue;       /* not older than asked */
			if (!due(r, &r->page[i], upto)) {
				more = 0;
				break;
			}
			r->back[nb++] = r->page[i];
		}
		if (nb == 0 || r->back[nb - 1].id >= cur.before_id)
			break;
		cur.before_id = r->back[nb - 1].id;
		if (ss->last_id >= 0 && cur.before_id <= ss->last_id + 1)
			break;
	}
	while (nb > 0 && !r->done) {
		emit(r, &r->back[--nb]);
		r->st->filled++;
	}
}

/* Fetch from REST what is missing before trade t, then emit t; drop it
 * when it was emitted already. */
static void
take(struct run *r, const struct cmt_trade *t)
{
	struct symstate *ss = &r->ss[t->sym];
	int64_t before = r->st->filled, want;

	if (ss->last_id >= 0 && t->id <= ss->last_id) {
		r->st->dups++;
		return;
	}
	if (ss->last_id >= 0 ? t->id > ss->last_id + 1 : r->o->from_ms > 0) {
		want = ss->last_id >= 0 ? t->id - ss->last_id - 1 : -1;
		if (r->c->src == CMT_SRC_COINBASE)
			fill_backward(r, t->sym, t->id);
		else
			fill_forward(r, t->sym, t->id);
		if (r->done)
			return;
		if (want > 0 && r->st->filled - before < want) {
			r->st->lost += want - (r->st->filled - before);
			say(r, "%s: %lld of the %lld trades before id %lld are "
				"missing from the REST answer", t->tk.sym,
				(long long)(want - (r->st->filled - before)),
				(long long)want, (long long)t->id);
		}
		if (ss->last_id >= 0 && t->id <= ss->last_id) {
			r->st->dups++;
			return;
		}
	}
	emit(r, t);
}

static void
on_message(struct run *r)
{
	enum cmt_stream_kind kind;
	char why[CMT_ERRLEN];
	enum cmt_err e;
	int i, n;

	e = cmt_stream_parse(r->c->src, r->msg, r->nmsg, r->c->syms,
		r->c->nsym, r->msgtr, (int)(sizeof r->msgtr / sizeof r->msgtr[0]),
		&n, &kind, why);
	if (kind == CMT_WS_SUBERR) {
		fail(r, CMT_EVALUE, why);
		return;
	}
	if (e) {
		r->st->bad++;
		say(r, "skipped a message: %s: %.60s%s", why, r->msg,
			r->nmsg > 60 ? "..." : "");
		return;
	}
	if (kind == CMT_WS_SUBSCRIBED || kind == CMT_WS_TRADES) {
		if (!r->subscribed)
			r->attempt = 0;
		r->subscribed = 1;
	}
	for (i = 0; i < n && !r->done; i++)
		take(r, &r->msgtr[i]);
}

static void
receive(struct run *r, struct lws *wsi, const char *in, size_t len)
{
	size_t cap;
	char *p;

	if (!r->oversized && r->nmsg + len > CMT_STREAM_MSG_MAX) {
		r->oversized = 1;
		r->st->bad++;
		say(r, "skipped a message over %u bytes", CMT_STREAM_MSG_MAX);
	}
	if (!r->oversized) {
		if (r->nmsg + len + 1 > r->capmsg) {
			cap = r->capmsg ? r->capmsg : 4096;
			while (cap < r->nmsg + len + 1)
				cap *= 2;
			if (!(p = realloc(r->msg, cap))) {
				fail(r, CMT_ENOMEM, "out of memory");
				return;
			}
			r->msg = p;
			r->capmsg = cap;
		}
		memcpy(r->msg + r->nmsg, in, len);
		r->nmsg += len;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return;
	if (!r->oversized && !lws_frame_is_binary(wsi))
		on_message(r);
	else if (!r->oversized) {
		r->st->bad++;
		say(r, "skipped a binary message");
	}
	r->nmsg = 0;
	r->oversized = 0;
}

static const char *
close_name(int code)
{
	switch (code) {
	case 1000: return "normal closure";
	case 1001: return "going away";
	case 1002: return "protocol error";
	case 1003: return "unsupported data";
	case 1007: return "invalid payload";
	case 1008: return "policy violation";
	case 1009: return "message too big";
	case 1011: return "server error";
	case 1012: return "service restart";
	case 1013: return "try again later";
	}
	return "close";
}

static void
schedule_reconnect(struct run *r, const char *why)
{
	char d[32];
	int64_t delay;

	r->wsi = NULL;
	r->open = 0;
	if (r->done)
		return;
	r->attempt++;
	if (r->c->retry_max > 0 && r->attempt > r->c->retry_max) {
		char msg[CMT_ERRLEN];

		snprintf(msg, sizeof msg, "giving up after %d connection "
			"attempts: %.100s", r->attempt - 1, why);
		fail(r, CMT_EIO, msg);
		return;
	}
	delay = cmt_fetch_backoff_ms(&r->c->backoff, r->attempt, -1,
		&r->c->rng);
	cmt_format_duration(delay, d, sizeof d);
	say(r, "%s; reconnecting in %s", why, d);
	r->next_connect = cmt_clock_mono_ms() + delay;
	r->st->reconnects++;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	void *in, size_t len)
{
	struct run *r = lws_context_user(lws_get_context(wsi));
	unsigned char buf[LWS_PRE + sizeof r->sub];
	char why[200];
	size_t n;

	(void)user;
	if (!r || r->closing || (r->wsi != wsi && reason != LWS_CALLBACK_WSI_DESTROY &&
	    reason != LWS_CALLBACK_CLIENT_CONNECTION_ERROR))
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		r->open = 1;
		r->last_rx = cmt_clock_mono_ms();
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (r->sub_sent)
			break;
		n = strlen(r->sub);
		memcpy(buf + LWS_PRE, r->sub, n);
		if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
			return -1;
		r->sub_sent = 1;
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		r->last_rx = cmt_clock_mono_ms();
		receive(r, wsi, in, len);
		if (r->done)
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		r->last_rx = cmt_clock_mono_ms();
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *p = in;

			r->close_code = p[0] << 8 | p[1];
			snprintf(r->close_reason, sizeof r->close_reason,
				"%.*s", (int)(len - 2 < 120 ? len - 2 : 120),
				(const char *)in + 2);
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (wsi != r->wsi && r->wsi)
			break;
		snprintf(why, sizeof why, "cannot connect to %.80s: %.80s",
			r->o->ws_url, in ? (const char *)in : "error");
		schedule_reconnect(r, why);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (r->close_code)
			snprintf(why, sizeof why, "the server closed the "
				"connection (%d %s%s%.80s)", r->close_code,
				close_name(r->close_code),
				r->close_reason[0] ? ": " : "", r->close_reason);
		else if (cmt_clock_mono_ms() - r->last_rx >= r->o->ping_ms)
			snprintf(why, sizeof why, "no data and no answer to a "
				"ping for %llds", (long long)(cmt_clock_mono_ms() -
				r->last_rx) / 1000);
		else
			snprintf(why, sizeof why, "connection lost (no close "
				"frame)");
		if (!r->subscribed)
			;       /* a failed attempt: the backoff grows */
		else
			r->attempt = 0;
		schedule_reconnect(r, why);
		break;
	default:
		break;
	}
	return 0;
}

static void
on_tick(lws_sorted_usec_list_t *sul)
{
	struct run *r = lws_container_of(sul, struct run, tick);

	lws_sul_schedule(r->ctx, 0, &r->tick, on_tick, 100 * LWS_US_PER_MS);
}

static int
connect_ws(struct run *r, const lws_retry_bo_t *policy)
{
	struct lws_client_connect_info ci;
	char url[4096];
	const char *prot, *addr, *path;
	int port;
	char p[4096];

	if (cmt_stream_url(r->c->src, r->o->ws_url, r->c->syms, r->c->nsym,
	    url, sizeof url) < 0)
		return -1;
	if (lws_parse_uri(url, &prot, &addr, &port, &path))
		return -1;
	snprintf(p, sizeof p, "/%s", path);
	memset(&ci, 0, sizeof ci);
	ci.context = r->ctx;
	ci.address = addr;
	ci.port = port;
	ci.path = p;
	ci.host = addr;
	ci.origin = addr;
	ci.ssl_connection = strcmp(prot, "wss") == 0 ? LCCSCF_USE_SSL : 0;
	ci.local_protocol_name = "cmt-stream";
	ci.retry_and_idle_policy = policy;
	r->sub_sent = r->subscribed = r->open = 0;
	r->close_code = 0;
	r->close_reason[0] = '\0';
	r->nmsg = 0;
	r->oversized = 0;
	r->last_rx = cmt_clock_mono_ms();
	r->wsi = lws_client_connect_via_info(&ci);
	return 0;
}

int
cmt_stream_check_url(const char *u)
{
	return strncmp(u, "ws://", 5) == 0 || strncmp(u, "wss://", 6) == 0
		? 0 : -1;
}

enum cmt_err
cmt_stream_run(struct cmt_fetch_cfg *c, const struct cmt_stream_opts *o,
	struct cmt_stream_stats *st, char *err)
{
	static const struct lws_protocols protocols[] = {
		{ "cmt-stream", callback, 0, 0, 0, NULL, 0 },
		{ NULL, NULL, 0, 0, 0, NULL, 0 }
	};
	struct lws_context_creation_info info;
	struct cmt_stream_opts opts = *o;
	lws_retry_bo_t policy;
	struct run *r;
	int64_t start = cmt_clock_mono_ms();
	enum cmt_err e;
	int i;

	memset(st, 0, sizeof *st);
	if (!opts.ws_url && !(opts.ws_url = cmt_stream_default_url(c->src)))
		return cmt_errf(err, CMT_EVALUE, "%s has no trade stream",
			cmt_fetch_source_name(c->src));
	if (cmt_stream_check_url(opts.ws_url))
		return cmt_errf(err, CMT_EVALUE, "stream URL '%s' is not "
			"ws:// or wss://", opts.ws_url);
	if (c->nsym > CMT_FETCH_MAX_SYMS)
		return cmt_errf(err, CMT_ELIMIT, "at most %d symbols",
			CMT_FETCH_MAX_SYMS);
	if (!(r = calloc(1, sizeof *r)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	r->c = c;
	r->o = &opts;
	r->st = st;
	r->err = err;
	for (i = 0; i < c->nsym; i++)
		r->ss[i].last_id = -1;
	if (cmt_stream_subscribe(c->src, c->syms, c->nsym, r->sub,
	    sizeof r->sub) < 0) {
		free(r);
		return cmt_errf(err, CMT_ETOOLONG, "too many symbols for one "
			"subscription");
	}
	c->http.stop = c->stop;
	if (!(r->http = cmt_http_new(&c->http))) {
		free(r);
		return cmt_errf(err, CMT_ENOMEM, "cannot set up libcurl");
	}
	memset(&policy, 0, sizeof policy);
	policy.secs_since_valid_ping = (uint16_t)((opts.ping_ms + 999) / 1000);
	policy.secs_since_valid_hangup = (uint16_t)(2 *
		policy.secs_since_valid_ping);
	lws_set_log_level(0, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.gid = -1;
	info.uid = -1;
	info.user = r;
	if (!(r->ctx = lws_create_context(&info))) {
		cmt_http_free(r->http);
		free(r);
		return cmt_errf(err, CMT_ENOMEM, "cannot set up libwebsockets");
	}
	lws_sul_schedule(r->ctx, 0, &r->tick, on_tick, 100 * LWS_US_PER_MS);
	while (!r->done && !*c->stop) {
		if (c->duration_ms > 0 && cmt_clock_mono_ms() - start >= c->duration_ms)
			break;
		if (!r->wsi && cmt_clock_mono_ms() >= r->next_connect) {
			if (connect_ws(r, &policy)) {
				fail(r, CMT_EVALUE, "cannot parse the stream URL");
				break;
			}
			if (!r->wsi && !r->done && r->next_connect <= cmt_clock_mono_ms())
				schedule_reconnect(r, "cannot start a connection");
		}
		lws_service(r->ctx, 0);
	}
	lws_sul_schedule(r->ctx, 0, &r->tick, NULL, LWS_SET_TIMER_USEC_CANCEL);
	r->closing = 1;
	lws_context_destroy(r->ctx);
	cmt_http_free(r->http);
	e = r->e;
	free(r->msg);
	free(r->back);
	free(r);
	return e;
}
