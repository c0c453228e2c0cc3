/* Private to lib/fvec.c (the decoder, NDJSON) and lib/fvec_csv.c (CSV):
 * the checks every decoded vector passes, and the CSV side's entry
 * points.  Not for other modules. */
#ifndef CMT_FVEC_INT_H
#define CMT_FVEC_INT_H

#include "cmt_fvec.h"

#define MAX_T 9007199254740992.0 /* 2^53, as for ticks: exact, fits int64 */

/* 1 if feature n may be named k (the expected name, or no check). */
int cmt_fvec_name_ok(const struct cmt_fvec_decoder *d, int n, const char *k,
	size_t len);

/* The mismatch of feature n named k (k NULL: the vector has only n
 * features), when fs is the expected set; CMT_OK for another set. */
enum cmt_err cmt_fvec_misnamed(const struct cmt_fvec_decoder *d,
	struct cmt_slice fs, int n, const char *k, size_t len, char *err);

/* A vector with more or fewer features than its cmt1 set has. */
enum cmt_err cmt_fvec_miscounted(struct cmt_fvec_decoder *d,
	const struct cmt_fvec *v, char *err);

/* "y" (null or 0/1) and "p_up" (in [0, 1]) into v. */
enum cmt_err cmt_fvec_set_y(struct cmt_fvec *v, int null, double y,
	char *err);
enum cmt_err cmt_fvec_set_p(struct cmt_fvec *v, double p, char *err);

/* The CSV header (CMT_ESKIP when taken), a row, and the header's first
 * feature column not named as expected (d->misnamed). */
enum cmt_err cmt_fvec_csv_header(struct cmt_fvec_decoder *d, const char *line,
	size_t len, char *err);
enum cmt_err cmt_fvec_csv_row(struct cmt_fvec_decoder *d, const char *line,
	size_t len, struct cmt_fvec *v, char *err);
void cmt_fvec_csv_misnamed(struct cmt_fvec_decoder *d);

#endif
