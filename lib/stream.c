#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_clock.h"
#include "cmt_parse.h"
#include "cmt_stream.h"
#include "cmt_tradeseq.h"

/* ---- the connection loop ---- */

struct run {
	struct cmt_fetch_cfg *c;
	const struct cmt_stream_opts *o;
	struct cmt_stream_stats *st;
	struct lws_context *ctx;
	struct lws *wsi;
	struct cmt_tradeseq *seq;
	lws_sorted_usec_list_t tick;
	char *msg;              /* the message being assembled */
	size_t nmsg, capmsg;
	int oversized;
	char sub[4096];
	int sub_sent, subscribed, open;
	int64_t last_sent;      /* the subscription or the venue's text
	                           keepalive last sent */
	int close_code;
	char close_reason[124];
	int attempt;            /* failed connections in a row */
	int64_t next_connect, last_rx;
	int done, closing;
	enum cmt_err e;
	char *err;
	struct cmt_trade msgtr[256];
};

static void
say(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
say(struct run *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->c->warn(r->c->ctx, msg);
}

static void
fail(struct run *r, enum cmt_err e, const char *msg)
{
	if (!r->e) {
		r->e = e;
		snprintf(r->err, CMT_ERRLEN, "%s", msg);
	}
	r->done = 1;
}

static void
on_message(struct run *r)
{
	enum cmt_stream_kind kind;
	char why[CMT_ERRLEN];
	enum cmt_err e;
	int i, n;

	if (r->c->src->ws_pong && r->nmsg == strlen(r->c->src->ws_pong) &&
	    memcmp(r->msg, r->c->src->ws_pong, r->nmsg) == 0)
		return;         /* the answer to a text keepalive */
	e = cmt_ingest_message(r->c->src, r->msg, r->nmsg, r->c->syms,
		r->c->nsym, r->msgtr, (int)(sizeof r->msgtr / sizeof r->msgtr[0]),
		&n, &kind, why);
	if (kind == CMT_WS_SUBERR) {
		fail(r, CMT_EVALUE, why);
		return;
	}
	if (e) {
		r->st->bad++;
		say(r, "skipped a message: %s: %.60s%s", why, r->msg,
			r->nmsg > 60 ? "..." : "");
		return;
	}
	if (kind == CMT_WS_SUBSCRIBED || kind == CMT_WS_TRADES) {
		if (!r->subscribed)
			r->attempt = 0;
		r->subscribed = 1;
	}
	for (i = 0; i < n; i++)
		cmt_tradeseq_push(r->seq, &r->msgtr[i]);
	if (cmt_tradeseq_full(r->seq))
		r->done = 1;
}

static void
receive(struct run *r, struct lws *wsi, const char *in, size_t len)
{
	size_t cap;
	char *p;

	if (!r->oversized && r->nmsg + len > CMT_STREAM_MSG_MAX) {
		r->oversized = 1;
		r->st->bad++;
		say(r, "skipped a message over %u bytes", CMT_STREAM_MSG_MAX);
	}
	if (!r->oversized) {
		if (r->nmsg + len + 1 > r->capmsg) {
			cap = r->capmsg ? r->capmsg : 4096;
			while (cap < r->nmsg + len + 1)
				cap *= 2;
			if (!(p = realloc(r->msg, cap))) {
				fail(r, CMT_ENOMEM, "out of memory");
				return;
			}
			r->msg = p;
			r->capmsg = cap;
		}
		memcpy(r->msg + r->nmsg, in, len);
		r->nmsg += len;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return;
	if (!r->oversized && !lws_frame_is_binary(wsi))
		on_message(r);
	else if (!r->oversized) {
		r->st->bad++;
		say(r, "skipped a binary message");
	}
	r->nmsg = 0;
	r->oversized = 0;
}

static const char *
close_name(int code)
{
	switch (code) {
	case 1000: return "normal closure";
	case 1001: return "going away";
	case 1002: return "protocol error";
	case 1003: return "unsupported data";
	case 1007: return "invalid payload";
	case 1008: return "policy violation";
	case 1009: return "message too big";
	case 1011: return "server error";
	case 1012: return "service restart";
	case 1013: return "try again later";
	}
	return "close";
}

static void
schedule_reconnect(struct run *r, const char *why)
{
	char d[32];
	int64_t delay;

	r->wsi = NULL;
	r->open = 0;
	if (r->done)
		return;
	r->attempt++;
	if (r->c->retry_max > 0 && r->attempt > r->c->retry_max) {
		char msg[CMT_ERRLEN];

		snprintf(msg, sizeof msg, "giving up after %d connection "
			"attempts: %.100s", r->attempt - 1, why);
		fail(r, CMT_EIO, msg);
		return;
	}
	delay = cmt_fetch_backoff_ms(&r->c->backoff, r->attempt, -1,
		&r->c->rng);
	cmt_format_duration(delay, d, sizeof d);
	say(r, "%s; reconnecting in %s", why, d);
	r->next_connect = cmt_clock_mono_ms() + delay;
	r->st->reconnects++;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	void *in, size_t len)
{
	struct run *r = lws_context_user(lws_get_context(wsi));
	unsigned char buf[LWS_PRE + sizeof r->sub];
	char why[200];
	size_t n;

	(void)user;
	if (!r || r->closing || (r->wsi != wsi && reason != LWS_CALLBACK_WSI_DESTROY &&
	    reason != LWS_CALLBACK_CLIENT_CONNECTION_ERROR))
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		r->open = 1;
		r->last_rx = cmt_clock_mono_ms();
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!r->sub_sent) {
			n = strlen(r->sub);
			memcpy(buf + LWS_PRE, r->sub, n);
			r->sub_sent = 1;
			r->last_sent = cmt_clock_mono_ms();
		} else if (r->c->src->ws_ping) {
			n = strlen(r->c->src->ws_ping);
			memcpy(buf + LWS_PRE, r->c->src->ws_ping, n);
			r->last_sent = cmt_clock_mono_ms();
		} else {
			break;
		}
		if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		r->last_rx = cmt_clock_mono_ms();
		receive(r, wsi, in, len);
		if (r->done)
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		r->last_rx = cmt_clock_mono_ms();
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *p = in;

			r->close_code = p[0] << 8 | p[1];
			snprintf(r->close_reason, sizeof r->close_reason,
				"%.*s", (int)(len - 2 < 120 ? len - 2 : 120),
				(const char *)in + 2);
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (wsi != r->wsi && r->wsi)
			break;
		snprintf(why, sizeof why, "cannot connect to %.80s: %.80s",
			r->o->ws_url, in ? (const char *)in : "error");
		schedule_reconnect(r, why);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (r->close_code)
			snprintf(why, sizeof why, "the server closed the "
				"connection (%d %s%s%.80s)", r->close_code,
				close_name(r->close_code),
				r->close_reason[0] ? ": " : "", r->close_reason);
		else if (cmt_clock_mono_ms() - r->last_rx >= r->o->ping_ms)
			snprintf(why, sizeof why, "no data and no answer to a "
				"ping for %llds", (long long)(cmt_clock_mono_ms() -
				r->last_rx) / 1000);
		else
			snprintf(why, sizeof why, "connection lost (no close "
				"frame)");
		if (!r->subscribed)
			;       /* a failed attempt: the backoff grows */
		else
			r->attempt = 0;
		schedule_reconnect(r, why);
		break;
	default:
		break;
	}
	return 0;
}

/* A venue that wants a text keepalive gets one when the client has sent
 * nothing for half of --ws-ping, however busy the stream is: such a venue
 * may close a connection it has received nothing on for a while, sooner
 * than the protocol-level ping (sent only every --ws-ping) would keep it. */
static void
on_tick(lws_sorted_usec_list_t *sul)
{
	struct run *r = lws_container_of(sul, struct run, tick);
	int64_t now = cmt_clock_mono_ms(), quiet = r->o->ping_ms / 2;

	if (r->c->src->ws_ping && r->wsi && r->open && r->sub_sent &&
	    now - r->last_sent >= quiet)
		lws_callback_on_writable(r->wsi);
	lws_sul_schedule(r->ctx, 0, &r->tick, on_tick, 100 * LWS_US_PER_MS);
}

static int
connect_ws(struct run *r, const lws_retry_bo_t *policy)
{
	struct lws_client_connect_info ci;
	char url[4096];
	const char *prot, *addr, *path;
	int port;
	char p[4096];

	if (cmt_stream_url(r->c->src, r->o->ws_url, r->c->syms, r->c->nsym,
	    url, sizeof url) < 0)
		return -1;
	if (lws_parse_uri(url, &prot, &addr, &port, &path))
		return -1;
	snprintf(p, sizeof p, "/%s", path);
	memset(&ci, 0, sizeof ci);
	ci.context = r->ctx;
	ci.address = addr;
	ci.port = port;
	ci.path = p;
	ci.host = addr;
	ci.origin = addr;
	ci.ssl_connection = strcmp(prot, "wss") == 0 ? LCCSCF_USE_SSL : 0;
	ci.local_protocol_name = "cmt-stream";
	ci.retry_and_idle_policy = policy;
	r->sub_sent = r->subscribed = r->open = 0;
	r->last_sent = 0;
	r->close_code = 0;
	r->close_reason[0] = '\0';
	r->nmsg = 0;
	r->oversized = 0;
	r->last_rx = cmt_clock_mono_ms();
	r->wsi = lws_client_connect_via_info(&ci);
	return 0;
}

int
cmt_stream_url(const struct cmt_source *src, const char *base,
	const struct cmt_fetch_sym *syms, int nsym, char *buf, size_t cap)
{
	int n;

	if (src->stream_url)
		return src->stream_url(base, syms, nsym, buf, cap);
	n = snprintf(buf, cap, "%s", base);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
cmt_stream_check_url(const char *u)
{
	return strncmp(u, "ws://", 5) == 0 || strncmp(u, "wss://", 6) == 0
		? 0 : -1;
}

/* A warm start or gap fill ended on its thread: wake the loop. */
static void
wake(void *ctx)
{
	lws_cancel_service(ctx);
}

enum cmt_err
cmt_stream_run(struct cmt_fetch_cfg *c, const struct cmt_stream_opts *o,
	struct cmt_stream_stats *st, char *err)
{
	static const struct lws_protocols protocols[] = {
		{ "cmt-stream", callback, 0, 0, 0, NULL, 0 },
		{ NULL, NULL, 0, 0, 0, NULL, 0 }
	};
	struct lws_context_creation_info info;
	struct cmt_stream_opts opts = *o;
	lws_retry_bo_t policy;
	struct run *r;
	int64_t start = cmt_clock_mono_ms();
	struct cmt_ingest *in, was;
	enum cmt_err e;

	memset(st, 0, sizeof *st);
	if (!cmt_source_has_stream(c->src) || !(opts.ws_url || c->src->ws_url))
		return cmt_errf(err, CMT_EVALUE, "%s has no trade stream",
			c->src->name);
	if (!opts.ws_url)
		opts.ws_url = c->src->ws_url;
	if (cmt_stream_check_url(opts.ws_url))
		return cmt_errf(err, CMT_EVALUE, "stream URL '%s' is not "
			"ws:// or wss://", opts.ws_url);
	if (c->nsym > CMT_FETCH_MAX_SYMS)
		return cmt_errf(err, CMT_ELIMIT, "at most %d symbols",
			CMT_FETCH_MAX_SYMS);
	if (!(r = calloc(1, sizeof *r)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	r->c = c;
	r->o = &opts;
	r->st = st;
	r->err = err;
	in = cmt_fetch_ingest(c);
	was = *in;
	if (c->src->subscribe(c->syms, c->nsym, r->sub, sizeof r->sub) < 0) {
		free(r);
		return cmt_errf(err, CMT_ETOOLONG, "too many symbols for one "
			"subscription");
	}
	memset(&policy, 0, sizeof policy);
	policy.secs_since_valid_ping = (uint16_t)((opts.ping_ms + 999) / 1000);
	policy.secs_since_valid_hangup = (uint16_t)(2 *
		policy.secs_since_valid_ping);
	lws_set_log_level(0, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.gid = -1;
	info.uid = -1;
	info.user = r;
	if (!(r->ctx = lws_create_context(&info))) {
		free(r);
		return cmt_errf(err, CMT_ENOMEM, "cannot set up libwebsockets");
	}
	/* the warm start begins here, beside the connection */
	if (!(r->seq = cmt_tradeseq_new(c, opts.count, st, wake, r->ctx,
	    err))) {
		lws_context_destroy(r->ctx);
		free(r);
		return CMT_ENOMEM;
	}
	lws_sul_schedule(r->ctx, 0, &r->tick, on_tick, 100 * LWS_US_PER_MS);
	while (!r->done && !*c->stop) {
		if (c->duration_ms > 0 &&
		    cmt_clock_mono_ms() - start >= c->duration_ms)
			break;
		if (!r->wsi && cmt_clock_mono_ms() >= r->next_connect) {
			if (connect_ws(r, &policy)) {
				fail(r, CMT_EVALUE, "cannot parse the stream URL");
				break;
			}
			if (!r->wsi && !r->done &&
			    r->next_connect <= cmt_clock_mono_ms())
				schedule_reconnect(r, "cannot start a connection");
		}
		lws_service(r->ctx, 0);
		cmt_tradeseq_pump(r->seq);
		if (cmt_tradeseq_full(r->seq))
			r->done = 1;
	}
	lws_sul_schedule(r->ctx, 0, &r->tick, NULL, LWS_SET_TIMER_USEC_CANCEL);
	r->closing = 1;
	/* what the warm start or a fill still running got, and the trades
	 * held, are written; what could not be is said (before the context
	 * goes: their threads wake it as they end) */
	cmt_tradeseq_close(r->seq);
	lws_context_destroy(r->ctx);
	e = r->e;
	st->dups = in->dups - was.dups;
	st->ahead = in->ahead - was.ahead;
	st->before = in->before - was.before;
	free(r->msg);
	free(r);
	return e;
}
