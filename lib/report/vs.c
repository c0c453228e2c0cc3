/* The paired comparison of two prediction streams (cmt-backtest --vs):
 * their vectors matched by symbol and t as they come, each side scored on
 * the rows both can score, and the differences with their intervals:
 * DeLong's paired variance for the AUC, the per-row differences for the
 * rest.  struct cmt_bt_vs owns the waiting rows, the score maps and the
 * spill file of the scored pairs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_int.h"

#define Z95 1.959964

/* A vector waiting for the other stream to reach its symbol and time. */
struct waiting {
	int64_t t;
	double p;        /* NAN without p_up */
	int y;           /* 0, 1, Y_FLAT or Y_NONE */
};

/* A ring of waiting vectors; of a symbol's two, at most one holds any. */
struct queue {
	struct waiting *w;
	size_t head, n, cap;
};

struct vs_sym {
	char sym[CMT_SYM_MAX];
	struct queue q[2];
	struct cmt_symtime time[2]; /* each side's (the shared rule) */
};

/* One side's scores on the paired rows. */
struct vs_side {
	struct score_map scores;
	size_t hits;
	double logloss, brier;
	struct model_name model;
};

/* A running mean and sum of squared deviations (Welford). */
struct running {
	size_t n;
	double mean, m2;
};

/* A scored pair, as the spill file holds it. */
struct pair {
	double pa, pb;
	int32_t y, pad;
};

struct cmt_bt_vs {
	int64_t max_jump_ms;
	struct vs_sym *sym[CMT_BT_MAX_SYMBOLS];
	int nsym;
	struct vs_side side[2];
	struct running d_logloss, d_brier, d_hits;
	struct spill pairs;
	struct cmt_bt_paired res;
};

enum cmt_err
cmt_bt_vs_new(struct cmt_bt_vs **out, int64_t max_jump_ms)
{
	struct cmt_bt_vs *vs = calloc(1, sizeof *vs);

	*out = vs;
	if (!vs)
		return CMT_ENOMEM;
	vs->max_jump_ms = max_jump_ms;
	vs->pairs.fd = -1;
	return CMT_OK;
}

void
cmt_bt_vs_free(struct cmt_bt_vs *vs)
{
	int s, k;

	if (!vs)
		return;
	for (s = 0; s < vs->nsym; s++) {
		for (k = 0; k < 2; k++)
			free(vs->sym[s]->q[k].w);
		free(vs->sym[s]);
	}
	for (k = 0; k < 2; k++)
		free(vs->side[k].scores.e);
	if (vs->pairs.fd >= 0)
		close(vs->pairs.fd);
	free(vs);
}

const struct cmt_bt_paired *
cmt_bt_vs_result(const struct cmt_bt_vs *vs)
{
	return &vs->res;
}

static void
running_add(struct running *r, double x)
{
	double d = x - r->mean;

	r->n++;
	r->mean += d / (double)r->n;
	r->m2 += d * (x - r->mean);
}

/* ---- matching ---- */

static enum cmt_err
queue_push(struct queue *q, const struct waiting *w)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 16, i;
		struct waiting *nw = malloc(cap * sizeof *nw);

		if (!nw)
			return CMT_ENOMEM;
		for (i = 0; i < q->n; i++)
			nw[i] = q->w[(q->head + i) % q->cap];
		free(q->w);
		q->w = nw;
		q->head = 0;
		q->cap = cap;
	}
	q->w[(q->head + q->n) % q->cap] = *w;
	q->n++;
	return CMT_OK;
}

static struct waiting *
queue_front(struct queue *q)
{
	return q->n ? &q->w[q->head] : NULL;
}

static void
queue_pop(struct queue *q)
{
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

/* A pair of vectors at one (symbol, t): scored when both sides can. */
static enum cmt_err
pair_add(struct cmt_bt_vs *vs, const struct waiting *a,
	const struct waiting *b, char *err)
{
	const struct waiting *w[2] = { a, b };
	struct pair rec;
	double ll[2], br[2];
	int k, hit[2];

	vs->res.matched++;
	if (a->y < 0 || b->y < 0 || isnan(a->p) || isnan(b->p)) {
		vs->res.unscored++;
		return CMT_OK;
	}
	if (a->y != b->y) {
		vs->res.labels_differ++;
		return CMT_OK;
	}
	for (k = 0; k < 2; k++) {
		struct vs_side *sd = &vs->side[k];

		cmt_metrics_terms(w[k]->p, a->y, &ll[k], &br[k]);
		sd->logloss += ll[k];
		sd->brier += br[k];
		hit[k] = (w[k]->p >= 0.5) == (a->y == 1);
		sd->hits += (size_t)hit[k];
		if (cmt_bt_count_score(&sd->scores, w[k]->p, a->y == 1))
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	running_add(&vs->d_logloss, ll[0] - ll[1]);
	running_add(&vs->d_brier, br[0] - br[1]);
	running_add(&vs->d_hits, hit[0] - hit[1]);
	vs->res.n++;
	vs->res.n_up += a->y == 1;
	rec.pa = a->p;
	rec.pb = b->p;
	rec.y = a->y;
	rec.pad = 0;
	return cmt_bt_spill_put(&vs->pairs, &rec, sizeof rec, err);
}

/* Compare a vector with what the other side has waiting for its symbol:
 * the other's earlier vectors are its own, an equal t is a pair, and
 * otherwise it waits, or, if the other is past it already, is this
 * side's own. */
static enum cmt_err
match(struct cmt_bt_vs *vs, struct vs_sym *sy, int side,
	const struct waiting *w, char *err)
{
	struct queue *q = &sy->q[!side];
	struct waiting *f;

	while ((f = queue_front(q)) && f->t < w->t) {
		vs->res.only[!side]++;
		queue_pop(q);
	}
	if (f && f->t == w->t) {
		struct waiting other = *f;

		queue_pop(q);
		return side ? pair_add(vs, &other, w, err) :
			pair_add(vs, w, &other, err);
	}
	if (f) {
		vs->res.only[side]++;
		return CMT_OK;
	}
	if (queue_push(&sy->q[side], w))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	return CMT_OK;
}

enum cmt_err
cmt_bt_vs_add(struct cmt_bt_vs *vs, int side, const struct cmt_fvec *v,
	char *err)
{
	struct waiting w;
	struct vs_sym *sy = NULL;
	enum cmt_err e;
	int s;

	if (v->partial) {
		vs->res.partial[side]++;
		return CMT_ESKIP;
	}
	for (s = vs->nsym - 1; s >= 0 && !sy; s--)
		if (strcmp(vs->sym[s]->sym, v->sym) == 0)
			sy = vs->sym[s];
	if (!sy) {
		if (vs->nsym == CMT_BT_MAX_SYMBOLS)
			return cmt_errf(err, CMT_ELIMIT, "more than %d symbols",
				CMT_BT_MAX_SYMBOLS);
		if (!(sy = calloc(1, sizeof *sy)))
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		strcpy(sy->sym, v->sym);
		vs->sym[vs->nsym++] = sy;
	}
	/* the rule of every reader of vectors, batch's and --follow's */
	if ((e = cmt_symtime_take(&sy->time[side], v->sym, "vector", v->t,
	    vs->max_jump_ms, NULL, err)))
		return e;
	vs->res.lines[side]++;
	cmt_bt_model_see(&vs->side[side].model, v);
	w.t = v->t;
	w.p = v->has_p ? v->p_up : NAN;
	w.y = v->has_y ? v->y : Y_NONE;
	return match(vs, sy, side, &w, err);
}

/* ---- the figures ---- */

/* A difference with its standard error into *d. */
static void
diff_from(struct cmt_bt_diff *d, double diff, double se)
{
	d->diff = diff;
	d->se = se;
	d->lo = diff - Z95 * se;
	d->hi = diff + Z95 * se;
	if (se > 0) {
		d->z = diff / se;
		d->p = erfc(fabs(d->z) / sqrt(2));
	} else if (se == 0) {      /* the same forecasts, or no spread */
		d->z = diff == 0 ? 0 : diff > 0 ? INFINITY : -INFINITY;
		d->p = diff == 0 ? 1 : 0;
	} else {
		d->z = d->p = NAN;
	}
}

static void
diff_of_mean(struct cmt_bt_diff *d, const struct running *r)
{
	double se = r->n > 1 ? sqrt(r->m2 / (double)(r->n - 1) /
		(double)r->n) : NAN;

	diff_from(d, r->n ? r->mean : NAN, se);
}

/* The index of score p among runs r (ascending, p present). */
static size_t
run_of(const struct score *r, size_t nr, double p)
{
	size_t lo = 0, hi = nr;

	if (p == 0)
		p = 0;   /* -0 is 0, as the score map has it */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (r[mid].p <= p)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* DeLong's paired variance: the up rows' and the down rows' components of
 * the two AUCs, their variances and covariance, over the spilled pairs. */
static enum cmt_err
paired_auc(struct cmt_bt_vs *vs, const struct score *r[2], size_t nr[2],
	double *v[2], const double auc[2], char *err)
{
	double m = 0, k = 0, s10[3] = { 0 }, s01[3] = { 0 }, var;
	double dup[2], ddn[2];
	struct pair rec;
	int64_t off, end = vs->pairs.size + (int64_t)vs->pairs.len;
	enum cmt_err e;
	int j;

	for (j = 0; j < 2; j++)
		cmt_bt_delong_runs(r[j], nr[j], v[j], v[j] + nr[j], &m, &k);
	if (m < 2 || k < 2) {
		diff_from(&vs->res.auc, vs->res.side[0].m.auc -
			vs->res.side[1].m.auc, NAN);
		return CMT_OK;
	}
	for (off = 0; off < end; off += (int64_t)sizeof rec) {
		if ((e = cmt_bt_spill_get(&vs->pairs, &rec, sizeof rec, off,
		    err)))
			return e;
		for (j = 0; j < 2; j++) {
			size_t i = run_of(r[j], nr[j], j ? rec.pb : rec.pa);

			dup[j] = v[j][i] - auc[j];
			ddn[j] = v[j][nr[j] + i] - auc[j];
		}
		if (rec.y == 1) {
			s10[0] += dup[0] * dup[0];
			s10[1] += dup[1] * dup[1];
			s10[2] += dup[0] * dup[1];
		} else {
			s01[0] += ddn[0] * ddn[0];
			s01[1] += ddn[1] * ddn[1];
			s01[2] += ddn[0] * ddn[1];
		}
	}
	var = (s10[0] + s10[1] - 2 * s10[2]) / (m - 1) / m +
		(s01[0] + s01[1] - 2 * s01[2]) / (k - 1) / k;
	diff_from(&vs->res.auc, vs->res.side[0].m.auc - vs->res.side[1].m.auc,
		sqrt(fmax(var, 0)));
	return CMT_OK;
}

enum cmt_err
cmt_bt_vs_finish(struct cmt_bt_vs *vs, char *err)
{
	struct cmt_bt_paired *res = &vs->res;
	const struct score *rr[2];
	struct score *r[2] = { NULL, NULL };
	double *v[2] = { NULL, NULL }, n = (double)res->n, se, auc[2];
	size_t nr[2];
	enum cmt_err e = CMT_OK;
	int s, j;

	/* what still waits has no partner */
	for (s = 0; s < vs->nsym; s++)
		for (j = 0; j < 2; j++) {
			res->only[j] += vs->sym[s]->q[j].n;
			vs->sym[s]->q[j].n = 0;
		}
	for (j = 0; j < 2 && !e; j++) {
		struct cmt_bt_scores *sc = &res->side[j];
		const struct vs_side *sd = &vs->side[j];

		memset(sc, 0, sizeof *sc);
		sc->m.n = res->n;
		sc->m.n_up = res->n_up;
		sc->m.accuracy = res->n ? (double)sd->hits / n : NAN;
		sc->m.logloss = res->n ? sd->logloss / n : NAN;
		sc->m.brier = res->n ? sd->brier / n : NAN;
		if (!(r[j] = cmt_bt_sorted_scores(&sd->scores, &nr[j])) ||
		    !(v[j] = malloc((2 * nr[j] + 1) * sizeof *v[j]))) {
			e = cmt_errf(err, CMT_ENOMEM, "out of memory");
			break;
		}
		sc->m.auc = cmt_bt_auc_runs(r[j], nr[j]);
		se = cmt_bt_auc_se_runs(r[j], nr[j], &auc[j]);
		sc->auc_lo = isnan(se) ? NAN : fmax(0, sc->m.auc - Z95 * se);
		sc->auc_hi = isnan(se) ? NAN : fmin(1, sc->m.auc + Z95 * se);
		rr[j] = r[j];
	}
	if (!e)
		e = paired_auc(vs, rr, nr, v, auc, err);
	diff_of_mean(&res->logloss, &vs->d_logloss);
	diff_of_mean(&res->brier, &vs->d_brier);
	diff_of_mean(&res->accuracy, &vs->d_hits);
	for (j = 0; j < 2; j++) {
		free(r[j]);
		free(v[j]);
	}
	return e;
}

enum cmt_err
cmt_bt_paired(const double *pa, const double *pb, const int *y, size_t n,
	struct cmt_bt_paired *out, char *err)
{
	struct cmt_bt_vs *vs;
	struct waiting a, b;
	enum cmt_err e = CMT_OK;
	size_t i;

	if (cmt_bt_vs_new(&vs, 0))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	for (i = 0; i < n && !e; i++) {
		if (y[i] != 0 && y[i] != 1) {
			e = cmt_errf(err, CMT_EVALUE, "row %zu: y is %d, not 0 "
				"or 1", i, y[i]);
			break;
		}
		a = (struct waiting){ (int64_t)i, pa[i], y[i] };
		b = (struct waiting){ (int64_t)i, pb[i], y[i] };
		e = pair_add(vs, &a, &b, err);
	}
	vs->res.lines[0] = vs->res.lines[1] = n;
	if (!e)
		e = cmt_bt_vs_finish(vs, err);
	if (!e)
		*out = vs->res;
	cmt_bt_vs_free(vs);
	return e;
}

/* The model each side's rows named (report_vs.c). */
const char *
cmt_bt_vs_model(const struct cmt_bt_vs *vs, int side)
{
	return cmt_bt_model_str(&vs->side[side].model);
}
