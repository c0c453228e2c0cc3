/* Streaming statistics over bars and long rolling windows (cmt_bars.h):
 * the definitions are in the header.  States live where the caller puts
 * them and their rings are the caller's; nothing allocates. */
#include <math.h>
#include <string.h>

#include "cmt_bars.h"

#define TWO_PI 6.283185307179586
#define LN2 0.6931471805599453

/* ---- rolling sum ---- */

size_t
cmt_rollsum_bytes(int n)
{
	return (size_t)n * sizeof(double);
}

void
cmt_rollsum_init(struct cmt_rollsum *r, int n, double *ring)
{
	r->n = n;
	r->count = 0;
	memset(&r->sum, 0, sizeof r->sum);
	r->ring = ring;
}

int
cmt_rollsum_update(struct cmt_rollsum *r, double x, double *sum)
{
	int slot = (int)(r->count % r->n), i;

	if (r->count >= r->n)
		cmt_ksum_add(&r->sum, -r->ring[slot]);
	r->ring[slot] = x;
	cmt_ksum_add(&r->sum, x);
	r->count++;
	if (r->count < r->n)
		return 0;
	if (r->count % CMT_BARS_RESUM == 0) {
		memset(&r->sum, 0, sizeof r->sum);
		for (i = 0; i < r->n; i++)
			cmt_ksum_add(&r->sum, r->ring[i]);
	}
	*sum = cmt_ksum_value(&r->sum);
	return 1;
}

int
cmt_rollsum_lookback(int n)
{
	return n - 1;
}

/* ---- rolling mean and standard deviation ---- */

size_t
cmt_rollstat_bytes(int n)
{
	return (size_t)n * sizeof(double);
}

void
cmt_rollstat_init(struct cmt_rollstat *r, int n, double *ring)
{
	r->n = n;
	r->count = 0;
	r->shift = 0;
	memset(&r->s1, 0, sizeof r->s1);
	memset(&r->s2, 0, sizeof r->s2);
	r->ring = ring;
}

int
cmt_rollstat_update(struct cmt_rollstat *r, double x, double *mean,
	double *sd)
{
	int slot = (int)(r->count % r->n), i;
	double d, m, var;

	if (r->count == 0)
		r->shift = x;
	if (r->count >= r->n) {
		d = r->ring[slot] - r->shift;
		cmt_ksum_add(&r->s1, -d);
		cmt_ksum_add(&r->s2, -(d * d));
	}
	r->ring[slot] = x;
	d = x - r->shift;
	cmt_ksum_add(&r->s1, d);
	cmt_ksum_add(&r->s2, d * d);
	r->count++;
	if (r->count < r->n)
		return 0;
	if (r->count % CMT_BARS_RESUM == 0) {
		/* shift to the window's mean: the sums then stay small */
		for (m = 0, i = 0; i < r->n; i++)
			m += r->ring[i];
		r->shift = m / r->n;
		memset(&r->s1, 0, sizeof r->s1);
		memset(&r->s2, 0, sizeof r->s2);
		for (i = 0; i < r->n; i++) {
			d = r->ring[i] - r->shift;
			cmt_ksum_add(&r->s1, d);
			cmt_ksum_add(&r->s2, d * d);
		}
	}
	m = cmt_ksum_value(&r->s1) / r->n;
	var = cmt_ksum_value(&r->s2) / r->n - m * m;
	*mean = r->shift + m;
	*sd = var > 0 ? sqrt(var) : 0;
	return 1;
}

int
cmt_rollstat_lookback(int n)
{
	return n - 1;
}

int
cmt_zscore_update(struct cmt_rollstat *r, double x, double *z)
{
	double mean, sd;

	if (!cmt_rollstat_update(r, x, &mean, &sd) ||
	    !(sd > CMT_BARS_FLAT_REL * fabs(mean)))
		return 0;
	*z = (x - mean) / sd;
	return 1;
}

/* ---- rolling extremes: a monotonic queue in a ring of n items ---- */

size_t
cmt_rollext_bytes(int n)
{
	return (size_t)n * sizeof(struct cmt_rollext_item);
}

void
cmt_rollext_init(struct cmt_rollext *r, int n, int want_min,
	struct cmt_rollext_item *q)
{
	r->n = n;
	r->want_min = want_min;
	r->head = r->len = 0;
	r->count = 0;
	r->q = q;
}

int
cmt_rollext_update(struct cmt_rollext *r, double x, double *out)
{
	struct cmt_rollext_item *back;

	/* the front leaves when it falls out of the window ... */
	if (r->len && r->q[r->head].k <= r->count - r->n) {
		r->head = (r->head + 1) % r->n;
		r->len--;
	}
	/* ... and the back when x outdoes it: the queue stays monotonic,
	 * and every item is added and removed once */
	while (r->len) {
		back = &r->q[(r->head + r->len - 1) % r->n];
		if (r->want_min ? back->v < x : back->v > x)
			break;
		r->len--;
	}
	back = &r->q[(r->head + r->len) % r->n];
	back->k = r->count;
	back->v = x;
	r->len++;
	r->count++;
	if (r->count < r->n)
		return 0;
	*out = r->q[r->head].v;
	return 1;
}

int
cmt_rollext_lookback(int n)
{
	return n - 1;
}

/* ---- range-based volatility ---- */

size_t
cmt_rangevol_bytes(int n)
{
	return 2 * cmt_rollsum_bytes(n);
}

void
cmt_rangevol_init(struct cmt_rangevol *r, int n, double *ring)
{
	cmt_rollsum_init(&r->pk, n, ring);
	cmt_rollsum_init(&r->gk, n, ring + n);
}

int
cmt_rangevol_update(struct cmt_rangevol *r, double o, double h, double l,
	double c, double *parkinson, double *garman_klass)
{
	double u = log(h / l), b = log(c / o), spk, sgk;
	int n = r->pk.n;

	cmt_rollsum_update(&r->pk, u * u, &spk);
	if (!cmt_rollsum_update(&r->gk, 0.5 * u * u - (2 * LN2 - 1) * b * b,
	    &sgk))
		return 0;
	*parkinson = sqrt(spk / (4 * LN2 * n));
	*garman_klass = sgk > 0 ? sqrt(sgk / n) : 0;
	return 1;
}

int
cmt_rangevol_lookback(int n)
{
	return n - 1;
}

/* ---- one bar, one time ---- */

void
cmt_bar_shape(double o, double h, double l, double c, double out[4])
{
	out[0] = log(c / o);
	out[1] = log(h / (o > c ? o : c));
	out[2] = log((o < c ? o : c) / l);
	out[3] = h > l ? (c - l) / (h - l) : 0.5;
}

void
cmt_calendar(int64_t t_ms, double out[4])
{
	int64_t day = t_ms / 86400000;
	double tod, dow;

	if (t_ms % 86400000 < 0)
		day--;
	tod = (double)(t_ms - day * 86400000) / 86400000;
	dow = (double)(((day + 3) % 7 + 7) % 7);
	out[0] = sin(TWO_PI * tod);
	out[1] = cos(TWO_PI * tod);
	out[2] = sin(TWO_PI * dow / 7);
	out[3] = cos(TWO_PI * dow / 7);
}
