#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmt_clock.h"
#include "cmt_features.h"
#include "cmt_indicators.h"
#include "cmt_json.h"
#include "cmt_parse.h"

#define RV_RESUM_EVERY 4096  /* recompute running sums to stop drift */
#define LINE_MAX_OUT 1024

/* A compensated (Neumaier) running sum.  The rolling windows add each
 * return once and subtract it once; plain doubles leave the rounding of
 * every past value behind (a window of zero returns after a volatile hour
 * showed 1e-11, not 0), the compensation term carries it back out. */
struct ksum {
	double s, c;
};

static void
ksum_add(struct ksum *k, double x)
{
	double t = k->s + x;

	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static double
ksum_value(const struct ksum *k)
{
	return k->s + k->c;
}

struct pending {
	int64_t t;
	double px;
	double x[CMT_FEAT_N];
	int warm;
};

struct symstate {
	char sym[CMT_SYM_MAX];
	int sym_len;
	char src[6 * CMT_SRC_MAX + 12]; /* ,"src":"..." of the last tick */
	int src_len;
	int active;
	int64_t last_t, next_g;
	int64_t jump_t;           /* a tick skipped as a jump, or 0 */
	double last_px;
	double step_vol;
	int step_vol_ok;          /* every tick of this step carried volume */
	long k;                   /* grid points since the last reset */
	double *px, *lp;          /* grid prices and log prices, ring hist_n */
	double *ret;              /* step log returns, ring rv_n (window + 1) */
	struct ksum rv_sum[2], rv_sum2[2];
	struct cmt_rsi rsi;
	struct cmt_macd macd;
	struct cmt_bbands bb;
	struct cmt_ema vol_short, vol_long;
	struct pending *pend;     /* ring of label_steps vectors */
	int pend_head, pend_count;
	int64_t partial_t;        /* tick time of the last partial vector */
};

struct cmt_features {
	struct cmt_features_options o;
	cmt_emit_fn emit;
	cmt_notice_fn notice;
	void *ctx;
	int ret_steps[4], rv_steps[2], warmup, hist_n, rv_n, label_steps;
	struct symstate **table;  /* open addressing, size table_n */
	int table_n, nsym;
	struct symstate *last;    /* one-entry cache: ticks come in runs */
	char fs_id[CMT_FS_ID_MAX];
	int fs_id_len;
	char names[CMT_FEAT_N][CMT_FEAT_NAME_MAX];
	char key[CMT_FEAT_N][CMT_FEAT_NAME_MAX + 4]; /* "name": */
	int key_len[CMT_FEAT_N];
	char out[LINE_MAX_OUT];
	struct cmt_features_stats st;
	struct symstate *scratch; /* partial vectors are computed on this copy */
	int in_partial;
};

static int
steps_of(int64_t ms, int64_t step)
{
	return (int)(ms / step);
}

static int
imax(int a, int b)
{
	return a > b ? a : b;
}

int
cmt_fs_warmup_steps(const struct cmt_feature_set *fs)
{
	int w = 0, i;

	for (i = 0; i < 4; i++)
		w = imax(w, steps_of(fs->ret_ms[i], fs->step_ms));
	for (i = 0; i < 2; i++)
		w = imax(w, steps_of(fs->rv_ms[i], fs->step_ms));
	w = imax(w, cmt_rsi_lookback(fs->rsi_n));
	w = imax(w, cmt_macd_lookback(fs->macd_fast, fs->macd_slow,
		fs->macd_signal));
	w = imax(w, cmt_bbands_lookback(fs->bb_n));
	w = imax(w, fs->mom_n);
	w = imax(w, cmt_ema_lookback(fs->vt_long));
	return w;
}

size_t
cmt_features_symbol_bytes(const struct cmt_features *fe)
{
	return sizeof(struct symstate) +
	    sizeof(double) * (size_t)(2 * fe->hist_n + fe->rv_n) +
	    sizeof(struct pending) * (size_t)(fe->label_steps + 1);
}

/* Refuse a configuration whose worst case exceeds max_memory. */
static int
over_budget(const struct cmt_features *fe, char *err)
{
	const struct cmt_features_options *o = &fe->o;
	double per = (double)cmt_features_symbol_bytes(fe), all;
	char a[32], b[32], c[32];
	long long fit;

	/* the table: at most 4 slots per symbol (half full, doubled) */
	all = (per + 4.0 * sizeof(void *)) * o->max_symbols;
	if (o->max_memory <= 0 || all <= (double)o->max_memory)
		return 0;
	fit = (long long)((double)o->max_memory / (per + 4.0 * sizeof(void *)));
	cmt_format_bytes(all, a, sizeof a);
	cmt_format_bytes(per, b, sizeof b);
	cmt_format_bytes((double)o->max_memory, c, sizeof c);
	cmt_errf(err, CMT_ELIMIT, "worst case %s (%s per symbol x %d symbols) "
		"exceeds --max-memory %s: shorten the windows or the label, "
		"lower --max-symbols (%lld fit) or raise --max-memory", a, b,
		o->max_symbols, c, fit);
	return 1;
}

struct cmt_features *
cmt_features_new(const struct cmt_features_options *o, cmt_emit_fn emit,
	cmt_notice_fn notice, void *ctx, char *err)
{
	struct cmt_features *fe;
	const struct cmt_feature_set *fs = &o->fs;
	int i;

	if (cmt_fs_check(fs, err))
		return NULL;
	if (o->label_ms < 0 || o->label_ms % fs->step_ms ||
	    o->label_ms / fs->step_ms > 100000) {
		cmt_errf(err, CMT_EVALUE,
			"label horizon must be a multiple of the step (at most "
			"100000 steps)");
		return NULL;
	}
	if (o->max_gap_ms < fs->step_ms) {
		cmt_errf(err, CMT_EVALUE, "max gap must be at least one step");
		return NULL;
	}
	if (o->max_symbols < 1 || o->max_symbols > 1000000) {
		cmt_errf(err, CMT_EVALUE, "max symbols must be 1..1000000");
		return NULL;
	}
	if (!(fe = calloc(1, sizeof *fe))) {
		cmt_errf(err, CMT_ENOMEM, "out of memory");
		return NULL;
	}
	fe->o = *o;
	fe->emit = emit;
	fe->notice = notice;
	fe->ctx = ctx;
	for (i = 0; i < 4; i++)
		fe->ret_steps[i] = steps_of(fs->ret_ms[i], fs->step_ms);
	/* The return ring holds the longest window plus the slot of the
	 * return that leaves it: the new return is written before the
	 * outgoing one n steps back is subtracted, so with exactly n slots
	 * the two share a slot and the longest window never moves. */
	for (i = 0; i < 2; i++) {
		fe->rv_steps[i] = steps_of(fs->rv_ms[i], fs->step_ms);
		fe->rv_n = imax(fe->rv_n, fe->rv_steps[i] + 1);
	}
	fe->hist_n = 1 + imax(fs->mom_n, imax(imax(fe->ret_steps[0],
	    fe->ret_steps[1]), imax(fe->ret_steps[2], fe->ret_steps[3])));
	fe->warmup = cmt_fs_warmup_steps(fs);
	fe->label_steps = (int)(o->label_ms / fs->step_ms);
	if (over_budget(fe, err)) {
		free(fe);
		return NULL;
	}
	/* the table starts small and doubles as symbols come (grow) */
	fe->table_n = 16;
	if (!(fe->table = calloc((size_t)fe->table_n, sizeof *fe->table))) {
		free(fe);
		cmt_errf(err, CMT_ENOMEM, "out of memory");
		return NULL;
	}
	if (o->partial && (o->partial_every_ms < 0 || !(fe->scratch = calloc(1,
	    sizeof *fe->scratch + sizeof(double) *
	    (size_t)(2 * fe->hist_n + fe->rv_n))))) {
		cmt_errf(err, o->partial_every_ms < 0 ? CMT_EVALUE : CMT_ENOMEM,
			o->partial_every_ms < 0 ? "partial interval must be >= 0" :
			"out of memory");
		free(fe->table);
		free(fe);
		return NULL;
	}
	if (fe->scratch) {
		fe->scratch->px = (double *)(fe->scratch + 1);
		fe->scratch->lp = fe->scratch->px + fe->hist_n;
		fe->scratch->ret = fe->scratch->lp + fe->hist_n;
	}
	cmt_fs_format_id(fs, fe->fs_id);
	fe->fs_id_len = (int)strlen(fe->fs_id);
	cmt_fs_names(fs, fe->names);
	for (i = 0; i < CMT_FEAT_N; i++) {
		char name[CMT_FEAT_NAME_MAX];

		memcpy(name, fe->names[i], sizeof name);
		fe->key_len[i] = snprintf(fe->key[i], sizeof fe->key[i],
			"%s\"%s\":", i ? "," : "", name);
	}
	return fe;
}

size_t
cmt_features_csv_header(const struct cmt_features *fe, char *buf, size_t cap)
{
	size_t n;
	int i;

	n = (size_t)snprintf(buf, cap, "t,sym,px,fs");
	for (i = 0; i < CMT_FEAT_N && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, ",%s", fe->names[i]);
	if (fe->o.emit_warmup && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, ",warmup");
	if (fe->o.partial && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, ",partial");
	if (fe->o.label_ms && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, ",y");
	if (n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "\n");
	return n < cap ? n : cap - 1;
}

static void
reset_symbol(struct cmt_features *fe, struct symstate *s)
{
	const struct cmt_feature_set *fs = &fe->o.fs;

	s->active = 0;
	s->k = 0;
	s->step_vol = 0;
	s->step_vol_ok = 1;
	memset(s->rv_sum, 0, sizeof s->rv_sum);
	memset(s->rv_sum2, 0, sizeof s->rv_sum2);
	cmt_rsi_init(&s->rsi, fs->rsi_n);
	cmt_macd_init(&s->macd, fs->macd_fast, fs->macd_slow, fs->macd_signal);
	cmt_bbands_init(&s->bb, fs->bb_n, fs->bb_k);
	cmt_ema_init(&s->vol_short, fs->vt_short);
	cmt_ema_init(&s->vol_long, fs->vt_long);
	fe->st.unlabelled += (uint64_t)s->pend_count;
	s->pend_head = s->pend_count = 0;
}

static uint32_t
hash_sym(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Double the symbol table (kept at most half full). */
static int
grow(struct cmt_features *fe)
{
	struct symstate **t;
	int n = fe->table_n * 2, i;
	uint32_t j;

	if (!(t = calloc((size_t)n, sizeof *t)))
		return -1;
	for (i = 0; i < fe->table_n; i++) {
		if (!fe->table[i])
			continue;
		j = hash_sym(fe->table[i]->sym) & (uint32_t)(n - 1);
		while (t[j])
			j = (j + 1) & (uint32_t)(n - 1);
		t[j] = fe->table[i];
	}
	free(fe->table);
	fe->table = t;
	fe->table_n = n;
	return 0;
}

static struct symstate *
lookup(struct cmt_features *fe, const char *sym, char *err)
{
	struct symstate *s;
	uint32_t i = hash_sym(sym) & (uint32_t)(fe->table_n - 1);
	size_t sz;
	char *mem;

	if (fe->last && strcmp(fe->last->sym, sym) == 0)
		return fe->last;
	while (fe->table[i]) {
		if (strcmp(fe->table[i]->sym, sym) == 0)
			return fe->last = fe->table[i];
		i = (i + 1) & (uint32_t)(fe->table_n - 1);
	}
	if (fe->nsym >= fe->o.max_symbols) {
		cmt_errf(err, CMT_ELIMIT, "more than %d symbols (--max-symbols); "
			"'%s' ignored", fe->nsym, sym);
		return NULL;
	}
	if (fe->nsym + 1 > fe->table_n / 2) {
		if (grow(fe)) {
			cmt_errf(err, CMT_ENOMEM, "out of memory");
			return NULL;
		}
		return lookup(fe, sym, err);  /* the slot moved */
	}
	sz = cmt_features_symbol_bytes(fe);
	if (!(mem = calloc(1, sz))) {
		cmt_errf(err, CMT_ENOMEM, "out of memory");
		return NULL;
	}
	s = (struct symstate *)mem;
	s->pend = (struct pending *)(mem + sizeof *s);
	s->px = (double *)(s->pend + fe->label_steps + 1);
	s->lp = s->px + fe->hist_n;
	s->ret = s->lp + fe->hist_n;
	s->sym_len = snprintf(s->sym, sizeof s->sym, "%s", sym);
	reset_symbol(fe, s);
	fe->table[i] = s;
	fe->nsym++;
	return fe->last = s;
}

static int
put_str(char *out, int n, const char *s, int len)
{
	memcpy(out + n, s, (size_t)len);
	return n + len;
}

static void
emit_vector(struct cmt_features *fe, const struct symstate *s,
	const struct pending *p, int y)
{
	char *out = fe->out;
	int n = 0, i;

	if (fe->o.csv) {
		n += cmt_fmt_int(out + n, p->t);
		out[n++] = ',';
		n = put_str(out, n, s->sym, s->sym_len);
		out[n++] = ',';
		n += cmt_fmt_double(out + n, p->px, 15);
		out[n++] = ',';
		n = put_str(out, n, fe->fs_id, fe->fs_id_len);
		for (i = 0; i < CMT_FEAT_N; i++) {
			out[n++] = ',';
			if (!isnan(p->x[i]))
				n += cmt_fmt_double(out + n, p->x[i], 10);
		}
		if (fe->o.emit_warmup)
			n = put_str(out, n, p->warm ? ",false" : ",true",
				p->warm ? 6 : 5);
		if (fe->o.partial)
			n = put_str(out, n, fe->in_partial ? ",true" : ",false",
				fe->in_partial ? 5 : 6);
		if (fe->o.label_ms) {
			out[n++] = ',';
			if (y >= 0 && !fe->in_partial)
				out[n++] = (char)('0' + y);
		}
	} else {
		n = put_str(out, n, "{\"t\":", 5);
		n += cmt_fmt_int(out + n, p->t);
		n = put_str(out, n, ",\"sym\":\"", 8);
		n = put_str(out, n, s->sym, s->sym_len);
		n = put_str(out, n, "\",\"px\":", 7);
		n += cmt_fmt_double(out + n, p->px, 15);
		n = put_str(out, n, ",\"fs\":\"", 7);
		n = put_str(out, n, fe->fs_id, fe->fs_id_len);
		n = put_str(out, n, "\",\"f\":{", 7);
		for (i = 0; i < CMT_FEAT_N; i++) {
			n = put_str(out, n, fe->key[i], fe->key_len[i]);
			n += cmt_fmt_double(out + n, p->x[i], 10); /* NAN: null */
		}
		out[n++] = '}';
		n = put_str(out, n, s->src, s->src_len);
		if (!p->warm)
			n = put_str(out, n, ",\"warmup\":true", 14);
		if (fe->in_partial)
			n = put_str(out, n, ",\"partial\":true", 15);
		if (fe->o.label_ms && !fe->in_partial) {
			n = put_str(out, n, ",\"y\":", 5);
			if (y >= 0)
				out[n++] = (char)('0' + y);
			else
				n = put_str(out, n, "null", 4);
		}
		out[n++] = '}';
	}
	out[n++] = '\n';
	if (fe->in_partial)
		fe->st.partials++;
	else
		fe->st.vectors++;
	fe->emit(fe->ctx, out, (size_t)n);
}

/* One grid point of symbol s at time g with price p. */
static void
grid_point(struct cmt_features *fe, struct symstate *s, int64_t g, double p)
{
	const struct cmt_feature_set *fs = &fe->o.fs;
	struct pending cur, *slot;
	double lp = log(p), r, up, mid, lo, sd, m, sig, hist, v, vs, vl;
	long k = s->k;
	int i, j, hi = (int)(k % fe->hist_n), have_vs, have_vl;

	s->px[hi] = p;
	s->lp[hi] = lp;
	cur.t = g;
	cur.px = p;
	for (i = 0; i < CMT_FEAT_N; i++)
		cur.x[i] = NAN;
	for (i = 0; i < 4; i++)
		if (k >= fe->ret_steps[i])
			cur.x[i] = lp - s->lp[(k - fe->ret_steps[i]) % fe->hist_n];
	if (k >= 1) {
		long ri = k - 1;   /* index of this step's return */

		r = lp - s->lp[(k - 1) % fe->hist_n];
		s->ret[ri % fe->rv_n] = r;
		for (j = 0; j < 2; j++) {
			int n = fe->rv_steps[j];

			ksum_add(&s->rv_sum[j], r);
			ksum_add(&s->rv_sum2[j], r * r);
			if (ri >= n) {
				double old = s->ret[(ri - n) % fe->rv_n];
				ksum_add(&s->rv_sum[j], -old);
				ksum_add(&s->rv_sum2[j], -(old * old));
			}
			if (ri % RV_RESUM_EVERY == RV_RESUM_EVERY - 1 && ri + 1 >= n) {
				long q;
				memset(&s->rv_sum[j], 0, sizeof s->rv_sum[j]);
				memset(&s->rv_sum2[j], 0, sizeof s->rv_sum2[j]);
				for (q = ri - n + 1; q <= ri; q++) {
					double x = s->ret[q % fe->rv_n];
					ksum_add(&s->rv_sum[j], x);
					ksum_add(&s->rv_sum2[j], x * x);
				}
			}
			if (ri + 1 >= n) {
				double mean = ksum_value(&s->rv_sum[j]) / n;
				double var = ksum_value(&s->rv_sum2[j]) / n - mean * mean;
				cur.x[4 + j] = var > 0 ? sqrt(var) : 0;
			}
		}
	}
	if (cmt_rsi_update(&s->rsi, p, &v))
		cur.x[6] = v;
	if (cmt_macd_update(&s->macd, p, &m, &sig, &hist))
		cur.x[7] = hist / p;
	if (cmt_bbands_update(&s->bb, p, &up, &mid, &lo, &sd) && up > lo)
		cur.x[8] = (p - lo) / (up - lo);
	if (k >= fs->mom_n)
		cur.x[9] = (p - s->px[(k - fs->mom_n) % fe->hist_n]) / p;
	if (s->step_vol_ok) {
		have_vs = cmt_ema_update(&s->vol_short, s->step_vol, &vs);
		have_vl = cmt_ema_update(&s->vol_long, s->step_vol, &vl);
		if (have_vs && have_vl && vl > 0)
			cur.x[10] = vs / vl;
	} else {
		/* a tick without volume: the volume series restarts */
		cmt_ema_init(&s->vol_short, fs->vt_short);
		cmt_ema_init(&s->vol_long, fs->vt_long);
	}
	s->step_vol = 0;
	s->step_vol_ok = 1;
	cur.warm = k >= fe->warmup;
	s->k++;

	if (fe->label_steps == 0 || fe->in_partial) {
		if (cur.warm || fe->o.emit_warmup)
			emit_vector(fe, s, &cur, -1);
		return;
	}
	if (s->pend_count == fe->label_steps) {
		slot = &s->pend[s->pend_head];
		if (slot->warm || fe->o.emit_warmup)
			emit_vector(fe, s, slot, p > slot->px ? 1 :
			    p < slot->px ? 0 : -1);
		s->pend_head = (s->pend_head + 1) % fe->label_steps;
		s->pend_count--;
	}
	s->pend[(s->pend_head + s->pend_count) % fe->label_steps] = cur;
	s->pend_count++;
}

static void
notice(struct cmt_features *fe, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
notice(struct cmt_features *fe, const char *fmt, ...)
{
	char msg[CMT_ERRLEN];
	va_list ap;

	if (!fe->notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fe->notice(fe->ctx, msg);
}

/* The vector of s's grid step in progress as if it ended now, at the last
 * price: the grid point computed on a copy of the state (and of its
 * rings), so the symbol's own state is never touched. */
static void
emit_partial(struct cmt_features *fe, const struct symstate *s)
{
	struct symstate *c = fe->scratch;
	double *px = c->px, *lp = c->lp, *ret = c->ret;

	*c = *s;
	c->px = px;
	c->lp = lp;
	c->ret = ret;
	memcpy(px, s->px, (size_t)fe->hist_n * sizeof *px);
	memcpy(lp, s->lp, (size_t)fe->hist_n * sizeof *lp);
	memcpy(ret, s->ret, (size_t)fe->rv_n * sizeof *ret);
	c->pend = NULL;
	c->pend_count = 0;
	fe->in_partial = 1;
	grid_point(fe, c, s->next_g, s->last_px);
	fe->in_partial = 0;
}

/* Said once when a symbol's warm-up starts (first tick, or after a gap
 * reset): when its first vector comes, so a live pipeline is not silent. */
static void
warming_notice(struct cmt_features *fe, const struct symstate *s)
{
	int64_t step = fe->o.fs.step_ms, first;
	char when[32], span[32], lag[48] = "";

	if (!fe->o.warmup_notice || fe->o.emit_warmup || fe->warmup <= 0)
		return;
	first = s->next_g + (int64_t)fe->warmup * step;
	cmt_format_time(first, when, sizeof when);
	cmt_format_duration((int64_t)fe->warmup * step, span, sizeof span);
	if (fe->o.label_ms) {
		strcpy(lag, "; written with its label, ");
		cmt_format_duration(fe->o.label_ms, lag + strlen(lag),
			sizeof lag - strlen(lag));
		strcat(lag, " later");
	}
	notice(fe, "%s: warming up: first vector in %d grid steps (%s), at "
		"grid time %s%s", s->sym, fe->warmup, span, when, lag);
}

/* One glitched timestamp must not silence a symbol for good: a tick far
 * ahead of the symbol's stream (or, for its first tick, of the clock) is
 * skipped, unless the next tick confirms the jump. */
static int
implausible(struct cmt_features *fe, struct symstate *s,
	const struct cmt_tick *tk, char *err)
{
	int64_t max = fe->o.max_jump_ms, ref;
	char when[32], by[32];

	if (s->active && tk->t - s->last_t <= max) {
		s->jump_t = 0;
		return 0;
	}
	if (s->active && s->jump_t && tk->t >= s->jump_t) {
		s->jump_t = 0;      /* a second tick that far: a real jump */
		return 0;
	}
	ref = s->active ? s->last_t : cmt_clock_wall_ms();
	if (!s->active && tk->t <= ref + max)
		return 0;
	if (s->active)
		s->jump_t = tk->t;
	cmt_format_time(tk->t, when, sizeof when);
	cmt_format_duration(max, by, sizeof by);
	cmt_errf(err, CMT_EORDER, "%s: timestamp %lld (%s) is more than %s "
		"ahead of %s (--max-jump): skipped%s", tk->sym, (long long)tk->t,
		when, by, s->active ? "the symbol's previous tick" : "the clock",
		s->active ? "; a next tick as far ahead confirms a jump" : "");
	return 1;
}

enum cmt_err
cmt_features_push(struct cmt_features *fe, const struct cmt_tick *tk,
	char *err)
{
	struct symstate *s = lookup(fe, tk->sym, err);
	int64_t step = fe->o.fs.step_ms;
	char when[32], gap[32];

	if (!s)
		return CMT_ELIMIT;
	if (fe->o.max_jump_ms > 0 && implausible(fe, s, tk, err))
		return CMT_EORDER;
	if (s->active) {
		if (tk->t <= s->last_t)
			return cmt_errf(err, CMT_EORDER,
				"%s: timestamp %lld is %s the previous one (%lld)",
				tk->sym, (long long)tk->t, tk->t == s->last_t ?
				"the same as" : "before", (long long)s->last_t);
		if (tk->t - s->last_t > fe->o.max_gap_ms) {
			uint64_t before = fe->st.unlabelled;

			cmt_format_time(tk->t, when, sizeof when);
			cmt_format_duration(tk->t - s->last_t, gap, sizeof gap);
			reset_symbol(fe, s);
			fe->st.gap_resets++;
			notice(fe, "%s: no tick for %s before %s (max gap exceeded): "
				"state reset, warm-up restarts%s", tk->sym, gap, when,
				fe->st.unlabelled > before ?
				", unlabelled vectors dropped" : "");
		}
	}
	if (!s->active) {
		s->active = 1;
		/* first grid point at or after the tick */
		s->next_g = (tk->t + step - 1) / step * step;
		warming_notice(fe, s);
	} else {
		while (s->next_g < tk->t) {
			grid_point(fe, s, s->next_g, s->last_px);
			s->next_g += step;
		}
	}
	s->last_px = tk->px;
	s->last_t = tk->t;
	/* the tick's source travels with the vectors (e.g. "sim") */
	s->src_len = 0;
	if (tk->src[0]) {
		memcpy(s->src, ",\"src\":", 7);
		s->src_len = 7 + (int)cmt_fmt_string(s->src + 7, tk->src,
			strlen(tk->src));
	}
	if (tk->has_vol)
		s->step_vol += tk->vol;
	else
		s->step_vol_ok = 0;
	if (s->next_g == tk->t) {
		grid_point(fe, s, s->next_g, tk->px);
		s->next_g += step;
	} else if (fe->o.partial && (fe->o.partial_every_ms == 0 ||
	    tk->t - s->partial_t >= fe->o.partial_every_ms)) {
		emit_partial(fe, s);
		s->partial_t = tk->t;
	}
	return CMT_OK;
}

void
cmt_features_finish(struct cmt_features *fe)
{
	int i;

	for (i = 0; i < fe->table_n; i++)
		if (fe->table[i]) {
			fe->st.unlabelled += (uint64_t)fe->table[i]->pend_count;
			fe->table[i]->pend_count = 0;
		}
}

void
cmt_features_stats(const struct cmt_features *fe,
	struct cmt_features_stats *st)
{
	*st = fe->st;
	st->symbols = fe->nsym;
}

void
cmt_features_free(struct cmt_features *fe)
{
	int i;

	if (!fe)
		return;
	for (i = 0; i < fe->table_n; i++)
		free(fe->table[i]);
	free(fe->table);
	free(fe->scratch);
	free(fe);
}
