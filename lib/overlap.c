#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_overlap.h"
#include "cmt_tick.h"

#define COPIES 16          /* lines remembered per symbol and time */

struct symstate {
	char sym[CMT_SYM_MAX];  /* "" for a free slot */
	int have_live;
	int live_file;          /* the file of the latest live tick */
	int64_t live_t;
	int64_t at_t;           /* the time the remembered lines have */
	int ncopies;
	struct {
		uint64_t hash;
		int file;
	} copy[COPIES];
};

struct cmt_overlap {
	struct symstate *table;
	size_t size, used;      /* size a power of two */
	struct symstate *last;  /* one-entry cache: ticks come in runs */
	int files;              /* copies are looked for among 2 or more */
	struct cmt_overlap_stats st;
};

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

struct cmt_overlap *
cmt_overlap_new(int files)
{
	struct cmt_overlap *o = calloc(1, sizeof *o);

	if (o && !(o->table = calloc(o->size = 64, sizeof *o->table))) {
		free(o);
		return NULL;
	}
	if (o)
		o->files = files;
	return o;
}

void
cmt_overlap_free(struct cmt_overlap *o)
{
	if (o) {
		free(o->table);
		free(o);
	}
}

void
cmt_overlap_stats(const struct cmt_overlap *o, struct cmt_overlap_stats *st)
{
	*st = o->st;
}

static struct symstate *
slot(struct symstate *table, size_t size, const char *sym)
{
	size_t i = (size_t)fnv1a(sym, strlen(sym)) & (size - 1);

	while (table[i].sym[0] && strcmp(table[i].sym, sym) != 0)
		i = (i + 1) & (size - 1);
	return &table[i];
}

/* The symbol's state, made on first sight; NULL past the bound (or out
 * of memory): such ticks are written as they are. */
static struct symstate *
lookup(struct cmt_overlap *o, const char *sym)
{
	struct symstate *s, *bigger;
	size_t i;

	if (o->last && strcmp(o->last->sym, sym) == 0)
		return o->last;
	s = slot(o->table, o->size, sym);
	if (s->sym[0])
		return o->last = s;
	if (o->used >= CMT_OVERLAP_MAX_SYMS)
		return NULL;
	if (2 * (o->used + 1) > o->size) {
		if (!(bigger = calloc(2 * o->size, sizeof *bigger)))
			return NULL;
		for (i = 0; i < o->size; i++)
			if (o->table[i].sym[0])
				*slot(bigger, 2 * o->size, o->table[i].sym) =
					o->table[i];
		free(o->table);
		o->table = bigger;
		o->size *= 2;
		s = slot(o->table, o->size, sym);
	}
	o->used++;
	snprintf(s->sym, sizeof s->sym, "%s", sym);
	return o->last = s;
}

int
cmt_overlap_keep(struct cmt_overlap *o, const char *sym, int64_t t,
	int warm, int file, const char *line, size_t len,
	int (*goes_on)(void *ctx, int file, int64_t t), void *ctx)
{
	struct symstate *s = lookup(o, sym);
	uint64_t h;
	int i;

	if (!s)
		return 1;
	if (warm && s->have_live && (s->live_t > t - CMT_OVERLAP_BAR_MS ||
	    (s->live_t >= t - CMT_OVERLAP_COVER_MS &&
	    (s->live_file == file || goes_on(ctx, s->live_file, t))))) {
		o->st.warm_covered++;
		return 0;
	}
	if (o->files < 2)
		goto written;
	h = fnv1a(line, len);
	if (s->at_t != t || s->ncopies == 0) {
		s->at_t = t;
		s->ncopies = 0;
	}
	for (i = 0; i < s->ncopies; i++)
		if (s->copy[i].hash == h && s->copy[i].file != file) {
			o->st.copies++;
			return 0;
		}
	if (s->ncopies < COPIES) {
		s->copy[s->ncopies].hash = h;
		s->copy[s->ncopies++].file = file;
	}
written:
	if (!warm && (!s->have_live || t >= s->live_t)) {
		s->have_live = 1;
		s->live_t = t;
		s->live_file = file;
	}
	return 1;
}
