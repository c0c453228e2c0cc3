/* Unit tests for the backtest: calibration, DeLong interval, trading rule,
 * the equal-weight portfolio and the rolling window, against values worked
 * out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_test.h"
#include "cmt_metrics.h"
#include "cmt_backtest.h"

/* cmocka's assert_close works in float; these are doubles */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

/* The four scored rows of tests/cli/data/tiny-predictions.ndjson. */
static const double P4[] = { 0.85, 0.25, 0.45, 0.65 };
static const int Y4[] = { 1, 0, 1, 0 };

static void
calibration_puts_each_forecast_in_its_tenth_and_ece_is_hand_value(void **state)
{
	struct cmt_bt_bin tab[CMT_BT_BINS];
	double ece = cmt_bt_calibration(P4, Y4, 4, tab);

	/* bins 2, 4, 6, 8 hold one row each: |0.25-0| + |0.45-1| +
	 * |0.65-0| + |0.85-1| = 0.25 + 0.55 + 0.65 + 0.15 = 1.6; / 4 = 0.4 */
	assert_near(ece, 0.4, 1e-12);
	assert_int_equal(tab[2].n, 1);
	assert_int_equal(tab[4].n, 1);
	assert_near(tab[4].freq, 1, 0);
	assert_near(tab[6].p_mean, 0.65, 1e-12);
	assert_int_equal(tab[0].n + tab[1].n + tab[3].n + tab[5].n + tab[7].n +
		tab[9].n, 0);
	assert_true(isnan(tab[0].p_mean));
}

static void
calibration_puts_one_in_the_last_bin(void **state)
{
	struct cmt_bt_bin tab[CMT_BT_BINS];
	double p[] = { 1.0, 0.0 };
	int y[] = { 1, 0 };

	assert_near(cmt_bt_calibration(p, y, 2, tab), 0, 0);
	assert_int_equal(tab[9].n, 1);
	assert_int_equal(tab[0].n, 1);
	assert_true(isnan(cmt_bt_calibration(p, y, 0, tab)));
}

static void
delong_standard_error_matches_the_hand_computation(void **state)
{
	double scratch[8], auc, se;

	/* up rows 0.85, 0.45 outrank 2/2 and 1/2 of the down rows: V10 =
	 * {1, 0.5}; down rows 0.25, 0.65 are outranked by 2/2 and 1/2 of
	 * the up rows: V01 = {1, 0.5}.  AUC = 0.75; S10 = S01 =
	 * (0.25^2 + 0.25^2) / 1 = 0.125; var = 0.125/2 + 0.125/2 = 0.125 */
	se = cmt_bt_auc_se(P4, Y4, 4, scratch, &auc);
	assert_near(auc, 0.75, 1e-12);
	assert_near(se, sqrt(0.125), 1e-12);
}

static void
delong_counts_ties_as_half_and_needs_two_of_each_class(void **state)
{
	double scratch[8], auc;
	double p[] = { 0.5, 0.5, 0.5, 0.5 };
	int y[] = { 1, 0, 1, 0 };

	assert_near(cmt_bt_auc_se(p, y, 4, scratch, &auc), 0, 1e-12);
	assert_near(auc, 0.5, 1e-12);
	assert_true(isnan(cmt_bt_auc_se(p, y, 3, scratch, &auc)));
}

/* The six rows of the tiny file: prices and p_up (NAN: no p_up). */
static const double PX6[] = { 100, 110, 99, 99, 108.9, 98.01 };
static const double PU6[] = { 0.85, 0.25, 0.55, 0.45, 0.65, NAN };

static void
trading_rule_without_fees_matches_hand_values(void **state)
{
	struct cmt_bt_trading t;
	double eq[6];

	/* long over periods 1 (+10 %), 3 (0 %) and 5 (-10 %): equity 1.1,
	 * 1.1, 1.1, 1.1, 0.99; trades 3, one win (+10 %); buy and hold
	 * 98.01/100 - 1; drawdown 1 - 0.99/1.1 = 0.1; per-period returns
	 * 0.1, 0, 0, 0, -0.1 have mean 0 */
	cmt_bt_trade(PX6, PU6, 6, 0.5, 0, &t, eq);
	assert_int_equal(t.periods, 5);
	assert_int_equal(t.long_periods, 3);
	assert_int_equal(t.trades, 3);
	assert_int_equal(t.wins, 1);
	assert_near(t.ret, -0.01, 1e-12);
	assert_near(t.bh_ret, -0.0199, 1e-12);
	assert_near(t.max_dd, 0.1, 1e-12);
	assert_near(t.sharpe, 0, 1e-12);
	assert_near(eq[0], 1, 0);
	assert_near(eq[5], 0.99, 1e-12);
}

static void
trading_rule_pays_the_fee_on_every_entry_and_exit(void **state)
{
	struct cmt_bt_trading t;
	double e;

	/* f = 0.001.  Growth per period: 0.999*1.1 (entry), 0.999 (exit),
	 * 0.999 (entry, flat price), 0.999 (exit), 0.999*0.9 (entry; open at
	 * the end, no exit fee).  Trade 1 = 1.0989*0.999 - 1 > 0 wins;
	 * trade 2 = 0.999^2 - 1 loses.  Peak 1.0989, so the drawdown is
	 * 1 - E/1.0989.  Returns 0.0989, -0.001 x3, -0.1009: mean -0.001,
	 * deviations 0.0999, 0, 0, 0, -0.0999: sd = sqrt(2*0.0999^2/4). */
	cmt_bt_trade(PX6, PU6, 6, 0.5, 10, &t, NULL);
	e = 1.0989 * 0.999 * 0.999 * 0.999 * 0.999 * 0.9;
	assert_near(t.ret, e - 1, 1e-12);
	assert_int_equal(t.wins, 1);
	assert_near(t.max_dd, 1 - e / 1.0989, 1e-12);
	assert_near(t.sharpe,
		-0.001 / sqrt(2 * 0.0999 * 0.0999 / 4), 1e-9);
	/* theta 0.7: only row 1 (0.85) is long */
	cmt_bt_trade(PX6, PU6, 6, 0.7, 0, &t, NULL);
	assert_int_equal(t.trades, 1);
	assert_near(t.ret, 0.1, 1e-12);
}

static struct cmt_fvec
vec(const char *sym, int64_t t, double px, double p, int y)
{
	struct cmt_fvec v;
	int i;

	memset(&v, 0, sizeof v);
	strcpy(v.sym, sym);
	v.t = t;
	v.px = px;
	v.has_p = !isnan(p);
	v.p_up = p;
	v.has_y = 1;
	v.y = y;
	for (i = 0; i < CMT_FEAT_N; i++)
		v.x[i] = 0;
	return v;
}

static void
overall_trading_weights_each_symbol_equally_in_time_order(void **state)
{
	struct cmt_bt_opts o = { .theta = 0.5, .fee_bps = 0 };
	struct cmt_bt *bt;
	struct cmt_fvec v[4];
	const struct cmt_bt_group *all;
	char err[CMT_ERRLEN];
	int i;

	/* A gains 10 % at t=60s, B loses 10 % at t=90s, both long:
	 * portfolio (1.1 + 1)/2 = 1.05, then (1.1 + 0.9)/2 = 1.0;
	 * drawdown 1 - 1/1.05; buy and hold likewise 0 */
	v[0] = vec("A-B", 0, 100, 0.9, 1);
	v[1] = vec("C-D", 30000, 50, 0.9, 0);
	v[2] = vec("A-B", 60000, 110, 0.9, 1);
	v[3] = vec("C-D", 90000, 45, 0.9, 0);
	assert_int_equal(cmt_bt_new(&bt, &o), CMT_OK);
	for (i = 0; i < 4; i++)
		assert_int_equal(cmt_bt_add(bt, &v[i], err), CMT_OK);
	assert_int_equal(cmt_bt_finish(bt, err), CMT_OK);
	assert_int_equal(cmt_bt_ngroups(bt), 3);
	all = cmt_bt_group(bt, 2);
	assert_string_equal(all->sym, "ALL");
	assert_int_equal(all->trading.trades, 2);
	assert_int_equal(all->trading.wins, 1);
	assert_int_equal(all->trading.periods, 2);
	assert_near(all->trading.ret, 0, 1e-12);
	assert_near(all->trading.bh_ret, 0, 1e-12);
	assert_near(all->trading.max_dd, 1 - 1 / 1.05, 1e-12);
	assert_near(cmt_bt_group(bt, 0)->trading.ret, 0.1, 1e-12);
	assert_near(cmt_bt_group(bt, 1)->trading.ret, -0.1, 1e-12);
	/* scores: p = 0.9 everywhere, y = 1,0,1,0 overall */
	assert_int_equal(all->model.m.n, 4);
	assert_near(all->model.m.accuracy, 0.5, 1e-12);
	assert_near(all->base_rate, 0.5, 1e-12);
	cmt_bt_free(bt);
}

/* ---- the oracle: the figures computed as before issue 13, from every
 * row kept in memory, with the array functions ---- */

struct orow {
	int64_t t;
	double px, p, x0;
	int sym, y;
};

static int
cmp_opoint(const void *a, const void *b)
{
	const double *x = a, *z = b;   /* t, symbol, index, eq, bh */

	for (int i = 0; i < 3; i++)
		if (x[i] != z[i])
			return (x[i] > z[i]) - (x[i] < z[i]);
	return 0;
}

/* The baselines as the man page defines them, row by row: the majority
 * forecasts the scored rows' share up; each sign rule the Laplace share
 * up of the earlier rows after the same move, held on its side of 1/2
 * (1/2 after no move), ranked by its call for the AUC. */
static void
oracle_baselines(const double *x0, const int *y, size_t n, double base,
	double *pair, struct cmt_bt_scores out[CMT_BT_NBASE])
{
	double *p = calloc(n + 1, sizeof *p), *rank = calloc(n + 1, 8);
	size_t i, cnt[3] = { 0 }, up[3] = { 0 };
	int r;

	for (i = 0; i < n; i++)
		p[i] = base;
	cmt_metrics_compute(p, y, n, pair, &out[CMT_BT_MAJORITY].m);
	for (r = 0; r < 2; r++) {
		double hits = 0, dir = r ? -1 : 1;   /* reversal bets against */

		memset(cnt, 0, sizeof cnt);
		memset(up, 0, sizeof up);
		for (i = 0; i < n; i++) {
			int k = x0[i] > 0 ? 0 : x0[i] < 0 ? 1 : 2;
			double call = (k == 0 ? 1 : k == 1 ? -1 : 0) * dir;
			double u = (up[k] + 1.0) / (cnt[k] + 2.0);

			p[i] = call > 0 ? (u > 0.5 ? u : 0.5) :
				call < 0 ? (u < 0.5 ? u : 0.5) : 0.5;
			rank[i] = call;
			hits += call == 0 ? 0.5 : (call > 0) == (y[i] == 1);
			cnt[k]++;
			up[k] += y[i];
		}
		cmt_metrics_compute(p, y, n, pair, &out[1 + r].m);
		out[1 + r].m.accuracy = n ? hits / (double)n : NAN;
		out[1 + r].m.auc = cmt_metrics_auc(rank, y, n, pair);
	}
	for (r = 0; r < CMT_BT_NBASE; r++)
		out[r].auc_lo = out[r].auc_hi = NAN;
	free(p);
	free(rank);
}

static void
oracle_group(const struct orow *rows, size_t nrows, int s, const char *sym,
	struct cmt_bt_group *g)
{
	double *p = calloc(nrows + 1, sizeof *p), *x0 = calloc(nrows + 1, 8);
	double *pair = calloc(2 * nrows + 2, 8);
	int *y = calloc(nrows + 1, sizeof *y);
	size_t i, n = 0, up = 0;
	double se, auc;

	memset(g, 0, sizeof *g);
	strcpy(g->sym, sym);
	g->t_first = INT64_MAX;
	g->t_last = INT64_MIN;
	for (i = 0; i < nrows; i++) {
		const struct orow *r = &rows[i];

		if (s >= 0 && r->sym != s)
			continue;
		g->lines++;
		g->t_first = r->t < g->t_first ? r->t : g->t_first;
		g->t_last = r->t > g->t_last ? r->t : g->t_last;
		if (r->y == -2) {
			g->unlabelled++;
		} else if (r->y == -1) {
			g->flat++;
		} else if (isnan(r->p)) {
			g->no_p++;
		} else {
			p[n] = r->p;
			y[n] = r->y;
			x0[n] = r->x0;
			up += r->y;
			n++;
		}
	}
	g->base_rate = n ? (double)up / (double)n : NAN;
	cmt_metrics_compute(p, y, n, pair, &g->model.m);
	oracle_baselines(x0, y, n, g->base_rate, pair, g->base);
	se = cmt_bt_auc_se(p, y, n, pair, &auc);
	g->model.auc_lo = fmax(0, g->model.m.auc - 1.959964 * se);
	g->model.auc_hi = fmin(1, g->model.m.auc + 1.959964 * se);
	if (isnan(se))
		g->model.auc_lo = g->model.auc_hi = NAN;
	g->ece = cmt_bt_calibration(p, y, n, g->calib);
	free(p); free(x0); free(pair); free(y);
}

static void
oracle_trading(const struct orow *rows, size_t nrows, int nsym,
	struct cmt_bt_group *g, double theta, double fee)
{
	struct cmt_bt_trading *all = &g[nsym].trading;
	double *px = calloc(nrows + 1, 8), *p = calloc(nrows + 1, 8);
	double *eq = calloc(nrows + 1, 8), *pt = calloc(5 * nrows + 5, 8);
	double v = 1, vb = 1, peak = 1, prev = 1, sum = 0, sum2 = 0, ns = nsym;
	size_t i, j, n, np = 0;

	memset(all, 0, sizeof *all);
	for (int s = 0; s < nsym; s++) {
		struct cmt_bt_trading *t = &g[s].trading;
		size_t first = 0;

		for (i = n = 0; i < nrows; i++)
			if (rows[i].sym == s) {
				px[n] = rows[i].px;
				p[n++] = rows[i].p;
			}
		cmt_bt_trade(px, p, n, theta, fee, t, eq);
		all->long_periods += t->long_periods;
		all->trades += t->trades;
		all->wins += t->wins;
		all->bh_ret += t->bh_ret / ns;
		for (i = n = 0; i < nrows; i++) {
			if (rows[i].sym != s)
				continue;
			if (n++ == 0) {
				first = i;
				continue;
			}
			pt[5 * np] = (double)rows[i].t;
			pt[5 * np + 1] = s;
			pt[5 * np + 2] = (double)np;
			pt[5 * np + 3] = eq[n - 1] - eq[n - 2];
			pt[5 * np + 4] = (px[n - 1] - px[n - 2]) / rows[first].px;
			np++;
		}
	}
	qsort(pt, np, 5 * sizeof *pt, cmp_opoint);   /* stable: by index */
	for (i = 0; i < np; i = j) {
		for (j = i; j < np && pt[5 * j] == pt[5 * i]; j++) {
			v += pt[5 * j + 3] / ns;
			vb += pt[5 * j + 4] / ns;
		}
		all->periods++;
		sum += v / prev - 1;
		sum2 += (v / prev - 1) * (v / prev - 1);
		prev = v;
		if (v > peak)
			peak = v;
		if (1 - v / peak > all->max_dd)
			all->max_dd = 1 - v / peak;
	}
	all->ret = v - 1;
	all->hit_rate = all->trades ? (double)all->wins / (double)all->trades :
		NAN;
	all->sharpe = NAN;
	if (all->periods >= 2) {
		double k = (double)all->periods, mean = sum / k;
		double var = (sum2 - k * mean * mean) / (k - 1);

		if (var > 0)
			all->sharpe = mean / sqrt(var);
	}
	free(px); free(p); free(eq); free(pt);
}

#define SAME(a, b) do { \
	double a_ = (a), b_ = (b); \
	if (!(isnan(a_) && isnan(b_)) && memcmp(&a_, &b_, sizeof a_) != 0) \
		fail_msg("group %d: %s = %a, oracle %a", gi, #a, a_, b_); \
} while (0)

/* Scores equal bit for bit (tol 0), or to tol: the baselines' log-loss
 * and Brier score of the majority are summed in closed form and the sign
 * rules' AUC from three runs, so they are equal to rounding. */
#define CLOSE(a, b) do { \
	if (tol == 0) \
		SAME(a, b); \
	else if (!(isnan(a) && isnan(b)) && !(fabs((a) - (b)) <= tol)) \
		fail_msg("group %d: %s = %.17g, oracle %.17g", gi, #a, a, b); \
} while (0)

static void
same_scores(int gi, const struct cmt_bt_scores *a,
	const struct cmt_bt_scores *b, double tol)
{
	assert_int_equal(a->m.n, b->m.n);
	assert_int_equal(a->m.n_up, b->m.n_up);
	CLOSE(a->m.accuracy, b->m.accuracy);
	CLOSE(a->m.logloss, b->m.logloss);
	CLOSE(a->m.brier, b->m.brier);
	CLOSE(a->m.auc, b->m.auc);
	SAME(a->auc_lo, b->auc_lo);
	SAME(a->auc_hi, b->auc_hi);
}

static uint64_t rng = 99;

static uint64_t
rnd(uint64_t n)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return (z ^ (z >> 31)) % n;
}

/* Rows of three symbols, interleaved and often at equal times, scores
 * with many ties (four decimals) or without, every kind of y: every figure
 * of every group equals the stored-rows computation bit for bit. */
static void
streaming_figures_equal_the_stored_rows_computation(void **state)
{
	static const char *const syms[] = { "A-B", "C-D", "E-F" };
	struct cmt_bt_opts o = { .theta = 0.52, .fee_bps = 3 };
	size_t nrows = 9000, i;
	struct orow *rows = calloc(nrows, sizeof *rows);
	struct cmt_bt_group want[4];
	int64_t t[3] = { 0, 0, 0 };
	double px[3] = { 100, 50, 10 };
	char err[CMT_ERRLEN];
	struct cmt_bt *bt;
	int round, gi, k;

	for (round = 0; round < 4; round++) {
		assert_int_equal(cmt_bt_new(&bt, &o), CMT_OK);
		for (i = 0; i < nrows; i++) {
			struct orow *r = &rows[i];
			struct cmt_fvec v;
			int s = i < 3 ? (int)i : (int)rnd(3);  /* met in order */

			t[s] += 1000 * (int64_t)(1 + rnd(3));
			px[s] *= 1 + ((double)rnd(2001) - 1000) / 1e5;
			r->sym = s;
			r->t = t[s];
			r->px = px[s];
			r->p = round % 2 ? (double)rnd(10001) / 10000 :
				(double)rnd(1u << 30) / (1u << 30);
			if (rnd(50) == 0)
				r->p = NAN;
			r->y = rnd(20) == 0 ? -1 : rnd(30) == 0 ? -2 : (int)rnd(2);
			r->x0 = rnd(5) == 0 ? 0 : ((double)rnd(2001) - 1000) / 1e6;
			v = vec(syms[s], r->t, r->px, r->p, r->y);
			v.has_y = r->y != -2;
			v.x[0] = r->x0;
			assert_int_equal(cmt_bt_add(bt, &v, err), CMT_OK);
		}
		assert_int_equal(cmt_bt_finish(bt, err), CMT_OK);
		for (k = 0; k < 3; k++)
			oracle_group(rows, nrows, k, syms[k], &want[k]);
		oracle_group(rows, nrows, -1, "ALL", &want[3]);
		oracle_trading(rows, nrows, 3, want, o.theta, o.fee_bps);
		for (gi = 0; gi < 4; gi++) {
			const struct cmt_bt_group *g = cmt_bt_group(bt, gi),
			    *w = &want[gi];

			assert_string_equal(g->sym, w->sym);
			assert_int_equal(g->lines, w->lines);
			assert_int_equal(g->unlabelled, w->unlabelled);
			assert_int_equal(g->flat, w->flat);
			assert_int_equal(g->no_p, w->no_p);
			assert_int_equal(g->t_first, w->t_first);
			assert_int_equal(g->t_last, w->t_last);
			SAME(g->base_rate, w->base_rate);
			same_scores(gi, &g->model, &w->model, 0);
			for (k = 0; k < CMT_BT_NBASE; k++)
				same_scores(gi, &g->base[k], &w->base[k], 1e-12);
			SAME(g->ece, w->ece);
			for (k = 0; k < CMT_BT_BINS; k++) {
				assert_int_equal(g->calib[k].n, w->calib[k].n);
				SAME(g->calib[k].p_mean, w->calib[k].p_mean);
				SAME(g->calib[k].freq, w->calib[k].freq);
			}
			assert_int_equal(g->trading.periods, w->trading.periods);
			assert_int_equal(g->trading.long_periods,
				w->trading.long_periods);
			assert_int_equal(g->trading.trades, w->trading.trades);
			assert_int_equal(g->trading.wins, w->trading.wins);
			SAME(g->trading.hit_rate, w->trading.hit_rate);
			SAME(g->trading.ret, w->trading.ret);
			SAME(g->trading.bh_ret, w->trading.bh_ret);
			SAME(g->trading.max_dd, w->trading.max_dd);
			SAME(g->trading.sharpe, w->trading.sharpe);
		}
		cmt_bt_free(bt);
	}
	free(rows);
}

static void
a_vector_not_after_its_symbols_previous_one_is_rejected(void **state)
{
	struct cmt_bt_opts o = { .theta = 0.5, .fee_bps = 0 };
	struct cmt_bt *bt;
	struct cmt_fvec a = vec("A-B", 60000, 1, 0.5, 1);
	struct cmt_fvec b = vec("A-B", 60000, 1, 0.5, 1);
	struct cmt_fvec c = vec("C-D", 0, 1, 0.5, 1);
	char err[CMT_ERRLEN];

	assert_int_equal(cmt_bt_new(&bt, &o), CMT_OK);
	assert_int_equal(cmt_bt_add(bt, &a, err), CMT_OK);
	assert_int_equal(cmt_bt_add(bt, &b, err), CMT_EORDER);
	assert_int_equal(cmt_bt_add(bt, &c, err), CMT_OK);
	cmt_bt_free(bt);
}

static void
the_rolling_window_forgets_the_oldest_rows(void **state)
{
	struct cmt_bt_roll *r = cmt_bt_roll_new(2);
	char buf[CMT_BT_ROLL_LINE];

	cmt_bt_roll_add(r, 0.9, 0, 10);
	cmt_bt_roll_add(r, 0.1, 1, 20);
	cmt_bt_roll_add(r, 0.9, 1, 30);
	cmt_bt_roll_add(r, 0.2, 0, 40);
	/* window: (0.9, 1) and (0.2, 0): all right; AUC 1; median lag of
	 * {30, 40} is the upper one, 40 */
	cmt_bt_roll_format(r, 120000, "m\\\"1", 4, buf, sizeof buf);
	assert_non_null(strstr(buf, "{\"kind\":\"metrics\",\"model\":\"m\\\"1\","
		"\"t\":120000,\"window\":2,\"count\":4,"
		"\"accuracy\":1,\"auc\":1,"));
	assert_non_null(strstr(buf, "\"lag_ms\":40}\n"));
	cmt_bt_roll_free(r);
}

static void
baselines_fitted_on_other_rows_match_hand_values(void **state)
{
	/* fitting rows: after a rise y 1,1,0; after a fall 0,1; no move 1:
	 * share up 4/6; Laplace shares rise 3/5, fall 2/4 */
	double fx[] = { 0.1, 0.2, 0.3, -0.1, -0.2, 0 };
	int fy[] = { 1, 1, 0, 0, 1, 1 };
	double x[] = { 0.5, -0.5, 0, 0.5 };
	int y[] = { 1, 0, 0, 0 };
	struct cmt_metrics m[CMT_BT_NBASE];
	char err[CMT_ERRLEN];

	assert_int_equal(cmt_bt_baselines_score(fx, fy, 6, x, y, 4, m, err),
		CMT_OK);
	/* majority: p = 2/3, calls up: 1 of 4 right */
	assert_near(m[CMT_BT_MAJORITY].accuracy, 0.25, 1e-12);
	assert_near(m[CMT_BT_MAJORITY].logloss,
		-(log(2.0 / 3) + 3 * log(1.0 / 3)) / 4, 1e-12);
	assert_near(m[CMT_BT_MAJORITY].brier, 13.0 / 36, 1e-12);
	assert_near(m[CMT_BT_MAJORITY].auc, 0.5, 0);
	/* last return: p .6 after a rise, min(.5, .5) after a fall, .5 after
	 * no move: (.6, .5, .5, .6); hits 1, 1, 1/2, 0; ranking (+1, -1, 0,
	 * +1): the up row outranks the fall and no-move rows, ties the
	 * other rise: 2.5 of 3 */
	assert_near(m[CMT_BT_LAST_RETURN].accuracy, 0.625, 1e-12);
	assert_near(m[CMT_BT_LAST_RETURN].logloss,
		-(log(0.6) + 2 * log(0.5) + log(0.4)) / 4, 1e-12);
	assert_near(m[CMT_BT_LAST_RETURN].brier, 1.02 / 4, 1e-12);
	assert_near(m[CMT_BT_LAST_RETURN].auc, 2.5 / 3, 1e-12);
	/* reversal: held at 1/2 on both sides (its bets lost in fitting) */
	assert_near(m[CMT_BT_REVERSAL].accuracy, 0.375, 1e-12);
	assert_near(m[CMT_BT_REVERSAL].logloss, log(2), 1e-12);
	assert_near(m[CMT_BT_REVERSAL].brier, 0.25, 1e-12);
	assert_near(m[CMT_BT_REVERSAL].auc, 0.5 / 3, 1e-12);
	assert_int_equal(cmt_bt_held_against(m), CMT_BT_LAST_RETURN);
	/* a y that is not 0 or 1 is refused */
	y[2] = -1;
	assert_int_equal(cmt_bt_baselines_score(fx, fy, 6, x, y, 4, m, err),
		CMT_EVALUE);
}

static void
paired_delong_matches_the_hand_computation(void **state)
{
	/* A: ups .9, .4 and downs .3, .6: V10 = (1, .5), V01 = (1, .5),
	 * AUC .75.  B ranks every up row above every down row: V10 = V01 =
	 * (1, 1), AUC 1.  S10 = S01 = .125 for A, 0 for B and the
	 * covariance: var = .125/2 + .125/2; z = -.25/sqrt(.125). */
	double pa[] = { 0.9, 0.4, 0.3, 0.6 }, pb[] = { 0.6, 0.7, 0.2, 0.5 };
	int y[] = { 1, 1, 0, 0 };
	double d[4] = { log(0.6 / 0.9), log(0.7 / 0.4), log(0.8 / 0.7),
		log(0.5 / 0.4) }, mean = 0, var = 0;
	struct cmt_bt_paired r;
	char err[CMT_ERRLEN];
	int i;

	assert_int_equal(cmt_bt_paired(pa, pb, y, 4, &r, err), CMT_OK);
	assert_int_equal(r.n, 4);
	assert_near(r.side[0].m.auc, 0.75, 1e-12);
	assert_near(r.side[1].m.auc, 1, 1e-12);
	assert_near(r.auc.diff, -0.25, 1e-12);
	assert_near(r.auc.se, sqrt(0.125), 1e-12);
	assert_near(r.auc.z, -0.25 / sqrt(0.125), 1e-12);
	assert_near(r.auc.p, erfc(0.25 / sqrt(0.125) / sqrt(2)), 1e-12);
	/* the per-row log-loss differences: their mean and standard error */
	for (i = 0; i < 4; i++)
		mean += d[i] / 4;
	for (i = 0; i < 4; i++)
		var += (d[i] - mean) * (d[i] - mean) / 3;
	assert_near(r.logloss.diff, mean, 1e-12);
	assert_near(r.logloss.diff, r.side[0].m.logloss - r.side[1].m.logloss,
		1e-12);
	assert_near(r.logloss.se, sqrt(var / 4), 1e-12);
	/* the same forecasts on both sides: no difference, p 1 */
	assert_int_equal(cmt_bt_paired(pa, pa, y, 4, &r, err), CMT_OK);
	assert_near(r.auc.diff, 0, 0);
	assert_near(r.auc.p, 1, 0);
	assert_near(r.logloss.p, 1, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(calibration_puts_each_forecast_in_its_tenth_and_ece_is_hand_value),
		cmocka_unit_test(calibration_puts_one_in_the_last_bin),
		cmocka_unit_test(delong_standard_error_matches_the_hand_computation),
		cmocka_unit_test(delong_counts_ties_as_half_and_needs_two_of_each_class),
		cmocka_unit_test(trading_rule_without_fees_matches_hand_values),
		cmocka_unit_test(trading_rule_pays_the_fee_on_every_entry_and_exit),
		cmocka_unit_test(overall_trading_weights_each_symbol_equally_in_time_order),
		cmocka_unit_test(streaming_figures_equal_the_stored_rows_computation),
		cmocka_unit_test(a_vector_not_after_its_symbols_previous_one_is_rejected),
		cmocka_unit_test(the_rolling_window_forgets_the_oldest_rows),
		cmocka_unit_test(baselines_fitted_on_other_rows_match_hand_values),
		cmocka_unit_test(paired_delong_matches_the_hand_computation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
