/* The feature set: what each feature measures (steps, windows, periods)
 * for the 11 base features and the optional extension parts, its defaults
 * and range checks, the id that names it in every vector and model (and
 * the canonical spelling of ids and names), the command-line options that
 * set it, the features' names and lookbacks, and which sets contain which.
 * Plain values and the caller's buffers; nothing allocates. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cmt_features.h"
#include "cmt_fmt.h"
#include "cmt_indicators.h"
#include "cmt_parse.h"

/* The extension parts, in the id's order: the key in the id, the
 * command-line option, the value of a flag part, and where the part lives
 * in the set (an int count and int64_t windows for a list, one int64_t
 * window, or an int flag). */
enum part_kind { PART_LIST, PART_ONE, PART_FLAG };

#define FS_AT(f) offsetof(struct cmt_feature_set, f)

static const struct part {
	const char *key, *option, *flag;
	enum part_kind kind;
	size_t count, ms;        /* offsets of the count (or flag), windows */
	int min_steps;           /* the shortest window, in steps */
} parts[] = {
	{ "rng", "range-vol", NULL, PART_LIST, FS_AT(nrng), FS_AT(rng_ms), 1 },
	{ "bar", "bar", "step", PART_FLAG, FS_AT(bar), 0, 0 },
	{ "vz", "vol-z", NULL, PART_ONE, 0, FS_AT(vz_ms), 2 },
	{ "zr", "zret", NULL, PART_ONE, 0, FS_AT(zr_ms), 2 },
	{ "hl", "high-low", NULL, PART_LIST, FS_AT(nhl), FS_AT(hl_ms), 1 },
	{ "lt", "long", NULL, PART_LIST, FS_AT(nlt), FS_AT(lt_ms), 2 },
	{ "cal", "calendar", "utc", PART_FLAG, FS_AT(cal), 0, 0 },
};
#define NPARTS (int)(sizeof parts / sizeof parts[0])

static int *
part_int(const struct cmt_feature_set *fs, const struct part *p)
{
	return (int *)((char *)(uintptr_t)fs + p->count);
}

static int64_t *
part_ms(const struct cmt_feature_set *fs, const struct part *p)
{
	return (int64_t *)((char *)(uintptr_t)fs + p->ms);
}

/* The part's windows (none for a flag): their number, *ms the first. */
static int
part_windows(const struct cmt_feature_set *fs, const struct part *p,
	const int64_t **ms)
{
	*ms = part_ms(fs, p);
	switch (p->kind) {
	case PART_LIST: return *part_int(fs, p);
	case PART_ONE: return **ms > 0;
	default: return 0;
	}
}

static int
part_present(const struct cmt_feature_set *fs, const struct part *p)
{
	const int64_t *ms;

	return p->kind == PART_FLAG ? *part_int(fs, p) != 0 :
	    part_windows(fs, p, &ms) > 0;
}

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

static size_t format_id(const struct cmt_feature_set *fs, char *buf,
	size_t cap);

/* The extension's windows, its names (each distinct from every other
 * feature's) and the length of the id. */
static enum cmt_err
check_extension(const struct cmt_feature_set *fs, char *err)
{
	char names[CMT_FEAT_N][CMT_FEAT_NAME_MAX], d[32], id[CMT_FS_ID_MAX + 1];
	const int64_t *ms;
	int i, j, k, n;

	for (i = 0; i < NPARTS; i++) {
		const struct part *p = &parts[i];

		n = part_windows(fs, p, &ms);
		if (n < 0 || n > CMT_FS_LIST_MAX || (p->kind == PART_FLAG &&
		    (*part_int(fs, p) < 0 || *part_int(fs, p) > 1)))
			return cmt_errf(err, CMT_EVALUE, "%s: bad part", p->key);
		for (j = 0; j < n; j++) {
			cmt_format_duration(ms[j], d, sizeof d);
			if (ms[j] <= 0 || ms[j] % fs->step_ms)
				return cmt_errf(err, CMT_EVALUE, "%s window %s is not a "
					"positive multiple of the step", p->key, d);
			if (ms[j] / fs->step_ms > 100000)
				return cmt_errf(err, CMT_ERANGE,
					"%s window %s is more than 100000 steps", p->key, d);
			if (ms[j] / fs->step_ms < p->min_steps)
				return cmt_errf(err, CMT_EVALUE, "%s window %s needs at "
					"least %d steps", p->key, d, p->min_steps);
		}
	}
	if ((n = cmt_fs_count(fs)) == CMT_FEAT_BASE)
		return CMT_OK;      /* no part: nothing more to check */
	cmt_fs_names(fs, names);
	for (i = CMT_FEAT_BASE; i < n; i++)
		for (k = 0; k < i; k++)
			if (strcmp(names[i], names[k]) == 0)
				return cmt_errf(err, CMT_EVALUE, "feature %s twice (a "
					"window repeated, or a long window that is also a "
					"base return or volatility window)", names[i]);
	if (format_id(fs, id, sizeof id) >= CMT_FS_ID_MAX)
		return cmt_errf(err, CMT_ELIMIT, "feature-set id longer than %d "
			"bytes", CMT_FS_ID_MAX - 1);
	return CMT_OK;
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
	return check_extension(fs, err);
}

/* The id into buf (cap bytes); returns the length it needs. */
static size_t
format_id(const struct cmt_feature_set *fs, char *buf, size_t cap)
{
	char d[7][16], k[32];
	const int64_t *ms;
	size_t n;
	int i, j, nw;

	cmt_format_duration(fs->step_ms, d[0], 16);
	for (i = 0; i < 4; i++)
		cmt_format_duration(fs->ret_ms[i], d[1 + i], 16);
	for (i = 0; i < 2; i++)
		cmt_format_duration(fs->rv_ms[i], d[5 + i], 16);
	cmt_fmt_double(k, fs->bb_k, 10);
	n = (size_t)snprintf(buf, cap, "cmt1;step=%s;ret=%s/%s/%s/%s;rv=%s/%s;"
		"rsi=%d;macd=%d/%d/%d;bb=%d/%s;mom=%d;vt=%d/%d", d[0], d[1], d[2],
		d[3], d[4], d[5], d[6], fs->rsi_n, fs->macd_fast, fs->macd_slow,
		fs->macd_signal, fs->bb_n, k, fs->mom_n, fs->vt_short, fs->vt_long);
	for (i = 0; i < NPARTS; i++) {
		const struct part *p = &parts[i];

		if (!part_present(fs, p))
			continue;
		n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n :
			0, ";%s=%s", p->key, p->flag ? p->flag : "");
		nw = part_windows(fs, p, &ms);
		for (j = 0; j < nw; j++) {
			cmt_format_duration(ms[j], d[0], 16);
			n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ?
				cap - n : 0, "%s%s", j ? "/" : "", d[0]);
		}
	}
	return n;
}

void
cmt_fs_format_id(const struct cmt_feature_set *fs, char *buf)
{
	format_id(fs, buf, CMT_FS_ID_MAX);
}

/* One extension part's value (len bytes at v) into fs. */
static enum cmt_err
parse_part(struct cmt_feature_set *fs, const struct part *p, const char *v,
	size_t len, char *err)
{
	char item[32];
	const char *slash, *end = v + len;
	int64_t *ms = part_ms(fs, p);
	enum cmt_err e;
	int n = 0;

	if (p->kind == PART_FLAG) {
		if (len != strlen(p->flag) || memcmp(v, p->flag, len) != 0)
			return cmt_errf(err, CMT_ESYNTAX, "feature-set part %s must be "
				"%s=%s", p->key, p->key, p->flag);
		*part_int(fs, p) = 1;
		return CMT_OK;
	}
	for (;;) {
		slash = memchr(v, '/', (size_t)(end - v));
		len = (size_t)((slash ? slash : end) - v);
		if (n == (p->kind == PART_LIST ? CMT_FS_LIST_MAX : 1))
			return cmt_errf(err, CMT_EVALUE, "feature-set part %s takes "
				"at most %d window%s", p->key, p->kind == PART_LIST ?
				CMT_FS_LIST_MAX : 1, p->kind == PART_LIST ? "s" : "");
		if (len == 0 || len >= sizeof item)
			return cmt_errf(err, CMT_ESYNTAX, "feature-set part %s: "
				"expected durations", p->key);
		memcpy(item, v, len);
		item[len] = '\0';
		if ((e = cmt_parse_duration_ms(item, &ms[n++], err)))
			return e;
		if (!slash)
			break;
		v = slash + 1;
	}
	if (p->kind == PART_LIST)
		*part_int(fs, p) = n;
	return CMT_OK;
}

/* ";key=value" parts, each at most once, in any order. */
static enum cmt_err
parse_extension(struct cmt_feature_set *fs, const char *s, char *err)
{
	const char *eq, *semi;
	enum cmt_err e;
	unsigned seen = 0;
	int i;

	while (*s) {
		if (*s != ';' || !(eq = strchr(s + 1, '=')))
			return cmt_errf(err, CMT_ESYNTAX, "invalid feature-set part "
				"'%.40s'", s);
		semi = strchr(eq, ';');
		for (i = 0; i < NPARTS; i++)
			if ((size_t)(eq - s - 1) == strlen(parts[i].key) &&
			    memcmp(s + 1, parts[i].key, (size_t)(eq - s - 1)) == 0)
				break;
		if (i == NPARTS)
			return cmt_errf(err, CMT_ESYNTAX, "unknown feature-set part "
				"'%.*s'", (int)(eq - s - 1 > 20 ? 20 : eq - s - 1), s + 1);
		if (seen & 1u << i)
			return cmt_errf(err, CMT_ESYNTAX, "feature-set part %s twice",
				parts[i].key);
		seen |= 1u << i;
		if ((e = parse_part(fs, &parts[i], eq + 1, semi ?
		    (size_t)(semi - eq - 1) : strlen(eq + 1), err)))
			return e;
		s = semi ? semi : eq + strlen(eq);
	}
	return CMT_OK;
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
	    &fs->vt_short, &fs->vt_long, &n) != 16 ||
	    (id[n] != '\0' && id[n] != ';'))
		return cmt_errf(err, CMT_ESYNTAX, "invalid feature-set id '%s'", id);
	if ((e = parse_extension(fs, id + n, err)))
		return e;
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

/* Every extension part fs does not have yet, as in CMT_FS_WIDE. */
static enum cmt_err
widen(struct cmt_feature_set *fs, char *err)
{
	struct cmt_feature_set wide;
	enum cmt_err e;
	int i;

	memset(&wide, 0, sizeof wide);
	if ((e = parse_extension(&wide, ";" CMT_FS_WIDE, err)))
		return e;
	for (i = 0; i < NPARTS; i++) {
		const struct part *p = &parts[i];

		if (part_present(fs, p))
			continue;
		if (p->kind != PART_ONE)
			*part_int(fs, p) = *part_int(&wide, p);
		if (p->kind != PART_FLAG)
			memcpy(part_ms(fs, p), part_ms(&wide, p), (p->kind == PART_LIST ?
				CMT_FS_LIST_MAX : 1) * sizeof(int64_t));
	}
	return CMT_OK;
}

/* An extension part from its command-line option: a comma list, one
 * duration, or a flag (no argument). */
static enum cmt_err
extension_option(struct cmt_feature_set *fs, const char *name,
	const char *arg, char *err)
{
	const struct part *p = NULL;
	int i, n = 0;
	enum cmt_err e;

	for (i = 0; i < NPARTS && !p; i++)
		if (strcmp(name, parts[i].option) == 0)
			p = &parts[i];
	if (!p)
		return cmt_errf(err, CMT_EVALUE, "unknown feature-set option");
	switch (p->kind) {
	case PART_FLAG:
		*part_int(fs, p) = 1;
		return CMT_OK;
	case PART_ONE:
		if ((e = cmt_parse_duration_ms(arg, part_ms(fs, p), err)))
			return e;
		if (*part_ms(fs, p) <= 0)
			return cmt_errf(err, CMT_EVALUE, "must be > 0");
		return CMT_OK;
	default:
		if ((e = cmt_parse_duration_list(arg, part_ms(fs, p),
		    CMT_FS_LIST_MAX, &n, err)))
			return e;
		*part_int(fs, p) = n;
		return CMT_OK;
	}
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
	} else if (strcmp(name, "wide") == 0) {
		return widen(fs, err);
	} else {
		return extension_option(fs, name, arg, err);
	}
	return CMT_OK;
}

/* names[n] = prefix followed by the duration ms (or nothing when 0). */
static int
add_name(char names[][CMT_FEAT_NAME_MAX], int n, const char *prefix,
	int64_t ms)
{
	char d[16] = "";

	if (ms > 0)
		cmt_format_duration(ms, d, sizeof d);
	snprintf(names[n], CMT_FEAT_NAME_MAX, "%s%s", prefix, d);
	return n + 1;
}

int
cmt_fs_names(const struct cmt_feature_set *fs,
	char names[CMT_FEAT_N][CMT_FEAT_NAME_MAX])
{
	static const char *fixed[] = { "rsi", "macd_hist", "bb_pctb", "mom",
		"vol_trend" };
	static const char *shape[] = { "body", "upper_wick", "lower_wick",
		"close_loc" };
	static const char *cal[] = { "tod_sin", "tod_cos", "dow_sin",
		"dow_cos" };
	int i, n = 0;

	for (i = 0; i < 4; i++)
		n = add_name(names, n, "ret_", fs->ret_ms[i]);
	for (i = 0; i < 2; i++)
		n = add_name(names, n, "rv_", fs->rv_ms[i]);
	for (i = 0; i < 5; i++)
		n = add_name(names, n, fixed[i], 0);
	for (i = 0; i < fs->nrng; i++) {
		n = add_name(names, n, "pk_", fs->rng_ms[i]);
		n = add_name(names, n, "gk_", fs->rng_ms[i]);
	}
	for (i = 0; fs->bar && i < 4; i++)
		n = add_name(names, n, shape[i], 0);
	if (fs->vz_ms)
		n = add_name(names, n, "volz_", fs->vz_ms);
	for (i = 0; fs->zr_ms && i < 4; i++)
		n = add_name(names, n, "zret_", fs->ret_ms[i]);
	for (i = 0; i < fs->nhl; i++) {
		n = add_name(names, n, "dhi_", fs->hl_ms[i]);
		n = add_name(names, n, "dlo_", fs->hl_ms[i]);
	}
	for (i = 0; i < fs->nlt; i++) {
		n = add_name(names, n, "ret_", fs->lt_ms[i]);
		n = add_name(names, n, "rv_", fs->lt_ms[i]);
	}
	for (i = 0; fs->cal && i < 4; i++)
		n = add_name(names, n, cal[i], 0);
	return n;
}

int
cmt_fs_count(const struct cmt_feature_set *fs)
{
	return CMT_FEAT_BASE + 2 * fs->nrng + 4 * (fs->bar != 0) +
	    (fs->vz_ms > 0) + 4 * (fs->zr_ms > 0) + 2 * fs->nhl + 2 * fs->nlt +
	    4 * (fs->cal != 0);
}

static int
imax(int a, int b)
{
	return a > b ? a : b;
}

static int
steps(const struct cmt_feature_set *fs, int64_t ms)
{
	return (int)(ms / fs->step_ms);
}

/* In cmt_fs_names's order.  A window of n bars (range, high and low,
 * volume) is first full at step n - 1; a return or volatility over n
 * steps needs the price n steps back, at step n. */
void
cmt_fs_lookbacks(const struct cmt_feature_set *fs, int *lb)
{
	int i, n = 0;

	for (i = 0; i < 4; i++)
		lb[n++] = steps(fs, fs->ret_ms[i]);
	for (i = 0; i < 2; i++)
		lb[n++] = steps(fs, fs->rv_ms[i]);
	lb[n++] = cmt_rsi_lookback(fs->rsi_n);
	lb[n++] = cmt_macd_lookback(fs->macd_fast, fs->macd_slow,
		fs->macd_signal);
	lb[n++] = cmt_bbands_lookback(fs->bb_n);
	lb[n++] = fs->mom_n;
	lb[n++] = cmt_ema_lookback(fs->vt_long);
	for (i = 0; i < fs->nrng; i++) {
		lb[n++] = steps(fs, fs->rng_ms[i]) - 1;
		lb[n++] = steps(fs, fs->rng_ms[i]) - 1;
	}
	for (i = 0; fs->bar && i < 4; i++)
		lb[n++] = 0;
	if (fs->vz_ms)
		lb[n++] = steps(fs, fs->vz_ms) - 1;
	for (i = 0; fs->zr_ms && i < 4; i++)
		lb[n++] = imax(steps(fs, fs->ret_ms[i]), steps(fs, fs->zr_ms));
	for (i = 0; i < 2 * fs->nhl; i++)
		lb[n++] = steps(fs, fs->hl_ms[i / 2]) - 1;
	for (i = 0; i < 2 * fs->nlt; i++)
		lb[n++] = steps(fs, fs->lt_ms[i / 2]);
	for (i = 0; fs->cal && i < 4; i++)
		lb[n++] = 0;
}

int
cmt_fs_warmup_steps(const struct cmt_feature_set *fs)
{
	int lb[CMT_FEAT_N], w = 0, i;

	cmt_fs_lookbacks(fs, lb);
	for (i = 0; i < CMT_FEAT_BASE; i++)
		w = imax(w, lb[i]);
	return w;
}

int
cmt_fs_full_warmup_steps(const struct cmt_feature_set *fs)
{
	int lb[CMT_FEAT_N], w = 0, i, n = cmt_fs_count(fs);

	cmt_fs_lookbacks(fs, lb);
	for (i = 0; i < n; i++)
		w = imax(w, lb[i]);
	return w;
}

/* 1 if every window of a list part of inner is in outer's. */
static int
windows_within(const int64_t *outer, int nout, const int64_t *inner,
	int nin)
{
	int i, j;

	for (i = 0; i < nin; i++) {
		for (j = 0; j < nout && outer[j] != inner[i]; j++)
			;
		if (j == nout)
			return 0;
	}
	return 1;
}

int
cmt_fs_contains(const struct cmt_feature_set *outer,
	const struct cmt_feature_set *inner)
{
	const int64_t *wo, *wi;
	int i, no, ni;

	if (outer->step_ms != inner->step_ms ||
	    memcmp(outer->ret_ms, inner->ret_ms, sizeof outer->ret_ms) != 0 ||
	    memcmp(outer->rv_ms, inner->rv_ms, sizeof outer->rv_ms) != 0 ||
	    outer->rsi_n != inner->rsi_n || outer->macd_fast != inner->macd_fast ||
	    outer->macd_slow != inner->macd_slow ||
	    outer->macd_signal != inner->macd_signal ||
	    outer->bb_n != inner->bb_n || outer->bb_k != inner->bb_k ||
	    outer->mom_n != inner->mom_n || outer->vt_short != inner->vt_short ||
	    outer->vt_long != inner->vt_long)
		return 0;
	for (i = 0; i < NPARTS; i++) {
		const struct part *p = &parts[i];

		if (!part_present(inner, p))
			continue;
		if (!part_present(outer, p))
			return 0;
		no = part_windows(outer, p, &wo);
		ni = part_windows(inner, p, &wi);
		if (p->kind == PART_LIST ? !windows_within(wo, no, wi, ni) :
		    p->kind == PART_ONE && *wo != *wi)
			return 0;
	}
	return 1;
}
