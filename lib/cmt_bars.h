/* Streaming statistics over bars (open, high, low, close per step) and
 * rolling windows of any length: compensated rolling sums, rolling mean
 * and standard deviation, rolling extremes, range-based volatility
 * (Parkinson, Garman-Klass), the volume z-score, a bar's candle shape and
 * the calendar of a time.  Each windowed statistic has the indicators'
 * shape (cmt_indicators.h): a state, _init(n, ring), an O(1) _update
 * (amortised O(1) for the extremes) that returns 1 once the output is
 * valid, and _lookback(n), the index of the first valid output.  Unlike
 * the indicators' states these keep their window in a ring the caller
 * owns, _bytes(n) long, so a window may hold 100000 steps; copying a
 * state means copying its ring and pointing the copy at it.
 *
 * Definitions (n = window in bars, sums over the last n bars t-n+1..t):
 * ROLLSUM  sum of the last n values: a Neumaier-compensated running sum
 *          that adds each value once and subtracts it once, recomputed
 *          from the ring every CMT_BARS_RESUM updates.  Lookback n-1.
 * ROLLSTAT mean and population sd of the last n values: the window is
 *          kept as two stacks of Welford aggregates (mean, sum of squared
 *          deviations M2) merged as Chan et al. do, every term >= 0, so no
 *          difference of large sums (a window of equal values has sd
 *          exactly 0); sd = sqrt(M2 / n).  Amortised O(1): each value
 *          moves from one stack to the other once.  Lookback n-1.
 * ROLLEXT  maximum (or minimum) of the last n values: a monotonic queue.
 *          Lookback n-1.
 * RANGEVOL u = ln(H/L), c = ln(C/O) per bar;
 *          Parkinson    sqrt(sum(u^2) / (4 ln 2 n)),
 *          Garman-Klass sqrt(max(0, sum(u^2/2 - (2 ln 2 - 1) c^2) / n)):
 *          the standard deviation of a step's log return that the ranges
 *          imply (per step, not annualised).  Lookback n-1.
 * ZSCORE   (x - mean) / sd over the last n values (x among them), valid
 *          once n values are in and sd > CMT_BARS_FLAT_REL * |mean| (a
 *          window that does not vary has no z-score).  Lookback n-1.
 * SHAPE    body = ln(C/O), upper_wick = ln(H / max(O, C)), lower_wick =
 *          ln(min(O, C) / L), close_loc = (C - L) / (H - L), and 1/2 when
 *          H = L (no range: the middle, as TA-Lib's AD adds nothing for
 *          such a bar).  Lookback 0.
 * CALENDAR of a UTC time t (ms): tod = (t mod 86400000) / 86400000,
 *          dow = (floor(t / 86400000) + 3) mod 7 (Monday 0 .. Sunday 6;
 *          1970-01-01 was a Thursday); tod_sin = sin(2 pi tod), tod_cos =
 *          cos(2 pi tod), dow_sin = sin(2 pi dow / 7), dow_cos =
 *          cos(2 pi dow / 7).  Lookback 0.
 */
#ifndef CMT_BARS_H
#define CMT_BARS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define CMT_BARS_RESUM 4096      /* exact recompute period, in updates */
#define CMT_BARS_FLAT_REL 1e-9

/* A compensated (Neumaier) running sum.  Rolling windows add each value
 * once and subtract it once; plain doubles leave the rounding of every
 * past value behind (a window of zero returns after a volatile hour
 * showed 1e-11, not 0), the compensation term carries it back out. */
struct cmt_ksum {
	double s, c;
};

static inline void
cmt_ksum_add(struct cmt_ksum *k, double x)
{
	double t = k->s + x;

	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static inline double
cmt_ksum_value(const struct cmt_ksum *k)
{
	return k->s + k->c;
}

struct cmt_rollsum {
	int n;
	long count;
	struct cmt_ksum sum;
	double *ring;            /* the caller's, cmt_rollsum_bytes(n) */
};

size_t cmt_rollsum_bytes(int n);
void cmt_rollsum_init(struct cmt_rollsum *r, int n, double *ring);
int cmt_rollsum_update(struct cmt_rollsum *r, double x, double *sum);
int cmt_rollsum_lookback(int n);

struct cmt_rollstat_agg {
	double mean, m2;
};

struct cmt_rollstat {
	int n, head, nfront, nback;
	long count;
	struct cmt_rollstat_agg back;
	double *ring;            /* the caller's, cmt_rollstat_bytes(n): n */
	struct cmt_rollstat_agg *suf;  /* values, then n aggregates */
};

size_t cmt_rollstat_bytes(int n);
void cmt_rollstat_init(struct cmt_rollstat *r, int n, void *mem);
int cmt_rollstat_update(struct cmt_rollstat *r, double x, double *mean,
	double *sd);
int cmt_rollstat_lookback(int n);

/* (x - mean) / sd of the window, per ZSCORE. */
int cmt_zscore_update(struct cmt_rollstat *r, double x, double *z);

struct cmt_rollext_item {
	long k;
	double v;
};

struct cmt_rollext {
	int n, want_min, head, len;
	long count;
	struct cmt_rollext_item *q;  /* the caller's, cmt_rollext_bytes(n) */
};

size_t cmt_rollext_bytes(int n);
void cmt_rollext_init(struct cmt_rollext *r, int n, int want_min,
	struct cmt_rollext_item *q);
int cmt_rollext_update(struct cmt_rollext *r, double x, double *out);
int cmt_rollext_lookback(int n);

struct cmt_rangevol {
	struct cmt_rollsum pk, gk;
};

/* Two rings of n doubles, one block: ring[0..2n-1]. */
size_t cmt_rangevol_bytes(int n);
void cmt_rangevol_init(struct cmt_rangevol *r, int n, double *ring);
int cmt_rangevol_update(struct cmt_rangevol *r, double o, double h,
	double l, double c, double *parkinson, double *garman_klass);
int cmt_rangevol_lookback(int n);

/* body, upper_wick, lower_wick, close_loc into out[0..3]. */
void cmt_bar_shape(double o, double h, double l, double c, double out[4]);

/* tod_sin, tod_cos, dow_sin, dow_cos into out[0..3]. */
void cmt_calendar(int64_t t_ms, double out[4]);

#endif
