/* Fuzz target: cmt-sse's HTTP request-head parser, fed the whole input and
 * every prefix a slow client could have sent so far.  A prefix of a
 * complete head must never be judged complete at a different length, and
 * every slice must lie inside the head.  The query of a parsed request
 * goes through the query readers (GET /history's, any parameter), whose
 * values must fit their buffers and be found again the same way. */
#include <string.h>

#include "cmt_sse.h"
#include "fuzz.h"

static void
query(const struct cmt_sse_req *r)
{
	static const char *const names[] = { "sym", "since", "last",
		"lastEventId", "" };
	struct cmt_sse_hq hq;
	char err[CMT_ERRLEN], out[64], again[64];
	long n, m;
	size_t i;

	if (cmt_sse_history_query(r->query, r->query_len, &hq, err) ==
	    CMT_OK) {
		FUZZ_CHECK(strlen(hq.sym) < sizeof hq.sym);
		FUZZ_CHECK(hq.last_ms >= -1);
	} else {
		FUZZ_CHECK(strchr(err, ':'));   /* names the parameter */
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		n = cmt_sse_query_param(r->query, r->query_len, names[i], out,
			sizeof out);
		FUZZ_CHECK(n >= -2 && n < (long)sizeof out);
		if (n >= 0)
			FUZZ_CHECK(strlen(out) <= (size_t)n);  /* %00 may cut */
		m = cmt_sse_query_param(r->query, r->query_len, names[i], again,
			sizeof again);
		FUZZ_CHECK(m == n && (n < 0 || memcmp(out, again, (size_t)n) ==
			0));
	}
}

static int
parse(const char *buf, size_t len, struct cmt_sse_req *r)
{
	int st;

	memset(r, 0, sizeof *r);
	st = cmt_sse_parse_request(buf, len, r);
	FUZZ_CHECK(st == 0 || st == 200 || st == 400 || st == 414 ||
		st == 431 || st == 505);
	if (st == 200) {
		FUZZ_CHECK(r->head_len > 0 && r->head_len <= len);
		FUZZ_CHECK(r->head_len <= CMT_SSE_MAX_HEAD);
		FUZZ_CHECK(r->path >= buf &&
			r->path + r->path_len <= buf + r->head_len);
		FUZZ_CHECK(r->path_len > 0 && r->path[0] == '/');
		FUZZ_CHECK(!r->query || (r->query >= buf &&
			r->query + r->query_len <= buf + r->head_len));
	}
	if (st == 0)
		FUZZ_CHECK(len < CMT_SSE_MAX_HEAD + 4);
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmt_sse_req whole, part;
	char *buf = fuzz_strdup(data, size);
	int st, pst;
	size_t step = size > 512 ? size / 64 : 1;

	st = parse(buf, size, &whole);
	if (st == 200)
		query(&whole);
	for (size_t n = 0; n < size; n += step) {
		char *pre = fuzz_strdup(data, n);

		pst = parse(pre, n, &part);
		/* once a prefix is decided, the longer input agrees */
		if (pst == 200) {
			FUZZ_CHECK(st == 200 && part.head_len == whole.head_len);
			FUZZ_CHECK(part.method == whole.method);
			FUZZ_CHECK(part.last_id == whole.last_id);
		}
		free(pre);
	}
	free(buf);
	return 0;
}
