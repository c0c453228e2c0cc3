/* Price sources for cmt-fetch: symbol/id mapping, request URLs, parsing of
 * each API's responses into ticks, "is this data new" bookkeeping, backoff
 * with caller-seeded jitter, history paging, and the live/history loops.
 * Parsers and policy functions are pure; the loops own one cmt_http client
 * and a tick buffer for the duration of the call.  Symbols are caller-owned. */
#ifndef CMT_FETCH_H
#define CMT_FETCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_http.h"
#include "cmt_tick.h"

enum cmt_fetch_source {
	CMT_SRC_COINGECKO, CMT_SRC_BINANCE, CMT_SRC_COINBASE, CMT_SRC_KRAKEN
};

#define CMT_FETCH_ID_MAX 64
#define CMT_FETCH_MAX_SYMS 64
#define CMT_FETCH_KLINE_LIMIT 1000
#define CMT_FETCH_TRADE_PAGE 1000      /* aggTrades per request */
#define CMT_FETCH_MAX_AHEAD_MS 300000  /* 5 min: clocks differ, not by more */
#define CMT_FETCH_TRADE_PAGES_MAX 10   /* pages per symbol per poll */
#define CMT_FETCH_PAGE_TICKS 5000      /* per symbol per history page */
#define CMT_FETCH_SPAN_MIN_MS 3600000  /* history windows halve down to 1h */
#define CMT_FETCH_RETRY_AFTER_MAX (3600LL * 1000)

struct cmt_fetch_sym {
	char sym[CMT_SYM_MAX];        /* BASE-QUOTE as emitted */
	char id[CMT_FETCH_ID_MAX];    /* bitcoin, BTCUSDT, BTC-USD, XBTUSD */
	char alt[CMT_FETCH_ID_MAX];   /* kraken's legacy result key, XXBTZUSD */
	char vs[16];                  /* coingecko vs_currency, lower case */
	/* live state */
	int seen;                     /* a tick was emitted or observed */
	int64_t last_t;
	double last_px, last_aux;
	int64_t last_trade;           /* binance aggTrades id; -1: none yet */
	double pending_vol;           /* traded since the last emitted tick */
	int have_pending;
	/* history: emit only ticks with t > after_t (resume) */
	int64_t after_t;
	/* warm start: live data from this time on (binance's first poll
	 * asks the trades since then; its volume is their sum); 0: none */
	int64_t live_from;
};

/* One symbol's reading from one response. */
struct cmt_fetch_obs {
	struct cmt_tick tk;
	int ok;                       /* 0: absent or nothing new in the body */
	int src_time;                 /* tk.t came from the source */
	double aux;                   /* change marker: trade id or count */
	int64_t trade;                /* binance aggTrades: last trade id */
	int ntrades;                  /* binance aggTrades: new trades read */
};

struct cmt_fetch_idmap {
	char sym[16];                 /* base, lower case, or BASE-QUOTE */
	char id[CMT_FETCH_ID_MAX];
};

struct cmt_backoff {
	int64_t base_ms, max_ms;
};

enum cmt_err cmt_fetch_source_parse(const char *name,
	enum cmt_fetch_source *src, char *err);
const char *cmt_fetch_source_name(enum cmt_fetch_source src);
const char *cmt_fetch_default_url(enum cmt_fetch_source src, int pro);
const char *cmt_fetch_default_quote(enum cmt_fetch_source src);

/* CoinGecko coin id for a lower-case base ("btc" -> "bitcoin"), or NULL. */
const char *cmt_fetch_coingecko_id(const char *base);

/* Parse "sym=id" into m. */
enum cmt_err cmt_fetch_idmap_parse(const char *s, struct cmt_fetch_idmap *m,
	char *err);

/* Map one --symbols item ("btc" or "BTC-USD") for src.  quote (may be
 * NULL: the source's default) completes a bare base. */
enum cmt_err cmt_fetch_map_symbol(enum cmt_fetch_source src, const char *arg,
	size_t len, const char *quote, const struct cmt_fetch_idmap *map,
	int nmap, struct cmt_fetch_sym *out, char *err);

/* Map a comma list of symbols into syms[0 .. *n), at most max; a symbol
 * given twice is an error. */
enum cmt_err cmt_fetch_map_symbols(enum cmt_fetch_source src,
	const char *list, const char *quote, const struct cmt_fetch_idmap *map,
	int nmap, struct cmt_fetch_sym *syms, int max, int *n, char *err);

/* 1 when one request serves all symbols (coingecko, kraken). */
int cmt_fetch_batched(enum cmt_fetch_source src);

/* Live request URL for syms[i] (all syms when batched); -1 if too long. */
int cmt_fetch_live_url(enum cmt_fetch_source src, const char *base,
	const struct cmt_fetch_sym *syms, int nsym, int i, char *buf,
	size_t cap);

/* --base-url is scheme://host[:port] (http or https), nothing after:
 * the tool adds each API's path itself.  CMT_EVALUE with a hint if not. */
enum cmt_err cmt_fetch_check_base_url(const char *url, char *err);

/* Parse a live response for syms[first .. first+n) into obs[0 .. n).
 * CMT_ESYNTAX/CMT_ETYPE/CMT_EMISSING: malformed (transient);
 * CMT_EVALUE: the API reported a permanent error (unknown pair). */
enum cmt_err cmt_fetch_parse_live(enum cmt_fetch_source src,
	const char *body, size_t len, const struct cmt_fetch_sym *syms,
	int first, int n, int64_t now_ms, struct cmt_fetch_obs *obs,
	char *err);

/* Decide whether obs is new for s and update s; 1 with *out filled when a
 * tick is to be emitted.  all: emit every reading, even repeated ones. */
int cmt_fetch_accept(struct cmt_fetch_sym *s, const struct cmt_fetch_obs *o,
	int all, const char *src_name, struct cmt_tick *out);

/* A cJSON number, or a string holding one, that is finite: 0, else -1.
 * _whole: also a whole number in [0, 9e15]. */
struct cJSON;
int cmt_fetch_json_num(const struct cJSON *it, double *out);
int cmt_fetch_json_whole(const struct cJSON *it, int64_t *out);

/* splitmix64 step on caller-owned state. */
uint64_t cmt_fetch_rand(uint64_t *state);

/* Delay before retry number attempt (1, 2, ...): base*2^(attempt-1) capped
 * at max, then jittered uniformly into [d/2, d].  A longer Retry-After
 * (>= 0; capped at CMT_FETCH_RETRY_AFTER_MAX) takes precedence. */
int64_t cmt_fetch_backoff_ms(const struct cmt_backoff *b, int attempt,
	int64_t retry_after_ms, uint64_t *rng);

/* History: the time span one request covers, and the request URL for
 * [from, to) (ms).  Binance klines are 1-minute bars by open time;
 * CoinGecko's market_chart/range takes seconds. */
int64_t cmt_fetch_history_span_ms(enum cmt_fetch_source src);
int cmt_fetch_history_url(enum cmt_fetch_source src, const char *base,
	const struct cmt_fetch_sym *s, int64_t from, int64_t to, char *buf,
	size_t cap);

/* First bar open time >= t (minute grid). */
int64_t cmt_fetch_minute_ceil(int64_t t);

/* Parse a history page into ticks with open time (klines) or time
 * (market_chart) in [from, to), ascending.  Klines are stamped at their
 * close (open + 60000) with px = close and vol = bar volume.  *last_open
 * gets the last bar's open time seen (klines), for paging. */
enum cmt_err cmt_fetch_parse_history(enum cmt_fetch_source src,
	const char *body, size_t len, const struct cmt_fetch_sym *s,
	int64_t from, int64_t to, struct cmt_tick *out, int cap, int *n,
	int64_t *last_open, char *err);

/* Scan an existing tick file and set each symbol's after_t to its last
 * timestamp there.  *bad counts lines that did not parse. */
enum cmt_err cmt_fetch_resume_scan(const char *path,
	struct cmt_fetch_sym *syms, int nsym, long *bad, char *err);

struct cmt_fetch_cfg {
	enum cmt_fetch_source src;
	const char *base_url;
	const char *const *headers;   /* extra request headers, NULL-ended */
	struct cmt_fetch_sym *syms;
	int nsym;
	int64_t interval_ms, duration_ms;   /* live; duration 0: unlimited */
	long long count;                    /* live polls; 0: unlimited */
	int all;
	/* live: a reading stamped more than this ahead of the wall clock is
	 * reported and skipped (it would make every later reading look old);
	 * 0 means the default, CMT_FETCH_MAX_AHEAD_MS */
	int64_t max_ahead_ms;
	int64_t from_ms, to_ms;             /* history */
	int64_t pace_ms;                    /* history: gap between requests */
	struct cmt_backoff backoff;
	long retry_max;                     /* consecutive failures; 0: inf */
	struct cmt_http_opts http;
	uint64_t rng;
	volatile sig_atomic_t *stop;
	void (*emit)(void *ctx, const struct cmt_tick *tk);
	void (*warn)(void *ctx, const char *msg);
	/* may be NULL; final: the last call of the run */
	void (*progress)(void *ctx, const char *msg, int final);
	/* may be NULL: called before every wait (a request, a pause), so
	 * the tool can flush what it has written */
	void (*idle)(void *ctx);
	void *ctx;
};

/* GET url and hand a 2xx answer to parse, retrying transient failures
 * (and answers parse rejects with anything but CMT_EVALUE) with c's
 * backoff, Retry-After and retry_max, reporting each retry through
 * c->warn.  deadline: monotonic ms after which a retry is not started
 * (0: none).  CMT_OK: parsed; CMT_ESKIP: stopped (signal or deadline);
 * else a permanent failure described in err. */
typedef enum cmt_err (*cmt_fetch_parse_fn)(void *arg,
	const struct cmt_http_resp *r, char *err);
enum cmt_err cmt_fetch_get(struct cmt_fetch_cfg *c, struct cmt_http *h,
	const char *url, int64_t deadline, cmt_fetch_parse_fn parse, void *arg,
	char *err);

/* Warm start: emit the 1-minute bars of [M - span, M) for every symbol,
 * merged in time order, where M is the start of the current minute (the
 * bar still open is never emitted), and set *boundary = M.  Live data
 * then continues from M: each symbol that got bars counts as seen with
 * last_t = M - 1, so a poll emits only readings stamped at or after M,
 * and binance's first poll sums the volume of the trades since M.  Uses
 * the history settings of c (from, to, pace are overwritten). */
enum cmt_err cmt_fetch_warmup(struct cmt_fetch_cfg *c, int64_t span_ms,
	int64_t *boundary, char *err);

/* Run until count/duration/stop (CMT_OK) or a permanent error (message in
 * err). */
enum cmt_err cmt_fetch_live(struct cmt_fetch_cfg *c, char *err);
enum cmt_err cmt_fetch_history(struct cmt_fetch_cfg *c, char *err);

#endif
