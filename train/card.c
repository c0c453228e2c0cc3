#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "card.h"
#include "cmt_parse.h"

/* Scores to 6 significant digits: more would be noise, and the card is for
 * people. */
static double
r6(double x)
{
	char buf[32];

	if (!isfinite(x))
		return x;
	snprintf(buf, sizeof buf, "%.6g", x);
	return strtod(buf, NULL);
}

static void
add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[40];

	cmt_format_time(ms, buf, sizeof buf);
	cJSON_AddStringToObject(o, key, buf);
}

static void
add_split(cJSON *o, const char *key, const struct cmt_dataset *d)
{
	cJSON *s = cJSON_AddObjectToObject(o, key);
	int64_t lo = 0, hi = 0;
	size_t i, up = 0;

	for (i = 0; i < d->n; i++) {
		if (i == 0 || d->t[i] < lo)
			lo = d->t[i];
		if (i == 0 || d->t[i] > hi)
			hi = d->t[i];
		up += d->y[i] == 1;
	}
	cJSON_AddNumberToObject(s, "rows", (double)d->n);
	cJSON_AddNumberToObject(s, "up_share",
		d->n ? r6((double)up / (double)d->n) : NAN);
	add_time(s, "from", lo);
	add_time(s, "to", hi);
}

static void
add_metrics(cJSON *o, const char *key, const struct cmt_metrics *m)
{
	cJSON *s = cJSON_AddObjectToObject(o, key);

	cJSON_AddNumberToObject(s, "accuracy", r6(m->accuracy));
	cJSON_AddNumberToObject(s, "logloss", r6(m->logloss));
	cJSON_AddNumberToObject(s, "brier", r6(m->brier));
	cJSON_AddNumberToObject(s, "auc", r6(m->auc));
}

static void
add_adam(cJSON *o, const struct card_info *ci)
{
	cJSON_AddStringToObject(o, "optimizer", "adam");
	cJSON_AddNumberToObject(o, "lr", ci->opts->lr);
	cJSON_AddNumberToObject(o, "l2", ci->opts->l2);
	cJSON_AddNumberToObject(o, "batch", ci->opts->batch);
	cJSON_AddNumberToObject(o, "max_epochs", ci->opts->max_epochs);
	cJSON_AddNumberToObject(o, "patience", ci->opts->patience);
	cJSON_AddNumberToObject(o, "seed", (double)ci->opts->seed);
	cJSON_AddNumberToObject(o, "epochs_run", ci->res->epochs_run);
	cJSON_AddNumberToObject(o, "best_epoch", ci->res->best_epoch);
}

static void
add_trees(cJSON *o, const struct card_info *ci)
{
	cJSON *a;
	int i;

	cJSON_AddStringToObject(o, "trainer", "XGBoost (C API), binary:logistic,"
		" hist, one thread; early stopping on the validation log-loss");
	cJSON_AddNumberToObject(o, "depth", ci->opts->depth);
	cJSON_AddNumberToObject(o, "eta", ci->opts->lr);
	cJSON_AddNumberToObject(o, "lambda", ci->opts->l2);
	cJSON_AddNumberToObject(o, "min_child_weight", ci->opts->min_child);
	cJSON_AddNumberToObject(o, "max_rounds", ci->opts->max_epochs);
	cJSON_AddNumberToObject(o, "patience", ci->opts->patience);
	cJSON_AddNumberToObject(o, "seed", (double)ci->opts->seed);
	cJSON_AddNumberToObject(o, "rounds_run", ci->res->epochs_run);
	cJSON_AddNumberToObject(o, "trees", ci->res->best_epoch);
	a = cJSON_AddArrayToObject(o, "nullable_inputs");
	for (i = 0; i < CMT_FEAT_N; i++)
		if (ci->train->nullable[i])
			cJSON_AddItemToArray(a,
				cJSON_CreateString(ci->train->feature[i]));
}

static void
add_calib_score(cJSON *o, const char *key, const struct calib_score *s)
{
	cJSON *c = cJSON_AddObjectToObject(o, key);

	cJSON_AddNumberToObject(c, "logloss", r6(s->logloss));
	cJSON_AddNumberToObject(c, "ece", r6(s->ece));
}

/* The Platt scaling and what it did, on the rows it was fitted on
 * (validation) and on the test rows. */
static void
add_calibration(cJSON *card, const struct calib_info *c)
{
	cJSON *o = cJSON_AddObjectToObject(card, "calibration"), *v;

	if (!c->done) {
		cJSON_AddStringToObject(o, "method", "none");
		return;
	}
	cJSON_AddStringToObject(o, "method", "platt: p = sigmoid(a * margin + "
		"b), fitted on the validation rows");
	cJSON_AddNumberToObject(o, "a", r6(c->a));
	cJSON_AddNumberToObject(o, "b", r6(c->b));
	v = cJSON_AddObjectToObject(o, "validation");
	add_calib_score(v, "before", &c->val_before);
	add_calib_score(v, "after", &c->val_after);
	v = cJSON_AddObjectToObject(o, "test");
	add_calib_score(v, "before", &c->test_before);
	add_calib_score(v, "after", &c->test_after);
}

char *
card_build(const struct card_info *ci)
{
	cJSON *card = cJSON_CreateObject(), *o, *a;
	char buf[64], *text;
	int i;

	snprintf(buf, sizeof buf, "cmt-train %s", CMT_VERSION);
	cJSON_AddStringToObject(card, "trained_by", buf);
	cJSON_AddStringToObject(card, "command", ci->command);
	if (ci->pipeline)
		cJSON_AddStringToObject(card, "pipeline", ci->pipeline);
	if (ci->source)
		cJSON_AddStringToObject(card, "source", ci->source);
	cmt_format_duration(ci->horizon_ms, buf, sizeof buf);
	cJSON_AddStringToObject(card, "horizon", buf);
	o = cJSON_AddObjectToObject(card, "data");
	cJSON_AddStringToObject(o, "split",
		"by time: train < validation < test, never shuffled across");
	add_split(o, "train", ci->train);
	add_split(o, "validation", ci->val);
	add_split(o, "test", ci->test);
	a = cJSON_AddObjectToObject(o, "skipped_rows");
	cJSON_AddNumberToObject(a, "unlabelled", (double)ci->skipped_unlabelled);
	cJSON_AddNumberToObject(a, "flat_label", (double)ci->skipped_flat);
	cJSON_AddNumberToObject(a, "null_feature", (double)ci->skipped_null);
	cJSON_AddNumberToObject(a, "warmup", (double)ci->skipped_warmup);
	cJSON_AddNumberToObject(a, "partial", (double)ci->skipped_partial);
	o = cJSON_AddObjectToObject(card, "training");
	cJSON_AddStringToObject(o, "kind", ci->opts->kind);
	a = cJSON_AddArrayToObject(o, "hidden");
	for (i = 0; i < ci->opts->nhidden && ci->opts->kind[0] == 'm'; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(ci->opts->hidden[i]));
	a = cJSON_AddArrayToObject(o, "excluded_features");
	for (i = 0; i < ci->train->nexclude; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(ci->train->exclude[i]));
	if (strcmp(ci->opts->kind, "trees") == 0)
		add_trees(o, ci);
	else
		add_adam(o, ci);
	cJSON_AddNumberToObject(o, "constant_features",
		ci->res->constant_features);
	if (ci->res->constant_mask)     /* named when there are some */
		a = cJSON_AddArrayToObject(o, "constant_feature_names");
	for (i = 0; i < ci->train->nfeat && ci->res->constant_mask; i++)
		if (ci->res->constant_mask & (uint64_t)1 << i)
			cJSON_AddItemToArray(a,
				cJSON_CreateString(ci->train->feature[i]));
	add_calibration(card, &ci->calib);
	add_metrics(card, "validation_metrics", &ci->val_model);
	o = cJSON_AddObjectToObject(card, "test_metrics");
	cJSON_AddNumberToObject(o, "rows", (double)ci->model.n);
	add_metrics(o, "model", &ci->model);
	/* the baselines of every report, their probabilities learnt from
	 * the training rows */
	a = cJSON_AddObjectToObject(o, "baselines_fitted_on_train");
	for (i = 0; i < CMT_BT_NBASE; i++)
		add_metrics(a, cmt_bt_base_key[i], &ci->base[i]);
	text = cJSON_Print(card);
	cJSON_Delete(card);
	return text;
}
