#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_json.h"

/* SWAR helpers (8 bytes at a time, little-endian loads via memcpy) in
 * the manner of simdjson: the hot path is long runs of plain ASCII in
 * strings and of digits in numbers. */
static uint64_t
load8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* No byte is a control character, '"', '\\' or non-ASCII. */
static int
plain8(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');

	return ((v | ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) |
	    ((b - ones) & ~b)) & high) == 0;
}

/* All 8 bytes are ASCII digits. */
static int
digits8(uint64_t v)
{
	return ((v & 0xF0F0F0F0F0F0F0F0ULL) |
	    (((v + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) ==
	    0x3333333333333333ULL;
}

/* The value of 8 ASCII digits, the first one most significant. */
static uint32_t
value8(uint64_t v)
{
	v = (v & 0x0F0F0F0F0F0F0F0FULL) * 2561 >> 8;
	v = (v & 0x00FF00FF00FF00FFULL) * 6553601 >> 16;
	return (uint32_t)((v & 0x0000FFFF0000FFFFULL) * 42949672960001ULL >> 32);
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

enum cmt_err
cmt_json_number(const char *s, const char *end, const char **stop,
	double *out, int *integral)
{
	const char *p = s;
	uint64_t mant = 0;
	int ndig = 0, exp10 = 0, neg = 0, dropped = 0, eneg = 0, isint = 1;
	long e = 0;
	char tmp[512];
	double v;

	if (p < end && *p == '-')
		neg = 1, p++;
	if (p >= end || *p < '0' || *p > '9')
		return CMT_ESYNTAX;
	if (*p == '0') {
		p++;
	} else {
		while (p < end && *p >= '0' && *p <= '9') {
			if (ndig < 19)
				mant = mant * 10 + (uint64_t)(*p - '0'), ndig++;
			else
				exp10++, dropped |= *p != '0';
			p++;
		}
	}
	if (p < end && *p == '.') {
		p++;
		isint = 0;
		if (p >= end || *p < '0' || *p > '9')
			return CMT_ESYNTAX;
		if (mant == 0)
			while (p < end && *p == '0')
				p++, exp10--;   /* leading zeros cost no digits */
		while (ndig <= 11 && end - p >= 8 && digits8(load8(p))) {
			mant = mant * 100000000 + value8(load8(p));
			ndig += mant ? 8 : 0;
			exp10 -= 8;
			p += 8;
		}
		while (p < end && *p >= '0' && *p <= '9') {
			if (mant == 0 && *p == '0') {
				exp10--;    /* leading zeros cost no digits */
			} else if (ndig < 19) {
				mant = mant * 10 + (uint64_t)(*p - '0'), ndig++;
				exp10--;
			} else {
				dropped |= *p != '0';
			}
			p++;
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		isint = 0;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p >= end || *p < '0' || *p > '9')
			return CMT_ESYNTAX;
		while (p < end && *p >= '0' && *p <= '9') {
			if (e < 100000)
				e = e * 10 + (*p - '0');
			p++;
		}
		exp10 += eneg ? -(int)e : (int)e;
	}
	*stop = p;
	if (integral)
		*integral = isint;
	if (!dropped && mant <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
		v = (double)mant;
		v = exp10 < 0 ? v / cmt_fmt_pow10[-exp10] :
		    v * cmt_fmt_pow10[exp10];
	} else {
		if ((size_t)(p - s) >= sizeof tmp)
			return CMT_ETOOLONG;
		memcpy(tmp, s, (size_t)(p - s));
		tmp[p - s] = '\0';
		v = strtod(tmp, NULL);
		*out = v;
		return CMT_OK;
	}
	*out = neg ? -v : v;
	return CMT_OK;
}

/* The end of a well-formed JSON number at p, or NULL: grammar only, no
 * conversion, for values inside containers that are validated but not
 * read (the caller converts the ones it reads). */
static const char *
skip_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.') {
		if (++p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

/* 1 for bytes that stand for themselves in a string: printable ASCII
 * other than '"' and '\\'. */
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const unsigned char plain_byte[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = P16,
	[0x40] = P16,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	[0x60] = P16,
	[0x70] = P16,
};
#undef P16

/* Validate a string body starting after the opening quote; returns the
 * pointer to the closing quote or NULL. */
static const char *
scan_string(const char *p, const char *end, int *escaped, char *err)
{
	const unsigned char *u;
	unsigned c;
	int n, i;

	*escaped = 0;
	while (p < end) {
		while (end - p >= 8 && plain8(load8(p)))
			p += 8;
		while (p < end && plain_byte[(unsigned char)*p])
			p++;
		if (p >= end)
			break;
		u = (const unsigned char *)p;
		c = *u;
		if (c == '"')
			return p;
		if (c < 0x20) {
			cmt_errf(err, CMT_ESYNTAX, "control character in string");
			return NULL;
		}
		if (c == '\\') {
			*escaped = 1;
			if (++p >= end)
				break;
			switch (*p) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p++;
				continue;
			case 'u':
				for (i = 1; i <= 4; i++)
					if (p + i >= end || !((p[i] >= '0' && p[i] <= '9') ||
					    ((p[i] | 32) >= 'a' && (p[i] | 32) <= 'f'))) {
						cmt_errf(err, CMT_ESYNTAX, "bad \\u escape");
						return NULL;
					}
				p += 5;
				continue;
			default:
				cmt_errf(err, CMT_ESYNTAX, "bad escape in string");
				return NULL;
			}
		}
		if (c < 0x80) {
			p++;
			continue;
		}
		/* UTF-8: reject overlongs, surrogates and code points > U+10FFFF. */
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			goto badutf;
		if (end - p <= n)
			goto badutf;
		for (i = 1; i <= n; i++)
			if ((u[i] & 0xc0) != 0x80)
				goto badutf;
		if ((c == 0xe0 && u[1] < 0xa0) || (c == 0xed && u[1] > 0x9f) ||
		    (c == 0xf0 && u[1] < 0x90) || (c == 0xf4 && u[1] > 0x8f))
			goto badutf;
		p += n + 1;
	}
	cmt_errf(err, CMT_ESYNTAX, "unterminated string");
	return NULL;
badutf:
	cmt_errf(err, CMT_ESYNTAX, "invalid UTF-8 in string");
	return NULL;
}

/* Parse one value at p; fills v and returns the byte after it, or NULL. */
static const char *
scan_value(const char *p, const char *end, struct cmt_jval *v, char *err)
{
	char stack[CMT_JSON_MAXDEPTH];
	int depth = 0, esc, expect_value;
	const char *start = p, *q;

	if (p >= end) {
		cmt_errf(err, CMT_ESYNTAX, "missing value");
		return NULL;
	}
	v->escaped = 0;
	v->integral = 0;
	switch (*p) {
	case '"':
		q = scan_string(p + 1, end, &esc, err);
		if (!q)
			return NULL;
		v->type = CMT_JSTRING;
		v->raw = p + 1;
		v->len = (size_t)(q - p - 1);
		v->escaped = esc;
		return q + 1;
	case 'n':
		if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			v->type = CMT_JNULL, v->raw = p, v->len = 4;
			return p + 4;
		}
		break;
	case 't':
		if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
			v->type = CMT_JTRUE, v->raw = p, v->len = 4;
			return p + 4;
		}
		break;
	case 'f':
		if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
			v->type = CMT_JFALSE, v->raw = p, v->len = 5;
			return p + 5;
		}
		break;
	case '{':
	case '[':
		/* Containers are validated iteratively with an explicit stack so
		 * hostile nesting cannot exhaust the C stack. */
		v->type = *p == '{' ? CMT_JOBJECT : CMT_JARRAY;
		stack[depth++] = *p++;
		expect_value = 1;
		while (depth > 0) {
			p = skip_ws(p, end);
			if (p >= end)
				goto unterminated;
			if ((*p == '}' || *p == ']') && expect_value == 1) {
				/* empty container, or a closer right after an opener */
				if ((*p == '}') != (stack[depth - 1] == '{'))
					goto mismatch;
				goto close;
			}
			if (stack[depth - 1] == '{') {
				if (*p != '"') {
					cmt_errf(err, CMT_ESYNTAX, "expected member name");
					return NULL;
				}
				q = scan_string(p + 1, end, &esc, err);
				if (!q)
					return NULL;
				p = skip_ws(q + 1, end);
				if (p >= end || *p != ':') {
					cmt_errf(err, CMT_ESYNTAX, "expected ':'");
					return NULL;
				}
				p = skip_ws(p + 1, end);
			}
			if (p < end && (*p == '{' || *p == '[')) {
				if (depth == CMT_JSON_MAXDEPTH) {
					cmt_errf(err, CMT_ETOOLONG, "nesting deeper than %d",
						CMT_JSON_MAXDEPTH);
					return NULL;
				}
				stack[depth++] = *p++;
				expect_value = 1;
				continue;
			}
			if (p < end && *p == '"') {
				q = scan_string(p + 1, end, &esc, err);
				if (!q)
					return NULL;
				p = q + 1;
			} else if (p < end && (*p == '-' || (*p >= '0' && *p <= '9'))) {
				if (!(p = skip_number(p, end)))
					goto badnum;
			} else if (end - p >= 4 && (memcmp(p, "null", 4) == 0 ||
			    memcmp(p, "true", 4) == 0)) {
				p += 4;
			} else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
				p += 5;
			} else {
				cmt_errf(err, CMT_ESYNTAX, "invalid value");
				return NULL;
			}
after_value:
			p = skip_ws(p, end);
			if (p >= end)
				goto unterminated;
			if (*p == ',') {
				p++;
				expect_value = 2; /* a value must follow */
				continue;
			}
			if (*p != '}' && *p != ']') {
				cmt_errf(err, CMT_ESYNTAX, "expected ',' or closing bracket");
				return NULL;
			}
			if ((*p == '}') != (stack[depth - 1] == '{'))
				goto mismatch;
close:
			p++;
			depth--;
			expect_value = 0;
			if (depth > 0)
				goto after_value;
		}
		v->raw = start;
		v->len = (size_t)(p - start);
		return p;
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			if (cmt_json_number(p, end, &q, &v->num, &v->integral))
				goto badnum;
			v->type = CMT_JNUMBER;
			v->raw = p;
			v->len = (size_t)(q - p);
			return q;
		}
	}
	cmt_errf(err, CMT_ESYNTAX, "invalid value");
	return NULL;
badnum:
	cmt_errf(err, CMT_ESYNTAX, "malformed number");
	return NULL;
mismatch:
	cmt_errf(err, CMT_ESYNTAX, "mismatched bracket");
	return NULL;
unterminated:
	cmt_errf(err, CMT_ESYNTAX, "unterminated object or array");
	return NULL;
}

enum cmt_err
cmt_json_begin(struct cmt_jscan *js, const char *s, size_t len, char *err)
{
	js->end = s + len;
	js->p = skip_ws(s, js->end);
	js->first = 1;
	js->nested = 0;
	if (js->p >= js->end || *js->p != '{')
		return cmt_errf(err, CMT_ESYNTAX, "not a JSON object");
	js->p++;
	return CMT_OK;
}

enum cmt_err
cmt_json_key(struct cmt_jscan *js, struct cmt_jval *key, char *err)
{
	const char *p = skip_ws(js->p, js->end), *q;
	int esc;

	if (p < js->end && *p == '}') {
		p++;
		if (!js->nested) {
			p = skip_ws(p, js->end);
			if (p != js->end)
				return cmt_errf(err, CMT_ESYNTAX,
					"unexpected text after the object");
		}
		js->p = p;
		return CMT_ESKIP;
	}
	if (!js->first) {
		if (p >= js->end || *p != ',')
			return cmt_errf(err, CMT_ESYNTAX,
				p >= js->end ? "truncated object" :
				"expected ',' or '}'");
		p = skip_ws(p + 1, js->end);
	}
	if (p >= js->end || *p != '"')
		return cmt_errf(err, CMT_ESYNTAX, p >= js->end ?
			"truncated object" : "expected member name");
	if (!(q = scan_string(p + 1, js->end, &esc, err)))
		return CMT_ESYNTAX;
	key->type = CMT_JSTRING;
	key->raw = p + 1;
	key->len = (size_t)(q - p - 1);
	key->escaped = esc;
	p = skip_ws(q + 1, js->end);
	if (p >= js->end || *p != ':')
		return cmt_errf(err, CMT_ESYNTAX, "expected ':'");
	js->p = skip_ws(p + 1, js->end);
	js->first = 0;
	return CMT_OK;
}

enum cmt_err
cmt_json_value(struct cmt_jscan *js, struct cmt_jval *val, char *err)
{
	const char *p = scan_value(js->p, js->end, val, err);

	if (!p)
		return CMT_ESYNTAX;
	js->p = p;
	return CMT_OK;
}

enum cmt_err
cmt_json_enter(struct cmt_jscan *js, struct cmt_jscan *inner, char *err)
{
	if (js->p >= js->end || *js->p != '{')
		return cmt_errf(err, CMT_ETYPE, "not an object");
	inner->p = js->p + 1;
	inner->end = js->end;
	inner->first = 1;
	inner->nested = 1;
	return CMT_OK;
}

void
cmt_json_leave(struct cmt_jscan *js, const struct cmt_jscan *inner)
{
	js->p = inner->p;
}

enum cmt_err
cmt_json_next(struct cmt_jscan *js, struct cmt_jval *key, struct cmt_jval *val,
	char *err)
{
	enum cmt_err e = cmt_json_key(js, key, err);

	return e ? e : cmt_json_value(js, val, err);
}

enum cmt_err
cmt_json_validate(const char *s, size_t len, char *err)
{
	struct cmt_jval v;
	const char *end = s + len, *p = skip_ws(s, end);

	if (!(p = scan_value(p, end, &v, err)))
		return CMT_ESYNTAX;
	if (skip_ws(p, end) != end)
		return cmt_errf(err, CMT_ESYNTAX, "unexpected text after value");
	return CMT_OK;
}

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

long
cmt_json_unescape(const struct cmt_jval *v, char *buf, size_t cap)
{
	const char *p = v->raw, *end = v->raw + v->len;
	size_t n = 0, k;
	unsigned cp, lo;
	char c, u[4];

	/* Each step decodes one character into u, so the fit check is exact:
	 * a string that decodes to cap-1 bytes fits. */
	while (p < end) {
		k = 0;
		if (*p != '\\') {
			u[k++] = *p++;
			goto put;
		}
		p++;
		switch ((c = *p++)) {
		case 'b': u[k++] = '\b'; break;
		case 'f': u[k++] = '\f'; break;
		case 'n': u[k++] = '\n'; break;
		case 'r': u[k++] = '\r'; break;
		case 't': u[k++] = '\t'; break;
		case 'u':
			cp = (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 |
			    hexval(p[2]) << 4 | hexval(p[3]));
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u') {
				lo = (unsigned)(hexval(p[2]) << 12 | hexval(p[3]) << 8 |
				    hexval(p[4]) << 4 | hexval(p[5]));
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd; /* lone surrogate: not representable */
			if (cp < 0x80) {
				u[k++] = (char)cp;
			} else if (cp < 0x800) {
				u[k++] = (char)(0xc0 | cp >> 6);
				u[k++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				u[k++] = (char)(0xe0 | cp >> 12);
				u[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
				u[k++] = (char)(0x80 | (cp & 0x3f));
			} else {
				u[k++] = (char)(0xf0 | cp >> 18);
				u[k++] = (char)(0x80 | (cp >> 12 & 0x3f));
				u[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
				u[k++] = (char)(0x80 | (cp & 0x3f));
			}
			break;
		default: u[k++] = c; break;
		}
put:
		if (n + k >= cap)
			return -1;
		memcpy(buf + n, u, k);
		n += k;
	}
	if (n >= cap)
		return -1;
	buf[n] = '\0';
	return (long)n;
}

int
cmt_json_streq(const struct cmt_jval *v, const char *lit)
{
	char buf[256];
	size_t n = strlen(lit);
	long m;

	if (!v->escaped)
		return v->len == n && memcmp(v->raw, lit, n) == 0;
	m = cmt_json_unescape(v, buf, sizeof buf);
	return m == (long)n && memcmp(buf, lit, n) == 0;
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *
cmt_cjson_duplicate_key(const struct cJSON *node)
{
	const char *small[32], **keys = small, *dup = NULL;
	const cJSON *c;
	size_t n = 0, i;

	if (!node)
		return NULL;
	for (c = node->child; c; c = c->next)
		if ((dup = cmt_cjson_duplicate_key(c)))
			return dup;
	if (!cJSON_IsObject(node))
		return NULL;
	for (c = node->child; c; c = c->next)
		n++;
	/* sorted, so a huge object costs n log n, not n squared */
	if (n > sizeof small / sizeof small[0] &&
	    !(keys = malloc(n * sizeof *keys)))
		return "(out of memory)";
	for (i = 0, c = node->child; c; c = c->next)
		keys[i++] = c->string ? c->string : "";
	qsort(keys, n, sizeof *keys, cmp_key);
	for (i = 1; i < n && !dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	if (keys != small)
		free(keys);
	return dup;
}

int
cmt_json_number_then(const char **p, const char *end, char next, double *x,
	int *integral)
{
	const char *stop;

	if (cmt_json_number(*p, end, &stop, x, integral) != CMT_OK ||
	    stop >= end || *stop != next)
		return 0;
	*p = stop + 1;
	return 1;
}
