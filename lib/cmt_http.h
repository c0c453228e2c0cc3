/* HTTP GET over libcurl for cmt-fetch: one reused easy handle (keep-alive),
 * timeouts, compression, a bounded response body, Retry-After parsing and
 * a classification of every outcome into ok / retry / rate-limit / fatal.
 * The client owns the body buffer; a response's body is valid until the
 * next cmt_http_get or cmt_http_free. */
#ifndef CMT_HTTP_H
#define CMT_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"

#define CMT_HTTP_USER_AGENT "cmt-fetch/" CMT_VERSION " (cmt)"
#define CMT_HTTP_MAX_BODY (8u << 20)

enum cmt_http_class {
	CMT_HTTP_OK,     /* 2xx with a body we may parse */
	CMT_HTTP_RETRY,  /* transient: 5xx, 408, timeout, DNS, reset, too big */
	CMT_HTTP_RATE,   /* 429 or 418: wait (Retry-After when given) */
	CMT_HTTP_FATAL   /* permanent: other 4xx, bad URL, stopped by signal */
};

struct cmt_http_opts {
	long connect_timeout_ms;
	long timeout_ms;                 /* whole transfer */
	size_t max_body;                 /* 0: CMT_HTTP_MAX_BODY */
	const char *user_agent;          /* NULL: CMT_HTTP_USER_AGENT */
	volatile sig_atomic_t *stop;     /* transfer aborts when *stop != 0 */
	/* a response header holding a whole number to report in
	 * rate_used (a venue's request budget used); NULL: none */
	const char *rate_header;
};

struct cmt_http_resp {
	enum cmt_http_class cls;
	long status;                     /* 0 when no HTTP response came */
	const char *body;                /* NUL-terminated, owned by client */
	size_t len;
	int json;                        /* Content-Type names JSON, or absent */
	int64_t retry_after_ms;          /* -1: no usable Retry-After */
	long rate_used;                  /* opts.rate_header's value; -1: absent */
	int stopped;                     /* aborted because *stop was set */
	int cut;                         /* cut by cmt_http_set_deadline's time */
	char err[CMT_ERRLEN];            /* why, when cls != CMT_HTTP_OK */
};

struct cmt_http;

struct cmt_http *cmt_http_new(const struct cmt_http_opts *o);
void cmt_http_free(struct cmt_http *h);

/* Cut every later request at this monotonic time (ms) if it comes before
 * the request's own timeout; 0: no deadline. */
void cmt_http_set_deadline(struct cmt_http *h, int64_t deadline);

/* GET url with optional extra header lines ("Name: value", NULL-ended).
 * Returns CMT_OK when the exchange happened (r->cls says how it went),
 * CMT_ENOMEM when the handle could not be set up. */
enum cmt_err cmt_http_get(struct cmt_http *h, const char *url,
	const char *const *headers, struct cmt_http_resp *r);

/* Classify an HTTP status. */
enum cmt_http_class cmt_http_classify_status(long status);

/* Retry-After value (delay-seconds or an IMF-fixdate such as
 * "Wed, 21 Oct 2015 07:28:00 GMT") as a delay in ms from now_ms; a date in
 * the past gives 0.  -1 when the value is not valid. */
int64_t cmt_http_retry_after(const char *value, int64_t now_ms);

#endif
