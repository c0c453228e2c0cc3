#include <math.h>
#include <string.h>

#include "cmt_json.h"
#include "cmt_parse.h"
#include "cmt_tick.h"

#define MAX_T 9007199254740992.0 /* 2^53: exact in a double */

void
cmt_tick_decoder_init(struct cmt_tick_decoder *d, enum cmt_tick_format format)
{
	memset(d, 0, sizeof *d);
	d->format = format;
	d->col_o = d->col_h = d->col_l = d->col_warm = -1;
	d->col_t = d->col_sym = d->col_px = d->col_vol = d->col_side =
		d->col_src = -1;
}

enum cmt_err
cmt_tick_symbol(const char *s, size_t len, char *out, char *err)
{
	size_t i, dash = 0, ndash = 0;
	char c;

	if (len == 0 || len >= CMT_SYM_MAX)
		return cmt_errf(err, CMT_EVALUE, "symbol must be 1 to %d characters",
			CMT_SYM_MAX - 1);
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '-') {
			dash = i;
			ndash++;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))) {
			return cmt_errf(err, CMT_EVALUE,
				"symbol '%.*s' is not BASE-QUOTE", (int)len, s);
		}
		out[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
	}
	if (ndash != 1 || dash == 0 || dash == len - 1)
		return cmt_errf(err, CMT_EVALUE,
			"symbol '%.*s' is not BASE-QUOTE", (int)len, s);
	out[len] = '\0';
	return CMT_OK;
}

static enum cmt_err
check_t(double v, int integral, char *err)
{
	if (!integral || !(v >= 0 && v < MAX_T))
		return cmt_errf(err, CMT_EVALUE,
			"\"t\" must be whole milliseconds since the epoch");
	return CMT_OK;
}

static enum cmt_err
check_px(double v, char *err)
{
	if (!isfinite(v))
		return cmt_errf(err, CMT_ERANGE, "\"px\" is not finite");
	if (!(v > 0))
		return cmt_errf(err, CMT_EVALUE, "\"px\" must be > 0");
	return CMT_OK;
}

static enum cmt_err
check_vol(double v, char *err)
{
	if (!isfinite(v))
		return cmt_errf(err, CMT_ERANGE, "\"vol\" is not finite");
	if (v < 0)
		return cmt_errf(err, CMT_EVALUE, "\"vol\" must be >= 0");
	return CMT_OK;
}

/* A bar's open, high or low: finite > 0. */
static enum cmt_err
check_bar_price(double v, const char *name, char *err)
{
	if (!isfinite(v))
		return cmt_errf(err, CMT_ERANGE, "\"%s\" is not finite", name);
	if (!(v > 0))
		return cmt_errf(err, CMT_EVALUE, "\"%s\" must be > 0", name);
	return CMT_OK;
}

/* o, h and l all or none (have: which were given, 1 2 4), and a range
 * that holds the open and the close. */
static enum cmt_err
check_bar(struct cmt_tick *tk, unsigned have, char *err)
{
	tk->has_bar = have == 7;
	if (have && have != 7)
		return cmt_errf(err, CMT_EMISSING, "a bar needs \"o\", \"h\" and "
			"\"l\" together");
	if (tk->has_bar && !(tk->l <= tk->o && tk->l <= tk->px &&
	    tk->h >= tk->o && tk->h >= tk->px))
		return cmt_errf(err, CMT_EVALUE, "bar range [\"l\", \"h\"] does "
			"not hold \"o\" and \"px\"");
	return CMT_OK;
}

enum cmt_err
cmt_tick_check(struct cmt_tick *tk, char *err)
{
	enum cmt_err e;

	if ((e = check_t((double)tk->t, 1, err)) || (e = check_px(tk->px, err)) ||
	    (tk->has_vol && (e = check_vol(tk->vol, err))))
		return e;
	if (!tk->has_bar)
		return CMT_OK;
	if ((e = check_bar_price(tk->o, "o", err)) ||
	    (e = check_bar_price(tk->h, "h", err)) ||
	    (e = check_bar_price(tk->l, "l", err)))
		return e;
	return check_bar(tk, 7, err);
}

/* "buy" / "sell" into *side. */
static enum cmt_err
parse_side(const char *s, size_t n, enum cmt_side *side, char *err)
{
	if (n == 3 && memcmp(s, "buy", 3) == 0)
		*side = CMT_SIDE_BUY;
	else if (n == 4 && memcmp(s, "sell", 4) == 0)
		*side = CMT_SIDE_SELL;
	else
		return cmt_errf(err, CMT_EVALUE,
			"\"side\" must be \"buy\" or \"sell\"");
	return CMT_OK;
}


/* The fast path for ticks as cmt tools write them,
 * {"t":N,"sym":"S","px":N[,"o":N,"h":N,"l":N][,"vol":N][,"side":"S"]
 * [,"src":"S"][,"warm":true]} with plain ASCII strings
 * and nothing else: only the numbers are converted.  1 with tk filled as
 * the general parser fills it; 0 for any other line, which the general
 * parser then reads (and reports), so results and messages are the same. */
static int
parse_fast(const char *line, size_t len, struct cmt_tick *tk)
{
	const char *p = line, *end = line + len, *q;
	char err[CMT_ERRLEN];
	double x;
	int integral;

	if (!CMT_JSON_AT(p, end, "{\"t\":"))
		return 0;
	p += 5;
	if (!cmt_json_number_then(&p, end, ',', &x, &integral) ||
	    check_t(x, integral, err))
		return 0;
	tk->t = (int64_t)x;
	if (!CMT_JSON_AT(p, end, "\"sym\":\""))
		return 0;
	p += 7;
	if (!(q = memchr(p, '"', (size_t)(end - p))) ||
	    cmt_tick_symbol(p, (size_t)(q - p), tk->sym, err))
		return 0;
	p = q + 1;
	if (!CMT_JSON_AT(p, end, ",\"px\":"))
		return 0;
	p += 6;
	if (cmt_json_number(p, end, &q, &x, &integral) || check_px(x, err) ||
	    q >= end || (*q != ',' && *q != '}'))
		return 0;
	tk->px = x;
	p = q;
	tk->has_bar = 0;
	if (CMT_JSON_AT(p, end, ",\"o\":")) {
		double *bar[3] = { &tk->o, &tk->h, &tk->l };
		int i;

		for (i = 0; i < 3; i++) {
			if (end - p < 5 || p[0] != ',' || p[1] != '"' ||
			    p[2] != "ohl"[i] || p[3] != '"' || p[4] != ':')
				return 0;
			p += 5;
			if (cmt_json_number(p, end, &q, &x, &integral) ||
			    check_bar_price(x, "o", err) || q >= end ||
			    (*q != ',' && *q != '}'))
				return 0;
			*bar[i] = x;
			p = q;
		}
		if (check_bar(tk, 7, err))
			return 0;
	}
	tk->warm = 0;
	tk->has_vol = 0;
	if (CMT_JSON_AT(p, end, ",\"vol\":")) {
		p += 7;
		if (cmt_json_number(p, end, &q, &x, &integral) ||
		    check_vol(x, err) || q >= end || (*q != ',' && *q != '}'))
			return 0;
		tk->vol = x;
		tk->has_vol = 1;
		p = q;
	}
	tk->side = CMT_SIDE_NONE;
	if (CMT_JSON_AT(p, end, ",\"side\":\"buy\"")) {
		tk->side = CMT_SIDE_BUY;
		p += 13;
	} else if (CMT_JSON_AT(p, end, ",\"side\":\"sell\"")) {
		tk->side = CMT_SIDE_SELL;
		p += 14;
	}
	tk->src[0] = '\0';
	if (CMT_JSON_AT(p, end, ",\"src\":\"")) {
		size_t n;

		p += 8;
		for (q = p; q < end && *q != '"'; q++)
			if (*q < 0x20 || *q > 0x7e || *q == '\\')
				return 0;   /* escapes, UTF-8: the general parser */
		n = (size_t)(q - p);
		if (q >= end || n >= CMT_SRC_MAX)
			return 0;
		memcpy(tk->src, p, n);
		tk->src[n] = '\0';
		p = q + 1;
	}
	if (CMT_JSON_AT(p, end, ",\"warm\":true")) {
		tk->warm = 1;
		p += 12;
	}
	return end - p == 1 && *p == '}';
}

enum cmt_err
cmt_tick_parse_json(const char *line, size_t len, struct cmt_tick *tk,
	char *err)
{
	struct cmt_jscan js;
	struct cmt_jval k, v;
	enum cmt_err e;
	unsigned seen = 0, bar = 0, bit;
	char sym[64];
	long n;

	if (parse_fast(line, len, tk))
		return CMT_OK;
	if ((e = cmt_json_begin(&js, line, len, err)))
		return e;
	tk->has_vol = 0;
	tk->has_bar = 0;
	tk->warm = 0;
	tk->side = CMT_SIDE_NONE;
	tk->src[0] = '\0';
	while ((e = cmt_json_next(&js, &k, &v, err)) == CMT_OK) {
		if (k.escaped || k.len > 4)
			continue;
		if (k.len == 1 && k.raw[0] == 't')
			bit = 1;
		else if (k.len == 1 && (k.raw[0] == 'o' || k.raw[0] == 'h' ||
		    k.raw[0] == 'l'))
			bit = k.raw[0] == 'o' ? 64 : k.raw[0] == 'h' ? 128 : 256;
		else if (k.len == 4 && memcmp(k.raw, "warm", 4) == 0)
			bit = 512;
		else if (k.len == 3 && memcmp(k.raw, "sym", 3) == 0)
			bit = 2;
		else if (k.len == 2 && memcmp(k.raw, "px", 2) == 0)
			bit = 4;
		else if (k.len == 3 && memcmp(k.raw, "vol", 3) == 0)
			bit = 8;
		else if (k.len == 3 && memcmp(k.raw, "src", 3) == 0)
			bit = 16;
		else if (k.len == 4 && memcmp(k.raw, "side", 4) == 0)
			bit = 32;
		else
			continue;
		if (seen & bit)
			return cmt_errf(err, CMT_EVALUE, "duplicate key \"%.*s\"",
				(int)k.len, k.raw);
		seen |= bit;
		switch (bit) {
		case 1:
			if (v.type != CMT_JNUMBER)
				return cmt_errf(err, CMT_ETYPE, "\"t\" is not a number");
			if ((e = check_t(v.num, v.integral, err)))
				return e;
			tk->t = (int64_t)v.num;
			break;
		case 2:
			if (v.type != CMT_JSTRING)
				return cmt_errf(err, CMT_ETYPE, "\"sym\" is not a string");
			n = cmt_json_unescape(&v, sym, sizeof sym);
			if (n < 0)
				return cmt_errf(err, CMT_EVALUE, "\"sym\" is too long");
			if ((e = cmt_tick_symbol(sym, (size_t)n, tk->sym, err)))
				return e;
			break;
		case 4:
			if (v.type != CMT_JNUMBER)
				return cmt_errf(err, CMT_ETYPE, "\"px\" is not a number");
			if ((e = check_px(v.num, err)))
				return e;
			tk->px = v.num;
			break;
		case 8:
			if (v.type == CMT_JNULL)
				break;
			if (v.type != CMT_JNUMBER)
				return cmt_errf(err, CMT_ETYPE, "\"vol\" is not a number");
			if ((e = check_vol(v.num, err)))
				return e;
			tk->vol = v.num;
			tk->has_vol = 1;
			break;
		case 16:
			if (v.type == CMT_JNULL)
				break;
			if (v.type != CMT_JSTRING)
				return cmt_errf(err, CMT_ETYPE, "\"src\" is not a string");
			if (cmt_json_unescape(&v, tk->src, sizeof tk->src) < 0)
				return cmt_errf(err, CMT_EVALUE, "\"src\" is too long");
			break;
		case 32:
			if (v.type == CMT_JNULL)
				break;
			if (v.type != CMT_JSTRING || v.escaped)
				return cmt_errf(err, CMT_ETYPE,
					"\"side\" is not \"buy\" or \"sell\"");
			if ((e = parse_side(v.raw, v.len, &tk->side, err)))
				return e;
			break;
		case 64: case 128: case 256: {
			const char *name = bit == 64 ? "o" : bit == 128 ? "h"
				: "l";

			if (v.type == CMT_JNULL)
				break;
			bar |= bit >> 6;
			if (v.type != CMT_JNUMBER)
				return cmt_errf(err, CMT_ETYPE, "\"%s\" is not a "
					"number", name);
			if ((e = check_bar_price(v.num, name, err)))
				return e;
			*(bit == 64 ? &tk->o : bit == 128 ? &tk->h : &tk->l) =
				v.num;
			break;
		}
		case 512:
			if (v.type != CMT_JTRUE && v.type != CMT_JFALSE &&
			    v.type != CMT_JNULL)
				return cmt_errf(err, CMT_ETYPE,
					"\"warm\" is not true or false");
			tk->warm = v.type == CMT_JTRUE;
			break;
		}
	}
	if (e != CMT_ESKIP)
		return e;
	if (!(seen & 1))
		return cmt_errf(err, CMT_EMISSING, "missing \"t\"");
	if (!(seen & 2))
		return cmt_errf(err, CMT_EMISSING, "missing \"sym\"");
	if (!(seen & 4))
		return cmt_errf(err, CMT_EMISSING, "missing \"px\"");
	return check_bar(tk, bar, err);
}

static int
field_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

static enum cmt_err
parse_csv_header(struct cmt_tick_decoder *d, const char *line, size_t len,
	char *err)
{
	const char *p, *next = line, *end = line + len;
	int more;
	int col = 0;
	size_t n;

	do {
		more = cmt_csv_field(&next, end, &p, &n);
		if (field_is(p, n, "t"))
			d->col_t = col;
		else if (field_is(p, n, "sym"))
			d->col_sym = col;
		else if (field_is(p, n, "px"))
			d->col_px = col;
		else if (field_is(p, n, "vol"))
			d->col_vol = col;
		else if (field_is(p, n, "src"))
			d->col_src = col;
		else if (field_is(p, n, "side"))
			d->col_side = col;
		else if (field_is(p, n, "o"))
			d->col_o = col;
		else if (field_is(p, n, "h"))
			d->col_h = col;
		else if (field_is(p, n, "l"))
			d->col_l = col;
		else if (field_is(p, n, "warm"))
			d->col_warm = col;
		col++;
	} while (more);
	d->ncols = col;
	if (d->col_t < 0 || d->col_sym < 0 || d->col_px < 0)
		return cmt_errf(err, CMT_EMISSING,
			"CSV header must name columns t, sym and px");
	d->format = CMT_TICK_CSV;
	return CMT_ESKIP;
}

static enum cmt_err
parse_csv_row(const struct cmt_tick_decoder *d, const char *line, size_t len,
	struct cmt_tick *tk, char *err)
{
	const char *p, *next = line, *end = line + len;
	int more;
	enum cmt_err e;
	int col = 0, integral, got = 0;
	size_t n;
	double v;

	unsigned bar = 0;

	tk->has_vol = 0;
	tk->warm = 0;
	tk->side = CMT_SIDE_NONE;
	tk->src[0] = '\0';
	do {
		more = cmt_csv_field(&next, end, &p, &n);
		if ((col == d->col_o || col == d->col_h || col == d->col_l) &&
		    n > 0) {
			const char *name = col == d->col_o ? "o" : col == d->col_h
				? "h" : "l";

			if ((e = cmt_csv_number(p, n, name, &v, &integral, err)) ||
			    (e = check_bar_price(v, name, err)))
				return e;
			*(col == d->col_o ? &tk->o : col == d->col_h ? &tk->h
				: &tk->l) = v;
			bar |= col == d->col_o ? 1 : col == d->col_h ? 2 : 4;
		} else if (col == d->col_warm && n > 0) {
			if (field_is(p, n, "true") || field_is(p, n, "1"))
				tk->warm = 1;
			else if (!field_is(p, n, "false") && !field_is(p, n, "0"))
				return cmt_errf(err, CMT_EVALUE, "\"warm\" must be "
					"true or false");
		} else if (col == d->col_t) {
			if ((e = cmt_csv_number(p, n, "t", &v, &integral, err)) ||
			    (e = check_t(v, integral, err)))
				return e;
			tk->t = (int64_t)v;
			got++;
		} else if (col == d->col_sym) {
			if ((e = cmt_tick_symbol(p, n, tk->sym, err)))
				return e;
			got++;
		} else if (col == d->col_px) {
			if ((e = cmt_csv_number(p, n, "px", &v, &integral, err)) ||
			    (e = check_px(v, err)))
				return e;
			tk->px = v;
			got++;
		} else if (col == d->col_vol && n > 0) {
			if ((e = cmt_csv_number(p, n, "vol", &v, &integral, err)) ||
			    (e = check_vol(v, err)))
				return e;
			tk->vol = v;
			tk->has_vol = 1;
		} else if (col == d->col_side && n > 0) {
			if ((e = parse_side(p, n, &tk->side, err)))
				return e;
		} else if (col == d->col_src && n > 0) {
			if (n >= CMT_SRC_MAX)
				return cmt_errf(err, CMT_EVALUE, "\"src\" is too long");
			if (!cmt_utf8_valid(p, n))
				return cmt_errf(err, CMT_ESYNTAX,
					"\"src\" is not valid UTF-8");
			memcpy(tk->src, p, n);
			tk->src[n] = '\0';
		}
		col++;
	} while (more);
	if (col != d->ncols)
		return cmt_errf(err, CMT_ESYNTAX, "expected %d CSV fields, got %d",
			d->ncols, col);
	if (got != 3)
		return cmt_errf(err, CMT_EMISSING, "missing t, sym or px");
	return check_bar(tk, bar, err);
}

enum cmt_err
cmt_tick_decode(struct cmt_tick_decoder *d, const char *line, size_t len,
	struct cmt_tick *tk, char *err)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return CMT_ESKIP;
	if (d->format == CMT_TICK_AUTO) {
		if (line[i] == '{')
			d->format = CMT_TICK_JSON;
		else
			return parse_csv_header(d, line, len, err);
	}
	if (d->format == CMT_TICK_JSON)
		return cmt_tick_parse_json(line, len, tk, err);
	if (d->ncols == 0)
		return parse_csv_header(d, line, len, err);
	if (line[i] == '{')
		return cmt_errf(err, CMT_ESYNTAX, "JSON line in a CSV stream");
	return parse_csv_row(d, line, len, tk, err);
}

int
cmt_tick_format_json(const struct cmt_tick *tk, char *buf)
{
	int n = 0;

	memcpy(buf, "{\"t\":", 5);
	n = 5;
	n += cmt_fmt_int(buf + n, tk->t);
	memcpy(buf + n, ",\"sym\":", 7);
	n += 7;
	n += (int)cmt_fmt_string(buf + n, tk->sym, strlen(tk->sym));
	memcpy(buf + n, ",\"px\":", 6);
	n += 6;
	n += cmt_fmt_double(buf + n, tk->px, 15);
	if (tk->has_bar) {
		memcpy(buf + n, ",\"o\":", 5);
		n += 5;
		n += cmt_fmt_double(buf + n, tk->o, 15);
		memcpy(buf + n, ",\"h\":", 5);
		n += 5;
		n += cmt_fmt_double(buf + n, tk->h, 15);
		memcpy(buf + n, ",\"l\":", 5);
		n += 5;
		n += cmt_fmt_double(buf + n, tk->l, 15);
	}
	if (tk->has_vol) {
		memcpy(buf + n, ",\"vol\":", 7);
		n += 7;
		n += cmt_fmt_double(buf + n, tk->vol, 15);
	}
	if (tk->side != CMT_SIDE_NONE) {
		const char *sd = tk->side == CMT_SIDE_BUY ? ",\"side\":\"buy\""
			: ",\"side\":\"sell\"";
		size_t k = strlen(sd);

		memcpy(buf + n, sd, k);
		n += (int)k;
	}
	if (tk->src[0]) {
		memcpy(buf + n, ",\"src\":", 7);
		n += 7;
		n += (int)cmt_fmt_string(buf + n, tk->src, strlen(tk->src));
	}
	if (tk->warm) {
		memcpy(buf + n, ",\"warm\":true", 12);
		n += 12;
	}
	buf[n++] = '}';
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}
