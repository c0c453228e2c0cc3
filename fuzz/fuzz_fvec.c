/* Fuzz target: feature-vector and prediction lines, NDJSON and CSV, fed as
 * a stream of lines through one decoder (the first byte picks the format).
 * A decoded vector must have the shape cmt_fvec.h promises, with every
 * slice inside the line or the decoder's header copy.  A second decoder
 * without the NDJSON fast path reads the same lines: both must return the
 * same status, message and fields.  With expected names (bit 2 of the
 * first byte; 11 of them, or 13 with bit 3), a vector of the expected set
 * that decodes has exactly those names, in order. */
#include <math.h>
#include <string.h>

#include "cmt_fvec.h"
#include "fuzz.h"

static int
inside(struct cmt_slice s, const char *lo, size_t n)
{
	return s.s >= lo && s.s + s.len <= lo + n;
}

static int
in_line_or_header(struct cmt_slice s, const char *line, size_t len,
	const struct cmt_fvec_decoder *d)
{
	return inside(s, line, len) ||
		inside(s, d->header, sizeof d->header);
}

static const char *const names[CMT_FEAT_N] = {
	"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"
};

static void
check_fvec(const struct cmt_fvec *v, const char *line, size_t len,
	const struct cmt_fvec_decoder *d)
{
	int nnull = 0;

	FUZZ_CHECK(v->nfeat >= 1 && v->nfeat <= CMT_FEAT_N);
	if (d->expect_fs.s && cmt_slice_eq(v->fs, d->expect_fs.s)) {
		FUZZ_CHECK(v->nfeat == d->nexpect);
		for (int i = 0; i < v->nfeat; i++)
			FUZZ_CHECK(cmt_slice_eq(v->name[i], names[i]));
	}

	FUZZ_CHECK(isfinite(v->px) && v->px > 0);
	FUZZ_CHECK(v->t >= 0);
	FUZZ_CHECK(strnlen(v->sym, CMT_SYM_MAX) > 0 &&
		strnlen(v->sym, CMT_SYM_MAX) < CMT_SYM_MAX);
	FUZZ_CHECK(in_line_or_header(v->fs, line, len, d));
	for (int i = v->nfeat; i < CMT_FEAT_N; i++)
		FUZZ_CHECK(isnan(v->x[i]));
	for (int i = 0; i < v->nfeat; i++) {
		FUZZ_CHECK(in_line_or_header(v->name[i], line, len, d));
		if (isnan(v->x[i]))
			nnull++;
		else
			FUZZ_CHECK(isfinite(v->x[i]));
	}
	FUZZ_CHECK(nnull == v->nnull);
	FUZZ_CHECK(!v->has_y || v->y == 1 || v->y == 0 || v->y == -1);
	FUZZ_CHECK(!v->has_p || (v->p_up >= 0 && v->p_up <= 1));
	if (v->has_p && v->model.s)
		FUZZ_CHECK(in_line_or_header(v->model, line, len, d));
	if (d->format == CMT_FVEC_JSON)
		FUZZ_CHECK(v->close < len && line[v->close] == '}');
}

/* Equal text (CSV names point into each decoder's own header copy). */
static int
same_slice(struct cmt_slice a, struct cmt_slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}

static void
check_same(const struct cmt_fvec *a, const struct cmt_fvec *b)
{
	FUZZ_CHECK(a->t == b->t && strcmp(a->sym, b->sym) == 0);
	FUZZ_CHECK(memcmp(&a->px, &b->px, sizeof a->px) == 0);
	FUZZ_CHECK(same_slice(a->fs, b->fs) && same_slice(a->model, b->model));
	FUZZ_CHECK(a->nnull == b->nnull && a->warmup == b->warmup);
	FUZZ_CHECK(a->has_y == b->has_y && (!a->has_y || a->y == b->y));
	FUZZ_CHECK(a->has_p == b->has_p && (!a->has_p || a->p_up == b->p_up));
	FUZZ_CHECK(a->close == b->close && a->nfeat == b->nfeat);
	for (int i = 0; i < a->nfeat; i++) {
		FUZZ_CHECK(same_slice(a->name[i], b->name[i]));
		FUZZ_CHECK(memcmp(&a->x[i], &b->x[i], sizeof a->x[i]) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cmt_fvec_format fmt[] = {
		CMT_FVEC_AUTO, CMT_FVEC_JSON, CMT_FVEC_CSV
	};
	static struct cmt_fvec_decoder d, full;
	struct cmt_fvec v, w;
	char err[CMT_ERRLEN], err2[CMT_ERRLEN];
	const uint8_t *p, *nl, *end = data + size;

	if (size < 1)
		return 0;
	cmt_fvec_decoder_init(&d, fmt[data[0] % 3]);
	cmt_fvec_decoder_init(&full, fmt[data[0] % 3]);
	full.fast_off = 1;
	if (data[0] & 4) {
		int n = data[0] & 8 ? 13 : 11;

		cmt_fvec_decoder_expect(&d, "test1;step=1m", names, n);
		cmt_fvec_decoder_expect(&full, "test1;step=1m", names, n);
	}
	for (p = data + 1; p < end; p = nl + 1) {
		char *line;
		size_t len;
		enum cmt_err e;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		len = (size_t)(nl - p);
		line = fuzz_strdup(p, len);
		err[0] = '\0';
		memset(&v, 0, sizeof v);
		e = cmt_fvec_decode(&d, line, len, &v, err);
		err2[0] = '\0';
		memset(&w, 0, sizeof w);
		FUZZ_CHECK(cmt_fvec_decode(&full, line, len, &w, err2) == e);
		if (e == CMT_OK)
			check_same(&v, &w);
		else if (e != CMT_ESKIP)
			FUZZ_CHECK(strcmp(err, err2) == 0);
		if (e == CMT_OK)
			check_fvec(&v, line, len, &d);
		else if (e != CMT_ESKIP)
			FUZZ_CHECK(err[0] != '\0' &&
				strnlen(err, CMT_ERRLEN) < CMT_ERRLEN);
		free(line);
	}
	return 0;
}
