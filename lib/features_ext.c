/* The extension's features at a grid point (the parts of a feature set
 * after the base 11, cmt_features.h): range-based volatility, the step's
 * candle shape, the volume z-score, volatility-scaled returns, distance to
 * the rolling high and low, and the calendar; the long returns and
 * volatilities are the base's machinery (features_vector.c).  Their state
 * and rings live in the symbol's block, which the engine allocates;
 * the statistics are cmt_bars.h's. */
#include <math.h>
#include <string.h>

#include "cmt_bars.h"
#include "features_int.h"

static int
steps(const struct cmt_features *fe, int64_t ms)
{
	return (int)(ms / fe->o.fs.step_ms);
}

void
cmt_features_ext_layout(struct cmt_features *fe)
{
	const struct cmt_feature_set *fs = &fe->o.fs;

	fe->pos_rng = CMT_FEAT_BASE;
	fe->pos_bar = fe->pos_rng + 2 * fs->nrng;
	fe->pos_vz = fe->pos_bar + 4 * (fs->bar != 0);
	fe->pos_zr = fe->pos_vz + (fs->vz_ms > 0);
	fe->pos_hl = fe->pos_zr + 4 * (fs->zr_ms > 0);
	/* then the long returns and volatilities (ret_pos, rv_pos) */
	fe->pos_cal = fe->pos_hl + 2 * fs->nhl + 2 * fs->nlt;
}

size_t
cmt_features_ext_bytes(const struct cmt_features *fe)
{
	const struct cmt_feature_set *fs = &fe->o.fs;
	size_t n = 0;
	int i;

	for (i = 0; i < fs->nrng; i++)
		n += cmt_rangevol_bytes(steps(fe, fs->rng_ms[i]));
	if (fs->vz_ms)
		n += cmt_rollstat_bytes(steps(fe, fs->vz_ms));
	for (i = 0; i < fs->nhl; i++)
		n += 2 * cmt_rollext_bytes(steps(fe, fs->hl_ms[i]));
	return n;
}

/* Only pointers change: after a copy of the block the state is kept. */
void
cmt_features_ext_place(const struct cmt_features *fe, struct symstate *s,
	char *rings)
{
	const struct cmt_feature_set *fs = &fe->o.fs;
	struct symext *x = s->ext;
	int i, n;

	for (i = 0; i < fs->nrng; i++) {
		n = steps(fe, fs->rng_ms[i]);
		x->rng[i].pk.ring = (double *)rings;
		x->rng[i].gk.ring = x->rng[i].pk.ring + n;
		rings += cmt_rangevol_bytes(n);
	}
	if (fs->vz_ms) {
		n = steps(fe, fs->vz_ms);
		x->vz.ring = (double *)rings;
		x->vz.suf = (struct cmt_rollstat_agg *)(x->vz.ring + n);
		rings += cmt_rollstat_bytes(n);
	}
	for (i = 0; i < fs->nhl; i++) {
		n = steps(fe, fs->hl_ms[i]);
		x->hi[i].q = (struct cmt_rollext_item *)rings;
		rings += cmt_rollext_bytes(n);
		x->lo[i].q = (struct cmt_rollext_item *)rings;
		rings += cmt_rollext_bytes(n);
	}
}

void
cmt_features_ext_reset(const struct cmt_features *fe, struct symstate *s)
{
	const struct cmt_feature_set *fs = &fe->o.fs;
	struct symext *x = s->ext;
	int i, n;

	memset(x->rv_sum, 0, sizeof x->rv_sum);
	memset(x->rv_sum2, 0, sizeof x->rv_sum2);
	for (i = 0; i < fs->nrng; i++)
		cmt_rangevol_init(&x->rng[i], steps(fe, fs->rng_ms[i]),
			x->rng[i].pk.ring);
	if (fs->vz_ms)
		cmt_rollstat_init(&x->vz, steps(fe, fs->vz_ms), x->vz.ring);
	for (i = 0; i < fs->nhl; i++) {
		n = steps(fe, fs->hl_ms[i]);
		cmt_rollext_init(&x->hi[i], n, 0, x->hi[i].q);
		cmt_rollext_init(&x->lo[i], n, 1, x->lo[i].q);
	}
}

void
cmt_features_ext_point(struct cmt_features *fe, struct symstate *s,
	int64_t g, const double bar[4], const double *rv, double *x)
{
	const struct cmt_feature_set *fs = &fe->o.fs;
	struct symext *e = s->ext;
	double a, b, sigma;
	int i, have_hi, have_lo;

	for (i = 0; i < fs->nrng; i++)
		if (cmt_rangevol_update(&e->rng[i], bar[0], bar[1], bar[2], bar[3],
		    &a, &b)) {
			x[fe->pos_rng + 2 * i] = a;
			x[fe->pos_rng + 2 * i + 1] = b;
		}
	if (fs->bar)
		cmt_bar_shape(bar[0], bar[1], bar[2], bar[3], x + fe->pos_bar);
	if (fs->vz_ms) {
		if (!s->step_vol_ok)  /* no volume: the series restarts */
			cmt_rollstat_init(&e->vz, steps(fe, fs->vz_ms), e->vz.ring);
		else if (cmt_zscore_update(&e->vz, s->step_vol, &a))
			x[fe->pos_vz] = a;
	}
	if (fs->zr_ms) {
		/* zr's window is the last volatility window */
		sigma = rv[fe->nrv - 1];
		for (i = 0; i < 4; i++)
			if (!isnan(x[i]) && sigma > 0)
				x[fe->pos_zr + i] = x[i] /
				    (sigma * sqrt((double)fe->ret_steps[i]));
	}
	for (i = 0; i < fs->nhl; i++) {
		have_hi = cmt_rollext_update(&e->hi[i], bar[1], &a);
		have_lo = cmt_rollext_update(&e->lo[i], bar[2], &b);
		if (have_hi && have_lo) {
			x[fe->pos_hl + 2 * i] = log(bar[3] / a);
			x[fe->pos_hl + 2 * i + 1] = log(bar[3] / b);
		}
	}
	if (fs->cal)
		cmt_calendar(g, x + fe->pos_cal);
}
