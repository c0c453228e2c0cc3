/* GET /history?sym=S&since=T&last=DUR: the store's lines as NDJSON, each
 * with "event_id" (its event's id) added as its last member, grouped by
 * symbol in the order the symbols first came, each symbol's in the order
 * received, then its latest partial line if no final line has caught up
 * with it.  The answer covers the events up to X-Last-Event-ID (the
 * newest when it was asked), so a client that then follows /events from
 * that id misses nothing and gets nothing twice.  It is sent in HTTP
 * chunks of at most HIST_BUF bytes, made as the socket drains, from
 * cursors into the store: a client's memory is its buffer, whatever the
 * history's size, and at most HIST_READERS answers are made at once.
 * The reader and its buffer are the client's, freed with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_clock.h"
#include "cmt_strbuf.h"
#include "serve_int.h"

#define HIST_READERS 64
#define HIST_BUF     65536
#define CHUNK_HEAD   10      /* "%08zx\r\n" */
#define LAST_CHUNK   "0\r\n\r\n"

void
sse_history_start(struct cmt_sse *s, struct client *c,
	const struct cmt_sse_req *r)
{
	struct cmt_sse_hq q;
	struct hist_reader *hr;
	struct hist_sym *one = NULL;
	char err[CMT_ERRLEN];
	size_t i, n = 0, cap = HIST_BUF + s->o.max_line + STAMP_EXTRA + 64;

	if (!s->hist) {
		sse_reply_why(s, c, 404, "no history: cmt-sse --keep 0");
		return;
	}
	if (cmt_sse_history_query(r->query, r->query_len, &q, err) != CMT_OK) {
		sse_reply_why(s, c, 400, err);
		return;
	}
	if (s->hist_readers >= HIST_READERS) {
		sse_reply_why(s, c, 503, "too many history requests at once");
		return;
	}
	if (q.sym[0])
		one = sse_hist_find(s->hist, q.sym);
	if (!(hr = calloc(1, sizeof *hr)) || !(hr->cur = calloc(q.sym[0] ? 1 :
	    s->hist->nsym + 1, sizeof *hr->cur)) || !(c->out = malloc(cap))) {
		if (hr)
			free(hr->cur);
		free(hr);
		sse_client_close(s, c);
		return;
	}
	for (i = 0; i < s->hist->nsym; i++) {
		struct hist_sym *y = s->hist->sym[i];
		struct hist_cur *cu = &hr->cur[hr->ncur];

		if (q.sym[0] && y != one)
			continue;
		cu->sym = y;
		cu->since = q.since;
		if (q.last_ms >= 0 && y->newest_t != INT64_MIN &&
		    y->newest_t - q.last_ms > cu->since)
			cu->since = y->newest_t - q.last_ms;
		hr->ncur++;
	}
	hr->max_id = s->head_id;
	free(c->req);
	c->req = NULL;
	c->hist = hr;
	s->hist_readers++;
	c->out_cap = cap;
	cmt_strcat_printf(c->out, cap, &n, "HTTP/1.1 200 OK\r\n"
		"Content-Type: application/x-ndjson\r\n"
		"Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n"
		"Connection: close\r\nX-Last-Event-ID: %llu\r\n"
		"X-Server-Time: %lld\r\n", (unsigned long long)hr->max_id,
		(long long)cmt_clock_wall_ms());
	sse_cors_header(s, c->out, cap, &n);
	if (s->o.cors)
		cmt_strcat_printf(c->out, cap, &n, "Access-Control-Expose-"
			"Headers: X-Last-Event-ID, X-Server-Time\r\n");
	cmt_strcat_printf(c->out, cap, &n, "\r\n");
	c->out_len = n;
	c->out_off = 0;
	hr->finished = r->method == CMT_SSE_HEAD;
	c->state = C_REPLY;
	c->deadline = cmt_clock_mono_ms() + s->o.request_timeout_ms;
	sse_flush_client(s, c);
}

/* The next HTTP chunk of records into c->out; 0 when all is sent. */
int
sse_history_fill(struct cmt_sse *s, struct client *c)
{
	struct hist_reader *hr = c->hist;
	const struct hist_rec *r;
	const char *line;
	char head[32];
	size_t k, len;
	uint64_t id;
	size_t n = CHUNK_HEAD, room = c->out_cap - 2 - (sizeof LAST_CHUNK - 1);

	(void)s;
	if (hr->finished)
		return 0;
	while (hr->at < hr->ncur) {
		struct hist_cur *cu = &hr->cur[hr->at];

		if ((r = sse_hist_peek(cu, hr->max_id))) {
			line = (const char *)(r + 1);
			len = r->len;
			id = r->id;
		} else if (!cu->partial_done && n + cu->sym->partial_len + 40 >
		    room) {
			break;          /* the partial line in the next chunk */
		} else if ((line = sse_hist_partial(cu, hr->max_id, &len))) {
			id = cu->sym->partial_id;
		} else {
			hr->at++;
			continue;
		}
		if (n + len + 40 > room)
			break;
		/* a JSON object: the id goes before its last '}' */
		for (k = len; k > 1 && line[k - 1] != '}'; k--)
			;
		memcpy(c->out + n, line, k - 1);
		n += k - 1;
		n += (size_t)sprintf(c->out + n, ",\"event_id\":%llu}\n",
			(unsigned long long)id);
		if (r)
			sse_hist_skip(cu, r);
	}
	if (n > CHUNK_HEAD) {
		snprintf(head, sizeof head, "%08zx\r\n", n - CHUNK_HEAD);
		memcpy(c->out, head, CHUNK_HEAD);
		c->out[n++] = '\r';
		c->out[n++] = '\n';
	} else {
		n = 0;
	}
	if (hr->at == hr->ncur) {
		memcpy(c->out + n, LAST_CHUNK, sizeof LAST_CHUNK - 1);
		n += sizeof LAST_CHUNK - 1;
		hr->finished = 1;
	}
	c->out_len = n;
	c->out_off = 0;
	return 1;
}

void
sse_history_end(struct cmt_sse *s, struct client *c)
{
	if (!c->hist)
		return;
	free(c->hist->cur);
	free(c->hist);
	c->hist = NULL;
	s->hist_readers--;
}
