/* Unit tests for the price sources (the venues of lib/source/ through
 * the table, lib/fetch.c, lib/ingest.c) and the pure parts of the HTTP
 * client (lib/http.c): response parsers on fixtures written in each API's
 * documented shape, id mapping, "is it new", Retry-After, backoff and
 * history paging arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cmt_clock.h"
#include "cmt_fetch.h"
#include "cmt_http.h"
#include "cmt_ingest.h"
#include "cmt_test.h"

static struct cmt_fetch_sym
sym(const struct cmt_source *src, const char *arg)
{
	struct cmt_fetch_sym s;
	char err[CMT_ERRLEN];

	assert_int_equal(cmt_fetch_map_symbol(src, arg, strlen(arg), NULL,
		NULL, 0, &s, err), CMT_OK);
	return s;
}

static enum cmt_err
parse(const struct cmt_source *src, const char *body,
	struct cmt_fetch_sym *syms, int n, struct cmt_fetch_obs *obs)
{
	char err[CMT_ERRLEN];

	return cmt_ingest_live(src, body, strlen(body), syms, 0, n,
		1234567, obs, err);
}

/* A polled reading through the ingest rules, as the live loop hands it. */
static int
accept(struct cmt_fetch_sym *s, const struct cmt_fetch_obs *o, int all,
	const char *src, struct cmt_tick *tk)
{
	struct cmt_ingest in = { .src = venue(src) };

	return cmt_ingest_reading(&in, s, o, all, cmt_clock_wall_ms(), tk);
}

/* A polled trade page (the venues that poll trades) summed into one
 * reading of s. */
static enum cmt_err
trade_page(const char *src, const char *body, struct cmt_fetch_sym *s,
	struct cmt_fetch_obs *o)
{
	struct cmt_ingest in = { .src = venue(src) };
	struct cmt_trade t[8];
	char err[CMT_ERRLEN], next[32];
	enum cmt_err e;
	int n;

	memset(o, 0, sizeof *o);
	if ((e = cmt_ingest_fill(in.src, body, strlen(body), s, 0, t, 8, &n,
	    next, err)))
		return e;
	cmt_ingest_trade_page(&in, s, t, n, cmt_clock_wall_ms(), o);
	return CMT_OK;
}

static void
bare_symbols_get_each_sources_default_quote_and_id(void **state)
{
	struct cmt_fetch_sym s;

	s = sym(venue("coingecko"), "btc");
	assert_string_equal(s.sym, "BTC-USD");
	assert_string_equal(s.id, "bitcoin");
	assert_string_equal(s.quote_id, "usd");
	s = sym(venue("binance"), "eth");
	assert_string_equal(s.sym, "ETH-USDT");
	assert_string_equal(s.id, "ETHUSDT");
	s = sym(venue("coinbase"), "sol");
	assert_string_equal(s.sym, "SOL-USD");
	assert_string_equal(s.id, "SOL-USD");
	s = sym(venue("kraken"), "btc");
	assert_string_equal(s.sym, "BTC-USD");
	assert_string_equal(s.id, "XBTUSD");
	assert_string_equal(s.alt, "XXBTZUSD");
	s = sym(venue("kraken"), "eth-btc");
	assert_string_equal(s.sym, "ETH-BTC");
	assert_string_equal(s.id, "ETHXBT");
	assert_string_equal(s.alt, "XETHXXBT");
	s = sym(venue("okx"), "btc");
	assert_string_equal(s.sym, "BTC-USDT");
	assert_string_equal(s.id, "BTC-USDT");
	s = sym(venue("okx"), "eth-btc");
	assert_string_equal(s.id, "ETH-BTC");
}

static void
full_symbols_and_quote_option_choose_the_quote(void **state)
{
	struct cmt_fetch_sym s;
	char err[CMT_ERRLEN];

	s = sym(venue("coingecko"), "eth-eur");
	assert_string_equal(s.sym, "ETH-EUR");
	assert_string_equal(s.quote_id, "eur");
	assert_int_equal(cmt_fetch_map_symbol(venue("binance"), "btc,eth", 3,
		"fdusd", NULL, 0, &s, err), CMT_OK);
	assert_string_equal(s.sym, "BTC-FDUSD");
	assert_string_equal(s.id, "BTCFDUSD");
}

static void
unknown_coingecko_symbols_are_refused_unless_mapped(void **state)
{
	struct cmt_fetch_idmap map[2];
	struct cmt_fetch_sym s;
	char err[CMT_ERRLEN];

	assert_int_equal(cmt_fetch_map_symbol(venue("coingecko"), "pepe", 4,
		NULL, NULL, 0, &s, err), CMT_EVALUE);
	assert_non_null(strstr(err, "--id-map pepe="));
	assert_int_equal(cmt_fetch_idmap_parse("PEPE=pepe", &map[0], err),
		CMT_OK);
	assert_int_equal(cmt_fetch_idmap_parse("btc=wrapped-bitcoin", &map[1],
		err), CMT_OK);
	assert_int_equal(cmt_fetch_map_symbol(venue("coingecko"), "pepe", 4,
		NULL, map, 2, &s, err), CMT_OK);
	assert_string_equal(s.id, "pepe");
	assert_int_equal(cmt_fetch_map_symbol(venue("coingecko"), "BTC-USD", 7,
		NULL, map, 2, &s, err), CMT_OK);
	assert_string_equal(s.id, "wrapped-bitcoin");
	assert_int_equal(cmt_fetch_idmap_parse("btc", &map[0], err),
		CMT_ESYNTAX);
	assert_int_equal(cmt_fetch_idmap_parse("btc=a&b", &map[0], err),
		CMT_EVALUE);
	assert_int_equal(cmt_fetch_map_symbol(venue("binance"), "btc-", 4,
		NULL, NULL, 0, &s, err), CMT_EVALUE);
	assert_int_equal(cmt_fetch_map_symbol(venue("binance"), "b$c", 3,
		NULL, NULL, 0, &s, err), CMT_EVALUE);
}

static void
symbol_lists_are_split_and_checked_for_repeats(void **state)
{
	struct cmt_fetch_sym s[3];
	char err[CMT_ERRLEN];
	int n;

	assert_int_equal(cmt_fetch_map_symbols(venue("binance"), "btc,ETH-BTC",
		NULL, NULL, 0, s, 3, &n, err), CMT_OK);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].id, "BTCUSDT");
	assert_string_equal(s[1].id, "ETHBTC");
	assert_int_equal(cmt_fetch_map_symbols(venue("binance"), "btc,BTC-USDT",
		NULL, NULL, 0, s, 3, &n, err), CMT_EVALUE);
	assert_int_equal(cmt_fetch_map_symbols(venue("binance"), "a,b,c,d",
		NULL, NULL, 0, s, 3, &n, err), CMT_ELIMIT);
	assert_int_equal(cmt_fetch_map_symbols(venue("binance"), "btc,,eth",
		NULL, NULL, 0, s, 3, &n, err), CMT_EVALUE);
}

static void
coingecko_simple_price_gives_price_and_source_time(void **state)
{
	struct cmt_fetch_sym s[3] = { sym(venue("coingecko"), "btc"),
		sym(venue("coingecko"), "eth"), sym(venue("coingecko"), "sol") };
	struct cmt_fetch_obs o[3];

	assert_int_equal(parse(venue("coingecko"),
		"{\"bitcoin\":{\"usd\":97123.5,\"usd_24h_vol\":3.1e10,"
		"\"last_updated_at\":1732450000},"
		"\"ethereum\":{\"usd\":3400.25}}", s, 3, o), CMT_OK);
	assert_true(o[0].ok);
	assert_true(o[0].src_time);
	assert_int_equal(o[0].tk.t, 1732450000000LL);
	assert_true(o[0].tk.px == 97123.5);
	assert_false(o[0].tk.has_vol);      /* 24h volume is not tick volume */
	assert_true(o[1].ok);
	assert_false(o[1].src_time);
	assert_int_equal(o[1].tk.t, 1234567);
	assert_false(o[2].ok);              /* absent: the caller decides */
	/* the recorded shape without extras */
	assert_int_equal(parse(venue("coingecko"),
		"{\n \"bitcoin\": {\n  \"usd\": 7984.89\n }\n}", s, 1, o), CMT_OK);
	assert_true(o[0].ok && o[0].tk.px == 7984.89);
}

static void
malformed_and_mistyped_bodies_are_errors(void **state)
{
	struct cmt_fetch_sym s = sym(venue("coingecko"), "btc");
	struct cmt_fetch_sym b = sym(venue("binance"), "btc");
	struct cmt_fetch_obs o;

	assert_int_equal(parse(venue("coingecko"), "{\"bitcoin\":{\"usd\":97",
		&s, 1, &o), CMT_ESYNTAX);
	assert_int_equal(parse(venue("coingecko"), "<html></html>", &s, 1, &o),
		CMT_ESYNTAX);
	assert_int_equal(parse(venue("coingecko"), "[]", &s, 1, &o), CMT_ETYPE);
	assert_int_equal(parse(venue("coingecko"),
		"{\"bitcoin\":{\"usd\":\"x\"}}", &s, 1, &o), CMT_ETYPE);
	assert_int_equal(parse(venue("coingecko"),
		"{\"bitcoin\":{\"usd\":-1}}", &s, 1, &o), CMT_ERANGE);
	assert_int_equal(trade_page("binance", "{\"code\":-1121}", &b, &o),
		CMT_ETYPE);
	assert_int_equal(trade_page("binance", "[{\"a\":1,\"p\":\"1\"}]", &b,
		&o), CMT_EMISSING);
}

static void
binance_aggtrades_sum_quantity_since_the_last_trade(void **state)
{
	struct cmt_fetch_sym s = sym(venue("binance"), "btc");
	struct cmt_fetch_obs o;
	struct cmt_tick tk;

	/* first poll, the recorded shape (ccxt stores ids as strings) */
	assert_int_equal(trade_page("binance", "[{\"a\": \"2913537567\", "
		"\"p\": \"73238.70000000\", \"q\": \"0.00109000\", \"f\": "
		"\"3479463557\", \"l\": \"3479463557\", \"T\": \"1710327661939\", "
		"\"m\": false, \"M\": true}]", &s, &o), CMT_OK);
	assert_true(o.ok);
	assert_int_equal(o.tk.t, 1710327661939LL);
	assert_true(o.tk.px == 73238.7);
	assert_true(o.aux == 2913537567.0);
	assert_false(o.tk.has_vol);         /* nothing to count from yet */
	assert_int_equal(accept(&s, &o, 0, "binance", &tk), 1);
	assert_false(tk.has_vol);
	assert_int_equal(s.last_id, 2913537567LL);
	/* next poll: two new trades, and a replayed old one that is skipped */
	assert_int_equal(trade_page("binance",
		"[{\"a\":2913537567,\"p\":\"1\",\"q\":\"9\",\"T\":1710327661939},"
		"{\"a\":2913537568,\"p\":\"73240.5\",\"q\":\"0.25\","
		"\"T\":1710327662000},{\"a\":2913537569,\"p\":\"73241\","
		"\"q\":\"0.5\",\"T\":1710327662100}]", &s, &o), CMT_OK);
	assert_true(o.ok && o.tk.has_vol);
	assert_true(o.tk.vol == 0.75);
	assert_true(o.tk.px == 73241.0);
	assert_int_equal(o.tk.t, 1710327662100LL);
	assert_int_equal(accept(&s, &o, 0, "binance", &tk), 1);
	assert_true(tk.has_vol && tk.vol == 0.75);
	assert_string_equal(tk.sym, "BTC-USDT");
	assert_string_equal(tk.src, "binance");
	/* nothing new */
	assert_int_equal(trade_page("binance", "[]", &s, &o), CMT_OK);
	assert_false(o.ok);
	assert_int_equal(accept(&s, &o, 0, "binance", &tk), 0);
	/* a page out of id order is taken in id order, each trade once */
	assert_int_equal(trade_page("binance",
		"[{\"a\":2913537580,\"p\":\"3\",\"q\":\"1\",\"T\":1710327663001},"
		"{\"a\":2913537579,\"p\":\"2\",\"q\":\"1\",\"T\":1710327663000},"
		"{\"a\":2913537580,\"p\":\"3\",\"q\":\"1\",\"T\":1710327663001}]",
		&s, &o), CMT_OK);
	assert_true(o.ok && o.tk.px == 3.0 && o.tk.vol == 2);
	assert_int_equal(o.tk.t, 1710327663001LL);
	assert_int_equal(s.last_id, 2913537580LL);
}

static void
volume_of_trades_in_the_same_millisecond_is_carried_not_lost(void **state)
{
	struct cmt_fetch_sym s = sym(venue("binance"), "btc");
	struct cmt_fetch_obs o;
	struct cmt_tick tk;

	assert_int_equal(trade_page("binance", "[{\"a\":10,\"p\":\"5\",\"q\":\"1\",\"T\":1000}]", &s, &o), 0);
	assert_int_equal(accept(&s, &o, 0, "binance", &tk), 1);
	assert_int_equal(trade_page("binance", "[{\"a\":11,\"p\":\"6\",\"q\":\"2\",\"T\":1000}]", &s, &o), 0);
	assert_int_equal(accept(&s, &o, 0, "binance", &tk), 0);
	assert_int_equal(trade_page("binance", "[{\"a\":12,\"p\":\"7\",\"q\":\"0.5\",\"T\":1001}]", &s, &o), 0);
	assert_int_equal(accept(&s, &o, 0, "binance", &tk), 1);
	assert_true(tk.vol == 2.5);
	assert_int_equal(tk.t, 1001);
}

/* o is a reading stamped by the source at t, price px, without volume. */
static void
reading_is(const struct cmt_fetch_obs *o, int64_t t, double px)
{
	assert_true(o->ok && o->src_time);
	assert_int_equal(o->tk.t, t);
	assert_true(o->tk.px == px);
	assert_false(o->tk.has_vol);
}

static void
coinbase_ticker_time_is_read_to_the_millisecond(void **state)
{
	struct cmt_fetch_sym s = sym(venue("coinbase"), "btc-usdt");
	struct cmt_fetch_obs o;

	assert_int_equal(parse(venue("coinbase"), "{\"ask\": \"73369.19\", "
		"\"bid\": \"73360.34\", \"volume\": \"1207.50668151\", "
		"\"trade_id\": \"18502105\", \"price\": \"73367.8\", \"size\": "
		"\"0.00730812\", \"time\": \"2024-03-13T11:10:41.270099Z\", "
		"\"rfq_volume\": \"7.669923\"}", &s, 1, &o), CMT_OK);
	reading_is(&o, 1710328241270LL, 73367.8);
	assert_true(o.aux == 18502105.0);
	assert_int_equal(parse(venue("coinbase"), "{\"message\":\"NotFound\"}",
		&s, 1, &o), CMT_EMISSING);
}

static void
kraken_ticker_matches_legacy_pair_names(void **state)
{
	struct cmt_fetch_sym s[2] = { sym(venue("kraken"), "btc"),
		sym(venue("kraken"), "sol") };
	struct cmt_fetch_obs o[2];

	assert_int_equal(parse(venue("kraken"), "{\"error\":[],\"result\":{"
		"\"SOLUSD\":{\"c\":[\"145.10\",\"2.0\"],\"t\":[900,2000]},"
		"\"XXBTZUSD\":{\"a\":[\"97001.0\",\"1\",\"1.000\"],"
		"\"c\":[\"97000.5\",\"0.0100\"],\"v\":[\"10\",\"20\"],"
		"\"t\":[1234,5678]}}}", s, 2, o), CMT_OK);
	assert_true(o[0].ok && o[0].tk.px == 97000.5);
	assert_true(o[0].aux == 1234.0);
	assert_false(o[0].src_time);
	assert_int_equal(o[0].tk.t, 1234567);
	assert_true(o[1].ok && o[1].tk.px == 145.1);
	assert_int_equal(parse(venue("kraken"), "{\"error\":[\"EQuery:Unknown "
		"asset pair\"]}", s, 2, o), CMT_EVALUE);
	assert_int_equal(parse(venue("kraken"), "{\"error\":[\"EService:"
		"Unavailable\"]}", s, 2, o), CMT_EIO);
}

static void
okx_ticker_gives_last_and_the_tickers_own_time(void **state)
{
	struct cmt_fetch_sym s = sym(venue("okx"), "eth-btc");
	struct cmt_fetch_obs o;
	char url[256];

	venue("okx")->live_url("http://h", &s, 1, 0, url, sizeof url);
	assert_string_equal(url, "http://h/api/v5/market/ticker?instId=ETH-BTC");
	/* the recorded SPOT answer (ccxt), ts before sodUtc0 */
	assert_int_equal(parse(venue("okx"), "{\"code\": \"0\", \"msg\": \"\", "
		"\"data\": [{\"instType\": \"SPOT\", \"instId\": \"ETH-BTC\", "
		"\"last\": \"0.07319\", \"lastSz\": \"0.044378\", \"askPx\": "
		"\"0.07322\", \"askSz\": \"4.2\", \"bidPx\": \"0.0732\", "
		"\"bidSz\": \"6.050058\", \"open24h\": \"0.07801\", \"high24h\": "
		"\"0.07975\", \"low24h\": \"0.06019\", \"volCcy24h\": "
		"\"11788.887619\", \"vol24h\": \"167493.829229\", \"ts\": "
		"\"1621440583784\", \"sodUtc0\": \"0.07872\", \"sodUtc8\": "
		"\"0.07345\"}]}", &s, 1, &o), CMT_OK);
	reading_is(&o, 1621440583784LL, 0.07319);   /* vol24h is no tick's */
	/* an answer without a ticker is no reading, not an error */
	assert_int_equal(parse(venue("okx"), "{\"code\":\"0\",\"msg\":\"\","
		"\"data\":[]}", &s, 1, &o), CMT_OK);
	assert_false(o.ok);
	assert_int_equal(parse(venue("okx"), "{\"code\":\"0\",\"msg\":\"\","
		"\"data\":[{\"instId\":\"ETH-BTC\",\"last\":\"0\","
		"\"ts\":\"1621440583784\"}]}", &s, 1, &o), CMT_ERANGE);
	assert_int_equal(parse(venue("okx"), "{\"code\":\"0\",\"msg\":\"\"}",
		&s, 1, &o), CMT_EMISSING);
}

/* OKX answers HTTP 200 for most refusals: the envelope's code decides. */
static void
okx_envelope_codes_are_permanent_or_passing(void **state)
{
	struct cmt_fetch_sym s = sym(venue("okx"), "doge");
	struct cmt_fetch_obs o;
	char err[CMT_ERRLEN];
	const char *unknown = "{\"code\":\"51001\",\"data\":[],\"msg\":"
		"\"Instrument ID does not exist\"}";

	assert_int_equal(cmt_ingest_live(venue("okx"), unknown,
		strlen(unknown), &s, 0, 1, 1234567, &o, err), CMT_EVALUE);
	assert_string_equal(err, "okx: Instrument ID does not exist (code "
		"51001)");
	assert_int_equal(parse(venue("okx"), "{\"code\":\"51000\",\"data\":[],"
		"\"msg\":\"Parameter bar error\"}", &s, 1, &o), CMT_EVALUE);
	assert_int_equal(parse(venue("okx"), "{\"code\":\"50014\",\"data\":[],"
		"\"msg\":\"Parameter instId can not be empty.\"}", &s, 1, &o),
		CMT_EVALUE);
	/* rate limit (as HTTP 429 sends it: no data) and a busy service
	 * pass: the request is retried */
	assert_int_equal(parse(venue("okx"), "{\"msg\":\"Too Many Requests\","
		"\"code\":\"50011\"}", &s, 1, &o), CMT_EIO);
	assert_int_equal(parse(venue("okx"), "{\"code\":\"50001\",\"data\":[],"
		"\"msg\":\"Service temporarily unavailable. Please try again "
		"later.\"}", &s, 1, &o), CMT_EIO);
	/* the 404 body, its code a number: malformed, not a refusal */
	assert_int_equal(parse(venue("okx"), "{\"code\": 404, \"data\": {}, "
		"\"msg\": \"Not Found\"}", &s, 1, &o), CMT_EMISSING);
	assert_int_equal(parse(venue("okx"), "[]", &s, 1, &o), CMT_ETYPE);
}

static void
repeated_readings_are_emitted_once_unless_all(void **state)
{
	struct cmt_fetch_sym s = sym(venue("coingecko"), "btc");
	struct cmt_fetch_sym k = sym(venue("kraken"), "btc");
	struct cmt_fetch_obs o;
	struct cmt_tick tk;
	const char *body = "{\"bitcoin\":{\"usd\":5,\"last_updated_at\":100}}";

	assert_int_equal(parse(venue("coingecko"), body, &s, 1, &o), CMT_OK);
	assert_int_equal(accept(&s, &o, 0, "coingecko", &tk), 1);
	assert_int_equal(tk.t, 100000);
	assert_int_equal(accept(&s, &o, 0, "coingecko", &tk), 0);
	assert_int_equal(accept(&s, &o, 1, "coingecko", &tk), 1);
	/* poll-time sources: new only when price or trade count moved */
	o.ok = 1;
	o.src_time = 0;
	o.tk.t = 1000;
	o.tk.px = 7;
	o.aux = 3;
	assert_int_equal(accept(&k, &o, 0, "kraken", &tk), 1);
	o.tk.t = 2000;
	assert_int_equal(accept(&k, &o, 0, "kraken", &tk), 0);
	o.aux = 4;
	assert_int_equal(accept(&k, &o, 0, "kraken", &tk), 1);
	assert_int_equal(tk.t, 2000);
}

static void
retry_after_accepts_seconds_and_http_dates(void **state)
{
	int64_t at = 1445412480000LL;   /* Wed, 21 Oct 2015 07:28:00 GMT */

	assert_int_equal(cmt_http_retry_after("120", 0), 120000);
	assert_int_equal(cmt_http_retry_after(" 0", 0), 0);
	assert_int_equal(cmt_http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
		at - 5000), 5000);
	assert_int_equal(cmt_http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
		at + 1), 0);
	assert_int_equal(cmt_http_retry_after("Thu, 01 Jan 1970 00:01:00 GMT",
		0), 60000);
	assert_int_equal(cmt_http_retry_after("-1", 0), -1);
	assert_int_equal(cmt_http_retry_after("1.5", 0), -1);
	assert_int_equal(cmt_http_retry_after("soon", 0), -1);
	assert_int_equal(cmt_http_retry_after("Wed, 21 Foo 2015 07:28:00 GMT",
		0), -1);
	assert_int_equal(cmt_http_retry_after("Wed, 21 Oct 2015 07:28:00 PST",
		0), -1);
	assert_int_equal(cmt_http_retry_after("99999999999999", 0), -1);
}

static void
statuses_are_classified_for_retry(void **state)
{
	assert_int_equal(cmt_http_classify_status(200), CMT_HTTP_OK);
	assert_int_equal(cmt_http_classify_status(429), CMT_HTTP_RATE);
	assert_int_equal(cmt_http_classify_status(418), CMT_HTTP_RATE);
	assert_int_equal(cmt_http_classify_status(500), CMT_HTTP_RETRY);
	assert_int_equal(cmt_http_classify_status(503), CMT_HTTP_RETRY);
	assert_int_equal(cmt_http_classify_status(408), CMT_HTTP_RETRY);
	assert_int_equal(cmt_http_classify_status(400), CMT_HTTP_FATAL);
	assert_int_equal(cmt_http_classify_status(401), CMT_HTTP_FATAL);
	assert_int_equal(cmt_http_classify_status(404), CMT_HTTP_FATAL);
}

static void
backoff_doubles_within_jitter_and_stops_at_the_cap(void **state)
{
	struct cmt_backoff b = { 100, 1000 };
	uint64_t rng = 42;
	int64_t lo[] = { 50, 100, 200, 400, 500, 500 };
	int64_t hi[] = { 100, 200, 400, 800, 1000, 1000 };
	int64_t d, seen_lo = 1000, seen_hi = 0;
	int a, i;

	for (a = 1; a <= 6; a++)
		for (i = 0; i < 200; i++) {
			d = cmt_fetch_backoff_ms(&b, a, -1, &rng);
			assert_true(d >= lo[a - 1] && d <= hi[a - 1]);
			if (a == 6) {
				seen_lo = d < seen_lo ? d : seen_lo;
				seen_hi = d > seen_hi ? d : seen_hi;
			}
		}
	/* the jitter actually spreads the delays */
	assert_true(seen_lo < 600 && seen_hi > 900);
	assert_true(cmt_fetch_backoff_ms(&b, 1000, -1, &rng) <= 1000);
	/* a longer Retry-After wins exactly, a huge one is capped, and a
	 * zero one does not cancel the backoff */
	assert_int_equal(cmt_fetch_backoff_ms(&b, 1, 3000, &rng), 3000);
	d = cmt_fetch_backoff_ms(&b, 9, 0, &rng);
	assert_true(d >= 500 && d <= 1000);
	d = cmt_fetch_backoff_ms(&b, 1, 70, &rng);
	assert_true(d >= 70 && d <= 100);
	assert_int_equal(cmt_fetch_backoff_ms(&b, 1, 86400000, &rng),
		CMT_FETCH_RETRY_AFTER_MAX);
}

static void
jitter_is_reproducible_from_the_callers_seed(void **state)
{
	struct cmt_backoff b = { 1000, 60000 };
	uint64_t r1 = 7, r2 = 7, r3 = 8;
	int64_t x[8], y[8];
	int i, same = 1;

	for (i = 0; i < 8; i++) {
		x[i] = cmt_fetch_backoff_ms(&b, 6, -1, &r1);
		y[i] = cmt_fetch_backoff_ms(&b, 6, -1, &r2);
		assert_int_equal(x[i], y[i]);
		same &= x[i] == cmt_fetch_backoff_ms(&b, 6, -1, &r3);
	}
	assert_false(same);
}

static void
live_urls_name_the_documented_endpoints(void **state)
{
	struct cmt_fetch_sym g[2] = { sym(venue("coingecko"), "btc"),
		sym(venue("coingecko"), "eth-eur") };
	struct cmt_fetch_sym b = sym(venue("binance"), "btc");
	struct cmt_fetch_sym k[2] = { sym(venue("kraken"), "btc"),
		sym(venue("kraken"), "eth") };
	char url[512];

	struct cmt_stream_cursor first = { -1, -1, 0, "" };
	struct cmt_stream_cursor next = { 99, -1, 0, "" };

	assert_true(venue("coingecko")->live_url("http://h", g, 2, 0, url,
		sizeof url) > 0);
	assert_string_equal(url, "http://h/api/v3/simple/price?ids=bitcoin,"
		"ethereum&vs_currencies=usd,eur&include_24hr_vol=true"
		"&include_last_updated_at=true");
	/* polls of trades: the latest alone, then the trades after it */
	assert_true(venue("binance")->live_trades);
	venue("binance")->fill_url("http://h", &b, &first, url, sizeof url);
	assert_string_equal(url,
		"http://h/api/v3/aggTrades?symbol=BTCUSDT&limit=1");
	venue("binance")->fill_url("http://h", &b, &next, url, sizeof url);
	assert_string_equal(url, "http://h/api/v3/aggTrades?symbol=BTCUSDT"
		"&fromId=100&limit=1000");
	venue("kraken")->live_url("http://h", k, 2, 0, url, sizeof url);
	assert_string_equal(url, "http://h/0/public/Ticker?pair=XBTUSD,ETHUSD");
	assert_int_equal(venue("kraken")->live_url("http://h", k, 2, 0, url,
		20), -1);
}

static void
klines_are_stamped_at_their_close_with_bar_volume(void **state)
{
	struct cmt_fetch_sym s = sym(venue("binance"), "btc");
	struct cmt_tick tk[4];
	char err[CMT_ERRLEN];
	int64_t t0 = 1704067200000LL, last = -1;   /* 2024-01-01 */
	int n = 0;
	char body[1024];
	const char *b;

	snprintf(body, sizeof body, "[[%lld,\"1\",\"2\",\"0.5\",\"1.5\","
		"\"10\",%lld,\"15\",3,\"5\",\"7\",\"0\"],"
		"[%lld,\"1.5\",\"2\",\"1\",\"1.75\",\"0.5\",%lld,\"1\",1,\"0\","
		"\"0\",\"0\"],"
		"[%lld,\"1.5\",\"2\",\"1\",\"1.8\",\"0\",%lld,\"0\",0,\"0\","
		"\"0\",\"0\"]]", (long long)t0, (long long)t0 + 59999,
		(long long)t0 + 60000, (long long)t0 + 119999,
		(long long)t0 + 120000, (long long)t0 + 179999);
	/* [t0, t0+2min): the third bar is outside and not emitted */
	assert_int_equal(cmt_ingest_history(venue("binance"), body,
		strlen(body), &s, t0, t0 + 120000, tk, 4, &n, &last, err),
		CMT_OK);
	assert_int_equal(n, 2);
	assert_int_equal(tk[0].t, t0 + 60000);
	assert_true(tk[0].px == 1.5 && tk[0].has_vol && tk[0].vol == 10);
	/* the bar's range: open 1, high 2, low 0.5 */
	assert_true(tk[0].has_bar && tk[0].o == 1 && tk[0].h == 2 &&
		tk[0].l == 0.5);
	assert_false(tk[0].warm);
	assert_int_equal(tk[1].t, t0 + 120000);
	assert_true(tk[1].px == 1.75 && tk[1].vol == 0.5);
	assert_string_equal(tk[1].sym, "BTC-USDT");
	assert_int_equal(last, t0 + 120000);
	/* a full buffer is an error, not a silent cut */
	n = 0;
	assert_int_equal(cmt_ingest_history(venue("binance"), body,
		strlen(body), &s, t0, t0 + 180000, tk, 2, &n, &last, err),
		CMT_ELIMIT);
	n = 0;
	b = "[[1704067200001,\"1\",\"1\",\"1\",\"1\",\"1\"]]";
	assert_int_equal(cmt_ingest_history(venue("binance"), b, strlen(b), &s,
		0, t0 * 2, tk, 4, &n, &last, err), CMT_EORDER);
	/* a high below the close is a malformed bar, not a silent fix */
	n = 0;
	b = "[[1704067200000,\"1\",\"1.5\",\"1\",\"2\",\"1\"]]";
	assert_int_equal(cmt_ingest_history(venue("binance"), b, strlen(b), &s,
		0, t0 * 2, tk, 4, &n, &last, err), CMT_ERANGE);
	assert_non_null(strstr(err, "low and high do not hold"));
}

/* An OKX candles answer with data rows (NULL: the unknown instrument's
 * refusal) through the ingest path, for all of time. */
static enum cmt_err
okx_candles(const char *rows, struct cmt_tick *tk)
{
	struct cmt_fetch_sym s = sym(venue("okx"), "btc");
	char body[1024], err[CMT_ERRLEN];
	int64_t last;
	int n = 0;

	if (rows)
		snprintf(body, sizeof body, "{\"code\":\"0\",\"msg\":\"\","
			"\"data\":%s}", rows);
	else
		snprintf(body, sizeof body, "{\"code\":\"51001\",\"data\":[],"
			"\"msg\":\"Instrument ID does not exist\"}");
	return cmt_ingest_history(venue("okx"), body, strlen(body), &s, 0,
		2000000000000LL, tk, 4, &n, &last, err);
}

static void
okx_candles_drop_the_open_bar_and_come_out_oldest_first(void **state)
{
	struct cmt_fetch_sym s = sym(venue("okx"), "btc");
	struct cmt_tick tk[4];
	char err[CMT_ERRLEN], url[512];
	int64_t from = 1704067200000LL, last;
	int n = 0;
	/* the recorded answer (ccxt): newest first, the bar still open
	 * first with confirm "0" */
	const char *body = "{\"code\": \"0\", \"msg\": \"\", \"data\": ["
		"[\"1678928760000\",\"24341.4\",\"24344\",\"24313.2\",\"24323\","
		"\"628\",\"2.5819\",\"62800\",\"0\"],"
		"[\"1678928700000\",\"24324.1\",\"24347.6\",\"24321.7\",\"24341.4\","
		"\"2565\",\"10.5401\",\"256500\",\"1\"],"
		"[\"1678928640000\",\"24300.2\",\"24324.1\",\"24288\",\"24324.1\","
		"\"3304\",\"13.5937\",\"330400\",\"1\"]]}";

	/* [from, to) by open time: after (exclusive) is the newest bound,
	 * before (exclusive) the oldest */
	assert_int_equal(venue("okx")->history_span_ms, 100 * 60000LL);
	venue("okx")->history_url("http://h", &s, from, from + 6000000, url,
		sizeof url);
	assert_string_equal(url, "http://h/api/v5/market/history-candles?"
		"instId=BTC-USDT&bar=1m&after=1704073200000&before=1704067199999"
		"&limit=100");
	assert_int_equal(cmt_ingest_history(venue("okx"), body, strlen(body),
		&s, 1678928640000LL, 1678928820000LL, tk, 4, &n, &last, err),
		CMT_OK);
	assert_int_equal(n, 2);
	assert_int_equal(tk[0].t, 1678928700000LL);     /* at its close */
	assert_true(tk[0].px == 24324.1 && tk[0].has_vol && tk[0].vol == 3304);
	assert_int_equal(tk[1].t, 1678928760000LL);
	assert_true(tk[1].px == 24341.4 && tk[1].vol == 2565);
	assert_string_equal(tk[1].sym, "BTC-USDT");
	assert_string_equal(tk[1].src, "okx");
	/* oldest first is not OKX's order; a row short of confirm; a
	 * refusal */
	assert_int_equal(okx_candles("[[\"1747093980000\",\"1\",\"1\",\"1\","
		"\"1\",\"1\",\"1\",\"1\",\"1\"],[\"1747094040000\",\"1\",\"1\","
		"\"1\",\"1\",\"1\",\"1\",\"1\",\"1\"]]", tk), CMT_EORDER);
	assert_int_equal(okx_candles("[[\"1747093980000\",\"1\",\"1\",\"1\","
		"\"1\",\"1\",\"1\",\"1\"]]", tk), CMT_EMISSING);
	assert_int_equal(okx_candles(NULL, tk), CMT_EVALUE);
}

static void
market_chart_points_are_kept_inside_the_range(void **state)
{
	struct cmt_fetch_sym s = sym(venue("coingecko"), "btc");
	struct cmt_tick tk[8];
	char err[CMT_ERRLEN];
	int64_t last;
	int n = 0;
	const char *body = "{\"prices\":[[1535373899623,6756.942910425894],"
		"[1535374183927,6696.894541693875],[1535374496401,null],"
		"[1535374779118,6668.291007556478]],\"total_volumes\":[]}";

	assert_int_equal(cmt_ingest_history(venue("coingecko"), body,
		strlen(body), &s, 1535373899624LL, 1535374779118LL, tk, 8, &n,
		&last, err), CMT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(tk[0].t, 1535374183927LL);
	assert_true(tk[0].px == 6696.894541693875);
	assert_false(tk[0].has_vol);
	n = 0;
	assert_int_equal(cmt_ingest_history(venue("coingecko"),
		"{\"prices\":[[2,1],[1,1]]}", 24, &s, 0, 10, tk, 8, &n, &last,
		err), CMT_EORDER);
}

static void
history_paging_covers_the_range_in_whole_pages(void **state)
{
	struct cmt_fetch_sym b = sym(venue("binance"), "btc");
	struct cmt_fetch_sym g = sym(venue("coingecko"), "btc");
	int64_t from = 1704067200000LL, to = 1706659200000LL; /* Jan 2024 */
	int64_t span = venue("binance")->history_span_ms;
	char url[512];

	assert_int_equal(span, 1000 * 60000LL);
	/* 30 days = 43200 minutes = 43.2 pages of 1000 bars */
	assert_int_equal((to - from + span - 1) / span, 44);
	assert_int_equal(cmt_fetch_minute_ceil(from), from);
	assert_int_equal(cmt_fetch_minute_ceil(from + 1), from + 60000);
	assert_int_equal(cmt_fetch_minute_ceil(from - 1), from);
	venue("binance")->history_url("http://h", &b, from, from + span, url,
		sizeof url);
	assert_string_equal(url, "http://h/api/v3/klines?symbol=BTCUSDT"
		"&interval=1m&startTime=1704067200000&endTime=1704127199999"
		"&limit=1000");
	venue("coingecko")->history_url("http://h", &g, from + 1, to, url,
		sizeof url);
	assert_string_equal(url, "http://h/api/v3/coins/bitcoin/market_chart/"
		"range?vs_currency=usd&from=1704067201&to=1706659199");
	assert_int_equal(venue("coingecko")->history_span_ms, 90LL * 86400000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bare_symbols_get_each_sources_default_quote_and_id),
		cmocka_unit_test(full_symbols_and_quote_option_choose_the_quote),
		cmocka_unit_test(unknown_coingecko_symbols_are_refused_unless_mapped),
		cmocka_unit_test(symbol_lists_are_split_and_checked_for_repeats),
		cmocka_unit_test(coingecko_simple_price_gives_price_and_source_time),
		cmocka_unit_test(malformed_and_mistyped_bodies_are_errors),
		cmocka_unit_test(binance_aggtrades_sum_quantity_since_the_last_trade),
		cmocka_unit_test(volume_of_trades_in_the_same_millisecond_is_carried_not_lost),
		cmocka_unit_test(coinbase_ticker_time_is_read_to_the_millisecond),
		cmocka_unit_test(kraken_ticker_matches_legacy_pair_names),
		cmocka_unit_test(okx_ticker_gives_last_and_the_tickers_own_time),
		cmocka_unit_test(okx_envelope_codes_are_permanent_or_passing),
		cmocka_unit_test(repeated_readings_are_emitted_once_unless_all),
		cmocka_unit_test(retry_after_accepts_seconds_and_http_dates),
		cmocka_unit_test(statuses_are_classified_for_retry),
		cmocka_unit_test(backoff_doubles_within_jitter_and_stops_at_the_cap),
		cmocka_unit_test(jitter_is_reproducible_from_the_callers_seed),
		cmocka_unit_test(live_urls_name_the_documented_endpoints),
		cmocka_unit_test(klines_are_stamped_at_their_close_with_bar_volume),
		cmocka_unit_test(okx_candles_drop_the_open_bar_and_come_out_oldest_first),
		cmocka_unit_test(market_chart_points_are_kept_inside_the_range),
		cmocka_unit_test(history_paging_covers_the_range_in_whole_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
