/* Unit tests for the rolling scores of cmt-backtest --follow (roll.c,
 * follow.c) against the recomputation they replaced, kept here as the
 * oracle: every row of the window in a ring, cmt_metrics_compute on all of
 * them and the lags sorted, at each row (and each metrics line) of long
 * series with ties, one-class windows, windows sliding and symbols
 * interleaved; and, for small windows, an AUC counted pair by pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_test.h"
#include "cmt_backtest.h"
#include "cmt_fmt.h"
#include "cmt_follow.h"
#include "cmt_metrics.h"

/* ---- the oracle: the old cmt_bt_roll ---- */

struct oracle {
	size_t window, n, head;
	uint64_t total;
	double *p, *lag, *ps, *lags, *pair;
	int *y, *ys;
};

static struct oracle *
oracle_new(size_t window)
{
	struct oracle *o = calloc(1, sizeof *o);

	o->window = window;
	o->p = malloc(window * sizeof *o->p);
	o->lag = malloc(window * sizeof *o->lag);
	o->ps = malloc(window * sizeof *o->ps);
	o->lags = malloc(window * sizeof *o->lags);
	o->pair = malloc(2 * window * sizeof *o->pair);
	o->y = malloc(window * sizeof *o->y);
	o->ys = malloc(window * sizeof *o->ys);
	return o;
}

static void
oracle_free(struct oracle *o)
{
	free(o->p);
	free(o->lag);
	free(o->ps);
	free(o->lags);
	free(o->pair);
	free(o->y);
	free(o->ys);
	free(o);
}

static void
oracle_add(struct oracle *o, double p, int y, int64_t lag)
{
	o->p[o->head] = p;
	o->y[o->head] = y;
	o->lag[o->head] = (double)lag;
	o->head = (o->head + 1) % o->window;
	if (o->n < o->window)
		o->n++;
	o->total++;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, z = *(const double *)b;

	return (x > z) - (x < z);
}

static void
oracle_metrics(struct oracle *o, struct cmt_metrics *m, double *lag)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		o->ps[i] = o->p[i];
		o->ys[i] = o->y[i];
		o->lags[i] = o->lag[i];
	}
	cmt_metrics_compute(o->ps, o->ys, o->n, o->pair, m);
	qsort(o->lags, o->n, sizeof *o->lags, cmp_double);
	*lag = o->n ? o->lags[o->n / 2] : NAN;
	/* the old line's rule: shown when within a day */
	if (!(*lag >= 0 && *lag <= 86400000))
		*lag = NAN;
}

/* The AUC by its definition: over every (up, down) pair, 1 when the up
 * row has the higher p, 1/2 on a tie. */
static double
pairs_auc(const struct oracle *o)
{
	double won = 0, pairs = 0;
	size_t i, j;

	for (i = 0; i < o->n; i++)
		for (j = 0; j < o->n; j++)
			if (o->y[i] == 1 && o->y[j] == 0) {
				pairs++;
				won += o->p[i] > o->p[j] ? 1 :
					o->p[i] == o->p[j] ? 0.5 : 0;
			}
	return pairs ? won / pairs : NAN;
}

/* equal, both NAN included */
static void
assert_same(double got, double want, const char *what, uint64_t row)
{
	if (!(got == want || (isnan(got) && isnan(want))))
		fail_msg("%s at row %llu: %.17g, want %.17g", what,
			(unsigned long long)row, got, want);
}

static void
assert_rel(double got, double want, double tol, const char *what,
	uint64_t row)
{
	if (isnan(got) && isnan(want))
		return;
	if (!(fabs(got - want) <= tol * fmax(1, fabs(want))))
		fail_msg("%s at row %llu: %.17g, want %.17g", what,
			(unsigned long long)row, got, want);
}

/* ---- a repeatable series ---- */

static uint64_t rng_state;

static uint32_t
rng(void)
{
	rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
	return (uint32_t)(rng_state >> 33);
}

/* Forecasts with many ties (a few round values, 0 and -0 among them),
 * most on cmt-predict's 5-decimal grid, a few anywhere. */
static double
some_p(void)
{
	static const double round[] = { 0, -0.0, 0.25, 0.5, 0.75, 1, 0.5 };
	uint32_t k = rng() % 10;

	if (k < 3)
		return round[rng() % 7];
	if (k < 9)
		return (double)(rng() % 100001) / 1e5;
	return (double)rng() / 4294967296.0;
}

/* Outcomes in spells: stretches of all up or all down make windows of
 * one class, where the AUC is undefined. */
static int
some_y(uint64_t i)
{
	uint64_t spell = i / 700 % 5;

	return spell == 1 ? 1 : spell == 3 ? 0 : (int)(rng() & 1);
}

/* Lags within a day (a live stream, the median shown), negative (a clock
 * behind), and days old (a replay: null). */
static int64_t
some_lag(void)
{
	uint32_t k = rng() % 10;

	if (k < 6)
		return (int64_t)(rng() % 120000);
	if (k < 8)
		return -(int64_t)(rng() % 5000);
	return 86400000 + (int64_t)(rng() % 3) * 43200000 - 1 +
		(int64_t)(rng() % 3);
}

static void
rolling_window_equals_the_recomputation_at_every_row(void **state)
{
	static const size_t windows[] = { 2, 3, 17, 64, 1000 };
	size_t w;

	for (w = 0; w < sizeof windows / sizeof windows[0]; w++) {
		struct cmt_bt_roll *r = cmt_bt_roll_new(windows[w]);
		struct oracle *o = oracle_new(windows[w]);
		uint64_t i, rows = windows[w] > 64 ? 12000 : 20000;

		rng_state = 42 + w;
		for (i = 0; i < rows; i++) {
			struct cmt_metrics got, want;
			double p = some_p(), lag_got, lag_want;
			int y = some_y(i);
			int64_t lag = some_lag();

			cmt_bt_roll_add(r, p, y, lag);
			oracle_add(o, p, y, lag);
			cmt_bt_roll_metrics(r, &got, &lag_got);
			oracle_metrics(o, &want, &lag_want);
			assert_int_equal(got.n, want.n);
			assert_int_equal(got.n_up, want.n_up);
			assert_same(got.accuracy, want.accuracy, "accuracy", i);
			assert_same(got.auc, want.auc, "auc", i);
			assert_same(lag_got, lag_want, "median lag", i);
			assert_rel(got.logloss, want.logloss, 1e-12, "logloss",
				i);
			assert_rel(got.brier, want.brier, 1e-12, "brier", i);
			if (windows[w] <= 64)
				assert_rel(got.auc, pairs_auc(o), 1e-15,
					"auc by pairs", i);
		}
		cmt_bt_roll_free(r);
		oracle_free(o);
	}
}

/* ---- every metrics line of --follow ---- */

#define NSYM 3
#define WINDOW 40

struct lines {
	struct oracle *all, *sym[NSYM];
	const char *names[NSYM];
	uint64_t checked, checked_sym, outcomes;
};

/* The member's text after "key": up to the next ',' or '}'. */
static void
member(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *s;
	size_t n;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	if (!(s = strstr(line, pat)))
		fail_msg("no %s in %s", key, line);
	s += strlen(pat);
	n = strcspn(s, ",}");
	if (n >= cap)
		fail_msg("%s too long in %s", key, line);
	memcpy(out, s, n);
	out[n] = '\0';
}

/* The line against the oracle's window: counts and the figures written
 * exactly as the old line wrote them; log-loss and Brier to rounding of
 * their sixth digit. */
static void
check_line(const char *line, struct oracle *o, uint64_t n)
{
	struct cmt_metrics m;
	char got[64], want[32];
	double lag;

	oracle_metrics(o, &m, &lag);
	member(line, "window", got, sizeof got);
	assert_int_equal(strtoull(got, NULL, 10), o->n);
	member(line, "count", got, sizeof got);
	assert_int_equal(strtoull(got, NULL, 10), o->total);
	member(line, "accuracy", got, sizeof got);
	cmt_fmt_double(want, m.accuracy, 6);
	assert_string_equal(got, want);
	member(line, "auc", got, sizeof got);
	cmt_fmt_double(want, m.auc, 6);
	assert_string_equal(got, want);
	member(line, "base_rate", got, sizeof got);
	cmt_fmt_double(want, o->n ? (double)m.n_up / (double)o->n : NAN, 6);
	assert_string_equal(got, want);
	member(line, "logloss", got, sizeof got);
	assert_rel(strtod(got, NULL), m.logloss, 1e-5, "logloss line", n);
	member(line, "brier", got, sizeof got);
	assert_rel(strtod(got, NULL), m.brier, 1e-5, "brier line", n);
	member(line, "lag_ms", got, sizeof got);
	if (!isnan(lag))
		cmt_fmt_int(want, (int64_t)lag);
	else
		strcpy(want, "null");
	assert_string_equal(got, want);
}

static void
on_line(void *ctx, const char *s, size_t n)
{
	struct lines *l = ctx;
	char line[2048], sym[64];
	int i;

	if (!n)
		return;
	assert_true(n < sizeof line);
	memcpy(line, s, n);
	line[n] = '\0';
	if (strstr(line, "\"kind\":\"outcome\"")) {
		l->outcomes++;
		return;
	}
	assert_non_null(strstr(line, "\"kind\":\"metrics\""));
	if (!strstr(line, "\"sym\":")) {
		check_line(line, l->all, l->checked++);
		return;
	}
	member(line, "sym", sym, sizeof sym);
	for (i = 0; i < NSYM; i++) {
		char quoted[64];

		snprintf(quoted, sizeof quoted, "\"%s\"", l->names[i]);
		if (strcmp(sym, quoted) == 0) {
			check_line(line, l->sym[i], l->checked_sym++);
			return;
		}
	}
	fail_msg("a metrics line of an unknown symbol: %s", line);
}

static void
every_metrics_line_equals_the_recomputation(void **state)
{
	struct lines l = { .names = { "A-USD", "B-USD", "C-USD" } };
	struct cmt_follow_opts fo = { .every_ms = 60000, .window = WINDOW,
		.horizon_ms = 60000, .out = on_line, .ctx = &l,
		.max_jump_ms = 86400000 };
	struct cmt_follow *f = cmt_follow_new(&fo);
	struct cmt_fvec v;
	char err[CMT_ERRLEN];
	int64_t t0 = 1704067200000, t;
	uint64_t i = 0;
	int s, minute;

	assert_non_null(f);
	l.all = oracle_new(WINDOW);
	for (s = 0; s < NSYM; s++)
		l.sym[s] = oracle_new(WINDOW);
	rng_state = 7;
	/* three symbols, each present in most minutes, in varying order;
	 * some rows flat (y null) or without a forecast: not scored */
	for (minute = 0; minute < 6000; minute++) {
		int order = (int)(rng() % NSYM);

		for (s = 0; s < NSYM; s++) {
			int k = (s + order) % NSYM;
			int64_t lag = some_lag();

			if (rng() % 10 == 0)
				continue;
			memset(&v, 0, sizeof v);
			t = t0 + (int64_t)minute * 60000;
			v.t = t;
			snprintf(v.sym, sizeof v.sym, "%s", l.names[k]);
			v.px = 100;
			v.has_y = 1;
			v.y = rng() % 20 == 0 ? -1 : some_y(i++);
			v.has_p = rng() % 20 != 0;
			v.p_up = v.has_p ? some_p() : 0;
			assert_int_equal(cmt_follow_add(f, &v, "", 0, t + lag,
				err), CMT_OK);
			if (v.y >= 0 && v.has_p) {
				oracle_add(l.all, v.p_up, v.y, lag);
				oracle_add(l.sym[k], v.p_up, v.y, lag);
			}
		}
	}
	cmt_follow_finish(f);
	/* a line a minute, each symbol's too, each checked */
	assert_true(l.checked > 5900);
	assert_true(l.checked_sym > 3 * 4000);
	assert_int_equal(l.outcomes, l.all->total);
	cmt_follow_free(f);
	oracle_free(l.all);
	for (s = 0; s < NSYM; s++)
		oracle_free(l.sym[s]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rolling_window_equals_the_recomputation_at_every_row),
		cmocka_unit_test(every_metrics_line_equals_the_recomputation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
