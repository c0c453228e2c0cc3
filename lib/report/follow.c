/* cmt-backtest --follow (cmt_follow.h): rolling scores of a prediction
 * stream, each forecast scored when its outcome arrives.  struct cmt_follow
 * owns its windows and waiting forecasts; lines go to the caller's callback. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_backtest.h"
#include "cmt_follow.h"
#include "cmt_fmt.h"
#include "cmt_symtime.h"

struct forecast {
	int64_t t;
	double p, px;
};

struct sym {
	char name[CMT_SYM_MAX];
	struct cmt_symtime time;    /* its stream's time (the shared rule) */
	struct cmt_bt_roll *roll;   /* horizon mode only */
	int dirty;                  /* scored rows since its last line */
	struct forecast *q;         /* ring of forecasts awaiting t + H */
	size_t head, n, cap;
};

struct cmt_follow {
	struct cmt_follow_opts o;
	struct cmt_bt_roll *all;
	struct sym *sym;
	int nsym, last;             /* last: index of the latest symbol */
	/* The metrics clock: the stream time it has reached, the next
	 * interval's end, and how many vectors in a row came more than
	 * max_jump ahead of it. */
	int64_t clock_t, next_emit;
	int clock_started, ahead;
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

static char *
put(char *at, const char *s, size_t n)
{
	memcpy(at, s, n);
	return at + n;
}

/* a string literal */
#define put_lit(at, lit) put(at, lit, sizeof lit - 1)

/* The overall metrics line, then (with a horizon) one per symbol that
 * scored rows since its last line, "sym" after "kind". */
static void
emit(struct cmt_follow *f, int64_t t)
{
	static const char kind[] = "{\"kind\":\"metrics\",\"sym\":\"";
	char buf[CMT_BT_ROLL_LINE + CMT_SYM_MAX + sizeof kind], *at;
	size_t n;
	int i;

	n = cmt_bt_roll_format(f->all, t, f->model, f->model_len, buf,
		CMT_BT_ROLL_LINE);
	f->o.out(f->o.ctx, buf, n);
	for (i = 0; f->o.horizon_ms && i < f->nsym; i++) {
		struct sym *s = &f->sym[i];

		if (!s->dirty)
			continue;
		at = put(buf, kind, sizeof kind - 1);
		at = put(at, s->name, strlen(s->name));
		*at++ = '"';
		at += cmt_bt_roll_members(s->roll, t, f->model, f->model_len,
			at, CMT_BT_ROLL_LINE);
		f->o.out(f->o.ctx, buf, (size_t)(at - buf));
		s->dirty = 0;
	}
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
	char buf[CMT_SYM_MAX + 256], *at;

	at = put_lit(buf, "{\"kind\":\"outcome\",\"sym\":\"");
	at = put(at, s->name, strlen(s->name));
	at = put_lit(at, "\",\"t\":");
	at += cmt_fmt_int(at, t);
	at = put_lit(at, ",\"t_out\":");
	at += cmt_fmt_int(at, t + f->o.horizon_ms);
	at = put_lit(at, ",\"p_up\":");
	at += cmt_fmt_double(at, p, 6);
	at = put(at, y ? ",\"y\":1" : ",\"y\":0", 6);
	at = (p >= 0.5) == (y == 1) ? put_lit(at, ",\"hit\":true") :
		put_lit(at, ",\"hit\":false");
	if (!isnan(px)) {   /* the forecast was scored from prices */
		at = put_lit(at, ",\"px\":");
		at += cmt_fmt_double(at, px, 15);
		at = put_lit(at, ",\"px_out\":");
		at += cmt_fmt_double(at, px_out, 15);
	}
	at = put_lit(at, "}\n");
	f->o.out(f->o.ctx, buf, (size_t)(at - buf));
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
			score(f, s, q->p, y, now - q->t);
		}
		s->head = (s->head + 1) % s->cap;
		s->n--;
	}
}

/* The metrics clock follows the stream's time, a line per interval.  A
 * symbol whose time jumped (a jump its next vector confirmed) runs ahead
 * of the others: its vectors move the clock only after a whole round of
 * vectors (as many as there are symbols) all came that far ahead, so it
 * never silences the others' lines, while a lone symbol's jump, or every
 * symbol's, is followed. */
static void
advance_clock(struct cmt_follow *f, int64_t t)
{
	int64_t every = f->o.every_ms;

	if (!f->clock_started) {
		f->clock_started = 1;
		f->clock_t = t;
		f->next_emit = (t / every + 1) * every;
	}
	if (f->o.max_jump_ms > 0 && t - f->clock_t > f->o.max_jump_ms &&
	    ++f->ahead < f->nsym)
		return;
	f->ahead = 0;
	if (t >= f->next_emit) {
		if (f->pending)
			emit(f, f->next_emit);
		f->next_emit = (t / every + 1) * every;
	}
	if (t > f->clock_t)
		f->clock_t = t;
}

static void
pass(struct cmt_follow *f, const char *line, size_t len)
{
	if (f->o.pass) {
		f->o.out(f->o.ctx, line, len);
		f->o.out(f->o.ctx, "\n", 1);
	}
}

enum cmt_err
cmt_follow_add(struct cmt_follow *f, const struct cmt_fvec *v,
	const char *line, size_t len, int64_t now, char *err)
{
	enum cmt_symtime_skip why;
	struct sym *s;
	enum cmt_err e;

	if (v->partial) {
		/* provisional: never scored, and its t is the end of the step
		 * still forming, ahead of the stream; --pass copies it */
		f->st.partial++;
		pass(f, line, len);
		return CMT_OK;
	}
	if (!(s = lookup(f, v->sym, err)))
		return f->nsym == CMT_FOLLOW_MAX_SYMBOLS ? CMT_ELIMIT :
			CMT_ENOMEM;
	/* batch mode's rule, and cmt-features' for far-future times */
	if ((e = cmt_symtime_take(&s->time, v->sym, "vector", v->t,
	    f->o.max_jump_ms, &why, err))) {
		f->st.skipped[why]++;
		return e;
	}
	advance_clock(f, v->t);
	if (v->has_p) {
		/* a longer name is not named in the metrics lines */
		f->model_len = v->model.len <= CMT_BT_MODEL_MAX ?
			v->model.len : 0;
		if (f->model_len)
			memcpy(f->model, v->model.s, f->model_len);
	}
	if (f->o.horizon_ms)
		resolve(f, s, v, now);
	pass(f, line, len);
	if (v->has_y && v->y >= 0 && v->has_p) {
		if (f->o.horizon_ms)
			outcome(f, s, v->t, v->p_up, v->y, NAN, NAN);
		score(f, s, v->p_up, v->y, now - v->t);
	} else if (f->o.horizon_ms && v->has_p && !v->has_y) {
		return enqueue(f, s, v, err);
	}
	return CMT_OK;
}

void
cmt_follow_finish(struct cmt_follow *f)
{
	int i;

	if (f->pending)
		emit(f, f->clock_t);
	for (i = 0; i < f->nsym; i++)
		f->st.pending += f->sym[i].n;
}

void
cmt_follow_stats(const struct cmt_follow *f, struct cmt_follow_stats *st)
{
	*st = f->st;
}
