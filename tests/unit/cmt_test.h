/* Shared by the CMocka unit tests: CMocka 1.1's assert_float_equal works in
 * float, too coarse for prices and indicators, so doubles use this. */
#ifndef CMT_TEST_H
#define CMT_TEST_H

#include <math.h>

#define assert_close(a, b, tol) do { \
	double a_ = (a), b_ = (b), t_ = (tol); \
	if (!(fabs(a_ - b_) <= t_)) \
		fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, \
			b_, t_); \
} while (0)

#endif
