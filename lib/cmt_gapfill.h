/* A gap fill of a trade stream, bounded and beside the stream: the trades
 * one symbol is missing, fetched from the venue's REST trades (its fill
 * order: pages forward from the last id written, or from the warm start's
 * boundary; or back from the trade after the gap) by a thread of its own
 * with its own cmt_http, a snapshot of the symbol's state and a private
 * copy of the ingest rules (to page by; quiet), so the WebSocket is read
 * while it runs.  Its retries are reported through c->warn, from that
 * thread.  It gives up at its bound (--fill-timeout: requests are
 * cut there, no retry starts past it) or after CMT_STREAM_FILL_MAX
 * trades, keeping what it got.  It writes nothing: the caller takes its
 * trades, in id order, through the ingest rules (which drop a trade at or
 * below the last id written, whatever order or overlap the pages had),
 * then counts what is still missing with cmt_gapfill_holes.
 *
 * Memory: one page and the trades gathered, at most CMT_STREAM_FILL_MAX
 * of them (about 15 MB); freed by cmt_gapfill_free. */
#ifndef CMT_GAPFILL_H
#define CMT_GAPFILL_H

#include <stdint.h>

#include "cmt_err.h"
#include "cmt_fetch.h"

#define CMT_GAPFILL_BOUND_MS 30000      /* a fill's time, by default */

struct cmt_gapfill;

/* Start filling the gap of c->syms[si] before id upto (the first id the
 * stream's trade covers): ids after its last_id, or from its boundary
 * when no trade was written yet.  Gives up at the monotonic time
 * bound_ms.  wake (may be NULL) is called from the thread when it ends.
 * NULL with err when it cannot start. */
struct cmt_gapfill *cmt_gapfill_start(struct cmt_fetch_cfg *c, int si,
	int64_t upto, int64_t bound_ms, void (*wake)(void *arg), void *arg,
	char *err);

/* 1 when the fill has ended. */
int cmt_gapfill_done(struct cmt_gapfill *f);

/* Wait for its end (cutting it short first when stop is set).  Returns
 * the trades gathered, in id order (*n of them; valid until free), and
 * the symbol; *why is "" when the fill ran to its end, else why it gave
 * up (the bound, a refusal, a stop). */
const struct cmt_trade *cmt_gapfill_join(struct cmt_gapfill *f, int stop,
	int *n, int *si, int64_t *upto, const char **why);

void cmt_gapfill_free(struct cmt_gapfill *f);

/* The ids of (lo, upto) that trades t[0 .. n) (in id order, each
 * covering first_id .. id) do not cover: their count, and the first
 * ranges as "a-b, c, d-e" in buf (with "and N more" when they do not
 * all fit). */
long long cmt_gapfill_holes(const struct cmt_trade *t, int n, int64_t lo,
	int64_t upto, char *buf, size_t cap);

#endif
