#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmt_backtest.h"
#include "cmt_json.h"
#include "cmt_parse.h"
#include "cmt_strbuf.h"
#include "cmt_svgplot.h"

#define Y_NONE (-2)  /* no "y" member */
#define Y_FLAT (-1)  /* "y":null */

/* Constant memory: nothing is kept per row.  Each group (a symbol, and
 * "ALL") keeps running sums in row order (the same order, so the same
 * floating-point results, as the arrays this replaced), and per-class
 * counts per distinct p_up, from which the AUC and DeLong's interval are
 * exact.  Two things depend on what only the end of the input tells: the
 * baselines' log-loss and Brier score (their forecast is a share seen over
 * all rows) and the equal-weight portfolio (1/S of the capital per symbol,
 * and its points merged in time order across symbols).  For them a few
 * bytes per row go to unlinked temporary files in $TMPDIR (or /tmp), read
 * back by cmt_bt_finish: the disk, not the memory, grows with the rows. */

/* Counts of up and down rows with one p_up value. */
struct score {
	double p;
	uint64_t up, down;
};

/* Open addressing on p's bits; cap is a power of two, empty slots have
 * up + down == 0. */
struct score_map {
	struct score *e;
	size_t cap, n;
};

struct acc {
	size_t lines, unlabelled, flat, no_p;
	int64_t t_first, t_last;
	size_t n, n_up, hits;          /* scored rows; model hits (p>=0.5)==y */
	double logloss, brier;         /* model, summed in row order */
	double cal_p[CMT_BT_BINS], cal_y[CMT_BT_BINS];
	size_t cal_n[CMT_BT_BINS];
	size_t sign_n[3], sign_up[3];  /* last return > 0, < 0, == 0 */
	double sign_hits;              /* the sign rule's hits (ties 1/2) */
	struct score_map scores;
};

/* cmt_bt_trade, one row at a time. */
struct trade {
	double f, eq, peak, bh, entry, sum, sum2;
	double px, p, px0;             /* the previous row, the first price */
	int prev;
	size_t rows;
	struct cmt_bt_trading out;
};

/* Points of the portfolio: per symbol, the change of its equity and of
 * its buy-and-hold value at each of its rows after the first. */
struct point {
	int64_t t;
	double eq, bh;
};

/* The points go to the spill file in blocks of BLOCK_POINTS, chained per
 * symbol (each block's header has the offset of the symbol's next one). */
#define BLOCK_POINTS 256
struct block {
	int64_t next;                  /* offset of the next block, or -1 */
	int64_t count;
	struct point pt[BLOCK_POINTS];
};

struct sym {
	struct acc acc;
	struct trade tr;
	struct block *blk;             /* points not yet spilled */
	int64_t first_blk, last_blk;   /* spilled blocks, -1 when none */
};

/* A sequential spill file of fixed-size records. */
struct spill {
	int fd;
	char buf[1 << 16];
	size_t len;
	int64_t size;                  /* bytes written to fd */
};

/* A row as the plot needs it (kept only with o.keep_rows). */
struct kept_row {
	int64_t t;
	double px;
	double p;        /* NAN without p_up */
	double x0;       /* shortest-window return, known at t */
	int sym;
	int y;
};

struct cmt_bt {
	struct cmt_bt_opts o;
	size_t n;
	int nsym;
	char model[CMT_BT_MODEL_MAX + 1]; /* model of the rows with p_up */
	int models;                /* 0 none yet, 1 one, 2 more than one */
	char sym[CMT_BT_MAX_SYMBOLS][CMT_SYM_MAX];
	int64_t last_t[CMT_BT_MAX_SYMBOLS];
	struct sym *st[CMT_BT_MAX_SYMBOLS];
	struct acc all;
	struct spill rows;         /* per scored row: symbol, sign class, y */
	int pts_fd;                /* the portfolio's blocks */
	int64_t pts_size;
	/* partial vectors skipped: in all, and by symbol (their own table, as
	 * a symbol with partial vectors only has no group) */
	size_t partial, npartial_sym, partial_n[CMT_BT_MAX_SYMBOLS];
	char partial_sym[CMT_BT_MAX_SYMBOLS][CMT_SYM_MAX];
	/* o.keep_rows (the plot): every row, in input order */
	struct kept_row *kept;
	size_t nkept, capkept;
	struct cmt_bt_group *groups;   /* nsym + 1 after finish */
	struct point *curve;       /* the points the plot draws */
	size_t ncurve, ndrawn;     /* points of the curve; drawn of them */
	int64_t curve_t0, curve_t1;
	double curve_lo, curve_hi;
};

/* A number as JSON (null when not finite). */
static const char *
jnum(char *buf, double x)
{
	cmt_fmt_double(buf, x, 6);
	return buf;
}

double
cmt_bt_calibration(const double *p, const int *y, size_t n,
	struct cmt_bt_bin tab[CMT_BT_BINS])
{
	double sp[CMT_BT_BINS] = { 0 }, sy[CMT_BT_BINS] = { 0 }, ece = 0;
	size_t i;
	int k;

	for (k = 0; k < CMT_BT_BINS; k++)
		tab[k].n = 0;
	for (i = 0; i < n; i++) {
		k = (int)(p[i] * CMT_BT_BINS);
		if (k >= CMT_BT_BINS)
			k = CMT_BT_BINS - 1;
		if (k < 0)
			k = 0;
		tab[k].n++;
		sp[k] += p[i];
		sy[k] += y[i] == 1;
	}
	for (k = 0; k < CMT_BT_BINS; k++) {
		tab[k].p_mean = tab[k].n ? sp[k] / (double)tab[k].n : NAN;
		tab[k].freq = tab[k].n ? sy[k] / (double)tab[k].n : NAN;
		if (tab[k].n)
			ece += (double)tab[k].n / (double)n *
				fabs(tab[k].p_mean - tab[k].freq);
	}
	return n ? ece : NAN;
}

static int
cmp_pair(const void *a, const void *b)
{
	double x = *(const double *)a, z = *(const double *)b;

	return (x > z) - (x < z);
}

/* The AUC from runs of equal p in ascending order, as cmt_metrics_auc
 * computes it from sorted rows: each run shares its average rank. */
static double
auc_runs(const struct score *r, size_t nr)
{
	double rank_sum = 0, n_up = 0, n = 0, n_down, avg;
	size_t i;

	for (i = 0; i < nr; i++) {
		double ups = (double)r[i].up, rn = (double)(r[i].up + r[i].down);

		avg = (n + 1 + (n + rn)) / 2;
		rank_sum += ups * avg;
		n += rn;
		n_up += ups;
	}
	if (n == 0)
		return NAN;
	n_down = n - n_up;
	if (n_up == 0 || n_down == 0)
		return NAN;
	return (rank_sum - n_up * (n_up + 1) / 2) / (n_up * n_down);
}

/* DeLong et al. (1988) with midranks (Sun and Xu 2014): each up row's
 * component is the share of down rows it outranks (ties 1/2), each down
 * row's the share of up rows that outrank it; their variances give the
 * variance of the AUC.  Rows with equal p have equal components, so runs
 * of equal p (ascending) are all it needs. */
static double
auc_se_runs(const struct score *r, size_t nr, double *auc)
{
	double m = 0, n = 0, k, s10 = 0, s01 = 0, sum10 = 0;
	double pos_below, neg_below, d;
	size_t i;
	int l;

	*auc = NAN;
	for (i = 0; i < nr; i++) {
		m += (double)r[i].up;
		n += (double)(r[i].up + r[i].down);
	}
	k = n - m;
	if (m < 2 || k < 2)
		return NAN;
	/* first pass: sums, to get the AUC; second: squared deviations */
	for (l = 0; l < 2; l++) {
		pos_below = neg_below = 0;
		for (i = 0; i < nr; i++) {
			double ups = (double)r[i].up, v10, v01;
			double downs = (double)(r[i].up + r[i].down) - ups;

			v10 = (neg_below + downs / 2) / k;
			v01 = (m - pos_below - ups / 2) / m;
			if (l == 0) {
				sum10 += ups * v10;
			} else {
				d = v10 - *auc;
				s10 += ups * d * d;
				d = v01 - *auc;
				s01 += downs * d * d;
			}
			pos_below += ups;
			neg_below += downs;
		}
		if (l == 0)
			*auc = sum10 / m;
	}
	return sqrt(s10 / (m - 1) / m + s01 / (k - 1) / k);
}

double
cmt_bt_auc_se(const double *p, const int *y, size_t n, double *pair,
	double *auc)
{
	struct score *r;
	size_t i, j, nr = 0;
	double se;

	*auc = NAN;
	if (!(r = malloc((n ? n : 1) * sizeof *r)))
		return NAN;

	for (i = 0; i < n; i++) {
		pair[2 * i] = p[i];
		pair[2 * i + 1] = y[i] == 1;
	}
	qsort(pair, n, 2 * sizeof *pair, cmp_pair);
	for (i = 0; i < n; i = j) {
		double p0 = pair[2 * i], ups = 0;

		for (j = i; j < n && pair[2 * j] == p0; j++)
			ups += pair[2 * j + 1];
		r[nr].p = p0;
		r[nr].up = (uint64_t)ups;
		r[nr].down = (uint64_t)(j - i) - (uint64_t)ups;
		nr++;
	}
	se = auc_se_runs(r, nr, auc);
	free(r);
	return se;
}

static void
trade_begin(struct trade *t, double fee_bps)
{
	memset(t, 0, sizeof *t);
	t->f = fee_bps / 1e4;
	t->eq = t->peak = t->bh = t->entry = 1;
	t->out.max_dd = 0;
}

/* The row after the previous one: the position decided there earns the
 * return to px.  Returns the rule's equity now. */
static double
trade_step(struct trade *t, double px, double p, double theta)
{
	struct cmt_bt_trading *out = &t->out;
	double g, r;
	int pos;

	if (t->rows++ == 0) {
		t->px = t->px0 = px;
		t->p = p;
		return t->eq;
	}
	pos = !isnan(t->p) && t->p > theta;
	r = px / t->px - 1;
	if (pos && !t->prev) {
		out->trades++;
		t->entry = t->eq;
	}
	g = (pos != t->prev ? 1 - t->f : 1) * (1 + (pos ? r : 0));
	t->eq *= g;
	if (!pos && t->prev && t->eq / t->entry - 1 > 0)
		out->wins++;
	t->bh *= 1 + r;
	out->periods++;
	out->long_periods += pos;
	t->sum += g - 1;
	t->sum2 += (g - 1) * (g - 1);
	if (t->eq > t->peak)
		t->peak = t->eq;
	if (1 - t->eq / t->peak > out->max_dd)
		out->max_dd = 1 - t->eq / t->peak;
	t->prev = pos;
	t->px = px;
	t->p = p;
	return t->eq;
}

/* The results so far, as if the input ended here. */
static void
trade_end(const struct trade *t, struct cmt_bt_trading *out)
{
	*out = t->out;
	if (t->prev && t->eq / t->entry - 1 > 0)
		out->wins++;
	out->ret = t->eq - 1;
	out->bh_ret = t->bh - 1;
	out->hit_rate = out->trades ? (double)out->wins / (double)out->trades :
		NAN;
	out->sharpe = NAN;
	if (out->periods >= 2) {
		double np = (double)out->periods, mean = t->sum / np;
		double var = (t->sum2 - np * mean * mean) / (np - 1);

		if (var > 0)
			out->sharpe = mean / sqrt(var);
	}
}

void
cmt_bt_trade(const double *px, const double *p, size_t n, double theta,
	double fee_bps, struct cmt_bt_trading *out, double *equity)
{
	struct trade t;
	size_t i;

	trade_begin(&t, fee_bps);
	for (i = 0; i < n; i++) {
		double eq = trade_step(&t, px[i], p[i], theta);

		if (equity)
			equity[i] = eq;
	}
	trade_end(&t, out);
}

/* ---- the spill files ---- */

static int
spill_open(char *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof path, "%s/cmt-backtest.XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0) {
		cmt_errf(err, CMT_EIO, "temporary file in %s: %s", dir,
			strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

static enum cmt_err
write_all(int fd, const void *buf, size_t n, int64_t off, char *err)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return cmt_errf(err, CMT_EIO, "temporary file: %s",
				w < 0 ? strerror(errno) : "short write");
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return CMT_OK;
}

static enum cmt_err
read_all(int fd, void *buf, size_t n, int64_t off, char *err)
{
	char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return cmt_errf(err, CMT_EIO, "temporary file: %s",
				r < 0 ? strerror(errno) : "truncated");
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return CMT_OK;
}

static enum cmt_err
spill_put(struct spill *sp, uint32_t rec, char *err)
{
	enum cmt_err e;

	if (sp->fd < 0 && (sp->fd = spill_open(err)) < 0)
		return CMT_EIO;
	if (sp->len + sizeof rec > sizeof sp->buf) {
		if ((e = write_all(sp->fd, sp->buf, sp->len, sp->size, err)))
			return e;
		sp->size += (int64_t)sp->len;
		sp->len = 0;
	}
	memcpy(sp->buf + sp->len, &rec, sizeof rec);
	sp->len += sizeof rec;
	return CMT_OK;
}

/* A symbol's point; a full block goes to the file, chained. */
static enum cmt_err
put_point(struct cmt_bt *bt, struct sym *st, int64_t t, double eq, double bh,
	char *err)
{
	struct block *b = st->blk;
	enum cmt_err e;
	int64_t off;

	if (!b) {
		if (!(b = st->blk = malloc(sizeof *b)))
			return cmt_errf(err, CMT_ENOMEM, "out of memory");
		b->next = -1;
		b->count = 0;
	}
	b->pt[b->count].t = t;
	b->pt[b->count].eq = eq;
	b->pt[b->count].bh = bh;
	if (++b->count < BLOCK_POINTS)
		return CMT_OK;
	if (bt->pts_fd < 0 && (bt->pts_fd = spill_open(err)) < 0)
		return CMT_EIO;
	off = bt->pts_size;
	if ((e = write_all(bt->pts_fd, b, sizeof *b, off, err)))
		return e;
	bt->pts_size += (int64_t)sizeof *b;
	if (st->last_blk >= 0 && (e = write_all(bt->pts_fd, &off, sizeof off,
	    st->last_blk + (int64_t)offsetof(struct block, next), err)))
		return e;
	if (st->first_blk < 0)
		st->first_blk = off;
	st->last_blk = off;
	b->count = 0;
	return CMT_OK;
}

/* ---- per-score counts ---- */

static size_t
slot(const struct score_map *m, double p)
{
	uint64_t bits;

	memcpy(&bits, &p, sizeof bits);
	return (size_t)((bits * 0x9e3779b97f4a7c15u) >> 20) & (m->cap - 1);
}

static enum cmt_err
count_score(struct score_map *m, double p, int up)
{
	struct score *e;
	size_t i;

	if (p == 0)
		p = 0;   /* -0 and 0 are one score */
	if (10 * (m->n + 1) > 7 * m->cap) {   /* at most 70 % full */
		struct score_map g = { NULL, m->cap ? 2 * m->cap : 1024, 0 };

		if (!(g.e = calloc(g.cap, sizeof *g.e)))
			return CMT_ENOMEM;
		for (i = 0; i < m->cap; i++) {
			struct score *o = &m->e[i];
			size_t k;

			if (o->up + o->down == 0)
				continue;
			for (k = slot(&g, o->p); g.e[k].up + g.e[k].down;
			    k = (k + 1) & (g.cap - 1))
				;
			g.e[k] = *o;
			g.n++;
		}
		free(m->e);
		*m = g;
	}
	for (i = slot(m, p);; i = (i + 1) & (m->cap - 1)) {
		e = &m->e[i];
		if (e->up + e->down == 0) {
			e->p = p;
			m->n++;
			break;
		}
		if (e->p == p)
			break;
	}
	if (up)
		e->up++;
	else
		e->down++;
	return CMT_OK;
}

static int
cmp_score(const void *a, const void *b)
{
	const struct score *x = a, *z = b;

	return (x->p > z->p) - (x->p < z->p);
}

/* ---- adding rows ---- */

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

/* One row into a group's running sums. */
static enum cmt_err
acc_add(struct acc *a, const struct cmt_fvec *v, double p, int y,
	int sign, char *err)
{
	int k;

	a->lines++;
	if (v->t < a->t_first)
		a->t_first = v->t;
	if (v->t > a->t_last)
		a->t_last = v->t;
	if (y == Y_NONE) {
		a->unlabelled++;
		return CMT_OK;
	}
	if (y == Y_FLAT) {
		a->flat++;
		return CMT_OK;
	}
	if (isnan(p)) {
		a->no_p++;
		return CMT_OK;
	}
	a->n++;
	a->n_up += y == 1;
	a->hits += (p >= 0.5) == (y == 1);
	{
		/* as cmt_metrics_logloss and cmt_metrics_brier */
		double q = y == 1 ? p : 1 - p, d = p - (y == 1);

		a->logloss -= log(q < CMT_METRICS_EPS ? CMT_METRICS_EPS : q);
		a->brier += d * d;
	}
	/* as cmt_bt_calibration */
	k = (int)(p * CMT_BT_BINS);
	if (k >= CMT_BT_BINS)
		k = CMT_BT_BINS - 1;
	if (k < 0)
		k = 0;
	a->cal_n[k]++;
	a->cal_p[k] += p;
	a->cal_y[k] += y == 1;
	a->sign_n[sign]++;
	a->sign_up[sign] += (size_t)y;
	a->sign_hits += (sign == 0 && y == 1) || (sign == 1 && y == 0) ? 1 :
		sign == 2 ? 0.5 : 0;
	if (count_score(&a->scores, p, y == 1))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	return CMT_OK;
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
		trade_begin(&st->tr, bt->o.fee_bps);
		s = bt->nsym++;
		bt->st[s] = st;
		strcpy(bt->sym[s], v->sym);
	} else if (v->t <= bt->last_t[s]) {
		return cmt_errf(err, CMT_EORDER, "%s: t %lld is not after the "
			"previous vector's", v->sym, (long long)v->t);
	}
	st = bt->st[s];
	bt->last_t[s] = v->t;
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
	if ((e = acc_add(&st->acc, v, p, y, sign, err)) ||
	    (e = acc_add(&bt->all, v, p, y, sign, err)))
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
	if (y >= 0 && !isnan(p) && (e = spill_put(&bt->rows,
	    (uint32_t)s << 3 | (uint32_t)sign << 1 | (uint32_t)y, err)))
		return e;
	/* the portfolio: this symbol's equity and buy-and-hold changes */
	eq0 = st->tr.eq;
	px0 = st->tr.px;
	eq = trade_step(&st->tr, v->px, p, bt->o.theta);
	if (st->tr.rows > 1 && (e = put_point(bt, st, v->t, eq - eq0,
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

/* ---- the figures ---- */

/* Runs of the sign rule's forecasts: each sign class forecasts the
 * up-share seen in it; classes with equal forecasts make one run. */
static size_t
sign_runs(const struct acc *a, double pl[3], struct score r[3])
{
	size_t nr = 0, i, j;
	int k, order[3] = { 0, 1, 2 }, t;

	for (k = 0; k < 3; k++)
		pl[k] = (double)a->sign_up[k] / (double)a->sign_n[k];
	for (i = 0; i < 3; i++)         /* sort the three by forecast */
		for (j = i + 1; j < 3; j++)
			if (a->sign_n[order[j]] && (!a->sign_n[order[i]] ||
			    pl[order[j]] < pl[order[i]])) {
				t = order[i];
				order[i] = order[j];
				order[j] = t;
			}
	for (i = 0; i < 3; i++) {
		k = order[i];
		if (!a->sign_n[k])
			continue;
		if (!nr || r[nr - 1].p != pl[k]) {
			r[nr].p = pl[k];
			r[nr].up = r[nr].down = 0;
			nr++;
		}
		r[nr - 1].up += a->sign_up[k];
		r[nr - 1].down += a->sign_n[k] - a->sign_up[k];
	}
	return nr;
}

/* Everything of a group but the baselines' log-loss and Brier score and
 * the trading results. */
static enum cmt_err
score(const struct acc *a, const char *sym, struct cmt_bt_group *g,
	char *err)
{
	struct score *sc, sr[3];
	double se, auc, n = (double)a->n, pl[3];
	size_t i, j, nr;
	int k;

	memset(g, 0, sizeof *g);
	snprintf(g->sym, sizeof g->sym, "%s", sym);
	g->t_first = a->t_first;
	g->t_last = a->t_last;
	g->lines = a->lines;
	g->unlabelled = a->unlabelled;
	g->flat = a->flat;
	g->no_p = a->no_p;
	g->base_rate = a->n ? (double)a->n_up / n : NAN;
	/* the model */
	g->model.m.n = g->majority.m.n = g->last_return.m.n = a->n;
	g->model.m.n_up = g->majority.m.n_up = g->last_return.m.n_up = a->n_up;
	g->model.m.accuracy = a->n ? (double)a->hits / n : NAN;
	g->model.m.logloss = a->n ? a->logloss / n : NAN;
	g->model.m.brier = a->n ? a->brier / n : NAN;
	/* the distinct scores in ascending order: runs of equal p */
	if (!(sc = malloc((a->scores.n + 1) * sizeof *sc)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	for (i = j = 0; i < a->scores.cap; i++)
		if (a->scores.e[i].up + a->scores.e[i].down)
			sc[j++] = a->scores.e[i];
	qsort(sc, j, sizeof *sc, cmp_score);
	g->model.m.auc = auc_runs(sc, j);
	se = auc_se_runs(sc, j, &auc);
	free(sc);
	g->model.auc_lo = fmax(0, g->model.m.auc - 1.959964 * se);
	g->model.auc_hi = fmin(1, g->model.m.auc + 1.959964 * se);
	if (isnan(se))
		g->model.auc_lo = g->model.auc_hi = NAN;
	/* the majority baseline forecasts the base rate everywhere */
	g->majority.m.accuracy = a->n ? (double)((g->base_rate >= 0.5) ?
		a->n_up : a->n - a->n_up) / n : NAN;
	sr[0].p = g->base_rate;
	sr[0].up = a->n_up;
	sr[0].down = a->n - a->n_up;
	g->majority.m.auc = auc_runs(sr, a->n ? 1 : 0);
	g->majority.auc_lo = g->majority.auc_hi = NAN;
	/* The sign rule forecasts up after a rise, down after a fall; its
	 * probability, like the majority baseline's, is the up-share seen
	 * among rows with that sign (in hindsight, which can only flatter
	 * it).  A hard 0/1 probability would make log-loss meaningless. */
	nr = sign_runs(a, pl, sr);
	g->last_return.m.auc = auc_runs(sr, nr);
	g->last_return.m.accuracy = a->n ? a->sign_hits / n : NAN;
	g->last_return.auc_lo = g->last_return.auc_hi = NAN;
	/* as cmt_bt_calibration */
	g->ece = 0;
	for (k = 0; k < CMT_BT_BINS; k++) {
		g->calib[k].n = a->cal_n[k];
		g->calib[k].p_mean = a->cal_n[k] ? a->cal_p[k] /
			(double)a->cal_n[k] : NAN;
		g->calib[k].freq = a->cal_n[k] ? a->cal_y[k] /
			(double)a->cal_n[k] : NAN;
		if (a->cal_n[k])
			g->ece += (double)a->cal_n[k] / n *
				fabs(g->calib[k].p_mean - g->calib[k].freq);
	}
	if (!a->n)
		g->ece = NAN;
	return CMT_OK;
}

/* The baselines' log-loss and Brier score: their forecasts are known now,
 * so the scored rows are read back in input order and summed as
 * cmt_metrics_logloss and cmt_metrics_brier sum them. */
static enum cmt_err
baselines(struct cmt_bt *bt, char *err)
{
	struct sums { double pm, pl[3], llm, brm, lll, brl; } *sum;
	uint32_t rec[4096];
	int64_t off = 0, end = bt->rows.size + (int64_t)bt->rows.len;
	enum cmt_err e = CMT_OK;
	size_t i, n;
	int s, k, y, g, gi;

	if (!(sum = calloc((size_t)bt->nsym + 1, sizeof *sum)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	for (s = 0; s <= bt->nsym; s++) {
		const struct acc *a = s < bt->nsym ? &bt->st[s]->acc : &bt->all;
		struct score r[3];

		sum[s].pm = bt->groups[s].base_rate;
		sign_runs(a, sum[s].pl, r);
	}
	while (off < end) {
		n = (size_t)(end - off) / sizeof rec[0];
		if (n > sizeof rec / sizeof rec[0])
			n = sizeof rec / sizeof rec[0];
		if (off >= bt->rows.size)   /* the tail still in memory */
			memcpy(rec, bt->rows.buf + (off - bt->rows.size),
				n * sizeof rec[0]);
		else if (off + (int64_t)(n * sizeof rec[0]) > bt->rows.size)
			n = (size_t)(bt->rows.size - off) / sizeof rec[0];
		if (off < bt->rows.size && (e = read_all(bt->rows.fd, rec,
		    n * sizeof rec[0], off, err)))
			break;
		off += (int64_t)(n * sizeof rec[0]);
		for (i = 0; i < n; i++) {
			s = (int)(rec[i] >> 3);
			k = (int)(rec[i] >> 1 & 3);
			y = (int)(rec[i] & 1);
			for (gi = 0; gi < 2; gi++) {
				struct sums *z = &sum[gi ? bt->nsym : s];
				double q, d;

				q = y == 1 ? z->pm : 1 - z->pm;
				z->llm -= log(q < CMT_METRICS_EPS ?
					CMT_METRICS_EPS : q);
				d = z->pm - (y == 1);
				z->brm += d * d;
				q = y == 1 ? z->pl[k] : 1 - z->pl[k];
				z->lll -= log(q < CMT_METRICS_EPS ?
					CMT_METRICS_EPS : q);
				d = z->pl[k] - (y == 1);
				z->brl += d * d;
			}
		}
	}
	for (g = 0; g <= bt->nsym && !e; g++) {
		struct cmt_bt_group *gr = &bt->groups[g];
		double n = (double)gr->model.m.n;

		gr->majority.m.logloss = gr->model.m.n ? sum[g].llm / n : NAN;
		gr->majority.m.brier = gr->model.m.n ? sum[g].brm / n : NAN;
		gr->last_return.m.logloss = gr->model.m.n ? sum[g].lll / n : NAN;
		gr->last_return.m.brier = gr->model.m.n ? sum[g].brl / n : NAN;
	}
	free(sum);
	return e;
}

/* ---- the portfolio ---- */

/* A cursor over one symbol's points: its spilled blocks in order, then
 * the block still in memory. */
struct cursor {
	const struct block *cur;
	int64_t next;      /* next spilled block; -1: the memory one; -2: none */
	int64_t i;
	int s;
	struct block buf;
};

static int
cursor_before(const struct cursor *a, const struct cursor *b)
{
	const struct point *x = &a->cur->pt[a->i], *z = &b->cur->pt[b->i];

	return x->t < z->t || (x->t == z->t && a->s < b->s);
}

/* Move to the next point: 1, 0 at the end, -1 on a read error. */
static int
cursor_next(struct cmt_bt *bt, struct cursor *c, char *err)
{
	c->i++;
	while (!c->cur || c->i >= c->cur->count) {
		if (c->next >= 0) {
			if (read_all(bt->pts_fd, &c->buf, sizeof c->buf, c->next,
			    err))
				return -1;
			c->cur = &c->buf;
			c->next = c->buf.next;
		} else if (c->next == -1) {
			c->cur = bt->st[c->s]->blk;
			c->next = -2;
			if (!c->cur)
				return 0;
		} else {
			return 0;
		}
		c->i = 0;
	}
	return 1;
}

static void
sift_down(struct cursor **h, size_t n, size_t i)
{
	struct cursor *t;
	size_t k;

	for (;;) {
		k = 2 * i + 1;
		if (k >= n)
			return;
		if (k + 1 < n && cursor_before(h[k + 1], h[k]))
			k++;
		if (!cursor_before(h[k], h[i]))
			return;
		t = h[i];
		h[i] = h[k];
		h[k] = t;
		i = k;
	}
}

/* The equal-weight portfolio: each symbol is a sub-account with 1/S of
 * the capital, valued at its latest equity.  The symbols' equity changes
 * are merged in time order (on equal times, in symbol order, as the
 * stable sort of the concatenated per-symbol changes did) and summed per
 * distinct time.  draw == 0: the figures, the number of curve points and
 * their range; draw > 0: keep every draw-th curve point for the plot. */
static enum cmt_err
portfolio(struct cmt_bt *bt, size_t draw, char *err)
{
	struct cmt_bt_trading *all = &bt->groups[bt->nsym].trading;
	struct cursor *c, **h;
	double v = 1, vb = 1, peak = 1, prev = 1, sum = 0, sum2 = 0;
	double ns = bt->nsym;
	size_t nh = 0, i, n = 0;
	int s, rc;

	c = calloc((size_t)bt->nsym + 1, sizeof *c);
	h = calloc((size_t)bt->nsym + 1, sizeof *h);
	if (!c || !h) {
		free(c);
		free(h);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	for (s = 0; s < bt->nsym; s++) {
		c[s].s = s;
		c[s].next = bt->st[s]->first_blk >= 0 ? bt->st[s]->first_blk : -1;
		c[s].i = -1;
		if ((rc = cursor_next(bt, &c[s], err)) < 0)
			goto fail;
		if (rc)
			h[nh++] = &c[s];
	}
	for (i = nh; i-- > 0;)
		sift_down(h, nh, i);
	if (!draw) {
		bt->curve_lo = bt->curve_hi = 1;
		all->max_dd = 0;
	}
	while (nh > 0) {
		int64_t t = h[0]->cur->pt[h[0]->i].t;

		while (nh > 0 && h[0]->cur->pt[h[0]->i].t == t) {
			const struct point *pt = &h[0]->cur->pt[h[0]->i];

			v += pt->eq / ns;
			vb += pt->bh / ns;
			if ((rc = cursor_next(bt, h[0], err)) < 0)
				goto fail;
			if (!rc)
				h[0] = h[--nh];
			sift_down(h, nh, 0);
		}
		if (draw) {
			if (n % draw == 0) {
				bt->curve[bt->ndrawn].t = t;
				bt->curve[bt->ndrawn].eq = v;
				bt->curve[bt->ndrawn].bh = vb;
				bt->ndrawn++;
			}
			n++;
			continue;
		}
		if (n == 0)
			bt->curve_t0 = t;
		bt->curve_t1 = t;
		bt->curve_lo = fmin(bt->curve_lo, fmin(v, vb));
		bt->curve_hi = fmax(bt->curve_hi, fmax(v, vb));
		n++;
		all->periods++;
		sum += v / prev - 1;
		sum2 += (v / prev - 1) * (v / prev - 1);
		prev = v;
		if (v > peak)
			peak = v;
		if (1 - v / peak > all->max_dd)
			all->max_dd = 1 - v / peak;
	}
	free(c);
	free(h);
	if (draw)
		return CMT_OK;
	bt->ncurve = n;
	all->ret = v - 1;
	all->sharpe = NAN;
	if (all->periods >= 2) {
		double k = (double)all->periods, mean = sum / k;
		double var = (sum2 - k * mean * mean) / (k - 1);

		if (var > 0)
			all->sharpe = mean / sqrt(var);
	}
	return CMT_OK;
fail:
	free(c);
	free(h);
	return CMT_EIO;
}

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

		if ((e = score(&bt->st[s]->acc, bt->sym[s], &bt->groups[s], err)))
			break;
		trade_end(&bt->st[s]->tr, t);
	}
	if (!e)
		e = score(&bt->all, "ALL", &bt->groups[bt->nsym], err);
	for (s = 0; s < bt->nsym && !e; s++) {
		int k = partial_index(bt, bt->sym[s]);

		bt->groups[s].partial = k >= 0 ? bt->partial_n[k] : 0;
	}
	if (!e)
		bt->groups[bt->nsym].partial = bt->partial;
	if (!e)
		e = baselines(bt, err);
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
		e = portfolio(bt, 0, err);
	}
	/* the plot draws at most about 1500 points of the curve */
	draw = bt->ncurve > 1500 ? (bt->ncurve + 1499) / 1500 : 1;
	if (!e && bt->ncurve &&
	    !(bt->curve = malloc((bt->ncurve / draw + 1) * sizeof *bt->curve)))
		e = cmt_errf(err, CMT_ENOMEM, "out of memory");
	if (!e && bt->ncurve)
		e = portfolio(bt, draw, err);
	if (e) {
		free(bt->groups);
		bt->groups = NULL;
	}
	return e;
}

/* The model named by the rows: "-" when none, "(several)" if they differ.
 * Names are the raw JSON string contents (escapes kept), valid between
 * quotes in the JSON report. */
static const char *
model_name(const struct cmt_bt *bt)
{
	return bt->models == 0 ? "-" : bt->models == 1 ? bt->model :
		"(several)";
}

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

static void
text_scores(struct cmt_strbuf *b, const char *name, const struct cmt_bt_scores *s,
	double ece, int model)
{
	char a[6][32], ci[64];

	if (model && !isnan(s->auc_lo))
		snprintf(ci, sizeof ci, "[%.4f, %.4f]", s->auc_lo, s->auc_hi);
	else
		snprintf(ci, sizeof ci, "%s", "");
	cmt_strbuf_printf(b, "  %-12s %8zu %8s %8s  %-18s %8s %8s %8s\n", name, s->m.n,
		fx(a[0], s->m.accuracy, 8, 4), fx(a[1], s->m.auc, 8, 4), ci,
		fx(a[2], s->m.logloss, 8, 4), fx(a[3], s->m.brier, 8, 4),
		model ? fx(a[4], ece, 8, 4) : "");
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
	cmt_strbuf_printf(&b, "model %s; vectors %zu, symbols %d, from %s to %s\n",
		model_name(bt), all->lines, bt->nsym, all->lines ? t0 : "-",
		all->lines ? t1 : "-");
	cmt_strbuf_printf(&b, "scored %zu; not scored: %zu flat (y null), %zu without "
		"p_up, %zu unlabelled, %zu partial\n\n", all->model.m.n,
		all->flat, all->no_p, all->unlabelled, all->partial);
	cmt_strbuf_printf(&b, "%-14s %8s %8s %8s  %-18s %8s %8s %8s\n", "scores", "n",
		"accuracy", "auc", "auc 95% (DeLong)", "logloss", "brier",
		"ece");
	for (i = 0; i <= bt->nsym; i++) {
		const struct cmt_bt_group *g = &bt->groups[i];

		if (bt->nsym == 1 && i == 1)
			break;
		cmt_strbuf_printf(&b, "%s  (up %s)\n", g->sym,
			fx(a[0], g->base_rate, 0, 4));
		text_scores(&b, "model", &g->model, g->ece, 1);
		text_scores(&b, "majority", &g->majority, 0, 0);
		text_scores(&b, "last return", &g->last_return, 0, 0);
	}
	cmt_strbuf_printf(&b, "\ncalibration (%s, %d bins, ECE %s)\n", bt->nsym == 1 ?
		bt->groups[0].sym : "ALL", CMT_BT_BINS,
		fx(a[0], all->ece, 0, 4));
	cmt_strbuf_printf(&b, "  %-9s %8s %8s %8s\n", "p_up", "n", "mean p", "up");
	for (k = 0; k < CMT_BT_BINS; k++)
		cmt_strbuf_printf(&b, "  [%.1f,%.1f%c %8zu %8s %8s\n",
			(double)k / CMT_BT_BINS, (double)(k + 1) / CMT_BT_BINS,
			k == CMT_BT_BINS - 1 ? ']' : ')', all->calib[k].n,
			fx(a[0], all->calib[k].p_mean, 8, 4),
			fx(a[1], all->calib[k].freq, 8, 4));
	cmt_strbuf_printf(&b, "\ntrading: long when p_up > %g, else flat; fee %g bps "
		"per entry and exit; one period = one vector step\n",
		bt->o.theta, bt->o.fee_bps);
	cmt_strbuf_printf(&b, "%-14s %8s %8s %8s %8s %9s %9s %8s %8s\n", "symbol",
		"periods", "long", "trades", "hit rate", "return", "buy&hold",
		"max dd", "sharpe");
	for (i = 0; i <= bt->nsym; i++) {
		const struct cmt_bt_trading *t = &bt->groups[i].trading;

		if (bt->nsym == 1 && i == 1)
			break;
		cmt_strbuf_printf(&b,
			"%-14s %8zu %8zu %8zu %8s %8s%% %8s%% %7s%% %8s\n",
			i == bt->nsym ? "ALL (1/S each)" : bt->groups[i].sym,
			t->periods, t->long_periods, t->trades,
			fx(a[0], t->hit_rate, 8, 4),
			fx(a[1], 100 * t->ret, 8, 3),
			fx(a[2], 100 * t->bh_ret, 8, 3),
			fx(a[3], 100 * t->max_dd, 7, 3),
			fx(a[4], t->sharpe, 8, 4));
	}
	return cmt_strbuf_take(&b);
}

static void
json_scores(struct cmt_strbuf *b, const char *name, const struct cmt_bt_scores *s)
{
	char a[6][32];

	cmt_strbuf_printf(b, "\"%s\":{\"n\":%zu,\"accuracy\":%s,\"auc\":%s,"
		"\"auc_lo\":%s,\"auc_hi\":%s,\"logloss\":%s,\"brier\":%s}",
		name,
		s->m.n, jnum(a[0], s->m.accuracy), jnum(a[1], s->m.auc),
		jnum(a[2], s->auc_lo), jnum(a[3], s->auc_hi),
		jnum(a[4], s->m.logloss), jnum(a[5], s->m.brier));
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
	json_scores(b, "model", &g->model);
	cmt_strbuf_printf(b, ",");
	json_scores(b, "majority", &g->majority);
	cmt_strbuf_printf(b, ",");
	json_scores(b, "last_return", &g->last_return);
	cmt_strbuf_printf(b, ",\"ece\":%s,\"calibration\":[", jnum(a[0], g->ece));
	for (k = 0; k < CMT_BT_BINS; k++)
		cmt_strbuf_printf(b, "%s{\"lo\":%s,\"hi\":%s,\"n\":%zu,\"p_mean\":%s,"
			"\"freq\":%s}", k ? "," : "",
			jnum(a[0], (double)k / CMT_BT_BINS),
			jnum(a[1], (double)(k + 1) / CMT_BT_BINS),
			g->calib[k].n, jnum(a[2], g->calib[k].p_mean),
			jnum(a[3], g->calib[k].freq));
	cmt_strbuf_printf(b, "],\"trading\":{\"theta\":%s,\"fee_bps\":%s,"
		"\"periods\":%zu,\"long_periods\":%zu,\"trades\":%zu,"
		"\"wins\":%zu,\"hit_rate\":%s,\"return\":%s,\"buy_hold\":%s,"
		"\"max_drawdown\":%s,\"sharpe_per_period\":%s}}",
		jnum(a[0], bt->o.theta), jnum(a[1], bt->o.fee_bps), t->periods,
		t->long_periods, t->trades, t->wins, jnum(a[2], t->hit_rate),
		jnum(a[3], t->ret), jnum(a[4], t->bh_ret),
		jnum(a[5], t->max_dd), jnum(a[6], t->sharpe));
}

char *
cmt_bt_format_json(const struct cmt_bt *bt)
{
	struct cmt_strbuf b = { 0 };
	int i;

	if (bt->models)
		cmt_strbuf_printf(&b, "{\"model\":\"%s\",\"overall\":", model_name(bt));
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

/* ---- the plot (--plot): equity per symbol and for the portfolio, with
 * buy and hold and the two baselines traded by the same rule; calibration
 * zoomed to the forecasts' range with Wilson intervals, and a reliability
 * histogram.  Drawing is lib/svgplot.c's. */

#define NSTRAT 4
static const char *const strat_name[NSTRAT] = { "rule (model)", "buy and hold",
	"majority baseline", "last-return baseline" };
static const char *const strat_color[NSTRAT] = { "#1f77b4", "#555555",
	"#2ca02c", "#d62728" };
static const char *const strat_dash[NSTRAT] = { NULL, "6,3", "2,3", "8,3,2,3" };
#define PLOT_W 960
#define PLOT_SYMS 8      /* symbols drawn one panel each */
#define CAL_BINS 10

struct plotdata {
	size_t n, *start, *order;  /* rows by symbol, as in cmt_bt_finish */
	double *t, *eq[NSTRAT];    /* per row (symbol order) */
	double *pt, *pv[NSTRAT];   /* portfolio, by time */
	size_t np;
	double gap;                /* a jump in time longer than this breaks */
};

/* rows in time order: (t, index) pairs */
struct tix {
	double t;
	size_t i;
};

static int
cmp_tix(const void *a, const void *b)
{
	const struct tix *x = a, *z = b;

	if (x->t != z->t)
		return (x->t > z->t) - (x->t < z->t);
	return (x->i > z->i) - (x->i < z->i);
}

static void
plotdata_free(struct plotdata *d)
{
	int k;

	free(d->start);
	free(d->order);
	free(d->t);
	free(d->pt);
	for (k = 0; k < NSTRAT; k++) {
		free(d->eq[k]);
		free(d->pv[k]);
	}
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, z = *(const double *)b;

	return (x > z) - (x < z);
}

static enum cmt_err
plotdata_make(const struct cmt_bt *bt, struct plotdata *d)
{
	size_t i, j, n = bt->nkept, m = n ? n : 1;
	double *px = NULL, *p = NULL, *steps = NULL, v[NSTRAT];
	struct tix *tx = NULL;
	int s, k, ok;

	memset(d, 0, sizeof *d);
	d->n = n;
	d->start = calloc((size_t)bt->nsym + 1, sizeof *d->start);
	d->order = malloc(m * sizeof *d->order);
	d->t = malloc(m * sizeof *d->t);
	d->pt = malloc(m * sizeof *d->pt);
	px = malloc(m * sizeof *px);
	p = malloc(m * sizeof *p);
	tx = malloc(m * sizeof *tx);
	ok = d->start && d->order && d->t && d->pt && px && p && tx;
	for (k = 0; k < NSTRAT; k++) {
		d->eq[k] = malloc(m * sizeof *d->eq[k]);
		d->pv[k] = malloc(m * sizeof *d->pv[k]);
		ok = ok && d->eq[k] && d->pv[k];
	}
	if (!ok)
		goto fail;
	for (i = 0; i < n; i++)
		d->start[bt->kept[i].sym + 1]++;
	for (s = 0; s < bt->nsym; s++)
		d->start[s + 1] += d->start[s];
	for (i = 0; i < n; i++)
		d->order[d->start[bt->kept[i].sym]++] = i;
	for (s = bt->nsym; s > 0; s--)
		d->start[s] = d->start[s - 1];
	d->start[0] = 0;
	for (s = 0; s < bt->nsym; s++) {
		size_t a = d->start[s], len = d->start[s + 1] - a;
		double base = bt->groups[s].base_rate;
		struct cmt_bt_trading tr;

		for (k = 0; k < NSTRAT; k++) {
			for (i = 0; i < len; i++) {
				const struct kept_row *r = &bt->kept[d->order[a + i]];

				px[i] = r->px;
				d->t[a + i] = (double)r->t;
				p[i] = k == 0 ? r->p : k == 2 ? base :
					r->x0 > 0 ? 1 : r->x0 < 0 ? 0 : NAN;
				if (k == 1)
					d->eq[k][a + i] = r->px / bt->kept[
						d->order[a]].px;
			}
			if (k != 1)
				cmt_bt_trade(px, p, len, bt->o.theta,
					bt->o.fee_bps, &tr, d->eq[k] + a);
		}
	}
	/* the portfolio: 1/S of the capital per symbol, each valued at its
	 * latest equity; equity changes summed in time order */
	for (i = 0; i < n; i++) {
		tx[i].t = d->t[i];
		tx[i].i = i;
	}
	qsort(tx, n, sizeof *tx, cmp_tix);
	for (k = 0; k < NSTRAT; k++)
		v[k] = 1;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && tx[j].t == tx[i].t; j++) {
			size_t r = tx[j].i;
			int first = 0;

			for (s = 0; s < bt->nsym; s++)
				first |= r == d->start[s];
			for (k = 0; !first && k < NSTRAT; k++)
				v[k] += (d->eq[k][r] - d->eq[k][r - 1]) /
					bt->nsym;
		}
		d->pt[d->np] = tx[i].t;
		for (k = 0; k < NSTRAT; k++)
			d->pv[k][d->np] = v[k];
		d->np++;
	}
	/* a gap: ten times the median step between portfolio points */
	d->gap = 0;
	if (d->np > 2 && (steps = malloc(d->np * sizeof *steps))) {
		for (i = 1; i < d->np; i++)
			steps[i - 1] = d->pt[i] - d->pt[i - 1];
		qsort(steps, d->np - 1, sizeof *steps, cmp_dbl);
		d->gap = 10 * steps[(d->np - 1) / 2];
		free(steps);
	}
	free(px);
	free(p);
	free(tx);
	return CMT_OK;
fail:
	free(px);
	free(p);
	free(tx);
	plotdata_free(d);
	return CMT_ENOMEM;
}

static void
equity_panel(struct cmt_svg *g, const struct cmt_bt *bt, struct plotdata *d,
	struct cmt_plot *pl, int s, const char *title)
{
	const double *t = s < 0 ? d->pt : d->t + d->start[s];
	size_t n = s < 0 ? d->np : d->start[s + 1] - d->start[s], i;
	double gap = d->gap;
	int k;

	(void)bt;
	pl->ylo = pl->yhi = 1;
	for (k = 0; k < NSTRAT; k++) {
		const double *e = s < 0 ? d->pv[k] : d->eq[k] + d->start[s];

		for (i = 0; i < n; i++) {
			pl->ylo = fmin(pl->ylo, e[i]);
			pl->yhi = fmax(pl->yhi, e[i]);
		}
	}
	if (pl->yhi - pl->ylo < 1e-6) {
		pl->ylo -= 0.001;
		pl->yhi += 0.001;
	}
	/* a little room, and never below zero on a linear scale */
	pl->yhi += (pl->yhi - pl->ylo) * 0.04;
	pl->ylo = fmax(pl->ylo - (pl->yhi - pl->ylo) * 0.04, pl->ylo * 0.9);
	pl->xlo = n ? t[0] : 0;
	pl->xhi = n ? t[n - 1] : 1;
	pl->xtime = 1;
	cmt_plot_frame(g, pl, title, "time (UTC)", "equity (start = 1)", 1, 0);
	for (k = NSTRAT - 1; k >= 0; k--)
		cmt_plot_line(g, pl, t, s < 0 ? d->pv[k] : d->eq[k] +
			d->start[s], n, gap, strat_color[k], k ? 1.2 : 1.8,
			strat_dash[k]);
}

static void
legend(struct cmt_svg *g, double x, double y, const double *ret)
{
	int k;

	for (k = 0; k < NSTRAT; k++) {
		double xx = x + 200 * k;

		cmt_svg_printf(g, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>"
			"<text x=\"%.1f\" y=\"%.1f\">%s %+.2f%%</text>\n", xx,
			y - 4, xx + 22, y - 4, strat_color[k], strat_dash[k] ?
			" stroke-dasharray=\"" : "", strat_dash[k] ?
			strat_dash[k] : "", strat_dash[k] ? "\"" : "", xx + 26, y,
			strat_name[k], 100 * ret[k]);
	}
}

/* Wilson score interval of a share k/n, 95 %. */
static void
wilson(double k, double n, double *lo, double *hi)
{
	double z = 1.959964, ph = k / n, z2 = z * z / n;
	double c = (ph + z2 / 2) / (1 + z2);
	double h = z * sqrt(ph * (1 - ph) / n + z2 / (4 * n)) / (1 + z2);

	*lo = c - h;
	*hi = c + h;
}

static void
calibration_panels(struct cmt_svg *g, const struct cmt_bt *bt, double y0)
{
	struct cmt_plot cal = { .x0 = 90, .y0 = y0, .w = 380, .h = 300 };
	struct cmt_plot his = { .x0 = 90, .y0 = y0 + 360, .w = 380, .h = 110 };
	double lo = INFINITY, hi = -INFINITY, sp[CAL_BINS] = { 0 };
	double sy[CAL_BINS] = { 0 }, ylo, yhi, w, nmax = 0, cl, ch;
	size_t cnt[CAL_BINS] = { 0 }, i, total = 0, np = 0;
	double *ps;
	char title[160];
	int k;

	/* the range of the forecasts, without the outer 0.1 % on each side
	 * (they fall into the edge bins) */
	if ((ps = malloc((bt->nkept ? bt->nkept : 1) * sizeof *ps))) {
		for (i = 0; i < bt->nkept; i++)
			if (bt->kept[i].y >= 0 && !isnan(bt->kept[i].p))
				ps[np++] = bt->kept[i].p;
		qsort(ps, np, sizeof *ps, cmp_dbl);
		if (np) {
			lo = ps[(size_t)((double)(np - 1) * 0.001)];
			hi = ps[(size_t)((double)(np - 1) * 0.999)];
		}
		free(ps);
	}
	if (lo > hi)
		lo = 0.45, hi = 0.55;
	if (hi - lo < 0.01) {
		lo -= 0.005;
		hi += 0.005;
	}
	w = (hi - lo) / CAL_BINS;
	for (i = 0; i < bt->nkept; i++) {
		const struct kept_row *r = &bt->kept[i];

		if (r->y < 0 || isnan(r->p))
			continue;
		k = (int)((r->p - lo) / w);
		k = k < 0 ? 0 : k >= CAL_BINS ? CAL_BINS - 1 : k;
		cnt[k]++;
		sp[k] += r->p;
		sy[k] += r->y;
		total++;
	}
	ylo = lo;
	yhi = hi;
	for (k = 0; k < CAL_BINS; k++) {
		if (!cnt[k])
			continue;
		nmax = fmax(nmax, (double)cnt[k]);
		wilson(sy[k], (double)cnt[k], &cl, &ch);
		/* a bin of a few rows has an interval spanning most of [0, 1]:
		 * the zoom follows bins with at least 1 % of the rows */
		if (cnt[k] * 100 >= total) {
			ylo = fmin(ylo, cl);
			yhi = fmax(yhi, ch);
		}
	}
	cal.xlo = lo - w / 2;
	cal.xhi = hi + w / 2;
	cal.ylo = fmax(0, ylo - (yhi - ylo) * 0.05);
	cal.yhi = fmin(1, yhi + (yhi - ylo) * 0.05);
	snprintf(title, sizeof title, "Calibration, zoomed to the forecasts "
		"(ECE %.4f)", bt->groups[bt->nsym].ece);
	cmt_plot_frame(g, &cal, title, "mean P(up) in the bin",
		"observed share up", 0, CMT_PLOT_XPCT | CMT_PLOT_YPCT);
	cmt_svg_printf(g, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\" stroke=\"#aaa\" stroke-dasharray=\"4\"/>\n",
		cmt_plot_x(&cal, fmax(cal.xlo, cal.ylo)),
		cmt_plot_y(&cal, fmax(cal.xlo, cal.ylo)),
		cmt_plot_x(&cal, fmin(cal.xhi, cal.yhi)),
		cmt_plot_y(&cal, fmin(cal.xhi, cal.yhi)));
	cmt_svg_printf(g, "<clipPath id=\"calclip\"><rect x=\"%.1f\" y=\"%.1f\" "
		"width=\"%.1f\" height=\"%.1f\"/></clipPath>\n<g "
		"clip-path=\"url(#calclip)\">\n", cal.x0, cal.y0, cal.w, cal.h);
	for (k = 0; k < CAL_BINS; k++) {
		double mp, fr, x, r;

		if (!cnt[k])
			continue;
		mp = sp[k] / (double)cnt[k];
		fr = sy[k] / (double)cnt[k];
		wilson(sy[k], (double)cnt[k], &cl, &ch);
		x = cmt_plot_x(&cal, mp);
		r = 2.5 + 9 * sqrt((double)cnt[k] / nmax);
		cmt_svg_printf(g, "<line class=\"ci\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" "
			"stroke-width=\"1.2\"/>\n<circle class=\"bin\" cx=\"%.1f\" "
			"cy=\"%.1f\" r=\"%.1f\" fill=\"#d62728\" "
			"fill-opacity=\"0.55\"><title>%zu rows, mean p %.4f, up "
			"%.4f [%.4f, %.4f]</title></circle>\n<text x=\"%.1f\" "
			"y=\"%.1f\" font-size=\"10\" fill=\"#444\">%zu</text>\n",
			x, cmt_plot_y(&cal, cl), x, cmt_plot_y(&cal, ch), x,
			cmt_plot_y(&cal, fr), r, cnt[k], mp, fr, cl, ch,
			x + r + 2, cmt_plot_y(&cal, fr) + 4, cnt[k]);
	}
	cmt_svg_printf(g, "</g>\n");
	his.xlo = cal.xlo;
	his.xhi = cal.xhi;
	his.ylo = 0;
	his.yhi = nmax > 0 ? nmax * 1.08 : 1;
	cmt_plot_frame(g, &his, "Reliability histogram: forecasts per bin",
		"P(up)", "rows", 0, CMT_PLOT_XPCT);
	for (k = 0; k < CAL_BINS; k++) {
		double x0 = cmt_plot_x(&his, lo + k * w);
		double x1 = cmt_plot_x(&his, lo + (k + 1) * w);

		cmt_svg_printf(g, "<rect class=\"hbar\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\" fill=\"#1f77b4\" "
			"fill-opacity=\"0.6\"><title>%zu</title></rect>\n",
			x0 + 0.5, cmt_plot_y(&his, (double)cnt[k]), x1 - x0 - 1,
			his.y0 + his.h - cmt_plot_y(&his, (double)cnt[k]),
			cnt[k]);
	}
	cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#777\">"
		"dots: %d equal bins over the forecasts (the edge bins take the "
		"outer 0.1 %%), area by rows, count beside;</text>\n"
		"<text x=\"%.1f\" y=\"%.1f\" fill=\"#777\">bars: 95 %% "
		"Wilson interval of the share up; dashes: perfect calibration"
		"</text>\n", his.x0, his.y0 + his.h + 46, CAL_BINS, his.x0,
		his.y0 + his.h + 60);
}

static void
score_table(struct cmt_svg *g, const struct cmt_bt *bt, double x, double y)
{
	const struct cmt_bt_group *a = &bt->groups[bt->nsym];
	const struct cmt_bt_scores *sc[3] = { &a->model, &a->majority,
		&a->last_return };
	static const char *const nm[3] = { "model", "majority", "last return" };
	int i;

	cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
		"font-weight=\"bold\">Scores, all symbols (%zu rows)</text>\n"
		"<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\" xml:space=\"preserve\">"
		"%-12s %8s %8s %8s %8s</text>\n", x, y, a->model.m.n, x, y + 22,
		"", "accuracy", "AUC", "log-loss", "Brier");
	for (i = 0; i < 3; i++)
		cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" "
			"xml:space=\"preserve\">%-12s %8.4f %8.4f %8.4f %8.4f"
			"</text>\n", x, y + 40 + 18 * i, nm[i],
			sc[i]->m.accuracy, sc[i]->m.auc, sc[i]->m.logloss,
			sc[i]->m.brier);
	if (!isnan(a->model.auc_lo))
		cmt_svg_printf(g, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">"
			"model AUC 95%% (DeLong): [%.4f, %.4f]</text>\n", x,
			y + 104, a->model.auc_lo, a->model.auc_hi);
}

char *
cmt_bt_format_svg(const struct cmt_bt *bt)
{
	struct cmt_svg g = { 0 };
	struct plotdata d;
	struct cmt_plot pl = { .x0 = 90, .y0 = 76, .w = 840, .h = 260 };
	char t0[40], t1[40], title[320];
	double ret[NSTRAT], y;
	int s, k, shown, rows, h;

	if (plotdata_make(bt, &d))
		return NULL;
	shown = bt->nsym > 1 ? (bt->nsym < PLOT_SYMS ? bt->nsym : PLOT_SYMS) : 0;
	rows = (shown + 1) / 2;
	h = 76 + 260 + 60 + rows * 230 + 580;
	cmt_format_time(bt->groups[bt->nsym].lines ?
		bt->groups[bt->nsym].t_first : 0, t0, sizeof t0);
	cmt_format_time(bt->groups[bt->nsym].lines ?
		bt->groups[bt->nsym].t_last : 0, t1, sizeof t1);
	cmt_svg_printf(&g, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" font-family=\"DejaVu Sans Mono, "
		"monospace\" font-size=\"11\">\n<rect width=\"100%%\" "
		"height=\"100%%\" fill=\"white\"/>\n<text x=\"90\" y=\"22\" "
		"font-size=\"15\" font-weight=\"bold\">cmt-backtest: model %s, "
		"%d symbol%s, %s to %s</text>\n", PLOT_W, h, model_name(bt),
		bt->nsym, bt->nsym == 1 ? "" : "s", t0, t1);
	for (k = 0; k < NSTRAT; k++)
		ret[k] = d.np ? d.pv[k][d.np - 1] - 1 : 0;
	legend(&g, 90, 44, ret);
	snprintf(title, sizeof title, "%s: long when P(up) > %g, else flat; "
		"fee %g bps per entry and exit", bt->nsym == 1 ? bt->sym[0] :
		"Portfolio, 1/S of the capital per symbol", bt->o.theta,
		bt->o.fee_bps);
	equity_panel(&g, bt, &d, &pl, -1, title);
	y = 76 + 260 + 60;
	for (s = 0; s < shown; s++) {
		struct cmt_plot sp = { .x0 = s % 2 ? 570 : 90,
			.y0 = y + 230 * (s / 2) + 20, .w = 360, .h = 160 };
		const struct cmt_bt_trading *tr = &bt->groups[s].trading;

		snprintf(title, sizeof title, "%s: rule %+.2f%%, buy and hold "
			"%+.2f%%", bt->sym[s], 100 * tr->ret, 100 * tr->bh_ret);
		equity_panel(&g, bt, &d, &sp, s, title);
	}
	if (bt->nsym > shown && shown)
		cmt_svg_printf(&g, "<text x=\"90\" y=\"%.1f\" fill=\"#777\">"
			"first %d of %d symbols shown</text>\n",
			y + 230 * rows, shown, bt->nsym);
	y += rows * 230 + 30;
	calibration_panels(&g, bt, y);
	score_table(&g, bt, 540, y + 10);
	cmt_svg_printf(&g, "</svg>\n");
	plotdata_free(&d);
	return cmt_svg_done(&g);
}

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

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, z = *(const double *)b;

	return (x > z) - (x < z);
}

size_t
cmt_bt_roll_format(struct cmt_bt_roll *r, int64_t t, const char *model,
	size_t model_len, char *buf, size_t cap)
{
	struct cmt_metrics m;
	char a[6][32], name[CMT_BT_MODEL_MAX + 16] = "";
	size_t i, up = 0;
	int n;

	/* the ring in any order: the metrics do not depend on it */
	for (i = 0; i < r->n; i++) {
		r->ps[i] = r->p[i];
		r->ys[i] = r->y[i];
		r->lags[i] = r->lag[i];
		up += r->y[i] == 1;
	}
	cmt_metrics_compute(r->ps, r->ys, r->n, r->pair, &m);
	/* a replayed stream is days behind the clock: no latency to show */
	strcpy(a[5], "null");
	if (r->n) {
		qsort(r->lags, r->n, sizeof *r->lags, cmp_double);
		if (r->lags[r->n / 2] >= 0 && r->lags[r->n / 2] <= 86400000)
			cmt_fmt_int(a[5], (int64_t)r->lags[r->n / 2]);
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
