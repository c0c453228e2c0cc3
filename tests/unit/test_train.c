/* Unit tests for training: backprop against finite differences, learning a
 * separable set, not learning shuffled labels, time splits, baselines,
 * determinism and the train -> save -> load -> predict round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmt_test.h"
#include "cmt_train.h"

#define FS "test;step=1m"

/* A small deterministic generator, independent of the trainer's. */
static uint64_t lcg_state;

static double
uniform(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg_state >> 11) / 9007199254740992.0;
}

/* n rows one minute apart; y = [x0 - 0.5 x2 + 0.3 x6 > 0], or a coin flip
 * when shuffled.  Features are scaled differently to exercise
 * standardisation. */
static void
make_set(struct cmt_dataset *d, size_t n, int shuffled, uint64_t seed)
{
	static const double scale[CMT_FEAT_BASE] = { 1e-3, 2e-3, 5e-3, 1e-2, 1e-4,
		2e-4, 30, 1e-5, 0.5, 1e-3, 2 };
	size_t i;
	int j;

	cmt_dataset_init(d);
	d->nfeat = d->ninput = CMT_FEAT_BASE;
	strcpy(d->fs, FS);
	for (j = 0; j < CMT_FEAT_BASE; j++)
		snprintf(d->feature[j], sizeof d->feature[j], "f%d", j);
	lcg_state = seed;
	d->x = malloc(n * CMT_FEAT_BASE * sizeof *d->x);
	d->y = malloc(n * sizeof *d->y);
	d->t = malloc(n * sizeof *d->t);
	for (i = 0; i < n; i++) {
		double *x = d->x + i * CMT_FEAT_BASE, u[CMT_FEAT_BASE];

		for (j = 0; j < CMT_FEAT_BASE; j++) {
			u[j] = 2 * uniform() - 1;
			x[j] = u[j] * scale[j] + (j == 6 ? 50 : 0);
		}
		d->y[i] = shuffled ? uniform() < 0.5 :
		    u[0] - 0.5 * u[2] + 0.3 * u[6] > 0;
		d->t[i] = 1700000000000LL + (int64_t)i * 60000;
	}
	d->n = d->cap = n;
}

static void
backprop_matches_finite_differences(void **state)
{
	int width[] = { CMT_FEAT_BASE, 6, 4, 1 }, y[8];
	double z[8 * CMT_FEAT_BASE], *grad, loss_hi, loss_lo, num, save;
	struct cmt_model *m;
	char err[CMT_ERRLEN];
	size_t k, i;

	assert_int_equal(cmt_model_create("mlp", width, 4, &m, err), CMT_OK);
	lcg_state = 42;
	for (k = 0; k < m->nparams; k++)
		m->params[k] = uniform() - 0.5;
	for (i = 0; i < 8 * CMT_FEAT_BASE; i++)
		z[i] = 4 * uniform() - 2;
	for (i = 0; i < 8; i++)
		y[i] = (int)(i % 3 == 0);
	grad = malloc(m->nparams * sizeof *grad);
	cmt_train_loss_grad(m, z, y, 8, 0.01, grad);
	for (k = 0; k < m->nparams; k++) {
		save = m->params[k];
		m->params[k] = save + 1e-6;
		loss_hi = cmt_train_loss_grad(m, z, y, 8, 0.01, NULL);
		m->params[k] = save - 1e-6;
		loss_lo = cmt_train_loss_grad(m, z, y, 8, 0.01, NULL);
		m->params[k] = save;
		num = (loss_hi - loss_lo) / 2e-6;
		if (fabs(num - grad[k]) > 1e-6 + 1e-4 * fabs(num))
			fail_msg("parameter %zu: backprop %.9g, numeric %.9g", k,
				grad[k], num);
	}
	free(grad);
	cmt_model_free(m);
}

static void
logreg_gradient_matches_finite_differences(void **state)
{
	int width[] = { CMT_FEAT_BASE, 1 }, y[5] = { 1, 0, 0, 1, 1 };
	double z[5 * CMT_FEAT_BASE], grad[CMT_FEAT_BASE + 1], hi, lo, save;
	struct cmt_model *m;
	char err[CMT_ERRLEN];
	size_t k;

	assert_int_equal(cmt_model_create("logreg", width, 2, &m, err), CMT_OK);
	lcg_state = 7;
	for (k = 0; k < m->nparams; k++)
		m->params[k] = uniform() - 0.5;
	for (k = 0; k < 5 * CMT_FEAT_BASE; k++)
		z[k] = 2 * uniform() - 1;
	cmt_train_loss_grad(m, z, y, 5, 0, grad);
	for (k = 0; k < m->nparams; k++) {
		save = m->params[k];
		m->params[k] = save + 1e-6;
		hi = cmt_train_loss_grad(m, z, y, 5, 0, NULL);
		m->params[k] = save - 1e-6;
		lo = cmt_train_loss_grad(m, z, y, 5, 0, NULL);
		m->params[k] = save;
		assert_close(grad[k], (hi - lo) / 2e-6, 1e-7);
	}
	cmt_model_free(m);
}

static struct cmt_model *
fit(const char *kind, struct cmt_dataset *all, struct cmt_metrics *test_m,
	uint64_t seed)
{
	struct cmt_dataset rest, train, val, test;
	struct cmt_train_opts o;
	struct cmt_train_result res;
	struct cmt_model *m;
	char err[CMT_ERRLEN];

	cmt_train_defaults(&o);
	o.kind = kind;
	o.seed = seed;
	o.max_epochs = 30;
	o.lr = 0.01;  /* small sets: fewer steps per epoch */
	assert_int_equal(cmt_dataset_split(all,
		cmt_dataset_time_quantile(all, 0.2), &rest, &test, err), CMT_OK);
	assert_int_equal(cmt_dataset_split(&rest,
		cmt_dataset_time_quantile(&rest, 0.2), &train, &val, err), CMT_OK);
	if (cmt_train_fit(&o, &train, &val, NULL, NULL, &m, &res, err))
		fail_msg("fit: %s", err);
	assert_true(res.best_epoch >= 1 && res.best_epoch <= res.epochs_run);
	assert_int_equal(cmt_train_evaluate(m, &test, test_m, err), CMT_OK);
	cmt_dataset_free(&rest);
	cmt_dataset_free(&train);
	cmt_dataset_free(&val);
	cmt_dataset_free(&test);
	return m;
}

static void
mlp_learns_a_separable_set(void **state)
{
	struct cmt_dataset d;
	struct cmt_metrics tm;
	struct cmt_model *m;

	make_set(&d, 6000, 0, 1);
	m = fit("mlp", &d, &tm, 1);
	assert_true(tm.accuracy > 0.95);
	assert_true(tm.auc > 0.98);
	assert_true(tm.logloss < 0.2);
	cmt_model_free(m);
	cmt_dataset_free(&d);
}

static void
logreg_learns_a_separable_set(void **state)
{
	struct cmt_dataset d;
	struct cmt_metrics tm;
	struct cmt_model *m;

	make_set(&d, 6000, 0, 2);
	m = fit("logreg", &d, &tm, 1);
	assert_true(tm.accuracy > 0.95);
	assert_int_equal(m->nlayers, 1);
	cmt_model_free(m);
	cmt_dataset_free(&d);
}

static void
shuffled_labels_stay_near_a_coin_flip(void **state)
{
	struct cmt_dataset d;
	struct cmt_metrics tm;
	struct cmt_model *m;

	make_set(&d, 6000, 1, 3);
	m = fit("mlp", &d, &tm, 1);
	/* 1200 test rows: a coin flip's sd is 1.4 points */
	assert_true(tm.accuracy > 0.44 && tm.accuracy < 0.56);
	assert_true(tm.auc > 0.44 && tm.auc < 0.56);
	assert_true(tm.logloss > 0.68);
	cmt_model_free(m);
	cmt_dataset_free(&d);
}

static void
same_seed_gives_the_same_model_and_another_seed_does_not(void **state)
{
	struct cmt_dataset d;
	struct cmt_metrics tm;
	struct cmt_model *a, *b, *c;

	make_set(&d, 2000, 0, 4);
	a = fit("mlp", &d, &tm, 5);
	b = fit("mlp", &d, &tm, 5);
	c = fit("mlp", &d, &tm, 6);
	assert_memory_equal(a->params, b->params, a->nparams * sizeof(double));
	assert_memory_not_equal(a->params, c->params,
		a->nparams * sizeof(double));
	cmt_model_free(a);
	cmt_model_free(b);
	cmt_model_free(c);
	cmt_dataset_free(&d);
}

static void
train_save_load_predict_gives_identical_probabilities(void **state)
{
	char path[] = "/tmp/cmt-test-train-XXXXXX", err[CMT_ERRLEN];
	struct cmt_dataset d;
	struct cmt_metrics tm;
	struct cmt_model *m, *back;
	size_t i;
	int fd;

	make_set(&d, 3000, 0, 5);
	m = fit("mlp", &d, &tm, 1);
	m->card = strdup("{}");
	m->horizon_ms = 60000;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cmt_model_save(m, path, err), CMT_OK);
	if (cmt_model_load(path, &back, err))
		fail_msg("load: %s", err);
	unlink(path);
	for (i = 0; i < d.n; i++)
		if (cmt_model_predict(m, d.x + i * CMT_FEAT_BASE) !=
		    cmt_model_predict(back, d.x + i * CMT_FEAT_BASE))
			fail_msg("row %zu differs after the round trip", i);
	assert_string_equal(back->fs, FS);
	cmt_model_free(m);
	cmt_model_free(back);
	cmt_dataset_free(&d);
}

static void
time_split_puts_every_later_row_after_the_cut(void **state)
{
	struct cmt_dataset d, before, after;
	char err[CMT_ERRLEN];
	int64_t cut;
	size_t i;

	make_set(&d, 1000, 0, 6);
	/* interleave a second symbol at the same times, out of order */
	d.t[10] = d.t[990];
	cut = cmt_dataset_time_quantile(&d, 0.25);
	/* sorted, row 10's time comes twice, so rank 750 is row 751 */
	assert_int_equal(cut, d.t[751]);
	assert_int_equal(cmt_dataset_split(&d, cut, &before, &after, err),
		CMT_OK);
	assert_int_equal(before.n + after.n, 1000);
	assert_int_equal(after.n, 250);   /* rows 751..999 and row 10 */
	for (i = 0; i < before.n; i++)
		assert_true(before.t[i] < cut);
	for (i = 0; i < after.n; i++)
		assert_true(after.t[i] >= cut);
	assert_int_equal(after.t[0], d.t[10]);  /* input order is kept */
	cmt_dataset_free(&d);
	cmt_dataset_free(&before);
	cmt_dataset_free(&after);
}

static void
rows_without_a_usable_label_or_features_are_counted_not_added(void **state)
{
	struct cmt_dataset d;
	struct cmt_fvec v;
	char err[CMT_ERRLEN];
	int i;

	cmt_dataset_init(&d);
	memset(&v, 0, sizeof v);
	v.nfeat = CMT_FEAT_BASE;
	v.fs.s = FS;
	v.fs.len = strlen(FS);
	for (i = 0; i < CMT_FEAT_BASE; i++) {
		v.name[i].s = "f";
		v.name[i].len = 1;
		v.x[i] = i;
	}
	v.has_y = 1;
	v.y = 1;
	assert_int_equal(cmt_dataset_add(&d, &v, err), CMT_OK);
	v.y = -1;
	assert_int_equal(cmt_dataset_add(&d, &v, err), CMT_ESKIP);
	v.y = 0;
	v.x[3] = NAN;
	v.nnull = 1;
	assert_int_equal(cmt_dataset_add(&d, &v, err), CMT_ESKIP);
	v.x[3] = 3;
	v.nnull = 0;
	v.partial = 1;
	assert_int_equal(cmt_dataset_add(&d, &v, err), CMT_ESKIP);
	v.partial = 0;
	v.has_y = 0;
	assert_int_equal(cmt_dataset_add(&d, &v, err), CMT_ESKIP);
	v.has_y = 1;
	v.fs.len = 4;
	assert_int_equal(cmt_dataset_add(&d, &v, err), CMT_EMISMATCH);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.skipped_flat, 1);
	assert_int_equal(d.skipped_null, 1);
	assert_int_equal(d.skipped_unlabelled, 1);
	assert_int_equal(d.skipped_partial, 1);
	assert_string_equal(d.fs, FS);
	cmt_dataset_free(&d);
}

/* Rows from a source without volume: the last feature is always null. */
static void
add_rows_without_f10(struct cmt_dataset *d, size_t n)
{
	static const char *names[CMT_FEAT_BASE] = { "f0", "f1", "f2", "f3", "f4",
		"f5", "f6", "f7", "f8", "f9", "f10" };
	struct cmt_fvec v;
	char err[CMT_ERRLEN];
	size_t i;
	int j;

	memset(&v, 0, sizeof v);
	v.nfeat = CMT_FEAT_BASE;
	v.fs.s = FS;
	v.fs.len = strlen(FS);
	v.has_y = 1;
	lcg_state = 7;
	for (i = 0; i < n; i++) {
		for (j = 0; j < CMT_FEAT_BASE; j++) {
			v.name[j].s = names[j];
			v.name[j].len = strlen(names[j]);
			v.x[j] = 2 * uniform() - 1;
		}
		v.x[10] = NAN;
		v.nnull = 1;
		v.y = v.x[0] - 0.5 * v.x[2] > 0;
		v.t = 1700000000000LL + (int64_t)i * 60000;
		if (cmt_dataset_add(d, &v, err) == CMT_EMISMATCH)
			fail_msg("%s", err);
	}
}

static void
an_excluded_feature_is_left_out_of_rows_and_model(void **state)
{
	struct cmt_dataset all, tr, va, bad;
	struct cmt_train_opts o;
	struct cmt_train_result res;
	struct cmt_model *m;
	char err[CMT_ERRLEN];
	double x[CMT_FEAT_BASE] = { 0.5, 0, -0.2, 0, 0, 0, 0, 0, 0, 0, NAN }, p;

	/* without the exclusion every row has a null feature */
	cmt_dataset_init(&all);
	add_rows_without_f10(&all, 100);
	assert_int_equal(all.n, 0);
	assert_int_equal(all.skipped_null, 100);
	cmt_dataset_free(&all);

	cmt_dataset_init(&all);
	assert_int_equal(cmt_dataset_exclude(&all, "f10", err), CMT_OK);
	add_rows_without_f10(&all, 3000);
	assert_int_equal(all.n, 3000);
	assert_int_equal(all.ninput, 10);
	assert_int_equal(all.input[9], 9);
	assert_int_equal(cmt_dataset_split(&all,
		cmt_dataset_time_quantile(&all, 0.2), &tr, &va, err), CMT_OK);
	cmt_train_defaults(&o);
	o.kind = "logreg";
	o.max_epochs = 30;
	assert_int_equal(cmt_train_fit(&o, &tr, &va, NULL, NULL, &m, &res, err),
		CMT_OK);
	assert_int_equal(m->ninput, 10);
	assert_int_equal(m->layer[0].in, 10);
	assert_string_equal(m->feature[10], "f10");
	assert_true(cmt_model_can_score(m, x));
	p = cmt_model_predict(m, x);
	assert_true(p > 0.5 && p < 1);
	x[10] = 1e9;   /* not an input: never read */
	assert_true(cmt_model_predict(m, x) == p);
	x[2] = NAN;
	assert_false(cmt_model_can_score(m, x));
	cmt_model_free(m);
	cmt_dataset_free(&all);
	cmt_dataset_free(&tr);
	cmt_dataset_free(&va);

	/* excluding a feature the rows do not have is refused */
	cmt_dataset_init(&bad);
	assert_int_equal(cmt_dataset_exclude(&bad, "volume", err), CMT_OK);
	memset(x, 0, sizeof x);
	{
		struct cmt_fvec v;
		int j;

		memset(&v, 0, sizeof v);
		v.nfeat = CMT_FEAT_BASE;
	v.nfeat = CMT_FEAT_BASE;
		v.fs.s = FS;
		v.fs.len = strlen(FS);
		v.has_y = 1;
		for (j = 0; j < CMT_FEAT_BASE; j++) {
			v.name[j].s = "f";
			v.name[j].len = 1;
		}
		assert_int_equal(cmt_dataset_add(&bad, &v, err), CMT_EMISMATCH);
		assert_non_null(strstr(err, "volume"));
	}
	cmt_dataset_free(&bad);
}

/* The card's baselines are the reports' (cmt_bt_baselines_score), fitted
 * on the training rows' shortest return (the first feature) and scored
 * on the test rows'. */
static void
baselines_are_fitted_on_train_and_scored_on_test(void **state)
{
	struct cmt_dataset tr, te;
	struct cmt_metrics got[CMT_BT_NBASE], want[CMT_BT_NBASE];
	char err[CMT_ERRLEN];
	/* train: ret > 0 -> up 3 of 4; ret < 0 -> up 1 of 4; base 1/2 */
	static const double trx[] = { 1, 1, 1, 1, -1, -1, -1, -1 };
	static const int try[] = { 1, 1, 1, 0, 1, 0, 0, 0 };
	static const double tex[] = { 2, -2, 3, -3 };
	static const int tey[] = { 1, 1, 0, 0 };
	size_t i;
	int k;

	make_set(&tr, 8, 0, 7);
	make_set(&te, 4, 0, 8);
	for (i = 0; i < 8; i++) {
		tr.x[i * CMT_FEAT_BASE] = trx[i];
		tr.y[i] = try[i];
	}
	for (i = 0; i < 4; i++) {
		te.x[i * CMT_FEAT_BASE] = tex[i];
		te.y[i] = tey[i];
	}
	assert_int_equal(cmt_train_baselines(&tr, &te, got, err), CMT_OK);
	assert_int_equal(cmt_bt_baselines_score(trx, try, 8, tex, tey, 4, want,
		err), CMT_OK);
	for (k = 0; k < CMT_BT_NBASE; k++) {
		assert_true(got[k].accuracy == want[k].accuracy);
		assert_true(got[k].logloss == want[k].logloss);
		assert_true(got[k].auc == want[k].auc);
	}
	/* the sign rules call up, down, up, down and down, up, down, up
	 * against 1, 1, 0, 0: 2 of 4 right each */
	assert_close(got[CMT_BT_LAST_RETURN].accuracy, 0.5, 1e-12);
	assert_close(got[CMT_BT_REVERSAL].accuracy, 0.5, 1e-12);
	assert_close(got[CMT_BT_MAJORITY].auc, 0.5, 1e-12);
	cmt_dataset_free(&tr);
	cmt_dataset_free(&te);
}

/* Rows of a set with 38 features (a wider cmt1 set): the dataset keeps
 * all of them per row, trains on those not excluded, and a row is
 * skipped only for a null among those. */
static void
a_wider_set_trains_on_the_features_it_carries(void **state)
{
	static char names[38][16];
	struct cmt_dataset all, tr, va;
	struct cmt_train_opts o;
	struct cmt_train_result res;
	struct cmt_metrics met;
	struct cmt_model *m;
	struct cmt_fvec v;
	char err[CMT_ERRLEN];
	size_t i;
	int j, pass;

	for (pass = 0; pass < 2; pass++) {
		cmt_dataset_init(&all);
		if (pass)
			assert_int_equal(cmt_dataset_exclude(&all, "w28", err), CMT_OK);
		memset(&v, 0, sizeof v);
		v.nfeat = 38;
		v.fs.s = "wide;step=1m";
		v.fs.len = strlen(v.fs.s);
		v.has_y = 1;
		lcg_state = 11;
		for (i = 0; i < 4000; i++) {
			for (j = 0; j < 38; j++) {
				snprintf(names[j], sizeof names[j], "w%d", j);
				v.name[j].s = names[j];
				v.name[j].len = strlen(names[j]);
				v.x[j] = 2 * uniform() - 1;
			}
			/* feature 30 decides; feature 28 null in the first half */
			v.y = v.x[30] > 0;
			v.x[28] = i < 2000 ? NAN : v.x[28];
			v.t = 1700000000000LL + (int64_t)i * 60000;
			if (cmt_dataset_add(&all, &v, err) == CMT_EMISMATCH)
				fail_msg("%s", err);
		}
		assert_int_equal(all.nfeat, 38);
		assert_int_equal(all.n, pass ? 4000 : 2000);
		assert_int_equal(all.skipped_null, pass ? 0 : 2000);
		assert_int_equal(all.ninput, pass ? 37 : 38);
		assert_int_equal(cmt_dataset_split(&all,
			cmt_dataset_time_quantile(&all, 0.25), &tr, &va, err), CMT_OK);
		assert_int_equal(tr.nfeat, 38);
		cmt_train_defaults(&o);
		o.kind = "logreg";
		o.max_epochs = 30;
		o.lr = 0.01;   /* small sets: fewer steps per epoch */
		assert_int_equal(cmt_train_fit(&o, &tr, &va, NULL, NULL, &m, &res,
			err), CMT_OK);
		assert_int_equal(m->nfeature, 38);
		assert_int_equal(m->ninput, pass ? 37 : 38);
		assert_string_equal(m->feature[37], "w37");
		assert_int_equal(cmt_train_evaluate(m, &va, &met, err), CMT_OK);
		if (!(met.auc > 0.95))
			fail_msg("pass %d: AUC %g", pass, met.auc);
		cmt_model_free(m);
		cmt_dataset_free(&all);
		cmt_dataset_free(&tr);
		cmt_dataset_free(&va);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backprop_matches_finite_differences),
		cmocka_unit_test(logreg_gradient_matches_finite_differences),
		cmocka_unit_test(mlp_learns_a_separable_set),
		cmocka_unit_test(logreg_learns_a_separable_set),
		cmocka_unit_test(shuffled_labels_stay_near_a_coin_flip),
		cmocka_unit_test(
			same_seed_gives_the_same_model_and_another_seed_does_not),
		cmocka_unit_test(
			train_save_load_predict_gives_identical_probabilities),
		cmocka_unit_test(time_split_puts_every_later_row_after_the_cut),
		cmocka_unit_test(
			rows_without_a_usable_label_or_features_are_counted_not_added),
		cmocka_unit_test(baselines_are_fitted_on_train_and_scored_on_test),
		cmocka_unit_test(an_excluded_feature_is_left_out_of_rows_and_model),
		cmocka_unit_test(a_wider_set_trains_on_the_features_it_carries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
