/* Models in memory: the table of kinds, creating and freeing one,
 * inference (the dense forward pass, two lanes at a time; the trees' is
 * model_trees.c's), calibration, checking a vector stream's feature set
 * against a model, picking among models and describing one.  The file
 * format is model_file.c's, finding a model model_find.c's.  A model is
 * the caller's (cmt_model_free); inference never allocates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_features.h"
#include "cmt_parse.h"
#include "model_int.h"

static const struct model_kind kinds[] = {
	{ "mlp", cmt_model_dense_margin, cmt_dense_parse, cmt_dense_write },
	{ "logreg", cmt_model_dense_margin, cmt_dense_parse, cmt_dense_write },
	{ "trees", cmt_trees_margin, cmt_trees_parse, cmt_trees_write },
};

const struct model_kind *
cmt_model_kind(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

void
cmt_model_free(struct cmt_model *m)
{
	if (!m)
		return;
	free(m->params);
	free(m->root);
	free(m->node);
	free(m->flat_node);
	free(m->flat_leaf);
	free(m->card);
	free(m);
}

/* Allocate the model and its parameter block for the given widths. */
static enum cmt_err
alloc_model(const int *width, int nwidth, struct cmt_model **out, char *err)
{
	struct cmt_model *m;
	size_t n = 0;
	double *p;
	int l;

	*out = NULL;
	if (nwidth < 2 || nwidth - 1 > CMT_MODEL_MAX_LAYERS)
		return cmt_errf(err, CMT_EVALUE, "a model has 1 to %d layers",
			CMT_MODEL_MAX_LAYERS);
	if (width[0] < 1 || width[0] > CMT_FEAT_N)
		return cmt_errf(err, CMT_EMISMATCH,
			"first layer takes %d inputs, expected 1 to %d", width[0],
			CMT_FEAT_N);
	if (width[nwidth - 1] != 1)
		return cmt_errf(err, CMT_EMISMATCH,
			"last layer has %d outputs, expected 1", width[nwidth - 1]);
	for (l = 0; l < nwidth; l++) {
		if (width[l] < 1 || width[l] > CMT_MODEL_MAX_WIDTH)
			return cmt_errf(err, CMT_EVALUE,
				"layer width %d out of range 1..%d", width[l],
				CMT_MODEL_MAX_WIDTH);
		if (l > 0)
			n += (size_t)width[l - 1] * (size_t)width[l] +
			    (size_t)width[l];
	}
	if (!(m = calloc(1, sizeof *m)) || !(m->params = calloc(n, sizeof *p))) {
		free(m);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	m->nparams = n;
	m->margin_fn = cmt_model_dense_margin;
	m->nlayers = nwidth - 1;
	p = m->params;
	for (l = 0; l < m->nlayers; l++) {
		struct cmt_layer *ly = &m->layer[l];

		ly->in = width[l];
		ly->out = width[l + 1];
		ly->act = l == m->nlayers - 1 ? CMT_ACT_SIGMOID : CMT_ACT_RELU;
		ly->w = p;
		p += (size_t)ly->in * (size_t)ly->out;
		ly->b = p;
		p += ly->out;
	}
	m->ninput = width[0];
	m->nfeature = width[0];
	for (l = 0; l < CMT_FEAT_N; l++) {
		m->std[l] = 1;
		m->input[l] = l;
	}
	*out = m;
	return CMT_OK;
}

enum cmt_err
cmt_model_create(const char *kind, const int *width, int nwidth,
	struct cmt_model **out, char *err)
{
	enum cmt_err e;

	*out = NULL;
	if (strcmp(kind, "mlp") != 0 && strcmp(kind, "logreg") != 0)
		return cmt_errf(err, CMT_EVALUE,
			"unknown model kind '%s' (mlp, logreg)", kind);
	if (strcmp(kind, "logreg") == 0 && nwidth != 2)
		return cmt_errf(err, CMT_EVALUE, "logreg has no hidden layers");
	if (strcmp(kind, "mlp") == 0 && nwidth < 3)
		return cmt_errf(err, CMT_EVALUE,
			"mlp needs at least one hidden layer");
	if ((e = alloc_model(width, nwidth, out, err)))
		return e;
	strcpy((*out)->kind, kind);
	strcpy((*out)->name, kind);
	return CMT_OK;
}

/* Two doubles added or multiplied lane by lane: the same IEEE operations
 * as on scalars (no reassociation, no FMA with -ffp-contract=off). */
typedef double v2d __attribute__((vector_size(16)));
typedef long long v2i __attribute__((vector_size(16)));

static v2d
load2(const double *p)
{
	v2d v;

	memcpy(&v, p, sizeof v);
	return v;
}

/* ReLU of both lanes, v > 0 ? v : +0 (NaN and -0 give +0), as a mask
 * and an and: no branch. */
static v2d
relu2(v2d v)
{
	return (v2d)((v2i)v & (v > (v2d){ 0, 0 }));
}

static double
relu1(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof b);
	b &= -(uint64_t)(v > 0);
	memcpy(&v, &b, sizeof v);
	return v;
}

static void
store2(double *p, v2d v, int relu)
{
	if (relu)
		v = relu2(v);
	memcpy(p, &v, sizeof v);
}

/* out = W in + b, then ReLU if relu.  Each output is b + sum over inputs
 * in ascending order, as plain C would do it; sixteen, eight, then two
 * outputs at a time are kept in registers as pairs (the weights are
 * stored input-major so these are adjacent): packed adds and multiplies,
 * lane by lane, so no sum is reassociated, and sixteen outputs give eight
 * independent chains of adds, enough to hide their latency. */
static void
affine(const struct cmt_layer *ly, const double *restrict in,
	double *restrict out, int relu)
{
	const double *restrict w;
	double acc;
	v2d x2;
	int i = 0, j, n = ly->out;

	for (; i + 16 <= n; i += 16) {
		v2d a0 = load2(ly->b + i), a1 = load2(ly->b + i + 2),
		    a2 = load2(ly->b + i + 4), a3 = load2(ly->b + i + 6),
		    a4 = load2(ly->b + i + 8), a5 = load2(ly->b + i + 10),
		    a6 = load2(ly->b + i + 12), a7 = load2(ly->b + i + 14);

		w = ly->w + (size_t)i;
		for (j = 0; j < ly->in; j++, w += n) {
			x2 = (v2d){ in[j], in[j] };
			a0 += load2(w) * x2;
			a1 += load2(w + 2) * x2;
			a2 += load2(w + 4) * x2;
			a3 += load2(w + 6) * x2;
			a4 += load2(w + 8) * x2;
			a5 += load2(w + 10) * x2;
			a6 += load2(w + 12) * x2;
			a7 += load2(w + 14) * x2;
		}
		store2(out + i, a0, relu);
		store2(out + i + 2, a1, relu);
		store2(out + i + 4, a2, relu);
		store2(out + i + 6, a3, relu);
		store2(out + i + 8, a4, relu);
		store2(out + i + 10, a5, relu);
		store2(out + i + 12, a6, relu);
		store2(out + i + 14, a7, relu);
	}
	for (; i + 8 <= n; i += 8) {
		v2d a0 = load2(ly->b + i), a1 = load2(ly->b + i + 2),
		    a2 = load2(ly->b + i + 4), a3 = load2(ly->b + i + 6);

		w = ly->w + (size_t)i;
		for (j = 0; j < ly->in; j++, w += n) {
			x2 = (v2d){ in[j], in[j] };
			a0 += load2(w) * x2;
			a1 += load2(w + 2) * x2;
			a2 += load2(w + 4) * x2;
			a3 += load2(w + 6) * x2;
		}
		store2(out + i, a0, relu);
		store2(out + i + 2, a1, relu);
		store2(out + i + 4, a2, relu);
		store2(out + i + 6, a3, relu);
	}
	for (; i + 2 <= n; i += 2) {
		v2d a0 = load2(ly->b + i);

		w = ly->w + (size_t)i;
		for (j = 0; j < ly->in; j++, w += n)
			a0 += load2(w) * (v2d){ in[j], in[j] };
		store2(out + i, a0, relu);
	}
	for (; i < n; i++) {
		acc = ly->b[i];
		for (j = 0; j < ly->in; j++)
			acc += ly->w[(size_t)j * (size_t)n + (size_t)i] * in[j];
		out[i] = relu ? relu1(acc) : acc;
	}
}

void
cmt_model_affine(const struct cmt_layer *ly, const double *restrict in,
	double *restrict out)
{
	affine(ly, in, out, 0);
}

void
cmt_model_activate(enum cmt_act act, double *v, int n)
{
	int i = 0;

	switch (act) {
	case CMT_ACT_RELU:
		for (; i + 2 <= n; i += 2)
			store2(v + i, load2(v + i), 1);
		for (; i < n; i++)
			v[i] = relu1(v[i]);
		break;
	case CMT_ACT_TANH:
		for (i = 0; i < n; i++)
			v[i] = tanh(v[i]);
		break;
	case CMT_ACT_SIGMOID:
		for (i = 0; i < n; i++)
			v[i] = 1 / (1 + exp(-v[i]));
		break;
	case CMT_ACT_LINEAR:
		break;
	}
}

/* The layers up to the output unit's sum, before its sigmoid. */
double
cmt_model_dense_margin(struct cmt_model *m, const double *x)
{
	double *in = m->act[0], *out = m->act[1], *tmp;
	int l, j;

	for (j = 0; j < m->ninput; j++)
		in[j] = (x[m->input[j]] - m->mean[j]) / m->std[j];
	for (l = 0; l < m->nlayers; l++) {
		/* ReLU fused into the layer: the same values, one pass */
		affine(&m->layer[l], in, out, m->layer[l].act == CMT_ACT_RELU);
		if (m->layer[l].act != CMT_ACT_RELU && l < m->nlayers - 1)
			cmt_model_activate(m->layer[l].act, out, m->layer[l].out);
		tmp = in;
		in = out;
		out = tmp;
	}
	return in[0];
}

double
cmt_model_margin(struct cmt_model *m, const double *x)
{
	return m->margin_fn(m, x);
}

/* The output layer's sigmoid, the same expression for every kind. */
double
cmt_model_predict(struct cmt_model *m, const double *x)
{
	double z = m->margin_fn(m, x);

	if (m->calibrated)
		z = m->cal_a * z + m->cal_b;
	return 1 / (1 + exp(-z));
}

int
cmt_model_can_score(const struct cmt_model *m, const double *x)
{
	int j;

	for (j = 0; j < m->ninput; j++)
		if (!isfinite(x[m->input[j]]) &&
		    !(m->nullable[m->input[j]] && isnan(x[m->input[j]])))
			return 0;
	return 1;
}

int
cmt_model_feature_index(const struct cmt_model *m, const char *name)
{
	int i;

	for (i = 0; i < m->nfeature; i++)
		if (strcmp(m->feature[i], name) == 0)
			return i;
	return -1;
}

/* 1 if the vector's name (any spelling) is the model's name. */
static int
same_name(struct cmt_slice vname, const char *mname)
{
	char name[CMT_MODEL_FEATNAME_MAX];

	return cmt_slice_eq(vname, mname) ||
	    (cmt_fs_canonical_name(vname.s, vname.len, name, sizeof name) == 0 &&
	    strcmp(name, mname) == 0);
}

/* 1 if vectors of set fs carry the model's set and more. */
static int
set_contains(struct cmt_slice fs, const char *model_fs)
{
	struct cmt_feature_set outer, inner;
	char id[CMT_FS_ID_MAX], err[CMT_ERRLEN];

	if (fs.len >= sizeof id)
		return 0;
	memcpy(id, fs.s, fs.len);
	id[fs.len] = '\0';
	return cmt_fs_parse_id(id, &outer, err) == CMT_OK &&
	    cmt_fs_parse_id(model_fs, &inner, err) == CMT_OK &&
	    cmt_fs_contains(&outer, &inner);
}

enum cmt_err
cmt_model_bind(const struct cmt_model *m, struct cmt_slice fs,
	const struct cmt_slice *names, int n, int *map, int *same, char *err)
{
	char id[CMT_FS_ID_MAX];
	int i, j;

	if (same)
		*same = 0;
	if (cmt_slice_eq(fs, m->fs) || (cmt_fs_canonical_id(fs.s, fs.len, id) ==
	    0 && strcmp(id, m->fs) == 0)) {
		/* the model's own set: its features, in its order */
		for (i = 0; i < n || i < m->nfeature; i++) {
			if (i >= n || i >= m->nfeature)
				return cmt_errf(err, CMT_EMISMATCH, "%d features, the "
					"model's set has %d", n, m->nfeature);
			if (!same_name(names[i], m->feature[i]))
				return cmt_errf(err, CMT_EMISMATCH,
					"feature %d is '%.*s', the model expects '%s'",
					i + 1, (int)(names[i].len > 40 ? 40 : names[i].len),
					names[i].s, m->feature[i]);
			map[i] = i;
		}
		if (same)
			*same = 1;
		return CMT_OK;
	}
	if (!set_contains(fs, m->fs))
		return cmt_errf(err, CMT_EMISMATCH,
			"feature set '%.*s'%s does not match the model's '%s'",
			(int)(fs.len > 320 ? 320 : fs.len), fs.s,
			fs.len > 320 ? "..." : "", m->fs);
	/* a wider set: each of the model's features by name */
	for (i = 0; i < m->nfeature; i++) {
		for (j = 0; j < n && !same_name(names[j], m->feature[i]); j++)
			;
		map[i] = j < n ? j : -1;
	}
	for (i = 0; i < m->ninput; i++)
		if (map[m->input[i]] < 0)
			return cmt_errf(err, CMT_EMISMATCH, "the vectors of '%.*s' "
				"have no feature '%s', an input of the model",
				(int)(fs.len > 320 ? 320 : fs.len), fs.s,
				m->feature[m->input[i]]);
	return CMT_OK;
}

void
cmt_model_gather(const struct cmt_model *m, const int *map,
	const double *vx, double *x)
{
	int i;

	for (i = 0; i < m->nfeature; i++)
		x[i] = map[i] >= 0 ? vx[map[i]] : NAN;
}

int
cmt_model_pick(struct cmt_model *const *m, int n, const double *x)
{
	int i;

	for (i = 0; i < n; i++)
		if (cmt_model_can_score(m[i], x))
			return i;
	return -1;
}

void
cmt_model_describe(const struct cmt_model *m, const char *path, FILE *f)
{
	char hz[32];
	int l, i;

	cmt_format_duration(m->horizon_ms, hz, sizeof hz);
	fprintf(f, "model:       %s (%s)\nfile:        %s\nfeature set: %s\n"
		"horizon:     %s\n", m->name, m->kind, path, m->fs, hz);
	if (m->ntrees) {
		fprintf(f, "trees:       %d (%zu nodes)", m->ntrees, m->nnodes);
	} else {
		fprintf(f, "layers:      %d", m->ninput);
		for (l = 0; l < m->nlayers; l++)
			fprintf(f, " -> %d", m->layer[l].out);
		fprintf(f, " (%zu parameters)", m->nparams);
	}
	fprintf(f, "\nfeatures:   ");
	for (i = 0; i < m->nfeature; i++)
		fprintf(f, " %s", m->feature[i]);
	fprintf(f, "\ninputs:     ");
	for (i = 0; i < m->ninput; i++)
		fprintf(f, " %s%s", m->feature[m->input[i]],
			m->nullable[m->input[i]] ? " (may be null)" : "");
	if (m->calibrated)
		fprintf(f, "\ncalibration: platt, p = sigmoid(%.6g * margin "
			"%c %.6g)", m->cal_a, m->cal_b < 0 ? '-' : '+',
			fabs(m->cal_b));
	fprintf(f, "\ncard: %s\n", m->card);
}
