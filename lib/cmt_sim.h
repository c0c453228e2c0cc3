/* A tick simulator for demos, tests and benchmarks: each symbol's log price
 * follows a random walk whose variance follows GARCH(1,1), so quiet and
 * turbulent spells alternate as in real markets; ticks arrive as a Poisson
 * process (or on a fixed clock) and carry a volume that grows with the
 * size of the move.  Output is simulated data, never market data.
 * Deterministic for a given seed; the caller owns the state struct. */
#ifndef CMT_SIM_H
#define CMT_SIM_H

#include <stdint.h>

#include "cmt_tick.h"

#define CMT_SIM_MAX_SYMBOLS 64

struct cmt_sim_options {
	int64_t start_ms;
	int64_t every_ms;     /* mean time between ticks of one symbol */
	int regular;          /* fixed interval instead of Poisson arrivals */
	double annual_vol;    /* long-run volatility per year, e.g. 0.6 */
	double garch_alpha;   /* weight of the last squared return */
	double garch_beta;    /* persistence of the variance */
	uint64_t seed;
};

struct cmt_sim_symbol {
	char sym[CMT_SYM_MAX];
	double px;            /* current price */
	double var_per_ms;    /* current GARCH variance of log return per ms */
	int64_t next_t;
	int64_t last_t;
};

struct cmt_sim {
	struct cmt_sim_options opt;
	struct cmt_sim_symbol s[CMT_SIM_MAX_SYMBOLS];
	int n;
	uint64_t rng;
	double long_var_per_ms;
};

void cmt_sim_defaults(struct cmt_sim_options *o);

/* Add a symbol with its starting price (0 picks one from the symbol:
 * BTC 50000, ETH 3000, otherwise 100).  A symbol already added (in any
 * case) is CMT_EVALUE. */
enum cmt_err cmt_sim_add(struct cmt_sim *sim, const char *sym, double px0,
	char *err);

void cmt_sim_init(struct cmt_sim *sim, const struct cmt_sim_options *o);

/* The next tick in time order across all symbols. */
void cmt_sim_next(struct cmt_sim *sim, struct cmt_tick *tk);

/* Uniform double in (0, 1) from a splitmix64 state (shared by tools that
 * need reproducible randomness). */
double cmt_sim_uniform(uint64_t *state);
double cmt_sim_normal(uint64_t *state);

#endif
