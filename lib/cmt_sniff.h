/* What an input is, from its first line: the one rule by which every tool
 * refuses input of another format at once (exit 2, one line saying what
 * the input looks like and which tool reads it) instead of reporting each
 * of its lines.  Only what is recognised for sure is named; anything else
 * is CMT_KIND_UNKNOWN and left to the reader's own parser, which reports
 * bad lines as usual.  No allocation, no state. */
#ifndef CMT_SNIFF_H
#define CMT_SNIFF_H

#include <stddef.h>

#include "cmt_err.h"

enum cmt_kind {
	CMT_KIND_UNKNOWN,
	CMT_KIND_TICKS,        /* {"t","sym","px"...} or CSV t,sym,px */
	CMT_KIND_CANDLES,      /* CSV open,high,low,close; 6+ numeric columns
	                        * (exchange dumps); a JSON array [[ms,o,...]] */
	CMT_KIND_VECTORS,      /* feature vectors: "fs" and "f" (CSV: fs) */
	CMT_KIND_PREDICTIONS,  /* vectors with "p_up" */
	CMT_KIND_REPORT,       /* cmt-backtest --follow lines ("kind") */
	CMT_KIND_ARCHIVE,      /* zip, xz, zstd or bzip2 data */
	CMT_KIND_N
};

#define CMT_KIND_BIT(k) (1u << (k))

/* The kind of input whose first non-blank line (or its first bytes, for
 * a line longer than a reader's limit) is [s, s+len). */
enum cmt_kind cmt_sniff(const char *s, size_t len);

/* CMT_OK when a first line like [s, s+len) suits a reader of the kinds in
 * want (CMT_KIND_BIT()s; CMT_KIND_UNKNOWN always does).  Otherwise
 * CMT_EFORMAT and one line in err, e.g. "this is a candle file
 * (ts,open,high,low,close,volume), not ticks: cmt-replay reads it
 * (cmt-replay --speed max btc.csv | cmt-features --model default)", name
 * being the input's name in the example (NULL or "-": FILE). */
enum cmt_err cmt_sniff_check(const char *s, size_t len, unsigned want,
	const char *name, char *err);

#endif
