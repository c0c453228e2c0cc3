/* Private to lib/features.c (the engine: symbols, the time grid, gaps)
 * and lib/features_vector.c (the vector of one grid point): the engine's
 * state, which the engine allocates and frees.  Not for other modules. */
#ifndef CMT_FEATURES_INT_H
#define CMT_FEATURES_INT_H

#include <stdint.h>

#include "cmt_features.h"
#include "cmt_indicators.h"
#include "cmt_symtime.h"

#define LINE_MAX_OUT 1024

/* A compensated (Neumaier) running sum.  The rolling windows add each
 * return once and subtract it once; plain doubles leave the rounding of
 * every past value behind (a window of zero returns after a volatile hour
 * showed 1e-11, not 0), the compensation term carries it back out. */
struct ksum {
	double s, c;
};

struct pending {
	int64_t t;
	double px;
	double x[CMT_FEAT_N];
	int warm;
};

struct symstate {
	char sym[CMT_SYM_MAX];
	int sym_len;
	char src[6 * CMT_SRC_MAX + 12]; /* ,"src":"..." of the last tick */
	int src_len;
	int active;
	struct cmt_symtime time;  /* the symbol's last tick time (its rule) */
	int64_t next_g;
	double last_px;
	double step_vol;
	int step_vol_ok;          /* every tick of this step carried volume */
	long k;                   /* grid points since the last reset */
	double *px, *lp;          /* grid prices and log prices, ring hist_n */
	double *ret;              /* step log returns, ring rv_n (window + 1) */
	struct ksum rv_sum[2], rv_sum2[2];
	struct cmt_rsi rsi;
	struct cmt_macd macd;
	struct cmt_bbands bb;
	struct cmt_ema vol_short, vol_long;
	struct pending *pend;     /* ring of label_steps vectors */
	int pend_head, pend_count;
	int64_t partial_t;        /* tick time of the last partial vector */
};

struct cmt_features {
	struct cmt_features_options o;
	cmt_emit_fn emit;
	cmt_notice_fn notice;
	void *ctx;
	int ret_steps[4], rv_steps[2], warmup, hist_n, rv_n, label_steps;
	struct symstate **table;  /* open addressing, size table_n */
	int table_n, nsym;
	struct symstate *last;    /* one-entry cache: ticks come in runs */
	char fs_id[CMT_FS_ID_MAX];
	int fs_id_len;
	char names[CMT_FEAT_N][CMT_FEAT_NAME_MAX];
	char key[CMT_FEAT_N][CMT_FEAT_NAME_MAX + 4]; /* "name": */
	int key_len[CMT_FEAT_N];
	char out[LINE_MAX_OUT];
	struct cmt_features_stats st;
	struct symstate *scratch; /* partial vectors are computed on this copy */
	int in_partial;
};

/* One grid point of symbol s at time g with price p: its vector, emitted
 * now or held back for its label (features_vector.c). */
void cmt_features_grid_point(struct cmt_features *fe, struct symstate *s,
	int64_t g, double p);

/* The partial vector of s's grid step in progress (fe->scratch). */
void cmt_features_emit_partial(struct cmt_features *fe,
	const struct symstate *s);

#endif
