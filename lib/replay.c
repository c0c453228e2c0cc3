#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmt_candle.h"
#include "cmt_line.h"
#include "cmt_overlap.h"
#include "cmt_replay.h"
#include "cmt_sniff.h"
#include "cmt_tick.h"

enum state { NEED, HAVE, DONE };

struct source {
	const char *path;
	int fd;
	struct cmt_linereader *lr;
	struct cmt_candles *candles;   /* a candle file; NULL: tick lines */
	struct cmt_tick_decoder dec;
	enum state state;
	struct cmt_line ln;
	uint64_t recno;
	int64_t t;
	int64_t last_t;                /* of the last tick written */
	int warm;
	char sym[CMT_SYM_MAX];
	const char *text;
	size_t len;
	char json[CMT_TICK_LINE_MAX];
};

struct cmt_replay {
	int n;
	int64_t from, to;
	struct cmt_overlap *overlap;
	struct source src[];
};

static enum cmt_err
open_source(struct source *s, const char *path,
	const struct cmt_candle_opts *co, char *err)
{
	const char *head;
	size_t len;

	s->path = path;
	s->fd = -1;
	cmt_tick_decoder_init(&s->dec, CMT_TICK_AUTO);
	if (strcmp(path, "-") == 0)
		s->fd = 0;
	else if ((s->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cmt_errf(err, CMT_EIO, "%s: %s", path, strerror(errno));
	if (!(s->lr = cmt_line_open(s->fd, 0)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	while (cmt_line_peek(s->lr, &head, &len) < 0)
		if (errno != EINTR)
			return cmt_errf(err, CMT_EIO, "%s: %s", path,
				cmt_line_error(s->lr));
	if (cmt_candle_looks(head, len))
		return cmt_candles_open(&s->candles, s->lr, path, co, err);
	/* whatever has t, sym and px: ticks, and vectors or predictions
	 * recorded to be replayed as they were */
	cmt_line_expect(s->lr, CMT_KIND_BIT(CMT_KIND_TICKS) |
		CMT_KIND_BIT(CMT_KIND_CANDLES) | CMT_KIND_BIT(CMT_KIND_VECTORS) |
		CMT_KIND_BIT(CMT_KIND_PREDICTIONS), path);
	return CMT_OK;
}

enum cmt_err
cmt_replay_open(struct cmt_replay **out, char *const *paths, int n,
	const struct cmt_replay_opts *o, char *err)
{
	struct cmt_replay *r;
	enum cmt_err e;
	int i, stdin_seen = 0;

	*out = NULL;
	if (!(r = calloc(1, sizeof *r + (size_t)n * sizeof r->src[0])) ||
	    !(r->overlap = cmt_overlap_new(n))) {
		free(r);
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	}
	r->from = o->from;
	r->to = o->to;
	for (i = 0; i < n; i++) {
		if (strcmp(paths[i], "-") == 0 && stdin_seen++) {
			e = cmt_errf(err, CMT_EVALUE,
				"standard input given twice");
			goto fail;
		}
		r->n = i + 1;
		if ((e = open_source(&r->src[i], paths[i], &o->candle, err)))
			goto fail;
	}
	*out = r;
	return CMT_OK;
fail:
	cmt_replay_close(r);
	return e;
}

void
cmt_replay_on_idle(struct cmt_replay *r, void (*fn)(void *), void *ctx)
{
	int i;

	for (i = 0; i < r->n; i++)
		cmt_line_on_idle(r->src[i].lr, fn, ctx);
}

void
cmt_replay_stats(const struct cmt_replay *r, struct cmt_replay_stats *st)
{
	struct cmt_overlap_stats os;

	cmt_overlap_stats(r->overlap, &os);
	st->warm_covered = os.warm_covered;
	st->copies = os.copies;
}

void
cmt_replay_close(struct cmt_replay *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		struct source *s = &r->src[i];

		cmt_candles_close(s->candles);
		cmt_line_close(s->lr);
		if (s->fd > 0)
			close(s->fd);
	}
	cmt_overlap_free(r->overlap);
	free(r);
}

/* The next tick of a source, as its record number and tick. */
static enum cmt_err
next_tick(struct source *s, struct cmt_tick *tk, int *canonical, char *err)
{
	enum cmt_err e;
	int rc;

	if (s->candles) {
		e = cmt_candles_next(s->candles, tk, &s->recno, err);
		if (e == CMT_EIO && errno != EINTR)
			s->state = DONE;
		*canonical = 1;
		return e;
	}
	*canonical = 0;
	for (;;) {
		rc = cmt_line_next(s->lr, &s->ln);
		s->recno = s->ln.no;
		if (rc == CMT_LINE_FOREIGN) {
			s->state = DONE;
			return cmt_errf(err, CMT_EFORMAT, "%s",
				cmt_line_error(s->lr));
		}
		if (rc < 0) {
			if (errno == EINTR)
				return CMT_EIO;
			s->state = DONE;
			return cmt_errf(err, CMT_EIO, "%s", cmt_line_error(s->lr));
		}
		if (rc == 0)
			return CMT_ESKIP;
		if (s->ln.too_long)
			return cmt_errf(err, CMT_ETOOLONG, "line longer "
				"than %d bytes", CMT_LINE_MAX_DEFAULT);
		if (s->ln.has_nul)
			return cmt_errf(err, CMT_ESYNTAX,
				"line contains a NUL byte");
		e = cmt_tick_decode(&s->dec, s->ln.s, s->ln.len, tk, err);
		if (e != CMT_ESKIP) {
			*canonical = s->dec.format == CMT_TICK_CSV;
			return e;
		}
	}
}

/* Read s's next tick inside [from, to) into its head. */
static enum cmt_err
advance(struct cmt_replay *r, struct source *s, struct cmt_replay_rec *rec,
	char *err)
{
	struct cmt_tick tk;
	enum cmt_err e;
	int canonical;

	rec->file = s->path;
	for (;;) {
		e = next_tick(s, &tk, &canonical, err);
		rec->lineno = s->recno;
		if (e == CMT_ESKIP) {
			s->state = DONE;
			errno = 0;
			return CMT_OK;
		}
		if (e)
			return e;
		if (tk.t < r->from || tk.t >= r->to)
			continue;
		s->t = tk.t;
		s->warm = tk.warm;
		memcpy(s->sym, tk.sym, sizeof s->sym);
		if (canonical) {
			s->len = (size_t)cmt_tick_format_json(&tk, s->json) - 1;
			s->text = s->json;
		} else {
			s->text = s->ln.s;
			s->len = s->ln.len;
		}
		s->state = HAVE;
		return CMT_OK;
	}
}

static int
goes_on(void *ctx, int file, int64_t t)
{
	const struct source *s = &((struct cmt_replay *)ctx)->src[file];

	return s->state == HAVE || s->last_t >= t;
}

enum cmt_err
cmt_replay_next(struct cmt_replay *r, struct cmt_replay_rec *rec, char *err)
{
	struct source *best;
	enum cmt_err e;
	int i;

	for (;;) {
		for (i = 0; i < r->n; i++)
			while (r->src[i].state == NEED)
				if ((e = advance(r, &r->src[i], rec, err)))
					return e;
		best = NULL;
		for (i = 0; i < r->n; i++)
			if (r->src[i].state == HAVE &&
			    (!best || r->src[i].t < best->t))
				best = &r->src[i];
		if (!best)
			return CMT_ESKIP;
		best->state = NEED;
		if (cmt_overlap_keep(r->overlap, best->sym, best->t, best->warm,
		    (int)(best - r->src), best->text, best->len, goes_on, r))
			break;
	}
	best->last_t = best->t;
	rec->line = best->text;
	rec->len = best->len;
	rec->t = best->t;
	rec->file = best->path;
	rec->lineno = best->recno;
	return CMT_OK;
}

void
cmt_replay_pacer_init(struct cmt_replay_pacer *p, double speed,
	int64_t warmup_ms)
{
	memset(p, 0, sizeof *p);
	p->speed = speed;
	p->warmup_ms = warmup_ms;
}

/* Nanoseconds after the start at which t is due. */
static int64_t
due_ns(const struct cmt_replay_pacer *p, int64_t t)
{
	double ns;

	if (t <= p->t0)
		return 0;
	ns = (double)(t - p->t0) * 1e6 / p->speed;
	return ns > 9e18 ? (int64_t)9e18 : (int64_t)ns;
}

int64_t
cmt_replay_delay(struct cmt_replay_pacer *p, int64_t t)
{
	struct timespec now;
	int64_t elapsed, due;

	if (p->speed <= 0)
		return 0;
	if (!p->seen) {
		p->seen = 1;
		p->tfirst = t;
	}
	if (!p->started && t - p->tfirst < p->warmup_ms)
		return 0;
	if (!p->started) {
		p->started = 1;
		p->t0 = t;
		clock_gettime(CLOCK_MONOTONIC, &p->start);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (int64_t)(now.tv_sec - p->start.tv_sec) * 1000000000 +
		(now.tv_nsec - p->start.tv_nsec);
	due = due_ns(p, t);
	return due > elapsed ? due - elapsed : 0;
}

int
cmt_replay_wait(struct cmt_replay_pacer *p, int64_t t)
{
	struct timespec at;
	int64_t due;
	int rc;

	if (cmt_replay_delay(p, t) == 0)
		return 0;
	due = due_ns(p, t);
	at.tv_sec = p->start.tv_sec + (time_t)(due / 1000000000);
	at.tv_nsec = p->start.tv_nsec + (long)(due % 1000000000);
	if (at.tv_nsec >= 1000000000) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000;
	}
	rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
	if (rc == EINTR) {
		errno = EINTR;
		return -1;
	}
	return 0;
}
