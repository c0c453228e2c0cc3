/* Fuzz target: the subject and message id cmt-bus pub makes of a line
 * (lib/bus/subject.c), under the template c.{src}.{part}.{sym} with the id
 * fields sym,t,src.  Whatever the line, a subject that is made holds
 * whole tokens of allowed characters only (no dot inside a token, no
 * space, '*', '>', '"', backslash, control character or byte outside
 * ASCII) and an id value no control character; and the line spelled again
 * from its decoded values (strings re-escaped the writer's way, numbers
 * in their one spelling) gives the same subject and id: one value, one
 * subject, however it was written. */
#include <string.h>

#include "bus/bus_int.h"
#include "cmt_json.h"
#include "fuzz.h"

#define TEMPLATE "c.{src}.{part}.{sym}"

struct made {
	enum cmt_err e;
	char subj[SUBJECT_MAX], id[3 * VALUE_MAX * 3 + 8];
};

static void
make(struct fields *f, const struct tmpl *tp, const int idf[3],
	const char *line, size_t len, struct made *out)
{
	char err[CMT_ERRLEN] = "";
	size_t w = 0;
	long n;
	int i;

	out->subj[0] = out->id[0] = 0;
	if ((out->e = bus_fields_scan(f, line, len, err)) ||
	    (out->e = bus_tmpl_expand(tp, f, 7, out->subj, err))) {
		FUZZ_CHECK(err[0] && strnlen(err, CMT_ERRLEN) < CMT_ERRLEN);
		return;
	}
	for (i = 0; i < 3; i++) {
		n = bus_id_value(f, idf[i], out->id + w, VALUE_MAX * 3, err);
		if (n < 0) {
			out->e = CMT_EVALUE;
			FUZZ_CHECK(err[0]);
			return;
		}
		for (long k = 0; k < n; k++)
			FUZZ_CHECK((unsigned char)out->id[w + (size_t)k] >= 0x20 &&
				out->id[w + (size_t)k] != 0x7f &&
				out->id[w + (size_t)k] != '|');
		w += (size_t)n;
		out->id[w++] = '|';
	}
	out->id[w] = 0;
}

static void
check_subject(const char *s)
{
	size_t tok = 0, ntok = 1;

	FUZZ_CHECK(strlen(s) < SUBJECT_MAX && *s && *s != '.');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '.') {
			FUZZ_CHECK(tok > 0);
			tok = 0;
			ntok++;
			continue;
		}
		FUZZ_CHECK(c > ' ' && c < 0x7f && c != '*' && c != '>' &&
			c != '"' && c != '\\');
		tok++;
	}
	FUZZ_CHECK(tok > 0 && ntok == 4);
}

/* The line again, from f's decoded values. */
static size_t
respell(const struct fields *f, char *buf)
{
	size_t w = 0;
	int i;

	buf[w++] = '{';
	for (i = 0; i < f->n; i++) {
		if (i)
			buf[w++] = ',';
		w += cmt_fmt_string(buf + w, f->name[i], strlen(f->name[i]));
		buf[w++] = ':';
		if (f->str[i])
			w += cmt_fmt_string(buf + w, f->v[i], f->vlen[i]);
		else {
			memcpy(buf + w, f->v[i], f->vlen[i]);
			w += f->vlen[i];
		}
	}
	buf[w++] = '}';
	return w;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fields f, g;
	static struct tmpl tf, tg;
	static int idf[3], idg[3], ready;
	static char again[MAX_FIELDS * (6 * VALUE_MAX + 80)];
	char err[CMT_ERRLEN], *line;
	struct made a, b;
	size_t n;

	if (!ready) {
		FUZZ_CHECK(bus_tmpl_compile(&tf, &f, TEMPLATE, err) == CMT_OK);
		FUZZ_CHECK(bus_tmpl_compile(&tg, &g, TEMPLATE, err) == CMT_OK);
		idf[0] = bus_field_add(&f, "sym", 3, err);
		idf[1] = bus_field_add(&f, "t", 1, err);
		idf[2] = bus_field_add(&f, "src", 3, err);
		memcpy(idg, idf, sizeof idg);
		FUZZ_CHECK(bus_field_add(&g, "t", 1, err) == idf[1]);
		ready = 1;
	}
	line = fuzz_strdup(data, size);
	make(&f, &tf, idf, line, size, &a);
	if (a.e == CMT_OK) {
		check_subject(a.subj);
		n = respell(&f, again);
		make(&g, &tg, idg, again, n, &b);
		FUZZ_CHECK(b.e == CMT_OK);
		FUZZ_CHECK(strcmp(a.subj, b.subj) == 0);
		FUZZ_CHECK(strcmp(a.id, b.id) == 0);
	}
	free(line);
	return 0;
}
