/* Unit tests for boosted trees: the oracle is XGBoost itself.  Trees
 * trained through its C API, converted into cmt's model, written as text
 * and loaded back, must give XGBoost's own probabilities on the same rows
 * (null features included) to 1e-6; early stopping keeps the best round;
 * a seed gives the same file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_test.h"
#include "cmt_train.h"
#include "xgb.h"

static uint64_t lcg_state;

static double
uniform(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg_state >> 11) / 9007199254740992.0;
}

/* n rows one minute apart with a noisy nonlinear label; features 2 and 9
 * (nullable) are null in about a fifth of the rows, and the label depends
 * on whether feature 2 is null, so the missing branches matter.  Feature
 * 10 is left out of the inputs. */
static void
make_set(struct cmt_dataset *d, size_t n, uint64_t seed)
{
	size_t i;
	int j;

	cmt_dataset_init(d);
	strcpy(d->fs, "test;step=1m");
	for (j = 0; j < CMT_FEAT_BASE; j++)
		snprintf(d->feature[j], sizeof d->feature[j], "f%d", j);
	d->nfeat = CMT_FEAT_BASE;
	d->ninput = CMT_FEAT_BASE - 1;
	d->nullable[2] = d->nullable[9] = 1;
	lcg_state = seed;
	d->x = malloc(n * CMT_FEAT_BASE * sizeof *d->x);
	d->y = malloc(n * sizeof *d->y);
	d->t = malloc(n * sizeof *d->t);
	for (i = 0; i < n; i++) {
		double *x = d->x + i * CMT_FEAT_BASE, s;

		for (j = 0; j < CMT_FEAT_BASE; j++)
			x[j] = (2 * uniform() - 1) * (j == 6 ? 30 : 1e-3) +
			    (j == 6 ? 50 : 0);
		if (uniform() < 0.2)
			x[2] = NAN;
		if (uniform() < 0.2)
			x[9] = NAN;
		s = 800 * x[0] * (x[1] > 0 ? 1 : -1) + (isnan(x[2]) ? 0.7 : 0) +
		    (x[6] - 50) / 20 + uniform() - 0.5;
		d->y[i] = s > 0.3;
		d->t[i] = 1700000000000LL + (int64_t)i * 60000;
	}
	d->n = d->cap = n;
}

/* Write m as a model file and load it back, as cmt-predict would. */
static struct cmt_model *
through_file(struct cmt_model *m)
{
	struct cmt_model *back;
	char err[CMT_ERRLEN], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	strcpy(m->name, "t");
	m->horizon_ms = 60000;
	assert_int_equal(cmt_model_write(m, f, err), CMT_OK);
	fclose(f);
	if (cmt_model_parse(text, len, &back, err))
		fail_msg("the written model does not load: %s", err);
	free(text);
	return back;
}

static void
fit(struct cmt_dataset *train, struct cmt_dataset *val, int depth,
	int rounds, struct cmt_model **m, void **booster,
	struct cmt_train_result *res)
{
	struct cmt_train_opts o;
	char err[CMT_ERRLEN];

	cmt_train_defaults_trees(&o);
	o.depth = depth;
	o.max_epochs = rounds;
	o.patience = 20;
	o.lr = 0.3;
	o.min_child = 1;
	if (xgb_fit(&o, train, val, NULL, NULL, m, res, booster, err))
		fail_msg("%s", err);
}

/* The oracle at a depth: trees of that depth, through the model file,
 * against XGBoost on other rows; and the fixed-length walk (depth <= 8)
 * against the node-by-node walk, bit for bit. */
static void
oracle_at_depth(int depth)
{
	struct cmt_dataset train, val, other;
	struct cmt_train_result res;
	struct cmt_model *m, *back;
	void *booster;
	char err[CMT_ERRLEN];
	double *want, got, slow, worst = 0;
	size_t i, nnull = 0;
	int flat;

	make_set(&train, 4000, 1);
	make_set(&val, 1000, 2);
	make_set(&other, 3000, 3);
	fit(&train, &val, depth, 60, &m, &booster, &res);
	back = through_file(m);
	assert_int_equal(back->flat_depth, depth <= CMT_MODEL_FLAT_DEPTH ?
		depth : 0);
	assert_string_equal(back->kind, "trees");
	assert_int_equal(back->ntrees, res.best_epoch);
	assert_true(back->nullable[2] && back->nullable[9] &&
		!back->nullable[0]);
	want = malloc(other.n * sizeof *want);
	assert_int_equal(xgb_predict(booster, &other, want, err), CMT_OK);
	for (i = 0; i < other.n; i++) {
		const double *x = other.x + i * CMT_FEAT_BASE;

		nnull += isnan(x[2]) || isnan(x[9]);
		assert_true(cmt_model_can_score(back, x));
		got = cmt_model_predict(back, x);
		flat = back->flat_depth;
		back->flat_depth = 0;
		slow = cmt_model_predict(back, x);
		back->flat_depth = flat;
		if (memcmp(&got, &slow, sizeof got) != 0)
			fail_msg("row %zu: fast walk %a, node walk %a", i, got,
				slow);
		if (fabs(got - want[i]) > worst)
			worst = fabs(got - want[i]);
		if (!(fabs(got - want[i]) <= 1e-6))
			fail_msg("row %zu: cmt %.9g, XGBoost %.9g", i, got,
				want[i]);
	}
	/* the rows with null features took the learned branches */
	assert_true(nnull > 500);
	print_message("depth %d: %zu rows (%zu with nulls), %d trees: largest "
		"difference %.3g\n", depth, other.n, nnull, back->ntrees, worst);
	free(want);
	xgb_free(booster);
	cmt_model_free(m);
	cmt_model_free(back);
	cmt_dataset_free(&train);
	cmt_dataset_free(&val);
	cmt_dataset_free(&other);
}

static void
cmt_trees_give_xgboosts_own_probabilities(void **state)
{
	oracle_at_depth(1);
	oracle_at_depth(3);
	oracle_at_depth(6);
	oracle_at_depth(8);
	oracle_at_depth(11);      /* past the fast layout: the node walk */
}

/* Inputs that are not nullable must be present; nullable ones may not. */
static void
only_nullable_inputs_may_be_null(void **state)
{
	struct cmt_dataset train, val;
	struct cmt_train_result res;
	struct cmt_model *m;
	double x[CMT_FEAT_N];

	make_set(&train, 2000, 4);
	make_set(&val, 500, 5);
	fit(&train, &val, 3, 10, &m, NULL, &res);
	memcpy(x, train.x, CMT_FEAT_BASE * sizeof *x);
	x[2] = x[9] = NAN;
	x[10] = NAN;                /* not an input */
	assert_true(cmt_model_can_score(m, x));
	x[0] = NAN;
	assert_false(cmt_model_can_score(m, x));
	cmt_model_free(m);
	cmt_dataset_free(&train);
	cmt_dataset_free(&val);
}

/* The kept trees are those of the round with the lowest validation
 * log-loss, which XGBoost's own model cut there also gives. */
static void
early_stopping_keeps_the_best_round(void **state)
{
	struct cmt_dataset train, val;
	struct cmt_train_result res;
	struct cmt_model *m;
	void *booster;
	char err[CMT_ERRLEN];
	double *p, loss = 0;
	size_t i;

	make_set(&train, 3000, 6);
	make_set(&val, 1500, 7);
	fit(&train, &val, 8, 400, &m, &booster, &res);
	/* deep trees at a high rate overfit: it stops well before 400 */
	assert_true(res.epochs_run < 400);
	assert_int_equal(res.epochs_run, res.best_epoch + 20);
	assert_int_equal(m->ntrees, res.best_epoch);
	p = malloc(val.n * sizeof *p);
	assert_int_equal(xgb_predict(booster, &val, p, err), CMT_OK);
	for (i = 0; i < val.n; i++)
		loss -= log(val.y[i] ? p[i] : 1 - p[i]);
	assert_close(loss / (double)val.n, res.best_val_loss, 1e-6);
	free(p);
	xgb_free(booster);
	cmt_model_free(m);
	cmt_dataset_free(&train);
	cmt_dataset_free(&val);
}

static char *
written(struct cmt_model *m)
{
	char err[CMT_ERRLEN], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(cmt_model_write(m, f, err), CMT_OK);
	fclose(f);
	return text;
}

static void
the_same_seed_writes_the_same_trees(void **state)
{
	struct cmt_dataset train, val;
	struct cmt_train_result res;
	struct cmt_model *a, *b;
	char *ta, *tb;

	make_set(&train, 3000, 8);
	make_set(&val, 1000, 9);
	fit(&train, &val, 5, 50, &a, NULL, &res);
	fit(&train, &val, 5, 50, &b, NULL, &res);
	ta = written(a);
	tb = written(b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	cmt_model_free(a);
	cmt_model_free(b);
	cmt_dataset_free(&train);
	cmt_dataset_free(&val);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cmt_trees_give_xgboosts_own_probabilities),
		cmocka_unit_test(only_nullable_inputs_may_be_null),
		cmocka_unit_test(early_stopping_keeps_the_best_round),
		cmocka_unit_test(the_same_seed_writes_the_same_trees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
