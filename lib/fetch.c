#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmt_clock.h"
#include "cmt_fetch.h"
#include "cmt_json.h"
#include "cmt_line.h"
#include "cmt_parse.h"

static const char *const source_names[] = {
	"coingecko", "binance", "coinbase", "kraken"
};

/* The built-in CoinGecko ids; --id-map adds or overrides. */
static const struct { const char *base, *id; } gecko_ids[] = {
	{ "btc", "bitcoin" }, { "eth", "ethereum" }, { "sol", "solana" },
	{ "bnb", "binancecoin" }, { "xrp", "ripple" }, { "ada", "cardano" },
	{ "doge", "dogecoin" }, { "dot", "polkadot" }, { "ltc", "litecoin" },
	{ "avax", "avalanche-2" }, { "link", "chainlink" },
	{ "trx", "tron" }, { "bch", "bitcoin-cash" }, { "xlm", "stellar" },
	{ "atom", "cosmos" }, { "uni", "uniswap" }, { "usdt", "tether" },
	{ "usdc", "usd-coin" }, { "xmr", "monero" },
	{ "etc", "ethereum-classic" },
};

/* Kraken's own asset codes where they differ from the common ticker. */
static const struct { const char *common, *kraken; } kraken_assets[] = {
	{ "BTC", "XBT" }, { "DOGE", "XDG" },
};

static const char *const kraken_fiat[] = {
	"USD", "EUR", "GBP", "JPY", "CAD", "CHF", "AUD",
};

enum cmt_err
cmt_fetch_source_parse(const char *name, enum cmt_fetch_source *src,
	char *err)
{
	size_t i;

	for (i = 0; i < sizeof source_names / sizeof source_names[0]; i++)
		if (strcmp(name, source_names[i]) == 0) {
			*src = (enum cmt_fetch_source)i;
			return CMT_OK;
		}
	return cmt_errf(err, CMT_EVALUE, "unknown source '%s' (coingecko, "
		"binance, coinbase, kraken)", name);
}

const char *
cmt_fetch_source_name(enum cmt_fetch_source src)
{
	return source_names[src];
}

enum cmt_err
cmt_fetch_check_base_url(const char *url, char *err)
{
	const char *host = strstr(url, "://"), *rest;

	if (!host || !((host - url == 4 && strncasecmp(url, "http", 4) == 0) ||
	    (host - url == 5 && strncasecmp(url, "https", 5) == 0)))
		return cmt_errf(err, CMT_EVALUE, "'%s' is not "
			"http[s]://host[:port]", url);
	host += 3;
	rest = host + strcspn(host, "/?#");
	if (rest == host)
		return cmt_errf(err, CMT_EVALUE, "'%s' has no host", url);
	if (strcmp(rest, "/") == 0)
		return cmt_errf(err, CMT_EVALUE, "'%s': drop the trailing '/'",
			url);
	if (*rest)
		return cmt_errf(err, CMT_EVALUE, "'%s' has a path ('%s'): give "
			"scheme://host[:port] only, e.g. '%.*s'; cmt-fetch adds "
			"each API's path (such as /api/v3/...) itself", url, rest,
			(int)(rest - url), url);
	return CMT_OK;
}

const char *
cmt_fetch_default_url(enum cmt_fetch_source src, int pro)
{
	switch (src) {
	case CMT_SRC_COINGECKO:
		return pro ? "https://pro-api.coingecko.com"
			: "https://api.coingecko.com";
	case CMT_SRC_BINANCE:
		return "https://api.binance.com";
	case CMT_SRC_COINBASE:
		return "https://api.exchange.coinbase.com";
	case CMT_SRC_KRAKEN:
		break;
	}
	return "https://api.kraken.com";
}

const char *
cmt_fetch_default_quote(enum cmt_fetch_source src)
{
	return src == CMT_SRC_BINANCE ? "USDT" : "USD";
}

const char *
cmt_fetch_coingecko_id(const char *base)
{
	size_t i;

	for (i = 0; i < sizeof gecko_ids / sizeof gecko_ids[0]; i++)
		if (strcmp(base, gecko_ids[i].base) == 0)
			return gecko_ids[i].id;
	return NULL;
}

static void
lower(char *dst, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	dst[n] = '\0';
}

enum cmt_err
cmt_fetch_idmap_parse(const char *s, struct cmt_fetch_idmap *m, char *err)
{
	const char *eq = strchr(s, '=');
	size_t k, v, i;

	if (!eq || eq == s || !eq[1])
		return cmt_errf(err, CMT_ESYNTAX,
			"invalid --id-map '%s' (use SYM=ID, e.g. pepe=pepe)", s);
	k = (size_t)(eq - s);
	v = strlen(eq + 1);
	if (k >= sizeof m->sym || v >= sizeof m->id)
		return cmt_errf(err, CMT_ETOOLONG, "--id-map '%s' is too long",
			s);
	for (i = 0; i < v; i++)
		if (!((eq[1 + i] >= 'a' && eq[1 + i] <= 'z') ||
		    (eq[1 + i] >= 'A' && eq[1 + i] <= 'Z') ||
		    (eq[1 + i] >= '0' && eq[1 + i] <= '9') ||
		    eq[1 + i] == '-' || eq[1 + i] == '_' || eq[1 + i] == '.'))
			return cmt_errf(err, CMT_EVALUE, "--id-map '%s': id "
				"may hold only letters, digits, '-', '_' and '.'",
				s);
	lower(m->sym, s, k);
	memcpy(m->id, eq + 1, v + 1);
	return CMT_OK;
}

static const char *
kraken_asset(const char *a)
{
	size_t i;

	for (i = 0; i < sizeof kraken_assets / sizeof kraken_assets[0]; i++)
		if (strcmp(a, kraken_assets[i].common) == 0)
			return kraken_assets[i].kraken;
	return a;
}

static int
kraken_is_fiat(const char *q)
{
	size_t i;

	for (i = 0; i < sizeof kraken_fiat / sizeof kraken_fiat[0]; i++)
		if (strcmp(q, kraken_fiat[i]) == 0)
			return 1;
	return 0;
}

enum cmt_err
cmt_fetch_map_symbol(enum cmt_fetch_source src, const char *arg,
	size_t len, const char *quote, const struct cmt_fetch_idmap *map,
	int nmap, struct cmt_fetch_sym *out, char *err)
{
	char full[64], base[CMT_SYM_MAX], qt[CMT_SYM_MAX], lb[CMT_SYM_MAX];
	const char *dash, *id = NULL, *kb, *kq;
	enum cmt_err e;
	int i, n;

	memset(out, 0, sizeof *out);
	out->last_trade = -1;
	if (len == 0 || len >= 32)
		return cmt_errf(err, CMT_EVALUE, "invalid symbol '%.*s'",
			(int)len, arg);
	dash = memchr(arg, '-', len);
	if (dash)
		n = snprintf(full, sizeof full, "%.*s", (int)len, arg);
	else
		n = snprintf(full, sizeof full, "%.*s-%s", (int)len, arg,
			quote ? quote : cmt_fetch_default_quote(src));
	if (n < 0 || (size_t)n >= sizeof full)
		return cmt_errf(err, CMT_ETOOLONG, "symbol '%.*s' is too long",
			(int)len, arg);
	if ((e = cmt_tick_symbol(full, (size_t)n, out->sym, err)))
		return e;
	dash = strchr(out->sym, '-');
	snprintf(base, sizeof base, "%.*s", (int)(dash - out->sym), out->sym);
	snprintf(qt, sizeof qt, "%s", dash + 1);
	lower(lb, base, strlen(base));
	for (i = 0; i < nmap; i++) {
		char ls[CMT_SYM_MAX];

		lower(ls, out->sym, strlen(out->sym));
		if (strcmp(map[i].sym, lb) == 0 || strcmp(map[i].sym, ls) == 0)
			id = map[i].id;
	}
	switch (src) {
	case CMT_SRC_COINGECKO:
		if (!id && !(id = cmt_fetch_coingecko_id(lb)))
			return cmt_errf(err, CMT_EVALUE, "no CoinGecko id "
				"known for '%s'; give one with --id-map "
				"%s=COIN_ID", lb, lb);
		snprintf(out->id, sizeof out->id, "%s", id);
		lower(out->vs, qt, strlen(qt) < sizeof out->vs ? strlen(qt)
			: sizeof out->vs - 1);
		break;
	case CMT_SRC_BINANCE:
		snprintf(out->id, sizeof out->id, "%s%s", base, qt);
		break;
	case CMT_SRC_COINBASE:
		snprintf(out->id, sizeof out->id, "%s", out->sym);
		break;
	case CMT_SRC_KRAKEN:
		kb = kraken_asset(base);
		kq = kraken_asset(qt);
		snprintf(out->id, sizeof out->id, "%s%s", kb, kq);
		snprintf(out->alt, sizeof out->alt, "X%s%c%s", kb,
			kraken_is_fiat(qt) ? 'Z' : 'X', kq);
		break;
	}
	if (id && src != CMT_SRC_COINGECKO)
		snprintf(out->id, sizeof out->id, "%s", id);
	return CMT_OK;
}

enum cmt_err
cmt_fetch_map_symbols(enum cmt_fetch_source src, const char *list,
	const char *quote, const struct cmt_fetch_idmap *map, int nmap,
	struct cmt_fetch_sym *syms, int max, int *n, char *err)
{
	const char *p, *comma;
	enum cmt_err e;
	size_t len;
	int i;

	*n = 0;
	for (p = list; ; p = comma + 1) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (*n == max)
			return cmt_errf(err, CMT_ELIMIT, "at most %d symbols",
				max);
		if ((e = cmt_fetch_map_symbol(src, p, len, quote, map, nmap,
		    &syms[*n], err)))
			return e;
		for (i = 0; i < *n; i++)
			if (strcmp(syms[i].sym, syms[*n].sym) == 0)
				return cmt_errf(err, CMT_EVALUE,
					"%s given twice", syms[i].sym);
		(*n)++;
		if (!comma)
			return CMT_OK;
	}
}

int
cmt_fetch_batched(enum cmt_fetch_source src)
{
	return src == CMT_SRC_COINGECKO || src == CMT_SRC_KRAKEN;
}

/* Append s to buf at *n; 0 ok, -1 when it does not fit. */
static int
put(char *buf, size_t cap, size_t *n, const char *s)
{
	size_t k = strlen(s);

	if (*n + k + 1 > cap)
		return -1;
	memcpy(buf + *n, s, k + 1);
	*n += k;
	return 0;
}

int
cmt_fetch_live_url(enum cmt_fetch_source src, const char *base,
	const struct cmt_fetch_sym *syms, int nsym, int i, char *buf,
	size_t cap)
{
	size_t n = 0;
	int j, k, r = 0;
	char num[48];

	r |= put(buf, cap, &n, base);
	switch (src) {
	case CMT_SRC_COINGECKO:
		r |= put(buf, cap, &n, "/api/v3/simple/price?ids=");
		for (j = 0; j < nsym; j++) {
			if (j)
				r |= put(buf, cap, &n, ",");
			r |= put(buf, cap, &n, syms[j].id);
		}
		r |= put(buf, cap, &n, "&vs_currencies=");
		for (j = 0; j < nsym; j++) {
			for (k = 0; k < j; k++)
				if (strcmp(syms[k].vs, syms[j].vs) == 0)
					break;
			if (k < j)
				continue;
			if (j)
				r |= put(buf, cap, &n, ",");
			r |= put(buf, cap, &n, syms[j].vs);
		}
		r |= put(buf, cap, &n,
			"&include_24hr_vol=true&include_last_updated_at=true");
		break;
	case CMT_SRC_BINANCE:
		r |= put(buf, cap, &n, "/api/v3/aggTrades?symbol=");
		r |= put(buf, cap, &n, syms[i].id);
		if (syms[i].last_trade < 0 && syms[i].live_from > 0) {
			snprintf(num, sizeof num, "&startTime=%lld&limit=%d",
				(long long)syms[i].live_from,
				CMT_FETCH_TRADE_PAGE);
			r |= put(buf, cap, &n, num);
		} else if (syms[i].last_trade < 0) {
			r |= put(buf, cap, &n, "&limit=1");
		} else {
			snprintf(num, sizeof num, "&fromId=%lld&limit=%d",
				(long long)syms[i].last_trade + 1,
				CMT_FETCH_TRADE_PAGE);
			r |= put(buf, cap, &n, num);
		}
		break;
	case CMT_SRC_COINBASE:
		r |= put(buf, cap, &n, "/products/");
		r |= put(buf, cap, &n, syms[i].id);
		r |= put(buf, cap, &n, "/ticker");
		break;
	case CMT_SRC_KRAKEN:
		r |= put(buf, cap, &n, "/0/public/Ticker?pair=");
		for (j = 0; j < nsym; j++) {
			if (j)
				r |= put(buf, cap, &n, ",");
			r |= put(buf, cap, &n, syms[j].id);
		}
		break;
	}
	return r ? -1 : (int)n;
}

/* A JSON number, or a string holding one (Binance, Coinbase and Kraken
 * send prices as strings); must be finite. */
static int
num(const cJSON *it, double *out)
{
	char *end;
	double v;

	if (cJSON_IsNumber(it)) {
		v = it->valuedouble;
	} else if (cJSON_IsString(it) && it->valuestring[0]) {
		errno = 0;
		v = strtod(it->valuestring, &end);
		if (errno || *end)
			return -1;
	} else {
		return -1;
	}
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int
cmt_fetch_json_num(const cJSON *it, double *out)
{
	return num(it, out);
}

static int
whole(const cJSON *it, int64_t *out)
{
	double v;

	if (num(it, &v) || v != floor(v) || v < 0 || v > 9e15)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int
cmt_fetch_json_whole(const cJSON *it, int64_t *out)
{
	return whole(it, out);
}

static enum cmt_err
set_px(struct cmt_fetch_obs *o, double px, const char *what, char *err)
{
	if (!(px > 0))
		return cmt_errf(err, CMT_ERANGE, "%s: price %g is not > 0",
			what, px);
	o->tk.px = px;
	return CMT_OK;
}

static enum cmt_err
parse_coingecko(const cJSON *root, const struct cmt_fetch_sym *syms, int n,
	int64_t now_ms, struct cmt_fetch_obs *obs, char *err)
{
	const cJSON *o, *px, *lu;
	double v;
	int64_t t;
	int i;

	if (!cJSON_IsObject(root))
		return cmt_errf(err, CMT_ETYPE, "expected a JSON object");
	for (i = 0; i < n; i++) {
		o = cJSON_GetObjectItemCaseSensitive(root, syms[i].id);
		if (!o || (cJSON_IsObject(o) && !o->child))
			continue;
		if (!cJSON_IsObject(o))
			return cmt_errf(err, CMT_ETYPE, "\"%s\" is not an object",
				syms[i].id);
		px = cJSON_GetObjectItemCaseSensitive(o, syms[i].vs);
		if (!px)
			continue;
		if (num(px, &v))
			return cmt_errf(err, CMT_ETYPE, "\"%s\".\"%s\" is not a "
				"number", syms[i].id, syms[i].vs);
		if (set_px(&obs[i], v, syms[i].id, err))
			return CMT_ERANGE;
		lu = cJSON_GetObjectItemCaseSensitive(o, "last_updated_at");
		if (lu && !cJSON_IsNull(lu)) {
			if (whole(lu, &t))
				return cmt_errf(err, CMT_ETYPE, "\"last_"
					"updated_at\" is not whole seconds");
			obs[i].tk.t = t * 1000;
			obs[i].src_time = 1;
		} else {
			obs[i].tk.t = now_ms;
		}
		obs[i].ok = 1;
	}
	return CMT_OK;
}

static enum cmt_err
parse_binance_trades(const cJSON *root, const struct cmt_fetch_sym *s,
	struct cmt_fetch_obs *o, char *err)
{
	const cJSON *tr;
	double px = 0, tpx, q, sum = 0;
	int64_t id, last = -1, prev = s->last_trade, t = 0, tt;

	if (!cJSON_IsArray(root))
		return cmt_errf(err, CMT_ETYPE, "expected an array of trades");
	cJSON_ArrayForEach(tr, root) {
		if (!cJSON_IsObject(tr) ||
		    whole(cJSON_GetObjectItemCaseSensitive(tr, "a"), &id) ||
		    num(cJSON_GetObjectItemCaseSensitive(tr, "p"), &tpx) ||
		    num(cJSON_GetObjectItemCaseSensitive(tr, "q"), &q) ||
		    whole(cJSON_GetObjectItemCaseSensitive(tr, "T"), &tt))
			return cmt_errf(err, CMT_EMISSING, "trade without "
				"numeric \"a\", \"p\", \"q\" and \"T\"");
		if (id <= s->last_trade)
			continue;       /* seen before: a replayed response */
		if (id <= prev)
			return cmt_errf(err, CMT_EORDER, "trade id %lld is not "
				"after %lld", (long long)id, (long long)prev);
		if (!(q >= 0))
			return cmt_errf(err, CMT_ERANGE, "negative quantity");
		prev = last = id;
		o->ntrades++;
		px = tpx;
		t = tt;
		sum += q;
	}
	if (last < 0)
		return CMT_OK;          /* no trade since the last poll */
	if (set_px(o, px, s->id, err))
		return CMT_ERANGE;
	o->tk.t = t;
	o->src_time = 1;
	o->trade = last;
	o->aux = (double)last;
	/* Without a previous trade id (or a warm-start time) there is no
	 * "since" to count from. */
	if (s->last_trade >= 0 || s->live_from > 0) {
		o->tk.vol = sum;
		o->tk.has_vol = 1;
	}
	o->ok = 1;
	return CMT_OK;
}

static enum cmt_err
parse_coinbase(const cJSON *root, const struct cmt_fetch_sym *s,
	struct cmt_fetch_obs *o, char *err)
{
	const cJSON *tm;
	double px, id = 0;

	if (!cJSON_IsObject(root))
		return cmt_errf(err, CMT_ETYPE, "expected a JSON object");
	if (num(cJSON_GetObjectItemCaseSensitive(root, "price"), &px))
		return cmt_errf(err, CMT_EMISSING, "no numeric \"price\"");
	tm = cJSON_GetObjectItemCaseSensitive(root, "time");
	if (!cJSON_IsString(tm) ||
	    cmt_parse_time_ms(tm->valuestring, &o->tk.t, NULL))
		return cmt_errf(err, CMT_EMISSING, "no valid \"time\"");
	num(cJSON_GetObjectItemCaseSensitive(root, "trade_id"), &id);
	if (set_px(o, px, s->id, err))
		return CMT_ERANGE;
	o->src_time = 1;
	o->aux = id;
	o->ok = 1;
	return CMT_OK;
}

static int
kraken_match(const char *key, const struct cmt_fetch_sym *s)
{
	return strcmp(key, s->id) == 0 || strcmp(key, s->alt) == 0;
}

static enum cmt_err
parse_kraken(const cJSON *root, const struct cmt_fetch_sym *syms, int n,
	int64_t now_ms, struct cmt_fetch_obs *obs, char *err)
{
	const cJSON *errs, *res, *p, *c, *cnt;
	int i, nres;

	if (!cJSON_IsObject(root))
		return cmt_errf(err, CMT_ETYPE, "expected a JSON object");
	errs = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsArray(errs) && cJSON_GetArraySize(errs) > 0) {
		p = cJSON_GetArrayItem(errs, 0);
		if (cJSON_IsString(p) && (strncmp(p->valuestring, "EQuery:", 7)
		    == 0 || strncmp(p->valuestring, "EGeneral:Invalid", 16) == 0))
			return cmt_errf(err, CMT_EVALUE, "kraken: %s",
				p->valuestring);
		return cmt_errf(err, CMT_EIO, "kraken: %s", cJSON_IsString(p)
			? p->valuestring : "error");
	}
	res = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (!cJSON_IsObject(res))
		return cmt_errf(err, CMT_EMISSING, "no \"result\" object");
	nres = cJSON_GetArraySize(res);
	cJSON_ArrayForEach(p, res) {
		for (i = 0; i < n; i++)
			if (kraken_match(p->string, &syms[i]) ||
			    (n == 1 && nres == 1))
				break;
		if (i == n)
			continue;
		c = cJSON_GetObjectItemCaseSensitive(p, "c");
		cnt = cJSON_GetObjectItemCaseSensitive(p, "t");
		if (!cJSON_IsArray(c) || num(cJSON_GetArrayItem(c, 0),
		    &obs[i].tk.px))
			return cmt_errf(err, CMT_EMISSING, "%s: no last trade "
				"price \"c\"", p->string);
		if (set_px(&obs[i], obs[i].tk.px, p->string, err))
			return CMT_ERANGE;
		/* today's trade count: tells a new trade at the same price */
		if (cJSON_IsArray(cnt))
			num(cJSON_GetArrayItem(cnt, 0), &obs[i].aux);
		obs[i].tk.t = now_ms;
		obs[i].ok = 1;
	}
	return CMT_OK;
}

/* The project's one JSON rule: no key twice (root is freed if so). */
static int
duplicate(cJSON *root, char *err)
{
	const char *k = cmt_cjson_duplicate_key(root);

	if (k)
		cmt_errf(err, CMT_ESYNTAX, "malformed JSON: duplicate key "
			"\"%.64s\"", k);
	if (k)
		cJSON_Delete(root);
	return k != NULL;
}

enum cmt_err
cmt_fetch_parse_live(enum cmt_fetch_source src, const char *body,
	size_t len, const struct cmt_fetch_sym *syms, int first, int n,
	int64_t now_ms, struct cmt_fetch_obs *obs, char *err)
{
	cJSON *root;
	enum cmt_err e = CMT_OK;
	int i;

	for (i = 0; i < n; i++) {
		memset(&obs[i], 0, sizeof obs[i]);
		obs[i].trade = -1;
	}
	if (!(root = cJSON_ParseWithLength(body, len)))
		return cmt_errf(err, CMT_ESYNTAX, "malformed JSON (%zu bytes)",
			len);
	if (duplicate(root, err))
		return CMT_ESYNTAX;
	switch (src) {
	case CMT_SRC_COINGECKO:
		e = parse_coingecko(root, syms + first, n, now_ms, obs, err);
		break;
	case CMT_SRC_BINANCE:
		e = parse_binance_trades(root, syms + first, obs, err);
		break;
	case CMT_SRC_COINBASE:
		e = parse_coinbase(root, syms + first, obs, err);
		break;
	case CMT_SRC_KRAKEN:
		e = parse_kraken(root, syms + first, n, now_ms, obs, err);
		break;
	}
	cJSON_Delete(root);
	for (i = 0; i < n && !e; i++)
		if (obs[i].ok && !(obs[i].tk.t >= 0 && obs[i].tk.t < 9e15))
			e = cmt_errf(err, CMT_ERANGE, "timestamp out of range");
	return e;
}

int
cmt_fetch_accept(struct cmt_fetch_sym *s, const struct cmt_fetch_obs *o,
	int all, const char *src_name, struct cmt_tick *out)
{
	int fresh;

	if (!o->ok)
		return 0;
	if (o->trade >= 0)
		s->last_trade = o->trade;
	if (o->tk.has_vol) {
		s->pending_vol += o->tk.vol;
		s->have_pending = 1;
	}
	if (!s->seen)
		fresh = 1;
	else if (o->src_time)
		fresh = o->tk.t > s->last_t;
	else
		fresh = o->tk.t > s->last_t &&
			(o->tk.px != s->last_px || o->aux != s->last_aux);
	if (!fresh && !all)
		return 0;
	*out = o->tk;
	memcpy(out->sym, s->sym, sizeof out->sym);
	snprintf(out->src, sizeof out->src, "%s", src_name);
	out->has_vol = s->have_pending;
	out->vol = s->have_pending ? s->pending_vol : 0;
	s->pending_vol = 0;
	s->have_pending = 0;
	if (fresh) {
		s->seen = 1;
		s->last_t = o->tk.t;
		s->last_px = o->tk.px;
		s->last_aux = o->aux;
	}
	return 1;
}

uint64_t
cmt_fetch_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int64_t
cmt_fetch_backoff_ms(const struct cmt_backoff *b, int attempt,
	int64_t retry_after_ms, uint64_t *rng)
{
	int64_t d = b->base_ms, half;
	int i;

	for (i = 1; i < attempt && d < b->max_ms; i++)
		d *= 2;
	if (d > b->max_ms)
		d = b->max_ms;
	if (d > 1) {
		half = d / 2;
		d = d - half +
			(int64_t)(cmt_fetch_rand(rng) % (uint64_t)(half + 1));
	}
	/* Never earlier than the server asked, but a "Retry-After: 0" on
	 * every answer must not turn into a busy loop either. */
	if (retry_after_ms > CMT_FETCH_RETRY_AFTER_MAX)
		retry_after_ms = CMT_FETCH_RETRY_AFTER_MAX;
	return retry_after_ms > d ? retry_after_ms : d;
}

int64_t
cmt_fetch_history_span_ms(enum cmt_fetch_source src)
{
	/* Binance: one full page of 1-minute klines; Coinbase: 300 candles
	 * a request; Kraken: the 720 bars it keeps.  CoinGecko: 90 days,
	 * the longest range it still answers with hourly points. */
	switch (src) {
	case CMT_SRC_BINANCE:
		return CMT_FETCH_KLINE_LIMIT * 60000LL;
	case CMT_SRC_COINBASE:
		return 300 * 60000LL;
	case CMT_SRC_KRAKEN:
		return 720 * 60000LL;
	case CMT_SRC_COINGECKO:
		break;
	}
	return 90LL * 86400000;
}

int64_t
cmt_fetch_minute_ceil(int64_t t)
{
	return (t + 59999) / 60000 * 60000;
}

int
cmt_fetch_history_url(enum cmt_fetch_source src, const char *base,
	const struct cmt_fetch_sym *s, int64_t from, int64_t to, char *buf,
	size_t cap)
{
	int n;

	if (src == CMT_SRC_BINANCE)
		n = snprintf(buf, cap, "%s/api/v3/klines?symbol=%s&interval=1m"
			"&startTime=%lld&endTime=%lld&limit=%d", base, s->id,
			(long long)from, (long long)to - 1,
			CMT_FETCH_KLINE_LIMIT);
	else if (src == CMT_SRC_COINGECKO)
		n = snprintf(buf, cap, "%s/api/v3/coins/%s/market_chart/range"
			"?vs_currency=%s&from=%lld&to=%lld", base, s->id, s->vs,
			(long long)((from + 999) / 1000),
			(long long)((to - 1) / 1000));
	else if (src == CMT_SRC_COINBASE) {
		char a[40], b[40];

		cmt_format_time(from, a, sizeof a);
		cmt_format_time(to - 60000, b, sizeof b);
		n = snprintf(buf, cap, "%s/products/%s/candles?granularity=60"
			"&start=%s&end=%s", base, s->id, a, b);
	} else
		/* since is exclusive: ask from the minute before */
		n = snprintf(buf, cap, "%s/0/public/OHLC?pair=%s&interval=1"
			"&since=%lld", base, s->id, (long long)(from / 1000 - 60));
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

static enum cmt_err put_bar(int64_t open, double close, double vol,
	int64_t from, int64_t to, struct cmt_tick *out, int cap, int *n,
	char *err);

static enum cmt_err
parse_klines(const cJSON *root, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, int64_t *last_open, char *err)
{
	const cJSON *k;
	int64_t open, prev = -1;
	double close, vol;
	enum cmt_err e;

	if (!cJSON_IsArray(root))
		return cmt_errf(err, CMT_ETYPE, "expected an array of klines");
	cJSON_ArrayForEach(k, root) {
		if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) < 6 ||
		    whole(cJSON_GetArrayItem(k, 0), &open) ||
		    num(cJSON_GetArrayItem(k, 4), &close) ||
		    num(cJSON_GetArrayItem(k, 5), &vol))
			return cmt_errf(err, CMT_EMISSING, "kline is not [open "
				"time, open, high, low, close, volume, ...]");
		if (open <= prev)
			return cmt_errf(err, CMT_EORDER, "kline open time "
				"%lld out of order", (long long)open);
		prev = open;
		*last_open = open;
		if ((e = put_bar(open, close, vol, from, to, out, cap, n, err)))
			return e;
	}
	return CMT_OK;
}

static enum cmt_err
parse_market_chart(const cJSON *root, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, char *err)
{
	const cJSON *prices, *p;
	int64_t t, prev = -1;
	double px;

	prices = cJSON_IsObject(root)
		? cJSON_GetObjectItemCaseSensitive(root, "prices") : NULL;
	if (!cJSON_IsArray(prices))
		return cmt_errf(err, CMT_EMISSING, "no \"prices\" array");
	cJSON_ArrayForEach(p, prices) {
		if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 ||
		    whole(cJSON_GetArrayItem(p, 0), &t))
			return cmt_errf(err, CMT_EMISSING, "price point is not "
				"[ms, price]");
		if (cJSON_IsNull(cJSON_GetArrayItem(p, 1)))
			continue;       /* no price at that time: no tick */
		if (num(cJSON_GetArrayItem(p, 1), &px) || !(px > 0))
			return cmt_errf(err, CMT_ERANGE, "price at %lld is not a "
				"number > 0", (long long)t);
		if (t <= prev)
			return cmt_errf(err, CMT_EORDER, "price time %lld out of "
				"order", (long long)t);
		prev = t;
		if (t < from || t >= to)
			continue;
		if (*n >= cap)
			return cmt_errf(err, CMT_ELIMIT, "more than %d points in "
				"one page", cap);
		memset(&out[*n], 0, sizeof out[*n]);
		out[*n].t = t;
		out[*n].px = px;
		(*n)++;
	}
	return CMT_OK;
}

/* One 1-minute bar opening at `open` into out when in [from, to). */
static enum cmt_err
put_bar(int64_t open, double close, double vol, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, char *err)
{
	if (open % 60000)
		return cmt_errf(err, CMT_EORDER, "bar time %lld is off the "
			"minute", (long long)open);
	if (!(close > 0) || !(vol >= 0))
		return cmt_errf(err, CMT_ERANGE, "bar at %lld has close <= 0 or "
			"negative volume", (long long)open);
	if (open < from || open >= to)
		return CMT_OK;
	if (*n >= cap)
		return cmt_errf(err, CMT_ELIMIT, "more than %d bars in one page",
			cap);
	memset(&out[*n], 0, sizeof out[*n]);
	out[*n].t = open + 60000;
	out[*n].px = close;
	out[*n].vol = vol;
	out[*n].has_vol = 1;
	(*n)++;
	return CMT_OK;
}

/* Coinbase candles: [[time s, low, high, open, close, volume], ...],
 * newest first; written oldest first. */
static enum cmt_err
parse_candles(const cJSON *root, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, char *err)
{
	const cJSON *k;
	int64_t open, prev = -1;
	double close, vol;
	enum cmt_err e;
	int i, j, n0 = *n;

	if (!cJSON_IsArray(root))
		return cmt_errf(err, CMT_ETYPE, "expected an array of candles");
	cJSON_ArrayForEach(k, root) {
		if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) < 6 ||
		    whole(cJSON_GetArrayItem(k, 0), &open) ||
		    num(cJSON_GetArrayItem(k, 4), &close) ||
		    num(cJSON_GetArrayItem(k, 5), &vol))
			return cmt_errf(err, CMT_EMISSING, "candle is not [time, "
				"low, high, open, close, volume]");
		open *= 1000;
		if (prev >= 0 && open >= prev)
			return cmt_errf(err, CMT_EORDER, "candle time %lld out "
				"of order", (long long)open);
		prev = open;
		if ((e = put_bar(open, close, vol, from, to, out, cap, n, err)))
			return e;
	}
	for (i = n0, j = *n - 1; i < j; i++, j--) {    /* oldest first */
		struct cmt_tick t = out[i];

		out[i] = out[j];
		out[j] = t;
	}
	return CMT_OK;
}

/* Kraken OHLC: {"error":[],"result":{"XXBTZUSD":[[time s, open, high,
 * low, close, vwap, volume, count], ...],"last":1688672160}}; the last
 * row is the bar still open. */
static enum cmt_err
parse_ohlc(const cJSON *root, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, char *err)
{
	const cJSON *errs, *res, *p, *rows = NULL, *k;
	int64_t open, prev = -1;
	double close, vol;
	enum cmt_err e;

	if (!cJSON_IsObject(root))
		return cmt_errf(err, CMT_ETYPE, "expected a JSON object");
	errs = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsArray(errs) && cJSON_GetArraySize(errs) > 0) {
		p = cJSON_GetArrayItem(errs, 0);
		return cmt_errf(err, cJSON_IsString(p) && strncmp(p->valuestring,
			"EQuery:", 7) == 0 ? CMT_EVALUE : CMT_EIO, "kraken: %s",
			cJSON_IsString(p) ? p->valuestring : "error");
	}
	res = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (!cJSON_IsObject(res))
		return cmt_errf(err, CMT_EMISSING, "no \"result\" object");
	cJSON_ArrayForEach(p, res)
		if (cJSON_IsArray(p))
			rows = p;
	if (!rows)
		return cmt_errf(err, CMT_EMISSING, "no OHLC rows");
	cJSON_ArrayForEach(k, rows) {
		if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) < 7 ||
		    whole(cJSON_GetArrayItem(k, 0), &open) ||
		    num(cJSON_GetArrayItem(k, 4), &close) ||
		    num(cJSON_GetArrayItem(k, 6), &vol))
			return cmt_errf(err, CMT_EMISSING, "OHLC row is not [time, "
				"open, high, low, close, vwap, volume, count]");
		open *= 1000;
		if (open <= prev)
			return cmt_errf(err, CMT_EORDER, "OHLC time %lld out of "
				"order", (long long)open);
		prev = open;
		if ((e = put_bar(open, close, vol, from, to, out, cap, n, err)))
			return e;
	}
	return CMT_OK;
}

enum cmt_err
cmt_fetch_parse_history(enum cmt_fetch_source src, const char *body,
	size_t len, const struct cmt_fetch_sym *s, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, int64_t *last_open, char *err)
{
	cJSON *root;
	enum cmt_err e;
	int i, n0 = *n;

	if (!(root = cJSON_ParseWithLength(body, len)))
		return cmt_errf(err, CMT_ESYNTAX, "malformed JSON (%zu bytes)",
			len);
	if (duplicate(root, err))
		return CMT_ESYNTAX;
	if (src == CMT_SRC_BINANCE)
		e = parse_klines(root, from, to, out, cap, n, last_open, err);
	else if (src == CMT_SRC_COINBASE)
		e = parse_candles(root, from, to, out, cap, n, err);
	else if (src == CMT_SRC_KRAKEN)
		e = parse_ohlc(root, from, to, out, cap, n, err);
	else
		e = parse_market_chart(root, from, to, out, cap, n, err);
	cJSON_Delete(root);
	for (i = n0; i < *n; i++) {
		memcpy(out[i].sym, s->sym, sizeof out[i].sym);
		snprintf(out[i].src, sizeof out[i].src, "%s",
			cmt_fetch_source_name(src));
	}
	return e;
}

enum cmt_err
cmt_fetch_resume_scan(const char *path, struct cmt_fetch_sym *syms,
	int nsym, long *bad, char *err)
{
	struct cmt_tick_decoder d;
	struct cmt_linereader *r;
	struct cmt_line ln;
	struct cmt_tick tk;
	int fd, rc, i;
	enum cmt_err e = CMT_OK;

	*bad = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cmt_errf(err, CMT_EIO, "%s: %s", path, strerror(errno));
	if (!(r = cmt_line_open(fd, CMT_LINE_MAX_DEFAULT))) {
		close(fd);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	cmt_tick_decoder_init(&d, CMT_TICK_AUTO);
	while ((rc = cmt_line_next(r, &ln)) != 0) {
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			e = cmt_errf(err, CMT_EIO, "%s: %s", path,
				strerror(errno));
			break;
		}
		if (ln.no_newline) {
			e = cmt_errf(err, CMT_EVALUE, "%s: line %llu is "
				"incomplete (no newline); remove it before "
				"resuming", path, (unsigned long long)ln.no);
			break;
		}
		rc = ln.too_long ? CMT_ETOOLONG
			: (int)cmt_tick_decode(&d, ln.s, ln.len, &tk, NULL);
		if (rc == CMT_ESKIP)
			continue;
		if (rc != CMT_OK) {
			(*bad)++;
			continue;
		}
		for (i = 0; i < nsym; i++)
			if (strcmp(tk.sym, syms[i].sym) == 0 &&
			    tk.t > syms[i].after_t)
				syms[i].after_t = tk.t;
	}
	cmt_line_close(r);
	close(fd);
	return e;
}

/* ---- the loops ---- */

struct run {
	struct cmt_fetch_cfg *c;
	struct cmt_http *h;
	int64_t deadline;       /* monotonic ms when --duration ends; 0: none */
	char url[4096];
};

/* Sleep in short slices so a signal ends the wait promptly. */
static void
nap(const struct cmt_fetch_cfg *c, int64_t ms)
{
	volatile sig_atomic_t *stop = c->stop;
	int64_t end = cmt_clock_mono_ms() + ms, left;
	struct timespec ts;

	if (c->idle)
		c->idle(c->ctx);
	while (!*stop && (left = end - cmt_clock_mono_ms()) > 0) {
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		nanosleep(&ts, NULL);
	}
}

static void
say(struct cmt_fetch_cfg *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
say(struct cmt_fetch_cfg *c, const char *fmt, ...)
{
	char msg[CMT_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->warn(c->ctx, msg);
}

enum cmt_err
cmt_fetch_get(struct cmt_fetch_cfg *c, struct cmt_http *h, const char *url,
	int64_t deadline, cmt_fetch_parse_fn parse, void *arg, char *err)
{
	struct cmt_http_resp r;
	char why[CMT_ERRLEN], dbuf[32];
	int attempt = 0, i;
	int64_t delay;
	enum cmt_err e;

	for (;;) {
		if (*c->stop)
			return CMT_ESKIP;
		if (c->idle)
			c->idle(c->ctx);
		if (cmt_http_get(h, url, c->headers, &r))
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		if (r.stopped)
			return CMT_ESKIP;
		if (r.cls == CMT_HTTP_OK) {
			e = parse(arg, &r, why);
			if (e == CMT_OK)
				return CMT_OK;
			/* an answer too big for the page is the same
			 * answer next time: no retry, the pager decides */
			if (e == CMT_EVALUE || e == CMT_ELIMIT)
				return cmt_errf(err, e, "%s (%s)", why, url);
			snprintf(r.err, sizeof r.err, "bad response: %.140s",
				why);
		} else if (r.cls == CMT_HTTP_FATAL) {
			/* show the API's own explanation, on one line */
			char body[96];

			snprintf(body, sizeof body, "%.*s", (int)(r.len < 95 ?
				r.len : 95), r.body);
			for (i = 0; body[i]; i++)
				if ((unsigned char)body[i] < 0x20 ||
				    body[i] == 0x7f)
					body[i] = ' ';
			return cmt_errf(err, CMT_EIO, "%s%s%s (%s)", r.err,
				body[0] ? ": " : "", body, url);
		}
		attempt++;
		if (c->retry_max > 0 && attempt > c->retry_max)
			return cmt_errf(err, CMT_EIO, "giving up after %d "
				"attempts: %s (%s)", attempt, r.err, url);
		delay = cmt_fetch_backoff_ms(&c->backoff, attempt,
			r.cls != CMT_HTTP_OK ? r.retry_after_ms : -1, &c->rng);
		cmt_format_duration(delay, dbuf, sizeof dbuf);
		say(c, "%s: %s; retry %d in %s%s", url, r.err, attempt,
			dbuf, r.retry_after_ms >= 0 && r.cls != CMT_HTTP_OK
			? " (Retry-After)" : "");
		if (deadline && cmt_clock_mono_ms() + delay >= deadline) {
			nap(c, deadline - cmt_clock_mono_ms());
			return CMT_ESKIP;
		}
		nap(c, delay);
	}
}

/* One request with retries.  CMT_OK: parsed; CMT_ESKIP: stopped by a
 * signal; anything else: a permanent failure described in err. */
static enum cmt_err
request(struct run *run, cmt_fetch_parse_fn parse, void *arg, char *err)
{
	return cmt_fetch_get(run->c, run->h, run->url, run->deadline, parse,
		arg, err);
}

struct live_arg {
	struct run *run;
	int first, n;
	int64_t now_ms;
	struct cmt_fetch_obs obs[CMT_FETCH_MAX_SYMS];
};

static enum cmt_err
live_parse(void *arg, const struct cmt_http_resp *r, char *err)
{
	struct live_arg *a = arg;
	struct cmt_fetch_cfg *c = a->run->c;

	return cmt_fetch_parse_live(c->src, r->body, r->len, c->syms, a->first,
		a->n, a->now_ms, a->obs, err);
}

/* A batched answer without one of the symbols: permanent if that symbol
 * never had a price (the API does not know it), else a passing gap. */
static enum cmt_err
missing(struct cmt_fetch_cfg *c, const struct cmt_fetch_sym *s, char *err)
{
	if (!s->seen)
		return cmt_errf(err, CMT_EVALUE, "%s has no price for %s "
			"(id '%s'); check the symbol or --id-map",
			cmt_fetch_source_name(c->src), s->sym, s->id);
	say(c, "no price for %s in this response", s->sym);
	return CMT_OK;
}

/* A reading stamped in the future (beyond the clock plus max_ahead) is a
 * glitch of the source: taken, it would make every later reading look
 * old.  Report it and skip it, so it costs one reading. */
static int
ahead(struct cmt_fetch_cfg *c, struct cmt_fetch_sym *s,
	const struct cmt_fetch_obs *o, int64_t now_ms)
{
	int64_t max = c->max_ahead_ms > 0 ? c->max_ahead_ms :
		CMT_FETCH_MAX_AHEAD_MS;
	char when[32], by[32];

	if (!o->ok || o->tk.t <= now_ms + max)
		return 0;
	if (o->trade >= 0)
		s->last_trade = o->trade;   /* never read those trades again */
	cmt_format_time(o->tk.t, when, sizeof when);
	cmt_format_duration(max, by, sizeof by);
	say(c, "%s: the source's time %s is more than %s ahead of the clock "
		"(--max-ahead): reading skipped", s->sym, when, by);
	return 1;
}

static enum cmt_err
live_poll(struct run *run, char *err)
{
	struct cmt_fetch_cfg *c = run->c;
	struct live_arg a;
	struct cmt_fetch_sym *s;
	struct cmt_tick tk;
	enum cmt_err e;
	int i, k, pages = 0, per = cmt_fetch_batched(c->src) ? c->nsym : 1;

	a.run = run;
	for (i = 0; i < c->nsym; i += per) {
		a.first = i;
		a.n = per;
		if (cmt_fetch_live_url(c->src, c->base_url, c->syms, c->nsym, i,
		    run->url, sizeof run->url) < 0)
			return cmt_errf(err, CMT_ETOOLONG, "URL too long");
		a.now_ms = cmt_clock_wall_ms();
		if ((e = request(run, live_parse, &a, err)))
			return e;
		/* A full page of trades means more are waiting: emit this
		 * page's tick and fetch the next, a bounded number of times. */
		if (a.obs[0].ntrades == CMT_FETCH_TRADE_PAGE &&
		    pages++ < CMT_FETCH_TRADE_PAGES_MAX) {
			if (!ahead(c, &c->syms[i], &a.obs[0], a.now_ms) &&
			    cmt_fetch_accept(&c->syms[i], &a.obs[0], c->all,
			    cmt_fetch_source_name(c->src), &tk))
				c->emit(c->ctx, &tk);
			i -= per;
			continue;
		}
		pages = 0;
		for (k = 0; k < per; k++) {
			s = &c->syms[i + k];
			if (!a.obs[k].ok && cmt_fetch_batched(c->src)) {
				if ((e = missing(c, s, err)))
					return e;
				continue;
			}
			if (ahead(c, s, &a.obs[k], a.now_ms))
				continue;
			if (cmt_fetch_accept(s, &a.obs[k], c->all,
			    cmt_fetch_source_name(c->src), &tk))
				c->emit(c->ctx, &tk);
		}
	}
	return CMT_OK;
}

static struct cmt_http *
open_http(struct cmt_fetch_cfg *c, char *err)
{
	struct cmt_http *h;

	c->http.stop = c->stop;
	if (!(h = cmt_http_new(&c->http)))
		cmt_errf(err, CMT_ENOMEM, "cannot set up libcurl");
	return h;
}

enum cmt_err
cmt_fetch_live(struct cmt_fetch_cfg *c, char *err)
{
	struct run run;
	int64_t start = cmt_clock_mono_ms(), next = start, now, wait;
	long long polls = 0;
	enum cmt_err e = CMT_OK;

	if (c->nsym > CMT_FETCH_MAX_SYMS)
		return cmt_errf(err, CMT_ELIMIT, "at most %d symbols",
			CMT_FETCH_MAX_SYMS);
	run.c = c;
	run.deadline = c->duration_ms > 0 ? start + c->duration_ms : 0;
	if (!(run.h = open_http(c, err)))
		return CMT_ENOMEM;
	while (!*c->stop) {
		now = cmt_clock_mono_ms();
		if (c->duration_ms > 0 && now - start >= c->duration_ms)
			break;
		if (next > now) {
			wait = next - now;
			if (run.deadline && run.deadline - now < wait)
				wait = run.deadline - now;
			nap(c, wait);
			continue;
		}
		if ((e = live_poll(&run, err)) != CMT_OK)
			break;
		if (c->count > 0 && ++polls >= c->count)
			break;
		next += c->interval_ms;
		if (next < (now = cmt_clock_mono_ms()))
			next = now;
	}
	cmt_http_free(run.h);
	return e == CMT_ESKIP ? CMT_OK : e;
}

struct hist_arg {
	struct run *run;
	struct cmt_fetch_sym *s;
	int64_t from, to, last_open;
	struct cmt_tick *buf;
	int cap, n;
};

static enum cmt_err
hist_parse(void *arg, const struct cmt_http_resp *r, char *err)
{
	struct hist_arg *a = arg;
	int n = a->n;
	enum cmt_err e;

	a->last_open = -1;
	e = cmt_fetch_parse_history(a->run->c->src, r->body, r->len, a->s,
		a->from, a->to, a->buf, a->cap, &n, &a->last_open, err);
	if (e == CMT_OK)
		a->n = n;
	/* Binance's request-weight budget is per minute; stay under 80 %. */
	if (e == CMT_OK && r->used_weight >= 4800) {
		int64_t w = 61000 - cmt_clock_wall_ms() % 60000;
		char d[32];

		cmt_format_duration(w, d, sizeof d);
		say(a->run->c, "request weight %ld/6000 used; pausing %s",
			r->used_weight, d);
		nap(a->run->c, w);
	}
	return e == CMT_EVALUE ? CMT_ERANGE : e;
}

static int
by_time(const void *pa, const void *pb)
{
	const struct cmt_tick *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return strcmp(a->sym, b->sym);
}

/* Fetch [w, wend) for one symbol into a->buf, paging until the window is
 * covered (a server may cap a page below the limit we ask for). */
static enum cmt_err
hist_symbol(struct run *run, struct hist_arg *a, int64_t w, int64_t wend,
	int *requests, char *err)
{
	struct cmt_fetch_cfg *c = run->c;
	int64_t cur = w;
	enum cmt_err e;
	int before;

	if (c->src != CMT_SRC_COINGECKO)   /* bars stamped at their close */
		cur = cmt_fetch_minute_ceil(a->s->after_t - 59999 > w
			? a->s->after_t - 59999 : w);
	else if (a->s->after_t + 1 > w)
		cur = a->s->after_t + 1;
	while (cur < wend && !*c->stop) {
		if (*requests > 0 && c->pace_ms > 0)
			nap(c, c->pace_ms);
		if (cmt_fetch_history_url(c->src, c->base_url, a->s, cur, wend,
		    run->url, sizeof run->url) < 0)
			return cmt_errf(err, CMT_ETOOLONG, "URL too long");
		a->from = cur;
		a->to = wend;
		before = a->n;
		e = request(run, hist_parse, a, err);
		(*requests)++;
		if (e)
			return e;
		if (c->src != CMT_SRC_BINANCE || a->n == before ||
		    a->last_open < cur)
			break;
		cur = a->last_open + 60000;
	}
	return CMT_OK;
}

enum cmt_err
cmt_fetch_history(struct cmt_fetch_cfg *c, char *err)
{
	struct run run;
	struct hist_arg a;
	struct cmt_tick *buf;
	int64_t span = cmt_fetch_history_span_ms(c->src), w, wend, from, to;
	int64_t shift;
	int64_t emitted = 0;
	int i, k, requests = 0, cap;
	enum cmt_err e = CMT_OK;
	char when[40], msg[160];

	if (c->src == CMT_SRC_KRAKEN && c->from_ms < cmt_clock_wall_ms() - 720 * 60000LL)
		return cmt_errf(err, CMT_EVALUE, "kraken keeps only the last 720 "
			"1-minute bars (12 h); --history supports binance, "
			"coinbase and coingecko");
	cap = CMT_FETCH_PAGE_TICKS * c->nsym;
	if (!(buf = malloc(sizeof *buf * (size_t)cap)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	run.c = c;
	run.deadline = 0;
	if (!(run.h = open_http(c, err))) {
		free(buf);
		return CMT_ENOMEM;
	}
	from = c->src != CMT_SRC_COINGECKO ? cmt_fetch_minute_ceil(c->from_ms)
		: c->from_ms;
	for (i = 0; i < c->nsym; i++)
		if (c->syms[i].after_t < from - 1)
			c->syms[i].after_t = from - 1;
	/* [--from, --to) is on the time emitted.  A bar of Binance, Coinbase
	 * or Kraken is a tick stamped at its close, one minute after the
	 * open the API pages by: ask for the bars opening a minute earlier.
	 * The bar still open has no final close yet: stop before it. */
	shift = c->src != CMT_SRC_COINGECKO ? 60000 : 0;
	from -= shift;
	/* bars close on whole minutes: t < to_ms is t < to_ms rounded up */
	to = (shift ? cmt_fetch_minute_ceil(c->to_ms) : c->to_ms) - shift;
	if (shift && to > cmt_clock_wall_ms() / 60000 * 60000)
		to = cmt_clock_wall_ms() / 60000 * 60000;
	for (w = from; w < to && !*c->stop; w = wend) {
		wend = w + span < to ? w + span : to;
		a.run = &run;
		a.buf = buf;
		a.cap = cap;
		a.n = 0;
		for (i = 0; i < c->nsym && !e; i++) {
			a.s = &c->syms[i];
			e = hist_symbol(&run, &a, w, wend, &requests, err);
		}
		/* More points than a page holds: the same request would get
		 * the same answer, so ask for half the window instead (nothing
		 * of this window was emitted yet). */
		if (e == CMT_ELIMIT && wend - w > CMT_FETCH_SPAN_MIN_MS) {
			span = (wend - w) / 2;
			if (span < CMT_FETCH_SPAN_MIN_MS)
				span = CMT_FETCH_SPAN_MIN_MS;
			cmt_format_duration(span, when, sizeof when);
			say(c, "%s; asking for %s at a time", err, when);
			e = CMT_OK;
			wend = w;       /* the same window again, smaller */
			continue;
		}
		if (e == CMT_ELIMIT)
			cmt_errf(err, CMT_ELIMIT, "the source answers more points "
				"than a page holds (%d) even for 1h: cannot page "
				"this range", CMT_FETCH_PAGE_TICKS);
		if (e)
			break;
		if (*c->stop)
			break;
		/* Symbols are fetched one after the other; merging the window
		 * puts every tick of the run in time order. */
		qsort(buf, (size_t)a.n, sizeof *buf, by_time);
		for (k = 0; k < a.n; k++) {
			for (i = 0; i < c->nsym; i++)
				if (strcmp(buf[k].sym, c->syms[i].sym) == 0)
					break;
			if (buf[k].t <= c->syms[i].after_t)
				continue;
			c->syms[i].after_t = buf[k].t;
			c->emit(c->ctx, &buf[k]);
			emitted++;
		}
		if (c->progress) {
			cmt_format_time(wend + shift, when, sizeof when);
			snprintf(msg, sizeof msg, "history: %s %3.0f%%, %lld "
				"ticks, %d requests", when, 100.0 *
				(double)(wend - from) / (double)(to - from),
				(long long)emitted, requests);
			c->progress(c->ctx, msg, wend >= to);
		}
	}
	cmt_http_free(run.h);
	free(buf);
	return e == CMT_ESKIP ? CMT_OK : e;
}

enum cmt_err
cmt_fetch_warmup(struct cmt_fetch_cfg *c, int64_t span_ms, int64_t *boundary,
	char *err)
{
	int64_t m = cmt_clock_wall_ms() / 60000 * 60000, shift;
	enum cmt_err e;
	int i;

	/* whole minutes, so a symbol got bars iff after_t >= from.  The
	 * range is on the time emitted: bars opened in [m - span, m) are
	 * the ticks stamped at their close, in (m - span, m]. */
	shift = c->src != CMT_SRC_COINGECKO ? 60000 : 0;
	c->from_ms = m - (span_ms + 59999) / 60000 * 60000 + shift;
	c->to_ms = m + (shift ? 1 : 0);
	c->pace_ms = 0;
	for (i = 0; i < c->nsym; i++)
		c->syms[i].after_t = 0;
	if ((e = cmt_fetch_history(c, err)))
		return e;
	for (i = 0; i < c->nsym; i++) {
		struct cmt_fetch_sym *s = &c->syms[i];

		s->live_from = m;
		if (s->after_t >= c->from_ms) {
			s->seen = 1;
			s->last_t = m - 1;
		}
		s->after_t = 0;
	}
	*boundary = m;
	return CMT_OK;
}
