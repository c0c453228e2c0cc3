/* Reading feature-vector lines (cmt-features output, possibly with "y",
 * "p_up" and "model" added by later tools), as NDJSON or CSV.  The decoder
 * sniffs the format from the first line and keeps the CSV column map.
 * Parsed strings (fs, feature names, model) are slices of the caller's line
 * or of the decoder's header copy: valid until the next call. No
 * allocation after cmt_fvec_decoder_init. */
#ifndef CMT_FVEC_H
#define CMT_FVEC_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_tick.h"

/* Features per vector at most: a vector carries as many as its feature
 * set has (11 for a set without extension), and names each. */
#define CMT_FEAT_N 64
#define CMT_FEAT_BASE 11   /* a cmt1 set's base features, first in each */
#define CMT_FVEC_CSV_COLS (CMT_FEAT_N + 16)
#define CMT_FVEC_HDR_MAX 4096
#define CMT_FVEC_FAST_FS 512      /* longest fs the fast path learns */
#define CMT_FVEC_FAST_NAME 32     /* longest feature name it learns */

struct cmt_slice {
	const char *s;
	size_t len;
};

struct cmt_fvec {
	int64_t t;
	char sym[CMT_SYM_MAX];
	double px;
	struct cmt_slice fs;              /* feature-set id */
	int nfeat;                        /* features in "f", 1..CMT_FEAT_N */
	struct cmt_slice name[CMT_FEAT_N];
	double x[CMT_FEAT_N];             /* NAN where the feature is null */
	int nnull;                        /* how many features are null */
	int warmup;
	int partial;                      /* "partial":true: step in progress */
	int warm_start;                   /* "warm":true: from a warm start */
	int has_y, y;                     /* y: 1 up, 0 down, -1 null (flat) */
	int has_p;
	double p_up;
	struct cmt_slice model;           /* the string, if one */
	int has_model;                    /* a "model" member of any type */
	size_t close;                     /* NDJSON: offset of the final '}' */
};

enum cmt_fvec_format { CMT_FVEC_AUTO, CMT_FVEC_JSON, CMT_FVEC_CSV };

struct cmt_fvec_decoder {
	enum cmt_fvec_format format;
	int ncols;
	signed char col_kind[CMT_FVEC_CSV_COLS]; /* what each CSV column is */
	struct cmt_slice col_name[CMT_FVEC_CSV_COLS];
	char header[CMT_FVEC_HDR_MAX];
	/* NDJSON fast path: the fs and feature names of the last vector the
	 * full decoder accepted.  A line laid out exactly as cmt-features
	 * writes it, {"t":N,"sym":"S","px":N,"fs":"<fs>","f":{"<name>":N|null,
	 * ...}}, with these fs and names, has only its numbers converted; any
	 * other line (other keys, order, spacing, escapes, extra members) goes
	 * to the full decoder, so the result, errors included, is the same. */
	int fast_off;                     /* tests: 1 disables the fast path */
	int fast_ready;
	uint64_t fast_hits;               /* lines the fast path decoded */
	size_t fast_fs_len;
	int fast_nfeat;
	char fast_fs[CMT_FVEC_FAST_FS];
	unsigned char fast_name_len[CMT_FEAT_N];
	char fast_name[CMT_FEAT_N][CMT_FVEC_FAST_NAME];
	int nexpect;                          /* names required (0: none) */
	struct cmt_slice expect[CMT_FEAT_N];
	struct cmt_slice expect_fs;           /* ... for this feature set */
	int csv_nfeat;                        /* CSV: feature columns */
	int misnamed;                         /* CSV: first misnamed column */
	/* the last feature set seen and how many features its vectors
	 * carry (-1: not a cmt1 id, any number) */
	size_t count_fs_len;
	char count_fs[CMT_FVEC_FAST_FS];
	int count_n;
};

void cmt_fvec_decoder_init(struct cmt_fvec_decoder *d,
	enum cmt_fvec_format format);

/* Require every vector of feature set fs to name its features
 * names[0..n-1], exactly these n in that order (names NULL or n 0: no
 * check, the default; fs NULL: whatever its set).  The strings must
 * outlive the decoder.  Checked while the features are read, one compare
 * per key (CSV: once, on the header), so a vector whose keys are in
 * another order, are other names or are more or fewer is CMT_EMISMATCH on
 * every line, not just the first: a model must never be fed one feature
 * as another.  A vector of another set is left to the caller's
 * feature-set check, which names both ids. */
void cmt_fvec_decoder_expect(struct cmt_fvec_decoder *d, const char *fs,
	const char *const *names, int n);

/* Decode one line.  CMT_ESKIP for blank lines and the CSV header.  Checks
 * the shape (t, sym, px, fs and 1 to CMT_FEAT_N features present, as many
 * as a cmt1 feature-set id says its vectors carry; y in {0,1,null}, p_up
 * in [0,1]) but not which feature set it is.  "warmup", "partial" and
 * "warm" (members; the first two also CSV columns) are true only when
 * "true"; the step's bar ("o", "h", "l", "vol") is passed over. */
enum cmt_err cmt_fvec_decode(struct cmt_fvec_decoder *d, const char *line,
	size_t len, struct cmt_fvec *v, char *err);

/* Why v cannot be scored, naming its feature i (null): '"vol_trend" is
 * null: the source gives no volume'.  Returns the length written into buf
 * (cap bytes). */
int cmt_fvec_null_reason(const struct cmt_fvec *v, int i, char *buf,
	size_t cap);

/* 1 if the slice equals the NUL-terminated string. */
int cmt_slice_eq(struct cmt_slice a, const char *s);

#endif
