/* The feature set: what each of the 11 features measures (steps, windows,
 * periods), its defaults and range checks, the id that names it in every
 * vector and model (and the canonical spelling of ids and names), the
 * command-line options that set it, and the features' names.  Plain
 * values and the caller's buffers; nothing allocates. */
#include <stdio.h>
#include <string.h>

#include "cmt_features.h"
#include "cmt_fmt.h"
#include "cmt_indicators.h"
#include "cmt_parse.h"

void
cmt_fs_defaults(struct cmt_feature_set *fs)
{
	static const int64_t ret[4] = { 5000, 15000, 30000, 60000 };

	memset(fs, 0, sizeof *fs);
	fs->step_ms = 1000;
	memcpy(fs->ret_ms, ret, sizeof ret);
	fs->rv_ms[0] = 30000;
	fs->rv_ms[1] = 60000;
	fs->rsi_n = 14;
	fs->macd_fast = 12;
	fs->macd_slow = 26;
	fs->macd_signal = 9;
	fs->bb_n = 20;
	fs->bb_k = 2;
	fs->mom_n = 10;
	fs->vt_short = 5;
	fs->vt_long = 20;
}

enum cmt_err
cmt_fs_check(const struct cmt_feature_set *fs, char *err)
{
	char d[32];
	int i;

	if (fs->step_ms <= 0)
		return cmt_errf(err, CMT_EVALUE, "step must be > 0");
	for (i = 0; i < 6; i++) {
		int64_t w = i < 4 ? fs->ret_ms[i] : fs->rv_ms[i - 4];

		cmt_format_duration(w, d, sizeof d);
		if (w <= 0 || w % fs->step_ms)
			return cmt_errf(err, CMT_EVALUE,
				"window %s is not a positive multiple of the step", d);
		if (w / fs->step_ms > 100000)
			return cmt_errf(err, CMT_ERANGE,
				"window %s is more than 100000 steps", d);
		if (i >= 4 && w / fs->step_ms < 2)
			return cmt_errf(err, CMT_EVALUE,
				"volatility window %s needs at least 2 steps", d);
	}
#define PERIOD(v, lo, hi, what) \
	if ((v) < (lo) || (v) > (hi)) \
		return cmt_errf(err, CMT_ERANGE, "%s %d is out of range [%d, %d]", \
			what, (v), (lo), (hi))
	PERIOD(fs->rsi_n, 2, CMT_IND_MAX_PERIOD, "rsi period");
	PERIOD(fs->macd_fast, 2, CMT_IND_MAX_PERIOD, "macd fast period");
	PERIOD(fs->macd_slow, 2, CMT_IND_MAX_PERIOD, "macd slow period");
	PERIOD(fs->macd_signal, 1, CMT_IND_MAX_PERIOD, "macd signal period");
	PERIOD(fs->bb_n, 2, CMT_IND_MAX_PERIOD, "bb period");
	PERIOD(fs->mom_n, 1, 100000, "mom lag");
	PERIOD(fs->vt_short, 1, CMT_IND_MAX_PERIOD, "vol-trend short period");
	PERIOD(fs->vt_long, fs->vt_short, CMT_IND_MAX_PERIOD,
		"vol-trend long period");
#undef PERIOD
	if (!(fs->bb_k > 0 && fs->bb_k <= 100))
		return cmt_errf(err, CMT_ERANGE, "bb width must be in (0, 100]");
	return CMT_OK;
}

void
cmt_fs_format_id(const struct cmt_feature_set *fs, char *buf)
{
	char d[7][16], k[32];
	int i;

	cmt_format_duration(fs->step_ms, d[0], 16);
	for (i = 0; i < 4; i++)
		cmt_format_duration(fs->ret_ms[i], d[1 + i], 16);
	for (i = 0; i < 2; i++)
		cmt_format_duration(fs->rv_ms[i], d[5 + i], 16);
	cmt_fmt_double(k, fs->bb_k, 10);
	snprintf(buf, CMT_FS_ID_MAX, "cmt1;step=%s;ret=%s/%s/%s/%s;rv=%s/%s;"
		"rsi=%d;macd=%d/%d/%d;bb=%d/%s;mom=%d;vt=%d/%d", d[0], d[1], d[2],
		d[3], d[4], d[5], d[6], fs->rsi_n, fs->macd_fast, fs->macd_slow,
		fs->macd_signal, fs->bb_n, k, fs->mom_n, fs->vt_short, fs->vt_long);
}

enum cmt_err
cmt_fs_parse_id(const char *id, struct cmt_feature_set *fs, char *err)
{
	char step[16], r[4][16], v[2][16], k[24];
	enum cmt_err e;
	int i, n = 0;

	memset(fs, 0, sizeof *fs);
	if (strlen(id) >= CMT_FS_ID_MAX ||
	    sscanf(id, "cmt1;step=%15[0-9a-z];ret=%15[0-9a-z]/%15[0-9a-z]/"
	    "%15[0-9a-z]/%15[0-9a-z];rv=%15[0-9a-z]/%15[0-9a-z];rsi=%d;"
	    "macd=%d/%d/%d;bb=%d/%23[0-9.e+-];mom=%d;vt=%d/%d%n", step, r[0],
	    r[1], r[2], r[3], v[0], v[1], &fs->rsi_n, &fs->macd_fast,
	    &fs->macd_slow, &fs->macd_signal, &fs->bb_n, k, &fs->mom_n,
	    &fs->vt_short, &fs->vt_long, &n) != 16 || id[n] != '\0')
		return cmt_errf(err, CMT_ESYNTAX, "invalid feature-set id '%s'", id);
	if ((e = cmt_parse_duration_ms(step, &fs->step_ms, err)))
		return e;
	for (i = 0; i < 4; i++)
		if ((e = cmt_parse_duration_ms(r[i], &fs->ret_ms[i], err)))
			return e;
	for (i = 0; i < 2; i++)
		if ((e = cmt_parse_duration_ms(v[i], &fs->rv_ms[i], err)))
			return e;
	if ((e = cmt_parse_double(k, 0.01, 100, &fs->bb_k, err)))
		return e;
	return cmt_fs_check(fs, err);
}

int
cmt_fs_canonical_id(const char *id, size_t len, char out[CMT_FS_ID_MAX])
{
	struct cmt_feature_set fs;
	char buf[CMT_FS_ID_MAX], err[CMT_ERRLEN];

	if (len >= sizeof buf)
		return -1;
	memcpy(buf, id, len);
	buf[len] = '\0';
	if (cmt_fs_parse_id(buf, &fs, err))
		return -1;
	cmt_fs_format_id(&fs, out);
	return 0;
}

int
cmt_fs_canonical_name(const char *name, size_t len, char *out, size_t cap)
{
	char buf[64], err[CMT_ERRLEN], d[16], *u;
	int64_t ms;

	if (len >= sizeof buf)
		return -1;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (!(u = strrchr(buf, '_')) || cmt_parse_duration_ms(u + 1, &ms, err) ||
	    ms <= 0)
		return -1;
	cmt_format_duration(ms, d, sizeof d);
	if ((size_t)snprintf(out, cap, "%.*s%s", (int)(u + 1 - buf), buf, d) >=
	    cap)
		return -1;
	return 0;
}

enum cmt_err
cmt_fs_option(struct cmt_feature_set *fs, const char *name, const char *arg,
	char *err)
{
	enum cmt_err e;
	long long ll;
	char extra;
	int n = 0;

	if (strcmp(name, "step") == 0) {
		if ((e = cmt_parse_duration_ms(arg, &fs->step_ms, err)))
			return e;
		if (fs->step_ms <= 0)
			return cmt_errf(err, CMT_EVALUE, "must be > 0");
	} else if (strcmp(name, "windows") == 0) {
		if ((e = cmt_parse_duration_list(arg, fs->ret_ms, 4, &n, err)))
			return e;
		if (n != 4)
			return cmt_errf(err, CMT_EVALUE, "expected 4 durations");
	} else if (strcmp(name, "vol-windows") == 0) {
		if ((e = cmt_parse_duration_list(arg, fs->rv_ms, 2, &n, err)))
			return e;
		if (n != 2)
			return cmt_errf(err, CMT_EVALUE, "expected 2 durations");
	} else if (strcmp(name, "rsi") == 0 || strcmp(name, "mom") == 0) {
		if ((e = cmt_parse_int(arg, 1, 100000, &ll, err)))
			return e;
		*(name[0] == 'r' ? &fs->rsi_n : &fs->mom_n) = (int)ll;
	} else if (strcmp(name, "macd") == 0) {
		if (sscanf(arg, "%d,%d,%d%c", &fs->macd_fast, &fs->macd_slow,
		    &fs->macd_signal, &extra) != 3)
			return cmt_errf(err, CMT_ESYNTAX, "expected F,S,G, got '%s'",
				arg);
	} else if (strcmp(name, "bb") == 0) {
		if (sscanf(arg, "%d,%lf%c", &fs->bb_n, &fs->bb_k, &extra) != 2)
			return cmt_errf(err, CMT_ESYNTAX, "expected N,K, got '%s'", arg);
	} else if (strcmp(name, "vol-trend") == 0) {
		if (sscanf(arg, "%d,%d%c", &fs->vt_short, &fs->vt_long,
		    &extra) != 2)
			return cmt_errf(err, CMT_ESYNTAX, "expected S,L, got '%s'", arg);
	} else {
		return cmt_errf(err, CMT_EVALUE, "unknown feature-set option");
	}
	return CMT_OK;
}

void
cmt_fs_names(const struct cmt_feature_set *fs,
	char names[CMT_FEAT_N][CMT_FEAT_NAME_MAX])
{
	static const char *fixed[] = { "rsi", "macd_hist", "bb_pctb", "mom",
		"vol_trend" };
	char d[16];
	int i;

	for (i = 0; i < 4; i++) {
		cmt_format_duration(fs->ret_ms[i], d, sizeof d);
		snprintf(names[i], CMT_FEAT_NAME_MAX, "ret_%s", d);
	}
	for (i = 0; i < 2; i++) {
		cmt_format_duration(fs->rv_ms[i], d, sizeof d);
		snprintf(names[4 + i], CMT_FEAT_NAME_MAX, "rv_%s", d);
	}
	for (i = 0; i < 5; i++)
		snprintf(names[6 + i], CMT_FEAT_NAME_MAX, "%s", fixed[i]);
}
