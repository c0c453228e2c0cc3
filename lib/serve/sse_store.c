/* cmt-sse's history store (--keep): per symbol, the last keep_ms of its
 * final lines (vectors, forecasts, outcomes, metrics: every JSON object
 * with a numeric "t" and without "partial":true), as records in a list of
 * fixed chunks, so a line costs no allocation of its own and the bytes
 * held are the chunks'; and its latest partial line until a final line
 * catches up with it (one line, never a record).  Each symbol may hold its share of --max-memory;
 * past it its oldest lines go first, and a symbol beyond the number of
 * shares is not kept at all.  The store owns its chunks and symbols;
 * readers (sse_history.c) hold cursors that find their place again by
 * event id when a chunk under them was freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmt_parse.h"
#include "serve_int.h"

#define CHUNK     16384     /* bytes of a chunk's records */
#define HOUR_MS   3600000

static size_t
rec_size(size_t len)
{
	return (sizeof(struct hist_rec) + len + 7) & ~(size_t)7;
}

size_t
cmt_sse_history_share(int64_t keep_ms)
{
	double b = (double)keep_ms / HOUR_MS * CMT_SSE_HIST_NOMINAL;

	/* a chunk more, since chunks are freed whole */
	return (size_t)b + CHUNK + sizeof(struct hist_chunk);
}

size_t
cmt_sse_history_symbols(int64_t keep_ms, size_t max_memory)
{
	return keep_ms > 0 ? max_memory / cmt_sse_history_share(keep_ms) : 0;
}

enum cmt_err
cmt_sse_history_check(int64_t keep_ms, size_t max_memory, char *err)
{
	char keep[32], share[32], mem[32], per[32];

	if (keep_ms <= 0 || cmt_sse_history_symbols(keep_ms, max_memory))
		return CMT_OK;
	cmt_format_duration(keep_ms, keep, sizeof keep);
	cmt_format_bytes((double)cmt_sse_history_share(keep_ms), share,
		sizeof share);
	cmt_format_bytes((double)max_memory, mem, sizeof mem);
	cmt_format_bytes(CMT_SSE_HIST_NOMINAL, per, sizeof per);
	return cmt_errf(err, CMT_EVALUE, "%s of history needs %s per symbol "
		"(%s per symbol-hour), more than --max-memory %s holds: raise "
		"--max-memory or lower --keep", keep, share, per, mem);
}

struct hist *
sse_hist_new(int64_t keep_ms, size_t max_memory)
{
	struct hist *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	h->keep_ms = keep_ms;
	h->share = cmt_sse_history_share(keep_ms);
	h->max_syms = cmt_sse_history_symbols(keep_ms, max_memory);
	h->index_cap = 16;
	while (h->index_cap < 2 * h->max_syms + 2)
		h->index_cap *= 2;
	h->index = calloc(h->index_cap, sizeof *h->index);
	h->sym = calloc(h->max_syms + 1, sizeof *h->sym);
	if (!h->index || !h->sym) {
		sse_hist_free(h);
		return NULL;
	}
	return h;
}

void
sse_hist_free(struct hist *h)
{
	struct hist_chunk *c, *next;
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nsym; i++) {
		for (c = h->sym[i]->head; c; c = next) {
			next = c->next;
			free(c);
		}
		free(h->sym[i]->partial);
		free(h->sym[i]);
	}
	free(h->sym);
	free(h->index);
	free(h);
}

/* FNV-1a of the upper-cased name: symbols match without regard to case */
static size_t
slot_of(const struct hist *h, const char *name)
{
	uint32_t x = 2166136261u;

	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;

		x = (x ^ (c >= 'a' && c <= 'z' ? c - 32 : c)) * 16777619u;
	}
	return x & (h->index_cap - 1);
}

struct hist_sym *
sse_hist_find(const struct hist *h, const char *name)
{
	size_t i = slot_of(h, name);

	while (h->index[i]) {
		if (strcasecmp(h->index[i]->name, name) == 0)
			return h->index[i];
		i = (i + 1) & (h->index_cap - 1);
	}
	return NULL;
}

static void
notice(struct cmt_sse *s, const char *fmt, const char *a, const char *b)
{
	char msg[512];

	if (!s->o.on_notice)
		return;
	snprintf(msg, sizeof msg, fmt, a, b);
	s->o.on_notice(s->o.ctx, msg);
}

static struct hist_sym *
lookup(struct cmt_sse *s, const char *name)
{
	struct hist *h = s->hist;
	struct hist_sym *y = sse_hist_find(h, name);
	char keep[32], mem[32], per[32];
	size_t i;

	if (y)
		return y;
	if (h->nsym == h->max_syms) {
		if (h->refused++ == 0) {
			char why[256], share[32];

			cmt_format_duration(h->keep_ms, keep, sizeof keep);
			cmt_format_bytes((double)s->o.max_memory, mem,
				sizeof mem);
			cmt_format_bytes((double)h->share, share, sizeof share);
			cmt_format_bytes(CMT_SSE_HIST_NOMINAL, per, sizeof per);
			snprintf(why, sizeof why, "--max-memory %s holds %zu "
				"symbols of --keep %s (%s each, at %s per "
				"symbol-hour)", mem, h->max_syms, keep, share, per);
			notice(s, "history: %s and later new symbols are "
				"streamed but not kept: %s", *name ? name :
				"(no sym)", why);
		}
		return NULL;
	}
	if (!(y = calloc(1, sizeof *y)))
		return NULL;
	snprintf(y->name, sizeof y->name, "%s", name);
	y->newest_t = INT64_MIN;
	h->sym[h->nsym++] = y;
	i = slot_of(h, name);
	while (h->index[i])
		i = (i + 1) & (h->index_cap - 1);
	h->index[i] = y;
	return y;
}

/* The head chunk is done with: freed, or emptied when it is the last. */
static void
drop_head_chunk(struct hist *h, struct hist_sym *y)
{
	struct hist_chunk *c = y->head;

	y->gen++;
	if (c == y->tail) {
		c->used = y->head_off = 0;
		return;
	}
	y->head = c->next;
	y->head_off = 0;
	y->bytes -= sizeof *c + c->cap;
	h->bytes -= sizeof *c + c->cap;
	free(c);
}

/* Drop the front record, or the emptied head chunk; 0 when empty. */
static int
drop_front(struct hist *h, struct hist_sym *y, int64_t before)
{
	const struct hist_rec *r;

	if (!y->head)
		return 0;
	if (y->head_off >= y->head->used) {
		if (y->head == y->tail)
			return 0;
		drop_head_chunk(h, y);
		return 1;
	}
	r = (const struct hist_rec *)(y->head->data + y->head_off);
	if (r->t >= before)
		return 0;
	y->head_off += r->size;
	y->nrec--;
	h->records--;
	if (y->head_off >= y->head->used)
		drop_head_chunk(h, y);
	return 1;
}

/* Room for a record of size bytes at the tail, within the share. */
static int
make_room(struct cmt_sse *s, struct hist_sym *y, size_t size)
{
	struct hist *h = s->hist;
	struct hist_chunk *c;
	size_t cap = size > CHUNK ? size : CHUNK;
	const struct hist_rec *r;
	char keep[32];

	if (y->tail && y->tail->cap - y->tail->used >= size)
		return 0;
	while (y->head && y->bytes + sizeof *c + cap > h->share) {
		/* the share is full: the oldest chunk goes, whatever its t */
		if (!y->trimmed++) {
			r = (const struct hist_rec *)(y->head->data +
				y->head_off);
			cmt_format_duration(y->newest_t - (y->head_off <
				y->head->used ? r->t : y->newest_t), keep,
				sizeof keep);
			notice(s, "history: %s fills its share of --max-memory "
				"after %s: its oldest lines go first (its lines "
				"come faster than the share allows; raise "
				"--max-memory)", *y->name ? y->name : "(no sym)",
				keep);
		}
		while (y->head_off < y->head->used) {
			r = (const struct hist_rec *)(y->head->data +
				y->head_off);
			y->head_off += r->size;
			y->nrec--;
			h->records--;
			h->trimmed++;
		}
		if (y->head == y->tail) {
			/* the last chunk: free it, a new one replaces it */
			y->bytes -= sizeof *y->head + y->head->cap;
			h->bytes -= sizeof *y->head + y->head->cap;
			free(y->head);
			y->head = y->tail = NULL;
			y->head_off = 0;
			y->gen++;
			break;
		}
		drop_head_chunk(h, y);
	}
	if (!(c = malloc(sizeof *c + cap)))
		return -1;
	c->next = NULL;
	c->used = 0;
	c->cap = cap;
	if (y->tail)
		y->tail->next = c;
	else
		y->head = c;
	y->tail = c;
	y->bytes += sizeof *c + cap;
	h->bytes += sizeof *c + cap;
	return 0;
}

/* The symbol's latest partial line, in a buffer of its own. */
static void
keep_partial(struct hist *h, struct hist_sym *y, uint64_t id, int64_t t,
	const char *line, size_t len)
{
	char *p;

	if (y->partial_cap < len) {
		if (!(p = realloc(y->partial, len)))
			return;
		h->bytes += len - y->partial_cap;
		y->bytes += len - y->partial_cap;
		y->partial = p;
		y->partial_cap = len;
	}
	memcpy(y->partial, line, len);
	y->partial_len = len;
	y->partial_id = id;
	y->partial_t = t;
}

void
sse_hist_add(struct cmt_sse *s, uint64_t id, const struct sse_line *li,
	const char *line, size_t len)
{
	struct hist *h = s->hist;
	struct hist_sym *y;
	struct hist_rec *r;
	size_t size = rec_size(len);

	if (!li->object || !li->has_t || li->bad_sym)
		return;
	if (!(y = lookup(s, li->has_sym ? li->sym : "")))
		return;
	if (li->partial) {
		if (li->t > y->newest_t)
			keep_partial(h, y, id, li->t, line, len);
		return;
	}
	if (y->partial_len && li->t >= y->partial_t)
		y->partial_len = 0;   /* the step is final now */
	if (y->newest_t != INT64_MIN && li->t < y->newest_t - h->keep_ms)
		return;   /* older than the window already */
	if (make_room(s, y, size) < 0)
		return;
	if (li->t > y->newest_t)
		y->newest_t = li->t;
	r = (struct hist_rec *)(y->tail->data + y->tail->used);
	r->id = id;
	r->t = li->t;
	r->len = (uint32_t)len;
	r->size = (uint32_t)size;
	memcpy(r + 1, line, len);
	y->tail->used += size;
	y->nrec++;
	h->records++;
	while (drop_front(h, y, y->newest_t - h->keep_ms))
		;
}

const struct hist_rec *
sse_hist_peek(struct hist_cur *cu, uint64_t max_id)
{
	struct hist_sym *y = cu->sym;
	const struct hist_rec *r;

	if (!cu->c || cu->gen != y->gen) {
		cu->c = y->head;
		cu->off = y->head_off;
		cu->gen = y->gen;
	}
	if (cu->c == y->head && cu->off < y->head_off)
		cu->off = y->head_off;
	for (;;) {
		if (!cu->c)
			return NULL;
		if (cu->off >= cu->c->used) {
			if (!cu->c->next)
				return NULL;
			cu->c = cu->c->next;
			cu->off = 0;
			continue;
		}
		r = (const struct hist_rec *)(cu->c->data + cu->off);
		if (r->id > max_id)
			return NULL;
		if (r->id >= cu->next_id && r->t >= cu->since)
			return r;
		cu->off += r->size;
	}
}

void
sse_hist_skip(struct hist_cur *cu, const struct hist_rec *r)
{
	cu->off += r->size;
	cu->next_id = r->id + 1;
}

const char *
sse_hist_partial(struct hist_cur *cu, uint64_t max_id, size_t *len)
{
	const struct hist_sym *y = cu->sym;

	if (cu->partial_done)
		return NULL;
	cu->partial_done = 1;
	if (!y->partial_len || y->partial_id > max_id ||
	    y->partial_t < cu->since)
		return NULL;
	*len = y->partial_len;
	return y->partial;
}
