/* cmt-train's look at its rows before it trains: rows that can only give
 * a useless model are refused (exit 2) with the command that makes good
 * ones, and doubtful ones are warned about.  A 1-second grid over
 * one-minute bars made 60 copies of every bar and a null feature in a
 * quarter of the rows, and a model at chance, without a word. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmt_features.h"
#include "cmt_parse.h"
#include "sanity.h"

#define REFUSE_SHARE 0.5   /* rows that are copies, or have a null */
#define WARN_SHARE 0.1

static const char fix[] = "cmt-features --model default --label 60s";

static size_t null_by_feature[CMT_FEAT_N];

void
note_row(const struct cmt_fvec *v)
{
	int i;

	if (!v->has_y || v->y < 0 || v->warmup || v->partial)
		return;
	for (i = 0; i < v->nfeat && i < CMT_FEAT_N; i++)
		null_by_feature[i] += isnan(v->x[i]);
}

static int
excluded(const struct cmt_dataset *d, const char *name)
{
	int i;

	for (i = 0; i < d->nexclude; i++)
		if (strcmp(d->exclude[i], name) == 0)
			return 1;
	return 0;
}

/* The features null in some rows whose window is longer than the set's
 * warm-up (null that long after each start or gap: the long windows of
 * cmt-features --wide), neither left out nor nullable, comma-joined into
 * buf; how many. */
static int
long_window_nulls(const struct cmt_dataset *d, char *buf, size_t cap)
{
	struct cmt_feature_set fs;
	int lb[CMT_FEAT_N], i, n = 0, warm;
	size_t used = 0;
	char err[CMT_ERRLEN];

	buf[0] = 0;
	if (cmt_fs_parse_id(d->fs, &fs, err) != CMT_OK)
		return 0;
	cmt_fs_lookbacks(&fs, lb);
	warm = cmt_fs_warmup_steps(&fs);
	for (i = 0; i < d->nfeat && used < cap; i++)
		if (null_by_feature[i] && lb[i] > warm && !d->nullable[i] &&
		    !excluded(d, d->feature[i]))
			used += (size_t)snprintf(buf + used, cap - used, "%s%s",
				n++ ? "," : "", d->feature[i]);
	return n;
}

/* Rows whose shortest return is exactly 0: the price did not move over
 * the window, as when a grid step is finer than the data under it. */
static size_t
still_rows(const struct cmt_dataset *d)
{
	size_t r, n = 0;

	for (r = 0; r < d->n; r++)
		n += cmt_dataset_row(d, r)[0] == 0;
	return n;
}

void
check_rows(const struct cmt_dataset *d, int64_t horizon_ms)
{
	struct cmt_feature_set fs;
	size_t rows = d->n + d->skipped_null, still = still_rows(d), worst = 0;
	double null_share = rows ? (double)d->skipped_null / (double)rows : 0;
	char step[32], hz[32], err[CMT_ERRLEN];
	char longs[CMT_FEAT_N * CMT_MODEL_FEATNAME_MAX], why[sizeof longs * 2 + 200];
	int i, w = -1;

	for (i = 0; i < d->nfeat; i++)
		if (null_by_feature[i] > worst && !d->nullable[i] &&
		    !excluded(d, d->feature[i])) {
			worst = null_by_feature[i];
			w = i;
		}
	/* the shipped set's long windows are null for their first day: the
	 * way out is trees that take them null, or leaving them out */
	if (long_window_nulls(d, longs, sizeof longs) && w >= 0 &&
	    strstr(longs, d->feature[w]))
		snprintf(why, sizeof why, "windows longer than the set's "
			"warm-up are null that long after each start or gap; "
			"train trees that take them null (--kind trees "
			"--nullable %s) or leave them out (--exclude %s)", longs,
			longs);
	else
		why[0] = 0;
	if (null_share > REFUSE_SHARE && why[0])
		cmt_usage_error("%.0f%% of the labelled rows (%zu of %zu) have a "
			"null feature (%s in %zu): %s", 100 * null_share,
			d->skipped_null, rows, d->feature[w], worst, why);
	if (null_share > REFUSE_SHARE)
		cmt_usage_error("%.0f%% of the labelled rows (%zu of %zu) have a "
			"null feature (%s in %zu): a model would learn from the "
			"rest only; make the rows with the shipped models' "
			"feature set (%s), or leave that feature out (--exclude "
			"%s)", 100 * null_share, d->skipped_null, rows,
			w >= 0 ? d->feature[w] : "?", worst, fix,
			w >= 0 ? d->feature[w] : "NAME");
	if (d->n && (double)still / (double)d->n > REFUSE_SHARE)
		cmt_usage_error("%.0f%% of the rows (%zu of %zu) have %s = 0: the "
			"prices change less often than the grid steps, so most "
			"rows are copies of the one before (one-minute bars on a "
			"1s grid fill 60 steps each); make the rows on the data's "
			"own step, for one-minute bars the shipped models' "
			"feature set: %s", 100.0 * (double)still / (double)d->n,
			still, d->n, d->feature[0], fix);
	if (null_share > WARN_SHARE)
		cmt_warn("warning: %.0f%% of the labelled rows have a null "
			"feature (%s most often) and are left out%s%s",
			100 * null_share, w >= 0 ? d->feature[w] : "?",
			why[0] ? ": " : "", why);
	if (cmt_fs_parse_id(d->fs, &fs, err) == CMT_OK &&
	    fs.step_ms != horizon_ms) {
		cmt_format_duration(fs.step_ms, step, sizeof step);
		cmt_format_duration(horizon_ms, hz, sizeof hz);
		cmt_warn("warning: the rows are on a %s grid and labelled %s "
			"ahead (--horizon %s): %s, so the scores count each "
			"outcome about %.0f times; the shipped models use a grid "
			"step equal to the horizon (%s)", step, hz, hz,
			fs.step_ms < horizon_ms ? "neighbouring rows share their "
			"outcome" : "each row's label is decided before the next "
			"row", fs.step_ms < horizon_ms ? (double)horizon_ms /
			(double)fs.step_ms : 1.0, fix);
	}
}
