/* HTTP/1.x request head parsing for cmt-sse, kept apart from the loop that
 * serves the requests: pure functions over the caller's buffer.  The
 * parsed request's slices point into that buffer; nothing is allocated. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cmt_parse.h"
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

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into out (cap bytes, NUL-terminated); '+' is a
 * space, as forms write it.  Length, or -2 if malformed or too long. */
static long
url_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, k = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			if (i + 2 >= n)
				return -2;
			if ((hi = hex_digit(s[i + 1])) < 0 ||
			    (lo = hex_digit(s[i + 2])) < 0)
				return -2;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (k + 1 >= cap)
			return -2;
		out[k++] = c;
	}
	out[k] = '\0';
	return (long)k;
}

long
cmt_sse_query_param(const char *q, size_t len, const char *name, char *out,
	size_t cap)
{
	const char *p = q, *end = q ? q + len : q, *amp, *eq;
	size_t k = strlen(name), n;

	while (p && p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (!amp)
			amp = end;
		n = (size_t)(amp - p);
		eq = memchr(p, '=', n);
		if ((eq ? (size_t)(eq - p) : n) == k && memcmp(p, name, k) == 0)
			return eq ? url_decode(eq + 1, (size_t)(amp - eq - 1),
				out, cap) : (cap ? (out[0] = '\0', 0) : -2);
		p = amp + 1;
	}
	return -1;
}

/* ?lastEventId=N */
static void
query_last_id(struct cmt_sse_req *req)
{
	char v[24];

	if (cmt_sse_query_param(req->query, req->query_len, "lastEventId", v,
	    sizeof v) > 0 && parse_u64(v, strlen(v), &req->last_id) == 0)
		req->has_last_id = 1;
}

enum cmt_err
cmt_sse_history_query(const char *q, size_t len, struct cmt_sse_hq *hq,
	char *err)
{
	char v[64], why[CMT_ERRLEN];
	long n;
	size_t i;

	hq->sym[0] = '\0';
	hq->since = INT64_MIN;
	hq->last_ms = -1;
	n = cmt_sse_query_param(q, len, "sym", hq->sym, sizeof hq->sym);
	if (n == -2 || n == 0)
		return cmt_errf(err, CMT_EVALUE, "sym: not a symbol of at "
			"most %d bytes", CMT_SSE_MAX_SYM - 1);
	for (i = 0; n > 0 && i < (size_t)n; i++) {
		unsigned char c = (unsigned char)hq->sym[i];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\')
			return cmt_errf(err, CMT_EVALUE, "sym: not a symbol");
	}
	n = cmt_sse_query_param(q, len, "since", v, sizeof v);
	if (n != -1) {
		long long t;

		if (n < 0 || cmt_parse_int(v, -(1LL << 53), 1LL << 53, &t,
		    why) != CMT_OK)
			return cmt_errf(err, CMT_EVALUE, "since: not a time in "
				"ms since the epoch");
		hq->since = t;
	}
	n = cmt_sse_query_param(q, len, "last", v, sizeof v);
	if (n != -1 && (n < 0 || cmt_parse_duration_ms(v, &hq->last_ms,
	    why) != CMT_OK || hq->last_ms < 0))
		return cmt_errf(err, CMT_EVALUE, "last: not a duration (e.g. "
			"1h, 90m)");
	return CMT_OK;
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
