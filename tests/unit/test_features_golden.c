/* Every one of the 11 features, at every step after warm-up, against a
 * batch oracle written here apart from lib/: grid prices found by scanning
 * the ticks, windows summed from scratch (two-pass variance for rv), and
 * the TA-Lib recursions written out from ../shared/golden/talib's
 * DEFINITIONS.md.  Several feature sets, chosen so that the longest window
 * is in turn a volatility window, a return window and an indicator period,
 * with windows that are not multiples of each other; short series (a few
 * hundred steps), long ones (past the engine's periodic recompute), real
 * BTC and ETH minutes from the demo sample, and property tests.
 *
 * The rolling volatility once stayed frozen for thousands of steps in its
 * longest window while a test of only the shorter one passed: so here
 * nothing is sampled, every feature of every vector is compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_features.h"
#include "cmt_fvec.h"
#include "cmt_test.h"

#define EPS 1e-14  /* TA_EPSILON */

/* ---- the oracle ------------------------------------------------------ */

struct series {
	int n;                 /* ticks */
	int64_t *t;
	double *px, *vol;
};

struct oracle {
	int ng;                /* grid points */
	int64_t g0, step;
	double *g, *v;         /* grid price, step volume */
	double *x;             /* ng * 11 features, NAN where undefined */
	int warmup;
};

static int
max2(int a, int b)
{
	return a > b ? a : b;
}

/* Warm-up from the definitions: each feature's first defined step. */
static int
oracle_warmup(const struct cmt_feature_set *fs)
{
	int w = 0, i, f = fs->macd_fast, s = fs->macd_slow;

	for (i = 0; i < 4; i++)
		w = max2(w, (int)(fs->ret_ms[i] / fs->step_ms));
	for (i = 0; i < 2; i++)
		w = max2(w, (int)(fs->rv_ms[i] / fs->step_ms));
	w = max2(w, fs->rsi_n);
	w = max2(w, max2(f, s) - 1 + fs->macd_signal - 1);
	w = max2(w, fs->bb_n - 1);
	w = max2(w, fs->mom_n);
	w = max2(w, fs->vt_long - 1);
	return w;
}

/* TA-Lib EMA of a[0..n-1] into e (NAN before n-1 is reached). */
static void
ema_series(const double *a, int len, int n, double *e)
{
	double k = 2.0 / (double)(n + 1), sum = 0;
	int t;

	for (t = 0; t < len; t++) {
		if (t < n - 1) {
			sum += a[t];
			e[t] = NAN;
		} else if (t == n - 1) {
			sum += a[t];
			e[t] = sum / n;
		} else {
			e[t] = (a[t] - e[t - 1]) * k + e[t - 1];
		}
	}
}

static void
oracle_build(struct oracle *o, const struct cmt_feature_set *fs,
	const struct series *s)
{
	int ng, k, i, j, w, n;
	int64_t g;
	double *r, *ag, *al, *macd, *fast, *slow, *sig, *sum, *sum2, *vs, *vl;

	o->step = fs->step_ms;
	o->g0 = (s->t[0] + fs->step_ms - 1) / fs->step_ms * fs->step_ms;
	ng = (int)((s->t[s->n - 1] - o->g0) / fs->step_ms) + 1; /* g <= t_last */
	o->ng = ng;
	o->g = calloc((size_t)ng, sizeof *o->g);
	o->v = calloc((size_t)ng, sizeof *o->v);
	o->x = calloc((size_t)ng * CMT_FEAT_BASE, sizeof *o->x);
	assert_non_null(o->x);
	/* grid price: the last tick at or before g; step volume: the ticks
	 * in (g - step, g], and for the first point every tick up to it */
	for (k = 0, i = 0; k < ng; k++) {
		g = o->g0 + k * fs->step_ms;
		o->v[k] = 0;
		while (i < s->n && s->t[i] <= g) {
			o->v[k] += s->vol[i];
			i++;
		}
		o->g[k] = s->px[i - 1];
	}
	for (i = 0; i < ng * CMT_FEAT_BASE; i++)
		o->x[i] = NAN;
#define X(k, f) o->x[(size_t)(k) * CMT_FEAT_BASE + (f)]
	r = calloc((size_t)ng, sizeof *r);
	for (k = 1; k < ng; k++)
		r[k] = log(o->g[k]) - log(o->g[k - 1]);
	for (k = 0; k < ng; k++) {
		/* log returns */
		for (j = 0; j < 4; j++) {
			w = (int)(fs->ret_ms[j] / fs->step_ms);
			if (k >= w)
				X(k, j) = log(o->g[k]) - log(o->g[k - w]);
		}
		/* realised volatility: population sd of the last w step
		 * returns, two passes over the window */
		for (j = 0; j < 2; j++) {
			double mean = 0, var = 0;

			w = (int)(fs->rv_ms[j] / fs->step_ms);
			if (k < w)
				continue;
			for (i = k - w + 1; i <= k; i++)
				mean += r[i];
			mean /= w;
			for (i = k - w + 1; i <= k; i++)
				var += (r[i] - mean) * (r[i] - mean);
			X(k, 4 + j) = sqrt(var / w);
		}
		/* momentum, relative to the price */
		if (k >= fs->mom_n)
			X(k, 9) = (o->g[k] - o->g[k - fs->mom_n]) / o->g[k];
	}
	/* RSI: Wilder, seeded with plain means over d[1..n] */
	n = fs->rsi_n;
	ag = calloc((size_t)ng, sizeof *ag);
	al = calloc((size_t)ng, sizeof *al);
	for (k = 1; k < ng; k++) {
		double d = o->g[k] - o->g[k - 1];
		double gain = d >= 0 ? d : 0, loss = d < 0 ? -d : 0;

		if (k < n) {
			ag[k] = ag[k - 1] + gain;
			al[k] = al[k - 1] + loss;
		} else if (k == n) {
			ag[k] = (ag[k - 1] + gain) / n;
			al[k] = (al[k - 1] + loss) / n;
		} else {
			ag[k] = (ag[k - 1] * (n - 1) + gain) / n;
			al[k] = (al[k - 1] * (n - 1) + loss) / n;
		}
		if (k >= n)
			X(k, 6) = fabs(ag[k] + al[k]) < EPS ? 0 :
			    100 * (ag[k] / (ag[k] + al[k]));
	}
	/* MACD: both EMA seeds end on bar slow-1; the fast seed is the mean
	 * of the `fast` closes ending there; signal seeded with the mean of
	 * the first `signal` MACD values.  Feature: hist / price. */
	{
		int f = fs->macd_fast, sl = fs->macd_slow, sg = fs->macd_signal;
		double kf, ks, kg;

		if (f > sl) {
			int tmp = f;
			f = sl;
			sl = tmp;
		}
		kf = 2.0 / (f + 1);
		ks = 2.0 / (sl + 1);
		kg = 2.0 / (sg + 1);
		fast = calloc((size_t)ng, sizeof *fast);
		slow = calloc((size_t)ng, sizeof *slow);
		macd = calloc((size_t)ng, sizeof *macd);
		sig = calloc((size_t)ng, sizeof *sig);
		for (k = sl - 1; k < ng; k++) {
			if (k == sl - 1) {
				double a = 0, b = 0;
				for (i = 0; i < sl; i++)
					b += o->g[i];
				for (i = sl - f; i < sl; i++)
					a += o->g[i];
				slow[k] = b / sl;
				fast[k] = a / f;
			} else {
				fast[k] = (o->g[k] - fast[k - 1]) * kf + fast[k - 1];
				slow[k] = (o->g[k] - slow[k - 1]) * ks + slow[k - 1];
			}
			macd[k] = fast[k] - slow[k];
			if (k == sl - 1 + sg - 1) {
				double a = 0;
				for (i = sl - 1; i <= k; i++)
					a += macd[i];
				sig[k] = a / sg;
			} else if (k > sl - 1 + sg - 1) {
				sig[k] = (macd[k] - sig[k - 1]) * kg + sig[k - 1];
			}
			if (k >= sl - 1 + sg - 1)
				X(k, 7) = (macd[k] - sig[k]) / o->g[k];
		}
	}
	/* Bollinger %B: TA-Lib's running totals of x and x^2, as its
	 * definition prescribes (a two-pass variance differs by up to 1e-5
	 * relative at these prices; checked loosely in bb_two_pass below) */
	n = fs->bb_n;
	sum = calloc((size_t)ng + 1, sizeof *sum);
	sum2 = calloc((size_t)ng + 1, sizeof *sum2);
	{
		double s1 = 0, s2 = 0;

		for (k = 0; k < ng; k++) {
			double mean, mean2, var, sd, up, lo;

			s1 += o->g[k];
			s2 += o->g[k] * o->g[k];
			if (k < n - 1)
				continue;
			mean = s1 / n;
			mean2 = s2 / n;
			s1 -= o->g[k - n + 1];
			s2 -= o->g[k - n + 1] * o->g[k - n + 1];
			var = mean2 - mean * mean;
			sd = var < EPS ? 0 : sqrt(var);
			up = mean + sd * fs->bb_k;
			lo = mean - sd * fs->bb_k;
			if (up > lo)
				X(k, 8) = (o->g[k] - lo) / (up - lo);
		}
	}
	/* volume trend: EMA(short) / EMA(long) of step volumes */
	vs = calloc((size_t)ng, sizeof *vs);
	vl = calloc((size_t)ng, sizeof *vl);
	ema_series(o->v, ng, fs->vt_short, vs);
	ema_series(o->v, ng, fs->vt_long, vl);
	for (k = 0; k < ng; k++)
		if (!isnan(vs[k]) && !isnan(vl[k]) && vl[k] > 0)
			X(k, 10) = vs[k] / vl[k];
#undef X
	o->warmup = oracle_warmup(fs);
	free(r); free(ag); free(al); free(fast); free(slow); free(macd);
	free(sig); free(sum); free(sum2); free(vs); free(vl);
}

static void
oracle_free(struct oracle *o)
{
	free(o->g);
	free(o->v);
	free(o->x);
}

/* ---- the engine, checked line by line as it emits ---------------------- */

struct check {
	const struct oracle *o;
	int next_k, lines;
	double worst[CMT_FEAT_BASE];  /* largest relative error seen */
	const char *what;
	double *got;               /* if set: the engine's values, ng * 11 */
};

/* Printed with 10 significant digits: a relative 1e-9 is the printing;
 * anything larger is a wrong value.  `floor` covers values at zero. */
static void
compare(struct check *c, int k, int f, double got, double want)
{
	double tol = 1e-9 * fabs(want) + 1e-300, err;

	if (isnan(want) || isnan(got)) {
		if (isnan(want) != isnan(got))
			fail_msg("%s: step %d feature %d: got %.17g, expected %.17g",
				c->what, k, f, got, want);
		return;
	}
	/* rv: running sums against the two-pass window differ in the last
	 * bits only; an absolute floor far below any real volatility */
	if (f == 4 || f == 5)
		tol += 1e-16;
	err = fabs(got - want);
	if (!(err <= tol))
		fail_msg("%s: step %d feature %d: got %.17g, expected %.17g",
			c->what, k, f, got, want);
	if (want != 0 && err / fabs(want) > c->worst[f])
		c->worst[f] = err / fabs(want);
}

static void
check_emit(void *ctx, const char *line, size_t len)
{
	struct check *c = ctx;
	const struct oracle *o = c->o;
	struct cmt_fvec_decoder d;
	struct cmt_fvec v;
	char err[CMT_ERRLEN];
	int k, f;

	cmt_fvec_decoder_init(&d, CMT_FVEC_JSON);
	if (cmt_fvec_decode(&d, line, len, &v, err))
		fail_msg("%s: cannot decode %.*s: %s", c->what, (int)len, line,
			err);
	k = (int)((v.t - o->g0) / o->step);
	/* one vector per grid step from warm-up on, none skipped */
	if (k != (c->next_k ? c->next_k : o->warmup))
		fail_msg("%s: vector for step %d, expected step %d", c->what, k,
			c->next_k ? c->next_k : o->warmup);
	c->next_k = k + 1;
	assert_true(v.t == o->g0 + k * o->step);
	assert_close(v.px, o->g[k], 1e-14 * o->g[k]);
	for (f = 0; f < CMT_FEAT_BASE; f++) {
		compare(c, k, f, v.x[f], o->x[(size_t)k * CMT_FEAT_BASE + f]);
		if (c->got)
			c->got[(size_t)k * CMT_FEAT_BASE + f] = v.x[f];
	}
	c->lines++;
}

static void
no_notice(void *ctx, const char *msg)
{
	fail_msg("%s: unexpected notice: %s", ((struct check *)ctx)->what, msg);
}

/* Feed the series through the engine; every vector checked.  With got,
 * the engine's own values are copied out (ng * 11, NAN before warm-up)
 * and ng is returned in *ng. */
static void
run_checked(const struct cmt_feature_set *fs, const struct series *s,
	const char *what, double **got, int *ng)
{
	struct cmt_features_options opt;
	struct cmt_features *fe;
	struct oracle o;
	struct check c;
	struct cmt_tick tk;
	char err[CMT_ERRLEN];
	int i;

	memset(&opt, 0, sizeof opt);
	opt.fs = *fs;
	opt.max_gap_ms = 1000 * fs->step_ms;
	opt.max_symbols = 4;
	oracle_build(&o, fs, s);
	memset(&c, 0, sizeof c);
	c.o = &o;
	c.what = what;
	if (got) {
		c.got = malloc((size_t)o.ng * CMT_FEAT_BASE * sizeof *c.got);
		assert_non_null(c.got);
		for (i = 0; i < o.ng * CMT_FEAT_BASE; i++)
			c.got[i] = NAN;
	}
	fe = cmt_features_new(&opt, check_emit, no_notice, &c, err);
	if (!fe)
		fail_msg("%s: %s", what, err);
	for (i = 0; i < s->n; i++) {
		memset(&tk, 0, sizeof tk);
		strcpy(tk.sym, "BTC-USDT");
		tk.t = s->t[i];
		tk.px = s->px[i];
		tk.vol = s->vol[i];
		tk.has_vol = 1;
		if (cmt_features_push(fe, &tk, err))
			fail_msg("%s: tick %d: %s", what, i, err);
	}
	cmt_features_free(fe);
	/* every grid point from warm-up to the last tick was emitted */
	assert_int_equal(c.lines, o.ng - o.warmup);
	assert_true(c.lines > 0);
	if (got) {
		*got = c.got;
		*ng = o.ng;
	}
	oracle_free(&o);
}

static void
check_series(const struct cmt_feature_set *fs, const struct series *s,
	const char *what)
{
	run_checked(fs, s, what, NULL, NULL);
}

/* ---- series ------------------------------------------------------------ */

/* `steps` grid steps of a random walk whose volatility switches regime
 * every few hundred steps (so rv must move), with 0 to 3 ticks per step
 * at random times inside it, sometimes exactly on the grid. */
static void
make_series_min(struct series *s, int steps, int64_t step, uint64_t seed,
	int min_ticks)
{
	int cap = steps * (3 + min_ticks) + 4, k, j, m;
	double lp = log(60000.0), sigma = 5e-4;
	int64_t t0 = 1700000000000LL / step * step + step; /* on the grid */

	s->t = calloc((size_t)cap, sizeof *s->t);
	s->px = calloc((size_t)cap, sizeof *s->px);
	s->vol = calloc((size_t)cap, sizeof *s->vol);
	s->n = 0;
	s->t[s->n] = t0 - step / 3;  /* the first tick is before g0 */
	s->px[s->n] = exp(lp);
	s->vol[s->n++] = 1.5;
	for (k = 0; k < steps; k++) {
		int64_t g = t0 + k * step, prev = g - step;

		if (k % 250 == 0)
			sigma = 1e-4 * (1 + 20 * test_unif(&seed));
		m = min_ticks + (int)(test_rnd(&seed) % 4);
		if (k == 0 || k == steps - 1)
			m = m ? m : 1;
		for (j = 0; j < m; j++) {
			int64_t t = prev + 1 + (int64_t)(test_rnd(&seed) %
			    (uint64_t)step);
			if (j == m - 1 && test_unif(&seed) < 0.4)
				t = g;
			if (k == steps - 1 && j == m - 1)
				t = g;  /* the series ends on a grid point */
			if (t <= s->t[s->n - 1])
				continue;
			lp += sigma * test_gauss(&seed);
			s->t[s->n] = t;
			s->px[s->n] = exp(lp);
			s->vol[s->n++] = test_unif(&seed) < 0.05 ? 0 : 10 * test_unif(&seed);
		}
	}
}

static void
make_series(struct series *s, int steps, int64_t step, uint64_t seed)
{
	make_series_min(s, steps, step, seed, 0);
}

static void
series_free(struct series *s)
{
	free(s->t);
	free(s->px);
	free(s->vol);
}

/* ---- feature sets ------------------------------------------------------ */

static void
fs_set(struct cmt_feature_set *fs, int64_t step, const int ret[4],
	const int rv[2], int rsi, int mf, int ms, int mg, int bb, int mom,
	int vs, int vl)
{
	int i;

	cmt_fs_defaults(fs);
	fs->step_ms = step;
	for (i = 0; i < 4; i++)
		fs->ret_ms[i] = ret[i] * step;
	fs->rv_ms[0] = rv[0] * step;
	fs->rv_ms[1] = rv[1] * step;
	fs->rsi_n = rsi;
	fs->macd_fast = mf;
	fs->macd_slow = ms;
	fs->macd_signal = mg;
	fs->bb_n = bb;
	fs->mom_n = mom;
	fs->vt_short = vs;
	fs->vt_long = vl;
}

enum { NSETS = 6 };

static void
feature_sets(struct cmt_feature_set fs[NSETS], const char *name[NSETS])
{
	static const int r1m[4] = { 1, 5, 15, 60 }, v1m[2] = { 30, 60 };
	static const int rodd[4] = { 7, 11, 13, 17 }, vodd[2] = { 19, 23 };
	static const int rlong[4] = { 3, 5, 29, 41 }, vshort[2] = { 13, 7 };
	static const int rsmall[4] = { 2, 3, 5, 7 }, vsmall[2] = { 4, 6 };
	static const int rrev[4] = { 9, 4, 6, 2 }, vrev[2] = { 37, 11 };

	cmt_fs_defaults(&fs[0]);
	name[0] = "default 1s set";
	fs_set(&fs[1], 60000, r1m, v1m, 14, 12, 26, 9, 20, 10, 5, 20);
	name[1] = "shipped 1m set";
	fs_set(&fs[2], 1000, rodd, vodd, 14, 12, 26, 9, 20, 10, 5, 20);
	name[2] = "odd windows, a vol window longest";
	fs_set(&fs[3], 5000, rlong, vshort, 9, 5, 13, 4, 11, 3, 3, 7);
	name[3] = "odd windows, a return window longest";
	fs_set(&fs[4], 250, rsmall, vsmall, 50, 20, 45, 15, 30, 9, 4, 17);
	name[4] = "short windows, an indicator period longest";
	fs_set(&fs[5], 2000, rrev, vrev, 6, 7, 3, 5, 3, 44, 2, 2);
	name[5] = "windows out of order, macd fast > slow, mom longest";
}

/* ---- the tests --------------------------------------------------------- */

/* Every feature set on a generated series of `steps` steps after its
 * warm-up. */
static void
check_every_set(int steps, uint64_t seed)
{
	struct cmt_feature_set fs[NSETS];
	const char *name[NSETS];
	struct series s;
	int i;

	feature_sets(fs, name);
	for (i = 0; i < NSETS; i++) {
		make_series(&s, steps + cmt_fs_warmup_steps(&fs[i]), fs[i].step_ms,
			seed + (uint64_t)i);
		check_series(&fs[i], &s, name[i]);
		series_free(&s);
	}
}

static void
every_feature_matches_the_oracle_on_a_few_hundred_steps(void **state)
{
	(void)state;
	check_every_set(400, 11);
}

static void
every_feature_matches_the_oracle_past_the_recompute_period(void **state)
{
	(void)state;
	check_every_set(12000, 101);
}

/* Real minutes: the demo sample (BTC and ETH, 2024) that make demo replays,
 * read as bars: a tick at each bar's close time with its close price. */
static int
read_bars(const char *path, struct series *s)
{
	char cmd[1100], line[256];
	FILE *f;
	int cap = 1 << 15;
	long long ts;
	double o, h, l, c, v;

	snprintf(cmd, sizeof cmd, "gzip -dc '%s' 2>/dev/null", path);
	if (!(f = popen(cmd, "r")))
		return -1;
	s->t = calloc((size_t)cap, sizeof *s->t);
	s->px = calloc((size_t)cap, sizeof *s->px);
	s->vol = calloc((size_t)cap, sizeof *s->vol);
	s->n = 0;
	while (fgets(line, sizeof line, f) && s->n < cap)
		if (sscanf(line, "%lld,%lf,%lf,%lf,%lf,%lf", &ts, &o, &h, &l, &c,
		    &v) == 6) {
			/* the close is the price at the end of the minute */
			s->t[s->n] = (ts + 60) * 1000;
			s->px[s->n] = c;
			s->vol[s->n++] = v;
		}
	pclose(f);
	return s->n;
}

static void
every_feature_matches_the_oracle_on_real_minutes(void **state)
{
	static const char *files[] = {
		"data/demo/btcusdt_1m_2024-03-04_2024-03-10.csv.gz",
		"data/demo/ethusdt_1m_2024-05-20_2024-05-26.csv.gz",
	};
	struct cmt_feature_set fs[NSETS];
	const char *name[NSETS];
	struct series s;
	char path[512];
	const char *root = getenv("CMT_ROOT");
	int i, j;

	(void)state;
	feature_sets(fs, name);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%.400s/%s", root ? root : ".", files[i]);
		assert_true(read_bars(path, &s) > 5000);
		/* the shipped set, and the odd sets with a minute step */
		check_series(&fs[1], &s, files[i]);
		for (j = 2; j < NSETS; j++) {
			struct cmt_feature_set m = fs[j];
			int q;

			for (q = 0; q < 4; q++)
				m.ret_ms[q] = m.ret_ms[q] / m.step_ms * 60000;
			for (q = 0; q < 2; q++)
				m.rv_ms[q] = m.rv_ms[q] / m.step_ms * 60000;
			m.step_ms = 60000;
			check_series(&m, &s, name[j]);
		}
		series_free(&s);
	}
}

/* The engine's features of a transformed series, one array per step
 * (held to the oracle on the way). */
static double *
features_of(const struct cmt_feature_set *fs, const struct series *s, int *n)
{
	double *x;

	run_checked(fs, s, "transformed", &x, n);
	return x;
}

static void
same_within(const double *a, const double *b, int from, int n, int f,
	double rel, const char *what)
{
	int k;

	for (k = from; k < n; k++) {
		double x = a[(size_t)k * CMT_FEAT_BASE + f];
		double y = b[(size_t)k * CMT_FEAT_BASE + f];

		if (!(fabs(x - y) <= rel * fabs(x) + 1e-12))
			fail_msg("%s: step %d feature %d: %.17g vs %.17g", what, k,
				f, x, y);
	}
}

static void
scale_invariance_and_sign_symmetry(void **state)
{
	struct cmt_feature_set fs[NSETS];
	const char *name[NSETS];
	struct series s, t;
	double *a, *b;
	int i, n, m, f;

	(void)state;
	feature_sets(fs, name);
	make_series(&s, 3000, fs[1].step_ms, 77);
	t.n = s.n;
	t.t = s.t;
	t.vol = s.vol;
	t.px = malloc((size_t)s.n * sizeof *t.px);
	a = features_of(&fs[1], &s, &n);
	/* every price times 3.7: returns, rv, RSI, %B, mom, and MACD/price
	 * unchanged (to rounding) */
	for (i = 0; i < s.n; i++)
		t.px[i] = s.px[i] * 3.7;
	b = features_of(&fs[1], &t, &m);
	assert_int_equal(n, m);
	for (f = 0; f < CMT_FEAT_BASE; f++)
		if (f != 8)
			same_within(a, b, oracle_warmup(&fs[1]), n, f, 1e-6, "scaled");
	/* %B: TA-Lib's variance from running sums of x and x^2 cancels
	 * catastrophically at these prices (DEFINITIONS.md: up to 1.6e-5
	 * relative in sd), and differently at another scale */
	same_within(a, b, oracle_warmup(&fs[1]), n, 8, 1e-4, "scaled %B");
	free(b);
	/* every step return's sign reversed: p'/p0 = p0/p; returns change
	 * sign, rv stays the same */
	for (i = 0; i < s.n; i++)
		t.px[i] = s.px[0] * (s.px[0] / s.px[i]);
	b = features_of(&fs[1], &t, &m);
	for (i = oracle_warmup(&fs[1]); i < n; i++)
		for (f = 0; f < 4; f++)
			b[(size_t)i * CMT_FEAT_BASE + f] = -b[(size_t)i * CMT_FEAT_BASE + f];
	for (f = 0; f < 6; f++)
		same_within(a, b, oracle_warmup(&fs[1]), n, f, 1e-6, "reversed");
	free(a);
	free(b);
	free(t.px);
	series_free(&s);
}

/* The check that would have caught the frozen feature without any
 * oracle: on a series whose volatility changes, each rv window takes
 * (nearly) as many distinct values as there are steps. */
static void
rv_moves_at_every_step(void **state)
{
	struct cmt_feature_set fs[NSETS];
	const char *name[NSETS];
	struct series s;
	double *x;
	int n, k, j, same;

	(void)state;
	feature_sets(fs, name);
	make_series_min(&s, 2000, fs[1].step_ms, 5, 1);
	x = features_of(&fs[1], &s, &n);
	for (j = 4; j < 6; j++) {
		for (same = 0, k = oracle_warmup(&fs[1]) + 1; k < n; k++)
			same += x[(size_t)k * CMT_FEAT_BASE + j] ==
			    x[(size_t)(k - 1) * CMT_FEAT_BASE + j];
		/* a tick in every step: a repeat needs the incoming return to
		 * equal the outgoing one, which a random walk never does */
		if (same > 0)
			fail_msg("rv feature %d repeats its value at %d of %d steps",
				j, same, n);
	}
	free(x);
	series_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_feature_matches_the_oracle_on_a_few_hundred_steps),
		cmocka_unit_test(every_feature_matches_the_oracle_past_the_recompute_period),
		cmocka_unit_test(every_feature_matches_the_oracle_on_real_minutes),
		cmocka_unit_test(scale_invariance_and_sign_symmetry),
		cmocka_unit_test(rv_moves_at_every_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
