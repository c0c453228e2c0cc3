/* Shared by the CMocka unit tests: CMocka 1.1's assert_float_equal works in
 * float, too coarse for prices and indicators, so doubles use this; and
 * venue(NAME), a venue of the table that must exist. */
#ifndef CMT_TEST_H
#define CMT_TEST_H

#include <math.h>

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

#endif
