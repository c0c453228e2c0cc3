/* The connection to NATS: options, credentials and TLS, reconnecting with
 * backoff, and the helpers every part of the bus uses (log, error mapping).
 * A cmt_bus owns its libnats connection, options and JetStream context. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "bus_int.h"
#include "cmt_clock.h"

void
bus_sleep_ms(struct cmt_bus *b, int64_t ms)
{
	struct timespec ts;
	int64_t left = bus_stop_left(b);

	if (ms > left)
		ms = left;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	/* a signal ends the sleep only if it asked for a stop */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !bus_stopping(b))
		;
}

int
bus_stopping(const struct cmt_bus *b)
{
	return b->o.stop && *b->o.stop;
}

int64_t
bus_stop_left(struct cmt_bus *b)
{
	int64_t now, end;

	if (!bus_stopping(b))
		return INT64_MAX;
	now = cmt_clock_mono_ms();
	if (!b->stop_at)
		b->stop_at = now;
	end = b->stop_at + b->o.stop_wait_ms;
	return end > now ? end - now : 0;
}

int
bus_api_opts(struct cmt_bus *b, jsOptions *jo)
{
	int64_t left = bus_stop_left(b);

	jsOptions_Init(jo);
	jo->Wait = b->api_ms < left ? b->api_ms : left;
	return jo->Wait > 0;
}

enum cmt_bus_status
bus_stopped(struct cmt_bus *b, char *err)
{
	if (natsConnection_Status(b->nc) != NATS_CONN_STATUS_CONNECTED)
		return cmt_errf(err, CMT_EIO, "the server is gone"),
			CMT_BUS_ESTOPPED;
	return cmt_errf(err, CMT_EIO, "the server did not confirm within "
		"%lldms", (long long)b->o.stop_wait_ms),
		CMT_BUS_ESTOPPED;
}

void
bus_logf(const struct cmt_bus *b, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!b->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	b->o.log(b->o.log_ctx, msg);
}

/* Map a libnats failure to our status, with its text in err. */
enum cmt_bus_status
bus_fail(char *err, natsStatus s, jsErrCode jerr, const char *what)
{
	const char *text = nats_GetLastError(NULL);
	enum cmt_bus_status st = CMT_BUS_EFAIL;

	if (!text || !*text)
		text = natsStatus_GetText(s);
	switch (s) {
	case NATS_NO_SERVER:
	case NATS_IO_ERROR:
		st = CMT_BUS_EUNREACHABLE;
		break;
	case NATS_CONNECTION_AUTH_FAILED:
	case NATS_NOT_PERMITTED:
		st = CMT_BUS_EAUTH;
		break;
	default:
		break;
	}
	if (jerr == JSStreamNotFoundErr || jerr == JSNotEnabledErr ||
	    jerr == JSNotEnabledForAccountErr)
		st = CMT_BUS_ENOSTREAM;
	if (err)
		snprintf(err, CMT_ERRLEN, "%s: %s", what, text);
	return st;
}

void
cmt_bus_defaults(struct cmt_bus_opts *o)
{
	memset(o, 0, sizeof *o);
	o->url = "nats://127.0.0.1:4222";
	o->timeout_ms = 5000;
	o->reconnect_ms = 100;
	o->name = "cmt-bus";
	o->stop_wait_ms = 2000;
}

static void
on_disconnected(natsConnection *nc, void *closure)
{
	struct cmt_bus *b = closure;
	int closing;

	(void)nc;
	pthread_mutex_lock(&b->mu);
	closing = b->closing;
	pthread_mutex_unlock(&b->mu);
	if (!closing)
		bus_logf(b, "disconnected; reconnecting");
}

/* The last callback libnats makes for a connection: after it, b may go. */
static void
on_closed(natsConnection *nc, void *closure)
{
	struct cmt_bus *b = closure;

	(void)nc;
	pthread_mutex_lock(&b->mu);
	b->closed = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

static void
on_reconnected(natsConnection *nc, void *closure)
{
	char url[256] = "";

	natsConnection_GetConnectedUrl(nc, url, sizeof url);
	bus_logf(closure, "reconnected to %s", url);
}

static void
on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus s,
	void *closure)
{
	(void)nc;
	(void)sub;
	if (s != NATS_SLOW_CONSUMER)
		bus_logf(closure, "%s", natsStatus_GetText(s));
}

/* Exponential backoff with jitter: reconnect_ms, doubling up to 30 times
 * it, plus up to half of that at random. */
static int64_t
reconnect_delay(natsConnection *nc, int attempts, void *closure)
{
	struct cmt_bus *b = closure;
	int64_t d = b->o.reconnect_ms, cap = b->o.reconnect_ms * 30;
	uint64_t r;

	(void)nc;
	while (--attempts > 0 && d < cap)
		d *= 2;
	if (d > cap)
		d = cap;
	pthread_mutex_lock(&b->mu);
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	r = b->rng;
	pthread_mutex_unlock(&b->mu);
	return d + (int64_t)(r % (uint64_t)(d / 2 + 1));
}

/* "url1,url2,...": libnats takes a list as an array. */
static natsStatus
set_servers(natsOptions *opts, const char *urls)
{
	const char *v[16];
	char *copy, *tok, *save;
	int n = 0;
	natsStatus s;

	if (!strchr(urls, ','))
		return natsOptions_SetURL(opts, urls);
	if (!(copy = strdup(urls)))
		return NATS_NO_MEMORY;
	for (tok = strtok_r(copy, ", ", &save); tok && n < 16;
	    tok = strtok_r(NULL, ", ", &save))
		v[n++] = tok;
	s = natsOptions_SetServers(opts, v, n);
	free(copy);
	return s;
}

enum cmt_bus_status
cmt_bus_connect(struct cmt_bus **bp, const struct cmt_bus_opts *o, char *err)
{
	struct cmt_bus *b;
	natsStatus s;
	jsOptions jo;

	*bp = NULL;
	if (!(b = calloc(1, sizeof *b)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory"), CMT_BUS_EFAIL;
	b->o = *o;
	b->rng = (uint64_t)cmt_clock_mono_ms() * 0x9E3779B97F4A7C15ULL | 1;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	s = natsOptions_Create(&b->opts);
	if (s == NATS_OK)
		s = set_servers(b->opts, o->url);
	if (s == NATS_OK && o->name)
		s = natsOptions_SetName(b->opts, o->name);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(b->opts, o->timeout_ms);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(b->opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetCustomReconnectDelay(b->opts, reconnect_delay, b);
	if (s == NATS_OK)   /* lines published while reconnecting wait here */
		s = natsOptions_SetReconnectBufSize(b->opts, 64 << 20);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(b->opts, on_disconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(b->opts, on_reconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(b->opts, on_closed, b);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(b->opts, on_async_error, b);
	if (s == NATS_OK && o->creds)
		s = natsOptions_SetUserCredentialsFromFiles(b->opts, o->creds, NULL);
	if (s == NATS_OK && o->user)
		s = natsOptions_SetUserInfo(b->opts, o->user, o->password);
	if (s == NATS_OK && o->token)
		s = natsOptions_SetToken(b->opts, o->token);
	if (s == NATS_OK && (o->tls || o->ca || o->cert))
		s = natsOptions_SetSecure(b->opts, true);
	if (s == NATS_OK && o->ca)
		s = natsOptions_LoadCATrustedCertificates(b->opts, o->ca);
	if (s == NATS_OK && o->cert)
		s = natsOptions_LoadCertificatesChain(b->opts, o->cert, o->key);
	if (s != NATS_OK) {
		enum cmt_bus_status st = bus_fail(err, s, 0, "options");

		cmt_bus_close(b);
		return st == CMT_BUS_EUNREACHABLE ? CMT_BUS_EFAIL : st;
	}
	s = natsConnection_Connect(&b->nc, b->opts);
	if (s != NATS_OK) {
		enum cmt_bus_status st = bus_fail(err, s, 0, o->url);

		if (s == NATS_TIMEOUT)
			st = CMT_BUS_EUNREACHABLE;
		cmt_bus_close(b);
		return st;
	}
	jsOptions_Init(&jo);
	jo.Wait = o->timeout_ms;
	b->api_ms = o->timeout_ms;
	s = natsConnection_JetStream(&b->js, b->nc, &jo);
	if (s != NATS_OK) {
		cmt_bus_close(b);
		return bus_fail(err, s, 0, "JetStream");
	}
	*bp = b;
	return CMT_BUS_OK;
}

void
cmt_bus_close(struct cmt_bus *b)
{
	if (!b)
		return;
	if (b->js)
		jsCtx_Destroy(b->js);
	pthread_mutex_lock(&b->mu);
	b->closing = 1;
	pthread_mutex_unlock(&b->mu);
	if (b->nc) {
		struct timespec ts;
		int closed;

		natsConnection_Close(b->nc);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 30;
		pthread_mutex_lock(&b->mu);
		while (!b->closed &&
		    pthread_cond_timedwait(&b->cv, &b->mu, &ts) == 0)
			;
		closed = b->closed;
		pthread_mutex_unlock(&b->mu);
		if (!closed)    /* a callback may still come: leave b alone */
			return;
	}
	natsConnection_Destroy(b->nc);
	natsOptions_Destroy(b->opts);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

void
cmt_bus_shutdown(void)
{
	nats_CloseAndWait(30000);
}
