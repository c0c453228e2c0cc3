/* Server-Sent Events broadcaster: one single-threaded epoll loop that reads
 * lines from an fd and sends each as an SSE event to every client of
 * GET /events, with a bounded replay backlog, bounded per-client queues,
 * /metrics, /healthz and a static page at /.  The server owns all its
 * memory (backlog slots, clients); the caller owns the options' strings.
 * cmt_sse_parse_request is the pure HTTP request-head parser it uses. */
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
	void *ctx;
};

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
};

void cmt_sse_stats(const struct cmt_sse *srv, struct cmt_sse_stats *st);

/* Write the Prometheus text exposition of the counters into buf; returns
 * the length (truncated if cap is too small; 8 KiB suffices). */
size_t cmt_sse_metrics(const struct cmt_sse *srv, char *buf, size_t cap);

void cmt_sse_close(struct cmt_sse *srv);

#endif
