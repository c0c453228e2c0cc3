/* Rolling metrics over the last N scored rows (cmt_bt_roll, for
 * --follow): a ring of forecasts, outcomes and lags.  struct cmt_bt_roll
 * owns its arrays; the metrics line goes into the caller's buffer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

struct cmt_bt_roll {
	size_t window, n, head;
	uint64_t total;
	double *p, *ps, *lag, *lags, *pair;
	int *y, *ys;
};

struct cmt_bt_roll *
cmt_bt_roll_new(size_t window)
{
	struct cmt_bt_roll *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->window = window;
	r->p = malloc(window * sizeof *r->p);
	r->ps = malloc(window * sizeof *r->ps);
	r->lag = malloc(window * sizeof *r->lag);
	r->lags = malloc(window * sizeof *r->lags);
	r->pair = malloc(2 * window * sizeof *r->pair);
	r->y = malloc(window * sizeof *r->y);
	r->ys = malloc(window * sizeof *r->ys);
	if (!r->p || !r->ps || !r->lag || !r->lags || !r->pair || !r->y ||
	    !r->ys) {
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
	free(r->p);
	free(r->ps);
	free(r->lag);
	free(r->lags);
	free(r->pair);
	free(r->y);
	free(r->ys);
	free(r);
}

void
cmt_bt_roll_add(struct cmt_bt_roll *r, double p, int y, int64_t lag_ms)
{
	r->p[r->head] = p;
	r->y[r->head] = y;
	r->lag[r->head] = (double)lag_ms;
	r->head = (r->head + 1) % r->window;
	if (r->n < r->window)
		r->n++;
	r->total++;
}

size_t
cmt_bt_roll_format(struct cmt_bt_roll *r, int64_t t, const char *model,
	size_t model_len, char *buf, size_t cap)
{
	struct cmt_metrics m;
	char a[6][32], name[CMT_BT_MODEL_MAX + 16] = "";
	size_t i, up = 0, nlag = 0;
	int n;

	/* the ring in any order: the metrics do not depend on it */
	for (i = 0; i < r->n; i++) {
		r->ps[i] = r->p[i];
		r->ys[i] = r->y[i];
		if (r->lag[i] != (double)CMT_BT_NO_LAG)
			r->lags[nlag++] = r->lag[i];
		up += r->y[i] == 1;
	}
	cmt_metrics_compute(r->ps, r->ys, r->n, r->pair, &m);
	/* a replayed stream is days behind the clock: no latency to show */
	strcpy(a[5], "null");
	if (nlag) {   /* warm-start rows have no latency: live ones only */
		qsort(r->lags, nlag, sizeof *r->lags, cmt_bt_cmp_double);
		if (r->lags[nlag / 2] >= 0 && r->lags[nlag / 2] <= 86400000)
			cmt_fmt_int(a[5], (int64_t)r->lags[nlag / 2]);
	}
	if (model && model_len && model_len <= CMT_BT_MODEL_MAX)
		snprintf(name, sizeof name, ",\"model\":\"%.*s\"",
			(int)model_len, model);
	n = snprintf(buf, cap, "{\"kind\":\"metrics\"%s,\"t\":%lld,"
		"\"window\":%zu,\"count\":%llu,\"accuracy\":%s,\"auc\":%s,"
		"\"logloss\":%s,\"brier\":%s,\"base_rate\":%s,\"lag_ms\":%s}\n",
		name, (long long)t, r->n, (unsigned long long)r->total,
		jnum(a[0], m.accuracy),
		jnum(a[1], m.auc), jnum(a[2], m.logloss), jnum(a[3], m.brier),
		jnum(a[4], r->n ? (double)up / (double)r->n : NAN), a[5]);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
