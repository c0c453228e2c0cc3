#include <math.h>
#include <string.h>

#include "cmt_indicators.h"

static enum cmt_err
check_period(int n, int min)
{
	return n >= min && n <= CMT_IND_MAX_PERIOD ? CMT_OK : CMT_ERANGE;
}

enum cmt_err
cmt_sma_init(struct cmt_sma *s, int n)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	return check_period(n, 1);
}

int
cmt_sma_lookback(int n)
{
	return n - 1;
}

int
cmt_sma_update(struct cmt_sma *s, double x, double *out)
{
	double total;

	s->sum += x;
	s->ring[s->pos] = x;
	s->pos = s->pos + 1 == s->n ? 0 : s->pos + 1;
	if (++s->count < s->n)
		return 0;
	total = s->sum;
	s->sum -= s->ring[s->pos]; /* the oldest value, x[t-n+1] */
	*out = total / s->n;
	return 1;
}

enum cmt_err
cmt_ema_init(struct cmt_ema *s, int n)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	s->k = 2.0 / (double)(n + 1);
	return check_period(n, 1);
}

int
cmt_ema_lookback(int n)
{
	return n - 1;
}

int
cmt_ema_update(struct cmt_ema *s, double x, double *out)
{
	if (s->count < s->n) {
		s->sum += x;
		if (++s->count < s->n)
			return 0;
		s->ema = s->sum / s->n;
	} else {
		s->ema = (x - s->ema) * s->k + s->ema;
	}
	*out = s->ema;
	return 1;
}

enum cmt_err
cmt_rsi_init(struct cmt_rsi *s, int n)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	return check_period(n, 2);
}

int
cmt_rsi_lookback(int n)
{
	return n;
}

int
cmt_rsi_update(struct cmt_rsi *s, double x, double *out)
{
	double d, total;

	if (s->count++ == 0) {
		s->prev = x;
		return 0;
	}
	d = x - s->prev;    /* this is d[i] with i = count - 1 */
	s->prev = x;
	if (s->count <= s->n + 1) {
		/* seed: plain sums over d[1..n]; a zero change is a 0 gain */
		if (d < 0)
			s->al -= d;
		else
			s->ag += d;
		if (s->count < s->n + 1)
			return 0;
		s->al /= s->n;
		s->ag /= s->n;
	} else {
		/* TA-Lib's order: scale by n-1, add, divide by n */
		s->al *= s->n - 1;
		s->ag *= s->n - 1;
		if (d < 0)
			s->al -= d;
		else
			s->ag += d;
		s->al /= s->n;
		s->ag /= s->n;
	}
	total = s->ag + s->al;
	*out = (total > -CMT_IND_EPS && total < CMT_IND_EPS) ? 0.0 :
	    100.0 * (s->ag / total);
	return 1;
}

enum cmt_err
cmt_macd_init(struct cmt_macd *s, int fast, int slow, int signal)
{
	int t;

	memset(s, 0, sizeof *s);
	if (fast > slow) {
		t = fast;
		fast = slow;
		slow = t;
	}
	s->fast = fast;
	s->slow = slow;
	s->signal = signal;
	s->kf = 2.0 / (double)(fast + 1);
	s->ks = 2.0 / (double)(slow + 1);
	s->kg = 2.0 / (double)(signal + 1);
	if (check_period(fast, 2) || check_period(slow, 2) ||
	    check_period(signal, 1))
		return CMT_ERANGE;
	return CMT_OK;
}

int
cmt_macd_lookback(int fast, int slow, int signal)
{
	return (fast > slow ? fast : slow) - 1 + signal - 1;
}

int
cmt_macd_update(struct cmt_macd *s, double x, double *macd, double *signal,
	double *hist)
{
	double m, sum;
	int i, j;

	s->count++;
	s->ring[s->pos] = x;
	s->pos = s->pos + 1 == s->fast ? 0 : s->pos + 1;
	if (s->count < s->slow) {
		s->slow_sum += x;
		return 0;
	}
	if (s->count == s->slow) {
		/* both seed windows end on this bar */
		s->slow_sum += x;
		s->slow_ema = s->slow_sum / s->slow;
		sum = 0.0;
		for (i = 0, j = s->pos; i < s->fast; i++) {
			sum += s->ring[j];
			j = j + 1 == s->fast ? 0 : j + 1;
		}
		s->fast_ema = sum / s->fast;
	} else {
		s->fast_ema = (x - s->fast_ema) * s->kf + s->fast_ema;
		s->slow_ema = (x - s->slow_ema) * s->ks + s->slow_ema;
	}
	m = s->fast_ema - s->slow_ema;
	if (s->count < s->slow + s->signal - 1) {
		s->sig_sum += m;
		return 0;
	}
	if (s->count == s->slow + s->signal - 1) {
		s->sig_sum += m;
		s->sig = s->sig_sum / s->signal;
	} else {
		s->sig = (m - s->sig) * s->kg + s->sig;
	}
	*macd = m;
	*signal = s->sig;
	*hist = m - s->sig;
	return 1;
}

enum cmt_err
cmt_bbands_init(struct cmt_bbands *s, int n, double k)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	s->k = k;
	return check_period(n, 1) || !(k > 0) ? CMT_ERANGE : CMT_OK;
}

int
cmt_bbands_lookback(int n)
{
	return n - 1;
}

int
cmt_bbands_update(struct cmt_bbands *s, double x, double *upper,
	double *middle, double *lower, double *sd)
{
	double mean, mean2, old, var, width;

	s->sum += x;
	s->sum2 += x * x;
	s->ring[s->pos] = x;
	s->pos = s->pos + 1 == s->n ? 0 : s->pos + 1;
	if (++s->count < s->n)
		return 0;
	mean = s->sum / s->n;
	mean2 = s->sum2 / s->n;
	old = s->ring[s->pos];
	s->sum -= old;
	s->sum2 -= old * old;
	var = mean2 - mean * mean;
	*sd = var < CMT_IND_EPS ? 0.0 : sqrt(var);
	width = *sd * s->k;
	*middle = mean;
	*upper = mean + width;
	*lower = mean - width;
	return 1;
}

enum cmt_err
cmt_roc_init(struct cmt_roc *s, int n)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	return check_period(n, 1);
}

int
cmt_roc_lookback(int n)
{
	return n;
}

int
cmt_roc_update(struct cmt_roc *s, double x, double *out)
{
	double old;

	s->ring[s->pos] = x;
	s->pos = s->pos == s->n ? 0 : s->pos + 1;
	if (++s->count <= s->n)
		return 0;
	old = s->ring[s->pos]; /* x[t-n] */
	*out = old == 0.0 ? 0.0 : (x / old - 1.0) * 100.0;
	return 1;
}

void
cmt_obv_init(struct cmt_obv *s)
{
	memset(s, 0, sizeof *s);
}

int
cmt_obv_update(struct cmt_obv *s, double x, double v, double *out)
{
	if (s->count++ == 0)
		s->obv = v;
	else if (x > s->prev)
		s->obv += v;
	else if (x < s->prev)
		s->obv -= v;
	s->prev = x;
	*out = s->obv;
	return 1;
}
