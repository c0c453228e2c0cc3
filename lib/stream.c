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
	int64_t connect_at, sub_at;     /* the attempt began; sub sent */
	const char *drop_why;   /* why we drop the connection ourselves */
	int dropping;
	int done, closing;
	enum cmt_err e;
	char *err;
	/* bad messages: reported one by one up to CMT_STREAM_REPORTS in a
	 * window of CMT_STREAM_REPORT_MS, then counted and summed up */
	int64_t bad_since;
	int bad_told;
	long long bad_untold;
	char bad_last[CMT_ERRLEN];
	struct cmt_trade *msgtr;        /* CMT_STREAM_MSG_TRADES */
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

/* The bad messages of the window not reported one by one, summed up. */
static void
bad_window(struct run *r, int64_t now)
{
	char span[32];

	if (r->bad_untold) {
		cmt_format_duration(now - r->bad_since, span, sizeof span);
		say(r, "skipped %lld more messages in %s; the last: %s",
			r->bad_untold, span, r->bad_last +
			(strncmp(r->bad_last, "skipped ", 8) ? 0 : 8));
	}
	r->bad_since = now;
	r->bad_told = 0;
	r->bad_untold = 0;
}

/* A message skipped: counted, and reported unless this window has had
 * its share (a venue that changed its shape must not flood stderr). */
static void
bad(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
bad(struct run *r, const char *fmt, ...)
{
	int64_t now = cmt_clock_mono_ms();
	va_list ap;

	r->st->bad++;
	va_start(ap, fmt);
	vsnprintf(r->bad_last, sizeof r->bad_last, fmt, ap);
	va_end(ap);
	if (now - r->bad_since >= CMT_STREAM_REPORT_MS)
		bad_window(r, now);
	if (r->bad_told++ < CMT_STREAM_REPORTS)
		say(r, "%s%s", r->bad_last, r->bad_told == CMT_STREAM_REPORTS ?
			"; more are counted, not shown" : "");
	else
		r->bad_untold++;
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
		r->c->nsym, r->msgtr, CMT_STREAM_MSG_TRADES, &n, &kind, why);
	if (kind == CMT_WS_SUBERR) {
		fail(r, CMT_EVALUE, why);
		return;
	}
	if (e) {
		char text[64];

		cmt_excerpt(text, sizeof text, r->msg, r->nmsg);
		bad(r, "skipped a message: %s: %s", why, text);
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
		bad(r, "skipped a message over %u bytes", CMT_STREAM_MSG_MAX);
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
	else if (!r->oversized)
		bad(r, "skipped a binary message (%zu bytes)", r->nmsg);
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
	char why[256], text[96];
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
			r->sub_at = r->last_sent = cmt_clock_mono_ms();
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
			cmt_excerpt(r->close_reason, sizeof r->close_reason,
				(const char *)in + 2, len - 2);
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (wsi != r->wsi && r->wsi)
			break;
		cmt_excerpt(text, sizeof text, in ? (const char *)in : "error",
			in ? strlen(in) : 5);
		snprintf(why, sizeof why, "cannot connect to %.80s: %s",
			r->o->ws_url, r->drop_why ? r->drop_why : text);
		schedule_reconnect(r, why);
		break;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
	case LWS_CALLBACK_WSI_DESTROY:
		/* gone before it was a WebSocket (a handshake cut short),
		 * with no error or close callback of its own */
		if (wsi == r->wsi)
			schedule_reconnect(r, r->drop_why ? r->drop_why :
				"connection lost in the WebSocket handshake");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (r->drop_why)
			snprintf(why, sizeof why, "%s", r->drop_why);
		else if (r->close_code)
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

/* Drop the connection: the loop closes it after this round of service
 * (not from within lws's timer list); why says so when it closes. */
static void
drop(struct run *r, const char *why)
{
	r->drop_why = why;
}

/* Every 100 ms.  A connection must answer its handshake, then its
 * subscription, within --ws-ping, or it is dropped and made again: a
 * server that accepts and says nothing, or answers pings but never the
 * subscription, would otherwise hold the stream for ever.
 *
 * A venue that wants a text keepalive gets one when the client has sent
 * nothing for half of --ws-ping, however busy the stream is: such a venue
 * may close a connection it has received nothing on for a while, sooner
 * than the protocol-level ping (sent only every --ws-ping) would keep it. */
static void
on_tick(lws_sorted_usec_list_t *sul)
{
	struct run *r = lws_container_of(sul, struct run, tick);
	int64_t now = cmt_clock_mono_ms(), quiet = r->o->ping_ms / 2;

	if (r->wsi && !r->drop_why && !r->open &&
	    now - r->connect_at >= r->o->ping_ms)
		drop(r, "no answer to the WebSocket handshake within "
			"--ws-ping");
	else if (r->wsi && !r->drop_why && r->open && r->sub_sent &&
	    !r->subscribed && now - r->sub_at >= r->o->ping_ms)
		drop(r, "no answer to the subscription within --ws-ping");
	else if (r->c->src->ws_ping && r->wsi && r->open && r->sub_sent &&
	    now - r->last_sent >= quiet)
		lws_callback_on_writable(r->wsi);
	if (r->bad_untold && now - r->bad_since >= CMT_STREAM_REPORT_MS)
		bad_window(r, now);
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
	r->drop_why = NULL;
	r->dropping = 0;
	r->connect_at = r->last_rx = cmt_clock_mono_ms();
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
	if (!(r = calloc(1, sizeof *r)) || !(r->msgtr = malloc(sizeof
	    *r->msgtr * CMT_STREAM_MSG_TRADES))) {
		free(r);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	r->c = c;
	r->o = &opts;
	r->st = st;
	r->err = err;
	in = cmt_fetch_ingest(c);
	was = *in;
	if (c->src->subscribe(c->syms, c->nsym, r->sub, sizeof r->sub) < 0) {
		free(r->msgtr);
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
	/* lws's own bound on a handshake, behind the tick's (which says
	 * why it drops the connection) */
	info.timeout_secs = (unsigned)((opts.ping_ms + 999) / 1000 + 2);
	info.connect_timeout_secs = info.timeout_secs;
	info.user = r;
	if (!(r->ctx = lws_create_context(&info))) {
		free(r->msgtr);
		free(r);
		return cmt_errf(err, CMT_ENOMEM, "cannot set up libwebsockets");
	}
	/* the warm start begins here, beside the connection */
	if (!(r->seq = cmt_tradeseq_new(c, opts.count, st, wake, r->ctx,
	    err))) {
		lws_context_destroy(r->ctx);
		free(r->msgtr);
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
		if (r->wsi && r->drop_why && !r->dropping) {
			r->dropping = 1;
			lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_SYNC);
		}
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
	bad_window(r, cmt_clock_mono_ms());
	e = r->e;
	st->dups = in->dups - was.dups;
	st->ahead = in->ahead - was.ahead;
	st->before = in->before - was.before;
	free(r->msg);
	free(r->msgtr);
	free(r);
	return e;
}
