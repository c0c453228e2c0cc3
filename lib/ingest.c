#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_ingest.h"
#include "cmt_json.h"
#include "cmt_parse.h"

enum cmt_err
cmt_ingest_json(const char *body, size_t len, cJSON **root, char *err)
{
	const char *k;

	*root = NULL;
	/* cJSON takes a NUL for white space and any bytes in a string */
	if (memchr(body, '\0', len))
		return cmt_errf(err, CMT_ESYNTAX, "malformed JSON: a NUL byte");
	if (!cmt_utf8_valid(body, len))
		return cmt_errf(err, CMT_ESYNTAX, "malformed JSON: not UTF-8");
	if (!(*root = cJSON_ParseWithLength(body, len)))
		return cmt_errf(err, CMT_ESYNTAX, "malformed JSON (%zu bytes)",
			len);
	if ((k = cmt_cjson_duplicate_key(*root))) {
		cmt_errf(err, CMT_ESYNTAX, "malformed JSON: duplicate key "
			"\"%.64s\"", k);
		cJSON_Delete(*root);
		*root = NULL;
		return CMT_ESYNTAX;
	}
	return CMT_OK;
}

/* ---- bodies ---- */

enum cmt_err
cmt_ingest_live(const struct cmt_source *src, const char *body, size_t len,
	const struct cmt_fetch_sym *syms, int first, int n, int64_t now_ms,
	struct cmt_fetch_obs *obs, char *err)
{
	cJSON *root;
	enum cmt_err e;
	int i;

	memset(obs, 0, sizeof *obs * (size_t)n);
	if (!src->parse_live)
		return cmt_errf(err, CMT_EVALUE, "%s has no price endpoint",
			src->name);
	if ((e = cmt_ingest_json(body, len, &root, err)))
		return e;
	e = src->parse_live(root, syms + first, n, now_ms, obs, err);
	cJSON_Delete(root);
	for (i = 0; i < n && !e; i++)
		if (obs[i].ok && !(obs[i].tk.t >= 0 && obs[i].tk.t < 9e15))
			e = cmt_errf(err, CMT_ERANGE, "timestamp out of range");
	return e;
}

enum cmt_err
cmt_ingest_history(const struct cmt_source *src, const char *body,
	size_t len, const struct cmt_fetch_sym *s, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, int64_t *last_open, char *err)
{
	cJSON *root;
	enum cmt_err e;
	int i, n0 = *n;

	if (!src->parse_history)
		return cmt_errf(err, CMT_EVALUE, "%s has no history",
			src->name);
	if ((e = cmt_ingest_json(body, len, &root, err)))
		return e;
	e = src->parse_history(root, from, to, out, cap, n, last_open, err);
	cJSON_Delete(root);
	for (i = n0; i < *n; i++) {
		memcpy(out[i].sym, s->sym, sizeof out[i].sym);
		snprintf(out[i].src, sizeof out[i].src, "%s", src->name);
	}
	return e;
}

static void
stamp_trades(const struct cmt_source *src, const struct cmt_fetch_sym *syms,
	struct cmt_trade *t, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		memcpy(t[i].tk.sym, syms[t[i].sym].sym, sizeof t[i].tk.sym);
		snprintf(t[i].tk.src, sizeof t[i].tk.src, "%s", src->name);
	}
}

enum cmt_err
cmt_ingest_message(const struct cmt_source *src, const char *msg, size_t len,
	const struct cmt_fetch_sym *syms, int nsym, struct cmt_trade *out,
	int cap, int *n, enum cmt_stream_kind *kind, char *err)
{
	cJSON *root;
	enum cmt_err e;

	*n = 0;
	*kind = CMT_WS_OTHER;
	if (!src->parse_message)
		return cmt_errf(err, CMT_EVALUE, "%s has no trade stream",
			src->name);
	if ((e = cmt_ingest_json(msg, len, &root, err)))
		return e;
	if (!cJSON_IsObject(root))
		e = cmt_errf(err, CMT_ETYPE, "message is not a JSON object");
	else if (cap < 1)
		e = cmt_errf(err, CMT_ELIMIT, "no room for trades");
	else
		e = src->parse_message(root, syms, nsym, out, cap, n, kind, err);
	cJSON_Delete(root);
	if (e && *kind == CMT_WS_TRADES) {
		*kind = CMT_WS_OTHER;
		*n = 0;
	}
	stamp_trades(src, syms, out, *n);
	return e;
}

enum cmt_err
cmt_ingest_fill(const struct cmt_source *src, const char *body, size_t len,
	const struct cmt_fetch_sym *s, int si, struct cmt_trade *out, int cap,
	int *n, char *next, char *err)
{
	cJSON *root;
	enum cmt_err e;
	int i;

	*n = 0;
	next[0] = '\0';
	if (!src->parse_fill)
		return cmt_errf(err, CMT_EVALUE, "no trades endpoint");
	if ((e = cmt_ingest_json(body, len, &root, err)))
		return e;
	e = src->parse_fill(root, s, si, out, cap, n, next, err);
	cJSON_Delete(root);
	for (i = 0; i < *n; i++) {
		memcpy(out[i].tk.sym, s->sym, sizeof out[i].tk.sym);
		snprintf(out[i].tk.src, sizeof out[i].tk.src, "%s", src->name);
	}
	return e;
}

/* ---- readings ---- */

static void
say(const struct cmt_ingest *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
say(const struct cmt_ingest *in, const char *fmt, ...)
{
	char msg[CMT_ERRLEN];
	va_list ap;

	if (!in->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	in->warn(in->ctx, msg);
}

static int64_t
max_ahead(const struct cmt_ingest *in)
{
	return in->max_ahead_ms > 0 ? in->max_ahead_ms
		: CMT_INGEST_MAX_AHEAD_MS;
}

/* The rules on time every reading obeys: not far ahead of the clock (a
 * glitch of the source: taken, it would make every later reading look
 * old), and not before the warm-start boundary (the bars hold it). */
static enum cmt_ingest_verdict
plausible(const struct cmt_ingest *in, const struct cmt_fetch_sym *s,
	int64_t t, int64_t now_ms)
{
	if (t > now_ms + max_ahead(in))
		return CMT_INGEST_AHEAD;
	if (s->boundary > 0 && t < s->boundary)
		return CMT_INGEST_BEFORE;
	return CMT_INGEST_TAKE;
}

static void
report_ahead(struct cmt_ingest *in, const struct cmt_fetch_sym *s, int64_t t,
	const char *what)
{
	char when[32], by[32];

	in->ahead++;
	cmt_format_time(t, when, sizeof when);
	cmt_format_duration(max_ahead(in), by, sizeof by);
	say(in, "%s: the source's time %s is more than %s ahead of the clock "
		"(--max-ahead): %s skipped", s->sym, when, by, what);
}

enum cmt_ingest_verdict
cmt_ingest_trade_check(const struct cmt_ingest *in,
	const struct cmt_fetch_sym *s, const struct cmt_trade *t, int64_t now_ms)
{
	enum cmt_ingest_verdict v;

	if (s->last_id >= 0 && t->id <= s->last_id)
		return CMT_INGEST_DUP;
	v = plausible(in, s, t->tk.t, now_ms);
	if (v == CMT_INGEST_TAKE && s->last_id >= 0 &&
	    t->tk.t < s->last_trade_t - CMT_INGEST_ORDER_SLACK_MS)
		v = CMT_INGEST_OLD;
	return v;
}

int
cmt_ingest_dup(struct cmt_ingest *in, struct cmt_fetch_sym *s,
	const struct cmt_trade *t)
{
	if (t->tk.t <= s->last_trade_t) {       /* a trade written again */
		s->renum_n = 0;
		in->dups++;
		return 0;
	}
	if (s->renum_n && t->first_id == s->renum_last + 1)
		s->renum_n++;
	else {
		s->renum_first = t->first_id;
		s->renum_n = 1;
	}
	s->renum_last = t->id;
	if (s->renum_n < CMT_INGEST_RENUMBER_AFTER) {
		in->dups++;
		return 0;
	}
	say(in, "%s: trade ids went back from %lld to %lld on %d later trades "
		"in a row: the venue renumbered its trades; following the new "
		"ids", s->sym, (long long)s->last_id, (long long)s->renum_first,
		s->renum_n);
	in->dups -= s->renum_n - 1;     /* not duplicates after all */
	in->renumbered++;
	s->last_id = s->renum_first - 1;
	s->renum_n = 0;
	return 1;
}

enum cmt_ingest_verdict
cmt_ingest_trade(struct cmt_ingest *in, struct cmt_fetch_sym *s,
	const struct cmt_trade *t, int64_t now_ms)
{
	enum cmt_ingest_verdict v = cmt_ingest_trade_check(in, s, t, now_ms);
	char what[48], when[32], last[32];

	switch (v) {
	case CMT_INGEST_TAKE:
		s->last_trade_t = t->tk.t;
		s->renum_n = 0;
		break;
	case CMT_INGEST_AHEAD:
		snprintf(what, sizeof what, "trade %lld", (long long)t->id);
		report_ahead(in, s, t->tk.t, what);
		break;
	case CMT_INGEST_BEFORE:
		in->before++;
		break;
	case CMT_INGEST_DUP:
		if (cmt_ingest_dup(in, s, t))
			return cmt_ingest_trade(in, s, t, now_ms);
		return v;
	case CMT_INGEST_OLD:
		in->old++;
		cmt_format_time(t->tk.t, when, sizeof when);
		cmt_format_time(s->last_trade_t, last, sizeof last);
		say(in, "%s: trade %lld is stamped %s, before the last trade "
			"written (%s): out of time order, skipped", s->sym,
			(long long)t->id, when, last);
		break;
	}
	/* taken, or never to be read again: an id skipped here must not
	 * look like a gap to fill, nor be asked for on the next poll */
	s->last_id = t->id;
	return v;
}

int
cmt_ingest_reading(struct cmt_ingest *in, struct cmt_fetch_sym *s,
	const struct cmt_fetch_obs *o, int all, int64_t now_ms,
	struct cmt_tick *out)
{
	int fresh;

	if (!o->ok)
		return 0;
	switch (plausible(in, s, o->tk.t, now_ms)) {
	case CMT_INGEST_AHEAD:
		report_ahead(in, s, o->tk.t, "reading");
		return 0;
	case CMT_INGEST_BEFORE:
		in->before++;
		return 0;
	default:
		break;
	}
	if (o->tk.has_vol) {
		s->pending_vol += o->tk.vol;
		s->have_pending = 1;
	}
	if (!s->seen)
		fresh = 1;
	else if (o->src_time)
		fresh = o->tk.t > s->last_t;
	else
		fresh = o->tk.t > s->last_t &&
			(o->tk.px != s->last_px || o->aux != s->last_aux);
	if (!fresh)
		in->old++;
	if (!fresh && !all)
		return 0;
	*out = o->tk;
	memcpy(out->sym, s->sym, sizeof out->sym);
	snprintf(out->src, sizeof out->src, "%s", in->src->name);
	out->has_vol = s->have_pending;
	out->vol = s->have_pending ? s->pending_vol : 0;
	s->pending_vol = 0;
	s->have_pending = 0;
	if (fresh) {
		s->seen = 1;
		s->last_t = o->tk.t;
		s->last_px = o->tk.px;
		s->last_aux = o->aux;
	}
	return 1;
}

enum cmt_ingest_verdict
cmt_ingest_bar(struct cmt_ingest *in, struct cmt_fetch_sym *s,
	const struct cmt_tick *tk, int64_t now_ms)
{
	enum cmt_ingest_verdict v = plausible(in, s, tk->t, now_ms);

	if (v == CMT_INGEST_AHEAD)
		report_ahead(in, s, tk->t, "bar");
	else if (v == CMT_INGEST_BEFORE)
		in->before++;
	else if (tk->t <= s->last_t) {
		in->old++;
		v = CMT_INGEST_OLD;
	} else
		s->last_t = tk->t;
	return v;
}

static int
by_id(const void *pa, const void *pb)
{
	const struct cmt_trade *a = pa, *b = pb;

	return a->id < b->id ? -1 : a->id > b->id;
}

void
cmt_ingest_sort_trades(struct cmt_trade *t, int n)
{
	int i;

	for (i = 1; i < n; i++)
		if (t[i].id < t[i - 1].id)
			break;
	if (i < n)      /* pages are nearly always in order already */
		qsort(t, (size_t)n, sizeof *t, by_id);
}

void
cmt_ingest_trade_page(struct cmt_ingest *in, struct cmt_fetch_sym *s,
	struct cmt_trade *trades, int n, int64_t now_ms,
	struct cmt_fetch_obs *o)
{
	/* with no last trade and no boundary there is no "since" to sum the
	 * volume from */
	int count_from = s->last_id >= 0 || s->boundary > 0, i, any = 0;
	double sum = 0;
	enum cmt_ingest_verdict v;

	memset(o, 0, sizeof *o);
	cmt_ingest_sort_trades(trades, n);
	for (i = 0; i < n; i++) {
		v = cmt_ingest_trade(in, s, &trades[i], now_ms);
		if (v == CMT_INGEST_TAKE || v == CMT_INGEST_AHEAD)
			o->ntrades++;
		if (v != CMT_INGEST_TAKE)
			continue;
		o->tk.px = trades[i].tk.px;
		o->tk.t = trades[i].tk.t;
		o->aux = (double)trades[i].id;
		sum += trades[i].tk.vol;
		any = 1;
	}
	if (!any)
		return;
	o->src_time = 1;
	if (count_from) {
		o->tk.vol = sum;
		o->tk.has_vol = 1;
	}
	o->ok = 1;
}
