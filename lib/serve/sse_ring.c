/* cmt-sse's event ring: each input line formatted once, in a slot, as an
 * SSE frame; streams as cursors into the ring (Last-Event-ID, gap, replay
 * within the client buffer) and sent from it.  The slots are the
 * server's: their buffers grow here and are freed by cmt_sse_close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmt_json.h"
#include "cmt_strbuf.h"
#include "serve_int.h"

#define MAX_IOV     64
#define FRAME_EXTRA (32 + CMT_SSE_MAX_EVENT)  /* id:, event:, data: */

size_t
cmt_sse_event_type(const char *line, size_t len, const char *field,
	char *out)
{
	struct cmt_jscan js;
	struct cmt_jval k, v;
	size_t i;

	if (cmt_json_begin(&js, line, len, NULL) != CMT_OK)
		return 0;
	while (cmt_json_next(&js, &k, &v, NULL) == CMT_OK) {
		if (!cmt_json_streq(&k, field))
			continue;
		if (v.type != CMT_JSTRING || v.escaped || v.len == 0 ||
		    v.len >= CMT_SSE_MAX_EVENT)
			return 0;
		for (i = 0; i < v.len; i++) {
			unsigned char c = (unsigned char)v.raw[i];
			if (!((c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || strchr("-_.:", c)))
				return 0;
		}
		memcpy(out, v.raw, v.len);
		out[v.len] = '\0';
		return v.len;
	}
	return 0;
}

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
	int has_ctl;

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
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			sse_client_close(s, c);
			return;
		}
		s->st.bytes_out += (size_t)n;
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

/* Append one event to the ring and send it to every stream. */
void
sse_publish(struct cmt_sse *s, const char *line, size_t len,
	uint64_t lineno)
{
	char type[CMT_SSE_MAX_EVENT];
	struct slot *sl;
	struct client *c, *next;
	uint64_t id = s->head_id + 1;
	size_t tlen = 0, need, n;
	char *p;

	if (s->o.event_field)
		tlen = cmt_sse_event_type(line, len, s->o.event_field, type);
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
	if (tlen)
		cmt_strcat_printf(sl->buf, sl->cap, &n, "event: %s\n", type);
	memcpy(sl->buf + n, "data: ", 6);
	memcpy(sl->buf + n + 6, line, len);
	n += 6 + len;
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
