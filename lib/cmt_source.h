/* Venues as a table, as curl describes protocols: each venue is one file in
 * lib/source/ defining one const struct cmt_source, its data (URLs, default
 * quote, history span and retention, rate-limit header, key header) and its
 * functions (symbol mapping, request URLs, response parsers).  A capability
 * a venue lacks is a NULL slot; the registry (lib/source/registry.c) lists
 * them.  Polling, history, warm start, streams and gap fills call through
 * the table and never name a venue.
 *
 * The parsers are pure: they read a cJSON tree that lib/ingest.c parsed
 * under the one JSON rule, and write into caller-owned arrays.  Every
 * reading they produce then passes the rules of lib/ingest.c (plausible
 * time, dedupe, order, the warm-start boundary) before it is written. */
#ifndef CMT_SOURCE_H
#define CMT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_tick.h"

#define CMT_FETCH_ID_MAX 64
#define CMT_FETCH_MAX_SYMS 64

struct cJSON;

/* One symbol of a run: what the venue calls it, and what was written of
 * it so far (the state of lib/ingest.c's rules).  Caller-owned. */
struct cmt_fetch_sym {
	char sym[CMT_SYM_MAX];        /* BASE-QUOTE as emitted */
	char id[CMT_FETCH_ID_MAX];    /* the venue's name of the pair or coin */
	char alt[CMT_FETCH_ID_MAX];   /* a second name it may answer with */
	char quote_id[16];            /* the quote as the venue asks for it */
	/* readings (polled, history, warm-start bars) */
	int seen;                     /* a reading was written or observed */
	int64_t last_t;               /* the last reading's time; history: the
	                                 time after which to continue */
	double last_px, last_aux;
	double pending_vol;           /* traded since the last written tick */
	int have_pending;
	/* trades (streamed, filled, polled trade pages) */
	int64_t last_id;              /* last trade id written or consumed;
	                                 -1: none yet */
	int64_t last_trade_t;         /* the latest time of a trade written */
	/* later trades in a row whose ids are at or below last_id: the
	 * venue may have renumbered (lib/ingest.c) */
	int64_t renum_first, renum_last;
	int renum_n;
	/* warm start: live data from this time on; 0: no warm start */
	int64_t boundary;
};

/* One symbol's reading from one polled response. */
struct cmt_fetch_obs {
	struct cmt_tick tk;
	int ok;                       /* 0: absent or nothing new in the body */
	int src_time;                 /* tk.t came from the source */
	double aux;                   /* change marker: a trade id or count */
	int ntrades;                  /* trade-page polls: trades taken */
};

/* One trade from a stream message or a REST trades page. */
struct cmt_trade {
	int64_t id;
	int64_t first_id;       /* the first trade an aggregated record
	                           covers; id when it covers one */
	int sym;                /* index into the symbol array */
	struct cmt_tick tk;     /* sym, src, side, has_vol filled in */
};

enum cmt_stream_kind {
	CMT_WS_TRADES,          /* *n trades in out */
	CMT_WS_SUBSCRIBED,      /* the server confirmed a subscription */
	CMT_WS_SUBERR,          /* subscription refused: message in err */
	CMT_WS_OTHER            /* heartbeat, status, pong: nothing to do */
};

/* A REST trades page request for one symbol: after_id >= 0: trades with
 * id > after_id; before_id >= 0: trades with id < before_id, newest
 * first; else from_ms > 0: trades from that time on; else the latest
 * trade alone.  cursor: the page token the venue returned last (its
 * "next" or "last"), "" at first. */
struct cmt_stream_cursor {
	int64_t after_id, before_id, from_ms;
	char cursor[32];
};

/* How gap fills walk a venue's REST trades. */
enum cmt_fill_order {
	CMT_FILL_FORWARD,       /* pages after a cursor, oldest first */
	CMT_FILL_BACKWARD       /* pages before an id, newest first */
};

struct cmt_source {
	/* ---- data ---- */
	const char *name;             /* --source and the ticks' "src" */
	const char *title;            /* in messages */
	const char *rest_url;         /* scheme://host of the REST API */
	const char *pro_rest_url;     /* with --pro; NULL: no pro plan */
	const char *ws_url;           /* the trade stream; NULL: none */
	const char *quote;            /* quote of a bare symbol */
	/* API key: where the tool finds it, the request header it goes in
	 * (the pro plan's header with --pro); NULL: no key */
	const char *key_env, *key_header, *pro_key_header;
	int batched;                  /* one live request serves all symbols */
	/* history: the window one request covers; how far back the venue
	 * keeps 1-minute bars (0: no limit); the default pause between
	 * requests; 1-minute bars by open time (stamped at their close) or
	 * points at their own time; whether a window may take several
	 * requests, each from the last bar's open */
	int64_t history_span_ms, history_keep_ms, pace_ms;
	int history_bars, history_paged;
	/* the response header that says how much of the per-minute request
	 * budget is used; requests pause at 80 % of it; NULL: none */
	const char *rate_header;
	long rate_budget;
	enum cmt_fill_order fill_order;
	/* polls read the REST trades page (fill_url/parse_fill) and sum the
	 * trades since the last poll, instead of live_url/parse_live */
	int live_trades;
	/* a text keepalive the venue wants on a quiet stream, and its
	 * answer; NULL: protocol pings only */
	const char *ws_ping, *ws_pong;

	/* ---- functions (NULL: the venue has no such capability) ---- */
	/* Fill s->id, s->alt, s->quote_id from s->sym's base and quote (the
	 * venue's spelling); id_map: an --id-map id given for the symbol, or
	 * NULL.  CMT_EVALUE with a hint when the venue cannot name it. */
	enum cmt_err (*map_symbol)(struct cmt_fetch_sym *s, const char *base,
		const char *quote, const char *id_map, char *err);
	/* Polling: the URL for syms[i] (all of them when batched) into buf;
	 * length or -1 when it does not fit; the parser fills obs[0 .. n)
	 * for syms[0 .. n).  CMT_EVALUE: the venue refused for good. */
	int (*live_url)(const char *base, const struct cmt_fetch_sym *syms,
		int nsym, int i, char *buf, size_t cap);
	enum cmt_err (*parse_live)(const struct cJSON *root,
		const struct cmt_fetch_sym *syms, int n, int64_t now_ms,
		struct cmt_fetch_obs *obs, char *err);
	/* History: [from, to) in ms (bar open times for bar venues); ticks
	 * of the window into out[*n ..], ascending; *last_open: the last
	 * bar's open time, for paging. */
	int (*history_url)(const char *base, const struct cmt_fetch_sym *s,
		int64_t from, int64_t to, char *buf, size_t cap);
	enum cmt_err (*parse_history)(const struct cJSON *root, int64_t from,
		int64_t to, struct cmt_tick *out, int cap, int *n,
		int64_t *last_open, char *err);
	/* Stream: the URL to connect to (NULL: the base as it is), the
	 * subscription message, and one message's trades. */
	int (*stream_url)(const char *base, const struct cmt_fetch_sym *syms,
		int nsym, char *buf, size_t cap);
	int (*subscribe)(const struct cmt_fetch_sym *syms, int nsym,
		char *buf, size_t cap);
	enum cmt_err (*parse_message)(const struct cJSON *root,
		const struct cmt_fetch_sym *syms, int nsym, struct cmt_trade *out,
		int cap, int *n, enum cmt_stream_kind *kind, char *err);
	/* REST trades (gap fills, and polls of live_trades venues): a page
	 * for cur into out[0 .. *n) in the venue's order; the page token for
	 * the next request into next (32 bytes; "" when it has none). */
	int (*fill_url)(const char *base, const struct cmt_fetch_sym *s,
		const struct cmt_stream_cursor *cur, char *buf, size_t cap);
	enum cmt_err (*parse_fill)(const struct cJSON *root,
		const struct cmt_fetch_sym *s, int si, struct cmt_trade *out,
		int cap, int *n, char *next, char *err);
};

/* ---- the registry ---- */

/* The venues, in the order --help lists them; the first is the default. */
int cmt_source_count(void);
const struct cmt_source *cmt_source_at(int i);
/* By name; NULL if unknown. */
const struct cmt_source *cmt_source_find(const char *name);
/* --source NAME; CMT_EVALUE naming the known ones if unknown. */
enum cmt_err cmt_source_parse(const char *name,
	const struct cmt_source **src, char *err);

/* Capabilities, for lists and checks. */
int cmt_source_has_stream(const struct cmt_source *s);
int cmt_source_has_key(const struct cmt_source *s);
int cmt_source_has_pro(const struct cmt_source *s);
int cmt_source_has_history(const struct cmt_source *s);

/* The names of the venues that have( ) (NULL: all) into buf, joined by
 * sep and, before the last, by last_sep ("a, b or c").  Returns buf. */
char *cmt_source_list(char *buf, size_t cap,
	int (*has)(const struct cmt_source *), const char *sep,
	const char *last_sep);

/* The default quote, then each other quote after the venues that use it:
 * "USD; venue-a, venue-b USDT".  Returns buf. */
char *cmt_source_quotes(char *buf, size_t cap);

/* The REST base URL (the pro one when pro and there is one). */
const char *cmt_source_rest_url(const struct cmt_source *s, int pro);

#endif
