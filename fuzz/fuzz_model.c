/* Fuzz target: the model loader (cmt_model_parse).  A document it accepts
 * must describe a usable model: 1 to CMT_FEAT_N distinct inputs among the
 * features; dense kinds: layers chaining from them to one output, finite
 * parameters and standardisation; trees: nodes whose children are later
 * nodes of the same tree and whose splits read inputs, finite leaves; a
 * finite calibration; and a prediction in [0, 1] for any finite input
 * (for trees, nullable inputs null too).  A rejected one leaves no model
 * and says why. */
#include <math.h>
#include <string.h>

#include "cmt_model.h"
#include "fuzz.h"

/* Every node in range, children after parents within the tree, splits on
 * inputs, finite values. */
static void
check_trees(const struct cmt_model *m)
{
	int t, k, n, i, is_input;

	FUZZ_CHECK(m->ntrees <= CMT_MODEL_MAX_TREES && m->nlayers == 0);
	FUZZ_CHECK(m->nnodes <= CMT_MODEL_MAX_NODES);
	FUZZ_CHECK(isfinite(m->base_margin));
	for (t = 0; t < m->ntrees; t++) {
		const struct cmt_tnode *nd = m->node + m->root[t];

		n = (int)((t + 1 < m->ntrees ? (size_t)m->root[t + 1] :
		    m->nnodes) - (size_t)m->root[t]);
		FUZZ_CHECK(n >= 1);
		for (k = 0; k < n; k++) {
			FUZZ_CHECK(isfinite(nd[k].v));
			if (nd[k].leaf)
				continue;
			FUZZ_CHECK(nd[k].yes > k && nd[k].yes < n);
			FUZZ_CHECK(nd[k].no > k && nd[k].no < n);
			FUZZ_CHECK(nd[k].miss == nd[k].yes ||
				nd[k].miss == nd[k].no);
			for (i = 0, is_input = 0; i < m->ninput; i++)
				is_input |= m->input[i] == nd[k].feat;
			FUZZ_CHECK(is_input);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double probe[2][CMT_FEAT_N] = {
		{ 0 },
		{ 1e6, -1e6, 3, -3, 1e-9, 50, 100, -1, 2, 0.5, 1e300 },
	};
	struct cmt_model *m = NULL;
	char *text = fuzz_strdup(data, size);
	char err[CMT_ERRLEN];
	enum cmt_err e;
	int l, i;

	err[0] = '\0';
	e = cmt_model_parse(text, size, &m, err);
	if (e != CMT_OK) {
		FUZZ_CHECK(m == NULL);
		FUZZ_CHECK(err[0] != '\0' && strnlen(err, CMT_ERRLEN) < CMT_ERRLEN);
		free(text);
		return 0;
	}
	FUZZ_CHECK(m != NULL);
	FUZZ_CHECK(m->ninput >= 1 && m->ninput <= CMT_FEAT_N);
	FUZZ_CHECK(m->nfeature >= m->ninput && m->nfeature <= CMT_FEAT_N);
	FUZZ_CHECK(m->ntrees || m->layer[0].in == m->ninput);
	for (i = 0; i < m->ninput; i++) {
		FUZZ_CHECK(m->input[i] >= 0 && m->input[i] < m->nfeature);
		for (l = 0; l < i; l++)
			FUZZ_CHECK(m->input[l] != m->input[i]);
	}
	FUZZ_CHECK(!m->calibrated ||
		(isfinite(m->cal_a) && isfinite(m->cal_b)));
	if (m->ntrees) {
		check_trees(m);
		goto predict;
	}
	FUZZ_CHECK(m->nlayers >= 1 && m->nlayers <= CMT_MODEL_MAX_LAYERS);
	FUZZ_CHECK(m->layer[0].in == m->ninput);
	FUZZ_CHECK(m->layer[m->nlayers - 1].out == 1);
	for (l = 0; l < m->nlayers; l++) {
		FUZZ_CHECK(m->layer[l].out >= 1 &&
			m->layer[l].out <= CMT_MODEL_MAX_WIDTH);
		if (l > 0)
			FUZZ_CHECK(m->layer[l].in == m->layer[l - 1].out);
	}
	for (size_t k = 0; k < m->nparams; k++)
		FUZZ_CHECK(isfinite(m->params[k]));
	for (i = 0; i < m->ninput; i++)
		FUZZ_CHECK(isfinite(m->mean[i]) && isfinite(m->std[i]) &&
			m->std[i] > 0);
predict:
	FUZZ_CHECK(strnlen(m->name, CMT_MODEL_NAME_MAX) < CMT_MODEL_NAME_MAX);
	FUZZ_CHECK(strnlen(m->fs, CMT_MODEL_FS_MAX) < CMT_MODEL_FS_MAX);
	for (i = 0; i < 3; i++) {
		double x[CMT_FEAT_N], p;

		for (l = 0; l < CMT_FEAT_N; l++)
			x[l] = i < 2 ? probe[i][l] : m->nullable[l] ? NAN : 1;
		if (!cmt_model_can_score(m, x))
			continue;
		p = cmt_model_predict(m, x);

		/* sigmoid of anything, inf included, is in [0, 1]; NaN is not */
		FUZZ_CHECK(p >= 0 && p <= 1);
	}
	cmt_model_free(m);
	free(text);
	return 0;
}
