/* Scores of the backtest's groups: calibration, the AUC and its DeLong
 * interval from per-score counts, and the running sums a row adds to.
 * The score maps belong to struct cmt_bt (report_int.h); the baselines
 * are baselines.c's. */
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

int
cmt_bt_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, z = *(const double *)b;

	return (x > z) - (x < z);
}

/* As cmt_metrics_auc computes it from sorted rows: each run of equal p
 * shares its average rank. */
double
cmt_bt_auc_runs(const struct score *r, size_t nr)
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
void
cmt_bt_delong_runs(const struct score *r, size_t nr, double *v10,
	double *v01, double *m, double *k)
{
	double pos_below = 0, neg_below = 0;
	size_t i;

	*m = *k = 0;
	for (i = 0; i < nr; i++) {
		*m += (double)r[i].up;
		*k += (double)r[i].down;
	}
	for (i = 0; i < nr; i++) {
		double ups = (double)r[i].up, downs = (double)r[i].down;

		v10[i] = (neg_below + downs / 2) / *k;
		v01[i] = (*m - pos_below - ups / 2) / *m;
		pos_below += ups;
		neg_below += downs;
	}
}

double
cmt_bt_auc_se_runs(const struct score *r, size_t nr, double *auc)
{
	double m, k, s10 = 0, s01 = 0, sum10 = 0, d, *v;
	size_t i;

	*auc = NAN;
	if (!(v = malloc((2 * nr + 1) * sizeof *v)))
		return NAN;
	cmt_bt_delong_runs(r, nr, v, v + nr, &m, &k);
	if (m < 2 || k < 2) {
		free(v);
		return NAN;
	}
	for (i = 0; i < nr; i++)
		sum10 += (double)r[i].up * v[i];
	*auc = sum10 / m;
	for (i = 0; i < nr; i++) {
		d = v[i] - *auc;
		s10 += (double)r[i].up * d * d;
		d = v[nr + i] - *auc;
		s01 += (double)r[i].down * d * d;
	}
	free(v);
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
	se = cmt_bt_auc_se_runs(r, nr, auc);
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

enum cmt_err
cmt_bt_count_score(struct score_map *m, double p, int up)
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

struct score *
cmt_bt_sorted_scores(const struct score_map *m, size_t *nr)
{
	struct score *sc = malloc((m->n + 1) * sizeof *sc);
	size_t i, j = 0;

	*nr = 0;
	if (!sc)
		return NULL;
	for (i = 0; i < m->cap; i++)
		if (m->e[i].up + m->e[i].down)
			sc[j++] = m->e[i];
	qsort(sc, j, sizeof *sc, cmp_score);
	*nr = j;
	return sc;
}

/* One row into a group's running sums. */
enum cmt_err
cmt_bt_acc_add(struct acc *a, const struct cmt_fvec *v, double p, int y,
	char *err)
{
	double ll, br;
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
	cmt_metrics_terms(p, y, &ll, &br);
	a->logloss += ll;
	a->brier += br;
	k = cal_bin(p);
	a->cal_n[k]++;
	a->cal_p[k] += p;
	a->cal_y[k] += y == 1;
	cmt_bt_base_add(&a->base, v->x[0], y);
	if (cmt_bt_count_score(&a->scores, p, y == 1))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	return CMT_OK;
}

/* ---- the figures ---- */

/* Every figure of a group but the trading results. */
enum cmt_err
cmt_bt_score_group(const struct acc *a, const char *sym,
	struct cmt_bt_group *g, char *err)
{
	struct cmt_metrics base[CMT_BT_NBASE];
	struct score *sc;
	double se, auc, n = (double)a->n;
	size_t nr;
	int b;

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
	g->model.m.n = a->n;
	g->model.m.n_up = a->n_up;
	g->model.m.accuracy = a->n ? (double)a->hits / n : NAN;
	g->model.m.logloss = a->n ? a->logloss / n : NAN;
	g->model.m.brier = a->n ? a->brier / n : NAN;
	if (!(sc = cmt_bt_sorted_scores(&a->scores, &nr)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	g->model.m.auc = cmt_bt_auc_runs(sc, nr);
	se = cmt_bt_auc_se_runs(sc, nr, &auc);
	free(sc);
	g->model.auc_lo = fmax(0, g->model.m.auc - 1.959964 * se);
	g->model.auc_hi = fmin(1, g->model.m.auc + 1.959964 * se);
	if (isnan(se))
		g->model.auc_lo = g->model.auc_hi = NAN;
	g->ece = cal_table(a->cal_n, a->cal_p, a->cal_y, a->n, g->calib);
	/* the baselines, and where each beats the model */
	cmt_bt_base_scores(&a->base, base);
	for (b = 0; b < CMT_BT_NBASE; b++) {
		g->base[b].m = base[b];
		g->base[b].auc_lo = g->base[b].auc_hi = NAN;
		g->base_wins[b] = cmt_bt_beats(&base[b], &g->model.m);
	}
	g->held_against = cmt_bt_held_against(base);
	return CMT_OK;
}
