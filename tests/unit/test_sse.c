/* Unit tests for the SSE server's pure parts: the HTTP request-head parser,
 * event types from JSON lines, option checks and the metrics text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_sse.h"

static int
parse(const char *s, struct cmt_sse_req *r)
{
	return cmt_sse_parse_request(s, strlen(s), r);
}

static void
a_plain_get_is_parsed_into_method_path_and_query(void **state)
{
	static const char req[] = "GET /events?x=1&lastEventId=42 HTTP/1.1\r\n"
		"Host: localhost\r\nAccept: text/event-stream\r\n\r\nBODY";
	struct cmt_sse_req r;

	assert_int_equal(parse(req, &r), 200);
	assert_int_equal(r.method, CMT_SSE_GET);
	assert_int_equal(r.path_len, 7);
	assert_memory_equal(r.path, "/events", 7);
	assert_int_equal(r.query_len, strlen("x=1&lastEventId=42"));
	assert_true(r.has_last_id);
	assert_int_equal(r.last_id, 42);
	assert_int_equal(r.head_len, strlen(req) - 4);
}

static void
the_last_event_id_header_wins_over_the_query(void **state)
{
	struct cmt_sse_req r;

	assert_int_equal(parse("GET /events?lastEventId=0 HTTP/1.1\r\n"
		"Host: h\r\nlast-event-id:  17 \r\n\r\n", &r), 200);
	assert_true(r.has_last_id);
	assert_int_equal(r.last_id, 17);
	/* A non-numeric id is not ours: the client starts afresh. */
	assert_int_equal(parse("GET /events?lastEventId=5 HTTP/1.1\r\n"
		"Host: h\r\nLast-Event-ID: abc\r\n\r\n", &r), 200);
	assert_false(r.has_last_id);
	assert_int_equal(parse("GET /events HTTP/1.1\r\nHost: h\r\n\r\n", &r),
		200);
	assert_false(r.has_last_id);
	assert_null(r.query);
}

static void
head_and_other_methods_are_told_apart(void **state)
{
	struct cmt_sse_req r;

	assert_int_equal(parse("HEAD / HTTP/1.0\r\n\r\n", &r), 200);
	assert_int_equal(r.method, CMT_SSE_HEAD);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: h\r\n\r\n", &r), 200);
	assert_int_equal(r.method, CMT_SSE_OTHER);
	/* Methods are case-sensitive. */
	assert_int_equal(parse("get / HTTP/1.1\r\nHost: h\r\n\r\n", &r), 200);
	assert_int_equal(r.method, CMT_SSE_OTHER);
}

static void
bare_newlines_are_accepted_as_line_ends(void **state)
{
	struct cmt_sse_req r;

	assert_int_equal(parse("GET /healthz HTTP/1.1\nHost: h\n\n", &r), 200);
	assert_int_equal(r.path_len, 8);
}

static void
an_incomplete_head_asks_for_more(void **state)
{
	struct cmt_sse_req r;

	assert_int_equal(parse("", &r), 0);
	assert_int_equal(parse("GET /events HTT", &r), 0);
	assert_int_equal(parse("GET /events HTTP/1.1\r\nHost: h\r\n", &r), 0);
	assert_int_equal(parse("GET /events HTTP/1.1\r\nHost: h\r\n\r", &r), 0);
}

static void
every_prefix_of_a_request_asks_for_more_and_the_whole_parses(void **state)
{
	static const char req[] = "GET /events?lastEventId=9 HTTP/1.1\r\n"
		"Host: 127.0.0.1:8080\r\nUser-Agent: t\r\n"
		"Last-Event-ID: 12\r\n\r\n";
	struct cmt_sse_req r;
	size_t len;
	char *buf;

	/* Exact-size copies, so a read past the end shows under ASan. */
	for (len = 0; len <= sizeof req - 1; len++) {
		buf = malloc(len ? len : 1);
		memcpy(buf, req, len);
		if (len < sizeof req - 1)
			assert_int_equal(cmt_sse_parse_request(buf, len, &r), 0);
		else
			assert_int_equal(cmt_sse_parse_request(buf, len, &r),
				200);
		free(buf);
	}
	assert_int_equal(r.last_id, 12);
	assert_int_equal(r.head_len, sizeof req - 1);
}

static void
malformed_heads_are_bad_requests(void **state)
{
	static const char *bad[] = {
		"GET\r\n\r\n",
		"GET /\r\n\r\n",                       /* HTTP/0.9 */
		"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",  /* two spaces */
		"GET events HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
		"GET / HTTX/1.1\r\nHost: h\r\n\r\n",
		"GE(T / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",               /* no Host in 1.1 */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\001b\r\n\r\n",
		"GET /a\001 HTTP/1.1\r\nHost: h\r\n\r\n",
	};
	struct cmt_sse_req r;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse(bad[i], &r) != 400)
			fail_msg("accepted: %s", bad[i]);
}

static void
other_http_versions_are_refused_with_505(void **state)
{
	struct cmt_sse_req r;

	assert_int_equal(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n", &r), 505);
	assert_int_equal(parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n", &r), 505);
}

static void
oversized_heads_are_refused_before_they_are_complete(void **state)
{
	struct cmt_sse_req r;
	char *buf = malloc(CMT_SSE_MAX_HEAD + 64);
	size_t n;

	/* A request line longer than the limit, no newline yet: 414. */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', CMT_SSE_MAX_REQLINE);
	assert_int_equal(cmt_sse_parse_request(buf, CMT_SSE_MAX_REQLINE + 5, &r),
		414);
	/* The same line, exactly at the limit and complete, is fine. */
	n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'a', CMT_SSE_MAX_REQLINE - 5 - 9);
	n = CMT_SSE_MAX_REQLINE - 9;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_int_equal(cmt_sse_parse_request(buf, n, &r), 200);
	/* Headers that never end: 431 once the head limit is reached. */
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
	while (n + 1010 < CMT_SSE_MAX_HEAD) {
		n += (size_t)sprintf(buf + n, "X-Pad: ");
		memset(buf + n, 'p', 1000);
		n += 1000;
		n += (size_t)sprintf(buf + n, "\r\n");
	}
	assert_int_equal(cmt_sse_parse_request(buf, n, &r), 0);
	memset(buf + n, 'x', CMT_SSE_MAX_HEAD - n);
	assert_int_equal(cmt_sse_parse_request(buf, CMT_SSE_MAX_HEAD, &r), 431);
	free(buf);
}

static void
too_many_headers_are_refused_with_431(void **state)
{
	char buf[CMT_SSE_MAX_HEAD];
	struct cmt_sse_req r;
	size_t n;
	int i;

	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (i = 0; i < CMT_SSE_MAX_HEADERS; i++)
		n += (size_t)sprintf(buf + n, "X%d: 1\r\n", i);
	n += (size_t)sprintf(buf + n, "\r\n");
	assert_int_equal(cmt_sse_parse_request(buf, n, &r), 431);
}

static void
the_event_type_comes_from_a_plain_string_member(void **state)
{
	char out[CMT_SSE_MAX_EVENT];
	const char *l1 = "{\"t\":1,\"kind\":\"metrics\",\"n\":3}";
	const char *l2 = "{\"kind\":\"two words\"}";
	const char *l3 = "{\"kind\":1}";
	const char *l4 = "not json";
	const char *l5 = "{\"sym\":\"BTC-USD\"}";

	assert_int_equal(cmt_sse_event_type(l1, strlen(l1), "kind", out), 7);
	assert_string_equal(out, "metrics");
	assert_int_equal(cmt_sse_event_type(l5, strlen(l5), "sym", out), 7);
	assert_string_equal(out, "BTC-USD");
	/* Anything that could break the SSE framing or is not a name: none. */
	assert_int_equal(cmt_sse_event_type(l2, strlen(l2), "kind", out), 0);
	assert_int_equal(cmt_sse_event_type(l3, strlen(l3), "kind", out), 0);
	assert_int_equal(cmt_sse_event_type(l4, strlen(l4), "kind", out), 0);
	assert_int_equal(cmt_sse_event_type(l1, strlen(l1), "sym", out), 0);
}

static void
query_parameters_are_found_by_name_and_percent_decoded(void **state)
{
	static const char q[] = "a=1&sym=BTC%2dusd&empty=&flag&x=a+b&sym=ETH";
	char out[16];

	assert_int_equal(cmt_sse_query_param(q, strlen(q), "sym", out,
		sizeof out), 7);
	assert_string_equal(out, "BTC-usd");     /* the first one counts */
	assert_int_equal(cmt_sse_query_param(q, strlen(q), "empty", out,
		sizeof out), 0);
	assert_int_equal(cmt_sse_query_param(q, strlen(q), "flag", out,
		sizeof out), 0);
	assert_int_equal(cmt_sse_query_param(q, strlen(q), "x", out,
		sizeof out), 3);
	assert_string_equal(out, "a b");
	assert_int_equal(cmt_sse_query_param(q, strlen(q), "sy", out,
		sizeof out), -1);
	assert_int_equal(cmt_sse_query_param(NULL, 0, "sym", out,
		sizeof out), -1);
	/* a bad escape, or a value that does not fit: malformed */
	assert_int_equal(cmt_sse_query_param("s=%4", 4, "s", out,
		sizeof out), -2);
	assert_int_equal(cmt_sse_query_param("s=%zz", 5, "s", out,
		sizeof out), -2);
	assert_int_equal(cmt_sse_query_param("s=0123456789abcdef", 18, "s",
		out, sizeof out), -2);
	/* only the query's own bytes are read */
	assert_int_equal(cmt_sse_query_param("s=12&t=3", 3, "s", out,
		sizeof out), 1);
	assert_int_equal(cmt_sse_query_param("s=12&t=3", 3, "t", out,
		sizeof out), -1);
}

static void
the_history_query_names_a_symbol_a_time_and_a_span(void **state)
{
	struct cmt_sse_hq hq;
	char err[CMT_ERRLEN];
	const char *q = "sym=BTC-USD&since=1709596800000&last=90m";

	assert_int_equal(cmt_sse_history_query(q, strlen(q), &hq, err),
		CMT_OK);
	assert_string_equal(hq.sym, "BTC-USD");
	assert_true(hq.since == 1709596800000LL);
	assert_true(hq.last_ms == 5400000);
	assert_int_equal(cmt_sse_history_query(NULL, 0, &hq, err), CMT_OK);
	assert_string_equal(hq.sym, "");
	assert_true(hq.since == INT64_MIN && hq.last_ms == -1);
	q = "since=-5";   /* before the epoch is a time too */
	assert_int_equal(cmt_sse_history_query(q, strlen(q), &hq, err),
		CMT_OK);
	assert_true(hq.since == -5);
	q = "since=soon";
	assert_int_equal(cmt_sse_history_query(q, strlen(q), &hq, err),
		CMT_EVALUE);
	assert_string_equal(err, "since: not a time in ms since the epoch");
	q = "last=-1h";
	assert_int_equal(cmt_sse_history_query(q, strlen(q), &hq, err),
		CMT_EVALUE);
	assert_non_null(strstr(err, "last:"));
	q = "sym=";
	assert_int_equal(cmt_sse_history_query(q, strlen(q), &hq, err),
		CMT_EVALUE);
	q = "sym=A%22B";
	assert_int_equal(cmt_sse_history_query(q, strlen(q), &hq, err),
		CMT_EVALUE);
	assert_string_equal(err, "sym: not a symbol");
	q = "sym=ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
	assert_int_equal(cmt_sse_history_query(q, strlen(q), &hq, err),
		CMT_EVALUE);
}

static void
the_history_bound_is_a_share_per_symbol(void **state)
{
	char err[CMT_ERRLEN];
	size_t day = cmt_sse_history_share(24 * 3600000LL);

	/* a day at the nominal rate, and one chunk for the one being freed */
	assert_true(day > 24 * (size_t)CMT_SSE_HIST_NOMINAL);
	assert_true(day < 24 * (size_t)CMT_SSE_HIST_NOMINAL + 20000);
	assert_int_equal(cmt_sse_history_symbols(24 * 3600000LL,
		(size_t)256 << 20), ((size_t)256 << 20) / day);
	assert_int_equal(cmt_sse_history_symbols(0, 1 << 20), 0);
	assert_int_equal(cmt_sse_history_check(0, 0, err), CMT_OK);
	assert_int_equal(cmt_sse_history_check(3600000, 1 << 20, err),
		CMT_OK);
	assert_int_equal(cmt_sse_history_check(30 * 86400000LL, 16 << 20,
		err), CMT_EVALUE);
	assert_non_null(strstr(err, "per symbol-hour"));
	assert_non_null(strstr(err, "--max-memory 16.0 MiB"));
}

static void
bad_options_are_refused_by_open(void **state)
{
	struct cmt_sse_opts o;
	struct cmt_sse *s;
	char err[CMT_ERRLEN];

	cmt_sse_defaults(&o);
	o.port = 0;
	o.in_fd = -1;
	o.backlog = 0;
	assert_int_equal(cmt_sse_open(&s, &o, err), CMT_EVALUE);
	assert_null(s);
	o.backlog = 8;
	o.bind = "localhost";   /* a name, not an address */
	assert_int_equal(cmt_sse_open(&s, &o, err), CMT_EVALUE);
	assert_non_null(strstr(err, "localhost"));
	o.bind = "127.0.0.1";
	o.cors = "a\r\nSet-Cookie: x";
	assert_int_equal(cmt_sse_open(&s, &o, err), CMT_EVALUE);
}

static void
metrics_are_prometheus_text_with_help_and_type(void **state)
{
	struct cmt_sse_opts o;
	struct cmt_sse *s;
	char err[CMT_ERRLEN], buf[8192];
	size_t n;

	cmt_sse_defaults(&o);
	o.port = 0;
	o.in_fd = -1;
	o.backlog = 77;
	assert_int_equal(cmt_sse_open(&s, &o, err), CMT_OK);
	assert_true(cmt_sse_port(s) > 0);
	n = cmt_sse_metrics(s, buf, sizeof buf);
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, "# TYPE cmt_sse_clients gauge\n"
		"cmt_sse_clients 0\n"));
	assert_non_null(strstr(buf, "# TYPE cmt_sse_events_in_total counter\n"
		"cmt_sse_events_in_total 0\n"));
	assert_non_null(strstr(buf, "\ncmt_sse_backlog_capacity 77\n"));
	assert_non_null(strstr(buf, "\ncmt_sse_input_open 0\n"));
	/* A short buffer truncates cleanly, NUL-terminated. */
	n = cmt_sse_metrics(s, buf, 100);
	assert_true(n < 100);
	assert_int_equal(strlen(buf), n);
	cmt_sse_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_plain_get_is_parsed_into_method_path_and_query),
		cmocka_unit_test(the_last_event_id_header_wins_over_the_query),
		cmocka_unit_test(head_and_other_methods_are_told_apart),
		cmocka_unit_test(bare_newlines_are_accepted_as_line_ends),
		cmocka_unit_test(an_incomplete_head_asks_for_more),
		cmocka_unit_test(
			every_prefix_of_a_request_asks_for_more_and_the_whole_parses),
		cmocka_unit_test(malformed_heads_are_bad_requests),
		cmocka_unit_test(other_http_versions_are_refused_with_505),
		cmocka_unit_test(oversized_heads_are_refused_before_they_are_complete),
		cmocka_unit_test(too_many_headers_are_refused_with_431),
		cmocka_unit_test(the_event_type_comes_from_a_plain_string_member),
		cmocka_unit_test(
			query_parameters_are_found_by_name_and_percent_decoded),
		cmocka_unit_test(
			the_history_query_names_a_symbol_a_time_and_a_span),
		cmocka_unit_test(the_history_bound_is_a_share_per_symbol),
		cmocka_unit_test(bad_options_are_refused_by_open),
		cmocka_unit_test(metrics_are_prometheus_text_with_help_and_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
