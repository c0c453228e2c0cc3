/* Shared by the CMocka unit tests: CMocka 1.1's assert_float_equal works in
 * float, too coarse for prices and indicators, so doubles use this;
 * venue(NAME), a venue of the table that must exist; a small seeded
 * random source for generated series; and the names of the shipped set
 * widened with every extension part. */
#ifndef CMT_TEST_H
#define CMT_TEST_H

#include <math.h>
#include <stdint.h>

#include "cmt_source.h"

#define assert_close(a, b, tol) do { \
	double a_ = (a), b_ = (b), t_ = (tol); \
	if (!(fabs(a_ - b_) <= t_)) \
		fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, \
			b_, t_); \
} while (0)

static inline const struct cmt_source *
venue(const char *name)
{
	const struct cmt_source *s = cmt_source_find(name);

	if (!s)
		fail_msg("no venue '%s' in the table", name);
	return s;
}

/* A 64-bit LCG: the next 53 bits, uniform in [0, 1), a standard normal
 * (Box-Muller).  Deterministic for a seed, on every platform. */
static inline uint64_t
test_rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 11;
}

static inline double
test_unif(uint64_t *s)
{
	return (double)test_rnd(s) / 9007199254740992.0;
}

static inline double
test_gauss(uint64_t *s)
{
	double u = test_unif(s) + 1e-300, v = test_unif(s);

	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* The 38 features of cmt1;step=1m;ret=1m/5m/15m/1h;rv=30m/1h;...;vt=5/20
 * with CMT_FS_WIDE, in vector order. */
#define TEST_WIDE_NAMES \
	"ret_1m", "ret_5m", "ret_15m", "ret_1h", "rv_30m", "rv_1h", "rsi", \
	"macd_hist", "bb_pctb", "mom", "vol_trend", "pk_15m", "gk_15m", \
	"pk_1h", "gk_1h", "body", "upper_wick", "lower_wick", "close_loc", \
	"volz_1h", "zret_1m", "zret_5m", "zret_15m", "zret_1h", "dhi_1h", \
	"dlo_1h", "dhi_4h", "dlo_4h", "dhi_1d", "dlo_1d", "ret_4h", "rv_4h", \
	"ret_1d", "rv_1d", "tod_sin", "tod_cos", "dow_sin", "dow_cos"

#endif
