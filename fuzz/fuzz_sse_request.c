/* Fuzz target: cmt-sse's HTTP request-head parser, fed the whole input and
 * every prefix a slow client could have sent so far.  A prefix of a
 * complete head must never be judged complete at a different length, and
 * every slice must lie inside the head. */
#include <string.h>

#include "cmt_sse.h"
#include "fuzz.h"

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
