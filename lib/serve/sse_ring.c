/* cmt-sse's event ring: each input line formatted once, in a slot, as an
 * SSE frame (a JSON object stamped with its receive time, and kept in the
 * history when it is a final line); streams as cursors into the ring
 * (Last-Event-ID, gap, replay within the client buffer) and sent from it;
 * the status event with the server's clock.  The slots are the server's:
 * their buffers grow here and are freed by cmt_sse_close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmt_clock.h"
#include "cmt_strbuf.h"
#include "serve_int.h"

#define MAX_IOV     64
#define FRAME_EXTRA (32 + CMT_SSE_MAX_EVENT + STAMP_EXTRA)

static uint64_t
oldest_id(const struct cmt_sse *s)
{
	return s->head_id - s->count + 1;
}

static uint64_t
lag_bytes(const struct cmt_sse *s, const struct client *c)
{
	if (c->next_id > s->head_id)
		return 0;
	return s->total_bytes - (s->ring[c->next_id % s->cap].start + c->off);
}

void
sse_ctl_append(struct client *c, const char *buf, size_t n)
{
	if (c->ctl_len + n <= CTL_CAP) {
		memcpy(c->ctl + c->ctl_len, buf, n);
		c->ctl_len += n;
	}
}

void
sse_start_stream(struct cmt_sse *s, struct client *c,
	const struct cmt_sse_req *r)
{
	char buf[CTL_CAP];
	uint64_t next, first, last;
	size_t n = 0;

	if (r->method == CMT_SSE_HEAD) {
		sse_reply(s, c, 200, "text/event-stream", NULL, 0, 1);
		return;
	}
	cmt_strcat_printf(buf, sizeof buf, &n, "HTTP/1.1 200 OK\r\n"
		"Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
		"Connection: keep-alive\r\nX-Accel-Buffering: no\r\n");
	sse_cors_header(s, buf, sizeof buf, &n);
	cmt_strcat_printf(buf, sizeof buf, &n, "\r\n");
	free(c->req);
	c->req = NULL;
	c->ctl_len = c->ctl_off = 0;
	sse_ctl_append(c, buf, n);
	n = (size_t)snprintf(buf, sizeof buf, "retry: %lld\n\n",
		(long long)s->o.retry_ms);
	sse_ctl_append(c, buf, n);
	c->state = C_STREAM;
	sse_status_to(s, c);
	s->st.streams++;
	s->st.streams_opened++;
	c->off = 0;
	next = s->head_id + 1;
	if (r->has_last_id) {
		first = oldest_id(s);
		/* 0: "from the start of this run" */
		last = r->last_id ? r->last_id : s->first_id - 1;
		if (last > s->head_id || last + 1 < first)
			next = first;   /* missed events are gone (or reset) */
		else
			next = last + 1;
		c->next_id = next;
		/* Replay no more than the client may lag behind. */
		while (c->next_id < s->head_id &&
		    lag_bytes(s, c) > s->o.client_buffer)
			c->next_id++;
		if (c->next_id != last + 1) {
			n = (size_t)snprintf(buf, sizeof buf, "event: gap\n"
				"data: {\"after\":%llu,\"next\":%llu}\n\n",
				(unsigned long long)r->last_id,
				(unsigned long long)c->next_id);
			sse_ctl_append(c, buf, n);
		}
	} else {
		c->next_id = next;
	}
	sse_flush_client(s, c);
}

void
sse_flush_stream(struct cmt_sse *s, struct client *c)
{
	struct iovec iov[MAX_IOV];
	struct msghdr msg = { 0 };
	struct slot *sl;
	uint64_t id;
	size_t k, used, off;
	ssize_t n;
	int has_ctl, sent;

	for (;;) {
		k = 0;
		/* Control bytes only between frames, never inside one. */
		has_ctl = c->off == 0 && c->ctl_off < c->ctl_len;
		if (has_ctl) {
			iov[k].iov_base = c->ctl + c->ctl_off;
			iov[k++].iov_len = c->ctl_len - c->ctl_off;
		}
		for (id = c->next_id, off = c->off; id <= s->head_id &&
		    k < MAX_IOV; id++, off = 0) {
			sl = &s->ring[id % s->cap];
			iov[k].iov_base = sl->buf + off;
			iov[k++].iov_len = sl->len - off;
		}
		if (k == 0)
			return;
		msg.msg_iov = iov;
		msg.msg_iovlen = k;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if ((sent = sse_sent(s, c, n)) <= 0) {
			if (sent < 0)
				return;
			continue;
		}
		used = (size_t)n;
		if (has_ctl) {
			k = c->ctl_len - c->ctl_off;
			if (used < k) {
				c->ctl_off += used;
				continue;
			}
			used -= k;
			c->ctl_off = c->ctl_len = 0;
		}
		while (used > 0) {
			sl = &s->ring[c->next_id % s->cap];
			k = sl->len - c->off;
			if (used < k) {
				c->off += used;
				break;
			}
			used -= k;
			c->off = 0;
			c->next_id++;
			s->st.events_out++;
		}
	}
}

static void
drop_slow(struct cmt_sse *s, struct client *c)
{
	s->st.clients_dropped++;
	sse_client_close(s, c);
}

/* The status event: the server's wall clock, the input's state and its
 * last line's arrival, so a page can tell old data from a dead feed. */
static size_t
status_frame(const struct cmt_sse *s, char *buf, size_t cap)
{
	int64_t now = cmt_clock_wall_ms();
	size_t n = 0;

	cmt_strcat_printf(buf, cap, &n, "event: status\ndata: {\"now\":%lld,"
		"\"input\":\"%s\",\"lines\":%llu,\"lines_1m\":%llu,"
		"\"last_line\":", (long long)now, s->input_open ? "open" :
		"ended", (unsigned long long)s->st.lines_in,
		(unsigned long long)sse_lines_last_minute(s, now));
	if (s->st.lines_in)
		cmt_strcat_printf(buf, cap, &n, "%lld",
			(long long)s->st.last_line_ms);
	else
		cmt_strcat_printf(buf, cap, &n, "null");
	cmt_strcat_printf(buf, cap, &n, ",\"keep_ms\":%lld,\"mode\":",
		(long long)(s->hist ? s->o.keep_ms : 0));
	if (s->o.mode)
		cmt_strcat_printf(buf, cap, &n, "\"%s\"", s->o.mode);
	else
		cmt_strcat_printf(buf, cap, &n, "null");
	cmt_strcat_printf(buf, cap, &n, ",\"last_id\":%llu}\n\n",
		(unsigned long long)s->head_id);
	return n;
}

/* Between frames, and never piled up behind a client that lags. */
void
sse_status_to(struct cmt_sse *s, struct client *c)
{
	char buf[512];
	size_t n;

	if (!s->o.status_ms || c->ctl_len > c->ctl_off + CTL_CAP / 2)
		return;
	n = status_frame(s, buf, sizeof buf);
	sse_ctl_append(c, buf, n);
}

void
sse_status_all(struct cmt_sse *s)
{
	char buf[512];
	struct client *c, *next;
	size_t n;

	if (!s->o.status_ms)
		return;
	n = status_frame(s, buf, sizeof buf);
	for (c = s->clients; c; c = next) {
		next = c->next;
		if (c->state != C_STREAM || c->ctl_len > c->ctl_off)
			continue;
		c->ctl_len = c->ctl_off = 0;
		sse_ctl_append(c, buf, n);
		sse_flush_stream(s, c);
	}
}

/* Append one event to the ring and send it to every stream. */
void
sse_publish(struct cmt_sse *s, const char *line, size_t len,
	uint64_t lineno)
{
	struct sse_line li;
	struct slot *sl;
	struct client *c, *next;
	uint64_t id = s->head_id + 1;
	size_t need, n, data;
	char *p;

	sse_line_inspect(line, len, s->o.event_field, &li);
	if (!s->o.stamp)
		li.stamped = 1;   /* sent as it is */
	need = len + FRAME_EXTRA;
	sl = &s->ring[id % s->cap];
	if (s->count == s->cap) {
		/* The oldest event leaves: who still needs it is too slow. */
		for (c = s->clients; c; c = next) {
			next = c->next;
			if (c->state == C_STREAM && c->next_id <= sl->id)
				drop_slow(s, c);
		}
		s->st.backlog_bytes -= sl->len;
		s->count--;
	}
	if (sl->cap < need) {
		if (!(p = realloc(sl->buf, need))) {
			s->st.lines_skipped++;   /* ids stay contiguous */
			if (s->o.on_skip)
				s->o.on_skip(s->o.ctx, lineno, "out of memory");
			return;
		}
		sl->buf = p;
		sl->cap = need;
	}
	n = 0;
	cmt_strcat_printf(sl->buf, sl->cap, &n, "id: %llu\n",
		(unsigned long long)id);
	if (li.type_len)
		cmt_strcat_printf(sl->buf, sl->cap, &n, "event: %s\n", li.type);
	memcpy(sl->buf + n, "data: ", 6);
	data = n + 6;
	n = data + sse_line_stamp(line, len, &li, s->now_wall, sl->buf + data);
	if (s->hist)
		sse_hist_add(s, id, &li, sl->buf + data, n - data);
	memcpy(sl->buf + n, "\n\n", 2);
	sl->len = n + 2;
	sl->id = id;
	sl->start = s->total_bytes;
	s->total_bytes += sl->len;
	s->st.backlog_bytes += sl->len;
	s->head_id = id;
	s->count++;
	for (c = s->clients; c; c = next) {
		next = c->next;
		if (c->state != C_STREAM)
			continue;
		/* One event may always be queued, however large it is. */
		if (c->next_id < id && lag_bytes(s, c) > s->o.client_buffer)
			drop_slow(s, c);
		else
			sse_flush_stream(s, c);
	}
}
