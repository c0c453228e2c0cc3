#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_clock.h"
#include "cmt_gapfill.h"
#include "cmt_stream.h"
#include "cmt_worker.h"

struct cmt_gapfill {
	struct cmt_worker job;
	struct cmt_fetch_cfg fc;        /* the thread's copy of the run's */
	struct cmt_fetch_sym s;         /* the symbol as the fill began */
	int si;
	int64_t upto;
	struct cmt_http *http;
	struct cmt_trade *got;          /* gathered (CMT_STREAM_FILL_MAX) */
	int n, cap;
	int nopage;                     /* trades in page */
	char next[32];                  /* the venue's page token */
	char why[CMT_ERRLEN];           /* "" unless it gave up */
	struct cmt_trade page[CMT_STREAM_FILL_PAGE];
};

static enum cmt_err
fill_parse(void *arg, const struct cmt_http_resp *resp, char *err)
{
	struct cmt_gapfill *f = arg;

	return cmt_ingest_fill(f->fc.src, resp->body, resp->len, &f->s, f->si,
		f->page, CMT_STREAM_FILL_PAGE, &f->nopage, f->next, err);
}

/* One REST page into f->page[0 .. f->nopage).  0 ok; -1 it gave up
 * (f->why says why). */
static int
fill_page(struct cmt_gapfill *f, const struct cmt_stream_cursor *cur)
{
	char url[1024], why[CMT_ERRLEN];
	enum cmt_err e;

	if (f->fc.src->fill_url(f->fc.base_url, &f->s, cur, url,
	    sizeof url) < 0) {
		snprintf(f->why, sizeof f->why, "REST URL too long");
		return -1;
	}
	f->nopage = 0;
	e = cmt_fetch_get(&f->fc, f->http, url, 0, fill_parse, f, why);
	if (e == CMT_ESKIP)
		snprintf(f->why, sizeof f->why, "stopped");
	else if (e)
		snprintf(f->why, sizeof f->why, "%s", why);
	return e ? -1 : 0;
}

static int
gather(struct cmt_gapfill *f, const struct cmt_trade *t)
{
	struct cmt_trade *p;
	int cap;

	if (f->n == f->cap) {
		if (f->cap >= CMT_STREAM_FILL_MAX) {
			snprintf(f->why, sizeof f->why, "the gap is over %d "
				"trades", CMT_STREAM_FILL_MAX);
			return -1;
		}
		cap = f->cap ? f->cap * 4 : CMT_STREAM_FILL_PAGE;
		if (cap > CMT_STREAM_FILL_MAX)
			cap = CMT_STREAM_FILL_MAX;
		if (!(p = realloc(f->got, sizeof *p * (size_t)cap))) {
			snprintf(f->why, sizeof f->why, "out of memory");
			return -1;
		}
		f->got = p;
		f->cap = cap;
	}
	f->got[f->n++] = *t;
	return 0;
}

/* Pages forward from the last id (or the boundary), each page in id
 * order, up to (not including) id upto; a venue that returns a page
 * token is followed by it.  The private rules say how far it got. */
static void
fill_forward(struct cmt_gapfill *f)
{
	struct cmt_fetch_sym *s = &f->s;
	struct cmt_stream_cursor cur = { -1, -1, s->boundary, "" };
	struct cmt_ingest *in = &f->fc.in;
	enum cmt_ingest_verdict v;
	int i, pages = 0, moved;

	if (s->last_id >= 0) {
		cur.after_id = s->last_id;
		cur.from_ms = s->last_trade_t;
	}
	while (pages++ < CMT_STREAM_FILL_MAX / CMT_STREAM_FILL_PAGE) {
		if (fill_page(f, &cur))
			return;
		cmt_ingest_sort_trades(f->page, f->nopage);
		moved = 0;
		for (i = 0; i < f->nopage; i++) {
			if (f->page[i].id >= f->upto)
				return;
			v = cmt_ingest_trade(in, s, &f->page[i],
				cmt_clock_wall_ms());
			moved |= v != CMT_INGEST_DUP;
			if (gather(f, &f->page[i]))
				return;
		}
		if (f->nopage == 0)
			return;
		if (f->next[0]) {
			if (strcmp(cur.cursor, f->next) == 0 && !moved)
				return;
			memcpy(cur.cursor, f->next, sizeof cur.cursor);
		} else {
			if (!moved && s->last_id >= 0 &&
			    f->page[f->nopage - 1].id <= s->last_id)
				return;
			cur.after_id = f->page[f->nopage - 1].id;
		}
	}
	snprintf(f->why, sizeof f->why, "the gap is over %d pages",
		CMT_STREAM_FILL_MAX / CMT_STREAM_FILL_PAGE);
}

/* Pages back from upto (pages newest first, in any order within), until
 * the trades reach the last id written (or the boundary). */
static void
fill_backward(struct cmt_gapfill *f)
{
	struct cmt_fetch_sym *s = &f->s;
	struct cmt_stream_cursor cur = { -1, f->upto, 0, "" };
	int64_t now = cmt_clock_wall_ms(), oldest;
	enum cmt_ingest_verdict v;
	int i, more = 1;

	while (more) {
		if (fill_page(f, &cur))
			return;
		oldest = INT64_MAX;
		for (i = 0; i < f->nopage; i++) {
			if (f->page[i].id >= f->upto)
				continue;       /* the stream's to write */
			v = cmt_ingest_trade_check(&f->fc.in, s, &f->page[i],
				now);
			if (v == CMT_INGEST_DUP || v == CMT_INGEST_BEFORE) {
				more = 0;       /* reached what is written */
				continue;
			}
			/* a page overlapping the one before repeats trades
			 * gathered already: the caller writes them once and
			 * counts the rest as the duplicates they are */
			if (gather(f, &f->page[i]))
				return;
			if (f->page[i].id < oldest)
				oldest = f->page[i].id;
		}
		if (oldest >= cur.before_id)
			break;          /* nothing older than asked */
		cur.before_id = oldest;
		if (s->last_id >= 0 && cur.before_id <= s->last_id + 1)
			break;
	}
}

static void
fill_job(void *arg)
{
	struct cmt_gapfill *f = arg;

	if (f->fc.src->fill_order == CMT_FILL_BACKWARD)
		fill_backward(f);
	else
		fill_forward(f);
	cmt_ingest_sort_trades(f->got, f->n);
}

struct cmt_gapfill *
cmt_gapfill_start(struct cmt_fetch_cfg *c, int si, int64_t upto,
	int64_t bound_ms, void (*wake)(void *arg), void *arg, char *err)
{
	struct cmt_gapfill *f;
	int e;

	if (!(f = calloc(1, sizeof *f))) {
		cmt_errf(err, CMT_ENOMEM, "out of memory");
		return NULL;
	}
	f->s = c->syms[si];
	f->si = si;
	f->upto = upto;
	f->fc = *c;
	memset(&f->fc.in, 0, sizeof f->fc.in);
	f->fc.syms = &f->s;
	f->fc.nsym = 1;
	f->fc.stop = &f->job.cancel;
	f->fc.progress = NULL;
	f->fc.idle = NULL;
	f->fc.rng = cmt_fetch_rand(&c->rng);
	f->fc.bound_ms = bound_ms;
	cmt_fetch_ingest(&f->fc)->warn = NULL;
	if (!(f->http = cmt_fetch_http(&f->fc, err))) {
		free(f);
		return NULL;
	}
	if ((e = cmt_worker_start(&f->job, fill_job, f, wake, arg))) {
		cmt_errf(err, CMT_ENOMEM, "cannot start a gap fill: %s",
			strerror(e));
		cmt_http_free(f->http);
		free(f);
		return NULL;
	}
	return f;
}

int
cmt_gapfill_done(struct cmt_gapfill *f)
{
	return cmt_worker_done(&f->job);
}

const struct cmt_trade *
cmt_gapfill_join(struct cmt_gapfill *f, int stop, int *n, int *si,
	int64_t *upto, const char **why)
{
	cmt_worker_join(&f->job, stop);
	*n = f->n;
	*si = f->si;
	*upto = f->upto;
	*why = f->why;
	return f->got;
}

void
cmt_gapfill_free(struct cmt_gapfill *f)
{
	if (!f)
		return;
	cmt_worker_join(&f->job, 1);
	cmt_http_free(f->http);
	free(f->got);
	free(f);
}

/* Append the range a..b to buf (at most cap bytes in all); -1 when it
 * does not fit. */
static int
add_range(char *buf, size_t cap, size_t *len, int64_t a, int64_t b)
{
	char r[48];
	int k;

	k = a == b ? snprintf(r, sizeof r, "%s%lld", *len ? ", " : "",
		(long long)a) : snprintf(r, sizeof r, "%s%lld-%lld", *len ? ", "
		: "", (long long)a, (long long)b);
	if (*len + (size_t)k + 24 >= cap)
		return -1;
	memcpy(buf + *len, r, (size_t)k + 1);
	*len += (size_t)k;
	return 0;
}

long long
cmt_gapfill_holes(const struct cmt_trade *t, int n, int64_t lo, int64_t upto,
	char *buf, size_t cap)
{
	/* An id x between two ids of the list, t[i-1].id < x <= t[i].id, is
	 * covered iff some trade from i on starts at or before it: iff x >=
	 * the least first_id from i on (a record may cover several ids, so
	 * first_id need not rise with id). */
	int64_t *from = n > 0 ? malloc(sizeof *from * (size_t)n) : NULL;
	int64_t prev = INT64_MIN, a, b;
	long long count = 0, untold = 0;
	size_t len = 0;
	int i;

	buf[0] = '\0';
	if (n > 0 && !from) {
		snprintf(buf, cap, "out of memory");
		return upto - lo - 1;
	}
	for (i = n - 1; i >= 0; i--)
		from[i] = i == n - 1 || t[i].first_id < from[i + 1] ?
			t[i].first_id : from[i + 1];
	for (i = 0; i <= n; i++) {
		/* ids (prev, end] not covered below start */
		int64_t end = i < n ? t[i].id : INT64_MAX;
		int64_t start = i < n ? from[i] : INT64_MAX;

		a = prev == INT64_MIN ? lo + 1 : prev + 1;
		if (a < lo + 1)
			a = lo + 1;
		b = start - 1 < end ? start - 1 : end;
		if (b > upto - 1)
			b = upto - 1;
		if (a <= b) {
			count += b - a + 1;
			if (untold || add_range(buf, cap, &len, a, b))
				untold++;
		}
		if (i < n && t[i].id > prev)
			prev = t[i].id;
		if (prev >= upto - 1)
			break;
	}
	free(from);
	if (untold)
		snprintf(buf + len, cap - len, " and %lld more", untold);
	return count;
}
