#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmt_clock.h"
#include "cmt_http.h"
#include "cmt_parse.h"

struct cmt_http {
	CURL *curl;
	char *buf;
	size_t len, cap, max_body;
	int too_big;
	int json;
	int64_t retry_after_ms;
	long rate_used;
	volatile sig_atomic_t *stop;
	const char *rate_header;
	long timeout_ms;        /* per request */
	int64_t deadline;       /* monotonic ms; 0: none */
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct cmt_http *h = arg;
	size_t add = size * n, cap;
	char *nb;

	if (h->len + add > h->max_body) {
		h->too_big = 1;
		return 0;        /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (h->len + add + 1 > h->cap) {
		cap = h->cap ? h->cap : 16384;
		while (cap < h->len + add + 1)
			cap *= 2;
		if (cap > h->max_body + 1)
			cap = h->max_body + 1;
		if (!(nb = realloc(h->buf, cap)))
			return 0;
		h->buf = nb;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, p, add);
	h->len += add;
	return add;
}

/* Header names are matched case-insensitively; values are trimmed. */
static int
header_value(const char *line, size_t n, const char *name, char *out,
	size_t cap)
{
	size_t k = strlen(name), i, j;

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return 0;
	for (i = k + 1; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	for (j = n; j > i && isspace((unsigned char)line[j - 1]); j--)
		;
	if (j - i >= cap)
		j = i + cap - 1;
	memcpy(out, line + i, j - i);
	out[j - i] = '\0';
	return 1;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct cmt_http *h = arg;
	size_t len = size * n;
	char v[128], *end;
	long w;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after a redirect or 100-continue) */
		h->json = 1;
		h->retry_after_ms = -1;
		h->rate_used = -1;
	} else if (header_value(p, len, "Content-Type", v, sizeof v)) {
		h->json = strstr(v, "json") != NULL;
	} else if (header_value(p, len, "Retry-After", v, sizeof v)) {
		h->retry_after_ms = cmt_http_retry_after(v,
			(int64_t)time(NULL) * 1000);
	} else if (h->rate_header &&
	    header_value(p, len, h->rate_header, v, sizeof v)) {
		w = strtol(v, &end, 10);
		if (end != v && *end == '\0' && w >= 0)
			h->rate_used = w;
	}
	return len;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
	curl_off_t un)
{
	struct cmt_http *h = arg;

	(void)dt; (void)dn; (void)ut; (void)un;
	return h->stop && *h->stop;
}

struct cmt_http *
cmt_http_new(const struct cmt_http_opts *o)
{
	static int global_done;
	struct cmt_http *h;
	CURL *c;

	/* curl_global_init is idempotent in effect; doing it once per process
	 * keeps it off the per-request path. */
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_done = 1;
	}
	if (!(h = calloc(1, sizeof *h)))
		return NULL;
	if (!(c = curl_easy_init())) {
		free(h);
		return NULL;
	}
	h->curl = c;
	h->max_body = o->max_body ? o->max_body : CMT_HTTP_MAX_BODY;
	h->stop = o->stop;
	h->rate_header = o->rate_header;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT,
		o->user_agent ? o->user_agent : CMT_HTTP_USER_AGENT);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
		o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000L);
	h->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000L;
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	/* No redirects: the APIs do not use them, and following one to
	 * another host would hand it our API-key header. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
		(curl_off_t)h->max_body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	return h;
}

void
cmt_http_set_deadline(struct cmt_http *h, int64_t deadline)
{
	h->deadline = deadline;
}

void
cmt_http_free(struct cmt_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h->buf);
	free(h);
}

enum cmt_http_class
cmt_http_classify_status(long status)
{
	if (status >= 200 && status < 300)
		return CMT_HTTP_OK;
	if (status == 429 || status == 418)
		return CMT_HTTP_RATE;
	if (status == 408 || status == 425 || status >= 500)
		return CMT_HTTP_RETRY;
	return CMT_HTTP_FATAL;
}

static enum cmt_http_class
classify_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_OUT_OF_MEMORY:
		return CMT_HTTP_FATAL;
	default:
		/* timeouts, DNS, refused, reset, truncated, TLS hiccups */
		return CMT_HTTP_RETRY;
	}
}

enum cmt_err
cmt_http_get(struct cmt_http *h, const char *url,
	const char *const *headers, struct cmt_http_resp *r)
{
	struct curl_slist *hl = NULL, *t;
	CURLcode rc;
	long status = 0, timeout;
	int64_t left;
	int by_deadline = 0;

	memset(r, 0, sizeof *r);
	r->retry_after_ms = -1;
	r->rate_used = -1;
	h->len = 0;
	h->too_big = 0;
	h->json = 1;
	h->retry_after_ms = -1;
	h->rate_used = -1;
	for (; headers && *headers; headers++) {
		if (!(t = curl_slist_append(hl, *headers))) {
			curl_slist_free_all(hl);
			return CMT_ENOMEM;
		}
		hl = t;
	}
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hl);
	timeout = h->timeout_ms;
	if (h->deadline) {
		left = h->deadline - cmt_clock_mono_ms();
		if (left < timeout) {
			timeout = left > 1 ? (long)left : 1;
			by_deadline = 1;
		}
	}
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, timeout);
	rc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);

	if (!h->buf && !(h->buf = malloc(h->cap = 16384)))
		return CMT_ENOMEM;
	h->buf[h->len] = '\0';
	r->status = status;
	r->body = h->buf;
	r->len = h->len;
	r->json = h->json;
	r->retry_after_ms = h->retry_after_ms;
	r->rate_used = h->rate_used;

	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		r->stopped = 1;
		r->cls = CMT_HTTP_FATAL;
		cmt_errf(r->err, CMT_EIO, "interrupted");
	} else if (h->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		r->cls = CMT_HTTP_RETRY;
		cmt_errf(r->err, CMT_ELIMIT,
			"response body larger than %zu bytes", h->max_body);
	} else if (rc != CURLE_OK) {
		r->cls = classify_curl(rc);
		r->cut = by_deadline && rc == CURLE_OPERATION_TIMEDOUT;
		cmt_errf(r->err, CMT_EIO, "%s", curl_easy_strerror(rc));
	} else if ((r->cls = cmt_http_classify_status(status)) != CMT_HTTP_OK) {
		cmt_errf(r->err, CMT_EIO, "HTTP %ld", status);
	} else if (!h->json) {
		r->cls = CMT_HTTP_RETRY;
		cmt_errf(r->err, CMT_ETYPE,
			"HTTP %ld with a non-JSON Content-Type", status);
	}
	return CMT_OK;
}

static int
month_index(const char *m)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(names + 3 * i, m, 3) == 0)
			return i;
	return -1;
}

int64_t
cmt_http_retry_after(const char *v, int64_t now_ms)
{
	char wd[4], mon[4], tz[4];
	int d, y, hh, mm, ss, mi, consumed = 0;
	int64_t secs, at;
	const char *p;

	if (!v)
		return -1;
	while (*v == ' ')
		v++;
	if (*v >= '0' && *v <= '9') {
		secs = 0;
		for (p = v; *p >= '0' && *p <= '9'; p++) {
			if (secs > 100000000)
				return -1;
			secs = secs * 10 + (*p - '0');
		}
		while (*p == ' ')
			p++;
		return *p ? -1 : secs * 1000;
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (sscanf(v, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n",
	    wd, &d, mon, &y, &hh, &mm, &ss, tz, &consumed) != 8 ||
	    v[consumed] != '\0' || strcmp(tz, "GMT") != 0)
		return -1;
	if ((mi = month_index(mon)) < 0 || d < 1 || d > 31 || hh > 23 ||
	    mm > 59 || ss > 60 || y < 1970)
		return -1;
	at = (cmt_days_from_civil(y, mi + 1, d) * 86400 + hh * 3600 + mm * 60 +
		ss) * 1000;
	return at > now_ms ? at - now_ms : 0;
}
