/* The baselines every report holds the model against: majority, last
 * return (momentum) and reversal, a row at a time (struct base_acc, in
 * report_int.h) or on arrays for cmt-train's model card
 * (cmt_bt_baselines_score).  Nothing here allocates.
 *
 * Why the probabilities are taken this way: a baseline's probability must
 * not be chosen from the outcomes it is scored on.  The up-share seen in
 * hindsight among rows after a rise would hand the momentum rule the
 * reversal's edge whenever reversal is the better bet (the two would score
 * the same), so each sign rule keeps its direction: its probability is the
 * up-share of the earlier rows of the same class (Laplace-smoothed), held
 * on its own side of 1/2; a rule that has been wrong so far says 1/2.  Its
 * AUC is that of its ranking alone (after a rise above no move above after
 * a fall, or the reverse), which needs no probability.  The majority keeps
 * the one figure it takes in hindsight, the share up of the scored rows
 * (climatology, worth about 1/(2n) nats of log-loss). */
#include <math.h>
#include <string.h>

#include "report_int.h"

const char *const cmt_bt_base_name[CMT_BT_NBASE] = { "majority",
	"last return", "reversal" };
const char *const cmt_bt_base_key[CMT_BT_NBASE] = { "majority",
	"last_return", "reversal" };

/* The call of each sign rule for each class of the last return (rise,
 * fall, no move): +1 up, -1 down, 0 none. */
static const int rule_call[2][BASE_CLASSES] = {
	{ +1, -1, 0 },   /* last return: the move goes on */
	{ -1, +1, 0 },   /* reversal: the move turns */
};

int
cmt_bt_base_class(double x0)
{
	return x0 > 0 ? 0 : x0 < 0 ? 1 : 2;   /* NAN: no move known */
}

void
cmt_bt_base_begin(struct base_acc *b, const size_t *fit_n,
	const size_t *fit_up)
{
	memset(b, 0, sizeof *b);
	b->learn = !fit_n;
	b->fit_share = NAN;
	if (fit_n) {
		size_t n = 0, up = 0;
		int k;

		for (k = 0; k < BASE_CLASSES; k++) {
			b->fit_n[k] = fit_n[k];
			b->fit_up[k] = fit_up[k];
			n += fit_n[k];
			up += fit_up[k];
		}
		b->fit_share = n ? (double)up / (double)n : NAN;
	}
}

/* Rule r's probability of up for a row of class k. */
static double
rule_p(const struct base_acc *b, int r, int k)
{
	double u = ((double)b->fit_up[k] + 1) / ((double)b->fit_n[k] + 2);
	int call = rule_call[r][k];

	return call > 0 ? fmax(0.5, u) : call < 0 ? fmin(0.5, u) : 0.5;
}

void
cmt_bt_base_add(struct base_acc *b, double x0, int y)
{
	int k = cmt_bt_base_class(x0), r;
	double ll, br;

	for (r = 0; r < 2; r++) {
		cmt_metrics_terms(rule_p(b, r, k), y, &ll, &br);
		b->logloss[r] += ll;
		b->brier[r] += br;
	}
	b->n[k]++;
	b->up[k] += y == 1;
	if (b->learn) {
		b->fit_n[k]++;
		b->fit_up[k] += y == 1;
	}
}

void
cmt_bt_base_scores(const struct base_acc *b, struct cmt_metrics out[])
{
	size_t n = 0, up = 0, down;
	double nn, p, q, hits;
	int k, r;

	for (k = 0; k < BASE_CLASSES; k++) {
		n += b->n[k];
		up += b->up[k];
	}
	nn = (double)n;
	down = n - up;
	for (r = 0; r < CMT_BT_NBASE; r++) {
		memset(&out[r], 0, sizeof out[r]);
		out[r].n = n;
		out[r].n_up = up;
		out[r].accuracy = out[r].logloss = out[r].brier = NAN;
		out[r].auc = NAN;
	}
	if (!n)
		return;
	/* the majority: one probability for every row */
	p = isnan(b->fit_share) ? (double)up / nn : b->fit_share;
	q = 1 - p;
	out[CMT_BT_MAJORITY].accuracy = (double)(p >= 0.5 ? up : down) / nn;
	out[CMT_BT_MAJORITY].logloss = -((double)up * log(fmax(p,
		CMT_METRICS_EPS)) + (double)down * log(fmax(q,
		CMT_METRICS_EPS))) / nn;
	out[CMT_BT_MAJORITY].brier = ((double)up * q * q + (double)down * p *
		p) / nn;
	out[CMT_BT_MAJORITY].auc = up && down ? 0.5 : NAN;
	/* the sign rules: their calls, and the ranking the calls make */
	for (r = 0; r < 2; r++) {
		struct cmt_metrics *m = &out[CMT_BT_LAST_RETURN + r];
		struct score runs[BASE_CLASSES];
		size_t nr = 0;
		int call;

		hits = 0;
		for (k = 0; k < BASE_CLASSES; k++) {
			call = rule_call[r][k];
			hits += call > 0 ? (double)b->up[k] : call < 0 ?
				(double)(b->n[k] - b->up[k]) :
				(double)b->n[k] / 2;
		}
		for (call = -1; call <= 1; call++)   /* ascending score */
			for (k = 0; k < BASE_CLASSES; k++)
				if (rule_call[r][k] == call && b->n[k]) {
					runs[nr].p = call;
					runs[nr].up = b->up[k];
					runs[nr].down = b->n[k] - b->up[k];
					nr++;
				}
		m->accuracy = hits / nn;
		m->auc = cmt_bt_auc_runs(runs, nr);
		m->logloss = b->logloss[r] / nn;
		m->brier = b->brier[r] / nn;
	}
}

unsigned
cmt_bt_beats(const struct cmt_metrics *base, const struct cmt_metrics *model)
{
	return (base->accuracy > model->accuracy ? CMT_BT_ACCURACY : 0) |
		(base->auc > model->auc ? CMT_BT_AUC : 0) |
		(base->logloss < model->logloss ? CMT_BT_LOGLOSS : 0) |
		(base->brier < model->brier ? CMT_BT_BRIER : 0);
}

int
cmt_bt_held_against(const struct cmt_metrics base[])
{
	const struct cmt_metrics *m = &base[CMT_BT_LAST_RETURN];
	const struct cmt_metrics *r = &base[CMT_BT_REVERSAL];

	if (r->auc > m->auc || (r->auc == m->auc && r->logloss < m->logloss))
		return CMT_BT_REVERSAL;
	return CMT_BT_LAST_RETURN;
}

enum cmt_err
cmt_bt_baselines_score(const double *fit_x0, const int *fit_y, size_t nfit,
	const double *x0, const int *y, size_t n, struct cmt_metrics out[],
	char *err)
{
	size_t fit_n[BASE_CLASSES] = { 0 }, fit_up[BASE_CLASSES] = { 0 }, i;
	struct base_acc b;
	int k;

	for (i = 0; i < nfit; i++) {
		if (fit_y[i] != 0 && fit_y[i] != 1)
			return cmt_errf(err, CMT_EVALUE, "fitting row %zu: y "
				"is %d, not 0 or 1", i, fit_y[i]);
		k = cmt_bt_base_class(fit_x0[i]);
		fit_n[k]++;
		fit_up[k] += fit_y[i] == 1;
	}
	if (fit_x0 && !nfit)
		return cmt_errf(err, CMT_EVALUE, "no fitting rows");
	cmt_bt_base_begin(&b, fit_x0 ? fit_n : NULL, fit_x0 ? fit_up : NULL);
	for (i = 0; i < n; i++) {
		if (y[i] != 0 && y[i] != 1)
			return cmt_errf(err, CMT_EVALUE, "row %zu: y is %d, "
				"not 0 or 1", i, y[i]);
		cmt_bt_base_add(&b, x0[i], y[i]);
	}
	cmt_bt_base_scores(&b, out);
	return CMT_OK;
}
