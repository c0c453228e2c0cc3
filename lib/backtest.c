#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_backtest.h"
#include "cmt_json.h"
#include "cmt_parse.h"

#define Y_NONE (-2)  /* no "y" member */
#define Y_FLAT (-1)  /* "y":null */

struct row {
	int64_t t;
	double px;
	double p;        /* NAN without p_up */
	double x0;       /* shortest-window return, known at t */
	int sym;
	int y;
};

/* One point of the overall equal-weight portfolio (for the plot). */
struct point {
	int64_t t;
	double eq, bh;
};

struct cmt_bt {
	struct cmt_bt_opts o;
	struct row *rows;
	size_t n, cap;
	int nsym;
	char model[CMT_BT_MODEL_MAX + 1]; /* model of the rows with p_up */
	int models;                /* 0 none yet, 1 one, 2 more than one */
	char sym[CMT_BT_MAX_SYMBOLS][CMT_SYM_MAX];
	int64_t last_t[CMT_BT_MAX_SYMBOLS];
	/* partial vectors skipped: in all, and by symbol (their own table, as
	 * a symbol with partial vectors only has no group) */
	size_t partial, npartial_sym, partial_n[CMT_BT_MAX_SYMBOLS];
	char partial_sym[CMT_BT_MAX_SYMBOLS][CMT_SYM_MAX];
	struct cmt_bt_group *groups;   /* nsym + 1 after finish */
	struct point *curve;
	size_t ncurve;
};

/* A growing string for the reports. */
struct sb {
	char *s;
	size_t len, cap;
	int failed;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap + (size_t)n + 1) * 2;
			char *s = realloc(b->s, cap);

			if (!s) {
				b->failed = 1;
				return;
			}
			b->s = s;
			b->cap = cap;
		}
	}
}

static char *
sb_done(struct sb *b)
{
	if (b->failed || !b->s) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

/* A number as JSON (null when not finite). */
static const char *
jnum(char *buf, double x)
{
	cmt_fmt_double(buf, x, 6);
	return buf;
}

double
cmt_bt_calibration(const double *p, const int *y, size_t n,
	struct cmt_bt_bin tab[CMT_BT_BINS])
{
	double sp[CMT_BT_BINS] = { 0 }, sy[CMT_BT_BINS] = { 0 }, ece = 0;
	size_t i;
	int k;

	for (k = 0; k < CMT_BT_BINS; k++)
		tab[k].n = 0;
	for (i = 0; i < n; i++) {
		k = (int)(p[i] * CMT_BT_BINS);
		if (k >= CMT_BT_BINS)
			k = CMT_BT_BINS - 1;
		if (k < 0)
			k = 0;
		tab[k].n++;
		sp[k] += p[i];
		sy[k] += y[i] == 1;
	}
	for (k = 0; k < CMT_BT_BINS; k++) {
		tab[k].p_mean = tab[k].n ? sp[k] / (double)tab[k].n : NAN;
		tab[k].freq = tab[k].n ? sy[k] / (double)tab[k].n : NAN;
		if (tab[k].n)
			ece += (double)tab[k].n / (double)n *
				fabs(tab[k].p_mean - tab[k].freq);
	}
	return n ? ece : NAN;
}

static int
cmp_pair(const void *a, const void *b)
{
	double x = *(const double *)a, z = *(const double *)b;

	return (x > z) - (x < z);
}

/* DeLong et al. (1988) with midranks (Sun and Xu 2014): each up row's
 * component is the share of down rows it outranks (ties 1/2), each down
 * row's the share of up rows that outrank it; their variances give the
 * variance of the AUC. */
double
cmt_bt_auc_se(const double *p, const int *y, size_t n, double *pair,
	double *auc)
{
	double m = 0, k, s10 = 0, s01 = 0, sum10 = 0;
	double pos_below = 0, neg_below = 0, d;
	size_t i, j, l;

	*auc = NAN;
	for (i = 0; i < n; i++) {
		pair[2 * i] = p[i];
		pair[2 * i + 1] = y[i] == 1;
		m += y[i] == 1;
	}
	k = (double)n - m;
	if (m < 2 || k < 2)
		return NAN;
	qsort(pair, n, 2 * sizeof *pair, cmp_pair);
	/* first pass: sums, to get the AUC; second: squared deviations */
	for (l = 0; l < 2; l++) {
		pos_below = neg_below = 0;
		for (i = 0; i < n; i = j) {
			double ups = 0, downs, v10, v01;

			for (j = i; j < n && pair[2 * j] == pair[2 * i]; j++)
				ups += pair[2 * j + 1];
			downs = (double)(j - i) - ups;
			v10 = (neg_below + downs / 2) / k;
			v01 = (m - pos_below - ups / 2) / m;
			if (l == 0) {
				sum10 += ups * v10;
			} else {
				d = v10 - *auc;
				s10 += ups * d * d;
				d = v01 - *auc;
				s01 += downs * d * d;
			}
			pos_below += ups;
			neg_below += downs;
		}
		if (l == 0)
			*auc = sum10 / m;
	}
	return sqrt(s10 / (m - 1) / m + s01 / (k - 1) / k);
}

void
cmt_bt_trade(const double *px, const double *p, size_t n, double theta,
	double fee_bps, struct cmt_bt_trading *out, double *equity)
{
	double f = fee_bps / 1e4, eq = 1, peak = 1, bh = 1, entry = 1;
	double sum = 0, sum2 = 0, g, r;
	int pos, prev = 0;
	size_t i;

	memset(out, 0, sizeof *out);
	out->max_dd = 0;
	if (equity && n)
		equity[0] = 1;
	for (i = 0; i + 1 < n; i++) {
		pos = !isnan(p[i]) && p[i] > theta;
		r = px[i + 1] / px[i] - 1;
		if (pos && !prev) {
			out->trades++;
			entry = eq;
		}
		g = (pos != prev ? 1 - f : 1) * (1 + (pos ? r : 0));
		eq *= g;
		if (!pos && prev && eq / entry - 1 > 0)
			out->wins++;
		bh *= 1 + r;
		out->periods++;
		out->long_periods += pos;
		sum += g - 1;
		sum2 += (g - 1) * (g - 1);
		if (eq > peak)
			peak = eq;
		if (1 - eq / peak > out->max_dd)
			out->max_dd = 1 - eq / peak;
		if (equity)
			equity[i + 1] = eq;
		prev = pos;
	}
	if (prev && eq / entry - 1 > 0)
		out->wins++;
	out->ret = eq - 1;
	out->bh_ret = bh - 1;
	out->hit_rate = out->trades ? (double)out->wins / (double)out->trades :
		NAN;
	out->sharpe = NAN;
	if (out->periods >= 2) {
		double np = (double)out->periods, mean = sum / np;
		double var = (sum2 - np * mean * mean) / (np - 1);

		if (var > 0)
			out->sharpe = mean / sqrt(var);
	}
}

enum cmt_err
cmt_bt_new(struct cmt_bt **out, const struct cmt_bt_opts *o)
{
	struct cmt_bt *bt = calloc(1, sizeof *bt);

	*out = bt;
	if (!bt)
		return CMT_ENOMEM;
	bt->o = *o;
	return CMT_OK;
}

void
cmt_bt_free(struct cmt_bt *bt)
{
	if (!bt)
		return;
	free(bt->rows);
	free(bt->groups);
	free(bt->curve);
	free(bt);
}

static int
symbol_index(struct cmt_bt *bt, const char *sym)
{
	int i;

	for (i = bt->nsym - 1; i >= 0; i--)
		if (strcmp(bt->sym[i], sym) == 0)
			return i;
	return -1;
}

static int
partial_index(const struct cmt_bt *bt, const char *sym)
{
	int i;

	for (i = (int)bt->npartial_sym - 1; i >= 0; i--)
		if (strcmp(bt->partial_sym[i], sym) == 0)
			return i;
	return -1;
}

enum cmt_err
cmt_bt_add(struct cmt_bt *bt, const struct cmt_fvec *v, char *err)
{
	struct row *r;
	int s = symbol_index(bt, v->sym);

	if (v->partial) {
		/* provisional: its step's final vector follows */
		bt->partial++;
		if ((s = partial_index(bt, v->sym)) < 0 &&
		    bt->npartial_sym < CMT_BT_MAX_SYMBOLS) {
			s = (int)bt->npartial_sym++;
			strcpy(bt->partial_sym[s], v->sym);
		}
		if (s >= 0)
			bt->partial_n[s]++;
		return CMT_ESKIP;
	}
	if (s < 0) {
		if (bt->nsym == CMT_BT_MAX_SYMBOLS)
			return cmt_errf(err, CMT_ELIMIT, "more than %d symbols",
				CMT_BT_MAX_SYMBOLS);
		s = bt->nsym++;
		strcpy(bt->sym[s], v->sym);
	} else if (v->t <= bt->last_t[s]) {
		return cmt_errf(err, CMT_EORDER, "%s: t %lld is not after the "
			"previous vector's", v->sym, (long long)v->t);
	}
	if (bt->n == bt->cap) {
		size_t cap = bt->cap ? bt->cap * 2 : 4096;
		struct row *rows = realloc(bt->rows, cap * sizeof *rows);

		if (!rows)
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		bt->rows = rows;
		bt->cap = cap;
	}
	bt->last_t[s] = v->t;
	if (v->has_p && v->model.len) {
		size_t n = v->model.len;

		if (n > CMT_BT_MODEL_MAX) {
			bt->models = 2;  /* unnamable: report as several */
		} else if (!bt->models) {
			memcpy(bt->model, v->model.s, n);
			bt->model[n] = '\0';
			bt->models = 1;
		} else if (bt->models == 1 && (strlen(bt->model) != n ||
		    memcmp(bt->model, v->model.s, n) != 0)) {
			bt->models = 2;
		}
	}
	r = &bt->rows[bt->n++];
	r->t = v->t;
	r->px = v->px;
	r->p = v->has_p ? v->p_up : NAN;
	r->x0 = v->x[0];
	r->sym = s;
	r->y = v->has_y ? v->y : Y_NONE;
	return CMT_OK;
}

int
cmt_bt_ngroups(const struct cmt_bt *bt)
{
	return bt->groups ? bt->nsym + 1 : 0;
}

const struct cmt_bt_group *
cmt_bt_group(const struct cmt_bt *bt, int i)
{
	return &bt->groups[i];
}

/* Scratch arrays for scoring one group; order lists the rows symbol by
 * symbol (in input order within one), symbol s at [start[s], start[s+1]). */
struct work {
	double *p, *pm, *pl, *pair, *px, *eq;
	int *y;
	size_t *order, *start;
};

/* Row index of the k-th row of symbol s (s < 0: of all rows). */
static const struct row *
row_at(const struct cmt_bt *bt, const struct work *w, int s, size_t k)
{
	return &bt->rows[s < 0 ? k : w->order[w->start[s] + k]];
}

static size_t
rows_of(const struct cmt_bt *bt, const struct work *w, int s)
{
	return s < 0 ? bt->n : w->start[s + 1] - w->start[s];
}

static void
score(const struct cmt_bt *bt, int s, struct cmt_bt_group *g,
	struct work *w)
{
	size_t i, n = 0, up = 0, nr = rows_of(bt, w, s);
	size_t sign_n[3] = { 0 }, sign_up[3] = { 0 };
	double se, auc, hits = 0;
	int k;

	memset(g, 0, sizeof *g);
	strcpy(g->sym, s < 0 ? "ALL" : bt->sym[s]);
	if (s < 0)
		g->partial = bt->partial;
	else if ((k = partial_index(bt, bt->sym[s])) >= 0)
		g->partial = bt->partial_n[k];
	g->t_first = INT64_MAX;
	g->t_last = INT64_MIN;
	for (i = 0; i < nr; i++) {
		const struct row *r = row_at(bt, w, s, i);

		g->lines++;
		if (r->t < g->t_first)
			g->t_first = r->t;
		if (r->t > g->t_last)
			g->t_last = r->t;
		if (r->y == Y_NONE) {
			g->unlabelled++;
		} else if (r->y == Y_FLAT) {
			g->flat++;
		} else if (isnan(r->p)) {
			g->no_p++;
		} else {
			w->p[n] = r->p;
			w->y[n] = r->y;
			/* the sign of the last return: +1, -1, or 0 (says nothing) */
			w->pl[n] = r->x0 > 0 ? 1 : r->x0 < 0 ? -1 : 0;
			sign_n[w->pl[n] > 0 ? 0 : w->pl[n] < 0 ? 1 : 2]++;
			sign_up[w->pl[n] > 0 ? 0 : w->pl[n] < 0 ? 1 : 2] += r->y;
			up += r->y;
			n++;
		}
	}
	g->base_rate = n ? (double)up / (double)n : NAN;
	for (i = 0; i < n; i++)
		w->pm[i] = g->base_rate;
	/* The sign rule forecasts up after a rise, down after a fall; its
	 * probability, like the majority baseline's, is the up-share seen
	 * among rows with that sign (in hindsight, which can only flatter
	 * it).  A hard 0/1 probability would make log-loss meaningless. */
	for (i = 0; i < n; i++) {
		int k = w->pl[i] > 0 ? 0 : w->pl[i] < 0 ? 1 : 2;

		hits += (w->pl[i] > 0 && w->y[i] == 1) ||
		    (w->pl[i] < 0 && w->y[i] == 0) ? 1 : w->pl[i] == 0 ? 0.5 : 0;
		w->pl[i] = (double)sign_up[k] / (double)sign_n[k];
	}
	cmt_metrics_compute(w->p, w->y, n, w->pair, &g->model.m);
	cmt_metrics_compute(w->pm, w->y, n, w->pair, &g->majority.m);
	cmt_metrics_compute(w->pl, w->y, n, w->pair, &g->last_return.m);
	g->last_return.m.accuracy = n ? hits / (double)n : NAN;
	se = cmt_bt_auc_se(w->p, w->y, n, w->pair, &auc);
	g->model.auc_lo = fmax(0, g->model.m.auc - 1.959964 * se);
	g->model.auc_hi = fmin(1, g->model.m.auc + 1.959964 * se);
	if (isnan(se))
		g->model.auc_lo = g->model.auc_hi = NAN;
	g->majority.auc_lo = g->majority.auc_hi = NAN;
	g->last_return.auc_lo = g->last_return.auc_hi = NAN;
	g->ece = cmt_bt_calibration(w->p, w->y, n, g->calib);
}

static int
cmp_point(const void *a, const void *b)
{
	const struct point *x = a, *z = b;

	return (x->t > z->t) - (x->t < z->t);
}

/* Trading per symbol, and the overall equal-weight portfolio: each symbol
 * is a sub-account with 1/S of the capital, valued at its latest equity. */
static enum cmt_err
trade_all(struct cmt_bt *bt, struct work *w)
{
	struct cmt_bt_trading *all = &bt->groups[bt->nsym].trading;
	double *cur = NULL, *curbh = NULL, v = 1, vb = 1, peak = 1, prev = 1;
	double sum = 0, sum2 = 0, ns = bt->nsym;
	size_t i, j, n, np = 0;
	int s;

	if (!(bt->curve = malloc((bt->n + 1) * sizeof *bt->curve)) ||
	    !(cur = malloc((size_t)(bt->nsym + 1) * 2 * sizeof *cur))) {
		free(cur);
		return CMT_ENOMEM;
	}
	curbh = cur + bt->nsym + 1;
	memset(all, 0, sizeof *all);
	for (s = 0; s < bt->nsym; s++) {
		struct cmt_bt_trading *t = &bt->groups[s].trading;

		n = rows_of(bt, w, s);
		for (i = 0; i < n; i++) {
			w->px[i] = row_at(bt, w, s, i)->px;
			w->p[i] = row_at(bt, w, s, i)->p;
		}
		cmt_bt_trade(w->px, w->p, n, bt->o.theta, bt->o.fee_bps, t,
			w->eq);
		all->long_periods += t->long_periods;
		all->trades += t->trades;
		all->wins += t->wins;
		all->bh_ret += t->bh_ret / ns;
		for (i = 1; i < n; i++) {
			bt->curve[np].t = row_at(bt, w, s, i)->t;
			bt->curve[np].eq = w->eq[i] - w->eq[i - 1];
			bt->curve[np].bh = (w->px[i] - w->px[i - 1]) / w->px[0];
			np++;
		}
		cur[s] = 1;
		curbh[s] = 1;
	}
	/* the curve holds equity increments per symbol; merge them in time
	 * order and sum per distinct time */
	qsort(bt->curve, np, sizeof *bt->curve, cmp_point);
	all->max_dd = 0;
	for (i = 0, n = 0; i < np; i = j) {
		for (j = i; j < np && bt->curve[j].t == bt->curve[i].t; j++) {
			v += bt->curve[j].eq / ns;
			vb += bt->curve[j].bh / ns;
		}
		bt->curve[n].t = bt->curve[i].t;
		bt->curve[n].eq = v;
		bt->curve[n].bh = vb;
		n++;
		all->periods++;
		sum += v / prev - 1;
		sum2 += (v / prev - 1) * (v / prev - 1);
		prev = v;
		if (v > peak)
			peak = v;
		if (1 - v / peak > all->max_dd)
			all->max_dd = 1 - v / peak;
	}
	bt->ncurve = n;
	all->ret = v - 1;
	all->hit_rate = all->trades ? (double)all->wins / (double)all->trades :
		NAN;
	all->sharpe = NAN;
	if (all->periods >= 2) {
		double k = (double)all->periods, mean = sum / k;
		double var = (sum2 - k * mean * mean) / (k - 1);

		if (var > 0)
			all->sharpe = mean / sqrt(var);
	}
	free(cur);
	return CMT_OK;
}

enum cmt_err
cmt_bt_finish(struct cmt_bt *bt, char *err)
{
	struct work w;
	size_t i, n = bt->n ? bt->n : 1;
	enum cmt_err e = CMT_OK;
	int s;

	memset(&w, 0, sizeof w);
	free(bt->groups);
	free(bt->curve);
	bt->curve = NULL;
	bt->groups = calloc((size_t)bt->nsym + 1, sizeof *bt->groups);
	w.p = malloc(n * sizeof *w.p);
	w.pm = malloc(n * sizeof *w.pm);
	w.pl = malloc(n * sizeof *w.pl);
	w.px = malloc(n * sizeof *w.px);
	w.eq = malloc(n * sizeof *w.eq);
	w.pair = malloc(2 * n * sizeof *w.pair);
	w.y = malloc(n * sizeof *w.y);
	w.order = malloc(n * sizeof *w.order);
	w.start = calloc((size_t)bt->nsym + 1, sizeof *w.start);
	if (!bt->groups || !w.p || !w.pm || !w.pl || !w.px || !w.eq ||
	    !w.pair || !w.y || !w.order || !w.start) {
		e = cmt_errf(err, CMT_ENOMEM, "out of memory");
		goto out;
	}
	/* counting sort by symbol, stable */
	for (i = 0; i < bt->n; i++)
		w.start[bt->rows[i].sym + 1]++;
	for (s = 0; s < bt->nsym; s++)
		w.start[s + 1] += w.start[s];
	for (i = 0; i < bt->n; i++)
		w.order[w.start[bt->rows[i].sym]++] = i;
	for (s = bt->nsym; s > 0; s--)
		w.start[s] = w.start[s - 1];
	w.start[0] = 0;
	for (s = 0; s < bt->nsym; s++)
		score(bt, s, &bt->groups[s], &w);
	score(bt, -1, &bt->groups[bt->nsym], &w);
	if (trade_all(bt, &w))
		e = cmt_errf(err, CMT_ENOMEM, "out of memory");
out:
	free(w.p);
	free(w.pm);
	free(w.pl);
	free(w.px);
	free(w.eq);
	free(w.pair);
	free(w.y);
	free(w.order);
	free(w.start);
	if (e) {
		free(bt->groups);
		bt->groups = NULL;
	}
	return e;
}

/* The model named by the rows: "-" when none, "(several)" if they differ.
 * Names are the raw JSON string contents (escapes kept), valid between
 * quotes in the JSON report. */
static const char *
model_name(const struct cmt_bt *bt)
{
	return bt->models == 0 ? "-" : bt->models == 1 ? bt->model :
		"(several)";
}

/* Fixed-point for the text table; "-" when undefined. */
static const char *
fx(char *buf, double x, int width, int prec)
{
	if (isnan(x))
		snprintf(buf, 32, "%*s", width, "-");
	else
		snprintf(buf, 32, "%*.*f", width, prec, x);
	return buf;
}

static void
text_scores(struct sb *b, const char *name, const struct cmt_bt_scores *s,
	double ece, int model)
{
	char a[6][32], ci[64];

	if (model && !isnan(s->auc_lo))
		snprintf(ci, sizeof ci, "[%.4f, %.4f]", s->auc_lo, s->auc_hi);
	else
		snprintf(ci, sizeof ci, "%s", "");
	sb_printf(b, "  %-12s %8zu %8s %8s  %-18s %8s %8s %8s\n", name, s->m.n,
		fx(a[0], s->m.accuracy, 8, 4), fx(a[1], s->m.auc, 8, 4), ci,
		fx(a[2], s->m.logloss, 8, 4), fx(a[3], s->m.brier, 8, 4),
		model ? fx(a[4], ece, 8, 4) : "");
}

char *
cmt_bt_format_text(const struct cmt_bt *bt)
{
	const struct cmt_bt_group *all = &bt->groups[bt->nsym];
	struct sb b = { 0 };
	char t0[40], t1[40], a[8][32];
	int i, k;

	cmt_format_time(all->lines ? all->t_first : 0, t0, sizeof t0);
	cmt_format_time(all->lines ? all->t_last : 0, t1, sizeof t1);
	sb_printf(&b, "model %s; vectors %zu, symbols %d, from %s to %s\n",
		model_name(bt), all->lines, bt->nsym, all->lines ? t0 : "-",
		all->lines ? t1 : "-");
	sb_printf(&b, "scored %zu; not scored: %zu flat (y null), %zu without "
		"p_up, %zu unlabelled, %zu partial\n\n", all->model.m.n,
		all->flat, all->no_p, all->unlabelled, all->partial);
	sb_printf(&b, "%-14s %8s %8s %8s  %-18s %8s %8s %8s\n", "scores", "n",
		"accuracy", "auc", "auc 95% (DeLong)", "logloss", "brier",
		"ece");
	for (i = 0; i <= bt->nsym; i++) {
		const struct cmt_bt_group *g = &bt->groups[i];

		if (bt->nsym == 1 && i == 1)
			break;
		sb_printf(&b, "%s  (up %s)\n", g->sym,
			fx(a[0], g->base_rate, 0, 4));
		text_scores(&b, "model", &g->model, g->ece, 1);
		text_scores(&b, "majority", &g->majority, 0, 0);
		text_scores(&b, "last return", &g->last_return, 0, 0);
	}
	sb_printf(&b, "\ncalibration (%s, %d bins, ECE %s)\n", bt->nsym == 1 ?
		bt->groups[0].sym : "ALL", CMT_BT_BINS,
		fx(a[0], all->ece, 0, 4));
	sb_printf(&b, "  %-9s %8s %8s %8s\n", "p_up", "n", "mean p", "up");
	for (k = 0; k < CMT_BT_BINS; k++)
		sb_printf(&b, "  [%.1f,%.1f%c %8zu %8s %8s\n",
			(double)k / CMT_BT_BINS, (double)(k + 1) / CMT_BT_BINS,
			k == CMT_BT_BINS - 1 ? ']' : ')', all->calib[k].n,
			fx(a[0], all->calib[k].p_mean, 8, 4),
			fx(a[1], all->calib[k].freq, 8, 4));
	sb_printf(&b, "\ntrading: long when p_up > %g, else flat; fee %g bps "
		"per entry and exit; one period = one vector step\n",
		bt->o.theta, bt->o.fee_bps);
	sb_printf(&b, "%-14s %8s %8s %8s %8s %9s %9s %8s %8s\n", "symbol",
		"periods", "long", "trades", "hit rate", "return", "buy&hold",
		"max dd", "sharpe");
	for (i = 0; i <= bt->nsym; i++) {
		const struct cmt_bt_trading *t = &bt->groups[i].trading;

		if (bt->nsym == 1 && i == 1)
			break;
		sb_printf(&b,
			"%-14s %8zu %8zu %8zu %8s %8s%% %8s%% %7s%% %8s\n",
			i == bt->nsym ? "ALL (1/S each)" : bt->groups[i].sym,
			t->periods, t->long_periods, t->trades,
			fx(a[0], t->hit_rate, 8, 4),
			fx(a[1], 100 * t->ret, 8, 3),
			fx(a[2], 100 * t->bh_ret, 8, 3),
			fx(a[3], 100 * t->max_dd, 7, 3),
			fx(a[4], t->sharpe, 8, 4));
	}
	return sb_done(&b);
}

static void
json_scores(struct sb *b, const char *name, const struct cmt_bt_scores *s)
{
	char a[6][32];

	sb_printf(b, "\"%s\":{\"n\":%zu,\"accuracy\":%s,\"auc\":%s,"
		"\"auc_lo\":%s,\"auc_hi\":%s,\"logloss\":%s,\"brier\":%s}",
		name,
		s->m.n, jnum(a[0], s->m.accuracy), jnum(a[1], s->m.auc),
		jnum(a[2], s->auc_lo), jnum(a[3], s->auc_hi),
		jnum(a[4], s->m.logloss), jnum(a[5], s->m.brier));
}

static void
json_group(struct sb *b, const struct cmt_bt *bt,
	const struct cmt_bt_group *g)
{
	const struct cmt_bt_trading *t = &g->trading;
	char a[8][32];
	int k;

	sb_printf(b, "{\"sym\":\"%s\",\"vectors\":%zu,\"t_first\":%lld,"
		"\"t_last\":%lld,\"scored\":%zu,\"flat\":%zu,\"no_p\":%zu,"
		"\"unlabelled\":%zu,\"partial\":%zu,\"base_rate\":%s,", g->sym,
		g->lines, g->lines ? (long long)g->t_first : 0,
		g->lines ? (long long)g->t_last : 0, g->model.m.n, g->flat,
		g->no_p, g->unlabelled, g->partial, jnum(a[0], g->base_rate));
	json_scores(b, "model", &g->model);
	sb_printf(b, ",");
	json_scores(b, "majority", &g->majority);
	sb_printf(b, ",");
	json_scores(b, "last_return", &g->last_return);
	sb_printf(b, ",\"ece\":%s,\"calibration\":[", jnum(a[0], g->ece));
	for (k = 0; k < CMT_BT_BINS; k++)
		sb_printf(b, "%s{\"lo\":%s,\"hi\":%s,\"n\":%zu,\"p_mean\":%s,"
			"\"freq\":%s}", k ? "," : "",
			jnum(a[0], (double)k / CMT_BT_BINS),
			jnum(a[1], (double)(k + 1) / CMT_BT_BINS),
			g->calib[k].n, jnum(a[2], g->calib[k].p_mean),
			jnum(a[3], g->calib[k].freq));
	sb_printf(b, "],\"trading\":{\"theta\":%s,\"fee_bps\":%s,"
		"\"periods\":%zu,\"long_periods\":%zu,\"trades\":%zu,"
		"\"wins\":%zu,\"hit_rate\":%s,\"return\":%s,\"buy_hold\":%s,"
		"\"max_drawdown\":%s,\"sharpe_per_period\":%s}}",
		jnum(a[0], bt->o.theta), jnum(a[1], bt->o.fee_bps), t->periods,
		t->long_periods, t->trades, t->wins, jnum(a[2], t->hit_rate),
		jnum(a[3], t->ret), jnum(a[4], t->bh_ret),
		jnum(a[5], t->max_dd), jnum(a[6], t->sharpe));
}

char *
cmt_bt_format_json(const struct cmt_bt *bt)
{
	struct sb b = { 0 };
	int i;

	if (bt->models)
		sb_printf(&b, "{\"model\":\"%s\",\"overall\":", model_name(bt));
	else
		sb_printf(&b, "{\"model\":null,\"overall\":");
	json_group(&b, bt, &bt->groups[bt->nsym]);
	sb_printf(&b, ",\"symbols\":[");
	for (i = 0; i < bt->nsym; i++) {
		sb_printf(&b, "%s", i ? "," : "");
		json_group(&b, bt, &bt->groups[i]);
	}
	sb_printf(&b, "]}\n");
	return sb_done(&b);
}

/* Plot geometry: equity panel on top, reliability diagram below. */
#define SVG_W 760
#define SVG_H 640
#define EQ_X0 70.0
#define EQ_X1 740.0
#define EQ_Y0 40.0
#define EQ_Y1 300.0
#define CAL_X0 70.0
#define CAL_Y0 370.0
#define CAL_S 230.0

static void
svg_polyline(struct sb *b, const struct point *c, size_t n, int bh,
	double lo, double hi, int64_t t0, int64_t t1, const char *color)
{
	size_t i, step = n > 1500 ? (n + 1499) / 1500 : 1;
	double span = t1 > t0 ? (double)(t1 - t0) : 1;

	sb_printf(b, "<polyline fill=\"none\" stroke=\"%s\" "
		"stroke-width=\"1.2\" points=\"", color);
	for (i = 0; i < n; i += step) {
		double v = bh ? c[i].bh : c[i].eq;

		sb_printf(b, "%.1f,%.1f ", EQ_X0 + (EQ_X1 - EQ_X0) *
			(double)(c[i].t - t0) / span,
			EQ_Y1 - (EQ_Y1 - EQ_Y0) * (v - lo) / (hi - lo));
	}
	sb_printf(b, "\"/>\n");
}

char *
cmt_bt_format_svg(const struct cmt_bt *bt)
{
	const struct cmt_bt_group *all = &bt->groups[bt->nsym];
	const struct point *c = bt->curve;
	struct sb b = { 0 };
	double lo = 1, hi = 1;
	char t0[40], t1[40];
	size_t i;
	int k;

	for (i = 0; i < bt->ncurve; i++) {
		lo = fmin(lo, fmin(c[i].eq, c[i].bh));
		hi = fmax(hi, fmax(c[i].eq, c[i].bh));
	}
	if (hi - lo < 1e-9) {
		lo -= 0.01;
		hi += 0.01;
	}
	sb_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		SVG_W, SVG_H);
	sb_printf(&b, "<text x=\"%g\" y=\"24\" font-size=\"14\">Equity, equal "
		"weight over %d symbol(s): rule (long when p_up &gt; %g, "
		"fee %g bps) vs buy and hold</text>\n", EQ_X0, bt->nsym,
		bt->o.theta, bt->o.fee_bps);
	sb_printf(&b, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" "
		"fill=\"none\" stroke=\"#999\"/>\n", EQ_X0, EQ_Y0,
		EQ_X1 - EQ_X0, EQ_Y1 - EQ_Y0);
	sb_printf(&b, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4f"
		"</text>\n<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4f"
		"</text>\n",
		EQ_X0 - 4, EQ_Y0 + 10, hi, EQ_X0 - 4, EQ_Y1, lo);
	if (bt->ncurve) {
		int64_t a = c[0].t, z = c[bt->ncurve - 1].t;

		cmt_format_time(a, t0, sizeof t0);
		cmt_format_time(z, t1, sizeof t1);
		sb_printf(&b, "<text x=\"%g\" y=\"%g\">%s</text>\n"
			"<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%s"
			"</text>\n", EQ_X0,
			EQ_Y1 + 16, t0, EQ_X1, EQ_Y1 + 16, t1);
		svg_polyline(&b, c, bt->ncurve, 1, lo, hi, a, z, "#999999");
		svg_polyline(&b, c, bt->ncurve, 0, lo, hi, a, z, "#1f77b4");
	}
	sb_printf(&b, "<text x=\"%g\" y=\"%g\" fill=\"#1f77b4\">rule %+.3f%%"
		"</text>\n<text x=\"%g\" y=\"%g\" fill=\"#999999\">"
		"buy and hold %+.3f%%</text>\n", EQ_X0 + 200, EQ_Y1 + 16,
		100 * all->trading.ret, EQ_X0 + 330, EQ_Y1 + 16,
		100 * all->trading.bh_ret);
	sb_printf(&b, "<text x=\"%g\" y=\"%g\" font-size=\"14\">Calibration "
		"(%d bins, ECE %.4f): observed share up vs mean p_up</text>\n",
		CAL_X0, CAL_Y0 - 16, CMT_BT_BINS, all->ece);
	sb_printf(&b, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" "
		"fill=\"none\" stroke=\"#999\"/>\n<line x1=\"%g\" y1=\"%g\" "
		"x2=\"%g\" y2=\"%g\" stroke=\"#ccc\" "
		"stroke-dasharray=\"4\"/>\n",
		CAL_X0, CAL_Y0, CAL_S, CAL_S, CAL_X0, CAL_Y0 + CAL_S,
		CAL_X0 + CAL_S, CAL_Y0);
	sb_printf(&b, "<text x=\"%g\" y=\"%g\">0</text><text x=\"%g\" y=\"%g\" "
		"text-anchor=\"end\">1</text><text x=\"%g\" y=\"%g\" "
		"text-anchor=\"end\">1</text>\n", CAL_X0 - 10,
		CAL_Y0 + CAL_S + 14,
		CAL_X0 + CAL_S, CAL_Y0 + CAL_S + 14, CAL_X0 - 4, CAL_Y0 + 10);
	for (k = 0; k < CMT_BT_BINS; k++) {
		const struct cmt_bt_bin *bin = &all->calib[k];
		double share = all->model.m.n ?
			(double)bin->n / (double)all->model.m.n : 0;

		/* bar: share of rows in the bin, on the bottom of the panel */
		sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" fill=\"#eee\"/>\n",
			CAL_X0 + CAL_S * k / CMT_BT_BINS,
			CAL_Y0 + CAL_S * (1 - share),
			CAL_S / CMT_BT_BINS - 1, CAL_S * share);
		if (bin->n)
			sb_printf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" "
				"r=\"3.5\" fill=\"#d62728\"><title>%zu rows"
				"</title></circle>\n",
				CAL_X0 + CAL_S * bin->p_mean,
				CAL_Y0 + CAL_S * (1 - bin->freq), bin->n);
	}
	sb_printf(&b, "<text x=\"%g\" y=\"%g\">n %zu, accuracy %.4f, AUC %.4f, "
		"log-loss %.4f, Brier %.4f</text>\n<text x=\"%g\" y=\"%g\" "
		"fill=\"#777\">dots: bins; grey bars: share of rows per bin; "
		"dashes: perfect calibration</text>\n</svg>\n",
		CAL_X0 + CAL_S + 30, CAL_Y0 + 20, all->model.m.n,
		all->model.m.accuracy, all->model.m.auc, all->model.m.logloss,
		all->model.m.brier, CAL_X0 + CAL_S + 30, CAL_Y0 + 40);
	return sb_done(&b);
}

struct cmt_bt_roll {
	size_t window, n, head;
	uint64_t total;
	double *p, *ps, *lag, *lags, *pair;
	int *y, *ys;
};

struct cmt_bt_roll *
cmt_bt_roll_new(size_t window)
{
	struct cmt_bt_roll *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->window = window;
	r->p = malloc(window * sizeof *r->p);
	r->ps = malloc(window * sizeof *r->ps);
	r->lag = malloc(window * sizeof *r->lag);
	r->lags = malloc(window * sizeof *r->lags);
	r->pair = malloc(2 * window * sizeof *r->pair);
	r->y = malloc(window * sizeof *r->y);
	r->ys = malloc(window * sizeof *r->ys);
	if (!r->p || !r->ps || !r->lag || !r->lags || !r->pair || !r->y ||
	    !r->ys) {
		cmt_bt_roll_free(r);
		return NULL;
	}
	return r;
}

void
cmt_bt_roll_free(struct cmt_bt_roll *r)
{
	if (!r)
		return;
	free(r->p);
	free(r->ps);
	free(r->lag);
	free(r->lags);
	free(r->pair);
	free(r->y);
	free(r->ys);
	free(r);
}

void
cmt_bt_roll_add(struct cmt_bt_roll *r, double p, int y, int64_t lag_ms)
{
	r->p[r->head] = p;
	r->y[r->head] = y;
	r->lag[r->head] = (double)lag_ms;
	r->head = (r->head + 1) % r->window;
	if (r->n < r->window)
		r->n++;
	r->total++;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, z = *(const double *)b;

	return (x > z) - (x < z);
}

size_t
cmt_bt_roll_format(struct cmt_bt_roll *r, int64_t t, const char *model,
	size_t model_len, char *buf, size_t cap)
{
	struct cmt_metrics m;
	char a[6][32], name[CMT_BT_MODEL_MAX + 16] = "";
	size_t i, up = 0;
	int n;

	/* the ring in any order: the metrics do not depend on it */
	for (i = 0; i < r->n; i++) {
		r->ps[i] = r->p[i];
		r->ys[i] = r->y[i];
		r->lags[i] = r->lag[i];
		up += r->y[i] == 1;
	}
	cmt_metrics_compute(r->ps, r->ys, r->n, r->pair, &m);
	/* a replayed stream is days behind the clock: no latency to show */
	strcpy(a[5], "null");
	if (r->n) {
		qsort(r->lags, r->n, sizeof *r->lags, cmp_double);
		if (r->lags[r->n / 2] >= 0 && r->lags[r->n / 2] <= 86400000)
			cmt_fmt_int(a[5], (int64_t)r->lags[r->n / 2]);
	}
	if (model && model_len && model_len <= CMT_BT_MODEL_MAX)
		snprintf(name, sizeof name, ",\"model\":\"%.*s\"",
			(int)model_len, model);
	n = snprintf(buf, cap, "{\"kind\":\"metrics\"%s,\"t\":%lld,"
		"\"window\":%zu,\"count\":%llu,\"accuracy\":%s,\"auc\":%s,"
		"\"logloss\":%s,\"brier\":%s,\"base_rate\":%s,\"lag_ms\":%s}\n",
		name, (long long)t, r->n, (unsigned long long)r->total,
		jnum(a[0], m.accuracy),
		jnum(a[1], m.auc), jnum(a[2], m.logloss), jnum(a[3], m.brier),
		jnum(a[4], r->n ? (double)up / (double)r->n : NAN), a[5]);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
