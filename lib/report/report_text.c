/* The text report of cmt-backtest (cmt_bt_format_text): scores beside the
 * baselines, the calibration table, the trading results and the
 * threshold sweep, after cmt_bt_finish.  The string it returns is
 * malloc'd; the caller frees it. */
#include <math.h>
#include <stdio.h>

#include "cmt_parse.h"
#include "cmt_strbuf.h"
#include "report_int.h"

/* Fixed-point for the text table; "-" when undefined. */
static const char *
fx(char *buf, double x, int width, int prec)
{
	if (isnan(x))
		snprintf(buf, 32, "%*s", width, "-");
	else
		snprintf(buf, 32, "%*.*f", width, prec, x);
	return buf;
}

/* The metrics of a mask, as the report names them. */
static const struct { unsigned bit; const char *name; } metric_names[] = {
	{ CMT_BT_ACCURACY, "accuracy" }, { CMT_BT_AUC, "auc" },
	{ CMT_BT_LOGLOSS, "logloss" }, { CMT_BT_BRIER, "brier" },
};

static void
text_scores(struct cmt_strbuf *b, const char *name,
	const struct cmt_bt_scores *s, double ece, int model, unsigned wins)
{
	char a[6][32], ci[64];
	size_t i;
	int first = 1;

	if (model && !isnan(s->auc_lo))
		snprintf(ci, sizeof ci, "[%.4f, %.4f]", s->auc_lo, s->auc_hi);
	else
		snprintf(ci, sizeof ci, "%s", "");
	cmt_strbuf_printf(b, "  %-12s %8zu %8s %8s  %-18s %8s %8s %8s", name,
		s->m.n, fx(a[0], s->m.accuracy, 8, 4),
		fx(a[1], s->m.auc, 8, 4), ci, fx(a[2], s->m.logloss, 8, 4),
		fx(a[3], s->m.brier, 8, 4), model ? fx(a[4], ece, 8, 4) : "");
	for (i = 0; i < sizeof metric_names / sizeof metric_names[0]; i++)
		if (wins & metric_names[i].bit) {
			cmt_strbuf_printf(b, "%s%s", first ? "  beats the model "
				"on " : ", ", metric_names[i].name);
			first = 0;
		}
	cmt_strbuf_printf(b, "\n");
}

/* The model against the better sign rule: the differences. */
static void
text_held(struct cmt_strbuf *b, const struct cmt_bt_group *g)
{
	const struct cmt_metrics *m = &g->model.m;
	const struct cmt_metrics *r = &g->base[g->held_against].m;

	if (!m->n)
		return;
	cmt_strbuf_printf(b, "  model minus %s (the better sign rule): accuracy "
		"%+.4f, auc %+.4f, logloss %+.4f, brier %+.4f\n",
		cmt_bt_base_name[g->held_against], m->accuracy - r->accuracy,
		m->auc - r->auc, m->logloss - r->logloss, m->brier - r->brier);
}

static void
text_sweep(struct cmt_strbuf *b, const struct cmt_bt *bt)
{
	const struct cmt_bt_group *g = &bt->groups[bt->nsym == 1 ? 0 :
		bt->nsym];
	char a[4][32];
	size_t k;

	cmt_strbuf_printf(b, "\nthreshold sweep (%s; --json has each symbol's)"
		"\n%-8s %8s %8s %8s %9s %9s\n", bt->nsym == 1 ? g->sym :
		"ALL, 1/S each", "theta", "long", "trades", "hit rate", "gross",
		"net");
	for (k = 0; k < bt->o.nsweep; k++) {
		const struct cmt_bt_sweep *w = &g->sweep[k];

		cmt_strbuf_printf(b, "%-8g %8zu %8zu %8s %8s%% %8s%%\n",
			w->theta, w->long_periods, w->trades,
			fx(a[0], w->hit_rate, 8, 4),
			fx(a[1], 100 * w->gross_ret, 8, 3),
			fx(a[2], 100 * w->ret, 8, 3));
	}
}

char *
cmt_bt_format_text(const struct cmt_bt *bt)
{
	const struct cmt_bt_group *all = &bt->groups[bt->nsym];
	struct cmt_strbuf b = { 0 };
	char t0[40], t1[40], a[8][32];
	int i, k;

	cmt_format_time(all->lines ? all->t_first : 0, t0, sizeof t0);
	cmt_format_time(all->lines ? all->t_last : 0, t1, sizeof t1);
	cmt_strbuf_printf(&b, "model %s; vectors %zu, symbols %d, from %s to "
		"%s\n", cmt_bt_model_name(bt), all->lines, bt->nsym,
		all->lines ? t0 : "-", all->lines ? t1 : "-");
	cmt_strbuf_printf(&b, "scored %zu; not scored: %zu flat (y null), %zu "
		"without p_up, %zu unlabelled, %zu partial\n\n", all->model.m.n,
		all->flat, all->no_p, all->unlabelled, all->partial);
	cmt_strbuf_printf(&b, "%-14s %8s %8s %8s  %-18s %8s %8s %8s\n",
		"scores", "n", "accuracy", "auc", "auc 95% (DeLong)", "logloss",
		"brier", "ece");
	for (i = 0; i <= bt->nsym; i++) {
		const struct cmt_bt_group *g = &bt->groups[i];

		if (bt->nsym == 1 && i == 1)
			break;
		cmt_strbuf_printf(&b, "%s  (up %s)\n", g->sym,
			fx(a[0], g->base_rate, 0, 4));
		text_scores(&b, "model", &g->model, g->ece, 1, 0);
		for (k = 0; k < CMT_BT_NBASE; k++)
			text_scores(&b, cmt_bt_base_name[k], &g->base[k], 0, 0,
				g->base_wins[k]);
		text_held(&b, g);
	}
	cmt_strbuf_printf(&b, "\ncalibration (%s, %d bins, ECE %s)\n",
		bt->nsym == 1 ? bt->groups[0].sym : "ALL", CMT_BT_BINS,
		fx(a[0], all->ece, 0, 4));
	cmt_strbuf_printf(&b, "  %-9s %8s %8s %8s\n", "p_up", "n", "mean p",
		"up");
	for (k = 0; k < CMT_BT_BINS; k++)
		cmt_strbuf_printf(&b, "  [%.1f,%.1f%c %8zu %8s %8s\n",
			(double)k / CMT_BT_BINS, (double)(k + 1) / CMT_BT_BINS,
			k == CMT_BT_BINS - 1 ? ']' : ')', all->calib[k].n,
			fx(a[0], all->calib[k].p_mean, 8, 4),
			fx(a[1], all->calib[k].freq, 8, 4));
	cmt_strbuf_printf(&b, "\ntrading: long when p_up > %g, else flat; fee "
		"%g bps per entry and exit; one period = one vector step\n",
		bt->o.theta, bt->o.fee_bps);
	cmt_strbuf_printf(&b, "%-14s %8s %8s %8s %8s %9s %9s %9s %8s %8s\n",
		"symbol", "periods", "long", "trades", "hit rate", "gross",
		"net", "buy&hold", "max dd", "sharpe");
	for (i = 0; i <= bt->nsym; i++) {
		const struct cmt_bt_trading *t = &bt->groups[i].trading;

		if (bt->nsym == 1 && i == 1)
			break;
		cmt_strbuf_printf(&b,
			"%-14s %8zu %8zu %8zu %8s %8s%% %8s%% %8s%% %7s%% %8s\n",
			i == bt->nsym ? "ALL (1/S each)" : bt->groups[i].sym,
			t->periods, t->long_periods, t->trades,
			fx(a[0], t->hit_rate, 8, 4),
			fx(a[1], 100 * t->gross_ret, 8, 3),
			fx(a[2], 100 * t->ret, 8, 3),
			fx(a[3], 100 * t->bh_ret, 8, 3),
			fx(a[4], 100 * t->max_dd, 7, 3),
			fx(a[5], t->sharpe, 8, 4));
	}
	if (bt->o.nsweep)
		text_sweep(&b, bt);
	return cmt_strbuf_take(&b);
}
