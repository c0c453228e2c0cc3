/* Symbols, fields and subject templates: a line's fields found by one scan,
 * the subject they fill in, the message id they make, and the partition
 * of a symbol.  A struct fields owns the names it was given
 * (bus_fields_free); its values point into the line scanned last, or into
 * its own text[] when they had to be decoded; a struct tmpl points into
 * its template string. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_int.h"
#include "cmt_json.h"
#include "cmt_tick.h"

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

#define STR_(x) #x
#define STR(x) STR_(x)

/* Why byte c cannot be part of a subject token, or NULL if it can.  NATS
 * splits subjects at dots and white space and reads '*' and '>' as
 * wildcards.  The rest are refused because no --filter could name them:
 * control characters and bytes outside ASCII (cmt_bus_template_check
 * refuses them in filters), '"' and '\' (libnats 3.4 writes a consumer's
 * filter into its JSON request unescaped, so the server reads another
 * subject or none). */
static const char *
token_refusal(unsigned char c)
{
	if (c == '.')
		return "it holds a dot";
	if (c == ' ')
		return "it holds a space";
	if (c == '*' || c == '>')
		return c == '*' ? "it holds '*'" : "it holds '>'";
	if (c == '"' || c == '\\')
		return c == '"' ? "it holds '\"'" : "it holds a backslash";
	if (c < 0x20 || c == 0x7f)
		return "it holds a control character";
	if (c >= 0x80)
		return "it holds a character outside ASCII";
	return NULL;
}

/* Field i's decoded value as one subject token, or why not. */
static enum cmt_err
token_check(const struct fields *f, int i, char *err)
{
	const char *why = NULL;
	size_t k;

	if (f->vlen[i] == 0)
		why = "it is empty";
	else if (f->vlen[i] >= TOKEN_MAX)
		why = "it is " STR(TOKEN_MAX) " bytes or longer";
	for (k = 0; !why && k < f->vlen[i]; k++)
		why = token_refusal((unsigned char)f->v[i][k]);
	if (!why)
		return CMT_OK;
	return cmt_errf(err, CMT_EVALUE, "\"%s\" value %s%.*s%s%s cannot be a "
		"subject token: %s", f->name[i], f->str[i] ? "\"" : "",
		(int)(f->rawlen[i] > 40 ? 40 : f->rawlen[i]), f->raw[i],
		f->rawlen[i] > 40 ? "..." : "", f->str[i] ? "\"" : "", why);
}

int
bus_field_add(struct fields *f, const char *name, size_t len, char *err)
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

void
bus_fields_free(struct fields *f)
{
	int i;

	for (i = 0; i < f->n; i++)
		free((char *)f->name[i]);
	f->n = 0;
}

/* One spelling per number, so that 1e3, 1000.0 and 1000 give one subject
 * and one id: an integer written without fraction or exponent as it is
 * (JSON allows it one spelling, bar -0; a long one stays exact), any
 * other number as the shortest decimal that reads back to the same
 * double, without a fraction when it is a whole number below 2^53. */
static enum cmt_err
number_text(struct fields *f, int i, const struct cmt_jval *v, char *err)
{
	char *buf = f->text[i];
	double x = v->num;
	int sig, n = 0;

	if (v->integral && !(v->len == 2 && !memcmp(v->raw, "-0", 2))) {
		f->v[i] = v->raw;
		f->vlen[i] = v->len;
		return CMT_OK;
	}
	if (!isfinite(x))
		return cmt_errf(err, CMT_ERANGE, "\"%s\" is out of range",
			f->name[i]);
	if (x == 0)
		n = snprintf(buf, VALUE_MAX, "0");
	else if (x == trunc(x) && fabs(x) < 9007199254740992.0)
		n = cmt_fmt_int(buf, (int64_t)x);
	else
		for (sig = 15; sig <= 17; sig++) {
			n = snprintf(buf, VALUE_MAX, "%.*g", sig, x);
			if (strtod(buf, NULL) == x)
				break;
		}
	f->v[i] = buf;
	f->vlen[i] = (size_t)n;
	return CMT_OK;
}

enum cmt_err
bus_fields_scan(struct fields *f, const char *s, size_t len, char *err)
{
	struct cmt_jscan js;
	struct cmt_jval k, v;
	enum cmt_err e;
	long n;
	int i;

	for (i = 0; i < f->n; i++)
		f->raw[i] = NULL;
	if ((e = cmt_json_begin(&js, s, len, err)))
		return e;
	while ((e = cmt_json_next(&js, &k, &v, err)) == CMT_OK) {
		for (i = 0; i < f->n; i++)
			if (cmt_json_streq(&k, f->name[i]))
				break;
		if (i == f->n)
			continue;
		if (f->raw[i])  /* the one JSON rule, for the keys we read */
			return cmt_errf(err, CMT_ESYNTAX, "duplicate key \"%s\"",
				f->name[i]);
		if (v.type == CMT_JOBJECT || v.type == CMT_JARRAY ||
		    v.type == CMT_JNULL)
			return cmt_errf(err, CMT_ETYPE, "\"%s\" is not a string "
				"or number", f->name[i]);
		f->raw[i] = v.raw;
		f->rawlen[i] = v.len;
		f->str[i] = v.type == CMT_JSTRING;
		f->v[i] = v.raw;
		f->vlen[i] = v.len;
		if (v.type == CMT_JNUMBER && (e = number_text(f, i, &v, err)))
			return e;
		if (v.type != CMT_JSTRING || !v.escaped)
			continue;
		if ((n = cmt_json_unescape(&v, f->text[i], VALUE_MAX)) < 0)
			return cmt_errf(err, CMT_ETOOLONG, "\"%s\" is longer than "
				"%d bytes", f->name[i], VALUE_MAX - 1);
		f->v[i] = f->text[i];
		f->vlen[i] = (size_t)n;
	}
	if (e != CMT_ESKIP)
		return e;
	for (i = 0; i < f->n; i++)
		if (!f->raw[i])
			return cmt_errf(err, CMT_EMISSING, "missing \"%s\"",
				f->name[i]);
	return CMT_OK;
}

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
		for (q = p; q < p + n; q++) {
			int whole = (q == t || q[-1] == '.') &&
				(q[1] == '.' || !q[1]);

			if (*q == '.' || ((*q == '*' || *q == '>') && whole))
				continue;
			if (*q == '}' || token_refusal((unsigned char)*q))
				return cmt_errf(err, CMT_EVALUE, "'%s': not a subject",
					t);
		}
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

enum cmt_err
bus_tmpl_compile(struct tmpl *tp, struct fields *f, const char *t, char *err)
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
				if (bus_field_add(f, "sym", 3, err) < 0)
					return CMT_ELIMIT;
			} else if ((pc->field = bus_field_add(f, p + 1,
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

int
bus_tmpl_has_part(const struct tmpl *tp)
{
	int i;

	for (i = 0; i < tp->n; i++)
		if (!tp->p[i].lit && tp->p[i].field == PART)
			return 1;
	return 0;
}

/* The canonical symbol of a scanned line into sym[CMT_SYM_MAX]. */
enum cmt_err
bus_line_sym(const struct fields *f, char *sym, char *err)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->name[i], "sym"))
			break;
	if (i == f->n || !f->str[i])
		return cmt_errf(err, CMT_ETYPE, "\"sym\" is not a string");
	return cmt_tick_symbol(f->v[i], f->vlen[i], sym, err);
}

enum cmt_err
bus_tmpl_expand(const struct tmpl *tp, const struct fields *f, int nparts,
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
			if (bus_line_sym(f, sym, err))
				return CMT_EVALUE;
			n = (size_t)snprintf(part, sizeof part, "%d",
				cmt_bus_partition(sym, strlen(sym), nparts));
			v = part;
		} else if (!strcmp(f->name[pc->field], "sym")) {
			if (bus_line_sym(f, sym, err))
				return CMT_EVALUE;
			v = sym;
			n = strlen(sym);
		} else {
			if (token_check(f, pc->field, err))
				return CMT_EVALUE;
			v = f->v[pc->field];
			n = f->vlen[pc->field];
		}
		if (w + n >= SUBJECT_MAX)
			return cmt_errf(err, CMT_ETOOLONG, "subject too long");
		memcpy(out + w, v, n);
		w += n;
	}
	out[w] = 0;
	return CMT_OK;
}

long
bus_id_value(const struct fields *f, int i, char *out, size_t cap, char *err)
{
	char sym[CMT_SYM_MAX];
	const char *v = f->v[i];
	size_t n = f->vlen[i], w = 0, k;

	/* the symbol as the subject has it: btc-usd and BTC-USD are one */
	if (!strcmp(f->name[i], "sym") && f->str[i] &&
	    cmt_tick_symbol(v, n, sym, NULL) == CMT_OK) {
		v = sym;
		n = strlen(sym);
	}
	for (k = 0; k < n; k++) {
		unsigned char c = (unsigned char)v[k];
		const char *put = c == '|' ? "%7C" : c == '%' ? "%25" : v + k;
		size_t m = put == v + k ? 1 : 3;

		if (c < 0x20 || c == 0x7f)
			return cmt_errf(err, CMT_EVALUE, "\"%s\" value %s%.*s%s "
				"cannot be part of a message id: it holds a control "
				"character", f->name[i], f->str[i] ? "\"" : "",
				(int)(f->rawlen[i] > 40 ? 40 : f->rawlen[i]),
				f->raw[i], f->str[i] ? "\"" : ""), -1;
		if (w + m > cap)
			return cmt_errf(err, CMT_ETOOLONG, "id too long"), -1;
		memcpy(out + w, put, m);
		w += m;
	}
	return (long)w;
}
