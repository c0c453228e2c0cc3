/* cmt_bt: rows in (cmt_bt_add), every group's figures out (cmt_bt_finish).
 * struct cmt_bt owns its groups, running sums, kept rows and spill files;
 * cmt_bt_free releases them all.  The state is in report_int.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_int.h"

enum cmt_err
cmt_bt_new(struct cmt_bt **out, const struct cmt_bt_opts *o)
{
	struct cmt_bt *bt = calloc(1, sizeof *bt);

	*out = bt;
	if (!bt)
		return CMT_ENOMEM;
	bt->o = *o;
	bt->rows.fd = -1;
	bt->pts_fd = -1;
	bt->all.t_first = INT64_MAX;
	bt->all.t_last = INT64_MIN;
	return CMT_OK;
}

void
cmt_bt_free(struct cmt_bt *bt)
{
	int s;

	if (!bt)
		return;
	for (s = 0; s < bt->nsym; s++) {
		free(bt->st[s]->acc.scores.e);
		free(bt->st[s]->blk);
		free(bt->st[s]);
	}
	free(bt->all.scores.e);
	if (bt->rows.fd >= 0)
		close(bt->rows.fd);
	if (bt->pts_fd >= 0)
		close(bt->pts_fd);
	free(bt->groups);
	free(bt->curve);
	free(bt->kept);
	free(bt);
}

static int
partial_index(const struct cmt_bt *bt, const char *sym)
{
	int i;

	for (i = (int)bt->npartial_sym - 1; i >= 0; i--)
		if (strcmp(bt->partial_sym[i], sym) == 0)
			return i;
	return -1;
}

static int
symbol_index(struct cmt_bt *bt, const char *sym)
{
	int i;

	for (i = bt->nsym - 1; i >= 0; i--)
		if (strcmp(bt->sym[i], sym) == 0)
			return i;
	return -1;
}

enum cmt_err
cmt_bt_add(struct cmt_bt *bt, const struct cmt_fvec *v, char *err)
{
	struct sym *st;
	double p = v->has_p ? v->p_up : NAN, eq0, eq, px0, x0 = v->x[0];
	int s = symbol_index(bt, v->sym), y = v->has_y ? v->y : Y_NONE;
	int sign = x0 > 0 ? 0 : x0 < 0 ? 1 : 2;
	enum cmt_err e;

	if (v->partial) {
		/* provisional: its step's final vector follows */
		bt->partial++;
		if ((s = partial_index(bt, v->sym)) < 0 &&
		    bt->npartial_sym < CMT_BT_MAX_SYMBOLS) {
			s = (int)bt->npartial_sym++;
			strcpy(bt->partial_sym[s], v->sym);
		}
		if (s >= 0)
			bt->partial_n[s]++;
		return CMT_ESKIP;
	}
	if (s < 0) {
		if (bt->nsym == CMT_BT_MAX_SYMBOLS)
			return cmt_errf(err, CMT_ELIMIT, "more than %d symbols",
				CMT_BT_MAX_SYMBOLS);
		if (!(st = calloc(1, sizeof *st)))
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		st->acc.t_first = INT64_MAX;
		st->acc.t_last = INT64_MIN;
		st->first_blk = st->last_blk = -1;
		cmt_bt_trade_begin(&st->tr, bt->o.fee_bps);
		s = bt->nsym++;
		bt->st[s] = st;
		strcpy(bt->sym[s], v->sym);
	}
	/* the rule of every reader of vectors, --follow's too */
	if ((e = cmt_symtime_take(&bt->time[s], v->sym, "vector", v->t, 0,
	    NULL, err)))
		return e;
	st = bt->st[s];
	if (v->has_p && v->model.len) {
		size_t n = v->model.len;

		if (n > CMT_BT_MODEL_MAX) {
			bt->models = 2;  /* unnamable: report as several */
		} else if (!bt->models) {
			memcpy(bt->model, v->model.s, n);
			bt->model[n] = '\0';
			bt->models = 1;
		} else if (bt->models == 1 && (strlen(bt->model) != n ||
		    memcmp(bt->model, v->model.s, n) != 0)) {
			bt->models = 2;
		}
	}
	bt->n++;
	if ((e = cmt_bt_acc_add(&st->acc, v, p, y, sign, err)) ||
	    (e = cmt_bt_acc_add(&bt->all, v, p, y, sign, err)))
		return e;
	if (bt->o.keep_rows) {
		if (bt->nkept == bt->capkept) {
			size_t cap = bt->capkept ? 2 * bt->capkept : 4096;
			struct kept_row *k = realloc(bt->kept, cap * sizeof *k);

			if (!k)
				return cmt_errf(err, CMT_ENOMEM, "out of memory");
			bt->kept = k;
			bt->capkept = cap;
		}
		bt->kept[bt->nkept++] = (struct kept_row){ v->t, v->px, p, x0,
			s, y };
	}
	if (y >= 0 && !isnan(p) && (e = cmt_bt_spill_put(&bt->rows,
	    (uint32_t)s << 3 | (uint32_t)sign << 1 | (uint32_t)y, err)))
		return e;
	/* the portfolio: this symbol's equity and buy-and-hold changes */
	eq0 = st->tr.eq;
	px0 = st->tr.px;
	eq = cmt_bt_trade_step(&st->tr, v->px, p, bt->o.theta);
	if (st->tr.rows > 1 && (e = cmt_bt_put_point(bt, st, v->t, eq - eq0,
	    (v->px - px0) / st->tr.px0, err)))
		return e;
	return CMT_OK;
}

int
cmt_bt_ngroups(const struct cmt_bt *bt)
{
	return bt->groups ? bt->nsym + 1 : 0;
}

const struct cmt_bt_group *
cmt_bt_group(const struct cmt_bt *bt, int i)
{
	return &bt->groups[i];
}

/* ---- every group's figures ---- */

enum cmt_err
cmt_bt_finish(struct cmt_bt *bt, char *err)
{
	struct cmt_bt_trading *all;
	double ns = bt->nsym;
	enum cmt_err e = CMT_OK;
	size_t draw;
	int s;

	free(bt->groups);
	free(bt->curve);
	bt->curve = NULL;
	bt->ncurve = bt->ndrawn = 0;
	if (!(bt->groups = calloc((size_t)bt->nsym + 1, sizeof *bt->groups)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	all = &bt->groups[bt->nsym].trading;
	for (s = 0; s < bt->nsym && !e; s++) {
		struct cmt_bt_trading *t = &bt->groups[s].trading;

		if ((e = cmt_bt_score_group(&bt->st[s]->acc, bt->sym[s],
		    &bt->groups[s], err)))
			break;
		cmt_bt_trade_end(&bt->st[s]->tr, t);
	}
	if (!e)
		e = cmt_bt_score_group(&bt->all, "ALL", &bt->groups[bt->nsym],
			err);
	for (s = 0; s < bt->nsym && !e; s++) {
		int k = partial_index(bt, bt->sym[s]);

		bt->groups[s].partial = k >= 0 ? bt->partial_n[k] : 0;
	}
	if (!e)
		bt->groups[bt->nsym].partial = bt->partial;
	if (!e)
		e = cmt_bt_baselines(bt, err);
	if (!e) {
		memset(all, 0, sizeof *all);
		for (s = 0; s < bt->nsym; s++) {
			const struct cmt_bt_trading *t = &bt->groups[s].trading;

			all->long_periods += t->long_periods;
			all->trades += t->trades;
			all->wins += t->wins;
			all->bh_ret += t->bh_ret / ns;
		}
		all->hit_rate = all->trades ? (double)all->wins /
			(double)all->trades : NAN;
		e = cmt_bt_portfolio(bt, 0, err);
	}
	/* the plot draws at most about 1500 points of the curve */
	draw = bt->ncurve > 1500 ? (bt->ncurve + 1499) / 1500 : 1;
	if (!e && bt->ncurve &&
	    !(bt->curve = malloc((bt->ncurve / draw + 1) * sizeof *bt->curve)))
		e = cmt_errf(err, CMT_ENOMEM, "out of memory");
	if (!e && bt->ncurve)
		e = cmt_bt_portfolio(bt, draw, err);
	if (e) {
		free(bt->groups);
		bt->groups = NULL;
	}
	return e;
}

/* The model named by the rows: "-" when none, "(several)" if they differ.
 * Names are the raw JSON string contents (escapes kept), valid between
 * quotes in the JSON report. */
const char *
cmt_bt_model_name(const struct cmt_bt *bt)
{
	return bt->models == 0 ? "-" : bt->models == 1 ? bt->model :
		"(several)";
}
