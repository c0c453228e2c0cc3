/* Rolling metrics over the last N scored rows (cmt_bt_roll, for
 * --follow), kept up to date a row at a time: O(log N) per row and per
 * metrics line, whatever the window.  The AUC is the Mann-Whitney U of
 * the window, which a row changes by the rows of the other class below
 * and level with it: an order-statistic tree over the rows' p answers
 * that, and another over their lags gives the median lag (only lags
 * within a day are shown, so only they go in; a replay's cost nothing).
 * Counts are exact; the log-loss and Brier sums are summed afresh from
 * the window once per N rows, so rounding cannot drift.  Memory: 65 bytes
 * per row of the window.  struct cmt_bt_roll owns its trees; the metrics
 * line goes into the caller's buffer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_fmt.h"
#include "ranktree.h"
#include "report_int.h"

/* A median lag shown is within a day: a replayed stream is days behind
 * the clock, and a clock behind the data's is no latency either. */
#define LIVE_LAG_MAX_MS 86400000

enum { LAG_BELOW = -1, LAG_LIVE, LAG_ABOVE };

struct cmt_bt_roll {
	size_t window, n, head, since_sum;
	uint64_t total;
	struct cmt_bt_rank by_p;    /* slot: the row's p, up when y is 1 */
	struct cmt_bt_rank by_lag;  /* slot: the row's lag, if LAG_LIVE */
	signed char *lag_class;     /* by slot */
	size_t lag_below, lag_above;   /* rows of each other class */
	uint64_t u2;                /* twice the window's Mann-Whitney U */
	size_t hits;                /* (p >= 0.5) == (y == 1) */
	double logloss, brier;      /* sums over the window */
};

struct cmt_bt_roll *
cmt_bt_roll_new(size_t window)
{
	struct cmt_bt_roll *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->window = window;
	if (cmt_bt_rank_init(&r->by_p, window) ||
	    cmt_bt_rank_init(&r->by_lag, window) ||
	    !(r->lag_class = malloc(window))) {
		cmt_bt_roll_free(r);
		return NULL;
	}
	return r;
}

void
cmt_bt_roll_free(struct cmt_bt_roll *r)
{
	if (!r)
		return;
	cmt_bt_rank_free(&r->by_p);
	cmt_bt_rank_free(&r->by_lag);
	free(r->lag_class);
	free(r);
}

/* Twice the pairs a row (p, y) wins against the window (without it), a
 * tie counting one half: the down rows below p for an up row, the up rows
 * above p for a down row. */
static uint64_t
pairs_won(const struct cmt_bt_roll *r, double p, int y)
{
	struct cmt_bt_rank_count lt, le;

	cmt_bt_rank_around(&r->by_p, p, &lt, &le);
	if (y == 1)   /* 2 (down < p) + (down == p) */
		return (uint64_t)(lt.n - lt.ups) + (le.n - le.ups);
	return 2 * (uint64_t)(cmt_bt_rank_ups(&r->by_p) - le.ups) +
		(le.ups - lt.ups);
}

static int
is_hit(double p, int y)
{
	return (p >= 0.5) == (y == 1);
}

/* The sums from the rows in the window, afresh. */
static void
resum(struct cmt_bt_roll *r)
{
	double ll, br;
	size_t i;

	r->logloss = r->brier = 0;
	for (i = 0; i < r->n; i++) {
		cmt_metrics_terms(cmt_bt_rank_key(&r->by_p, (int32_t)i),
			cmt_bt_rank_up(&r->by_p, (int32_t)i), &ll, &br);
		r->logloss += ll;
		r->brier += br;
	}
	r->since_sum = 0;
}

void
cmt_bt_roll_add(struct cmt_bt_roll *r, double p, int y, int64_t lag_ms)
{
	int32_t slot = (int32_t)r->head;
	double ll, br;

	if (r->n == r->window) {   /* the oldest row leaves */
		double p0 = cmt_bt_rank_key(&r->by_p, slot);
		int y0 = cmt_bt_rank_up(&r->by_p, slot);

		cmt_bt_rank_remove(&r->by_p, slot);
		if (r->lag_class[slot] == LAG_LIVE)
			cmt_bt_rank_remove(&r->by_lag, slot);
		r->lag_below -= r->lag_class[slot] == LAG_BELOW;
		r->lag_above -= r->lag_class[slot] == LAG_ABOVE;
		r->u2 -= pairs_won(r, p0, y0);
		r->hits -= (size_t)is_hit(p0, y0);
		cmt_metrics_terms(p0, y0, &ll, &br);
		r->logloss -= ll;
		r->brier -= br;
		r->n--;
	}
	y = y == 1;
	r->u2 += pairs_won(r, p, y);
	cmt_bt_rank_insert(&r->by_p, slot, p, y);
	r->lag_class[slot] = lag_ms < 0 ? LAG_BELOW : lag_ms >
		LIVE_LAG_MAX_MS ? LAG_ABOVE : LAG_LIVE;
	if (r->lag_class[slot] == LAG_LIVE)
		cmt_bt_rank_insert(&r->by_lag, slot, (double)lag_ms, 0);
	r->lag_below += r->lag_class[slot] == LAG_BELOW;
	r->lag_above += r->lag_class[slot] == LAG_ABOVE;
	r->hits += (size_t)is_hit(p, y);
	cmt_metrics_terms(p, y, &ll, &br);
	r->logloss += ll;
	r->brier += br;
	r->n++;
	r->head = (r->head + 1) % r->window;
	r->total++;
	if (++r->since_sum == r->window)
		resum(r);
}

void
cmt_bt_roll_metrics(const struct cmt_bt_roll *r, struct cmt_metrics *m,
	double *lag_ms)
{
	double n = (double)r->n, up, down;
	size_t mid = r->n / 2;

	m->n = r->n;
	m->n_up = cmt_bt_rank_ups(&r->by_p);
	up = (double)m->n_up;
	down = n - up;
	m->accuracy = r->n ? (double)r->hits / n : NAN;
	m->logloss = r->n ? r->logloss / n : NAN;
	m->brier = r->n ? r->brier / n : NAN;
	/* as cmt_metrics_auc: U / (n_up n_down), exact to the last bit */
	m->auc = up && down ? (double)r->u2 / 2 / (up * down) : NAN;
	/* the median, as the middle of the sorted lags (the upper one) */
	*lag_ms = NAN;
	if (r->n && mid >= r->lag_below && mid < r->n - r->lag_above)
		*lag_ms = cmt_bt_rank_kth(&r->by_lag,
			(uint32_t)(mid - r->lag_below));
}

static char *
put(char *at, const char *s)
{
	size_t n = strlen(s);

	memcpy(at, s, n);
	return at + n;
}

size_t
cmt_bt_roll_members(const struct cmt_bt_roll *r, int64_t t,
	const char *model, size_t model_len, char *buf, size_t cap)
{
	char line[CMT_BT_ROLL_LINE], *at = line;
	struct cmt_metrics m;
	double lag;
	size_t n;

	cmt_bt_roll_metrics(r, &m, &lag);
	if (model && model_len && model_len <= CMT_BT_MODEL_MAX) {
		at = put(at, ",\"model\":\"");
		memcpy(at, model, model_len);
		at += model_len;
		*at++ = '"';
	}
	at = put(at, ",\"t\":");
	at += cmt_fmt_int(at, t);
	at = put(at, ",\"window\":");
	at += cmt_fmt_int(at, (int64_t)r->n);
	at = put(at, ",\"count\":");
	at += cmt_fmt_int(at, (int64_t)r->total);
	at = put(at, ",\"accuracy\":");
	at += cmt_fmt_double(at, m.accuracy, 6);
	at = put(at, ",\"auc\":");
	at += cmt_fmt_double(at, m.auc, 6);
	at = put(at, ",\"logloss\":");
	at += cmt_fmt_double(at, m.logloss, 6);
	at = put(at, ",\"brier\":");
	at += cmt_fmt_double(at, m.brier, 6);
	at = put(at, ",\"base_rate\":");
	at += cmt_fmt_double(at, r->n ? (double)m.n_up / (double)r->n : NAN,
		6);
	at = put(at, ",\"lag_ms\":");
	if (isnan(lag))
		at = put(at, "null");
	else
		at += cmt_fmt_int(at, (int64_t)lag);
	at = put(at, "}\n");
	n = (size_t)(at - line) < cap ? (size_t)(at - line) : cap - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return n;
}

size_t
cmt_bt_roll_format(const struct cmt_bt_roll *r, int64_t t,
	const char *model, size_t model_len, char *buf, size_t cap)
{
	static const char kind[] = "{\"kind\":\"metrics\"";

	if (cap <= sizeof kind)
		return 0;
	memcpy(buf, kind, sizeof kind - 1);
	return sizeof kind - 1 + cmt_bt_roll_members(r, t, model, model_len,
		buf + sizeof kind - 1, cap - (sizeof kind - 1));
}
