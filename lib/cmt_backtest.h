/* Offline and rolling evaluation of predictions (cmt-backtest): scores per
 * symbol and overall against two baselines, a calibration table with ECE,
 * a DeLong interval for the AUC, a long/flat trading rule and an SVG plot.
 * The caller owns what it passes in; struct cmt_bt owns its rows, and the
 * formatted reports it returns are malloc'd strings the caller frees. */
#ifndef CMT_BACKTEST_H
#define CMT_BACKTEST_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_fvec.h"
#include "cmt_metrics.h"

#define CMT_BT_BINS 10
#define CMT_BT_MAX_SYMBOLS 1024
#define CMT_BT_MODEL_MAX 256   /* longest model name reported */

struct cmt_bt_bin {
	size_t n;
	double p_mean;    /* mean forecast in the bin (NAN when empty) */
	double freq;      /* share of y = 1 in the bin (NAN when empty) */
};

/* Calibration table over CMT_BT_BINS equal bins [k/10, (k+1)/10) (the last
 * one includes 1); returns the expected calibration error
 * sum_k n_k/n |p_mean_k - freq_k| (NAN when n is 0). */
double cmt_bt_calibration(const double *p, const int *y, size_t n,
	struct cmt_bt_bin tab[CMT_BT_BINS]);

/* DeLong standard error of the AUC (NAN when a class has fewer than 2
 * rows); scratch holds 2*n doubles.  *auc gets the AUC it is about. */
double cmt_bt_auc_se(const double *p, const int *y, size_t n,
	double *scratch, double *auc);

struct cmt_bt_trading {
	size_t periods;      /* steps with a return (consecutive vectors) */
	size_t long_periods; /* of which the rule was long */
	size_t trades;       /* entries into a long position */
	size_t wins;         /* trades whose return after fees was > 0 */
	double hit_rate;     /* wins / trades */
	double ret;          /* compounded return of the rule, after fees */
	double bh_ret;       /* buy and hold over the same periods */
	double max_dd;       /* largest fall from a peak of the rule's equity */
	double sharpe;       /* mean/sd of per-period returns, not annualised */
};

/* The rule on one symbol's consecutive vectors: the position decided at
 * row i (long when p[i] > theta; flat when p[i] is NAN) earns the return
 * px[i+1]/px[i] - 1; fee_bps is paid on every entry and every exit.
 * equity, if not NULL, gets n values: the rule's equity at row i's time,
 * starting from 1.  An open position at the end pays no exit fee. */
void cmt_bt_trade(const double *px, const double *p, size_t n, double theta,
	double fee_bps, struct cmt_bt_trading *out, double *equity);

struct cmt_bt_opts {
	double theta;      /* long when p_up > theta */
	double fee_bps;    /* cost per entry and per exit, basis points */
	int keep_rows;     /* keep every row in memory, for the plot (48 B a
	                    * row); without it memory does not grow with rows */
};

struct cmt_bt_scores {
	struct cmt_metrics m;
	double auc_lo, auc_hi;   /* 95 % DeLong interval (model only) */
};

struct cmt_bt_group {
	char sym[CMT_SYM_MAX];   /* "ALL" for the overall group */
	size_t lines;            /* vectors read */
	size_t unlabelled;       /* no "y" member */
	size_t flat;             /* "y":null: price unchanged after H */
	size_t no_p;             /* labelled but no "p_up" */
	size_t partial;          /* "partial":true, skipped (not in lines) */
	double base_rate;        /* share of y = 1 among scored rows */
	struct cmt_bt_scores model, majority, last_return;
	struct cmt_bt_bin calib[CMT_BT_BINS];
	double ece;
	struct cmt_bt_trading trading;
	int64_t t_first, t_last;
};

struct cmt_bt;

enum cmt_err cmt_bt_new(struct cmt_bt **out, const struct cmt_bt_opts *o);
void cmt_bt_free(struct cmt_bt *bt);

/* Keep one decoded vector.  CMT_EORDER if its t is not after the previous
 * vector of its symbol; CMT_ELIMIT past CMT_BT_MAX_SYMBOLS symbols.  A
 * partial vector (provisional, for a step whose final vector follows) is
 * counted and not kept: CMT_ESKIP. */
enum cmt_err cmt_bt_add(struct cmt_bt *bt, const struct cmt_fvec *v,
	char *err);

/* Compute every group; then groups are 0..n-1 by first appearance, and
 * the last one is "ALL". */
enum cmt_err cmt_bt_finish(struct cmt_bt *bt, char *err);
int cmt_bt_ngroups(const struct cmt_bt *bt);
const struct cmt_bt_group *cmt_bt_group(const struct cmt_bt *bt, int i);

/* Reports after cmt_bt_finish; NULL when out of memory. */
char *cmt_bt_format_text(const struct cmt_bt *bt);
char *cmt_bt_format_json(const struct cmt_bt *bt);
char *cmt_bt_format_svg(const struct cmt_bt *bt);

/* Rolling metrics over the last `window` scored rows for --follow, each
 * row and each line in O(log window), 65 bytes a row.  lag_ms
 * is the wall clock at arrival minus the row's t; its median is reported
 * when it lies within a day (a live stream), null otherwise. */
struct cmt_bt_roll;

struct cmt_bt_roll *cmt_bt_roll_new(size_t window);
void cmt_bt_roll_free(struct cmt_bt_roll *r);
void cmt_bt_roll_add(struct cmt_bt_roll *r, double p, int y, int64_t lag_ms);

/* The window's scores, as cmt_metrics_compute gives them on its rows (the
 * log-loss and Brier score to rounding), and the median lag (the upper
 * middle one), NAN when the window is empty or it is not within a day.
 * O(log window). */
void cmt_bt_roll_metrics(const struct cmt_bt_roll *r, struct cmt_metrics *m,
	double *lag_ms);

/* One NDJSON metrics line (with newline), {"kind":"metrics",...}, for
 * stream time t into buf of cap bytes (CMT_BT_ROLL_LINE).  model is the
 * raw content of a JSON string (escapes kept, as struct cmt_fvec has it),
 * named in the line when not empty nor longer than CMT_BT_MODEL_MAX; it
 * may be NULL.  Returns the length. */
#define CMT_BT_ROLL_LINE 1024
size_t cmt_bt_roll_format(const struct cmt_bt_roll *r, int64_t t,
	const char *model, size_t model_len, char *buf, size_t cap);

/* The same line's members after "kind" (from ,"model" or ,"t" to the
 * newline), for a caller that writes its own first members. */
size_t cmt_bt_roll_members(const struct cmt_bt_roll *r, int64_t t,
	const char *model, size_t model_len, char *buf, size_t cap);

#endif
