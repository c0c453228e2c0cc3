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
#include "cmt_model.h"

static const char *const act_name[] = { "relu", "tanh", "linear", "sigmoid" };

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

static const char *
get_string(const cJSON *o, const char *key, const char *where, char *err,
	enum cmt_err *e)
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
static enum cmt_err
get_numbers(const cJSON *a, double *dst, int n, int *got, const char *what,
	char *err)
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

static enum cmt_err
parse_act(const cJSON *layer, int l, enum cmt_act *act, char *err)
{
	const char *s;
	char where[32];
	enum cmt_err e = CMT_OK;
	size_t i;

	snprintf(where, sizeof where, "layer %d: ", l + 1);
	if (!(s = get_string(layer, "activation", where, err, &e)))
		return e;
	for (i = 0; i < sizeof act_name / sizeof act_name[0]; i++)
		if (strcmp(s, act_name[i]) == 0) {
			*act = (enum cmt_act)i;
			return CMT_OK;
		}
	return cmt_errf(err, CMT_EVALUE,
		"layer %d: unknown activation '%.40s' (relu, tanh, linear, sigmoid)",
		l + 1, s);
}

/* Read the widths from the layers' shapes, then fill the weights. */
static enum cmt_err
parse_layers(const cJSON *layers, const char *kind, int ninput,
	struct cmt_model **out, char *err)
{
	int width[CMT_MODEL_MAX_LAYERS + 1], n, l = 0, i, j, got;
	const cJSON *ly, *rows, *row;
	struct cmt_model *m;
	char what[64];
	enum cmt_err e;
	double rowbuf[CMT_MODEL_MAX_WIDTH];

	if (!cJSON_IsArray(layers))
		return cmt_errf(err, layers ? CMT_ETYPE : CMT_EMISSING,
			"\"layers\" is %s", layers ? "not an array" : "missing");
	n = cJSON_GetArraySize(layers);
	if (n < 1 || n > CMT_MODEL_MAX_LAYERS)
		return cmt_errf(err, CMT_EVALUE, "%d layers, expected 1 to %d", n,
			CMT_MODEL_MAX_LAYERS);
	width[0] = ninput;
	cJSON_ArrayForEach(ly, layers) {
		if (!cJSON_IsObject(ly))
			return cmt_errf(err, CMT_ETYPE, "layer %d is not an object",
				l + 1);
		rows = cJSON_GetObjectItemCaseSensitive(ly, "weights");
		if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) < 1)
			return cmt_errf(err, CMT_ETYPE,
				"layer %d: \"weights\" is not a non-empty array", l + 1);
		width[l + 1] = cJSON_GetArraySize(rows);
		if (width[l + 1] > CMT_MODEL_MAX_WIDTH)
			return cmt_errf(err, CMT_ELIMIT,
				"layer %d: %d units, at most %d", l + 1, width[l + 1],
				CMT_MODEL_MAX_WIDTH);
		l++;
	}
	if ((e = cmt_model_create(kind, width, n + 1, &m, err)))
		return e;
	l = 0;
	cJSON_ArrayForEach(ly, layers) {
		struct cmt_layer *L = &m->layer[l];

		if ((e = parse_act(ly, l, &L->act, err)))
			goto fail;
		if ((L->act == CMT_ACT_SIGMOID) != (l == n - 1)) {
			e = cmt_errf(err, CMT_EVALUE, l == n - 1 ?
				"layer %d: the output layer must be sigmoid" :
				"layer %d: sigmoid is only allowed on the output layer",
				l + 1);
			goto fail;
		}
		i = 0;
		cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(ly,
		    "weights")) {
			snprintf(what, sizeof what, "layer %d: weights row %d", l + 1,
				i + 1);
			if ((e = get_numbers(row, rowbuf, -1, &got, what, err)))
				goto fail;
			if (got != L->in) {
				e = cmt_errf(err, CMT_EMISMATCH,
					"layer %d: weights row %d has %d values, expected %d"
					" (%s)", l + 1, i + 1, got, L->in, l == 0 ?
					"the number of inputs" : "the previous layer's width");
				goto fail;
			}
			for (j = 0; j < L->in; j++)
				L->w[(size_t)j * (size_t)L->out + (size_t)i] = rowbuf[j];
			i++;
		}
		snprintf(what, sizeof what, "layer %d: \"bias\"", l + 1);
		if ((e = get_numbers(cJSON_GetObjectItemCaseSensitive(ly, "bias"),
		    L->b, L->out, NULL, what, err)))
			goto fail;
		l++;
	}
	*out = m;
	return CMT_OK;
fail:
	cmt_model_free(m);
	return e;
}

/* "feature_names" (the vector's members, in order) into names[]: 11 in
 * version 1, 1 to CMT_FEAT_N in version 2. */
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

static enum cmt_err
parse_doc(const cJSON *doc, struct cmt_model **out, char *err)
{
	char names[CMT_FEAT_N][CMT_MODEL_FEATNAME_MAX];
	int input[CMT_FEAT_N], ninput = 0, nnames = 0, version, i;
	const cJSON *v, *st;
	const char *s, *kind;
	struct cmt_model *m = NULL;
	enum cmt_err e = CMT_OK;

	*out = NULL;
	if (!cJSON_IsObject(doc))
		return cmt_errf(err, CMT_ETYPE, "not a JSON object");
	if (!(s = get_string(doc, "format", "", err, &e)))
		return e;
	if (strcmp(s, "cmt-model") != 0)
		return cmt_errf(err, CMT_EVALUE,
			"\"format\" is '%.40s', not 'cmt-model'", s);
	v = cJSON_GetObjectItemCaseSensitive(doc, "version");
	if (!cJSON_IsNumber(v) || (v->valuedouble != 1 &&
	    v->valuedouble != CMT_MODEL_VERSION))
		return cmt_errf(err, CMT_EVALUE,
			"\"version\" must be 1 or %d (this cmt reads versions 1 to %d)",
			CMT_MODEL_VERSION, CMT_MODEL_VERSION);
	version = (int)v->valuedouble;
	if (!(kind = get_string(doc, "kind", "", err, &e)))
		return e;
	if ((e = parse_names(doc, version, names, &nnames, err)) ||
	    (e = parse_inputs(doc, version, names, nnames, input, &ninput,
	    err)))
		return e;
	if ((e = parse_layers(cJSON_GetObjectItemCaseSensitive(doc, "layers"),
	    kind, ninput, &m, err)))
		return e;
	memcpy(m->feature, names, sizeof names);
	m->nfeature = nnames;
	memcpy(m->input, input, sizeof input);
	m->ninput = ninput;
	if (!(s = get_string(doc, "name", "", err, &e)))
		goto fail;
	if (!valid_name(s, sizeof m->name)) {
		e = cmt_errf(err, CMT_EVALUE,
			"\"name\" must be 1 to %d of [A-Za-z0-9._-]",
			CMT_MODEL_NAME_MAX - 1);
		goto fail;
	}
	strcpy(m->name, s);
	if (!(s = get_string(doc, "feature_set", "", err, &e)))
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
	st = cJSON_GetObjectItemCaseSensitive(doc, "standardize");
	if (!cJSON_IsObject(st)) {
		e = cmt_errf(err, CMT_EMISSING, "\"standardize\" is missing");
		goto fail;
	}
	/* one mean and one std per input, in input order */
	if ((e = get_numbers(cJSON_GetObjectItemCaseSensitive(st, "mean"),
	    m->mean, ninput, NULL, "\"standardize\".\"mean\"", err)) ||
	    (e = get_numbers(cJSON_GetObjectItemCaseSensitive(st, "std"),
	    m->std, ninput, NULL, "\"standardize\".\"std\"", err)))
		goto fail;
	for (i = 0; i < ninput; i++)
		if (!(m->std[i] > 0)) {
			e = cmt_errf(err, CMT_EVALUE,
				"\"standardize\".\"std\"[%d] must be > 0", i);
			goto fail;
		}
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

static void
put_numbers(FILE *f, const double *x, int n, size_t stride)
{
	int i;

	fputc('[', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%.17g", i ? ", " : "", x[(size_t)i * stride]);
	fputc(']', f);
}

static void
put_string(FILE *f, const char *s)
{
	char buf[6 * CMT_MODEL_FS_MAX + 3];

	fwrite(buf, 1, cmt_fmt_string(buf, s, strlen(s)), f);
}

enum cmt_err
cmt_model_write(const struct cmt_model *m, FILE *f, char *err)
{
	const char *p;
	int l, i;

	fprintf(f, "{\n\t\"format\": \"cmt-model\",\n\t\"version\": %d,\n",
		CMT_MODEL_VERSION);
	fputs("\t\"name\": ", f);
	put_string(f, m->name);
	fputs(",\n\t\"kind\": ", f);
	put_string(f, m->kind);
	fputs(",\n\t\"feature_set\": ", f);
	put_string(f, m->fs);
	fputs(",\n\t\"feature_names\": [", f);
	for (i = 0; i < m->nfeature; i++) {
		fputs(i ? ", " : "", f);
		put_string(f, m->feature[i]);
	}
	fputs("],\n\t\"inputs\": [", f);
	for (i = 0; i < m->ninput; i++) {
		fputs(i ? ", " : "", f);
		put_string(f, m->feature[m->input[i]]);
	}
	fprintf(f, "],\n\t\"horizon_ms\": %lld,\n", (long long)m->horizon_ms);
	fputs("\t\"standardize\": {\n\t\t\"mean\": ", f);
	put_numbers(f, m->mean, m->ninput, 1);
	fputs(",\n\t\t\"std\": ", f);
	put_numbers(f, m->std, m->ninput, 1);
	fputs("\n\t},\n\t\"layers\": [", f);
	for (l = 0; l < m->nlayers; l++) {
		const struct cmt_layer *L = &m->layer[l];

		fprintf(f, "%s{\n\t\t\"activation\": \"%s\",\n"
			"\t\t\"bias\": ", l ? ", " : "", act_name[L->act]);
		put_numbers(f, L->b, L->out, 1);
		fputs(",\n\t\t\"weights\": [", f);
		for (i = 0; i < L->out; i++) {
			fputs(i ? ",\n\t\t\t" : "\n\t\t\t", f);
			put_numbers(f, L->w + i, L->in, (size_t)L->out);
		}
		fputs("\n\t\t]\n\t}", f);
	}
	fputs("],\n\t\"card\": ", f);
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
