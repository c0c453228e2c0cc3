/* cmt-backtest --follow (cmt_follow.h): rolling scores of a prediction
 * stream, each forecast scored when its outcome arrives.  struct cmt_follow
 * owns its windows and waiting forecasts; lines go to the caller's callback. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_backtest.h"
#include "cmt_follow.h"
#include "cmt_json.h"

struct forecast {
	int64_t t;
	double p, px;
	int warm_start;   /* made from warm-start history: no latency */
};

struct sym {
	char name[CMT_SYM_MAX];
	struct cmt_bt_roll *roll;   /* horizon mode only */
	int dirty;                  /* scored rows since its last line */
	int64_t last_t;
	struct forecast *q;         /* ring of forecasts awaiting t + H */
	size_t head, n, cap;
};

struct cmt_follow {
	struct cmt_follow_opts o;
	struct cmt_bt_roll *all;
	struct sym *sym;
	int nsym, last;             /* last: index of the latest symbol */
	int64_t next_emit, last_t;
	int pending;                /* rows scored since the last line */
	char model[CMT_BT_MODEL_MAX];
	size_t model_len;
	struct cmt_follow_stats st;
};

struct cmt_follow *
cmt_follow_new(const struct cmt_follow_opts *o)
{
	struct cmt_follow *f = calloc(1, sizeof *f);

	if (!f)
		return NULL;
	f->o = *o;
	if (!(f->all = cmt_bt_roll_new(o->window)) ||
	    !(f->sym = calloc(CMT_FOLLOW_MAX_SYMBOLS, sizeof *f->sym))) {
		cmt_follow_free(f);
		return NULL;
	}
	return f;
}

void
cmt_follow_free(struct cmt_follow *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < f->nsym; i++) {
		cmt_bt_roll_free(f->sym[i].roll);
		free(f->sym[i].q);
	}
	free(f->sym);
	cmt_bt_roll_free(f->all);
	free(f);
}

/* The overall metrics line, then (with a horizon) one per symbol that
 * scored rows since its last line, "sym" spliced in after "kind". */
static void
emit(struct cmt_follow *f, int64_t t)
{
	char buf[CMT_BT_ROLL_LINE + CMT_SYM_MAX + 16];
	static const char kind[] = "{\"kind\":\"metrics\"";
	size_t n, k = sizeof kind - 1;
	int i;

	n = cmt_bt_roll_format(f->all, t, f->model, f->model_len, buf,
		CMT_BT_ROLL_LINE);
	f->o.out(f->o.ctx, buf, n, !f->o.horizon_ms);
	for (i = 0; f->o.horizon_ms && i < f->nsym; i++) {
		struct sym *s = &f->sym[i];
		int m;

		if (!s->dirty)
			continue;
		m = snprintf(buf, sizeof buf, "%s,\"sym\":\"%s\"", kind,
			s->name);
		n = cmt_bt_roll_format(s->roll, t, f->model, f->model_len,
			buf + m, CMT_BT_ROLL_LINE);
		/* drop the second {"kind":"metrics" the roll line starts with */
		memmove(buf + m, buf + m + k, n - k);
		f->o.out(f->o.ctx, buf, (size_t)m + n - k, 0);
		s->dirty = 0;
	}
	if (f->o.horizon_ms)
		f->o.out(f->o.ctx, "", 0, 1);
	f->pending = 0;
}

static void
score(struct cmt_follow *f, struct sym *s, double p, int y, int64_t lag)
{
	cmt_bt_roll_add(f->all, p, y, lag);
	if (s->roll)
		cmt_bt_roll_add(s->roll, p, y, lag);
	s->dirty = 1;
	f->pending = 1;
	f->st.scored++;
}

static void
outcome(struct cmt_follow *f, struct sym *s, int64_t t, double p, int y,
	double px, double px_out)
{
	char buf[512], a[4][32];
	int n;

	n = snprintf(buf, sizeof buf, "{\"kind\":\"outcome\",\"sym\":\"%s\","
		"\"t\":%lld,\"t_out\":%lld,\"p_up\":%s,\"y\":%d,\"hit\":%s",
		s->name, (long long)t, (long long)(t + f->o.horizon_ms),
		(cmt_fmt_double(a[0], p, 6), a[0]), y,
		(p >= 0.5) == (y == 1) ? "true" : "false");
	if (!isnan(px))   /* the forecast was scored from prices */
		n += snprintf(buf + n, sizeof buf - (size_t)n,
			",\"px\":%s,\"px_out\":%s",
			(cmt_fmt_double(a[1], px, 15), a[1]),
			(cmt_fmt_double(a[2], px_out, 15), a[2]));
	n += snprintf(buf + n, sizeof buf - (size_t)n, "}\n");
	f->o.out(f->o.ctx, buf, (size_t)n, 0);
}

static struct sym *
lookup(struct cmt_follow *f, const char *name, char *err)
{
	int i;

	if (f->nsym && strcmp(f->sym[f->last].name, name) == 0)
		return &f->sym[f->last];
	for (i = 0; i < f->nsym; i++)
		if (strcmp(f->sym[i].name, name) == 0)
			return &f->sym[f->last = i];
	if (f->nsym == CMT_FOLLOW_MAX_SYMBOLS) {
		cmt_errf(err, CMT_ELIMIT, "more than %d symbols",
			CMT_FOLLOW_MAX_SYMBOLS);
		return NULL;
	}
	i = f->nsym;
	snprintf(f->sym[i].name, sizeof f->sym[i].name, "%s", name);
	f->sym[i].last_t = INT64_MIN;
	if (f->o.horizon_ms && !(f->sym[i].roll =
	    cmt_bt_roll_new(f->o.window))) {
		cmt_errf(err, CMT_ENOMEM, "out of memory");
		return NULL;
	}
	f->nsym++;
	return &f->sym[f->last = i];
}

static enum cmt_err
enqueue(struct cmt_follow *f, struct sym *s, const struct cmt_fvec *v,
	char *err)
{
	struct forecast *q;
	size_t i, cap;

	if (s->n == CMT_FOLLOW_MAX_PENDING) {
		s->head = (s->head + 1) % s->cap;
		s->n--;
		f->st.overflow++;
	}
	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		if (!(q = malloc(cap * sizeof *q)))
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		for (i = 0; i < s->n; i++)
			q[i] = s->q[(s->head + i) % s->cap];
		free(s->q);
		s->q = q;
		s->cap = cap;
		s->head = 0;
	}
	q = &s->q[(s->head + s->n++) % s->cap];
	q->t = v->t;
	q->p = v->p_up;
	q->px = v->px;
	q->warm_start = v->warm_start;
	return CMT_OK;
}

/* Score the forecasts of s that v's time reaches: the one made exactly H
 * before v against v's price; ones whose t + H was skipped are missed. */
static void
resolve(struct cmt_follow *f, struct sym *s, const struct cmt_fvec *v,
	int64_t now)
{
	while (s->n && s->q[s->head].t + f->o.horizon_ms <= v->t) {
		const struct forecast *q = &s->q[s->head];
		int y = v->px > q->px ? 1 : v->px < q->px ? 0 : -1;

		if (q->t + f->o.horizon_ms < v->t) {
			f->st.missed++;
		} else if (y < 0) {
			f->st.flat++;
		} else {
			outcome(f, s, q->t, q->p, y, q->px, v->px);
			score(f, s, q->p, y, q->warm_start ? CMT_BT_NO_LAG :
				now - q->t);
		}
		s->head = (s->head + 1) % s->cap;
		s->n--;
	}
}

enum cmt_err
cmt_follow_add(struct cmt_follow *f, const struct cmt_fvec *v,
	const char *line, size_t len, int64_t now, char *err)
{
	struct sym *s = NULL;
	enum cmt_err e = CMT_OK;

	if (v->partial) {
		/* provisional: never scored, and its t is the end of the step
		 * still forming, ahead of the stream; --pass copies it */
		f->st.partial++;
		if (f->o.pass) {
			f->o.out(f->o.ctx, line, len, 0);
			f->o.out(f->o.ctx, "\n", 1, 0);
		}
		return CMT_OK;
	}
	if (f->o.horizon_ms) {
		if (!(s = lookup(f, v->sym, err)))
			return f->nsym == CMT_FOLLOW_MAX_SYMBOLS ? CMT_ELIMIT :
				CMT_ENOMEM;
		if (v->t <= s->last_t)
			return cmt_errf(err, CMT_EORDER, "%s: t %lld is not "
				"after the previous vector's", v->sym,
				(long long)v->t);
	}
	if (f->next_emit == 0)
		f->next_emit = (v->t / f->o.every_ms + 1) * f->o.every_ms;
	if (v->t >= f->next_emit) {
		if (f->pending)
			emit(f, f->next_emit);
		f->next_emit = (v->t / f->o.every_ms + 1) * f->o.every_ms;
	}
	f->last_t = v->t;
	if (v->has_p) {
		/* a longer name is not named in the metrics lines */
		f->model_len = v->model.len <= CMT_BT_MODEL_MAX ?
			v->model.len : 0;
		memcpy(f->model, v->model.s, f->model_len);
	}
	if (s) {
		s->last_t = v->t;
		resolve(f, s, v, now);
	}
	if (f->o.pass) {
		f->o.out(f->o.ctx, line, len, 0);
		f->o.out(f->o.ctx, "\n", 1, 0);
	}
	if (v->has_y && v->y >= 0 && v->has_p) {
		int64_t lag = v->warm_start ? CMT_BT_NO_LAG : now - v->t;

		if (s)
			outcome(f, s, v->t, v->p_up, v->y, NAN, NAN);
		if (s)
			score(f, s, v->p_up, v->y, lag);
		else {
			cmt_bt_roll_add(f->all, v->p_up, v->y, lag);
			f->pending = 1;
			f->st.scored++;
		}
	} else if (s && v->has_p && !v->has_y) {
		e = enqueue(f, s, v, err);
	}
	return e;
}

void
cmt_follow_finish(struct cmt_follow *f)
{
	int i;

	if (f->pending)
		emit(f, f->last_t);
	for (i = 0; i < f->nsym; i++)
		f->st.pending += f->sym[i].n;
}

void
cmt_follow_stats(const struct cmt_follow *f, struct cmt_follow_stats *st)
{
	*st = f->st;
}
