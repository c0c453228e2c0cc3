/* cmt-fetch's polling and history: symbols and --id-map, requests with
 * retries (backoff with caller-seeded jitter, Retry-After), the live poll
 * loop, history paging, the warm start and --resume.  What each venue
 * asks and answers is in its lib/source/ file, reached through the table
 * (cmt_source.h); every reading passes lib/ingest.c's rules.  The loops
 * own one cmt_http client and a tick buffer for the duration of the call.
 * Symbols are caller-owned. */
#ifndef CMT_FETCH_H
#define CMT_FETCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_http.h"
#include "cmt_ingest.h"
#include "cmt_source.h"
#include "cmt_tick.h"

#define CMT_FETCH_TRADE_PAGE 1000      /* trades in a full page */
#define CMT_FETCH_TRADE_PAGES_MAX 10   /* pages per symbol per poll */
#define CMT_FETCH_PAGE_TICKS 5000      /* per symbol per history page */
#define CMT_FETCH_SPAN_MIN_MS 3600000  /* history windows halve down to 1h */
#define CMT_FETCH_RETRY_AFTER_MAX (3600LL * 1000)

struct cmt_fetch_idmap {
	char sym[16];                 /* base, lower case, or BASE-QUOTE */
	char id[CMT_FETCH_ID_MAX];
};

struct cmt_warmup_result;
struct cmt_stream_stats;

struct cmt_backoff {
	int64_t base_ms, max_ms;
};

/* Parse "sym=id" into m. */
enum cmt_err cmt_fetch_idmap_parse(const char *s, struct cmt_fetch_idmap *m,
	char *err);

/* Map one --symbols item ("btc" or "BTC-USD") for src.  quote (may be
 * NULL: the source's default) completes a bare base; an --id-map entry
 * for the base or the pair names the venue's id. */
enum cmt_err cmt_fetch_map_symbol(const struct cmt_source *src,
	const char *arg, size_t len, const char *quote,
	const struct cmt_fetch_idmap *map, int nmap, struct cmt_fetch_sym *out,
	char *err);

/* Map a comma list of symbols into syms[0 .. *n), at most max; a symbol
 * given twice is an error. */
enum cmt_err cmt_fetch_map_symbols(const struct cmt_source *src,
	const char *list, const char *quote, const struct cmt_fetch_idmap *map,
	int nmap, struct cmt_fetch_sym *syms, int max, int *n, char *err);

/* --base-url is scheme://host[:port] (http or https), nothing after:
 * the tool adds each API's path itself.  CMT_EVALUE with a hint if not. */
enum cmt_err cmt_fetch_check_base_url(const char *url, char *err);

/* splitmix64 step on caller-owned state. */
uint64_t cmt_fetch_rand(uint64_t *state);

/* Delay before retry number attempt (1, 2, ...): base*2^(attempt-1) capped
 * at max, then jittered uniformly into [d/2, d].  A longer Retry-After
 * (>= 0; capped at CMT_FETCH_RETRY_AFTER_MAX) takes precedence. */
int64_t cmt_fetch_backoff_ms(const struct cmt_backoff *b, int attempt,
	int64_t retry_after_ms, uint64_t *rng);

/* First bar open time >= t (minute grid). */
int64_t cmt_fetch_minute_ceil(int64_t t);

/* Scan an existing tick file and set each symbol's last_t to its last
 * timestamp there.  *bad counts lines that did not parse. */
enum cmt_err cmt_fetch_resume_scan(const char *path,
	struct cmt_fetch_sym *syms, int nsym, long *bad, char *err);

struct cmt_fetch_cfg {
	const struct cmt_source *src;
	const char *base_url;
	const char *const *headers;   /* extra request headers, NULL-ended */
	struct cmt_fetch_sym *syms;
	int nsym;
	int64_t interval_ms, duration_ms;   /* live; duration 0: unlimited */
	long long count;                    /* live polls; 0: unlimited */
	int all;
	/* a reading stamped more than this ahead of the wall clock is
	 * reported and skipped (lib/ingest.c); 0: CMT_INGEST_MAX_AHEAD_MS */
	int64_t max_ahead_ms;
	int64_t from_ms, to_ms;             /* history */
	int64_t pace_ms;                    /* history: gap between requests */
	struct cmt_backoff backoff;
	long retry_max;                     /* consecutive failures; 0: inf */
	/* monotonic ms at which an optional step (the warm start, a gap
	 * fill) gives up: its requests are cut there and no retry starts
	 * that would end past it; 0: none */
	int64_t bound_ms;
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
	/* live: the warm start (lib/warmup.c) of warmup_ms before live data
	 * (0: none), bounded by warmup_bound_ms in all (0: its default);
	 * warmed
	 * (may be NULL) is told how it went, once, before live data */
	int64_t warmup_ms, warmup_bound_ms;
	void (*warmed)(void *ctx, const struct cmt_warmup_result *r);
	/* stream: a gap fill gives up after this long (0: its default) */
	int64_t fill_bound_ms;
	void *ctx;
	/* the rules every reading passes, and what they dropped; the loops
	 * set it up from the fields above (cmt_fetch_ingest) */
	struct cmt_ingest in;
};

/* c->in set up from c (source, max_ahead_ms, warn) if it is not yet;
 * returns it. */
struct cmt_ingest *cmt_fetch_ingest(struct cmt_fetch_cfg *c);

/* GET url and hand a 2xx answer to parse, retrying transient failures
 * (and answers parse rejects with anything but CMT_EVALUE) with c's
 * backoff, Retry-After and retry_max, reporting each retry through
 * c->warn.  deadline: monotonic ms after which a retry is not started,
 * the wait running out to it (0: none; --duration).  c->bound_ms cuts
 * a request and gives up at once (CMT_EIO) rather than wait for a retry
 * past it.  CMT_OK: parsed; CMT_ESKIP: stopped (signal or deadline);
 * else a permanent failure described in err. */
typedef enum cmt_err (*cmt_fetch_parse_fn)(void *arg,
	const struct cmt_http_resp *r, char *err);
enum cmt_err cmt_fetch_get(struct cmt_fetch_cfg *c, struct cmt_http *h,
	const char *url, int64_t deadline, cmt_fetch_parse_fn parse, void *arg,
	char *err);

/* One line through c->warn, printf-style. */
void cmt_fetch_say(struct cmt_fetch_cfg *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sleep ms in short slices so a signal ends the wait promptly; calls
 * c->idle first. */
void cmt_fetch_nap(const struct cmt_fetch_cfg *c, int64_t ms);

/* A cmt_http client for c (its stop flag set); NULL with err if not. */
struct cmt_http *cmt_fetch_http(struct cmt_fetch_cfg *c, char *err);

/* Warm start: emit the 1-minute bars of [M - span, M) for every symbol,
 * merged in time order, where M is the start of the current minute (the
 * bar still open is never emitted), and set *boundary = M.  Live data
 * then continues from M (each symbol's boundary) for every symbol that
 * got history: it counts as seen with last_t = M - 1, a poll emits only
 * readings stamped at or after M, and a trade-page poll sums the volume
 * of the trades since M.  A symbol whose requests fail goes without
 * (boundary 0: live at once) while the others go on: got[i] is the
 * number of ticks written of syms[i], failed[i] is set when its history
 * failed or was cut (c->bound_ms, the stop flag), and err says the first
 * failure.  The return value is an error only when nothing could run.
 * Uses the history settings of c (from, to, pace are overwritten);
 * lib/warmup.c runs it bounded, beside live data. */
enum cmt_err cmt_fetch_warmup(struct cmt_fetch_cfg *c, int64_t span_ms,
	int64_t *boundary, long long *got, int *failed, char *err);

/* The warm start (c->warmup_ms, bounded: it never holds live data back
 * longer than c->warmup_bound_ms, and a failure is told through
 * c->warmed), then polls until count/duration/stop (CMT_OK) or a
 * permanent error (message in err). */
enum cmt_err cmt_fetch_live(struct cmt_fetch_cfg *c, char *err);
enum cmt_err cmt_fetch_history(struct cmt_fetch_cfg *c, char *err);

/* The run's counts as one JSON object and a newline into buf (cap
 * bytes): mode, ticks written, the rules' skips; a stream's stats (st
 * may be NULL); the warm start's outcome (w may be NULL).  Its length, or
 * -1 when it does not fit. */
int cmt_fetch_summary_json(char *buf, size_t cap, const char *mode,
	long long ticks, const struct cmt_ingest *in,
	const struct cmt_stream_stats *st, const struct cmt_warmup_result *w);

#endif
