/* The feature engine: symbols and their state, the time grid they are
 * resampled onto, gaps and implausible jumps, the engine's lifecycle.
 * The vector at each grid point is features_vector.c's.  The engine owns
 * all its memory (cmt_features_free). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_features.h"
#include "cmt_fmt.h"
#include "cmt_indicators.h"
#include "cmt_parse.h"
#include "features_int.h"

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

enum cmt_err
cmt_features_push(struct cmt_features *fe, const struct cmt_tick *tk,
	char *err)
{
	struct symstate *s = lookup(fe, tk->sym, err);
	int64_t step = fe->o.fs.step_ms, prev_t;
	char when[32], gap[32];

	if (!s)
		return CMT_ELIMIT;
	prev_t = s->time.last_t;
	if (cmt_symtime_take(&s->time, tk->sym, "tick", tk->t,
	    fe->o.max_jump_ms, NULL, err))
		return CMT_EORDER;
	if (s->active) {
		if (tk->t - prev_t > fe->o.max_gap_ms) {
			uint64_t before = fe->st.unlabelled;

			cmt_format_time(tk->t, when, sizeof when);
			cmt_format_duration(tk->t - prev_t, gap, sizeof gap);
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
			cmt_features_grid_point(fe, s, s->next_g, s->last_px);
			s->next_g += step;
		}
	}
	s->last_px = tk->px;
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
		cmt_features_grid_point(fe, s, s->next_g, tk->px);
		s->next_g += step;
	} else if (fe->o.partial && (fe->o.partial_every_ms == 0 ||
	    tk->t - s->partial_t >= fe->o.partial_every_ms)) {
		cmt_features_emit_partial(fe, s);
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
