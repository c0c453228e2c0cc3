/* The feature engine against a naive computation of a few of its features
 * (test_features_golden.c checks all 11 at every step), plus the
 * properties users rely on: no look-ahead, labels, gaps, interleaving,
 * ordering, warm-up and volume handling. */
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
#include "cmt_parse.h"
#include "cmt_fvec.h"
#include "cmt_test.h"

/* Vectors are printed with 10 significant digits, prices with 15: the
 * comparisons below are relative at that precision. */

/* Captured output: up to MAXV lines. */
#define MAXV 20000
struct capture {
	int n, notices;
	char *line[MAXV];
	char notice[4][256];   /* the first four notices */
};

static void
cap_emit(void *ctx, const char *line, size_t len)
{
	struct capture *c = ctx;

	if (c->n < MAXV) {
		c->line[c->n] = strndup(line, len);
		c->n++;
	}
}

static void
cap_notice(void *ctx, const char *msg)
{
	struct capture *c = ctx;

	if (c->notices < 4)
		snprintf(c->notice[c->notices], sizeof c->notice[0], "%s", msg);
	c->notices++;
}

static void
cap_free(struct capture *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->line[i]);
	memset(c, 0, sizeof *c);
}

static void
small_options(struct cmt_features_options *o)
{
	static const int64_t ret[4] = { 1000, 2000, 3000, 5000 };

	memset(o, 0, sizeof *o);
	cmt_fs_defaults(&o->fs);
	memcpy(o->fs.ret_ms, ret, sizeof ret);
	o->fs.rv_ms[0] = 3000;
	o->fs.rv_ms[1] = 5000;
	o->fs.rsi_n = 3;
	o->fs.macd_fast = 2;
	o->fs.macd_slow = 4;
	o->fs.macd_signal = 2;
	o->fs.bb_n = 4;
	o->fs.mom_n = 2;
	o->fs.vt_short = 2;
	o->fs.vt_long = 3;
	o->max_gap_ms = 60000;
	o->max_symbols = 16;
}

/* The extension parts on small_options' 1s grid. */
static void
add_extension(struct cmt_features_options *o)
{
	static const char *opt[][2] = { { "range-vol", "2s,5s" },
		{ "bar", NULL }, { "vol-z", "3s" }, { "zret", "3s" },
		{ "high-low", "1s,4s" }, { "long", "6s,8s" }, { "calendar", NULL } };
	char err[CMT_ERRLEN];
	size_t i;

	for (i = 0; i < sizeof opt / sizeof opt[0]; i++)
		assert_int_equal(cmt_fs_option(&o->fs, opt[i][0], opt[i][1], err),
			CMT_OK);
	assert_int_equal(cmt_fs_check(&o->fs, err), CMT_OK);
}

static struct cmt_tick
tick(const char *sym, int64_t t, double px, double vol)
{
	struct cmt_tick tk;

	memset(&tk, 0, sizeof tk);
	snprintf(tk.sym, sizeof tk.sym, "%s", sym);
	tk.t = t;
	tk.px = px;
	if (vol >= 0) {
		tk.vol = vol;
		tk.has_vol = 1;
	}
	return tk;
}

static void
decode(const char *line, struct cmt_fvec *v)
{
	struct cmt_fvec_decoder d;
	char err[CMT_ERRLEN];

	cmt_fvec_decoder_init(&d, CMT_FVEC_JSON);
	if (cmt_fvec_decode(&d, line, strlen(line), v, err))
		fail_msg("cannot decode %s: %s", line, err);
}

static void
feature_set_ids_round_trip_and_reject_garbage(void **state)
{
	struct cmt_feature_set fs, back;
	char id[CMT_FS_ID_MAX], err[CMT_ERRLEN];
	char names[CMT_FEAT_N][CMT_FEAT_NAME_MAX];

	cmt_fs_defaults(&fs);
	cmt_fs_format_id(&fs, id);
	assert_string_equal(id, "cmt1;step=1s;ret=5s/15s/30s/1m;rv=30s/1m;"
		"rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20");
	assert_int_equal(cmt_fs_parse_id(id, &back, err), CMT_OK);
	assert_memory_equal(&fs, &back, sizeof fs);
	/* any spelling parses; formatting gives the canonical one */
	assert_int_equal(cmt_fs_parse_id("cmt1;step=60s;ret=60s/300s/15m/60m;"
		"rv=30m/3600s;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20", &back,
		err), CMT_OK);
	cmt_fs_format_id(&back, id);
	assert_string_equal(id, "cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;"
		"rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20");
	cmt_fs_names(&back, names);
	assert_string_equal(names[3], "ret_1h");
	assert_string_equal(names[5], "rv_1h");
	assert_string_equal(names[10], "vol_trend");
	assert_int_not_equal(cmt_fs_parse_id("cmt1;step=1s", &back, err), CMT_OK);
	assert_int_not_equal(cmt_fs_parse_id("cmt1;step=7s;ret=5s/15s/30s/1m;"
		"rv=30s/1m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20", &back, err),
		CMT_OK); /* 5s is not a multiple of 7s */
	assert_int_not_equal(cmt_fs_parse_id("cmt1;step=1s;ret=5s/15s/30s/1m;"
		"rv=30s/1m;rsi=14;macd=12/26/9;bb=20/2;mom=10;vt=5/20x", &back,
		err), CMT_OK);
	assert_int_equal(cmt_fs_warmup_steps(&fs), 60);
}

/* Naive reference: grid prices by scanning all ticks, features by
 * textbook formulas (two-pass variance, explicit Wilder recursion). */
static double
naive_grid(const int64_t *t, const double *px, int n, int64_t g)
{
	double last = NAN;
	int i;

	for (i = 0; i < n && t[i] <= g; i++)
		last = px[i];
	return last;
}

static void
features_match_a_naive_recomputation(void **state)
{
	enum { N = 3000 };
	static int64_t t[N];
	static double px[N], grid[N];
	struct cmt_features_options o;
	struct cmt_features *fe;
	struct capture cap = { 0 };
	struct cmt_fvec v;
	struct cmt_tick tk;
	char err[CMT_ERRLEN];
	uint64_t s = 7;
	int64_t g0, g;
	int i, j, ng, checked = 0;

	small_options(&o);
	t[0] = 1700000000000LL + 123;
	px[0] = 100;
	for (i = 1; i < N; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		t[i] = t[i - 1] + 1 + (int64_t)((s >> 33) % 1500);
		px[i] = px[i - 1] * (1 + ((double)(s >> 11) / 9007199254740992.0
		    - 0.5) * 0.01);
	}
	fe = cmt_features_new(&o, cap_emit, cap_notice, &cap, err);
	assert_non_null(fe);
	for (i = 0; i < N; i++) {
		tk = tick("BTC-USD", t[i], px[i], -1);
		assert_int_equal(cmt_features_push(fe, &tk, err), CMT_OK);
	}
	g0 = (t[0] + 999) / 1000 * 1000;
	for (ng = 0, g = g0; g < t[N - 1] && ng < N; g += 1000)
		grid[ng++] = naive_grid(t, px, N, g);
	/* warm-up is 5 steps here (ret 5s, rv 5s), MACD 4-1+2-1 = 4 */
	assert_int_equal(cmt_fs_warmup_steps(&o.fs), 5);
	assert_true(cap.n > 100);
	for (i = 0; i < cap.n; i++) {
		int k;
		double ag = 0, al = 0, mean, var, sum, r, want;

		decode(cap.line[i], &v);
		k = (int)((v.t - g0) / 1000);
		assert_true(k >= 5 && k < ng);
		assert_close(v.px, grid[k], 1e-14 * grid[k]); /* 15 digits */
		/* log returns over 1, 2, 3, 5 steps */
		assert_close(v.x[0], log(grid[k] / grid[k - 1]), 1e-9 * fabs(v.x[0]) + 1e-15);
		assert_close(v.x[3], log(grid[k] / grid[k - 5]), 1e-9 * fabs(v.x[3]) + 1e-15);
		/* realised vol over 3 step returns: population sd, two-pass */
		sum = 0;
		for (j = k - 2; j <= k; j++)
			sum += log(grid[j] / grid[j - 1]);
		mean = sum / 3;
		var = 0;
		for (j = k - 2; j <= k; j++) {
			r = log(grid[j] / grid[j - 1]) - mean;
			var += r * r;
		}
		assert_close(v.x[4], sqrt(var / 3), 1e-7 * sqrt(var / 3) + 1e-12);
		/* Wilder RSI(3) from the start of the grid */
		for (j = 1; j <= k; j++) {
			double d = grid[j] - grid[j - 1];
			if (j <= 3) {
				ag += d > 0 ? d / 3 : 0;
				al += d < 0 ? -d / 3 : 0;
			} else {
				ag = (ag * 2 + (d > 0 ? d : 0)) / 3;
				al = (al * 2 + (d < 0 ? -d : 0)) / 3;
			}
		}
		want = ag + al == 0 ? 0 : 100 * ag / (ag + al);
		assert_close(v.x[6], want, 1e-7);  /* 10 digits of ~50 */
		/* momentum over 2 steps, relative to price */
		want = (grid[k] - grid[k - 2]) / grid[k];
		assert_close(v.x[9], want, 1e-9 * fabs(want) + 1e-15);
		/* no volume in these ticks: vol_trend is null, not 0 */
		assert_true(isnan(v.x[10]));
		checked++;
	}
	assert_true(checked > 100);
	cmt_features_free(fe);
	cap_free(&cap);
}

/* Run a stream through a fresh engine; returns the captured lines. */
static void
run(const struct cmt_features_options *o, const struct cmt_tick *tk, int n,
	struct capture *cap)
{
	char err[CMT_ERRLEN];
	struct cmt_features *fe = cmt_features_new(o, cap_emit, cap_notice, cap,
	    err);
	int i;

	assert_non_null(fe);
	for (i = 0; i < n; i++)
		cmt_features_push(fe, &tk[i], err);
	cmt_features_finish(fe);
	cmt_features_free(fe);
}

static char *
strip_label(char *line)
{
	char *y = strstr(line, ",\"y\":");

	if (y)
		strcpy(y, "}\n");
	return line;
}

static void
no_feature_depends_on_future_ticks(void **state)
{
	/* Two streams identical up to the cut, wildly different after it.
	 * Every vector at or before the cut must be identical (labels aside:
	 * y is by definition about the future and is held back by H). */
	enum { N = 400, CUT = 250 };
	static struct cmt_tick a[N], b[N];
	struct cmt_features_options o;
	struct capture ca = { 0 }, cb = { 0 };
	struct cmt_fvec v;
	int64_t cut_t;
	int i, compared = 0;

	small_options(&o);
	o.label_ms = 3000;
	for (i = 0; i < N; i++) {
		double p = 100 + 5 * sin(i * 0.3) + (i % 7) * 0.1;
		a[i] = tick("ETH-USD", 1700000000000LL + i * 700, p, 1 + i % 3);
		b[i] = a[i];
		if (i > CUT)
			b[i].px = p * (i % 2 ? 3 : 0.2); /* a shock after the cut */
	}
	cut_t = a[CUT].t;
	run(&o, a, N, &ca);
	run(&o, b, N, &cb);
	for (i = 0; i < ca.n && i < cb.n; i++) {
		decode(ca.line[i], &v);
		if (v.t > cut_t)
			break;
		assert_string_equal(strip_label(ca.line[i]), strip_label(cb.line[i]));
		compared++;
	}
	assert_true(compared > 100);
	/* and the streams do differ right after the cut */
	assert_true(i + 3 < ca.n && i + 3 < cb.n);
	assert_true(strcmp(ca.line[i + 1], cb.line[i + 1]) != 0 ||
	    strcmp(ca.line[i + 2], cb.line[i + 2]) != 0);
	cap_free(&ca);
	cap_free(&cb);
}

static void
labels_compare_the_grid_price_h_later(void **state)
{
	static const double p[] = { 10, 11, 12, 13, 14, 15, 16, 15, 15, 16,
		17, 16, 16, 16, 15, 14 };
	enum { N = sizeof p / sizeof p[0] };
	struct cmt_tick tk[N];
	struct cmt_features_options o;
	struct capture cap = { 0 };
	struct cmt_fvec v;
	int i, k;

	small_options(&o);
	o.label_ms = 2000;   /* two steps */
	o.emit_warmup = 1;
	for (i = 0; i < N; i++)
		tk[i] = tick("SOL-USD", 1700000000000LL + i * 1000, p[i], -1);
	run(&o, tk, N, &cap);
	/* the last two grid points never get a label */
	assert_int_equal(cap.n, N - 2);
	for (i = 0; i < cap.n; i++) {
		decode(cap.line[i], &v);
		k = i;
		assert_close(v.px, p[k], 0);
		assert_true(v.has_y);
		assert_int_equal(v.y, p[k + 2] > p[k] ? 1 : p[k + 2] < p[k] ? 0 : -1);
		assert_int_equal(v.warmup, k < 5);
	}
	cap_free(&cap);
}

static void
gaps_are_forward_filled_up_to_max_gap_then_reset(void **state)
{
	struct cmt_tick tk[40];
	struct cmt_features_options o;
	struct capture cap = { 0 };
	struct cmt_fvec v;
	int i, n = 0;

	small_options(&o);
	o.max_gap_ms = 10000;
	o.emit_warmup = 1;
	for (i = 0; i < 10; i++)
		tk[n++] = tick("BTC-USD", 1700000000000LL + i * 1000, 100 + i, -1);
	/* a 9 s silence: forward-filled, 9 grid points at the old price */
	tk[n++] = tick("BTC-USD", 1700000000000LL + 18000, 200, -1);
	/* a 60 s silence: reset, warm-up starts again */
	tk[n++] = tick("BTC-USD", 1700000000000LL + 78000, 300, -1);
	for (i = 1; i < 8; i++)
		tk[n++] = tick("BTC-USD", 1700000000000LL + 78000 + i * 1000,
			300 + i, -1);
	run(&o, tk, n, &cap);
	assert_int_equal(cap.notices, 1);   /* the reset (--emit-warmup) */
	/* 10 + 9 grid points (t0..t0+18s) before the reset, 8 after */
	assert_int_equal(cap.n, 19 + 8);
	decode(cap.line[15], &v);     /* t0+15s: filled with 109 */
	assert_close(v.px, 109, 0);
	decode(cap.line[18], &v);
	assert_close(v.px, 200, 0);
	decode(cap.line[19], &v);     /* first point after the reset */
	assert_int_equal(v.t, 1700000000000LL + 78000);
	assert_true(v.warmup);
	assert_true(isnan(v.x[0]));   /* no return across the gap */
	cap_free(&cap);
}

static void
warm_up_is_announced_once_per_symbol_with_the_steps_to_go(void **state)
{
	struct cmt_tick tk[80];
	struct cmt_features_options o;
	struct capture cap = { 0 };
	int i, n = 0, w;

	small_options(&o);
	o.max_gap_ms = 10000;
	o.warmup_notice = 1;
	w = cmt_fs_warmup_steps(&o.fs);
	assert_true(w > 1);
	/* t0 + 0.5 s: the first grid point is t0 + 1 s, the first vector
	 * w steps later */
	for (i = 0; i < 30; i++) {
		tk[n++] = tick("BTC-USD", 1700000000500LL + i * 1000, 100 + i, -1);
		tk[n++] = tick("ETH-USD", 1700000000500LL + i * 1000, 50 + i, -1);
	}
	/* a reset: warm-up starts again, and is announced again */
	for (i = 0; i < 3; i++)
		tk[n++] = tick("BTC-USD", 1700000100000LL + i * 1000, 100, -1);
	run(&o, tk, n, &cap);
	assert_int_equal(cap.notices, 4);
	{
		char want[128];

		snprintf(want, sizeof want, "BTC-USD: warming up: first vector in "
			"%d grid steps (%ds), at grid time ", w, w);
		assert_non_null(strstr(cap.notice[0], want));
		assert_non_null(strstr(cap.notice[1], "ETH-USD: warming up"));
		assert_non_null(strstr(cap.notice[2], "BTC-USD: no tick"));
		assert_non_null(strstr(cap.notice[3], "BTC-USD: warming up"));
	}
	/* the time named is the first vector's */
	{
		struct cmt_fvec v;
		char when[40];

		decode(cap.line[0], &v);
		assert_int_equal(v.t, 1700000001000LL + w * 1000LL);
		cmt_format_time(v.t, when, sizeof when);
		assert_non_null(strstr(cap.notice[0], when));
	}
	cap_free(&cap);
	/* with --emit-warmup the vectors themselves say it: no notice */
	o.emit_warmup = 1;
	run(&o, tk, 60, &cap);
	assert_int_equal(cap.notices, 0);
	cap_free(&cap);
	o.emit_warmup = 0;
	o.warmup_notice = 0;    /* cmt-features -q */
	run(&o, tk, 60, &cap);
	assert_int_equal(cap.notices, 0);
	cap_free(&cap);
}

/* CSV field k of line (0-based): its start, and its length in *len. */
static char *
csv_field(char *line, int k, size_t *len)
{
	char *p = line;

	while (k-- > 0 && (p = strchr(p, ',')))
		p++;
	assert_non_null(p);
	*len = strcspn(p, ",\n");
	return p;
}

/* A wandering two-symbol stream with volume, ticks off the grid. */
static int
partial_stream(struct cmt_tick *tk, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		double p = 100 + 4 * sin(i * 0.17) + (i % 5) * 0.07;

		tk[i] = tick(i % 3 ? "BTC-USD" : "ETH-USD",
			1700000000000LL + 137 + (int64_t)i * 371, p * (i % 3 ? 1 : 0.05),
			0.5 + (i % 4));
	}
	return n;
}

static void
partial_vectors_leave_every_final_vector_byte_identical(void **state)
{
	enum { N = 1500 };
	static struct cmt_tick tk[N];
	static const int64_t every[] = { 0, 1000, 3000 };
	struct cmt_features_options o;
	struct capture a = { 0 }, b = { 0 };
	int lab, warm, csv, e, i, j, npart, ext;

	partial_stream(tk, N);
	for (ext = 0; ext < 2; ext++)
	for (lab = 0; lab < 2; lab++)
	for (warm = 0; warm < 2; warm++)
	for (csv = 0; csv < 2; csv++)
	for (e = 0; e < 3; e++) {
		small_options(&o);
		if (ext)
			add_extension(&o);
		o.label_ms = lab ? 3000 : 0;
		o.emit_warmup = warm;
		o.csv = csv;
		run(&o, tk, N, &a);
		o.partial = 1;
		o.partial_every_ms = every[e];
		run(&o, tk, N, &b);
		npart = 0;
		for (i = j = 0; i < b.n; i++) {
			/* CSV: t,sym,px,fs, the features, [warmup,] partial */
			size_t len = 0;
			char *f = csv ? csv_field(b.line[i], 4 + cmt_fs_count(&o.fs) +
			    warm, &len) : NULL;
			int part = csv ? len == 4 && memcmp(f, "true", 4) == 0 :
			    strstr(b.line[i], ",\"partial\":true") != NULL;

			if (part) {
				npart++;
				continue;
			} else if (csv) {
				assert_true(len == 5 && memcmp(f, "false", 5) == 0);
				memmove(f - 1, f + len, strlen(f + len) + 1);
			}
			assert_true(j < a.n);
			assert_string_equal(b.line[i], a.line[j]);
			j++;
		}
		assert_int_equal(j, a.n);
		assert_true(npart > (e == 0 ? N / 2 : N / 10));
		cap_free(&a);
		cap_free(&b);
	}
}

static void
a_partial_vector_is_the_vector_the_step_would_end_with_now(void **state)
{
	enum { N = 600 };
	static struct cmt_tick tk[N + 1];
	struct cmt_features_options o;
	struct capture full = { 0 }, cut = { 0 };
	int i, checked = 0, ext;

	partial_stream(tk, N);
	for (ext = 0; ext < 2; ext++) {
		small_options(&o);
		if (ext)
			add_extension(&o);
		o.partial = 1;
		o.partial_every_ms = 0;
		run(&o, tk, N, &full);
		o.partial = 0;
		/* Cut the stream after tick i and end its step there: one more tick
		 * at the grid time, at the same price, with no volume added.  The
		 * vector that closes the step is the partial vector of tick i. */
		for (i = 0; i < N; i += 7) {
			struct cmt_tick save = tk[i + 1];
			char want[4096], *p;
			int m;

			tk[i + 1] = tick(tk[i].sym, (tk[i].t / 1000 + 1) * 1000, tk[i].px,
				0);
			run(&o, tk, i + 2, &cut);
			tk[i + 1] = save;
			if (cut.n == 0) {
				cap_free(&cut);
				continue;   /* still warming up */
			}
			snprintf(want, sizeof want, "%s", cut.line[cut.n - 1]);
			p = strrchr(want, '}');
			strcpy(p, ",\"partial\":true}\n");
			/* it must be among the full run's partial lines */
			for (m = 0; m < full.n; m++)
				if (strcmp(full.line[m], want) == 0)
					break;
			if (m == full.n)
				fail_msg("tick %d: no partial line %s", i, want);
			checked++;
			cap_free(&cut);
		}
		assert_true(checked > 50 * (ext + 1));
		cap_free(&full);
	}
}

static void
interleaved_symbols_match_each_symbol_alone(void **state)
{
	enum { N = 300 };
	static struct cmt_tick mixed[2 * N], btc[N], eth[N];
	struct cmt_features_options o;
	struct capture cm = { 0 }, cb = { 0 }, ce = { 0 };
	int i, ib = 0, ie = 0;

	small_options(&o);
	o.label_ms = 1000;
	for (i = 0; i < N; i++) {
		btc[i] = tick("BTC-USD", 1700000000000LL + i * 900,
			50000 + 100 * sin(i * 0.1), 0.5);
		eth[i] = tick("ETH-USD", 1700000000000LL + i * 1100 + 50,
			3000 + 10 * cos(i * 0.13), 2);
	}
	/* merge by time */
	for (i = 0; ib < N || ie < N; i++)
		mixed[i] = (ie >= N || (ib < N && btc[ib].t < eth[ie].t)) ?
		    btc[ib++] : eth[ie++];
	run(&o, mixed, 2 * N, &cm);
	run(&o, btc, N, &cb);
	run(&o, eth, N, &ce);
	assert_int_equal(cm.n, cb.n + ce.n);
	for (i = 0, ib = 0, ie = 0; i < cm.n; i++) {
		if (strstr(cm.line[i], "\"BTC-USD\""))
			assert_string_equal(cm.line[i], cb.line[ib++]);
		else
			assert_string_equal(cm.line[i], ce.line[ie++]);
	}
	cap_free(&cm);
	cap_free(&cb);
	cap_free(&ce);
}

static void
out_of_order_and_duplicate_ticks_are_refused_without_harm(void **state)
{
	struct cmt_features_options o;
	struct capture c1 = { 0 }, c2 = { 0 };
	struct cmt_features *fe;
	struct cmt_tick tk;
	char err[CMT_ERRLEN];
	int i;

	small_options(&o);
	fe = cmt_features_new(&o, cap_emit, NULL, &c1, err);
	for (i = 0; i < 30; i++) {
		tk = tick("BTC-USD", 1700000000000LL + i * 1000, 100 + i % 4, -1);
		assert_int_equal(cmt_features_push(fe, &tk, err), CMT_OK);
		tk.px = 1e6;                  /* same time: duplicate */
		assert_int_equal(cmt_features_push(fe, &tk, err), CMT_EORDER);
		tk.t -= 500;                  /* earlier: out of order */
		assert_int_equal(cmt_features_push(fe, &tk, err), CMT_EORDER);
	}
	cmt_features_free(fe);
	fe = cmt_features_new(&o, cap_emit, NULL, &c2, err);
	for (i = 0; i < 30; i++) {
		tk = tick("BTC-USD", 1700000000000LL + i * 1000, 100 + i % 4, -1);
		cmt_features_push(fe, &tk, err);
	}
	cmt_features_free(fe);
	assert_int_equal(c1.n, c2.n);
	for (i = 0; i < c1.n; i++)
		assert_string_equal(c1.line[i], c2.line[i]);
	cap_free(&c1);
	cap_free(&c2);
}

static void
volume_trend_uses_step_volumes_and_is_null_without_volume(void **state)
{
	struct cmt_tick tk[20];
	struct cmt_features_options o;
	struct capture cap = { 0 };
	struct cmt_fvec v;
	int i;

	small_options(&o);
	o.fs.vt_short = 1;   /* EMA(1) = the last step's volume */
	o.fs.vt_long = 2;
	/* two ticks per step, volumes summed per step: 3, 3, 3, ..., 9 */
	for (i = 0; i < 20; i++)
		tk[i] = tick("BTC-USD", 1700000000000LL + (i / 2) * 1000 +
			(i % 2) * 400, 100 + i, i >= 18 ? 4.5 : 1.5);
	run(&o, tk, 20, &cap);
	decode(cap.line[cap.n - 1], &v);
	/* Step volumes: step 0 holds tick 0 (1.5); step k >= 1 holds ticks
	 * 2k-1 and 2k: 3.0 up to step 8, then 1.5 + 4.5 = 6.0 at step 9.
	 * EMA(2), k = 2/3, seeded (1.5+3)/2 = 2.25 at step 1, so at step k
	 * it is 3 - 0.75/3^(k-1): step 8 gives 3 - 0.75/2187, and step 9
	 * (6 - L8)*2/3 + L8 = 5 - 0.25/2187.  EMA(1) = 6. */
	assert_int_equal(v.t, 1700000000000LL + 9000);
	assert_close(v.x[10], 6.0 / (5 - 0.25 / 2187), 1e-9);
	cap_free(&cap);
	for (i = 0; i < 20; i++)
		tk[i].has_vol = i != 12;  /* one tick without volume */
	run(&o, tk, 20, &cap);
	/* tick 12 opens step 6 without volume: the series restarts there
	 * and EMA(2) is defined again two complete steps later */
	for (i = 0; i < cap.n; i++) {
		decode(cap.line[i], &v);
		if (v.t == 1700000000000LL + 6000 || v.t == 1700000000000LL + 7000)
			assert_true(isnan(v.x[10]));
		else if (v.t >= 1700000000000LL + 8000)
			assert_false(isnan(v.x[10]));
	}
	cap_free(&cap);
}

static void
symbol_limit_keeps_memory_bounded(void **state)
{
	struct cmt_features_options o;
	struct cmt_features *fe;
	struct cmt_tick tk;
	char err[CMT_ERRLEN], sym[CMT_SYM_MAX];
	int i, refused = 0;

	small_options(&o);
	o.max_symbols = 5;
	fe = cmt_features_new(&o, cap_emit, NULL, NULL, err);
	for (i = 0; i < 50; i++) {
		snprintf(sym, sizeof sym, "S%d-USD", i);
		tk = tick(sym, 1700000000000LL, 1, -1);
		refused += cmt_features_push(fe, &tk, err) == CMT_ELIMIT;
	}
	assert_int_equal(refused, 45);
	cmt_features_free(fe);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(feature_set_ids_round_trip_and_reject_garbage),
		cmocka_unit_test(features_match_a_naive_recomputation),
		cmocka_unit_test(no_feature_depends_on_future_ticks),
		cmocka_unit_test(labels_compare_the_grid_price_h_later),
		cmocka_unit_test(gaps_are_forward_filled_up_to_max_gap_then_reset),
		cmocka_unit_test(
			warm_up_is_announced_once_per_symbol_with_the_steps_to_go),
		cmocka_unit_test(interleaved_symbols_match_each_symbol_alone),
		cmocka_unit_test(partial_vectors_leave_every_final_vector_byte_identical),
		cmocka_unit_test(
			a_partial_vector_is_the_vector_the_step_would_end_with_now),
		cmocka_unit_test(out_of_order_and_duplicate_ticks_are_refused_without_harm),
		cmocka_unit_test(volume_trend_uses_step_volumes_and_is_null_without_volume),
		cmocka_unit_test(symbol_limit_keeps_memory_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
