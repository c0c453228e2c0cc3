/* Turning ticks into feature vectors.  Each symbol is resampled onto a
 * grid of `step` (grid value = last price at or before the grid time,
 * grid times are multiples of step since the epoch); gaps up to max_gap
 * are forward-filled, longer ones reset that symbol.  Each grid step is
 * also a bar: its open is the first price seen in the step (a bar tick's
 * o), its high and low the extremes of the prices seen (a bar tick's h
 * and l), its close the grid value; a step without ticks is a flat bar at
 * the last price.  At every grid point the features of the feature set
 * (the 11 base features, then those of its extension parts) are computed
 * from that point and earlier ones only.
 * With a label horizon H, each vector is held back until the grid point H
 * later exists and is then emitted with y.  With partial vectors on, a
 * tick inside a grid step also yields a provisional vector for the step in
 * progress, computed on a copy of the symbol's state as if the step ended
 * at that tick's price, marked "partial":true; the engine's state and the
 * final vectors are exactly what they are without.  Memory per symbol is fixed at
 * creation; the number of symbols is capped.  The engine owns its memory;
 * output lines are handed to the caller's emit callback, one at a time. */
#ifndef CMT_FEATURES_H
#define CMT_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_fvec.h"
#include "cmt_tick.h"

#define CMT_FS_ID_MAX 512
#define CMT_FEAT_NAME_MAX 32
#define CMT_FS_LIST_MAX 4         /* windows in one extension list */

/* A feature set: the base (every field up to vt_long) and the extension,
 * optional parts that each add features after the base 11; all zero is
 * no extension.  Durations are in ms, multiples of the step. */
struct cmt_feature_set {
	int64_t step_ms;
	int64_t ret_ms[4];        /* log-return windows */
	int64_t rv_ms[2];         /* realised-volatility windows */
	int rsi_n;
	int macd_fast, macd_slow, macd_signal;
	int bb_n;
	double bb_k;
	int mom_n;                /* momentum lag, in steps */
	int vt_short, vt_long;    /* volume EMA periods, in steps */
	/* the extension */
	int nrng;                 /* rng: Parkinson and Garman-Klass windows */
	int64_t rng_ms[CMT_FS_LIST_MAX];
	int bar;                  /* bar=step: the step's candle shape */
	int64_t vz_ms;            /* vz: volume z-score window (0: none) */
	int64_t zr_ms;            /* zr: the volatility window that scales
	                           * the base returns (0: none) */
	int nhl;                  /* hl: rolling high and low windows */
	int64_t hl_ms[CMT_FS_LIST_MAX];
	int nlt;                  /* lt: long return and volatility windows */
	int64_t lt_ms[CMT_FS_LIST_MAX];
	int cal;                  /* cal=utc: time of day and day of week */
};

/* step 1s; ret 5s,15s,30s,60s; rv 30s,60s; rsi 14; macd 12/26/9;
 * bb 20/2; mom 10; vt 5/20; no extension. */
void cmt_fs_defaults(struct cmt_feature_set *fs);
enum cmt_err cmt_fs_check(const struct cmt_feature_set *fs, char *err);

/* "cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;macd=12/26/9;bb=20/2;
 * mom=10;vt=5/20", then the extension parts present, each ";key=value":
 * rng=D[/D...] (1 to 4 windows), bar=step, vz=D, zr=D, hl=D[/D...],
 * lt=D[/D...], cal=utc.  Parse takes the parts in any order, each at most
 * once; format writes them in that order.  Format writes the canonical
 * spelling (durations as cmt_format_duration spells them); ids are
 * compared as strings, so parse any spelling and format it again to
 * compare. */
void cmt_fs_format_id(const struct cmt_feature_set *fs, char *buf);
enum cmt_err cmt_fs_parse_id(const char *id, struct cmt_feature_set *fs,
	char *err);

/* The canonical spelling of a feature-set id or of a feature name, for
 * what a model or a vector stream written by hand or by another tool may
 * spell differently ("60m" where cmt-features writes "1h"): a cmt1 id is
 * parsed and formatted again; a name "<prefix>_<duration>" gets the
 * duration spelling of cmt_format_duration.  Each reads len bytes and
 * returns 0 when it wrote the canonical form to out, -1 for anything else
 * (a foreign feature set), which stays as written. */
int cmt_fs_canonical_id(const char *id, size_t len, char out[CMT_FS_ID_MAX]);
int cmt_fs_canonical_name(const char *name, size_t len, char *out,
	size_t cap);

/* Set one part of fs from a command-line option: "step", "windows" (4
 * durations), "vol-windows" (2), "rsi" N, "macd" F,S,G, "bb" N,K, "mom" N,
 * "vol-trend" S,L; the extension: "range-vol" D,..., "bar" (arg NULL),
 * "vol-z" D, "zret" D, "high-low" D,..., "long" D,..., "calendar" (arg
 * NULL), and "wide" (arg NULL): every part fs lacks, as CMT_FS_WIDE has
 * it.  Ranges are checked later by cmt_fs_check. */
enum cmt_err cmt_fs_option(struct cmt_feature_set *fs, const char *name,
	const char *arg, char *err);

/* What "wide" adds to a set. */
#define CMT_FS_WIDE "rng=15m/1h;bar=step;vz=1h;zr=1h;hl=1h/4h/1d;lt=4h/1d;cal=utc"

/* The number of features of fs (CMT_FEAT_BASE to CMT_FEAT_N). */
int cmt_fs_count(const struct cmt_feature_set *fs);

/* The names, in vector order; returns their number.  The base: ret_<w>
 * x4, rv_<w> x2, rsi, macd_hist, bb_pctb, mom, vol_trend; then pk_<w>,
 * gk_<w> per rng window; body, upper_wick, lower_wick, close_loc; volz_<w>;
 * zret_<w> per base return window; dhi_<w>, dlo_<w> per hl window; ret_<w>,
 * rv_<w> per lt window; tod_sin, tod_cos, dow_sin, dow_cos. */
int cmt_fs_names(const struct cmt_feature_set *fs,
	char names[CMT_FEAT_N][CMT_FEAT_NAME_MAX]);

/* Each feature's lookback: the first step (counted from a symbol's first
 * grid point, or its reset) at which it can be defined. */
void cmt_fs_lookbacks(const struct cmt_feature_set *fs, int *lookback);

/* 1 if every feature of inner is computed, alike and under the same name,
 * in outer: the same base and each extension part of inner also in outer
 * with the same value.  A model trained on inner can read vectors of
 * outer. */
int cmt_fs_contains(const struct cmt_feature_set *outer,
	const struct cmt_feature_set *inner);

/* Grid steps before the base features can be defined (warm-up): no vector
 * before it.  An extension feature with a longer lookback is null until
 * its own (cmt_fs_lookbacks). */
int cmt_fs_warmup_steps(const struct cmt_feature_set *fs);

/* Grid steps before every feature of fs can be defined. */
int cmt_fs_full_warmup_steps(const struct cmt_feature_set *fs);

struct cmt_features_options {
	struct cmt_feature_set fs;
	int64_t max_gap_ms;       /* longer silences reset a symbol */
	int64_t label_ms;         /* 0: no label */
	/* Plausibility (0: no check): a tick more than max_jump after its
	 * symbol's previous tick is skipped (CMT_EORDER) unless the symbol's
	 * next tick is also that far ahead, which confirms a real jump; a
	 * symbol's first tick more than max_jump ahead of the wall clock is
	 * skipped.  So one glitched timestamp costs one line. */
	int64_t max_jump_ms;
	int emit_warmup;
	int warmup_notice;        /* say when a symbol's first vector comes */
	int partial;              /* emit partial vectors ... */
	int64_t partial_every_ms; /* ... at most this often per symbol, in
	                           * tick time (0: after every tick) */
	int csv;
	int max_symbols;
	/* Refuse (CMT_ELIMIT, naming the figures) a configuration whose worst
	 * case, max_symbols x cmt_features_symbol_bytes plus the symbol
	 * table, exceeds this many bytes; 0: no bound. */
	int64_t max_memory;
};

struct cmt_features_stats {
	uint64_t vectors;         /* lines emitted, partial ones aside */
	uint64_t partials;        /* partial vectors emitted */
	uint64_t gap_resets;
	uint64_t unlabelled;      /* dropped: no grid point H later (gap, EOF) */
	int symbols;
};

typedef void (*cmt_emit_fn)(void *ctx, const char *line, size_t len);
typedef void (*cmt_notice_fn)(void *ctx, const char *msg);

struct cmt_features;

struct cmt_features *cmt_features_new(const struct cmt_features_options *o,
	cmt_emit_fn emit, cmt_notice_fn notice, void *ctx, char *err);

/* Bytes one symbol costs, fixed when it first appears:
 *   S + 16 (H + 1) + 8 (V + 1) + P (L + 1) [+ X + E with an extension]
 * where H is the longest return window (base or lt) or the momentum lag
 * in steps, V the longest volatility window (base, lt or zr) in steps, L
 * the label horizon in steps, S the fixed state (indicator seed rings:
 * about 8.6 KiB) and P = 56 + 8 F bytes per vector waiting for its label
 * (its bar, and F features: 144 for the base 11).  An extension adds its fixed state X
 * (about 0.8 KiB) and its rings E: 16 bytes per step of each rng window,
 * 24 per step of the vz window, 32 per step of each hl window.  The base
 * set with the defaults costs about 10 KiB; 1s steps with a 100000s window
 * and label, about 15.3 MiB; the shipped 1m set widened (CMT_FS_WIDE, with
 * a 1m label) about 101 KiB. */
size_t cmt_features_symbol_bytes(const struct cmt_features *fe);

/* The CSV header line (with newline) for o->csv output. */
size_t cmt_features_csv_header(const struct cmt_features *fe, char *buf,
	size_t cap);

/* Feed one tick.  CMT_EORDER for a timestamp not after the symbol's last
 * one or an implausible jump (max_jump_ms), CMT_ELIMIT when a new symbol would exceed max_symbols; the tick is
 * then ignored and the stream can go on. */
enum cmt_err cmt_features_push(struct cmt_features *fe,
	const struct cmt_tick *tk, char *err);

/* End of input: counts the vectors still waiting for their label. */
void cmt_features_finish(struct cmt_features *fe);

void cmt_features_stats(const struct cmt_features *fe,
	struct cmt_features_stats *st);
void cmt_features_free(struct cmt_features *fe);

#endif
