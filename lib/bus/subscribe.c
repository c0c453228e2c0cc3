/* Subscribing: lines from a pull consumer to the caller's writer, each
 * acknowledged only once written and flushed.  A cmt_bus_sub owns its
 * consumer's name and subscription; an ephemeral consumer dies with it.
 *
 * Subscribing pulls batches from a consumer with the AckAll policy, writes
 * them, flushes, and acknowledges the last one, so the consumer's ack
 * floor is exactly the last line known to be out.  The run remembers the
 * stream sequence of the last line written: a copy of an older line is
 * dropped, and a hole in the delivery sequence (deliveries lost on the
 * way, a consumer leader that changed) makes it re-create the consumer
 * just after that line, so lines are never written out of order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "bus_int.h"
#include "cmt_clock.h"
#include "cmt_tick.h"

/* An ephemeral consumer left behind (a crash, the server gone at exit) is
 * removed by the server after this long unused. */
#define EPHEMERAL_IDLE_S 300

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
	uint64_t acked_written;   /* lines written when the last ack went */
	uint64_t confirmed_written; /* ... when the last confirmed one went */
	int64_t confirmed_ms;     /* when an ack was last confirmed */
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

/* A stop's grace ended while the consumer was being made again. */
static enum cmt_bus_status
consumer_lost(struct cmt_bus_sub *s, int deleted, char *err)
{
	char why[CMT_ERRLEN];

	bus_stopped(s->b, why);
	if (!deleted || !s->o.durable)
		return cmt_errf(err, CMT_EIO, "%s", why), CMT_BUS_ESTOPPED;
	/* the durable is gone: a restart would begin where --from says */
	return cmt_errf(err, CMT_EIO, "%s, and durable '%s' was deleted to be "
		"made again: restart with --from-seq %llu to continue after the "
		"last line written", why, s->o.durable,
		(unsigned long long)s->written_seq + 1), CMT_BUS_ESTOPPED;
}

/* Create the consumer starting at stream sequence start (0: as the options
 * say), then (re)subscribe to it. */
static enum cmt_bus_status
consumer_make(struct cmt_bus_sub *s, uint64_t start, char *err)
{
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	jsSubOptions so;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsStatus ns = NATS_OK;
	int64_t deadline = cmt_clock_mono_ms() + 120000, backoff = 100;
	int deleted = 0;

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
		cc.InactiveThreshold = (int64_t)EPHEMERAL_IDLE_S * 1000000000;
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
		if (!bus_api_opts(s->b, &jo))
			return consumer_lost(s, deleted, err);
		if (s->consumer) {
			jerr = 0;
			ns = js_DeleteConsumer(s->b->js, s->o.stream, s->consumer,
				&jo, &jerr);
			if (ns == NATS_OK || ns == NATS_NOT_FOUND ||
			    jerr == JSConsumerNotFoundErr) {
				free(s->consumer);
				s->consumer = NULL;
				deleted = 1;
			}
		}
		if (!s->consumer) {
			jerr = 0;
			ns = js_AddConsumer(&ci, s->b->js, s->o.stream, &cc, &jo,
				&jerr);
			if (ns == NATS_OK)
				break;
		}
		if (ns == NATS_CONNECTION_CLOSED || ns == NATS_NOT_PERMITTED ||
		    jerr == JSStreamNotFoundErr || jerr == JSInvalidJSONErr ||
		    jerr == JSConsumerFilterNotSubsetErr ||
		    cmt_clock_mono_ms() > deadline)
			return bus_fail(err, ns, jerr, "consumer");
		bus_logf(s->b, "consumer: %s; retrying", natsStatus_GetText(ns));
		bus_sleep_ms(s->b, backoff);
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
		return bus_fail(err, ns, jerr, "subscribe");
	return CMT_BUS_OK;
}

/* The store time of message seq, or of the first one after it (deleted
 * messages leave holes); 0 past the end.  *at gets its sequence. */
static int64_t
msg_time(struct cmt_bus_sub *s, uint64_t seq, uint64_t last, uint64_t *at)
{
	natsMsg *m = NULL;
	int64_t t;

	for (; seq <= last && !bus_stopping(s->b); seq++) {
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
		char why[CMT_ERRLEN];

		if (cmt_bus_template_check(o->filter, NULL, 0, why) != CMT_OK) {
			cmt_errf(err, CMT_EVALUE, "--filter: %s", why);
			goto usage;
		}
		if (strchr(o->filter, '{') && !strstr(o->filter, "{part}")) {
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
	if (o->part_n && bus_field_add(&s->f, "sym", 3, err) < 0)
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
		st = bus_fail(err, ns, jerr, o->stream);
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
			st = bus_fail(err, ns, jerr, o->durable);
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
			bus_logf(b, "durable '%s' exists: continuing after stream "
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
				st = bus_fail(err, ns, jerr, "subscribe");
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
	if (bus_fields_scan(&s->f, d, (size_t)n, err) || bus_line_sym(&s->f, sym, err))
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
	jsOptions jo;
	int done;

	if (!bus_api_opts(s->b, &jo) || js_GetConsumerInfo(&ci, s->b->js,
	    s->o.stream, s->consumer, &jo, NULL) != NATS_OK)
		return 0;
	done = ci->NumPending == 0 && ci->NumAckPending == 0;
	jsConsumerInfo_Destroy(ci);
	return done;
}

/* Acknowledge m, the last message of a pull written out in full (the
 * first through lines written are then acknowledged), and when wait_ms > 0
 * wait that long at most for the server to confirm it: then those lines
 * are safe. */
static void
ack(struct cmt_bus_sub *s, natsMsg *m, uint64_t through, int64_t wait_ms)
{
	jsOptions jo;

	s->acked_written = through;
	if (wait_ms <= 0 || !bus_api_opts(s->b, &jo)) {
		natsMsg_Ack(m, NULL);
		return;
	}
	if (jo.Wait > wait_ms)
		jo.Wait = wait_ms;
	s->confirmed_ms = cmt_clock_mono_ms();
	if (natsMsg_AckSync(m, &jo, NULL) == NATS_OK)
		s->confirmed_written = s->acked_written;
}

/* Ask for the consumer's acknowledgement floor, waiting wait_ms at most:
 * 1 if it covers the last line acknowledged (then those lines are safe). */
static int
floor_reached(struct cmt_bus_sub *s, int64_t wait_ms)
{
	jsConsumerInfo *ci = NULL;
	jsOptions jo;
	int done = 0;

	if (!bus_api_opts(s->b, &jo) || wait_ms <= 0)
		return 0;
	if (jo.Wait > wait_ms)
		jo.Wait = wait_ms;
	if (js_GetConsumerInfo(&ci, s->b->js, s->o.stream, s->consumer, &jo,
	    NULL) == NATS_OK) {
		done = ci->AckFloor.Stream >= s->written_seq;
		jsConsumerInfo_Destroy(ci);
	}
	if (done)
		s->confirmed_written = s->acked_written;
	return done;
}

/* At the end of a run (a stop, -n, -e): the server has the last
 * acknowledgement, or a durable's next run may write some lines again.
 * The server gets stop_wait_ms (the rest of it after a stop) to say so.
 * An ephemeral consumer dies with the run: its acknowledgements do not
 * matter. */
static enum cmt_bus_status
confirm(struct cmt_bus_sub *s, char *err)
{
	int64_t end = cmt_clock_mono_ms() + s->b->o.stop_wait_ms;

	if (!s->o.durable || s->confirmed_written == s->acked_written)
		return CMT_BUS_OK;
	natsConnection_FlushTimeout(s->b->nc, 50);
	while (!floor_reached(s, end - cmt_clock_mono_ms()) &&
	    cmt_clock_mono_ms() < end && bus_stop_left(s->b) > 0)
		bus_sleep_ms(s->b, 20);
	if (s->confirmed_written == s->acked_written)
		return CMT_BUS_OK;
	s->st.unconfirmed = s->acked_written - s->confirmed_written;
	return bus_stopped(s->b, err);
}

/* The consumer made again just after the last line written (it is gone,
 * or a hole in the delivery sequence). */
static enum cmt_bus_status
remake(struct cmt_bus_sub *s, char *err)
{
	enum cmt_bus_status st = consumer_make(s, s->written_seq + 1, err);

	if (st != CMT_BUS_OK && s->o.durable)
		s->st.unconfirmed = s->acked_written - s->confirmed_written;
	return st;
}

/* How often a durable's acknowledgement waits for the server's answer, so
 * that a stop with the server gone can say how many lines may come again;
 * and how long that answer may take. */
#define CONFIRM_EVERY_MS 1000
#define CONFIRM_WAIT_MS 1000

/* How long the acknowledgement of a pull waits for the server's answer:
 * the last pull of a run waits (up to the API timeout, or what is left of
 * a stop's grace), a durable's about once a second, others not at all. */
static int64_t
ack_wait_ms(struct cmt_bus_sub *s)
{
	if (bus_stopping(s->b) || s->o.count == 0)
		return s->b->api_ms;
	if (s->o.durable &&
	    cmt_clock_mono_ms() - s->confirmed_ms >= CONFIRM_EVERY_MS)
		return CONFIRM_WAIT_MS;
	return 0;
}

enum cmt_bus_status
cmt_bus_sub_run(struct cmt_bus_sub *s, char *err)
{
	enum cmt_bus_status st;
	int64_t backoff = 100;
	int warned = 0;

	s->confirmed_ms = cmt_clock_mono_ms();
	while (!bus_stopping(s->b) && s->o.count != 0) {
		natsMsgList list = { 0 };
		natsMsg *last = NULL;
		jsErrCode jerr = 0;
		natsStatus ns;
		int i, want = s->o.batch, gap = 0;
		int64_t lines, partial = 0;

		if (s->o.count > 0 && s->o.count < want)
			want = (int)s->o.count;
		ns = natsSubscription_Fetch(&list, s->sub, want, 500, &jerr);
		if (ns == NATS_TIMEOUT) {
			if (s->o.at_end && drained(s))
				break;
			/* idle: learn that the last acknowledgement arrived */
			if (s->o.durable && s->acked_written > s->confirmed_written)
				floor_reached(s, CONFIRM_WAIT_MS);
			continue;
		}
		if (ns != NATS_OK) {
			if (ns == NATS_CONNECTION_CLOSED)
				return bus_fail(err, ns, jerr, "fetch");
			if (ns == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
				bus_logf(s->b, "consumer gone; making it again after "
					"stream sequence %llu",
					(unsigned long long)s->written_seq);
				if ((st = remake(s, err)))
					return st;
				continue;
			}
			if (!warned++)
				bus_fail(err, ns, jerr, "fetch");
			if (warned == 1)
				bus_logf(s->b, "%s; retrying", err);
			bus_sleep_ms(s->b, backoff);
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
				last = m;
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
			    n < natsMsg_GetDataLength(m)) {
				partial = lines;
				break;  /* -n ended inside it: not acknowledged */
			}
			s->written_seq = sseq;
			s->last_dseq = dseq;
			last = m;
		}
		if (s->o.flush(s->o.ctx) != 0) {
			natsMsgList_Destroy(&list);
			return cmt_errf(err, CMT_EIO, "write error"), CMT_BUS_EFAIL;
		}
		if (last)
			ack(s, last, s->st.written - (uint64_t)partial,
				ack_wait_ms(s));
		natsMsgList_Destroy(&list);
		if (gap) {
			s->st.resets++;
			if ((st = remake(s, err)))
				return st;
		}
	}
	return confirm(s, err);
}

void
cmt_bus_sub_stats(const struct cmt_bus_sub *s, struct cmt_bus_sub_stats *st)
{
	*st = s->st;
}

void
cmt_bus_sub_close(struct cmt_bus_sub *s)
{
	jsOptions jo;

	if (!s)
		return;
	if (s->sub) {
		natsSubscription_Unsubscribe(s->sub);
		natsSubscription_Destroy(s->sub);
	}
	/* an ephemeral consumer goes with us; a durable stays (a stop does
	 * not wait for a server that is gone) */
	if (s->consumer && !s->o.durable && (!bus_api_opts(s->b, &jo) ||
	    (bus_stopping(s->b) && natsConnection_Status(s->b->nc) !=
	    NATS_CONN_STATUS_CONNECTED) ||
	    js_DeleteConsumer(s->b->js, s->o.stream, s->consumer, &jo,
	    NULL) != NATS_OK))
		bus_logf(s->b, "ephemeral consumer %s not deleted (%s): the "
			"server removes it after %d minutes unused", s->consumer,
			natsConnection_Status(s->b->nc) == NATS_CONN_STATUS_CONNECTED ?
			"no answer" : "the server is gone", EPHEMERAL_IDLE_S / 60);
	free(s->consumer);
	bus_fields_free(&s->f);
	free(s);
}
