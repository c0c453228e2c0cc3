/* Gradient-boosted trees for cmt-train, trained by XGBoost through its C
 * API and converted into cmt's "trees" model (which cmt-predict evaluates
 * in plain C): the rows of a data set as an XGBoost matrix (null features
 * are XGBoost's missing values), boosting with early stopping on the
 * validation rows' log-loss, and the conversion of a booster's first
 * trees.  Only cmt-train links XGBoost.  The caller owns the models and
 * the booster it asks for (xgb_free). */
#ifndef CMT_TRAIN_XGB_H
#define CMT_TRAIN_XGB_H

#include "cmt_train.h"

/* Boost on train's inputs, one tree per round, up to o->max_epochs rounds
 * (depth o->depth, step o->lr, L2 o->l2 on leaf weights, minimum hessian
 * per leaf o->min_child, seed o->seed, one thread so that a seed gives
 * the same trees anywhere); stop after o->patience rounds without a lower
 * validation log-loss and keep the best round's trees.  progress (may be
 * NULL) is called every 25 rounds and at the end, epoch = round.  The
 * inputs flagged in train->nullable may be null in the rows and are
 * marked nullable in the model.  With booster not NULL, *booster is
 * XGBoost's own model cut to the same trees (for tests). */
enum cmt_err xgb_fit(const struct cmt_train_opts *o,
	const struct cmt_dataset *train, const struct cmt_dataset *val,
	cmt_train_progress progress, void *ctx, struct cmt_model **out,
	struct cmt_train_result *res, void **booster, char *err);

/* The first ntrees trees of an XGBoost booster (binary:logistic, one tree
 * per round, numerical splits) as a cmt model reading d's inputs in
 * d's order, the booster's feature j being d's input j.  ntrees 0: all. */
enum cmt_err xgb_to_model(void *booster, int ntrees,
	const struct cmt_dataset *d, struct cmt_model **out, char *err);

/* XGBoost's own probabilities for n rows of d's layout (CMT_FEAT_N values
 * each, NAN for null), into p; for tests. */
enum cmt_err xgb_predict(void *booster, const struct cmt_dataset *d,
	double *p, char *err);

void xgb_free(void *booster);

#endif
