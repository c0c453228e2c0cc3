/* CSV feature vectors (cmt_fvec.h): the header's column map, kept in
 * the decoder with a copy of the header, and each row read against it.
 * The checks every vector passes are fvec.c's. */
#include <math.h>
#include <string.h>

#include "cmt_fvec.h"
#include "cmt_parse.h"
#include "fvec_int.h"

enum col { COL_T, COL_SYM, COL_PX, COL_FS, COL_WARMUP, COL_Y, COL_P,
	COL_MODEL, COL_PARTIAL, COL_FEATURE, COL_OTHER };

/* The first feature column of the CSV header whose name is not the
 * expected one there (or the first expected one it lacks), or -1. */
void
cmt_fvec_csv_misnamed(struct cmt_fvec_decoder *d)
{
	int col, nfeat = 0;

	d->misnamed = -1;
	for (col = 0; col < d->ncols; col++) {
		if (d->col_kind[col] != COL_FEATURE)
			continue;
		if (!cmt_fvec_name_ok(d, nfeat, d->col_name[col].s,
		    d->col_name[col].len)) {
			d->misnamed = nfeat;
			return;
		}
		nfeat++;
	}
	if (d->nexpect && nfeat < d->nexpect)
		d->misnamed = nfeat;
}

enum cmt_err
cmt_fvec_csv_header(struct cmt_fvec_decoder *d, const char *line, size_t len,
	char *err)
{
	const unsigned required = 1u << COL_T | 1u << COL_SYM | 1u << COL_PX |
		1u << COL_FS;
	const char *p, *next, *end;
	int col = 0, nfeat = 0, more;
	unsigned seen = 0;
	size_t n;
	enum col kind;

	d->format = CMT_FVEC_CSV;  /* sniffed: a bad header is still CSV */
	if (len >= sizeof d->header)
		return cmt_errf(err, CMT_ETOOLONG, "CSV header too long");
	memcpy(d->header, line, len);
	d->header[len] = '\0';
	next = d->header;
	end = d->header + len;
	do {
		more = cmt_csv_field(&next, end, &p, &n);
		if (col == CMT_FVEC_CSV_COLS)
			return cmt_errf(err, CMT_ELIMIT, "more than %d CSV columns",
				CMT_FVEC_CSV_COLS);
#define IS(name) (n == sizeof name - 1 && memcmp(p, name, n) == 0)
		kind = IS("t") ? COL_T : IS("sym") ? COL_SYM : IS("px") ? COL_PX :
		    IS("fs") ? COL_FS : IS("warmup") ? COL_WARMUP : IS("y") ? COL_Y :
		    IS("p_up") ? COL_P : IS("model") ? COL_MODEL :
		    IS("partial") ? COL_PARTIAL : COL_FEATURE;
#undef IS
		if (kind == COL_FEATURE) {
			if (nfeat == CMT_FEAT_N)
				return cmt_errf(err, CMT_EMISMATCH, "CSV header has more "
					"than %d feature columns", CMT_FEAT_N);
			nfeat++;
		} else if (seen & 1u << kind)
			return cmt_errf(err, CMT_ESYNTAX,
				"CSV header names \"%.*s\" twice", (int)n, p);
		seen |= 1u << kind;
		d->col_kind[col] = (signed char)kind;
		d->col_name[col].s = p;
		d->col_name[col].len = n;
		col++;
	} while (more);
	/* A rejected header must not leave a column map behind: rows read
	 * against it would index past the CMT_FEAT_N features, or come out
	 * without a time, symbol or price. */
	if ((seen & required) != required)
		return cmt_errf(err, CMT_EMISSING,
			"CSV header lacks one of t, sym, px, fs%s",
			nfeat == 0 || (nfeat <= 2 && !(seen & 1u << COL_FS)) ?
			" (ticks? make vectors with cmt-features)" : "");
	if (nfeat == 0)
		return cmt_errf(err, CMT_EMISMATCH, "CSV header has no feature "
			"columns");
	/* The feature set comes with each row: the names are checked there,
	 * against the set the row claims. */
	d->csv_nfeat = nfeat;
	d->ncols = col;
	d->format = CMT_FVEC_CSV;
	cmt_fvec_csv_misnamed(d);
	return CMT_ESKIP;
}

enum cmt_err
cmt_fvec_csv_row(struct cmt_fvec_decoder *d, const char *line, size_t len,
	struct cmt_fvec *v, char *err)
{
	const char *p, *next = line, *end = line + len;
	int more;
	enum cmt_err e;
	int col = 0, nf = 0, integral;
	size_t n;
	double x;

	do {
		more = cmt_csv_field(&next, end, &p, &n);
		if (col >= d->ncols)
			return cmt_errf(err, CMT_ESYNTAX, "more than %d CSV fields",
				d->ncols);
		switch (d->col_kind[col]) {
		case COL_T:
			if ((e = cmt_csv_number(p, n, "t", &x, &integral, err)))
				return e;
			if (!integral || x < 0 || x >= MAX_T)
				return cmt_errf(err, CMT_EVALUE,
					"t is not whole milliseconds");
			v->t = (int64_t)x;
			break;
		case COL_SYM:
			if ((e = cmt_tick_symbol(p, n, v->sym, err)))
				return e;
			break;
		case COL_PX:
			if ((e = cmt_csv_number(p, n, "px", &x, &integral, err)))
				return e;
			if (!isfinite(x) || x <= 0)
				return cmt_errf(err, CMT_EVALUE, "px must be > 0");
			v->px = x;
			break;
		case COL_FS:
			v->fs.s = p;
			v->fs.len = n;
			break;
		case COL_WARMUP:
			v->warmup = n == 4 && memcmp(p, "true", 4) == 0;
			break;
		case COL_PARTIAL:
			v->partial = n == 4 && memcmp(p, "true", 4) == 0;
			break;
		case COL_Y:
			if (n == 0 || (n == 4 && memcmp(p, "null", 4) == 0)) {
				cmt_fvec_set_y(v, 1, 0, err);
			} else {
				if ((e = cmt_csv_number(p, n, "y", &x, &integral, err)) ||
				    (e = cmt_fvec_set_y(v, 0, x, err)))
					return e;
			}
			break;
		case COL_P:
			if (n > 0) {
				if ((e = cmt_csv_number(p, n, "p_up", &x, &integral, err)) ||
				    (e = cmt_fvec_set_p(v, x, err)))
					return e;
			}
			break;
		case COL_MODEL:
			v->has_model = n > 0;
			v->model.s = p;
			v->model.len = n;
			break;
		case COL_FEATURE:
			v->name[nf] = d->col_name[col];
			if (n == 0 || (n == 4 && memcmp(p, "null", 4) == 0)) {
				v->nnull++;
			} else {
				if ((e = cmt_csv_number(p, n, "feature", &x, &integral, err)))
					return e;
				if (isfinite(x))
					v->x[nf] = x;
				else
					v->nnull++;
			}
			nf++;
			break;
		}
		col++;
	} while (more);
	if (col != d->ncols)
		return cmt_errf(err, CMT_ESYNTAX, "expected %d CSV fields, got %d",
			d->ncols, col);
	v->nfeat = nf;
	if ((e = cmt_fvec_miscounted(d, v, err)))
		return e;
	if (d->misnamed >= 0)
		return cmt_fvec_misnamed(d, v->fs, d->misnamed, d->misnamed < nf ?
			v->name[d->misnamed].s : NULL, d->misnamed < nf ?
			v->name[d->misnamed].len : 0, err);
	v->close = len;
	return CMT_OK;
}

