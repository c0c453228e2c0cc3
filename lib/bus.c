/* cmt lines over NATS JetStream; see cmt_bus.h and man/cmt-bus.1.
 *
 * Publishing gathers the lines of one subject into a message while input
 * keeps coming, and keeps its own window of messages in flight, in input
 * order, above libnats' asynchronous publish: the acknowledgement callback
 * (a libnats thread) marks slots done or failed, the caller's thread
 * sends.  When anything fails, sending stops until every message in flight
 * is settled, and the failed ones are sent again in input order before new
 * ones go out; the oldest message unanswered for 250 ms also holds new ones
 * back.  So a stream leader that dies cannot store a later line of a
 * symbol before an earlier one that it lost.
 *
 * Subscribing pulls batches from a consumer with the AckAll policy, writes
 * them, flushes, and acknowledges the last one, so the consumer's ack
 * floor is exactly the last line known to be out.  The run remembers the
 * stream sequence of the last line written: a copy of an older line is
 * dropped, and a hole in the delivery sequence (deliveries lost on the
 * way, a consumer leader that changed) makes it re-create the consumer
 * just after that line, so lines are never written out of order. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "cmt_bus.h"
#include "cmt_clock.h"
#include "cmt_json.h"
#include "cmt_tick.h"

#define MAX_FIELDS 8
#define TOKEN_MAX 64
#define SUBJECT_MAX 256
#define ID_MAX 512

struct cmt_bus {
	natsConnection *nc;
	natsOptions *opts;
	jsCtx *js;
	struct cmt_bus_opts o;
	int64_t api_ms;
	pthread_mutex_t mu;     /* guards rng (reconnect jitter), closing */
	pthread_cond_t cv;      /* closed: the last callback is done */
	uint64_t rng;
	int closing, closed;
};

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
logf_(const struct cmt_bus *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
logf_(const struct cmt_bus *b, const char *fmt, ...)
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
static enum cmt_bus_status
fail(char *err, natsStatus s, jsErrCode jerr, const char *what)
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

/* ---- connection ---- */

void
cmt_bus_defaults(struct cmt_bus_opts *o)
{
	memset(o, 0, sizeof *o);
	o->url = "nats://127.0.0.1:4222";
	o->timeout_ms = 5000;
	o->reconnect_ms = 100;
	o->name = "cmt-bus";
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
		logf_(b, "disconnected; reconnecting");
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
	logf_(closure, "reconnected to %s", url);
}

static void
on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus s,
	void *closure)
{
	(void)nc;
	(void)sub;
	if (s != NATS_SLOW_CONSUMER)
		logf_(closure, "%s", natsStatus_GetText(s));
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
		enum cmt_bus_status st = fail(err, s, 0, "options");

		cmt_bus_close(b);
		return st == CMT_BUS_EUNREACHABLE ? CMT_BUS_EFAIL : st;
	}
	s = natsConnection_Connect(&b->nc, b->opts);
	if (s != NATS_OK) {
		enum cmt_bus_status st = fail(err, s, 0, o->url);

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
		return fail(err, s, 0, "JetStream");
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

/* ---- symbols, fields and subject templates ---- */

int
cmt_bus_partition(const char *sym, size_t len, int n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)sym[i];

		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		h = (h ^ c) * 16777619u;
	}
	return n > 0 ? (int)(h % (uint32_t)n) : 0;
}

/* A value usable as one subject token. */
static int
token_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= TOKEN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == '.' || c == '*' || c == '>' || c >= 0x7f)
			return 0;
	}
	return 1;
}

/* The fields a line must provide, found by one scan of the object. */
struct fields {
	int n;
	const char *name[MAX_FIELDS];
	const char *v[MAX_FIELDS];   /* value text (strings unquoted) */
	size_t vlen[MAX_FIELDS];
	int str[MAX_FIELDS];         /* the value was a string */
};

static int
field_add(struct fields *f, const char *name, size_t len, char *err)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (strlen(f->name[i]) == len && !memcmp(f->name[i], name, len))
			return i;
	if (f->n == MAX_FIELDS)
		return cmt_errf(err, CMT_ELIMIT, "more than %d fields named",
			MAX_FIELDS), -1;
	if (!(f->name[f->n] = strndup(name, len)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory"), -1;
	return f->n++;
}

static void
fields_free(struct fields *f)
{
	int i;

	for (i = 0; i < f->n; i++)
		free((char *)f->name[i]);
	f->n = 0;
}

static enum cmt_err
fields_scan(struct fields *f, const char *s, size_t len, char *err)
{
	struct cmt_jscan js;
	struct cmt_jval k, v;
	enum cmt_err e;
	int i;

	for (i = 0; i < f->n; i++)
		f->v[i] = NULL;
	if ((e = cmt_json_begin(&js, s, len, err)))
		return e;
	while ((e = cmt_json_next(&js, &k, &v, err)) == CMT_OK) {
		for (i = 0; i < f->n; i++)
			if (!f->v[i] && cmt_json_streq(&k, f->name[i]))
				break;
		if (i == f->n)
			continue;
		if (v.type == CMT_JOBJECT || v.type == CMT_JARRAY ||
		    v.type == CMT_JNULL)
			return cmt_errf(err, CMT_ETYPE, "\"%s\" is not a string "
				"or number", f->name[i]);
		f->v[i] = v.raw;
		f->vlen[i] = v.len;
		f->str[i] = v.type == CMT_JSTRING;
	}
	if (e != CMT_ESKIP)
		return e;
	for (i = 0; i < f->n; i++)
		if (!f->v[i])
			return cmt_errf(err, CMT_EMISSING, "missing \"%s\"",
				f->name[i]);
	return CMT_OK;
}

/* A template: literal pieces and field references (field index, or
 * PART for {part}). */
#define PART (-1)
struct tmpl {
	int n;
	struct piece { const char *lit; size_t len; int field; } p[32];
};

enum cmt_err
cmt_bus_template_check(const char *t, char *wild, size_t cap, char *err)
{
	size_t w = 0;
	const char *p = t, *q;

	if (!*t)
		return cmt_errf(err, CMT_EVALUE, "empty subject");
	while (*p) {
		size_t n;

		if (*p == '{') {
			if (!(q = strchr(p, '}')) || q == p + 1)
				return cmt_errf(err, CMT_ESYNTAX, "'%s': '{' without "
					"a field name and '}'", t);
			if ((p != t && p[-1] != '.') || (q[1] && q[1] != '.'))
				return cmt_errf(err, CMT_EVALUE, "'%s': a {field} must "
					"be a whole subject token", t);
			if (wild && w + 2 < cap)
				wild[w++] = '*';
			p = q + 1;
			continue;
		}
		n = strcspn(p, "{");
		for (q = p; q < p + n; q++)
			if (*q <= ' ' || *q == '}' ||
			    ((*q == '*' || *q == '>') && q != t && q[-1] != '.'))
				return cmt_errf(err, CMT_EVALUE, "'%s': not a subject",
					t);
		if (wild && w + n < cap) {
			memcpy(wild + w, p, n);
			w += n;
		}
		p += n;
	}
	if (t[strlen(t) - 1] == '.' || t[0] == '.' || strstr(t, ".."))
		return cmt_errf(err, CMT_EVALUE, "'%s': empty subject token", t);
	if (wild) {
		if (w >= cap)
			return cmt_errf(err, CMT_ETOOLONG, "subject too long");
		wild[w] = 0;
	}
	return CMT_OK;
}

static enum cmt_err
tmpl_compile(struct tmpl *tp, struct fields *f, const char *t, char *err)
{
	const char *p = t, *q;
	enum cmt_err e;

	if ((e = cmt_bus_template_check(t, NULL, 0, err)))
		return e;
	tp->n = 0;
	while (*p) {
		struct piece *pc;

		if (tp->n == (int)(sizeof tp->p / sizeof tp->p[0]))
			return cmt_errf(err, CMT_ELIMIT, "subject too complex");
		pc = &tp->p[tp->n++];
		if (*p == '{') {
			q = strchr(p, '}');
			pc->lit = NULL;
			if (q - p - 1 == 4 && !memcmp(p + 1, "part", 4)) {
				pc->field = PART;
				if (field_add(f, "sym", 3, err) < 0)
					return CMT_ELIMIT;
			} else if ((pc->field = field_add(f, p + 1,
			    (size_t)(q - p - 1), err)) < 0)
				return CMT_ELIMIT;
			p = q + 1;
		} else {
			pc->lit = p;
			pc->len = strcspn(p, "{");
			pc->field = 0;
			p += pc->len;
		}
	}
	return CMT_OK;
}

static int
tmpl_has_part(const struct tmpl *tp)
{
	int i;

	for (i = 0; i < tp->n; i++)
		if (!tp->p[i].lit && tp->p[i].field == PART)
			return 1;
	return 0;
}

/* The canonical symbol of a scanned line into sym[CMT_SYM_MAX]. */
static enum cmt_err
line_sym(const struct fields *f, char *sym, char *err)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->name[i], "sym"))
			break;
	if (i == f->n || !f->str[i])
		return cmt_errf(err, CMT_ETYPE, "\"sym\" is not a string");
	return cmt_tick_symbol(f->v[i], f->vlen[i], sym, err);
}

static enum cmt_err
tmpl_expand(const struct tmpl *tp, const struct fields *f, int nparts,
	char *out, char *err)
{
	char sym[CMT_SYM_MAX], part[16];
	size_t w = 0;
	int i;

	for (i = 0; i < tp->n; i++) {
		const struct piece *pc = &tp->p[i];
		const char *v;
		size_t n;

		if (pc->lit) {
			v = pc->lit;
			n = pc->len;
		} else if (pc->field == PART) {
			if (line_sym(f, sym, err))
				return CMT_EVALUE;
			n = (size_t)snprintf(part, sizeof part, "%d",
				cmt_bus_partition(sym, strlen(sym), nparts));
			v = part;
		} else if (!strcmp(f->name[pc->field], "sym")) {
			if (line_sym(f, sym, err))
				return CMT_EVALUE;
			v = sym;
			n = strlen(sym);
		} else {
			v = f->v[pc->field];
			n = f->vlen[pc->field];
			if (!token_ok(v, n))
				return cmt_errf(err, CMT_EVALUE, "\"%s\" value "
					"'%.*s' cannot be a subject token",
					f->name[pc->field], (int)(n > 40 ? 40 : n), v);
		}
		if (w + n >= SUBJECT_MAX)
			return cmt_errf(err, CMT_ETOOLONG, "subject too long");
		memcpy(out + w, v, n);
		w += n;
	}
	out[w] = 0;
	return CMT_OK;
}

/* ---- publishing ---- */

enum { SLOT_FLIGHT = 1, SLOT_DONE, SLOT_FAILED };

/* Lines of one subject gathered into one message while input keeps
 * coming; NBATCH subjects open at once, BATCH_BYTES per message at most. */
#define NBATCH 256
#define BATCH_BYTES (60 * 1024)

struct batch {
	char subj[SUBJECT_MAX];   /* "" when the entry is free */
	char id[ID_MAX];          /* the first line's id */
	char *buf;
	size_t len, cap;
	int n;
};

struct slot {
	natsMsg *m;       /* owned while failed; libnats' while in flight */
	int64_t sent_ms;
	size_t len;
	int state;
};

/* Bytes awaiting acknowledgement at most, whatever the window says. */
#define MAX_INFLIGHT_BYTES ((size_t)32 << 20)

struct cmt_bus_pub {
	struct cmt_bus *b;
	struct cmt_bus_pub_opts o;
	struct fields f;
	struct tmpl t;
	int idf[MAX_FIELDS], nid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *ring;     /* slots [head, tail) modulo window */
	uint64_t head, tail;
	int nfailed;
	int64_t fail_since;    /* when trouble began (0: none) */
	int64_t backoff;       /* before the next resend round */
	size_t inflight_bytes;
	char lasterr[128];
	struct cmt_bus_pub_stats st;
	struct batch bt[NBATCH];
	int open[NBATCH], nopen;
};

void
cmt_bus_pub_defaults(struct cmt_bus_pub_opts *o)
{
	memset(o, 0, sizeof *o);
	o->subject = "cmt.ticks.{sym}";
	o->id = "sym,t";
	o->window = 4096;
	o->batch = 128;
	o->ack_wait_ms = 5000;
	o->retry_for_ms = 60000;
	o->replicas = 1;
	o->dupe_window_ms = 120000;
}

/* Libnats thread: the outcome of one asynchronous publish. */
static void
on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct cmt_bus_pub *p = closure;
	uint64_t i;
	struct slot *sl = NULL;
	int behind = 0;   /* a failed line comes before this one */

	(void)js;
	pthread_mutex_lock(&p->mu);
	for (i = p->head; i < p->tail; i++) {
		struct slot *x = &p->ring[i % (uint64_t)p->o.window];

		if (x->m == msg && x->state == SLOT_FLIGHT) {
			sl = x;
			break;
		}
		behind |= x->state == SLOT_FAILED;
	}
	if (!sl) {              /* not ours any more: cannot happen */
		pthread_mutex_unlock(&p->mu);
		natsMsg_Destroy(msg);
		return;
	}
	if (pae && pae->Err != NATS_OK) {
		sl->state = SLOT_FAILED;
		p->nfailed++;
		if (!p->fail_since)
			p->fail_since = cmt_clock_mono_ms();
		snprintf(p->lasterr, sizeof p->lasterr, "%s",
			pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err));
		msg = NULL;     /* kept for the resend */
	} else {
		sl->state = SLOT_DONE;
		sl->m = NULL;
		p->inflight_bytes -= sl->len;
		p->st.published++;
		if (p->nfailed == 0) {  /* trouble over */
			p->fail_since = 0;
			p->backoff = 0;
		}
		if (pa && pa->Duplicate)
			p->st.duplicates++;
		/* stored ahead of an earlier line that failed */
		if (behind)
			p->st.reordered++;
	}
	while (p->head < p->tail &&
	    p->ring[p->head % (uint64_t)p->o.window].state == SLOT_DONE)
		p->head++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	natsMsg_Destroy(msg);
}

static enum cmt_bus_status
stream_create(struct cmt_bus_pub *p, char *err)
{
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	char wild[SUBJECT_MAX];
	const char *subjects[1] = { wild };
	natsStatus s;

	if (cmt_bus_template_check(p->o.subject, wild, sizeof wild, err))
		return CMT_BUS_EFAIL;
	s = js_GetStreamInfo(&si, p->b->js, p->o.create_stream, NULL, &jerr);
	if (s == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return CMT_BUS_OK;      /* exists: used as it is */
	}
	if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr)
		return fail(err, s, jerr, p->o.create_stream);
	jsStreamConfig_Init(&sc);
	sc.Name = p->o.create_stream;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Replicas = p->o.replicas;
	sc.MaxAge = p->o.max_age_ms * 1000000;
	sc.Duplicates = p->o.dupe_window_ms * 1000000;
	sc.Storage = p->o.memory ? js_MemoryStorage : js_FileStorage;
	s = js_AddStream(&si, p->b->js, &sc, NULL, &jerr);
	if (s != NATS_OK)
		return fail(err, s, jerr, p->o.create_stream);
	jsStreamInfo_Destroy(si);
	return CMT_BUS_OK;
}

enum cmt_bus_status
cmt_bus_pub_open(struct cmt_bus_pub **pp, struct cmt_bus *b,
	const struct cmt_bus_pub_opts *o, char *err)
{
	struct cmt_bus_pub *p;
	enum cmt_bus_status st;
	const char *id = o->id, *c;
	jsOptions jo;
	natsStatus s;

	*pp = NULL;
	if (!(p = calloc(1, sizeof *p)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory"), CMT_BUS_EFAIL;
	p->b = b;
	p->o = *o;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (tmpl_compile(&p->t, &p->f, o->subject, err))
		goto usage;
	if (tmpl_has_part(&p->t) != (o->partitions > 0)) {
		cmt_errf(err, CMT_EVALUE, o->partitions > 0 ?
			"--partitions needs {part} in the subject" :
			"{part} in the subject needs --partitions N");
		goto usage;
	}
	while (*id) {
		c = id + strcspn(id, ",");
		if (c == id || p->nid == MAX_FIELDS) {
			cmt_errf(err, CMT_EVALUE, "--id: bad field list '%s'", o->id);
			goto usage;
		}
		if ((p->idf[p->nid++] = field_add(&p->f, id, (size_t)(c - id),
		    err)) < 0)
			goto usage;
		id = *c ? c + 1 : c;
	}
	if (!(p->ring = calloc((size_t)o->window, sizeof *p->ring))) {
		cmt_errf(err, CMT_ENOMEM, "out of memory");
		goto usage;
	}
	if (o->create_stream && (st = stream_create(p, err)) != CMT_BUS_OK) {
		cmt_bus_pub_close(p);
		return st;
	}
	/* a JetStream context of our own, with the acknowledgement callback */
	jsOptions_Init(&jo);
	jo.Wait = b->api_ms;
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.AckHandlerClosure = p;
	jo.PublishAsync.MaxPending = o->window + 1;
	jsCtx_Destroy(b->js);
	b->js = NULL;
	if ((s = natsConnection_JetStream(&b->js, b->nc, &jo)) != NATS_OK) {
		cmt_bus_pub_close(p);
		return fail(err, s, 0, "JetStream");
	}
	*pp = p;
	return CMT_BUS_OK;
usage:
	cmt_bus_pub_close(p);
	return CMT_BUS_ELINE;   /* the caller reports a usage error */
}

/* Is any stream listening on subject?  Answers a "no responders" reply:
 * a missing stream, or one between leaders. */
static int
subject_matches(const char *pat, const char *subj)
{
	while (*pat && *subj) {
		size_t pn = strcspn(pat, "."), sn = strcspn(subj, ".");

		if (pn == 1 && *pat == '>')
			return 1;
		if (!(pn == 1 && *pat == '*') &&
		    (pn != sn || memcmp(pat, subj, pn) != 0))
			return 0;
		pat += pn;
		subj += sn;
		if (*pat != *subj)
			return 0;
		if (*pat) {
			pat++;
			subj++;
		}
	}
	return !*pat && !*subj;
}

static enum cmt_bus_status
stream_for(struct cmt_bus_pub *p, const char *subj, char *err)
{
	jsStreamInfoList *list = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	int i, j, found = 0;

	s = js_Streams(&list, p->b->js, NULL, &jerr);
	if (s == NATS_NOT_FOUND)
		list = NULL;
	else if (s == NATS_NO_RESPONDERS)
		return cmt_errf(err, CMT_EVALUE, "JetStream is not enabled at "
			"the server"), CMT_BUS_ENOSTREAM;
	else if (s != NATS_OK)
		return CMT_BUS_OK;      /* cannot tell: keep trying */
	for (i = 0; list && i < list->Count && !found; i++) {
		jsStreamConfig *c = list->List[i]->Config;

		for (j = 0; c && j < c->SubjectsLen && !found; j++)
			found = subject_matches(c->Subjects[j], subj);
	}
	jsStreamInfoList_Destroy(list);
	if (!found)
		return cmt_errf(err, CMT_EVALUE, "no stream stores subject '%s' "
			"(create one with --create-stream NAME)", subj),
			CMT_BUS_ENOSTREAM;
	return CMT_BUS_OK;
}

/* Send the failed messages again, in input order, with nothing else in
 * flight; a round that follows a failed round waits first (50 ms doubling
 * to 2 s).  A message that cannot even be handed to libnats ends the round,
 * so none after it goes out before it.  Mutex held on entry and exit. */
static void
resend_failed(struct cmt_bus_pub *p)
{
	uint64_t i;

	if (p->backoff > 0) {
		pthread_mutex_unlock(&p->mu);
		sleep_ms(p->backoff);
		pthread_mutex_lock(&p->mu);
	}
	p->backoff = p->backoff ? (p->backoff < 1000 ? p->backoff * 2 : 2000) :
		50;
	for (i = p->head; i < p->tail; i++) {
		struct slot *sl = &p->ring[i % (uint64_t)p->o.window];
		natsMsg *m = sl->m;
		natsStatus ns;

		if (sl->state != SLOT_FAILED)
			continue;
		sl->state = SLOT_FLIGHT;
		sl->sent_ms = cmt_clock_mono_ms();
		p->nfailed--;
		p->st.resent++;
		pthread_mutex_unlock(&p->mu);
		ns = js_PublishMsgAsync(p->b->js, &m, NULL);
		pthread_mutex_lock(&p->mu);
		if (ns != NATS_OK) {    /* still ours */
			sl->state = SLOT_FAILED;
			p->nfailed++;
			snprintf(p->lasterr, sizeof p->lasterr, "%s",
				natsStatus_GetText(ns));
			break;
		}
	}
}

/* A line waited longer than the ack wait: take every line in flight back
 * from libnats (acknowledgements still on the way are then dropped) and
 * count them failed, to be resent in order.  Mutex held. */
static void
take_back(struct cmt_bus_pub *p)
{
	natsMsgList list = { 0 };
	uint64_t j;
	int i, n;

	pthread_mutex_unlock(&p->mu);
	n = js_PublishAsyncGetPendingList(&list, p->b->js) == NATS_OK ?
		list.Count : 0;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < n; i++)
		for (j = p->head; j < p->tail; j++) {
			struct slot *sl = &p->ring[j % (uint64_t)p->o.window];

			if (sl->state == SLOT_FLIGHT && sl->m == list.Msgs[i]) {
				sl->state = SLOT_FAILED;
				p->nfailed++;
				if (!p->fail_since)
					p->fail_since = cmt_clock_mono_ms();
				list.Msgs[i] = NULL;    /* ours now */
				break;
			}
		}
	snprintf(p->lasterr, sizeof p->lasterr, "no acknowledgement within "
		"%lldms", (long long)p->o.ack_wait_ms);
	pthread_mutex_unlock(&p->mu);
	if (n > 0)
		natsMsgList_Destroy(&list);
	pthread_mutex_lock(&p->mu);
}

/* How long the oldest message may wait for its acknowledgement before new
 * ones are held back: far shorter than any leader election, so a message
 * lost with a dying leader cannot be overtaken by a later one stored by
 * the next leader. */
#define HOLD_MS 250

static int64_t
hold_ms(const struct cmt_bus_pub *p)
{
	return p->o.ack_wait_ms < HOLD_MS ? p->o.ack_wait_ms : HOLD_MS;
}

/* Wait, with the mutex held, until a new line may go out (want_room) or
 * until nothing is in flight (!want_room); resend failures on the way. */
static enum cmt_bus_status
pub_wait(struct cmt_bus_pub *p, int want_room, char *err)
{
	for (;;) {
		uint64_t inflight = p->tail - p->head;
		struct slot *old = inflight ?
			&p->ring[p->head % (uint64_t)p->o.window] : NULL;
		int64_t now = cmt_clock_mono_ms();
		struct timespec ts;

		if (old && old->state == SLOT_FLIGHT &&
		    now - old->sent_ms >= p->o.ack_wait_ms) {
			take_back(p);
			continue;
		}
		if (p->fail_since && now - p->fail_since > p->o.retry_for_ms)
			return cmt_errf(err, CMT_EIO, "nothing stored for %llds: "
				"%s", (long long)(now - p->fail_since) / 1000,
				p->lasterr), CMT_BUS_EFAIL;
		if (p->nfailed > 0 && inflight == (uint64_t)p->nfailed) {
			resend_failed(p);
			continue;
		}
		/* the oldest message unanswered for HOLD_MS holds new ones */
		if (want_room && p->nfailed == 0 &&
		    inflight < (uint64_t)p->o.window &&
		    p->inflight_bytes < MAX_INFLIGHT_BYTES &&
		    (!old || old->state != SLOT_FLIGHT ||
		     now - old->sent_ms < hold_ms(p)))
			return CMT_BUS_OK;
		if (!want_room && inflight == 0)
			return CMT_BUS_OK;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
}

/* Send one message (a line, or a batch of lines of one subject). */
static enum cmt_bus_status
send_msg(struct cmt_bus_pub *p, const char *subj, const char *id,
	const char *data, size_t len, char *err)
{
	enum cmt_bus_status st;
	natsMsg *m = NULL;
	jsPubOptions po;
	struct slot *sl;
	natsStatus ns;

	if ((ns = natsMsg_Create(&m, subj, NULL, data, (int)len)) != NATS_OK)
		return fail(err, ns, 0, "message");
	jsPubOptions_Init(&po);
	po.MsgId = id;
	pthread_mutex_lock(&p->mu);
	if ((st = pub_wait(p, 1, err)) != CMT_BUS_OK) {
		pthread_mutex_unlock(&p->mu);
		natsMsg_Destroy(m);
		return st;
	}
	/* the first message tells a missing stream at once */
	if (p->tail == 0) {
		pthread_mutex_unlock(&p->mu);
		if ((st = stream_for(p, subj, err)) != CMT_BUS_OK) {
			natsMsg_Destroy(m);
			return st;
		}
		pthread_mutex_lock(&p->mu);
	}
	sl = &p->ring[p->tail % (uint64_t)p->o.window];
	sl->m = m;
	sl->state = SLOT_FLIGHT;
	sl->sent_ms = cmt_clock_mono_ms();
	sl->len = len;
	p->inflight_bytes += len;
	p->tail++;
	pthread_mutex_unlock(&p->mu);
	ns = js_PublishMsgAsync(p->b->js, &m, &po);
	if (ns != NATS_OK) {
		/* not sent (m is still ours): resend it in order later */
		pthread_mutex_lock(&p->mu);
		sl->m = m;
		sl->state = SLOT_FAILED;
		p->nfailed++;
		if (!p->fail_since)
			p->fail_since = cmt_clock_mono_ms();
		snprintf(p->lasterr, sizeof p->lasterr, "%s",
			natsStatus_GetText(ns));
		pthread_mutex_unlock(&p->mu);
	}
	return CMT_BUS_OK;
}

/* Send batch b: its id is the first line's id and the line count. */
static enum cmt_bus_status
batch_send(struct cmt_bus_pub *p, struct batch *b, char *err)
{
	enum cmt_bus_status st;
	size_t w = strlen(b->id);

	snprintf(b->id + w, sizeof b->id - w, "+%d", b->n);
	st = send_msg(p, b->subj, b->id, b->buf, b->len, err);
	b->n = 0;
	b->len = 0;
	return st;
}

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The open batch of subject subj, or a new one; NULL when the table is
 * full (the caller sends every batch and tries again). */
static struct batch *
batch_for(struct cmt_bus_pub *p, const char *subj)
{
	uint32_t h = hash_str(subj);
	int i, k;

	for (i = 0; i < NBATCH; i++) {
		struct batch *b = &p->bt[(h + (uint32_t)i) % NBATCH];

		if (!b->subj[0]) {
			if (p->nopen * 4 >= NBATCH * 3)
				return NULL;
			snprintf(b->subj, sizeof b->subj, "%s", subj);
			k = (int)((h + (uint32_t)i) % NBATCH);
			p->open[p->nopen++] = k;
			return b;
		}
		if (!strcmp(b->subj, subj))
			return b;
	}
	return NULL;
}

enum cmt_bus_status
cmt_bus_pub_send(struct cmt_bus_pub *p, char *err)
{
	enum cmt_bus_status st = CMT_BUS_OK;
	int i;

	for (i = 0; i < p->nopen; i++) {
		struct batch *b = &p->bt[p->open[i]];

		if (st == CMT_BUS_OK && b->n > 0)
			st = batch_send(p, b, err);
		b->subj[0] = 0;
	}
	p->nopen = 0;
	return st;
}

enum cmt_bus_status
cmt_bus_pub_line(struct cmt_bus_pub *p, const char *s, size_t len, char *err)
{
	char subj[SUBJECT_MAX], id[ID_MAX];
	enum cmt_bus_status st;
	struct batch *b;
	size_t w;
	int i;

	if (fields_scan(&p->f, s, len, err) ||
	    tmpl_expand(&p->t, &p->f, p->o.partitions, subj, err))
		return CMT_BUS_ELINE;
	/* the id: subject, then each id field, '|' between */
	w = strlen(subj);
	memcpy(id, subj, w);
	for (i = 0; i < p->nid; i++) {
		size_t n = p->f.vlen[p->idf[i]];

		if (w + 1 + n >= sizeof id - 16)
			return cmt_errf(err, CMT_ETOOLONG, "id too long"),
				CMT_BUS_ELINE;
		id[w++] = '|';
		memcpy(id + w, p->f.v[p->idf[i]], n);
		w += n;
	}
	id[w] = 0;
	if (p->o.batch <= 1)
		return send_msg(p, subj, id, s, len, err);
	if (!(b = batch_for(p, subj))) {
		if ((st = cmt_bus_pub_send(p, err)) != CMT_BUS_OK)
			return st;
		b = batch_for(p, subj);
	}
	if (b->n > 0 && b->len + 1 + len > BATCH_BYTES &&
	    (st = batch_send(p, b, err)) != CMT_BUS_OK)
		return st;
	if (b->len + 1 + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *nb;

		while (cap < b->len + 1 + len)
			cap *= 2;
		if (!(nb = realloc(b->buf, cap)))
			return cmt_errf(err, CMT_ENOMEM, "out of memory"),
				CMT_BUS_EFAIL;
		b->buf = nb;
		b->cap = cap;
	}
	if (b->n == 0)
		memcpy(b->id, id, w + 1);
	else
		b->buf[b->len++] = '\n';
	memcpy(b->buf + b->len, s, len);
	b->len += len;
	if (++b->n >= p->o.batch || b->len >= BATCH_BYTES)
		return batch_send(p, b, err);
	return CMT_BUS_OK;
}

enum cmt_bus_status
cmt_bus_pub_poll(struct cmt_bus_pub *p, char *err)
{
	enum cmt_bus_status st = CMT_BUS_OK;

	pthread_mutex_lock(&p->mu);
	/* resends what failed, and times out what waits too long */
	st = pub_wait(p, 1, err);
	pthread_mutex_unlock(&p->mu);
	return st;
}

enum cmt_bus_status
cmt_bus_pub_flush(struct cmt_bus_pub *p, char *err)
{
	enum cmt_bus_status st;

	if ((st = cmt_bus_pub_send(p, err)) != CMT_BUS_OK)
		return st;
	pthread_mutex_lock(&p->mu);
	st = pub_wait(p, 0, err);
	pthread_mutex_unlock(&p->mu);
	return st;
}

void
cmt_bus_pub_stats(const struct cmt_bus_pub *p, struct cmt_bus_pub_stats *st)
{
	*st = p->st;
}

void
cmt_bus_pub_close(struct cmt_bus_pub *p)
{
	uint64_t i;

	if (!p)
		return;
	if (p->b && p->b->js) {
		/* libnats still owns what is in flight; let it go first */
		jsCtx_Destroy(p->b->js);
		p->b->js = NULL;
	}
	for (i = p->head; p->ring && i < p->tail; i++) {
		struct slot *sl = &p->ring[i % (uint64_t)p->o.window];

		if (sl->state == SLOT_FAILED)
			natsMsg_Destroy(sl->m);
	}
	free(p->ring);
	for (i = 0; i < NBATCH; i++)
		free(p->bt[i].buf);
	fields_free(&p->f);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* ---- subscribing ---- */

struct cmt_bus_sub {
	struct cmt_bus *b;
	struct cmt_bus_sub_opts o;
	char filter[SUBJECT_MAX];
	char *consumer;           /* its name (server-made for ephemerals) */
	natsSubscription *sub;
	uint64_t written_seq;     /* stream sequence of the last line written */
	uint64_t last_dseq;       /* delivery sequence of the last message */
	struct fields f;          /* "sym", for the partition check */
	uint64_t time_seq;        /* --from TIME as a stream sequence */
	struct cmt_bus_sub_stats st;
};

void
cmt_bus_sub_defaults(struct cmt_bus_sub_opts *o)
{
	memset(o, 0, sizeof *o);
	o->stream = "CMT";
	o->batch = 256;
	o->count = -1;
}

/* Create the consumer starting at stream sequence start (0: as the options
 * say), then (re)subscribe to it. */
static enum cmt_bus_status
consumer_make(struct cmt_bus_sub *s, uint64_t start, char *err)
{
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus ns = NATS_OK;
	int64_t deadline = cmt_clock_mono_ms() + 120000, backoff = 100;

	if (s->sub) {
		natsSubscription_Unsubscribe(s->sub);
		natsSubscription_Destroy(s->sub);
		s->sub = NULL;
	}
	jsConsumerConfig_Init(&cc);
	cc.Durable = s->o.durable;
	cc.AckPolicy = js_AckAll;
	cc.AckWait = (int64_t)30 * 1000000000;
	cc.MaxAckPending = s->o.batch * 4 > 65536 ? s->o.batch * 4 : 65536;
	cc.FilterSubject = s->filter[0] ? s->filter : NULL;
	if (!s->o.durable)
		cc.InactiveThreshold = (int64_t)300 * 1000000000;
	if (start > 0) {
		cc.DeliverPolicy = js_DeliverByStartSequence;
		cc.OptStartSeq = start;
	} else {
		switch (s->o.from) {
		case CMT_BUS_FROM_ALL: cc.DeliverPolicy = js_DeliverAll; break;
		case CMT_BUS_FROM_NEW: cc.DeliverPolicy = js_DeliverNew; break;
		case CMT_BUS_FROM_TIME:   /* resolved to a sequence at open */
			cc.DeliverPolicy = js_DeliverByStartSequence;
			cc.OptStartSeq = s->time_seq;
			break;
		case CMT_BUS_FROM_SEQ:
			cc.DeliverPolicy = js_DeliverByStartSequence;
			cc.OptStartSeq = s->o.from_seq;
			break;
		}
	}
	/* delete the old one, then add: both retried while a cluster is
	 * between leaders */
	for (;;) {
		if (s->consumer) {
			jerr = 0;
			ns = js_DeleteConsumer(s->b->js, s->o.stream, s->consumer,
				NULL, &jerr);
			if (ns == NATS_OK || ns == NATS_NOT_FOUND ||
			    jerr == JSConsumerNotFoundErr) {
				free(s->consumer);
				s->consumer = NULL;
			}
		}
		if (!s->consumer) {
			jerr = 0;
			ns = js_AddConsumer(&ci, s->b->js, s->o.stream, &cc, NULL,
				&jerr);
			if (ns == NATS_OK)
				break;
		}
		if (ns == NATS_CONNECTION_CLOSED || ns == NATS_NOT_PERMITTED ||
		    jerr == JSStreamNotFoundErr || cmt_clock_mono_ms() > deadline ||
		    *s->o.stop)
			return fail(err, ns, jerr, "consumer");
		logf_(s->b, "consumer: %s; retrying", natsStatus_GetText(ns));
		sleep_ms(backoff);
		if (backoff < 2000)
			backoff *= 2;
	}
	s->consumer = strdup(ci->Name);
	jsConsumerInfo_Destroy(ci);
	if (!s->consumer)
		return cmt_errf(err, CMT_ENOMEM, "out of memory"), CMT_BUS_EFAIL;
	s->last_dseq = 0;
	jsSubOptions_Init(&so);
	so.Stream = s->o.stream;
	so.Consumer = s->consumer;
	ns = js_PullSubscribe(&s->sub, s->b->js, s->filter[0] ? s->filter :
		NULL, s->o.durable, NULL, &so, &jerr);
	if (ns != NATS_OK)
		return fail(err, ns, jerr, "subscribe");
	return CMT_BUS_OK;
}

/* The store time of message seq, or of the first one after it (deleted
 * messages leave holes); 0 past the end.  *at gets its sequence. */
static int64_t
msg_time(struct cmt_bus_sub *s, uint64_t seq, uint64_t last, uint64_t *at)
{
	natsMsg *m = NULL;
	int64_t t;

	for (; seq <= last; seq++) {
		if (js_GetMsg(&m, s->b->js, s->o.stream, seq, NULL, NULL) != NATS_OK)
			continue;
		t = natsMsg_GetTime(m);
		natsMsg_Destroy(m);
		*at = seq;
		return t;
	}
	return 0;
}

/* The first stream sequence stored at or after the time from_ms, by
 * binary search on the store times (which grow with the sequence).  The
 * server's own start-by-time resolves it too, but nats-server 2.9.10 can
 * answer "after the last message" for a time inside the stream. */
static uint64_t
seq_from_time(struct cmt_bus_sub *s, const jsStreamInfo *si)
{
	int64_t want = s->o.from_ms * 1000000;
	uint64_t lo = si->State.FirstSeq, hi = si->State.LastSeq + 1, at;

	if (si->State.Msgs == 0 || si->State.LastTime < want)
		return si->State.LastSeq + 1;
	while (lo < hi) {       /* answer in [lo, hi] */
		uint64_t mid = lo + (hi - lo) / 2;
		int64_t t = msg_time(s, mid, hi - 1, &at);

		if (t == 0 || t >= want)
			hi = mid;
		else
			lo = at + 1;
	}
	return lo > 0 ? lo : 1;
}

enum cmt_bus_status
cmt_bus_sub_open(struct cmt_bus_sub **sp, struct cmt_bus *b,
	const struct cmt_bus_sub_opts *o, char *err)
{
	struct cmt_bus_sub *s;
	jsStreamInfo *si = NULL;
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	enum cmt_bus_status st = CMT_BUS_OK;
	natsStatus ns;
	const char *part;
	uint64_t start;

	*sp = NULL;
	if (!(s = calloc(1, sizeof *s)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory"), CMT_BUS_EFAIL;
	s->b = b;
	s->o = *o;
	if (o->filter) {
		if (cmt_bus_template_check(o->filter, NULL, 0, err) == CMT_OK &&
		    strchr(o->filter, '{') && !strstr(o->filter, "{part}")) {
			cmt_errf(err, CMT_EVALUE, "--filter: only {part} may be "
				"filled in");
			goto usage;
		}
		part = strstr(o->filter, "{part}");
		if (!part != !o->part_n) {
			cmt_errf(err, CMT_EVALUE, o->part_n ? "--partition needs "
				"a --filter with {part}, as published" :
				"{part} in --filter needs --partition K/N");
			goto usage;
		}
		if (part)
			snprintf(s->filter, sizeof s->filter, "%.*s%d%s",
				(int)(part - o->filter), o->filter, o->part_k,
				part + 6);
		else
			snprintf(s->filter, sizeof s->filter, "%s", o->filter);
	} else if (o->part_n) {
		cmt_errf(err, CMT_EVALUE, "--partition needs a --filter with "
			"{part}, as published");
		goto usage;
	}
	if (o->part_n && field_add(&s->f, "sym", 3, err) < 0)
		goto usage;
	ns = js_GetStreamInfo(&si, b->js, o->stream, NULL, &jerr);
	if (ns == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
		cmt_errf(err, CMT_EVALUE, "stream '%s' not found", o->stream);
		st = CMT_BUS_ENOSTREAM;
		goto out;
	}
	if (ns == NATS_NO_RESPONDERS) {
		cmt_errf(err, CMT_EVALUE, "JetStream is not enabled at the "
			"server");
		st = CMT_BUS_ENOSTREAM;
		goto out;
	}
	if (ns != NATS_OK) {
		st = fail(err, ns, jerr, o->stream);
		goto out;
	}
	if (o->from == CMT_BUS_FROM_TIME)
		s->time_seq = seq_from_time(s, si);
	/* where a new consumer starts, as the "last line written" from which
	 * a consumer re-created before the first line would start again */
	start = o->from == CMT_BUS_FROM_NEW ? si->State.LastSeq :
		o->from == CMT_BUS_FROM_SEQ ? o->from_seq - 1 :
		o->from == CMT_BUS_FROM_TIME ? s->time_seq - 1 : 0;
	jsStreamInfo_Destroy(si);
	if (o->durable) {
		ns = js_GetConsumerInfo(&ci, b->js, o->stream, o->durable, NULL,
			&jerr);
		if (ns != NATS_OK && ns != NATS_NOT_FOUND &&
		    jerr != JSConsumerNotFoundErr) {
			st = fail(err, ns, jerr, o->durable);
			goto out;
		}
	}
	if (ci) {
		const char *have = ci->Config && ci->Config->FilterSubject ?
			ci->Config->FilterSubject : "";

		if (ci->Config && ci->Config->AckPolicy != js_AckAll) {
			cmt_errf(err, CMT_EVALUE, "durable '%s' was not made by "
				"cmt-bus (its ack policy is not 'all'): use another "
				"--durable", o->durable);
			jsConsumerInfo_Destroy(ci);
			st = CMT_BUS_EFAIL;
			goto out;
		}
		if (strcmp(have, s->filter) != 0) {
			cmt_errf(err, CMT_EVALUE, "durable '%s' filters '%s', not "
				"'%s': use another --durable", o->durable,
				*have ? have : "(all)", *s->filter ? s->filter :
				"(all)");
			jsConsumerInfo_Destroy(ci);
			st = CMT_BUS_EFAIL;
			goto out;
		}
		/* continue after the last line acknowledged; lines delivered
		 * since then are delivered again, in order */
		s->written_seq = ci->AckFloor.Stream;
		s->consumer = strdup(o->durable);
		if (o->from != CMT_BUS_FROM_ALL)
			logf_(b, "durable '%s' exists: continuing after stream "
				"sequence %llu, not where --from/--from-seq/--new "
				"say", o->durable, (unsigned long long)s->written_seq);
		if (ci->Delivered.Stream > ci->AckFloor.Stream ||
		    ci->NumAckPending > 0)
			st = consumer_make(s, ci->AckFloor.Stream + 1, err);
		else {
			jsSubOptions so;

			jsSubOptions_Init(&so);
			so.Stream = o->stream;
			so.Consumer = o->durable;
			ns = js_PullSubscribe(&s->sub, b->js, s->filter[0] ?
				s->filter : NULL, o->durable, NULL, &so, &jerr);
			if (ns != NATS_OK)
				st = fail(err, ns, jerr, "subscribe");
			s->last_dseq = ci->Delivered.Consumer;
		}
		jsConsumerInfo_Destroy(ci);
	} else {
		st = consumer_make(s, 0, err);
		s->written_seq = start;
	}
	s->st.start_seq = s->written_seq;
out:
	if (st != CMT_BUS_OK) {
		cmt_bus_sub_close(s);
		return st;
	}
	*sp = s;
	return CMT_BUS_OK;
usage:
	cmt_bus_sub_close(s);
	return CMT_BUS_ELINE;
}

/* Stream and delivery sequence from the reply subject:
 * $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>
 * or, with domain and account hash, two tokens more before <stream>. */
static int
ack_meta(const char *reply, uint64_t *sseq, uint64_t *dseq)
{
	const char *tok[16];
	int n = 0, base;

	if (!reply || strncmp(reply, "$JS.ACK.", 8) != 0)
		return -1;
	for (tok[n++] = reply; *reply && n < 16; reply++)
		if (*reply == '.')
			tok[n++] = reply + 1;
	if (n == 9)
		base = 2;
	else if (n >= 11)
		base = 4;
	else
		return -1;
	*sseq = strtoull(tok[base + 3], NULL, 10);
	*dseq = strtoull(tok[base + 4], NULL, 10);
	return 0;
}

static enum cmt_bus_status
check_partition(struct cmt_bus_sub *s, const char *d, int n, char *err)
{
	char sym[CMT_SYM_MAX];
	int k;

	const char *nl = memchr(d, '\n', (size_t)n);

	if (nl)         /* a batch: its lines share the subject, so the first
			 * line's symbol is the batch's */
		n = (int)(nl - d);
	if (fields_scan(&s->f, d, (size_t)n, err) || line_sym(&s->f, sym, err))
		return CMT_BUS_OK;      /* not a tick: passed on as it is */
	k = cmt_bus_partition(sym, strlen(sym), s->o.part_n);
	if (k != s->o.part_k)
		return cmt_errf(err, CMT_EVALUE, "%s is in partition %d of %d, "
			"not %d: the publisher used another partition count",
			sym, k, s->o.part_n, s->o.part_k), CMT_BUS_EFAIL;
	return CMT_BUS_OK;
}

/* Lines in message d[0..n): all of them, or the first max (max > 0),
 * with *used set to the bytes they take (without the last newline). */
static int64_t
count_lines(const char *d, int n, int64_t max, int *used)
{
	const char *p = d, *end = d + n, *nl;
	int64_t k = 1;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (max > 0 && k == max) {
			*used = (int)(nl - d);
			return k;
		}
		k++;
		p = nl + 1;
	}
	*used = n;
	return k;
}

/* Nothing left for us: no message pending and none unacknowledged. */
static int
drained(struct cmt_bus_sub *s)
{
	jsConsumerInfo *ci = NULL;
	int done;

	if (js_GetConsumerInfo(&ci, s->b->js, s->o.stream, s->consumer, NULL,
	    NULL) != NATS_OK)
		return 0;
	done = ci->NumPending == 0 && ci->NumAckPending == 0;
	jsConsumerInfo_Destroy(ci);
	return done;
}

/* Before a durable's process exits: wait (5 s at most) until the server
 * has the acknowledgement of the last line written, which may have been
 * sent without waiting for an answer. */
static void
acked(struct cmt_bus_sub *s)
{
	jsConsumerInfo *ci = NULL;
	int64_t end = cmt_clock_mono_ms() + 5000;
	int done;

	if (!s->o.durable || s->st.written == 0)
		return;
	natsConnection_FlushTimeout(s->b->nc, 5000);
	do {
		if (js_GetConsumerInfo(&ci, s->b->js, s->o.stream, s->consumer,
		    NULL, NULL) != NATS_OK)
			return;
		done = ci->AckFloor.Stream >= s->written_seq;
		jsConsumerInfo_Destroy(ci);
		if (!done)
			sleep_ms(20);
	} while (!done && cmt_clock_mono_ms() < end);
}

enum cmt_bus_status
cmt_bus_sub_run(struct cmt_bus_sub *s, char *err)
{
	enum cmt_bus_status st;
	int64_t backoff = 100;
	int warned = 0;

	while (!*s->o.stop && s->o.count != 0) {
		natsMsgList list = { 0 };
		natsMsg *ack = NULL;
		jsErrCode jerr = 0;
		natsStatus ns;
		int i, want = s->o.batch, gap = 0;
		int64_t lines;

		if (s->o.count > 0 && s->o.count < want)
			want = (int)s->o.count;
		ns = natsSubscription_Fetch(&list, s->sub, want, 500, &jerr);
		if (ns == NATS_TIMEOUT) {
			if (s->o.at_end && drained(s))
				break;
			continue;
		}
		if (ns != NATS_OK) {
			if (ns == NATS_CONNECTION_CLOSED)
				return fail(err, ns, jerr, "fetch");
			if (ns == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
				logf_(s->b, "consumer gone; making it again after "
					"stream sequence %llu",
					(unsigned long long)s->written_seq);
				if ((st = consumer_make(s, s->written_seq + 1, err)))
					return st;
				continue;
			}
			if (!warned++)
				fail(err, ns, jerr, "fetch");
			if (warned == 1)
				logf_(s->b, "%s; retrying", err);
			sleep_ms(backoff);
			if (backoff < 3000)
				backoff *= 2;
			continue;
		}
		backoff = 100;
		warned = 0;
		for (i = 0; i < list.Count; i++) {
			natsMsg *m = list.Msgs[i];
			const char *d = natsMsg_GetData(m);
			int n = natsMsg_GetDataLength(m);
			uint64_t sseq, dseq;

			if (ack_meta(natsMsg_GetReply(m), &sseq, &dseq) != 0)
				continue;
			if (sseq <= s->written_seq) {
				s->st.redelivered++;
				if (dseq > s->last_dseq)
					s->last_dseq = dseq;
				ack = m;
				continue;
			}
			if (dseq != s->last_dseq + 1) {
				gap = 1;
				break;
			}
			if (s->o.part_n &&
			    (st = check_partition(s, d, n, err)) != CMT_BUS_OK) {
				natsMsgList_Destroy(&list);
				return st;
			}
			/* a message holds one line or several (a batch) */
			lines = count_lines(d, n, s->o.count, &n);
			if (s->o.write(s->o.ctx, d, (size_t)n) != 0 ||
			    s->o.write(s->o.ctx, "\n", 1) != 0) {
				natsMsgList_Destroy(&list);
				return cmt_errf(err, CMT_EIO, "write error"),
					CMT_BUS_EFAIL;
			}
			s->st.written += lines;
			if (s->o.count > 0 && (s->o.count -= lines) == 0 &&
			    n < natsMsg_GetDataLength(m))
				break;  /* -n ended inside it: not acknowledged */
			s->written_seq = sseq;
			s->last_dseq = dseq;
			ack = m;
		}
		if (s->o.flush(s->o.ctx) != 0) {
			natsMsgList_Destroy(&list);
			return cmt_errf(err, CMT_EIO, "write error"), CMT_BUS_EFAIL;
		}
		if (ack) {
			/* the last batch of a run waits for its acknowledgement */
			if (*s->o.stop || s->o.count == 0)
				natsMsg_AckSync(ack, NULL, NULL);
			else
				natsMsg_Ack(ack, NULL);
		}
		natsMsgList_Destroy(&list);
		if (gap) {
			s->st.resets++;
			if ((st = consumer_make(s, s->written_seq + 1, err)))
				return st;
		}
	}
	acked(s);
	return CMT_BUS_OK;
}

void
cmt_bus_sub_stats(const struct cmt_bus_sub *s, struct cmt_bus_sub_stats *st)
{
	*st = s->st;
}

void
cmt_bus_sub_close(struct cmt_bus_sub *s)
{
	if (!s)
		return;
	if (s->sub) {
		natsSubscription_Unsubscribe(s->sub);
		natsSubscription_Destroy(s->sub);
	}
	/* an ephemeral consumer goes with us; a durable stays */
	if (s->consumer && !s->o.durable)
		js_DeleteConsumer(s->b->js, s->o.stream, s->consumer, NULL, NULL);
	free(s->consumer);
	fields_free(&s->f);
	free(s);
}
