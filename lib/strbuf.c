#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmt_strbuf.h"

int
cmt_strbuf_reserve(struct cmt_strbuf *b, size_t len)
{
	size_t cap;
	char *s;

	if (b->failed)
		return -1;
	if (b->len + len + 1 <= b->cap)
		return 0;
	cap = (b->cap + len + 1) * 2;
	if (!(s = realloc(b->s, cap))) {
		b->failed = 1;
		return -1;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

void
cmt_strbuf_vprintf(struct cmt_strbuf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	while (!b->failed) {
		va_copy(aq, ap);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->cap - b->len, fmt,
			aq);
		va_end(aq);
		if (n < 0)
			b->failed = 1;
		else if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		} else
			cmt_strbuf_reserve(b, (size_t)n);
	}
}

void
cmt_strbuf_printf(struct cmt_strbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmt_strbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
cmt_strbuf_put(struct cmt_strbuf *b, const char *s, size_t len)
{
	if (cmt_strbuf_reserve(b, len))
		return;
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

char *
cmt_strbuf_take(struct cmt_strbuf *b)
{
	char *s = b->failed ? NULL : b->s;

	if (!s)
		free(b->s);
	memset(b, 0, sizeof *b);
	return s;
}

void
cmt_strbuf_free(struct cmt_strbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}

int
cmt_strcat_printf(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= cap)
		return -1;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= cap - *n) {
		*n = cap;
		return -1;
	}
	*n += (size_t)k;
	return 0;
}
