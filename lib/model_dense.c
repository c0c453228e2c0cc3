/* The dense kinds' body in the model file, "mlp" and "logreg": the
 * standardisation and the layers (reading them, every shape and number
 * checked; writing them with 17 digits).  Their forward pass is
 * model.c's. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_int.h"

static const char *const act_name[] = { "relu", "tanh", "linear", "sigmoid" };

static enum cmt_err
parse_act(const cJSON *layer, int l, enum cmt_act *act, char *err)
{
	const char *s;
	char where[32];
	enum cmt_err e = CMT_OK;
	size_t i;

	snprintf(where, sizeof where, "layer %d: ", l + 1);
	if (!(s = cmt_model_string(layer, "activation", where, err, &e)))
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
			if ((e = cmt_model_numbers(row, rowbuf, -1, &got, what, err)))
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
		if ((e = cmt_model_numbers(cJSON_GetObjectItemCaseSensitive(ly, "bias"),
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

enum cmt_err
cmt_dense_parse(const cJSON *doc, const struct model_head *h,
	struct cmt_model **out, char *err)
{
	const cJSON *st;
	struct cmt_model *m;
	enum cmt_err e;
	int i;

	*out = NULL;
	if (cJSON_GetObjectItemCaseSensitive(doc, "trees") ||
	    cJSON_GetObjectItemCaseSensitive(doc, "nullable_inputs"))
		return cmt_errf(err, CMT_EVALUE, "a %s model has no \"trees\" "
			"nor \"nullable_inputs\"", h->kind);
	if ((e = parse_layers(cJSON_GetObjectItemCaseSensitive(doc, "layers"),
	    h->kind, h->ninput, &m, err)))
		return e;
	st = cJSON_GetObjectItemCaseSensitive(doc, "standardize");
	if (!cJSON_IsObject(st)) {
		e = cmt_errf(err, CMT_EMISSING, "\"standardize\" is missing");
		goto fail;
	}
	/* one mean and one std per input, in input order */
	if ((e = cmt_model_numbers(cJSON_GetObjectItemCaseSensitive(st, "mean"),
	    m->mean, h->ninput, NULL, "\"standardize\".\"mean\"", err)) ||
	    (e = cmt_model_numbers(cJSON_GetObjectItemCaseSensitive(st, "std"),
	    m->std, h->ninput, NULL, "\"standardize\".\"std\"", err)))
		goto fail;
	for (i = 0; i < h->ninput; i++)
		if (!(m->std[i] > 0)) {
			e = cmt_errf(err, CMT_EVALUE,
				"\"standardize\".\"std\"[%d] must be > 0", i);
			goto fail;
		}
	*out = m;
	return CMT_OK;
fail:
	cmt_model_free(m);
	return e;
}

void
cmt_dense_write(const struct cmt_model *m, FILE *f)
{
	int l, i;

	fputs("\t\"standardize\": {\n\t\t\"mean\": ", f);
	cmt_model_put_numbers(f, m->mean, m->ninput, 1);
	fputs(",\n\t\t\"std\": ", f);
	cmt_model_put_numbers(f, m->std, m->ninput, 1);
	fputs("\n\t},\n\t\"layers\": [", f);
	for (l = 0; l < m->nlayers; l++) {
		const struct cmt_layer *L = &m->layer[l];

		fprintf(f, "%s{\n\t\t\"activation\": \"%s\",\n"
			"\t\t\"bias\": ", l ? ", " : "", act_name[L->act]);
		cmt_model_put_numbers(f, L->b, L->out, 1);
		fputs(",\n\t\t\"weights\": [", f);
		for (i = 0; i < L->out; i++) {
			fputs(i ? ",\n\t\t\t" : "\n\t\t\t", f);
			cmt_model_put_numbers(f, L->w + i, L->in, (size_t)L->out);
		}
		fputs("\n\t\t]\n\t}", f);
	}
	fputs("],\n", f);
}
