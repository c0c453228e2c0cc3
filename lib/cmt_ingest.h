/* The one ingest path.  Every body a venue answers and every reading in it
 * enters here, whichever path fetched it (a poll, history, the warm start,
 * a trade stream, a REST gap fill), and every rule is applied once:
 *
 * - the one JSON rule: a body or message that names a key twice, holds
 *   a NUL byte or is not UTF-8 is malformed (cmt_ingest_json);
 * - plausible time: a reading stamped more than --max-ahead past the
 *   clock is reported and skipped (a trade's id is still consumed, so it
 *   is neither read again nor taken for a gap);
 * - the warm-start boundary: live data starts at the symbol's boundary;
 *   a live reading before it is covered by the bars already written;
 * - dedupe and order: a trade whose id is at or below the last one
 *   written is a duplicate, unless it is the CMT_INGEST_RENUMBER_AFTER-th
 *   in a row of consecutive ids all stamped after the last trade written:
 *   then the venue renumbered its trades, which is reported and followed
 *   (one glitched id must not silence a symbol for good); a trade stamped
 *   more than CMT_INGEST_ORDER_SLACK_MS before the last trade written is
 *   out of time order, reported and skipped (its id consumed); a reading
 *   without an id is new when its time is after the last one's (and, for
 *   readings stamped with the clock, when its price or change marker
 *   moved).
 *
 * The per-symbol state lives in struct cmt_fetch_sym (caller-owned); these
 * functions read and update it.  Parsed trees are freed before returning. */
#ifndef CMT_INGEST_H
#define CMT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_source.h"
#include "cmt_tick.h"

#define CMT_INGEST_MAX_AHEAD_MS 300000  /* 5 min: clocks differ, not by more */
#define CMT_INGEST_RENUMBER_AFTER 3     /* later trades below the last id */
#define CMT_INGEST_ORDER_SLACK_MS 1000  /* a venue's clock may step back */

struct cJSON;

/* Parse body under the one JSON rule (UTF-8, no NUL, no key twice).
 * CMT_ESYNTAX with the reason, else *root (the caller frees it with
 * cJSON_Delete). */
enum cmt_err cmt_ingest_json(const char *body, size_t len,
	struct cJSON **root, char *err);

/* ---- bodies, through the venue's parsers ---- */

/* A polled answer for syms[first .. first+n) into obs[0 .. n).
 * CMT_ESYNTAX/CMT_ETYPE/CMT_EMISSING: malformed (transient); CMT_EVALUE:
 * the venue refused for good (unknown pair). */
enum cmt_err cmt_ingest_live(const struct cmt_source *src, const char *body,
	size_t len, const struct cmt_fetch_sym *syms, int first, int n,
	int64_t now_ms, struct cmt_fetch_obs *obs, char *err);

/* A history page into out[*n ..] (ticks of [from, to), ascending, with
 * s's symbol and the venue's name); *last_open: the last bar's open. */
enum cmt_err cmt_ingest_history(const struct cmt_source *src,
	const char *body, size_t len, const struct cmt_fetch_sym *s,
	int64_t from, int64_t to, struct cmt_tick *out, int cap, int *n,
	int64_t *last_open, char *err);

/* One WebSocket text message: trades in message order into out[0 .. *n).
 * On an error no trade is returned and err says why. */
enum cmt_err cmt_ingest_message(const struct cmt_source *src,
	const char *msg, size_t len, const struct cmt_fetch_sym *syms,
	int nsym, struct cmt_trade *out, int cap, int *n,
	enum cmt_stream_kind *kind, char *err);

/* A REST trades page of syms[si] into out[0 .. *n), in the venue's
 * order; the venue's page token for the next request into next (32
 * bytes, "" when none). */
enum cmt_err cmt_ingest_fill(const struct cmt_source *src, const char *body,
	size_t len, const struct cmt_fetch_sym *s, int si,
	struct cmt_trade *out, int cap, int *n, char *next, char *err);

/* ---- readings, through the rules ---- */

struct cmt_ingest {
	const struct cmt_source *src;
	int64_t max_ahead_ms;           /* 0: CMT_INGEST_MAX_AHEAD_MS */
	/* reports a skipped reading; NULL: quiet */
	void (*warn)(void *ctx, const char *msg);
	void *ctx;
	/* what the rules dropped, and the renumberings followed */
	long long ahead, before, dups, old, renumbered;
};

enum cmt_ingest_verdict {
	CMT_INGEST_TAKE,        /* write it */
	CMT_INGEST_AHEAD,       /* stamped too far ahead of the clock */
	CMT_INGEST_BEFORE,      /* before the warm-start boundary */
	CMT_INGEST_DUP,         /* a trade written already */
	CMT_INGEST_OLD          /* a reading no newer than the last one; a
	                           trade out of time order */
};

/* A trade (streamed, filled, or from a polled trade page).  TAKE updates
 * s (last_id, last_trade_t); AHEAD and OLD are reported and consume the
 * id; BEFORE and DUP are counted (a DUP through cmt_ingest_dup). */
enum cmt_ingest_verdict cmt_ingest_trade(struct cmt_ingest *in,
	struct cmt_fetch_sym *s, const struct cmt_trade *t, int64_t now_ms);

/* A trade cmt_ingest_trade_check called a duplicate: counted as one (0),
 * unless it confirms that the venue renumbered (reported; s->last_id is
 * set before the first trade of the new numbering, 1: take t as new,
 * after the trades before it). */
int cmt_ingest_dup(struct cmt_ingest *in, struct cmt_fetch_sym *s,
	const struct cmt_trade *t);

/* What cmt_ingest_trade would say, changing nothing and saying nothing
 * (for pagers deciding whether to read further back). */
enum cmt_ingest_verdict cmt_ingest_trade_check(const struct cmt_ingest *in,
	const struct cmt_fetch_sym *s, const struct cmt_trade *t,
	int64_t now_ms);

/* A polled reading.  1 with *out (the symbol, the venue's name and the
 * volume traded since the last written tick) when it is to be written:
 * it is new, or all is set (every reading, even repeated ones, though
 * never one AHEAD or BEFORE).  Volume read with an unwritten reading is
 * carried to the next one written. */
int cmt_ingest_reading(struct cmt_ingest *in, struct cmt_fetch_sym *s,
	const struct cmt_fetch_obs *o, int all, int64_t now_ms,
	struct cmt_tick *out);

/* A history or warm-start tick (a bar at its close, or a point): TAKE
 * when after the last one written (s->last_t, which it then updates). */
enum cmt_ingest_verdict cmt_ingest_bar(struct cmt_ingest *in,
	struct cmt_fetch_sym *s, const struct cmt_tick *tk, int64_t now_ms);

/* The trades of a polled trade page (any order) summed into one reading
 * of s: the last price and time, the volume of the trades taken (when
 * there is a last trade or a boundary to count from), aux = the last
 * id.  o->ok = 0 when no trade was new. */
void cmt_ingest_trade_page(struct cmt_ingest *in, struct cmt_fetch_sym *s,
	struct cmt_trade *trades, int n, int64_t now_ms,
	struct cmt_fetch_obs *o);

/* Sort trades by id, ascending (a page in any order becomes the order
 * trades are written in). */
void cmt_ingest_sort_trades(struct cmt_trade *t, int n);

#endif
