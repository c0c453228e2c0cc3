/* The time rule of one symbol's stream (cmt_symtime.h). */
#include <stdio.h>

#include "cmt_clock.h"
#include "cmt_parse.h"
#include "cmt_symtime.h"

static enum cmt_err
skip(enum cmt_symtime_skip class, enum cmt_symtime_skip *why)
{
	if (why)
		*why = class;
	return CMT_EORDER;
}

/* One glitched timestamp costs one line: a time far ahead of the
 * symbol's stream (or, for its first, of the clock) is skipped unless the
 * next one confirms the jump. */
static int
implausible(struct cmt_symtime *st, int64_t t, int64_t max)
{
	if (st->started && t - st->last_t <= max) {
		st->jump_t = 0;
		return 0;
	}
	if (st->started && st->jump_t && t >= st->jump_t) {
		st->jump_t = 0;     /* a second time that far: a real jump */
		return 0;
	}
	if (!st->started)
		return t > cmt_clock_wall_ms() + max;
	st->jump_t = t;
	return 1;
}

enum cmt_err
cmt_symtime_take(struct cmt_symtime *st, const char *sym, const char *noun,
	int64_t t, int64_t max_jump_ms, enum cmt_symtime_skip *why, char *err)
{
	char when[32], by[32], ref[64] = "the clock", next[64] = "";

	if (max_jump_ms > 0 && implausible(st, t, max_jump_ms)) {
		cmt_format_time(t, when, sizeof when);
		cmt_format_duration(max_jump_ms, by, sizeof by);
		if (st->started) {
			snprintf(ref, sizeof ref, "the symbol's previous %s",
				noun);
			snprintf(next, sizeof next, "; a next %s as far ahead "
				"confirms a jump", noun);
		}
		cmt_errf(err, CMT_EORDER, "%s: timestamp %lld (%s) is more "
			"than %s ahead of %s (--max-jump): skipped%s", sym,
			(long long)t, when, by, ref, next);
		return skip(CMT_SYMTIME_JUMP, why);
	}
	if (st->started && t == st->last_t) {
		cmt_errf(err, CMT_EORDER, "%s: timestamp %lld is the same as "
			"the previous %s's: a repeat, skipped", sym,
			(long long)t, noun);
		return skip(CMT_SYMTIME_REPEAT, why);
	}
	if (st->started && t < st->last_t) {
		cmt_errf(err, CMT_EORDER, "%s: timestamp %lld is before the "
			"previous %s's (%lld): skipped", sym, (long long)t, noun,
			(long long)st->last_t);
		return skip(CMT_SYMTIME_BEFORE, why);
	}
	st->started = 1;
	st->last_t = t;
	if (why)
		*why = CMT_SYMTIME_TAKEN;
	return CMT_OK;
}
