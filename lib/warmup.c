#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmt_clock.h"
#include "cmt_model.h"
#include "cmt_parse.h"
#include "cmt_warmup.h"
#include "cmt_worker.h"

#define KEPT_REPORTS 8          /* rule reports passed on; the rest counted */

struct cmt_warmup {
	struct cmt_worker job;
	struct cmt_fetch_cfg *c;        /* the caller's */
	struct cmt_fetch_cfg wc;        /* the thread's copy */
	struct cmt_fetch_sym syms[CMT_FETCH_MAX_SYMS];
	int64_t span_ms, start, bound_ms;
	/* what the thread did */
	enum cmt_err e;
	int64_t boundary;
	long long got[CMT_FETCH_MAX_SYMS];
	int failed[CMT_FETCH_MAX_SYMS];
	int64_t first_t[CMT_FETCH_MAX_SYMS], last_t[CMT_FETCH_MAX_SYMS];
	char err[CMT_ERRLEN];
	char reports[KEPT_REPORTS][CMT_ERRLEN];
	int nreports, more_reports;
};

/* The thread's bars go out as the caller's. */
static void
warm_emit(void *ctx, const struct cmt_tick *tk)
{
	struct cmt_warmup *w = ctx;
	int i;

	for (i = 0; i < w->wc.nsym; i++)
		if (strcmp(w->syms[i].sym, tk->sym) == 0) {
			if (!w->first_t[i])
				w->first_t[i] = tk->t;
			w->last_t[i] = tk->t;
		}
	w->c->emit(w->c->ctx, tk);
}

/* Retries are not reported one by one: the failure that ends a symbol's
 * warm start is, once, at finish. */
static void
warm_quiet(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

/* A rule's report (a bar stamped ahead of the clock): kept for finish,
 * which passes it on from the caller's thread. */
static void
warm_report(void *ctx, const char *msg)
{
	struct cmt_warmup *w = ctx;

	if (w->nreports < KEPT_REPORTS)
		snprintf(w->reports[w->nreports++], CMT_ERRLEN, "%s", msg);
	else
		w->more_reports++;
}

static void
warm_job(void *arg)
{
	struct cmt_warmup *w = arg;

	w->e = cmt_fetch_warmup(&w->wc, w->span_ms, &w->boundary, w->got,
		w->failed, w->err);
}

struct cmt_warmup *
cmt_warmup_start(struct cmt_fetch_cfg *c, int64_t span_ms, int64_t bound_ms,
	void (*wake)(void *arg), void *arg, char *err)
{
	struct cmt_warmup *w;
	int e;

	if (!(w = calloc(1, sizeof *w))) {
		cmt_errf(err, CMT_ENOMEM, "out of memory");
		return NULL;
	}
	cmt_fetch_ingest(c);
	/* a venue keeps so much: ask for that, not for a refusal */
	if (c->src->history_keep_ms &&
	    span_ms > c->src->history_keep_ms - 60000)
		span_ms = c->src->history_keep_ms - 60000;
	w->c = c;
	w->span_ms = span_ms;
	w->start = cmt_clock_mono_ms();
	w->bound_ms = bound_ms > 0 ? bound_ms : CMT_WARMUP_BOUND_MS;
	memcpy(w->syms, c->syms, sizeof *w->syms * (size_t)c->nsym);
	w->wc = *c;
	memset(&w->wc.in, 0, sizeof w->wc.in);
	w->wc.syms = w->syms;
	w->wc.stop = &w->job.cancel;
	w->wc.emit = warm_emit;
	w->wc.warn = warm_quiet;
	w->wc.progress = NULL;
	w->wc.idle = NULL;
	w->wc.ctx = w;
	w->wc.rng = cmt_fetch_rand(&c->rng);
	if (!c->retry_max || c->retry_max > CMT_WARMUP_RETRIES)
		w->wc.retry_max = CMT_WARMUP_RETRIES;
	w->wc.bound_ms = w->start + w->bound_ms;
	/* a third each: a server that never answers still leaves time to
	 * ask again, and costs no more than the bound */
	if (w->wc.http.timeout_ms <= 0 ||
	    w->wc.http.timeout_ms > w->bound_ms / 3)
		w->wc.http.timeout_ms = w->bound_ms > 3 ? w->bound_ms / 3 : 1;
	cmt_fetch_ingest(&w->wc)->warn = warm_report;
	if ((e = cmt_worker_start(&w->job, warm_job, w, wake, arg))) {
		cmt_errf(err, CMT_ENOMEM, "cannot start the warm start: %s",
			strerror(e));
		free(w);
		return NULL;
	}
	return w;
}

int
cmt_warmup_done(struct cmt_warmup *w)
{
	return cmt_worker_done(&w->job) || cmt_clock_mono_ms() >= w->start +
		w->bound_ms + CMT_WARMUP_GRACE_MS;
}

void
cmt_warmup_cancel(struct cmt_warmup *w)
{
	w->job.cancel = 1;
}

/* "A, B, C" of the symbols without history. */
static void
list_cold(const struct cmt_warmup *w, struct cmt_warmup_result *res)
{
	size_t n = 0;
	int i;

	for (i = 0; i < w->wc.nsym; i++) {
		if (w->got[i] > 0)
			continue;
		res->ncold++;
		if (n < sizeof res->cold)
			n += (size_t)snprintf(res->cold + n, sizeof res->cold -
				n, "%s%s", n ? ", " : "", w->syms[i].sym);
	}
}

void
cmt_warmup_finish(struct cmt_warmup *w, struct cmt_warmup_result *res)
{
	struct cmt_fetch_cfg *c = w->c;
	struct cmt_ingest *in = cmt_fetch_ingest(c);
	int64_t spread = 0, gaps = 0;
	int i;

	cmt_worker_join(&w->job, 1);
	memset(res, 0, sizeof *res);
	res->stopped = *c->stop != 0;
	res->took_ms = cmt_clock_mono_ms() - w->start;
	res->span_ms = w->span_ms;
	res->bars = c->src->history_bars;
	res->boundary = w->boundary;
	res->nsym = c->nsym;
	if (w->e) {     /* nothing ran: the venue has no history, or memory */
		for (i = 0; i < c->nsym; i++)
			w->got[i] = 0;
		snprintf(res->why, sizeof res->why, "%s", w->err);
		res->boundary = cmt_clock_wall_ms() / 60000 * 60000;
	} else {
		snprintf(res->why, sizeof res->why, "%s", w->err);
	}
	for (i = 0; i < c->nsym; i++) {
		struct cmt_fetch_sym *s = &c->syms[i];

		s->boundary = w->e ? 0 : w->syms[i].boundary;
		s->seen = w->e ? s->seen : w->syms[i].seen;
		s->last_t = w->e ? 0 : w->syms[i].last_t;
		res->ticks += w->got[i];
		if (w->got[i] > 0) {
			res->nwarm++;
			res->npartial += w->failed[i];
		}
		if (w->got[i] > 1) {
			spread += w->last_t[i] - w->first_t[i];
			gaps += w->got[i] - 1;
		}
	}
	res->spacing_ms = gaps ? spread / gaps : 60000;
	list_cold(w, res);
	in->ahead += w->wc.in.ahead;
	in->before += w->wc.in.before;
	in->old += w->wc.in.old;
	for (i = 0; i < w->nreports; i++)
		c->warn(c->ctx, w->reports[i]);
	if (w->more_reports)
		cmt_fetch_say(c, "warm start: %d more such reports",
			w->more_reports);
	free(w);
}

void
cmt_warmup_run(struct cmt_fetch_cfg *c, int64_t span_ms, int64_t bound_ms,
	struct cmt_warmup_result *res)
{
	struct cmt_warmup *w;
	struct timespec ts = { 0, 20 * 1000000L };
	char err[CMT_ERRLEN];

	if (!(w = cmt_warmup_start(c, span_ms, bound_ms, NULL, NULL, err))) {
		memset(res, 0, sizeof *res);
		res->nsym = res->ncold = c->nsym;
		res->span_ms = span_ms;
		snprintf(res->why, sizeof res->why, "%s", err);
		return;
	}
	while (!cmt_warmup_done(w) && !*c->stop)
		nanosleep(&ts, NULL);
	cmt_warmup_finish(w, res);
}

/* When the first forecast comes for a symbol that goes live without
 * history. */
static void
forecast_note(char *buf, size_t cap)
{
	int64_t w = cmt_model_warmup_ms(CMT_MODEL_DEFAULT);
	char span[32], when[40];

	if (!w) {
		snprintf(buf, cap, "the first forecast comes once the features "
			"have warmed up on live data");
		return;
	}
	cmt_format_duration(w, span, sizeof span);
	cmt_format_time(cmt_fetch_minute_ceil(cmt_clock_wall_ms() + w), when,
		sizeof when);
	snprintf(buf, cap, "the first forecast comes once the features have "
		"warmed up on live data: %s with the shipped model, about %s",
		span, when);
}

int
cmt_warmup_describe(const struct cmt_warmup_result *r, int quiet, char *buf,
	size_t cap)
{
	char span[32], when[40], every[32], what[160], note[256];

	if (r->stopped) {
		snprintf(buf, cap, "warm start interrupted: %lld ticks written",
			r->ticks);
		return 1;
	}
	forecast_note(note, sizeof note);
	if (r->nwarm == 0) {
		snprintf(buf, cap, "warm start failed: %s; live data goes on "
			"without it, and %s", r->why, note);
		return 1;
	}
	cmt_format_duration(r->span_ms, span, sizeof span);
	cmt_format_time(r->boundary, when, sizeof when);
	cmt_format_duration(r->spacing_ms, every, sizeof every);
	/* what it delivered: a venue may give points, not bars */
	if (r->bars)
		snprintf(what, sizeof what, "%s of 1-minute bars", span);
	else
		snprintf(what, sizeof what, "%s of points about %s apart "
			"(%lld per symbol)", span, every, r->ticks / r->nwarm);
	if (r->ncold)
		snprintf(buf, cap, "warm start: %s up to %s for %d of %d "
			"symbols; failed for %s (%s): live data goes on "
			"without it, and %s; live from there", what, when,
			r->nwarm, r->nsym, r->cold, r->why, note);
	else if (r->npartial)
		snprintf(buf, cap, "warm start: %s up to %s, cut short for %d "
			"symbols (%s); live from there", what, when,
			r->npartial, r->why);
	else if (!quiet)
		snprintf(buf, cap, "warm start: %s up to %s; live from there",
			what, when);
	else
		return 0;
	return 1;
}
