/* Public trade streams over WebSocket for cmt-fetch --stream: Binance
 * aggTrade (combined streams), Coinbase Exchange "matches" and Kraken
 * WebSocket v2 "trade".  One tick per trade: px = price, vol = size, side =
 * the taker's side, t = the trade time.
 *
 * The client is libwebsockets (TLS, framing, ping/pong, close handshake);
 * this module builds the subscription, parses the exchanges' messages,
 * and keeps the trade sequence whole:
 *
 * - Trade ids are consecutive per symbol on all three exchanges.  A trade
 *   whose id is more than one past the last emitted one (after a
 *   reconnect, or a message that was skipped as malformed or oversized)
 *   first has the missing ids fetched from the REST trades endpoint
 *   (Binance aggTrades?fromId=, Coinbase trades?after= paged back, Kraken
 *   Trades?since=) and emitted in order; a trade id at or below the last
 *   emitted one is a duplicate and dropped (counted).
 * - With a warm-start time (cmt_stream_opts.from_ms) the first trade of
 *   each symbol is preceded by every trade since that time, from REST, so
 *   live data continues 1-minute history bars without a gap.
 * - Reconnects use the caller's backoff with jitter; the backoff restarts
 *   after a connection that was subscribed.  A quiet connection is pinged
 *   and dropped when no pong comes.  A subscription error is permanent.
 *
 * Parsers are pure functions; cmt_stream_run owns the libwebsockets
 * context, one cmt_http client for the REST fills and its buffers. */
#ifndef CMT_STREAM_H
#define CMT_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_fetch.h"
#include "cmt_tick.h"

#define CMT_STREAM_MSG_MAX (1u << 20)   /* larger messages are skipped */
#define CMT_STREAM_FILL_PAGE 1000       /* REST trades per request */
#define CMT_STREAM_FILL_MAX 100000      /* trades per gap fill */

struct cmt_trade {
	int64_t id;
	int sym;                /* index into the symbol array */
	struct cmt_tick tk;     /* sym, src, side, has_vol filled in */
};

enum cmt_stream_kind {
	CMT_WS_TRADES,          /* *n trades in out */
	CMT_WS_SUBSCRIBED,      /* the server confirmed a subscription */
	CMT_WS_SUBERR,          /* subscription refused: message in err */
	CMT_WS_OTHER            /* heartbeat, status, pong: nothing to do */
};

/* The default WebSocket endpoint of src; NULL for coingecko. */
const char *cmt_stream_default_url(enum cmt_fetch_source src);

/* 0 when url is ws:// or wss://, else -1. */
int cmt_stream_check_url(const char *url);

/* The URL to connect to (Binance: base + ?streams=...; the others: base)
 * and the subscription message; -1 when buf is too small. */
int cmt_stream_url(enum cmt_fetch_source src, const char *base,
	const struct cmt_fetch_sym *syms, int nsym, char *buf, size_t cap);
int cmt_stream_subscribe(enum cmt_fetch_source src,
	const struct cmt_fetch_sym *syms, int nsym, char *buf, size_t cap);

/* Parse one text message.  Trades in message order into out[0 .. *n).
 * Errors (malformed JSON, a trade without id/price/size/time, a symbol
 * not subscribed) leave a reason in err. */
enum cmt_err cmt_stream_parse(enum cmt_fetch_source src, const char *msg,
	size_t len, const struct cmt_fetch_sym *syms, int nsym,
	struct cmt_trade *out, int cap, int *n, enum cmt_stream_kind *kind,
	char *err);

/* REST gap fill.  A page request for syms[i] is described by a cursor:
 * after_id >= 0: trades with id > after_id (Binance fromId; Kraken since
 * = since, its time in ns); before_id >= 0: trades with id < before_id,
 * newest first (Coinbase after=); else trades from from_ms on. */
struct cmt_stream_cursor {
	int64_t after_id, before_id, from_ms;
	char since[32];         /* Kraken: the "last" of the previous page */
};

int cmt_stream_fill_url(enum cmt_fetch_source src, const char *base,
	const struct cmt_fetch_sym *s, const struct cmt_stream_cursor *cur,
	char *buf, size_t cap);

/* Parse a REST trades page into out[0 .. *n) as the API orders it
 * (Coinbase newest first, the others oldest first); Kraken's "last" goes
 * to next_since. */
enum cmt_err cmt_stream_parse_fill(enum cmt_fetch_source src,
	const char *body, size_t len, const struct cmt_fetch_sym *s, int si,
	struct cmt_trade *out, int cap, int *n, char *next_since, char *err);

struct cmt_stream_opts {
	const char *ws_url;     /* NULL: cmt_stream_default_url */
	int64_t ping_ms;        /* ping a connection quiet this long; a
	                           second span without a pong drops it */
	long long count;        /* stop after this many ticks; 0: never */
	int64_t from_ms;        /* warm start: first fill from here; 0: none */
};

struct cmt_stream_stats {
	long long trades, filled, dups, bad, reconnects, lost;
};

/* Stream until stop, count or duration (CMT_OK) or a permanent error
 * (subscription refused, REST fill refused, retry_max connection
 * failures in a row), described in err.  Uses c's src, base_url, syms,
 * backoff, retry_max, http, rng, stop, duration_ms, emit and warn. */
enum cmt_err cmt_stream_run(struct cmt_fetch_cfg *c,
	const struct cmt_stream_opts *o, struct cmt_stream_stats *st,
	char *err);

#endif
