/* The bus: cmt lines over NATS JetStream, through the official C client
 * (libnats).  A publisher turns each NDJSON line into one message on a
 * subject built from the line's fields, with a message id from the line's
 * identity so the server drops a retried copy; a subscriber pulls from a
 * durable consumer and acknowledges a line only after the caller has
 * written and flushed it.
 *
 * Ownership: every object here is created by its _open/_connect function
 * and freed by the matching _close; strings in option structs are borrowed
 * and must outlive the object.  Functions return enum cmt_bus_status and
 * leave one line of detail in a caller-supplied err[CMT_ERRLEN].  The log
 * callback may be called from libnats' own threads: it must only write to
 * stderr with write(2), never touch stdio buffers. */
#ifndef CMT_BUS_H
#define CMT_BUS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"

enum cmt_bus_status {
	CMT_BUS_OK = 0,
	CMT_BUS_EFAIL,        /* any other runtime failure */
	CMT_BUS_EUNREACHABLE, /* no server answered at the URL(s) */
	CMT_BUS_EAUTH,        /* credentials refused, or not permitted */
	CMT_BUS_ENOSTREAM,    /* stream (or JetStream itself) missing */
	CMT_BUS_ELINE,        /* this line cannot be published: skip it;
			       * from an _open: the options are wrong */
	CMT_BUS_ESTOPPED      /* a stop was asked and the server did not
			       * confirm everything within stop_wait_ms:
			       * err says why, the stats say what */
};

typedef void cmt_bus_log_fn(void *ctx, const char *msg);

struct cmt_bus_opts {
	const char *url;        /* "nats://h:4222", or several, comma-separated */
	const char *creds;      /* .creds file (JWT + NKey seed) */
	const char *user, *password, *token;
	int tls;                /* require TLS */
	const char *ca, *cert, *key; /* PEM files (cert and key go together) */
	int64_t timeout_ms;     /* connect and JetStream API calls */
	int64_t reconnect_ms;   /* first reconnect delay; doubles to 30x */
	const char *name;       /* connection name shown by the server */
	cmt_bus_log_fn *log;
	void *log_ctx;
	/* Set by a signal: publishing and subscribing wind down, giving the
	 * server stop_wait_ms from the moment they see it to confirm what
	 * was sent; every wait after that ends at once. */
	volatile sig_atomic_t *stop;
	int64_t stop_wait_ms;
};

struct cmt_bus;

void cmt_bus_defaults(struct cmt_bus_opts *o);

/* Connect (trying every URL once); afterwards libnats reconnects forever,
 * with the delay growing from reconnect_ms and some jitter. */
enum cmt_bus_status cmt_bus_connect(struct cmt_bus **b,
	const struct cmt_bus_opts *o, char *err);
void cmt_bus_close(struct cmt_bus *b);

/* Release libnats' global threads (call once, after the last close). */
void cmt_bus_shutdown(void);

/* The partition of a symbol: FNV-1a 32 of its canonical (upper-case)
 * spelling, modulo n. */
int cmt_bus_partition(const char *sym, size_t len, int n);

/* A subject template such as "cmt.ticks.{sym}": literal text and {field}
 * tokens, each a whole subject token.  {part} is the symbol's partition.
 * The stream subject for it has '*' in place of each token. */
enum cmt_err cmt_bus_template_check(const char *tmpl, char *wild,
	size_t cap, char *err);

/* ---- publishing ---- */

struct cmt_bus_pub_opts {
	const char *subject;    /* template */
	const char *id;         /* comma-separated fields naming a line: "sym,t" */
	int partitions;         /* N for {part}; 0 when unused */
	int batch;              /* lines of one subject per message (128) */
	int window;             /* messages awaiting acknowledgement (4096) */
	int64_t ack_wait_ms;    /* a publish unacknowledged this long is resent */
	int64_t retry_for_ms;   /* give up on a line failing this long */
	/* stream creation (create_stream NULL: the stream must exist) */
	const char *create_stream;
	int replicas;
	int64_t max_age_ms;     /* 0: keep forever */
	int64_t dupe_window_ms; /* dedupe window of the stream */
	int memory;             /* memory storage instead of files */
};

struct cmt_bus_pub_stats {
	uint64_t published;     /* messages acknowledged by the stream */
	uint64_t duplicates;    /* of which the server had already stored */
	uint64_t resent;        /* messages sent again after a failure */
	uint64_t reordered;     /* stored after a later one (see cmt-bus(1)) */
	uint64_t unconfirmed;   /* lines given and not (yet) confirmed stored */
	uint64_t first_unconfirmed; /* the lowest line number among them */
};

struct cmt_bus_pub;

void cmt_bus_pub_defaults(struct cmt_bus_pub_opts *o);

enum cmt_bus_status cmt_bus_pub_open(struct cmt_bus_pub **p,
	struct cmt_bus *b, const struct cmt_bus_pub_opts *o, char *err);

/* Publish one line (without its newline), number no of the input (for
 * the stats).  Returns at once while the window has room; CMT_BUS_ELINE:
 * the line was skipped, err says why.
 * With batch > 1 the line may wait in its subject's batch (lines joined
 * by newlines, sent when full) until cmt_bus_pub_send: call it whenever
 * the input has nothing more to read right now. */
enum cmt_bus_status cmt_bus_pub_line(struct cmt_bus_pub *p, const char *s,
	size_t len, uint64_t no, char *err);
enum cmt_bus_status cmt_bus_pub_send(struct cmt_bus_pub *p, char *err);

/* Resend what failed; call when the input is idle. */
enum cmt_bus_status cmt_bus_pub_poll(struct cmt_bus_pub *p, char *err);

/* Wait until every line published so far is stored (resending as needed).
 * After a stop (cmt_bus_opts.stop) these all give up with
 * CMT_BUS_ESTOPPED once stop_wait_ms is over; the stats then count the
 * lines not confirmed stored. */
enum cmt_bus_status cmt_bus_pub_flush(struct cmt_bus_pub *p, char *err);

void cmt_bus_pub_stats(struct cmt_bus_pub *p, struct cmt_bus_pub_stats *st);
void cmt_bus_pub_close(struct cmt_bus_pub *p);

/* ---- subscribing ---- */

enum cmt_bus_from {
	CMT_BUS_FROM_ALL, CMT_BUS_FROM_NEW, CMT_BUS_FROM_TIME, CMT_BUS_FROM_SEQ
};

struct cmt_bus_sub_opts {
	const char *stream;
	const char *durable;    /* NULL: an ephemeral consumer */
	const char *filter;     /* subject filter; {part} becomes part_k */
	enum cmt_bus_from from; /* where a new consumer starts */
	int64_t from_ms;        /* CMT_BUS_FROM_TIME: server receive time */
	uint64_t from_seq;      /* CMT_BUS_FROM_SEQ */
	int part_k, part_n;     /* --partition K/N (part_n 0: none) */
	int batch;              /* messages per pull (256) */
	int64_t count;          /* stop after this many lines (-1: never) */
	int at_end;             /* stop when the consumer has nothing pending */
	/* where lines go: write may buffer; flush must get them out (a
	 * message is acknowledged only after flush returned 0) */
	int (*write)(void *ctx, const char *s, size_t n);
	int (*flush)(void *ctx);
	void *ctx;
};

struct cmt_bus_sub_stats {
	uint64_t written;       /* lines written */
	uint64_t redelivered;   /* copies of lines already written, dropped */
	uint64_t resets;        /* consumer repositioned after a gap */
	uint64_t start_seq;     /* stream sequence the run started after */
	uint64_t unconfirmed;   /* lines written whose acknowledgement the
				 * server has not confirmed */
};

struct cmt_bus_sub;

void cmt_bus_sub_defaults(struct cmt_bus_sub_opts *o);

enum cmt_bus_status cmt_bus_sub_open(struct cmt_bus_sub **s,
	struct cmt_bus *b, const struct cmt_bus_sub_opts *o, char *err);

/* Pull, write, flush, acknowledge, until a stop, count lines, or an
 * error.  After a stop the last acknowledgement is confirmed within
 * stop_wait_ms, else CMT_BUS_ESTOPPED and the stats say how many lines
 * a durable's next run may write again. */
enum cmt_bus_status cmt_bus_sub_run(struct cmt_bus_sub *s, char *err);

void cmt_bus_sub_stats(const struct cmt_bus_sub *s,
	struct cmt_bus_sub_stats *st);
void cmt_bus_sub_close(struct cmt_bus_sub *s);

#endif
