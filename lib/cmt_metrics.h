/* Scores for probabilistic binary forecasts: accuracy, log-loss, Brier
 * score and ROC AUC, shared by cmt-train (model card) and cmt-backtest.
 * Inputs are arrays owned by the caller: p[i] in [0, 1] is the forecast
 * probability of "up", y[i] in {0, 1} the outcome.  Rows with any other y
 * must be filtered out by the caller.  No function keeps state. */
#ifndef CMT_METRICS_H
#define CMT_METRICS_H

#include <stddef.h>

/* Log-loss clips the probability given to the observed outcome at
 * CMT_METRICS_EPS, so a certain miss costs -log(1e-15) = 34.54, not inf. */
#define CMT_METRICS_EPS 1e-15

struct cmt_metrics {
	size_t n;         /* rows scored */
	size_t n_up;      /* rows with y = 1 */
	double accuracy;  /* share of rows where (p >= 0.5) == y */
	double logloss;   /* mean -[y log p + (1-y) log(1-p)], p clipped at eps */
	double brier;     /* mean (p - y)^2 */
	double auc;       /* ROC AUC, ties count 1/2; NAN if one class only */
};

/* One row's terms of the log-loss and Brier sums: -log of the probability
 * given to the outcome y (clipped at eps), and (p - y)^2.  Every sum of
 * them (here, and the rolling window of cmt-backtest --follow) uses it. */
void cmt_metrics_terms(double p, int y, double *logloss, double *brier);

/* Each returns NAN when n is 0.  p >= 0.5 counts as a forecast of up. */
double cmt_metrics_accuracy(const double *p, const int *y, size_t n);
double cmt_metrics_logloss(const double *p, const int *y, size_t n);
double cmt_metrics_brier(const double *p, const int *y, size_t n);

/* Probability that a random up row gets a higher p than a random down row
 * (Mann-Whitney U / (n_up * n_down), average ranks for ties); NAN when
 * either class is absent.  scratch holds 2*n doubles or is NULL (then the
 * function allocates and frees it; NAN if that fails).  O(n log n). */
double cmt_metrics_auc(const double *p, const int *y, size_t n,
	double *scratch);

/* All four at once into *m; scratch as for cmt_metrics_auc. */
void cmt_metrics_compute(const double *p, const int *y, size_t n,
	double *scratch, struct cmt_metrics *m);

#endif
