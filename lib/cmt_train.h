/* Training forecast models from labelled feature vectors: a growable data
 * set, strict time splits, standardisation, mini-batch Adam with L2 and
 * early stopping for "mlp" and "logreg", and the naive baselines a model
 * must be compared with.  Data sets own their arrays (cmt_dataset_free);
 * a trained model belongs to the caller (cmt_model_free).  Deterministic
 * for a given seed: the random state lives in the options' seed only. */
#ifndef CMT_TRAIN_H
#define CMT_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cmt_backtest.h"
#include "cmt_err.h"
#include "cmt_fvec.h"
#include "cmt_metrics.h"
#include "cmt_model.h"

struct cmt_dataset {
	size_t n, cap;
	int nfeat;          /* features per row: the set's, from the first row */
	double *x;          /* n rows of nfeat raw features */
	int *y;             /* 1 up, 0 down */
	int64_t *t;         /* grid time of each row, ms */
	char fs[CMT_MODEL_FS_MAX];
	char feature[CMT_FEAT_N][CMT_MODEL_FEATNAME_MAX];
	/* features left out of the model (cmt_dataset_exclude), and the
	 * positions of those it uses, fixed by the first row (all until then) */
	char exclude[CMT_FEAT_N][CMT_MODEL_FEATNAME_MAX];
	int nexclude;
	int ninput, input[CMT_FEAT_N];
	/* inputs that may be null (trees; cmt_dataset_nullable), by name and,
	 * once the first row fixed the names, by position in feature[] */
	char nullable_name[CMT_FEAT_N][CMT_MODEL_FEATNAME_MAX];
	int nnullable;
	unsigned char nullable[CMT_FEAT_N];
	/* rows refused by cmt_dataset_add, by reason */
	size_t skipped_unlabelled, skipped_flat, skipped_null, skipped_warmup,
	    skipped_partial;
};

void cmt_dataset_init(struct cmt_dataset *d);
void cmt_dataset_free(struct cmt_dataset *d);

/* Row r's features: rows lie nfeat apart (the set's width, not
 * CMT_FEAT_N), and this is the one place every trainer takes that from. */
static inline double *
cmt_dataset_row(const struct cmt_dataset *d, size_t r)
{
	return d->x + r * (size_t)d->nfeat;
}

/* Leave the feature called name out of the model (before the first row;
 * the first row must have it, else cmt_dataset_add fails with
 * CMT_EMISMATCH).  A null value of an excluded feature does not skip a
 * row.  CMT_ELIMIT when every feature would be excluded. */
enum cmt_err cmt_dataset_exclude(struct cmt_dataset *d, const char *name,
	char *err);

/* Let the feature called name be null in rows (before the first row,
 * which must have it among the inputs): for trees, which learn where a
 * missing value goes.  A warm-up row whose null features are all of these
 * is kept too. */
enum cmt_err cmt_dataset_nullable(struct cmt_dataset *d, const char *name,
	char *err);

/* Add a decoded vector.  Rows without "y", with y null (flat), with a
 * null feature among those used (but nullable ones), marked warm-up (but
 * as said above) or partial are counted and return CMT_ESKIP.  The first row fixes the feature set and the
 * inputs; another set is CMT_EMISMATCH. */
enum cmt_err cmt_dataset_add(struct cmt_dataset *d, const struct cmt_fvec *v,
	char *err);

/* The time t such that a share frac of the rows have time >= t (frac in
 * (0, 1); rows are not reordered). */
int64_t cmt_dataset_time_quantile(const struct cmt_dataset *d, double frac);

/* Copy rows with t < cutoff into *before and the others into *after (both
 * initialised by the call, keeping input order). */
enum cmt_err cmt_dataset_split(const struct cmt_dataset *d, int64_t cutoff,
	struct cmt_dataset *before, struct cmt_dataset *after, char *err);

struct cmt_train_opts {
	const char *kind;       /* "mlp", "logreg" or "trees" */
	int hidden[CMT_MODEL_MAX_LAYERS - 1];
	int nhidden;            /* mlp: hidden widths, e.g. 32,16,8 */
	int max_epochs;
	int patience;           /* epochs without validation gain to stop */
	int batch;
	double lr, l2;          /* Adam step size; L2 weight on weights */
	uint64_t seed;
	/* trees (train/xgb.h): max_epochs is the most rounds, lr the step
	 * (eta), l2 XGBoost's lambda on leaf weights */
	int depth;              /* tree depth */
	double min_child;       /* least hessian sum in a leaf */
	/* set by a signal: training ends within one mini-batch, with no
	 * model (CMT_EIO); NULL: never */
	volatile sig_atomic_t *stop;
};

/* The defaults for trees: depth 4, 2000 rounds, patience 50, eta 0.05,
 * lambda 1, min_child 100, seed 1. */
void cmt_train_defaults_trees(struct cmt_train_opts *o);

/* The defaults: mlp 32,16,8, 60 epochs, patience 6, batch 256, lr 1e-3,
 * l2 1e-4, seed 1. */
void cmt_train_defaults(struct cmt_train_opts *o);

struct cmt_train_epoch {
	int epoch;              /* 1-based */
	double train_loss;      /* mean log-loss plus L2 term over the epoch */
	double val_loss;        /* validation log-loss after the epoch */
	int best;               /* the best epoch so far */
};

typedef void (*cmt_train_progress)(const struct cmt_train_epoch *e,
	void *ctx);

#define CMT_TRAIN_CONST_REL 1e-9

struct cmt_train_result {
	int epochs_run, best_epoch;
	double best_val_loss;
	/* Features with no spread (std set to 1, so they feed a constant 0):
	 * sd at most CMT_TRAIN_CONST_REL times |mean| (round-off of a
	 * constant gives 1e-17-ish, not 0) or zero.  Bit j: feature j. */
	int constant_features;
	uint64_t constant_mask;
};

/* Fit a model on train's inputs, stopping early on val's log-loss and
 * keeping the best epoch's weights.  Standardisation statistics come from
 * train only.
 * progress (may be NULL) is called after each epoch. */
enum cmt_err cmt_train_fit(const struct cmt_train_opts *o,
	const struct cmt_dataset *train, const struct cmt_dataset *val,
	cmt_train_progress progress, void *ctx, struct cmt_model **out,
	struct cmt_train_result *res, char *err);

/* Mean log-loss over n standardised rows z (m->ninput values each) plus
 * l2/2 * sum of squared
 * weights (biases excluded); writes its gradient with respect to
 * m->params into grad (nparams doubles) when grad is not NULL. */
double cmt_train_loss_grad(const struct cmt_model *m, const double *z,
	const int *y, size_t n, double l2, double *grad);

/* Score m on d (p from cmt_model_predict, as cmt-predict computes it). */
enum cmt_err cmt_train_evaluate(struct cmt_model *m,
	const struct cmt_dataset *d, struct cmt_metrics *out, char *err);

/* The baselines of every report (cmt_bt_baselines_score: majority,
 * last return, reversal, in that order, CMT_BT_NBASE of them) on test,
 * fitted on train only: the probabilities learnt from the training rows'
 * up-shares, overall and by the sign of the first feature (the shortest
 * return). */
enum cmt_err cmt_train_baselines(const struct cmt_dataset *train,
	const struct cmt_dataset *test, struct cmt_metrics out[], char *err);

#endif
