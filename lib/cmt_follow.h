/* Rolling scores of a prediction stream (cmt-backtest --follow): one
 * metrics line per interval of stream time over the last `window` scored
 * rows, and, with a horizon, "one stream, both views": each forecast
 * passes through at once and is scored later, when the same symbol's
 * vector one horizon ahead arrives, by an outcome line
 *
 *   {"kind":"outcome","sym":"BTC-USDT","t":T,"t_out":T+H,"p_up":0.5123,
 *    "y":1,"hit":true,"px":97123.5,"px_out":97130.25}
 *
 * y compares the two grid prices exactly as cmt-features --label H does
 * (1 up, 0 down; an unchanged price is "flat" and not scored), and hit is
 * (p_up >= 0.5) == (y == 1), the accuracy's rule.  A labelled row (one
 * with "y") is scored by its own y at once.  With a horizon, per-symbol
 * metrics lines ("sym" after "kind") follow the overall one.
 *
 * Every vector passes batch mode's time rule (cmt_symtime.h): a repeat or
 * an older time of its symbol is skipped, and so is one more than
 * max_jump ahead unless its symbol's next confirms it.  A confirmed jump
 * moves its symbol's time, not the metrics clock of the others.
 *
 * Output goes through the caller's callback; the struct owns its state.
 * Each row costs O(log window); memory is fixed by the options: about
 * 65 bytes per row of each window (the overall one, and with a horizon
 * one per symbol) and 24 bytes per forecast waiting for its outcome (at
 * most CMT_FOLLOW_MAX_PENDING per symbol). */
#ifndef CMT_FOLLOW_H
#define CMT_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_fvec.h"
#include "cmt_symtime.h"

#define CMT_FOLLOW_MAX_PENDING 65536
#define CMT_FOLLOW_MAX_SYMBOLS 1024

struct cmt_follow_opts {
	int64_t every_ms;    /* metrics line per interval of stream time */
	size_t window;       /* scored rows in the rolling windows, >= 2 */
	int64_t horizon_ms;  /* > 0: score forecasts H later; 0: labels only */
	int pass;            /* copy each good input line to the output */
	/* A vector more than max_jump after its symbol's previous one is
	 * skipped unless the next confirms it (cmt_symtime.h; 0: no check) */
	int64_t max_jump_ms;
	/* Receives the output, whole lines or a line in pieces (an input
	 * line, then its newline).  The caller flushes when it would wait
	 * for input, so a live reader gets each line when it is due and a
	 * file's lines go out a buffer at a time. */
	void (*out)(void *ctx, const char *s, size_t n);
	void *ctx;
};

struct cmt_follow_stats {
	uint64_t scored;     /* rows added to the windows */
	uint64_t flat;       /* outcomes with an unchanged price */
	uint64_t missed;     /* forecasts whose symbol skipped time t+H */
	uint64_t overflow;   /* forecasts dropped past MAX_PENDING */
	uint64_t pending;    /* still waiting at the end */
	uint64_t partial;    /* provisional vectors ("partial":true), not scored */
	/* vectors skipped by the time rule, by class (cmt_symtime.h):
	 * repeated, before their symbol's last, too far ahead */
	uint64_t skipped[CMT_SYMTIME_NCLASS];
};

struct cmt_follow;

/* NULL when out of memory. */
struct cmt_follow *cmt_follow_new(const struct cmt_follow_opts *o);
void cmt_follow_free(struct cmt_follow *f);

/* One decoded vector v, its input line (without newline) and the wall
 * clock at its arrival.  CMT_ELIMIT past CMT_FOLLOW_MAX_SYMBOLS symbols,
 * CMT_EORDER when the time rule skips it (a time not after the symbol's
 * previous vector, or too far ahead: cmt_symtime.h), CMT_ENOMEM. */
enum cmt_err cmt_follow_add(struct cmt_follow *f, const struct cmt_fvec *v,
	const char *line, size_t len, int64_t now_ms, char *err);

/* At end of input: the last metrics lines, if rows came since. */
void cmt_follow_finish(struct cmt_follow *f);

void cmt_follow_stats(const struct cmt_follow *f, struct cmt_follow_stats *st);

#endif
