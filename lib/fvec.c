/* The feature-vector decoder (cmt_fvec.h): the checks every vector
 * passes (names expected, count of its set, y, p_up), NDJSON with a fast
 * path for the layout cmt-features writes, and the entry point that sends
 * CSV to fvec_csv.c.  Decoded strings point into the caller's line or the
 * decoder's header copy. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmt_features.h"
#include "cmt_fvec.h"
#include "cmt_json.h"
#include "cmt_parse.h"
#include "fvec_int.h"

void
cmt_fvec_decoder_init(struct cmt_fvec_decoder *d, enum cmt_fvec_format format)
{
	memset(d, 0, sizeof *d);
	d->format = format;
	d->misnamed = -1;
}

void
cmt_fvec_decoder_expect(struct cmt_fvec_decoder *d, const char *fs,
	const char *const *names, int n)
{
	int i;

	d->expect_fs.s = fs;
	d->expect_fs.len = fs ? strlen(fs) : 0;
	d->nexpect = names && n > 0 ? n : 0;
	for (i = 0; i < CMT_FEAT_N; i++) {
		d->expect[i].s = i < d->nexpect ? names[i] : NULL;
		d->expect[i].len = i < d->nexpect ? strlen(names[i]) : 0;
	}
	d->fast_ready = 0;   /* relearnt from a line checked against these */
	if (d->format == CMT_FVEC_CSV && d->ncols > 0)
		cmt_fvec_csv_misnamed(d); /* the header is held to these now */
}

/* 1 if feature n may be named k (the expected name, or no check). */
int
cmt_fvec_name_ok(const struct cmt_fvec_decoder *d, int n, const char *k,
	size_t len)
{
	const struct cmt_slice *x = &d->expect[n];

	if (!d->nexpect)
		return 1;
	return n < d->nexpect && len == x->len && memcmp(k, x->s, len) == 0;
}

/* The mismatch of feature n named k (k NULL: the vector has only n
 * features), when fs is the expected set. */
enum cmt_err
cmt_fvec_misnamed(const struct cmt_fvec_decoder *d, struct cmt_slice fs, int n,
	const char *k, size_t len, char *err)
{
	if (d->expect_fs.s && (fs.len != d->expect_fs.len ||
	    memcmp(fs.s, d->expect_fs.s, fs.len) != 0))
		return CMT_OK;      /* another set: the caller says so */
	if (n >= d->nexpect)
		return cmt_errf(err, CMT_EMISMATCH, "feature %d is \"%.*s\", "
			"the model expects %d features", n + 1,
			(int)(len > 64 ? 64 : len), k, d->nexpect);
	if (!k)
		return cmt_errf(err, CMT_EMISMATCH, "%d features, the model "
			"expects %d (\"%s\" is missing)", n, d->nexpect,
			d->expect[n].s);
	return cmt_errf(err, CMT_EMISMATCH,
		"feature %d is \"%.*s\", the model expects \"%s\" there", n + 1,
		(int)(len > 64 ? 64 : len), k, d->expect[n].s);
}

/* Why a feature is null, by the start of its name; the first that
 * matches.  A feature over a long window (an extension's day) is null
 * until its window has filled, though the vector is past the base
 * warm-up. */
#define FILLING "its window is still filling (a long window's warm-up)"
static const struct {
	const char *prefix, *why;
} null_why[] = {
	{ "vol_trend", "the source gives no volume" },
	{ "volz_", "the source gives no volume, the volume did not vary, or "
	    FILLING },
	{ "bb_pctb", "the Bollinger bands have zero width (flat prices)" },
	{ "zret_", "no price movement over the volatility window, or "
	    FILLING },
	{ "pk_", FILLING },
	{ "gk_", FILLING },
	{ "dhi_", FILLING },
	{ "dlo_", FILLING },
	{ "", "undefined or not finite" },
};

int
cmt_fvec_null_reason(const struct cmt_fvec *v, int i, char *buf, size_t cap)
{
	const char *why = NULL;
	struct cmt_slice nm = v->name[i];
	size_t k;

	if (v->warmup)
		why = "a warm-up vector (history too short)";
	for (k = 0; !why; k++)
		if (nm.len >= strlen(null_why[k].prefix) && memcmp(nm.s,
		    null_why[k].prefix, strlen(null_why[k].prefix)) == 0)
			why = null_why[k].why;
	return snprintf(buf, cap, "\"%.*s\" is null: %s",
		(int)(nm.len > 64 ? 64 : nm.len), nm.s, why);
}

int
cmt_slice_eq(struct cmt_slice a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && memcmp(a.s, s, n) == 0;
}

static void
reset(struct cmt_fvec *v)
{
	int i;

	v->nnull = 0;
	v->warmup = 0;
	v->partial = 0;
	v->warm_start = 0;
	v->has_y = 0;
	v->has_p = 0;
	v->model.s = NULL;
	v->model.len = 0;
	v->has_model = 0;
	v->fs.s = NULL;
	v->fs.len = 0;
	v->nfeat = 0;
	for (i = 0; i < CMT_FEAT_N; i++)
		v->x[i] = NAN;
}

enum cmt_err
cmt_fvec_set_y(struct cmt_fvec *v, int null, double y, char *err)
{
	v->has_y = 1;
	if (null) {
		v->y = -1;
		return CMT_OK;
	}
	if (y != 0 && y != 1)
		return cmt_errf(err, CMT_EVALUE, "\"y\" must be 0, 1 or null");
	v->y = (int)y;
	return CMT_OK;
}

enum cmt_err
cmt_fvec_set_p(struct cmt_fvec *v, double p, char *err)
{
	if (!(p >= 0 && p <= 1))
		return cmt_errf(err, CMT_EVALUE, "\"p_up\" must be in [0, 1]");
	v->has_p = 1;
	v->p_up = p;
	return CMT_OK;
}

/* How many features vectors of set fs carry: what a cmt1 id says, or -1
 * for another set.  The last set is remembered: streams keep one. */
static int
set_count(struct cmt_fvec_decoder *d, struct cmt_slice fs)
{
	struct cmt_feature_set set;
	char id[CMT_FS_ID_MAX], err[CMT_ERRLEN];

	if (fs.len == d->count_fs_len && fs.len > 0 &&
	    memcmp(fs.s, d->count_fs, fs.len) == 0)
		return d->count_n;
	if (fs.len >= sizeof id || fs.len >= sizeof d->count_fs)
		return -1;
	memcpy(id, fs.s, fs.len);
	id[fs.len] = '\0';
	memcpy(d->count_fs, fs.s, fs.len);
	d->count_fs_len = fs.len;
	d->count_n = cmt_fs_parse_id(id, &set, err) ? -1 : cmt_fs_count(&set);
	return d->count_n;
}

/* A vector with more or fewer features than its set has. */
enum cmt_err
cmt_fvec_miscounted(struct cmt_fvec_decoder *d, const struct cmt_fvec *v, char *err)
{
	int want = set_count(d, v->fs);

	if (want < 0 || v->nfeat == want)
		return CMT_OK;
	if (v->nfeat > want)
		return cmt_errf(err, CMT_EMISMATCH, "more than %d features in "
			"\"f\"", want);
	return cmt_errf(err, CMT_EMISMATCH, "%d features in \"f\", expected %d",
		v->nfeat, want);
}

static enum cmt_err
parse_features(const struct cmt_fvec_decoder *d, struct cmt_fvec *v,
	struct cmt_jscan *outer, int *misnamed_at, char *err)
{
	struct cmt_jscan js;
	struct cmt_jval k, x;
	enum cmt_err e;
	int n = 0, bad = -1;

	if ((e = cmt_json_enter(outer, &js, err)))
		return e;
	while ((e = cmt_json_next(&js, &k, &x, err)) == CMT_OK) {
		if (n == CMT_FEAT_N)
			return cmt_errf(err, CMT_EMISMATCH,
				"more than %d features in \"f\"", CMT_FEAT_N);
		if (bad < 0 && !cmt_fvec_name_ok(d, n, k.raw, k.len))
			bad = n;
		v->name[n].s = k.raw;
		v->name[n].len = k.len;
		if (x.type == CMT_JNULL) {
			v->nnull++;
		} else if (x.type != CMT_JNUMBER) {
			return cmt_errf(err, CMT_ETYPE,
				"feature \"%.*s\" is not a number",
				(int)(k.len > 40 ? 40 : k.len), k.raw);
		} else if (!isfinite(x.num)) {
			v->nnull++; /* 1e400 and the like: not usable */
		} else {
			v->x[n] = x.num;
		}
		n++;
	}
	if (e != CMT_ESKIP)
		return e;
	cmt_json_leave(outer, &js);
	if (n == 0)
		return cmt_errf(err, CMT_EMISMATCH, "no features in \"f\"");
	if (bad < 0 && d->nexpect && n < d->nexpect)
		bad = n;            /* fewer than expected */
	v->nfeat = n;
	*misnamed_at = bad;
	return CMT_OK;
}

static enum cmt_err
decode_json(struct cmt_fvec_decoder *d, const char *line, size_t len,
	struct cmt_fvec *v, char *err)
{
	struct cmt_jscan js;
	struct cmt_jval k, x;
	enum cmt_err e;
	unsigned seen = 0;
	char sym[64];
	long n;
	int bad = -1;

	if ((e = cmt_json_begin(&js, line, len, err)))
		return e;
	while ((e = cmt_json_key(&js, &k, err)) == CMT_OK) {
		unsigned bit = 0;

		if (k.len == 1 && k.raw[0] == 't')
			bit = 1;
		else if (k.len == 3 && memcmp(k.raw, "sym", 3) == 0)
			bit = 2;
		else if (k.len == 2 && memcmp(k.raw, "px", 2) == 0)
			bit = 4;
		else if (k.len == 2 && memcmp(k.raw, "fs", 2) == 0)
			bit = 8;
		else if (k.len == 1 && k.raw[0] == 'f')
			bit = 16;
		else if (k.len == 1 && k.raw[0] == 'y')
			bit = 32;
		else if (k.len == 4 && memcmp(k.raw, "p_up", 4) == 0)
			bit = 64;
		else if (k.len == 5 && memcmp(k.raw, "model", 5) == 0)
			bit = 128;
		else if (k.len == 6 && memcmp(k.raw, "warmup", 6) == 0)
			bit = 256;
		else if (k.len == 7 && memcmp(k.raw, "partial", 7) == 0)
			bit = 512;
		else if (k.len == 4 && memcmp(k.raw, "warm", 4) == 0)
			bit = 1024;
		if (bit == 16 && js.p < js.end && *js.p == '{') {
			/* the features are read in place: one pass over them */
			if (seen & bit)
				return cmt_errf(err, CMT_EVALUE, "duplicate key \"f\"");
			seen |= bit;
			if ((e = parse_features(d, v, &js, &bad, err)))
				return e;
			continue;
		}
		if ((e = cmt_json_value(&js, &x, err)))
			return e;
		if (!bit)
			continue;
		if (seen & bit)
			return cmt_errf(err, CMT_EVALUE, "duplicate key \"%.*s\"",
				(int)k.len, k.raw);
		seen |= bit;
		switch (bit) {
		case 1:
			if (x.type != CMT_JNUMBER || !x.integral || x.num < 0 ||
			    x.num >= MAX_T)
				return cmt_errf(err, CMT_ETYPE,
					"\"t\" is not whole milliseconds");
			v->t = (int64_t)x.num;
			break;
		case 2:
			if (x.type != CMT_JSTRING)
				return cmt_errf(err, CMT_ETYPE, "\"sym\" is not a string");
			n = cmt_json_unescape(&x, sym, sizeof sym);
			if (n < 0)
				return cmt_errf(err, CMT_EVALUE, "\"sym\" is too long");
			if ((e = cmt_tick_symbol(sym, (size_t)n, v->sym, err)))
				return e;
			break;
		case 4:
			if (x.type != CMT_JNUMBER || !isfinite(x.num) || x.num <= 0)
				return cmt_errf(err, CMT_EVALUE,
					"\"px\" is not a positive number");
			v->px = x.num;
			break;
		case 8:
			if (x.type != CMT_JSTRING || x.escaped)
				return cmt_errf(err, CMT_ETYPE,
					"\"fs\" is not a plain string");
			v->fs.s = x.raw;
			v->fs.len = x.len;
			break;
		case 16:
			return cmt_errf(err, CMT_ETYPE, "\"f\" is not an object");
		case 32:
			if (x.type != CMT_JNULL && x.type != CMT_JNUMBER)
				return cmt_errf(err, CMT_ETYPE, "\"y\" is not a number");
			if ((e = cmt_fvec_set_y(v, x.type == CMT_JNULL, x.num, err)))
				return e;
			break;
		case 64:
			if (x.type != CMT_JNUMBER)
				return cmt_errf(err, CMT_ETYPE, "\"p_up\" is not a number");
			if ((e = cmt_fvec_set_p(v, x.num, err)))
				return e;
			break;
		case 128:
			v->has_model = 1;
			if (x.type == CMT_JSTRING) {
				v->model.s = x.raw;
				v->model.len = x.len;
			}
			break;
		case 256:
			v->warmup = x.type == CMT_JTRUE;
			break;
		case 512:
			v->partial = x.type == CMT_JTRUE;
			break;
		case 1024:
			v->warm_start = x.type == CMT_JTRUE;
			break;
		}
	}
	if (e != CMT_ESKIP)
		return e;
	if ((seen & 7) == 7 && !(seen & 24))
		return cmt_errf(err, CMT_EMISMATCH, "a tick, not a feature "
			"vector (no \"fs\" or \"f\"): make vectors with "
			"cmt-features, e.g. cmt-features --model default | "
			"cmt-predict");
	if ((seen & 31) != 31)
		return cmt_errf(err, CMT_EMISSING, "missing %s",
			!(seen & 1) ? "\"t\"" : !(seen & 2) ? "\"sym\"" :
			!(seen & 4) ? "\"px\"" : !(seen & 8) ? "\"fs\"" : "\"f\"");
	if ((e = cmt_fvec_miscounted(d, v, err)))
		return e;
	if (bad >= 0 && (e = cmt_fvec_misnamed(d, v->fs, bad, bad < v->nfeat ?
	    v->name[bad].s : NULL, bad < v->nfeat ? v->name[bad].len : 0, err)))
		return e;
	/* the closing brace, for tools that append members */
	v->close = len;
	while (v->close > 0 && line[v->close - 1] != '}')
		v->close--;
	v->close--;
	return CMT_OK;
}

/* Remember the fs and feature names of a vector the full decoder
 * accepted, if they are plain (no escapes) and short enough. */
static void
learn_layout(struct cmt_fvec_decoder *d, const struct cmt_fvec *v)
{
	int i;

	d->fast_ready = 0;
	if (v->fs.len >= sizeof d->fast_fs ||
	    memchr(v->fs.s, '\\', v->fs.len))
		return;
	for (i = 0; i < v->nfeat; i++)
		if (v->name[i].len >= CMT_FVEC_FAST_NAME ||
		    memchr(v->name[i].s, '\\', v->name[i].len))
			return;
	memcpy(d->fast_fs, v->fs.s, v->fs.len);
	d->fast_fs_len = v->fs.len;
	d->fast_nfeat = v->nfeat;
	for (i = 0; i < v->nfeat; i++) {
		memcpy(d->fast_name[i], v->name[i].s, v->name[i].len);
		d->fast_name_len[i] = (unsigned char)v->name[i].len;
	}
	d->fast_ready = 1;
}


/* The fast path: 1 with v filled exactly as decode_json would fill it, or
 * 0 when the line is not in the learnt layout (v then holds garbage). */
static int
decode_fast(const struct cmt_fvec_decoder *d, const char *line, size_t len,
	struct cmt_fvec *v)
{
	const char *p = line, *end = line + len, *q;
	char err[CMT_ERRLEN];
	double x;
	int integral, i, nf = d->fast_nfeat;
	size_t n;

	if (!CMT_JSON_AT(p, end, "{\"t\":"))
		return 0;
	p += 5;
	if (!cmt_json_number_then(&p, end, ',', &x, &integral) || !integral ||
	    x < 0 || x >= MAX_T)
		return 0;
	v->t = (int64_t)x;
	if (!CMT_JSON_AT(p, end, "\"sym\":\""))
		return 0;
	p += 7;
	if (!(q = memchr(p, '"', (size_t)(end - p))) ||
	    cmt_tick_symbol(p, (size_t)(q - p), v->sym, err) != CMT_OK)
		return 0;   /* an escape or a bad symbol: the full decoder says */
	p = q + 1;
	if (!CMT_JSON_AT(p, end, ",\"px\":"))
		return 0;
	p += 6;
	if (!cmt_json_number_then(&p, end, ',', &x, &integral) || !isfinite(x) || x <= 0)
		return 0;
	v->px = x;
	if (!CMT_JSON_AT(p, end, "\"fs\":\""))
		return 0;
	p += 6;
	n = d->fast_fs_len;
	if ((size_t)(end - p) < n + 7 || memcmp(p, d->fast_fs, n) != 0 ||
	    memcmp(p + n, "\",\"f\":{", 7) != 0)
		return 0;
	v->fs.s = p;
	v->fs.len = n;
	p += n + 7;
	v->nfeat = nf;
	for (i = 0; i < nf; i++) {
		n = d->fast_name_len[i];
		if ((size_t)(end - p) < n + 4 || p[0] != '"' ||
		    memcmp(p + 1, d->fast_name[i], n) != 0 ||
		    p[n + 1] != '"' || p[n + 2] != ':')
			return 0;
		v->name[i].s = p + 1;
		v->name[i].len = n;
		p += n + 3;
		if (CMT_JSON_AT(p, end, "null") && (size_t)(end - p) > 4 &&
		    p[4] == (i + 1 < nf ? ',' : '}')) {
			v->nnull++;
			p += 5;
			continue;
		}
		if (!cmt_json_number_then(&p, end, i + 1 < nf ? ',' : '}', &x,
		    &integral))
			return 0;
		if (isfinite(x))
			v->x[i] = x;
		else
			v->nnull++;   /* 1e400 and the like: not usable */
	}
	/* the members cmt-features may add, in the order it writes them:
	 * the step's bar (numbers checked, not kept), src, warm, warmup,
	 * partial, y */
	for (i = 0; i < 4; i++) {
		static const char *const bar[4] = { ",\"o\":", ",\"h\":",
			",\"l\":", ",\"vol\":" };

		n = strlen(bar[i]);
		if ((size_t)(end - p) > n && memcmp(p, bar[i], n) == 0) {
			if (cmt_json_number(p + n, end, &q, &x, &integral) !=
			    CMT_OK)
				return 0;
			p = q;
		}
	}
	if (CMT_JSON_AT(p, end, ",\"src\":\"")) {
		p += 8;
		for (q = p; q < end && *q != '"'; q++)
			if (*q < 0x20 || *q > 0x7e || *q == '\\')
				return 0;   /* escapes and UTF-8: the full decoder */
		if (q == end)
			return 0;
		p = q + 1;
	}
	if (CMT_JSON_AT(p, end, ",\"warm\":true")) {
		v->warm_start = 1;
		p += 12;
	}
	if (CMT_JSON_AT(p, end, ",\"warmup\":true")) {
		v->warmup = 1;
		p += 14;
	}
	if (CMT_JSON_AT(p, end, ",\"partial\":true")) {
		v->partial = 1;
		p += 15;
	}
	if (CMT_JSON_AT(p, end, ",\"y\":")) {
		p += 5;
		v->has_y = 1;
		if (CMT_JSON_AT(p, end, "null")) {
			v->y = -1;
			p += 4;
		} else if (p < end && (*p == '0' || *p == '1')) {
			v->y = *p++ - '0';
		} else {
			return 0;
		}
	}
	if (end - p != 1 || *p != '}')
		return 0;
	v->close = len - 1;
	return 1;
}

enum cmt_err
cmt_fvec_decode(struct cmt_fvec_decoder *d, const char *line, size_t len,
	struct cmt_fvec *v, char *err)
{
	size_t i = 0;
	enum cmt_err e;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return CMT_ESKIP;
	reset(v);
	if (d->format == CMT_FVEC_AUTO) {
		if (line[i] == '{')
			d->format = CMT_FVEC_JSON;
		else
			return cmt_fvec_csv_header(d, line, len, err);
	}
	if (d->format == CMT_FVEC_JSON) {
		if (d->fast_ready && !d->fast_off) {
			if (decode_fast(d, line, len, v)) {
				d->fast_hits++;
				return CMT_OK;
			}
			reset(v);
		}
		if ((e = decode_json(d, line, len, v, err)) == CMT_OK &&
		    !d->fast_off)
			learn_layout(d, v);
		return e;
	}
	if (d->ncols == 0)
		return cmt_fvec_csv_header(d, line, len, err);
	return cmt_fvec_csv_row(d, line, len, v, err);
}
