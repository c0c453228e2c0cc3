#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_candle.h"
#include "cmt_jrows.h"
#include "cmt_json.h"
#include "cmt_parse.h"

#define QUEUE_MAX 256      /* bars held while the bar length is told */
#define SPACINGS 64        /* spacings that tell it */
#define CELLS_MAX 64       /* CSV columns looked at */

enum form { FORM_CSV, FORM_NUMBERS, FORM_JSON };
enum col { C_TIME, C_CLOSE, C_O, C_H, C_L, C_C, C_V, C_SYM, C_SRC, C_N };

/* Header names, by column; a time column named earlier in this table
 * wins over a later one (open_time over date). */
static const struct {
	const char *name;
	enum col col;
} header_names[] = {
	{ "open_time", C_TIME }, { "open time", C_TIME },
	{ "opentime", C_TIME }, { "ts", C_TIME }, { "timestamp", C_TIME },
	{ "time", C_TIME }, { "unix", C_TIME }, { "date", C_TIME },
	{ "datetime", C_TIME },
	{ "close_time", C_CLOSE }, { "close time", C_CLOSE },
	{ "closetime", C_CLOSE },
	{ "open", C_O }, { "o", C_O }, { "high", C_H }, { "h", C_H },
	{ "low", C_L }, { "l", C_L }, { "close", C_C }, { "c", C_C },
	{ "volume", C_V }, { "vol", C_V }, { "v", C_V },
	{ "sym", C_SYM }, { "symbol", C_SYM }, { "pair", C_SYM },
	{ "ticker", C_SYM }, { "src", C_SRC },
};

struct bar {
	struct cmt_tick tk;     /* sym, px, o, h, l, vol, src */
	int64_t open, close;    /* close 0: one bar length after open */
	uint64_t recno;
};

struct symstate {
	char sym[CMT_SYM_MAX];
	int64_t read_open;      /* last bar read */
	int64_t emit_open;      /* last bar written */
	int read, emitted;
};

struct cmt_candles {
	struct cmt_linereader *lr;
	struct cmt_candle_opts o;
	enum form form;
	int col[C_N], ncols;
	char fixed_sym[CMT_SYM_MAX];   /* the symbol when no column names it */
	int64_t bar_ms;                /* 0 until told */
	uint64_t recno;
	/* telling the bar length: bars held, spacings seen */
	struct bar queue[QUEUE_MAX];
	int qn, qat;
	int64_t spacing[SPACINGS];
	int nspacing;
	struct symstate *syms;
	int nsyms, last;
	struct cmt_jrows rows;          /* a JSON array's */
};

static int
is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* A cell without surrounding blanks and quotes. */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
	    (*s)[*n - 1] == '\r'))
		(*n)--;
	if (*n >= 2 && **s == '"' && (*s)[*n - 1] == '"')
		(*s)++, *n -= 2;
}

static int
number_cell(const char *s, size_t n, double *v)
{
	const char *stop;
	int integral;

	return n > 0 && !cmt_json_number(s, s + n, &stop, v, &integral) &&
		stop == s + n;
}

/* The column a header name stands for, with its rank among time names;
 * -1 for a column that is not read. */
static int
header_col(const char *s, size_t n, int *rank)
{
	char low[32];
	size_t i;

	trim(&s, &n);
	if (n == 0 || n >= sizeof low)
		return -1;
	cmt_ascii_lower(low, s, n);
	for (i = 0; i < sizeof header_names / sizeof header_names[0]; i++)
		if (is(low, n, header_names[i].name)) {
			*rank = (int)i;
			return (int)header_names[i].col;
		}
	return -1;
}

static void
skip_blank(const char **s, size_t *len)
{
	if (*len >= 3 && memcmp(*s, "\xef\xbb\xbf", 3) == 0)
		*s += 3, *len -= 3;
	while (*len > 0 && (**s == ' ' || **s == '\t'))
		(*s)++, (*len)--;
}

/* Fields of the first line: a header naming the four prices (1), or six
 * or more numbers (2); 0 otherwise. */
static int
csv_form(const char *s, size_t len, int *ncols)
{
	const char *p = s, *end = s + len, *f;
	unsigned prices = 0;
	int more, n = 0, numbers = 0, col, rank;
	size_t fn;
	double v;

	do {
		more = cmt_csv_field(&p, end, &f, &fn);
		col = header_col(f, fn, &rank);
		if (col >= C_O && col <= C_C)
			prices |= 1u << (col - C_O);
		trim(&f, &fn);
		numbers += number_cell(f, fn, &v);
		n++;
	} while (more);
	*ncols = n;
	if (prices == 15)
		return 1;
	return n >= 6 && numbers == n ? 2 : 0;
}

int
cmt_candle_looks(const char *s, size_t len)
{
	int ncols;

	skip_blank(&s, &len);
	if (len > 0 && *s == '[') {
		s++, len--;
		skip_blank(&s, &len);
		return len == 0 || *s == '[' || *s == '\r' || *s == '\n';
	}
	return csv_form(s, len, &ncols) != 0;
}

/* ---- opening ---- */

static enum cmt_err
read_header(struct cmt_candles *c, const char *path, char *err)
{
	struct cmt_line ln;
	const char *p, *end, *f;
	int rank[C_N], r, col, more, i;
	size_t fn;

	do {
		r = cmt_line_next(c->lr, &ln);
		if (r < 0)
			return cmt_errf(err, CMT_EIO, "%s", cmt_line_error(c->lr));
		if (r == 0)
			return CMT_ESKIP;
		c->recno = ln.no;
		skip_blank(&ln.s, &ln.len);
	} while (ln.len == 0 || ln.too_long);
	p = ln.s;
	end = ln.s + ln.len;
	for (i = 0; i < C_N; i++)
		c->col[i] = -1, rank[i] = 1 << 30;
	c->ncols = 0;
	do {
		more = cmt_csv_field(&p, end, &f, &fn);
		col = header_col(f, fn, &r);
		if (col >= 0 && r < rank[col] && c->ncols < CELLS_MAX) {
			c->col[col] = c->ncols;
			rank[col] = r;
		}
		c->ncols++;
	} while (more);
	if (c->col[C_TIME] < 0)
		return cmt_errf(err, CMT_EFORMAT, "%s: the candle header names "
			"no time column (open_time, ts, timestamp, time, unix, "
			"date or datetime)", path);
	return CMT_OK;
}

enum cmt_err
cmt_candles_open(struct cmt_candles **out, struct cmt_linereader *lr,
	const char *path, const struct cmt_candle_opts *o, char *err)
{
	struct cmt_candles *c;
	const char *s;
	size_t len;
	enum cmt_err e = CMT_OK;
	int ncols, i;

	*out = NULL;
	if (!(c = calloc(1, sizeof *c)))
		return cmt_errf(err, CMT_ENOMEM, "out of memory");
	c->lr = lr;
	c->o = *o;
	c->bar_ms = o->bar_ms;
	if (cmt_line_peek(lr, &s, &len) < 0) {
		free(c);
		return cmt_errf(err, CMT_EIO, "%s", cmt_line_error(lr));
	}
	skip_blank(&s, &len);
	for (i = 0; i < C_N; i++)
		c->col[i] = -1;
	if (len > 0 && *s == '[') {
		c->form = FORM_JSON;
		c->ncols = 6;
		c->col[C_TIME] = 0;
		c->col[C_O] = 1, c->col[C_H] = 2, c->col[C_L] = 3;
		c->col[C_C] = 4, c->col[C_V] = 5;
		cmt_jrows_init(&c->rows, lr);
	} else if (csv_form(s, len, &ncols) == 2) {
		c->form = FORM_NUMBERS;
		c->ncols = ncols;
		c->col[C_TIME] = 0;
		c->col[C_O] = 1, c->col[C_H] = 2, c->col[C_L] = 3;
		c->col[C_C] = 4, c->col[C_V] = 5;
		if (ncols == 12)
			c->col[C_CLOSE] = 6;
	} else {
		c->form = FORM_CSV;
		e = read_header(c, path, err);
		if (e == CMT_ESKIP)
			e = CMT_OK;     /* empty: no bars */
	}
	if (!e && c->col[C_SYM] < 0) {
		if (o->sym[0])
			memcpy(c->fixed_sym, o->sym, CMT_SYM_MAX);
		else if (!cmt_candle_symbol_of_path(path, c->fixed_sym))
			e = cmt_errf(err, CMT_EFORMAT, "%s: the candles name no "
				"symbol (no symbol column, nor one in the file "
				"name): give --symbol BASE-QUOTE",
				strcmp(path, "-") == 0 ? "stdin" : path);
	}
	if (e) {
		cmt_candles_close(c);
		return e;
	}
	*out = c;
	return CMT_OK;
}

void
cmt_candles_close(struct cmt_candles *c)
{
	if (!c)
		return;
	free(c->syms);
	free(c);
}

/* ---- one bar ---- */

/* A time cell: a number of s, ms, us or ns by its size, or ISO 8601.
 * Whole numbers are converted exactly; a fraction (seconds with decimals)
 * must come to a whole millisecond. */
static enum cmt_err
time_cell(const char *s, size_t n, const char *name, int64_t *ms, char *err)
{
	uint64_t v = 0, div;
	double x, r;
	size_t i;

	trim(&s, &n);
	if (n == 0)
		return cmt_errf(err, CMT_EMISSING, "empty %s", name);
	if (n >= 10 && s[4] == '-')
		return cmt_parse_iso_time(s, n, ms, err);
	for (i = 0; i < n && i < 19 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (i == n) {
		div = v < 100000000000ULL ? 0 : v < 100000000000000ULL ? 1 :
		    v < 100000000000000000ULL ? 1000 : 1000000;
		if (div > 1 && v % div)
			return cmt_errf(err, CMT_EVALUE, "%s %.*s is not a whole "
				"millisecond", name, (int)n, s);
		*ms = div ? (int64_t)(v / div) : (int64_t)v * 1000;
		return CMT_OK;
	}
	if (!number_cell(s, n, &x))
		return cmt_errf(err, CMT_ESYNTAX, "%s '%.*s' is neither a "
			"number nor an ISO 8601 time", name,
			(int)(n > 40 ? 40 : n), s);
	if (!(x >= 0 && x < 1e11))
		return cmt_errf(err, CMT_ERANGE, "%s %.*s is not a time in "
			"seconds (fractions are for seconds only)", name,
			(int)(n > 40 ? 40 : n), s);
	x *= 1000;
	r = floor(x + 0.5);
	if (fabs(x - r) > 5e-4)
		return cmt_errf(err, CMT_EVALUE, "%s %.*s is not a whole "
			"millisecond", name, (int)(n > 40 ? 40 : n), s);
	*ms = (int64_t)r;
	return CMT_OK;
}

static enum cmt_err
price_cell(const char *s, size_t n, const char *name, double *v, char *err)
{
	trim(&s, &n);
	if (n == 0)
		return cmt_errf(err, CMT_EMISSING, "empty \"%s\"", name);
	if (!number_cell(s, n, v))
		return cmt_errf(err, CMT_ESYNTAX, "\"%s\" is not a number: "
			"'%.*s'", name, (int)(n > 40 ? 40 : n), s);
	return CMT_OK;
}

/* The cells of one record (CSV columns, or the numbers of one array)
 * into b; the tick's rules are checked when its time is known. */
static enum cmt_err
fill_bar(struct cmt_candles *c, const char **cell, const size_t *len,
	int ncells, struct bar *b, char *err)
{
	static const char *const names[] = { "open", "high", "low", "close" };
	double *px[4] = { &b->tk.o, &b->tk.h, &b->tk.l, &b->tk.px };
	const char *s;
	size_t n;
	enum cmt_err e;
	int i;

	memset(b, 0, sizeof *b);
	b->recno = c->recno;
	if (c->form == FORM_JSON ? ncells < 6 : ncells != c->ncols)
		return cmt_errf(err, CMT_ESYNTAX, "expected %d fields, got %d",
			c->ncols, ncells);
	if ((e = time_cell(cell[c->col[C_TIME]], len[c->col[C_TIME]],
	    "time", &b->open, err)))
		return e;
	if (c->col[C_CLOSE] >= 0 && (e = time_cell(cell[c->col[C_CLOSE]],
	    len[c->col[C_CLOSE]], "close time", &b->close, err)))
		return e;
	for (i = 0; i < 4; i++)
		if ((e = price_cell(cell[c->col[C_O + i]], len[c->col[C_O + i]],
		    names[i], px[i], err)))
			return e;
	b->tk.has_bar = 1;
	if (c->col[C_V] >= 0 && c->col[C_V] < ncells) {
		s = cell[c->col[C_V]];
		n = len[c->col[C_V]];
		trim(&s, &n);
		if (n > 0 && !is(s, n, "null")) {
			if ((e = price_cell(s, n, "volume", &b->tk.vol, err)))
				return e;
			b->tk.has_vol = 1;
		}
	}
	if (c->col[C_SRC] >= 0 && c->col[C_SRC] < ncells) {
		s = cell[c->col[C_SRC]];
		n = len[c->col[C_SRC]];
		trim(&s, &n);
		if (n >= CMT_SRC_MAX)
			return cmt_errf(err, CMT_EVALUE, "\"src\" is too long");
		for (i = 0; i < (int)n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == '"' ||
			    s[i] == '\\' || (unsigned char)s[i] >= 0x7f)
				return cmt_errf(err, CMT_EVALUE, "\"src\" must be "
					"printable ASCII");
		memcpy(b->tk.src, s, n);
	}
	if (c->col[C_SYM] >= 0) {
		s = cell[c->col[C_SYM]];
		n = len[c->col[C_SYM]];
		trim(&s, &n);
		return cmt_candle_symbol(s, n, b->tk.sym, err);
	}
	memcpy(b->tk.sym, c->fixed_sym, CMT_SYM_MAX);
	return CMT_OK;
}

/* The next CSV row as a bar: CMT_OK, CMT_ESKIP at the end, or an error. */
static enum cmt_err
next_csv(struct cmt_candles *c, struct bar *b, char *err)
{
	const char *cell[CELLS_MAX], *p, *end, *f;
	size_t len[CELLS_MAX], fn;
	struct cmt_line ln;
	int r, n = 0, more;

	do {
		r = cmt_line_next(c->lr, &ln);
		if (r == 0)
			return CMT_ESKIP;
		if (r < 0)
			return cmt_errf(err, CMT_EIO, "%s", cmt_line_error(c->lr));
		c->recno = ln.no;
		if (ln.too_long)
			return cmt_errf(err, CMT_ETOOLONG, "line longer than %d "
				"bytes", CMT_LINE_MAX_DEFAULT);
		if (ln.has_nul)
			return cmt_errf(err, CMT_ESYNTAX, "line contains a NUL "
				"byte");
		p = ln.s;
		skip_blank(&p, &ln.len);
	} while (ln.len == 0);
	end = p + ln.len;
	do {
		more = cmt_csv_field(&p, end, &f, &fn);
		if (n < CELLS_MAX)
			cell[n] = f, len[n] = fn;
		n++;
	} while (more);
	return fill_bar(c, cell, len, n, b, err);
}

/* ---- a JSON array of candle arrays ---- */

static enum cmt_err
next_json(struct cmt_candles *c, struct bar *b, char *err)
{
	const char *cell[8], *p, *end, *row;
	char why[CMT_ERRLEN];
	size_t len[8], n;
	enum cmt_err e;
	int k = 0, more;

	e = cmt_jrows_next(&c->rows, &row, &n, why);
	c->recno = c->rows.rowno;
	if (e && e != CMT_ESKIP)
		return cmt_errf(err, e, "%s%s", why, e == CMT_ESYNTAX ? " (candles "
			"are [time, open, high, low, close, volume])" : "");
	if (e)
		return e;
	p = row;
	end = row + n;
	do {
		more = cmt_csv_field(&p, end, &cell[k], &len[k]);
		k++;
	} while (more && k < 8);
	if (more || k < 6)
		return cmt_errf(err, CMT_EMISSING, "a candle must be [time, "
			"open, high, low, close, volume]");
	return fill_bar(c, cell, len, k, b, err);
}

/* ---- bar length and order ---- */

static struct symstate *
symbol(struct cmt_candles *c, const char *sym, char *err)
{
	struct symstate *s;
	int i;

	if (c->nsyms > 0 && strcmp(c->syms[c->last].sym, sym) == 0)
		return &c->syms[c->last];
	for (i = 0; i < c->nsyms; i++)
		if (strcmp(c->syms[i].sym, sym) == 0)
			return &c->syms[c->last = i];
	if (c->nsyms == CMT_CANDLE_MAX_SYMS) {
		cmt_errf(err, CMT_ELIMIT, "more than %d symbols",
			CMT_CANDLE_MAX_SYMS);
		return NULL;
	}
	if (c->nsyms % 16 == 0) {
		s = realloc(c->syms, (size_t)(c->nsyms + 16) * sizeof *s);
		if (!s) {
			cmt_errf(err, CMT_ENOMEM, "out of memory");
			return NULL;
		}
		c->syms = s;
	}
	s = &c->syms[c->last = c->nsyms++];
	memset(s, 0, sizeof *s);
	memcpy(s->sym, sym, CMT_SYM_MAX);
	return s;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The commonest spacing seen (the shorter on a tie): gaps and a stray
 * bar do not decide it. */
static int64_t
commonest_spacing(struct cmt_candles *c)
{
	int64_t best = 0;
	int i, run = 0, best_run = 0;

	qsort(c->spacing, (size_t)c->nspacing, sizeof c->spacing[0], cmp_i64);
	for (i = 0; i < c->nspacing; i++) {
		run = i > 0 && c->spacing[i] == c->spacing[i - 1] ? run + 1 : 1;
		if (run > best_run) {
			best_run = run;
			best = c->spacing[i];
		}
	}
	return best;
}

/* A bar read: its spacing after its symbol's previous one tells the bar
 * length while that is unknown. */
static enum cmt_err
note_spacing(struct cmt_candles *c, const struct bar *b, char *err)
{
	struct symstate *s = symbol(c, b->tk.sym, err);

	if (!s)
		return CMT_ELIMIT;
	if (s->read && b->open > s->read_open && c->nspacing < SPACINGS &&
	    !c->bar_ms && !b->close)
		c->spacing[c->nspacing++] = b->open - s->read_open;
	if (!s->read || b->open > s->read_open)
		s->read_open = b->open;
	s->read = 1;
	return CMT_OK;
}

/* The tick of a bar whose length is known, checked in its symbol's
 * order. */
static enum cmt_err
finish(struct cmt_candles *c, struct bar *b, struct cmt_tick *tk,
	uint64_t *recno, char *err)
{
	struct symstate *s = symbol(c, b->tk.sym, err);
	char when[32], prev[32];
	int64_t close = b->close;

	*recno = b->recno;
	if (!s)
		return CMT_ELIMIT;
	if (close) {
		if (close % 1000 == 999)
			close++;        /* the bar's last millisecond */
		if (close <= b->open)
			return cmt_errf(err, CMT_EVALUE, "close time is not after "
				"the open time");
	} else {
		close = b->open + c->bar_ms;
	}
	if (s->emitted && b->open <= s->emit_open) {
		cmt_format_time(b->open, when, sizeof when);
		cmt_format_time(s->emit_open, prev, sizeof prev);
		return cmt_errf(err, CMT_EORDER, "%s: bar opening %s %s the "
			"previous one (%s)", b->tk.sym, when, b->open ==
			s->emit_open ? "repeats" : "is before", prev);
	}
	if (s->emitted && !b->close && b->open < s->emit_open + c->bar_ms) {
		cmt_format_duration(c->bar_ms, prev, sizeof prev);
		cmt_format_time(b->open, when, sizeof when);
		return cmt_errf(err, CMT_EORDER, "%s: bar opening %s begins "
			"before the previous %s bar ends", b->tk.sym, when, prev);
	}
	*tk = b->tk;
	tk->t = close;
	if (cmt_tick_check(tk, err) != CMT_OK)
		return CMT_EVALUE;
	s->emitted = 1;
	s->emit_open = b->open;
	return CMT_OK;
}

enum cmt_err
cmt_candles_next(struct cmt_candles *c, struct cmt_tick *tk,
	uint64_t *recno, char *err)
{
	struct bar b;
	enum cmt_err e;

	for (;;) {
		if (c->bar_ms && c->qat < c->qn) {
			e = finish(c, &c->queue[c->qat++], tk, recno, err);
			if (c->qat == c->qn)
				c->qat = c->qn = 0;
			return e;
		}
		e = c->form == FORM_JSON ? next_json(c, &b, err)
			: next_csv(c, &b, err);
		*recno = c->recno;
		if (e == CMT_ESKIP && c->qn > 0) {
			if (!(c->bar_ms = commonest_spacing(c)))
				return cmt_errf(err, CMT_EFORMAT, "the bar length "
					"cannot be told from the file (no symbol "
					"has two bars): give --bar, e.g. --bar 1m");
			continue;
		}
		if (e)
			return e;
		if ((e = note_spacing(c, &b, err)))
			return e;
		if (b.close || c->bar_ms)
			return finish(c, &b, tk, recno, err);
		c->queue[c->qn++] = b;
		if (c->qn == QUEUE_MAX || c->nspacing == SPACINGS) {
			if (!(c->bar_ms = commonest_spacing(c)))
				return cmt_errf(err, CMT_EFORMAT, "the bar length "
					"cannot be told from the first %d bars: "
					"give --bar, e.g. --bar 1m", c->qn);
		}
	}
}

/* ---- writing ---- */

int
cmt_candle_csv_header(char *buf)
{
	static const char h[] =
		"open_time,close_time,sym,open,high,low,close,volume,src\n";

	memcpy(buf, h, sizeof h);
	return (int)sizeof h - 1;
}

int
cmt_candle_csv_row(const struct cmt_tick *tk, int64_t bar_ms, char *buf)
{
	size_t k;
	int n;

	if (!tk->has_bar)
		return -1;
	n = cmt_fmt_int(buf, tk->t - bar_ms);
	buf[n++] = ',';
	n += cmt_fmt_int(buf + n, tk->t);
	buf[n++] = ',';
	k = strlen(tk->sym);
	memcpy(buf + n, tk->sym, k);
	n += (int)k;
	buf[n++] = ',';
	n += cmt_fmt_double(buf + n, tk->o, 15);
	buf[n++] = ',';
	n += cmt_fmt_double(buf + n, tk->h, 15);
	buf[n++] = ',';
	n += cmt_fmt_double(buf + n, tk->l, 15);
	buf[n++] = ',';
	n += cmt_fmt_double(buf + n, tk->px, 15);
	buf[n++] = ',';
	if (tk->has_vol)
		n += cmt_fmt_double(buf + n, tk->vol, 15);
	buf[n++] = ',';
	k = strlen(tk->src);
	memcpy(buf + n, tk->src, k);
	n += (int)k;
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}
