/* The model card cmt-train writes into a model: where the data came from,
 * how it was split and trained, and the held-out scores beside the naive
 * baselines.  Returns JSON text the caller frees, or NULL without memory. */
#ifndef CMT_TRAIN_CARD_H
#define CMT_TRAIN_CARD_H

#include "calib.h"
#include "cmt_metrics.h"
#include "cmt_train.h"

struct card_info {
	const char *command, *pipeline, *source;
	const struct cmt_train_opts *opts;
	const struct cmt_train_result *res;
	int64_t horizon_ms;
	const struct cmt_dataset *train, *val, *test;
	size_t skipped_unlabelled, skipped_flat, skipped_null, skipped_warmup,
	    skipped_partial;
	struct cmt_metrics model, val_model;
	struct cmt_metrics base[CMT_BT_NBASE];  /* fitted on train, on test */
	struct calib_info calib;
};

char *card_build(const struct card_info *ci);

#endif
