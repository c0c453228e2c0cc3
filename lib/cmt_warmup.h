/* The warm start as an optimisation, never a gate (cmt-fetch --warmup):
 * cmt_fetch_warmup run by a thread of its own with a private copy of the
 * configuration and the symbols (its own cmt_http, ingest state and stop
 * flag), under one bound on the whole (--warmup-timeout): every request
 * has at most a third of it (or --timeout if less) and is cut at the
 * bound, a failed one is retried at most twice and never past it, and a
 * symbol whose history fails goes without while the others go on.  So
 * live data may be read meanwhile (a stream connects and subscribes at
 * once) and a failure costs at most the bound.
 *
 * The bars go out through c->emit from that thread while it runs: the
 * caller writes nothing until cmt_warmup_finish and holds its live data
 * until then, so the bars come first and nothing is out of time order.
 * Finish copies each symbol's state back (one with history continues it
 * from the boundary; one without goes live at once) and says what
 * happened; retries are not reported one by one, the ingest rules'
 * reports are passed on through c->warn at finish.
 *
 * The runner owns its thread, its copy and its messages; finish frees
 * them.  c and its symbols must outlive it and stay untouched until
 * finish (the caller reads only their names meanwhile). */
#ifndef CMT_WARMUP_H
#define CMT_WARMUP_H

#include <stdint.h>

#include "cmt_err.h"
#include "cmt_fetch.h"

#define CMT_WARMUP_RETRIES 2            /* per request, within the bound */
#define CMT_WARMUP_BOUND_MS 15000       /* the whole, by default */
#define CMT_WARMUP_GRACE_MS 2000        /* past the bound: cut */

struct cmt_warmup_result {
	int64_t boundary;          /* M: live data from here */
	int64_t span_ms;           /* asked for (within what the venue keeps) */
	int bars;                  /* 1-minute bars; else points */
	int64_t spacing_ms;        /* between one symbol's ticks, typically */
	int nsym, nwarm, ncold;    /* symbols; with history; without */
	int npartial;              /* with history that stops short of M */
	long long ticks;           /* written */
	int stopped;               /* cut short by the stop flag */
	int64_t took_ms;
	char cold[CMT_ERRLEN];     /* symbols without history: "A, B" */
	char why[CMT_ERRLEN];      /* the first failure ("SYM: reason") */
};

struct cmt_warmup;

/* Start the warm start of span_ms for c's symbols, bounded by bound_ms
 * in all (0: CMT_WARMUP_BOUND_MS).  wake (may be NULL) is called from
 * the thread when it ends, to wake the caller's loop.  NULL with err
 * when the thread cannot start. */
struct cmt_warmup *cmt_warmup_start(struct cmt_fetch_cfg *c, int64_t span_ms,
	int64_t bound_ms, void (*wake)(void *arg), void *arg, char *err);

/* 1 when the warm start has ended, or should have: CMT_WARMUP_GRACE_MS
 * past its bound (finish then cuts it). */
int cmt_warmup_done(struct cmt_warmup *w);

/* Stop it now (its requests are cut); finish still has to be called. */
void cmt_warmup_cancel(struct cmt_warmup *w);

/* Wait for the end (cutting short what still runs: its requests end at
 * once), copy the symbols' state back into
 * c, pass on the rules' reports, fill res and free w. */
void cmt_warmup_finish(struct cmt_warmup *w, struct cmt_warmup_result *res);

/* The one line on how it went into buf: what was written (bars, or
 * points and how far apart), or what failed, that live data goes on, and
 * when the first forecast comes (the shipped model's warm-up on live
 * data); an interruption.  0 when there is nothing to say (a whole
 * success, quiet). */
int cmt_warmup_describe(const struct cmt_warmup_result *r, int quiet,
	char *buf, size_t cap);

/* Start, wait (ending early when c's stop flag is set), finish: for a
 * caller with nothing to read meanwhile (polls). */
void cmt_warmup_run(struct cmt_fetch_cfg *c, int64_t span_ms,
	int64_t bound_ms, struct cmt_warmup_result *res);

#endif
