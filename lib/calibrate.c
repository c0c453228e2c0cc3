/* Platt scaling by Newton's method on the two parameters, each step
 * halved until the loss does not rise.  The outcomes are Platt's targets,
 * (N+ + 1) / (N+ + 2) for an up and 1 / (N- + 2) for a down (N+, N- the
 * counts), so that a finite fit exists even when the margins separate
 * the rows.  Deterministic: the same rows in the same order give the same
 * a and b bit for bit. */
#include <math.h>

#include "cmt_calibrate.h"
#include "cmt_metrics.h"

#define PLATT_MAX_ITER 100
#define PLATT_TOL 1e-18     /* Newton decrement per row at convergence */

/* -[t log p + (1 - t) log(1 - p)] for p = sigmoid(s), without overflow:
 * log(1 + e^s) - t s */
static double
nll(double s, double t)
{
	return (s > 0 ? s : 0) + log1p(exp(-fabs(s))) - t * s;
}

double
cmt_platt_logloss(const double *z, const int *y, size_t n, double a, double b)
{
	double sum = 0, p, q;
	size_t i;

	for (i = 0; i < n; i++) {
		p = 1 / (1 + exp(-(a * z[i] + b)));
		q = y[i] ? p : 1 - p;
		sum -= log(q > CMT_METRICS_EPS ? q : CMT_METRICS_EPS);
	}
	return n ? sum / (double)n : NAN;
}

static double
mean_nll(const double *z, const int *y, size_t n, const double *target,
	double a, double b)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += nll(a * z[i] + b, target[y[i] == 1]);
	return sum / (double)n;
}

enum cmt_err
cmt_platt_fit(const double *z, const int *y, size_t n, double *a, double *b,
	char *err)
{
	double ga, gb, haa, hab, hbb, det, da, db, f, fn, p, w, step, t[2];
	size_t i, up = 0;
	int it;

	for (i = 0; i < n; i++) {
		if (!isfinite(z[i]))
			return cmt_errf(err, CMT_EVALUE,
				"calibration: margin of row %zu is not finite", i + 1);
		up += y[i] == 1;
	}
	if (up == 0 || up == n)
		return cmt_errf(err, CMT_EVALUE, "calibration: the rows have one "
			"outcome only");
	t[0] = 1 / ((double)(n - up) + 2);
	t[1] = ((double)up + 1) / ((double)up + 2);
	/* from the base rate, as Lin, Lin and Weng's Platt does: the first
	 * steps cannot overshoot on well-separated margins */
	*a = 0;
	*b = log(((double)up + 1) / ((double)(n - up) + 1));
	f = mean_nll(z, y, n, t, *a, *b);
	for (it = 0; it < PLATT_MAX_ITER; it++) {
		ga = gb = haa = hab = hbb = 0;
		for (i = 0; i < n; i++) {
			p = 1 / (1 + exp(-(*a * z[i] + *b)));
			w = p * (1 - p);
			ga += (p - t[y[i] == 1]) * z[i];
			gb += p - t[y[i] == 1];
			haa += w * z[i] * z[i];
			hab += w * z[i];
			hbb += w;
		}
		det = haa * hbb - hab * hab;
		if (!(det > 0))
			return cmt_errf(err, CMT_EVALUE, "calibration: the margins "
				"do not vary");
		da = (hbb * ga - hab * gb) / det;
		db = (haa * gb - hab * ga) / det;
		/* the Newton decrement: twice what the step would gain */
		if ((ga * da + gb * db) / (double)n < PLATT_TOL)
			return CMT_OK;
		/* near the optimum the loss changes below its round-off: take
		 * the full step there, halve it only further out */
		for (step = 1; step > 1e-10; step /= 2) {
			fn = mean_nll(z, y, n, t, *a - step * da, *b - step * db);
			if (fn <= f || (ga * da + gb * db) / (double)n < 1e-10)
				break;
		}
		if (step <= 1e-10)
			return CMT_OK;   /* no step lowers it: at the optimum */
		if (*a - step * da == *a && *b - step * db == *b)
			return CMT_OK;   /* below round-off */
		*a -= step * da;
		*b -= step * db;
		f = fn;
	}
	return cmt_errf(err, CMT_ERANGE, "calibration: Newton's method did not "
		"converge in %d steps", PLATT_MAX_ITER);
}
