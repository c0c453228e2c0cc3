/* A trade stream's sequence, kept whole and never stalled (cmt-fetch
 * --stream): every streamed trade enters here, in message order, and
 * leaves through lib/ingest.c's rules (dedupe by id, the boundary,
 * --max-ahead) in id order per symbol.
 *
 * - The warm start (lib/warmup.c) runs beside the stream: every trade is
 *   held until it ends (done, failed or past --warmup-timeout), so its
 *   bars come first; then the trades held are taken in order.
 * - A trade whose id is more than one past the last one written of its
 *   symbol (or the first trade after a warm start's boundary) starts a
 *   gap fill (lib/gapfill.c) on a thread, one at a time; the symbol's
 *   trades are held meanwhile (the others flow), and when the fill ends
 *   its trades are written, the ids it could not recover are reported
 *   with their ranges and counted as missing, and the trades held follow.
 * - Held trades are bounded (CMT_TRADESEQ_HOLD_MAX in all, about 5 MB);
 *   past that a trade is dropped and becomes a gap filled later.
 *
 * Owns the held trades, the warm start and the fill running; the symbols
 * and the configuration are the caller's. */
#ifndef CMT_TRADESEQ_H
#define CMT_TRADESEQ_H

#include "cmt_err.h"
#include "cmt_fetch.h"
#include "cmt_stream.h"

#define CMT_TRADESEQ_HOLD_MAX 32768

struct cmt_tradeseq;

/* Keep the sequence of c's symbols, writing through c->emit and counting
 * into st; stop taking trades after count (0: never).  With
 * c->warmup_ms > 0 the warm start begins now.  wake (may be NULL) is
 * called from another thread when a warm start or fill ends, to wake the
 * caller's loop, which then calls cmt_tradeseq_pump.  NULL with err when
 * out of memory or a thread cannot start. */
struct cmt_tradeseq *cmt_tradeseq_new(struct cmt_fetch_cfg *c,
	long long count, struct cmt_stream_stats *st, void (*wake)(void *),
	void *arg, char *err);

/* A streamed trade. */
void cmt_tradeseq_push(struct cmt_tradeseq *q, const struct cmt_trade *t);

/* Take in what a warm start or fill that ended delivered, and write the
 * trades they held; call after every round of the caller's loop. */
void cmt_tradeseq_pump(struct cmt_tradeseq *q);

/* 1 when count trades were written. */
int cmt_tradeseq_full(const struct cmt_tradeseq *q);

/* End: stop the warm start or fill still running (their requests are cut
 * at once), write what they got and the trades held (no new fill), say
 * what could not be recovered, and free q. */
void cmt_tradeseq_close(struct cmt_tradeseq *q);

#endif
