/* The vector of one grid point: the 11 base features (and the long
 * returns and volatilities of an extension) from the symbol's price
 * rings, running sums and indicators, the extension's other features
 * (features_ext.c), the label it waits for, the step it closes as a bar,
 * and its line (NDJSON or CSV) in the engine's buffer, handed to the emit
 * callback.  It writes into the engine's memory only; nothing allocates. */
#include <math.h>
#include <string.h>

#include "cmt_fmt.h"
#include "features_int.h"

#define RV_RESUM_EVERY 4096  /* recompute running sums to stop drift */

#define ksum_add cmt_ksum_add
#define ksum_value cmt_ksum_value

/* The i-th slot of s's ring of vectors waiting for their label. */
static struct pending *
pending_at(const struct cmt_features *fe, const struct symstate *s, int i)
{
	return (struct pending *)((char *)s->pend + fe->pend_size * (size_t)i);
}

static int
put_str(char *out, int n, const char *s, int len)
{
	memcpy(out + n, s, (size_t)len);
	return n + len;
}

/* The step's bar: a bar tick's open or the first price in the step
 * opens it (as a venue's candle opens at its first trade), the extremes
 * of every price seen (a bar tick's high and low) are its range; the
 * step's vector carries it, and the range features read it, so a step
 * from trades and one from a bar are measured alike. */
void
cmt_features_step_tick(struct symstate *s, const struct cmt_tick *tk)
{
	double o = tk->has_bar ? tk->o : tk->px;
	double h = tk->has_bar ? tk->h : tk->px;
	double l = tk->has_bar ? tk->l : tk->px;

	s->warm_start = tk->warm;
	if (s->bar_ticks++ == 0) {
		s->bar_o = o;
		s->bar_h = h;
		s->bar_l = l;
		return;
	}
	if (h > s->bar_h)
		s->bar_h = h;
	if (l < s->bar_l)
		s->bar_l = l;
}

static int
put_num(char *out, int n, const char *key, int klen, double x)
{
	n = put_str(out, n, key, klen);
	return n + cmt_fmt_double(out + n, x, 15);
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
		for (i = 0; i < fe->nfeat; i++) {
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
		for (i = 0; i < fe->nfeat; i++) {
			n = put_str(out, n, fe->key[i], fe->key_len[i]);
			n += cmt_fmt_double(out + n, p->x[i], 10); /* NAN: null */
		}
		out[n++] = '}';
		n = put_num(out, n, ",\"o\":", 5, p->o);
		n = put_num(out, n, ",\"h\":", 5, p->h);
		n = put_num(out, n, ",\"l\":", 5, p->l);
		if (p->has_vol)
			n = put_num(out, n, ",\"vol\":", 7, p->vol);
		n = put_str(out, n, s->src, s->src_len);
		if (p->from_warm_start)
			n = put_str(out, n, ",\"warm\":true", 12);
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

/* The volatility sums of rv window j: the base's two in the state, the
 * extension's in its own. */
static struct cmt_ksum *
rv_sum_of(struct symstate *s, int j, int squares)
{
	if (j < 2)
		return squares ? &s->rv_sum2[j] : &s->rv_sum[j];
	return squares ? &s->ext->rv_sum2[j - 2] : &s->ext->rv_sum[j - 2];
}

/* One grid point of symbol s at time g with price p. */
void
cmt_features_grid_point(struct cmt_features *fe, struct symstate *s,
	int64_t g, double p)
{
	const struct cmt_feature_set *fs = &fe->o.fs;
	struct pending *cur = fe->cur, *slot;
	double lp = log(p), r, up, mid, lo, sd, m, sig, hist, v, vs, vl;
	double rv[RV_MAX], bar[4];
	long k = s->k;
	int i, j, hi = (int)(k % fe->hist_n), have_vs, have_vl;

	s->px[hi] = p;
	s->lp[hi] = lp;
	cur->t = g;
	cur->px = p;
	for (i = 0; i < fe->nfeat; i++)
		cur->x[i] = NAN;
	for (i = 0; i < fe->nret; i++)
		if (k >= fe->ret_steps[i])
			cur->x[fe->ret_pos[i]] = lp -
			    s->lp[(k - fe->ret_steps[i]) % fe->hist_n];
	for (j = 0; j < fe->nrv; j++)
		rv[j] = NAN;
	if (k >= 1) {
		long ri = k - 1;   /* index of this step's return */

		r = lp - s->lp[(k - 1) % fe->hist_n];
		s->ret[ri % fe->rv_n] = r;
		for (j = 0; j < fe->nrv; j++) {
			struct cmt_ksum *sum = rv_sum_of(s, j, 0);
			struct cmt_ksum *sum2 = rv_sum_of(s, j, 1);
			int n = fe->rv_steps[j];

			ksum_add(sum, r);
			ksum_add(sum2, r * r);
			if (ri >= n) {
				double old = s->ret[(ri - n) % fe->rv_n];
				ksum_add(sum, -old);
				ksum_add(sum2, -(old * old));
			}
			if (ri % RV_RESUM_EVERY == RV_RESUM_EVERY - 1 && ri + 1 >= n) {
				long q;
				memset(sum, 0, sizeof *sum);
				memset(sum2, 0, sizeof *sum2);
				for (q = ri - n + 1; q <= ri; q++) {
					double x = s->ret[q % fe->rv_n];
					ksum_add(sum, x);
					ksum_add(sum2, x * x);
				}
			}
			if (ri + 1 >= n) {
				double mean = ksum_value(sum) / n;
				double var = ksum_value(sum2) / n - mean * mean;
				rv[j] = var > 0 ? sqrt(var) : 0;
				if (fe->rv_pos[j] >= 0)
					cur->x[fe->rv_pos[j]] = rv[j];
			}
		}
	}
	if (cmt_rsi_update(&s->rsi, p, &v))
		cur->x[6] = v;
	if (cmt_macd_update(&s->macd, p, &m, &sig, &hist))
		cur->x[7] = hist / p;
	if (cmt_bbands_update(&s->bb, p, &up, &mid, &lo, &sd) && up > lo)
		cur->x[8] = (p - lo) / (up - lo);
	if (k >= fs->mom_n)
		cur->x[9] = (p - s->px[(k - fs->mom_n) % fe->hist_n]) / p;
	if (s->step_vol_ok) {
		have_vs = cmt_ema_update(&s->vol_short, s->step_vol, &vs);
		have_vl = cmt_ema_update(&s->vol_long, s->step_vol, &vl);
		if (have_vs && have_vl && vl > 0)
			cur->x[10] = vs / vl;
	} else {
		/* a tick without volume: the volume series restarts */
		cmt_ema_init(&s->vol_short, fs->vt_short);
		cmt_ema_init(&s->vol_long, fs->vt_long);
	}
	/* the step's bar; a step without ticks is flat at the price */
	bar[0] = s->bar_ticks ? s->bar_o : p;
	bar[1] = s->bar_ticks ? s->bar_h : p;
	bar[2] = s->bar_ticks ? s->bar_l : p;
	bar[3] = p;
	if (s->ext)
		cmt_features_ext_point(fe, s, g, bar, rv, cur->x);
	cur->o = bar[0];
	cur->h = bar[1];
	cur->l = bar[2];
	cur->vol = s->step_vol;
	cur->has_vol = s->step_vol_ok && s->bar_ticks > 0;
	cur->from_warm_start = (unsigned char)s->warm_start;
	s->step_vol = 0;
	s->step_vol_ok = 1;
	s->bar_ticks = 0;
	cur->warm = k >= fe->warmup;
	s->k++;

	if (fe->label_steps == 0 || fe->in_partial) {
		if (cur->warm || fe->o.emit_warmup)
			emit_vector(fe, s, cur, -1);
		return;
	}
	if (s->pend_count == fe->label_steps) {
		slot = pending_at(fe, s, s->pend_head);
		if (slot->warm || fe->o.emit_warmup)
			emit_vector(fe, s, slot, p > slot->px ? 1 :
			    p < slot->px ? 0 : -1);
		s->pend_head = (s->pend_head + 1) % fe->label_steps;
		s->pend_count--;
	}
	memcpy(pending_at(fe, s, (s->pend_head + s->pend_count) %
	    fe->label_steps), cur, fe->pend_size);
	s->pend_count++;
}

/* The vector of s's grid step in progress as if it ended now, at the last
 * price: the grid point computed on a copy of the state (and of its
 * rings), so the symbol's own state is never touched. */
void
cmt_features_emit_partial(struct cmt_features *fe, const struct symstate *s)
{
	struct symstate *c = fe->scratch;

	memcpy(c, s, fe->ring_bytes);
	cmt_features_place(fe, c);
	c->pend = NULL;
	c->pend_count = 0;
	fe->in_partial = 1;
	cmt_features_grid_point(fe, c, s->next_g, s->last_px);
	fe->in_partial = 0;
}
