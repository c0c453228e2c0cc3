/* History for cmt-fetch --history and the warm start: windows of the
 * venue's history span, paged where a window takes several requests,
 * merged across symbols in time order, every tick through the ingest
 * rules (lib/ingest.c).  Owns one cmt_http client and a tick buffer for
 * the duration of a call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_clock.h"
#include "cmt_fetch.h"
#include "cmt_parse.h"

struct hist {
	struct cmt_fetch_cfg *c;
	struct cmt_http *h;
	struct cmt_fetch_sym *s;
	int64_t from, to, last_open;
	struct cmt_tick *buf;
	int cap, n;
	int warm;               /* a warm start: its ticks say so */
	/* warm start: per symbol, ticks written and whether its history
	 * failed (it then goes without; the others go on) */
	long long *got;
	int *failed;
	char url[4096];
};

static enum cmt_err
hist_parse(void *arg, const struct cmt_http_resp *r, char *err)
{
	struct hist *a = arg;
	const struct cmt_source *src = a->c->src;
	int n = a->n;
	enum cmt_err e;

	a->last_open = -1;
	e = cmt_ingest_history(src, r->body, r->len, a->s, a->from, a->to,
		a->buf, a->cap, &n, &a->last_open, err);
	if (e == CMT_OK)
		a->n = n;
	/* The request budget is per minute; stay under 80 % of it. */
	if (e == CMT_OK && src->rate_header &&
	    r->rate_used >= src->rate_budget / 5 * 4) {
		int64_t w = 61000 - cmt_clock_wall_ms() % 60000;
		char d[32];

		cmt_format_duration(w, d, sizeof d);
		cmt_fetch_say(a->c, "request weight %ld/%ld used; pausing %s",
			r->rate_used, src->rate_budget, d);
		cmt_fetch_nap(a->c, w);
	}
	return e == CMT_EVALUE ? CMT_ERANGE : e;
}

static int
by_time(const void *pa, const void *pb)
{
	const struct cmt_tick *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return strcmp(a->sym, b->sym);
}

/* Fetch [w, wend) for one symbol into a->buf, paging until the window is
 * covered (a server may cap a page below the limit we ask for). */
static enum cmt_err
hist_symbol(struct hist *a, int64_t w, int64_t wend, int *requests,
	char *err)
{
	struct cmt_fetch_cfg *c = a->c;
	const struct cmt_source *src = c->src;
	int64_t cur = w;
	enum cmt_err e;
	int before;

	if (src->history_bars)          /* bars stamped at their close */
		cur = cmt_fetch_minute_ceil(a->s->last_t - 59999 > w
			? a->s->last_t - 59999 : w);
	else if (a->s->last_t + 1 > w)
		cur = a->s->last_t + 1;
	while (cur < wend && !*c->stop) {
		if (*requests > 0 && c->pace_ms > 0)
			cmt_fetch_nap(c, c->pace_ms);
		if (src->history_url(c->base_url, a->s, cur, wend, a->url,
		    sizeof a->url) < 0)
			return cmt_errf(err, CMT_ETOOLONG, "URL too long");
		a->from = cur;
		a->to = wend;
		before = a->n;
		e = cmt_fetch_get(c, a->h, a->url, 0, hist_parse, a, err);
		(*requests)++;
		if (e)
			return e;
		if (!src->history_paged || a->n == before || a->last_open < cur)
			break;
		cur = a->last_open + 60000;
	}
	return CMT_OK;
}

/* The window's ticks, merged in time order, through the ingest rules. */
static int64_t
hist_write(struct hist *a)
{
	struct cmt_fetch_cfg *c = a->c;
	struct cmt_ingest *in = cmt_fetch_ingest(c);
	int64_t now = cmt_clock_wall_ms(), written = 0;
	int i, k;

	qsort(a->buf, (size_t)a->n, sizeof *a->buf, by_time);
	for (k = 0; k < a->n; k++) {
		for (i = 0; i < c->nsym; i++)
			if (strcmp(a->buf[k].sym, c->syms[i].sym) == 0)
				break;
		if (cmt_ingest_bar(in, &c->syms[i], &a->buf[k], now) !=
		    CMT_INGEST_TAKE)
			continue;
		a->buf[k].warm = a->warm;
		c->emit(c->ctx, &a->buf[k]);
		written++;
		if (a->got)
			a->got[i]++;
	}
	return written;
}

static enum cmt_err
unkept(const struct cmt_source *src, char *err)
{
	char span[32], names[256];

	cmt_format_duration(src->history_keep_ms, span, sizeof span);
	return cmt_errf(err, CMT_EVALUE, "%s keeps only the last %lld "
		"1-minute bars (%s); --history supports %s", src->name,
		(long long)(src->history_keep_ms / 60000), span,
		cmt_source_list(names, sizeof names, cmt_source_has_history,
		", ", " and "));
}

/* Warm start: symbol a->s failed in this window with err: it goes
 * without (what it got of this window is dropped), the first failure is
 * kept in why.  0 to go on with the other symbols; -1 when the bound or
 * a stop ends the warm start. */
static int
warm_failed(struct hist *a, int i, int n0, enum cmt_err e, const char *err,
	char *why)
{
	struct cmt_fetch_cfg *c = a->c;

	a->n = n0;
	a->failed[i] = 1;
	if (!why[0])
		snprintf(why, CMT_ERRLEN, "%s: %.990s", a->s->sym,
			e == CMT_ESKIP || !err[0] ? "stopped" : err);
	return e == CMT_ESKIP || *c->stop ||
		(c->bound_ms && cmt_clock_mono_ms() >= c->bound_ms) ? -1 : 0;
}

/* History [c->from_ms, c->to_ms); warm: the warm start's, so marked, and
 * a symbol whose requests fail goes without while the others go on (its
 * first failure in err, a->failed set). */
static enum cmt_err
history(struct cmt_fetch_cfg *c, int warm, long long *got, int *failed,
	char *err)
{
	const struct cmt_source *src = c->src;
	struct hist a;
	int64_t span = src->history_span_ms, w, wend, from, to, shift;
	int64_t emitted = 0;
	int i, requests = 0, cap, over = 0;
	enum cmt_err e = CMT_OK;
	char when[40], msg[160], why[CMT_ERRLEN];

	if (!src->history_url)
		return cmt_errf(err, CMT_EVALUE, "%s has no history",
			src->name);
	if (src->history_keep_ms &&
	    c->from_ms < cmt_clock_wall_ms() - src->history_keep_ms)
		return unkept(src, err);
	memset(&a, 0, sizeof a);
	cap = CMT_FETCH_PAGE_TICKS * c->nsym;
	if (!(a.buf = malloc(sizeof *a.buf * (size_t)cap)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	a.c = c;
	a.cap = cap;
	a.warm = warm;
	a.got = got;
	a.failed = failed;
	cmt_fetch_ingest(c);
	if (!(a.h = cmt_fetch_http(c, err))) {
		free(a.buf);
		return CMT_ENOMEM;
	}
	from = src->history_bars ? cmt_fetch_minute_ceil(c->from_ms)
		: c->from_ms;
	for (i = 0; i < c->nsym; i++)
		if (c->syms[i].last_t < from - 1)
			c->syms[i].last_t = from - 1;
	/* [--from, --to) is on the time emitted.  A bar is a tick stamped
	 * at its close, one minute after the open the API pages by: ask for
	 * the bars opening a minute earlier.  The bar still open has no
	 * final close yet: stop before it. */
	shift = src->history_bars ? 60000 : 0;
	from -= shift;
	/* bars close on whole minutes: t < to_ms is t < to_ms rounded up */
	to = (shift ? cmt_fetch_minute_ceil(c->to_ms) : c->to_ms) - shift;
	if (shift && to > cmt_clock_wall_ms() / 60000 * 60000)
		to = cmt_clock_wall_ms() / 60000 * 60000;
	for (w = from; w < to && !*c->stop; w = wend) {
		wend = w + span < to ? w + span : to;
		a.n = 0;
		for (i = 0; i < c->nsym && !e && !over; i++) {
			int n0 = a.n;

			if (failed && failed[i])
				continue;
			a.s = &c->syms[i];
			why[0] = '\0';
			e = hist_symbol(&a, w, wend, &requests, why);
			if (e && e != CMT_ELIMIT && failed) {
				over = warm_failed(&a, i, n0, e, why, err) < 0;
				e = CMT_OK;
			} else if (e) {
				memcpy(err, why, CMT_ERRLEN);
			}
		}
		if (over) {     /* out of time: the symbols not asked go too */
			for (; i < c->nsym; i++)
				failed[i] = 1;
			emitted += hist_write(&a);
			break;
		}
		/* More points than a page holds: the same request would get
		 * the same answer, so ask for half the window instead (nothing
		 * of this window was emitted yet). */
		if (e == CMT_ELIMIT && wend - w > CMT_FETCH_SPAN_MIN_MS) {
			span = (wend - w) / 2;
			if (span < CMT_FETCH_SPAN_MIN_MS)
				span = CMT_FETCH_SPAN_MIN_MS;
			cmt_format_duration(span, when, sizeof when);
			cmt_fetch_say(c, "%s; asking for %s at a time", err, when);
			e = CMT_OK;
			wend = w;       /* the same window again, smaller */
			continue;
		}
		if (e == CMT_ELIMIT)
			cmt_errf(err, CMT_ELIMIT, "the source answers more points "
				"than a page holds (%d) even for 1h: cannot page "
				"this range", CMT_FETCH_PAGE_TICKS);
		if (e || *c->stop)
			break;
		/* Symbols are fetched one after the other; merging the window
		 * puts every tick of the run in time order. */
		emitted += hist_write(&a);
		if (c->progress) {
			cmt_format_time(wend + shift, when, sizeof when);
			snprintf(msg, sizeof msg, "history: %s %3.0f%%, %lld "
				"ticks, %d requests", when, 100.0 *
				(double)(wend - from) / (double)(to - from),
				(long long)emitted, requests);
			c->progress(c->ctx, msg, wend >= to);
		}
	}
	cmt_http_free(a.h);
	free(a.buf);
	return e == CMT_ESKIP ? CMT_OK : e;
}

enum cmt_err
cmt_fetch_warmup(struct cmt_fetch_cfg *c, int64_t span_ms, int64_t *boundary,
	long long *got, int *failed, char *err)
{
	int64_t m = cmt_clock_wall_ms() / 60000 * 60000, shift;
	const struct cmt_source *src = c->src;
	enum cmt_err e;
	int i;

	/* whole minutes, so a symbol got bars iff last_t >= from.  The
	 * range is on the time emitted: bars opened in [m - span, m) are
	 * the ticks stamped at their close, in (m - span, m]. */
	shift = src->history_bars ? 60000 : 0;
	c->from_ms = m - (span_ms + 59999) / 60000 * 60000 + shift;
	c->to_ms = m + (shift ? 1 : 0);
	c->pace_ms = 0;
	err[0] = '\0';
	for (i = 0; i < c->nsym; i++) {
		c->syms[i].last_t = 0;
		got[i] = 0;
		failed[i] = 0;
	}
	if ((e = history(c, 1, got, failed, err)))
		return e;
	/* A symbol with history continues it from m; one without goes live
	 * at once, as with no warm start. */
	for (i = 0; i < c->nsym; i++) {
		struct cmt_fetch_sym *s = &c->syms[i];

		s->boundary = got[i] > 0 ? m : 0;
		s->seen = got[i] > 0;
		s->last_t = got[i] > 0 ? m - 1 : 0;
	}
	*boundary = m;
	return CMT_OK;
}

enum cmt_err
cmt_fetch_history(struct cmt_fetch_cfg *c, char *err)
{
	return history(c, 0, NULL, NULL, err);
}
