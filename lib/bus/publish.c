/* Publishing: each line to a message (or a batch of lines to one) on the
 * subject its fields name, in input order.  A cmt_bus_pub owns its ring,
 * batches and failed messages; libnats owns a message while it is in flight.
 *
 * Publishing gathers the lines of one subject into a message while input
 * keeps coming, and keeps its own window of messages in flight, in input
 * order, above libnats' asynchronous publish: the acknowledgement callback
 * (a libnats thread) marks slots done or failed, the caller's thread
 * sends.  When anything fails, sending stops until every message in flight
 * is settled, and the failed ones are sent again in input order before new
 * ones go out; the oldest message unanswered for 250 ms also holds new ones
 * back.  So a stream leader that dies cannot store a later line of a
 * symbol before an earlier one that it lost. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "bus_int.h"
#include "cmt_clock.h"
#include "cmt_strbuf.h"

enum { SLOT_FLIGHT = 1, SLOT_DONE, SLOT_FAILED };

/* Lines of one subject gathered into one message while input keeps
 * coming; NBATCH subjects open at once, BATCH_BYTES per message at most. */
#define NBATCH 256
#define BATCH_BYTES (60 * 1024)

struct batch {
	char subj[SUBJECT_MAX];   /* "" when the entry is free */
	char id[ID_MAX];          /* the first line's id */
	struct cmt_strbuf text;   /* its lines, a newline between */
	int n;
	uint64_t first_no;        /* the first line's number */
};

struct slot {
	natsMsg *m;       /* owned while failed; libnats' while in flight */
	int64_t sent_ms;
	size_t len;
	int state;
	int nlines;
	uint64_t first_no;
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
	uint64_t unsent, unsent_first; /* lines given up before sending */
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
	if (bus_tmpl_compile(&p->t, &p->f, o->subject, err))
		goto usage;
	if (bus_tmpl_has_part(&p->t) != (o->partitions > 0)) {
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
		if ((p->idf[p->nid++] = bus_field_add(&p->f, id, (size_t)(c - id),
		    err)) < 0)
			goto usage;
		id = *c ? c + 1 : c;
	}
	if (!(p->ring = calloc((size_t)o->window, sizeof *p->ring))) {
		cmt_errf(err, CMT_ENOMEM, "out of memory");
		goto usage;
	}
	if (o->create_stream && (st = bus_stream_create(b, o, err)) != CMT_BUS_OK) {
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
		return bus_fail(err, s, 0, "JetStream");
	}
	*pp = p;
	return CMT_BUS_OK;
usage:
	cmt_bus_pub_close(p);
	return CMT_BUS_ELINE;   /* the caller reports a usage error */
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
		bus_sleep_ms(p->b, p->backoff);
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
 * until nothing is in flight (!want_room); resend failures on the way.
 * After a stop, only until its grace is over. */
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
		if (bus_stop_left(p->b) == 0)
			return bus_stopped(p->b, err);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
}

/* Lines given up before they were sent: counted for the stats. */
static void
unsent(struct cmt_bus_pub *p, uint64_t first_no, int nlines)
{
	pthread_mutex_lock(&p->mu);
	if (!p->unsent || first_no < p->unsent_first)
		p->unsent_first = first_no;
	p->unsent += (uint64_t)nlines;
	pthread_mutex_unlock(&p->mu);
}

/* Send one message (a line, or a batch of nlines lines of one subject,
 * the first numbered first_no). */
static enum cmt_bus_status
send_msg(struct cmt_bus_pub *p, const char *subj, const char *id,
	const char *data, size_t len, uint64_t first_no, int nlines, char *err)
{
	enum cmt_bus_status st;
	natsMsg *m = NULL;
	jsPubOptions po;
	struct slot *sl;
	natsStatus ns;

	if ((ns = natsMsg_Create(&m, subj, NULL, data, (int)len)) != NATS_OK) {
		unsent(p, first_no, nlines);
		return bus_fail(err, ns, 0, "message");
	}
	jsPubOptions_Init(&po);
	po.MsgId = id;
	pthread_mutex_lock(&p->mu);
	if ((st = pub_wait(p, 1, err)) != CMT_BUS_OK) {
		pthread_mutex_unlock(&p->mu);
		natsMsg_Destroy(m);
		unsent(p, first_no, nlines);
		return st;
	}
	/* the first message tells a missing stream at once */
	if (p->tail == 0) {
		pthread_mutex_unlock(&p->mu);
		if ((st = bus_stream_for(p->b, subj, err)) != CMT_BUS_OK) {
			natsMsg_Destroy(m);
			unsent(p, first_no, nlines);
			return st;
		}
		pthread_mutex_lock(&p->mu);
	}
	sl = &p->ring[p->tail % (uint64_t)p->o.window];
	sl->m = m;
	sl->state = SLOT_FLIGHT;
	sl->sent_ms = cmt_clock_mono_ms();
	sl->len = len;
	sl->nlines = nlines;
	sl->first_no = first_no;
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
	st = send_msg(p, b->subj, b->id, b->text.s, b->text.len, b->first_no,
		b->n, err);
	b->n = 0;
	b->text.len = 0;        /* the room stays for the next lines */
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
	enum cmt_bus_status st = CMT_BUS_OK, r;
	char e2[CMT_ERRLEN];
	int i;

	/* every batch is sent, or counted unsent: after the first failure
	 * the others fail at once */
	for (i = 0; i < p->nopen; i++) {
		struct batch *b = &p->bt[p->open[i]];

		if (b->n > 0 && (r = batch_send(p, b, st ? e2 : err)) && !st)
			st = r;
		b->subj[0] = 0;
	}
	p->nopen = 0;
	return st;
}

enum cmt_bus_status
cmt_bus_pub_line(struct cmt_bus_pub *p, const char *s, size_t len,
	uint64_t no, char *err)
{
	char subj[SUBJECT_MAX], id[ID_MAX];
	enum cmt_bus_status st;
	struct batch *b;
	size_t w;
	int i;

	if (bus_fields_scan(&p->f, s, len, err) ||
	    bus_tmpl_expand(&p->t, &p->f, p->o.partitions, subj, err))
		return CMT_BUS_ELINE;
	/* the id: subject, then each id field's value, '|' between (room
	 * is left for a batch's "+n") */
	w = strlen(subj);
	memcpy(id, subj, w);
	for (i = 0; i < p->nid; i++) {
		long n;

		id[w++] = '|';
		if ((n = bus_id_value(&p->f, p->idf[i], id + w,
		    sizeof id - 16 - w, err)) < 0)
			return CMT_BUS_ELINE;
		w += (size_t)n;
	}
	id[w] = 0;
	if (p->o.batch <= 1)
		return send_msg(p, subj, id, s, len, no, 1, err);
	if (!(b = batch_for(p, subj))) {
		if ((st = cmt_bus_pub_send(p, err)) != CMT_BUS_OK)
			return unsent(p, no, 1), st;
		b = batch_for(p, subj);
	}
	if (b->n > 0 && b->text.len + 1 + len > BATCH_BYTES &&
	    (st = batch_send(p, b, err)) != CMT_BUS_OK)
		return unsent(p, no, 1), st;
	if (cmt_strbuf_reserve(&b->text, 1 + len))
		return unsent(p, no, 1), cmt_errf(err, CMT_ENOMEM,
			"out of memory"), CMT_BUS_EFAIL;
	if (b->n == 0) {
		memcpy(b->id, id, w + 1);
		b->first_no = no;
	} else
		cmt_strbuf_put(&b->text, "\n", 1);
	cmt_strbuf_put(&b->text, s, len);
	if (++b->n >= p->o.batch || b->text.len >= BATCH_BYTES)
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
cmt_bus_pub_stats(struct cmt_bus_pub *p, struct cmt_bus_pub_stats *st)
{
	uint64_t n, first, i;
	int k;

	pthread_mutex_lock(&p->mu);
	*st = p->st;
	n = p->unsent;
	first = p->unsent_first;
	for (i = p->head; i < p->tail; i++) {
		const struct slot *sl = &p->ring[i % (uint64_t)p->o.window];

		if (sl->state == SLOT_DONE)
			continue;
		if (!n || sl->first_no < first)
			first = sl->first_no;
		n += (uint64_t)sl->nlines;
	}
	pthread_mutex_unlock(&p->mu);
	for (k = 0; k < p->nopen; k++) {
		const struct batch *b = &p->bt[p->open[k]];

		if (b->n == 0)
			continue;
		if (!n || b->first_no < first)
			first = b->first_no;
		n += (uint64_t)b->n;
	}
	st->unconfirmed = n;
	st->first_unconfirmed = n ? first : 0;
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
		cmt_strbuf_free(&p->bt[i].text);
	bus_fields_free(&p->f);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
