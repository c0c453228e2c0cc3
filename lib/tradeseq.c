#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_clock.h"
#include "cmt_gapfill.h"
#include "cmt_tradeseq.h"
#include "cmt_warmup.h"

/* One symbol's trades waiting, oldest at head. */
struct held {
	struct cmt_trade *t;
	int head, n, cap;
};

struct cmt_tradeseq {
	struct cmt_fetch_cfg *c;
	struct cmt_ingest *in;
	struct cmt_stream_stats *st;
	long long count;
	int full;
	void (*wake)(void *);
	void *arg;
	struct cmt_warmup *warm;        /* running, or NULL */
	struct cmt_gapfill *fill;       /* running, or NULL */
	int filling;                    /* its symbol, or -1 */
	struct held held[CMT_FETCH_MAX_SYMS];
	long long nheld;
	int overflowing;
};

/* A trade through the ingest rules; written when taken. */
static enum cmt_ingest_verdict
put(struct cmt_tradeseq *q, const struct cmt_trade *t)
{
	enum cmt_ingest_verdict v;

	if (q->full)
		return CMT_INGEST_OLD;
	v = cmt_ingest_trade(q->in, &q->c->syms[t->sym], t,
		cmt_clock_wall_ms());
	if (v != CMT_INGEST_TAKE)
		return v;
	q->c->emit(q->c->ctx, &t->tk);
	q->st->trades++;
	if (q->count > 0 && q->st->trades >= q->count)
		q->full = 1;
	return v;
}

/* Held back: 0, or -1 when the bound is reached (the trade is dropped
 * and will be a gap; must: never, for a trade a fill waits on). */
static int
hold(struct cmt_tradeseq *q, const struct cmt_trade *t, int must)
{
	struct held *h = &q->held[t->sym];
	struct cmt_trade *p;
	int cap;

	if (!must && q->nheld >= CMT_TRADESEQ_HOLD_MAX) {
		if (!q->overflowing++)
			cmt_fetch_say(q->c, "%d trades held back (a warm "
				"start or gap fill is running): dropping more "
				"until it ends; they will be fetched as a gap",
				CMT_TRADESEQ_HOLD_MAX);
		q->st->held_dropped++;
		return -1;
	}
	if (h->head + h->n == h->cap) {
		if (h->head > 0) {
			memmove(h->t, h->t + h->head, sizeof *h->t *
				(size_t)h->n);
			h->head = 0;
		} else {
			cap = h->cap ? h->cap * 2 : 256;
			if (!(p = realloc(h->t, sizeof *p * (size_t)cap))) {
				q->st->held_dropped++;
				return -1;
			}
			h->t = p;
			h->cap = cap;
		}
	}
	h->t[h->head + h->n++] = *t;
	q->nheld++;
	return 0;
}

static void
unhold(struct cmt_tradeseq *q, int si)
{
	struct held *h = &q->held[si];

	h->head++;
	if (--h->n == 0)
		h->head = 0;
	if (--q->nheld == 0)
		q->overflowing = 0;
}

/* What a fill left missing of (lo, upto) of syms[si] (got: what it
 * recovered), reported with the id ranges and counted; lo < 0: from the
 * boundary, a count unknown, reported when the fill failed. */
static void
report_gap(struct cmt_tradeseq *q, int si, int64_t lo, int64_t upto,
	const struct cmt_trade *got, int n, int failed, const char *reason)
{
	const char *sym = q->c->syms[si].sym;
	char ranges[256];
	long long missing;

	if (q->full)
		return;
	if (lo < 0) {
		if (!failed)
			return;
		q->st->gaps++;
		cmt_fetch_say(q->c, "%s: the trades from the warm start's "
			"boundary up to id %lld could not be fetched (%s); "
			"live data goes on from there", sym, (long long)upto,
			reason);
		return;
	}
	if (!(missing = cmt_gapfill_holes(got, n, lo, upto, ranges,
	    sizeof ranges)))
		return;
	q->st->missing += missing;
	q->st->gaps++;
	cmt_fetch_say(q->c, "%s: %lld of the %lld trades before id %lld are "
		"missing (ids %s): %s", sym, missing,
		(long long)(upto - lo - 1), (long long)upto, ranges, reason);
}

static int64_t
fill_bound(const struct cmt_tradeseq *q)
{
	return cmt_clock_mono_ms() + (q->c->fill_bound_ms > 0 ?
		q->c->fill_bound_ms : CMT_GAPFILL_BOUND_MS);
}

/* A trade in its turn: 0 when it is dealt with (written or dropped), 1
 * when it must wait (a fill of the gap before it has started, or waits
 * for the one running).  can_fill 0: no fill starts (the run ends), the
 * gap is reported as it is. */
static int
step(struct cmt_tradeseq *q, const struct cmt_trade *t, int can_fill)
{
	struct cmt_fetch_sym *s = &q->c->syms[t->sym];
	char err[CMT_ERRLEN], reason[CMT_ERRLEN + 16];

	if (cmt_ingest_trade_check(q->in, s, t, cmt_clock_wall_ms()) ==
	    CMT_INGEST_DUP && !cmt_ingest_dup(q->in, s, t))
		return 0;
	if (s->last_id >= 0 ? t->first_id > s->last_id + 1 : s->boundary > 0) {
		if (can_fill && q->fill)
			return 1;
		if (can_fill && (q->fill = cmt_gapfill_start(q->c, t->sym,
		    t->first_id, fill_bound(q), q->wake, q->arg, err))) {
			q->filling = t->sym;
			return 1;
		}
		if (can_fill)
			snprintf(reason, sizeof reason, "no gap fill: %s", err);
		else
			snprintf(reason, sizeof reason, "the run ended before "
				"they were fetched");
		report_gap(q, t->sym, s->last_id, t->first_id, NULL, 0, 1,
			reason);
	}
	put(q, t);
	return 0;
}

/* The trades held, in order, for every symbol whose turn it is. */
static void
drain(struct cmt_tradeseq *q, int can_fill)
{
	struct held *h;
	int si;

	for (si = 0; si < q->c->nsym; si++) {
		if (si == q->filling)
			continue;
		h = &q->held[si];
		while (h->n > 0 && !step(q, &h->t[h->head], can_fill))
			unhold(q, si);
	}
}

/* The fill ended (or is cut short when stop): its trades written, what
 * is still missing reported, then the trade it waited on. */
static void
fill_ended(struct cmt_tradeseq *q, int stop)
{
	const struct cmt_trade *got;
	const char *why;
	char reason[CMT_ERRLEN + 32];
	int64_t lo, upto;
	int i, n, si;

	got = cmt_gapfill_join(q->fill, stop, &n, &si, &upto, &why);
	lo = q->c->syms[si].last_id;
	for (i = 0; i < n; i++)
		if (put(q, &got[i]) == CMT_INGEST_TAKE)
			q->st->filled++;
	if (why[0])
		snprintf(reason, sizeof reason, "the gap fill gave up: %s",
			why);
	else
		snprintf(reason, sizeof reason, "the REST answer lacks them");
	report_gap(q, si, lo, upto, got, n, why[0] != '\0', reason);
	cmt_gapfill_free(q->fill);
	q->fill = NULL;
	q->filling = -1;
	if (q->held[si].n > 0) {
		put(q, &q->held[si].t[q->held[si].head]);
		unhold(q, si);
	}
}

static void
warm_ended(struct cmt_tradeseq *q)
{
	struct cmt_warmup_result res;

	cmt_warmup_finish(q->warm, &res);
	q->warm = NULL;
	if (q->c->warmed)
		q->c->warmed(q->c->ctx, &res);
}

struct cmt_tradeseq *
cmt_tradeseq_new(struct cmt_fetch_cfg *c, long long count,
	struct cmt_stream_stats *st, void (*wake)(void *), void *arg,
	char *err)
{
	struct cmt_tradeseq *q;

	if (!(q = calloc(1, sizeof *q))) {
		cmt_errf(err, CMT_ENOMEM, "out of memory");
		return NULL;
	}
	q->c = c;
	q->in = cmt_fetch_ingest(c);
	q->st = st;
	q->count = count;
	q->wake = wake;
	q->arg = arg;
	q->filling = -1;
	if (c->warmup_ms > 0) {
		if (!(q->warm = cmt_warmup_start(c, c->warmup_ms,
		    c->warmup_bound_ms, wake, arg, err))) {
			free(q);
			return NULL;
		}
	}
	return q;
}

void
cmt_tradeseq_push(struct cmt_tradeseq *q, const struct cmt_trade *t)
{
	if (q->warm || q->held[t->sym].n > 0 || q->filling == t->sym)
		hold(q, t, 0);
	else if (step(q, t, 1))
		hold(q, t, 1);
}

void
cmt_tradeseq_pump(struct cmt_tradeseq *q)
{
	if (q->warm && cmt_warmup_done(q->warm))
		warm_ended(q);
	if (q->fill && cmt_gapfill_done(q->fill))
		fill_ended(q, 0);
	if (!q->warm && q->nheld)
		drain(q, 1);
}

int
cmt_tradeseq_full(const struct cmt_tradeseq *q)
{
	return q->full;
}

void
cmt_tradeseq_close(struct cmt_tradeseq *q)
{
	int i;

	if (q->warm)
		warm_ended(q);
	if (q->fill)
		fill_ended(q, 1);
	drain(q, 0);
	for (i = 0; i < CMT_FETCH_MAX_SYMS; i++)
		free(q->held[i].t);
	free(q);
}
