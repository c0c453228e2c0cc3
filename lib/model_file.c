/* The JSON model file: reading and validating one (every field checked,
 * see cmt_model_load), writing it with 17 digits so that it loads back
 * bit for bit, atomically when saved to a path; and the names a model may
 * have.  A loaded model is the caller's (cmt_model_free); the parsed
 * document is freed here. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmt_features.h"
#include "cmt_json.h"
#include "model_int.h"

/* ---- loading ---- */

static void
canonical_feature_set(struct cmt_model *m)
{
	char id[CMT_FS_ID_MAX], name[CMT_MODEL_FEATNAME_MAX];
	int i;

	if (cmt_fs_canonical_id(m->fs, strlen(m->fs), id) == 0 &&
	    strlen(id) < sizeof m->fs)
		strcpy(m->fs, id);
	for (i = 0; i < m->nfeature; i++)
		if (cmt_fs_canonical_name(m->feature[i], strlen(m->feature[i]),
		    name, sizeof name) == 0)
			strcpy(m->feature[i], name);
}

static int
valid_name(const char *s, size_t cap)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= cap)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' ||
		    s[i] == '.'))
			return 0;
	return 1;
}

int
cmt_model_name_ok(const char *s)
{
	return valid_name(s, CMT_MODEL_NAME_MAX);
}

void
cmt_model_name_from_path(const char *path, char *out)
{
	const char *base = strrchr(path, '/');
	size_t n, i;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".json") == 0)
		n -= 5;
	if (n > CMT_MODEL_NAME_MAX - 1)
		n = CMT_MODEL_NAME_MAX - 1;
	for (i = 0; i < n; i++)
		out[i] = valid_name((char[]){ base[i], '\0' }, 2) ? base[i] : '_';
	out[n] = '\0';
	if (n == 0)
		strcpy(out, "model");
}

/* Feature-set ids travel unescaped in JSON and CSV lines. */
static int
valid_fs(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= CMT_MODEL_FS_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\' ||
		    s[i] == ',')
			return 0;
	return 1;
}

const char *
cmt_model_string(const cJSON *o, const char *key, const char *where,
	char *err, enum cmt_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v) {
		*e = cmt_errf(err, CMT_EMISSING, "%s\"%s\" is missing", where, key);
		return NULL;
	}
	if (!cJSON_IsString(v)) {
		*e = cmt_errf(err, CMT_ETYPE, "%s\"%s\" is not a string", where,
			key);
		return NULL;
	}
	return v->valuestring;
}

/* An array of exactly n finite numbers (n < 0: any length >= 1, stored in
 * *got) into dst (may be NULL to only count). */
enum cmt_err
cmt_model_numbers(const cJSON *a, double *dst, int n, int *got,
	const char *what, char *err)
{
	const cJSON *v;
	int i = 0, len;

	if (!cJSON_IsArray(a))
		return cmt_errf(err, a ? CMT_ETYPE : CMT_EMISSING,
			"%s is %s", what, a ? "not an array" : "missing");
	len = cJSON_GetArraySize(a);
	if ((n >= 0 && len != n) || len < 1)
		return cmt_errf(err, CMT_EMISMATCH,
			"%s has %d values, expected %d", what, len, n < 0 ? 1 : n);
	cJSON_ArrayForEach(v, a) {
		if (!cJSON_IsNumber(v))
			return cmt_errf(err, CMT_ETYPE, "%s[%d] is not a number",
				what, i);
		if (!isfinite(v->valuedouble))
			return cmt_errf(err, CMT_ERANGE, "%s[%d] is not finite",
				what, i);
		if (dst)
			dst[i] = v->valuedouble;
		i++;
	}
	if (got)
		*got = len;
	return CMT_OK;
}

/* "feature_names" (the vector's members, in order) into names[]: 11 in
 * version 1, 1 to CMT_FEAT_N from version 2. */
static enum cmt_err
parse_names(const cJSON *doc, int version,
	char names[][CMT_MODEL_FEATNAME_MAX], int *nnames, char *err)
{
	const cJSON *v, *a = cJSON_GetObjectItemCaseSensitive(doc,
	    "feature_names");
	int i = 0, n = cJSON_GetArraySize(a);

	if (!cJSON_IsArray(a) || (version == 1 && n != CMT_FEAT_BASE))
		return cmt_errf(err, CMT_EMISMATCH,
			"\"feature_names\" must be an array of %d names",
			CMT_FEAT_BASE);
	if (n < 1 || n > CMT_FEAT_N)
		return cmt_errf(err, CMT_EMISMATCH,
			"\"feature_names\" must be an array of 1 to %d names",
			CMT_FEAT_N);
	*nnames = n;
	cJSON_ArrayForEach(v, a) {
		if (!cJSON_IsString(v) ||
		    !valid_name(v->valuestring, CMT_MODEL_FEATNAME_MAX))
			return cmt_errf(err, CMT_EVALUE,
				"\"feature_names\"[%d] is not a feature name", i);
		strcpy(names[i++], v->valuestring);
	}
	return CMT_OK;
}

/* "inputs": distinct names among names[], as positions into input[].
 * Version 1 files have none and read every feature. */
static enum cmt_err
parse_inputs(const cJSON *doc, int version,
	char names[][CMT_MODEL_FEATNAME_MAX], int nnames, int *input,
	int *ninput, char *err)
{
	const cJSON *v, *a = cJSON_GetObjectItemCaseSensitive(doc, "inputs");
	int i, j, n = 0;

	if (version == 1) {
		if (a)
			return cmt_errf(err, CMT_EVALUE,
				"\"inputs\" needs \"version\": 2");
		for (i = 0; i < nnames; i++)
			input[i] = i;
		*ninput = nnames;
		return CMT_OK;
	}
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 ||
	    cJSON_GetArraySize(a) > CMT_FEAT_N)
		return cmt_errf(err, a ? CMT_ETYPE : CMT_EMISSING,
			"\"inputs\" must be an array of 1 to %d feature names%s",
			CMT_FEAT_N, a ? "" : " (it is missing)");
	cJSON_ArrayForEach(v, a) {
		if (!cJSON_IsString(v))
			return cmt_errf(err, CMT_ETYPE,
				"\"inputs\"[%d] is not a string", n);
		for (i = 0; i < nnames; i++)
			if (strcmp(names[i], v->valuestring) == 0)
				break;
		if (i == nnames)
			return cmt_errf(err, CMT_EMISMATCH,
				"\"inputs\"[%d] '%.40s' is not one of \"feature_names\"",
				n, v->valuestring);
		for (j = 0; j < n; j++)
			if (input[j] == i)
				return cmt_errf(err, CMT_EVALUE,
					"\"inputs\" names '%.40s' twice", v->valuestring);
		input[n++] = i;
	}
	*ninput = n;
	return CMT_OK;
}

int
cmt_model_input_named(const struct model_head *h, const char *name)
{
	int i;

	for (i = 0; i < h->ninput; i++)
		if (strcmp(h->names[h->input[i]], name) == 0)
			return h->input[i];
	return -1;
}

/* "calibration": {"method": "platt", "a": A, "b": B} (version 3) */
static enum cmt_err
parse_calibration(const cJSON *doc, int version, struct cmt_model *m,
	char *err)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "calibration");
	const cJSON *a, *b;
	const char *s;
	enum cmt_err e = CMT_OK;

	if (!c)
		return CMT_OK;
	if (version < 3)
		return cmt_errf(err, CMT_EVALUE,
			"\"calibration\" needs \"version\": 3");
	if (!cJSON_IsObject(c))
		return cmt_errf(err, CMT_ETYPE, "\"calibration\" is not an object");
	if (!(s = cmt_model_string(c, "method", "\"calibration\": ", err, &e)))
		return e;
	if (strcmp(s, "platt") != 0)
		return cmt_errf(err, CMT_EVALUE,
			"\"calibration\": unknown method '%.40s' (platt)", s);
	a = cJSON_GetObjectItemCaseSensitive(c, "a");
	b = cJSON_GetObjectItemCaseSensitive(c, "b");
	if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) ||
	    !isfinite(a->valuedouble) || !isfinite(b->valuedouble) ||
	    a->valuedouble == 0 || cJSON_GetArraySize(c) != 3)
		return cmt_errf(err, CMT_EVALUE, "\"calibration\" must be "
			"{\"method\": \"platt\", \"a\": A, \"b\": B}, A and B finite, "
			"A not 0");
	m->calibrated = 1;
	m->cal_a = a->valuedouble;
	m->cal_b = b->valuedouble;
	return CMT_OK;
}

static enum cmt_err
parse_doc(const cJSON *doc, struct cmt_model **out, char *err)
{
	struct model_head h;
	const struct model_kind *k;
	int version;
	const cJSON *v;
	const char *s;
	struct cmt_model *m = NULL;
	enum cmt_err e = CMT_OK;

	*out = NULL;
	memset(&h, 0, sizeof h);
	if (!cJSON_IsObject(doc))
		return cmt_errf(err, CMT_ETYPE, "not a JSON object");
	if (!(s = cmt_model_string(doc, "format", "", err, &e)))
		return e;
	if (strcmp(s, "cmt-model") != 0)
		return cmt_errf(err, CMT_EVALUE,
			"\"format\" is '%.40s', not 'cmt-model'", s);
	v = cJSON_GetObjectItemCaseSensitive(doc, "version");
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < 1 || v->valuedouble > CMT_MODEL_VERSION)
		return cmt_errf(err, CMT_EVALUE,
			"\"version\" must be 1 to %d (this cmt reads versions 1 to "
			"%d)", CMT_MODEL_VERSION, CMT_MODEL_VERSION);
	version = (int)v->valuedouble;
	if (!(h.kind = cmt_model_string(doc, "kind", "", err, &e)))
		return e;
	if (!(k = cmt_model_kind(h.kind)))
		return cmt_errf(err, CMT_EVALUE,
			"unknown model kind '%.40s' (mlp, logreg, trees)", h.kind);
	if (k->parse != cmt_dense_parse && version < 3)
		return cmt_errf(err, CMT_EVALUE,
			"kind '%s' needs \"version\": 3", k->name);
	if ((e = parse_names(doc, version, h.names, &h.nnames, err)) ||
	    (e = parse_inputs(doc, version, h.names, h.nnames, h.input,
	    &h.ninput, err)))
		return e;
	if ((e = k->parse(doc, &h, &m, err)))
		return e;
	strcpy(m->kind, k->name);
	m->margin_fn = k->margin;
	memcpy(m->feature, h.names, sizeof h.names);
	m->nfeature = h.nnames;
	memcpy(m->input, h.input, sizeof h.input);
	m->ninput = h.ninput;
	if (!(s = cmt_model_string(doc, "name", "", err, &e)))
		goto fail;
	if (!valid_name(s, sizeof m->name)) {
		e = cmt_errf(err, CMT_EVALUE,
			"\"name\" must be 1 to %d of [A-Za-z0-9._-]",
			CMT_MODEL_NAME_MAX - 1);
		goto fail;
	}
	strcpy(m->name, s);
	if (!(s = cmt_model_string(doc, "feature_set", "", err, &e)))
		goto fail;
	if (!valid_fs(s)) {
		e = cmt_errf(err, CMT_EVALUE,
			"\"feature_set\" must be 1 to %d printable characters without"
			" spaces, quotes, backslashes or commas", CMT_MODEL_FS_MAX - 1);
		goto fail;
	}
	strcpy(m->fs, s);
	canonical_feature_set(m);
	v = cJSON_GetObjectItemCaseSensitive(doc, "horizon_ms");
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1) ||
	    v->valuedouble > 864e8 || v->valuedouble != floor(v->valuedouble)) {
		e = cmt_errf(err, CMT_EVALUE,
			"\"horizon_ms\" must be a whole number of ms >= 1");
		goto fail;
	}
	m->horizon_ms = (int64_t)v->valuedouble;
	if ((e = parse_calibration(doc, version, m, err)))
		goto fail;
	v = cJSON_GetObjectItemCaseSensitive(doc, "card");
	if (!cJSON_IsObject(v)) {
		e = cmt_errf(err, CMT_EMISSING, "\"card\" (the model card) is %s",
			v ? "not an object" : "missing");
		goto fail;
	}
	if (!(m->card = cJSON_Print(v))) {
		e = cmt_errf(err, CMT_ENOMEM, "out of memory");
		goto fail;
	}
	*out = m;
	return CMT_OK;
fail:
	cmt_model_free(m);
	return e;
}

enum cmt_err
cmt_model_parse(const char *text, size_t len, struct cmt_model **out,
	char *err)
{
	const char *end = NULL, *p;
	cJSON *doc;
	enum cmt_err e;
	int line = 1;

	*out = NULL;
	doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!doc || (end && (size_t)(end - text) < len &&
	    strspn(end, " \t\r\n") < len - (size_t)(end - text))) {
		if (!end || end < text || end > text + len)
			end = text + len;
		for (p = text; p < end; p++)
			line += *p == '\n';
		cJSON_Delete(doc);
		return cmt_errf(err, CMT_ESYNTAX, "%s at line %d%s",
			doc ? "trailing data" : "not valid JSON", line,
			end == text + len ? " (truncated?)" : "");
	}
	if ((p = cmt_cjson_duplicate_key(doc)))
		e = cmt_errf(err, CMT_ESYNTAX, "duplicate key \"%.64s\"", p);
	else
		e = parse_doc(doc, out, err);
	cJSON_Delete(doc);
	return e;
}

enum cmt_err
cmt_model_load(const char *path, struct cmt_model **out, char *err)
{
	FILE *f;
	char *buf;
	size_t n;
	enum cmt_err e;

	*out = NULL;
	if (!(f = fopen(path, "rb")))
		return cmt_errf(err, CMT_EIO, "%s", strerror(errno));
	if (!(buf = malloc(CMT_MODEL_FILE_MAX + 1))) {
		fclose(f);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	n = fread(buf, 1, CMT_MODEL_FILE_MAX + 1, f);
	if (ferror(f)) {
		e = cmt_errf(err, CMT_EIO, "%s", strerror(errno));
	} else if (n > CMT_MODEL_FILE_MAX) {
		e = cmt_errf(err, CMT_ELIMIT, "larger than %d bytes",
			CMT_MODEL_FILE_MAX);
	} else if (n == 0) {
		e = cmt_errf(err, CMT_ESYNTAX, "empty file");
	} else {
		buf[n] = '\0';
		e = cmt_model_parse(buf, n, out, err);
	}
	fclose(f);
	free(buf);
	return e;
}

/* ---- saving ---- */

void
cmt_model_put_numbers(FILE *f, const double *x, int n, size_t stride)
{
	int i;

	fputc('[', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%.17g", i ? ", " : "", x[(size_t)i * stride]);
	fputc(']', f);
}

void
cmt_model_put_string(FILE *f, const char *s)
{
	char buf[6 * CMT_MODEL_FS_MAX + 3];

	fwrite(buf, 1, cmt_fmt_string(buf, s, strlen(s)), f);
}

enum cmt_err
cmt_model_write(const struct cmt_model *m, FILE *f, char *err)
{
	const char *p;
	int i;

	fprintf(f, "{\n\t\"format\": \"cmt-model\",\n\t\"version\": %d,\n",
		CMT_MODEL_VERSION);
	fputs("\t\"name\": ", f);
	cmt_model_put_string(f, m->name);
	fputs(",\n\t\"kind\": ", f);
	cmt_model_put_string(f, m->kind);
	fputs(",\n\t\"feature_set\": ", f);
	cmt_model_put_string(f, m->fs);
	fputs(",\n\t\"feature_names\": [", f);
	for (i = 0; i < m->nfeature; i++) {
		fputs(i ? ", " : "", f);
		cmt_model_put_string(f, m->feature[i]);
	}
	fputs("],\n\t\"inputs\": [", f);
	for (i = 0; i < m->ninput; i++) {
		fputs(i ? ", " : "", f);
		cmt_model_put_string(f, m->feature[m->input[i]]);
	}
	fprintf(f, "],\n\t\"horizon_ms\": %lld,\n", (long long)m->horizon_ms);
	cmt_model_kind(m->kind)->write(m, f);
	if (m->calibrated)
		fprintf(f, "\t\"calibration\": {\"method\": \"platt\", \"a\": %.17g, "
			"\"b\": %.17g},\n", m->cal_a, m->cal_b);
	fputs("\t\"card\": ", f);

	/* re-indent the card's own lines one level */
	for (p = m->card ? m->card : "{}"; *p; p++) {
		fputc(*p, f);
		if (*p == '\n')
			fputc('\t', f);
	}
	fputs("\n}\n", f);
	if (fflush(f) != 0 || ferror(f))
		return cmt_errf(err, CMT_EIO, "write failed: %s", strerror(errno));
	return CMT_OK;
}

enum cmt_err
cmt_model_save(const struct cmt_model *m, const char *path, char *err)
{
	char tmp[PATH_MAX];
	FILE *f;
	enum cmt_err e;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path,
	    (long)getpid()) >= sizeof tmp)
		return cmt_errf(err, CMT_ETOOLONG, "path too long");
	if (!(f = fopen(tmp, "w")))
		return cmt_errf(err, CMT_EIO, "%s: %s", tmp, strerror(errno));
	e = cmt_model_write(m, f, err);
	if (fclose(f) != 0 && !e)
		e = cmt_errf(err, CMT_EIO, "%s: %s", tmp, strerror(errno));
	if (!e && rename(tmp, path) != 0)
		e = cmt_errf(err, CMT_EIO, "%s: %s", path, strerror(errno));
	if (e)
		unlink(tmp);
	return e;
}
