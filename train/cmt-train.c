/* cmt-train: fit an mlp, logreg or boosted-trees model on labelled feature
 * vectors, calibrate it on the validation rows and write it with its card. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib.h"
#include "card.h"
#include "input.h"
#include "sanity.h"
#include "xgb.h"
#include "cli.h"
#include "cmt_calibrate.h"
#include "cmt_line.h"
#include "cmt_parse.h"

#define OPTSTRING "o:k:n:x:qh"  /* getopt's, for cmt_bad_option too */

static void
usage(void)
{
	printf("Usage: cmt-train -o MODEL.json [OPTION]... [FILE]...\n"
		"Train a model on labelled feature vectors (cmt-features --label)"
		" from FILEs\nor stdin; split by time into train, validation and"
		" test (the latest rows).\n\n"
		"  -o, --output FILE     write the model here ('-' for stdout)\n"
		"  -k, --kind KIND       mlp (default), logreg or trees (gradient-"
		"boosted trees,\n"
		"                        trained by XGBoost)\n"
		"      --hidden N,N,...  mlp hidden widths (default 32,16,8)\n"
		"      --depth N         trees: depth of each tree (4)\n"
		"      --min-child X     trees: least hessian sum in a leaf (100)\n"
		"      --nullable NAMES  trees: these inputs may be null; rows where"
		" they are\n"
		"                        are kept and the trees learn where a null"
		" goes\n"
		"  -x, --exclude NAMES   leave these features out of the model,"
		" e.g. vol_trend\n"
		"                        (rows where they are null are then"
		" kept)\n"
		"  -n, --name NAME       model name (default: FILE's base name)\n"
		"      --horizon D       the --label horizon the rows carry"
		" (default 60s)\n"
		"      --test FILE       labelled rows to test on, instead of"
		" the latest rows\n"
		"      --test-from TIME  test on rows at or after TIME\n"
		"      --test-frac F     test on the latest share F (default"
		" 0.15)\n"
		"      --val-frac F      validate on the latest share F of the"
		" rest (0.15)\n"
		"      --epochs N        at most N epochs (60; trees: rounds,"
		" 2000)\n"
		"      --patience N      stop after N epochs without validation"
		" gain (6; trees 50)\n"
		"      --batch N         mini-batch size (256)\n"
		"      --lr X            Adam step size (0.001; trees: eta,"
		" 0.05)\n"
		"      --l2 X            L2 penalty on weights (0.0001; trees:"
		" lambda, 1)\n"
		"      --no-calibration  do not fit the Platt scaling on the"
		" validation rows\n"
		"      --seed N          random seed (1); same seed, same model\n"
		"      --source TEXT     model card: where the data came from\n"
		"      --pipeline TEXT   model card: the commands that made the"
		" rows\n"
		"      --csv             input is CSV (otherwise sniffed)\n"
		"  -q, --quiet           no per-epoch lines\n"
		"  -h, --help            show this help and exit\n"
		"      --version         show the version and exit\n");
}

struct progress_ctx {
	int quiet;
	const char *step;   /* "epoch", or "round" for trees */
};

static void
on_epoch(const struct cmt_train_epoch *e, void *ctx)
{
	const struct progress_ctx *pc = ctx;

	if (pc->quiet)
		return;
	fprintf(stderr, "%s: %s %3d  train loss %.6f  val loss %.6f%s\n",
		cmt_progname, pc->step, e->epoch, e->train_loss, e->val_loss,
		e->best == e->epoch ? "  *" : "");
}

/* 1 if some row of a is not later than every row of b */
static int
later_rows(const struct cmt_dataset *a, const struct cmt_dataset *b)
{
	int64_t last = INT64_MIN;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->t[i] > last)
			last = b->t[i];
	for (i = 0; i < a->n; i++)
		if (a->t[i] <= last)
			return 1;
	return 0;
}

static void
print_row(const char *what, const struct cmt_metrics *m)
{
	fprintf(stderr, "  %-18s %8.4f %9.5f %8.5f %7.4f\n", what, m->accuracy,
		m->logloss, m->brier, m->auc);
}

int
main(int argc, char **argv)
{
	enum { O_HIDDEN = 256, O_HORIZON, O_TEST, O_TESTFROM, O_TESTFRAC,
		O_VALFRAC, O_EPOCHS, O_PATIENCE, O_BATCH, O_LR, O_L2, O_SEED,
		O_SOURCE, O_PIPELINE, O_CSV, O_VERSION, O_DEPTH, O_MINCHILD,
		O_NULLABLE, O_NOCAL };
	static struct cmt_dataset all, test;
	static const struct option opts[] = {
		{ "output", 1, NULL, 'o' }, { "kind", 1, NULL, 'k' },
		{ "name", 1, NULL, 'n' }, { "hidden", 1, NULL, O_HIDDEN },
		{ "exclude", 1, NULL, 'x' },
		{ "horizon", 1, NULL, O_HORIZON }, { "test", 1, NULL, O_TEST },
		{ "test-from", 1, NULL, O_TESTFROM },
		{ "test-frac", 1, NULL, O_TESTFRAC },
		{ "val-frac", 1, NULL, O_VALFRAC }, { "epochs", 1, NULL, O_EPOCHS },
		{ "patience", 1, NULL, O_PATIENCE }, { "batch", 1, NULL, O_BATCH },
		{ "lr", 1, NULL, O_LR }, { "l2", 1, NULL, O_L2 },
		{ "seed", 1, NULL, O_SEED }, { "source", 1, NULL, O_SOURCE },
		{ "pipeline", 1, NULL, O_PIPELINE }, { "csv", 0, NULL, O_CSV },
		{ "depth", 1, NULL, O_DEPTH }, { "min-child", 1, NULL, O_MINCHILD },
		{ "nullable", 1, NULL, O_NULLABLE },
		{ "no-calibration", 0, NULL, O_NOCAL },
		{ "quiet", 0, NULL, 'q' }, { "help", 0, NULL, 'h' },
		{ "version", 0, NULL, O_VERSION }, { NULL, 0, NULL, 0 },
	};
	struct cmt_train_opts to, td;
	struct cmt_train_result res;
	struct cmt_dataset rest, train, val;
	struct card_info ci;
	struct progress_ctx pc;
	struct cmt_model *m;
	const char *output = NULL, *name = NULL, *test_file = NULL;
	char err[CMT_ERRLEN], base[CMT_MODEL_NAME_MAX], row[40], *command;
	double test_frac = 0.15, val_frac = 0.15;
	int64_t horizon = 60000, test_from = -1, cut;
	int c, csv = 0, quiet = 0, calibrate = 1, i;
	unsigned set = 0;   /* options given: 1 epochs, 2 patience, 4 lr, 8 l2 */
	enum cmt_err e;

	cmt_cli_init(argv[0]);
	cmt_train_defaults(&to);
	memset(&ci, 0, sizeof ci);
	cmt_dataset_init(&all);
	cmt_dataset_init(&test);
	while ((c = getopt_long(argc, argv, OPTSTRING, opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'k': to.kind = optarg; break;
		case 'n': name = optarg; break;
		case O_HIDDEN:
			to.nhidden = parse_widths(optarg, to.hidden);
			break;
		case 'x':
			parse_exclude(optarg, &all);
			parse_exclude(optarg, &test);
			break;
		case O_HORIZON:
			if (cmt_parse_duration_ms(optarg, &horizon, err) ||
			    horizon <= 0)
				cmt_usage_error("--horizon: %s", horizon <= 0 ?
					"must be > 0" : err);
			break;
		case O_TEST: test_file = optarg; break;
		case O_TESTFROM:
			if (cmt_parse_time_ms(optarg, &test_from, err))
				cmt_usage_error("--test-from: %s", err);
			break;
		case O_TESTFRAC: test_frac = num_arg(optarg, 0.01, 0.9,
			"--test-frac"); break;
		case O_VALFRAC: val_frac = num_arg(optarg, 0.01, 0.9,
			"--val-frac"); break;
		case O_EPOCHS: to.max_epochs = (int)num_arg(optarg, 1, 100000,
			"--epochs"); set |= 1; break;
		case O_PATIENCE: to.patience = (int)num_arg(optarg, 1, 100000,
			"--patience"); set |= 2; break;
		case O_BATCH: to.batch = (int)num_arg(optarg, 1, 1 << 20,
			"--batch"); break;
		case O_LR: to.lr = num_arg(optarg, 1e-9, 10, "--lr"); set |= 4;
			break;
		case O_L2: to.l2 = num_arg(optarg, 0, 10, "--l2"); set |= 8; break;
		case O_DEPTH: to.depth = (int)num_arg(optarg, 1, 16, "--depth");
			break;
		case O_MINCHILD: to.min_child = num_arg(optarg, 0, 1e9,
			"--min-child"); break;
		case O_NULLABLE:
			parse_nullable(optarg, &all);
			parse_nullable(optarg, &test);
			break;
		case O_NOCAL: calibrate = 0; break;
		case O_SEED: to.seed = (uint64_t)num_arg(optarg, 0, 9e15,
			"--seed"); break;
		case O_SOURCE: ci.source = optarg; break;
		case O_PIPELINE: ci.pipeline = optarg; break;
		case O_CSV: csv = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(); return cmt_finish(CMT_EXIT_OK);
		case O_VERSION: cmt_print_version();
		default: cmt_bad_option(argv, OPTSTRING);
		}
	}
	if (!output)
		cmt_usage_error("-o MODEL.json is required");
	if (strcmp(to.kind, "mlp") != 0 && strcmp(to.kind, "logreg") != 0 &&
	    strcmp(to.kind, "trees") != 0)
		cmt_usage_error("--kind: '%s' is not mlp, logreg or trees",
			to.kind);
	if (strcmp(to.kind, "trees") == 0) {
		/* the trees' own defaults where no option said otherwise */
		cmt_train_defaults_trees(&td);
		to.max_epochs = set & 1 ? to.max_epochs : td.max_epochs;
		to.patience = set & 2 ? to.patience : td.patience;
		to.lr = set & 4 ? to.lr : td.lr;
		to.l2 = set & 8 ? to.l2 : td.l2;
		to.nhidden = 0;
	} else if (all.nnullable) {
		cmt_usage_error("--nullable: only trees can score rows with null "
			"inputs");
	}
	if (test_file && test_from >= 0)
		cmt_usage_error("--test and --test-from exclude each other");
	/* never train a model the project could not load: the name is
	 * written unescaped into every prediction line */
	if (name && !cmt_model_name_ok(name))
		cmt_usage_error("--name: '%s' is not a model name (1 to %d of "
			"A-Z a-z 0-9 . _ -)", name, CMT_MODEL_NAME_MAX - 1);
	if (!name) {
		cmt_model_name_from_path(strcmp(output, "-") == 0 ? to.kind :
			output, base);
		name = base;
	}
	if (optind == argc)
		read_rows("-", csv, &all);
	for (i = optind; i < argc; i++)
		read_rows(argv[i], csv, &all);
	check_rows(&all, horizon);
	if (all.n == 0)
		cmt_die(CMT_EXIT_FAIL, "no usable labelled rows (make them with "
			"cmt-features --label)");
	if (test_file) {
		read_rows(test_file, csv, &test);
		if (test.n && strcmp(test.fs, all.fs) != 0)
			cmt_usage_error("--test %s: feature set '%s' differs from "
				"the training rows' '%s'", test_file, test.fs, all.fs);
		rest = all;
		memset(&all, 0, sizeof all);
	} else {
		cut = test_from >= 0 ? test_from :
		    cmt_dataset_time_quantile(&all, test_frac);
		if ((e = cmt_dataset_split(&all, cut, &rest, &test, err)))
			cmt_die(CMT_EXIT_FAIL, "%s", err);
	}
	cut = cmt_dataset_time_quantile(&rest, val_frac);
	if ((e = cmt_dataset_split(&rest, cut, &train, &val, err)))
		cmt_die(CMT_EXIT_FAIL, "%s", err);
	if (train.n == 0 || val.n == 0 || test.n == 0)
		cmt_die(CMT_EXIT_FAIL, "too few rows to split by time: train %zu, "
			"validation %zu, test %zu", train.n, val.n, test.n);
	if (test_file && later_rows(&test, &rest))
		cmt_warn("warning: %s has rows earlier than the training rows: "
			"the test is not strictly out of time", test_file);
	fprintf(stderr, "%s: %s rows: train %zu, validation %zu, test %zu; "
		"skipped: %zu flat, %zu null feature, %zu warm-up, %zu partial, "
		"%zu unlabelled\n", cmt_progname, to.kind, train.n, val.n, test.n,
		all.skipped_flat + rest.skipped_flat + test.skipped_flat,
		all.skipped_null + rest.skipped_null + test.skipped_null,
		all.skipped_warmup + rest.skipped_warmup + test.skipped_warmup,
		all.skipped_partial + rest.skipped_partial + test.skipped_partial,
		all.skipped_unlabelled + rest.skipped_unlabelled +
		test.skipped_unlabelled);
	pc.quiet = quiet;
	pc.step = strcmp(to.kind, "trees") == 0 ? "round" : "epoch";
	to.stop = &cmt_stop;
	if (strcmp(to.kind, "trees") == 0)
		e = xgb_fit(&to, &train, &val, on_epoch, &pc, &m, &res, NULL,
			err);
	else
		e = cmt_train_fit(&to, &train, &val, on_epoch, &pc, &m, &res,
			err);
	if (e)
		cmt_die(CMT_EXIT_FAIL, "%s%s", err, cmt_stop ?
			": no model written" : "");
	if (calibrate)
		calibrate_model(m, &val, &test, &ci.calib);
	for (i = 0; i < train.nfeat; i++)
		if (res.constant_mask & (uint64_t)1 << i)
			cmt_warn("feature %s is constant in the training rows: "
				"it gets no weight (see the card)", train.feature[i]);
	snprintf(m->name, sizeof m->name, "%s", name);
	m->horizon_ms = horizon;
	ci.opts = &to;
	ci.res = &res;
	ci.horizon_ms = horizon;
	ci.train = &train;
	ci.val = &val;
	ci.test = &test;
	ci.skipped_unlabelled = all.skipped_unlabelled + rest.skipped_unlabelled;
	ci.skipped_flat = all.skipped_flat + rest.skipped_flat;
	ci.skipped_null = all.skipped_null + rest.skipped_null;
	ci.skipped_warmup = all.skipped_warmup + rest.skipped_warmup;
	ci.skipped_partial = all.skipped_partial + rest.skipped_partial;
	ci.command = command = join_args(argc, argv);
	if ((e = cmt_train_evaluate(m, &test, &ci.model, err)) ||
	    (e = cmt_train_evaluate(m, &val, &ci.val_model, err)) ||
	    (e = cmt_train_baselines(&train, &test, ci.base, err)))
		cmt_die(CMT_EXIT_FAIL, "%s", err);
	if (!(m->card = card_build(&ci)))
		cmt_die(CMT_EXIT_FAIL, "out of memory");
	fprintf(stderr, "%s: best %s %d of %d; test set, %zu rows (%.1f%% "
		"up):\n  %-18s %8s %9s %8s %7s\n", cmt_progname, pc.step, res.best_epoch,
		res.epochs_run, test.n, 100.0 * (double)ci.model.n_up /
		(double)test.n, "", "accuracy", "log-loss", "Brier", "AUC");
	print_row(to.kind, &ci.model);
	for (i = 0; i < CMT_BT_NBASE; i++) {
		snprintf(row, sizeof row, "%s (train)", cmt_bt_base_name[i]);
		print_row(row, &ci.base[i]);
	}
	if (strcmp(output, "-") == 0)
		e = cmt_model_write(m, stdout, err);
	else
		e = cmt_model_save(m, output, err);
	if (e)
		cmt_die(CMT_EXIT_FAIL, "%s", err);
	free(command);
	cmt_model_free(m);
	cmt_dataset_free(&all);
	cmt_dataset_free(&rest);
	cmt_dataset_free(&train);
	cmt_dataset_free(&val);
	cmt_dataset_free(&test);
	return cmt_finish(CMT_EXIT_OK);
}
