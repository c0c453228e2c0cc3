/* Private to lib/features.c (the engine: symbols, the time grid, gaps),
 * lib/features_vector.c (the vector of one grid point) and
 * lib/features_ext.c (the extension's features): the engine's state,
 * which the engine allocates and frees.  Not for other modules. */
#ifndef CMT_FEATURES_INT_H
#define CMT_FEATURES_INT_H

#include <stdint.h>

#include "cmt_bars.h"
#include "cmt_features.h"
#include "cmt_indicators.h"
#include "cmt_symtime.h"

#define LINE_MAX_OUT (1024 + CMT_FEAT_N * (CMT_FEAT_NAME_MAX + 24))

/* The most return windows (base and long) and volatility windows (base,
 * long and the one that scales returns). */
#define RET_MAX (4 + CMT_FS_LIST_MAX)
#define RV_MAX (2 + CMT_FS_LIST_MAX + 1)

/* A vector waiting for its label, pend_size bytes: its time, price;
 * warm: past warm-up; the step it closes as a bar (NDJSON vectors carry
 * it for the dashboard's candles): open, high, low, volume when every
 * tick had one, and whether the tick that set the price came from a warm
 * start; then the set's features. */
struct pending {
	int64_t t;
	double px;
	double o, h, l, vol;
	int warm;
	unsigned char has_vol, from_warm_start;
	double x[];
};

/* The extension's state of one symbol (when the set has an extension):
 * its rings are in the symbol's block, after the price rings. */
struct symext {
	struct cmt_ksum rv_sum[RV_MAX - 2], rv_sum2[RV_MAX - 2];
	struct cmt_rangevol rng[CMT_FS_LIST_MAX];
	struct cmt_rollstat vz;
	struct cmt_rollext hi[CMT_FS_LIST_MAX], lo[CMT_FS_LIST_MAX];
};

struct symstate {
	char sym[CMT_SYM_MAX];
	int sym_len;
	char src[6 * CMT_SRC_MAX + 12]; /* ,"src":"..." of the last tick */
	int src_len;
	int active;
	int notice_due;           /* warm start: say the warm-up at live data */
	struct cmt_symtime time;  /* the symbol's last tick time (its rule) */
	int64_t next_g;
	double last_px;
	double step_vol;
	int step_vol_ok;          /* every tick of this step carried volume */
	int bar_ticks;            /* ticks in this step so far */
	double bar_o, bar_h, bar_l; /* this step's open, high, low so far */
	int warm_start;           /* the last tick came from a warm start */
	long k;                   /* grid points since the last reset */
	double *px, *lp;          /* grid prices and log prices, ring hist_n */
	double *ret;              /* step log returns, ring rv_n (window + 1) */
	struct cmt_ksum rv_sum[2], rv_sum2[2];
	struct cmt_rsi rsi;
	struct cmt_macd macd;
	struct cmt_bbands bb;
	struct cmt_ema vol_short, vol_long;
	struct symext *ext;       /* NULL: no extension */
	struct pending *pend;     /* ring of label_steps vectors */
	int pend_head, pend_count;
	int64_t partial_t;        /* tick time of the last partial vector */
};

struct cmt_features {
	struct cmt_features_options o;
	cmt_emit_fn emit;
	cmt_notice_fn notice;
	void *ctx;
	int nfeat;                /* the set's features */
	int nret, ret_steps[RET_MAX], ret_pos[RET_MAX]; /* windows, where */
	int nrv, rv_steps[RV_MAX], rv_pos[RV_MAX];      /* ... -1: zr's */
	int warmup, hist_n, rv_n, label_steps;
	int has_ext;
	int pos_rng, pos_bar, pos_vz, pos_zr, pos_hl, pos_cal; /* first index */
	size_t ring_bytes;        /* a block's state and rings, pending aside */
	size_t pend_size;         /* one struct pending with its features */
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
	struct pending *cur;      /* the grid point being computed */
	int in_partial;
};

/* One grid point of symbol s at time g with price p: its vector, emitted
 * now or held back for its label (features_vector.c). */
void cmt_features_grid_point(struct cmt_features *fe, struct symstate *s,
	int64_t g, double p);

/* A tick into the range of s's step in progress (a bar with its own). */
void cmt_features_step_tick(struct symstate *s, const struct cmt_tick *tk);
/* Point s at the parts of its block (features.c); a copy of a block too. */
void cmt_features_place(const struct cmt_features *fe, struct symstate *s);

/* The partial vector of s's grid step in progress (fe->scratch). */
void cmt_features_emit_partial(struct cmt_features *fe,
	const struct symstate *s);

/* features_ext.c: where the extension's features go in the vector, the
 * bytes of its state and rings, pointing a symbol block's state at its
 * rings (after a copy too), starting it afresh, and its features at a
 * grid point: the step's bar o, h, l, c (c the grid price), rv[] the
 * volatility of each rv window (NAN before it is full), into x. */
void cmt_features_ext_layout(struct cmt_features *fe);
size_t cmt_features_ext_bytes(const struct cmt_features *fe);
void cmt_features_ext_place(const struct cmt_features *fe,
	struct symstate *s, char *rings);
void cmt_features_ext_reset(const struct cmt_features *fe,
	struct symstate *s);
void cmt_features_ext_point(struct cmt_features *fe, struct symstate *s,
	int64_t g, const double bar[4], const double *rv, double *x);

#endif
