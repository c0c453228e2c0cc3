/* cmt-train's calibration step: the Platt scaling fitted on the validation
 * rows' margins and stored in the model, with the log-loss and ECE before
 * and after on validation and test for the card.  Prints and exits on
 * error, like the rest of cmd/. */
#ifndef CMT_TRAIN_CALIB_H
#define CMT_TRAIN_CALIB_H

#include "cmt_train.h"

struct calib_score {
	double logloss, ece;
};

struct calib_info {
	int done;
	double a, b;
	struct calib_score val_before, val_after, test_before, test_after;
};

void calibrate_model(struct cmt_model *m, const struct cmt_dataset *val,
	const struct cmt_dataset *test, struct calib_info *ci);

#endif
