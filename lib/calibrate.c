/* Platt scaling by Newton's method on the two parameters, each step
 * halved until the log-likelihood does not fall.  Deterministic: the same
 * rows in the same order give the same a and b bit for bit. */
#include <math.h>

#include "cmt_calibrate.h"
#include "cmt_metrics.h"

#define PLATT_MAX_ITER 100
#define PLATT_TOL 1e-12     /* gradient norm per row at convergence */

/* -log P(y | logit s), without overflow */
static double
nll(double s, int y)
{
	double t = y ? -s : s;

	return (t > 0 ? t : 0) + log1p(exp(-fabs(s)));
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
mean_nll(const double *z, const int *y, size_t n, double a, double b)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += nll(a * z[i] + b, y[i]);
	return sum / (double)n;
}

enum cmt_err
cmt_platt_fit(const double *z, const int *y, size_t n, double *a, double *b,
	char *err)
{
	double ga, gb, haa, hab, hbb, det, da, db, f, fn, p, w, step;
	size_t i, up = 0;
	int it;

	*a = 1;
	*b = 0;
	for (i = 0; i < n; i++) {
		if (!isfinite(z[i]))
			return cmt_errf(err, CMT_EVALUE,
				"calibration: margin of row %zu is not finite", i + 1);
		up += y[i] == 1;
	}
	if (up == 0 || up == n)
		return cmt_errf(err, CMT_EVALUE, "calibration: the rows have one "
			"outcome only");
	f = mean_nll(z, y, n, *a, *b);
	for (it = 0; it < PLATT_MAX_ITER; it++) {
		ga = gb = haa = hab = hbb = 0;
		for (i = 0; i < n; i++) {
			p = 1 / (1 + exp(-(*a * z[i] + *b)));
			w = p * (1 - p);
			ga += (p - y[i]) * z[i];
			gb += p - y[i];
			haa += w * z[i] * z[i];
			hab += w * z[i];
			hbb += w;
		}
		if (sqrt(ga * ga + gb * gb) / (double)n < PLATT_TOL)
			return CMT_OK;
		det = haa * hbb - hab * hab;
		if (!(det > 0))
			return cmt_errf(err, CMT_EVALUE, "calibration: the margins "
				"do not vary");
		da = (hbb * ga - hab * gb) / det;
		db = (haa * gb - hab * ga) / det;
		for (step = 1; step > 1e-10; step /= 2) {
			fn = mean_nll(z, y, n, *a - step * da, *b - step * db);
			if (fn <= f)
				break;
		}
		if (step <= 1e-10)
			return CMT_OK;   /* no step lowers it: at the optimum */
		*a -= step * da;
		*b -= step * db;
		f = fn;
	}
	return cmt_errf(err, CMT_ERANGE, "calibration: Newton's method did not "
		"converge in %d steps", PLATT_MAX_ITER);
}
