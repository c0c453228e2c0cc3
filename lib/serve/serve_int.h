/* Private to lib/serve/ (cmt-sse's server): its state, its clients and the
 * event ring, and the functions its files call in one another.  Not part
 * of the interface, which is lib/cmt_sse.h; the server owns all of it. */
#ifndef CMT_SERVE_INT_H
#define CMT_SERVE_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "cmt_line.h"
#include "cmt_sse.h"

#define CTL_CAP     1024   /* stream headers, retry, gap, status, beats */
#define STAMP_EXTRA 32     /* ,"t_recv":N} added to a JSON object line */

/*
 * Events live once, in a ring of `cap` slots holding the formatted frame
 * ("id: N\n[event: T\n]data: LINE\n\n").  A streaming client is only a
 * cursor into that ring (next event id, bytes of it already sent), so a
 * broadcast costs no copy per client, and a client's queue is the stretch
 * of ring between its cursor and the head.  Slot buffers grow to the
 * largest frame seen and are then reused: no allocation per line.
 */
struct slot {
	uint64_t id;
	uint64_t start;   /* offset of the frame in the whole stream */
	size_t len, cap;
	char *buf;
};

enum cstate { C_READ, C_REPLY, C_STREAM, C_DEAD };

/* What sse_line_inspect finds in an input line. */
struct sse_line {
	int object;                 /* a valid JSON object */
	int empty;                  /* {} */
	int stamped;                /* has "t_recv" already */
	int partial;                /* "partial":true */
	int has_t;                  /* "t" is a whole number (ms) */
	int64_t t;
	int has_sym, bad_sym;       /* "sym" a plain token / something else */
	char sym[CMT_SSE_MAX_SYM];
	size_t close;               /* offset of the closing brace */
	char type[CMT_SSE_MAX_EVENT];   /* --event-field's value */
	size_t type_len;
};

/*
 * The history (--keep): per symbol, records appended to a list of chunks
 * and dropped from its front when their "t" falls out of the window (or
 * the symbol's share of --max-memory is full).  A record is a struct
 * hist_rec followed by its line, padded to 8 bytes; nothing is moved
 * once written.  A symbol's gen counts the chunks it freed or reused, so
 * a reader's cursor knows when to find its place again by id.
 */
struct hist_rec {
	uint64_t id;
	int64_t t;
	uint32_t len, size;         /* line bytes; record bytes with padding */
};

struct hist_chunk {
	struct hist_chunk *next;
	size_t used, cap;
	char data[];
};

struct hist_sym {
	char name[CMT_SSE_MAX_SYM]; /* "" for lines without "sym" */
	struct hist_chunk *head, *tail;
	size_t head_off;            /* first live record in head */
	size_t bytes, nrec;
	int64_t newest_t;
	uint64_t gen;
	int trimmed;                /* lost lines to the share: said once */
	/* The latest partial line, while no final line has caught up with
	 * it: the forecast of the step in progress, shown first by a page
	 * that opens now.  Partial lines never enter the records. */
	char *partial;
	size_t partial_len, partial_cap;
	uint64_t partial_id;
	int64_t partial_t;
};

struct hist {
	int64_t keep_ms;
	size_t share, max_syms;
	struct hist_sym **sym;      /* in order of first appearance */
	size_t nsym;
	struct hist_sym **index;    /* open addressing over sym, 2 * max */
	size_t index_cap;
	size_t bytes, records;
	uint64_t refused, trimmed;
};

struct hist_cur {
	struct hist_sym *sym;
	struct hist_chunk *c;       /* NULL: find the place by next_id */
	size_t off;
	uint64_t gen, next_id;
	int64_t since;              /* records with t >= since */
	int partial_done;           /* the symbol's partial line was sent */
};

/* A GET /history answer in progress: one cursor per symbol asked for,
 * read in turn, up to the newest event when it was asked. */
struct hist_reader {
	struct hist_cur *cur;
	size_t ncur, at;
	uint64_t max_id;
	int finished;               /* the last chunk is queued */
};

struct client {
	int fd;
	enum cstate state;
	int64_t deadline;           /* C_READ, C_REPLY: give up then */
	char *req;                  /* C_READ: request head so far */
	size_t req_len;
	char *out;                  /* C_REPLY: whole response */
	size_t out_len, out_off;
	char ctl[CTL_CAP];          /* C_STREAM: bytes before the next frame */
	size_t ctl_len, ctl_off;
	uint64_t next_id;           /* C_STREAM: next event to send */
	size_t off;                 /* bytes of that event already sent */
	struct hist_reader *hist;   /* C_REPLY of GET /history, or NULL */
	size_t out_cap;
	struct client *prev, *next;
};

struct cmt_sse {
	struct cmt_sse_opts o;
	int lfd, ep, spare_fd, port;
	int in_flags, in_pollable, input_open;
	struct cmt_linereader *lr;
	struct slot *ring;
	size_t cap, count;
	uint64_t head_id, total_bytes;
	uint64_t first_id;          /* of this run (opts.first_id) */
	struct client *clients, *dead;
	int draining;
	int64_t drain_deadline, next_heartbeat, next_sweep, next_status;
	int64_t now_wall;           /* the wall clock of this input batch */
	/* lines read in each of the last 60 wall-clock seconds, for the
	 * status event's lines per minute */
	uint32_t sec_lines[60];
	int64_t sec_at[60];
	struct hist *hist;          /* NULL without --keep */
	size_t hist_readers;        /* GET /history answers in progress */
	struct cmt_sse_stats st;
};

/* http_reply.c: one-shot replies, each closing its connection */
void sse_cors_header(const struct cmt_sse *s, char *buf, size_t cap,
	size_t *n);
void sse_write_now(struct cmt_sse *s, int fd, int status);
void sse_reply(struct cmt_sse *s, struct client *c, int status,
	const char *type, const char *body, size_t body_len, int head_only);
void sse_reply_status(struct cmt_sse *s, struct client *c, int status);
void sse_reply_why(struct cmt_sse *s, struct client *c, int status,
	const char *why);
void sse_flush_reply(struct cmt_sse *s, struct client *c);
void sse_route(struct cmt_sse *s, struct client *c,
	const struct cmt_sse_req *r);

/* sse_loop.c: the loop and its clients */
void sse_client_close(struct cmt_sse *s, struct client *c);
void sse_drain_input(struct cmt_sse *s, struct client *c);
void sse_flush_client(struct cmt_sse *s, struct client *c);
/* What a send's result n means: 1 bytes went out (counted), 0 try again
 * (EINTR), -1 stop: the socket is full, or the client is gone (closed). */
int sse_sent(struct cmt_sse *s, struct client *c, ssize_t n);

/* sse_line.c: what an input line is, and its stamped form (at most
 * len + STAMP_EXTRA bytes into out) */
void sse_line_inspect(const char *line, size_t len, const char *event_field,
	struct sse_line *li);
size_t sse_line_stamp(const char *line, size_t len, const struct sse_line *li,
	int64_t now_ms, char *out);

/* sse_store.c: the history store */
struct hist *sse_hist_new(int64_t keep_ms, size_t max_memory);
void sse_hist_free(struct hist *h);
void sse_hist_add(struct cmt_sse *s, uint64_t id, const struct sse_line *li,
	const char *line, size_t len);
struct hist_sym *sse_hist_find(const struct hist *h, const char *name);
/* The cursor's next record with id <= max_id and t >= its since, left
 * unread (sse_hist_skip reads it); NULL when there is none. */
const struct hist_rec *sse_hist_peek(struct hist_cur *cu, uint64_t max_id);
void sse_hist_skip(struct hist_cur *cu, const struct hist_rec *r);
/* The symbol's partial line for the cursor, once, or NULL. */
const char *sse_hist_partial(struct hist_cur *cu, uint64_t max_id,
	size_t *len);

/* sse_history.c: GET /history */
void sse_history_start(struct cmt_sse *s, struct client *c,
	const struct cmt_sse_req *r);
int sse_history_fill(struct cmt_sse *s, struct client *c);
void sse_history_end(struct cmt_sse *s, struct client *c);

/* sse_ring.c: events and the streams that read them */
void sse_publish(struct cmt_sse *s, const char *line, size_t len,
	uint64_t lineno);
void sse_start_stream(struct cmt_sse *s, struct client *c,
	const struct cmt_sse_req *r);
void sse_flush_stream(struct cmt_sse *s, struct client *c);
void sse_ctl_append(struct client *c, const char *buf, size_t n);
/* lines read in the minute before now_ms */
uint64_t sse_lines_last_minute(const struct cmt_sse *s, int64_t now_ms);
/* "event: status" with the server's clock, to one stream or to all */
void sse_status_to(struct cmt_sse *s, struct client *c);
void sse_status_all(struct cmt_sse *s);

#endif
