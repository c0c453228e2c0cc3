#include <math.h>
#include <stdlib.h>

#include "cmt_metrics.h"

double
cmt_metrics_accuracy(const double *p, const int *y, size_t n)
{
	size_t i, hit = 0;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++)
		hit += (p[i] >= 0.5) == (y[i] == 1);
	return (double)hit / (double)n;
}

void
cmt_metrics_terms(double p, int y, double *logloss, double *brier)
{
	/* clip the probability given to the outcome that happened, so both
	 * kinds of certain miss cost exactly -log(eps) */
	double q = y == 1 ? p : 1 - p, d = p - (y == 1);

	*logloss = -log(q < CMT_METRICS_EPS ? CMT_METRICS_EPS : q);
	*brier = d * d;
}

double
cmt_metrics_logloss(const double *p, const int *y, size_t n)
{
	double sum = 0, ll, br;
	size_t i;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++) {
		cmt_metrics_terms(p[i], y[i], &ll, &br);
		sum += ll;
	}
	return sum / (double)n;
}

double
cmt_metrics_brier(const double *p, const int *y, size_t n)
{
	double sum = 0, ll, br;
	size_t i;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++) {
		cmt_metrics_terms(p[i], y[i], &ll, &br);
		sum += br;
	}
	return sum / (double)n;
}

/* scratch is an array of (p, y) pairs; sort by p */
static int
cmp_pair(const void *a, const void *b)
{
	double x = *(const double *)a, z = *(const double *)b;

	return (x > z) - (x < z);
}

double
cmt_metrics_auc(const double *p, const int *y, size_t n, double *scratch)
{
	double *pair = scratch, rank_sum = 0, n_up = 0, n_down, auc;
	size_t i, j;

	if (n == 0)
		return NAN;
	if (!pair && !(pair = malloc(2 * n * sizeof *pair)))
		return NAN;
	for (i = 0; i < n; i++) {
		pair[2 * i] = p[i];
		pair[2 * i + 1] = y[i] == 1;
		n_up += y[i] == 1;
	}
	qsort(pair, n, 2 * sizeof *pair, cmp_pair);
	/* ranks are 1-based; a run of equal p shares its average rank */
	for (i = 0; i < n; i = j) {
		double ups = 0, avg;

		for (j = i; j < n && pair[2 * j] == pair[2 * i]; j++)
			ups += pair[2 * j + 1];
		avg = ((double)(i + 1) + (double)j) / 2;
		rank_sum += ups * avg;
	}
	if (pair != scratch)
		free(pair);
	n_down = (double)n - n_up;
	if (n_up == 0 || n_down == 0)
		return NAN;
	auc = (rank_sum - n_up * (n_up + 1) / 2) / (n_up * n_down);
	return auc;
}

void
cmt_metrics_compute(const double *p, const int *y, size_t n,
	double *scratch, struct cmt_metrics *m)
{
	size_t i;

	m->n = n;
	m->n_up = 0;
	for (i = 0; i < n; i++)
		m->n_up += y[i] == 1;
	m->accuracy = cmt_metrics_accuracy(p, y, n);
	m->logloss = cmt_metrics_logloss(p, y, n);
	m->brier = cmt_metrics_brier(p, y, n);
	m->auc = cmt_metrics_auc(p, y, n, scratch);
}
