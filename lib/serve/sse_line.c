/* What cmt-sse reads in each input line before sending it: whether it is
 * a JSON object (then it is stamped with its receive time), its symbol,
 * time and partial flag (for the history) and its event type
 * (--event-field), all in one scan; and the stamped data itself.  Pure
 * functions over the caller's buffers. */
#include <stdio.h>
#include <string.h>

#include "cmt_json.h"
#include "serve_int.h"

/* A value usable as an SSE event type or a history key: a plain string
 * of letters, digits and "-_.:" shorter than cap. */
static size_t
plain_token(const struct cmt_jval *v, char *out, size_t cap)
{
	size_t i;

	if (v->type != CMT_JSTRING || v->escaped || v->len == 0 ||
	    v->len >= cap)
		return 0;
	for (i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->raw[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.:", c)))
			return 0;
	}
	memcpy(out, v->raw, v->len);
	out[v->len] = '\0';
	return v->len;
}

void
sse_line_inspect(const char *line, size_t len, const char *event_field,
	struct sse_line *li)
{
	struct cmt_jscan js;
	struct cmt_jval k, v;
	enum cmt_err e;
	int members = 0;

	memset(li, 0, sizeof *li);
	if (cmt_json_begin(&js, line, len, NULL) != CMT_OK)
		return;
	while ((e = cmt_json_next(&js, &k, &v, NULL)) == CMT_OK) {
		members++;
		if (event_field && !li->type_len && cmt_json_streq(&k,
		    event_field))
			li->type_len = plain_token(&v, li->type, sizeof li->type);
		if (k.len == 1 && k.raw[0] == 't') {
			li->has_t = v.type == CMT_JNUMBER && v.integral &&
				v.num > -9007199254740992.0 &&
				v.num < 9007199254740992.0;
			li->t = li->has_t ? (int64_t)v.num : 0;
		} else if (cmt_json_streq(&k, "sym")) {
			li->has_sym = plain_token(&v, li->sym, sizeof li->sym) >
				0;
			li->bad_sym = !li->has_sym;
		} else if (cmt_json_streq(&k, "partial")) {
			li->partial = v.type == CMT_JTRUE;
		} else if (cmt_json_streq(&k, "t_recv")) {
			li->stamped = 1;
		}
	}
	if (e != CMT_ESKIP) {
		/* not JSON: sent as it is, never kept, no type; what the scan
		 * saw before the error says nothing */
		memset(li, 0, sizeof *li);
		return;
	}
	li->object = 1;
	li->empty = members == 0;
	li->close = len;
	while (li->close > 0 && line[li->close - 1] != '}')
		li->close--;
	li->close--;
}

size_t
cmt_sse_event_type(const char *line, size_t len, const char *field,
	char *out)
{
	struct sse_line li;

	sse_line_inspect(line, len, field, &li);
	if (!li.object || !li.type_len)
		return 0;
	memcpy(out, li.type, li.type_len + 1);
	return li.type_len;
}

size_t
sse_line_stamp(const char *line, size_t len, const struct sse_line *li,
	int64_t now_ms, char *out)
{
	size_t n;

	if (!li->object || li->stamped) {
		memcpy(out, line, len);
		return len;
	}
	memcpy(out, line, li->close);
	n = li->close;
	n += (size_t)sprintf(out + n, "%s\"t_recv\":%lld}", li->empty ? "" :
		",", (long long)now_ms);
	return n;
}
