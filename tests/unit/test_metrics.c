/* Unit tests for the forecast scores, against values worked out by hand
 * (and matching scikit-learn's roc_auc_score, log_loss, brier_score_loss). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "cmt_test.h"
#include "cmt_metrics.h"

static void
auc_matches_the_textbook_example(void **state)
{
	/* sklearn's roc_auc_score docs example: 3 of 4 pairs ordered */
	const double p[] = { 0.1, 0.4, 0.35, 0.8 };
	const int y[] = { 0, 0, 1, 1 };
	double scratch[8];

	assert_close(cmt_metrics_auc(p, y, 4, scratch), 0.75, 1e-12);
	assert_close(cmt_metrics_auc(p, y, 4, NULL), 0.75, 1e-12);
}

static void
auc_counts_ties_as_half_and_is_nan_for_one_class(void **state)
{
	const double flat[] = { 0.3, 0.3, 0.3, 0.3 };
	const double some[] = { 0.2, 0.5, 0.5, 0.9 };
	const int y[] = { 0, 1, 0, 1 };
	const int ones[] = { 1, 1, 1, 1 };

	assert_close(cmt_metrics_auc(flat, y, 4, NULL), 0.5, 1e-12);
	/* pairs (up,down): (0.5,0.2)=1 (0.5,0.5)=.5 (0.9,0.2)=1 (0.9,0.5)=1 */
	assert_close(cmt_metrics_auc(some, y, 4, NULL), 3.5 / 4, 1e-12);
	assert_true(isnan(cmt_metrics_auc(flat, ones, 4, NULL)));
	assert_true(isnan(cmt_metrics_auc(flat, y, 0, NULL)));
}

static void
perfectly_reversed_forecasts_have_auc_zero(void **state)
{
	const double p[] = { 0.9, 0.8, 0.2, 0.1 };
	const int y[] = { 0, 0, 1, 1 };

	assert_close(cmt_metrics_auc(p, y, 4, NULL), 0.0, 1e-12);
	assert_close(cmt_metrics_accuracy(p, y, 4), 0.0, 1e-12);
}

static void
log_loss_of_a_coin_flip_is_log_two(void **state)
{
	const double p[] = { 0.5, 0.5, 0.5 };
	const int y[] = { 1, 0, 1 };

	assert_close(cmt_metrics_logloss(p, y, 3), log(2.0), 1e-12);
	assert_close(cmt_metrics_brier(p, y, 3), 0.25, 1e-12);
}

static void
log_loss_clips_certain_misses_to_a_finite_cost(void **state)
{
	const double p[] = { 0.0, 1.0 };
	const int y[] = { 1, 0 };
	const double hit[] = { 1.0, 0.0 };

	/* -ln(1e-15) = 34.538776394910684 */
	assert_close(cmt_metrics_logloss(p, y, 2), 34.538776394910684,
		1e-6);
	assert_close(cmt_metrics_logloss(hit, y, 2), 0.0, 1e-12);
}

static void
scores_of_a_small_mixed_sample_match_hand_values(void **state)
{
	const double p[] = { 0.9, 0.3, 0.6, 0.2, 0.5 };
	const int y[] = { 1, 1, 0, 0, 1 };
	struct cmt_metrics m;
	double ll;

	cmt_metrics_compute(p, y, 5, NULL, &m);
	assert_int_equal(m.n, 5);
	assert_int_equal(m.n_up, 3);
	/* up if p >= 0.5: 1,0,1,0,1 vs 1,1,0,0,1 -> 3 right */
	assert_close(m.accuracy, 0.6, 1e-12);
	/* (0.01 + 0.49 + 0.36 + 0.04 + 0.25) / 5 */
	assert_close(m.brier, 1.15 / 5, 1e-12);
	ll = -(log(0.9) + log(0.3) + log(0.4) + log(0.8) + log(0.5)) / 5;
	assert_close(m.logloss, ll, 1e-12);
	/* up p {0.9,0.3,0.5} vs down {0.6,0.2}: 2 + 1 + 1 = 4 of 6 */
	assert_close(m.auc, 4.0 / 6, 1e-12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auc_matches_the_textbook_example),
		cmocka_unit_test(auc_counts_ties_as_half_and_is_nan_for_one_class),
		cmocka_unit_test(perfectly_reversed_forecasts_have_auc_zero),
		cmocka_unit_test(log_loss_of_a_coin_flip_is_log_two),
		cmocka_unit_test(log_loss_clips_certain_misses_to_a_finite_cost),
		cmocka_unit_test(scores_of_a_small_mixed_sample_match_hand_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
