/* What the venue files of lib/source/ share: reading numbers that venues
 * send as strings or numbers, ISO times, and building the records the
 * parsers return (a bar, a trade).  Private to lib/source/. */
#ifndef CMT_VENUE_H
#define CMT_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_source.h"
#include "cmt_strbuf.h"

struct cJSON;

/* A member of an object (NULL if absent or o is not an object), and its
 * string value (NULL unless a string). */
const struct cJSON *cmt_venue_item(const struct cJSON *o, const char *k);
const char *cmt_venue_str(const struct cJSON *o, const char *k);

/* A JSON number, or a string holding one (venues send prices as
 * strings), that is finite: 0, else -1.  _whole: also a whole number in
 * [0, 9e15]. */
int cmt_venue_num(const struct cJSON *it, double *out);
int cmt_venue_whole(const struct cJSON *it, int64_t *out);

/* An ISO 8601 time in ms, or -1 (NULL or invalid). */
int64_t cmt_venue_iso_ms(const char *s);

/* obs->tk.px = px, which must be > 0 (else CMT_ERANGE naming what). */
enum cmt_err cmt_venue_set_px(struct cmt_fetch_obs *o, double px,
	const char *what, char *err);

/* One 1-minute bar: its open time (ms), open, high, low, close, volume. */
struct cmt_venue_bar {
	int64_t open;
	double o, h, l, c, vol;
};

/* Where a venue's bar row keeps each of them (array indexes, in the order
 * of struct cmt_venue_bar), and the unit of its time (1000: seconds). */
struct cmt_venue_bar_layout {
	int time, o, h, l, c, vol;
	int64_t time_unit_ms;
	int min_cols;
};

/* Read one bar row in its layout; 0, or -1 when it is not an array of at
 * least min_cols holding numbers where the layout says. */
int cmt_venue_bar_row(const struct cJSON *row,
	const struct cmt_venue_bar_layout *lay, struct cmt_venue_bar *b);

/* b into out[*n] when its open is in [from, to): a tick stamped at the
 * bar's close (open + 1 minute) with px = close, o/h/l its range and vol
 * the bar's volume.  The bar must open on the minute, have prices > 0, a
 * range that holds its open and close, and a volume >= 0. */
enum cmt_err cmt_venue_put_bar(const struct cmt_venue_bar *b, int64_t from,
	int64_t to, struct cmt_tick *out, int cap, int *n, char *err);

/* One trade of syms[si] from its parts; side: 'b' or 's' (the taker's),
 * 0 unknown.  The caller stamps the tick's sym and src. */
enum cmt_err cmt_venue_put_trade(struct cmt_trade *t, int si,
	const struct cmt_fetch_sym *s, const struct cJSON *id,
	const struct cJSON *px, const struct cJSON *qty, int64_t ms, int side,
	char *err);

/* The index of the symbol whose id is `id` (case aside), or -1. */
int cmt_venue_find_id(const struct cmt_fetch_sym *syms, int nsym,
	const char *id);

/* Reverse out[from .. to) in place (pages that come newest first). */
void cmt_venue_reverse_ticks(struct cmt_tick *out, int from, int to);

#endif
