/* Scores of the backtest's groups: calibration, the AUC and its DeLong
 * interval from per-score counts, the running sums a row adds to, and the
 * baselines.  The score maps belong to struct cmt_bt (report_int.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* The calibration bin of p: [k/10, (k+1)/10), the last one with 1. */
static int
cal_bin(double p)
{
	int k = (int)(p * CMT_BT_BINS);

	return k >= CMT_BT_BINS ? CMT_BT_BINS - 1 : k < 0 ? 0 : k;
}

/* The table and the ECE from each bin's count and sums of p and y, for
 * n rows in all. */
static double
cal_table(const size_t *cnt, const double *sp, const double *sy, size_t n,
	struct cmt_bt_bin tab[CMT_BT_BINS])
{
	double ece = 0;
	int k;

	for (k = 0; k < CMT_BT_BINS; k++) {
		tab[k].n = cnt[k];
		tab[k].p_mean = cnt[k] ? sp[k] / (double)cnt[k] : NAN;
		tab[k].freq = cnt[k] ? sy[k] / (double)cnt[k] : NAN;
		if (cnt[k])
			ece += (double)cnt[k] / (double)n *
				fabs(tab[k].p_mean - tab[k].freq);
	}
	return n ? ece : NAN;
}

double
cmt_bt_calibration(const double *p, const int *y, size_t n,
	struct cmt_bt_bin tab[CMT_BT_BINS])
{
	double sp[CMT_BT_BINS] = { 0 }, sy[CMT_BT_BINS] = { 0 };
	size_t cnt[CMT_BT_BINS] = { 0 }, i;
	int k;

	for (i = 0; i < n; i++) {
		k = cal_bin(p[i]);
		cnt[k]++;
		sp[k] += p[i];
		sy[k] += y[i] == 1;
	}
	return cal_table(cnt, sp, sy, n, tab);
}

/* One forecast p of outcome y into sums of log-loss and squared error,
 * as cmt_metrics_logloss and cmt_metrics_brier sum them. */
static void
add_loss(double p, int y, double *logloss, double *brier)
{
	double q = y == 1 ? p : 1 - p, d = p - (y == 1);

	*logloss -= log(q < CMT_METRICS_EPS ? CMT_METRICS_EPS : q);
	*brier += d * d;
}

int
cmt_bt_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, z = *(const double *)b;

	return (x > z) - (x < z);
}

/* The AUC from runs of equal p in ascending order, as cmt_metrics_auc
 * computes it from sorted rows: each run shares its average rank. */
static double
auc_runs(const struct score *r, size_t nr)
{
	double rank_sum = 0, n_up = 0, n = 0, n_down, avg;
	size_t i;

	for (i = 0; i < nr; i++) {
		double ups = (double)r[i].up, rn = (double)(r[i].up + r[i].down);

		avg = (n + 1 + (n + rn)) / 2;
		rank_sum += ups * avg;
		n += rn;
		n_up += ups;
	}
	if (n == 0)
		return NAN;
	n_down = n - n_up;
	if (n_up == 0 || n_down == 0)
		return NAN;
	return (rank_sum - n_up * (n_up + 1) / 2) / (n_up * n_down);
}

/* DeLong et al. (1988) with midranks (Sun and Xu 2014): each up row's
 * component is the share of down rows it outranks (ties 1/2), each down
 * row's the share of up rows that outrank it; their variances give the
 * variance of the AUC.  Rows with equal p have equal components, so runs
 * of equal p (ascending) are all it needs. */
static double
auc_se_runs(const struct score *r, size_t nr, double *auc)
{
	double m = 0, n = 0, k, s10 = 0, s01 = 0, sum10 = 0;
	double pos_below, neg_below, d;
	size_t i;
	int l;

	*auc = NAN;
	for (i = 0; i < nr; i++) {
		m += (double)r[i].up;
		n += (double)(r[i].up + r[i].down);
	}
	k = n - m;
	if (m < 2 || k < 2)
		return NAN;
	/* first pass: sums, to get the AUC; second: squared deviations */
	for (l = 0; l < 2; l++) {
		pos_below = neg_below = 0;
		for (i = 0; i < nr; i++) {
			double ups = (double)r[i].up, v10, v01;
			double downs = (double)(r[i].up + r[i].down) - ups;

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

double
cmt_bt_auc_se(const double *p, const int *y, size_t n, double *pair,
	double *auc)
{
	struct score *r;
	size_t i, j, nr = 0;
	double se;

	*auc = NAN;
	if (!(r = malloc((n ? n : 1) * sizeof *r)))
		return NAN;

	for (i = 0; i < n; i++) {
		pair[2 * i] = p[i];
		pair[2 * i + 1] = y[i] == 1;
	}
	qsort(pair, n, 2 * sizeof *pair, cmt_bt_cmp_double);
	for (i = 0; i < n; i = j) {
		double p0 = pair[2 * i], ups = 0;

		for (j = i; j < n && pair[2 * j] == p0; j++)
			ups += pair[2 * j + 1];
		r[nr].p = p0;
		r[nr].up = (uint64_t)ups;
		r[nr].down = (uint64_t)(j - i) - (uint64_t)ups;
		nr++;
	}
	se = auc_se_runs(r, nr, auc);
	free(r);
	return se;
}

/* ---- per-score counts ---- */

static size_t
slot(const struct score_map *m, double p)
{
	uint64_t bits;

	memcpy(&bits, &p, sizeof bits);
	return (size_t)((bits * 0x9e3779b97f4a7c15u) >> 20) & (m->cap - 1);
}

static enum cmt_err
count_score(struct score_map *m, double p, int up)
{
	struct score *e;
	size_t i;

	if (p == 0)
		p = 0;   /* -0 and 0 are one score */
	if (10 * (m->n + 1) > 7 * m->cap) {   /* at most 70 % full */
		struct score_map g = { NULL, m->cap ? 2 * m->cap : 1024, 0 };

		if (!(g.e = calloc(g.cap, sizeof *g.e)))
			return CMT_ENOMEM;
		for (i = 0; i < m->cap; i++) {
			struct score *o = &m->e[i];
			size_t k;

			if (o->up + o->down == 0)
				continue;
			for (k = slot(&g, o->p); g.e[k].up + g.e[k].down;
			    k = (k + 1) & (g.cap - 1))
				;
			g.e[k] = *o;
			g.n++;
		}
		free(m->e);
		*m = g;
	}
	for (i = slot(m, p);; i = (i + 1) & (m->cap - 1)) {
		e = &m->e[i];
		if (e->up + e->down == 0) {
			e->p = p;
			m->n++;
			break;
		}
		if (e->p == p)
			break;
	}
	if (up)
		e->up++;
	else
		e->down++;
	return CMT_OK;
}

static int
cmp_score(const void *a, const void *b)
{
	const struct score *x = a, *z = b;

	return (x->p > z->p) - (x->p < z->p);
}

/* One row into a group's running sums. */
enum cmt_err
cmt_bt_acc_add(struct acc *a, const struct cmt_fvec *v, double p, int y,
	int sign, char *err)
{
	int k;

	a->lines++;
	if (v->t < a->t_first)
		a->t_first = v->t;
	if (v->t > a->t_last)
		a->t_last = v->t;
	if (y == Y_NONE) {
		a->unlabelled++;
		return CMT_OK;
	}
	if (y == Y_FLAT) {
		a->flat++;
		return CMT_OK;
	}
	if (isnan(p)) {
		a->no_p++;
		return CMT_OK;
	}
	a->n++;
	a->n_up += y == 1;
	a->hits += (p >= 0.5) == (y == 1);
	add_loss(p, y, &a->logloss, &a->brier);
	k = cal_bin(p);
	a->cal_n[k]++;
	a->cal_p[k] += p;
	a->cal_y[k] += y == 1;
	a->sign_n[sign]++;
	a->sign_up[sign] += (size_t)y;
	a->sign_hits += (sign == 0 && y == 1) || (sign == 1 && y == 0) ? 1 :
		sign == 2 ? 0.5 : 0;
	if (count_score(&a->scores, p, y == 1))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	return CMT_OK;
}

/* ---- the figures ---- */

/* Runs of the sign rule's forecasts: each sign class forecasts the
 * up-share seen in it; classes with equal forecasts make one run. */
static size_t
sign_runs(const struct acc *a, double pl[3], struct score r[3])
{
	size_t nr = 0, i, j;
	int k, order[3] = { 0, 1, 2 }, t;

	for (k = 0; k < 3; k++)
		pl[k] = (double)a->sign_up[k] / (double)a->sign_n[k];
	for (i = 0; i < 3; i++)         /* sort the three by forecast */
		for (j = i + 1; j < 3; j++)
			if (a->sign_n[order[j]] && (!a->sign_n[order[i]] ||
			    pl[order[j]] < pl[order[i]])) {
				t = order[i];
				order[i] = order[j];
				order[j] = t;
			}
	for (i = 0; i < 3; i++) {
		k = order[i];
		if (!a->sign_n[k])
			continue;
		if (!nr || r[nr - 1].p != pl[k]) {
			r[nr].p = pl[k];
			r[nr].up = r[nr].down = 0;
			nr++;
		}
		r[nr - 1].up += a->sign_up[k];
		r[nr - 1].down += a->sign_n[k] - a->sign_up[k];
	}
	return nr;
}

/* Everything of a group but the baselines' log-loss and Brier score and
 * the trading results. */
enum cmt_err
cmt_bt_score_group(const struct acc *a, const char *sym,
	struct cmt_bt_group *g, char *err)
{
	struct score *sc, sr[3];
	double se, auc, n = (double)a->n, pl[3];
	size_t i, j, nr;

	memset(g, 0, sizeof *g);
	snprintf(g->sym, sizeof g->sym, "%s", sym);
	g->t_first = a->t_first;
	g->t_last = a->t_last;
	g->lines = a->lines;
	g->unlabelled = a->unlabelled;
	g->flat = a->flat;
	g->no_p = a->no_p;
	g->base_rate = a->n ? (double)a->n_up / n : NAN;
	/* the model */
	g->model.m.n = g->majority.m.n = g->last_return.m.n = a->n;
	g->model.m.n_up = g->majority.m.n_up = g->last_return.m.n_up = a->n_up;
	g->model.m.accuracy = a->n ? (double)a->hits / n : NAN;
	g->model.m.logloss = a->n ? a->logloss / n : NAN;
	g->model.m.brier = a->n ? a->brier / n : NAN;
	/* the distinct scores in ascending order: runs of equal p */
	if (!(sc = malloc((a->scores.n + 1) * sizeof *sc)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	for (i = j = 0; i < a->scores.cap; i++)
		if (a->scores.e[i].up + a->scores.e[i].down)
			sc[j++] = a->scores.e[i];
	qsort(sc, j, sizeof *sc, cmp_score);
	g->model.m.auc = auc_runs(sc, j);
	se = auc_se_runs(sc, j, &auc);
	free(sc);
	g->model.auc_lo = fmax(0, g->model.m.auc - 1.959964 * se);
	g->model.auc_hi = fmin(1, g->model.m.auc + 1.959964 * se);
	if (isnan(se))
		g->model.auc_lo = g->model.auc_hi = NAN;
	/* the majority baseline forecasts the base rate everywhere */
	g->majority.m.accuracy = a->n ? (double)((g->base_rate >= 0.5) ?
		a->n_up : a->n - a->n_up) / n : NAN;
	sr[0].p = g->base_rate;
	sr[0].up = a->n_up;
	sr[0].down = a->n - a->n_up;
	g->majority.m.auc = auc_runs(sr, a->n ? 1 : 0);
	g->majority.auc_lo = g->majority.auc_hi = NAN;
	/* The sign rule forecasts up after a rise, down after a fall; its
	 * probability, like the majority baseline's, is the up-share seen
	 * among rows with that sign (in hindsight, which can only flatter
	 * it).  A hard 0/1 probability would make log-loss meaningless. */
	nr = sign_runs(a, pl, sr);
	g->last_return.m.auc = auc_runs(sr, nr);
	g->last_return.m.accuracy = a->n ? a->sign_hits / n : NAN;
	g->last_return.auc_lo = g->last_return.auc_hi = NAN;
	g->ece = cal_table(a->cal_n, a->cal_p, a->cal_y, a->n, g->calib);
	return CMT_OK;
}

/* The baselines' log-loss and Brier score: their forecasts are known now,
 * so the scored rows are read back in input order and summed as
 * cmt_metrics_logloss and cmt_metrics_brier sum them. */
enum cmt_err
cmt_bt_baselines(struct cmt_bt *bt, char *err)
{
	struct sums { double pm, pl[3], llm, brm, lll, brl; } *sum;
	uint32_t rec[4096];
	int64_t off = 0, end = bt->rows.size + (int64_t)bt->rows.len;
	enum cmt_err e = CMT_OK;
	size_t i, n;
	int s, k, y, g, gi;

	if (!(sum = calloc((size_t)bt->nsym + 1, sizeof *sum)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	for (s = 0; s <= bt->nsym; s++) {
		const struct acc *a = s < bt->nsym ? &bt->st[s]->acc : &bt->all;
		struct score r[3];

		sum[s].pm = bt->groups[s].base_rate;
		sign_runs(a, sum[s].pl, r);
	}
	while (off < end) {
		n = (size_t)(end - off) / sizeof rec[0];
		if (n > sizeof rec / sizeof rec[0])
			n = sizeof rec / sizeof rec[0];
		if (off >= bt->rows.size)   /* the tail still in memory */
			memcpy(rec, bt->rows.buf + (off - bt->rows.size),
				n * sizeof rec[0]);
		else if (off + (int64_t)(n * sizeof rec[0]) > bt->rows.size)
			n = (size_t)(bt->rows.size - off) / sizeof rec[0];
		if (off < bt->rows.size && (e = cmt_bt_read_at(bt->rows.fd, rec,
		    n * sizeof rec[0], off, err)))
			break;
		off += (int64_t)(n * sizeof rec[0]);
		for (i = 0; i < n; i++) {
			s = (int)(rec[i] >> 3);
			k = (int)(rec[i] >> 1 & 3);
			y = (int)(rec[i] & 1);
			for (gi = 0; gi < 2; gi++) {
				struct sums *z = &sum[gi ? bt->nsym : s];

				add_loss(z->pm, y, &z->llm, &z->brm);
				add_loss(z->pl[k], y, &z->lll, &z->brl);
			}
		}
	}
	for (g = 0; g <= bt->nsym && !e; g++) {
		struct cmt_bt_group *gr = &bt->groups[g];
		double n = (double)gr->model.m.n;

		gr->majority.m.logloss = gr->model.m.n ? sum[g].llm / n : NAN;
		gr->majority.m.brier = gr->model.m.n ? sum[g].brm / n : NAN;
		gr->last_return.m.logloss = gr->model.m.n ? sum[g].lll / n : NAN;
		gr->last_return.m.brier = gr->model.m.n ? sum[g].brl / n : NAN;
	}
	free(sum);
	return e;
}
