/* Offline and rolling evaluation of predictions (cmt-backtest): scores per
 * symbol and overall against three baselines, a calibration table with
 * ECE, a DeLong interval for the AUC, a long/flat trading rule with its
 * trades and a threshold sweep, an SVG plot, and a paired comparison of
 * two prediction streams (cmt_bt_vs).  The caller owns what it passes in;
 * struct cmt_bt and struct cmt_bt_vs own their state, and the formatted
 * reports they return are malloc'd strings the caller frees. */
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
	double gross_ret;    /* the same positions without fees */
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

/* ---- baselines ---- */

/* The baselines every report holds the model against; baselines.c says
 * how each one's probability is taken. */
enum { CMT_BT_MAJORITY, CMT_BT_LAST_RETURN, CMT_BT_REVERSAL, CMT_BT_NBASE };
extern const char *const cmt_bt_base_name[CMT_BT_NBASE]; /* "last return" */
extern const char *const cmt_bt_base_key[CMT_BT_NBASE];  /* "last_return" */

/* The three baselines' scores on rows with last return x0[i] (the
 * shortest-window return, known at t; only its sign is read) and outcome
 * y[i] (0 or 1) into out[CMT_BT_NBASE].  Fitted on fit_x0/fit_y (nfit
 * rows; cmt-train's card: the training rows), the probabilities are fixed
 * while scoring: the majority's is the fitting rows' share up, each sign
 * rule's the fitting rows' up-share of the row's class, held on the rule's
 * side of 1/2.  With fit_x0 NULL they are taken as cmt-backtest takes
 * them: the majority's share from the scored rows, each sign rule's from
 * the scored rows before the one it forecasts.  CMT_EVALUE for a y other
 * than 0 or 1. */
enum cmt_err cmt_bt_baselines_score(const double *fit_x0, const int *fit_y,
	size_t nfit, const double *x0, const int *y, size_t n,
	struct cmt_metrics out[], char *err);

/* The metrics on which a baseline beats the model (strictly: higher
 * accuracy or AUC, lower log-loss or Brier score), as a mask. */
#define CMT_BT_ACCURACY 1u
#define CMT_BT_AUC      2u
#define CMT_BT_LOGLOSS  4u
#define CMT_BT_BRIER    8u
unsigned cmt_bt_beats(const struct cmt_metrics *base,
	const struct cmt_metrics *model);

/* The sign rule the model is held against: the better of last return and
 * reversal by AUC (then by log-loss); CMT_BT_LAST_RETURN on a tie. */
int cmt_bt_held_against(const struct cmt_metrics base[]);

/* ---- the batch report ---- */

#define CMT_BT_MAX_SWEEP 64    /* thresholds in one --theta list */

/* One round trip of the trading rule: entered at the row where the rule
 * turned long (its time and price), left at the row where it turned flat,
 * or, still open at the end, marked at the last row (no exit fee). */
struct cmt_bt_trade {
	const char *sym;
	int64_t entry_t, exit_t;
	double entry_px, exit_px;
	double gross;        /* exit_px / entry_px - 1 */
	double net;          /* after the entry fee and (when closed) the exit
	                      * fee: the factors compound to the rule's equity */
	size_t steps;        /* periods held */
	int open;
};

/* The CSV of cmt-backtest --trades: its header line, and one trade as a
 * line (with newline) into buf; returns the length (cap 512 is enough). */
extern const char cmt_bt_trade_csv_header[];
size_t cmt_bt_trade_csv(const struct cmt_bt_trade *tr, char *buf,
	size_t cap);

struct cmt_bt_opts {
	double theta;      /* long when p_up > theta */
	double fee_bps;    /* cost per entry and per exit, basis points */
	int64_t max_jump_ms; /* the time rule's --max-jump (cmt_symtime.h);
	                      * 0: no jump check */
	int plot;          /* keep what the plot draws: the baselines' equity
	                    * too (48 instead of 24 bytes a row on disk) */
	/* a threshold sweep (--theta with a list), sweep[0] == theta; nsweep
	 * 0 for none */
	double sweep[CMT_BT_MAX_SWEEP];
	size_t nsweep;
	/* when not NULL, called for each trade of the rule at theta as it
	 * closes, and for the open ones by cmt_bt_finish */
	void (*on_trade)(void *ctx, const struct cmt_bt_trade *tr);
	void *trade_ctx;
};

/* One threshold of the sweep: the rule's trading figures with it. */
struct cmt_bt_sweep {
	double theta;
	size_t long_periods, trades, wins;
	double hit_rate, gross_ret, ret;
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
	struct cmt_bt_scores model, base[CMT_BT_NBASE];
	int held_against;        /* CMT_BT_LAST_RETURN or CMT_BT_REVERSAL */
	unsigned base_wins[CMT_BT_NBASE];  /* cmt_bt_beats of each */
	struct cmt_bt_bin calib[CMT_BT_BINS];
	double ece;
	struct cmt_bt_trading trading;
	const struct cmt_bt_sweep *sweep;  /* o.nsweep rows, or NULL */
	int64_t t_first, t_last;
};

struct cmt_bt;

enum cmt_err cmt_bt_new(struct cmt_bt **out, const struct cmt_bt_opts *o);
void cmt_bt_free(struct cmt_bt *bt);

/* Keep one decoded vector.  CMT_EORDER if its symbol's time rule
 * (cmt_symtime_take with o.max_jump_ms) skips it: not after the previous
 * vector of its symbol, or a jump too far; CMT_ELIMIT past
 * CMT_BT_MAX_SYMBOLS symbols.  A
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

/* ---- a paired comparison of two prediction streams (--vs) ---- */

/* One score's difference between two forecasts on the same rows (the
 * first minus the second): its standard error, 95 % interval, z and
 * two-sided p-value (z 0 and p 1 when the two are the same throughout). */
struct cmt_bt_diff {
	double diff, se, lo, hi, z, p;
};

struct cmt_bt_paired {
	size_t lines[2];         /* vectors of each stream */
	size_t partial[2];       /* partial vectors, skipped */
	size_t only[2];          /* vectors whose (symbol, t) the other lacks */
	size_t matched;          /* (symbol, t) in both */
	size_t unscored;         /* matched, but a side has no p_up, or y
	                          * null or absent */
	size_t labels_differ;    /* matched, y 0 on one side and 1 on the other */
	struct cmt_bt_scores side[2];   /* on the n rows scored in both */
	size_t n, n_up;
	struct cmt_bt_diff auc;  /* DeLong's paired variance */
	/* the mean of the per-row differences, with a normal interval from
	 * their standard deviation */
	struct cmt_bt_diff logloss, brier, accuracy;
};

/* The comparison of forecasts pa and pb of outcomes y (0 or 1) on the
 * same n rows; lines and the row counts are n. */
enum cmt_err cmt_bt_paired(const double *pa, const double *pb, const int *y,
	size_t n, struct cmt_bt_paired *out, char *err);

/* Two streams matched by symbol and t as they come, side 0 the input and
 * side 1 the other; each side's vectors of one symbol in time order.  A
 * vector waits in memory (24 bytes) until the other stream reaches its
 * symbol and time, so streams in the same order keep few; the matched
 * scored rows take 24 bytes each in an unlinked temporary file.  struct
 * cmt_bt_vs owns all of it. */
struct cmt_bt_vs;

/* max_jump_ms: each side's time rule's --max-jump, as cmt_bt_opts'. */
enum cmt_err cmt_bt_vs_new(struct cmt_bt_vs **out, int64_t max_jump_ms);
void cmt_bt_vs_free(struct cmt_bt_vs *vs);
/* CMT_EORDER if the side's time rule for the symbol (cmt_symtime_take)
 * skips it, CMT_ELIMIT past CMT_BT_MAX_SYMBOLS symbols, CMT_ESKIP for a
 * partial vector (counted). */
enum cmt_err cmt_bt_vs_add(struct cmt_bt_vs *vs, int side,
	const struct cmt_fvec *v, char *err);
enum cmt_err cmt_bt_vs_finish(struct cmt_bt_vs *vs, char *err);
const struct cmt_bt_paired *cmt_bt_vs_result(const struct cmt_bt_vs *vs);
/* The reports after cmt_bt_vs_finish; name[side] says where each stream
 * came from (a file name).  NULL when out of memory. */
char *cmt_bt_vs_format_text(const struct cmt_bt_vs *vs,
	const char *const name[2]);
char *cmt_bt_vs_format_json(const struct cmt_bt_vs *vs,
	const char *const name[2]);

/* Rolling metrics over the last `window` scored rows for --follow, each
 * row and each line in O(log window), 65 bytes a row.  lag_ms
 * is the wall clock at arrival minus the row's t, or CMT_BT_NO_LAG for a
 * row from warm-start history ("warm":true), which is scored but has no
 * latency; the median over the live rows is reported when it lies within
 * a day (a live stream), null otherwise. */
#define CMT_BT_NO_LAG INT64_MIN
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
