/* Unit tests for the trade-stream parsers (the venues' files through the
 * table and lib/ingest.c) and the tick's "side" field (lib/tick.c):
 * messages and REST pages written in each exchange's documented shape,
 * subscription messages, fill URLs; what a gap fill left missing
 * (lib/gapfill.c) against a count made id by id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmt_gapfill.h"
#include "cmt_ingest.h"
#include "cmt_parse.h"
#include "cmt_stream.h"
#include "cmt_test.h"

static struct cmt_fetch_sym syms[2];

static int
map(const struct cmt_source *src, const char *list)
{
	char err[CMT_ERRLEN];
	int n;

	assert_int_equal(cmt_fetch_map_symbols(src, list, NULL, NULL, 0, syms,
		2, &n, err), CMT_OK);
	return n;
}

static enum cmt_err
ws(const struct cmt_source *src, int nsym, const char *msg,
	struct cmt_trade *out, int *n, enum cmt_stream_kind *kind, char *err)
{
	return cmt_ingest_message(src, msg, strlen(msg), syms, nsym, out, 8, n,
		kind, err);
}

/* t is trade id of syms[sym] at ms, with price px, size vol and the
 * taker's side. */
static void
trade_is(const struct cmt_trade *t, int sym, int64_t id, int64_t ms,
	double px, double vol, enum cmt_side side)
{
	assert_int_equal(t->sym, sym);
	assert_int_equal(t->id, id);
	assert_int_equal(t->tk.t, ms);
	assert_close(t->tk.px, px, 0);
	assert_close(t->tk.vol, vol, 0);
	assert_int_equal(t->tk.has_vol, 1);
	assert_int_equal(t->tk.side, side);
}

static void
binance_aggtrade_gives_a_tick_with_taker_side(void **state)
{
	struct cmt_trade t[8];
	enum cmt_stream_kind k;
	char err[CMT_ERRLEN];
	int n, ns = map(venue("binance"), "btc,eth");

	assert_int_equal(ws(venue("binance"), ns, "{\"stream\":\"ethusdt@aggTrade"
		"\",\"data\":{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":"
		"\"ETHUSDT\",\"a\":12345,\"p\":\"0.001\",\"q\":\"100\",\"f\":100,"
		"\"l\":105,\"T\":1672515782134,\"m\":true,\"M\":true}}", t, &n,
		&k, err), CMT_OK);
	assert_int_equal(k, CMT_WS_TRADES);
	assert_int_equal(n, 1);
	/* m: the buyer is the maker, so the taker sold */
	trade_is(&t[0], 1, 12345, 1672515782134, 0.001, 100, CMT_SIDE_SELL);
	assert_string_equal(t[0].tk.sym, "ETH-USDT");
	assert_string_equal(t[0].tk.src, "binance");
	assert_int_equal(ws(venue("binance"), ns, "{\"result\":null,\"id\":1}",
		t, &n, &k, err), CMT_OK);
	assert_int_equal(k, CMT_WS_SUBSCRIBED);
	assert_int_equal(ws(venue("binance"), ns, "{\"error\":{\"code\":2,\"msg\":"
		"\"Invalid request: unknown variable\"},\"id\":1}", t, &n, &k,
		err), CMT_EVALUE);
	assert_int_equal(k, CMT_WS_SUBERR);
	assert_non_null(strstr(err, "unknown variable"));
}

static void
bad_messages_are_errors_without_trades(void **state)
{
	struct cmt_trade t[8];
	enum cmt_stream_kind k;
	char err[CMT_ERRLEN];
	int n, ns = map(venue("binance"), "btc");

	assert_int_equal(ws(venue("binance"), ns, "{\"stream\":", t, &n, &k,
		err), CMT_ESYNTAX);
	assert_int_equal(n, 0);
	assert_int_equal(ws(venue("binance"), ns, "[1,2]", t, &n, &k, err),
		CMT_ETYPE);
	/* a symbol not subscribed, a price of 0, no id */
	assert_int_not_equal(ws(venue("binance"), ns, "{\"data\":{\"e\":"
		"\"aggTrade\",\"s\":\"XRPUSDT\",\"a\":1,\"p\":\"1\",\"q\":\"1\","
		"\"T\":1}}", t, &n, &k, err), CMT_OK);
	assert_int_equal(n, 0);
	assert_int_not_equal(ws(venue("binance"), ns, "{\"data\":{\"e\":"
		"\"aggTrade\",\"s\":\"BTCUSDT\",\"a\":1,\"p\":\"0\",\"q\":\"1\","
		"\"T\":1}}", t, &n, &k, err), CMT_OK);
	assert_int_not_equal(ws(venue("binance"), ns, "{\"data\":{\"e\":"
		"\"aggTrade\",\"s\":\"BTCUSDT\",\"p\":\"2\",\"q\":\"1\","
		"\"T\":1}}", t, &n, &k, err), CMT_OK);
	assert_int_equal(k, CMT_WS_OTHER);
}

static void
coinbase_match_side_is_the_makers_so_the_taker_is_opposite(void **state)
{
	struct cmt_trade t[8];
	enum cmt_stream_kind k;
	char err[CMT_ERRLEN];
	int n, ns = map(venue("coinbase"), "btc");

	assert_int_equal(ws(venue("coinbase"), ns, "{\"type\":\"match\","
		"\"trade_id\":10,\"sequence\":50,\"maker_order_id\":\"a\","
		"\"taker_order_id\":\"b\",\"time\":\"2014-11-07T08:19:27.028459Z\","
		"\"product_id\":\"BTC-USD\",\"size\":\"5.23512\",\"price\":"
		"\"400.23\",\"side\":\"sell\"}", t, &n, &k, err), CMT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].id, 10);
	assert_int_equal(t[0].tk.t, 1415348367028);
	assert_close(t[0].tk.px, 400.23, 0);
	assert_close(t[0].tk.vol, 5.23512, 0);
	assert_int_equal(t[0].tk.side, CMT_SIDE_BUY);
	assert_int_equal(ws(venue("coinbase"), ns, "{\"type\":\"subscriptions\","
		"\"channels\":[{\"name\":\"matches\",\"product_ids\":[\"BTC-USD\"]}]}",
		t, &n, &k, err), CMT_OK);
	assert_int_equal(k, CMT_WS_SUBSCRIBED);
	assert_int_equal(ws(venue("coinbase"), ns, "{\"type\":\"error\","
		"\"message\":\"Failed to subscribe\",\"reason\":\"X is not a valid "
		"product\"}", t, &n, &k, err), CMT_EVALUE);
	assert_int_equal(k, CMT_WS_SUBERR);
	assert_string_equal(err, "coinbase: Failed to subscribe: X is not a "
		"valid product");
	assert_int_equal(ws(venue("coinbase"), ns, "{\"type\":\"heartbeat\"}",
		t, &n, &k, err), CMT_OK);
	assert_int_equal(k, CMT_WS_OTHER);
}

static void
kraken_v2_trade_message_may_hold_several_trades(void **state)
{
	struct cmt_trade t[8];
	enum cmt_stream_kind k;
	char err[CMT_ERRLEN];
	int n, ns = map(venue("kraken"), "btc,eth");

	assert_int_equal(ws(venue("kraken"), ns, "{\"channel\":\"trade\",\"type\":"
		"\"update\",\"data\":[{\"symbol\":\"BTC/USD\",\"side\":\"sell\","
		"\"price\":26460.1,\"qty\":0.5,\"ord_type\":\"market\",\"trade_id\":"
		"4665906,\"timestamp\":\"2023-09-25T07:49:37.708706Z\"},{\"symbol\":"
		"\"ETH/USD\",\"side\":\"buy\",\"price\":1580.5,\"qty\":2,"
		"\"ord_type\":\"limit\",\"trade_id\":77,\"timestamp\":"
		"\"2023-09-25T07:49:38.000000Z\"}]}", t, &n, &k, err), CMT_OK);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].id, 4665906);
	assert_int_equal(t[0].tk.side, CMT_SIDE_SELL);
	assert_int_equal(t[0].tk.t, 1695628177708);
	assert_int_equal(t[1].sym, 1);
	assert_int_equal(t[1].tk.side, CMT_SIDE_BUY);
	assert_close(t[1].tk.vol, 2, 0);
	assert_int_equal(ws(venue("kraken"), ns, "{\"method\":\"subscribe\","
		"\"result\":{\"channel\":\"trade\",\"symbol\":\"BTC/USD\"},"
		"\"success\":true}", t, &n, &k, err), CMT_OK);
	assert_int_equal(k, CMT_WS_SUBSCRIBED);
	assert_int_equal(ws(venue("kraken"), ns, "{\"error\":\"Currency pair not "
		"supported FOO/USD\",\"method\":\"subscribe\",\"success\":false}",
		t, &n, &k, err), CMT_EVALUE);
	assert_int_equal(k, CMT_WS_SUBERR);
	assert_int_equal(ws(venue("kraken"), ns, "{\"channel\":\"heartbeat\"}",
		t, &n, &k, err), CMT_OK);
	assert_int_equal(k, CMT_WS_OTHER);
}

static void
okx_trades_push_covers_count_trades_up_to_its_trade_id(void **state)
{
	struct cmt_trade t[8];
	enum cmt_stream_kind k;
	char err[CMT_ERRLEN];
	int n, ns = map(venue("okx"), "eth,btc");

	/* the documented push: count 3 aggregates trades 130639472 ..
	 * 130639474, its tradeId the last; seqId is a number */
	assert_int_equal(ws(venue("okx"), ns, "{\"arg\": {\"channel\": \"trades\","
		"\"instId\": \"BTC-USDT\"}, \"data\": [{\"instId\": \"BTC-USDT\", "
		"\"tradeId\": \"130639474\", \"px\": \"42219.9\", \"sz\": "
		"\"0.12060306\", \"side\": \"buy\", \"ts\": \"1630048897897\", "
		"\"count\": \"3\", \"source\": \"0\", \"seqId\": 1234}]}", t, &n,
		&k, err), CMT_OK);
	assert_int_equal(k, CMT_WS_TRADES);
	assert_int_equal(n, 1);
	/* side is the taker's */
	trade_is(&t[0], 1, 130639474, 1630048897897LL, 42219.9, 0.12060306,
		CMT_SIDE_BUY);
	assert_int_equal(t[0].first_id, 130639472);
	assert_string_equal(t[0].tk.sym, "BTC-USDT");
	assert_string_equal(t[0].tk.src, "okx");
	/* the 2021 capture: no count, one trade; data may hold several */
	assert_int_equal(ws(venue("okx"), ns, "{\"arg\":{\"channel\":\"trades\","
		"\"instId\":\"ETH-USDT\"},\"data\":[{\"instId\":\"ETH-USDT\","
		"\"tradeId\":\"216970876\",\"px\":\"31684.5\",\"sz\":\"0.00001186\","
		"\"side\":\"sell\",\"ts\":\"1626531038288\"},{\"instId\":\"BTC-USDT\","
		"\"tradeId\":\"7\",\"px\":\"1\",\"sz\":\"2\",\"side\":\"buy\","
		"\"ts\":\"1626531038289\",\"count\":\"1\"}]}", t, &n, &k, err),
		CMT_OK);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].sym, 0);
	assert_int_equal(t[0].first_id, t[0].id);
	assert_int_equal(t[0].tk.side, CMT_SIDE_SELL);
	assert_int_equal(t[1].first_id, 7);
	/* a count of 0, one reaching below id 0, an instrument not
	 * subscribed: the message is refused whole */
	assert_int_equal(ws(venue("okx"), ns, "{\"arg\":{\"channel\":\"trades\"},"
		"\"data\":[{\"instId\":\"BTC-USDT\",\"tradeId\":\"9\",\"px\":\"1\","
		"\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\",\"count\":\"0\"}]}",
		t, &n, &k, err), CMT_ERANGE);
	assert_int_equal(n, 0);
	assert_int_equal(ws(venue("okx"), ns, "{\"arg\":{\"channel\":\"trades\"},"
		"\"data\":[{\"instId\":\"BTC-USDT\",\"tradeId\":\"9\",\"px\":\"1\","
		"\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\",\"count\":\"11\"}]}",
		t, &n, &k, err), CMT_ERANGE);
	assert_int_equal(ws(venue("okx"), ns, "{\"arg\":{\"channel\":\"trades\"},"
		"\"data\":[{\"instId\":\"SOL-USDT\",\"tradeId\":\"9\",\"px\":\"1\","
		"\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\"}]}", t, &n, &k, err),
		CMT_EVALUE);
	assert_int_equal(k, CMT_WS_OTHER);
}

static void
okx_events_confirm_or_refuse_the_subscription(void **state)
{
	struct cmt_trade t[8];
	enum cmt_stream_kind k;
	char err[CMT_ERRLEN];
	int n, ns = map(venue("okx"), "btc");

	assert_int_equal(ws(venue("okx"), ns, "{\"id\": \"1512\", \"event\": "
		"\"subscribe\", \"arg\": {\"channel\": \"trades\", \"instId\": "
		"\"BTC-USDT\"}, \"connId\": \"a4d3ae55\"}", t, &n, &k, err),
		CMT_OK);
	assert_int_equal(k, CMT_WS_SUBSCRIBED);
	/* the recorded refusal of an unknown instrument */
	assert_int_equal(ws(venue("okx"), ns, "{\"event\":\"error\",\"msg\":"
		"\"Wrong URL or channel:candle1s,instId:BTC-USDT-SWAP doesn't "
		"exist. Please use the correct URL, channel and parameters "
		"referring to API document.\",\"code\":\"60018\",\"connId\":"
		"\"2b5dc6ac\"}", t, &n, &k, err), CMT_EVALUE);
	assert_int_equal(k, CMT_WS_SUBERR);
	assert_non_null(strstr(err, "okx refused the subscription: Wrong URL "
		"or channel:candle1s,instId:BTC-USDT-SWAP"));
	assert_non_null(strstr(err, "(code 60018)"));
	/* a notice, an unsubscribe and a push of another channel: nothing
	 * to do */
	assert_int_equal(ws(venue("okx"), ns, "{\"event\":\"notice\",\"code\":"
		"\"64008\",\"msg\":\"The connection will soon be closed for a "
		"service upgrade. Please reconnect.\",\"connId\":\"a4d3ae55\"}", t,
		&n, &k, err), CMT_OK);
	assert_int_equal(k, CMT_WS_OTHER);
	assert_int_equal(ws(venue("okx"), ns, "{\"arg\":{\"channel\":"
		"\"tickers\",\"instId\":\"BTC-USDT\"},\"data\":[{}]}", t, &n, &k,
		err), CMT_OK);
	assert_int_equal(k, CMT_WS_OTHER);
	assert_int_equal(n, 0);
}

static void
subscriptions_and_urls_in_each_exchanges_shape(void **state)
{
	char buf[512];
	struct cmt_stream_cursor c = { 41, -1, 0, "" };
	int ns = map(venue("binance"), "btc,eth");

	assert_true(cmt_stream_url(venue("binance"), "wss://h/stream", syms, ns,
		buf, sizeof buf) > 0);
	assert_string_equal(buf, "wss://h/stream?streams=btcusdt@aggTrade/"
		"ethusdt@aggTrade");
	assert_true(venue("binance")->subscribe(syms, ns, buf,
		sizeof buf) > 0);
	assert_string_equal(buf, "{\"method\":\"SUBSCRIBE\",\"params\":["
		"\"btcusdt@aggTrade\",\"ethusdt@aggTrade\"],\"id\":1}");
	assert_true(venue("binance")->fill_url("http://r", &syms[0],
		&c, buf, sizeof buf) > 0);
	assert_string_equal(buf, "http://r/api/v3/aggTrades?symbol=BTCUSDT"
		"&fromId=42&limit=1000");
	assert_int_equal(cmt_stream_url(venue("binance"), "wss://h/stream",
		syms, ns, buf, 20), -1);
	ns = map(venue("coinbase"), "btc");
	venue("coinbase")->subscribe(syms, ns, buf, sizeof buf);
	assert_string_equal(buf, "{\"type\":\"subscribe\",\"product_ids\":"
		"[\"BTC-USD\"],\"channels\":[\"matches\"]}");
	c.before_id = 99;
	venue("coinbase")->fill_url("http://r", &syms[0], &c, buf,
		sizeof buf);
	assert_string_equal(buf, "http://r/products/BTC-USD/trades?limit=1000"
		"&after=99");
	ns = map(venue("kraken"), "btc");
	venue("kraken")->subscribe(syms, ns, buf, sizeof buf);
	assert_string_equal(buf, "{\"method\":\"subscribe\",\"params\":{"
		"\"channel\":\"trade\",\"snapshot\":false,\"symbol\":"
		"[\"BTC/USD\"]}}");
	c.from_ms = 1700000001999;
	venue("kraken")->fill_url("http://r", &syms[0], &c, buf,
		sizeof buf);
	assert_string_equal(buf, "http://r/0/public/Trades?pair=XBTUSD"
		"&count=1000&since=1700000001");
	/* OKX: every instrument on the public URL; trades back from an
	 * id (after: older than it), 100 a page */
	ns = map(venue("okx"), "btc,eth");
	assert_true(cmt_stream_url(venue("okx"), venue("okx")->ws_url, syms,
		ns, buf, sizeof buf) > 0);
	assert_string_equal(buf, "wss://ws.okx.com:8443/ws/v5/public");
	venue("okx")->subscribe(syms, ns, buf, sizeof buf);
	assert_string_equal(buf, "{\"op\":\"subscribe\",\"args\":[{\"channel\":"
		"\"trades\",\"instId\":\"BTC-USDT\"},{\"channel\":\"trades\","
		"\"instId\":\"ETH-USDT\"}]}");
	assert_int_equal(venue("okx")->fill_order, CMT_FILL_BACKWARD);
	assert_string_equal(venue("okx")->ws_ping, "ping");
	assert_string_equal(venue("okx")->ws_pong, "pong");
	c.before_id = 242720720;
	venue("okx")->fill_url("http://r", &syms[1], &c, buf, sizeof buf);
	assert_string_equal(buf, "http://r/api/v5/market/history-trades?"
		"instId=ETH-USDT&type=1&limit=100&after=242720720");
	c.before_id = -1;
	venue("okx")->fill_url("http://r", &syms[1], &c, buf, sizeof buf);
	assert_string_equal(buf, "http://r/api/v5/market/history-trades?"
		"instId=ETH-USDT&type=1&limit=100");
}

static void
rest_pages_parse_in_each_shape(void **state)
{
	static struct cmt_trade t[16];
	char err[CMT_ERRLEN], since[32] = "";
	const char *k = "{\"error\":[],\"result\":{\"XXBTZUSD\":[[\"30243.40000\","
		"\"0.34507674\",1688669597.8277369,\"b\",\"m\",\"\",61044952],"
		"[\"30243.30000\",\"0.00100000\",1688669598.1,\"s\",\"l\",\"\","
		"61044953]],\"last\":\"1688671969993150842\"}}";
	const char *cb = "[{\"time\":\"2014-11-07T22:19:28.578544Z\",\"trade_id\":"
		"74,\"price\":\"10.00000000\",\"size\":\"0.01000000\",\"side\":"
		"\"buy\"},{\"time\":\"2014-11-07T01:08:43.642366Z\",\"trade_id\":73,"
		"\"price\":\"100.00000000\",\"size\":\"0.01000000\",\"side\":"
		"\"sell\"}]";
	int n;

	map(venue("kraken"), "btc");
	assert_int_equal(cmt_ingest_fill(venue("kraken"), k, strlen(k),
		&syms[0], 0, t, 16, &n, since, err), CMT_OK);
	assert_int_equal(n, 2);
	assert_string_equal(since, "1688671969993150842");
	assert_int_equal(t[0].id, 61044952);
	assert_int_equal(t[0].tk.t, 1688669597828);
	assert_int_equal(t[0].tk.side, CMT_SIDE_BUY);
	assert_int_equal(t[1].tk.side, CMT_SIDE_SELL);
	assert_close(t[0].tk.vol, 0.34507674, 0);
	map(venue("coinbase"), "btc");
	assert_int_equal(cmt_ingest_fill(venue("coinbase"), cb,
		strlen(cb), &syms[0], 0, t, 16, &n, since, err), CMT_OK);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].id, 74);
	/* the maker bought: the taker sold */
	assert_int_equal(t[0].tk.side, CMT_SIDE_SELL);
	assert_int_equal(t[1].tk.side, CMT_SIDE_BUY);
	assert_int_equal(cmt_ingest_fill(venue("coinbase"), "{}", 2,
		&syms[0], 0, t, 16, &n, since, err), CMT_ETYPE);
}

static enum cmt_err
okx_fill(const char *body, struct cmt_trade *t, int *n, char *err)
{
	char next[32];

	return cmt_ingest_fill(venue("okx"), body, strlen(body), &syms[0], 0,
		t, 16, n, next, err);
}

static void
okx_history_trades_come_newest_first_in_the_envelope(void **state)
{
	static struct cmt_trade t[16];
	char err[CMT_ERRLEN];
	int n;

	map(venue("okx"), "btc");
	/* the documented page; REST rows are single fills (no count) */
	assert_int_equal(okx_fill("{\"code\": \"0\", \"msg\": \"\", \"data\": "
		"[{\"instId\": \"BTC-USDT\", \"side\": \"sell\", \"sz\": "
		"\"0.00001\", \"source\": \"0\", \"px\": \"29963.2\", \"tradeId\": "
		"\"242720720\", \"ts\": \"1654161646974\"}, {\"instId\": "
		"\"BTC-USDT\", \"side\": \"buy\", \"sz\": \"0.00001\", \"source\": "
		"\"0\", \"px\": \"29964.1\", \"tradeId\": \"242720719\", \"ts\": "
		"\"1654161641568\"}]}", t, &n, err), CMT_OK);
	assert_int_equal(n, 2);
	trade_is(&t[0], 0, 242720720, 1654161646974LL, 29963.2, 0.00001,
		CMT_SIDE_SELL);
	assert_int_equal(t[0].first_id, 242720720);
	trade_is(&t[1], 0, 242720719, 1654161641568LL, 29964.1, 0.00001,
		CMT_SIDE_BUY);
	assert_string_equal(t[1].tk.sym, "BTC-USDT");
	assert_int_equal(okx_fill("{\"code\":\"0\",\"msg\":\"\",\"data\":[]}",
		t, &n, err), CMT_OK);
	assert_int_equal(n, 0);
	/* an unknown instrument is refused for good; the rate limit passes */
	assert_int_equal(okx_fill("{\"code\":\"51001\",\"data\":[],\"msg\":"
		"\"Instrument ID does not exist\"}", t, &n, err), CMT_EVALUE);
	assert_string_equal(err, "okx: Instrument ID does not exist (code "
		"51001)");
	assert_int_equal(okx_fill("{\"msg\":\"Too Many Requests\",\"code\":"
		"\"50011\"}", t, &n, err), CMT_EIO);
	assert_int_equal(n, 0);
	/* the one JSON rule: a key named twice is malformed */
	assert_int_equal(okx_fill("{\"code\":\"0\",\"msg\":\"\",\"data\":[{"
		"\"instId\":\"BTC-USDT\",\"px\":\"1\",\"px\":\"29963.2\","
		"\"sz\":\"1\",\"side\":\"buy\",\"tradeId\":\"5\",\"ts\":\"1\"}]}",
		t, &n, err), CMT_ESYNTAX);
	assert_non_null(strstr(err, "duplicate key \"px\""));
}

static enum cmt_err
tick(const char *s, struct cmt_tick *tk, char *err)
{
	return cmt_tick_parse_json(s, strlen(s), tk, err);
}

static void
tick_side_round_trips_and_is_checked(void **state)
{
	struct cmt_tick tk;
	struct cmt_tick_decoder d;
	char err[CMT_ERRLEN], line[CMT_TICK_LINE_MAX];
	const char *s = "{\"t\":5,\"sym\":\"BTC-USD\",\"px\":2.5,\"vol\":0.5,"
		"\"side\":\"sell\",\"src\":\"kraken\"}\n";

	assert_int_equal(cmt_tick_parse_json(s, strlen(s) - 1, &tk, err),
		CMT_OK);
	assert_int_equal(tk.side, CMT_SIDE_SELL);
	cmt_tick_format_json(&tk, line);
	assert_string_equal(line, s);
	assert_int_equal(tick("{\"t\":5,\"sym\":\"B-U\",\"px\":1,"
		"\"side\":\"up\"}", &tk, err), CMT_EVALUE);
	assert_int_equal(tick("{\"t\":5,\"sym\":\"B-U\",\"px\":1,"
		"\"side\":1}", &tk, err), CMT_ETYPE);
	assert_int_equal(tick("{\"t\":5,\"sym\":\"B-U\",\"px\":1,"
		"\"side\":\"buy\",\"side\":\"buy\"}", &tk, err), CMT_EVALUE);
	assert_int_equal(tick("{\"t\":5,\"sym\":\"B-U\",\"px\":1,"
		"\"side\":null}", &tk, err), CMT_OK);
	assert_int_equal(tk.side, CMT_SIDE_NONE);
	cmt_tick_format_json(&tk, line);
	assert_string_equal(line, "{\"t\":5,\"sym\":\"B-U\",\"px\":1}\n");
	cmt_tick_decoder_init(&d, CMT_TICK_AUTO);
	assert_int_equal(cmt_tick_decode(&d, "t,sym,px,side", 13, &tk, err),
		CMT_ESKIP);
	assert_int_equal(cmt_tick_decode(&d, "1,B-U,2,buy", 11, &tk, err),
		CMT_OK);
	assert_int_equal(tk.side, CMT_SIDE_BUY);
	assert_int_equal(cmt_tick_decode(&d, "1,B-U,2,", 8, &tk, err), CMT_OK);
	assert_int_equal(tk.side, CMT_SIDE_NONE);
	assert_int_equal(cmt_tick_decode(&d, "1,B-U,2,Buy", 11, &tk, err),
		CMT_EVALUE);
}

/* The oracle: ids of (lo, upto) that no trade covers, counted one by one,
 * and their ranges spelled as the report spells them. */
static long long
holes_by_id(const struct cmt_trade *t, int n, int64_t lo, int64_t upto,
	char *buf, size_t cap)
{
	long long count = 0;
	int64_t id, start = -1;
	size_t len = 0;
	int i, covered;

	buf[0] = '\0';
	for (id = lo + 1; id <= upto; id++) {
		covered = id == upto;
		for (i = 0; i < n && !covered; i++)
			covered = t[i].first_id <= id && id <= t[i].id;
		if (!covered && id < upto) {
			count++;
			if (start < 0)
				start = id;
		} else if (start >= 0) {
			len += (size_t)snprintf(buf + len, cap - len, start ==
				id - 1 ? "%s%lld" : "%s%lld-%lld", len ? ", " : "",
				(long long)start, (long long)(id - 1));
			start = -1;
		}
	}
	return count;
}

static void
gap_fill_holes_are_the_ids_no_trade_covers(void **state)
{
	struct cmt_trade t[40];
	char got[512], want[512];
	uint64_t rng = 7;
	int k, i, n;
	int64_t lo, upto;

	(void)state;
	for (k = 0; k < 2000; k++) {
		lo = 100 + (int64_t)(cmt_fetch_rand(&rng) % 5);
		upto = lo + 1 + (int64_t)(cmt_fetch_rand(&rng) % 30);
		n = (int)(cmt_fetch_rand(&rng) % 12);
		for (i = 0; i < n; i++) {
			memset(&t[i], 0, sizeof t[i]);
			t[i].id = lo - 3 + (int64_t)(cmt_fetch_rand(&rng) % 40);
			/* some records cover several trades (OKX) */
			t[i].first_id = t[i].id - (int64_t)(cmt_fetch_rand(&rng) %
				3 == 0 ? cmt_fetch_rand(&rng) % 4 : 0);
		}
		cmt_ingest_sort_trades(t, n);
		assert_int_equal(cmt_gapfill_holes(t, n, lo, upto, got,
			sizeof got), holes_by_id(t, n, lo, upto, want,
			sizeof want));
		assert_string_equal(got, want);
	}
	/* nothing gathered: the whole gap, one range */
	assert_int_equal(cmt_gapfill_holes(t, 0, 105, 120, got, sizeof got),
		14);
	assert_string_equal(got, "106-119");
	/* too many ranges for the room: the first ones, and a count */
	for (i = 0; i < 30; i++) {
		t[i].id = t[i].first_id = 1002 + 2 * i;
	}
	assert_int_equal(cmt_gapfill_holes(t, 30, 1000, 1062, got, 40), 31);
	assert_string_equal(got, "1001, 1003 and 29 more");
}

static struct cmt_trade
trade_at(int64_t id, int64_t t)
{
	struct cmt_trade tr;

	memset(&tr, 0, sizeof tr);
	tr.id = tr.first_id = id;
	tr.tk.t = t;
	tr.tk.px = 1;
	return tr;
}

static void
ids_going_back_are_duplicates_until_three_later_trades_renumber(
	void **state)
{
	struct cmt_ingest in = { .src = NULL };
	struct cmt_fetch_sym s;
	struct cmt_trade t;
	int64_t now = 2000000000000LL, i;

	(void)state;
	memset(&s, 0, sizeof s);
	s.last_id = -1;
	for (i = 1; i <= 10; i++) {
		t = trade_at(100 + i, 1000 * i);
		assert_int_equal(cmt_ingest_trade(&in, &s, &t, now),
			CMT_INGEST_TAKE);
	}
	/* a trade written again (its own time) is a duplicate, however
	 * often, and never starts a renumbering */
	for (i = 0; i < 5; i++) {
		t = trade_at(105, 5000);
		assert_int_equal(cmt_ingest_trade(&in, &s, &t, now),
			CMT_INGEST_DUP);
	}
	assert_int_equal(in.dups, 5);
	/* later trades under old ids: two are held to be duplicates, the
	 * third in a row confirms the new numbering */
	t = trade_at(11, 11000);
	assert_int_equal(cmt_ingest_trade(&in, &s, &t, now), CMT_INGEST_DUP);
	t = trade_at(12, 12000);
	assert_int_equal(cmt_ingest_trade(&in, &s, &t, now), CMT_INGEST_DUP);
	t = trade_at(13, 13000);
	assert_int_equal(cmt_ingest_trade_check(&in, &s, &t, now),
		CMT_INGEST_DUP);
	assert_int_equal(cmt_ingest_dup(&in, &s, &t), 1);
	assert_int_equal(s.last_id, 10);        /* before the first of them */
	assert_int_equal(in.renumbered, 1);
	assert_int_equal(in.dups, 5);           /* the two were not */
	/* a break in the run starts it again */
	t = trade_at(14, 14000);
	assert_int_equal(cmt_ingest_trade(&in, &s, &t, now), CMT_INGEST_TAKE);
	t = trade_at(3, 15000);
	assert_int_equal(cmt_ingest_trade(&in, &s, &t, now), CMT_INGEST_DUP);
	t = trade_at(7, 16000);
	assert_int_equal(cmt_ingest_trade(&in, &s, &t, now), CMT_INGEST_DUP);
	t = trade_at(8, 17000);
	assert_int_equal(cmt_ingest_trade(&in, &s, &t, now), CMT_INGEST_DUP);
	assert_int_equal(s.last_id, 14);
}

static void
a_trade_stamped_before_the_last_one_is_skipped_its_id_spent(
	void **state)
{
	struct cmt_ingest in = { .src = NULL };
	struct cmt_fetch_sym s;
	struct cmt_trade t;
	int64_t now = 2000000000000LL;

	(void)state;
	memset(&s, 0, sizeof s);
	s.last_id = -1;
	t = trade_at(100, 50000);
	assert_int_equal(cmt_ingest_trade(&in, &s, &t, now), CMT_INGEST_TAKE);
	/* within the slack a venue's clock may step back */
	t = trade_at(101, 50000 - CMT_INGEST_ORDER_SLACK_MS);
	assert_int_equal(cmt_ingest_trade(&in, &s, &t, now), CMT_INGEST_TAKE);
	t = trade_at(9000000000000000LL, 47000);
	assert_int_equal(cmt_ingest_trade(&in, &s, &t, now), CMT_INGEST_OLD);
	assert_int_equal(s.last_id, 9000000000000000LL);
	assert_int_equal(s.last_trade_t, 50000 - CMT_INGEST_ORDER_SLACK_MS);
	assert_int_equal(in.old, 1);
}

static void
messages_with_a_nul_or_not_utf8_are_malformed(void **state)
{
	static const char nul[] = "{\"a\":\x00 1}";
	struct cJSON *root;
	char err[CMT_ERRLEN];

	(void)state;
	assert_int_equal(cmt_ingest_json(nul, sizeof nul - 1, &root, err),
		CMT_ESYNTAX);
	assert_string_equal(err, "malformed JSON: a NUL byte");
	assert_int_equal(cmt_ingest_json("{\"a\":\"\xff\"}", 9, &root, err),
		CMT_ESYNTAX);
	assert_string_equal(err, "malformed JSON: not UTF-8");
	assert_int_equal(cmt_ingest_json("{\"a\":\"\xc3\xa9\"}", 10, &root,
		err), CMT_OK);
	cJSON_Delete(root);
}

static void
excerpts_of_a_peers_text_are_one_clean_line(void **state)
{
	char buf[16];

	(void)state;
	cmt_excerpt(buf, sizeof buf, "\x1b[2Jhi\r\nthere", 13);
	assert_string_equal(buf, " [2Jhi  there");
	cmt_excerpt(buf, sizeof buf, "a\xff\xc3\xa9" "b", 5);
	assert_string_equal(buf, "a?\xc3\xa9" "b");
	cmt_excerpt(buf, sizeof buf, "0123456789abcdefghij", 20);
	assert_string_equal(buf, "0123456789ab...");
	/* a character cut by the end of the text is not written in part */
	cmt_excerpt(buf, sizeof buf, "ab\xc3", 3);
	assert_string_equal(buf, "ab?");
	cmt_excerpt(buf, sizeof buf, "", 0);
	assert_string_equal(buf, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(binance_aggtrade_gives_a_tick_with_taker_side),
		cmocka_unit_test(bad_messages_are_errors_without_trades),
		cmocka_unit_test(
			coinbase_match_side_is_the_makers_so_the_taker_is_opposite),
		cmocka_unit_test(kraken_v2_trade_message_may_hold_several_trades),
		cmocka_unit_test(
			okx_trades_push_covers_count_trades_up_to_its_trade_id),
		cmocka_unit_test(okx_events_confirm_or_refuse_the_subscription),
		cmocka_unit_test(subscriptions_and_urls_in_each_exchanges_shape),
		cmocka_unit_test(rest_pages_parse_in_each_shape),
		cmocka_unit_test(
			okx_history_trades_come_newest_first_in_the_envelope),
		cmocka_unit_test(tick_side_round_trips_and_is_checked),
		cmocka_unit_test(gap_fill_holes_are_the_ids_no_trade_covers),
		cmocka_unit_test(
			ids_going_back_are_duplicates_until_three_later_trades_renumber),
		cmocka_unit_test(
			a_trade_stamped_before_the_last_one_is_skipped_its_id_spent),
		cmocka_unit_test(
			messages_with_a_nul_or_not_utf8_are_malformed),
		cmocka_unit_test(excerpts_of_a_peers_text_are_one_clean_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
