/* Every feature of the extension parts (range volatility, candle shape,
 * volume z-score, scaled returns, rolling high and low, long returns and
 * volatilities, calendar), at every step after warm-up, against a batch
 * oracle written here apart from lib/: each grid step's bar found by
 * scanning the ticks (trades and bar ticks mixed), every window summed
 * from scratch (two-pass mean and variance), extremes by scanning the
 * window, the calendar from gmtime.  Feature sets with minute, second and
 * sub-second steps, windows of one step, odd windows and a day; series
 * long enough to pass the engine's periodic recompute, with flat stretches
 * (zero volatility) and ticks without volume; real BTC and ETH minutes as
 * bars.  Then: a market given as trades and as the bars made of them gives
 * the same lines, and the extension never changes the base features. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmt_features.h"
#include "cmt_fvec.h"
#include "cmt_test.h"

/* ---- series: trades and bar ticks ------------------------------------- */

struct series {
	int n, cap;
	int64_t *t;
	double *px, *o, *h, *l, *vol;
	int *is_bar, *has_vol;
};

static void
series_alloc(struct series *s, int cap)
{
	memset(s, 0, sizeof *s);
	s->cap = cap;
	s->t = calloc((size_t)cap, sizeof *s->t);
	s->px = calloc((size_t)cap, sizeof *s->px);
	s->o = calloc((size_t)cap, sizeof *s->o);
	s->h = calloc((size_t)cap, sizeof *s->h);
	s->l = calloc((size_t)cap, sizeof *s->l);
	s->vol = calloc((size_t)cap, sizeof *s->vol);
	s->is_bar = calloc((size_t)cap, sizeof *s->is_bar);
	s->has_vol = calloc((size_t)cap, sizeof *s->has_vol);
	assert_non_null(s->has_vol);
}

static void
series_free(struct series *s)
{
	free(s->t);
	free(s->px);
	free(s->o);
	free(s->h);
	free(s->l);
	free(s->vol);
	free(s->is_bar);
	free(s->has_vol);
}

static void
add_trade(struct series *s, int64_t t, double px, double vol, int has_vol)
{
	assert_true(s->n < s->cap);
	s->t[s->n] = t;
	s->px[s->n] = px;
	s->vol[s->n] = vol;
	s->has_vol[s->n] = has_vol;
	s->is_bar[s->n++] = 0;
}

static void
add_bar(struct series *s, int64_t t, double o, double h, double l,
	double c, double vol)
{
	assert_true(s->n < s->cap);
	s->t[s->n] = t;
	s->px[s->n] = c;
	s->o[s->n] = o;
	s->h[s->n] = h;
	s->l[s->n] = l;
	s->vol[s->n] = vol;
	s->has_vol[s->n] = 1;
	s->is_bar[s->n++] = 1;
}

/* `steps` grid steps of a random walk whose volatility changes regime,
 * 0 to 3 ticks per step at random times inside it (sometimes on the grid
 * time), a share bar_share of them bar ticks with a random range around
 * their open and close; one flat stretch of `flat` steps without ticks
 * in the middle; now and then a trade without volume. */
static void
make_series(struct series *s, int steps, int64_t step, uint64_t seed,
	double bar_share, int flat)
{
	double lp = log(30000.0), sigma = 5e-4;
	int64_t t0 = 1700000000000LL / step * step + step, last = 0;
	int k, j, m;

	series_alloc(s, steps * 4 + 4);
	add_trade(s, t0 - step / 3, exp(lp), 1.5, 1);
	last = s->t[0];
	for (k = 0; k < steps; k++) {
		int64_t g = t0 + k * step, prev = g - step;

		if (k % 250 == 0)
			sigma = 1e-4 * (1 + 20 * test_unif(&seed));
		m = (int)(test_rnd(&seed) % 4);
		if (k >= steps / 2 && k < steps / 2 + flat)
			m = 0;
		if (k == steps - 1)
			m = m ? m : 1;
		for (j = 0; j < m; j++) {
			int64_t t = prev + 1 + (int64_t)(test_rnd(&seed) % (uint64_t)step);
			double o = exp(lp), c;

			if (j == m - 1 && test_unif(&seed) < 0.4)
				t = g;
			if (k == steps - 1 && j == m - 1)
				t = g;
			if (t <= last)
				continue;
			last = t;
			lp += sigma * test_gauss(&seed);
			c = exp(lp);
			if (test_unif(&seed) < bar_share) {
				double hi = (o > c ? o : c) * exp(fabs(sigma * test_gauss(&seed)));
				double lo = (o < c ? o : c) * exp(-fabs(sigma * test_gauss(&seed)));

				if (test_unif(&seed) < 0.1)
					hi = o > c ? o : c;   /* no upper wick */
				add_bar(s, t, o, hi, lo, c, 50 * test_unif(&seed));
			} else {
				add_trade(s, t, c, test_unif(&seed) < 0.05 ? 0 :
				    10 * test_unif(&seed), test_unif(&seed) > 0.002);
			}
		}
	}
}

/* ---- the oracle ------------------------------------------------------- */

struct oracle {
	int ng, nfeat;
	int64_t g0, step;
	double *O, *H, *L, *C, *V;   /* each step's bar and volume */
	int *vol_ok;
	double *x;                   /* ng * nfeat; only the extension's set */
	int warmup;                  /* the base warm-up: the first vector */
};

#define X(o, k, f) (o)->x[(size_t)(k) * (size_t)(o)->nfeat + (size_t)(f)]

/* Population standard deviation of a[from..to], two passes. */
static double
sd_two_pass(const double *a, int from, int to, double *mean_out)
{
	double mean = 0, var = 0;
	int i, n = to - from + 1;

	for (i = from; i <= to; i++)
		mean += a[i];
	mean /= n;
	for (i = from; i <= to; i++)
		var += (a[i] - mean) * (a[i] - mean);
	if (mean_out)
		*mean_out = mean;
	return sqrt(var / n);
}

static void
oracle_build(struct oracle *o, const struct cmt_feature_set *fs,
	const struct series *s)
{
	int64_t step = fs->step_ms, g;
	int k, i, j, f, n, w, last_bad = -1;
	double *r, ln2 = log(2.0);

	memset(o, 0, sizeof *o);
	o->step = step;
	o->nfeat = cmt_fs_count(fs);
	o->g0 = (s->t[0] + step - 1) / step * step;
	o->ng = (int)((s->t[s->n - 1] - o->g0) / step) + 1;
	o->O = calloc((size_t)o->ng, sizeof *o->O);
	o->H = calloc((size_t)o->ng, sizeof *o->H);
	o->L = calloc((size_t)o->ng, sizeof *o->L);
	o->C = calloc((size_t)o->ng, sizeof *o->C);
	o->V = calloc((size_t)o->ng, sizeof *o->V);
	o->vol_ok = calloc((size_t)o->ng, sizeof *o->vol_ok);
	o->x = malloc((size_t)o->ng * (size_t)o->nfeat * sizeof *o->x);
	r = calloc((size_t)o->ng, sizeof *r);
	assert_non_null(o->x);
	for (i = 0; i < o->ng * o->nfeat; i++)
		o->x[i] = NAN;
	/* each step's bar: the ticks in (g - step, g], the first step every
	 * tick up to g0; none: flat at the previous close */
	for (k = 0, i = 0; k < o->ng; k++) {
		g = o->g0 + k * step;
		o->vol_ok[k] = 1;
		if (i < s->n && s->t[i] <= g) {
			o->O[k] = s->is_bar[i] ? s->o[i] : s->px[i];
			o->H[k] = s->is_bar[i] ? s->h[i] : s->px[i];
			o->L[k] = s->is_bar[i] ? s->l[i] : s->px[i];
		} else {
			o->O[k] = o->H[k] = o->L[k] = o->C[k] = o->C[k - 1];
		}
		for (; i < s->n && s->t[i] <= g; i++) {
			double hi = s->is_bar[i] ? s->h[i] : s->px[i];
			double lo = s->is_bar[i] ? s->l[i] : s->px[i];

			o->H[k] = hi > o->H[k] ? hi : o->H[k];
			o->L[k] = lo < o->L[k] ? lo : o->L[k];
			if (s->has_vol[i])
				o->V[k] += s->vol[i];
			else
				o->vol_ok[k] = 0;
			o->C[k] = s->px[i];
		}
		if (k > 0)
			r[k] = log(o->C[k]) - log(o->C[k - 1]);
	}
	for (k = 0; k < o->ng; k++) {
		if (!o->vol_ok[k])
			last_bad = k;
		f = CMT_FEAT_BASE;
		for (j = 0; j < fs->nrng; j++, f += 2) {
			double spk = 0, sgk = 0, u, c;

			n = (int)(fs->rng_ms[j] / step);
			if (k < n - 1)
				continue;
			for (i = k - n + 1; i <= k; i++) {
				u = log(o->H[i] / o->L[i]);
				c = log(o->C[i] / o->O[i]);
				spk += u * u;
				sgk += 0.5 * u * u - (2 * ln2 - 1) * c * c;
			}
			X(o, k, f) = sqrt(spk / (4 * ln2 * n));
			X(o, k, f + 1) = sgk > 0 ? sqrt(sgk / n) : 0;
		}
		if (fs->bar) {
			double hi_oc = o->O[k] > o->C[k] ? o->O[k] : o->C[k];
			double lo_oc = o->O[k] < o->C[k] ? o->O[k] : o->C[k];

			X(o, k, f) = log(o->C[k] / o->O[k]);
			X(o, k, f + 1) = log(o->H[k] / hi_oc);
			X(o, k, f + 2) = log(lo_oc / o->L[k]);
			X(o, k, f + 3) = o->H[k] > o->L[k] ?
			    (o->C[k] - o->L[k]) / (o->H[k] - o->L[k]) : 0.5;
			f += 4;
		}
		if (fs->vz_ms) {
			double mean, sd;

			n = (int)(fs->vz_ms / step);
			/* the window restarts after a step with a volume-less tick */
			if (k - last_bad >= n && o->vol_ok[k]) {
				sd = sd_two_pass(o->V, k - n + 1, k, &mean);
				if (sd > 1e-9 * fabs(mean))
					X(o, k, f) = (o->V[k] - mean) / sd;
			}
			f++;
		}
		if (fs->zr_ms) {
			n = (int)(fs->zr_ms / step);
			for (j = 0; j < 4; j++, f++) {
				double sd;

				w = (int)(fs->ret_ms[j] / step);
				if (k < n || k < w)
					continue;
				sd = sd_two_pass(r, k - n + 1, k, NULL);
				if (sd > 0)
					X(o, k, f) = (log(o->C[k]) - log(o->C[k - w])) /
					    (sd * sqrt((double)w));
			}
		}
		for (j = 0; j < fs->nhl; j++, f += 2) {
			double hi = 0, lo = INFINITY;

			n = (int)(fs->hl_ms[j] / step);
			if (k < n - 1)
				continue;
			for (i = k - n + 1; i <= k; i++) {
				hi = o->H[i] > hi ? o->H[i] : hi;
				lo = o->L[i] < lo ? o->L[i] : lo;
			}
			X(o, k, f) = log(o->C[k] / hi);
			X(o, k, f + 1) = log(o->C[k] / lo);
		}
		for (j = 0; j < fs->nlt; j++, f += 2) {
			n = (int)(fs->lt_ms[j] / step);
			if (k < n)
				continue;
			X(o, k, f) = log(o->C[k]) - log(o->C[k - n]);
			X(o, k, f + 1) = sd_two_pass(r, k - n + 1, k, NULL);
		}
		if (fs->cal) {
			int64_t t = o->g0 + k * step;
			time_t sec = (time_t)(t / 1000);
			struct tm tm;
			double tod;
			int dow;

			gmtime_r(&sec, &tm);
			tod = (double)(((tm.tm_hour * 60 + tm.tm_min) * 60 +
			    tm.tm_sec) * 1000LL + t % 1000) / 86400000;
			dow = (tm.tm_wday + 6) % 7;   /* Monday 0 */
			X(o, k, f) = sin(2 * M_PI * tod);
			X(o, k, f + 1) = cos(2 * M_PI * tod);
			X(o, k, f + 2) = sin(2 * M_PI * dow / 7);
			X(o, k, f + 3) = cos(2 * M_PI * dow / 7);
			f += 4;
		}
		assert_int_equal(f, o->nfeat);
	}
	/* the first vector: the base's warm-up, which test_features_golden.c
	 * holds to the definitions */
	o->warmup = cmt_fs_warmup_steps(fs);
	free(r);
}

static void
oracle_free(struct oracle *o)
{
	free(o->O);
	free(o->H);
	free(o->L);
	free(o->C);
	free(o->V);
	free(o->vol_ok);
	free(o->x);
}

/* ---- the engine, checked as it emits --------------------------------- */

struct check {
	const struct oracle *o;
	char names[CMT_FEAT_N][CMT_FEAT_NAME_MAX];
	int next_k, lines, defined;
	const char *what;
};

/* Printed with 10 significant digits: 1e-9 relative is the printing.
 * The absolute floors cover values at zero: logs of ratios near 1 (the
 * same expression here and in lib/), volatilities from running sums
 * against two passes, and ratios of those. */
static double
floor_of(const char *name)
{
	if (strncmp(name, "zret_", 5) == 0 || strncmp(name, "volz_", 5) == 0)
		return 1e-12;
	return 1e-15;
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
	assert_int_equal(v.nfeat, o->nfeat);
	k = (int)((v.t - o->g0) / o->step);
	if (k != (c->next_k ? c->next_k : o->warmup))
		fail_msg("%s: vector for step %d, expected step %d", c->what, k,
			c->next_k ? c->next_k : o->warmup);
	c->next_k = k + 1;
	for (f = CMT_FEAT_BASE; f < o->nfeat; f++) {
		double got = v.x[f], want = X(o, k, f);

		if (!cmt_slice_eq(v.name[f], c->names[f]))
			fail_msg("%s: feature %d is %.*s, expected %s", c->what, f,
				(int)v.name[f].len, v.name[f].s, c->names[f]);
		if (isnan(want) || isnan(got)) {
			if (isnan(want) != isnan(got))
				fail_msg("%s: step %d %s: got %.17g, expected %.17g",
					c->what, k, c->names[f], got, want);
			continue;
		}
		c->defined++;
		if (!(fabs(got - want) <= 1e-9 * fabs(want) +
		    floor_of(c->names[f])))
			fail_msg("%s: step %d %s: got %.17g, expected %.17g", c->what,
				k, c->names[f], got, want);
	}
	c->lines++;
}

static void
no_notice(void *ctx, const char *msg)
{
	fail_msg("%s: unexpected notice: %s", ((struct check *)ctx)->what, msg);
}

static struct cmt_tick
tick_of(const struct series *s, int i)
{
	struct cmt_tick tk;

	memset(&tk, 0, sizeof tk);
	strcpy(tk.sym, "BTC-USDT");
	tk.t = s->t[i];
	tk.px = s->px[i];
	tk.vol = s->vol[i];
	tk.has_vol = s->has_vol[i];
	if (s->is_bar[i]) {
		tk.has_bar = 1;
		tk.o = s->o[i];
		tk.h = s->h[i];
		tk.l = s->l[i];
	}
	return tk;
}

static void
check_series(const struct cmt_feature_set *fs, const struct series *s,
	const char *what)
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
	assert_int_equal(cmt_fs_names(fs, c.names), o.nfeat);
	fe = cmt_features_new(&opt, check_emit, no_notice, &c, err);
	if (!fe)
		fail_msg("%s: %s", what, err);
	for (i = 0; i < s->n; i++) {
		tk = tick_of(s, i);
		if (cmt_features_push(fe, &tk, err))
			fail_msg("%s: tick %d: %s", what, i, err);
	}
	cmt_features_free(fe);
	assert_int_equal(c.lines, o.ng - o.warmup);
	/* most values were defined, not null on both sides */
	assert_true(c.defined > c.lines * (o.nfeat - CMT_FEAT_BASE) / 2);
	oracle_free(&o);
}

/* ---- feature sets ---------------------------------------------------- */

static void
set_of(struct cmt_feature_set *fs, const char *id)
{
	char err[CMT_ERRLEN];

	if (cmt_fs_parse_id(id, fs, err))
		fail_msg("%s: %s", id, err);
}

#define SHIPPED "cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;rsi=14;" \
	"macd=12/26/9;bb=20/2;mom=10;vt=5/20"
#define SECONDS "cmt1;step=1s;ret=5s/15s/30s/1m;rv=30s/1m;rsi=14;" \
	"macd=12/26/9;bb=20/2;mom=10;vt=5/20"

static const struct {
	const char *name, *id;
	int steps, flat;
} sets[] = {
	{ "the wide set on minutes", SHIPPED ";" CMT_FS_WIDE, 1440 + 5200, 90 },
	{ "odd and one-step windows on seconds", SECONDS ";rng=7s/1s;bar=step;"
	    "vz=5s;zr=11s;hl=1s/3s/17s/29s;lt=2s/41s;cal=utc", 6000, 40 },
	{ "a quarter-second step, parts in another order",
	    "cmt1;step=250ms;ret=250ms/500ms/1s/2s;rv=500ms/1s;rsi=5;"
	    "macd=3/6/2;bb=4/2;mom=3;vt=2/3;cal=utc;lt=1500ms;hl=250ms;"
	    "zr=500ms;vz=500ms;bar=step;rng=750ms", 3000, 20 },
	{ "a single part", SHIPPED ";hl=30m", 2000, 0 },
};

/* ---- the tests ------------------------------------------------------- */

static void
every_extension_feature_matches_the_oracle_at_every_step(void **state)
{
	struct cmt_feature_set fs;
	struct series s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		set_of(&fs, sets[i].id);
		/* trades only, then mostly bars */
		make_series(&s, sets[i].steps, fs.step_ms, 17 + i, 0, sets[i].flat);
		check_series(&fs, &s, sets[i].name);
		series_free(&s);
		make_series(&s, sets[i].steps, fs.step_ms, 91 + i, 0.7,
			sets[i].flat);
		check_series(&fs, &s, sets[i].name);
		series_free(&s);
	}
}

/* Real minutes: the demo sample (BTC and ETH, 2024) as bar ticks at each
 * bar's close. */
static int
read_bars(const char *path, struct series *s)
{
	char cmd[1100], line[256];
	FILE *f;
	long long ts;
	double o, h, l, c, v;

	snprintf(cmd, sizeof cmd, "gzip -dc '%s' 2>/dev/null", path);
	if (!(f = popen(cmd, "r")))
		return -1;
	series_alloc(s, 1 << 15);
	while (fgets(line, sizeof line, f) && s->n < s->cap)
		if (sscanf(line, "%lld,%lf,%lf,%lf,%lf,%lf", &ts, &o, &h, &l, &c,
		    &v) == 6)
			add_bar(s, (ts + 60) * 1000, o, h, l, c, v);
	pclose(f);
	return s->n;
}

static void
every_extension_feature_matches_the_oracle_on_real_minutes(void **state)
{
	static const char *files[] = {
		"data/demo/btcusdt_1m_2024-03-04_2024-03-10.csv.gz",
		"data/demo/ethusdt_1m_2024-05-20_2024-05-26.csv.gz",
	};
	struct cmt_feature_set fs;
	struct series s;
	char path[512];
	const char *root = getenv("CMT_ROOT");
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%.400s/%s", root ? root : ".", files[i]);
		assert_true(read_bars(path, &s) > 5000);
		set_of(&fs, SHIPPED ";" CMT_FS_WIDE);
		check_series(&fs, &s, files[i]);
		set_of(&fs, "cmt1;step=5m;ret=5m/15m/30m/1h;rv=30m/1h;rsi=14;"
			"macd=12/26/9;bb=20/2;mom=10;vt=5/20;rng=1h;bar=step;vz=2h;"
			"zr=2h;hl=5m/1d;lt=1d;cal=utc");
		check_series(&fs, &s, files[i]);
		series_free(&s);
	}
}

/* ---- trades and bars ------------------------------------------------- */

struct lines {
	int n, cap;
	char **line;
};

static void
keep_line(void *ctx, const char *line, size_t len)
{
	struct lines *c = ctx;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->line = realloc(c->line, (size_t)c->cap * sizeof *c->line);
		assert_non_null(c->line);
	}
	c->line[c->n++] = strndup(line, len);
}

static void
lines_free(struct lines *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->line[i]);
	free(c->line);
	memset(c, 0, sizeof *c);
}

static void
run(const char *id, const struct series *s, struct lines *out)
{
	struct cmt_features_options opt;
	struct cmt_features *fe;
	struct cmt_tick tk;
	char err[CMT_ERRLEN];
	int i;

	memset(&opt, 0, sizeof opt);
	set_of(&opt.fs, id);
	opt.max_gap_ms = 1000 * opt.fs.step_ms;
	opt.max_symbols = 4;
	opt.label_ms = opt.fs.step_ms;
	memset(out, 0, sizeof *out);
	fe = cmt_features_new(&opt, keep_line, NULL, out, err);
	if (!fe)
		fail_msg("%s: %s", id, err);
	for (i = 0; i < s->n; i++) {
		tk = tick_of(s, i);
		if (cmt_features_push(fe, &tk, err))
			fail_msg("tick %d: %s", i, err);
	}
	cmt_features_free(fe);
}

/* Trades over `minutes` minutes, and the 1-minute bars made of them
 * (open the first trade, high and low the extremes, close the last,
 * volume the sum in the same order, stamped at the minute's end). */
static void
trades_and_bars(struct series *trades, struct series *bars, int minutes,
	uint64_t seed)
{
	int64_t t0 = 1709510400000LL, g;   /* 2024-03-04T00:00Z */
	double lp = log(60000.0);
	int k, j, m;

	series_alloc(trades, minutes * 40 + 1);
	series_alloc(bars, minutes + 1);
	for (k = 0; k < minutes; k++) {
		double o = 0, h = 0, l = 0, c = 0, v = 0;
		int64_t t = t0 + k * 60000LL;

		g = t + 60000;
		m = 1 + (int)(test_rnd(&seed) % 30);
		if (k % 97 == 50)
			m = 0;                      /* a quiet minute */
		for (j = 0; j < m; j++) {
			double vol = test_unif(&seed);

			t += 1 + (int64_t)(test_rnd(&seed) % (uint64_t)((g - t) / (m - j)));
			if (j == m - 1 && (test_unif(&seed) < 0.3 || k == minutes - 1))
				t = g;                      /* on the minute */
			lp += 3e-4 * test_gauss(&seed);
			c = exp(lp);
			add_trade(trades, t, c, vol, 1);
			if (j == 0)
				o = h = l = c;
			h = c > h ? c : h;
			l = c < l ? c : l;
			v += vol;
		}
		if (m)
			add_bar(bars, g, o, h, l, c, v);
	}
}

/* The step's volume of line s (the sum of its trades, or the bar's own
 * total, which differ in the last digit), cut out of s; 0 without one. */
static double
cut_vol(char *s)
{
	char *at = strstr(s, ",\"vol\":"), *end;
	double v;

	if (!at)
		return 0;
	v = strtod(at + 7, &end);
	memmove(at, end, strlen(end) + 1);
	return v;
}

static void
trades_and_the_bars_made_of_them_give_the_same_vectors(void **state)
{
	static const char *ids[] = {
		SHIPPED ";" CMT_FS_WIDE,
		"cmt1;step=5m;ret=5m/15m/30m/1h;rv=30m/1h;rsi=14;macd=12/26/9;"
		    "bb=20/2;mom=10;vt=5/20;rng=15m/1h;bar=step;vz=1h;zr=1h;"
		    "hl=5m/1h/4h;lt=4h;cal=utc",
	};
	struct series tr, br;
	struct lines a, b;
	size_t i;
	int k, ranged = 0;

	(void)state;
	trades_and_bars(&tr, &br, 3 * 1440, 5);
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		run(ids[i], &tr, &a);
		run(ids[i], &br, &b);
		assert_int_equal(a.n, b.n);
		assert_true(a.n > 500);
		for (k = 0; k < a.n; k++) {
			double va = cut_vol(a.line[k]), vb = cut_vol(b.line[k]);

			assert_close(va, vb, 1e-12 * (va > 1 ? va : 1));
			assert_string_equal(a.line[k], b.line[k]);
			ranged += strstr(a.line[k], "\"pk_1h\":0,") == NULL;
		}
		lines_free(&a);
		lines_free(&b);
	}
	assert_true(ranged > 1000);  /* the range features were not all 0 */
	series_free(&tr);
	series_free(&br);
}

/* A bar tick's range is the step's; as a close alone it would be flat. */
static void
a_bar_ticks_range_is_its_steps_range(void **state)
{
	struct series s;
	struct lines a;
	struct cmt_fvec_decoder d;
	struct cmt_fvec v;
	char err[CMT_ERRLEN];
	int k;

	(void)state;
	series_alloc(&s, 200);
	for (k = 0; k < 200; k++)
		add_bar(&s, 1709510400000LL + 60000LL * (k + 1), 100, 102, 99,
			k % 2 ? 100.5 : 101, 1);
	run("cmt1;step=1m;ret=1m/2m/3m/4m;rv=2m/3m;rsi=2;macd=2/3/2;bb=2/2;"
	    "mom=1;vt=1/2;rng=2m;bar=step", &s, &a);
	assert_true(a.n > 100);
	cmt_fvec_decoder_init(&d, CMT_FVEC_JSON);
	assert_int_equal(cmt_fvec_decode(&d, a.line[a.n - 1],
		strlen(a.line[a.n - 1]), &v, err), CMT_OK);
	/* the last vector is bar 198's (199 is its label): pk = ln(102/99) /
	 * sqrt(4 ln 2), its close 101 */
	assert_close(v.x[11], log(102.0 / 99) / sqrt(4 * log(2.0)), 1e-11);
	assert_close(v.x[14], log(102.0 / 101), 1e-11);   /* upper wick */
	assert_close(v.x[15], log(100.0 / 99), 1e-11);    /* lower wick */
	assert_close(v.x[16], 2.0 / 3, 1e-9);             /* close_loc */
	lines_free(&a);
	series_free(&s);
}

/* The base features of a wider set are the base set's, to the bit. */
static void
the_extension_leaves_the_base_features_alone(void **state)
{
	struct cmt_feature_set fs;
	struct series s;
	struct lines a, b;
	char *p, *q;
	int k;

	(void)state;
	set_of(&fs, SHIPPED);
	make_series(&s, 3000, fs.step_ms, 3, 0.5, 30);
	run(SHIPPED, &s, &a);
	run(SHIPPED ";" CMT_FS_WIDE, &s, &b);
	assert_int_equal(a.n, b.n);
	for (k = 0; k < a.n; k++) {
		/* the base set's line up to its last feature ... */
		p = strstr(a.line[k], ",\"vol_trend\":");
		q = strstr(b.line[k], ",\"vol_trend\":");
		assert_non_null(p);
		assert_non_null(q);
		p += strcspn(p + 1, ",}") + 1;
		q += strcspn(q + 1, ",}") + 1;
		/* ... is the wide line's but for the id */
		assert_int_equal(strlen(strstr(a.line[k], "\"f\":")) -
			strlen(p), strlen(strstr(b.line[k], "\"f\":")) - strlen(q));
		assert_memory_equal(strstr(a.line[k], "\"f\":"),
			strstr(b.line[k], "\"f\":"), strlen(strstr(a.line[k],
			"\"f\":")) - strlen(p));
	}
	lines_free(&a);
	lines_free(&b);
	series_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			every_extension_feature_matches_the_oracle_at_every_step),
		cmocka_unit_test(
			every_extension_feature_matches_the_oracle_on_real_minutes),
		cmocka_unit_test(
			trades_and_the_bars_made_of_them_give_the_same_vectors),
		cmocka_unit_test(a_bar_ticks_range_is_its_steps_range),
		cmocka_unit_test(the_extension_leaves_the_base_features_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
