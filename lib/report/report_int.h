/* Private to lib/report/: the state of struct cmt_bt and the functions its
 * files share (cmt_backtest.h is the public face).  struct cmt_bt owns all
 * of it; cmt_bt_free releases it, and closes the spill files. */
#ifndef CMT_REPORT_INT_H
#define CMT_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_backtest.h"
#include "cmt_json.h"
#include "cmt_symtime.h"

#define Y_NONE (-2)  /* no "y" member */
#define Y_FLAT (-1)  /* "y":null */

/* Constant memory: nothing is kept per row.  Each group (a symbol, and
 * "ALL") keeps running sums in row order, and per-class counts per
 * distinct p_up, from which the AUC and DeLong's interval are exact.  The
 * equal-weight portfolio depends on what only the end of the input tells
 * (1/S of the capital per symbol, and its points merged in time order
 * across symbols), so each symbol's equity after each of its rows goes to
 * an unlinked temporary file in $TMPDIR (or /tmp), read back by
 * cmt_bt_finish and the plot: the disk, not the memory, grows with the
 * rows. */

/* Counts of up and down rows with one p_up value. */
struct score {
	double p;
	uint64_t up, down;
};

/* Open addressing on p's bits; cap is a power of two, empty slots have
 * up + down == 0. */
struct score_map {
	struct score *e;
	size_t cap, n;
};

/* The baselines of one group (baselines.c): scored rows per class of the
 * last return (rise, fall, no move), the counts the sign rules' forecasts
 * come from, and the sign rules' loss sums in row order. */
#define BASE_CLASSES 3
struct base_acc {
	size_t n[BASE_CLASSES], up[BASE_CLASSES];
	size_t fit_n[BASE_CLASSES], fit_up[BASE_CLASSES];
	int learn;                 /* each row joins fit_* once scored */
	double fit_share;          /* the majority's p; NAN: the scored share */
	double logloss[2], brier[2];   /* last return, reversal */
};

struct acc {
	size_t lines, unlabelled, flat, no_p;
	int64_t t_first, t_last;
	size_t n, n_up, hits;          /* scored rows; model hits (p>=0.5)==y */
	double logloss, brier;         /* model, summed in row order */
	double cal_p[CMT_BT_BINS], cal_y[CMT_BT_BINS];
	size_t cal_n[CMT_BT_BINS];
	struct base_acc base;
	struct score_map scores;
};

/* The trading rule on one symbol, one row at a time. */
struct trade {
	double f, eq, gross, peak, bh, entry, sum, sum2;
	double px, p, px0;             /* the previous row, the first price */
	int64_t t;                     /* the previous row's */
	int prev;
	size_t rows;
	struct cmt_bt_trade open;      /* the trade in progress (prev) */
	struct cmt_bt_trading out;
};

/* What cmt_bt_trade_step says about the row it took. */
enum { TRADE_NONE, TRADE_CLOSED };

/* A point of a symbol's equity: its values after one of its rows (the
 * first row's are all 1).  PT_FIGURES of them for the report, PT_MAX with
 * the plot (buy and hold and the sign rules traded). */
enum { PT_T, PT_EQ, PT_GROSS, PT_BH, PT_MOM, PT_REV, PT_MAX };
#define PT_FIGURES 3

/* The portfolio's values the walk hands over, each 1 at the start. */
enum { PV_EQ, PV_GROSS, PV_BH, PV_MAJ, PV_MOM, PV_REV, PV_MAX };

/* The points go to the spill file in blocks of BLOCK_POINTS, chained per
 * symbol (each block's header has the offset of the symbol's next one);
 * v holds BLOCK_POINTS * the point size doubles. */
#define BLOCK_POINTS 256
struct block {
	int64_t next;                  /* offset of the next block, or -1 */
	int64_t count;
	double v[];
};

struct sym {
	struct acc acc;
	struct trade tr;
	struct trade *sweep;           /* o.nsweep of them, or NULL */
	struct trade mom, rev;         /* the sign rules traded (o.plot) */
	struct block *blk;             /* points not yet spilled */
	int64_t first_blk, last_blk;   /* spilled blocks, -1 when none */
};

/* A sequential spill file of fixed-size records. */
struct spill {
	int fd;
	char buf[1 << 16];
	size_t len;
	int64_t size;                  /* bytes written to fd */
};

/* The model named by the rows with p_up (backtest.c). */
struct model_name {
	char s[CMT_BT_MODEL_MAX + 1];
	int models;                /* 0 none yet, 1 one, 2 more than one */
};

struct cmt_bt {
	struct cmt_bt_opts o;
	size_t n;
	int nsym;
	struct model_name model;   /* of the rows with p_up */
	char sym[CMT_BT_MAX_SYMBOLS][CMT_SYM_MAX];
	struct cmt_symtime time[CMT_BT_MAX_SYMBOLS];
	struct sym *st[CMT_BT_MAX_SYMBOLS];
	struct acc all;
	int pt_size;               /* doubles per point: PT_FIGURES or PT_MAX */
	int pts_fd;                /* the points' blocks */
	int64_t pts_size;
	/* partial vectors skipped: in all, and by symbol (their own table, as
	 * a symbol with partial vectors only has no group) */
	size_t partial, npartial_sym, partial_n[CMT_BT_MAX_SYMBOLS];
	char partial_sym[CMT_BT_MAX_SYMBOLS][CMT_SYM_MAX];
	struct cmt_bt_group *groups;   /* nsym + 1 after finish */
	struct cmt_bt_sweep *sweeps;   /* (nsym + 1) * o.nsweep after finish */
	/* the portfolio's curve, from cmt_bt_finish: its time span, its
	 * range, and ten times the median step between its points (a longer
	 * jump in time is a gap the plot does not bridge; 0: none) */
	int64_t curve_t0, curve_t1;
	double curve_lo, curve_hi, gap;
};

/* backtest.c: the model named by the rows, "-" when none, "(several)" if
 * they differ (raw JSON string contents, escapes kept, valid between
 * quotes in JSON). */
const char *cmt_bt_model_name(const struct cmt_bt *bt);
void cmt_bt_model_see(struct model_name *mn, const struct cmt_fvec *v);
const char *cmt_bt_model_str(const struct model_name *mn);

/* scores.c */
enum cmt_err cmt_bt_acc_add(struct acc *a, const struct cmt_fvec *v,
	double p, int y, char *err);
enum cmt_err cmt_bt_score_group(const struct acc *a, const char *sym,
	struct cmt_bt_group *g, char *err);
/* The AUC from runs of equal p in ascending order (NAN with one class) */
double cmt_bt_auc_runs(const struct score *r, size_t nr);
/* Each run's DeLong components: v10[i], the share of down rows an up row
 * of run i outranks, v01[i], the share of up rows that outrank a down row
 * of it (ties 1/2); m and k get the numbers of up and down rows. */
void cmt_bt_delong_runs(const struct score *r, size_t nr, double *v10,
	double *v01, double *m, double *k);
/* The DeLong standard error of the AUC from the runs (NAN when a class
 * has fewer than 2 rows); *auc gets the AUC as the mean of the up rows'
 * components. */
double cmt_bt_auc_se_runs(const struct score *r, size_t nr, double *auc);
/* The distinct scores of a map in ascending order (malloc'd; NULL when
 * out of memory), their number in *nr. */
struct score *cmt_bt_sorted_scores(const struct score_map *m, size_t *nr);
enum cmt_err cmt_bt_count_score(struct score_map *m, double p, int up);
/* qsort's comparison of doubles in ascending order */
int cmt_bt_cmp_double(const void *a, const void *b);

/* baselines.c */
int cmt_bt_base_class(double x0);
/* fit_n, fit_up: fixed counts per class to forecast from, or NULL to
 * learn from each row once it is scored */
void cmt_bt_base_begin(struct base_acc *b, const size_t *fit_n,
	const size_t *fit_up);
void cmt_bt_base_add(struct base_acc *b, double x0, int y);
void cmt_bt_base_scores(const struct base_acc *b, struct cmt_metrics out[]);

/* portfolio.c: the trading rule a row at a time, the portfolio and the
 * sweep */
void cmt_bt_trade_begin(struct trade *t, double fee_bps);
/* The row at t with price px and forecast p: the position decided at the
 * previous row earns the return to px.  TRADE_CLOSED when a trade ended
 * at the previous row (t->open has it). */
int cmt_bt_trade_step(struct trade *t, int64_t tm, double px, double p,
	double theta);
void cmt_bt_trade_end(const struct trade *t, struct cmt_bt_trading *out);
enum cmt_err cmt_bt_portfolio(struct cmt_bt *bt, char *err);
void cmt_bt_sweep_end(struct cmt_bt *bt);
/* o.on_trade for each trade still open at the end */
void cmt_bt_open_trades(const struct cmt_bt *bt);

/* points.c: each symbol's points, and the walks over them */
enum cmt_err cmt_bt_put_point(struct cmt_bt *bt, struct sym *st,
	const double *v, char *err);
/* The values of symbol s after each of its rows but the first, in time
 * order, as the portfolio's below (pv[PV_*]). */
enum cmt_err cmt_bt_walk_symbol(const struct cmt_bt *bt, int s,
	void (*each)(void *ctx, int64_t t, const double *pv), void *ctx,
	char *err);
/* The portfolio at each distinct time of the points, merged across the
 * symbols (on equal times in symbol order): pv[PV_*]; PV_BH and after
 * only with o.plot.  The majority baseline trades each symbol long
 * throughout when its share up exceeds theta (groups must be scored). */
enum cmt_err cmt_bt_walk_portfolio(const struct cmt_bt *bt,
	void (*each)(void *ctx, int64_t t, const double *pv), void *ctx,
	char *err);

/* vs.c: the model each side's rows named */
const char *cmt_bt_vs_model(const struct cmt_bt_vs *vs, int side);

/* spill.c */
int cmt_bt_spill_open(char *err);
enum cmt_err cmt_bt_write_at(int fd, const void *buf, size_t n, int64_t off,
	char *err);
enum cmt_err cmt_bt_read_at(int fd, void *buf, size_t n, int64_t off,
	char *err);
/* Append a record of n bytes (at most sizeof sp->buf); read n bytes at
 * off, from the file or the part still in the buffer. */
enum cmt_err cmt_bt_spill_put(struct spill *sp, const void *rec, size_t n,
	char *err);
enum cmt_err cmt_bt_spill_get(const struct spill *sp, void *buf, size_t n,
	int64_t off, char *err);

/* A number as JSON (null when not finite) into buf (32 bytes). */
static inline const char *
jnum(char *buf, double x)
{
	cmt_fmt_double(buf, x, 6);
	return buf;
}

#endif
