/* Recordings that overlap, replayed as one: which ticks of a merge to
 * drop so that each (symbol, minute) comes once.  A daily recording
 * begins with a warm start (ticks marked "warm":true: history from before
 * the recorder started), which overlaps the live ticks of the day before;
 * a recording made twice (a bus replay after a crash) repeats lines.
 *
 * - A warm tick of a symbol is dropped when live (unmarked) ticks of
 *   that symbol cover it: the latest one written came less than a
 *   minute (a warm start's bar) before it, or at most
 *   CMT_OVERLAP_COVER_MS before it from a recording that goes on
 *   (another file with ticks at or after this one's time, or the same
 *   file: a restart appended to it), so sparse live ticks count too.
 * - A line identical to one another file gave for the same symbol and
 *   time is dropped (copies inside one file are kept: two trades may be
 *   alike).
 * Memory: about 300 bytes per symbol, at most CMT_OVERLAP_MAX_SYMS
 * symbols (ticks of further symbols are kept as they are). */
#ifndef CMT_OVERLAP_H
#define CMT_OVERLAP_H

#include <stddef.h>
#include <stdint.h>

#define CMT_OVERLAP_BAR_MS (60 * 1000)
#define CMT_OVERLAP_COVER_MS (5 * 60 * 1000)
#define CMT_OVERLAP_MAX_SYMS 65536

struct cmt_overlap;

struct cmt_overlap_stats {
	uint64_t warm_covered;   /* warm ticks dropped */
	uint64_t copies;         /* exact copies dropped */
};

/* For a merge of `files` recordings (copies are looked for only among two
 * or more); NULL when out of memory. */
struct cmt_overlap *cmt_overlap_new(int files);
void cmt_overlap_free(struct cmt_overlap *o);

/* Whether to write the tick (sym, t, warm) that file gave as line[0..len)
 * next in the merge: 1 write, 0 drop (counted).  goes_on(ctx, g, t) says
 * whether file g has ticks at or after t (still to come, or written). */
int cmt_overlap_keep(struct cmt_overlap *o, const char *sym, int64_t t,
	int warm, int file, const char *line, size_t len,
	int (*goes_on)(void *ctx, int file, int64_t t), void *ctx);

void cmt_overlap_stats(const struct cmt_overlap *o,
	struct cmt_overlap_stats *st);

#endif
