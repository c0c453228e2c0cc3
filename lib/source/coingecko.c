/* CoinGecko: polled prices of many coins in one request
 * (/simple/price), and history from market_chart/range (points at their
 * own times, 5-minute or hourly by the range's length).  No trade
 * stream.  A key goes in a header: the demo plan's, or the pro plan's
 * with --pro (which also has its own host). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cmt_parse.h"
#include "venue.h"

/* The built-in coin ids; --id-map adds or overrides. */
static const struct { const char *base, *id; } coin_ids[] = {
	{ "btc", "bitcoin" }, { "eth", "ethereum" }, { "sol", "solana" },
	{ "bnb", "binancecoin" }, { "xrp", "ripple" }, { "ada", "cardano" },
	{ "doge", "dogecoin" }, { "dot", "polkadot" }, { "ltc", "litecoin" },
	{ "avax", "avalanche-2" }, { "link", "chainlink" },
	{ "trx", "tron" }, { "bch", "bitcoin-cash" }, { "xlm", "stellar" },
	{ "atom", "cosmos" }, { "uni", "uniswap" }, { "usdt", "tether" },
	{ "usdc", "usd-coin" }, { "xmr", "monero" },
	{ "etc", "ethereum-classic" },
};

static enum cmt_err
map_symbol(struct cmt_fetch_sym *s, const char *base, const char *quote,
	const char *id_map, char *err)
{
	char lb[CMT_SYM_MAX];
	const char *id = id_map;
	size_t i, n = strlen(quote);

	cmt_ascii_lower(lb, base, strlen(base));
	for (i = 0; !id && i < sizeof coin_ids / sizeof coin_ids[0]; i++)
		if (strcmp(lb, coin_ids[i].base) == 0)
			id = coin_ids[i].id;
	if (!id)
		return cmt_errf(err, CMT_EVALUE, "no CoinGecko id known for "
			"'%s'; give one with --id-map %s=COIN_ID", lb, lb);
	snprintf(s->id, sizeof s->id, "%s", id);
	cmt_ascii_lower(s->quote_id, quote, n < sizeof s->quote_id ? n
		: sizeof s->quote_id - 1);
	return CMT_OK;
}

static int
live_url(const char *base, const struct cmt_fetch_sym *syms, int nsym,
	int i, char *buf, size_t cap)
{
	size_t n = 0;
	int j, k, r = 0;

	(void)i;
	r |= cmt_strcat_printf(buf, cap, &n, "%s/api/v3/simple/price?ids=",
		base);
	for (j = 0; j < nsym; j++)
		r |= cmt_strcat_printf(buf, cap, &n, "%s%s", j ? "," : "",
			syms[j].id);
	r |= cmt_strcat_printf(buf, cap, &n, "&vs_currencies=");
	for (j = 0; j < nsym; j++) {
		for (k = 0; k < j; k++)
			if (strcmp(syms[k].quote_id, syms[j].quote_id) == 0)
				break;
		if (k == j)
			r |= cmt_strcat_printf(buf, cap, &n, "%s%s", j ? ","
				: "", syms[j].quote_id);
	}
	r |= cmt_strcat_printf(buf, cap, &n,
		"&include_24hr_vol=true&include_last_updated_at=true");
	return r ? -1 : (int)n;
}

static enum cmt_err
parse_live(const cJSON *root, const struct cmt_fetch_sym *syms, int n,
	int64_t now_ms, struct cmt_fetch_obs *obs, char *err)
{
	const cJSON *o, *px, *lu;
	double v;
	int64_t t;
	int i;

	if (!cJSON_IsObject(root))
		return cmt_errf(err, CMT_ETYPE, "expected a JSON object");
	for (i = 0; i < n; i++) {
		o = cmt_venue_item(root, syms[i].id);
		if (!o || (cJSON_IsObject(o) && !o->child))
			continue;
		if (!cJSON_IsObject(o))
			return cmt_errf(err, CMT_ETYPE, "\"%s\" is not an object",
				syms[i].id);
		px = cmt_venue_item(o, syms[i].quote_id);
		if (!px)
			continue;
		if (cmt_venue_num(px, &v))
			return cmt_errf(err, CMT_ETYPE, "\"%s\".\"%s\" is not a "
				"number", syms[i].id, syms[i].quote_id);
		if (cmt_venue_set_px(&obs[i], v, syms[i].id, err))
			return CMT_ERANGE;
		lu = cmt_venue_item(o, "last_updated_at");
		if (lu && !cJSON_IsNull(lu)) {
			if (cmt_venue_whole(lu, &t))
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

static int
history_url(const char *base, const struct cmt_fetch_sym *s, int64_t from,
	int64_t to, char *buf, size_t cap)
{
	size_t n = 0;

	return cmt_strcat_printf(buf, cap, &n, "%s/api/v3/coins/%s/market_"
		"chart/range?vs_currency=%s&from=%lld&to=%lld", base, s->id,
		s->quote_id, (long long)((from + 999) / 1000),
		(long long)((to - 1) / 1000)) ? -1 : (int)n;
}

/* {"prices":[[ms, price], ...], ...}; a null price is no tick. */
static enum cmt_err
parse_history(const cJSON *root, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, int64_t *last_open, char *err)
{
	const cJSON *prices, *p;
	int64_t t, prev = -1;
	double px;

	(void)last_open;
	prices = cJSON_IsObject(root) ? cmt_venue_item(root, "prices") : NULL;
	if (!cJSON_IsArray(prices))
		return cmt_errf(err, CMT_EMISSING, "no \"prices\" array");
	cJSON_ArrayForEach(p, prices) {
		if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 ||
		    cmt_venue_whole(cJSON_GetArrayItem(p, 0), &t))
			return cmt_errf(err, CMT_EMISSING, "price point is not "
				"[ms, price]");
		if (cJSON_IsNull(cJSON_GetArrayItem(p, 1)))
			continue;
		if (cmt_venue_num(cJSON_GetArrayItem(p, 1), &px) || !(px > 0))
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

const struct cmt_source cmt_source_coingecko = {
	.name = "coingecko",
	.title = "CoinGecko",
	.rest_url = "https://api.coingecko.com",
	.pro_rest_url = "https://pro-api.coingecko.com",
	.quote = "USD",
	.key_env = "COINGECKO_API_KEY",
	.key_header = "x-cg-demo-api-key",
	.pro_key_header = "x-cg-pro-api-key",
	.batched = 1,
	/* 90 days: the longest range still answered with hourly points */
	.history_span_ms = 90LL * 86400000,
	.pace_ms = 2500,
	.map_symbol = map_symbol,
	.live_url = live_url,
	.parse_live = parse_live,
	.history_url = history_url,
	.parse_history = parse_history,
};
