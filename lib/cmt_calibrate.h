/* Platt scaling: the map p = sigmoid(a * z + b) from a model's margin z
 * (its logit) to a probability, fitted on held-out rows as Platt (1999)
 * does: logistic regression of the outcome on the margin, with the
 * outcomes 1 and 0 replaced by (N+ + 1) / (N+ + 2) and 1 / (N- + 2), so
 * that separable rows still give a finite fit; by Newton's method.  cmt-train fits it on the validation period and stores it in
 * the model; cmt_model_predict applies it.  Arrays are the caller's. */
#ifndef CMT_CALIBRATE_H
#define CMT_CALIBRATE_H

#include <stddef.h>

#include "cmt_err.h"

/* Fit a and b on n margins z[] and outcomes y[] (0 or 1).  CMT_EVALUE
 * when the rows have one outcome only, a margin is not finite or all are
 * equal; CMT_ERANGE when Newton's method does not converge. */
enum cmt_err cmt_platt_fit(const double *z, const int *y, size_t n,
	double *a, double *b, char *err);

/* The mean log-loss of sigmoid(a z + b) on the rows, as
 * cmt_metrics_logloss would give it. */
double cmt_platt_logloss(const double *z, const int *y, size_t n, double a,
	double b);

#endif
