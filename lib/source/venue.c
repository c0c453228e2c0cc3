#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmt_parse.h"
#include "venue.h"

const cJSON *
cmt_venue_item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

const char *
cmt_venue_str(const cJSON *o, const char *k)
{
	const cJSON *v = cmt_venue_item(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
cmt_venue_num(const cJSON *it, double *out)
{
	char *end;
	double v;

	if (cJSON_IsNumber(it)) {
		v = it->valuedouble;
	} else if (cJSON_IsString(it) && it->valuestring[0]) {
		errno = 0;
		v = strtod(it->valuestring, &end);
		if (errno || *end)
			return -1;
	} else {
		return -1;
	}
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int
cmt_venue_whole(const cJSON *it, int64_t *out)
{
	double v;

	if (cmt_venue_num(it, &v) || v != floor(v) || v < 0 || v > 9e15)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int64_t
cmt_venue_iso_ms(const char *s)
{
	int64_t t;

	return s && cmt_parse_time_ms(s, &t, NULL) == CMT_OK ? t : -1;
}

enum cmt_err
cmt_venue_set_px(struct cmt_fetch_obs *o, double px, const char *what,
	char *err)
{
	if (!(px > 0))
		return cmt_errf(err, CMT_ERANGE, "%s: price %g is not > 0",
			what, px);
	o->tk.px = px;
	return CMT_OK;
}

int
cmt_venue_bar_row(const cJSON *row, const struct cmt_venue_bar_layout *lay,
	struct cmt_venue_bar *b)
{
	if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) < lay->min_cols ||
	    cmt_venue_whole(cJSON_GetArrayItem(row, lay->time), &b->open) ||
	    cmt_venue_num(cJSON_GetArrayItem(row, lay->o), &b->o) ||
	    cmt_venue_num(cJSON_GetArrayItem(row, lay->h), &b->h) ||
	    cmt_venue_num(cJSON_GetArrayItem(row, lay->l), &b->l) ||
	    cmt_venue_num(cJSON_GetArrayItem(row, lay->c), &b->c) ||
	    cmt_venue_num(cJSON_GetArrayItem(row, lay->vol), &b->vol) ||
	    b->open > INT64_MAX / lay->time_unit_ms)
		return -1;
	b->open *= lay->time_unit_ms;
	return 0;
}

enum cmt_err
cmt_venue_put_bar(const struct cmt_venue_bar *b, int64_t from, int64_t to,
	struct cmt_tick *out, int cap, int *n, char *err)
{
	if (b->open % 60000)
		return cmt_errf(err, CMT_EORDER, "bar time %lld is off the "
			"minute", (long long)b->open);
	if (!(b->c > 0) || !(b->vol >= 0))
		return cmt_errf(err, CMT_ERANGE, "bar at %lld has close <= 0 or "
			"negative volume", (long long)b->open);
	if (!(b->l > 0 && b->l <= b->o && b->l <= b->c && b->h >= b->o &&
	    b->h >= b->c))
		return cmt_errf(err, CMT_ERANGE, "bar at %lld: its low and high "
			"do not hold its open and close", (long long)b->open);
	if (b->open < from || b->open >= to)
		return CMT_OK;
	if (*n >= cap)
		return cmt_errf(err, CMT_ELIMIT, "more than %d bars in one page",
			cap);
	memset(&out[*n], 0, sizeof out[*n]);
	out[*n].t = b->open + 60000;
	out[*n].px = b->c;
	out[*n].o = b->o;
	out[*n].h = b->h;
	out[*n].l = b->l;
	out[*n].has_bar = 1;
	out[*n].vol = b->vol;
	out[*n].has_vol = 1;
	(*n)++;
	return CMT_OK;
}

enum cmt_err
cmt_venue_put_trade(struct cmt_trade *t, int si, const struct cmt_fetch_sym *s,
	const cJSON *id, const cJSON *px, const cJSON *qty, int64_t ms, int side,
	char *err)
{
	memset(t, 0, sizeof *t);
	if (cmt_venue_whole(id, &t->id) || cmt_venue_num(px, &t->tk.px) ||
	    cmt_venue_num(qty, &t->tk.vol))
		return cmt_errf(err, CMT_EMISSING, "%s trade without a numeric "
			"id, price and size", s->sym);
	if (!(t->tk.px > 0) || !(t->tk.vol >= 0))
		return cmt_errf(err, CMT_ERANGE, "%s trade %lld: price <= 0 or "
			"size < 0", s->sym, (long long)t->id);
	if (!(ms >= 0 && ms < 9e15))
		return cmt_errf(err, CMT_ERANGE, "%s trade %lld: time out of "
			"range", s->sym, (long long)t->id);
	t->first_id = t->id;
	t->sym = si;
	t->tk.t = ms;
	t->tk.has_vol = 1;
	t->tk.side = side == 'b' ? CMT_SIDE_BUY : side == 's' ? CMT_SIDE_SELL
		: CMT_SIDE_NONE;
	return CMT_OK;
}

void
cmt_venue_reverse_ticks(struct cmt_tick *out, int from, int to)
{
	int i, j;

	for (i = from, j = to - 1; i < j; i++, j--) {
		struct cmt_tick t = out[i];

		out[i] = out[j];
		out[j] = t;
	}
}

int
cmt_venue_find_id(const struct cmt_fetch_sym *syms, int nsym, const char *id)
{
	int i;

	for (i = 0; i < nsym; i++)
		if (strcasecmp(syms[i].id, id) == 0)
			return i;
	return -1;
}
