/* Symbols, fields and subject templates: a line's fields found by one scan,
 * the subject they fill in, and the partition of a symbol.  A struct fields
 * owns the names it was given (bus_fields_free); its values point into the
 * line scanned last; a struct tmpl points into its template string. */
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

enum cmt_err
bus_fields_scan(struct fields *f, const char *s, size_t len, char *err)
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
