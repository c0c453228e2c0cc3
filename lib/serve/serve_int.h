/* Private to lib/serve/ (cmt-sse's server): its state, its clients and the
 * event ring, and the functions its files call in one another.  Not part
 * of the interface, which is lib/cmt_sse.h; the server owns all of it. */
#ifndef CMT_SERVE_INT_H
#define CMT_SERVE_INT_H

#include <stdint.h>

#include "cmt_line.h"
#include "cmt_sse.h"

#define CTL_CAP     1024   /* stream headers, retry, gap, heartbeats */

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
	int64_t drain_deadline, next_heartbeat, next_sweep;
	struct cmt_sse_stats st;
};

/* http_reply.c: one-shot replies, each closing its connection */
void sse_cors_header(const struct cmt_sse *s, char *buf, size_t cap,
	size_t *n);
void sse_write_now(struct cmt_sse *s, int fd, int status);
void sse_reply(struct cmt_sse *s, struct client *c, int status,
	const char *type, const char *body, size_t body_len, int head_only);
void sse_reply_status(struct cmt_sse *s, struct client *c, int status);
void sse_flush_reply(struct cmt_sse *s, struct client *c);
void sse_route(struct cmt_sse *s, struct client *c,
	const struct cmt_sse_req *r);

/* sse_loop.c: the loop and its clients */
void sse_client_close(struct cmt_sse *s, struct client *c);
void sse_drain_input(struct cmt_sse *s, struct client *c);
void sse_flush_client(struct cmt_sse *s, struct client *c);

/* sse_ring.c: events and the streams that read them */
void sse_publish(struct cmt_sse *s, const char *line, size_t len,
	uint64_t lineno);
void sse_start_stream(struct cmt_sse *s, struct client *c,
	const struct cmt_sse_req *r);
void sse_flush_stream(struct cmt_sse *s, struct client *c);
void sse_ctl_append(struct client *c, const char *buf, size_t n);

#endif
