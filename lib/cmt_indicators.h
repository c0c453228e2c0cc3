/* Streaming technical indicators that reproduce TA-Lib 0.4 bit for bit
 * (default compatibility, unstable period 0, input from index 0), built
 * with -ffp-contract=off.  Each has a state struct, _init(period...),
 * an O(1) _update(state, x, out...) that returns 1 once the output is
 * valid, and _lookback() giving the index of the first valid output, as
 * in tulipindicators.  States hold no heap memory (periods are at most
 * CMT_IND_MAX_PERIOD), so they can be copied or zeroed freely.
 *
 * Definitions (x = close, n = period, EPS = 1e-14):
 * SMA   running total seeded with x[0..n-2]; at t add x[t], take sum/n,
 *       subtract x[t-n+1].  Lookback n-1.
 * EMA   k = 2/(n+1); seed EMA[n-1] = sum(x[0..n-1])/n; then
 *       EMA = (x - EMA)*k + EMA.  Lookback n-1.
 * RSI   Wilder: seed AG, AL = mean gain, loss over d[1..n]; then
 *       AG = (AG*(n-1) + gain)/n, likewise AL; RSI = 100*(AG/(AG+AL)),
 *       and 0 when |AG+AL| < EPS (a flat seed window gives 0, not 50).
 *       Lookback n.
 * MACD  fast and slow EMAs seeded so both seed windows end on bar
 *       slow-1 (fast seed = SMA of x[slow-fast..slow-1]); signal = EMA of
 *       macd seeded with the mean of its first `signal` values; hist =
 *       macd - signal.  Lookback (slow-1) + (signal-1): 33 for 12/26/9.
 * STDDEV/BBANDS  population variance from running sums of x and x^2
 *       (same order as SMA): var = sum2/n - mean^2; sd = 0 when var < EPS,
 *       else sqrt(var); bands = mean +- sd*k.  Lookback n-1.
 * ROC   (x[t]/x[t-n] - 1)*100, 0 when x[t-n] == 0.  Lookback n.
 * OBV   starts at v[0]; adds v when x rises, subtracts when it falls.
 */
#ifndef CMT_INDICATORS_H
#define CMT_INDICATORS_H

#include "cmt_err.h"

#define CMT_IND_MAX_PERIOD 512
#define CMT_IND_EPS 1e-14

struct cmt_sma {
	int n, pos;
	long count;
	double sum;
	double ring[CMT_IND_MAX_PERIOD];
};

struct cmt_ema {
	int n;
	long count;
	double k, sum, ema;
};

struct cmt_rsi {
	int n;
	long count;
	double prev, ag, al;
};

struct cmt_macd {
	int fast, slow, signal, pos;
	long count;
	double kf, ks, kg;
	double slow_sum, fast_ema, slow_ema, sig_sum, sig;
	double ring[CMT_IND_MAX_PERIOD]; /* last `fast` closes, for the seed */
};

/* Bollinger bands; its sd is also TA-Lib's STDDEV(n, 1). */
struct cmt_bbands {
	int n, pos;
	long count;
	double k, sum, sum2;
	double ring[CMT_IND_MAX_PERIOD];
};

struct cmt_roc {
	int n, pos;
	long count;
	double ring[CMT_IND_MAX_PERIOD + 1];
};

struct cmt_obv {
	long count;
	double prev, obv;
};

enum cmt_err cmt_sma_init(struct cmt_sma *s, int n);
int cmt_sma_update(struct cmt_sma *s, double x, double *out);
int cmt_sma_lookback(int n);

enum cmt_err cmt_ema_init(struct cmt_ema *s, int n);
int cmt_ema_update(struct cmt_ema *s, double x, double *out);
int cmt_ema_lookback(int n);

enum cmt_err cmt_rsi_init(struct cmt_rsi *s, int n);
int cmt_rsi_update(struct cmt_rsi *s, double x, double *out);
int cmt_rsi_lookback(int n);

/* Periods are swapped if fast > slow, as TA-Lib does. */
enum cmt_err cmt_macd_init(struct cmt_macd *s, int fast, int slow,
	int signal);
int cmt_macd_update(struct cmt_macd *s, double x, double *macd,
	double *signal, double *hist);
int cmt_macd_lookback(int fast, int slow, int signal);

enum cmt_err cmt_bbands_init(struct cmt_bbands *s, int n, double k);
int cmt_bbands_update(struct cmt_bbands *s, double x, double *upper,
	double *middle, double *lower, double *sd);
int cmt_bbands_lookback(int n);

enum cmt_err cmt_roc_init(struct cmt_roc *s, int n);
int cmt_roc_update(struct cmt_roc *s, double x, double *out);
int cmt_roc_lookback(int n);

void cmt_obv_init(struct cmt_obv *s);
int cmt_obv_update(struct cmt_obv *s, double x, double v, double *out);

#endif
