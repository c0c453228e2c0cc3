/* Boosted trees through XGBoost's C API, converted into cmt's "trees"
 * model.  See xgb.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <xgboost/c_api.h>

#include "xgb.h"

#define XGB_REPORT_EVERY 25

/* XGBoost's last error as ours */
static enum cmt_err
xgb_err(char *err, const char *what)
{
	return cmt_errf(err, CMT_EIO, "XGBoost: %s: %s", what,
		XGBGetLastError());
}

/* The rows' inputs in single precision, NAN for null: XGBoost's missing
 * value. */
static enum cmt_err
make_matrix(const struct cmt_dataset *d, DMatrixHandle *out, char *err)
{
	size_t n = d->n ? d->n : 1, r;
	float *x = malloc(n * (size_t)d->ninput * sizeof *x);
	float *y = malloc(n * sizeof *y);
	enum cmt_err e = CMT_OK;
	int j;

	*out = NULL;
	if (!x || !y) {
		free(x);
		free(y);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	for (r = 0; r < d->n; r++) {
		for (j = 0; j < d->ninput; j++)
			x[r * (size_t)d->ninput + (size_t)j] =
			    (float)cmt_dataset_row(d, r)[d->input[j]];
		y[r] = d->y ? (float)d->y[r] : 0;
	}
	if (XGDMatrixCreateFromMat(x, d->n, (bst_ulong)d->ninput, NAN, out))
		e = xgb_err(err, "matrix");
	else if (XGDMatrixSetFloatInfo(*out, "label", y, d->n))
		e = xgb_err(err, "labels");
	free(x);
	free(y);
	return e;
}

static double
logloss(const float *p, const int *y, size_t n)
{
	double s = 0, q;
	size_t i;

	for (i = 0; i < n; i++) {
		q = y[i] ? p[i] : 1 - (double)p[i];
		s -= log(q > CMT_METRICS_EPS ? q : CMT_METRICS_EPS);
	}
	return n ? s / (double)n : NAN;
}

/* The log-loss of the booster's current trees on m's rows. */
static enum cmt_err
loss_on(BoosterHandle b, DMatrixHandle m, const struct cmt_dataset *d,
	double *out, char *err)
{
	const float *p;
	bst_ulong len;

	if (XGBoosterPredict(b, m, 0, 0, 0, &len, &p))
		return xgb_err(err, "predict");
	if (len != d->n)
		return cmt_errf(err, CMT_EIO, "XGBoost: %lu predictions for %zu "
			"rows", (unsigned long)len, d->n);
	*out = logloss(p, d->y, d->n);
	return CMT_OK;
}

static enum cmt_err
set_params(BoosterHandle b, const struct cmt_train_opts *o, char *err)
{
	char depth[16], eta[32], lambda[32], child[32], seed[32];
	const char *const param[][2] = {
		{ "objective", "binary:logistic" }, { "eval_metric", "logloss" },
		{ "tree_method", "hist" }, { "nthread", "1" },
		{ "verbosity", "0" }, { "base_score", "0.5" },
		{ "max_depth", depth }, { "eta", eta }, { "lambda", lambda },
		{ "min_child_weight", child }, { "seed", seed },
	};
	size_t i;

	snprintf(depth, sizeof depth, "%d", o->depth);
	snprintf(eta, sizeof eta, "%.17g", o->lr);
	snprintf(lambda, sizeof lambda, "%.17g", o->l2);
	snprintf(child, sizeof child, "%.17g", o->min_child);
	snprintf(seed, sizeof seed, "%llu", (unsigned long long)
		(o->seed % 2147483647u));
	for (i = 0; i < sizeof param / sizeof param[0]; i++)
		if (XGBoosterSetParam(b, param[i][0], param[i][1]))
			return xgb_err(err, param[i][0]);
	return CMT_OK;
}

enum cmt_err
xgb_fit(const struct cmt_train_opts *o, const struct cmt_dataset *train,
	const struct cmt_dataset *val, cmt_train_progress progress, void *ctx,
	struct cmt_model **out, struct cmt_train_result *res, void **booster,
	char *err)
{
	DMatrixHandle dm[2] = { NULL, NULL };
	BoosterHandle b = NULL, cut = NULL;
	struct cmt_train_epoch ep;
	enum cmt_err e;
	int round, bad = 0;

	*out = NULL;
	if (booster)
		*booster = NULL;
	memset(res, 0, sizeof *res);
	if (train->n == 0 || val->n == 0)
		return cmt_errf(err, CMT_EVALUE,
			"%s set is empty", train->n == 0 ? "training" : "validation");
	if (o->depth < 1 || o->depth > 16 || o->max_epochs < 1 ||
	    !(o->lr > 0) || !(o->l2 >= 0) || !(o->min_child >= 0))
		return cmt_errf(err, CMT_EVALUE, "bad training options");
	if ((e = make_matrix(train, &dm[0], err)) ||
	    (e = make_matrix(val, &dm[1], err)))
		goto done;
	if (XGBoosterCreate(dm, 2, &b)) {
		e = xgb_err(err, "booster");
		goto done;
	}
	if ((e = set_params(b, o, err)))
		goto done;
	res->best_val_loss = INFINITY;
	for (round = 1; round <= o->max_epochs; round++) {
		if (o->stop && *o->stop) {
			e = cmt_errf(err, CMT_EIO, "interrupted in round %d", round);
			goto done;
		}
		if (XGBoosterUpdateOneIter(b, round - 1, dm[0])) {
			e = xgb_err(err, "boosting");
			goto done;
		}
		ep.epoch = round;
		if ((e = loss_on(b, dm[1], val, &ep.val_loss, err)))
			goto done;
		res->epochs_run = round;
		if (ep.val_loss < res->best_val_loss) {
			res->best_val_loss = ep.val_loss;
			res->best_epoch = round;
			bad = 0;
		} else {
			bad++;
		}
		ep.best = res->best_epoch;
		if (progress && (round % XGB_REPORT_EVERY == 0 ||
		    bad >= o->patience || round == o->max_epochs)) {
			if ((e = loss_on(b, dm[0], train, &ep.train_loss, err)))
				goto done;
			progress(&ep, ctx);
		}
		if (bad >= o->patience)
			break;
	}
	if ((e = xgb_to_model(b, res->best_epoch, train, out, err)))
		goto done;
	if (booster) {
		if (XGBoosterSlice(b, 0, res->best_epoch, 1, &cut)) {
			e = xgb_err(err, "slice");
			cmt_model_free(*out);
			*out = NULL;
			goto done;
		}
		*booster = cut;
	}
done:
	if (b)
		XGBoosterFree(b);
	if (dm[0])
		XGDMatrixFree(dm[0]);
	if (dm[1])
		XGDMatrixFree(dm[1]);
	return e;
}

/* ---- conversion ---- */

static const cJSON *
path(const cJSON *o, const char *const *keys)
{
	for (; *keys && o; keys++)
		o = cJSON_GetObjectItemCaseSensitive(o, *keys);
	return o;
}

/* Element i of a numeric (or boolean) array. */
static double
at(const cJSON *a, int i)
{
	const cJSON *v = cJSON_GetArrayItem(a, i);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : v ? v->valuedouble : NAN;
}

/* One XGBoost tree into nodes: its own node numbers, children after
 * parents, as XGBoost numbers them. */
static enum cmt_err
convert_tree(const cJSON *t, int k, const struct cmt_dataset *d,
	struct cmt_tnode *nd, int n, char *err)
{
	const cJSON *left = cJSON_GetObjectItemCaseSensitive(t, "left_children");
	const cJSON *right = cJSON_GetObjectItemCaseSensitive(t,
	    "right_children");
	const cJSON *feat = cJSON_GetObjectItemCaseSensitive(t, "split_indices");
	const cJSON *cond = cJSON_GetObjectItemCaseSensitive(t,
	    "split_conditions");
	const cJSON *dflt = cJSON_GetObjectItemCaseSensitive(t, "default_left");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(t, "split_type");
	int i, l, r, f;

	if (cJSON_GetArraySize(right) != n || cJSON_GetArraySize(feat) != n ||
	    cJSON_GetArraySize(cond) != n || cJSON_GetArraySize(dflt) != n)
		return cmt_errf(err, CMT_EVALUE, "XGBoost tree %d: arrays of "
			"different lengths", k);
	for (i = 0; i < n; i++) {
		l = (int)at(left, i);
		r = (int)at(right, i);
		nd[i].v = (float)at(cond, i);
		if (l == -1) {
			nd[i].leaf = 1;
			continue;
		}
		f = (int)at(feat, i);
		if (l <= i || r <= i || l >= n || r >= n || f < 0 ||
		    f >= d->ninput || (type && at(type, i) != 0))
			return cmt_errf(err, CMT_EVALUE, "XGBoost tree %d, node "
				"%d: not a numerical split cmt can hold", k, i);
		nd[i].feat = (uint16_t)d->input[f];
		nd[i].yes = l;
		nd[i].no = r;
		nd[i].miss = at(dflt, i) != 0 ? l : r;
	}
	return CMT_OK;
}

enum cmt_err
xgb_to_model(void *booster, int ntrees, const struct cmt_dataset *d,
	struct cmt_model **out, char *err)
{
	static const char *const trees_at[] = { "learner", "gradient_booster",
		"model", "trees", NULL };
	static const char *const base_at[] = { "learner",
		"learner_model_param", "base_score", NULL };
	static const char *const obj_at[] = { "learner", "objective", "name",
		NULL };
	const cJSON *trees, *t, *base, *obj;
	struct cmt_model *m = NULL;
	const char *buf;
	bst_ulong len;
	cJSON *doc;
	size_t total = 0;
	float bs;
	int i, n;
	enum cmt_err e = CMT_OK;

	*out = NULL;
	if (XGBoosterSaveModelToBuffer(booster, "{\"format\": \"json\"}", &len,
	    &buf))
		return xgb_err(err, "save");
	if (!(doc = cJSON_ParseWithLength(buf, len)))
		return cmt_errf(err, CMT_ESYNTAX, "XGBoost's model is not JSON");
	trees = path(doc, trees_at);
	base = path(doc, base_at);
	obj = path(doc, obj_at);
	if (!cJSON_IsArray(trees) || !cJSON_IsString(base) ||
	    !cJSON_IsString(obj) ||
	    strcmp(obj->valuestring, "binary:logistic") != 0) {
		e = cmt_errf(err, CMT_EVALUE, "XGBoost's model is not one "
			"cmt can hold (binary:logistic trees)");
		goto done;
	}
	if (ntrees <= 0 || ntrees > cJSON_GetArraySize(trees))
		ntrees = cJSON_GetArraySize(trees);
	for (i = 0; i < ntrees; i++)
		total += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetArrayItem(trees, i), "left_children"));
	if ((e = cmt_model_create_trees(ntrees, total, &m, err)))
		goto done;
	total = 0;
	for (i = 0; i < ntrees; i++) {
		t = cJSON_GetArrayItem(trees, i);
		n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t,
		    "left_children"));
		m->root[i] = (int32_t)total;
		if (n < 1) {
			e = cmt_errf(err, CMT_EVALUE, "XGBoost tree %d is empty", i);
			goto done;
		}
		if ((e = convert_tree(t, i, d, m->node + total, n, err)))
			goto done;
		total += (size_t)n;
	}
	/* XGBoost's margin of its base score, as it computes it */
	bs = strtof(base->valuestring, NULL);
	if (!(bs > 0 && bs < 1)) {
		e = cmt_errf(err, CMT_EVALUE, "XGBoost's base score %s is not a "
			"probability", base->valuestring);
		goto done;
	}
	m->base_margin = (double)-logf(1.0f / bs - 1.0f);
	memcpy(m->fs, d->fs, sizeof m->fs);
	memcpy(m->feature, d->feature, sizeof m->feature);
	m->nfeature = d->nfeat;
	m->ninput = d->ninput;
	memcpy(m->input, d->input, sizeof m->input);
	memcpy(m->nullable, d->nullable, sizeof m->nullable);
	if ((e = cmt_model_finish_trees(m, err)))
		goto done;
	*out = m;
	m = NULL;
done:
	cmt_model_free(m);
	cJSON_Delete(doc);
	return e;
}

enum cmt_err
xgb_predict(void *booster, const struct cmt_dataset *d, double *p, char *err)
{
	DMatrixHandle m;
	const float *out;
	bst_ulong len, i;
	enum cmt_err e;

	if ((e = make_matrix(d, &m, err)))
		return e;
	if (XGBoosterPredict(booster, m, 0, 0, 0, &len, &out)) {
		e = xgb_err(err, "predict");
	} else if (len != d->n) {
		e = cmt_errf(err, CMT_EIO, "XGBoost: %lu predictions for %zu rows",
			(unsigned long)len, d->n);
	} else {
		for (i = 0; i < len; i++)
			p[i] = out[i];
	}
	XGDMatrixFree(m);
	return e;
}

void
xgb_free(void *booster)
{
	if (booster)
		XGBoosterFree(booster);
}
