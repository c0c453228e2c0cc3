/* The time rule of one symbol's stream, written once for every reader of
 * ticks or vectors (cmt-features, cmt-backtest in batch and --follow):
 * times strictly increase, so a repeat (a redelivered line) or an older
 * time is skipped; and one glitched far-future time must not silence the
 * symbol for good, so a time more than max_jump after the symbol's last
 * is skipped unless the symbol's next one is as far ahead, which confirms
 * a real jump.  A symbol's first time more than max_jump ahead of the wall
 * clock is skipped.  The caller owns the struct (zeroed: no time yet). */
#ifndef CMT_SYMTIME_H
#define CMT_SYMTIME_H

#include <stdint.h>

#include "cmt_err.h"

struct cmt_symtime {
	int64_t last_t;     /* the last time taken (when started) */
	int64_t jump_t;     /* a time skipped as a jump, or 0 */
	int started;        /* a time was taken */
};

/* Why a time was skipped: the summaries count each class. */
enum cmt_symtime_skip {
	CMT_SYMTIME_TAKEN,
	CMT_SYMTIME_REPEAT,     /* the same as the last one */
	CMT_SYMTIME_BEFORE,     /* before the last one */
	CMT_SYMTIME_JUMP,       /* more than max_jump ahead (--max-jump) */
	CMT_SYMTIME_NCLASS
};

/* Take time t of symbol sym (named in the message, as is noun: "tick",
 * "vector") or say why not: CMT_OK and last_t = t, or CMT_EORDER with one
 * line in err.  max_jump_ms 0: no jump check.  *why (may be NULL) gets the
 * class. */
enum cmt_err cmt_symtime_take(struct cmt_symtime *st, const char *sym,
	const char *noun, int64_t t, int64_t max_jump_ms,
	enum cmt_symtime_skip *why, char *err);

#endif
