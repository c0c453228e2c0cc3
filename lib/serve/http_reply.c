/* cmt-sse's one-shot HTTP replies: status lines and headers, the router
 * (static files, /healthz, /metrics; /events goes to the stream,
 * /history to sse_history.c), and
 * sending a reply whole.  A reply's bytes are the client's (c->out), freed
 * with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmt_clock.h"
#include "cmt_strbuf.h"
#include "serve_int.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

/* The CORS headers, if any, appended at buf + *n (cmt_strcat_printf). */
void
sse_cors_header(const struct cmt_sse *s, char *buf, size_t cap, size_t *n)
{
	if (s->o.cors)
		cmt_strcat_printf(buf, cap, n, "Access-Control-Allow-Origin: "
			"%s\r\nVary: Origin\r\n", s->o.cors);
}

/* Header block of a one-shot response into buf; returns its length. */
static size_t
reply_head(const struct cmt_sse *s, int status, const char *type,
	size_t body_len, char *buf, size_t cap)
{
	size_t n = 0;

	cmt_strcat_printf(buf, cap, &n, "HTTP/1.1 %d %s\r\n"
		"Content-Type: %s\r\nContent-Length: %zu\r\n"
		"Cache-Control: no-cache\r\nConnection: close\r\n%s", status,
		reason(status), type, body_len,
		status == 405 ? "Allow: GET, HEAD\r\n" : "");
	sse_cors_header(s, buf, cap, &n);
	cmt_strcat_printf(buf, cap, &n, "\r\n");
	return n;
}

/* The body of every refusal: the status and its reason, one line, with
 * what was wrong when there is more to say. */
static size_t
status_body(int status, const char *why, char *body, size_t cap)
{
	int n = snprintf(body, cap, "%d %s%s%s\n", status, reason(status),
		why ? ": " : "", why ? why : "");

	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

/* For connections we will not serve: one try, no queue. */
void
sse_write_now(struct cmt_sse *s, int fd, int status)
{
	char buf[512], body[64];
	size_t n, b;

	b = status_body(status, NULL, body, sizeof body);
	n = reply_head(s, status, TEXT_PLAIN, b, buf, sizeof buf);
	memcpy(buf + n, body, b);
	if (send(fd, buf, n + b, MSG_NOSIGNAL) > 0)
		s->st.bytes_out += n + b;
}

void
sse_reply(struct cmt_sse *s, struct client *c, int status, const char *type,
	const char *body, size_t body_len, int head_only)
{
	char head[512];
	size_t n = reply_head(s, status, type, body_len, head, sizeof head);

	if (status >= 400)
		s->st.bad_requests++;
	if (head_only)
		body_len = 0;
	free(c->req);
	c->req = NULL;
	if (!(c->out = malloc(n + body_len))) {
		sse_client_close(s, c);
		return;
	}
	memcpy(c->out, head, n);
	if (body_len)
		memcpy(c->out + n, body, body_len);
	c->out_len = n + body_len;
	c->out_off = 0;
	c->state = C_REPLY;
	c->deadline = cmt_clock_mono_ms() + s->o.request_timeout_ms;
	sse_flush_client(s, c);
}

/* A status with its reason as a plain text body (refusals, errors). */
void
sse_reply_status(struct cmt_sse *s, struct client *c, int status)
{
	sse_reply_why(s, c, status, NULL);
}

void
sse_reply_why(struct cmt_sse *s, struct client *c, int status,
	const char *why)
{
	char body[CMT_ERRLEN + 64];
	size_t n = status_body(status, why, body, sizeof body);

	sse_reply(s, c, status, TEXT_PLAIN, body, n, 0);
}

static const struct cmt_sse_file *
find_file(const struct cmt_sse *s, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < s->o.nfiles; i++)
		if (strlen(s->o.files[i].path) == len &&
		    memcmp(s->o.files[i].path, path, len) == 0)
			return &s->o.files[i];
	return NULL;
}

void
sse_route(struct cmt_sse *s, struct client *c, const struct cmt_sse_req *r)
{
	const struct cmt_sse_file *f;
	char metrics[8192];
	size_t n;
	int head = r->method == CMT_SSE_HEAD;

	s->st.requests++;
	if (r->method == CMT_SSE_OTHER)
		sse_reply_status(s, c, 405);
	else if (r->path_len == 7 && memcmp(r->path, "/events", 7) == 0)
		sse_start_stream(s, c, r);
	else if (r->path_len == 8 && memcmp(r->path, "/history", 8) == 0)
		sse_history_start(s, c, r);
	else if (r->path_len == 8 && memcmp(r->path, "/metrics", 8) == 0) {
		n = cmt_sse_metrics(s, metrics, sizeof metrics);
		sse_reply(s, c, 200, "text/plain; version=0.0.4; charset=utf-8",
			metrics, n, head);
	} else if (r->path_len == 8 && memcmp(r->path, "/healthz", 8) == 0)
		sse_reply(s, c, 200, TEXT_PLAIN, "ok\n", 3, head);
	else if ((r->path_len == 1 || (r->path_len == 11 &&
	    memcmp(r->path, "/index.html", 11) == 0)) && s->o.page)
		sse_reply(s, c, 200, "text/html; charset=utf-8", s->o.page,
			s->o.page_len, head);
	else if ((f = find_file(s, r->path, r->path_len)))
		sse_reply(s, c, 200, f->type, f->body, f->len, head);
	else
		sse_reply_status(s, c, 404);
}

/* A reply made as it goes (GET /history) is refilled when drained; its
 * deadline moves with every write, so only a client that stops reading
 * runs out of time. */
void
sse_flush_reply(struct cmt_sse *s, struct client *c)
{
	ssize_t n;
	int k;

	for (;;) {
		while (c->out_off < c->out_len) {
			n = send(c->fd, c->out + c->out_off, c->out_len -
				c->out_off, MSG_NOSIGNAL);
			if ((k = sse_sent(s, c, n)) <= 0) {
				if (k < 0)
					return;
				continue;
			}
			c->out_off += (size_t)n;
			if (c->hist)
				c->deadline = cmt_clock_mono_ms() +
					s->o.request_timeout_ms;
		}
		if (!c->hist || !sse_history_fill(s, c))
			break;
	}
	/* Close only when the peer does (or at the deadline): closing with
	 * unread bytes, such as a request body, would reset the connection
	 * and could destroy the answer before the peer read it. */
	shutdown(c->fd, SHUT_WR);
	sse_drain_input(s, c);
}
