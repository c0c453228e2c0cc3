/* Server-Sent Events broadcaster: one single-threaded epoll loop that reads
 * lines from an fd and sends each as an SSE event to every client of
 * GET /events, with a bounded replay backlog, bounded per-client queues, a
 * bounded per-symbol history (GET /history), a periodic status event with
 * the server's clock, /metrics, /healthz and a static page at /.  The
 * server owns all its memory (backlog slots, history, clients); the caller
 * owns the options' strings.  cmt_sse_parse_request and
 * cmt_sse_history_query are the pure request parsers it uses. */
#ifndef CMT_SSE_H
#define CMT_SSE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"

#define CMT_SSE_MAX_REQLINE 2048   /* request line, bytes */
#define CMT_SSE_MAX_HEAD    8192   /* request line plus headers, bytes */
#define CMT_SSE_MAX_HEADERS 64
#define CMT_SSE_MAX_ORIGIN  256    /* --cors value */
#define CMT_SSE_MAX_EVENT   64     /* event type taken from --event-field */
#define CMT_SSE_MAX_SYM     32     /* symbol names the history keeps */

enum cmt_sse_method { CMT_SSE_GET, CMT_SSE_HEAD, CMT_SSE_OTHER };

/* A parsed request head; the slices point into the caller's buffer. */
struct cmt_sse_req {
	enum cmt_sse_method method;
	const char *path;       /* target without the query, starts with '/' */
	size_t path_len;
	const char *query;      /* after '?', without it; NULL if absent */
	size_t query_len;
	int has_last_id;        /* Last-Event-ID header, else ?lastEventId= */
	uint64_t last_id;
	size_t head_len;        /* bytes of the head, blank line included */
};

/* Parse the request head at buf[0..len).  Returns 0 when the head is not
 * complete yet (read more), 200 when it is well formed, or the HTTP error
 * status to answer: 400 malformed, 414 request line too long, 431 head
 * too large or too many headers, 505 HTTP version other than 1.0/1.1.
 * The method is not judged here (the router answers 405). */
int cmt_sse_parse_request(const char *buf, size_t len,
	struct cmt_sse_req *req);

/* The query of GET /history: sym=S (one symbol, matched without regard to
 * case; absent: every symbol), since=T (records whose "t" >= T, ms since
 * the epoch) and last=DUR (records within DUR of their symbol's newest
 * "t", e.g. 1h or 3600000ms; a bare number is seconds).  Other parameters
 * are ignored; values may be percent-encoded. */
struct cmt_sse_hq {
	char sym[CMT_SSE_MAX_SYM];   /* "" for every symbol */
	int64_t since;               /* INT64_MIN when absent */
	int64_t last_ms;             /* -1 when absent */
};

/* Parse the query q[0..len) (q may be NULL) into hq.  Returns CMT_OK, or
 * CMT_EVALUE with err naming the parameter and what is wrong with it. */
enum cmt_err cmt_sse_history_query(const char *q, size_t len,
	struct cmt_sse_hq *hq, char *err);

/* The value of parameter name in the query q[0..len), percent-decoded
 * into out (cap bytes, NUL-terminated).  Returns its length, -1 when the
 * parameter is absent, -2 when it is malformed or does not fit.  The
 * first occurrence counts. */
long cmt_sse_query_param(const char *q, size_t len, const char *name,
	char *out, size_t cap);

/* Event type named by the top-level string member `field` of the JSON
 * object line[0..len), copied to out (CMT_SSE_MAX_EVENT bytes); returns its
 * length, or 0 when the line is not an object, lacks the member, or the
 * value is empty, too long or not a plain token (letters, digits, "-_.:"). */
size_t cmt_sse_event_type(const char *line, size_t len, const char *field,
	char *out);

struct cmt_sse_opts {
	const char *bind;          /* IPv4 or IPv6 literal; NULL: 127.0.0.1 */
	int port;                  /* 0: any free port (see cmt_sse_port) */
	int in_fd;                 /* lines come from here; -1: none */
	size_t max_line;           /* longer lines are skipped (0: 64 KiB) */
	size_t backlog;            /* events kept for Last-Event-ID, >= 1 */
	size_t client_buffer;      /* bytes a client may lag behind */
	int max_clients;           /* open connections; more get 503 */
	int64_t heartbeat_ms;      /* comment to idle streams */
	int64_t retry_ms;          /* "retry:" sent to each new stream */
	int64_t request_timeout_ms;/* to send a full request head */
	int64_t drain_ms;          /* at exit, time left to flush queues */
	const char *cors;          /* Access-Control-Allow-Origin, or NULL */
	const char *event_field;   /* JSON member naming the event type */
	int exit_on_eof;           /* end streams and return at end of input */
	/* Each JSON object line is sent with "t_recv" (the wall clock in ms
	 * when it was read) added as its last member, unless it has one. */
	int stamp;
	int64_t status_ms;         /* "event: status" to every stream; 0: off */
	const char *mode;          /* "live" or "replay" in the status; NULL */
	/* History (GET /history): per symbol, the JSON object lines with a
	 * numeric "t" and without "partial":true, while their t is within
	 * keep_ms of the symbol's newest; 0: no history.  max_memory bounds
	 * it: each symbol may hold keep_ms at CMT_SSE_HIST_NOMINAL bytes per
	 * hour (its oldest lines go first past that), and a symbol beyond
	 * what max_memory holds at that rate is not kept. */
	int64_t keep_ms;
	size_t max_memory;
	/* Id of the first event; 0: the start time in seconds since the
	 * epoch times 1,000,000, so ids never repeat across restarts and a
	 * client's id from an earlier run is older than every new one (it
	 * gets "event: gap" and the backlog).  Ids stay below 2^53, exact as
	 * JavaScript numbers. */
	uint64_t first_id;
	const char *page;          /* body of GET / (text/html) */
	size_t page_len;
	/* More static files (the dashboard's scripts), served as they are
	 * at their path; the array and bodies outlive the server. */
	const struct cmt_sse_file *files;
	size_t nfiles;
	/* Called for each input line that is skipped (too long, NUL byte),
	 * with the line number and reason; may be NULL. */
	void (*on_skip)(void *ctx, uint64_t lineno, const char *reason);
	/* Called with one line of news about the history (a symbol not
	 * kept, a symbol's share full); may be NULL. */
	void (*on_notice)(void *ctx, const char *msg);
	void *ctx;
};

/* Bytes of history a symbol is given per hour kept: one-minute vectors
 * with forecasts (about 760 bytes a line), their outcomes and rolling
 * metrics, as the README's pipeline sends them, with the store's own
 * overhead (measured: see man cmt-sse). */
#define CMT_SSE_HIST_NOMINAL 65536

/* How many symbols' history fits: max_memory over a symbol's share for
 * keep_ms (0 when not even one fits, which cmt_sse_open refuses). */
size_t cmt_sse_history_symbols(int64_t keep_ms, size_t max_memory);

/* A symbol's share of the history memory for keep_ms, in bytes. */
size_t cmt_sse_history_share(int64_t keep_ms);

/* CMT_EVALUE, saying what one symbol needs, when max_memory holds no
 * symbol's history of keep_ms; CMT_OK otherwise (and for keep_ms 0). */
enum cmt_err cmt_sse_history_check(int64_t keep_ms, size_t max_memory,
	char *err);

struct cmt_sse_file {
	const char *path;          /* "/vendor/x.js" */
	const char *type;          /* Content-Type */
	const char *body;
	size_t len;
};

/* Defaults for every field; the caller then sets what it wants. */
void cmt_sse_defaults(struct cmt_sse_opts *o);

struct cmt_sse;

/* Validate the options, bind and listen.  The fd in_fd is made
 * non-blocking (and restored by cmt_sse_close). */
enum cmt_err cmt_sse_open(struct cmt_sse **srv, const struct cmt_sse_opts *o,
	char *err);

/* The port actually bound. */
int cmt_sse_port(const struct cmt_sse *srv);

/* Serve until *stop becomes non-zero (then flush queues for at most
 * drain_ms and close), or until end of input with exit_on_eof.  Returns
 * CMT_OK, or CMT_EIO when reading the input or polling fails. */
enum cmt_err cmt_sse_run(struct cmt_sse *srv, volatile sig_atomic_t *stop,
	char *err);

/* Counters, also served at /metrics. */
struct cmt_sse_stats {
	uint64_t lines_in, lines_skipped, bytes_in;
	uint64_t events_out, bytes_out;
	uint64_t connections, streams_opened, clients_dropped, clients_rejected;
	uint64_t timeouts, requests, bad_requests;
	uint64_t last_id;
	/* at the end of a drain: streams closed still owed events, and how
	 * many events they missed */
	uint64_t cut_streams, cut_events;
	size_t clients, streams, backlog_events, backlog_bytes;
	int input_open;
	/* history: lines and bytes held, symbols kept and refused, lines
	 * dropped early to stay within a symbol's share */
	size_t hist_records, hist_bytes, hist_symbols;
	uint64_t hist_refused, hist_trimmed;
	int64_t last_line_ms;      /* wall clock when the last line was read */
};

void cmt_sse_stats(const struct cmt_sse *srv, struct cmt_sse_stats *st);

/* Write the Prometheus text exposition of the counters into buf; returns
 * the length (truncated if cap is too small; 8 KiB suffices). */
size_t cmt_sse_metrics(const struct cmt_sse *srv, char *buf, size_t cap);

void cmt_sse_close(struct cmt_sse *srv);

#endif
