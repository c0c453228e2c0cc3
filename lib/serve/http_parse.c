/* HTTP/1.x request head parsing for cmt-sse, kept apart from the loop that
 * serves the requests: pure functions over the caller's buffer.  The
 * parsed request's slices point into that buffer; nothing is allocated. */
#include <string.h>
#include <strings.h>

#include "cmt_sse.h"

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
ieq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* ?lastEventId=N among &-separated parameters. */
static void
query_last_id(struct cmt_sse_req *req)
{
	const char *p = req->query, *end = p + req->query_len, *amp;
	static const char key[] = "lastEventId=";

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (!amp)
			amp = end;
		size_t n = (size_t)(amp - p), k = sizeof key - 1;

		if (n > k && memcmp(p, key, k) == 0 &&
		    parse_u64(p + k, n - k, &req->last_id) == 0) {
			req->has_last_id = 1;
			return;
		}
		p = amp + 1;
	}
}

static int
parse_request_line(const char *s, size_t len, struct cmt_sse_req *req,
	int *http11)
{
	const char *sp1, *sp2, *end = s + len, *t, *q;

	sp1 = memchr(s, ' ', len);
	if (!sp1 || sp1 == s)
		return 400;
	for (t = s; t < sp1; t++)
		if (!is_tchar((unsigned char)*t))
			return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1 || sp1[1] != '/')
		return 400;
	for (t = sp1 + 1; t < sp2; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return 400;
	if ((size_t)(end - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0)
		return 400;
	t = sp2 + 6;
	if (t[0] < '0' || t[0] > '9' || t[1] != '.' || t[2] < '0' || t[2] > '9')
		return 400;
	if (t[0] != '1' || (t[2] != '0' && t[2] != '1'))
		return 505;
	*http11 = t[2] == '1';
	if (sp1 - s == 3 && memcmp(s, "GET", 3) == 0)
		req->method = CMT_SSE_GET;
	else if (sp1 - s == 4 && memcmp(s, "HEAD", 4) == 0)
		req->method = CMT_SSE_HEAD;
	else
		req->method = CMT_SSE_OTHER;
	req->path = sp1 + 1;
	q = memchr(req->path, '?', (size_t)(sp2 - req->path));
	req->path_len = (size_t)((q ? q : sp2) - req->path);
	if (q) {
		req->query = q + 1;
		req->query_len = (size_t)(sp2 - q - 1);
	}
	return 200;
}

int
cmt_sse_parse_request(const char *buf, size_t len, struct cmt_sse_req *req)
{
	const char *p = buf, *end = buf + len, *eol, *colon, *v, *ve, *t;
	size_t llen;
	int status, http11 = 0, hosts = 0, nheaders = 0, have_header_id = 0;

	memset(req, 0, sizeof *req);
	eol = memchr(p, '\n', len);
	if (!eol)
		return len > CMT_SSE_MAX_REQLINE + 1 ? 414 : 0;
	llen = (size_t)(eol - p);
	if (llen > 0 && p[llen - 1] == '\r')
		llen--;
	if (llen > CMT_SSE_MAX_REQLINE)
		return 414;
	if ((status = parse_request_line(p, llen, req, &http11)) != 200)
		return status;
	p = eol + 1;
	for (;;) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return len >= CMT_SSE_MAX_HEAD ? 431 : 0;
		if ((size_t)(eol + 1 - buf) > CMT_SSE_MAX_HEAD)
			return 431;
		llen = (size_t)(eol - p);
		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		if (llen == 0)
			break;
		if (++nheaders > CMT_SSE_MAX_HEADERS)
			return 431;
		colon = memchr(p, ':', llen);
		if (!colon || colon == p)
			return 400;
		for (t = p; t < colon; t++)
			if (!is_tchar((unsigned char)*t))
				return 400;
		v = colon + 1;
		ve = p + llen;
		for (t = v; t < ve; t++)
			if (((unsigned char)*t < ' ' && *t != '\t') ||
			    *t == 0x7f)
				return 400;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (ieq(p, (size_t)(colon - p), "Host")) {
			hosts++;
		} else if (ieq(p, (size_t)(colon - p), "Last-Event-ID")) {
			/* Ids are ours, so decimal; anything else is ignored
			 * like a missing header (the client starts afresh). */
			have_header_id = 1;
			req->has_last_id = parse_u64(v, (size_t)(ve - v),
				&req->last_id) == 0;
		}
		p = eol + 1;
	}
	if (hosts > 1 || (http11 && hosts == 0))
		return 400;
	req->head_len = (size_t)(eol + 1 - buf);
	if (!have_header_id && req->query)
		query_last_id(req);
	return 200;
}
