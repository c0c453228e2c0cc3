/* The JSON report of cmt-backtest (cmt_bt_format_json): one object with
 * the overall group and one per symbol (scores, baselines, calibration,
 * trading and the sweep), after cmt_bt_finish.  The string
 * it returns is malloc'd; the caller frees it. */
#include "cmt_strbuf.h"
#include "report_int.h"

/* The metrics of a mask, as JSON names them. */
static const struct { unsigned bit; const char *name; } metric_keys[] = {
	{ CMT_BT_ACCURACY, "accuracy" }, { CMT_BT_AUC, "auc" },
	{ CMT_BT_LOGLOSS, "logloss" }, { CMT_BT_BRIER, "brier" },
};

/* A scores object; a baseline's (wins >= 0) lists where it beats the
 * model. */
static void
json_scores(struct cmt_strbuf *b, const char *name,
	const struct cmt_bt_scores *s, int wins)
{
	char a[6][32];
	size_t i;
	int first = 1;

	cmt_strbuf_printf(b, "\"%s\":{\"n\":%zu,\"accuracy\":%s,\"auc\":%s,"
		"\"auc_lo\":%s,\"auc_hi\":%s,\"logloss\":%s,\"brier\":%s",
		name,
		s->m.n, jnum(a[0], s->m.accuracy), jnum(a[1], s->m.auc),
		jnum(a[2], s->auc_lo), jnum(a[3], s->auc_hi),
		jnum(a[4], s->m.logloss), jnum(a[5], s->m.brier));
	if (wins >= 0) {
		cmt_strbuf_printf(b, ",\"beats_model_on\":[");
		for (i = 0; i < sizeof metric_keys / sizeof metric_keys[0]; i++)
			if ((unsigned)wins & metric_keys[i].bit) {
				cmt_strbuf_printf(b, "%s\"%s\"", first ? "" : ",",
					metric_keys[i].name);
				first = 0;
			}
		cmt_strbuf_printf(b, "]");
	}
	cmt_strbuf_printf(b, "}");
}

static void
json_sweep(struct cmt_strbuf *b, const struct cmt_bt *bt,
	const struct cmt_bt_group *g)
{
	char a[4][32];
	size_t k;

	cmt_strbuf_printf(b, ",\"sweep\":[");
	for (k = 0; k < bt->o.nsweep; k++) {
		const struct cmt_bt_sweep *w = &g->sweep[k];

		cmt_strbuf_printf(b, "%s{\"theta\":%s,\"long_periods\":%zu,"
			"\"trades\":%zu,\"wins\":%zu,\"hit_rate\":%s,"
			"\"gross_return\":%s,\"return\":%s}", k ? "," : "",
			jnum(a[0], w->theta), w->long_periods, w->trades,
			w->wins, jnum(a[1], w->hit_rate),
			jnum(a[2], w->gross_ret), jnum(a[3], w->ret));
	}
	cmt_strbuf_printf(b, "]");
}

static void
json_group(struct cmt_strbuf *b, const struct cmt_bt *bt,
	const struct cmt_bt_group *g)
{
	const struct cmt_bt_trading *t = &g->trading;
	char a[8][32];
	int k;

	cmt_strbuf_printf(b, "{\"sym\":\"%s\",\"vectors\":%zu,\"t_first\":%lld,"
		"\"t_last\":%lld,\"scored\":%zu,\"flat\":%zu,\"no_p\":%zu,"
		"\"unlabelled\":%zu,\"partial\":%zu,\"base_rate\":%s,", g->sym,
		g->lines, g->lines ? (long long)g->t_first : 0,
		g->lines ? (long long)g->t_last : 0, g->model.m.n, g->flat,
		g->no_p, g->unlabelled, g->partial, jnum(a[0], g->base_rate));
	json_scores(b, "model", &g->model, -1);
	for (k = 0; k < CMT_BT_NBASE; k++) {
		cmt_strbuf_printf(b, ",");
		json_scores(b, cmt_bt_base_key[k], &g->base[k],
			(int)g->base_wins[k]);
	}
	cmt_strbuf_printf(b, ",\"held_against\":\"%s\",\"ece\":%s,"
		"\"calibration\":[", cmt_bt_base_key[g->held_against],
		jnum(a[0], g->ece));
	for (k = 0; k < CMT_BT_BINS; k++)
		cmt_strbuf_printf(b, "%s{\"lo\":%s,\"hi\":%s,\"n\":%zu,"
			"\"p_mean\":%s,\"freq\":%s}", k ? "," : "",
			jnum(a[0], (double)k / CMT_BT_BINS),
			jnum(a[1], (double)(k + 1) / CMT_BT_BINS),
			g->calib[k].n, jnum(a[2], g->calib[k].p_mean),
			jnum(a[3], g->calib[k].freq));
	cmt_strbuf_printf(b, "],\"trading\":{\"theta\":%s,\"fee_bps\":%s,"
		"\"periods\":%zu,\"long_periods\":%zu,\"trades\":%zu,"
		"\"wins\":%zu,\"hit_rate\":%s,\"return\":%s,"
		"\"gross_return\":%s,\"buy_hold\":%s,\"max_drawdown\":%s,"
		"\"sharpe_per_period\":%s}",
		jnum(a[0], bt->o.theta), jnum(a[1], bt->o.fee_bps), t->periods,
		t->long_periods, t->trades, t->wins, jnum(a[2], t->hit_rate),
		jnum(a[3], t->ret), jnum(a[7], t->gross_ret),
		jnum(a[4], t->bh_ret), jnum(a[5], t->max_dd),
		jnum(a[6], t->sharpe));
	if (bt->o.nsweep)
		json_sweep(b, bt, g);
	cmt_strbuf_printf(b, "}");
}

char *
cmt_bt_format_json(const struct cmt_bt *bt)
{
	struct cmt_strbuf b = { 0 };
	int i;

	if (bt->model.models)
		cmt_strbuf_printf(&b, "{\"model\":\"%s\",\"overall\":",
			cmt_bt_model_name(bt));
	else
		cmt_strbuf_printf(&b, "{\"model\":null,\"overall\":");
	json_group(&b, bt, &bt->groups[bt->nsym]);
	cmt_strbuf_printf(&b, ",\"symbols\":[");
	for (i = 0; i < bt->nsym; i++) {
		cmt_strbuf_printf(&b, "%s", i ? "," : "");
		json_group(&b, bt, &bt->groups[i]);
	}
	cmt_strbuf_printf(&b, "]}\n");
	return cmt_strbuf_take(&b);
}
