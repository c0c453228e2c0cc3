/* Replaying recordings: reads several files of ticks (NDJSON or CSV) or
 * candles (lib/candle.c), plain or gzip (the line reader's), merges them
 * by timestamp, drops what overlapping recordings give twice
 * (lib/overlap.c: warm-start ticks live ticks cover, exact copies) and
 * paces the output.  The replay owns its readers; a returned record's
 * text is valid until the next cmt_replay_next. */
#ifndef CMT_REPLAY_H
#define CMT_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cmt_candle.h"
#include "cmt_err.h"

struct cmt_replay;

struct cmt_replay_rec {
	const char *line;   /* NDJSON tick, no newline: the recorded bytes, or
	                     * the canonical form of a CSV row */
	size_t len;
	int64_t t;
	const char *file;   /* where it came from ("-" is stdin) */
	uint64_t lineno;
};

struct cmt_replay_opts {
	int64_t from, to;              /* ticks outside [from, to) dropped */
	struct cmt_candle_opts candle; /* --symbol, --bar for candle files */
};

/* Open every path ("-" is standard input, at most once).  Fails on the
 * first file that cannot be read (CMT_EIO), or cannot be read as ticks
 * or candles (CMT_EFORMAT: err says what it is, or which option names
 * what the file does not: its symbol, its bar length). */
enum cmt_err cmt_replay_open(struct cmt_replay **out, char *const *paths,
	int n, const struct cmt_replay_opts *o, char *err);

/* Next tick in time order (stable: on equal t the earlier file first).
 * CMT_OK: *rec is filled.  CMT_ESKIP: every input is exhausted.  CMT_EIO
 * with errno EINTR: a signal arrived, call again.  CMT_EFORMAT: a file is
 * of another kind than ticks or candles (err says what it is and which
 * tool reads it).  Any other error describes one bad line or a failed
 * input (rec->file and rec->lineno say where; for a JSON array of
 * candles the line is the candle's number); the replay goes on with the
 * next call. */
enum cmt_err cmt_replay_next(struct cmt_replay *r, struct cmt_replay_rec *rec,
	char *err);

/* Call fn(ctx) whenever an input is about to be waited for (see
 * cmt_line_on_idle): cmt-replay flushes its output there. */
void cmt_replay_on_idle(struct cmt_replay *r, void (*fn)(void *), void *ctx);

/* What the merge dropped so far. */
struct cmt_replay_stats {
	uint64_t warm_covered;  /* warm-start ticks live ticks covered */
	uint64_t copies;        /* lines another file gave identically */
};
void cmt_replay_stats(const struct cmt_replay *r,
	struct cmt_replay_stats *st);

/* Close the inputs. */
void cmt_replay_close(struct cmt_replay *r);

/* Pacing: tick time t is due (t - t0) / speed after the first tick was
 * paced, t0 being that first tick's time.  speed <= 0 means no pacing.
 * Ticks less than warmup_ms after the very first one are not paced (they
 * warm up the indicators downstream); the clock starts after them. */
struct cmt_replay_pacer {
	double speed;
	int64_t warmup_ms;
	int seen, started;
	int64_t tfirst, t0;
	struct timespec start;
};

void cmt_replay_pacer_init(struct cmt_replay_pacer *p, double speed,
	int64_t warmup_ms);

/* Nanoseconds until t is due (0 if it is due now); the first call starts
 * the clock. */
int64_t cmt_replay_delay(struct cmt_replay_pacer *p, int64_t t);

/* Sleep until t is due: 0 when due, -1 with errno EINTR when a signal
 * interrupted the sleep (check the stop flag, call again). */
int cmt_replay_wait(struct cmt_replay_pacer *p, int64_t t);

#endif
