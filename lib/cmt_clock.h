/* The two clocks every module reads, in milliseconds: the monotonic one for
 * intervals, deadlines and timeouts, the wall clock for what is stamped on
 * data.  One definition, so a change (or a test's fake clock) is made once. */
#ifndef CMT_CLOCK_H
#define CMT_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ms: never steps back; for waits and deadlines. */
int64_t cmt_clock_mono_ms(void);

/* CLOCK_REALTIME in ms since the Unix epoch: for stamping and comparing
 * with data times. */
int64_t cmt_clock_wall_ms(void);

#endif
