/* Rolling metrics over the last N scored rows (cmt_bt_roll, for
 * --follow), kept up to date a row at a time: O(log N) per row and per
 * metrics line, whatever the window.  The AUC is the Mann-Whitney U of
 * the window, which a row changes by the rows of the other class below
 * and level with it: an order-statistic tree over the rows' p answers
 * that, and another over their lags gives the median lag.  Counts are
 * exact; the log-loss and Brier sums are summed afresh from the window
 * once per N rows, so rounding cannot drift.  Memory: 64 bytes per row of
 * the window.  struct cmt_bt_roll owns its trees; the metrics line goes
 * into the caller's buffer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranktree.h"
#include "report_int.h"

struct cmt_bt_roll {
	size_t window, n, head, since_sum;
	uint64_t total;
	struct cmt_bt_rank by_p;    /* slot: the row's p, up when y is 1 */
	struct cmt_bt_rank by_lag;  /* slot: the row's lag */
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
	    cmt_bt_rank_init(&r->by_lag, window)) {
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
	free(r);
}

/* Twice the pairs a row (p, y) wins against the window (without it), a
 * tie counting one half: the down rows below p for an up row, the up rows
 * above p for a down row. */
static uint64_t
pairs_won(const struct cmt_bt_roll *r, double p, int y)
{
	uint32_t up_lt, up_le, lt, le, ups = cmt_bt_rank_ups(&r->by_p);

	lt = cmt_bt_rank_below(&r->by_p, p, 0, &up_lt);
	le = cmt_bt_rank_below(&r->by_p, p, 1, &up_le);
	if (y == 1)   /* 2 (down < p) + (down == p) */
		return (uint64_t)(lt - up_lt) + (le - up_le);
	return 2 * (uint64_t)(ups - up_le) + (up_le - up_lt);
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
		cmt_metrics_terms(r->by_p.node[i].key, r->by_p.node[i].up,
			&ll, &br);
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
		double p0 = r->by_p.node[slot].key;
		int y0 = r->by_p.node[slot].up;

		cmt_bt_rank_remove(&r->by_p, slot);
		cmt_bt_rank_remove(&r->by_lag, slot);
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
	cmt_bt_rank_insert(&r->by_lag, slot, (double)lag_ms, 0);
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
	*lag_ms = r->n ? cmt_bt_rank_kth(&r->by_lag, (uint32_t)(r->n / 2)) :
		NAN;
}

size_t
cmt_bt_roll_format(struct cmt_bt_roll *r, int64_t t, const char *model,
	size_t model_len, char *buf, size_t cap)
{
	struct cmt_metrics m;
	char a[6][32], name[CMT_BT_MODEL_MAX + 16] = "";
	double lag;
	int n;

	cmt_bt_roll_metrics(r, &m, &lag);
	/* a replayed stream is days behind the clock: no latency to show */
	strcpy(a[5], "null");
	if (lag >= 0 && lag <= 86400000)
		cmt_fmt_int(a[5], (int64_t)lag);
	if (model && model_len && model_len <= CMT_BT_MODEL_MAX)
		snprintf(name, sizeof name, ",\"model\":\"%.*s\"",
			(int)model_len, model);
	n = snprintf(buf, cap, "{\"kind\":\"metrics\"%s,\"t\":%lld,"
		"\"window\":%zu,\"count\":%llu,\"accuracy\":%s,\"auc\":%s,"
		"\"logloss\":%s,\"brier\":%s,\"base_rate\":%s,\"lag_ms\":%s}\n",
		name, (long long)t, r->n, (unsigned long long)r->total,
		jnum(a[0], m.accuracy),
		jnum(a[1], m.auc), jnum(a[2], m.logloss), jnum(a[3], m.brier),
		jnum(a[4], r->n ? (double)m.n_up / (double)r->n : NAN), a[5]);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
