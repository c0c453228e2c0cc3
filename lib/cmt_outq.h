/* A bounded output queue drained to a file descriptor by a writer thread,
 * for a producer that must keep reading a socket whatever its reader does
 * (cmt-fetch --stream).  Lines are appended to a pending buffer of at most
 * `max` bytes; the writer swaps it out and writes it whole, so a burst
 * becomes one write() and an idle queue is written at once.  When the
 * pending buffer is full a line is dropped (never partly written) and
 * counted; the caller says so.  Memory: two buffers of `max` bytes.
 * The writer thread blocks SIGINT and SIGTERM, so signals reach the
 * producer; it never sleeps in write() (it waits in poll), so once the
 * caller's stop flag is set a reader that takes nothing for
 * CMT_OUTQ_STALL_MS is given up on and close returns. */
#ifndef CMT_OUTQ_H
#define CMT_OUTQ_H

#include <signal.h>
#include <stddef.h>

#define CMT_OUTQ_STALL_MS 2000

struct cmt_outq;

/* NULL when out of memory or the thread cannot start.  stop: the
 * caller's stop flag (signals). */
struct cmt_outq *cmt_outq_new(int fd, size_t max,
	volatile sig_atomic_t *stop);

/* Queue n bytes (whole lines).  0: queued; 1: dropped, the queue is full;
 * -1: a write failed earlier (cmt_outq_error says why), nothing queued. */
int cmt_outq_push(struct cmt_outq *q, const char *buf, size_t n);

/* Bytes waiting (pending and being written). */
size_t cmt_outq_backlog(struct cmt_outq *q);

/* errno of the failed write, or 0. */
int cmt_outq_error(struct cmt_outq *q);

/* Write out what is queued, stop the thread and free q.  Returns 0, or
 * the errno of a failed write (ETIMEDOUT: given up on a stuck reader
 * after a stop), with *unwritten (may be NULL) the bytes not written. */
int cmt_outq_close(struct cmt_outq *q, size_t *unwritten);

#endif
