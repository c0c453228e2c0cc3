/* Public trade streams over WebSocket for cmt-fetch --stream: one tick per
 * trade (px = price, vol = size, side = the taker's side, t = the trade
 * time) from the venue's trade channel, through the table (cmt_source.h:
 * its URL, subscription and message parser).
 *
 * The client is libwebsockets (TLS, framing, ping/pong, close handshake);
 * this module keeps the connection: it reassembles messages (at most
 * CMT_STREAM_MSG_MAX; binary, malformed or oversized ones are skipped,
 * reported five per CMT_STREAM_REPORT_MS and the rest counted), hands
 * every trade to lib/tradeseq.c (which runs the warm start beside it,
 * fills gaps from REST on a thread while the socket is read, and writes
 * through lib/ingest.c's rules), and reconnects:
 *
 * - Reconnects use the caller's backoff with jitter; the backoff restarts
 *   after a connection that was subscribed.  A handshake or subscription
 *   not answered within the ping span is dropped and made again; a quiet
 *   connection is pinged and dropped when no answer comes; a venue that
 *   wants a text keepalive gets one whenever the client has sent nothing
 *   for half the ping span, however busy the stream (such a venue closes
 *   a connection silent on the client's side).  A subscription error is
 *   permanent.
 * - A peer's text (close reason, a bad message) is reported through
 *   cmt_excerpt: one line, no control characters.
 *
 * cmt_stream_run owns the libwebsockets context, the message buffer and
 * the trade sequence (lib/tradeseq.c) for the duration of the call. */
#ifndef CMT_STREAM_H
#define CMT_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_fetch.h"
#include "cmt_source.h"
#include "cmt_tick.h"

#define CMT_STREAM_MSG_MAX (1u << 20)   /* larger messages are skipped */
#define CMT_STREAM_MSG_TRADES 10000     /* more than such a message holds */
#define CMT_STREAM_REPORTS 5            /* bad messages told one by one */
#define CMT_STREAM_REPORT_MS 10000      /* ... in each such window */
#define CMT_STREAM_FILL_PAGE 1000       /* REST trades per request */
#define CMT_STREAM_FILL_MAX 100000      /* trades per gap fill */

/* 0 when url is ws:// or wss://, else -1. */
int cmt_stream_check_url(const char *url);

/* The URL to connect to for syms (the venue's, built on base, or base as
 * it is); -1 when buf is too small. */
int cmt_stream_url(const struct cmt_source *src, const char *base,
	const struct cmt_fetch_sym *syms, int nsym, char *buf, size_t cap);

struct cmt_stream_opts {
	const char *ws_url;     /* NULL: the venue's */
	int64_t ping_ms;        /* ping a connection quiet this long; a
	                           second span without a pong drops it */
	long long count;        /* stop after this many ticks; 0: never */
};

struct cmt_stream_stats {
	long long trades, filled, dups, bad, reconnects;
	long long missing;              /* ids no gap fill recovered */
	long long gaps;                 /* gaps not wholly recovered */
	long long held_dropped;         /* over the bound of held trades */
	long long output_dropped;       /* the caller's: a reader too slow */
	long long ahead, before;        /* skipped by the ingest rules */
};

/* Stream until stop, count or duration (CMT_OK) or a permanent error
 * (subscription refused, REST fill refused, retry_max connection
 * failures in a row), described in err.  Uses c's src, base_url, syms
 * (and their boundary), backoff, retry_max, http, rng, stop, duration_ms,
 * max_ahead_ms, emit and warn. */
enum cmt_err cmt_stream_run(struct cmt_fetch_cfg *c,
	const struct cmt_stream_opts *o, struct cmt_stream_stats *st,
	char *err);

#endif
