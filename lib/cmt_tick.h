/* The tick: one price observation, the contract between cmt tools.
 *
 * NDJSON: {"t":1732450000123,"sym":"BTC-USD","px":97123.5,"vol":0.0123,
 *          "src":"sim"}
 *   t    integer ms since the Unix epoch (UTC), 0 <= t < 2^53
 *   sym  BASE-QUOTE, letters and digits, upper-cased on input
 *   px   finite number > 0
 *   vol  optional finite number >= 0 (null means absent)
 *   side optional "buy" or "sell": the taker's side of a trade (null means
 *        absent)
 *   src  optional string: where it came from (a venue's name, "sim")
 *   o, h, l  optional, all three or none: the tick is a bar, px its close,
 *        t its close time, o, h, l its open, high and low (finite > 0,
 *        l <= o, px <= h)
 *   warm optional true: written by a warm start (history before live data)
 * Unknown fields are ignored by the parser (tools that pass ticks on pass
 * the original line through untouched).  Duplicate known fields are errors.
 * Written in the order t, sym, px, o, h, l, vol, side, src, warm.
 *
 * CSV: a header naming t, sym, px and optionally o, h, l, vol, side, src and
 * warm in any order (other columns ignored), then one row per tick.  No
 * quoting.
 *
 * A cmt_tick_decoder sniffs the format from the first non-blank line and
 * keeps the CSV column map; it owns no heap memory. */
#ifndef CMT_TICK_H
#define CMT_TICK_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"

#define CMT_SYM_MAX 24   /* including the NUL */
#define CMT_SRC_MAX 24

enum cmt_side { CMT_SIDE_NONE, CMT_SIDE_BUY, CMT_SIDE_SELL };

struct cmt_tick {
	int64_t t;
	double px;
	double o, h, l;      /* valid when has_bar */
	int has_bar;
	int warm;            /* from a warm start */
	double vol;          /* valid when has_vol */
	int has_vol;
	enum cmt_side side;  /* taker side of a trade; CMT_SIDE_NONE: absent */
	char sym[CMT_SYM_MAX];
	char src[CMT_SRC_MAX]; /* "" when absent */
};

enum cmt_tick_format { CMT_TICK_AUTO, CMT_TICK_JSON, CMT_TICK_CSV };

struct cmt_tick_decoder {
	enum cmt_tick_format format;
	int col_t, col_sym, col_px, col_vol, col_side, col_src, ncols;
	int col_o, col_h, col_l, col_warm;
};

void cmt_tick_decoder_init(struct cmt_tick_decoder *d,
	enum cmt_tick_format format);

/* Decode one line.  CMT_ESKIP for blank lines and the CSV header; other
 * errors leave a one-line reason in err. */
enum cmt_err cmt_tick_decode(struct cmt_tick_decoder *d, const char *line,
	size_t len, struct cmt_tick *tk, char *err);

enum cmt_err cmt_tick_parse_json(const char *line, size_t len,
	struct cmt_tick *tk, char *err);

/* The rules of every field of a filled tick (t, px, vol when has_vol,
 * o, h, l when has_bar), as the parsers apply them: for ticks made from
 * other formats (candles). */
enum cmt_err cmt_tick_check(struct cmt_tick *tk, char *err);

/* Validate and canonicalise a symbol (upper case) into out[CMT_SYM_MAX]. */
enum cmt_err cmt_tick_symbol(const char *s, size_t len, char *out,
	char *err);

/* Write tk as one NDJSON line with a trailing newline; returns the length.
 * buf needs CMT_TICK_LINE_MAX bytes. */
#define CMT_TICK_LINE_MAX 384
int cmt_tick_format_json(const struct cmt_tick *tk, char *buf);

#endif
