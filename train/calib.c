/* Fit the Platt scaling on the validation rows and score it.  See
 * calib.h. */
#include <stdlib.h>

#include "calib.h"
#include "cli.h"
#include "cmt_backtest.h"
#include "cmt_calibrate.h"

/* Log-loss and ECE of m's probabilities on d, as they are now. */
static struct calib_score
score(struct cmt_model *m, const struct cmt_dataset *d)
{
	struct cmt_bt_bin tab[CMT_BT_BINS];
	struct calib_score s;
	double *p = malloc((d->n ? d->n : 1) * sizeof *p);
	size_t r;

	if (!p)
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	for (r = 0; r < d->n; r++)
		p[r] = cmt_model_predict(m, cmt_dataset_row(d, r));
	s.logloss = cmt_metrics_logloss(p, d->y, d->n);
	s.ece = cmt_bt_calibration(p, d->y, d->n, tab);
	free(p);
	return s;
}

void
calibrate_model(struct cmt_model *m, const struct cmt_dataset *val,
	const struct cmt_dataset *test, struct calib_info *ci)
{
	char err[CMT_ERRLEN];
	double *z = malloc((val->n ? val->n : 1) * sizeof *z);
	size_t r;

	if (!z)
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	m->calibrated = 0;
	ci->val_before = score(m, val);
	ci->test_before = score(m, test);
	for (r = 0; r < val->n; r++)
		z[r] = cmt_model_margin(m, cmt_dataset_row(val, r));
	if (cmt_platt_fit(z, val->y, val->n, &ci->a, &ci->b, err))
		cmt_die(CMT_EXIT_FAIL, "%s (--no-calibration trains without)",
			err);
	free(z);
	m->calibrated = 1;
	m->cal_a = ci->a;
	m->cal_b = ci->b;
	ci->val_after = score(m, val);
	ci->test_after = score(m, test);
	ci->done = 1;
}
