#include <math.h>
#include <string.h>

#include "cmt_sim.h"

#define MS_PER_YEAR (365.25 * 86400e3)

void
cmt_sim_defaults(struct cmt_sim_options *o)
{
	memset(o, 0, sizeof *o);
	o->start_ms = 1704067200000LL; /* 2024-01-01T00:00:00Z */
	o->every_ms = 1000;
	o->annual_vol = 0.6;
	o->garch_alpha = 0.05;
	o->garch_beta = 0.94;
	o->seed = 1;
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double
cmt_sim_uniform(uint64_t *state)
{
	return ((double)(splitmix64(state) >> 11) + 0.5) * 0x1.0p-53;
}

double
cmt_sim_normal(uint64_t *state)
{
	double u1 = cmt_sim_uniform(state), u2 = cmt_sim_uniform(state);

	return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

void
cmt_sim_init(struct cmt_sim *sim, const struct cmt_sim_options *o)
{
	memset(sim, 0, sizeof *sim);
	sim->opt = *o;
	sim->rng = o->seed;
	sim->long_var_per_ms = o->annual_vol * o->annual_vol / MS_PER_YEAR;
}

static int64_t
gap(struct cmt_sim *sim)
{
	double g;

	if (sim->opt.regular)
		return sim->opt.every_ms;
	g = -log(cmt_sim_uniform(&sim->rng)) * (double)sim->opt.every_ms;
	return g < 1 ? 1 : (int64_t)g;
}

enum cmt_err
cmt_sim_add(struct cmt_sim *sim, const char *sym, double px0, char *err)
{
	struct cmt_sim_symbol *s;
	enum cmt_err e;
	int i;

	if (sim->n == CMT_SIM_MAX_SYMBOLS)
		return cmt_errf(err, CMT_ELIMIT, "at most %d symbols",
			CMT_SIM_MAX_SYMBOLS);
	s = &sim->s[sim->n];
	if ((e = cmt_tick_symbol(sym, strlen(sym), s->sym, err)))
		return e;
	/* two walks under one name would interleave into nonsense */
	for (i = 0; i < sim->n; i++)
		if (strcmp(sim->s[i].sym, s->sym) == 0)
			return cmt_errf(err, CMT_EVALUE, "%s given twice", s->sym);
	if (px0 <= 0)
		px0 = strncmp(s->sym, "BTC-", 4) == 0 ? 50000 :
		    strncmp(s->sym, "ETH-", 4) == 0 ? 3000 : 100;
	s->px = px0;
	s->var_per_ms = sim->long_var_per_ms;
	s->last_t = sim->opt.start_ms;
	s->next_t = sim->opt.start_ms + gap(sim);
	sim->n++;
	return CMT_OK;
}

void
cmt_sim_next(struct cmt_sim *sim, struct cmt_tick *tk)
{
	struct cmt_sim_symbol *s = &sim->s[0];
	const struct cmt_sim_options *o = &sim->opt;
	double dt, var, r, omega;
	int i;

	for (i = 1; i < sim->n; i++)
		if (sim->s[i].next_t < s->next_t)
			s = &sim->s[i];
	dt = (double)(s->next_t - s->last_t);
	/* GARCH(1,1) on the per-ms variance: the long-run level is
	 * omega / (1 - alpha - beta); the variance reacts to the last move. */
	var = s->var_per_ms * dt;
	r = sqrt(var) * cmt_sim_normal(&sim->rng);
	omega = sim->long_var_per_ms * (1 - o->garch_alpha - o->garch_beta);
	s->var_per_ms = omega + o->garch_alpha * (r * r / dt) +
	    o->garch_beta * s->var_per_ms;
	/* drift -var/2 keeps the expected price flat (martingale) */
	s->px *= exp(r - var / 2);
	tk->t = s->next_t;
	/* quote on a price grid like an exchange's tick size */
	tk->px = s->px >= 10 ? round(s->px * 100) / 100 :
	    round(s->px * 1e6) / 1e6;
	memcpy(tk->sym, s->sym, sizeof tk->sym);
	/* volume: lognormal, larger on large moves */
	tk->vol = round(5e4 * exp(0.8 * cmt_sim_normal(&sim->rng)) *
	    (1 + fabs(r) / sqrt(sim->long_var_per_ms * dt))) / 1e6;
	tk->has_vol = 1;
	tk->has_bar = 0;        /* a trade, not a bar; never a warm start */
	tk->warm = 0;
	tk->side = CMT_SIDE_NONE;
	tk->has_bar = 0;   /* a trade, not a bar; live, not a warm start */
	tk->warm = 0;
	strcpy(tk->src, "sim");
	s->last_t = s->next_t;
	s->next_t += gap(sim);
}
