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

/* ---- rolling mean and standard deviation: two stacks ---- */

/* The window is a queue kept as two stacks: the front (oldest values)
 * holds, for each of its values, the mean and the sum of squared
 * deviations of it and every younger front value; the back holds one
 * running aggregate (Welford).  Popping takes the front's oldest; an
 * empty front takes the whole back at once (each value moves once:
 * amortised O(1)).  The window's aggregate merges the front's and the
 * back's (Chan et al.): every term added is >= 0, so a variance that
 * collapses after large values left keeps its digits, and a window of
 * equal values has exactly 0. */

size_t
cmt_rollstat_bytes(int n)
{
	return (size_t)n * (sizeof(double) + sizeof(struct cmt_rollstat_agg));
}

void
cmt_rollstat_init(struct cmt_rollstat *r, int n, void *mem)
{
	r->n = n;
	r->count = 0;
	r->head = r->nfront = r->nback = 0;
	r->back.mean = r->back.m2 = 0;
	r->ring = mem;
	r->suf = (struct cmt_rollstat_agg *)(r->ring + n);
}

/* a (na values) and b (nb values), merged */
static struct cmt_rollstat_agg
merge(struct cmt_rollstat_agg a, int na, struct cmt_rollstat_agg b, int nb)
{
	struct cmt_rollstat_agg m;
	double d = b.mean - a.mean, n = (double)na + nb;

	m.mean = a.mean + d * (nb / n);
	m.m2 = a.m2 + b.m2 + d * d * ((double)na * nb / n);
	return m;
}

/* The back becomes the front, its suffix aggregates built from the
 * youngest value back. */
static void
rollstat_flip(struct cmt_rollstat *r)
{
	struct cmt_rollstat_agg one = { 0, 0 };
	int j, slot, next = -1;

	for (j = r->nback - 1; j >= 0; j--) {
		slot = (r->head + j) % r->n;
		one.mean = r->ring[slot];
		r->suf[slot] = next < 0 ? one :
		    merge(one, 1, r->suf[next], r->nback - 1 - j);
		next = slot;
	}
	r->nfront = r->nback;
	r->nback = 0;
	r->back.mean = r->back.m2 = 0;
}

int
cmt_rollstat_update(struct cmt_rollstat *r, double x, double *mean,
	double *sd)
{
	struct cmt_rollstat_agg all;
	double d;

	if (r->nfront + r->nback == r->n) {   /* the oldest leaves */
		if (r->nfront == 0)
			rollstat_flip(r);
		r->head = (r->head + 1) % r->n;
		r->nfront--;
	}
	r->ring[(r->head + r->nfront + r->nback) % r->n] = x;
	r->nback++;
	d = x - r->back.mean;
	r->back.mean += d / r->nback;
	r->back.m2 += d * (x - r->back.mean);
	r->count++;
	if (r->count < r->n)
		return 0;
	all = r->nfront == 0 ? r->back : r->nback == 0 ? r->suf[r->head] :
	    merge(r->suf[r->head], r->nfront, r->back, r->nback);
	*mean = all.mean;
	*sd = all.m2 > 0 ? sqrt(all.m2 / r->n) : 0;
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
