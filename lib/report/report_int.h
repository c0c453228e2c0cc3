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
 * "ALL") keeps running sums in row order (the same order, so the same
 * floating-point results, as the arrays this replaced), and per-class
 * counts per distinct p_up, from which the AUC and DeLong's interval are
 * exact.  Two things depend on what only the end of the input tells: the
 * baselines' log-loss and Brier score (their forecast is a share seen over
 * all rows) and the equal-weight portfolio (1/S of the capital per symbol,
 * and its points merged in time order across symbols).  For them a few
 * bytes per row go to unlinked temporary files in $TMPDIR (or /tmp), read
 * back by cmt_bt_finish: the disk, not the memory, grows with the rows. */

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

struct acc {
	size_t lines, unlabelled, flat, no_p;
	int64_t t_first, t_last;
	size_t n, n_up, hits;          /* scored rows; model hits (p>=0.5)==y */
	double logloss, brier;         /* model, summed in row order */
	double cal_p[CMT_BT_BINS], cal_y[CMT_BT_BINS];
	size_t cal_n[CMT_BT_BINS];
	size_t sign_n[3], sign_up[3];  /* last return > 0, < 0, == 0 */
	double sign_hits;              /* the sign rule's hits (ties 1/2) */
	struct score_map scores;
};

/* cmt_bt_trade, one row at a time. */
struct trade {
	double f, eq, peak, bh, entry, sum, sum2;
	double px, p, px0;             /* the previous row, the first price */
	int prev;
	size_t rows;
	struct cmt_bt_trading out;
};

/* Points of the portfolio: per symbol, the change of its equity and of
 * its buy-and-hold value at each of its rows after the first. */
struct point {
	int64_t t;
	double eq, bh;
};

/* The points go to the spill file in blocks of BLOCK_POINTS, chained per
 * symbol (each block's header has the offset of the symbol's next one). */
#define BLOCK_POINTS 256
struct block {
	int64_t next;                  /* offset of the next block, or -1 */
	int64_t count;
	struct point pt[BLOCK_POINTS];
};

struct sym {
	struct acc acc;
	struct trade tr;
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

/* A row as the plot needs it (kept only with o.keep_rows). */
struct kept_row {
	int64_t t;
	double px;
	double p;        /* NAN without p_up */
	double x0;       /* shortest-window return, known at t */
	int sym;
	int y;
};

struct cmt_bt {
	struct cmt_bt_opts o;
	size_t n;
	int nsym;
	char model[CMT_BT_MODEL_MAX + 1]; /* model of the rows with p_up */
	int models;                /* 0 none yet, 1 one, 2 more than one */
	char sym[CMT_BT_MAX_SYMBOLS][CMT_SYM_MAX];
	struct cmt_symtime time[CMT_BT_MAX_SYMBOLS];
	struct sym *st[CMT_BT_MAX_SYMBOLS];
	struct acc all;
	struct spill rows;         /* per scored row: symbol, sign class, y */
	int pts_fd;                /* the portfolio's blocks */
	int64_t pts_size;
	/* partial vectors skipped: in all, and by symbol (their own table, as
	 * a symbol with partial vectors only has no group) */
	size_t partial, npartial_sym, partial_n[CMT_BT_MAX_SYMBOLS];
	char partial_sym[CMT_BT_MAX_SYMBOLS][CMT_SYM_MAX];
	/* o.keep_rows (the plot): every row, in input order */
	struct kept_row *kept;
	size_t nkept, capkept;
	struct cmt_bt_group *groups;   /* nsym + 1 after finish */
	struct point *curve;       /* the points the plot draws */
	size_t ncurve, ndrawn;     /* points of the curve; drawn of them */
	int64_t curve_t0, curve_t1;
	double curve_lo, curve_hi;
};

/* backtest.c: the model named by the rows, "-" when none, "(several)" if
 * they differ (raw JSON string contents, escapes kept). */
const char *cmt_bt_model_name(const struct cmt_bt *bt);

/* scores.c.  sign: the row's last return > 0 (0), < 0 (1) or == 0 (2). */
enum cmt_err cmt_bt_acc_add(struct acc *a, const struct cmt_fvec *v,
	double p, int y, int sign, char *err);
enum cmt_err cmt_bt_score_group(const struct acc *a, const char *sym,
	struct cmt_bt_group *g, char *err);
enum cmt_err cmt_bt_baselines(struct cmt_bt *bt, char *err);
/* qsort's comparison of doubles in ascending order */
int cmt_bt_cmp_double(const void *a, const void *b);

/* portfolio.c: the trading rule a row at a time, and the portfolio */
void cmt_bt_trade_begin(struct trade *t, double fee_bps);
double cmt_bt_trade_step(struct trade *t, double px, double p, double theta);
void cmt_bt_trade_end(const struct trade *t, struct cmt_bt_trading *out);
enum cmt_err cmt_bt_portfolio(struct cmt_bt *bt, size_t draw, char *err);

/* spill.c */
enum cmt_err cmt_bt_read_at(int fd, void *buf, size_t n, int64_t off,
	char *err);
enum cmt_err cmt_bt_spill_put(struct spill *sp, uint32_t rec, char *err);
enum cmt_err cmt_bt_put_point(struct cmt_bt *bt, struct sym *st, int64_t t,
	double eq, double bh, char *err);

/* A number as JSON (null when not finite) into buf (32 bytes). */
static inline const char *
jnum(char *buf, double x)
{
	cmt_fmt_double(buf, x, 6);
	return buf;
}

#endif
