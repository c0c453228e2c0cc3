/* cmt_bt: rows in (cmt_bt_add), every group's figures out (cmt_bt_finish).
 * struct cmt_bt owns its groups, running sums and spill file; cmt_bt_free
 * releases them all.  The state is in report_int.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_int.h"

static void
acc_begin(struct acc *a)
{
	a->t_first = INT64_MAX;
	a->t_last = INT64_MIN;
	cmt_bt_base_begin(&a->base, NULL, NULL);
}

enum cmt_err
cmt_bt_new(struct cmt_bt **out, const struct cmt_bt_opts *o)
{
	struct cmt_bt *bt = calloc(1, sizeof *bt);

	*out = bt;
	if (!bt)
		return CMT_ENOMEM;
	bt->o = *o;
	bt->pt_size = o->plot ? PT_MAX : PT_FIGURES;
	bt->pts_fd = -1;
	acc_begin(&bt->all);
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
		free(bt->st[s]->sweep);
		free(bt->st[s]);
	}
	free(bt->all.scores.e);
	if (bt->pts_fd >= 0)
		close(bt->pts_fd);
	free(bt->groups);
	free(bt->sweeps);
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

/* A new symbol's state. */
static struct sym *
sym_new(const struct cmt_bt *bt)
{
	struct sym *st = calloc(1, sizeof *st);
	size_t k;

	if (!st)
		return NULL;
	if (bt->o.nsweep && !(st->sweep = calloc(bt->o.nsweep,
	    sizeof *st->sweep))) {
		free(st);
		return NULL;
	}
	acc_begin(&st->acc);
	st->first_blk = st->last_blk = -1;
	cmt_bt_trade_begin(&st->tr, bt->o.fee_bps);
	cmt_bt_trade_begin(&st->mom, bt->o.fee_bps);
	cmt_bt_trade_begin(&st->rev, bt->o.fee_bps);
	for (k = 0; k < bt->o.nsweep; k++)
		cmt_bt_trade_begin(&st->sweep[k], bt->o.fee_bps);
	return st;
}

void
cmt_bt_model_see(struct model_name *mn, const struct cmt_fvec *v)
{
	size_t n = v->model.len;

	if (!v->has_p || !n)
		return;
	if (n > CMT_BT_MODEL_MAX) {
		mn->models = 2;  /* unnamable: report as several */
	} else if (!mn->models) {
		memcpy(mn->s, v->model.s, n);
		mn->s[n] = '\0';
		mn->models = 1;
	} else if (mn->models == 1 && (strlen(mn->s) != n ||
	    memcmp(mn->s, v->model.s, n) != 0)) {
		mn->models = 2;
	}
}

const char *
cmt_bt_model_str(const struct model_name *mn)
{
	return mn->models == 0 ? "-" : mn->models == 1 ? mn->s : "(several)";
}

/* The symbol's trading rules on the row, and its point. */
static enum cmt_err
trade_row(struct cmt_bt *bt, int s, const struct cmt_fvec *v, double p,
	char *err)
{
	struct sym *st = bt->st[s];
	double x0 = v->x[0], pt[PT_MAX];
	size_t k;

	if (cmt_bt_trade_step(&st->tr, v->t, v->px, p, bt->o.theta) ==
	    TRADE_CLOSED && bt->o.on_trade) {
		st->tr.open.sym = bt->sym[s];
		bt->o.on_trade(bt->o.trade_ctx, &st->tr.open);
	}
	for (k = 0; k < bt->o.nsweep; k++)
		cmt_bt_trade_step(&st->sweep[k], v->t, v->px, p, bt->o.sweep[k]);
	if (bt->o.plot) {
		/* the sign rules traded: long after a rise, or after a fall */
		cmt_bt_trade_step(&st->mom, v->t, v->px, x0 > 0 ? 1 : x0 < 0 ?
			0 : NAN, bt->o.theta);
		cmt_bt_trade_step(&st->rev, v->t, v->px, x0 < 0 ? 1 : x0 > 0 ?
			0 : NAN, bt->o.theta);
	}
	if (st->tr.rows < 2)
		return CMT_OK;
	pt[PT_T] = (double)v->t;
	pt[PT_EQ] = st->tr.eq;
	pt[PT_GROSS] = st->tr.gross;
	pt[PT_BH] = v->px / st->tr.px0;
	pt[PT_MOM] = st->mom.eq;
	pt[PT_REV] = st->rev.eq;
	return cmt_bt_put_point(bt, st, pt, err);
}

enum cmt_err
cmt_bt_add(struct cmt_bt *bt, const struct cmt_fvec *v, char *err)
{
	struct sym *st;
	double p = v->has_p ? v->p_up : NAN;
	int s = symbol_index(bt, v->sym), y = v->has_y ? v->y : Y_NONE;
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
	if (s < 0 && bt->nsym == CMT_BT_MAX_SYMBOLS)
		return cmt_errf(err, CMT_ELIMIT, "more than %d symbols",
			CMT_BT_MAX_SYMBOLS);
	/* the rule of every reader of vectors, --follow's too; a new
	 * symbol's slot (zeroed) is taken only once its first time is */
	if ((e = cmt_symtime_take(&bt->time[s < 0 ? bt->nsym : s], v->sym,
	    "vector", v->t, bt->o.max_jump_ms, NULL, err)))
		return e;
	if (s < 0) {
		s = bt->nsym;
		if (!(st = sym_new(bt))) {
			memset(&bt->time[s], 0, sizeof bt->time[s]);
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		}
		bt->nsym++;
		bt->st[s] = st;
		strcpy(bt->sym[s], v->sym);
	}
	st = bt->st[s];
	cmt_bt_model_see(&bt->model, v);
	bt->n++;
	if ((e = cmt_bt_acc_add(&st->acc, v, p, y, err)) ||
	    (e = cmt_bt_acc_add(&bt->all, v, p, y, err)))
		return e;
	return trade_row(bt, s, v, p, err);
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
	size_t ns = bt->o.nsweep;
	enum cmt_err e = CMT_OK;
	int s;

	free(bt->groups);
	free(bt->sweeps);
	bt->sweeps = NULL;
	if (!(bt->groups = calloc((size_t)bt->nsym + 1, sizeof *bt->groups)) ||
	    (ns && !(bt->sweeps = calloc(((size_t)bt->nsym + 1) * ns,
	    sizeof *bt->sweeps)))) {
		free(bt->groups);
		bt->groups = NULL;
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	all = &bt->groups[bt->nsym].trading;
	for (s = 0; s < bt->nsym && !e; s++) {
		if ((e = cmt_bt_score_group(&bt->st[s]->acc, bt->sym[s],
		    &bt->groups[s], err)))
			break;
		cmt_bt_trade_end(&bt->st[s]->tr, &bt->groups[s].trading);
	}
	if (!e)
		e = cmt_bt_score_group(&bt->all, "ALL", &bt->groups[bt->nsym],
			err);
	for (s = 0; s < bt->nsym && !e; s++) {
		int k = partial_index(bt, bt->sym[s]);

		bt->groups[s].partial = k >= 0 ? bt->partial_n[k] : 0;
	}
	if (!e) {
		bt->groups[bt->nsym].partial = bt->partial;
		memset(all, 0, sizeof *all);
		for (s = 0; s < bt->nsym; s++) {
			const struct cmt_bt_trading *t = &bt->groups[s].trading;

			all->long_periods += t->long_periods;
			all->trades += t->trades;
			all->wins += t->wins;
			all->bh_ret += t->bh_ret / bt->nsym;
		}
		all->hit_rate = all->trades ? (double)all->wins /
			(double)all->trades : NAN;
		e = cmt_bt_portfolio(bt, err);
	}
	if (!e && ns) {
		cmt_bt_sweep_end(bt);
		for (s = 0; s <= bt->nsym; s++)
			bt->groups[s].sweep = bt->sweeps + (size_t)s * ns;
	}
	if (e) {
		free(bt->groups);
		bt->groups = NULL;
		return e;
	}
	cmt_bt_open_trades(bt);
	return CMT_OK;
}

const char *
cmt_bt_model_name(const struct cmt_bt *bt)
{
	return cmt_bt_model_str(&bt->model);
}
